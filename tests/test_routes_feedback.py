from bs4 import BeautifulSoup

from tests.conftest import add_session, login


def soup(r) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(r.text, "html.parser")


def test_practitioner_sees_automatic_feedback_from_the_session(client, make_user):
    make_user("pat")
    csrf = login(client, "pat")
    url = add_session(client, csrf).headers["location"]
    page = soup(client.get(url + "/feedback"))
    assert page.h1.text == "Supervision record"
    sections = {s.h2.text for s in page.select("section.record-section")}
    assert sections == {"Strengths", "Growth areas", "Change talk that could have been followed",
                        "Questions for reflective supervision"}
    assert "You need to get him up earlier." in page.text  # the practitioner's own words
    assert page.select_one("button[data-print]")
    assert not page.select_one("a[href$='/feedback/edit']")
    assert page.select_one("link[rel=stylesheet][media=print]")["href"].startswith("/static/print.css")


def test_supervisor_edits_then_shares_and_the_practitioner_sees_the_shared_version(client, make_user):
    make_user("pat")
    make_user("sup", role="supervisor")
    csrf = login(client, "pat")
    url = add_session(client, csrf, visibility="shared").headers["location"]
    assert client.get(url + "/feedback/edit").status_code == 404  # not hers to edit: app.access
    client.cookies.clear()
    csrf = login(client, "sup")
    editor = soup(client.get(url + "/feedback/edit"))
    assert editor.select_one("textarea#strengths").text.strip()
    fields = {"csrf_token": csrf, "strengths": "Warm start.\n“Thanks for letting me come round.”",
              "growth_areas": "Fewer closed questions.", "change_talk": "None missed.",
              "questions": "What went well?", "action": "save"}
    client.post(url + "/feedback", data=fields)
    client.cookies.clear()
    login(client, "pat")
    assert "Warm start." not in client.get(url + "/feedback").text  # a draft is not shared yet
    client.cookies.clear()
    csrf = login(client, "sup")
    client.post(url + "/feedback", data={**fields, "csrf_token": csrf, "action": "share"})
    client.cookies.clear()
    login(client, "pat")
    page = soup(client.get(url + "/feedback"))
    assert "Warm start." in page.text and page.select_one(".tag-good").text == "Shared"
    assert page.select_one("blockquote.quote").text == "“Thanks for letting me come round.”"


def test_supervisor_of_another_team_cannot_edit(client, make_user):
    make_user("pat")
    make_user("osup", role="supervisor", team="South team")
    csrf = login(client, "pat")
    url = add_session(client, csrf, visibility="shared").headers["location"]
    client.cookies.clear()
    login(client, "osup")
    assert client.get(url + "/feedback/edit").status_code == 404
