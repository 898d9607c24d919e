"""Faults against a real server in its own process: killed mid-upload, the database going
away and coming back (PostgreSQL and SQLite), slow uploads, and a full disk.

Each test starts `python -m app.cli serve` on a free port with a throwaway database, and
checks afterwards that no session is stored in part, that the database is not corrupt, and
that the server answers again.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import NOTES, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BODY = {"session_date": "2026-01-05", "family_ref": "FAM-9", "change_goals": "school on time",
        "setting": "office", "visibility": "private"}
UNAVAILABLE = "The database is not answering; nothing was saved; try again in a minute."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> dict[str, str]:
    """Create the tables and one practitioner; the Authorization header of their API token."""
    from app import users
    from app.db import init_db, make_engine
    from sqlmodel import Session as DbSession

    engine = make_engine(url)
    try:
        init_db(engine)
        with DbSession(engine) as db:
            user = users.create_user(db, username="pat", password=PASSWORD, role="practitioner",
                                     team="North team")
            db.commit()
            raw = users.issue_token(db, user=user, kind="api", name="faults")
            db.commit()
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class Server:
    """`mifi serve` in a subprocess."""

    url: str
    log: Path
    limit_bytes: int | None = None  # RLIMIT_FSIZE: no file may grow past this
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _limit(self) -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit_bytes, self.limit_bytes))

    def start(self) -> Server:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": self.url, "MIFI_PAGE_CACHE": "0"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)], cwd=ROOT,
                env=env, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=self._limit if self.limit_bytes else None)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the server did not start:\n" + self.log.read_text()[-2000:])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(url: str, limit_bytes: int | None = None) -> Server:
        s = Server(url, tmp_path / "server.log", limit_bytes).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def notes(repeats: int) -> str:
    """The conftest's notes, `repeats` times over: eight turns and about 12 utterances each."""
    return NOTES * repeats


