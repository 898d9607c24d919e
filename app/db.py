"""The database engine: one place makes it, brings the schema up to date and hands out DB sessions.

SQLite (a file, or in memory for tests) or PostgreSQL through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, create_engine


POOL_SIZE = 5  # connections kept open per process
# No cap on extra connections under load: a capped pool makes a request wait for a free
# connection (30 s) on the event loop, freezing every other request meanwhile. PostgreSQL's
# own max_connections still bounds them, and going over that is a quick, clear 503.
MAX_OVERFLOW = -1
CONNECT_TIMEOUT_S = 5  # a PostgreSQL host that stops answering fails fast instead of hanging


def database_url(url: str | URL) -> URL:
    """The URL with PostgreSQL's usual spellings (`postgres://`, `postgresql://`) sent to psycopg 3."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def is_memory_sqlite(engine: Engine) -> bool:
    """An in-memory SQLite database: it lives only as long as the process (tests, demos)."""
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def make_engine(url: str | URL) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys, WAL and a made folder,
    PostgreSQL a small pool whose connections are checked before use.

    `hide_parameters`: a database error never carries transcript text into a log.
    """
    u = database_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(u, pool_pre_ping=True, hide_parameters=True, pool_size=POOL_SIZE,
                             max_overflow=MAX_OVERFLOW,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    in_memory = u.database in (None, "", ":memory:")
    if not in_memory:
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(u, connect_args={"check_same_thread": False}, hide_parameters=True,
                           **({"poolclass": StaticPool} if in_memory else {"max_overflow": MAX_OVERFLOW}))

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
    """Bring the schema to the newest migration (see app.migrations); an in-memory SQLite
    database, which lives only as long as the process, just gets the tables created."""
    from app import models  # noqa: F401  (registers the tables)

    if is_memory_sqlite(engine):
        SQLModel.metadata.create_all(engine)
        return
    from app.migrations import upgrade

    upgrade(engine)


def db_sessions(engine: Engine) -> Iterator[DbSession]:
    with DbSession(engine) as db:
        yield db
