"""The scikit-learn model: one pipeline per role, from utterance-in-context to code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from classifiers.features import UtteranceInContext, hand_features_of, text_of

ROLES = ("practitioner", "client")


def build_pipeline(c: float = 2.0) -> Pipeline:
    """Word and character n-grams plus hand features, into a logistic regression."""
    words = make_pipeline(
        FunctionTransformer(text_of),
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)\b\w[\w']*\b|\?"),
    )
    chars = make_pipeline(
        FunctionTransformer(text_of),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, sublinear_tf=True,
                        max_features=30000),
    )
    hand = make_pipeline(FunctionTransformer(hand_features_of), DictVectorizer())
    return Pipeline([
        ("features", FeatureUnion([("words", words), ("chars", chars), ("hand", hand)])),
        ("classify", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
    ])


@dataclass
class Prediction:
    code: str
    confidence: float


@dataclass
class CodeModel:
    """The trained pipelines of both roles, with the artifact's name and version."""

    pipelines: dict[str, Pipeline]
    name: str = "mifi-model"
    version: str = "0"

    def predict(self, records: list[UtteranceInContext]) -> list[Prediction]:
        """Code each record with the pipeline of its role."""
        out: list[Prediction | None] = [None] * len(records)
        for role in ROLES:
            idx = [i for i, r in enumerate(records) if r.role == role]
            if not idx or role not in self.pipelines:
                continue
            pipe = self.pipelines[role]
            proba = pipe.predict_proba([records[i] for i in idx])
            labels = pipe.classes_
            best = np.argmax(proba, axis=1)
            for i, b, p in zip(idx, best, proba):
                out[i] = Prediction(str(labels[b]), float(p[b]))
        missing = [i for i, p in enumerate(out) if p is None]
        if missing:
            raise ValueError(f"no model for the role of {len(missing)} utterances")
        return out  # type: ignore[return-value]
