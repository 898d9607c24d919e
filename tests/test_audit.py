"""The audit log: every view, change, export and deletion of session content is recorded, in
the same transaction as the change; the database refuses to change or remove an event; the
admin's page and CSV show the events and no content."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from app import audit, security, store, users
from app.audit import Event
from app.coding import code_transcripts
from app.models import AuditEvent, Session, TurnRecord, UtteranceRecord, Visibility, utcnow
from app.parsers import read_text
from app.scheme import load_scheme
from tests.conftest import NOTES
from tests.test_access import app_routes

CONTENT_WORDS = ("judged from every side", "missing school", "gone nine", "bags the night before")

# Every route that shows, changes, exports or deletes session content, and the event it writes.
CONTENT_ROUTES = {
    ("GET", "/sessions/{session_id}"): Event.session_view,
    ("GET", "/sessions/{session_id}/export.csv"): Event.session_export,
    ("GET", "/sessions/{session_id}/export.json"): Event.session_export,
    ("GET", "/sessions/{session_id}/feedback"): Event.feedback_view,  # also the print view
    ("GET", "/sessions/{session_id}/feedback/edit"): Event.feedback_view,
    ("POST", "/sessions/{session_id}/feedback"): Event.feedback_edit,
    ("GET", "/sessions/{session_id}/utterances/{utterance_id}"): Event.session_view,
    ("GET", "/sessions/{session_id}/utterances/{utterance_id}/correct"): Event.session_view,
    ("POST", "/sessions/{session_id}/utterances/{utterance_id}"): Event.session_correct,
    ("POST", "/sessions/{session_id}/ratings"): Event.session_rate,
    ("POST", "/sessions/{session_id}/delete"): Event.session_delete,
    ("POST", "/sessions"): Event.session_create,
    ("GET", "/api/sessions"): Event.session_list,
    ("GET", "/api/sessions/{session_id}"): Event.session_view,
    ("POST", "/api/sessions"): Event.session_create,
    ("DELETE", "/api/sessions/{session_id}"): Event.session_delete,
    ("GET", "/trainer/export.csv"): Event.trainer_export,
}


@pytest.fixture
def world(db, coder, make_user):  # noqa: ANN001, ANN201
    people = {"owner": make_user("pat"), "supervisor": make_user("sup", role="supervisor"),
              "trainer": make_user("tess", role="trainer"), "admin": make_user("adm", role="admin")}
    coded = code_transcripts([read_text(NOTES)], load_scheme(), coder)[0]
    meta = store.SessionMeta(session_date=date(2026, 3, 2), family_ref="FAM-1", change_goals="school",
                             visibility=Visibility.trainer)
    ids = [store.store_session(db, owner=people["owner"], coded=coded, meta=meta, scheme=load_scheme(),
                               model={"name": "m", "version": "1"}).id for _ in range(3)]
    utterance = db.exec(select(UtteranceRecord.id).join(TurnRecord).where(
        UtteranceRecord.session_id == ids[0], TurnRecord.role == "practitioner")).first()
    return {"people": people, "session": ids[0], "to_delete": ids[1:], "utterance": utterance}


def signed_in(app, db, user) -> tuple[TestClient, str]:  # noqa: ANN001
    c = TestClient(app)
    raw = users.issue_token(db, user=user, kind="login")
    db.commit()
    c.cookies.set("mifi_login", raw)
    return c, security.csrf_token(raw)


def newest(db) -> AuditEvent:  # noqa: ANN001
    db.expire_all()
    return db.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def all_events(db) -> list[AuditEvent]:  # noqa: ANN001
    db.expire_all()
    return list(db.exec(select(AuditEvent).order_by(AuditEvent.id)))


def test_every_content_route_is_listed_here(app):
    served = {(m, p) for m, p, _ in app_routes(app)
              if "{session_id}" in p or p.startswith("/api/sessions") or p in ("/sessions", "/trainer/export.csv")}
    served -= {("GET", "/sessions")}  # the list shows dates and references, no content
    assert served == set(CONTENT_ROUTES)


def test_every_content_route_writes_an_audit_event(app, db, world):
    people, sid, uid = world["people"], world["session"], world["utterance"]
    clients = {role: signed_in(app, db, people[role]) for role in ("owner", "supervisor", "trainer")}
    ids = {"session_id": sid, "utterance_id": uid}
    htmx = {"headers": {"HX-Request": "true"}}  # without it, the utterance route only redirects
    plans = {  # (method, path) -> (who, keyword arguments of the request, the target)
        ("GET", "/sessions/{session_id}/utterances/{utterance_id}"): ("owner", htmx, sid),
        ("POST", "/sessions/{session_id}/feedback"): ("supervisor", {"data": {"action": "save"}}, sid),
        ("GET", "/sessions/{session_id}/feedback/edit"): ("supervisor", {}, sid),
        ("POST", "/sessions/{session_id}/utterances/{utterance_id}"): ("owner", {"data": {"code": "NC"}}, sid),
        ("POST", "/sessions/{session_id}/ratings"): ("owner", {"data": {"rating_cultivating_change": "4"}}, sid),
        ("POST", "/sessions/{session_id}/delete"): ("owner", {}, world["to_delete"][0]),
        ("DELETE", "/api/sessions/{session_id}"): ("owner", {}, world["to_delete"][1]),
        ("POST", "/sessions"): ("owner", {"data": {"text": NOTES, "session_date": "2026-03-03",
                                                   "family_ref": "FAM-2", "change_goals": "school",
                                                   "setting": "home visit", "visibility": "private"}}, "new"),
        ("POST", "/api/sessions"): ("owner", {"json": {"text": NOTES, "session_date": "2026-03-04",
                                                       "family_ref": "FAM-3", "change_goals": "school"}}, "new"),
        ("GET", "/api/sessions"): ("owner", {}, None),
        ("GET", "/trainer/export.csv"): ("trainer", {}, None),
    }
    for (method, path), action in CONTENT_ROUTES.items():
        who, kwargs, target = plans.get((method, path), ("owner", {}, sid))
        c, csrf = clients[who]
        url = path.format(**{**ids, "session_id": target}) if target not in (None, "new") else path.format(**ids)
        kwargs = dict(kwargs)
        if method != "GET":
            if "data" in kwargs:
                kwargs["data"] = {**kwargs["data"], "csrf_token": csrf}
            kwargs["headers"] = {**kwargs.get("headers", {}), "X-CSRF-Token": csrf}
        before = newest(db)
        r = c.request(method, url, follow_redirects=False, **kwargs)
        assert r.status_code < 400, (method, path, r.status_code)
        e = newest(db)
        assert e is not None and (before is None or e.id > before.id), f"{method} {path} wrote no event"
        assert e.action == action and e.username == people[who].username, (method, path, e.action)
        assert e.user_id == people[who].id and e.role == people[who].role and e.address == "testclient"
        if target == "new":
            assert db.get(Session, e.target) is not None
        else:
            assert e.target == target, (method, path)
    assert not [e for e in all_events(db) if any(w in e.detail for w in CONTENT_WORDS)]


def test_cached_session_pages_are_recorded_too(app, db, world):
    c, _ = signed_in(app, db, world["people"]["owner"])
    for _ in range(3):
        assert c.get(f"/sessions/{world['session']}").status_code == 200
    assert [e.action for e in all_events(db)] == [Event.session_view] * 3


def test_a_change_and_its_event_are_one_transaction(app, db, world, monkeypatch):
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store, "_touch", broken)
    c, csrf = signed_in(app, db, world["people"]["owner"])
    c = TestClient(app, raise_server_exceptions=False, cookies=c.cookies)
    r = c.post(f"/sessions/{world['session']}/utterances/{world['utterance']}",
               data={"code": "NC", "csrf_token": csrf})
    assert r.status_code == 500
    assert [e.action for e in all_events(db)] == []  # neither the correction nor its event


def test_deleting_a_session_keeps_its_events(app, db, world):
    c, csrf = signed_in(app, db, world["people"]["owner"])
    sid = world["to_delete"][0]
    c.get(f"/sessions/{sid}")
    assert c.post(f"/sessions/{sid}/delete", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert db.get(Session, sid) is None
    assert [(e.action, e.target) for e in all_events(db)] == [(Event.session_view, sid), (Event.session_delete, sid)]


def test_the_database_refuses_to_change_or_remove_events(engine, db):
    audit.record(db, audit.Actor(1, "pat", "practitioner", "10.0.0.1"), Event.session_view, target=7, commit=True)
    for sql in ("UPDATE audit_event SET detail = 'nothing happened'", "DELETE FROM audit_event"):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(sql))
    event = newest(db)
    event.detail = "rewritten"
    with pytest.raises(DBAPIError, match="append-only"):
        db.commit()
    db.rollback()
    assert [(e.username, e.detail) for e in all_events(db)] == [("pat", "")]


def test_the_app_has_no_code_that_changes_or_removes_events():
    root = Path(__file__).resolve().parent.parent / "app"
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"(update|delete)\(\s*AuditEvent", source, re.I), path
        assert not re.search(r"(UPDATE|DELETE FROM)\s+audit_event", source), path
    assert "db.delete" not in (root / "audit.py").read_text(encoding="utf-8")


def test_record_joins_the_callers_transaction(db):
    actor = audit.Actor(1, "pat", "practitioner")
    audit.record(db, actor, Event.session_correct, target=1)
    db.rollback()
    assert all_events(db) == []
    audit.record(db, actor, Event.session_correct, target=1)
    db.commit()
    assert [e.action for e in all_events(db)] == [Event.session_correct]
    assert all_events(db)[0].at.tzinfo is not None


def test_purge_is_recorded_per_session(app, db, world):
    old = world["session"]
    s = db.get(Session, old)
    s.created_at = utcnow() - timedelta(days=400)
    db.add(s)
    db.commit()
    assert [x.id for x in store.purge_text(db, days=365)] == [old]
    (e,) = all_events(db)
    assert (e.action, e.target, e.username, e.user_id) == (Event.purge, old, "(command line)", None)
    assert "365 days" in e.detail


def test_sign_ins_sign_outs_and_password_changes_are_recorded(client, db, make_user):
    from tests.conftest import login
    from tests.test_routes_auth import sign_in

    make_user("pat")
    sign_in(client, "pat", "wrong password")
    sign_in(client, "nobody-here", "wrong password")
    csrf = login(client, "pat")
    client.post("/account/password", data={"csrf_token": csrf, "current_password": "a long test password",
                                           "new_password": "another long password",
                                           "new_password_again": "another long password"})
    client.post("/logout", data={"csrf_token": csrf})
    got = [(e.action, e.username, e.detail) for e in all_events(db)]
    assert got == [(Event.login_failed, "pat", ""), (Event.login_failed, "", "unknown username"),
                   (Event.login, "pat", ""), (Event.password_change, "pat", "0 other logins ended"),
                   (Event.logout, "pat", "")]


# The admin's page ---------------------------------------------------------------------------

def _events(db, n: int, **kw) -> None:  # noqa: ANN001
    for i in range(n):
        audit.record(db, audit.Actor(i % 3 + 1, f"user{i % 3}", "practitioner", "10.0.0.1"),
                     kw.get("action", Event.session_view), target=kw.get("target", i))
    db.commit()


def test_the_audit_page_lists_newest_first_and_paginates(app, db, world):
    _events(db, 120)
    c, _ = signed_in(app, db, world["people"]["admin"])
    page = BeautifulSoup(c.get("/admin/audit").text, "html.parser")
    rows = page.select("table.audit tbody tr")
    assert len(rows) == audit.PAGE_SIZE
    assert rows[0].select("td")[4].text == "119"  # the newest
    region = page.select_one(".table-wrap[role=region]")
    assert region["tabindex"] == "0" and page.select_one("table.audit caption")
    assert [th["scope"] for th in page.select("table.audit thead th")] == ["col"] * 7
    assert "Page 1 of 3" in page.select_one("nav.pagination").text
    second = BeautifulSoup(c.get(page.select_one("a[rel=next]")["href"]).text, "html.parser")
    assert second.select("table.audit tbody tr")[0].select("td")[4].text == "69"
    last = BeautifulSoup(c.get("/admin/audit?page=3").text, "html.parser")
    assert [r.select("td")[4].text for r in last.select("table.audit tbody tr")][-1] == "0"


def test_the_audit_page_filters_by_user_action_session_and_dates(app, db, world):
    _events(db, 9)
    audit.record(db, audit.Actor(1, "user0"), Event.session_export, target=4, commit=True)
    c, _ = signed_in(app, db, world["people"]["admin"])

    def rows(query: str) -> list[list[str]]:
        r = c.get("/admin/audit?" + query)
        assert r.status_code == 200, r.text
        return [[td.text for td in tr.select("td")] for tr in
                BeautifulSoup(r.text, "html.parser").select("table.audit tbody tr")]

    assert {r[1] for r in rows("user=user1")} == {"user1"} and len(rows("user=user1")) == 3
    assert [r[3] for r in rows("action=session.export")] == ["session.export"]
    assert len(rows("action=session")) == 10  # a prefix: every session event
    assert [r[4] for r in rows("session=4")] == ["4", "4"]
    today = date.today()
    assert len(rows(f"since={today}&until={today}")) == 10
    assert rows(f"until={today - timedelta(days=1)}") == []
    bad = c.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422
    assert BeautifulSoup(bad.text, "html.parser").select_one("#filter-since-error")


def test_only_admins_see_the_audit_log(app, db, world):
    for role in ("owner", "supervisor", "trainer"):
        c, _ = signed_in(app, db, world["people"][role])
        assert c.get("/admin/audit").status_code == 404
        assert c.get("/admin/audit.csv").status_code == 404


def test_the_audit_export_is_formula_safe_audited_and_has_no_content(app, db, world):
    owner, _ = signed_in(app, db, world["people"]["owner"])
    owner.get(f"/sessions/{world['session']}")
    audit.record(db, audit.Actor(None, "=HYPERLINK(\"http://evil\")"), Event.login_failed, commit=True)
    c, _ = signed_in(app, db, world["people"]["admin"])
    r = c.get("/admin/audit.csv?action=session.view")
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["action"], x["target"]) for x in rows] == [("session.view", str(world["session"]))]
    everything = c.get("/admin/audit.csv").text
    assert "'=HYPERLINK" in everything and "\n=HYPERLINK" not in everything
    e = newest(db)
    assert (e.action, e.username) == (Event.audit_export, "adm")
    page = c.get("/admin/audit").text
    assert not [w for w in CONTENT_WORDS if w in page or w in everything]
