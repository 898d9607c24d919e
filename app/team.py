"""A supervisor's team at a glance: each practitioner's latest scores against the thresholds,
who has had no session coded lately, sessions awaiting review, and the supervision notes.
Queries only; counts only what the team shares with the supervisor (app.access)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session as DbSession
from sqlmodel import select

from app import access
from app.models import FeedbackRecord, Role, Session, SupervisionNote, User
from app.progress import band, notes, score_of, tracked_scores
from app.scheme import Scheme, SummaryScore

IDLE_DAYS = 30


@dataclass
class Row:
    practitioner: User
    sessions: int
    last_date: date | None
    latest: dict[str, tuple[float | None, str]]  # score id -> (value, band)

    def idle(self, today: date) -> bool:
        return self.last_date is None or self.last_date < today - timedelta(days=IDLE_DAYS)


@dataclass
class TeamOverview:
    scores: list[SummaryScore]
    rows: list[Row]
    idle: list[Row]
    awaiting: list[tuple[Session, User]]
    notes: list[SupervisionNote]
    names: dict[int, str]
    today: date


def overview(db: DbSession, *, supervisor: User, scheme: Scheme, today: date | None = None) -> TeamOverview:
    today = today or date.today()
    scores = tracked_scores(scheme)
    people = list(db.exec(select(User).where(User.team_id == supervisor.team_id,
                                             User.role == Role.practitioner, User.active)
                          .order_by(User.full_name, User.username))) if supervisor.team_id else []
    shared = access.team_sessions_clause(supervisor)
    latest_date = dict(db.exec(select(Session.owner_id, func.max(Session.session_date))
                               .where(shared).group_by(Session.owner_id)).all())
    counts = dict(db.exec(select(Session.owner_id, func.count()).where(shared)
                          .group_by(Session.owner_id)).all())
    latest_ids = _latest_ids(db, shared)
    summaries: dict[int, dict[str, Any]] = {}
    if latest_ids:
        for owner_id, raw in db.exec(select(Session.owner_id, Session.summary_json)
                                     .where(Session.id.in_(list(latest_ids.values())))):
            summaries[owner_id] = json.loads(raw)
    rows = []
    for p in people:
        summ = summaries.get(p.id, {})
        latest = {sc.id: (v := score_of(summ, sc.id), band(sc, v)) for sc in scores}
        rows.append(Row(p, counts.get(p.id, 0), latest_date.get(p.id), latest))
    idle = [r for r in rows if r.idle(today)]
    awaiting = list(db.exec(
        select(Session, User).join(User, User.id == Session.owner_id)
        .outerjoin(FeedbackRecord, (FeedbackRecord.session_id == Session.id) & (FeedbackRecord.status == "shared"))
        .where(shared, User.role == Role.practitioner, FeedbackRecord.id.is_(None))
        .order_by(Session.session_date.desc(), Session.id.desc()).limit(50)).all())
    team_notes = notes(db, practitioner_ids=[p.id for p in people])
    names = {p.id: p.display_name for p in people} | {supervisor.id: supervisor.display_name}
    missing = {n.supervisor_id for n in team_notes} - set(names)
    if missing:
        names |= {u.id: u.display_name for u in db.exec(select(User).where(User.id.in_(missing)))}
    return TeamOverview(scores, rows, idle, awaiting, team_notes, names, today)


def _latest_ids(db: DbSession, shared: Any) -> dict[int, int]:
    """Each practitioner's latest session (by conversation date, then id)."""
    ranked = select(Session.owner_id, Session.id, func.row_number().over(
        partition_by=Session.owner_id, order_by=(Session.session_date.desc(), Session.id.desc()))
        .label("rank")).where(shared).subquery()
    return dict(db.exec(select(ranked.c.owner_id, ranked.c.id).where(ranked.c.rank == 1)).all())
