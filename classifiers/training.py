"""Train the model from the coded corpus, with cross-validation grouped by dialogue."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from classifiers import artifact
from classifiers.corpus import CORPUS_DIR, CodedUtterance, corpus_files, read_corpus
from classifiers.features import UtteranceInContext
from classifiers.model import ROLES, CodeModel, build_pipeline


def in_context(utterances: Sequence[CodedUtterance]) -> list[UtteranceInContext]:
    """Each utterance with its turn position and the other speaker's previous turn."""
    out: list[UtteranceInContext] = []
    turns: list[list[CodedUtterance]] = []
    for u in utterances:
        if turns and turns[-1][0].dialogue_id == u.dialogue_id and turns[-1][0].turn == u.turn:
            turns[-1].append(u)
        else:
            turns.append([u])
    last_text: dict[tuple[str, str], str] = {}
    for turn in turns:
        first = turn[0]
        other = "client" if first.role == "practitioner" else "practitioner"
        previous = last_text.get((first.dialogue_id, other), "")
        for i, u in enumerate(turn):
            out.append(UtteranceInContext(u.text, u.role, previous, i, len(turn)))
        last_text[(first.dialogue_id, first.role)] = " ".join(u.text for u in turn)
        last_text.pop((first.dialogue_id, other), None)
    return out


def data_hash(folder: Path = CORPUS_DIR) -> str:
    h = hashlib.sha256()
    for p in corpus_files(folder):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def cross_validate(records: list[UtteranceInContext], labels: list[str], groups: list[str],
                   folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Macro F1 and accuracy over folds that never split a dialogue."""
    import numpy as np

    y = np.array(labels)
    pred = np.empty_like(y)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(records, y, groups):
        pipe = build_pipeline()
        pipe.fit([records[i] for i in train_idx], y[train_idx])
        pred[test_idx] = pipe.predict([records[i] for i in test_idx])
    per_code = f1_score(y, pred, average=None, labels=sorted(set(labels)))
    return {"folds": folds, "macro_f1": round(float(f1_score(y, pred, average="macro")), 3),
            "accuracy": round(float((y == pred).mean()), 3),
            "f1_per_code": {c: round(float(f), 3) for c, f in zip(sorted(set(labels)), per_code)}}


def train(corpus: Path = CORPUS_DIR, out: Path | None = None, folds: int = 5,
          progress: Any = print) -> dict[str, Any]:
    """Cross-validate, fit on everything, and save the artifact; returns its metadata."""
    utterances = read_corpus(corpus)
    if not utterances:
        raise ValueError(f"no coded dialogues found in {corpus}")
    records = in_context(utterances)
    pipelines, cv, counts = {}, {}, {}
    for role in ROLES:
        idx = [i for i, u in enumerate(utterances) if u.role == role]
        recs = [records[i] for i in idx]
        labels = [utterances[i].code for i in idx]
        groups = [utterances[i].dialogue_id for i in idx]
        counts[role] = dict(sorted(Counter(labels).items()))
        if folds > 1:
            progress(f"cross-validating the {role} model ({folds} folds, {len(recs)} utterances)")
            cv[role] = cross_validate(recs, labels, groups, folds)
            progress(f"  macro F1 {cv[role]['macro_f1']}, accuracy {cv[role]['accuracy']}")
        progress(f"fitting the {role} model")
        pipelines[role] = build_pipeline().fit(recs, labels)
    version = datetime.now(timezone.utc).strftime("%Y%m%d.%H%M%S")
    model = CodeModel(pipelines, artifact.MODEL_NAME, version)
    meta = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data": {"dialogues": len({u.dialogue_id for u in utterances}),
                          "utterances": len(utterances), "sha256": data_hash(corpus),
                          "counts": counts},
        "cross_validation": cv,
        "labels": {role: list(p.classes_) for role, p in pipelines.items()},
    }
    return artifact.save(model, out or artifact.default_model_path(), meta)
