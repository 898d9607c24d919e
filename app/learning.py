"""The model learns from corrections: export reviewed sessions, build a candidate, compare it
with the current model on held-out dialogues, and promote it only when it is not worse.

- A session is **reviewed** when someone has corrected (or confirmed) at least one of its
  codes, or its supervision feedback has been shared: a person has gone through it. Every
  utterance of a reviewed session is used with its final code: the human code where there
  is one, else the automatic code. Sessions nobody reviewed are never used.
- **Held out**: a reviewed session goes to the held-out set when a stable hash of its id
  falls in the first quarter (`HELD_OUT_SHARE`), and never into training, so each build
  compares the two models on dialogues neither has seen; sessions the current model was
  trained on are never held out. When no session falls in the quarter, the one with the
  lowest hash is held out.
- A **candidate** is trained (`classifiers.training.train`, cross-validated and calibrated)
  on the shipped corpus plus the other reviewed sessions, then both models code the
  held-out utterances (rules, then model). It may be promoted when its practitioner and
  client macro F1 are each at least the current model's minus `promote_tolerance`.
- Versions live in the **model folder** (`Settings.models_dir`), one sub-folder each, listed
  in the `model_version` table; `active.json` there names the active one, which the app and
  `mifi code` use unless `--model`, `MIFI_MODEL` or `MIFI_MODEL_PATH` says otherwise.

No web imports here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session as DbSession
from sqlmodel import select

from app.models import (
    Correction, FeedbackRecord, ModelVersion, TurnRecord, UtteranceRecord, utcnow,
)
from app.active_model import ACTIVE_FILE, active_model_path, model_for_coding  # noqa: F401 (re-exported)
from classifiers import artifact
from classifiers.corpus import CLIENT_CODES, COLUMNS, PRACTITIONER_CODES, TALK_KINDS, CodedUtterance
from classifiers.model import ROLES

HELD_OUT_SHARE = 0.25
SHIPPED = "shipped"


class LearningError(ValueError):
    """A model cannot be built or promoted; the message says why."""


# Reviewed sessions ---------------------------------------------------------------------------

@dataclass
class ReviewedDialogue:
    """One reviewed session as a corpus dialogue, with which utterances a person corrected."""

    session_id: int
    utterances: list[CodedUtterance]
    corrected: list[bool]

    @property
    def dialogue_id(self) -> str:
        return dialogue_id(self.session_id)


def dialogue_id(session_id: int) -> str:
    return f"session-{session_id}"


def reviewed_session_ids(db: DbSession) -> list[int]:
    """Sessions with a correction (or confirmation) of a code, or with shared feedback."""
    corrected = set(db.exec(select(Correction.session_id).distinct()))
    shared = set(db.exec(select(FeedbackRecord.session_id).where(FeedbackRecord.status == "shared")))
    return sorted(corrected | shared)


def _subtype(code: str, subtype: str) -> str:
    if code == "Q":
        return subtype if subtype in ("open", "closed") else "closed"
    if code in ("CHANGE", "SUSTAIN"):
        return subtype if subtype in TALK_KINDS else ""
    return ""


def reviewed_dialogues(db: DbSession, session_ids: Sequence[int] | None = None) -> list[ReviewedDialogue]:
    """Reviewed sessions (or these ones) with each utterance's final code, turns renumbered."""
    ids = list(session_ids) if session_ids is not None else reviewed_session_ids(db)
    out = []
    for sid in ids:
        turns = db.exec(select(TurnRecord).where(TurnRecord.session_id == sid, TurnRecord.coded)
                        .order_by(TurnRecord.position)).all()
        utts = db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == sid)
                       .order_by(UtteranceRecord.turn_id, UtteranceRecord.position)).all()
        by_turn: dict[int, list[UtteranceRecord]] = {}
        for u in utts:
            by_turn.setdefault(u.turn_id, []).append(u)
        rows, corrected, n = [], [], 0
        for t in turns:
            allowed = PRACTITIONER_CODES if t.role == "practitioner" else CLIENT_CODES
            kept = [u for u in by_turn.get(t.id, []) if u.text.strip() and u.code in allowed]
            if not kept:
                continue
            for u in kept:
                rows.append(CodedUtterance(dialogue_id(sid), n, (t.speaker or t.role)[:80], t.role,
                                           u.text.strip(), u.code, _subtype(u.code, u.subtype),
                                           u.correction_reason if u.corrected else ""))
                corrected.append(u.corrected)
            n += 1
        if rows:
            out.append(ReviewedDialogue(sid, rows, corrected))
    return out


