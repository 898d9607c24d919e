"""Redaction on ingest: names and identifiers never reach the database unless turned off."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session as DbSession
from sqlmodel import select

from app.config import Settings
from app.deps import get_db
from app.models import Session, TurnRecord, UtteranceRecord
from tests.conftest import add_session, login

SENSITIVE = """SW: Hello Donna, thanks for having me. Is Kayden at school today?
Donna: Yes. Ring me on 07700 900123 if he's late, we're at 14 Elm Road, Leeds LS6 2AB.
SW: Thanks. How have the mornings been for you and Kayden?
Donna: Hard. Tyler from next door helps sometimes.
"""
RAW = ("Donna", "Kayden", "Tyler", "07700 900123", "LS6 2AB", "Elm Road")


def _stored_text(db: DbSession) -> str:
    db.expire_all()
    parts = [t.speaker + " " + t.text for t in db.exec(select(TurnRecord))]
    parts += [u.text for u in db.exec(select(UtteranceRecord))]
    parts += [s.title + " " + s.change_goals for s in db.exec(select(Session))]
    return "\n".join(parts)


def test_a_session_is_stored_with_placeholders_only(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")
    r = add_session(client, csrf, text=SENSITIVE, names="Tyler")
    assert r.status_code == 303, r.text
    stored = _stored_text(db)
    for raw in RAW:
        assert raw not in stored, raw
    assert "[PHONE]" in stored and "[POSTCODE]" in stored
    assert "[PERSON 2]" in stored and "[\nPERSON" not in stored
    s = db.exec(select(Session)).one()
    assert "Kayden" not in s.change_goals and "[PERSON 1]" in s.change_goals
    page = client.get(r.headers["location"]).text
    for raw in RAW:
        assert raw not in page, raw
    assert "[PHONE]" in page


def test_the_preview_shows_the_redacted_text(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/sessions/preview", data={"text": SENSITIVE, "names": "Tyler"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200
    for raw in RAW:
        assert raw not in r.text, raw
    assert "[PHONE]" in r.text and "names and identifiers removed" in r.text


def test_the_api_redacts_with_given_names(client, make_user, db):
    from tests.test_routes_api import BODY, token_for

    make_user("pat")
    auth = token_for(client, db, "pat")
    r = client.post("/api/sessions", json={**BODY, "text": SENSITIVE, "names": ["Tyler"]}, headers=auth)
    assert r.status_code == 201, r.text
    for raw in RAW:
        assert raw not in _stored_text(db), raw
    one = client.get(f"/api/sessions/{r.json()[0]['id']}", headers=auth).json()
    assert "Donna" not in json.dumps(one) and "[PHONE]" in json.dumps(one)


@pytest.fixture
def client_no_redaction(engine, coder) -> Iterator[TestClient]:  # noqa: ANN001
    from app.web import create_app

    app = create_app(Settings(database_url="sqlite://", demo=False, redact=False), engine=engine, coder=coder)

    def override_db() -> Iterator[DbSession]:
        with DbSession(engine) as session:
            yield session

    app.dependency_overrides[get_db] = override_db
    with TestClient(app) as c:
        yield c


def test_redaction_off_in_settings_keeps_the_text(client_no_redaction, make_user, db):
    make_user("pat")
    csrf = login(client_no_redaction, "pat")
    r = add_session(client_no_redaction, csrf, text=SENSITIVE, names="Tyler")
    assert r.status_code == 303, r.text
    stored = _stored_text(db)
    for raw in RAW:
        assert raw in stored, raw
    assert "[PHONE]" not in stored


def test_redaction_kinds_are_configurable():
    assert Settings(redact=False).redaction is None
    only = Settings(redact_kinds="phone,postcode").redaction
    assert only.phones and only.postcodes and not only.names and not only.model_entities
    assert Settings().redaction.names


def test_cli_code_redact_flag(tmp_path, capsys):
    from app.cli import main

    path = tmp_path / "notes.txt"
    path.write_text(SENSITIVE)
    assert main(["code", str(path), "--format", "json"]) == 0
    plain = capsys.readouterr().out
    assert "Donna" in plain and "07700 900123" in plain
    assert main(["code", str(path), "--format", "json", "--redact", "--name", "Tyler"]) == 0
    redacted = capsys.readouterr().out
    for raw in RAW:
        assert raw not in redacted, raw
    assert "[PHONE]" in redacted
