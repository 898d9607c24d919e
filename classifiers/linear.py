"""A fitted pipeline as plain arrays: the same decisions as scikit-learn, without it.

Coding needs only the vocabularies, idf weights and coefficients of the fitted model, so the
artifact stores those as arrays (`.npz`, no pickle: loading a file cannot run code) and
`mifi code` does not import scikit-learn at all. `from_sklearn` converts a fitted
`classifiers.model.build_pipeline()`; the tests check both give the same decisions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from classifiers.features import UtteranceInContext, hand_features

_WHITE_SPACES = re.compile(r"\s\s+")


@dataclass
class TfidfPart:
    """One TF-IDF vectoriser of the feature union: sublinear tf, idf, l2 norm, weight."""

    name: str
    analyzer: str  # "word" or "char_wb"
    ngram: tuple[int, int]
    token_pattern: str
    vocabulary: dict[str, int]
    idf: np.ndarray
    weight: float
    source: str  # "text" or "previous"

    def __post_init__(self) -> None:
        self._tokens = re.compile(self.token_pattern).findall
        self._word_columns: dict[str, list[int]] = {}

    def terms(self, text: str) -> list[str]:
        text = text.lower()
        lo, hi = self.ngram
        if self.analyzer == "char_wb":
            grams = []
            for w in _WHITE_SPACES.sub(" ", text).split():
                grams.extend(self._char_grams(w))
            return grams
        tokens = self._tokens(text)
        grams = list(tokens) if lo == 1 else []
        for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
            grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def _char_grams(self, word: str) -> list[str]:
        """The character n-grams of one word padded with spaces (scikit-learn's char_wb)."""
        lo, hi = self.ngram
        w = " " + word + " "
        grams = []
        for n in range(lo, hi + 1):
            offset = 0
            grams.append(w[offset:offset + n])
            while offset + n < len(w):
                offset += 1
                grams.append(w[offset:offset + n])
            if offset == 0:
                break
        return grams

    def _columns(self, text: str) -> list[int]:
        """Vocabulary columns of the text's terms; char n-grams are looked up once per word."""
        vocabulary = self.vocabulary
        if self.analyzer != "char_wb":
            return [i for t in self.terms(text) if (i := vocabulary.get(t)) is not None]
        columns: list[int] = []
        cache = self._word_columns
        for w in _WHITE_SPACES.sub(" ", text.lower()).split():
            found = cache.get(w)
            if found is None:
                found = [i for t in self._char_grams(w) if (i := vocabulary.get(t)) is not None]
                if len(cache) < 200_000:
                    cache[w] = found
            columns.extend(found)
        return columns

    def matrix(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of the l2-normalised, weighted TF-IDF of each text."""
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        seen: dict[str, Counter[int]] = {}  # the utterances of a turn share its previous turn
        for row, text in enumerate(texts):
            found = seen.get(text)
            if found is None:
                found = seen[text] = Counter(self._columns(text))
            rows.extend([row] * len(found))
            cols.extend(found.keys())
            counts.extend(found.values())
        r, c = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        v = (1.0 + np.log(np.asarray(counts, dtype=float))) * self.idf[c]
        norms = np.sqrt(np.bincount(r, weights=v * v, minlength=len(texts)))
        return r, c, v / norms[r] * self.weight


@dataclass
class LinearPipeline:
    """The feature union and logistic regression of one role, as arrays."""

    parts: list[TfidfPart]
    offsets: list[int]  # column where each TF-IDF part starts
    hand_vocabulary: dict[str, int]
    hand_offset: int
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray
    classes_: np.ndarray

    def decision_function(self, records: list[UtteranceInContext],
                          hand: Callable[[UtteranceInContext], dict[str, float]] = hand_features) -> np.ndarray:
        n = len(records)
        rows, cols, vals = [], [], []
        for part, offset in zip(self.parts, self.offsets):
            r, c, v = part.matrix([x.text if part.source == "text" else x.previous_turn for x in records])
            rows.append(r)
            cols.append(c + offset)
            vals.append(v)
        hr: list[int] = []
        hc: list[int] = []
        hv: list[float] = []
        for row, x in enumerate(records):
            for name, v in hand(x).items():
                i = self.hand_vocabulary.get(name)
                if i is not None:
                    hr.append(row)
                    hc.append(self.hand_offset + i)
                    hv.append(v)
        rows.append(np.asarray(hr, dtype=np.intp))
        cols.append(np.asarray(hc, dtype=np.intp))
        vals.append(np.asarray(hv, dtype=float))
        r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        order = np.argsort(r, kind="stable")
        r, c, v = r[order], c[order], v[order]
        out = np.tile(self.intercept, (n, 1))
        if len(r):
            contributions = (self.coef[:, c] * v).T  # (entries, classes)
            starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
            out[r[starts]] += np.add.reduceat(contributions, starts, axis=0)
        return out if self.coef.shape[0] > 1 else out[:, 0]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Everything needed to rebuild this pipeline, as named arrays."""
        a = {f"{prefix}.coef": self.coef, f"{prefix}.intercept": self.intercept,
             f"{prefix}.classes": self.classes_.astype(str),
             f"{prefix}.hand": _keys(self.hand_vocabulary),
             f"{prefix}.offsets": np.array(self.offsets + [self.hand_offset])}
        for k, p in enumerate(self.parts):
            a[f"{prefix}.part{k}.vocabulary"] = _keys(p.vocabulary)
            a[f"{prefix}.part{k}.idf"] = p.idf
            a[f"{prefix}.part{k}.spec"] = np.array([p.name, p.analyzer, str(p.ngram[0]),
                                                    str(p.ngram[1]), p.token_pattern, repr(p.weight),
                                                    p.source])
        return a

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> LinearPipeline:
        parts = []
        k = 0
        while f"{prefix}.part{k}.spec" in arrays:
            name, analyzer, lo, hi, pattern, weight, source = arrays[f"{prefix}.part{k}.spec"].tolist()
            parts.append(TfidfPart(name, analyzer, (int(lo), int(hi)), pattern,
                                   _vocabulary(arrays[f"{prefix}.part{k}.vocabulary"]),
                                   arrays[f"{prefix}.part{k}.idf"], float(weight), source))
            k += 1
        offsets = [int(x) for x in arrays[f"{prefix}.offsets"]]
        return cls(parts, offsets[:-1], _vocabulary(arrays[f"{prefix}.hand"]), offsets[-1],
                   arrays[f"{prefix}.coef"], arrays[f"{prefix}.intercept"], arrays[f"{prefix}.classes"])

    @classmethod
    def from_sklearn(cls, pipe: object) -> LinearPipeline:
        """Convert a fitted `classifiers.model.build_pipeline()`."""
        union = pipe.named_steps["features"]
        clf = pipe.named_steps["classify"]
        weights = union.transformer_weights or {}
        parts, offsets, offset = [], [], 0
        hand_vocabulary, hand_offset = {}, 0
        for name, step in union.transformer_list:
            source = {"text_of": "text", "previous_of": "previous"}.get(step.steps[0][1].func.__name__)
            last = step.steps[-1][1]
            if hasattr(last, "idf_"):
                parts.append(TfidfPart(name, last.analyzer, tuple(last.ngram_range),
                                       last.token_pattern, dict(last.vocabulary_), last.idf_,
                                       float(weights.get(name, 1.0)), source))
                offsets.append(offset)
                offset += len(last.vocabulary_)
            else:
                hand_vocabulary, hand_offset = dict(last.vocabulary_), offset
                offset += len(last.vocabulary_)
        return cls(parts, offsets, hand_vocabulary, hand_offset, clf.coef_, clf.intercept_, clf.classes_)


def _keys(vocabulary: dict[str, int]) -> np.ndarray:
    keys = [""] * len(vocabulary)
    for k, i in vocabulary.items():
        keys[i] = k
    return np.array(keys, dtype=str)


def _vocabulary(keys: np.ndarray) -> dict[str, int]:
    return {k: i for i, k in enumerate(keys.tolist())}
