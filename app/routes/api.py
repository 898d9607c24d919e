"""The JSON API: list, read and create coded sessions (Bearer token or login cookie)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from app import audit, store
from app.access import Action
from app.audit import Event
from app.deps import (
    ActorDep, CoderDep, CurrentUser, DeletableSession, Protected, SchemeDep, SessionDep, SettingsDep,
    VisibleSession, authorized,
)
from app.exports import session_json
from app.forms import GOALS_TOO_LONG_REDACTED, MAX_GOALS, NewSessionForm
from app.models import Session, SessionPublic, Setting, User, Visibility
from app.parsers import file_label, read_bytes, read_text
from app.redaction import redact_ingest, split_names
from app.transcript import TranscriptError

router = APIRouter(prefix="/api", tags=["sessions"])


class SessionCreate(BaseModel):
    """A session from typed notes (JSON); or send multipart/form-data with `file` instead of `text`."""

    text: str = Field(min_length=1, description="notes with speaker prefixes, one turn a line")
    session_date: date
    family_ref: str = Field(description="a pseudonymous family reference, never a name")
    change_goals: str
    setting: Setting = Setting.home_visit
    visibility: Visibility = Visibility.private
    practitioner: str | None = Field(default=None, description="the practitioner's speaker label")
    names: list[str] = Field(default_factory=list, description="names to remove from the text "
                             "(redaction on ingest also finds speaker labels and names in the text)")


class SessionDetail(SessionPublic):
    model: dict[str, str]
    turns: list[dict[str, Any]]


def public(s: Session, owner: User) -> SessionPublic:
    return SessionPublic(id=s.id, owner=owner.username, title=s.title, source=s.source,
                         scheme=s.scheme_id, created_at=s.created_at, session_date=s.session_date,
                         family_ref=s.family_ref, change_goals=s.change_goals, setting=s.setting,
                         visibility=s.visibility, summary=json.loads(s.summary_json))


@router.get("/sessions", response_model=list[SessionPublic], dependencies=[authorized(Action.session_list)])
async def list_sessions(db: SessionDep, user: CurrentUser, actor: ActorDep, limit: int = 100,
                        offset: int = 0) -> list[SessionPublic]:
    """Sessions you may see, newest first, with their summary scores."""
    sessions = store.visible_sessions(db, user=user, limit=max(1, min(limit, 500)), offset=max(0, offset))
    audit.record(db, actor, Event.session_list, detail=f"api: {len(sessions)} sessions", commit=True)
    owners = store.owners(db, sessions=sessions)
    return [public(s, owners[s.owner_id]) for s in sessions]


@router.get("/sessions/{session_id}", response_model=SessionDetail)
async def get_session(s: VisibleSession, db: SessionDep, actor: ActorDep, scheme: SchemeDep) -> SessionDetail:
    """One session: metadata, summary, and every turn with its coded utterances (the CLI's contract)."""
    audit.record(db, actor, Event.session_view, target=s.id, detail="api", commit=True)
    stored = store.load_session(db, session=s, scheme=scheme)
    doc = session_json(stored.coded())
    base = public(s, stored.owner).model_dump()
    base["summary"] = doc["summary"]
    return SessionDetail(**base, model={"name": s.model_name, "version": s.model_version},
                         turns=doc["turns"])


_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": SessionCreate.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file", "session_date", "family_ref", "change_goals"],
                                       "properties": {"file": {"type": "string", "format": "binary"},
                                                      **{k: {"type": "string"} for k in (
                                                          "session_date", "family_ref", "change_goals",
                                                          "setting", "visibility", "practitioner", "names")}}}}}}}


def _invalid(errors: dict[str, str]) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["body", k], "msg": v, "type": "value_error"}
                                                  for k, v in errors.items()])


@router.post("/sessions", response_model=list[SessionPublic], status_code=201,
             dependencies=[Protected, authorized(Action.session_create)], openapi_extra=_BODY)
async def create_session(request: Request, db: SessionDep, user: CurrentUser, settings: SettingsDep,
                         scheme: SchemeDep, coder: CoderDep, actor: ActorDep) -> Any:
    """Code and store a session from typed notes (JSON) or an uploaded file (multipart)."""
    kind = request.headers.get("content-type", "")
    upload: tuple[str, bytes] | None = None
    if kind.startswith("application/json"):
        try:
            body = SessionCreate.model_validate_json(await request.body())
        except ValidationError as e:
            errors = e.json(include_url=False, include_context=False, include_input=False)
            return JSONResponse({"detail": json.loads(errors)}, status_code=422)
        fields = body.model_dump(mode="json")
        fields["practitioner"] = fields["practitioner"] or ""
        names = fields.pop("names")
    elif kind.startswith("multipart/form-data"):
        async with request.form() as form:
            fields = {k: str(form.get(k) or "") for k in ("text", "session_date", "family_ref",
                                                          "change_goals", "setting", "visibility",
                                                          "practitioner")}
            names = split_names(str(form.get("names") or ""))
            fields["setting"] = fields["setting"] or Setting.home_visit.value
            fields["visibility"] = fields["visibility"] or Visibility.private.value
            file = form.get("file")
            if file is not None and not isinstance(file, str) and file.filename:
                upload = (file.filename, await file.read(settings.max_upload_bytes + 1))
    else:
        raise HTTPException(status_code=415, detail="Send application/json or multipart/form-data.")
    form_ = NewSessionForm(**fields)
    meta = form_.meta(date.today())
    if meta is None:
        raise _invalid(form_.errors)
    label = fields["practitioner"].strip() or None
    try:
        if upload is not None:
            name, data = upload
            title = file_label(name)
            transcripts = read_bytes(data, name, max_bytes=settings.max_upload_bytes, practitioner=label)
        elif fields["text"].strip():
            transcripts = [read_text(fields["text"], practitioner=label, max_bytes=settings.max_upload_bytes)]
            title = "Typed notes"
        else:
            raise _invalid({"text": "Send text, or a file in multipart/form-data."})
    except TranscriptError as e:
        raise _invalid({"file" if upload is not None else "text": str(e)}) from None
    if (rs := settings.redaction) is not None:
        transcripts, goals, title = redact_ingest(transcripts, names=names, change_goals=meta.change_goals,
                                                  title=title, settings=rs)
        meta = replace(meta, change_goals=goals)
        if len(goals) > MAX_GOALS:  # placeholders can be longer than what they replace
            raise _invalid({"change_goals": GOALS_TOO_LONG_REDACTED})
    created = await run_in_threadpool(store.code_and_store, db, owner=user, transcripts=transcripts,
                                      meta=meta, scheme=scheme, coder=coder, title=title, actor=actor)
    return [public(s, user) for s in created]


@router.delete("/sessions/{session_id}", status_code=204, dependencies=[Protected])
def delete_session(s: DeletableSession, db: SessionDep, actor: ActorDep) -> Response:
    """Delete a session you own and every row that belongs to it."""
    audit.record(db, actor, Event.session_delete, target=s.id, detail="api")  # committed with the deletion
    store.delete_session(db, session=s)
    return Response(status_code=204)
