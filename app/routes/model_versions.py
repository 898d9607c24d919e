"""Model versions (admin only): the versions with their figures side by side, building a
candidate in the background (progress by htmx polling), and promoting one that is not worse."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app import audit, learning
from app.access import Action
from app.audit import Event
from app.deps import ActorDep, CurrentUser, NotFound, Protected, SessionDep, SettingsDep, authorized, existing_id
from app.models import ModelVersion
from app.web import render, wants_fragment
from classifiers.coder import Coder

router = APIRouter(include_in_schema=False)
_start_lock = threading.Lock()  # one build at a time
AdminOnly = authorized(Action.admin_manage)


def _job(request: Request) -> learning.BuildJob | None:
    return getattr(request.app.state, "model_job", None)


def _context(request: Request, db: Any, settings: Any, **extra: Any) -> dict[str, Any]:
    rows = learning.versions(db)
    return {"versions": [(v, learning.parsed(v)) for v in rows],
            "current": learning.current_version(db, settings), "job": _job(request),
            "reviewed": len(learning.reviewed_session_ids(db)), "roles": ("practitioner", "client"),
            "models_dir": settings.models_dir, "active": any(v.active for v in rows), **extra}


def _refused(request: Request, db: Any, settings: Any, error: learning.LearningError) -> Response:
    """The page with why a change was refused; nothing of it (its audit event included) is kept."""
    db.rollback()
    return render(request, "model_versions.html", _context(request, db, settings, error=str(error)),
                  status_code=409)


@router.get("/admin/models", dependencies=[AdminOnly])
async def model_versions(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """The model versions with their figures beside the model each was compared with."""
    return render(request, "model_versions.html", _context(request, db, settings))


@router.get("/admin/models/build", dependencies=[AdminOnly])
async def build_status(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """The build's progress (htmx polls this while it runs)."""
    if not wants_fragment(request):
        return RedirectResponse("/admin/models", status_code=303)
    return render(request, "model_versions.html", _context(request, db, settings), block="build")


@router.post("/admin/models/build", dependencies=[AdminOnly, Protected])
async def build(request: Request, db: SessionDep, settings: SettingsDep, user: CurrentUser,
                actor: ActorDep) -> Response:
    """Start building a candidate from the corpus plus reviewed sessions, unless one is running."""
    with _start_lock:
        job = _job(request)
        if job is None or job.done:
            request.app.state.model_job = learning.BuildJob().start(
                request.app.state.engine, settings, built_by=user.username)
            audit.record(db, actor, Event.model_build, detail="a candidate from reviewed sessions", commit=True)
    if wants_fragment(request):
        return render(request, "model_versions.html", _context(request, db, settings), block="build")
    return RedirectResponse("/admin/models", status_code=303)


@router.post("/admin/models/{version_id}/promote", dependencies=[AdminOnly, Protected])
async def promote(request: Request, version_id: int, db: SessionDep, settings: SettingsDep,
                  user: CurrentUser, actor: ActorDep) -> Response:
    """Make a candidate the active model, if it was not worse than the current one."""
    version = db.get(ModelVersion, existing_id(version_id))
    if version is None:
        raise NotFound()
    audit.record(db, actor, Event.model_promote, detail=version.version)  # commits with the change
    try:
        learning.promote(db, settings, version, by=user.username)
    except learning.LearningError as e:
        return _refused(request, db, settings, e)
    request.app.state.coder = Coder.load(learning.model_for_coding(settings))  # new sessions use it
    return RedirectResponse("/admin/models?promoted=1", status_code=303)


@router.post("/admin/models/shipped", dependencies=[AdminOnly, Protected])
async def use_shipped(request: Request, db: SessionDep, settings: SettingsDep, actor: ActorDep) -> Response:
    """Code new sessions with the shipped model again (a promoted version turned out worse)."""
    audit.record(db, actor, Event.model_shipped, detail="no version active")  # commits with the change
    try:
        learning.use_shipped(db, settings)
    except learning.LearningError as e:
        return _refused(request, db, settings, e)
    request.app.state.coder = Coder.load(learning.model_for_coding(settings))
    return RedirectResponse("/admin/models?shipped=1", status_code=303)


@router.post("/admin/models/{version_id}/remove", dependencies=[AdminOnly, Protected])
async def remove(request: Request, version_id: int, db: SessionDep, settings: SettingsDep,
                 actor: ActorDep) -> Response:
    """Delete a version that is not in use, with its files."""
    version = db.get(ModelVersion, existing_id(version_id))
    if version is None:
        raise NotFound()
    audit.record(db, actor, Event.model_remove, detail=version.version)  # commits with the change
    try:
        learning.remove_version(db, settings, version)
    except learning.LearningError as e:
        return _refused(request, db, settings, e)
    return RedirectResponse("/admin/models?removed=1", status_code=303)
