"""Benchmark: `mifi code` on the AnnoMI dev split, end to end (start-up included).

Prints wall time, turns per second and peak memory, best of N runs, for the default (a
worker process takes half the sessions when two CPUs are free) and for `--jobs 1`. Peak
memory is given for the largest single process and, sampled every 10 ms from /proc, for
the command and its worker together.
Needs ../shared/data/annomi/annomi-dev.csv beside the project (skips when absent).

    python benchmarks/code_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import threading
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


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, from /proc (Linux)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, largest single process MB, whole process tree MB) of one command."""
    wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    peak_tree = 0.0
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *cmd], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.is_set():
            peak_tree = max(peak_tree, _tree_rss_mb(proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return wall, int(out.split()[-1]) / 1024, peak_tree


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not SPLIT.exists():
        print(f"skipped: {SPLIT} not found")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="mifi-bench-"))
    turns = write_input(tmp / "input.csv")
    base = [sys.executable, "-m", "app.cli", "code", str(tmp / "input.csv"), "--format", "json",
            "--out", str(tmp / "out.json")]
    for label, extra in (("default", []), ("--jobs 1", ["--jobs", "1"])):
        runs = [run(base + extra) for _ in range(args.runs)]
        best = min(r[0] for r in runs)
        print(f"mifi code on AnnoMI dev ({label}): {turns} turns, best of {args.runs}: {best:.2f} s "
              f"({turns / best:.0f} turns/s); all runs: {', '.join(f'{r[0]:.2f}' for r in runs)} s; "
              f"peak memory {max(r[1] for r in runs):.0f} MB in the largest process, "
              f"{max(r[2] for r in runs):.0f} MB for all its processes together")
    return 0


if __name__ == "__main__":
    sys.exit(main())
