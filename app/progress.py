"""A practitioner's progress: summary scores over time, goals agreed in supervision and how
later sessions measure up to them, and supervision notes. Queries only; no web imports.

Which sessions count is app.access's rule: all of them for the practitioner, the shared
ones for their supervisor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session as DbSession
from sqlmodel import select

from app import access
from app.models import Goal, Session, SupervisionNote, User
from app.scheme import Scheme, SummaryScore
from app.scoring import ScoreValue

TRACKED = ("reflection_to_question", "percent_complex_reflections", "percent_open_questions",
           "mi_adherent", "mi_non_adherent", "technical_global", "relational_global")


def tracked_scores(scheme: Scheme) -> list[SummaryScore]:
    """The summary scores people follow over time (not the formulas' helpers), scheme order."""
    return [s for s in scheme.summary_scores if s.id in TRACKED]


def score_of(summary: Mapping[str, Any], score_id: str) -> float | None:
    """A summary score from a stored summary (global ones may be stored as estimates)."""
    value = summary.get(score_id, summary.get(f"{score_id}_estimate"))
    return float(value) if isinstance(value, int | float) else None


def band(score: SummaryScore, value: float | None) -> str:
    return ScoreValue(score.id, score.name, value, score.display, score.fair, score.good,
                      score.lower_is_better).band


@dataclass
class Trend:
    score: SummaryScore
    points: list[tuple[date, float]]

    @property
    def latest(self) -> float | None:
        return self.points[-1][1] if self.points else None

    @property
    def band(self) -> str:
        return band(self.score, self.latest)


@dataclass
class GoalProgress:
    goal: Goal
    score: SummaryScore | None
    later: int = 0           # sessions since the goal was agreed
    met: int = 0             # of which met the target
    latest: float | None = None
    values: list[tuple[date, float]] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.score is not None and self.goal.target is not None

    @property
    def comparison(self) -> str:
        return "≤" if self.score is not None and self.score.lower_is_better else "≥"

    @property
    def status(self) -> str:
        if self.goal.achieved:
            return "Closed as met in supervision"
        if not self.measured:
            return "Talked through in supervision"
        if not self.later:
            return "No session since it was agreed"
        return f"Met in {self.met} of {self.later} later session{'s' if self.later != 1 else ''}"


def meets(score: SummaryScore, value: float | None, target: float) -> bool:
    if value is None:
        return False
    return value <= target if score.lower_is_better else value >= target


@dataclass
class Progress:
    practitioner: User
    sessions: list[Session]
    trends: list[Trend]
    goals: list[GoalProgress]
    notes: list[SupervisionNote]


def progress(db: DbSession, *, viewer: User, practitioner: User, scheme: Scheme) -> Progress:
    """Everything the progress page shows, limited to the sessions this viewer may count."""
    sessions = list(db.exec(select(Session).where(access.progress_sessions_clause(viewer, practitioner))
                            .order_by(Session.session_date, Session.id)))
    summaries = [(s.session_date, json.loads(s.summary_json)) for s in sessions]
    scores = tracked_scores(scheme)
    trends = [Trend(sc, [(d, v) for d, summ in summaries if (v := score_of(summ, sc.id)) is not None])
              for sc in scores]
    by_id = {sc.id: sc for sc in scheme.summary_scores}
    goals = []
    for g in db.exec(select(Goal).where(Goal.practitioner_id == practitioner.id)
                     .order_by(Goal.agreed_on.desc(), Goal.id.desc())):
        gp = GoalProgress(g, by_id.get(g.score_id))
        if gp.measured:
            later = [(d, score_of(summ, g.score_id)) for d, summ in summaries if d > g.agreed_on]
            gp.later = len(later)
            gp.met = sum(meets(gp.score, v, g.target) for _, v in later)
            gp.values = [(d, v) for d, v in later if v is not None]
            gp.latest = gp.values[-1][1] if gp.values else None
        goals.append(gp)
    goals.sort(key=lambda gp: gp.goal.achieved)  # open goals first, each group newest first
    return Progress(practitioner, sessions[::-1], trends, goals,
                    notes(db, practitioner_ids=[practitioner.id]))


def notes(db: DbSession, *, practitioner_ids: Iterable[int], limit: int = 100) -> list[SupervisionNote]:
    ids = list(practitioner_ids)
    if not ids:
        return []
    return list(db.exec(select(SupervisionNote).where(SupervisionNote.practitioner_id.in_(ids))
                        .order_by(SupervisionNote.note_date.desc(), SupervisionNote.id.desc()).limit(limit)))


def add_goal(db: DbSession, *, practitioner: User, supervisor: User, text: str, agreed_on: date,
             score_id: str = "", target: float | None = None) -> Goal:
    goal = Goal(practitioner_id=practitioner.id, set_by_id=supervisor.id, text=text.strip()[:300],
                score_id=score_id if target is not None else "", target=target if score_id else None,
                agreed_on=agreed_on)
    db.add(goal)
    db.commit()
    db.refresh(goal)
    return goal


GOAL_ACTIONS = ("close", "reopen", "remove")


def goal_of(db: DbSession, *, practitioner: User, goal_id: int) -> Goal | None:
    """The practitioner's goal with this id, if there is one."""
    goal = db.get(Goal, goal_id)
    return goal if goal is not None and goal.practitioner_id == practitioner.id else None


def change_goal(db: DbSession, *, goal: Goal, action: str) -> None:
    """Close a goal as met, reopen it, or remove one set by mistake."""
    if action not in GOAL_ACTIONS:
        raise ValueError(f"no such change to a goal: {action!r}")
    if action == "remove":
        db.delete(goal)
    else:
        goal.achieved = action == "close"
        db.add(goal)
    db.commit()


def add_note(db: DbSession, *, practitioner: User, supervisor: User, text: str,
             note_date: date) -> SupervisionNote:
    note = SupervisionNote(practitioner_id=practitioner.id, supervisor_id=supervisor.id,
                           note_date=note_date, text=text.strip()[:5000])
    db.add(note)
    db.commit()
    db.refresh(note)
    return note
