"""The audit log: who viewed, changed, exported or deleted session content, signed in or
changed a password, and when. Append-only: this module only adds and reads events, and the
database refuses UPDATE and DELETE on the table (triggers in app.models).

`record` adds an event to the caller's transaction, so a change and its event are committed
together or not at all; views commit the event at once (`commit=True`). An event's detail
names what happened (codes, formats, counts), never transcript text. No web imports here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, true
from sqlmodel import Session as DbSession
from sqlmodel import select

from app.exports import safe_cell
from app.models import AuditEvent, User

PAGE_SIZE = 50
CSV_COLUMNS = ["id", "at", "user_id", "username", "role", "action", "target", "address", "detail"]


class Event(StrEnum):
    """What happened; the first part names what it happened to."""

    login = "login"
    login_failed = "login.failed"
    login_refused = "login.refused"          # too many failed sign-ins: not even checked
    logout = "logout"
    password_change = "password.change"
    session_create = "session.create"
    session_list = "session.list"            # the API's list (metadata and scores)
    session_view = "session.view"            # the page, its fragments, the API's GET
    session_export = "session.export"        # CSV or JSON
    session_correct = "session.correct"
    session_rate = "session.rate"
    session_delete = "session.delete"
    feedback_view = "feedback.view"          # the feedback page (also the print view) and its editor
    feedback_edit = "feedback.edit"
    feedback_share = "feedback.share"
    trainer_export = "trainer.export"        # pseudonymous scores, no text
    purge = "purge"                          # `mifi purge` removed a session's text
    audit_export = "audit.export"
    goal_add = "goal.add"                    # supervision goals and notes: ids only, no wording
    goal_change = "goal.change"
    note_add = "note.add"
    model_build = "model.build"              # which model codes new sessions
    model_promote = "model.promote"
    model_shipped = "model.shipped"
    model_remove = "model.remove"


@dataclass(frozen=True)
class Actor:
    """Who did it, as recorded: a snapshot, so events outlive renamed or removed accounts."""

    user_id: int | None = None
    username: str = ""
    role: str = ""
    address: str = ""

    @classmethod
    def of(cls, user: User | None, address: str = "") -> Actor:
        if user is None:
            return cls(address=address)
        return cls(user.id, user.username, str(user.role), address)


COMMAND_LINE = Actor(username="(command line)")


def record(db: DbSession, actor: Actor, action: Event | str, *, target: int | None = None,
           detail: str = "", commit: bool = False) -> AuditEvent:
    """Add an event to the current transaction (and commit it, for views)."""
    event = AuditEvent(user_id=actor.user_id, username=actor.username[:60], role=actor.role[:20],
                       action=str(action), target=target, address=actor.address[:64],
                       detail=detail[:300])
    db.add(event)
    if commit:
        db.commit()
    return event


@dataclass(frozen=True)
class Filters:
    """What the admin asked to see; empty fields do not filter."""

    username: str = ""
    action: str = ""
    target: int | None = None
    since: date | None = None
    until: date | None = None

    def clause(self) -> ColumnElement[bool]:
        c = true()
        if self.username:
            c = c & (AuditEvent.username == self.username)
        if self.action:
            c = c & ((AuditEvent.action == self.action) | AuditEvent.action.startswith(self.action + "."))
        if self.target is not None:
            c = c & (AuditEvent.target == self.target)
        if self.since:
            c = c & (AuditEvent.at >= datetime.combine(self.since, time(), UTC))
        if self.until:
            c = c & (AuditEvent.at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return c


def events(db: DbSession, filters: Filters = Filters(), *, page: int = 1,
           page_size: int = PAGE_SIZE) -> tuple[list[AuditEvent], int]:
    """One page of events, newest first, and how many match in all."""
    total = db.exec(select(func.count()).select_from(AuditEvent).where(filters.clause())).one()
    rows = db.exec(select(AuditEvent).where(filters.clause())
                   .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                   .offset((max(page, 1) - 1) * page_size).limit(page_size))
    return list(rows), total


def to_csv(db: DbSession, filters: Filters = Filters()) -> str:
    """Every matching event, newest first, as CSV (safe against spreadsheet formulas)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    rows = db.exec(select(AuditEvent).where(filters.clause())
                   .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    for e in rows:
        w.writerow([safe_cell(v) for v in (e.id, e.at.isoformat(), e.user_id, e.username, e.role,
                                           e.action, e.target, e.address, e.detail)])
    return out.getvalue()
