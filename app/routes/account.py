"""The account page: who you are, changing your password, and your personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import audit, security, throttle, users
from app.access import Action
from app.audit import Event
from app.deps import (
    LOGIN_COOKIE, ActorDep, CurrentUser, NotFound, Protected, SessionDep, SettingsDep, authorized, client_address,
    existing_id,
)
from app.models import Team
from app.web import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, db, user, *, new_token: str = "", error: str = "",  # noqa: ANN001
          password_errors: dict[str, str] | None = None, password_changed: bool = False,
          status: int = 200) -> Response:
    team = db.get(Team, user.team_id) if user.team_id else None
    return render(request, "account.html", {"team": team, "tokens": users.api_tokens(db, user=user),
                                            "new_token": new_token, "error": error,
                                            "password_errors": password_errors or {},
                                            "password_changed": password_changed},
                  status_code=status)


@router.get("/account", dependencies=[authorized(Action.account)])
async def account(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    """Your account and API tokens."""
    return _page(request, db, user)


@router.post("/account/password", dependencies=[Protected, authorized(Action.account)])
def change_password(request: Request, db: SessionDep, user: CurrentUser, actor: ActorDep, settings: SettingsDep,
                    current_password: Annotated[str, Form()] = "", new_password: Annotated[str, Form()] = "",
                    new_password_again: Annotated[str, Form()] = "") -> Response:
    """Change your password (the current one first); every other login of yours ends."""
    limits = throttle.Limits.from_settings(settings)
    address = client_address(request)
    errors: dict[str, str] = {}
    if throttle.refused_until(db, username=user.username, address=address, limits=limits):
        errors["current_password"] = "Too many wrong passwords: try again later."
    elif not security.verify_password(user.password_hash, current_password):
        throttle.failed(db, username=user.username, address=address, limits=limits)  # counts as a failed sign-in
        db.commit()
        errors["current_password"] = "Your current password is not right."
    elif new_password != new_password_again:
        errors["new_password_again"] = "The new passwords do not match."
    else:
        try:
            security.check_new_password(new_password, user.username)
        except security.PasswordRejected as e:
            errors["new_password"] = str(e)
    if errors:
        return _page(request, db, user, password_errors=errors, status=422)
    users.set_password(db, user=user, password=new_password)
    ended = users.revoke_logins(db, user=user, keep_raw=request.cookies.get(LOGIN_COOKIE, ""))
    audit.record(db, actor, Event.password_change, detail=f"{ended} other login{'s' if ended != 1 else ''} ended")
    db.commit()
    return _page(request, db, user, password_changed=True)


@router.post("/account/tokens", dependencies=[Protected, authorized(Action.account)])
async def create_token(request: Request, db: SessionDep, user: CurrentUser,
                 name: Annotated[str, Form(max_length=80)] = "") -> Response:
    """Create a personal API token, shown once."""
    if not name.strip():
        return _page(request, db, user, error="Give the token a name, such as the script that uses it.",
                     status=422)
    raw = users.issue_token(db, user=user, kind="api", name=name.strip())
    db.commit()
    return _page(request, db, user, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Protected, authorized(Action.account)])
async def revoke(token_id: int, db: SessionDep, user: CurrentUser) -> Response:
    """Revoke one of your API tokens."""
    if not users.revoke_token(db, token_id=existing_id(token_id), user=user):
        raise NotFound()
    db.commit()
    return RedirectResponse("/account", status_code=303)
