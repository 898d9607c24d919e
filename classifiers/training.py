"""Train the model, with cross-validation grouped by dialogue and calibrated confidence.

Sources: the team's corpus format (`fixtures/corpus/*.csv`, or corrections exported in the
same format) and AnnoMI's CSV (one label per turn). For each role, cross-validation fits a
pipeline per fold on noisy-augmented training dialogues, codes the held-out dialogues with
the whole coder (rules, then the model), fits a softmax temperature so that confidences
match accuracy, and reports F1, kappa and calibration. The final model is fitted on all data.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from classifiers import artifact
from classifiers.augment import augment
from classifiers.coder import REVIEW_BELOW, Coder
from classifiers.corpus import CORPUS_DIR, CodedUtterance, corpus_files, read_corpus
from classifiers.evaluation import agreement
from classifiers.features import Hearing, UtteranceInContext
from classifiers.model import ROLES, CodeModel, softmax
from classifiers.pipeline import build_pipeline
from classifiers.rules import first_match

FAMILIES = {"Q": "question", "SR": "reflection", "CR": "reflection", "GI": "input",
            "PERSUADE": "input", "PERSUADE_WITH_PERMISSION": "input"}
#: The columns of AnnoMI's labelled CSV that training and evaluation read.
ANNOMI_COLUMNS = frozenset({"transcript_id", "interlocutor", "utterance_text",
                            "main_therapist_behaviour", "client_talk_type"})
ANNOMI_INPUT = {"information": "GI", "advice": "PERSUADE", "options": "PERSUADE_WITH_PERMISSION",
                "negotiation": "PERSUADE_WITH_PERMISSION"}


@dataclass
class TrainingSet:
    """Utterances in context with their codes and the dialogue each belongs to."""

    records: list[UtteranceInContext]
    labels: list[str]
    groups: list[str]
    source: str
    sha256: str

    def role(self, role: str) -> tuple[list[UtteranceInContext], list[str], list[str]]:
        idx = [i for i, r in enumerate(self.records) if r.role == role]
        return ([self.records[i] for i in idx], [self.labels[i] for i in idx],
                [self.groups[i] for i in idx])


def concat(*sets: TrainingSet) -> TrainingSet:
    """One TrainingSet from several (their dialogues must not share ids)."""
    h = hashlib.sha256()
    for s in sets:
        h.update(s.sha256.encode())
    return TrainingSet([r for s in sets for r in s.records], [x for s in sets for x in s.labels],
                       [g for s in sets for g in s.groups], "+".join(s.source for s in sets),
                       h.hexdigest())


def in_context(utterances: Sequence[CodedUtterance]) -> list[UtteranceInContext]:
    """Each utterance with its turn position and the other speaker's previous turn."""
    out: list[UtteranceInContext] = []
    turns: list[list[CodedUtterance]] = []
    for u in utterances:
        if turns and turns[-1][0].dialogue_id == u.dialogue_id and turns[-1][0].turn == u.turn:
            turns[-1].append(u)
        else:
            turns.append([u])
    heard: dict[str, Hearing] = {}
    for turn in turns:
        first = turn[0]
        other = "client" if first.role == "practitioner" else "practitioner"
        hearing = heard.setdefault(first.dialogue_id, Hearing())
        previous = hearing.last_turn(other)
        for i, u in enumerate(turn):
            out.append(UtteranceInContext(u.text, u.role, previous, i, len(turn),
                                          turn[i - 1].text if i else "",
                                          turn[i + 1].text if i + 1 < len(turn) else "",
                                          hearing.words_of(other)))
        hearing.add(first.role, " ".join(u.text for u in turn))
    return out


def corpus_set(folder: Path = CORPUS_DIR) -> TrainingSet:
    """The team's coded dialogues (or exported corrections) in the corpus format."""
    utterances = read_corpus(folder)
    if not utterances:
        raise ValueError(f"no coded dialogues found in {folder}")
    h = hashlib.sha256()
    for p in corpus_files(folder):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return TrainingSet(in_context(utterances), [u.code for u in utterances],
                       [u.dialogue_id for u in utterances], f"corpus:{folder.name}", h.hexdigest())


