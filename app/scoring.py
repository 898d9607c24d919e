"""MITI 4.2.1 counting and summary scores: volleys, counts, formulas, thresholds.

A volley is the practitioner's uninterrupted speech; a client back-channel ("yeah") does not
end it. Within one volley each behaviour counts at most once, and the volley's reflection is
complex if any reflection in it is complex.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app import formula
from app.scheme import Scheme, SummaryScore
from classifiers.coder import Utterance

BACKCHANNEL_SOURCES = {"rule:neutral.backchannel"}


@dataclass
class Volley:
    """The practitioner's uninterrupted speech: turn indexes and their utterances."""

    turns: list[int] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)

    def codes(self) -> set[str]:
        """The behaviour codes this volley counts, by the once-per-volley rule."""
        found = {u.code for u in self.utterances if u.code != "NC"}
        if "CR" in found:
            found.discard("SR")
        return found


@dataclass
class ScoreValue:
    """One summary score with its thresholds and where the value falls."""

    id: str
    name: str
    value: float | None
    display: str
    fair: float | None = None
    good: float | None = None
    lower_is_better: bool = False
    label: str = ""
    estimated: bool = False

    @property
    def band(self) -> str:
        """'good', 'fair', 'below fair', or '' when there is no threshold or no value."""
        if self.value is None or (self.fair is None and self.good is None):
            return ""
        better = (lambda a, b: a <= b) if self.lower_is_better else (lambda a, b: a >= b)
        if self.good is not None and better(self.value, self.good):
            return "good"
        if self.fair is not None and better(self.value, self.fair):
            return "fair"
        return "below fair"


@dataclass
class FidelityScores:
    """A session's counts, global ratings (estimated or human) and summary scores."""

    counts: dict[str, int]
    volleys: int
    client_talk: dict[str, int]
    globals: dict[str, float]
    globals_estimated: bool
    scores: list[ScoreValue]

    def value(self, score_id: str) -> float | None:
        return next((s.value for s in self.scores if s.id == score_id), None)


def is_backchannel(utterances: Sequence[Utterance]) -> bool:
    """A client turn that only says 'yeah', 'mm-hmm' and the like."""
    return all(u.source in BACKCHANNEL_SOURCES for u in utterances)


def volleys(turns: Sequence[tuple[str, Sequence[Utterance]]]) -> list[Volley]:
    """Group (role, utterances) turns into practitioner volleys."""
    out: list[Volley] = []
    open_volley: Volley | None = None
    for i, (role, utts) in enumerate(turns):
        if role == "practitioner":
            if not utts:
                continue
            if open_volley is None:
                open_volley = Volley()
                out.append(open_volley)
            open_volley.turns.append(i)
            open_volley.utterances.extend(utts)
        elif utts and not is_backchannel(utts):
            open_volley = None
    return out


def score_session(turns: Sequence[tuple[str, Sequence[Utterance]]], scheme: Scheme,
                  ratings: Mapping[str, float] | None = None) -> FidelityScores:
    """Count by volley and evaluate the scheme's formulas.

    `ratings` are human global ratings; when all are given they replace the estimates.
    """
    vs = volleys(turns)
    counts: Counter[str] = Counter()
    for v in vs:
        codes = v.codes()
        counts.update(codes)
        if "Q" in codes:
            open_q = any(u.code == "Q" and u.subtype == "open" for u in v.utterances)
            counts["Q_open" if open_q else "Q_closed"] += 1
    client = Counter(u.code for role, utts in turns if role == "client" for u in utts)
    values: dict[str, float | None] = {c.id: float(counts.get(c.id, 0)) for c in scheme.codes}
    values.update({"volleys": float(len(vs)), "Q_open": float(counts["Q_open"]),
                   "Q_closed": float(counts["Q_closed"]),
                   "change_reflected_share": _change_reflected_share(turns)})
    helpers = [s for s in scheme.summary_scores if s.helper]
    for s in helpers:
        values[s.id] = formula.evaluate(s.formula, values)
    estimated = not ratings or any(g.id not in ratings for g in scheme.globals)
    globals_: dict[str, float] = {}
    for g in scheme.globals:
        v = ratings[g.id] if not estimated else formula.evaluate(g.estimate, values)
        globals_[g.id] = round(float(v if v is not None else 3.0), 2)
    values.update(globals_)
    scores = []
    for s in scheme.summary_scores:
        if s.helper:
            continue
        v = formula.evaluate(s.formula, values)
        values[s.id] = v
        scores.append(_score_value(s, v, estimated and _uses_globals(s, scheme)))
    counts_out = {c.id: counts.get(c.id, 0) for c in scheme.codes if c.role == "practitioner"}
    counts_out.update({"Q_open": counts["Q_open"], "Q_closed": counts["Q_closed"]})
    return FidelityScores(counts_out, len(vs), dict(client), globals_, estimated, scores)


def _uses_globals(s: SummaryScore, scheme: Scheme) -> bool:
    return bool(formula.names(s.formula) & {g.id for g in scheme.globals})


def _score_value(s: SummaryScore, v: float | None, estimated: bool) -> ScoreValue:
    return ScoreValue(s.id, s.name, None if v is None else round(v, 2), s.display, s.fair, s.good,
                      s.lower_is_better, s.label, estimated)


def _change_reflected_share(turns: Sequence[tuple[str, Sequence[Utterance]]]) -> float:
    """Of client turns with change talk, the share the next practitioner turn reflects."""
    change_turns = reflected = 0
    for i, (role, utts) in enumerate(turns):
        if role != "client" or not any(u.code == "CHANGE" for u in utts):
            continue
        change_turns += 1
        nxt = next((u for r, u in turns[i + 1:] if r == "practitioner" and u), None)
        if nxt and any(u.code in ("SR", "CR") for u in nxt):
            reflected += 1
    return reflected / change_turns if change_turns else 0.0
