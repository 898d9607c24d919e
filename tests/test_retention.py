"""Retention and deletion: `mifi purge` removes raw text after N days (codes and scores stay);
deleting a session really deletes it and its rows."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from app import store
from app.models import (
    Correction, FeedbackRecord, HumanRating, Session, TurnRecord, UtteranceRecord, User, utcnow,
)
from tests.conftest import add_session, login

ROOT = Path(__file__).resolve().parent.parent


def _age(db, session_id: int, days: int) -> None:  # noqa: ANN001
    s = db.get(Session, session_id)
    s.created_at = utcnow() - timedelta(days=days)
    db.add(s)
    db.commit()


def _new(client, csrf) -> int:  # noqa: ANN001
    r = add_session(client, csrf)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def _texts(db, session_id: int) -> list[str]:  # noqa: ANN001
    db.expire_all()
    return [t.text for t in db.exec(select(TurnRecord).where(TurnRecord.session_id == session_id))] + \
        [u.text for u in db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == session_id))]


def test_purge_dry_run_then_real_keeps_codes_and_scores(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")
    old, new = _new(client, csrf), _new(client, csrf)
    _age(db, old, 400)
    codes = [u.auto_code for u in db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == old))]
    summary = db.get(Session, old).summary_json

    found = store.purge_text(db, days=365, dry_run=True)
    assert [s.id for s in found] == [old]
    assert all(_texts(db, old))  # nothing changed

    assert [s.id for s in store.purge_text(db, days=365)] == [old]
    assert not any(_texts(db, old)) and all(_texts(db, new))
    db.expire_all()
    assert [u.auto_code for u in db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == old))] == codes
    assert db.get(Session, old).summary_json == summary
    assert store.purge_text(db, days=365) == []  # nothing left to purge

    page = client.get(f"/sessions/{old}").text
    assert "Text removed after 365 days" in page and "text removed" in page and "judged from every side" not in page
    assert "judged from every side" in client.get(f"/sessions/{new}").text
    feedback = client.get(f"/sessions/{old}/feedback").text
    assert "text removed after 365 days" in feedback and "Tiring" not in feedback


def test_purge_rewrites_saved_feedback_quotes(client, make_user, db):
    owner = make_user("pat")
    csrf = login(client, "pat")
    sid = _new(client, csrf)
    db.add(FeedbackRecord(session_id=sid, edited_by_id=owner.id, status="shared",
                          sections_json=json.dumps({"strengths": "Reflection: good\n“Honestly? Tiring.”"})))
    db.commit()
    _age(db, sid, 30)
    store.purge_text(db, days=7)
    db.expire_all()
    record = db.exec(select(FeedbackRecord)).one()
    assert "Tiring" not in record.sections_json and "text removed after 7 days" in record.sections_json


def test_mifi_purge_command(tmp_path, coder):  # noqa: ANN001
    from sqlmodel import Session as DbSession

    from app.coding import code_transcripts
    from app.db import init_db, make_engine
    from app.parsers import read_text
    from app.scheme import load_scheme
    from tests.conftest import NOTES

    path = tmp_path / "m.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    scheme = load_scheme()
    with DbSession(engine) as db:
        from app import users

        owner = users.create_user(db, username="pat", password="a long test password", role="practitioner",
                                  team="North")
        db.commit()
        coded = code_transcripts([read_text(NOTES)], scheme, coder)[0]
        meta = store.SessionMeta(session_date=utcnow().date(), family_ref="FAM-7", change_goals="school")
        sid = store.store_session(db, owner=owner, coded=coded, meta=meta, scheme=scheme,
                                  model={"name": "m", "version": "1"}).id
        _age(db, sid, 40)
    engine.dispose()

    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIFI_DB_PATH",
                                                            "MIFI_RETENTION_DAYS")}

    def mifi(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", "purge", "--db", str(path), *args],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)

    assert "0 sessions" in mifi().stderr  # default 365 days: too recent
    dry = mifi("--days", "30", "--dry-run")
    assert dry.returncode == 0 and "would remove the text of 1 session" in dry.stderr
    assert dry.stdout.startswith(f"{sid}\t")
    engine = make_engine(f"sqlite:///{path}")
    with DbSession(engine) as db:
        assert all(_texts(db, sid))
    real = mifi("--days", "30")
    assert real.returncode == 0 and "removed the text of 1 session" in real.stderr
    with DbSession(engine) as db:
        assert not any(_texts(db, sid))
        assert db.exec(select(UtteranceRecord)).first().auto_code
        from app.models import AuditEvent

        assert [(e.action, e.target) for e in db.exec(select(AuditEvent))] == [("purge", sid)]  # not the dry run
    engine.dispose()


def _counts(db, sid: int) -> dict[str, int]:  # noqa: ANN001
    db.expire_all()
    return {m.__name__: len(db.exec(select(m).where(m.session_id == sid)).all())
            for m in (TurnRecord, UtteranceRecord, Correction, HumanRating, FeedbackRecord)}


def test_the_owner_deletes_a_session_and_all_its_rows(client, make_user, db):
    owner = make_user("pat")
    csrf = login(client, "pat")
    sid = _new(client, csrf)
    u = db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == sid)).first()
    db.add(Correction(utterance_id=u.id, session_id=sid, user_id=owner.id, previous_code="Q", code="SR"))
    db.add(FeedbackRecord(session_id=sid, edited_by_id=owner.id))
    db.commit()
    page = client.get(f"/sessions/{sid}").text
    assert f'action="/sessions/{sid}/delete"' in page
    assert client.post(f"/sessions/{sid}/delete", data={}, follow_redirects=False).status_code in (400, 403)
    assert db.get(Session, sid) is not None  # no CSRF token: nothing deleted
    r = client.post(f"/sessions/{sid}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sessions")
    db.expire_all()
    assert db.get(Session, sid) is None
    assert set(_counts(db, sid).values()) == {0}
    assert client.get(f"/sessions/{sid}").status_code == 404
    assert db.get(User, owner.id) is not None


def test_delete_through_the_api_and_others_cannot(client, make_user, db):
    from tests.test_routes_api import BODY, token_for

    make_user("pat")
    make_user("sup", role="supervisor")
    auth = token_for(client, db, "pat")
    sid = client.post("/api/sessions", json={**BODY, "visibility": "shared"}, headers=auth).json()[0]["id"]
    other = token_for(client, db, "sup")
    assert client.get(f"/api/sessions/{sid}", headers=other).status_code == 200  # sees it, may not delete
    assert client.delete(f"/api/sessions/{sid}", headers=other).status_code == 404
    assert db.get(Session, sid) is not None
    assert client.delete(f"/api/sessions/{sid}", headers=auth).status_code == 204
    assert client.get(f"/api/sessions/{sid}", headers=auth).status_code == 404
    assert client.delete(f"/api/sessions/{sid}", headers=auth).status_code == 404
    assert set(_counts(db, sid).values()) == {0}
