"""Check that no sentence of the training corpus copies one of an evaluation split.

The corpus must be the team's own writing: AnnoMI is for measuring only. This prints every
corpus utterance whose text, or one of its comma-separated clauses, of six or more words is
also a sentence or clause of the split (after lower-casing and dropping fillers, stutters
and punctuation), or that nearly matches a sentence there (eight or more words, difflib
ratio 0.85 or more), and exits 1 if there is any. Formulae made of everyday words ("Thanks
for coming in.", "At the end of the day.") are everyone's and do not count: a match needs
two words outside FORMULA. It catches copying, not close paraphrase.

usage: python benchmarks/corpus_overlap.py ../shared/data/annomi/annomi-dev.csv [CORPUS_DIR]
"""

from __future__ import annotations

import csv
import difflib
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.corpus import CORPUS_DIR, read_corpus  # noqa: E402

FILLERS = re.compile(r"\b(?:um+|uh+|er+m?|mm+-?hmm+|hmm+|you know|i mean)\b")
STUTTER = re.compile(r"\b([\w']+)(?:-+\s*\1\b)+")
FORMULA = frozenset("""a about all and any anything are at be bit but can could did do does doing
don't else for going good have how i i'd i'll i'm if is it it's just know like make me more
much my now of okay on or right say so something sound sounds tell thank thanks that that's the
think this to today try want was we well what when why with would yeah yes you you'd you're
your coming in see sense not no really problem end day interested actually time lot get got go
one there they them he she her him his our out up then than too very way thing things feel mean
need kind sort""".split())


def normal(text: str) -> str:
    text = STUTTER.sub(r"\1", text.lower().replace("\u2019", "'"))
    text = FILLERS.sub(" ", text)
    return " ".join(re.sub(r"[^a-z' ]+", " ", text).split())


def clauses(sentence: str) -> list[str]:
    """The sentence's comma-separated stretches of six or more words."""
    return [c for c in re.split(r"[,;:]", sentence) if len(c.split()) >= 6]


def distinctive(sentence: str) -> bool:
    return sum(w not in FORMULA for w in sentence.split()) >= 2


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+|\s+-+\s*|\u2014|--", text) if s.strip()]


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    split, corpus = Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else CORPUS_DIR
    with split.open(newline="", encoding="utf-8") as f:
        theirs = sorted({normal(part) for r in csv.DictReader(f) for s in sentences(r["utterance_text"])
                         for part in [s, *clauses(s)]})
    exact = set(theirs)
    index: dict[str, set[int]] = defaultdict(set)  # a distinctive word -> the long sentences with it
    for i, s in enumerate(theirs):
        if len(s.split()) >= 8:
            for w in set(s.split()) - FORMULA:
                index[w].add(i)
    found = 0
    utterances = read_corpus(corpus)
    for u in utterances:
        mine = normal(u.text)
        words = mine.split()
        same = next((c for c in [mine, *map(normal, clauses(u.text))]
                     if len(c.split()) >= 6 and distinctive(c) and c in exact), None)
        near = 0.0
        if same is None and len(words) >= 8 and distinctive(mine):
            shared = Counter(i for w in set(words) - FORMULA for i in index.get(w, ()))
            near = max((difflib.SequenceMatcher(None, mine, theirs[i]).ratio()
                        for i, n in shared.items() if n >= 2), default=0.0)
        if same or near >= 0.85:
            found += 1
            how = f"{same!r} is in it" if same else f"near a sentence there ({near:.2f})"
            print(f"{u.dialogue_id} turn {u.turn}: {u.text!r}: {how}")
    print(f"{len(utterances)} corpus utterances checked against {split.name}: {found} copied or near-copied")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
