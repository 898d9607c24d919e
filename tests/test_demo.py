import json
from datetime import date

from sqlmodel import select

from app import users
from app.demo import demo_sessions, ensure_demo
from app.models import FeedbackRecord, Goal, HumanRating, Role, Session, SupervisionNote, Team, User, Visibility
from app.security import DEMO_PASSWORD

TODAY = date(2026, 6, 30)


def test_demo_files_are_fictional_sessions_with_their_metadata():
    files = demo_sessions()
    assert len(files) >= 20
    for f in files:
        assert {"practitioner", "days_ago", "family_ref", "change_goals"} <= set(f.fields)
        assert f.fields["family_ref"].startswith("DEMO-")


def test_demo_team_is_created_once_with_coded_sessions(engine, db, coder):
    assert ensure_demo(engine, coder=coder, today=TODAY) is True
    assert ensure_demo(engine, coder=coder, today=TODAY) is False
    team = db.exec(select(Team)).one()
    assert team.demo
    people = {u.username: u for u in db.exec(select(User))}
    assert {"supervisor1", "trainer1", "admin", "practitioner1", "practitioner2", "practitioner3",
            "practitioner4"} <= set(people)
    practitioners = [people[f"practitioner{i}"] for i in range(1, 5)]
    assert len({p.discipline for p in practitioners}) == 4
    assert len({p.locality for p in practitioners}) == 2
    assert people["admin"].role == Role.admin and people["trainer1"].role == Role.trainer
    assert users.authenticate(db, username="supervisor1", password=DEMO_PASSWORD, demo=True)
    sessions = db.exec(select(Session)).all()
    assert len(sessions) >= 20 and all(s.demo for s in sessions)
    span = max(s.session_date for s in sessions) - min(s.session_date for s in sessions)
    assert span.days >= 80
    assert db.exec(select(HumanRating)).first() is not None
    assert db.exec(select(FeedbackRecord).where(FeedbackRecord.status == "shared")).first() is not None
    goals = db.exec(select(Goal)).all()
    assert len(goals) >= 3 and any(g.score_id and g.target is not None for g in goals) and \
        any(not g.score_id for g in goals)
    assert len(db.exec(select(SupervisionNote)).all()) >= 3
    assert any(s.visibility == Visibility.trainer for s in sessions)


def test_demo_shows_growth(engine, db, coder):
    ensure_demo(engine, coder=coder, today=TODAY)
    amira = db.exec(select(User).where(User.username == "practitioner1")).one()
    hers = db.exec(select(Session).where(Session.owner_id == amira.id).order_by(Session.session_date)).all()
    first, last = json.loads(hers[0].summary_json), json.loads(hers[-1].summary_json)
    assert first["mi_non_adherent"] > last["mi_non_adherent"]
    assert first["reflection_to_question"] < 1 <= last["reflection_to_question"]
