"""Log in and log out (a session cookie holding a random token; only its hash is stored).

Failed sign-ins are throttled per account and per address (app.throttle), and every sign-in,
failure and refusal goes into the audit log.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import access, audit, security, throttle, users
from app.audit import Event
from app.config import Settings
from app.deps import (
    LOGIN_COOKIE, LOGIN_CSRF_COOKIE, ActorDep, LoginProtected, OptionalUser, Protected, SessionDep, SettingsDep,
    client_address,
)
from app.models import utcnow
from app.web import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _form(request: Request, settings: Settings, *, next: str, username: str = "", error: str = "",
          notice: str = "", status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The sign-in form with its double-submit CSRF token (the cookie's, or a new one)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or security.new_token()
    request.state.csrf = token
    response = render(request, "login.html", {"next": _safe_next(next), "username": username, "error": error,
                                              "notice": notice}, status_code=status, headers=headers)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, path="/login")
    return response


def _try_again(until: datetime) -> str:
    minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
    return (f"Too many failed sign-ins: try again after {until:%H:%M} UTC "
            f"(in {minutes} minute{'s' if minutes != 1 else ''}).")


@router.get("/")
async def home(user: OptionalUser) -> Response:
    """Each role's home page (app.access), or the sign-in form."""
    return RedirectResponse(access.home(user) if user else "/login", status_code=303)


@router.get("/login")
async def login_page(request: Request, user: OptionalUser, settings: SettingsDep, next: str = "/") -> Response:
    """The sign-in form (saying so when a login has just expired)."""
    if user:
        return RedirectResponse(_safe_next(next), status_code=303)
    expired = bool(request.cookies.get(LOGIN_COOKIE))
    notice = "You have been signed out: your sign-in expired or was ended. Sign in again." if expired else ""
    response = _form(request, settings, next=next, notice=notice)
    if expired:
        response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/login", dependencies=[LoginProtected])
def login(request: Request, db: SessionDep, settings: SettingsDep,
          username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    """Check the password and set the login cookie, unless sign-in is throttled."""
    address, limits = client_address(request), throttle.Limits.from_settings(settings)
    account = users.get_user(db, username=username.strip()) if username.strip() else None
    actor = audit.Actor.of(account, address)
    until = throttle.refused_until(db, username=username, address=address, limits=limits)
    if until is not None:
        audit.record(db, actor, Event.login_refused, detail="too many failed sign-ins", commit=True)
        seconds = max(1, math.ceil((until - utcnow()).total_seconds()))
        return _form(request, settings, next=next, username=username, error=_try_again(until), status=429,
                     headers={"Retry-After": str(seconds)})
    user = users.authenticate(db, username=username, password=password, demo=settings.demo)
    if user is None:
        throttle.failed(db, username=username, address=address, limits=limits)
        audit.record(db, actor, Event.login_failed, detail="" if account else "unknown username", commit=True)
        error = "Enter a username and password." if not username or not password else \
            "The username or password is not right."
        return _form(request, settings, next=next, username=username, error=error, status=401)
    throttle.succeeded(db, username=username)
    raw = users.issue_token(db, user=user, kind="login", days=settings.login_days)
    audit.record(db, actor, Event.login)
    db.commit()
    target = _safe_next(next)
    response = RedirectResponse(access.home(user) if target == "/" else target, status_code=303)
    response.set_cookie(LOGIN_COOKIE, raw, max_age=settings.login_days * 86400, httponly=True,
                        samesite="lax", secure=settings.cookie_secure, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Protected])
async def logout(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """End this login (the token is deleted, so the cookie is useless afterwards)."""
    users.revoke_token(db, raw=request.cookies.get(LOGIN_COOKIE, ""))
    audit.record(db, actor, Event.logout)
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response
