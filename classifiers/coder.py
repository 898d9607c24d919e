"""Code conversations: segment turns into utterances, then rules, then the model.

Works on plain (role, text, coded) turns so it can serve the CLI and the web app alike.
All conversations of one call are segmented and classified in batches, for speed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers import artifact
from classifiers.features import Hearing, UtteranceInContext, content_words
from classifiers.model import CodeModel
from classifiers.rules import Rule, first_match
from classifiers.segmenter import split_utterances

log = logging.getLogger(__name__)

CODE_NAMES = {
    "GI": "Giving Information", "PERSUADE": "Persuade",
    "PERSUADE_WITH_PERMISSION": "Persuade with Permission", "Q": "Question",
    "SR": "Simple Reflection", "CR": "Complex Reflection", "AF": "Affirm",
    "SEEK": "Seeking Collaboration", "EMPHASIZE": "Emphasizing Autonomy",
    "CONFRONT": "Confront", "NC": "No code", "CHANGE": "Change talk",
    "SUSTAIN": "Sustain talk", "NEUTRAL": "Neutral",
}
_OPEN = re.compile(r"^\W*(?:(?:so|and|okay|ok|well|um|uh|yeah|right|now|but|then)\b[\s,]*)*"
                   r"(?:what(?!\s+(?:time|age|day|date|year|number|dose|grade)\b)|how"
                   r"(?!\s+(?:many|much|long|often|old|far|soon)\b)|why|in what way|tell me|"
                   r"describe|talk about|say more|(?:walk|talk) me through|help me understand|"
                   r"where (?:does (?:that|it) leave|would you|do you (?:think|see|want)|could you|"
                   r"(?:have|'ve) you got to|did you get to|you'd got to)|"
                   r"i(?:'m)? (?:wonder|curious))", re.I)
_SCALE = re.compile(r"\b(?:out of (?:ten|10)|on a scale|scale of)\b", re.I)
_TALK_KINDS = [
    ("taking_steps", re.compile(r"\b(?:i've (?:started|stopped|cut|been|tried|booked|rung|called|gone|"
                                r"made|done|managed)|i (?:started|stopped|cut down|tried|booked|rang|"
                                r"called|went|managed)|haven't (?:had|used|drunk|smoked|touched))\b", re.I)),
    ("commitment", re.compile(r"\b(?:i will|i'll|i'm going to|i am going to|gonna|i promise|i plan)\b", re.I)),
    ("activation", re.compile(r"\b(?:ready|willing|prepared) to\b", re.I)),
    ("need", re.compile(r"\b(?:need|have to|got to|gotta|must)\b", re.I)),
    ("ability", re.compile(r"\b(?:can|could|able|manage|can't|couldn't)\b", re.I)),
    ("desire", re.compile(r"\b(?:want|wish|hope|would like|i'd like|rather)\b", re.I)),
    ("reason", re.compile(r"\b(?:because|cause|so that|if i|then|for the kids|helps?)\b", re.I)),
]


REVIEW_BELOW = 0.6  # utterances coded with less confidence are flagged "needs review"


@dataclass
class Utterance:
    """One coded utterance of a turn, with where it sits in the turn's text."""

    text: str
    start: int
    end: int
    code: str
    subtype: str
    confidence: float
    source: str
    explanation: str

    @property
    def needs_review(self) -> bool:
        return self.confidence < REVIEW_BELOW


@dataclass(frozen=True)
class TurnInput:
    role: str  # "practitioner" or "client"
    text: str
    coded: bool = True


