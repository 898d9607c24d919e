"""The progress, team, trainer and admin pages."""

import csv
import io
from datetime import date, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Goal, Session, SupervisionNote, User, UtteranceRecord
from tests.conftest import add_session, login


def soup(r) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(r.text, "html.parser")


def as_user(client, name: str) -> str:  # noqa: ANN001
    client.cookies.clear()
    return login(client, name)


def team_with_sessions(client, make_user, db):  # noqa: ANN001, ANN201
    pat = make_user("pat", full_name="Pat Lee", discipline="Children's social worker", locality="North")
    make_user("kim", full_name="Kim Roe", discipline="Substance misuse worker", locality="South")
    make_user("sup", role="supervisor")
    make_user("tess", role="trainer", team="")
    csrf = login(client, "pat")
    old = (date.today() - timedelta(days=40)).isoformat()
    urls = [add_session(client, csrf, session_date=old, visibility="shared").headers["location"],
            add_session(client, csrf, visibility="trainer").headers["location"],
            add_session(client, csrf, visibility="private", family_ref="FAM-SECRET").headers["location"]]
    return pat, urls


def test_practitioner_progress_shows_each_score_over_time_with_a_table(client, make_user, db):
    team_with_sessions(client, make_user, db)
    as_user(client, "pat")
    r = client.get("/", follow_redirects=False)
    assert r.headers["location"] == "/progress"
    page = soup(client.get("/progress"))
    block = page.select_one("[data-trend=reflection_to_question]")
    svg = block.select_one("svg[role=img]")
    assert svg.select_one("title").text and svg.select_one("desc").text
    assert svg["aria-labelledby"].split() == [svg.title["id"], svg.desc["id"]]
    assert len(block.select("table tbody tr")) == 3  # her own, private ones included
    assert "FAM-SECRET" in page.text


def test_supervisor_sets_a_goal_and_a_note_and_sees_only_shared_sessions(client, make_user, db):
    pat, _ = team_with_sessions(client, make_user, db)
    csrf = as_user(client, "sup")
    page = soup(client.get(f"/progress/{pat.id}"))
    assert len(page.select("[data-trend=reflection_to_question] table tbody tr")) == 2
    assert "FAM-SECRET" not in page.text
    agreed = (date.today() - timedelta(days=10)).isoformat()
    r = client.post(f"/progress/{pat.id}/goals", data={
        "csrf_token": csrf, "text": "R:Q above 1:1", "score_id": "reflection_to_question",
        "target": "1", "agreed_on": agreed}, follow_redirects=False)
    assert r.status_code == 303
    client.post(f"/progress/{pat.id}/goals", data={"csrf_token": csrf, "text": "Ask permission first"})
    bad = client.post(f"/progress/{pat.id}/goals", data={"csrf_token": csrf, "text": "", "score_id": "nope"})
    assert bad.status_code == 422 and soup(bad).select_one("#goal_text-error")
    client.post(f"/progress/{pat.id}/notes", data={"csrf_token": csrf, "text": "Talked about =SUM(A1)."})
    assert db.exec(select(Goal)).all()[0].target == 1.0
    assert db.exec(select(SupervisionNote)).one().supervisor_id != pat.id
    page = soup(client.get(f"/progress/{pat.id}"))
    statuses = [td.text.strip() for td in page.select("#goals .goal-status")]
    assert any("of 1 later session" in s for s in statuses)  # only the shared one since
    assert "Talked through in supervision" in statuses
    assert "=SUM(A1)" in page.select_one("#notes ol.notes").text


def test_team_page_heatmap_table_idle_awaiting_and_notes(client, make_user, db):
    pat, urls = team_with_sessions(client, make_user, db)
    csrf = as_user(client, "sup")
    client.post(f"/progress/{pat.id}/notes", data={"csrf_token": csrf, "text": "First supervision."})
    assert client.get("/", follow_redirects=False).headers["location"] == "/team"
    page = soup(client.get("/team"))
    heat = page.select_one("svg#team-heatmap")
    assert heat["role"] == "img" and heat.title.text and heat.desc.text
    assert "✓" in heat.text or "~" in heat.text or "✗" in heat.text  # text, not only colour
    rows = page.select("table.heat tbody tr")
    assert [r.th.a.text for r in rows] == ["Kim Roe", "Pat Lee"]
    assert rows[1].th.a["href"] == f"/progress/{pat.id}"
    assert "Kim Roe" in page.select_one("ul.idle").text and "Pat Lee" not in page.select_one("ul.idle").text
    awaiting = page.select("table.awaiting tbody tr")
    assert len(awaiting) == 2 and "FAM-SECRET" not in page.text
    assert "First supervision." in page.select_one("ol.notes").text


