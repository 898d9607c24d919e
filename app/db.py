"""The database engine: one place makes it, creates the tables and hands out DB sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, create_engine


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys, WAL and a made folder.

    `hide_parameters`: a database error never carries transcript text into a log.
    """
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    in_memory = u.database in (None, "", ":memory:")
    if not in_memory:
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True,
                           **({"poolclass": StaticPool} if in_memory else {}))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def init_db(engine: Engine) -> None:
    """Create any missing tables."""
    from app import models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)


def db_sessions(engine: Engine) -> Iterator[DbSession]:
    with DbSession(engine) as db:
        yield db