def export_corpus(db: DbSession, folder: Path) -> list[Path]:
    """Write each reviewed session as a corpus-format CSV (`mifi train --corpus` reads them)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for d in reviewed_dialogues(db):
        path = folder / f"{d.dialogue_id}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for u in d.utterances:
                w.writerow([u.dialogue_id, u.turn, u.speaker, u.role, u.text, u.code, u.subtype, u.note])
        paths.append(path)
    return paths


def training_set(dialogues: Sequence[ReviewedDialogue]) -> Any:
    """Reviewed dialogues as a TrainingSet (grouped by session)."""
    from classifiers.training import TrainingSet, in_context

    utts = [u for d in dialogues for u in d.utterances]
    h = hashlib.sha256()
    for u in utts:
        h.update("\x1f".join((u.dialogue_id, str(u.turn), u.role, u.text, u.code, u.subtype)).encode())
        h.update(b"\x1e")
    return TrainingSet(in_context(utts), [u.code for u in utts], [u.dialogue_id for u in utts],
                       "reviewed-sessions", h.hexdigest())


def _bucket(session_id: int) -> float:
    digest = hashlib.sha256(f"mifi-held-out:{session_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_held_out(session_ids: Sequence[int], seen: AbstractSet[int] = frozenset(),
                   share: float = HELD_OUT_SHARE) -> tuple[list[int], list[int]]:
    """(train, held out): stable across builds; `seen` (the current model's training
    sessions) are never held out."""
    candidates = [s for s in session_ids if s not in seen]
    held = [s for s in candidates if _bucket(s) < share]
    if not held and len(candidates) >= 1 and len(session_ids) >= 2:
        held = [min(candidates, key=_bucket)]
    return [s for s in session_ids if s not in held], held


# Figures -------------------------------------------------------------------------------------

def figures(coder: Any, dialogues: Sequence[ReviewedDialogue]) -> dict[str, dict[str, Any]]:
    """Per role, how the coder's codes agree with the final codes of these dialogues; and how
    many of the people's corrections it now makes itself."""
    from classifiers.evaluation import agreement
    from classifiers.training import in_context

    utts = [u for d in dialogues for u in d.utterances]
    corrected = [c for d in dialogues for c in d.corrected]
    coded = coder.classify(in_context(utts)) if utts else []
    out = {}
    for role in ROLES:
        idx = [i for i, u in enumerate(utts) if u.role == role]
        if not idx:
            continue
        a = agreement([utts[i].code for i in idx], [coded[i].code for i in idx])
        fixed = [i for i in idx if corrected[i]]
        out[role] = {"n": a.n, "macro_f1": a.macro_f1, "accuracy": a.accuracy, "kappa": a.kappa,
                     "corrections": len(fixed),
                     "corrections_matched": sum(coded[i].code == utts[i].code for i in fixed)}
    return out


def not_worse(candidate: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]],
              tolerance: float) -> tuple[bool, str]:
    """Whether the candidate may replace the current model, and why (or why not)."""
    worse = []
    for role in ROLES:
        if role not in current:
            continue
        new = candidate.get(role, {}).get("macro_f1", 0.0)
        old = current[role]["macro_f1"]
        if new < old - tolerance:
            worse.append(f"{role} macro F1 {new:.3f} is below {old:.3f} - {tolerance:g}")
    if worse:
        return False, "Worse than the current model: " + "; ".join(worse) + "."
    return True, f"Not worse than the current model (macro F1 within {tolerance:g} or better for each role)."


# The model folder ------------------------------------------------------------------------------

def _current(db: DbSession, settings: Any) -> tuple[Path, str, set[int]]:
    """The current model's artifact, version and the reviewed sessions it was trained on."""
    path = model_for_coding(settings) or artifact.default_model_path()
    try:
        version = str(artifact.read_metadata(path).get("version", "0"))
    except artifact.ArtifactError:
        version = "rules-only"
    row = db.exec(select(ModelVersion).where(ModelVersion.version == version)).first()
    seen = set(json.loads(row.training_json).get("sessions", [])) if row else set()
    return path, version, seen


def versions(db: DbSession) -> list[ModelVersion]:
    """Every built version, newest first."""
    return list(db.exec(select(ModelVersion).order_by(ModelVersion.built_at.desc(), ModelVersion.id.desc())))


def active_version(db: DbSession) -> ModelVersion | None:
    return db.exec(select(ModelVersion).where(ModelVersion.active)).first()


def current_version(db: DbSession, settings: Any) -> str:
    return _current(db, settings)[1]


# Build and promote ------------------------------------------------------------------------------

