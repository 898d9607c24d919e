from datetime import date

import pytest

from tests.conftest import NOTES, add_session, login

BODY = {"text": NOTES, "session_date": "2026-01-05", "family_ref": "FAM-9",
        "change_goals": "school on time", "setting": "office", "visibility": "private"}


def token_for(client, db, username: str) -> dict[str, str]:  # noqa: ANN001
    from app import users

    raw = users.issue_token(db, user=users.get_user(db, username=username), kind="api", name="test")
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_api_needs_a_token(client):
    r = client.get("/api/sessions")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/sessions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_create_from_text_then_list_and_get(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    r = client.post("/api/sessions", json=BODY, headers=auth)
    assert r.status_code == 201
    created = r.json()
    assert len(created) == 1 and created[0]["family_ref"] == "FAM-9" and created[0]["owner"] == "pat"
    listed = client.get("/api/sessions", headers=auth).json()
    assert [s["id"] for s in listed] == [created[0]["id"]]
    one = client.get(f"/api/sessions/{created[0]['id']}", headers=auth).json()
    assert one["model"]["name"] and len(one["turns"]) == 8
    assert {"turn", "speaker", "role", "text", "utterances"} <= set(one["turns"][0])
    assert "reflection_to_question" in one["summary"]


def test_create_from_an_uploaded_file(client, make_user, db):
    from pathlib import Path

    make_user("pat")
    auth = token_for(client, db, "pat")
    csv_path = Path(__file__).resolve().parent.parent / "fixtures" / "samples" / "sessions.csv"
    fields = {k: v for k, v in BODY.items() if k != "text"}
    r = client.post("/api/sessions", data=fields, headers=auth,
                    files={"file": ("sessions.csv", csv_path.read_bytes(), "text/csv")})
    assert r.status_code == 201
    assert len(r.json()) == 2  # the sample CSV holds two sessions


def test_validation_errors_name_the_field(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    r = client.post("/api/sessions", json={**BODY, "family_ref": "Jodie Smith"}, headers=auth)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "family_ref"]
    r = client.post("/api/sessions", json={**BODY, "session_date": "yesterday"}, headers=auth)
    assert r.status_code == 422
    r = client.post("/api/sessions", json={**BODY, "text": "no speakers here at all"}, headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "text"]


def test_cookie_api_posts_need_csrf_and_others_get_404(client, make_user, db):
    make_user("pat")
    make_user("kim")
    csrf = login(client, "pat")
    assert client.post("/api/sessions", json=BODY).status_code == 403
    assert client.post("/api/sessions", json=BODY, headers={"X-CSRF-Token": csrf}).status_code == 201
    url = add_session(client, csrf, session_date=date.today().isoformat()).headers["location"]
    sid = url.rsplit("/", 1)[1]
    client.cookies.clear()
    assert client.get(f"/api/sessions/{sid}", headers=token_for(client, db, "kim")).status_code == 404


def _zip_bomb() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * 60_000_000)
    return buf.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", bytes(range(256)) * 64, "binary"),
    ("big.txt", b"SW: Hello there.\nMum: Hiya.\n" * 200_000, "limit"),
    ("fake.docx", b"not a Word file at all", "Word"),
    ("bomb.docx", _zip_bomb(), "too large or too compressed"),
    ("broken.csv", b"a,b\n1,2\n", "column"),
    ("slides.pdf", b"%PDF-1.4", "supported"),
])
def test_bad_uploads_are_refused_clearly_and_store_nothing(client, make_user, db, name, content, message):
    from sqlmodel import select

    from app.models import Session

    make_user("pat")
    auth = token_for(client, db, "pat")
    fields = {k: v for k, v in BODY.items() if k != "text"}
    r = client.post("/api/sessions", data=fields, headers=auth, files={"file": (name, content, "text/plain")})
    assert r.status_code == 422, r.text
    detail = r.text
    assert message.lower() in detail.lower() and "Traceback" not in detail
    assert db.exec(select(Session)).all() == []
    assert client.get("/healthz").status_code == 200
