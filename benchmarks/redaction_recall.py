"""Recall and precision of redaction on the annotated fictional snippets.

    python benchmarks/redaction_recall.py [--fixture PATH] [--misses]

Each line of the fixture is {"text", "spans": [{"start", "end", "kind"}], "batch"}.
A span is caught when every one of its characters lies inside something the redactor
replaced (of any kind: a name inside an address counts). Precision, per kind, is the share
of the redactor's replacements of that kind that overlap an annotated span; full dates
without a birth cue are redacted as [DATE] by design and reported apart. Figures are
printed for the whole fixture and for each batch ("tuning": the snippets the rules were
tuned on; "fresh": snippets written after tuning and never tuned on).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.redaction import KINDS, find_identifiers  # noqa: E402

FIXTURE = ROOT / "fixtures" / "redaction" / "snippets.jsonl"
STRUCTURED = ("phone", "email", "postcode", "nhs_number", "date_of_birth", "address")


def load(path: Path) -> list[dict]:
    """The fixture's rows."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(rows: list[dict]) -> dict:
    """Per-kind counts: annotated, caught, found, found_ok; plus the misses themselves."""
    annotated, caught, found, found_ok = Counter(), Counter(), Counter(), Counter()
    misses, false_alarms = [], []
    for row in rows:
        text, gold = row["text"], row["spans"]
        got = find_identifiers(text)
        covered = set()
        for r in got:
            covered.update(range(r.start, r.end))
        for g in gold:
            annotated[g["kind"]] += 1
            if all(i in covered for i in range(g["start"], g["end"])):
                caught[g["kind"]] += 1
            else:
                misses.append((g["kind"], text[g["start"]:g["end"]], text))
        for r in got:
            found[r.kind] += 1
            if any(r.start < g["end"] and g["start"] < r.end for g in gold):
                found_ok[r.kind] += 1
            elif r.kind != "date":
                false_alarms.append((r.kind, text[r.start:r.end], text))
    return {"annotated": annotated, "caught": caught, "found": found, "found_ok": found_ok,
            "misses": misses, "false_alarms": false_alarms, "rows": len(rows)}


def report(title: str, s: dict) -> str:
    """A table of recall and precision per kind, and the structured/name totals."""
    lines = [f"{title}: {s['rows']} snippets",
             f"  {'kind':<14}{'spans':>6}{'caught':>8}{'recall':>8}{'found':>7}{'precision':>11}"]
    for kind in KINDS:
        a, c = s["annotated"][kind], s["caught"][kind]
        f, ok = s["found"][kind], s["found_ok"][kind]
        rec = f"{c / a:.3f}" if a else "-"
        prec = f"{ok / f:.3f}" if f else "-"
        lines.append(f"  {kind:<14}{a:>6}{c:>8}{rec:>8}{f:>7}{prec:>11}")
    a = sum(s["annotated"][k] for k in STRUCTURED)
    c = sum(s["caught"][k] for k in STRUCTURED)
    f = sum(s["found"][k] for k in STRUCTURED)
    ok = sum(s["found_ok"][k] for k in STRUCTURED)
    lines.append(f"  {'structured':<14}{a:>6}{c:>8}{c / a if a else 0:>8.3f}{f:>7}"
                 f"{ok / f if f else 0:>11.3f}")
    lines.append(f"  other full dates redacted as [DATE] (by design): {s['found']['date']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", type=Path, default=FIXTURE)
    ap.add_argument("--misses", action="store_true", help="list missed spans and false alarms")
    args = ap.parse_args(argv)
    rows = load(args.fixture)
    whole = score(rows)
    print(report("all", whole))
    for batch in sorted({r.get("batch", "") for r in rows} - {""}):
        print(report(batch, score([r for r in rows if r.get("batch") == batch])))
    if args.misses:
        for kind, span, text in whole["misses"]:
            print(f"MISS {kind:<14}{span!r:<28} {text}")
        for kind, span, text in whole["false_alarms"]:
            print(f"FALSE {kind:<13}{span!r:<28} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
