"""The database schema's history (Alembic revisions in `versions/`) and how to apply it.

Alembic is configured here in code, so no alembic.ini is needed: `upgrade` brings a
database to the newest revision, `current` says which revision it is at.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

FOLDER = Path(__file__).resolve().parent
FIRST_REVISION = "0001"
LOCK_KEY = 0x6D696669  # "mifi": the PostgreSQL advisory lock held while migrating


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest revision and return it; quick when it already is.

    On PostgreSQL an advisory lock makes workers starting together take turns, and the
    whole upgrade is one transaction. A database made before migrations existed (tables
    but no `alembic_version`) is first stamped at the first revision, not created again.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        at = MigrationContext.configure(conn).get_current_revision()
        if at == head():
            return at
        config = _config(conn)
        if at is None and inspect(conn).has_table("mi_session"):
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
    return head()
