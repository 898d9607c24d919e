"""Benchmark: many people using the web app at once, against a real server (figures printed).

Each simulated user signs in through the form with an account of their own, then until the
time is up does one thing after another, pausing between them (think time, uniform between
0 and twice `--think`): the session list, a session page, a session's export (CSV or JSON),
a code correction (as the page's htmx does), or an upload of a new session (typed notes of
three joined demo conversations, or a sample file: Teams captions, Word, notes). Every
answer must be the expected one; anything else counts as an error.

    python benchmarks/load.py [--users 50] [--duration 120] [--think 1.0]
                              [--database-url URL | --postgres] [--seed-sessions 3]

The server is `mifi serve` in its own process on a throwaway SQLite file (default), on
`--database-url` (an empty database you can throw away: accounts load01... are added), or on
a throwaway PostgreSQL server this script starts (`--postgres`; run as root it uses the
`postgres` account). Transcripts are the fictional demo and sample files.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.batch import usable_cpus  # noqa: E402
from benchmarks.web_speed import free_port, wait_until_serving  # noqa: E402

PASSWORD = "a long load-test password"
TEAMS = 5
SAMPLES = ROOT / "fixtures" / "samples"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
#: What a user does next, and how often (out of 100).
MIX = {"list": 25, "page": 33, "export": 10, "correct": 22, "upload": 10}
PRACTITIONER_CODES = ["Q:open", "Q:closed", "SR", "CR", "AF", "GI"]
CLIENT_CODES = ["CHANGE", "SUSTAIN", "NEUTRAL"]


@dataclass
class Person:
    username: str
    sessions: list[int]
    utterances: list[tuple[int, int, str]]  # (session id, utterance id, role)


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


# Setup ----------------------------------------------------------------------------------------

@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server of our own in a temporary folder (never a shared cluster)."""
    folder = Path(tempfile.mkdtemp(prefix="mifi-load-pg-"))
    port = free_port()
    runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if runas:
        shutil.chown(folder, "postgres", "postgres")

    def pg(*args: str) -> None:
        subprocess.run([*runas, str(PG_BIN / args[0]), *args[1:]], check=True, capture_output=True)

    data = str(folder / "data")
    try:
        pg("initdb", "-D", data, "-A", "trust", "-U", "postgres")
        pg("pg_ctl", "-D", data, "-l", str(folder / "log"), "-w", "-o",
           f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200", "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*runas, str(PG_BIN / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def demo_texts() -> list[str]:
    from app.demo import demo_sessions

    return [s.text for s in demo_sessions()]


def seed(url: str, users: int, per_user: int) -> list[Person]:
    """Accounts load01... in TEAMS teams (every tenth a supervisor), each practitioner with
    `per_user` shared sessions coded by the real pipeline (each demo conversation coded once)."""
    from sqlmodel import Session as DbSession
    from sqlmodel import select

    from app import store, users as accounts
    from app.coding import code_transcripts
    from app.db import init_db, make_engine
    from app.models import Role, Setting, TurnRecord, UtteranceRecord, Visibility
    from app.parsers import read_text
    from app.scheme import load_scheme
    from classifiers.coder import Coder

    coder, scheme = Coder.load(), load_scheme()
    coded = code_transcripts([read_text(t) for t in demo_texts()], scheme, coder)
    model = {"name": coder.model_name, "version": coder.model_version}
    engine = make_engine(url)
    init_db(engine)
    people: list[Person] = []
    with DbSession(engine) as db:
        for i in range(1, users + 1):
            name = f"load{i:02d}"
            user = accounts.get_user(db, username=name) or accounts.create_user(
                db, username=name, password=PASSWORD, team=f"Load team {i % TEAMS + 1}",
                role=Role.supervisor if i % 10 == 0 else Role.practitioner)
            db.commit()
            if user.role == Role.practitioner:
                for k in range(per_user):
                    meta = store.SessionMeta(date.today() - timedelta(days=7 * k), f"LOAD-{i}-{k}",
                                             "getting to school on time", Setting.home_visit,
                                             Visibility.shared)
                    store.store_session(db, owner=user, coded=coded[(i + k) % len(coded)], meta=meta,
                                        scheme=scheme, model=model, title="Load test")
            people.append(Person(name, [], []))
        for p in people:  # what each may see: their own, or (supervisors) their team's shared sessions
            user = accounts.get_user(db, username=p.username)
            p.sessions = [s.id for s in store.visible_sessions(db, user=user)]
            rows = db.exec(select(UtteranceRecord.session_id, UtteranceRecord.id, TurnRecord.role)
                           .join(TurnRecord, TurnRecord.id == UtteranceRecord.turn_id)
                           .where(UtteranceRecord.session_id.in_(p.sessions))).all()
            p.utterances = [(s, u, r) for s, u, r in rows]
    engine.dispose()
    return people


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url}
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    return wait_until_serving(proc, port, log)


# The users ------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    """Sign in through the form (with its CSRF token if it has one); the pages' CSRF token."""
    form = await client.get("/login")
    found = CSRF.search(form.text)
    data = {"username": username, "password": PASSWORD, **({"csrf_token": found.group(1)} if found else {})}
    r = await client.post("/login", data=data)
    if r.status_code != 303:
        raise RuntimeError(f"sign-in of {username} answered {r.status_code}")
    return CSRF.search((await client.get("/sessions/new")).text).group(1)


def uploads() -> list[tuple[str, bytes, str]]:
    """Files a practitioner might add: typed notes of three joined demo conversations, and samples."""
    texts = demo_texts()
    notes = [("notes.txt", "\n".join(texts[i:i + 3]).encode(), "text/plain") for i in range(0, len(texts) - 2, 3)]
    samples = [(name, (SAMPLES / name).read_bytes(), kind) for name, kind in (
        ("teams.vtt", "text/vtt"), ("notes.txt", "text/plain"), ("session.srt", "application/x-subrip"),
        ("session.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))]
    return notes + samples


async def act(client: httpx.AsyncClient, person: Person, csrf: str, kind: str,
              files: list[tuple[str, bytes, str]], rng: random.Random) -> bool:
    """Do one thing; True if the answer was the expected one."""
    if kind == "list":
        r = await client.get("/sessions")
        return r.status_code == 200
    if kind in ("page", "export") and not person.sessions:
        kind = "list"
    if kind == "page":
        r = await client.get(f"/sessions/{rng.choice(person.sessions)}")
        return r.status_code == 200 and 'class="utt' in r.text
    if kind == "export":
        ext = rng.choice(["csv", "json"])
        r = await client.get(f"/sessions/{rng.choice(person.sessions)}/export.{ext}")
        return r.status_code == 200 and len(r.content) > 100
    if kind == "correct":
        sid, uid, role = rng.choice(person.utterances)
        code = rng.choice(PRACTITIONER_CODES if role == "practitioner" else CLIENT_CODES)
        r = await client.post(f"/sessions/{sid}/utterances/{uid}", data={"code": code, "csrf_token": csrf},
                              headers={"HX-Request": "true", "X-CSRF-Token": csrf})
        return r.status_code == 200
    name, body, mime = rng.choice(files)
    r = await client.post("/sessions", files={"file": (name, body, mime)}, data={
        "csrf_token": csrf, "session_date": date.today().isoformat(), "family_ref": "LOAD-NEW",
        "change_goals": "getting to school on time", "setting": "office", "visibility": "shared"})
    if r.status_code == 303 and (m := re.fullmatch(r"/sessions/(\d+)", r.headers.get("location", ""))):
        person.sessions.append(int(m.group(1)))
    return r.status_code == 303


async def user(client: httpx.AsyncClient, person: Person, csrf: str, index: int, deadline: float,
               think: float, files: list[tuple[str, bytes, str]], figures: Figures) -> None:
    """One person, one thing after another until the deadline."""
    rng = random.Random(index)
    kinds, weights = zip(*MIX.items())
    await asyncio.sleep(rng.uniform(0, 2 * think))  # not all at once
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        if kind == "correct" and not person.utterances:
            kind = "page"
        t0 = time.perf_counter()
        try:
            ok = await act(client, person, csrf, kind, files, rng)
            problem = "" if ok else "unexpected answer"
        except httpx.HTTPError as e:
            ok, problem = False, f"{type(e).__name__}: {e}"
        figures.latencies[kind].append(time.perf_counter() - t0)
        if not ok:
            figures.errors[kind].append(problem)
        await asyncio.sleep(rng.uniform(0, 2 * think))


async def run(base: str, people: list[Person], duration: float, think: float) -> tuple[Figures, float]:
    """Sign everyone in (a few at a time: password hashing is slow on purpose), then go."""
    figures, files = Figures(), uploads()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)  # one browser tab each
    clients = [httpx.AsyncClient(base_url=base, timeout=120, limits=limits) for _ in people]
    sem = asyncio.Semaphore(4)

    async def signed_in(client: httpx.AsyncClient, p: Person) -> str:
        async with sem:
            return await sign_in(client, p.username)

    try:
        tokens = await asyncio.gather(*(signed_in(c, p) for c, p in zip(clients, people)))
        t0 = time.monotonic()
        await asyncio.gather(*(user(c, p, csrf, i, t0 + duration, think, files, figures)
                               for i, (c, p, csrf) in enumerate(zip(clients, people, tokens))))
        return figures, time.monotonic() - t0
    finally:
        for c in clients:
            await c.aclose()


# Report ----------------------------------------------------------------------------------------

def ms(values: list[float], q: int) -> str:
    if len(values) < 2:
        return f"{values[0] * 1000:.0f}" if values else "-"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1000:.0f}"


def report(figures: Figures, elapsed: float, args: argparse.Namespace, backend: str, db_errors: int) -> int:
    every = [v for vs in figures.latencies.values() for v in vs]
    errors = sum(len(v) for v in figures.errors.values())
    cpus, usable = os.cpu_count(), usable_cpus()
    print(f"machine: {cpus} CPUs ({usable} usable), {platform.machine()}, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, load average at end "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (client and server share the CPUs)")
    print(f"database: {backend}; {args.users} users, {elapsed:.0f} s, think time 0-{2 * args.think:g} s "
          f"(mean {args.think:g} s)")
    print(f"requests: {len(every)} in {elapsed:.1f} s = {len(every) / elapsed:.1f} req/s; errors: {errors}; "
          f"database errors in the server log: {db_errors}")
    print(f"{'kind':<10}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for kind in [*MIX, "all"]:
        vs = every if kind == "all" else figures.latencies.get(kind, [])
        errs = errors if kind == "all" else len(figures.errors.get(kind, []))
        print(f"{kind:<10}{len(vs):>7}{ms(vs, 50):>9}{ms(vs, 95):>9}{ms(vs, 99):>9}"
              f"{(max(vs) * 1000 if vs else 0):>9.0f}{errs:>8}")
    for kind, problems in figures.errors.items():
        for problem in sorted(set(problems))[:3]:
            print(f"  {kind}: {problem} (x{problems.count(problem)})")
    return 1 if errors else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50, help="simulated users at once (default 50)")
    ap.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    ap.add_argument("--think", type=float, default=1.0, help="mean pause between a user's actions, "
                    "seconds (default 1; 0 for as fast as the server answers)")
    ap.add_argument("--seed-sessions", type=int, default=3, help="sessions per practitioner before the start")
    db = ap.add_mutually_exclusive_group()
    db.add_argument("--database-url", help="an empty database to throw away (default: a temporary SQLite file)")
    db.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL server and use it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            (throwaway_postgres() if args.postgres else nullcontext(args.database_url)) as given:
        url = given or f"sqlite:///{Path(tmp) / 'load.db'}"
        backend = url.split(":", 1)[0].split("+")[0]
        people = seed(url, args.users, args.seed_sessions)
        log, port = Path(tmp) / "server.log", free_port()
        proc = start_server(url, port, log)
        try:
            figures, elapsed = asyncio.run(run(f"http://127.0.0.1:{port}", people, args.duration, args.think))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("the server did not stop within 30 s of SIGTERM: killed")
                proc.kill()
                proc.wait()
        db_errors = re.findall(r"database error \(.*", log.read_text(errors="replace"))
        code = report(figures, elapsed, args, backend, len(db_errors))
        for line in sorted(set(db_errors)):
            print(f"  server: {line} (x{db_errors.count(line)})")
        return code


if __name__ == "__main__":
    raise SystemExit(main())
