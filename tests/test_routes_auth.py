from bs4 import BeautifulSoup

from app.deps import LOGIN_COOKIE
from tests.conftest import PASSWORD, login


def test_pages_need_a_login(client):
    r = client.get("/sessions/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/sessions/new"
    r = client.get("/sessions", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["HX-Redirect"].startswith("/login")


def test_login_sets_an_httponly_cookie_and_returns_to_next(client, make_user):
    make_user("pat")
    r = client.post("/login", data={"username": "pat", "password": PASSWORD, "next": "/account"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(LOGIN_COOKIE + "=") and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_next_cannot_send_you_to_another_site(client, make_user):
    make_user("pat")
    r = client.post("/login", data={"username": "pat", "password": PASSWORD,
                                    "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/progress"  # the practitioner's home page


def test_wrong_password_keeps_the_username_and_says_so(client, make_user):
    make_user("pat")
    r = client.post("/login", data={"username": "pat", "password": "nope"})
    assert r.status_code == 401
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one("#username")["value"] == "pat"
    assert "not right" in soup.select_one(".error-summary").text


def test_demo_password_is_refused_outside_demo_mode(client, db):
    from app import users

    users.create_user(db, username="practitioner1", password="demo", check_password=False)
    db.commit()
    r = client.post("/login", data={"username": "practitioner1", "password": "demo"})
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
