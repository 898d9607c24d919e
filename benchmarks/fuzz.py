"""Fuzz every way a transcript comes in: the parsers, `mifi code`, and the API and form.

Random bytes, awkward text (NULs, lone surrogates, every kind of line break, BOMs, RTL,
emoji, very long lines) and damaged copies of the samples in fixtures/samples. Each input
must be read, or refused with a one-line message (exit status 2 for the CLI, a 4xx for the
web app, with no new session stored); anything else is a crash. Prints what was tried,
accepted, refused (by message) and crashed; exits 1 if anything crashed.

    python benchmarks/fuzz.py [--examples 3000] [--cli 40] [--api 300] [--seed 1] [--db-url URL]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from datetime import date
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.parsers import parse_csv, parse_docx, parse_srt, parse_txt, parse_vtt, read_bytes, read_text  # noqa: E402
from app.transcript import Transcript, TranscriptError  # noqa: E402
from tests.test_parsers_properties import (  # noqa: E402  (the same pieces, edits and check)
    AWKWARD_PIECES, STRAY, mutate as apply_mutations,
)

SAMPLES = {p.name: p.read_bytes() for p in sorted((ROOT / "fixtures" / "samples").iterdir())
           if p.name != "README.md"}
SUFFIXES = ["", ".txt", ".md", ".docx", ".vtt", ".srt", ".csv"]
AWKWARD = [*AWKWARD_PIECES, "How are the mornings? ", "I want him in school. "]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1", "utf-32"]


class Tally:
    """Inputs tried, accepted, refused by message, and crashes with an example of each."""

    def __init__(self, name: str) -> None:
        self.name, self.tried, self.accepted = name, 0, 0
        self.refused: Counter[str] = Counter()
        self.crashes: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def refuse(self, message: str, prefix: str = "") -> None:
        self.refused[prefix + message_kind(message)] += 1

    def crash(self, kind: str, detail: str) -> None:
        if kind not in self.crashes:
            self.examples[kind] = detail
        self.crashes[kind] += 1

    def report(self) -> None:
        refused = sum(self.refused.values())
        print(f"\n{self.name}: {self.tried} tried, {self.accepted} accepted, {refused} refused, "
              f"{sum(self.crashes.values())} crashes")
        for kind, n in self.refused.most_common(12):
            print(f"  {n:6}  {kind}")
        if len(self.refused) > 12:
            print(f"  {sum(n for _, n in self.refused.most_common()[12:]):6}  (other messages)")
        for kind, n in self.crashes.most_common():
            print(f"  CRASH {n}x {kind}\n    {self.examples[kind][:600]}")


def message_kind(message: str) -> str:
    """A message with the file name and numbers taken out, to count messages by kind."""
    message = re.sub(r"^(?:input|sample|fuzz)\S*\s*", "", message)
    message = re.sub(r"\b(?:input|sample|fuzz)\S*\b", "FILE", message)
    message = re.sub(r"\d[\d,.]*", "N", message)
    message = re.sub(r"\(.*?\)", "(…)", message)
    return " ".join(message.split()[:9])


# Inputs -----------------------------------------------------------------------------------

def awkward_text(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(0, 30)):
        if rng.random() < 0.6:
            pieces.append(rng.choice(AWKWARD))
        else:
            pieces.append("".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0, 0x10FFFF)]))
                                  for _ in range(rng.randint(1, 12))))
    return "".join(pieces)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Byte flips, cuts, insertions, awkward pieces, and duplicated or removed lines: random
    edits for the property tests' `mutate`."""
    kinds = ["flip", "delete", "insert", "truncate", "duplicate line", "remove line", "awkward"]
    return apply_mutations(data, [(rng.choice(kinds), rng.randint(0, 10**6), rng.randbytes(rng.randint(1, 8)),
                                   rng.choice(AWKWARD).encode("utf-8", "surrogatepass"))
                                  for _ in range(rng.randint(1, 6))])


def word_document(rng: random.Random) -> bytes:
    document = docx.Document()
    for _ in range(rng.randint(0, 6)):
        text = rng.choice(["SW: How are things?", "Mum: Fine.", "[Dad] ok", ""]) + \
            STRAY.sub("", re.sub("[\ud800-\udfff]", "", awkward_text(rng)))[:200]
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def an_input(rng: random.Random) -> tuple[bytes, str]:
    """(data, file name) of one kind or another."""
    kind = rng.random()
    if kind < 0.15:
        return rng.randbytes(rng.randint(0, 400)), "fuzz" + rng.choice(SUFFIXES)
    if kind < 0.4:
        data = awkward_text(rng).encode(rng.choice(ENCODINGS), "replace")
        return data, "fuzz" + rng.choice(SUFFIXES)
    if kind < 0.45:
        return mutate(word_document(rng), rng) if rng.random() < 0.5 else word_document(rng), "fuzz.docx"
    name = rng.choice(list(SAMPLES))
    suffix = Path(name).suffix if rng.random() < 0.7 else rng.choice(SUFFIXES)
    return mutate(SAMPLES[name], rng), "sample" + suffix


