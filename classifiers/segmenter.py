"""Split speaker turns into utterances with spaCy, keeping character offsets.

The pipeline is `spacy.blank("en")` with the built-in sentencizer and the project's own
registered component `mifi_utterances_v1`, which turns sentences into utterances and stores
them as `(start_char, end_char)` pairs in `Doc._.utterances`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

if not Doc.has_extension("utterances"):
    Doc.set_extension("utterances", default=None)

# A sentence made only of these words is a back-channel or filler fragment; it stays its
# own utterance (it is coded NC / NEUTRAL), but a lone filler word before a real sentence
# ("Um." "So,") is joined to what follows.
_FILLER = re.compile(r"^\W*(?:um+|uh+|er+|erm+|ah+|so|and|but|well|like)\W*$", re.I)
_HAS_WORD = re.compile(r"\w")


@Language.component("mifi_utterances_v1")
def utterance_boundaries(doc: Doc) -> Doc:
    """Utterances are sentences; filler fragments join the next sentence; no empty ones."""
    spans: list[tuple[int, int]] = []
    carry: int | None = None
    lead: int | None = None
    for sent in doc.sents:
        s_start, s_end = (sent.start_char if lead is None else lead), sent.end_char
        lead = None
        # An opening bracket the sentencizer left at the end belongs to the next sentence
        # ("Hard. [PERSON 2] helps." after redaction).
        stripped = _strip_end(doc.text, s_end)
        if stripped > s_start and doc.text[stripped - 1] == "[" and sent.end < len(doc):
            lead = s_end = stripped - 1
        text = doc.text[s_start:s_end]
        if not _HAS_WORD.search(text):  # stray punctuation: attach to the previous utterance
            if spans:
                spans[-1] = (spans[-1][0], max(spans[-1][1], s_end))
            continue
        start = s_start if carry is None else carry
        if _FILLER.match(text) and sent.end < len(doc):
            carry = start
            continue
        carry = None
        spans.append((start, _strip_end(doc.text, s_end)))
    if carry is not None:
        spans.append((carry, _strip_end(doc.text, len(doc.text))))
    doc._.utterances = spans
    return doc


def _strip_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


@lru_cache(maxsize=1)
def segmenter() -> Language:
    """The shared spaCy pipeline (built once per process)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("mifi_utterances_v1")
    return nlp


def split_utterances(texts: Iterable[str]) -> list[list[tuple[int, int]]]:
    """For each text, its utterances as (start, end) character offsets."""
    nlp = segmenter()
    return [list(doc._.utterances) for doc in nlp.pipe(texts, batch_size=256)]
