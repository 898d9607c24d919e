"""The fictional demo team for `mifi serve --demo`, made on first run from fixtures/demo/.

Sessions are coded with the real pipeline when the demo is created. The demo password
(`demo`) is stored like any other, and only demo mode accepts it at login.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session as DbSession
from sqlmodel import select

from app import progress, store, users
from app.coding import code_transcripts
from app.feedback import build_feedback
from app.models import Setting, Team, User, Visibility
from app.parsers import read_text
from app.scheme import load_scheme
from app.security import DEMO_PASSWORD
from classifiers.coder import Coder

DEMO_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
log = logging.getLogger(__name__)


@dataclass
class DemoSession:
    key: str  # the file's stem, e.g. p1-05
    fields: dict[str, str]
    text: str


def read_session_file(path: Path) -> DemoSession:
    """`key: value` lines up to `---`, then the conversation as typed notes."""
    head, sep, body = path.read_text(encoding="utf-8").partition("\n---\n")
    if not sep:
        raise ValueError(f"{path.name}: no '---' line after the header")
    fields = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return DemoSession(path.stem, fields, body)


def demo_sessions(folder: Path = DEMO_DIR) -> list[DemoSession]:
    return [read_session_file(p) for p in sorted((folder / "sessions").glob("*.txt"))]


def ensure_demo(engine: Engine, *, coder: Coder, scheme_id: str = "miti-4.2.1",
                folder: Path = DEMO_DIR, today: date | None = None) -> bool:
    """Create the demo team once; False if it is already there."""
    config = yaml.safe_load((folder / "team.yaml").read_text(encoding="utf-8"))
    today = today or date.today()
    scheme = load_scheme(scheme_id)
    with DbSession(engine) as db:
        if db.exec(select(Team).where(Team.name == config["team"])).first():
            return False
        log.info("creating the demo team")
        team = users.get_team(db, name=config["team"], demo=True)
        people: dict[str, User] = {}
        for u in config["users"]:
            people[u["username"]] = users.create_user(
                db, username=u["username"], password=DEMO_PASSWORD, role=u["role"],
                full_name=u.get("full_name", ""), team=team.name, locality=u.get("locality", ""),
                discipline=u.get("discipline", ""), check_password=False)
        db.commit()
        files = demo_sessions(folder)
        coded = code_transcripts([read_text(f.text) for f in files], scheme, coder)
        model = {"name": coder.model_name, "version": coder.model_version}
        by_key = {}
        for f, c in zip(files, coded):
            meta = store.SessionMeta(
                session_date=today - timedelta(days=int(f.fields["days_ago"])),
                family_ref=f.fields["family_ref"], change_goals=f.fields["change_goals"],
                setting=Setting(f.fields.get("setting", "home visit")),
                visibility=Visibility(f.fields.get("visibility", "shared")))
            by_key[f.key] = store.store_session(
                db, owner=people[f.fields["practitioner"]], coded=c, meta=meta, scheme=scheme,
                model=model, title=f"Demo notes {f.key}", demo=True)
        supervisor = next(u for u in people.values() if u.role == "supervisor")
        for item in config.get("supervision", []):
            s = by_key[item["session"]]
            stored = store.load_session(db, session=s, scheme=scheme)
            if item.get("ratings"):
                store.set_ratings(db, stored=stored, user=supervisor, ratings=item["ratings"], scheme=scheme)
            if item.get("share_feedback"):
                fb = build_feedback(stored.coded(), change_goals=s.change_goals)
                store.save_feedback(db, session=s, user=supervisor, sections=fb.as_sections(), share=True)
        for g in config.get("goals", []):
            progress.add_goal(db, practitioner=people[g["practitioner"]], supervisor=supervisor,
                              text=g["text"], agreed_on=today - timedelta(days=int(g["days_ago"])),
                              score_id=g.get("score", ""), target=g.get("target"))
        for n in config.get("notes", []):
            progress.add_note(db, practitioner=people[n["practitioner"]], supervisor=supervisor,
                              text=n["text"], note_date=today - timedelta(days=int(n["days_ago"])))
    return True