def annomi_set(path: Path) -> TrainingSet:
    """AnnoMI's CSV: each turn is one unit, labelled by its main behaviour or talk type."""
    data = path.read_bytes()
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    if not rows or not ANNOMI_COLUMNS <= set(rows[0]):
        raise ValueError(f"{path.name}: not AnnoMI's CSV (needs columns "
                         f"{', '.join(sorted(ANNOMI_COLUMNS))})")
    records, labels, groups = [], [], []
    heard: dict[str, Hearing] = {}
    for r in rows:
        role = "practitioner" if r["interlocutor"] == "therapist" else "client"
        other = "client" if role == "practitioner" else "practitioner"
        tid, text = r["transcript_id"], r["utterance_text"]
        hearing = heard.setdefault(tid, Hearing())
        records.append(UtteranceInContext(text, role, hearing.last_turn(other), 0, 1,
                                          heard=hearing.words_of(other)))
        labels.append(_annomi_label(r, role))
        groups.append(tid)
        hearing.add(role, text)
    return TrainingSet(records, labels, groups, f"annomi:{path.name}", hashlib.sha256(data).hexdigest())


def _annomi_label(r: dict[str, str], role: str) -> str:
    if role == "client":
        return {"change": "CHANGE", "sustain": "SUSTAIN"}.get(r["client_talk_type"], "NEUTRAL")
    main = r["main_therapist_behaviour"]
    if main == "question":
        return "Q"
    if main == "reflection":
        return "CR" if r.get("reflection_subtype") == "complex" else "SR"
    if main == "therapist_input":
        return ANNOMI_INPUT.get(r.get("therapist_input_subtype", ""), "GI")
    return "NC"


