"""Coded sessions in the database: store (one transaction), load, correct, rate, list.

Plain keyword-only functions over a DbSession; routes stay thin and the pipeline never
sees the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
import re
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session as DbSession
from sqlmodel import select

from app import access, audit
from app.coding import CodedSession, CodedTurn, code_transcripts
from app.exports import summary
from app.models import (
    Correction, FeedbackRecord, HumanRating, Session, Setting, TurnRecord, User,
    UtteranceRecord, Visibility, utcnow,
)
from app.scheme import Scheme
from app.scoring import FidelityScores, score_session
from app.transcript import Turn
from classifiers.coder import Coder, Utterance


@dataclass
class SessionMeta:
    """What the practitioner says about a session when adding it."""

    session_date: date
    family_ref: str = ""
    change_goals: str = ""
    setting: Setting = Setting.home_visit
    visibility: Visibility = Visibility.private


@dataclass
class StoredTurn:
    record: TurnRecord
    utterances: list[UtteranceRecord]


@dataclass
class StoredSession:
    """A session as stored, with its turns, utterances, ratings and (re)computed scores."""

    session: Session
    owner: User
    turns: list[StoredTurn]
    ratings: dict[str, HumanRating]
    scores: FidelityScores
    feedback: FeedbackRecord | None = None
    names: dict[int, str] = field(default_factory=dict)  # user id -> name, for who corrected or rated

    def utterance(self, utterance_id: int) -> tuple[TurnRecord, UtteranceRecord] | None:
        for t in self.turns:
            for u in t.utterances:
                if u.id == utterance_id:
                    return t.record, u
        return None

    def coded(self) -> CodedSession:
        """The session as the pipeline sees it, with human corrections applied."""
        return CodedSession(str(self.session.id), [
            CodedTurn(Turn(t.record.speaker, t.record.text, t.record.role, t.record.coded,
                           t.record.label), [as_utterance(u) for u in t.utterances])
            for t in self.turns], self.scores, self.session.source)

    @property
    def purged(self) -> bool:
        """True once `mifi purge` removed the raw text (codes and scores stay)."""
        return bool(self.turns) and all(not t.record.text for t in self.turns)

    def needs_review(self, below: float) -> int:
        return sum(1 for t in self.turns for u in t.utterances if needs_review(u, below))


def needs_review(u: UtteranceRecord, below: float) -> bool:
    return not u.corrected and u.confidence < below


def as_utterance(u: UtteranceRecord) -> Utterance:
    source = u.source if not u.corrected or u.human_code == u.auto_code else "human"
    return Utterance(u.text, u.start, u.end, u.code, u.subtype, u.confidence, source,
                     u.explanation)


def store_session(db: DbSession, *, owner: User, coded: CodedSession, meta: SessionMeta,
                  scheme: Scheme, model: Mapping[str, str], title: str = "",
                  demo: bool = False, commit: bool = True) -> Session:
    """Save a coded session, its turns and utterances in one transaction (the caller's, when
    `commit` is false, so several sessions can be stored all or none)."""
    s = Session(owner_id=owner.id, team_id=owner.team_id, title=title[:200],
                source=coded.source or "notes", scheme_id=scheme.id,
                model_name=model.get("name", ""), model_version=model.get("version", ""),
                demo=demo, summary_json=json.dumps(summary(coded.scores)),
                session_date=meta.session_date, family_ref=meta.family_ref.strip(),
                change_goals=meta.change_goals.strip(), setting=meta.setting,
                visibility=meta.visibility)
    try:
        db.add(s)
        db.flush()
        turns = [TurnRecord(session_id=s.id, position=i, label=ct.turn.turn_id or str(i),
                            speaker=ct.turn.speaker[:80], role=ct.turn.role, text=ct.turn.text,
                            coded=ct.turn.coded) for i, ct in enumerate(coded.turns)]
        db.add_all(turns)
        db.flush()
        db.add_all([UtteranceRecord(session_id=s.id, turn_id=tr.id, position=j, text=u.text,
                                    start=u.start, end=u.end, auto_code=u.code,
                                    auto_subtype=u.subtype or "", confidence=u.confidence,
                                    source=u.source, explanation=u.explanation)
                    for tr, ct in zip(turns, coded.turns) for j, u in enumerate(ct.utterances)])
        if commit:
            db.commit()
    except Exception:
        db.rollback()
        raise
    if commit:
        db.refresh(s)
    return s


def load_session(db: DbSession, *, session: Session, scheme: Scheme) -> StoredSession:
    """Turns, utterances, ratings and feedback of a session, and its scores now."""
    turns = db.exec(select(TurnRecord).where(TurnRecord.session_id == session.id)
                    .order_by(TurnRecord.position)).all()
    by_turn, ratings = _codes_and_ratings(db, session.id)
    stored = [StoredTurn(t, by_turn.get(t.id, [])) for t in turns]
    feedback = db.exec(select(FeedbackRecord).where(FeedbackRecord.session_id == session.id)).first()
    people = {session.owner_id} | {u.corrected_by_id for t in stored for u in t.utterances
                                   if u.corrected_by_id} | \
        {r.rated_by_id for r in ratings.values()}
    found = {u.id: u for u in db.exec(select(User).where(User.id.in_(people)))}
    return StoredSession(session, found[session.owner_id], stored, ratings,
                         _score(stored, ratings, scheme), feedback,
                         {i: u.display_name for i, u in found.items()})


def _codes_and_ratings(db: DbSession, session_id: int | None, *, fresh: bool = False
                       ) -> tuple[dict[int, list[UtteranceRecord]], dict[str, HumanRating]]:
    """A session's utterances by turn id (in order) and its human ratings; `fresh` re-reads
    rows this database session already holds, so changes other workers committed are seen."""
    options = {"populate_existing": True} if fresh else {}
    utts = db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == session_id)
                   .order_by(UtteranceRecord.turn_id, UtteranceRecord.position).execution_options(**options)).all()
    by_turn: dict[int, list[UtteranceRecord]] = {}
    for u in utts:
        by_turn.setdefault(u.turn_id, []).append(u)
    ratings = {r.global_id: r for r in db.exec(
        select(HumanRating).where(HumanRating.session_id == session_id).execution_options(**options))}
    return by_turn, ratings


def _score(turns: list[StoredTurn], ratings: Mapping[str, HumanRating], scheme: Scheme) -> FidelityScores:
    values = {k: float(r.value) for k, r in ratings.items()}
    return score_session([(t.record.role, [as_utterance(u) for u in t.utterances])
                          for t in turns if t.record.coded], scheme, values or None)


def _touch(db: DbSession, stored: StoredSession, scheme: Scheme) -> None:
    """Rescore from what is stored now, this change included, under a lock on the session
    row: another worker's correction committed since this request loaded the session is
    counted too, so the stored summary never falls one change behind."""
    db.flush()
    db.exec(select(Session.id).where(Session.id == stored.session.id).with_for_update()).one()
    by_turn, stored.ratings = _codes_and_ratings(db, stored.session.id, fresh=True)
    for t in stored.turns:
        t.utterances = by_turn.get(t.record.id, [])
    stored.scores = _score(stored.turns, stored.ratings, scheme)
    s = stored.session
    s.summary_json = json.dumps(summary(stored.scores))
    s.revision = Session.revision + 1  # in SQL, so concurrent workers never lose a bump
    s.updated_at = utcnow()
    db.add(s)


def correct_utterance(db: DbSession, *, stored: StoredSession, utterance: UtteranceRecord,
                      user: User, code: str, subtype: str = "", reason: str = "",
                      scheme: Scheme) -> None:
    """Record a human code (the automatic one stays beside it) and rescore."""
    previous = utterance.code
    if code == utterance.auto_code and subtype == utterance.auto_subtype:
        utterance.human_code, utterance.human_subtype = None, ""
    else:
        utterance.human_code, utterance.human_subtype = code, subtype
    utterance.corrected_by_id, utterance.corrected_at = user.id, utcnow()
    utterance.correction_reason = reason.strip()[:500]
    stored.names[user.id] = user.display_name
    db.add(utterance)
    db.add(Correction(utterance_id=utterance.id, session_id=stored.session.id, user_id=user.id,
                      previous_code=previous, code=code, subtype=subtype,
                      reason=reason.strip()[:500]))
    _touch(db, stored, scheme)
    db.commit()


def set_ratings(db: DbSession, *, stored: StoredSession, user: User,
                ratings: Mapping[str, int | None], scheme: Scheme) -> None:
    """Save (or clear, with None) human global ratings and rescore."""
    for gid, value in ratings.items():
        current = stored.ratings.get(gid)
        if value is None:
            if current is not None:
                db.delete(current)
                del stored.ratings[gid]
            continue
        if current is None:
            current = HumanRating(session_id=stored.session.id, global_id=gid, value=value,
                                  rated_by_id=user.id)
            stored.ratings[gid] = current
        current.value, current.rated_by_id, current.rated_at = value, user.id, utcnow()
        stored.names[user.id] = user.display_name
        db.add(current)
    _touch(db, stored, scheme)
    db.commit()


def save_feedback(db: DbSession, *, session: Session, user: User, sections: Mapping[str, str],
                  share: bool) -> FeedbackRecord:
    record = db.exec(select(FeedbackRecord).where(FeedbackRecord.session_id == session.id)).first()
    if record is None:
        record = FeedbackRecord(session_id=session.id, edited_by_id=user.id)
    record.sections_json = json.dumps(dict(sections), ensure_ascii=False)
    record.edited_by_id, record.updated_at = user.id, utcnow()
    if share:
        record.status, record.shared_at = "shared", utcnow()
    db.add(record)
    db.commit()
    db.refresh(record)
    return record


# Who sees what: the rules are in app.access ------------------------------------------------

def _visible(user: User):  # noqa: ANN202
    return access.session_clause(user, access.Action.session_list)


def visible_sessions(db: DbSession, *, user: User, limit: int = 200, offset: int = 0) -> list[Session]:
    """Sessions the user may see, newest conversation first."""
    return list(db.exec(select(Session).where(_visible(user))
                        .order_by(Session.session_date.desc(), Session.id.desc())
                        .offset(offset).limit(limit)))


def count_visible(db: DbSession, *, user: User) -> int:
    return db.exec(select(func.count()).select_from(Session).where(_visible(user))).one()


def get_visible(db: DbSession, *, user: User, session_id: int) -> Session | None:
    """The session if this user may see it; None (so: 404) otherwise."""
    return access.session_for(db, user=user, session_id=session_id)


def owners(db: DbSession, *, sessions: list[Session]) -> dict[int, User]:
    ids = {s.owner_id for s in sessions}
    if not ids:
        return {}
    return {u.id: u for u in db.exec(select(User).where(User.id.in_(ids)))}


def code_and_store(db: DbSession, *, owner: User, transcripts: list, meta: SessionMeta,
                   scheme: Scheme, coder: Coder, title: str = "", demo: bool = False,
                   actor: audit.Actor | None = None) -> list[Session]:
    """Code parsed transcripts with the real pipeline and store each as a session, all in
    one transaction: a file of several sessions is stored whole or not at all (with an
    audit event for each, when an actor is given)."""
    coded = code_transcripts(transcripts, scheme, coder)
    model = {"name": coder.model_name, "version": coder.model_version}
    many = len(coded) > 1
    sessions = [store_session(db, owner=owner, coded=c, meta=meta, scheme=scheme, model=model,
                              title=f"{title} ({c.session_id})" if many else title, demo=demo,
                              commit=False)
                for c in coded]
    for s in sessions if actor else ():
        audit.record(db, actor, audit.Event.session_create, target=s.id, detail=s.source)
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise
    for s in sessions:
        db.refresh(s)
    return sessions


# The codes a person may choose when correcting: (value, code, subtype, label) -------------

PRACTITIONER_CHOICES = [
    ("Q:open", "Open question"), ("Q:closed", "Closed question"), ("SR", "Simple Reflection"),
    ("CR", "Complex Reflection"), ("AF", "Affirm"), ("SEEK", "Seeking Collaboration"),
    ("EMPHASIZE", "Emphasizing Autonomy"), ("GI", "Giving Information"),
    ("PERSUADE_WITH_PERMISSION", "Persuade with Permission"), ("PERSUADE", "Persuade"),
    ("CONFRONT", "Confront"), ("NC", "No code"),
]
CLIENT_CHOICES = [("CHANGE", "Change talk"), ("SUSTAIN", "Sustain talk"), ("NEUTRAL", "Neutral")]


def choices_for(role: str) -> list[tuple[str, str]]:
    return PRACTITIONER_CHOICES if role == "practitioner" else CLIENT_CHOICES


def parse_choice(value: str, role: str) -> tuple[str, str] | None:
    """('Q', 'open') from 'Q:open' if it is a code this role may have, else None."""
    if value not in {v for v, _ in choices_for(role)}:
        return None
    code, _, subtype = value.partition(":")
    return code, subtype


def choice_value(u: UtteranceRecord) -> str:
    return f"{u.code}:{u.subtype}" if u.code == "Q" and u.subtype else u.code


# Retention and deletion --------------------------------------------------------------------

QUOTED = re.compile(r"“[^”]*”")


def removed_note(days: int) -> str:
    return f"text removed after {days} days"


def purge_candidates(db: DbSession, *, days: int, now: datetime | None = None) -> list[Session]:
    """Sessions stored more than `days` ago whose raw text is still there."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with_text = select(TurnRecord.session_id).where(TurnRecord.text != "").distinct()
    return list(db.exec(select(Session).where(Session.created_at < cutoff, Session.id.in_(with_text))
                        .order_by(Session.id)).all())


