"""Sessions: the list, adding one (typed or uploaded, with a live parse preview), the session
page with its coded transcript and score card, and exports."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from app import access, audit, store
from app.access import Action
from app.audit import Event
from app.deps import (
    ActorDep, CoderDep, CurrentUser, DeletableSession, Protected, SchemeDep, SessionDep, SettingsDep,
    VisibleSession, authorized,
)
from app.exports import to_csv, to_json
from app.forms import GOALS_TOO_LONG_REDACTED, MAX_GOALS, NewSessionForm
from app.models import VISIBILITY_LABELS, FeedbackRecord, Role, Setting, Visibility
from app.parsers import NOTES_HELP, SUPPORTED, file_label, read_bytes, read_text
from app.redaction import redact, redact_ingest, split_names
from app.transcript import TranscriptError
from app.web import render, wants_fragment

router = APIRouter(include_in_schema=False)
PREVIEW_TURNS = 40


@router.get("/sessions", dependencies=[authorized(Action.session_list)])
async def list_sessions(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    """The sessions you may see, newest first."""
    sessions = store.visible_sessions(db, user=user)
    owners = store.owners(db, sessions=sessions)
    ids = [s.id for s in sessions]
    shared = set(db.exec(select(FeedbackRecord.session_id).where(
        FeedbackRecord.session_id.in_(ids), FeedbackRecord.status == "shared"))) if ids else set()
    rows = [{"session": s, "owner": owners.get(s.owner_id), "summary": json.loads(s.summary_json),
             "feedback_shared": s.id in shared} for s in sessions]
    return render(request, "sessions.html", {"rows": rows, "is_supervisor": user.role == Role.supervisor,
                                             "can_add": access.allows(user, Action.session_create)})


def _form_context(form: NewSessionForm, **extra: object) -> dict[str, object]:
    return {"form": form, "settings_choices": [s.value for s in Setting],
            "visibility_choices": VISIBILITY_LABELS, "notes_help": NOTES_HELP,
            "supported": SUPPORTED, "transcript": None, "preview_error": "", **extra}


@router.get("/sessions/new", dependencies=[authorized(Action.session_create)])
async def new_session(request: Request, user: CurrentUser) -> Response:
    """The form to add a session by typing, pasting or uploading."""
    form = NewSessionForm(session_date=date.today().isoformat(),
                          visibility=Visibility.shared.value if user.team_id else Visibility.private.value)
    return render(request, "new_session.html", _form_context(form))


@router.post("/sessions/preview", dependencies=[Protected, authorized(Action.session_create)])
async def preview(request: Request, user: CurrentUser, settings: SettingsDep,
                  text: Annotated[str, Form()] = "", practitioner: Annotated[str, Form()] = "",
                  names: Annotated[str, Form()] = "") -> Response:
    """How the typed text parses into speaker turns (htmx, as you type), redacted as it will be stored."""
    transcript, error = None, ""
    if text.strip():
        try:
            transcript = read_text(text, practitioner=practitioner.strip() or None,
                                   max_bytes=settings.max_upload_bytes)
        except TranscriptError as e:
            error = str(e)
    if transcript is not None and (rs := settings.redaction) is not None:
        transcript = redact(transcript, names=split_names(names), settings=rs)
    return render(request, "new_session.html",
                  {"transcript": transcript, "preview_error": error, "limit": PREVIEW_TURNS,
                   "redacted": settings.redact}, block="preview")


@router.post("/sessions", dependencies=[Protected, authorized(Action.session_create)])
def create_session(request: Request, db: SessionDep, user: CurrentUser, settings: SettingsDep,
                   scheme: SchemeDep, coder: CoderDep, actor: ActorDep,
                   text: Annotated[str, Form()] = "", practitioner: Annotated[str, Form()] = "",
                   session_date: Annotated[str, Form()] = "", family_ref: Annotated[str, Form()] = "",
                   change_goals: Annotated[str, Form()] = "", setting: Annotated[str, Form()] = "",
                   visibility: Annotated[str, Form()] = "", names: Annotated[str, Form()] = "",
                   file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Parse, redact (unless turned off), code and store a session; errors go back beside the fields."""
    form = NewSessionForm(text, practitioner, session_date, family_ref, change_goals, setting, visibility,
                          names)
    meta = form.meta(date.today())
    label = practitioner.strip() or None
    transcripts, title = [], "Typed notes"
    try:
        if file is not None and file.filename:
            title = file_label(file.filename)
            data = file.file.read(settings.max_upload_bytes + 1)
            transcripts = read_bytes(data, file.filename, max_bytes=settings.max_upload_bytes,
                                     practitioner=label)
        elif text.strip():
            transcripts = [read_text(text, practitioner=label, max_bytes=settings.max_upload_bytes)]
        else:
            form.errors["text"] = "Type or paste the conversation, or choose a file to upload."
    except TranscriptError as e:
        form.errors["file" if file is not None and file.filename else "text"] = str(e)
    if not form.errors and meta is not None and (rs := settings.redaction) is not None:
        transcripts, goals, title = redact_ingest(transcripts, names=split_names(names),
                                                  change_goals=meta.change_goals, title=title, settings=rs)
        meta = replace(meta, change_goals=goals)
        if len(goals) > MAX_GOALS:  # placeholders can be longer than what they replace
            form.errors["change_goals"] = GOALS_TOO_LONG_REDACTED
    if form.errors or meta is None:
        context = _form_context(form)
        if wants_fragment(request):
            return render(request, "new_session.html", context, block="form", status_code=422)
        return render(request, "new_session.html", context, status_code=422)
    created = store.code_and_store(db, owner=user, transcripts=transcripts, meta=meta,
                                   scheme=scheme, coder=coder, title=title, actor=actor)
    target = f"/sessions/{created[0].id}" if len(created) == 1 else "/sessions"
    if wants_fragment(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def session_context(stored: store.StoredSession, scheme, settings, user, review: bool = False) -> dict:  # noqa: ANN001
    s = stored.session
    below = settings.review_below
    turns = [(t, [u for u in t.utterances if not review or store.needs_review(u, below)])
             for t in stored.turns]
    if review:
        turns = [(t, shown) for t, shown in turns if shown]
    return {"turns": turns, 
        "stored": stored, "s": s, "scheme": scheme, "scores": stored.scores, "review": review,
        "review_below": settings.review_below, "review_count": stored.needs_review(settings.review_below),
        "is_owner": s.owner_id == user.id, "visibility_label": VISIBILITY_LABELS[Visibility(s.visibility)],
        "choice_value": store.choice_value, "needs_review": store.needs_review,
        "can_correct": access.can(user, Action.session_correct, s),
        "can_rate": access.can(user, Action.session_rate, s),
        "can_delete": access.can(user, Action.session_delete, s),
        "purged": stored.purged, "retention_days": settings.retention_days,
    }


@router.get("/sessions/{session_id}")
async def session_page(request: Request, s: VisibleSession, db: SessionDep, user: CurrentUser,
                       actor: ActorDep, scheme: SchemeDep, settings: SettingsDep, review: bool = False) -> Response:
    """The coded transcript and score card."""
    block = "transcript" if wants_fragment(request) and request.headers.get("HX-Target") == "transcript" \
        else None
    audit.record(db, actor, Event.session_view, target=s.id, detail="transcript" if block else "page", commit=True)
    cache = request.app.state.page_cache
    key = ("session", s.id, s.revision, user.id, getattr(request.state, "csrf", ""), review, block)
    if (body := cache.get(key)) is not None:
        return HTMLResponse(body, headers={"Vary": "HX-Request"})
    stored = store.load_session(db, session=s, scheme=scheme)
    response = render(request, "session.html", session_context(stored, scheme, settings, user, review),
                      block=block)
    cache.put(key, response.body)
    return response


@router.get("/sessions/{session_id}/export.csv")
async def export_csv(s: VisibleSession, db: SessionDep, actor: ActorDep, scheme: SchemeDep) -> Response:
    """The coded utterances as CSV (safe against spreadsheet formula injection)."""
    audit.record(db, actor, Event.session_export, target=s.id, detail="csv", commit=True)
    stored = store.load_session(db, session=s, scheme=scheme)
    return Response(to_csv([stored.coded()]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="session-{s.id}.csv"'})


@router.get("/sessions/{session_id}/export.json")
async def export_json(s: VisibleSession, db: SessionDep, actor: ActorDep, scheme: SchemeDep) -> Response:
    """The session in the CLI's JSON contract."""
    audit.record(db, actor, Event.session_export, target=s.id, detail="json", commit=True)
    stored = store.load_session(db, session=s, scheme=scheme)
    body = to_json([stored.coded()], scheme, {"name": s.model_name, "version": s.model_version})
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="session-{s.id}.json"'})


@router.post("/sessions/{session_id}/delete", dependencies=[Protected])
def delete_session(s: DeletableSession, db: SessionDep, actor: ActorDep) -> Response:
    """Delete the session and every row that belongs to it (its owner only)."""
    audit.record(db, actor, Event.session_delete, target=s.id)  # committed with the deletion
    store.delete_session(db, session=s)
    return RedirectResponse("/sessions?deleted=1", status_code=303)