def fit_temperature(decisions: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises the log loss of out-of-fold decisions."""
    def nll(t: float) -> float:
        p = softmax(decisions / t)
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())
    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 61))
    return float(grid[int(np.argmin([nll(t) for t in grid]))])


def cross_validate(records: list[UtteranceInContext], labels: list[str], groups: list[str],
                   folds: int = 5, seed: int = 0,
                   always: tuple[list[UtteranceInContext], list[str]] = ([], [])) -> dict[str, Any]:
    """Out-of-fold codes from the whole coder (rules, then a calibrated model).

    `always` (a base corpus) joins every training fold and is never held out.
    """
    y = np.array(labels)
    classes = sorted(set(labels) | set(always[1]))
    splits = list(StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
                  .split(records, y, groups))
    pipes, decisions = [], np.zeros((len(records), len(classes)))
    for train_idx, test_idx in splits:
        pipe = build_pipeline().fit(*augment([records[i] for i in train_idx] + always[0],
                                             list(y[train_idx]) + always[1]))
        cols = [classes.index(c) for c in pipe.classes_]
        decisions[np.ix_(test_idx, cols)] = pipe.decision_function([records[i] for i in test_idx])
        missing = [k for k in range(len(classes)) if k not in cols]
        decisions[np.ix_(test_idx, missing)] = -1e3
        pipes.append(pipe)
    temperature = fit_temperature(decisions, np.array([classes.index(c) for c in labels]))
    role = records[0].role
    predicted, confidence = [""] * len(records), [0.0] * len(records)
    for pipe, (_, test_idx) in zip(pipes, splits):
        coder = Coder(CodeModel({role: pipe}, temperatures={role: temperature}))
        for i, u in zip(test_idx, coder.classify([records[i] for i in test_idx])):
            predicted[i], confidence[i] = u.code, u.confidence
    result = agreement(labels, predicted, confidence)
    flagged = [c < REVIEW_BELOW for c in confidence]
    right = [g == p for g, p in zip(labels, predicted)]
    report = {
        "folds": folds, "utterances": len(records), "macro_f1": result.macro_f1,
        "accuracy": result.accuracy, "kappa": result.kappa, "ece": result.calibration["ece"],
        "temperature": round(temperature, 3),
        "f1_per_code": {c: s.f1 for c, s in result.per_code.items()},
        "needs_review": {"below": REVIEW_BELOW, "share": round(sum(flagged) / len(flagged), 3),
                         "accuracy_flagged": _share(right, flagged, True),
                         "accuracy_not_flagged": _share(right, flagged, False)},
    }
    if role == "practitioner":
        fam = agreement([FAMILIES.get(c, "other") for c in labels],
                        [FAMILIES.get(c, "other") for c in predicted])
        report["main_behaviour_macro_f1"] = fam.macro_f1
    return report


def _share(right: list[bool], flagged: list[bool], value: bool) -> float | None:
    picked = [r for r, f in zip(right, flagged) if f == value]
    return round(sum(picked) / len(picked), 3) if picked else None


def rule_precision(data: TrainingSet) -> dict[str, dict[str, float]]:
    """How often each deciding rule's code matches the human code in the training data."""
    hits: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for r, label in zip(data.records, data.labels):
        rule = first_match(r.text, r.role)
        if rule and rule.decides:
            hits[rule.id] += 1
            right[rule.id] += rule.code == label
    return {rid: {"n": n, "precision": round((right[rid] + 1) / (n + 2), 3)} for rid, n in hits.items()}


def train(data: TrainingSet, out: Path | None = None, folds: int = 5,
          progress: Callable[[str], None] = print, base: TrainingSet | None = None) -> dict[str, Any]:
    """Cross-validate, fit on everything, and save the artifact; returns its metadata.

    With a `base` set (such as the team's corpus under data from elsewhere), the base joins
    every training fold and the final fit, and cross-validation measures on `data` only.
    """
    shared = sorted(set(base.groups) & set(data.groups)) if base else []
    if shared:
        raise ValueError(f"the base corpus and the training data share {len(shared)} dialogues "
                         f"({', '.join(shared[:3])}): cross-validation would test on what it trained on")
    pipelines, cv, counts, temperatures = {}, {}, {}, {}
    for role in ROLES:
        recs, labels, groups = data.role(role)
        base_recs, base_labels, _ = base.role(role) if base else ([], [], [])
        if not recs and not base_recs:
            continue
        counts[role] = dict(sorted(Counter(labels + base_labels).items()))
        if folds > 1 and recs:
            progress(f"cross-validating the {role} model ({folds} folds, {len(recs)} utterances"
                     + (f", plus {len(base_recs)} in every fold)" if base else ")"))
            cv[role] = cross_validate(recs, labels, groups, folds, always=(base_recs, base_labels))
            temperatures[role] = cv[role]["temperature"]
            progress(f"  macro F1 {cv[role]['macro_f1']}, kappa {cv[role]['kappa']}, "
                     f"ECE {cv[role]['ece']}")
        progress(f"fitting the {role} model")
        pipelines[role] = build_pipeline().fit(*augment(recs + base_recs, labels + base_labels))
    version = datetime.now(timezone.utc).strftime("%Y%m%d.%H%M%S")
    everything = concat(data, base) if base else data
    model = CodeModel(pipelines, artifact.MODEL_NAME, version, temperatures,
                      {k: v["precision"] for k, v in rule_precision(everything).items() if v["n"] >= 5})
    about = {"source": data.source, "dialogues": len(set(data.groups)),
             "utterances": len(data.records), "sha256": data.sha256, "counts": counts}
    if base:
        about["base"] = {"source": base.source, "dialogues": len(set(base.groups)),
                         "utterances": len(base.records), "sha256": base.sha256}
    meta = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data": about,
        "cross_validation": cv,
        "temperatures": temperatures,
        "rule_precision": model.rule_confidence,
        "labels": {role: list(p.classes_) for role, p in pipelines.items()},
    }
    return artifact.save(model, out or artifact.shipped_model_path(), meta)
