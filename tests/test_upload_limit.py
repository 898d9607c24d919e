"""Uploads at, just over and far over the size limit: the web form, the API and `mifi code`."""

import asyncio
import subprocess
import sys
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from app.config import Settings
from app.models import Session
from app.upload_limit import FORM_ROOM, BodyLimit
from tests.conftest import NOTES, login
from tests.test_cli import ROOT, mifi
from tests.test_routes_api import token_for

LIMIT = 10_000  # bytes: MIFI_MAX_UPLOAD_MB=0.01
FIELDS = {"session_date": "2026-01-05", "family_ref": "FAM-9", "change_goals": "school on time",
          "setting": "office", "visibility": "private"}


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite://", demo=False, max_upload_mb=LIMIT / 1_000_000)


def notes_of(size: int) -> bytes:
    """Notes with speaker prefixes, exactly `size` bytes long."""
    data = NOTES.encode() * (size // len(NOTES.encode()))
    return data + b"SW: " + b"x" * (size - len(data) - 4)


def count(db) -> int:  # noqa: ANN001
    db.expire_all()
    return db.exec(select(func.count()).select_from(Session)).one()


def test_api_upload_at_the_limit_is_coded_one_byte_over_is_refused(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    r = client.post("/api/sessions", data=FIELDS, headers=auth,
                    files={"file": ("at.txt", notes_of(LIMIT), "text/plain")})
    assert r.status_code == 201 and count(db) == 1
    r = client.post("/api/sessions", data=FIELDS, headers=auth,
                    files={"file": ("over.txt", notes_of(LIMIT + 1), "text/plain")})
    assert r.status_code == 422 and count(db) == 1
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "file"]
    assert "over.txt is more than 10,000 bytes, over the limit of 10,000 bytes" in error["msg"]


def test_api_typed_notes_over_the_limit_are_refused(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    text = notes_of(LIMIT + 1).decode()
    r = client.post("/api/sessions", json={**FIELDS, "text": text}, headers=auth)
    assert r.status_code == 422 and "over the limit of 10,000 bytes" in r.text
    assert r.json()["detail"][0]["loc"] == ["body", "text"] and count(db) == 0


def test_api_far_over_the_limit_is_refused_before_reading(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    big = b"SW: hello\n" * ((LIMIT + FORM_ROOM) // 10 + 1)
    r = client.post("/api/sessions", data=FIELDS, headers=auth, files={"file": ("big.txt", big, "text/plain")})
    assert r.status_code == 413 and count(db) == 0
    assert "over the limit of 10,000 bytes" in r.json()["detail"]
    r = client.post("/api/sessions", json={**FIELDS, "text": big.decode()}, headers=auth)
    assert r.status_code == 413 and count(db) == 0


def web_fields(csrf: str) -> dict[str, str]:
    return {"csrf_token": csrf, **FIELDS, "session_date": date.today().isoformat()}


def test_web_upload_at_the_limit_one_byte_over_and_far_over(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/sessions", data=web_fields(csrf), follow_redirects=False,
                    files={"file": ("at.txt", notes_of(LIMIT), "text/plain")})
    assert r.status_code == 303 and count(db) == 1
    r = client.post("/sessions", data=web_fields(csrf),
                    files={"file": ("over.txt", notes_of(LIMIT + 1), "text/plain")})
    assert r.status_code == 422 and count(db) == 1
    message = BeautifulSoup(r.text, "html.parser").select_one("#file-error").get_text()
    assert "over the limit of 10,000 bytes" in message
    r = client.post("/sessions", data=web_fields(csrf),
                    files={"file": ("far.txt", notes_of(LIMIT + FORM_ROOM + 1), "text/plain")})
    assert r.status_code == 413 and count(db) == 1
    page = BeautifulSoup(r.text, "html.parser")
    assert "over the limit of 10,000 bytes" in page.get_text() and page.select_one("main, body")


def test_web_typed_notes_over_the_limit(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/sessions", data={**web_fields(csrf), "text": notes_of(LIMIT + 1).decode()})
    assert r.status_code == 422 and count(db) == 0
    message = BeautifulSoup(r.text, "html.parser").select_one("#text-error").get_text()
    assert "over the limit of 10,000 bytes" in message


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit():
    limit, chunk, pulled = 5_000_000, 65_536, []
    received = []

    async def app(scope, receive, send):  # noqa: ANN001, ANN202
        while (message := await receive())["more_body"]:
            received.append(len(message["body"]))
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive():  # noqa: ANN202 - 50 MB, sent in chunks with no Content-Length
        pulled.append(chunk)
        return {"type": "http.request", "body": b"x" * chunk, "more_body": sum(pulled) < 50_000_000}

    sent = []

    async def send(message):  # noqa: ANN001, ANN202
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/sessions", "headers": [],
             "query_string": b"", "app": None}
    asyncio.run(BodyLimit(app, file_limit=limit)(scope, receive, send))
    assert sent[0]["status"] == 413 and b"over the limit of 5,000,000 bytes" in sent[1]["body"]
    assert sum(pulled) <= limit + FORM_ROOM + chunk


def test_a_declared_length_over_the_limit_is_refused_unread():
    pulled = []

    async def app(scope, receive, send):  # noqa: ANN001, ANN202
        raise AssertionError("the app should not be called")

    async def receive():  # noqa: ANN202
        pulled.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    sent = []

    async def send(message):  # noqa: ANN001, ANN202
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/sessions", "query_string": b"",
             "headers": [(b"content-length", b"50000000")]}
    asyncio.run(BodyLimit(app, file_limit=5_000_000)(scope, receive, send))
    assert sent[0]["status"] == 413 and pulled == []


def test_cli_at_the_limit_one_byte_over_and_far_over(tmp_path):
    at, over, far = tmp_path / "at.txt", tmp_path / "over.txt", tmp_path / "far.txt"
    at.write_bytes(notes_of(LIMIT))
    over.write_bytes(notes_of(LIMIT + 1))
    with far.open("wb") as f:  # 50 MB, sparse: refused from its size, never read
        f.truncate(50_000_000)
    max_size = ("--max-size", str(LIMIT / 1_000_000))
    r = mifi("code", str(at), *max_size, "--format", "csv")
    assert r.returncode == 0 and r.stdout.count("\n") > 10, r.stderr
    for path, size in ((over, "more than 10,000"), (far, "50,000,000")):
        r = mifi("code", str(path), *max_size)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stdout == ""
        assert f"{path.name} is {size} bytes, over the limit of 10,000 bytes" in r.stderr
    r = mifi("code", "-", *max_size, stdin=notes_of(LIMIT * 3).decode())
    assert r.returncode == 2 and "over the limit of 10,000 bytes" in r.stderr


def test_cli_reads_undecodable_standard_input():
    # Standard input is decoded with surrogateescape: lone surrogates once crashed spaCy.
    r = subprocess.run([sys.executable, "-m", "app.cli", "code", "-", "--format", "csv"],
                       input=b"SW: hi \xff there\x00\nMum: ok\n", capture_output=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
    assert "hi \ufffd there" in r.stdout.decode()
