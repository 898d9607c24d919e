"""Reviewing a session: correct an utterance's code (one click, optional reason) and enter
human global ratings; the score card updates in place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app import audit, store
from app.audit import Event
from app.deps import (
    ActorDep, CorrectableSession, CurrentUser, Protected, RateableSession, SchemeDep, SessionDep, SettingsDep,
    VisibleSession,
)
from app.routes.sessions import session_context
from app.web import render, wants_fragment

router = APIRouter(include_in_schema=False)


def _find(stored: store.StoredSession, utterance_id: int):  # noqa: ANN202
    found = stored.utterance(utterance_id)
    if found is None:
        raise HTTPException(status_code=404, detail="No such utterance.")
    return found


def _context(stored, scheme, settings, user, utterance_id: int) -> dict:  # noqa: ANN001
    turn, u = _find(stored, utterance_id)
    return {**session_context(stored, scheme, settings, user), "turn": turn, "u": u,
            "choices": store.choices_for(turn.role)}


@router.get("/sessions/{session_id}/utterances/{utterance_id}")
async def utterance(request: Request, utterance_id: int, s: VisibleSession, db: SessionDep,
                    user: CurrentUser, actor: ActorDep, scheme: SchemeDep, settings: SettingsDep) -> Response:
    """One coded utterance (htmx), e.g. after cancelling a correction."""
    stored = store.load_session(db, session=s, scheme=scheme)
    context = _context(stored, scheme, settings, user, utterance_id)
    if not wants_fragment(request):
        return RedirectResponse(f"/sessions/{s.id}#u-{utterance_id}", status_code=303)
    audit.record(db, actor, Event.session_view, target=s.id, detail=f"utterance {utterance_id}", commit=True)
    return render(request, "_partials.html", context, block="utterance_block")


@router.get("/sessions/{session_id}/utterances/{utterance_id}/correct")
async def correct_form(request: Request, utterance_id: int, s: CorrectableSession, db: SessionDep,
                       user: CurrentUser, actor: ActorDep, scheme: SchemeDep, settings: SettingsDep) -> Response:
    """The codes to choose from, with an optional reason."""
    stored = store.load_session(db, session=s, scheme=scheme)
    context = _context(stored, scheme, settings, user, utterance_id)
    audit.record(db, actor, Event.session_view, target=s.id, detail=f"utterance {utterance_id}, to correct",
                 commit=True)
    if wants_fragment(request):
        return render(request, "_partials.html", context, block="correct_form")
    return render(request, "correct.html", context)


@router.post("/sessions/{session_id}/utterances/{utterance_id}", dependencies=[Protected])
async def correct(request: Request, utterance_id: int, s: CorrectableSession, db: SessionDep,
                  user: CurrentUser, actor: ActorDep, scheme: SchemeDep, settings: SettingsDep,
            code: Annotated[str, Form()] = "", reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Store a human code beside the automatic one, then rescore."""
    stored = store.load_session(db, session=s, scheme=scheme)
    turn, u = _find(stored, utterance_id)
    choice = store.parse_choice(code, turn.role)
    if choice is None:
        raise HTTPException(status_code=422, detail="Choose one of the codes offered.")
    audit.record(db, actor, Event.session_correct, target=s.id,  # committed with the correction
                 detail=f"utterance {utterance_id}: {store.choice_value(u)} to {code}")
    store.correct_utterance(db, stored=stored, utterance=u, user=user, code=choice[0],
                            subtype=choice[1], reason=reason, scheme=scheme)
    if not wants_fragment(request):
        return RedirectResponse(f"/sessions/{s.id}#u-{utterance_id}", status_code=303)
    context = _context(stored, scheme, settings, user, utterance_id)
    return render(request, "_partials.html", {**context, "just_saved": True}, block="utterance_saved")


@router.post("/sessions/{session_id}/ratings", dependencies=[Protected])
async def rate(request: Request, s: RateableSession, db: SessionDep, user: CurrentUser, actor: ActorDep,
               scheme: SchemeDep, settings: SettingsDep) -> Response:
    """Human global ratings (1-5); all four together replace the estimates."""
    form = await request.form()
    clear = "clear" in form
    ratings: dict[str, int | None] = {}
    for g in scheme.globals:
        raw = form.get(f"rating_{g.id}", "")
        if clear or raw in ("", None):
            ratings[g.id] = None
        elif isinstance(raw, str) and raw in {"1", "2", "3", "4", "5"}:
            ratings[g.id] = int(raw)
        else:
            raise HTTPException(status_code=422, detail="A global rating is a whole number from 1 to 5.")
    stored = store.load_session(db, session=s, scheme=scheme)
    audit.record(db, actor, Event.session_rate, target=s.id,  # committed with the ratings
                 detail=", ".join(f"{k}={v or '-'}" for k, v in ratings.items()))
    store.set_ratings(db, stored=stored, user=user, ratings=ratings, scheme=scheme)
    if not wants_fragment(request):
        return RedirectResponse(f"/sessions/{s.id}#score-card", status_code=303)
    context = {**session_context(stored, scheme, settings, user), "ratings_saved": True}
    return render(request, "session.html", context, block="score_card")
