from bs4 import BeautifulSoup

from tests.conftest import login


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
