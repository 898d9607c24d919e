import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import AuditEvent, Token
from tests.conftest import PASSWORD, login


def test_create_use_and_revoke_an_api_token(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    page = BeautifulSoup(client.post("/account/tokens", data={"csrf_token": csrf, "name": "my script"}).text,
                         "html.parser")
    token = page.select_one("#new-token").text
    assert token.startswith("mifi_")
    assert [td.text for td in page.select("tbody tr td:first-child")] == ["my script"]
    client.cookies.clear()
    assert client.get("/api/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    csrf = login(client, "pat")  # a new login has a new CSRF token
    revoke = page.select_one("form[action$='/revoke']")["action"]
    assert client.post(revoke, data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert client.get("/api/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_needs_a_name(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/account/tokens", data={"csrf_token": csrf, "name": " "})
    assert r.status_code == 422
    assert BeautifulSoup(r.text, "html.parser").select_one("#token-name-error")


# Changing your password ---------------------------------------------------------------------

NEW = "another long password"


def _change(client, csrf: str, current: str = PASSWORD, new: str = NEW, again: str | None = None):  # noqa: ANN001, ANN201
    return client.post("/account/password", data={"csrf_token": csrf, "current_password": current,
                                                  "new_password": new,
                                                  "new_password_again": NEW if again is None else again})


def test_the_account_page_has_a_password_form(client, make_user):
    make_user("pat")
    login(client, "pat")
    form = BeautifulSoup(client.get("/account").text, "html.parser").select_one("form[action='/account/password']")
    fields = {i["name"]: i.get("autocomplete") for i in form.select("input[type=password]")}
    assert fields == {"current_password": "current-password", "new_password": "new-password",
                      "new_password_again": "new-password"}
    assert form.select_one("input[name=csrf_token]")["value"]
    for i in form.select("input[type=password]"):
        assert form.select_one(f"label[for={i['id']}]")


def test_changing_the_password_ends_every_other_login(app, client, db, make_user):
    make_user("pat")
    other = TestClient(app)
    login(other, "pat")  # e.g. a forgotten computer
    csrf = login(client, "pat")
    client.post("/account/tokens", data={"csrf_token": csrf, "name": "script"})
    r = _change(client, csrf)
    assert r.status_code == 200
    assert "signed out everywhere else" in BeautifulSoup(r.text, "html.parser").select_one("[role=status]").text
    assert other.get("/sessions", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/sessions").status_code == 200  # this login stays
    assert sorted(t.kind for t in db.exec(select(Token))) == ["api", "login"]  # API tokens stay
    client.cookies.clear()
    assert login(client, "pat", NEW)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "password.change")).one()
    assert event.username == "pat" and event.detail == "1 other login ended"


@pytest.mark.parametrize("current, new, again, field, message", [
    ("wrong password", NEW, NEW, "current-password", "not right"),
    (PASSWORD, NEW, "something else", "new-password-again", "do not match"),
    (PASSWORD, "short", "short", "new-password", "at least 10"),
    (PASSWORD, "pat", "pat", "new-password", "at least 10"),
])
def test_a_password_change_is_refused_with_the_reason(client, db, make_user, current, new, again, field, message):
    make_user("pat")
    csrf = login(client, "pat")
    r = _change(client, csrf, current, new, again)
    assert r.status_code == 422
    page = BeautifulSoup(r.text, "html.parser")
    assert message in page.select_one(f"#{field}-error").text
    assert page.select_one(".error-summary a")["href"] == f"#{field}"
    client.cookies.clear()
    assert login(client, "pat")  # the old password still works
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "password.change")).all() == []


def test_guessing_the_current_password_counts_as_failed_sign_ins(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    for _ in range(5):
        _change(client, csrf, current="wrong password")
    r = _change(client, csrf)  # the right one, too late
    assert r.status_code == 422 and "Too many" in r.text


def test_changing_the_password_needs_the_csrf_token(client, make_user):
    make_user("pat")
    login(client, "pat")
    assert _change(client, "").status_code == 403
