from pathlib import Path

from app.config import Settings, data_dir


def test_database_url_wins_over_the_file_path(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/mifi")
    assert Settings(db_path=Path("/tmp/x.db")).url == "postgresql://db.example/mifi"


def test_db_path_gives_a_sqlite_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings(db_path=Path("/tmp/x.db")).url == "sqlite:////tmp/x.db"


def test_default_files_keep_demo_apart_from_real_records(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MIFI_DB_PATH", raising=False)
    real, demo = Settings().url, Settings(demo=True).url
    assert real.endswith("/mifi.db") and demo.endswith("/mifi-demo.db")
    assert str(data_dir()) in real


def test_environment_settings_are_read(monkeypatch):
    monkeypatch.setenv("MIFI_PORT", "9001")
    monkeypatch.setenv("MIFI_DEMO", "1")
    s = Settings()
    assert s.port == 9001 and s.demo is True
