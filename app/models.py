"""Database tables (SQLModel) and the shapes the API reads and returns.

`Session` is a coded MI session; the SQLAlchemy unit of work is called `DbSession`
everywhere (see app.db and app.deps) so the two never get confused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DDL, Column, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel


#: The largest id the databases' integer columns hold; a larger id in a URL names nothing.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Now, in UTC (timezone-aware, as SQLModel stores it)."""
    return datetime.now(UTC)


class Role(StrEnum):
    practitioner = "practitioner"
    supervisor = "supervisor"
    trainer = "trainer"
    admin = "admin"


class Visibility(StrEnum):
    private = "private"
    shared = "shared"
    trainer = "trainer"  # shared with the supervisor and with MI trainers


class Setting(StrEnum):
    home_visit = "home visit"
    office = "office"
    phone = "phone"
    video = "video"


VISIBILITY_LABELS = {Visibility.private: "Private: for my own review",
                     Visibility.shared: "Shared with my supervisor",
                     Visibility.trainer: "Shared with my supervisor and the MI trainers"}


# Teams and people -----------------------------------------------------------------------

class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    demo: bool = False


class UserBase(SQLModel):
    username: str = Field(index=True, unique=True, min_length=2, max_length=60)
    full_name: str = Field(default="", max_length=120)
    role: Role = Role.practitioner
    locality: str = Field(default="", max_length=80)
    discipline: str = Field(default="", max_length=80)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    password_hash: str
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class UserPublic(UserBase):
    id: int
    team_id: int | None


class Token(SQLModel, table=True):
    """A login (cookie) or personal API token; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(default="login", max_length=10)  # "login" or "api"
    name: str = Field(default="", max_length=80)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    expires_at: datetime | None = None


# Coded sessions ---------------------------------------------------------------------------

class SessionBase(SQLModel):
    session_date: date
    family_ref: str = Field(default="", max_length=40,
                            description="a pseudonymous family reference, never a name")
    change_goals: str = Field(default="", max_length=500,
                              description="the change the conversation was about (MITI's target behaviour)")
    setting: Setting = Setting.home_visit
    visibility: Visibility = Visibility.private


class Session(SessionBase, table=True):
    """A coded MI session, owned by the practitioner who held the conversation."""

    __tablename__ = "mi_session"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    title: str = Field(default="", max_length=200)
    source: str = Field(default="notes", max_length=20)
    scheme_id: str = Field(default="miti-4.2.1", max_length=60)
    model_name: str = Field(default="", max_length=60)
    model_version: str = Field(default="", max_length=60)
    demo: bool = False
    revision: int = 0  # bumped by every correction or rating
    summary_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SessionPublic(SessionBase):
    id: int
    owner: str
    title: str
    source: str
    scheme: str
    created_at: datetime
    summary: dict[str, Any]


class TurnRecord(SQLModel, table=True):
    """One speaker turn of a stored session, as written."""

    __tablename__ = "turn"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mi_session.id", index=True, ondelete="CASCADE")
    position: int
    label: str = Field(default="", max_length=40)
    speaker: str = Field(default="", max_length=80)
    role: str = Field(default="", max_length=20)
    text: str = Field(sa_column=Column(Text, nullable=False))
    coded: bool = True


class UtteranceRecord(SQLModel, table=True):
    """One coded utterance: the automatic code, kept beside any human correction."""

    __tablename__ = "utterance"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mi_session.id", index=True, ondelete="CASCADE")
    turn_id: int = Field(foreign_key="turn.id", index=True, ondelete="CASCADE")
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    start: int = 0
    end: int = 0
    auto_code: str = Field(max_length=30)
    auto_subtype: str = Field(default="", max_length=30)
    confidence: float = 0.0
    source: str = Field(default="", max_length=80)
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    human_code: str | None = Field(default=None, max_length=30)
    human_subtype: str = Field(default="", max_length=30)
    corrected_by_id: int | None = Field(default=None, foreign_key="user.id")
    corrected_at: datetime | None = None
    correction_reason: str = Field(default="", max_length=500)

    @property
    def code(self) -> str:
        return self.human_code or self.auto_code

    @property
    def subtype(self) -> str:
        return self.human_subtype if self.human_code else self.auto_subtype

    @property
    def corrected(self) -> bool:
        return self.human_code is not None


class Correction(SQLModel, table=True):
    """The history of corrections: who changed which code, when, and why."""

    id: int | None = Field(default=None, primary_key=True)
    utterance_id: int = Field(foreign_key="utterance.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="mi_session.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id")
    previous_code: str = Field(max_length=30)
    code: str = Field(max_length=30)
    subtype: str = Field(default="", max_length=30)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class HumanRating(SQLModel, table=True):
    """A person's global rating (1-5) of a session; all four replace the estimates."""

    __tablename__ = "human_rating"
    __table_args__ = (UniqueConstraint("session_id", "global_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mi_session.id", index=True, ondelete="CASCADE")
    global_id: str = Field(max_length=60)
    value: int = Field(ge=1, le=5)
    rated_by_id: int = Field(foreign_key="user.id")
    rated_at: datetime = Field(default_factory=utcnow)


class FeedbackRecord(SQLModel, table=True):
    """Supervision feedback as the supervisor edited it, and whether it is shared."""

    __tablename__ = "supervision_feedback"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mi_session.id", unique=True, ondelete="CASCADE")
    sections_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    status: str = Field(default="draft", max_length=10)  # "draft" or "shared"
    edited_by_id: int = Field(foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    shared_at: datetime | None = None


# Supervision --------------------------------------------------------------------------------

class Goal(SQLModel, table=True):
    """A goal agreed in supervision: a score and a target (e.g. reflection_to_question >= 1),
    measured from later sessions; or free text, when no score measures it."""

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="user.id", index=True)
    set_by_id: int = Field(foreign_key="user.id")
    text: str = Field(max_length=300)
    score_id: str = Field(default="", max_length=60)
    target: float | None = None
    agreed_on: date
    achieved: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class SupervisionNote(SQLModel, table=True):
    """A note of a supervision conversation, kept as the team's supervision history."""

    __tablename__ = "supervision_note"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="user.id", index=True)
    supervisor_id: int = Field(foreign_key="user.id", index=True)
    note_date: date
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# Model versions ---------------------------------------------------------------------------

