"""Who sees what, in one place: the rules for every role, as plain functions and SQL clauses.

- A **practitioner** sees their own sessions (private ones only they see) and their progress.
- A **supervisor** sees the sessions practitioners in their team share (`shared` or
  `trainer`), may correct codes, rate, edit and share feedback, and set goals and write
  supervision notes for the practitioners of their team.
- A **trainer** sees aggregates of shared sessions across teams, pseudonymously; transcript
  text only of sessions a practitioner shared with trainers (visibility `trainer`).
- An **admin** manages users and teams and reads the audit log, and sees no session content.

Routes never test roles themselves: they depend on `app.deps.authorized(action)`, which
asks these functions and answers "not found" for anything the user may not see, exactly as
for something that does not exist. No web imports here.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import Session as DbSession
from sqlmodel import select

from app.models import Role, Session, User, Visibility

#: Sessions the practitioner's supervisor may see (a trainer-visible session is shared too).
SHARED = (Visibility.shared, Visibility.trainer)


class Action(StrEnum):
    """What a route does; each route depends on exactly one."""

    account = "account"                      # your own account and tokens
    session_create = "session.create"        # add a session (pages and API)
    session_list = "session.list"            # the sessions you may see
    session_view = "session.view"            # a session's transcript, scores, feedback, exports
    session_correct = "session.correct"      # correct a code
    session_rate = "session.rate"            # human global ratings
    session_delete = "session.delete"        # delete a session and all its rows (its owner)
    feedback_edit = "feedback.edit"          # edit and share supervision feedback
    progress_own = "progress.own"            # your own progress page (practitioners)
    progress_view = "progress.view"          # a practitioner's progress page
    supervision_write = "supervision.write"  # goals and supervision notes for a practitioner
    team_view = "team.view"                  # the supervisor's team page
    trainer_view = "trainer.view"            # the trainer's page and its pseudonymous export
    admin_manage = "admin.manage"            # users and teams
    audit_view = "audit.view"                # the audit log and its export (events, no content)


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.practitioner: frozenset({
        Action.account, Action.session_create, Action.session_list, Action.session_view,
        Action.session_correct, Action.session_rate, Action.session_delete, Action.progress_own,
        Action.progress_view}),
    Role.supervisor: frozenset({
        Action.account, Action.session_create, Action.session_list, Action.session_view,
        Action.session_correct, Action.session_rate, Action.session_delete, Action.feedback_edit,
        Action.progress_view, Action.supervision_write, Action.team_view}),
    Role.trainer: frozenset({
        Action.account, Action.session_list, Action.session_view, Action.trainer_view}),
    Role.admin: frozenset({Action.account, Action.admin_manage, Action.audit_view}),
}

HOME = {Role.practitioner: "/progress", Role.supervisor: "/team", Role.trainer: "/trainer",
        Role.admin: "/admin"}


def allows(user: User, action: Action) -> bool:
    """Whether the user's role may do this kind of thing at all."""
    return user.active and action in ROLE_ACTIONS.get(Role(user.role), frozenset())


def home(user: User) -> str:
    """Where a user lands after signing in."""
    return HOME.get(Role(user.role), "/account")


# Sessions ----------------------------------------------------------------------------------

def _supervises(user: User) -> ColumnElement[bool]:
    if user.role != Role.supervisor or user.team_id is None:
        return false()
    return (Session.team_id == user.team_id) & Session.visibility.in_(SHARED)


def session_clause(user: User, action: Action = Action.session_view) -> ColumnElement[bool]:
    """SQL condition: the sessions on which this user may do `action`."""
    if not allows(user, action):
        return false()
    mine = Session.owner_id == user.id
    if action in (Action.session_view, Action.session_list):
        if user.role == Role.trainer:
            return or_(mine, Session.visibility == Visibility.trainer)
        return or_(mine, _supervises(user))
    if action in (Action.session_correct, Action.session_rate):
        return or_(mine, _supervises(user))
    if action == Action.feedback_edit:
        return _supervises(user)
    if action == Action.session_delete:
        return mine
    return false()


def can(user: User, action: Action, session: Session) -> bool:
    """The same rule as `session_clause`, for a session already loaded."""
    if not allows(user, action):
        return False
    mine = session.owner_id == user.id
    supervises = user.role == Role.supervisor and user.team_id is not None and \
        session.team_id == user.team_id and session.visibility in SHARED
    if action in (Action.session_view, Action.session_list):
        if user.role == Role.trainer:
            return mine or session.visibility == Visibility.trainer
        return mine or supervises
    if action in (Action.session_correct, Action.session_rate):
        return mine or supervises
    if action == Action.feedback_edit:
        return supervises
    if action == Action.session_delete:
        return mine
    return False


def session_for(db: DbSession, *, user: User, session_id: int,
                action: Action = Action.session_view) -> Session | None:
    """The session if this user may do `action` on it; None (so: not found) otherwise."""
    return db.exec(select(Session).where(Session.id == session_id,
                                         session_clause(user, action))).first()


# Practitioners -----------------------------------------------------------------------------

def practitioner_for(db: DbSession, *, user: User, practitioner_id: int,
                     action: Action = Action.progress_view) -> User | None:
    """The practitioner if this user may see their progress (or write their supervision)."""
    if not allows(user, action):
        return None
    target = db.get(User, practitioner_id)
    if target is None or target.role != Role.practitioner or not target.active:
        return None
    if action == Action.progress_view and target.id == user.id:
        return target
    if user.role == Role.supervisor and user.team_id is not None and target.team_id == user.team_id:
        return target
    return None


def progress_sessions_clause(viewer: User, practitioner: User) -> ColumnElement[bool]:
    """The practitioner's sessions this viewer may count: all of them for the practitioner,
    only shared ones for their supervisor."""
    own = Session.owner_id == practitioner.id
    if viewer.id == practitioner.id:
        return own
    return own & Session.visibility.in_(SHARED)


def team_sessions_clause(supervisor: User) -> ColumnElement[bool]:
    """Sessions a supervisor's team page counts: shared by practitioners of the team."""
    return _supervises(supervisor)


def aggregate_clause() -> ColumnElement[bool]:
    """Sessions a trainer's aggregates count: shared ones across teams (private stay private)."""
    return Session.visibility.in_(SHARED)