# Checks -----------------------------------------------------------------------------------

def bad_message(message: str) -> str | None:
    """Why a refusal's message is not a good one-line message, or None."""
    if not message.strip():
        return "empty message"
    if "\n" in message or "\r" in message or STRAY.search(message):
        return "message not one line of text"
    if len(message) > 500 or "Traceback" in message:
        return "message too long or with a traceback"
    return None


def bad_transcripts(transcripts: list[Transcript], roles: bool) -> str | None:
    """Why parsed transcripts break the parsers' promises, or None."""
    for t in transcripts:
        if not t.turns or not any(u.coded for u in t.turns):
            return "transcript without a coded turn"
        for u in t.turns:
            if STRAY.search(u.text) or STRAY.search(u.speaker):
                return "control character in a turn"
            if roles and u.coded and u.role not in ("practitioner", "client"):
                return "coded turn without a role"
    return None


def check(tally: Tally, read, *args, roles: bool = True) -> list[Transcript]:  # noqa: ANN001
    """Run one reader on one input and count the outcome; the transcripts read, if any."""
    tally.tried += 1
    try:
        result = read(*args)
    except TranscriptError as e:
        problem = bad_message(str(e))
        if problem:
            tally.crash(problem, repr(str(e)))
        else:
            tally.refuse(str(e))
        return []
    except Exception as e:  # noqa: BLE001 - counting what must never happen
        frame = traceback.extract_tb(e.__traceback__)[-1]
        tally.crash(f"{type(e).__name__} at {Path(frame.filename).name}:{frame.lineno}",
                    f"{e!s:.200} input={args[0]!r:.300}")
        return []
    result = result if isinstance(result, list) else [result]
    problem = bad_transcripts(result, roles)
    if problem:
        tally.crash(problem, repr(args[0])[:300])
        return []
    tally.accepted += 1
    return result


def fuzz_parsers(n: int, rng: random.Random) -> list[Tally]:
    from app.coding import code_transcripts
    from app.scheme import load_scheme
    from classifiers.coder import Coder

    files, parsers, typed, coding = Tally("read_bytes (any file)"), Tally("parse_* (each format)"), \
        Tally("read_text (typed notes)"), Tally("segment + code the accepted transcripts")
    coder, scheme = Coder.load(), load_scheme("miti-4.2.1")
    for _ in range(n):
        data, name = an_input(rng)
        accepted = check(files, read_bytes, data, name)
        for parse in (parse_txt, parse_docx, parse_vtt, parse_srt, parse_csv):
            check(parsers, parse, data, name, roles=False)
        text = data.decode("utf-8", "surrogateescape") if rng.random() < 0.5 else awkward_text(rng)
        accepted += check(typed, read_text, text)
        if accepted:
            coding.tried += 1
            try:
                for session in code_transcripts(accepted, scheme, coder):
                    for ct in session.turns:
                        end = 0
                        for u in ct.utterances:
                            assert ct.turn.text[u.start:u.end] == u.text, "offsets off"
                            assert end <= u.start < u.end and u.text.strip(), "utterances overlap"
                            end = u.end
                coding.accepted += 1
            except Exception as e:  # noqa: BLE001
                frame = traceback.extract_tb(e.__traceback__)[-1]
                coding.crash(f"{type(e).__name__} at {Path(frame.filename).name}:{frame.lineno}",
                             f"{e!s:.200} input={accepted!r:.300}")
    return [files, parsers, typed, coding]


def fuzz_cli(n: int, rng: random.Random) -> Tally:
    tally = Tally("mifi code (subprocess)")
    with tempfile.TemporaryDirectory() as folder:
        for i in range(n):
            data, name = an_input(rng)
            path = Path(folder) / f"fuzz{i}{Path(name).suffix}"
            path.write_bytes(data)
            r = subprocess.run([sys.executable, "-m", "app.cli", "code", str(path), "--format", "csv"],
                               capture_output=True, text=True, cwd=ROOT, timeout=300, errors="replace")
            tally.tried += 1
            if r.returncode == 0 and "Traceback" not in r.stderr:
                tally.accepted += 1
            elif r.returncode == 2 and r.stderr.startswith("mifi: error: ") and r.stderr.count("\n") == 1:
                tally.refuse(r.stderr.removeprefix("mifi: error: ").removeprefix(path.name))
            else:
                tally.crash(f"exit {r.returncode}", r.stderr[-500:])
    return tally