def upload(base: str, auth: dict[str, str], text: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(base + "/api/sessions", json={**BODY, "text": text}, headers=auth, timeout=timeout)


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def integrity(path: str) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA integrity_check").fetchall() + con.execute("PRAGMA foreign_key_check").fetchall()


def whole_sessions(path: str, turns: int, utterances: int) -> int:
    """How many sessions there are, checking each is whole: its `turns` turns at positions
    0..turns-1, `utterances` utterances, every coded turn with at least one, every utterance
    in a turn of its own session, and its summary scores."""
    with sqlite3.connect(path) as con:
        sessions = con.execute("SELECT id, summary_json FROM mi_session").fetchall()
        for sid, summary in sessions:
            positions = [p for (p,) in con.execute(
                "SELECT position FROM turn WHERE session_id = ? ORDER BY position", (sid,))]
            assert positions == list(range(turns)), f"session {sid}: {len(positions)} of {turns} turns"
            n = con.execute("SELECT count(*) FROM utterance WHERE session_id = ?", (sid,)).fetchone()[0]
            assert n == utterances, f"session {sid}: {n} of {utterances} utterances"
            bare = con.execute("SELECT count(*) FROM turn t WHERE t.session_id = ? AND t.coded AND NOT EXISTS "
                               "(SELECT 1 FROM utterance u WHERE u.turn_id = t.id)", (sid,)).fetchone()[0]
            assert bare == 0, f"session {sid}: {bare} coded turns without utterances"
            strays = con.execute("SELECT count(*) FROM utterance u JOIN turn t ON t.id = u.turn_id "
                                 "WHERE u.session_id = ? AND t.session_id != u.session_id", (sid,)).fetchone()[0]
            assert strays == 0
            assert "reflection_to_question" in json.loads(summary), f"session {sid}: no scores"
        orphans = con.execute("SELECT count(*) FROM turn WHERE session_id NOT IN (SELECT id FROM mi_session)"
                              ).fetchone()[0] + con.execute(
            "SELECT count(*) FROM utterance WHERE session_id NOT IN (SELECT id FROM mi_session)").fetchone()[0]
        assert orphans == 0, f"{orphans} turns or utterances without a session"
    return len(sessions)


def counts(path: str) -> tuple[int, int]:
    with sqlite3.connect(path) as con:
        return (con.execute("SELECT count(*) FROM turn").fetchone()[0],
                con.execute("SELECT count(*) FROM utterance").fetchone()[0])


def serves(base: str, auth: dict[str, str]) -> int:
    """The server lists sessions and stores a new one; the number it lists afterwards."""
    assert httpx.get(base + "/api/sessions", headers=auth, timeout=30).status_code == 200
    assert upload(base, auth, NOTES).status_code == 201
    return len(httpx.get(base + "/api/sessions", headers=auth, timeout=30).json())


def post_then_kill(server: Server, auth: dict[str, str], text: str, delay: float) -> None:
    """Send the whole upload on a raw socket, then SIGKILL the server `delay` seconds later."""
    body = json.dumps({**BODY, "text": text}).encode()
    head = (f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: {auth['Authorization']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head + body)
        time.sleep(delay)
        server.kill()


# Killed mid-upload ----------------------------------------------------------------------------

def test_a_server_killed_mid_upload_leaves_no_partial_session(server, tmp_path):
    """SIGKILL at three points of a 600-turn upload; after each, on the same database: every
    session whole (see `whole_sessions`) or absent, integrity_check ok; then it serves."""
    url = f"sqlite:///{tmp_path / 'mifi.db'}"
    path = sqlite_path(url)
    auth = prepare(url)
    s = server(url)
    text = notes(75)  # 600 turns
    assert upload(s.base, auth, text).status_code == 201  # warms the coder up
    t0 = time.monotonic()
    assert upload(s.base, auth, text).status_code == 201
    took = time.monotonic() - t0
    turns, utterances = counts(path)
    assert turns == 2 * 600 and utterances > turns
    utterances //= 2
    n = 2
    for fraction in (0.3, 0.8, 0.97):  # while coding, ..., while storing or just after
        post_then_kill(s, auth, text, fraction * took)
        assert integrity(path) == [("ok",)]
        stored = whole_sessions(path, 600, utterances)
        assert stored in (n, n + 1)  # the whole session or nothing of it
        n = stored
        s = server(url)  # the same database, after the kill
    assert serves(s.base, auth) == n + 1
    assert integrity(path) == [("ok",)]


# The database goes away and comes back ------------------------------------------------------

@dataclass
class Postgres:
    """A throwaway PostgreSQL server of our own (never the shared cluster), run as `postgres`."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> None:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries are not installed ({PG_BIN})")
    pytest.importorskip("psycopg", reason="psycopg (psycopg[binary]) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="mifi-faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    pg = Postgres(folder, free_port())
    try:
        pg.run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        pg.start()
        yield pg
    finally:
        try:
            pg.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(folder, ignore_errors=True)


def test_postgres_going_away_gives_a_clear_503_and_the_app_recovers_without_restart(server, postgres):
    auth = prepare(postgres.url)
    s = server(postgres.url)
    assert upload(s.base, auth, NOTES).status_code == 201

    postgres.stop()
    r = upload(s.base, auth, NOTES)
    assert r.status_code == 503 and r.json() == {"detail": UNAVAILABLE}
    assert r.headers["retry-after"] == "60"
    r = httpx.get(s.base + "/api/sessions", headers=auth, timeout=30)
    assert r.status_code == 503 and "The database is not answering" in r.json()["detail"]
    page = httpx.get(s.base + "/sessions", headers=auth, timeout=30)
    assert page.status_code == 503 and "The database is not answering" in page.text
    assert "Traceback" not in page.text and page.headers["content-type"].startswith("text/html")
    assert httpx.get(s.base + "/healthz", timeout=30).status_code == 503

    postgres.start()
    assert httpx.get(s.base + "/healthz", timeout=30).status_code == 200
    assert serves(s.base, auth) == 2  # the one before, the one now; nothing from the outage


def test_a_sqlite_database_locked_longer_than_the_busy_timeout_gives_503_then_recovers(server, tmp_path):
    url = f"sqlite:///{tmp_path / 'mifi.db'}"
    auth = prepare(url)
    s = server(url)
    other = sqlite3.connect(sqlite_path(url), isolation_level=None)  # another process's write lock
    try:
        other.execute("BEGIN IMMEDIATE")
        r = upload(s.base, auth, NOTES)
        assert r.status_code == 503 and r.json() == {"detail": UNAVAILABLE}
        assert httpx.get(s.base + "/healthz", timeout=30).status_code == 200  # reads go on (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert whole_sessions(sqlite_path(url), 0, 0) == 0
    assert serves(s.base, auth) == 1


def test_slow_uploads_do_not_stop_the_server_answering_others(server, tmp_path):
    """Twenty uploads whose bodies arrive slowly (a poor connection) while someone reads a page."""
    url = f"sqlite:///{tmp_path / 'mifi.db'}"
    auth = prepare(url)
    s = server(url)
    body = json.dumps({**BODY, "text": NOTES}).encode()
    stalled = []
    try:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", s.port))
            sock.sendall((f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: {auth['Authorization']}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:10])
            stalled.append(sock)
        r = httpx.get(s.base + "/api/sessions", headers=auth, timeout=5)
        assert r.status_code == 200
    finally:
        for sock in stalled:
            sock.close()
        s.kill()


# A full disk ---------------------------------------------------------------------------------

def assert_disk_full(r: httpx.Response) -> None:
    assert r.status_code == 507, r.text[:300]
    assert r.json()["detail"].startswith("The server could not write to its disk (it may be full); "
                                         "nothing was saved.")


def test_a_file_size_limit_fails_the_upload_cleanly_and_stores_nothing(server, tmp_path):
    """No file may grow past the limit (RLIMIT_FSIZE): writes fail as on a full disk, without root."""
    url = f"sqlite:///{tmp_path / 'mifi.db'}"
    path = sqlite_path(url)
    auth = prepare(url)
    s = server(url, limit_bytes=Path(path).stat().st_size + 200_000)
    assert_disk_full(upload(s.base, auth, notes(150)))  # about 1 MB to write
    assert counts(path) == (0, 0) and integrity(path) == [("ok",)]
    assert serves(s.base, auth) == 1  # a small session still fits
    s.stop()
    assert integrity(path) == [("ok",)] and whole_sessions(path, 8, counts(path)[1]) == 1


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A real 2 MB filesystem (tmpfs); skipped where mounting is not allowed."""
    folder = Path(tempfile.mkdtemp(prefix="mifi-faults-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def test_a_full_disk_fails_the_upload_cleanly_and_the_app_recovers_once_there_is_space(server, tiny_disk):
    url = f"sqlite:///{tiny_disk / 'mifi.db'}"
    path = sqlite_path(url)
    auth = prepare(url)
    s = server(url)
    ballast = tiny_disk / "ballast"
    with open(ballast, "wb") as f:  # fill the disk, leaving 100 KB free
        free = os.statvfs(tiny_disk)
        f.write(b"\0" * (free.f_bavail * free.f_frsize - 100_000))
    assert_disk_full(upload(s.base, auth, notes(60)))
    assert httpx.get(s.base + "/healthz", timeout=30).status_code == 200
    assert counts(path) == (0, 0) and integrity(path) == [("ok",)]

    ballast.unlink()  # space again: the same server stores the same upload
    assert upload(s.base, auth, notes(60)).status_code == 201
    s.stop()
    turns, utterances = counts(path)
    assert turns == 480 and whole_sessions(path, turns, utterances) == 1
    assert integrity(path) == [("ok",)]