class Coder:
    """Rules first, then the trained model; without a model, rules and a simple fallback."""

    def __init__(self, model: CodeModel | None) -> None:
        self.model = model

    @classmethod
    def load(cls, model_path: Path | None = None) -> Coder:
        """The shipped (or given) model; on any artifact problem, rules only, with a warning."""
        try:
            return cls(artifact.load(model_path))
        except artifact.ArtifactError as e:
            log.warning("model not used: %s; coding with rules only", e)
            return cls(None)

    @property
    def model_name(self) -> str:
        return self.model.name if self.model else "rules-only"

    @property
    def model_version(self) -> str:
        return self.model.version if self.model else "0"

    def code(self, conversations: Sequence[Sequence[TurnInput]]) -> list[list[list[Utterance]]]:
        """For each conversation, for each turn, its coded utterances."""
        flat = [t for conv in conversations for t in conv]
        spans = split_utterances(t.text if t.coded else "" for t in flat)
        records: list[UtteranceInContext] = []
        where: list[tuple[int, int, int]] = []  # (flat turn index, start, end)
        k = 0
        for conv in conversations:
            heard = Hearing()
            for turn in conv:
                if turn.coded:
                    other = "client" if turn.role == "practitioner" else "practitioner"
                    previous = heard.last_turn(other)
                    for i, (a, b) in enumerate(spans[k]):
                        before = turn.text[slice(*spans[k][i - 1])] if i else ""
                        after = (turn.text[slice(*spans[k][i + 1])]
                                 if i + 1 < len(spans[k]) else "")
                        records.append(UtteranceInContext(turn.text[a:b], turn.role, previous,
                                                          i, len(spans[k]), before, after,
                                                          heard.words_of(other)))
                        where.append((k, a, b))
                    if spans[k]:
                        heard.add(turn.role, turn.text)
                k += 1
        coded = self.classify(records)
        per_turn: list[list[Utterance]] = [[] for _ in flat]
        for (ti, a, b), u in zip(where, coded):
            u.start, u.end = a, b
            per_turn[ti].append(u)
        out, k = [], 0
        for conv in conversations:
            turns = per_turn[k:k + len(conv)]
            _join_interrupted(conv, turns)
            out.append(turns)
            k += len(conv)
        return out

    def classify(self, records: list[UtteranceInContext]) -> list[Utterance]:
        """Code utterances already split and put in context (rules, then the model)."""
        results: list[Utterance | None] = []
        pending: list[int] = []
        narrowed: dict[int, Rule] = {}
        for i, r in enumerate(records):
            rule = first_match(r.text, r.role)
            if rule and rule.decides:
                confidence = self.model.rule_confidence.get(rule.id, rule.confidence) \
                    if self.model else rule.confidence
                results.append(Utterance(r.text, 0, 0, rule.code, rule.subtype or
                                         _subtype(rule.code, r.text), confidence,
                                         f"rule:{rule.id}", rule.explanation))
                continue
            results.append(None)
            pending.append(i)
            if rule:
                narrowed[i] = rule
        if pending and self.model is not None:
            preds = self.model.predict([records[i] for i in pending],
                                       [narrowed[i].codes if i in narrowed else None for i in pending])
            for i, p in zip(pending, preds):
                r, rule = records[i], narrowed.get(i)
                code, confidence = p.code, p.confidence
                if rule and rule.prefer and code != rule.prefer and confidence < rule.confidence:
                    code, confidence = rule.prefer, p.probabilities.get(rule.prefer, 0.0)
                results[i] = Utterance(r.text, 0, 0, code, _subtype(code, r.text),
                                       round(confidence, 3), f"model:{self.model.version}",
                                       _model_explanation(code, confidence, r, rule))
        for i in pending if self.model is None else ():
            results[i] = _fallback(records[i], narrowed.get(i))
        return results  # type: ignore[return-value]


_DASHES = ("-", "\u2013", "\u2014")


def _join_interrupted(conv: Sequence[TurnInput], turns: list[list[Utterance]]) -> None:
    """A sentence cut off by the other speaker ("and then he-" ... "-went out") is one
    utterance split in two. A practitioner's second part takes the code of the first (the
    volley counts it once); a client's is NEUTRAL, so its change or sustain talk is not
    counted twice. A rule's decision stands."""
    last: dict[str, Utterance] = {}
    for turn, utts in zip(conv, turns):
        if not utts:
            continue
        first, before = utts[0], last.get(turn.role)
        if (before is not None and before.code not in ("NC", "NEUTRAL")
                and first.text.startswith(_DASHES) and before.text.rstrip().endswith(_DASHES)
                and first.source.startswith("model:")):
            first.source = "rule:continuation"
            if turn.role == "client":
                first.code, first.subtype, first.confidence = "NEUTRAL", "", before.confidence
                first.explanation = ("Continues the client's interrupted sentence, whose talk is "
                                     "already coded on its first part, so it is not counted again.")
            else:
                first.code, first.subtype, first.confidence = before.code, before.subtype, before.confidence
                first.explanation = ("Continues the speaker's interrupted sentence, so it takes "
                                     "the code of the sentence's first part.")
        last[turn.role] = utts[-1]


def _subtype(code: str, text: str) -> str:
    if code == "Q":
        if _SCALE.search(text):
            return "closed"
        clauses = re.split(r"[,;:]", text)
        return "open" if any(_OPEN.search(c) for c in clauses) else "closed"
    if code in ("CHANGE", "SUSTAIN"):
        return next((kind for kind, rx in _TALK_KINDS if rx.search(text)), "")
    return ""


def _model_explanation(code: str, confidence: float, r: UtteranceInContext,
                       rule: Rule | None = None) -> str:
    cues = [f"{rule.explanation.rstrip('.')} ({'/'.join(rule.codes)})"] if rule else []
    text = r.text.strip()
    if text.endswith("?"):
        cues.append("ends with a question mark")
    shared = content_words(text) & content_words(r.previous_turn)
    if shared and code in ("SR", "CR"):
        cues.append("repeats the client's words (" + ", ".join(sorted(shared)[:3]) + ")")
    if code == "CR" and not shared:
        cues.append("adds meaning beyond the client's words")
    tail = f"; cues: {'; '.join(cues)}" if cues else ""
    return f"Model: most like {CODE_NAMES.get(code, code)} ({confidence:.0%} sure){tail}."


def _fallback(r: UtteranceInContext, rule: Rule | None = None) -> Utterance:
    if rule:
        return Utterance(r.text, 0, 0, rule.code, _subtype(rule.code, r.text), 0.5,
                         f"rule:{rule.id}", f"No model available: {rule.explanation}")
    if r.role == "client":
        return Utterance(r.text, 0, 0, "NEUTRAL", "", 0.5, "rule:fallback.client",
                         "No model available: client talk defaults to Neutral.")
    if r.text.strip().endswith("?"):
        return Utterance(r.text, 0, 0, "Q", _subtype("Q", r.text), 0.6, "rule:fallback.question",
                         "No model available: a sentence ending in a question mark is a Question.")
    return Utterance(r.text, 0, 0, "NC", "", 0.3, "rule:fallback.none",
                     "No model available and no rule matched: left uncoded.")
