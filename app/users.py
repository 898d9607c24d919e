"""Accounts: create users, check passwords, issue and look up login and API tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session as DbSession
from sqlmodel import select

from app import security
from app.models import Role, Team, Token, User, utcnow


class AccountError(ValueError):
    """A user or team request that cannot be done; the message says why."""


def get_team(db: DbSession, *, name: str, create: bool = True, demo: bool = False) -> Team:
    team = db.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        if not create:
            raise AccountError(f"no team called {name!r}")
        team = Team(name=name, demo=demo)
        db.add(team)
        db.flush()
    return team


def create_user(db: DbSession, *, username: str, password: str, role: Role | str = Role.practitioner,
                full_name: str = "", team: str = "", locality: str = "", discipline: str = "",
                check_password: bool = True) -> User:
    """Add a user (commit is the caller's); the password must pass the policy unless told not."""
    username = username.strip()
    if not username or len(username) > 60 or any(c.isspace() for c in username):
        raise AccountError("a username is 1-60 characters without spaces")
    if get_user(db, username=username):
        raise AccountError(f"user {username!r} already exists")
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}") from None
    if check_password:
        security.check_new_password(password, username)
    team_id = get_team(db, name=team).id if team else None
    user = User(username=username, full_name=full_name, role=role, team_id=team_id,
                locality=locality, discipline=discipline,
                password_hash=security.hash_password(password))
    db.add(user)
    db.flush()
    return user


def get_user(db: DbSession, *, username: str) -> User | None:
    return db.exec(select(User).where(User.username == username)).first()


def set_password(db: DbSession, *, user: User, password: str) -> None:
    security.check_new_password(password, user.username)
    user.password_hash = security.hash_password(password)
    db.add(user)


def authenticate(db: DbSession, *, username: str, password: str, demo: bool) -> User | None:
    """The user if the password is right; the demo password only works in demo mode."""
    user = get_user(db, username=username.strip())
    if user is None or not user.active:
        security.verify_password(_DUMMY_HASH, password)  # same time whether or not the user exists
        return None
    if password == security.DEMO_PASSWORD and not demo:
        return None
    return user if security.verify_password(user.password_hash, password) else None


_DUMMY_HASH = security.hash_password("not-a-real-password")


def issue_token(db: DbSession, *, user: User, kind: str = "login", name: str = "",
                days: int | None = None) -> str:
    """A new token for the user; only its hash is stored, so show it now or never."""
    raw = security.new_token(security.API_TOKEN_PREFIX if kind == "api" else "")
    expires = utcnow() + timedelta(days=days) if days else None
    db.add(Token(user_id=user.id, kind=kind, name=name, token_hash=security.token_hash(raw),
                 expires_at=expires))
    return raw


TOUCH_EVERY = timedelta(minutes=1)  # how often a token's last use is written (keeps requests cheap)


def user_for_token(db: DbSession, *, raw: str, kind: str, idle: timedelta | None = None) -> User | None:
    """The active user a token belongs to, if the token is known, of this kind and not expired:
    past its `expires_at`, or (a login) unused for longer than `idle`. An expired login is deleted."""
    if not raw:
        return None
    token = db.exec(select(Token).where(Token.token_hash == security.token_hash(raw),
                                        Token.kind == kind)).first()
    if token is None:
        return None
    now = utcnow()
    last = token.last_used_at or token.created_at
    if (token.expires_at and token.expires_at < now) or (kind == "login" and idle and last < now - idle):
        if kind == "login":
            db.delete(token)
            db.commit()
        return None
    user = db.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        db.add(token)
        db.commit()
    return user


def revoke_token(db: DbSession, *, raw: str = "", token_id: int | None = None,
                 user: User | None = None) -> bool:
    q = select(Token)
    q = q.where(Token.id == token_id) if token_id is not None else \
        q.where(Token.token_hash == security.token_hash(raw))
    if user is not None:
        q = q.where(Token.user_id == user.id)
    token = db.exec(q).first()
    if token is None:
        return False
    db.delete(token)
    return True


def revoke_logins(db: DbSession, *, user: User, keep_raw: str = "") -> int:
    """End every login of the user but the one given (after a password change); commit is the caller's."""
    keep = security.token_hash(keep_raw) if keep_raw else ""
    tokens = db.exec(select(Token).where(Token.user_id == user.id, Token.kind == "login",
                                         Token.token_hash != keep)).all()
    for token in tokens:
        db.delete(token)
    return len(tokens)


def api_tokens(db: DbSession, *, user: User) -> list[Token]:
    return list(db.exec(select(Token).where(Token.user_id == user.id, Token.kind == "api")
                        .order_by(Token.created_at)))
