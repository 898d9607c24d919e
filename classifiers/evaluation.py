"""Agreement between two codings of the same utterances: per-code precision, recall and F1,
Cohen's kappa, the confusion matrix, and (with confidences) calibration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from classifiers.corpus import CodedUtterance, read_corpus, read_dialogue


@dataclass
class CodeScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Agreement:
    """How far `predicted` agrees with `reference` (taken as the truth)."""

    n: int
    accuracy: float
    kappa: float
    macro_f1: float
    per_code: dict[str, CodeScores]
    labels: list[str]
    confusion: list[list[int]]  # rows: reference, columns: predicted, in `labels` order
    calibration: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two codings of the same items."""
    n = len(a)
    if n == 0:
        return 0.0
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def calibration(correct: Sequence[bool], confidence: Sequence[float], bins: int = 10) -> dict[str, Any]:
    """Expected calibration error over equal-width confidence bins, with the bins."""
    table = []
    ece = 0.0
    n = len(correct)
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        idx = [k for k, c in enumerate(confidence) if lo < c <= hi or (i == 0 and c == 0)]
        if not idx:
            continue
        acc = sum(correct[k] for k in idx) / len(idx)
        conf = sum(confidence[k] for k in idx) / len(idx)
        ece += len(idx) / n * abs(acc - conf)
        table.append({"from": round(lo, 2), "to": round(hi, 2), "n": len(idx),
                      "accuracy": round(acc, 3), "confidence": round(conf, 3)})
    return {"ece": round(ece, 4), "bins": table}


def agreement(reference: Sequence[str], predicted: Sequence[str],
              confidence: Sequence[float] | None = None) -> Agreement:
    """Compare two codings item by item."""
    if len(reference) != len(predicted):
        raise ValueError("the two codings have different numbers of items")
    labels = sorted(set(reference) | set(predicted))
    per_code = {}
    for code in labels:
        tp = sum(r == code and p == code for r, p in zip(reference, predicted))
        fp = sum(r != code and p == code for r, p in zip(reference, predicted))
        fn = sum(r == code and p != code for r, p in zip(reference, predicted))
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        per_code[code] = CodeScores(round(pr, 3), round(rc, 3), round(f1, 3), tp + fn)
    index = {c: i for i, c in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for r, p in zip(reference, predicted):
        confusion[index[r]][index[p]] += 1
    supported = [s.f1 for s in per_code.values() if s.support]
    n = len(reference)
    result = Agreement(n, round(sum(r == p for r, p in zip(reference, predicted)) / max(n, 1), 3),
                       round(cohen_kappa(reference, predicted), 3),
                       round(sum(supported) / max(len(supported), 1), 3), per_code, labels, confusion)
    if confidence is not None:
        result.calibration = calibration([r == p for r, p in zip(reference, predicted)], confidence)
    return result


def read_labelled(path: Path) -> list[CodedUtterance]:
    """Coded utterances from a corpus-format file or a folder of them."""
    return read_corpus(path) if path.is_dir() else read_dialogue(path)


def against(path: Path, reference: Path) -> dict[str, Agreement]:
    """Agreement per role between two codings of the same dialogues (e.g. a second pass)."""
    mine = read_labelled(path)
    ref = {(u.dialogue_id, u.turn, u.text): u for u in read_labelled(reference)}
    pairs = [(ref[(u.dialogue_id, u.turn, u.text)], u) for u in mine
             if (u.dialogue_id, u.turn, u.text) in ref]
    if not pairs:
        raise ValueError(f"no utterance of {path} is in {reference}")
    return {role: agreement([r.code for r, _ in pairs if r.role == role],
                            [m.code for r, m in pairs if r.role == role])
            for role in ("practitioner", "client")}


def model_against(path: Path, coder: Any) -> dict[str, Agreement]:
    """Agreement per role between a labelled file and the coder's codes for its utterances."""
    from classifiers.training import in_context

    gold = read_labelled(path)
    coded = coder.classify(in_context(gold))
    out = {}
    for role in ("practitioner", "client"):
        idx = [i for i, u in enumerate(gold) if u.role == role]
        out[role] = agreement([gold[i].code for i in idx], [coded[i].code for i in idx],
                              [coded[i].confidence for i in idx])
    return out
