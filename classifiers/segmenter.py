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
from spacy.attrs import IDX, LENGTH, SENT_START
from spacy.language import Language
from spacy.pipeline.sentencizer import Sentencizer
from spacy.tokens import Doc

if not Doc.has_extension("utterances"):
    Doc.set_extension("utterances", default=None)

# A sentence made only of these words is a back-channel or filler fragment; it stays its
# own utterance (it is coded NC / NEUTRAL), but a lone filler word before a real sentence
# ("Um." "So,") is joined to what follows.
_FILLER = re.compile(r"^\W*(?:um+|uh+|er+|erm+|ah+|so|and|but|well|like)\W*$", re.I)
_HAS_WORD = re.compile(r"\w")
MAX_CHUNK = 100_000  # characters segmented at once; a longer turn is cut at a sentence end
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: spaCy cannot encode them


@Language.component("mifi_utterances_v1")
def utterance_boundaries(doc: Doc) -> Doc:
    """Utterances are sentences; filler fragments join the next sentence; no empty ones."""
    doc._.utterances = _utterance_spans(doc, doc.text)
    return doc


def _utterance_spans(doc: Doc, full: str) -> list[tuple[int, int]]:
    """The utterance spans of a sentencized doc whose text is `full`."""
    spans: list[tuple[int, int]] = []
    carry: int | None = None
    lead: int | None = None
    for sent_start_char, sent_end_char, last in _sentences(doc):
        s_start, s_end = (sent_start_char if lead is None else lead), sent_end_char
        lead = None
        # An opening bracket the sentencizer left at the end belongs to the next sentence
        # ("Hard. [PERSON 2] helps." after redaction).
        stripped = _strip_end(full, s_end)
        if stripped > s_start and full[stripped - 1] == "[" and not last:
            lead = s_end = stripped - 1
        text = full[s_start:s_end]
        if not _HAS_WORD.search(text):  # stray punctuation: attach to the previous utterance
            if spans and carry is None:  # (or to a filler carried forward, which keeps it)
                spans[-1] = (spans[-1][0], max(spans[-1][1], _strip_end(full, s_end)))
            continue
        start = s_start if carry is None else carry
        if _FILLER.match(text) and not last:
            carry = start
            continue
        carry = None
        spans.append((start, _strip_end(full, s_end)))
    if carry is not None:
        spans.append((carry, _strip_end(full, len(full))))
    return spans


def _sentences(doc: Doc) -> list[tuple[int, int, bool]]:
    """(start_char, end_char, is_last) of each sentence, read from the token arrays.

    Same spans as `doc.sents`, without making a Token object per token (much faster).
    """
    if not len(doc):
        return []
    rows = doc.to_array([SENT_START, IDX, LENGTH]).tolist()
    starts = [i for i, row in enumerate(rows) if row[0] == 1 or i == 0]
    ends = starts[1:] + [len(rows)]
    return [(rows[a][1], rows[b - 1][1] + rows[b - 1][2], b == len(rows))
            for a, b in zip(starts, ends, strict=True)]


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


# The sentencizer starts a sentence only after a token that is one of its punctuation
# characters. A trimmed text with none of them before its closing run of such characters,
# quotes and brackets is therefore one sentence, and needs no Doc at all.
_PUNCT = "".join(Sentencizer.default_punct_chars)
_CLOSING_RUN = re.compile("[" + re.escape(_PUNCT + "\"')]\u201d\u2019") + "]*$")
_SENTENCE_END = re.compile("[" + re.escape(_PUNCT) + "]")


def _one_sentence(text: str) -> bool:
    """True when the sentencizer would certainly leave `text` as a single sentence."""
    if not text or len(text) > MAX_CHUNK or text != text.strip():
        return False
    run = _CLOSING_RUN.search(text)
    return _SENTENCE_END.search(text, 0, run.start() if run else len(text)) is None


def split_utterances(texts: Iterable[str]) -> list[list[tuple[int, int]]]:
    """For each text, its utterances as (start, end) character offsets."""
    nlp = segmenter()
    # A lone surrogate becomes U+FFFD, one character for one, so offsets stay the same.
    texts = [_SURROGATE.sub("\ufffd", t) for t in texts]
    single = [_one_sentence(t) for t in texts]
    out: list[list[tuple[int, int]]] = [
        [(0, len(t))] if one and _HAS_WORD.search(t) else [] for t, one in zip(texts, single)]
    pieces = [(i, offset, piece) for i, (text, one) in enumerate(zip(texts, single)) if not one
              for offset, piece in _chunks(text)]
    # The texts are at hand, so skip the component's Doc.text (rebuilt from every token).
    docs = nlp.pipe([p for _, _, p in pieces], batch_size=256, disable=["mifi_utterances_v1"])
    for (i, offset, piece), doc in zip(pieces, docs, strict=True):
        out[i].extend((a + offset, b + offset) for a, b in _utterance_spans(doc, piece))
    return out


def _chunks(text: str) -> list[tuple[int, str]]:
    """(offset, piece) of a text, in pieces spaCy accepts (its limit is 1,000,000 characters).

    A long text is cut after the last sentence end, else the last space, in each piece.
    """
    pieces, start = [], 0
    while len(text) - start > MAX_CHUNK:
        window = text[start:start + MAX_CHUNK]
        cut = max(window.rfind(end) for end in (". ", "? ", "! ", "\n")) + 1
        cut = cut if cut > 0 else window.rfind(" ") + 1
        cut = cut if cut > 0 else MAX_CHUNK
        pieces.append((start, text[start:start + cut]))
        start += cut
    pieces.append((start, text[start:]))
    return pieces
