import re
from datetime import timedelta

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from app.deps import LOGIN_COOKIE, LOGIN_CSRF_COOKIE
from app.models import LoginAttempt, Token
from tests.conftest import PASSWORD, login


def sign_in(client, username: str, password: str = PASSWORD, **data: str):  # noqa: ANN001, ANN201
    """Post the sign-in form as a browser would: with the token the form carries."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, **data},
                       follow_redirects=False)


def test_pages_need_a_login(client):
    r = client.get("/sessions/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/sessions/new"
    r = client.get("/sessions", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["HX-Redirect"].startswith("/login")


def test_login_sets_an_httponly_cookie_and_returns_to_next(client, make_user):
    make_user("pat")
    r = sign_in(client, "pat", next="/account")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(LOGIN_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_next_cannot_send_you_to_another_site(client, make_user):
    make_user("pat")
    r = sign_in(client, "pat", next="//evil.example/")
    assert r.headers["location"] == "/progress"  # the practitioner's home page


def test_wrong_password_keeps_the_username_and_says_so(client, make_user):
    make_user("pat")
    r = sign_in(client, "pat", "nope")
    assert r.status_code == 401
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one("#username")["value"] == "pat"
    assert "not right" in soup.select_one(".error-summary").text


def test_demo_password_is_refused_outside_demo_mode(client, db):
    from app import users

    users.create_user(db, username="practitioner1", password="demo", check_password=False)
    db.commit()
    r = sign_in(client, "practitioner1", "demo")
    assert r.status_code == 401


def test_logout_ends_the_login(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/sessions", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(client, make_user):
    make_user("pat")
    login(client, "pat")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/sessions").status_code == 200


def test_logout_is_refused_without_a_login(client):
    assert client.post("/logout", data={}, follow_redirects=False).headers["location"] == "/login"


# CSRF ---------------------------------------------------------------------------------------

def test_every_state_changing_route_checks_csrf(app):
    """Cookie-signed-in requests need the token; the sign-in form has its own (API requests
    with a Bearer token are exempt: a browser never adds that header by itself)."""
    from app.deps import check_csrf, check_login_csrf
    from tests.test_access import app_routes

    def calls(dependant) -> set:  # noqa: ANN001
        return {dependant.call} | {c for d in dependant.dependencies for c in calls(d)}

    unsafe = [(m, p, r) for m, p, r in app_routes(app) if m in {"POST", "PUT", "PATCH", "DELETE"}]
    assert len(unsafe) > 15
    for method, path, route in unsafe:
        wanted = check_login_csrf if path == "/login" else check_csrf
        assert wanted in calls(route.dependant), f"{method} {path} has no CSRF check"


def test_the_sign_in_form_carries_a_double_submit_token(client):
    r = client.get("/login")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(LOGIN_CSRF_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/login" in cookie
    field = BeautifulSoup(r.text, "html.parser").select_one("form[action='/login'] input[name=csrf_token]")
    assert field["value"] == client.cookies[LOGIN_CSRF_COOKIE] and len(field["value"]) > 30
    again = BeautifulSoup(client.get("/login").text, "html.parser").select_one("input[name=csrf_token]")
    assert again["value"] == field["value"]  # one token per browser, so two tabs both work


def test_signing_in_needs_the_forms_token(client, make_user):
    make_user("pat")
    data = {"username": "pat", "password": PASSWORD}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403  # no cookie, no field
    client.get("/login")
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403  # no field
    r = client.post("/login", data={**data, "csrf_token": "made-up"}, follow_redirects=False)
    assert r.status_code == 403 and "reload the page" in r.text
    assert LOGIN_COOKIE not in client.cookies
    r = sign_in(client, "pat")
    assert r.status_code == 303 and LOGIN_COOKIE in client.cookies
    assert any(c.startswith(LOGIN_CSRF_COOKIE + '=""') for c in r.headers.get_list("set-cookie"))  # spent


# Throttling ---------------------------------------------------------------------------------

def test_failed_sign_ins_to_an_account_are_throttled(client, db, make_user, monkeypatch):
    from app import users

    make_user("pat")
    for _ in range(5):
        assert sign_in(client, "pat", "wrong password").status_code == 401
    checked = []
    monkeypatch.setattr(users, "authenticate", lambda *a, **k: checked.append(1))
    r = sign_in(client, "pat")  # the right password, but too late
    assert r.status_code == 429 and not checked  # refused without checking the password
    message = BeautifulSoup(r.text, "html.parser").select_one(".error-summary").text
    assert re.search(r"try again after \d\d:\d\d UTC \(in 15 minutes\)", message)
    assert 14 * 60 < int(r.headers["retry-after"]) <= 15 * 60
    assert len(db.exec(select(LoginAttempt)).all()) == 5  # a refusal is not another failure
    assert sign_in(client, "PAT ", "wrong").status_code == 429  # the same account, however typed


def test_throttling_ends_when_the_failures_leave_the_window(client, db, make_user):
    make_user("pat")
    for _ in range(5):
        sign_in(client, "pat", "wrong password")
    for attempt in db.exec(select(LoginAttempt)).all():
        attempt.at -= timedelta(minutes=16)
        db.add(attempt)
    db.commit()
    assert sign_in(client, "pat").status_code == 303


def test_signing_in_clears_the_accounts_failures(client, db, make_user):
    make_user("pat")
    for _ in range(4):
        sign_in(client, "pat", "wrong password")
    assert sign_in(client, "pat").status_code == 303
    assert db.exec(select(LoginAttempt)).all() == []
    client.cookies.delete(LOGIN_COOKIE)
    for _ in range(4):
        assert sign_in(client, "pat", "wrong password").status_code == 401


def test_failed_sign_ins_from_one_address_are_throttled(client, db, make_user):
    make_user("pat")
    for i in range(20):
        assert sign_in(client, f"guess{i}", "wrong password").status_code == 401
    r = sign_in(client, "pat")  # an account with no failures, from the same address
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    assert {a.address for a in db.exec(select(LoginAttempt))} == {"testclient"}


def test_throttle_limits_come_from_the_settings(monkeypatch):
    from app import throttle
    from app.config import Settings

    monkeypatch.setenv("MIFI_LOGIN_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("MIFI_LOGIN_WINDOW_MINUTES", "60")
    limits = throttle.Limits.from_settings(Settings())
    assert (limits.per_account, limits.per_address, limits.window) == (3, 20, timedelta(minutes=60))


# Expiry -------------------------------------------------------------------------------------

def _age_login(db, **fields) -> None:  # noqa: ANN001
    for token in db.exec(select(Token).where(Token.kind == "login")):
        for k, v in fields.items():
            setattr(token, k, v)
        db.add(token)
    db.commit()


def test_a_login_idle_for_eight_hours_is_signed_out(client, db, make_user):
    from app.models import utcnow

    make_user("pat")
    login(client, "pat")
    _age_login(db, last_used_at=utcnow() - timedelta(hours=7, minutes=59))
    assert client.get("/sessions", follow_redirects=False).status_code == 200
    _age_login(db, last_used_at=utcnow() - timedelta(hours=8, minutes=1))
    r = client.get("/sessions", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/sessions"
    assert db.exec(select(Token).where(Token.kind == "login")).all() == []  # gone for good
    page = client.get(r.headers["location"])
    assert "You have been signed out" in BeautifulSoup(page.text, "html.parser").select_one("[role=status]").text
    assert LOGIN_COOKIE not in client.cookies  # the stale cookie is cleared, so the notice shows once


def test_a_login_past_its_days_is_signed_out_however_busy(client, db, make_user):
    from app.models import utcnow

    make_user("pat")
    login(client, "pat")
    _age_login(db, expires_at=utcnow() - timedelta(seconds=1), last_used_at=utcnow())
    assert client.get("/sessions", follow_redirects=False).headers["location"].startswith("/login")


def test_last_use_is_written_at_most_once_a_minute(client, db, make_user):
    from app.models import utcnow

    make_user("pat")
    login(client, "pat")
    recent = utcnow() - timedelta(seconds=30)
    _age_login(db, last_used_at=recent)
    client.get("/sessions")
    db.expire_all()
    assert db.exec(select(Token).where(Token.kind == "login")).one().last_used_at == recent
    _age_login(db, last_used_at=utcnow() - timedelta(minutes=2))
    client.get("/sessions")
    db.expire_all()
    assert db.exec(select(Token).where(Token.kind == "login")).one().last_used_at > utcnow() - timedelta(seconds=5)


# Cookies and headers ------------------------------------------------------------------------

def test_behind_https_cookies_are_secure_and_hsts_is_sent(engine, coder, make_user):
    from app.config import Settings
    from app.web import create_app

    make_user("pat")
    app = create_app(Settings(database_url="sqlite://", cookie_secure=True), engine=engine, coder=coder)
    with TestClient(app, base_url="https://testserver") as c:
        form = c.get("/login")
        assert form.headers["strict-transport-security"].startswith("max-age=31536000")
        assert all("Secure" in cookie for cookie in form.headers.get_list("set-cookie"))
        r = sign_in(c, "pat")
        login_cookie = next(x for x in r.headers.get_list("set-cookie") if x.startswith(LOGIN_COOKIE + "="))
        assert "Secure" in login_cookie and "HttpOnly" in login_cookie and "SameSite=lax" in login_cookie


def test_no_hsts_over_plain_http(client):
    assert "strict-transport-security" not in client.get("/login").headers
