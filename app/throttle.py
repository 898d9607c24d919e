"""Sign-in throttling: after too many failed sign-ins to one account, or from one address,
within a window, further attempts are refused until the oldest counted failure is out of it.

Failures are rows in the database (LoginAttempt), so every worker process sees the same
counts. A successful sign-in clears the account's failures. No web imports here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session as DbSession
from sqlmodel import select

from app.models import LoginAttempt, utcnow


@dataclass(frozen=True)
class Limits:
    """How many failures, in how long, before sign-in is refused."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings) -> Limits:  # noqa: ANN001 - app.config.Settings
        return cls(settings.login_failures_per_account, settings.login_failures_per_address,
                   timedelta(minutes=settings.login_window_minutes))


def _key(username: str) -> str:
    """The account name as counted: hashed, so a password typed into the username box is never
    stored; lower-cased, so "Pat" and "pat" count together."""
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:40]


def _retry_at(db: DbSession, column, value: str, limit: int, limits: Limits,  # noqa: ANN001
              now: datetime) -> datetime | None:
    """When the `limit`-th newest failure leaves the window, or None if there are fewer."""
    nth = db.exec(select(LoginAttempt.at).where(column == value, LoginAttempt.at > now - limits.window)
                  .order_by(LoginAttempt.at.desc()).offset(limit - 1).limit(1)).first()
    return nth + limits.window if nth is not None else None


def refused_until(db: DbSession, *, username: str, address: str, limits: Limits,
                  now: datetime | None = None) -> datetime | None:
    """The time sign-in may be tried again, if it is refused now; else None."""
    now = now or utcnow()
    times = [t for t in (_retry_at(db, LoginAttempt.username, _key(username), limits.per_account, limits, now)
                         if username.strip() else None,
                         _retry_at(db, LoginAttempt.address, address, limits.per_address, limits, now)
                         if address else None) if t is not None]
    return max(times) if times else None


def failed(db: DbSession, *, username: str, address: str, limits: Limits, now: datetime | None = None) -> None:
    """Count a failed sign-in (and forget failures older than the window); commit is the caller's."""
    now = now or utcnow()
    db.exec(delete(LoginAttempt).where(LoginAttempt.at < now - limits.window))
    db.add(LoginAttempt(at=now, username=_key(username), address=address[:64]))


def succeeded(db: DbSession, *, username: str) -> None:
    """Clear the account's failures; commit is the caller's."""
    db.exec(delete(LoginAttempt).where(LoginAttempt.username == _key(username)))
