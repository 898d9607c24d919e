from datetime import timedelta

import pytest
from sqlmodel import select

from app import users
from app.models import Token, utcnow
from app.security import DEMO_PASSWORD


def test_create_user_with_team_and_role(db):
    u = users.create_user(db, username="sam", password="a long password", role="supervisor", team="North")
    db.commit()
    assert u.role == "supervisor" and u.team_id is not None
    assert users.get_user(db, username="sam").id == u.id


def test_duplicate_username_and_bad_role_are_refused(db):
    users.create_user(db, username="sam", password="a long password")
    with pytest.raises(users.AccountError, match="already exists"):
        users.create_user(db, username="sam", password="a long password")
    with pytest.raises(users.AccountError, match="role"):
        users.create_user(db, username="kim", password="a long password", role="boss")


def test_demo_password_only_works_in_demo_mode(db):
    users.create_user(db, username="practitioner1", password=DEMO_PASSWORD, check_password=False)
    db.commit()
    assert users.authenticate(db, username="practitioner1", password=DEMO_PASSWORD, demo=True)
    assert users.authenticate(db, username="practitioner1", password=DEMO_PASSWORD, demo=False) is None


def test_authenticate_refuses_wrong_password_unknown_and_inactive_users(db):
    u = users.create_user(db, username="sam", password="a long password")
    db.commit()
    assert users.authenticate(db, username="sam", password="a long password", demo=False).id == u.id
    assert users.authenticate(db, username="sam", password="wrong password!", demo=False) is None
    assert users.authenticate(db, username="nobody", password="a long password", demo=False) is None
    u.active = False
    db.commit()
    assert users.authenticate(db, username="sam", password="a long password", demo=False) is None


def test_tokens_are_stored_hashed_and_can_expire_or_be_revoked(db):
    u = users.create_user(db, username="sam", password="a long password")
    raw = users.issue_token(db, user=u, kind="api", name="script")
    db.commit()
    stored = db.exec(select(Token)).one()
    assert stored.token_hash != raw and raw not in stored.token_hash
    assert users.user_for_token(db, raw=raw, kind="api").id == u.id
    assert users.user_for_token(db, raw=raw, kind="login") is None  # an API token is no login cookie
    assert stored.last_used_at is not None
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert users.user_for_token(db, raw=raw, kind="api") is None
    assert users.revoke_token(db, raw=raw)
    assert db.exec(select(Token)).first() is None
