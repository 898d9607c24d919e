"""FastAPI dependencies as Annotated aliases, so route signatures read like prose."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session as DbSession

from app import access, audit, security, users
from app.access import Action
from app.config import Settings
from app.models import MAX_ID, Session, User
from app.scheme import Scheme, load_scheme
from classifiers.coder import Coder

LOGIN_COOKIE = "mifi_login"
LOGIN_CSRF_COOKIE = "mifi_csrf"  # the sign-in form's double-submit token (before there is a login)
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

_coder_lock = threading.Lock()


class LoginRequired(Exception):
    """Raised when a page needs a signed-in user; the app turns it into a redirect or a 401."""


# Dependencies are `async def` so FastAPI runs them on the event loop: the database is
# local and quick, and this avoids a thread hop per dependency on every request. Routes that
# do slow work (coding a session) stay plain `def` and run in the thread pool.

async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[DbSession]:
    with DbSession(request.app.state.engine) as db:
        yield db


async def get_scheme(settings: Annotated[Settings, Depends(get_settings)]) -> Scheme:
    return load_scheme(settings.scheme)


def shared_coder(state: Any) -> Coder:
    """The app's coder, loaded once per process and reused; loaded again when the active
    model changes (promoted by another worker, another machine or `mifi train --from-db`)."""
    from app.active_model import model_for_coding

    path = model_for_coding(state.settings)
    if state.coder is None or getattr(state, "coder_path", path) != path:
        with _coder_lock:
            if state.coder is None or getattr(state, "coder_path", path) != path:
                state.coder = Coder.load(path)
                state.coder_path = path
    return state.coder


async def get_coder(request: Request) -> Coder:
    return shared_coder(request.app.state)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[DbSession, Depends(get_db)]
SchemeDep = Annotated[Scheme, Depends(get_scheme)]
CoderDep = Annotated[Coder, Depends(get_coder)]


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request) -> str:
    """The client's address. Behind a reverse proxy, run uvicorn with `--proxy-headers
    --forwarded-allow-ips=<the proxy's address>` so this is the real client, not the proxy."""
    return request.client.host if request.client else ""


async def optional_user(request: Request, db: SessionDep) -> User | None:
    """The signed-in user (API token or login cookie), or None. A login expires after
    `login_days`, or after `idle_minutes` without a request."""
    bearer = _bearer(request)
    if bearer is not None:
        user = users.user_for_token(db, raw=bearer, kind="api")
        request.state.auth = "token" if user else None
    else:
        raw = request.cookies.get(LOGIN_COOKIE, "")
        idle = request.app.state.settings.idle_minutes
        user = users.user_for_token(db, raw=raw, kind="login",
                                    idle=timedelta(minutes=idle) if idle else None) if raw else None
        request.state.auth = "cookie" if user else None
        if user:
            request.state.csrf = security.csrf_token(raw)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def current_user(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def check_csrf(request: Request, user: CurrentUser) -> None:
    """Cookie-signed-in changes need the CSRF token (header for htmx, form field otherwise)."""
    if request.method not in UNSAFE_METHODS or request.state.auth != "cookie":
        return
    raw = request.cookies.get(LOGIN_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        sent = (await request.form()).get(CSRF_FIELD)
    if not security.csrf_ok(raw, sent if isinstance(sent, str) else None):
        raise HTTPException(status_code=403, detail="The form has expired: reload the page and try again.")


Protected = Depends(check_csrf)


async def check_login_csrf(request: Request) -> None:
    """The sign-in form needs its double-submit token: the hidden field must match the cookie
    set with the form (SameSite=Strict), so another site cannot sign you in as someone else."""
    sent = (await request.form()).get(CSRF_FIELD) if "form" in request.headers.get("content-type", "") else None
    if not security.login_csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), sent if isinstance(sent, str) else None):
        raise HTTPException(status_code=403, detail="The sign-in form has expired, or your browser did not "
                            "send its cookie: allow cookies for this site, reload the page and try again.")


LoginProtected = Depends(check_login_csrf)


async def audit_actor(request: Request, user: CurrentUser) -> audit.Actor:
    """Who is acting, for the audit log: the signed-in user and their address."""
    return audit.Actor.of(user, client_address(request))


ActorDep = Annotated[audit.Actor, Depends(audit_actor)]


class NotFound(HTTPException):
    """The one answer for "does not exist" and "not yours to see": the same 404 either way."""

    def __init__(self) -> None:
        super().__init__(status_code=404, detail="Not Found")


def authorized(action: Action) -> Any:
    """The one dependency that enforces app.access for a route: the user's role must allow
    `action`, and a `{session_id}` or `{user_id}` in the path must be one this user may act on.

    Returns the session or practitioner named in the path (or None); anything else is a 404.
    """

    async def check(request: Request, db: SessionDep, user: CurrentUser) -> Session | User | None:
        if not access.allows(user, action):
            raise NotFound()
        params = request.path_params
        if "session_id" in params:
            found = access.session_for(db, user=user, session_id=_int(params["session_id"]), action=action)
        elif "user_id" in params:
            found = access.practitioner_for(db, user=user, practitioner_id=_int(params["user_id"]),
                                            action=action)
        else:
            return None
        if found is None:
            raise NotFound()
        return found

    check.action = action  # type: ignore[attr-defined]  # for the route-by-role test
    return Depends(check)


def _int(raw: Any) -> int:
    try:
        return existing_id(int(raw))
    except (TypeError, ValueError):
        raise NotFound() from None


def existing_id(value: int) -> int:
    """An id from the URL that the database could hold; any other is simply not found."""
    if not 0 < value <= MAX_ID:
        raise NotFound()
    return value


VisibleSession = Annotated[Session, authorized(Action.session_view)]
CorrectableSession = Annotated[Session, authorized(Action.session_correct)]
RateableSession = Annotated[Session, authorized(Action.session_rate)]
DeletableSession = Annotated[Session, authorized(Action.session_delete)]
EditableFeedback = Annotated[Session, authorized(Action.feedback_edit)]
ProgressOf = Annotated[User, authorized(Action.progress_view)]
SupervisedBy = Annotated[User, authorized(Action.supervision_write)]
