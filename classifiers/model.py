"""The model that codes utterances: one fitted pipeline per role, with calibration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from classifiers.features import UtteranceInContext

ROLES = ("practitioner", "client")


@dataclass
class Prediction:
    code: str
    confidence: float
    probabilities: dict[str, float]


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class CodeModel:
    """The trained pipelines of both roles, with the artifact's name and version.

    `temperatures` calibrate each role's confidences (softmax of decisions / temperature);
    `rule_confidence` holds each rule's measured precision on the training data.
    """

    pipelines: dict[str, Any]  # LinearPipeline, or a fitted scikit-learn Pipeline
    name: str = "mifi-model"
    version: str = "0"
    temperatures: dict[str, float] = field(default_factory=dict)
    rule_confidence: dict[str, float] = field(default_factory=dict)

    def probabilities(self, role: str, records: list[UtteranceInContext]) -> np.ndarray:
        """Calibrated class probabilities, columns in `pipelines[role].classes_` order."""
        pipe = self.pipelines[role]
        decisions = pipe.decision_function(records)
        if decisions.ndim == 1:  # two classes
            decisions = np.column_stack([-decisions, decisions])
        return softmax(decisions / self.temperatures.get(role, 1.0))

    def predict(self, records: list[UtteranceInContext],
                allowed: list[tuple[str, ...] | None] | None = None) -> list[Prediction]:
        """Code each record with the pipeline of its role, within its allowed codes if given."""
        out: list[Prediction | None] = [None] * len(records)
        for role in ROLES:
            idx = [i for i, r in enumerate(records) if r.role == role]
            if not idx or role not in self.pipelines:
                continue
            proba = self.probabilities(role, [records[i] for i in idx])
            labels = [str(c) for c in self.pipelines[role].classes_]
            for row, i in enumerate(idx):
                p = proba[row]
                codes = allowed[i] if allowed else None
                if codes:
                    mask = np.array([label in codes for label in labels])
                    if mask.any() and p[mask].sum() > 0:
                        p = np.where(mask, p, 0.0) / p[mask].sum()
                b = int(np.argmax(p))
                out[i] = Prediction(labels[b], float(p[b]),
                                    {c: q for c, q in zip(labels, p.tolist()) if q > 0})
        missing = [i for i, p in enumerate(out) if p is None]
        if missing:
            raise ValueError(f"no model for the role of {len(missing)} utterances")
        return out  # type: ignore[return-value]
