from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from app import migrations
from app.db import init_db, make_engine
from tests.conftest import DATABASES, drop_postgres_schema, postgres_schema_url

FIRST_TABLES = ["team", "user", "token", "mi_session", "turn", "utterance", "correction", "human_rating",
                "supervision_feedback", "goal", "supervision_note", "model_version"]  # revision 0001


@pytest.fixture(params=DATABASES)
def empty_engine(request, tmp_path) -> Iterator[Engine]:  # noqa: ANN001
    """A file database with nothing in it, on SQLite and (when configured) PostgreSQL."""
    if request.param == "postgresql":
        url = postgres_schema_url("migrations")
        engine = make_engine(url)
        yield engine
        engine.dispose()
        drop_postgres_schema(url)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'mifi.db'}")
        yield engine
        engine.dispose()


def _differences(engine: Engine) -> list:
    from app import models  # noqa: F401

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata)


def test_migrations_make_exactly_the_models_schema(empty_engine):
    init_db(empty_engine)
    assert migrations.current(empty_engine) == migrations.head()
    assert _differences(empty_engine) == []


def test_upgrade_twice_is_harmless_and_downgrade_undoes_it(empty_engine):
    from alembic import command

    assert migrations.current(empty_engine) is None
    assert migrations.upgrade(empty_engine) == migrations.head()
    assert migrations.upgrade(empty_engine) == migrations.head()
    with empty_engine.begin() as conn:
        command.downgrade(migrations._config(conn), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(empty_engine)
    assert _differences(empty_engine) == []


def test_a_database_made_before_migrations_is_stamped_not_recreated(tmp_path):
    from sqlalchemy import text

    from app import models  # noqa: F401

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    SQLModel.metadata.create_all(engine, tables=[SQLModel.metadata.tables[n] for n in FIRST_TABLES])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO team (name, demo) VALUES ('North', 0)"))
    init_db(engine)
    assert migrations.current(engine) == migrations.head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM team")).scalar() == "North"
    engine.dispose()


def test_the_migrated_audit_log_is_append_only(empty_engine):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    init_db(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_event (at, username, role, action, address, detail) "
                          "VALUES (CURRENT_TIMESTAMP, 'a', 'admin', 'view', '', '')"))
    for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError), empty_engine.begin() as conn:
            conn.execute(text(sql))
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_event")).scalar() == "view"


def test_mifi_db_upgrade_and_current(tmp_path, capsys, monkeypatch):
    from app.cli import main

    monkeypatch.delenv("DATABASE_URL", raising=False)
    path = tmp_path / "mifi.db"
    assert main(["db", "current", "--db", str(path)]) == 0
    assert capsys.readouterr().out.startswith("none")
    assert main(["db", "upgrade", "--db", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"database at revision {migrations.head()} (was empty)"
    assert main(["db", "upgrade", "--db", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"database at revision {migrations.head()}"
    assert main(["db", "current", "--db", str(path)]) == 0
    assert capsys.readouterr().out.startswith(migrations.head())


def test_postgres_urls_go_to_psycopg_3():
    from app.db import database_url

    for url in ("postgres://u:p@h/d", "postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"):
        assert database_url(url).drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"
    engine = make_engine("postgres://u:secret@localhost/d")  # no connection is made here
    assert engine.dialect.driver == "psycopg" and engine.pool.size() == 5
    assert "secret" not in repr(engine.url)
