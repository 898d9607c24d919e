"""Passwords (argon2), login and API tokens (random, stored as SHA-256), CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

DEMO_PASSWORD = "demo"
MIN_PASSWORD_LENGTH = 10
API_TOKEN_PREFIX = "mifi_"

_hasher = PasswordHasher()


class PasswordRejected(ValueError):
    """A new password that breaks the policy; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless the password is fit for a real account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if password.lower() in {DEMO_PASSWORD, username.lower()}:
        raise PasswordRejected("Choose a password that is not the demo password or your username.")


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(login_token: str) -> str:
    """The CSRF token that goes with a login cookie (derived, so nothing more is stored)."""
    return hashlib.sha256(b"mifi-csrf:" + login_token.encode("utf-8")).hexdigest()


def csrf_ok(login_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(login_token), sent or "")


def login_csrf_ok(cookie: str | None, sent: str | None) -> bool:
    """Before sign-in there is no login token: the form's field must match its cookie
    (a double-submit token, which another site can neither read nor set)."""
    return bool(cookie) and bool(sent) and hmac.compare_digest(cookie or "", sent or "")
