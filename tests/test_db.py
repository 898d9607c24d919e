from sqlalchemy import text

from app.db import init_db, make_engine


def test_sqlite_file_engine_makes_its_folder_and_enforces_foreign_keys(tmp_path):
    path = tmp_path / "nested" / "mifi.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    assert path.exists()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert {"user", "team", "token", "mi_session", "turn", "utterance", "correction",
            "human_rating", "supervision_feedback"} <= tables


def test_in_memory_engine_shares_one_database_across_connections():
    engine = make_engine("sqlite://")
    init_db(engine)
    with engine.connect() as a, engine.connect() as b:
        a.execute(text("INSERT INTO team (name, demo) VALUES ('T', 0)"))
        a.commit()
        assert b.execute(text("SELECT count(*) FROM team")).scalar() == 1


def test_database_errors_do_not_carry_the_values(tmp_path):
    import pytest
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    init_db(engine)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO team (name, demo) VALUES ('secret words', 0)"))
        with pytest.raises(IntegrityError) as e:
            conn.execute(text("INSERT INTO team (name, demo) VALUES (:n, 0)"), {"n": "secret words"})
    assert "secret words" not in str(e.value)