def build_candidate(db: DbSession, settings: Any, *, built_by: str, folds: int | None = None,
                    corpus: Path | None = None, progress: Callable[[str], None] = lambda m: None,
                    trainer: Callable[..., dict[str, Any]] | None = None) -> ModelVersion:
    """Train a candidate on the corpus plus reviewed sessions, compare it with the current
    model on held-out reviewed sessions, and list it as a version (not yet active)."""
    from classifiers.coder import Coder
    from classifiers.corpus import CORPUS_DIR
    from classifiers.training import concat, corpus_set, train

    dialogues = reviewed_dialogues(db)
    if not dialogues:
        raise LearningError("no reviewed sessions yet: correct some codes or share feedback first")
    current_path, current, seen = _current(db, settings)
    train_ids, held_ids = split_held_out([d.session_id for d in dialogues], seen)
    if not held_ids:
        raise LearningError("no reviewed session is left to compare the models on: "
                            "review at least one more session")
    held = [d for d in dialogues if d.session_id in held_ids]
    used = [d for d in dialogues if d.session_id in train_ids]
    base = corpus or settings.train_corpus or CORPUS_DIR
    progress(f"reading the corpus and {len(used)} reviewed sessions "
             f"({len(held)} held out to compare the models)")
    data = concat(corpus_set(Path(base)), training_set(used)) if used else corpus_set(Path(base))
    folder = settings.models_dir
    building = folder / f".building-{secrets.token_hex(4)}"
    try:
        meta = (trainer or train)(data, building / f"{artifact.MODEL_NAME}.npz",
                                  folds=folds or settings.train_folds, progress=progress)
        version = meta["version"]
        target = folder / version
        while target.exists():
            version += "a"
            target = folder / version
        building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    path = target / f"{artifact.MODEL_NAME}.npz"
    progress("coding the held-out sessions with both models")
    candidate_figures = figures(Coder(artifact.load(path)), held)
    current_figures = figures(Coder.load(current_path), held)
    ok, why = not_worse(candidate_figures, current_figures, settings.promote_tolerance)
    cv = {role: {k: v[k] for k in ("macro_f1", "accuracy", "kappa", "ece") if k in v}
          for role, v in meta.get("cross_validation", {}).items()}
    row = ModelVersion(
        version=version, name=meta.get("name", artifact.MODEL_NAME),
        path=str(path.relative_to(folder)), built_by=built_by, baseline_version=current,
        figures_json=json.dumps({"candidate": candidate_figures, "current": current_figures,
                                 "cross_validation": cv, "tolerance": settings.promote_tolerance}),
        training_json=json.dumps({
            "corpus": str(base), "corpus_dialogues": len(set(data.groups)) - len(used),
            "sessions": [d.session_id for d in used], "held_out": [d.session_id for d in held],
            "utterances": len(data.records),
            "corrections": sum(sum(d.corrected) for d in used),
            "held_out_utterances": sum(len(d.utterances) for d in held)}),
        promotable=ok, decision=why)
    db.add(row)
    db.commit()
    db.refresh(row)
    progress(f"built {version}: {why}")
    return row


def _write_active(folder: Path, content: bytes | None) -> None:
    target = folder / ACTIVE_FILE
    if content is None:
        target.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{ACTIVE_FILE}.{secrets.token_hex(4)}"
    tmp.write_bytes(content)
    os.replace(tmp, target)


def _commit_active(db: DbSession, folder: Path, relpath: str | None) -> None:
    """Point the model folder's active file at `relpath` (None: the shipped model) and commit
    the transaction; if the commit fails, the file points where it did before."""
    try:
        before: bytes | None = (folder / ACTIVE_FILE).read_bytes()
    except FileNotFoundError:
        before = None
    _write_active(folder, None if relpath is None else json.dumps({"path": relpath}).encode())
    try:
        db.commit()
    except BaseException:
        _write_active(folder, before)
        raise


def _deactivate(db: DbSession) -> None:
    """No version is active (in this transaction)."""
    for other in db.exec(select(ModelVersion).where(ModelVersion.active)):
        other.active = False
        db.add(other)


def promote(db: DbSession, settings: Any, version: ModelVersion, *, by: str) -> ModelVersion:
    """Make a version active, if it was not worse than the model that is current now."""
    if version.active:
        raise LearningError(f"{version.version} is already the active model")
    if not version.promotable:
        raise LearningError(f"{version.version} may not be promoted: {version.decision}")
    current = current_version(db, settings)
    if version.baseline_version != current:
        raise LearningError(f"{version.version} was compared with {version.baseline_version}, "
                            f"but the current model is now {current}: build a new candidate")
    if not (settings.models_dir / version.path).is_file():
        raise LearningError(f"the model file of {version.version} is missing")
    _deactivate(db)
    version.active, version.promoted_at, version.promoted_by = True, utcnow(), by
    db.add(version)
    _commit_active(db, settings.models_dir, version.path)
    db.refresh(version)
    return version


def use_shipped(db: DbSession, settings: Any) -> None:
    """Go back to the model shipped with MI Fidelity: no version is active any more (the
    versions stay listed, and any of them can be built against or promoted again)."""
    if active_version(db) is None:
        raise LearningError("the shipped model is already the one in use")
    _deactivate(db)
    _commit_active(db, settings.models_dir, None)


