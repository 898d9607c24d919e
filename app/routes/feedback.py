"""Supervision feedback: built from the session's own words, edited by the supervisor,
shared with the practitioner, and printable as a one-page supervision record."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app import access, audit, store
from app.access import Action
from app.audit import Event
from app.deps import (
    ActorDep, CurrentUser, EditableFeedback, Protected, SchemeDep, SessionDep, SettingsDep, VisibleSession,
)
from app.feedback import SECTION_KEYS, SECTION_TITLES, build_feedback
from app.models import Session, User
from app.web import render

router = APIRouter(include_in_schema=False)
MAX_SECTION = 6000


def can_edit(user: User, s: Session) -> bool:
    """The team's supervisor edits and shares feedback on a shared session (app.access)."""
    return access.can(user, Action.feedback_edit, s)


def _sections(stored: store.StoredSession, user: User, days: int) -> tuple[dict[str, str], str]:
    """The sections this user sees, and where they come from: generated, draft or shared.
    Once the text is purged, every quotation reads "text removed after N days"."""
    record = stored.feedback
    if record and (record.status == "shared" or can_edit(user, stored.session)):
        sections, status = json.loads(record.sections_json), record.status
    else:
        fb = build_feedback(stored.coded(), change_goals=stored.session.change_goals)
        sections, status = fb.as_sections(), "generated"
    if stored.purged:
        note = f"“{store.removed_note(days)}”"
        sections = {k: store.QUOTED.sub(note, v) for k, v in sections.items()}
    return sections, status


@router.get("/sessions/{session_id}/feedback")
async def feedback_page(request: Request, s: VisibleSession, db: SessionDep, user: CurrentUser,
                        actor: ActorDep, scheme: SchemeDep, settings: SettingsDep) -> Response:
    """The supervision feedback (print it for a one-page supervision record)."""
    audit.record(db, actor, Event.feedback_view, target=s.id, detail="page (and print view)", commit=True)
    stored = store.load_session(db, session=s, scheme=scheme)
    sections, status = _sections(stored, user, settings.retention_days)
    return render(request, "feedback.html", {
        "stored": stored, "s": s, "scores": stored.scores, "sections": sections, "status": status,
        "titles": SECTION_TITLES, "keys": SECTION_KEYS, "can_edit": can_edit(user, s)})


@router.get("/sessions/{session_id}/feedback/edit")
async def edit_feedback(request: Request, s: EditableFeedback, db: SessionDep, user: CurrentUser,
                        actor: ActorDep, scheme: SchemeDep, settings: SettingsDep) -> Response:
    """The supervisor's editor for the feedback, before sharing it."""
    audit.record(db, actor, Event.feedback_view, target=s.id, detail="editor", commit=True)
    stored = store.load_session(db, session=s, scheme=scheme)
    sections, status = _sections(stored, user, settings.retention_days)
    return render(request, "feedback_edit.html", {"stored": stored, "s": s, "sections": sections,
                                                  "status": status, "titles": SECTION_TITLES,
                                                  "keys": SECTION_KEYS})


@router.post("/sessions/{session_id}/feedback", dependencies=[Protected])
async def save_feedback(request: Request, s: EditableFeedback, db: SessionDep, user: CurrentUser,
                        actor: ActorDep) -> Response:
    """Save the edited feedback as a draft, or share it with the practitioner."""
    form = await request.form()
    sections = {k: str(form.get(k, ""))[:MAX_SECTION].replace("\r\n", "\n") for k in SECTION_KEYS}
    share = form.get("action") == "share"
    audit.record(db, actor, Event.feedback_share if share else Event.feedback_edit, target=s.id)  # with the save
    store.save_feedback(db, session=s, user=user, sections=sections, share=share)
    return RedirectResponse(f"/sessions/{s.id}/feedback", status_code=303)
