"""Benchmark: `mifi code` on the AnnoMI dev split, end to end (start-up included).

Prints wall time, turns per second and the command's peak memory, best of N runs.
Needs ../shared/data/annomi/annomi-dev.csv beside the project (skips when absent).

    python benchmarks/code_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPLIT = ROOT.parent / "shared" / "data" / "annomi" / "annomi-dev.csv"


def write_input(path: Path) -> int:
    with SPLIT.open(newline="", encoding="utf-8") as f, path.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["session_id", "turn", "speaker", "text"])
        n = 0
        for r in csv.DictReader(f):
            role = "practitioner" if r["interlocutor"] == "therapist" else "client"
            w.writerow([r["transcript_id"], r["utterance_id"], role, r["utterance_text"]])
            n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not SPLIT.exists():
        print(f"skipped: {SPLIT} not found")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="mifi-bench-"))
    turns = write_input(tmp / "input.csv")
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app.cli", "code", str(tmp / "input.csv"), "--format",
                        "json", "--out", str(tmp / "out.json")], check=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    best = min(times)
    print(f"mifi code on AnnoMI dev: {turns} turns, best of {args.runs}: {best:.2f} s "
          f"({turns / best:.0f} turns/s); all runs: {', '.join(f'{t:.2f}' for t in times)} s; "
          f"peak memory {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