def purge_text(db: DbSession, *, days: int, dry_run: bool = False, now: datetime | None = None,
               actor: audit.Actor = audit.COMMAND_LINE) -> list[Session]:
    """Remove turn and utterance text (and quotes in saved feedback) of sessions older than
    `days`, keeping codes, corrections and scores; one transaction, with an audit event per
    session. Returns the sessions."""
    found = purge_candidates(db, days=days, now=now)
    if dry_run or not found:
        return found
    ids = [s.id for s in found]
    for t in db.exec(select(TurnRecord).where(TurnRecord.session_id.in_(ids))):
        t.text = ""
        db.add(t)
    for u in db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id.in_(ids))):
        u.text, u.explanation, u.correction_reason = "", "", ""
        db.add(u)
    note = f"“{removed_note(days)}”"
    for f in db.exec(select(FeedbackRecord).where(FeedbackRecord.session_id.in_(ids))):
        sections = {k: QUOTED.sub(note, v) for k, v in json.loads(f.sections_json).items()}
        f.sections_json = json.dumps(sections)
        db.add(f)
    for s in found:
        s.revision = Session.revision + 1  # rendered pages are cached by revision (in SQL: see _touch)
        db.add(s)
        audit.record(db, actor, audit.Event.purge, target=s.id, detail=f"text older than {days} days removed")
    db.commit()
    return found


def delete_session(db: DbSession, *, session: Session) -> None:
    """Delete a session and every row that belongs to it, in one transaction."""
    sid = session.id
    for model in (Correction, HumanRating, FeedbackRecord, UtteranceRecord, TurnRecord):
        for row in db.exec(select(model).where(model.session_id == sid)):
            db.delete(row)
    db.flush()
    db.delete(session)
    db.commit()
