import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mifi(*args: str, stdin: str = "", env_db: Path) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIFI_DB_PATH")}
    return subprocess.run([sys.executable, "-m", "app.cli", *args[:1], "--db", str(env_db), *args[1:]],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_users_add_list_passwd_token(tmp_path):
    db = tmp_path / "m.db"
    r = mifi("users", "add", "sam", "--role", "supervisor", "--team", "North", "--name", "Sam Taylor",
             stdin="a long password\n", env_db=db)
    assert r.returncode == 0, r.stderr
    listed = mifi("users", "list", env_db=db).stdout.splitlines()
    assert listed == ["sam\tsupervisor\tSam Taylor\tNorth"]
    assert mifi("users", "passwd", "sam", stdin="another long one\n", env_db=db).returncode == 0
    token = mifi("users", "token", "sam", env_db=db).stdout.strip()
    assert token.startswith("mifi_") and len(token) > 40

    from sqlmodel import Session, select

    from app import users
    from app.db import make_engine
    from app.models import AuditEvent, User

    with Session(make_engine(f"sqlite:///{db}")) as s:
        assert users.authenticate(s, username="sam", password="another long one", demo=False)
        assert users.user_for_token(s, raw=token, kind="api").username == "sam"
        assert s.exec(select(User)).one().full_name == "Sam Taylor"
        event = s.exec(select(AuditEvent)).one()
        assert (event.action, event.username, event.detail) == ("password.change", "(command line)",
                                                                 "for sam; 0 logins ended")


def test_users_errors_are_one_line_with_status_2(tmp_path):
    db = tmp_path / "m.db"
    r = mifi("users", "add", "kim", stdin="short\n", env_db=db)
    assert r.returncode == 2 and r.stderr.startswith("mifi: error:") and "Traceback" not in r.stderr
    r = mifi("users", "token", "nobody", env_db=db)
    assert r.returncode == 2 and "no user" in r.stderr


def test_serve_options_become_settings(monkeypatch):
    from app.cli import _parser, _web_settings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    args = _parser().parse_args(["serve", "--demo", "--port", "8123", "--db", "/tmp/x.db"])
    s = _web_settings(args)
    assert (s.demo, s.port, s.host) == (True, 8123, "127.0.0.1")
    assert s.url == "sqlite:////tmp/x.db"
