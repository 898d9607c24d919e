"""`mifi users add|list|passwd|token`: account management from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlmodel import Session as DbSession
from sqlmodel import select

from app import audit, users
from app.config import Settings
from app.db import init_db, make_engine
from app.models import Team, User
from app.security import PasswordRejected


def _password(prompt: str) -> str:
    """Ask twice at a terminal; read one line from standard input otherwise (for scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise PasswordRejected("The two passwords were not the same.")
    return first


def run(args: argparse.Namespace, settings: Settings, *, fail: Callable[[str], int]) -> int:
    engine = make_engine(settings.url)
    init_db(engine)
    with DbSession(engine) as db:
        try:
            if args.action == "list":
                teams = {t.id: t.name for t in db.exec(select(Team))}
                for u in db.exec(select(User).order_by(User.username)):
                    print("\t".join([u.username, u.role.value, u.full_name, teams.get(u.team_id, ""),
                                     u.locality, u.discipline, "" if u.active else "inactive"]).rstrip())
                return 0
            if args.action == "add":
                user = users.create_user(db, username=args.username, password=_password("Password: "),
                                         role=args.role, full_name=args.name, team=args.team,
                                         locality=args.locality, discipline=args.discipline)
                db.commit()
                print(f"added {user.username} ({user.role.value})")
                return 0
            user = users.get_user(db, username=args.username)
            if user is None:
                return fail(f"no user called {args.username!r}")
            if args.action == "passwd":
                users.set_password(db, user=user, password=_password("New password: "))
                ended = users.revoke_logins(db, user=user)  # signed out everywhere
                audit.record(db, audit.COMMAND_LINE, audit.Event.password_change,
                             detail=f"for {user.username}; {ended} login{'s' if ended != 1 else ''} ended")
                db.commit()
                print(f"password changed for {user.username}")
                return 0
            raw = users.issue_token(db, user=user, kind="api", name=args.name)
            db.commit()
            print(raw)
            return 0
        except (users.AccountError, PasswordRejected) as e:
            return fail(str(e))
