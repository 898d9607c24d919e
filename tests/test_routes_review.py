from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Correction, UtteranceRecord
from tests.conftest import add_session, login


def soup(r) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(r.text, "html.parser")


def a_question(db) -> UtteranceRecord:  # noqa: ANN001
    return db.exec(select(UtteranceRecord).where(UtteranceRecord.auto_code == "Q")).first()


def setup(client, make_user):  # noqa: ANN001, ANN201
    make_user("pat")
    csrf = login(client, "pat")
    return csrf, add_session(client, csrf).headers["location"]


def test_chip_opens_the_choices_for_that_speaker(client, make_user, db):
    csrf, url = setup(client, make_user)
    u = a_question(db)
    r = client.get(f"{url}/utterances/{u.id}/correct", headers={"HX-Request": "true"})
    page = soup(r)
    assert page.html is None
    values = [b["value"] for b in page.select("form.correct button[name=code]")]
    assert "Q:open" in values and "CR" in values and "CHANGE" not in values
    assert page.select_one("button[aria-pressed=true]")["value"] == f"Q:{u.auto_subtype}"
    assert page.select_one("label[for=reason-%d]" % u.id)


def test_correct_form_works_without_javascript(client, make_user, db):
    csrf, url = setup(client, make_user)
    u = a_question(db)
    page = soup(client.get(f"{url}/utterances/{u.id}/correct"))
    assert page.h1.text == "Correct a code"
    r = client.post(f"{url}/utterances/{u.id}", data={"csrf_token": csrf, "code": "SR"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#u-{u.id}")


def test_correction_updates_the_utterance_and_the_score_card_in_place(client, make_user, db):
    csrf, url = setup(client, make_user)
    u = a_question(db)
    before = soup(client.get(url)).select_one("[data-count=CR] td").text
    r = client.post(f"{url}/utterances/{u.id}", data={"code": "CR", "reason": "adds the feeling"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200
    page = soup(r)
    utt = page.select_one(f"li#u-{u.id}")
    assert utt.select_one(".chip-code").text == "CR"
    assert "automatic: Q" in utt.select_one(".tag-corrected").text
    card = page.select_one("#score-card")
    assert card["hx-swap-oob"] == "true"
    assert int(card.select_one("[data-count=CR] td").text) == int(before) + 1
    assert page.select_one("#review-count[hx-swap-oob]")
    db.expire_all()
    stored = db.get(UtteranceRecord, u.id)
    assert (stored.auto_code, stored.human_code, stored.correction_reason) == ("Q", "CR", "adds the feeling")
    assert db.exec(select(Correction)).one().previous_code == "Q"


def test_a_code_for_the_wrong_speaker_is_refused(client, make_user, db):
    csrf, url = setup(client, make_user)
    u = a_question(db)
    r = client.post(f"{url}/utterances/{u.id}", data={"code": "CHANGE"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 422
    db.expire_all()
    assert db.get(UtteranceRecord, u.id).human_code is None


def test_corrections_need_csrf(client, make_user, db):
    csrf, url = setup(client, make_user)
    u = a_question(db)
    r = client.post(f"{url}/utterances/{u.id}", data={"code": "CR"}, headers={"HX-Request": "true"})
    assert r.status_code == 403


def test_human_ratings_replace_the_estimates_with_anchor_text_beside_each_level(client, make_user):
    csrf, url = setup(client, make_user)
    page = soup(client.get(url))
    form = page.select_one("form[action$='/ratings']")
    fieldsets = form.select("fieldset.rating")
    assert len(fieldsets) == 4
    label = fieldsets[0].select_one("label[for$='-1']").text
    assert "1" in label and len(label) > 20  # the manual's anchor, not just a number
    ratings = {"rating_cultivating_change_talk": "4", "rating_softening_sustain_talk": "4",
               "rating_partnership": "5", "rating_empathy": "3"}
    r = client.post(f"{url}/ratings", data=ratings, headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    card = soup(r).select_one("#score-card")
    assert card.select_one("[data-score=relational_global] .value").text == "4.0"
    assert "estimate" not in card.select_one("[data-score=relational_global]").text
    assert card.select(".tag-human")
    r = client.post(f"{url}/ratings", data={"clear": "1"}, headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert "estimate" in soup(r).select_one("[data-score=relational_global]").text


def test_a_rating_outside_1_to_5_is_refused(client, make_user):
    csrf, url = setup(client, make_user)
    r = client.post(f"{url}/ratings", data={"rating_empathy": "9"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422


def test_a_cached_page_shows_the_correction_on_the_next_view(client, make_user, db):
    csrf, url = setup(client, make_user)
    u = a_question(db)
    assert soup(client.get(url)).select_one(f"#u-{u.id} .chip-code").text == "Q"  # now cached
    client.post(f"{url}/utterances/{u.id}", data={"code": "SR"},
                headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert soup(client.get(url)).select_one(f"#u-{u.id} .chip-code").text == "SR"