class ModelVersion(SQLModel, table=True):
    """A model built from the corpus plus reviewed sessions, with its figures beside those of
    the model it was compared with; at most one is active (used for coding)."""

    __tablename__ = "model_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(unique=True, index=True, max_length=60)
    name: str = Field(default="mifi-model", max_length=60)
    path: str = Field(max_length=300)  # the artifact, relative to the model folder
    built_by: str = Field(default="", max_length=80)
    built_at: datetime = Field(default_factory=utcnow)
    baseline_version: str = Field(default="", max_length=60)  # the model it was compared with
    figures_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    training_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    promotable: bool = False
    decision: str = Field(default="", max_length=500)
    active: bool = False
    promoted_at: datetime | None = None
    promoted_by: str = Field(default="", max_length=80)


# Sign-in throttling and the audit log -------------------------------------------------------

class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, kept for the throttling window (app.throttle) so every worker sees it."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    username: str = Field(default="", max_length=60, index=True)  # hashed (app.throttle)
    address: str = Field(default="", max_length=64, index=True)


class AuditEvent(SQLModel, table=True):
    """Who viewed, changed, exported or deleted what, and when: append-only (app.audit).

    No foreign keys: the events outlive the sessions and users they name, and nothing may
    cascade into them. `detail` never holds transcript text.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, index=True)
    username: str = Field(default="", max_length=60)
    role: str = Field(default="", max_length=20)
    action: str = Field(max_length=40, index=True)
    target: int | None = Field(default=None, index=True)  # a session id, when there is one
    address: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=300)


#: The database refuses to change or remove audit events (also run these in a migration).
AUDIT_APPEND_ONLY_SQLITE = [
    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    for verb in ("UPDATE", "DELETE")]
AUDIT_APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"]
for _sql in AUDIT_APPEND_ONLY_SQLITE:
    event.listen(AuditEvent.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in AUDIT_APPEND_ONLY_POSTGRESQL:
    event.listen(AuditEvent.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
