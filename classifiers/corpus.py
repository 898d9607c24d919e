"""The team's coded training corpus: load and validate `fixtures/corpus/*.csv`.

Run `python -m classifiers.corpus [FILE ...]` to check files and print counts per code.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
COLUMNS = ["dialogue_id", "turn", "speaker", "role", "utterance", "code", "subtype", "note"]
PRACTITIONER_CODES = {"GI", "PERSUADE", "PERSUADE_WITH_PERMISSION", "Q", "SR", "CR", "AF",
                      "SEEK", "EMPHASIZE", "CONFRONT", "NC"}
CLIENT_CODES = {"CHANGE", "SUSTAIN", "NEUTRAL"}
TALK_KINDS = {"desire", "ability", "reason", "need", "commitment", "activation", "taking_steps"}


@dataclass(frozen=True)
class CodedUtterance:
    """One row of the corpus: an utterance with its human code."""

    dialogue_id: str
    turn: int
    speaker: str
    role: str
    text: str
    code: str
    subtype: str = ""
    note: str = ""


class CorpusError(ValueError):
    """A corpus file breaks the format; the message names file, line and problem."""


def read_dialogue(path: Path) -> list[CodedUtterance]:
    """Read and validate one dialogue file."""
    rows: list[CodedUtterance] = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != COLUMNS:
            raise CorpusError(f"{path.name}: header must be {','.join(COLUMNS)}")
        last_turn = -1
        for line, r in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            if None in r or any(v is None for v in r.values()):
                raise CorpusError(f"{where}: wrong number of fields (check quoting)")
            if r["dialogue_id"] != path.stem:
                raise CorpusError(f"{where}: dialogue_id {r['dialogue_id']!r} is not the file name")
            try:
                turn = int(r["turn"])
            except ValueError:
                raise CorpusError(f"{where}: turn {r['turn']!r} is not a number") from None
            if turn < last_turn or turn > last_turn + 1:
                raise CorpusError(f"{where}: turn {turn} out of order after {last_turn}")
            role, code, sub = r["role"], r["code"], r["subtype"].strip()
            if role not in ("practitioner", "client"):
                raise CorpusError(f"{where}: role {role!r} is not practitioner or client")
            allowed = PRACTITIONER_CODES if role == "practitioner" else CLIENT_CODES
            if code not in allowed:
                raise CorpusError(f"{where}: code {code!r} is not a {role} code")
            if code == "Q" and sub not in ("open", "closed"):
                raise CorpusError(f"{where}: Q needs subtype open or closed")
            if code in ("CHANGE", "SUSTAIN") and sub and sub not in TALK_KINDS:
                raise CorpusError(f"{where}: subtype {sub!r} is not a DARN-CAT kind")
            if code not in ("Q", "CHANGE", "SUSTAIN") and sub:
                raise CorpusError(f"{where}: code {code} takes no subtype")
            if not r["utterance"].strip():
                raise CorpusError(f"{where}: empty utterance")
            if rows and turn == rows[-1].turn and (role != rows[-1].role or r["speaker"] != rows[-1].speaker):
                raise CorpusError(f"{where}: one turn has two speakers")
            rows.append(CodedUtterance(path.stem, turn, r["speaker"].strip(), role,
                                       r["utterance"].strip(), code, sub, r["note"].strip()))
            last_turn = turn
    if not rows:
        raise CorpusError(f"{path.name}: no utterances")
    return rows


def corpus_files(folder: Path = CORPUS_DIR) -> list[Path]:
    """The dialogue files of a corpus folder, in name order."""
    return sorted(p for p in folder.glob("*.csv"))


def read_corpus(folder: Path = CORPUS_DIR) -> list[CodedUtterance]:
    """Every utterance of every dialogue in the folder."""
    return [u for p in corpus_files(folder) for u in read_dialogue(p)]


def main(argv: list[str]) -> int:
    paths = [f for a in map(Path, argv) for f in (corpus_files(a) if a.is_dir() else [a])] \
        or corpus_files()
    counts: Counter[str] = Counter()
    bad = 0
    for p in paths:
        try:
            counts.update(u.code for u in read_dialogue(p))
        except (CorpusError, UnicodeDecodeError, csv.Error) as e:
            print(f"error: {e}", file=sys.stderr)
            bad += 1
    print(f"{len(paths) - bad} dialogues ok, {bad} bad, {sum(counts.values())} utterances")
    for code, n in sorted(counts.items()):
        print(f"  {code:26} {n}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
