"""Log in and log out (a session cookie holding a random token; only its hash is stored)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import access, users
from app.deps import LOGIN_COOKIE, OptionalUser, Protected, SessionDep, SettingsDep
from app.web import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/")
async def home(user: OptionalUser) -> Response:
    """Each role's home page (app.access), or the sign-in form."""
    return RedirectResponse(access.home(user) if user else "/login", status_code=303)


@router.get("/login")
async def login_page(request: Request, user: OptionalUser, settings: SettingsDep, next: str = "/") -> Response:
    """The sign-in form."""
    if user:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "username": "", "error": ""})


@router.post("/login")
def login(request: Request, db: SessionDep, settings: SettingsDep,
          username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    """Check the password and set the login cookie."""
    user = users.authenticate(db, username=username, password=password, demo=settings.demo)
    if user is None:
        error = "Enter a username and password." if not username or not password else \
            "The username or password is not right."
        return render(request, "login.html", {"next": _safe_next(next), "username": username,
                                              "error": error}, status_code=401)
    raw = users.issue_token(db, user=user, kind="login", days=settings.login_days)
    db.commit()
    target = _safe_next(next)
    response = RedirectResponse(access.home(user) if target == "/" else target, status_code=303)
    response.set_cookie(LOGIN_COOKIE, raw, max_age=settings.login_days * 86400, httponly=True,
                        samesite="lax", secure=settings.cookie_secure, path="/")
    return response


@router.post("/logout", dependencies=[Protected])
async def logout(request: Request, db: SessionDep) -> Response:
    """End this login (the token is deleted, so the cookie is useless afterwards)."""
    users.revoke_token(db, raw=request.cookies.get(LOGIN_COOKIE, ""))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response
