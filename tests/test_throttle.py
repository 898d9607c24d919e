from datetime import timedelta

from sqlmodel import select

from app import throttle
from app.models import LoginAttempt, utcnow

LIMITS = throttle.Limits(per_account=3, per_address=5, window=timedelta(minutes=10))


def _fail(db, username: str, address: str, at) -> None:  # noqa: ANN001
    throttle.failed(db, username=username, address=address, limits=LIMITS, now=at)
    db.commit()


def test_an_account_is_refused_until_its_oldest_counted_failure_leaves_the_window(db):
    now = utcnow()
    for minutes in (9, 5, 1):
        _fail(db, "pat", f"10.0.0.{minutes}", now - timedelta(minutes=minutes))
    until = throttle.refused_until(db, username="Pat", address="10.0.0.99", limits=LIMITS, now=now)
    assert until == now - timedelta(minutes=9) + LIMITS.window
    later = now + timedelta(minutes=1, seconds=1)
    assert throttle.refused_until(db, username="pat", address="10.0.0.99", limits=LIMITS, now=later) is None


def test_an_address_is_refused_whatever_the_account(db):
    now = utcnow()
    for i in range(5):
        _fail(db, f"guess{i}", "10.0.0.7", now)
    assert throttle.refused_until(db, username="someone", address="10.0.0.7", limits=LIMITS, now=now)
    assert throttle.refused_until(db, username="someone", address="10.0.0.8", limits=LIMITS, now=now) is None


def test_success_clears_the_account_and_old_failures_are_forgotten(db):
    now = utcnow()
    _fail(db, "kim", "10.0.0.1", now - timedelta(hours=1))
    for _ in range(3):
        _fail(db, "pat", "10.0.0.1", now)
    assert len(db.exec(select(LoginAttempt)).all()) == 3  # the hour-old failure is gone
    throttle.succeeded(db, username="PAT")
    db.commit()
    assert db.exec(select(LoginAttempt)).all() == []


def test_the_typed_name_is_never_stored(db):
    _fail(db, "my secret password", "10.0.0.1", utcnow())
    (attempt,) = db.exec(select(LoginAttempt)).all()
    assert "secret" not in attempt.username and len(attempt.username) == 40
