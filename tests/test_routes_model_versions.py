"""The admin's model versions page: listing, building a candidate in the background with
htmx polling, promoting; admins only, CSRF like every form."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session as DbSession

from app import learning, store
from app.config import Settings
from app.parsers import read_text
from app.scheme import load_scheme
from tests.conftest import NOTES, login


@pytest.fixture
def settings(tmp_path: Path, small_corpus: Path) -> Settings:
    return Settings(database_url="sqlite://", demo=False, model_dir=tmp_path / "models",
                    train_corpus=small_corpus, train_folds=1, promote_tolerance=1.0)


def sign_in(client, username: str) -> str:  # noqa: ANN001
    return login(client, username)


def _reviewed_sessions(engine, coder, owner) -> None:  # noqa: ANN001
    scheme = load_scheme("miti-4.2.1")
    with DbSession(engine) as db:
        for i in range(4):
            (s,) = store.code_and_store(db, owner=owner, transcripts=[read_text(NOTES)], scheme=scheme,
                                        meta=store.SessionMeta(session_date=date(2026, 3, 1 + i)),
                                        coder=coder)
            stored = store.load_session(db, session=s, scheme=scheme)
            u = stored.turns[0].utterances[0]
            store.correct_utterance(db, stored=stored, utterance=u, user=owner, scheme=scheme,
                                    code="GI" if u.auto_code != "GI" else "NC")


@pytest.mark.parametrize("role", ["practitioner", "supervisor", "trainer"])
def test_only_admins_see_the_page_or_act(client, make_user, role):
    make_user("someone", role=role)
    csrf = sign_in(client, "someone")
    assert client.get("/admin/models").status_code == 404
    assert client.get("/admin/models/build", headers={"HX-Request": "true"}).status_code == 404
    assert client.post("/admin/models/build", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/admin/models/1/promote", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/admin/models/shipped", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/admin/models/1/remove", data={"csrf_token": csrf}).status_code == 404


def test_signed_out_visitors_are_sent_to_login(client):
    r = client.get("/admin/models", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_empty_page_says_the_shipped_model_is_used(client, make_user, coder):
    make_user("root", role="admin", team="")
    sign_in(client, "root")
    r = client.get("/admin/models")
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.h1.text == "Model versions"
    assert coder.model_version in soup.select_one("dl.meta").text
    assert "No versions have been built yet" in r.text
    assert soup.select_one('#build form input[name="csrf_token"]')["value"]
    assert not soup.select("script:not([src])")


def test_build_needs_the_csrf_token(client, make_user):
    make_user("root", role="admin", team="")
    sign_in(client, "root")
    assert client.post("/admin/models/build", data={}).status_code == 403


def test_build_in_background_then_promote(client, app, engine, make_user, coder, monkeypatch):
    monkeypatch.delenv("MIFI_MODEL", raising=False)
    _reviewed_sessions(engine, coder, make_user("pat"))
    make_user("root", role="admin", team="")
    csrf = sign_in(client, "root")
    r = client.post("/admin/models/build", data={"csrf_token": csrf},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200
    job = app.state.model_job
    job.thread.join(timeout=120)
    assert job.done and not job.error, job.error
    fragment = client.get("/admin/models/build", headers={"HX-Request": "true"})
    soup = BeautifulSoup(fragment.text, "html.parser")
    section = soup.select_one("section#build")
    assert "hx-trigger" not in section.attrs and f"Built {job.version}" in section.text

    page = BeautifulSoup(client.get("/admin/models").text, "html.parser")
    table = page.select_one("table")
    assert job.version in table.caption.text and coder.model_version in table.caption.text
    headers = [th.text for th in table.select("thead th")]
    assert headers[1].startswith(coder.model_version) and headers[2] == job.version
    assert any("Practitioner macro F1" in th.text for th in table.select("tbody th"))
    form = page.select_one(f'form[action$="/promote"]')
    assert form.select_one('input[name="csrf_token"]')["value"] == csrf

    r = client.post(form["action"], data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert app.state.coder.model_version == job.version
    with DbSession(engine) as db:
        assert learning.active_version(db).version == job.version
        assert learning.active_version(db).promoted_by == "root"
    page = BeautifulSoup(client.get("/admin/models").text, "html.parser")
    assert page.select_one(".chip").text == "Active" and not page.select('form[action$="/promote"]')
    # promoting twice is refused, with the reason on the page
    again = client.post(form["action"], data={"csrf_token": csrf})
    assert again.status_code == 409 and "already the active model" in again.text


def test_a_running_build_is_polled(client, app, make_user):
    make_user("root", role="admin", team="")
    sign_in(client, "root")
    app.state.model_job = learning.BuildJob(messages=["cross-validating the practitioner model"])
    soup = BeautifulSoup(client.get("/admin/models/build", headers={"HX-Request": "true"}).text,
                         "html.parser")
    section = soup.select_one("section#build")
    assert section["hx-trigger"] == "every 2s" and section["hx-get"] == "/admin/models/build"
    assert "cross-validating" in section.text and not section.select("form")
    assert client.get("/admin/models/build", follow_redirects=False).status_code == 303


def test_build_errors_are_shown(client, app, make_user):
    make_user("root", role="admin", team="")
    csrf = sign_in(client, "root")
    client.post("/admin/models/build", data={"csrf_token": csrf})
    app.state.model_job.thread.join(timeout=30)
    r = client.get("/admin/models")
    assert "no reviewed sessions yet" in BeautifulSoup(r.text, "html.parser").select_one("#build").text


def test_the_admin_can_go_back_to_the_shipped_model(client, app, engine, make_user, coder, settings):
    admin = make_user("root", role="admin", team="")
    _reviewed_sessions(engine, coder, make_user("pat"))
    with DbSession(engine) as db:
        row = learning.build_candidate(db, settings, built_by="root")
        learning.promote(db, settings, row, by="root")
        version = row.version
    csrf = sign_in(client, admin.username)
    page = BeautifulSoup(client.get("/admin/models").text, "html.parser")
    assert page.select_one('form[action="/admin/models/shipped"] button')
    r = client.post("/admin/models/shipped", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/models?shipped=1"
    assert learning.model_for_coding(settings) is None  # the shipped model codes new sessions
    assert app.state.coder.model_version != version
    with DbSession(engine) as db:
        assert learning.active_version(db) is None and learning.versions(db)[0].version == version
    page = BeautifulSoup(client.get("/admin/models?shipped=1").text, "html.parser")
    assert "shipped model again" in page.select_one('[role="status"]').text
    assert page.select_one('form[action="/admin/models/shipped"]') is None
    again = client.post("/admin/models/shipped", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already" in again.text


def _promoted_and_candidate(engine, coder, settings, make_user):  # noqa: ANN001, ANN202
    """An admin, a promoted version, and a newer candidate built against it (detached rows)."""
    admin = make_user("root", role="admin", team="")
    _reviewed_sessions(engine, coder, make_user("pat"))
    with DbSession(engine) as db:
        active = learning.build_candidate(db, settings, built_by="root")
        learning.promote(db, settings, active, by="root")
        candidate = learning.build_candidate(db, settings, built_by="root")
        db.refresh(active)
        db.expunge_all()
    return admin, active, candidate


def test_a_version_not_in_use_can_be_removed_with_its_files(client, engine, make_user, coder, settings):
    admin, kept, old = _promoted_and_candidate(engine, coder, settings, make_user)
    kept_id, old_id = kept.id, old.id
    kept_file, old_file = settings.models_dir / kept.path, settings.models_dir / old.path
    csrf = sign_in(client, admin.username)
    page = BeautifulSoup(client.get("/admin/models").text, "html.parser")
    assert page.select_one(f'form[action="/admin/models/{old_id}/remove"]')
    assert page.select_one(f'form[action="/admin/models/{kept_id}/remove"]') is None  # the active one
    r = client.post(f"/admin/models/{old_id}/remove", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/models?removed=1"
    assert not old_file.parent.exists() and kept_file.is_file()
    assert client.post(f"/admin/models/{old_id}/remove", data={"csrf_token": csrf}).status_code == 404
    refused = client.post(f"/admin/models/{kept_id}/remove", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "active model" in refused.text
    with DbSession(engine) as db:
        assert [v.id for v in learning.versions(db)] == [kept_id]


def test_model_changes_are_audited(client, engine, make_user, coder, settings):
    from sqlmodel import select

    from app.models import AuditEvent

    admin = make_user("root", role="admin", team="")
    _reviewed_sessions(engine, coder, make_user("pat"))
    with DbSession(engine) as db:
        kept = learning.build_candidate(db, settings, built_by="root")
        old = learning.build_candidate(db, settings, built_by="root")
        kept_id, kept_version, old_id, old_version = kept.id, kept.version, old.id, old.version
    csrf = sign_in(client, admin.username)
    client.post(f"/admin/models/{kept_id}/promote", data={"csrf_token": csrf})
    client.post("/admin/models/shipped", data={"csrf_token": csrf})
    client.post(f"/admin/models/{old_id}/remove", data={"csrf_token": csrf})
    with DbSession(engine) as db:
        events = [(e.action, e.detail, e.username) for e in db.exec(
            select(AuditEvent).where(AuditEvent.action.startswith("model.")).order_by(AuditEvent.id))]
    assert events == [("model.promote", kept_version, "root"), ("model.shipped", "no version active", "root"),
                      ("model.remove", old_version, "root")]


def test_a_promotion_that_cannot_be_stored_changes_nothing(app, engine, make_user, coder, settings):
    """The audit event commits with the change: if either cannot be written, neither is, and
    the model folder still names the model that was active before."""
    admin, first, second = _promoted_and_candidate(engine, coder, settings, make_user)
    assert second.promotable, second.decision
    first_version, second_id = first.version, second.id
    before = learning.model_for_coding(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        csrf = sign_in(client, admin.username)
        with engine.begin() as conn:  # the audit log can no longer be written
            conn.exec_driver_sql("ALTER TABLE audit_event RENAME TO audit_event_away")
        try:
            r = client.post(f"/admin/models/{second_id}/promote", data={"csrf_token": csrf})
        finally:  # the PostgreSQL schema is shared by the whole run
            with engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE audit_event_away RENAME TO audit_event")
    # SQLite reports the missing table as an OperationalError (the "try again shortly" page,
    # which must render for a signed-in user too); PostgreSQL as a programming error
    assert r.status_code == (503 if engine.dialect.name == "sqlite" else 500)
    assert "Traceback" not in r.text
    with DbSession(engine) as db:
        assert learning.active_version(db).version == first_version
    assert learning.model_for_coding(settings) == before
