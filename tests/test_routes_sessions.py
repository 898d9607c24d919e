import io
import json
from datetime import date

from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Session
from tests.conftest import NOTES, add_session, login


def soup(r) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(r.text, "html.parser")


def test_empty_list_helps_you_start(client, make_user):
    make_user("pat")
    login(client, "pat")
    page = soup(client.get("/sessions"))
    assert page.select_one(".empty h2").text == "No sessions yet"
    assert page.select_one(".empty a.button")["href"] == "/sessions/new"


def test_new_session_form_has_labelled_fields_and_speaker_help(client, make_user):
    make_user("pat")
    login(client, "pat")
    page = soup(client.get("/sessions/new"))
    form = page.select_one("form#new-session")
    for name in ("text", "file", "session_date", "family_ref", "change_goals", "practitioner"):
        assert page.select_one(f"label[for={name}]"), name
        assert form.select_one(f"[name={name}]"), name
    assert {i["value"] for i in form.select("input[name=setting]")} == {"home visit", "office", "phone", "video"}
    assert {i["value"] for i in form.select("input[name=visibility]")} == {"private", "shared", "trainer"}
    assert "SW:" in page.select_one("#text-hint").text
    assert form.select_one("#text")["hx-post"] == "/sessions/preview"


def test_preview_shows_turns_and_roles_as_a_fragment(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/sessions/preview", data={"text": NOTES}, headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    page = soup(r)
    assert page.html is None  # only the fragment
    items = page.select("ol.preview-turns li")
    assert len(items) == 8
    assert items[0]["class"] == ["turn-practitioner"] and items[1]["class"] == ["turn-client"]
    assert "SW (practitioner)" in page.select_one("#preview-status").text


def test_preview_explains_a_parse_problem(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/sessions/preview", data={"text": "just some words with no speakers", "csrf_token": csrf})
    assert soup(r).select_one("p.error-message").text.strip()


def test_adding_a_session_codes_and_stores_it(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")
    r = add_session(client, csrf)
    assert r.status_code == 303
    s = db.exec(select(Session)).one()
    assert r.headers["location"] == f"/sessions/{s.id}"
    assert (s.family_ref, s.visibility, s.setting) == ("FAM-0142", "shared", "home visit")
    page = client.get(r.headers["location"])
    chips = soup(page).select("#transcript .utt .chip")
    assert len(chips) >= 8
    assert page.context["stored"].session.id == s.id


def test_htmx_submit_redirects_with_hx_redirect(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post(
        "/sessions", headers={"HX-Request": "true"},
        data={"csrf_token": csrf, "text": NOTES, "session_date": date.today().isoformat(),
              "family_ref": "FAM-1", "change_goals": "x", "setting": "office", "visibility": "private"})
    assert r.status_code == 200 and r.headers["HX-Redirect"].startswith("/sessions/")


def test_errors_appear_beside_fields_and_keep_what_was_typed(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = add_session(client, csrf, family_ref="Jodie Smith", change_goals="", session_date="2999-01-01")
    assert r.status_code == 422
    page = soup(r)
    assert page.select_one("#text").text == NOTES
    assert page.select_one("#family_ref")["value"] == "Jodie Smith"
    for field in ("family_ref", "change_goals", "session_date"):
        message = page.select_one(f"#{field}-error")
        assert message and field + "-error" in page.select_one(f"#{field}")["aria-describedby"]
    links = [a["href"] for a in page.select(".error-summary a")]
    assert set(links) == {"#family_ref", "#change_goals", "#session_date"}


def test_htmx_errors_return_only_the_form(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    r = client.post("/sessions", headers={"HX-Request": "true"}, data={"csrf_token": csrf, "text": ""})
    assert r.status_code == 422
    page = soup(r)
    assert page.html is None and page.select_one("form#new-session")
    assert page.select_one("#text-error")


def test_upload_in_any_cli_format(client, make_user, db):
    from pathlib import Path

    make_user("pat")
    csrf = login(client, "pat")
    vtt = Path(__file__).resolve().parent.parent / "fixtures" / "samples" / "teams.vtt"
    data = {"csrf_token": csrf, "session_date": date.today().isoformat(), "family_ref": "FAM-2",
            "change_goals": "school", "setting": "video", "visibility": "private"}
    r = client.post("/sessions", data=data, files={"file": ("teams.vtt", vtt.read_bytes(), "text/vtt")},
                    follow_redirects=False)
    assert r.status_code == 303
    assert db.exec(select(Session)).one().title == "teams.vtt"


def test_a_bad_upload_is_reported_beside_the_file_field(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    data = {"csrf_token": csrf, "session_date": date.today().isoformat(), "family_ref": "FAM-2",
            "change_goals": "school", "setting": "video", "visibility": "private"}
    r = client.post("/sessions", data=data, files={"file": ("notes.pdf", io.BytesIO(b"%PDF"), "application/pdf")})
    assert r.status_code == 422
    assert "not supported" in soup(r).select_one("#file-error").text


def test_typed_text_over_the_form_limit_says_to_upload_a_file(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")
    data = {"csrf_token": csrf, "session_date": date.today().isoformat(), "family_ref": "FAM-2",
            "change_goals": "school", "setting": "video", "visibility": "private",
            "text": "SW: How are the mornings?\n" * 45_000}  # about 1.2 MB typed
    r = client.post("/sessions", data=data, files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 400
    assert "upload it as a file instead" in soup(r).select_one("main").text
    assert db.exec(select(Session)).first() is None


def test_adding_needs_the_csrf_token(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    assert add_session(client, "0" * 64).status_code == 403
    assert add_session(client, csrf).status_code == 303


def test_session_page_chips_are_labelled_with_confidence_and_explanation(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    page = soup(client.get(add_session(client, csrf).headers["location"]))
    utt = page.select_one("#transcript li.utt")
    chip = utt.select_one("a.chip")
    assert chip.select_one(".chip-code").text and chip["href"].endswith("/correct")
    assert chip["hx-get"] == chip["href"]
    assert "sure" in utt.select_one(".conf").text
    assert utt.select_one("details.why summary") and utt.select_one("details.why p").text.strip()
    card = page.select_one("#score-card")
    assert card.select_one("[data-score=reflection_to_question]")
    assert "MITI 3.1.1" in card.select_one("[data-score=percent_open_questions]").text
    assert "estimate" in card.select_one("[data-score=technical_global]").text


def test_needs_review_filter(client, make_user, db):
    from app.models import UtteranceRecord

    make_user("pat")
    csrf = login(client, "pat")
    url = add_session(client, csrf).headers["location"]
    for u in db.exec(select(UtteranceRecord)):
        u.confidence = 0.9
    low = db.exec(select(UtteranceRecord).order_by(UtteranceRecord.id)).all()[2]
    low.confidence = 0.3
    db.commit()
    r = client.get(url + "?review=1", headers={"HX-Request": "true", "HX-Target": "transcript"})
    page = soup(r)
    assert page.html is None and page.select_one("section#transcript")
    assert [li["id"] for li in page.select("li.utt")] == [f"u-{low.id}"]
    assert page.select_one("#review-count").text.startswith("1 needs review")
    assert r.headers["vary"] == "HX-Request"
    full = soup(client.get(url))
    assert len(full.select("li.utt")) > 1 and full.select_one(f"#u-{low.id} .tag-review")


def test_exports(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    url = add_session(client, csrf, text="SW: =cmd|' /C calc'!A0 what do you think?\nMum: +I want to stop.\n").headers["location"]
    csv_text = client.get(url + "/export.csv").text
    assert "\n" in csv_text and "'=cmd" in csv_text and "'+I want" in csv_text
    doc = json.loads(client.get(url + "/export.json").text)
    assert doc["scheme"] == "miti-4.2.1" and len(doc["sessions"]) == 1
    turns = doc["sessions"][0]["turns"]
    assert [t["role"] for t in turns] == ["practitioner", "client"]
    assert {"code", "confidence", "source", "explanation"} <= set(turns[0]["utterances"][0])


def test_others_get_404(client, make_user):
    make_user("pat")
    make_user("kim")
    make_user("osup", role="supervisor", team="South team")
    csrf = login(client, "pat")
    url = add_session(client, csrf, visibility="private").headers["location"]
    for who in ("kim", "osup"):
        client.cookies.clear()
        login(client, who)
        assert client.get(url).status_code == 404
        assert client.get(url + "/export.csv").status_code == 404
        assert client.get(url + "/feedback").status_code == 404


def test_supervisor_sees_shared_sessions_of_the_team_only(client, make_user):
    make_user("pat", full_name="Pat Lee", discipline="Children's social worker")
    make_user("sup", role="supervisor")
    csrf = login(client, "pat")
    shared = add_session(client, csrf, visibility="shared").headers["location"]
    private = add_session(client, csrf, visibility="private").headers["location"]
    client.cookies.clear()
    login(client, "sup")
    rows = soup(client.get("/sessions")).select("tbody tr")
    assert len(rows) == 1 and "Pat Lee" in rows[0].text
    assert client.get(shared).status_code == 200
    assert client.get(private).status_code == 404


def test_transcript_text_is_never_logged(client, make_user, caplog):
    import logging

    make_user("pat")
    csrf = login(client, "pat")
    with caplog.at_level(logging.DEBUG):
        url = add_session(client, csrf).headers["location"]
        client.get(url)
        client.post("/sessions/preview", data={"text": NOTES, "csrf_token": csrf})
    assert "judged from every side" not in caplog.text