def test_trainer_sees_aggregates_kappa_and_a_pseudonymous_export(client, make_user, db):
    pat, urls = team_with_sessions(client, make_user, db)
    csrf = as_user(client, "pat")
    u = db.exec(select(UtteranceRecord).where(UtteranceRecord.auto_code == "Q")).first()
    sid = u.session_id
    client.post(f"/sessions/{sid}/utterances/{u.id}", data={"csrf_token": csrf, "code": "CR"})
    as_user(client, "tess")
    assert client.get("/", follow_redirects=False).headers["location"] == "/trainer"
    page = soup(client.get("/trainer"))
    assert page.select_one("svg#chart-reflection_to_question-discipline title").text
    assert page.select_one("svg#chart-reflection_to_question-spread")
    assert "Children's social worker" in page.text and "Pat Lee" not in page.text
    kappa = {tr["data-code"]: tr for tr in page.select("table.agreement tbody tr")}
    assert "Q" in kappa and float(kappa["Q"].select("td")[0].text) < 1
    r = client.get("/trainer/export.csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:5] == ["session", "practitioner", "month", "discipline", "locality"]
    assert len(rows) == 3  # the two shared sessions; the private one is not counted
    assert rows[1][1] == rows[2][1] and rows[1][1].startswith("P-") and str(pat.id) != rows[1][1]
    text = r.text
    for secret in ("Pat", "FAM-0142", "judged", "school"):
        assert secret not in text


def test_trainer_reads_a_transcript_only_when_shared_with_trainers(client, make_user, db):
    _, urls = team_with_sessions(client, make_user, db)
    as_user(client, "tess")
    assert client.get(urls[0]).status_code == 404
    assert client.get(urls[1]).status_code == 200


def test_admin_adds_a_team_and_a_user(client, make_user, db):
    make_user("adm", role="admin", team="")
    csrf = as_user(client, "adm")
    assert client.get("/", follow_redirects=False).headers["location"] == "/admin"
    r = client.post("/admin/teams", data={"csrf_token": csrf, "name": "East team"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/admin/users", data={"csrf_token": csrf, "username": "newbie", "role": "practitioner",
                                          "team": "East team", "password": "short"})
    assert r.status_code == 422 and soup(r).select_one("#new-password-error")
    r = client.post("/admin/users", data={"csrf_token": csrf, "username": "newbie", "role": "practitioner",
                                          "team": "East team", "full_name": "New Bie",
                                          "password": "a long enough password"}, follow_redirects=False)
    assert r.status_code == 303
    page = soup(client.get("/admin"))
    assert page.select_one("tr[data-user=newbie]") and "East team" in page.select_one("tr[data-user=newbie]").text
    assert db.exec(select(User).where(User.username == "newbie")).one().team_id is not None
    assert not db.exec(select(Session)).all()


def test_charts_escape_names_and_say_when_empty():
    from app.charts import Series, heatmap, line_chart

    svg = line_chart("c1", "T <x>", "D", [Series("<b>", [(date(2026, 1, 1), 1.0)])], fair=1, good=2)
    assert "<x>" not in svg and "&lt;x&gt;" in svg
    assert "No sessions yet" in line_chart("c2", "T", "D", [])
    grid = heatmap("h", "T", "D", ["A & B"], ["Score"], [[("1.0", "good")]])
    assert "A &amp; B" in grid and "✓ 1.0" in grid


def test_a_trainer_reads_a_shared_transcript_without_correction_controls(client, make_user, db):
    _, urls = team_with_sessions(client, make_user, db)
    as_user(client, "tess")
    page = soup(client.get(urls[1]))
    assert page.select("#transcript li.utt .chip") and not page.select("#transcript li.utt a.chip")
    assert not page.select_one("form[action$='/ratings']")
    as_user(client, "sup")
    page = soup(client.get(urls[1]))
    assert page.select("#transcript li.utt a.chip") and page.select_one("form[action$='/ratings']")


def test_the_trainer_page_shows_a_new_correction_at_once(client, make_user, db):
    team_with_sessions(client, make_user, db)
    as_user(client, "tess")
    assert not soup(client.get("/trainer")).select("table.agreement")  # no corrections yet; now cached
    csrf = as_user(client, "sup")
    u = db.exec(select(UtteranceRecord).where(UtteranceRecord.auto_code == "Q")).first()
    client.post(f"/sessions/{u.session_id}/utterances/{u.id}", data={"csrf_token": csrf, "code": "SR"})
    as_user(client, "tess")
    assert soup(client.get("/trainer")).select_one("table.agreement tr[data-code=SR]")


def test_a_trainer_is_not_offered_to_add_a_session(client, make_user):
    make_user("tess", role="trainer")
    as_user(client, "tess")
    page = soup(client.get("/sessions"))
    assert not page.select("a[href='/sessions/new']")
    assert "MI trainers" in page.select_one(".empty").text


def test_supervisor_closes_reopens_and_removes_goals(client, make_user, db):
    pat, _ = team_with_sessions(client, make_user, db)
    csrf = as_user(client, "sup")
    for text in ("Ask permission first", "Reflect before the next question"):
        client.post(f"/progress/{pat.id}/goals", data={"csrf_token": csrf, "text": text})
    first, second = [g.id for g in db.exec(select(Goal).order_by(Goal.id)).all()]

    def change(goal_id, action):  # noqa: ANN001, ANN202
        return client.post(f"/progress/{pat.id}/goals/change", follow_redirects=False,
                           data={"csrf_token": csrf, "goal_id": str(goal_id), "action": action})

    assert change(first, "close").status_code == 303
    page = soup(client.get(f"/progress/{pat.id}"))
    rows = page.select("#goals tbody tr")
    assert [r["data-goal"] for r in rows] == [str(second), str(first)]  # open goals first
    assert "Closed as met" in rows[1].select_one(".goal-status").text
    assert rows[1].select_one('button[value="reopen"]') and rows[0].select_one('button[value="close"]')
    change(first, "reopen")
    db.expire_all()
    assert not db.get(Goal, first).achieved
    assert change(second, "remove").status_code == 303
    db.expire_all()
    assert db.get(Goal, second) is None
    assert change(second, "close").status_code == 404  # gone
    assert change("99999999999999999999", "close").status_code == 404
    bad = client.post(f"/progress/{pat.id}/goals/change", data={"csrf_token": csrf, "action": "explode"})
    assert bad.status_code == 422 and soup(bad).select_one("#goals .error-message")
    # the practitioner sees the status but cannot change it
    as_user(client, pat.username)
    own = soup(client.get("/progress"))
    assert own.select_one("#goals tbody tr") and not own.select_one("form.goal-change")


def test_a_goal_of_another_practitioner_is_not_found(client, make_user, db):
    pat, _ = team_with_sessions(client, make_user, db)
    csrf = as_user(client, "sup")
    client.post(f"/progress/{pat.id}/goals", data={"csrf_token": csrf, "text": "Ask permission first"})
    goal = db.exec(select(Goal)).one().id
    kim = db.exec(select(User).where(User.username == "kim")).one()  # in the same team
    r = client.post(f"/progress/{kim.id}/goals/change",
                    data={"csrf_token": csrf, "goal_id": str(goal), "action": "remove"})
    assert r.status_code == 404
    db.expire_all()
    assert db.get(Goal, goal) is not None


def test_goal_and_note_changes_are_audited_without_their_wording(client, make_user, db):
    from app.models import AuditEvent

    pat, _ = team_with_sessions(client, make_user, db)
    csrf = as_user(client, "sup")
    client.post(f"/progress/{pat.id}/goals", data={"csrf_token": csrf, "text": "Ask permission first"})
    goal = db.exec(select(Goal)).one().id
    client.post(f"/progress/{pat.id}/goals/change", data={"csrf_token": csrf, "goal_id": str(goal),
                                                          "action": "close"})
    client.post(f"/progress/{pat.id}/goals/change", data={"csrf_token": csrf, "goal_id": "999999",
                                                          "action": "close"})  # not found: no event
    client.post(f"/progress/{pat.id}/notes", data={"csrf_token": csrf, "text": "Talked about mornings."})
    events = db.exec(select(AuditEvent).where(AuditEvent.action.in_(["goal.add", "goal.change", "note.add"]))
                     .order_by(AuditEvent.id)).all()
    assert [(e.action, e.username) for e in events] == [("goal.add", "sup"), ("goal.change", "sup"),
                                                        ("note.add", "sup")]
    assert events[1].detail == f"goal {goal} for user {pat.id}: close"
    assert not any("permission" in e.detail or "mornings" in e.detail for e in events)
