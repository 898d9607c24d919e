"""Spoken-transcript noise for training copies: fillers, false starts, cut-offs.

The team's dialogues are cleaner than real recordings. Training also on noisy copies
(same code, same context) teaches the model that "Um, so you, you want him home-" is
the same reflection as "You want him home."
"""

from __future__ import annotations

import random
import re

from classifiers.features import UtteranceInContext

_OPENERS = ["Um, ", "Uh, ", "So, ", "Okay, so ", "Yeah, ", "And ", "Right, ", "Mm-hmm. ", "Well, ",
            "So, um, ", "I mean, ", "Okay. "]
_WORD = re.compile(r"\b([A-Za-z']{2,})\b")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "I " and text[:2] != "I'" else text


def _opener(text: str, rng: random.Random) -> str:
    return rng.choice(_OPENERS) + _lower_first(text)


def _stutter(text: str, rng: random.Random) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = rng.choice(words[: max(1, len(words) // 2)])
    w = m.group(1)
    return text[: m.start()] + f"{w}-{w}" + text[m.end():] if rng.random() < 0.5 else \
        text[: m.start()] + f"{w}, {w.lower()}" + text[m.end():]


def _cut_off(text: str, rng: random.Random) -> str:
    words = text.rstrip(".?!").split()
    if len(words) < 5:
        return text.rstrip(".?!") + "-"
    keep = rng.randint(max(3, len(words) // 2), len(words))
    return " ".join(words[:keep]) + "-"


def _continued(text: str, rng: random.Random) -> str:
    return "-" + _lower_first(text)


def _no_final_punctuation(text: str, rng: random.Random) -> str:
    return text.rstrip(".?!")


_NOISE = [_opener, _opener, _stutter, _cut_off, _continued, _no_final_punctuation]


def noisy(u: UtteranceInContext, rng: random.Random) -> UtteranceInContext:
    """A copy of the utterance with one or two kinds of spoken noise."""
    text = u.text
    for fn in rng.sample(_NOISE, k=rng.choice((1, 1, 2))):
        text = fn(text, rng)
    return UtteranceInContext(text, u.role, u.previous_turn, u.index, u.count, u.before, u.after,
                               u.heard)


def augment(records: list[UtteranceInContext], labels: list[str], share: float = 0.5,
            seed: int = 0) -> tuple[list[UtteranceInContext], list[str]]:
    """The records plus noisy copies of about `share` of them (same labels)."""
    rng = random.Random(seed)
    extra = [(noisy(r, rng), y) for r, y in zip(records, labels) if rng.random() < share]
    return records + [r for r, _ in extra], labels + [y for _, y in extra]
