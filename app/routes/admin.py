"""For the admin: users and teams (a list, forms to add a user or a team), and the audit log
with its CSV export. No session content."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from app import audit, users
from app.access import Action
from app.audit import Event
from app.deps import ActorDep, Protected, SessionDep, authorized
from app.models import MAX_ID, Role, Team, User
from app.security import PasswordRejected
from app.web import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, db, *, errors: dict[str, str] | None = None,  # noqa: ANN001
          form: dict[str, str] | None = None, status: int = 200) -> Response:
    teams = list(db.exec(select(Team).order_by(Team.name)))
    people = list(db.exec(select(User).order_by(User.role, User.username)))
    return render(request, "admin.html", {
        "teams": teams, "team_names": {t.id: t.name for t in teams}, "people": people,
        "roles": [r.value for r in Role], "errors": errors or {}, "form": form or {}},
        status_code=status)


@router.get("/admin", dependencies=[authorized(Action.admin_manage)])
async def admin_page(request: Request, db: SessionDep) -> Response:
    """Users and teams."""
    return _page(request, db)


@router.post("/admin/users", dependencies=[Protected, authorized(Action.admin_manage)])
def add_user(request: Request, db: SessionDep,
             username: Annotated[str, Form(max_length=60)] = "", full_name: Annotated[str, Form(max_length=120)] = "",
             role: Annotated[str, Form()] = "", team: Annotated[str, Form(max_length=120)] = "",
             locality: Annotated[str, Form(max_length=80)] = "",
             discipline: Annotated[str, Form(max_length=80)] = "",
             password: Annotated[str, Form()] = "") -> Response:
    """Add an account (the password policy applies)."""
    form = {"username": username, "full_name": full_name, "role": role, "team": team,
            "locality": locality, "discipline": discipline}
    if team and db.exec(select(Team).where(Team.name == team)).first() is None:
        return _page(request, db, errors={"team": "Choose one of the teams."}, form=form, status=422)
    try:
        users.create_user(db, username=username, password=password, role=role, full_name=full_name.strip(),
                          team=team, locality=locality.strip(), discipline=discipline.strip())
    except PasswordRejected as e:
        db.rollback()
        return _page(request, db, errors={"password": str(e)}, form=form, status=422)
    except users.AccountError as e:
        db.rollback()
        field = "role" if "role" in str(e) else "username"
        return _page(request, db, errors={field: str(e).capitalize()}, form=form, status=422)
    db.commit()
    return RedirectResponse("/admin#people", status_code=303)


@router.post("/admin/teams", dependencies=[Protected, authorized(Action.admin_manage)])
async def add_team(request: Request, db: SessionDep, name: Annotated[str, Form(max_length=120)] = "") -> Response:
    """Add a team."""
    name = name.strip()
    if not name:
        return _page(request, db, errors={"team_name": "Give the team a name."}, status=422)
    if db.exec(select(Team).where(Team.name == name)).first() is not None:
        return _page(request, db, errors={"team_name": f"There is already a team called {name}."},
                     form={"team_name": name}, status=422)
    users.get_team(db, name=name)
    db.commit()
    return RedirectResponse("/admin#teams", status_code=303)


# The audit log ------------------------------------------------------------------------------

def _filters(user: str, action: str, session: str, since: str, until: str) -> tuple[audit.Filters, dict[str, str]]:
    """The filters from the query string; a malformed value is reported, not guessed at."""
    errors = {}

    def day(raw: str, field: str) -> date | None:
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[field] = "Give a date as YYYY-MM-DD."
            return None

    target = None
    if session.strip():
        if session.strip().isdecimal() and int(session) <= MAX_ID:
            target = int(session)
        elif session.strip().isdecimal():
            errors["session"] = "No session has that number."
        else:
            errors["session"] = "A session number is a whole number."
    return audit.Filters(username=user.strip(), action=action.strip(), target=target,
                         since=day(since.strip(), "since"), until=day(until.strip(), "until")), errors


@router.get("/admin/audit", dependencies=[authorized(Action.audit_view)])
async def audit_log(request: Request, db: SessionDep, user: str = "", action: str = "", session: str = "",
                    since: str = "", until: str = "", page: int = 1) -> Response:
    """The audit log, newest first, filtered and paginated."""
    filters, errors = _filters(user, action, session, since, until)
    page = min(max(page, 1), 1_000_000)  # past the last page is an empty page, not an error
    events, total = audit.events(db, filters, page=page)
    query = {k: v for k, v in {"user": user, "action": action, "session": session, "since": since,
                               "until": until}.items() if v}
    pages = max(1, -(-total // audit.PAGE_SIZE))
    return render(request, "audit.html", {
        "events": events, "total": total, "page": page, "pages": pages, "form": query, "errors": errors,
        "actions": [e.value for e in Event], "query": urlencode(query),
        "page_url": lambda n: "/admin/audit?" + urlencode({**query, "page": n})},
        status_code=422 if errors else 200)


@router.get("/admin/audit.csv", dependencies=[authorized(Action.audit_view)])
async def audit_export(db: SessionDep, actor: ActorDep, user: str = "", action: str = "", session: str = "",
                       since: str = "", until: str = "") -> Response:
    """The matching events as CSV (exporting the log is itself recorded in it)."""
    filters, _ = _filters(user, action, session, since, until)
    shown = urlencode({k: v for k, v in {"user": user, "action": action, "session": session, "since": since,
                                         "until": until}.items() if v})
    audit.record(db, actor, Event.audit_export, detail=shown or "all events", commit=True)
    return Response(audit.to_csv(db, filters), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