def remove_version(db: DbSession, settings: Any, version: ModelVersion) -> None:
    """Delete a version that is not in use, with its files (each is a few megabytes).
    Sessions it coded keep their codes and the version's name."""
    if version.active:
        raise LearningError(f"{version.version} is the active model: use another model first")
    folder = settings.models_dir.resolve()
    target = (folder / version.path).resolve().parent
    db.delete(version)
    db.commit()
    if target != folder and target.is_relative_to(folder):
        shutil.rmtree(target, ignore_errors=True)


def parsed(version: ModelVersion) -> dict[str, Any]:
    """A version's figures and training summary, for pages and the command line."""
    return {"figures": json.loads(version.figures_json or "{}"),
            "training": json.loads(version.training_json or "{}")}


# A build in the background (for the admin page) -----------------------------------------------

@dataclass
class BuildJob:
    """One candidate build running in a thread; its messages are shown while it runs."""

    messages: list[str] = field(default_factory=list)
    done: bool = False
    error: str = ""
    version: str = ""
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return not self.done

    def start(self, engine: Engine, settings: Any, *, built_by: str, **kwargs: Any) -> BuildJob:
        def run() -> None:
            try:
                with DbSession(engine) as db:
                    row = build_candidate(db, settings, built_by=built_by,
                                          progress=self.messages.append, **kwargs)
                    self.version = row.version
            except Exception as e:  # shown on the page; the app keeps running
                self.error = str(e) if isinstance(e, (LearningError, ValueError)) else \
                    f"the build failed ({type(e).__name__})"
            finally:
                self.done = True

        self.thread = threading.Thread(target=run, name="mifi-build-model", daemon=True)
        self.thread.start()
        return self



def comparison_table(version: ModelVersion) -> str:
    """The candidate's figures beside the current model's, as plain text."""
    info = parsed(version)
    fig, training = info["figures"], info["training"]
    old, new = fig.get("current", {}), fig.get("candidate", {})
    head = (f"held-out reviewed sessions: {len(training.get('held_out', []))} "
            f"({training.get('held_out_utterances', 0)} utterances); candidate trained on "
            f"{training.get('corpus_dialogues', 0)} corpus dialogues + "
            f"{len(training.get('sessions', []))} reviewed sessions "
            f"({training.get('corrections', 0)} corrections)")
    lines = [head, f"{'':34}{version.baseline_version[:18]:>18}  {version.version[:18]:>18}",
             f"{'':34}{'(current)':>18}  {'(candidate)':>18}"]
    for role in ROLES:
        if role not in old and role not in new:
            continue
        a, b = old.get(role, {}), new.get(role, {})
        for key, label in (("macro_f1", "macro F1"), ("accuracy", "accuracy"), ("kappa", "kappa")):
            lines.append(f"{role + ' ' + label:34}{a.get(key, 0):>18.3f}  {b.get(key, 0):>18.3f}")
        n = a.get("corrections", 0)
        lines.append(f"{role + ' corrections it makes':34}"
                     f"{str(a.get('corrections_matched', 0)) + '/' + str(n):>18}  "
                     f"{str(b.get('corrections_matched', 0)) + '/' + str(n):>18}")
    for role, cv in fig.get("cross_validation", {}).items():
        lines.append(f"candidate {role} cross-validated macro F1 {cv.get('macro_f1')}, "
                     f"kappa {cv.get('kappa')}")
    lines.append(version.decision)
    return "\n".join(lines)


def adopt(db: DbSession, settings: Any, path: Path, *, by: str) -> ModelVersion:
    """Copy an artifact trained elsewhere into the model folder, list it and make it active,
    without comparison: a starting point (e.g. a model trained on a smaller corpus)."""
    meta = artifact.read_metadata(path)
    artifact.load(path)  # checks it before anything changes
    folder = settings.models_dir
    target = folder / str(meta["version"])
    target.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_suffix(".json")):
        shutil.copy2(p, target / f"{artifact.MODEL_NAME}{p.suffix}")
    row = ModelVersion(version=str(meta["version"]), name=str(meta.get("name", artifact.MODEL_NAME)),
                       path=str((target / f"{artifact.MODEL_NAME}.npz").relative_to(folder)),
                       built_by=by, decision="Adopted as the starting model (no comparison).",
                       training_json=json.dumps({"sessions": [], "utterances":
                                                 meta.get("training_data", {}).get("utterances", 0)}))
    _deactivate(db)
    row.active, row.promoted_at, row.promoted_by = True, utcnow(), by
    db.add(row)
    _commit_active(db, folder, row.path)
    db.refresh(row)
    return row
