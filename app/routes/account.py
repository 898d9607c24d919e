"""The account page: who you are, and your personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import users
from app.access import Action
from app.deps import CurrentUser, NotFound, Protected, SessionDep, authorized
from app.models import Team
from app.web import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, db, user, *, new_token: str = "", error: str = "", status: int = 200) -> Response:  # noqa: ANN001
    team = db.get(Team, user.team_id) if user.team_id else None
    return render(request, "account.html", {"team": team, "tokens": users.api_tokens(db, user=user),
                                            "new_token": new_token, "error": error},
                  status_code=status)


@router.get("/account", dependencies=[authorized(Action.account)])
async def account(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    """Your account and API tokens."""
    return _page(request, db, user)


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
    if not users.revoke_token(db, token_id=token_id, user=user):
        raise NotFound()
    db.commit()
    return RedirectResponse("/account", status_code=303)