def fuzz_api(n: int, rng: random.Random, url: str) -> Tally:
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session as DbSession
    from sqlmodel import SQLModel, create_engine, func, select

    from app import users
    from app.config import Settings
    from app.db import init_db, make_engine
    from app.deps import get_db
    from app.models import Session
    from app.web import create_app
    from classifiers.coder import Coder
    from tests.conftest import PASSWORD, login

    tally = Tally(f"POST /api/sessions and /sessions (TestClient, {url.split(':')[0]})")
    if url == "sqlite://":
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        SQLModel.metadata.create_all(engine)
    else:
        engine = make_engine(url)
        init_db(engine)
    app = create_app(Settings(database_url=url, demo=False), engine=engine, coder=Coder.load())

    def override_db():  # noqa: ANN202
        with DbSession(engine) as session:
            yield session

    app.dependency_overrides[get_db] = override_db
    with DbSession(engine) as db:
        username = f"fuzz{rng.randrange(10**9)}"  # a database given with --db-url may hold others
        user = users.create_user(db, username=username, password=PASSWORD, role="practitioner",
                                 team=f"Fuzz {username}")
        db.commit()
        token = users.issue_token(db, user=user, kind="api", name="fuzz")
        db.commit()

    def count() -> int:
        with DbSession(engine) as db:
            return db.exec(select(func.count()).select_from(Session)).one()

    def field(valid: str) -> str:
        if rng.random() < 0.85:
            return valid
        if rng.random() < 0.1:  # names, which redaction makes longer
            return ("Sarah and Tom " * 40)[: rng.randint(300, 500)]
        return re.sub("[\ud800-\udfff]", "", awkward_text(rng))[: rng.choice([10, 60, 600])]

    with TestClient(app) as client:
        csrf = login(client, username)
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(n):
            fields = {"session_date": field(date.today().isoformat()), "family_ref": field("FAM-1"),
                      "change_goals": field("school on time"), "setting": field("office"),
                      "visibility": field("private"), "practitioner": field(""), "names": field("")}
            data, name = an_input(rng)
            text = data.decode("utf-8", "replace")
            before = count()
            how = rng.choice(["json", "multipart", "form"])
            if how == "json":
                body = {**fields, "text": text, "names": [fields["names"]]}
                r = client.post("/api/sessions", content=json.dumps(body).encode(),
                                headers={**auth, "Content-Type": "application/json"})
            elif how == "multipart":
                r = client.post("/api/sessions", data=fields, headers=auth,
                                files={"file": (name, data, "application/octet-stream")})
            else:
                upload = {"file": (name, data, "application/octet-stream")} if rng.random() < 0.5 else None
                r = client.post("/sessions", data={"csrf_token": csrf, **fields, "text": text},
                                files=upload, follow_redirects=False)
            after = count()
            tally.tried += 1
            if r.status_code >= 500:
                tally.crash(f"{how}: {r.status_code}", r.text[:300])
            elif r.status_code in (200, 201, 303):
                tally.accepted += 1
            elif after != before:
                tally.crash(f"{how}: refused ({r.status_code}) but stored", r.text[:300])
            else:
                tally.refuse(_api_message(r), prefix=f"{how} {r.status_code}: ")
    return tally


def _api_message(r) -> str:  # noqa: ANN001
    """The message of a refused request: the JSON detail, or the field(s) named on the page."""
    if r.headers.get("content-type", "").startswith("application/json"):
        detail = r.json().get("detail")
        if isinstance(detail, list):
            return "; ".join(f"{'.'.join(map(str, e['loc'][-1:]))}: {e['msg'][:60]}" for e in detail[:2])
        return str(detail)
    return ", ".join(sorted(set(re.findall(r'id="(\w+)-error"', r.text)))) or "page"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=3000, help="inputs for the parsers (default 3000)")
    p.add_argument("--cli", type=int, default=40, help="files for `mifi code` (default 40)")
    p.add_argument("--api", type=int, default=300, help="requests to the web app (default 300)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--db-url", default="sqlite://", help="database for the web app (default: in "
                   "memory); e.g. a PostgreSQL test database, which gets a fuzz user and sessions")
    args = p.parse_args()
    started = time.perf_counter()
    tallies = fuzz_parsers(args.examples, random.Random(args.seed))
    tallies.append(fuzz_cli(args.cli, random.Random(args.seed + 1)))
    tallies.append(fuzz_api(args.api, random.Random(args.seed + 2), args.db_url))
    for t in tallies:
        t.report()
    crashes = sum(sum(t.crashes.values()) for t in tallies)
    print(f"\n{sum(t.tried for t in tallies)} inputs tried in {time.perf_counter() - started:.0f} s; "
          f"{crashes} crashes")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
