"""Benchmark: is the shipped model's confidence honest on real sessions it never saw?

Codes the AnnoMI dev split with the shipped coder and, on the turns that hold a single
utterance (so the turn's label is that utterance's label), compares each code's confidence
with how often it is right: practitioner codes by their behaviour family (question,
reflection, input, other), client codes as change, sustain or neutral. Prints accuracy,
mean confidence, expected calibration error and the accuracy of utterances flagged
"needs review" against the rest, per role and per source (rule or model). Skips when
../shared is absent.

    python benchmarks/annomi_calibration.py [SPLIT.csv]
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.coder import REVIEW_BELOW, Coder, TurnInput  # noqa: E402
from classifiers.evaluation import calibration  # noqa: E402
from classifiers.training import ANNOMI_COLUMNS, FAMILIES  # noqa: E402

SPLIT = ROOT.parent / "shared" / "data" / "annomi" / "annomi-dev.csv"
GOLD_FAMILY = {"question": "question", "reflection": "reflection", "therapist_input": "input",
               "other": "other"}


def main(split: Path = SPLIT) -> int:
    if not split.exists():
        print(f"skipped: {split} not found")
        return 0
    try:
        table = list(csv.DictReader(split.read_text(encoding="utf-8-sig").splitlines()))
    except UnicodeDecodeError:
        print(f"{split.name}: not UTF-8 text; give AnnoMI's CSV", file=sys.stderr)
        return 2
    if not table or not ANNOMI_COLUMNS <= set(table[0]):
        print(f"{split.name}: not AnnoMI's labelled CSV (needs columns {', '.join(sorted(ANNOMI_COLUMNS))})",
              file=sys.stderr)
        return 2
    sessions: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in table:
        sessions[row["transcript_id"]].append(row)
    rows = list(sessions.values())
    coded = Coder.load().code([[TurnInput("practitioner" if r["interlocutor"] == "therapist"
                                          else "client", r["utterance_text"]) for r in s]
                               for s in rows])
    seen: dict[tuple[str, str], tuple[list[bool], list[float]]] = defaultdict(lambda: ([], []))
    for session, turns in zip(rows, coded):
        for r, utterances in zip(session, turns):
            if len(utterances) != 1:
                continue
            u = utterances[0]
            if r["interlocutor"] == "therapist":
                gold = GOLD_FAMILY[r["main_therapist_behaviour"]]
                role, right = "practitioner", FAMILIES.get(u.code, "other") == gold
            else:
                role, right = "client", u.code.lower() == r["client_talk_type"]
            source = "rule" if u.source.startswith("rule:") else "model"
            for key in ((role, "all"), (role, source)):
                seen[key][0].append(right)
                seen[key][1].append(u.confidence)
    print(f"{split.name}: single-utterance turns; needs review below {REVIEW_BELOW:.0%}")
    print(f"{'role':13} {'source':6} {'turns':>6} {'accuracy':>9} {'confidence':>11} {'ECE':>6} "
          f"{'flagged':>8} {'acc flagged':>12} {'acc rest':>9}")
    for (role, source), (right, conf) in sorted(seen.items()):
        flagged = [c < REVIEW_BELOW for c in conf]
        def acc(value: bool) -> str:
            picked = [r for r, f in zip(right, flagged) if f == value]
            return f"{sum(picked) / len(picked):.3f}" if picked else "-"
        print(f"{role:13} {source:6} {len(right):6d} {sum(right) / len(right):9.3f} "
              f"{sum(conf) / len(conf):11.3f} {calibration(right, conf)['ece']:6.3f} "
              f"{sum(flagged) / len(flagged):8.3f} {acc(True):>12} {acc(False):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else SPLIT))
