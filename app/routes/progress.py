"""A practitioner's progress page: scores over time against the thresholds, goals agreed in
supervision and how later sessions measure up, their sessions; the supervisor adds goals
and supervision notes here."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import audit, progress
from app.audit import Event
from app.access import Action
from app.charts import Series, line_chart
from app.deps import (ActorDep, CurrentUser, NotFound, ProgressOf, Protected, SchemeDep, SessionDep,
                      SupervisedBy, authorized, existing_id)
from app.models import Role, User
from app.web import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, db, viewer: User, practitioner: User, scheme, *,  # noqa: ANN001
          errors: dict[str, str] | None = None, status: int = 200) -> Response:
    data = progress.progress(db, viewer=viewer, practitioner=practitioner, scheme=scheme)
    charts = {t.score.id: line_chart(
        f"chart-{t.score.id}", f"{t.score.name} over time",
        f"{len(t.points)} session{'s' if len(t.points) != 1 else ''}"
        + (f"; fair from {t.score.fair:g}, good from {t.score.good:g}" if t.score.good is not None else "")
        + (f"; latest {t.latest:.2f} ({t.band or 'no threshold'})" if t.latest is not None else ""),
        [Series(t.score.name, t.points)], fair=t.score.fair, good=t.score.good,
        lower_is_better=t.score.lower_is_better) for t in data.trends}
    return render(request, "progress.html", {
        "p": data, "charts": charts, "own": viewer.id == practitioner.id,
        "can_supervise": viewer.role == Role.supervisor, "scores": progress.tracked_scores(scheme),
        "errors": errors or {}, "today": date.today()}, status_code=status)


@router.get("/progress", dependencies=[authorized(Action.progress_own)])
async def my_progress(request: Request, db: SessionDep, user: CurrentUser, scheme: SchemeDep) -> Response:
    """Your scores over time, your goals, your sessions."""
    return _page(request, db, user, user, scheme)


@router.get("/progress/{user_id}")
async def practitioner_progress(request: Request, practitioner: ProgressOf, db: SessionDep,
                                user: CurrentUser, scheme: SchemeDep) -> Response:
    """A practitioner's progress (for them, and for their supervisor)."""
    return _page(request, db, user, practitioner, scheme)


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@router.post("/progress/{user_id}/goals", dependencies=[Protected])
async def add_goal(request: Request, practitioner: SupervisedBy, db: SessionDep, user: CurrentUser,
                   actor: ActorDep, scheme: SchemeDep, text: Annotated[str, Form(max_length=300)] = "",
                   score_id: Annotated[str, Form()] = "", target: Annotated[str, Form()] = "",
                   agreed_on: Annotated[str, Form()] = "") -> Response:
    """Record a goal agreed in supervision (optionally measured by a score and a target)."""
    errors = {}
    known = {s.id for s in progress.tracked_scores(scheme)}
    day = _parse_date(agreed_on) or (date.today() if not agreed_on else None)
    value = None
    if not text.strip():
        errors["goal_text"] = "Say what was agreed, in the practitioner's words if you can."
    if score_id and score_id not in known:
        errors["goal_score"] = "Choose one of the scores offered, or none."
    if score_id and target.strip():
        try:
            value = float(target)
        except ValueError:
            errors["goal_target"] = "The target is a number, such as 1 or 50."
    elif score_id:
        errors["goal_target"] = "Give the target for this score, such as 1 or 50."
    if day is None or day > date.today():
        errors["goal_date"] = "Give the date of the supervision, not in the future."
    if errors:
        return _page(request, db, user, practitioner, scheme, errors=errors, status=422)
    audit.record(db, actor, Event.goal_add, detail=f"for user {practitioner.id}")  # committed with the goal
    progress.add_goal(db, practitioner=practitioner, supervisor=user, text=text, agreed_on=day,
                      score_id=score_id, target=value)
    return RedirectResponse(f"/progress/{practitioner.id}#goals", status_code=303)


@router.post("/progress/{user_id}/goals/change", dependencies=[Protected])
async def change_goal(request: Request, practitioner: SupervisedBy, db: SessionDep, user: CurrentUser,
                      actor: ActorDep, scheme: SchemeDep, goal_id: Annotated[str, Form()] = "",
                      action: Annotated[str, Form()] = "") -> Response:
    """Close a goal as met, reopen it, or remove one set by mistake."""
    if not goal_id.isdecimal() or action not in progress.GOAL_ACTIONS:
        return _page(request, db, user, practitioner, scheme, status=422,
                     errors={"goal_change": "Choose a goal and whether to close, reopen or remove it."})
    goal = progress.goal_of(db, practitioner=practitioner, goal_id=existing_id(int(goal_id)))
    if goal is None:
        raise NotFound()
    audit.record(db, actor, Event.goal_change,  # committed with the change
                 detail=f"goal {goal_id} for user {practitioner.id}: {action}")
    progress.change_goal(db, goal=goal, action=action)
    return RedirectResponse(f"/progress/{practitioner.id}#goals", status_code=303)


@router.post("/progress/{user_id}/notes", dependencies=[Protected])
async def add_note(request: Request, practitioner: SupervisedBy, db: SessionDep, user: CurrentUser,
                   actor: ActorDep, scheme: SchemeDep, text: Annotated[str, Form(max_length=5000)] = "",
                   note_date: Annotated[str, Form()] = "") -> Response:
    """Keep a note of a supervision conversation."""
    errors = {}
    day = _parse_date(note_date) or (date.today() if not note_date else None)
    if not text.strip():
        errors["note_text"] = "Write the note of the supervision."
    if day is None or day > date.today():
        errors["note_date"] = "Give the date of the supervision, not in the future."
    if errors:
        return _page(request, db, user, practitioner, scheme, errors=errors, status=422)
    audit.record(db, actor, Event.note_add, detail=f"for user {practitioner.id}")  # committed with the note
    progress.add_note(db, practitioner=practitioner, supervisor=user, text=text, note_date=day)
    return RedirectResponse(f"/progress/{practitioner.id}#notes", status_code=303)
