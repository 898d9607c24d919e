"""A trainer's view of team-wide consistency, across teams and pseudonymous: each score's
distribution per discipline and per locality by month, the spread between practitioners
over time, and the codes people most often correct (Cohen's kappa between the automatic
and the corrected codes). Counts the sessions shared with a supervisor or trainer
(app.access); never reads transcript text. Queries only; no web imports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session as DbSession
from sqlmodel import select

from app import access
from app.exports import safe_cell
from app.models import Session, UtteranceRecord, User
from app.progress import score_of, tracked_scores
from app.scheme import Scheme, SummaryScore
from classifiers.coder import CODE_NAMES
from classifiers.evaluation import cohen_kappa


@dataclass
class Row:
    """One session as the trainer sees it: who (pseudonymously), what kind, when, scores."""

    session_id: int
    owner_id: int
    discipline: str
    locality: str
    month: str  # YYYY-MM
    scores: dict[str, float | None]


@dataclass
class Cell:
    n: int
    median: float
    q1: float
    q3: float


@dataclass
class Distribution:
    score: SummaryScore
    months: list[str]
    by_discipline: dict[str, dict[str, Cell]]  # group -> month -> cell
    by_locality: dict[str, dict[str, Cell]]
    spread: dict[str, Cell]  # month -> distribution of practitioners' monthly means


@dataclass
class CodeAgreement:
    code: str
    name: str
    kappa: float
    corrected_from: int  # automatic code was this, a person changed it
    corrected_to: int    # a person changed another code to this
    n: int               # utterances automatically coded as this in reviewed sessions


def rows(db: DbSession, *, scheme: Scheme) -> list[Row]:
    ids = [s.id for s in tracked_scores(scheme)]
    out = []
    query = select(Session.id, Session.owner_id, Session.session_date, Session.summary_json,
                   User.discipline, User.locality).join(User, User.id == Session.owner_id) \
        .where(access.aggregate_clause()).order_by(Session.session_date, Session.id)
    for sid, owner, day, raw, discipline, locality in db.exec(query):
        summ = json.loads(raw)
        out.append(Row(sid, owner, discipline or "Not given", locality or "Not given",
                       day.strftime("%Y-%m"), {k: score_of(summ, k) for k in ids}))
    return out


def data_version(db: DbSession) -> tuple:
    """Changes whenever anything the trainer's page shows could: sessions added or rescored
    (every correction or rating bumps `updated_at`), and corrections."""
    from sqlalchemy import func

    sessions = db.exec(select(func.count(), func.max(Session.id), func.max(Session.updated_at))
                       .select_from(Session)).one()
    people = db.exec(select(func.count(), func.max(User.id)).select_from(User)).one()
    return (*sessions, *people)


def _cell(values: Sequence[float]) -> Cell:
    v = sorted(values)
    if len(v) == 1:
        return Cell(1, v[0], v[0], v[0])
    q = statistics.quantiles(v, n=4, method="inclusive")
    return Cell(len(v), statistics.median(v), q[0], q[2])


def distributions(data: Sequence[Row], *, scheme: Scheme) -> list[Distribution]:
    months = sorted({r.month for r in data})
    out = []
    for sc in tracked_scores(scheme):
        groups: dict[str, dict[str, dict[str, list[float]]]] = {
            "discipline": defaultdict(lambda: defaultdict(list)),
            "locality": defaultdict(lambda: defaultdict(list))}
        per_person: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        for r in data:
            v = r.scores.get(sc.id)
            if v is None:
                continue
            groups["discipline"][r.discipline][r.month].append(v)
            groups["locality"][r.locality][r.month].append(v)
            per_person[r.month][r.owner_id].append(v)
        cells = {kind: {g: {m: _cell(vs) for m, vs in by_month.items()}
                        for g, by_month in sorted(by_group.items())}
                 for kind, by_group in groups.items()}
        spread = {m: _cell([statistics.fmean(vs) for vs in people.values()])
                  for m, people in sorted(per_person.items())}
        out.append(Distribution(sc, months, cells["discipline"], cells["locality"], spread))
    return out


def code_agreement(db: DbSession) -> list[CodeAgreement]:
    """Per code, Cohen's kappa between automatic and corrected codes (code vs. not code), over
    every utterance of the shared sessions in which someone corrected at least one code;
    lowest agreement first, so the codes to train on come first."""
    reviewed = select(UtteranceRecord.session_id).where(UtteranceRecord.human_code.is_not(None)).distinct()
    pairs = [(auto, human or auto) for auto, human in db.exec(
        select(UtteranceRecord.auto_code, UtteranceRecord.human_code)
        .join(Session, Session.id == UtteranceRecord.session_id)
        .where(UtteranceRecord.session_id.in_(reviewed), access.aggregate_clause()))]
    out = []
    for code in sorted({c for p in pairs for c in p}):
        auto = [a == code for a, _ in pairs]
        human = [h == code for _, h in pairs]
        corrected_from = sum(a and not h for a, h in zip(auto, human))
        corrected_to = sum(h and not a for a, h in zip(auto, human))
        out.append(CodeAgreement(code, CODE_NAMES.get(code, code),
                                 cohen_kappa([str(x) for x in auto], [str(x) for x in human]),
                                 corrected_from, corrected_to, sum(auto)))
    return sorted(out, key=lambda c: (c.kappa, -(c.corrected_from + c.corrected_to)))


def pseudonym(kind: str, ident: int, salt: str) -> str:
    """A stable pseudonymous id: the same person or session always gets the same one, and
    it cannot be turned back into the database id without the salt."""
    return kind + hashlib.sha256(f"{salt}:{kind}:{ident}".encode()).hexdigest()[:10]


def export_csv(data: Sequence[Row], *, scheme: Scheme, salt: str) -> str:
    """Session-level scores, one row per session: pseudonymous ids, month, discipline,
    locality and scores; no names, family references, dates of day or text."""
    scores = tracked_scores(scheme)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["session", "practitioner", "month", "discipline", "locality", *[s.id for s in scores]])
    for r in data:
        values = ["" if (v := r.scores.get(s.id)) is None else round(v, 3) for s in scores]
        w.writerow([safe_cell(c) for c in [pseudonym("S-", r.session_id, salt),
                                           pseudonym("P-", r.owner_id, salt), r.month,
                                           r.discipline, r.locality, *values]])
    return buf.getvalue()


def salt_for(db: DbSession, configured: str = "") -> str:
    """The pseudonyms' salt: MIFI_PSEUDONYM_SALT if set, else a secret already in this
    database (the first account's password hash, itself salted at random), so pseudonyms stay
    the same from one export to the next without storing anything more."""
    if configured:
        return configured
    first = db.exec(select(User.password_hash).order_by(User.id).limit(1)).first()
    return first or "mifi"
