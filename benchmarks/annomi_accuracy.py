"""Benchmark: accuracy on the AnnoMI dev split, through ../shared/tools/eval_annomi.py.

Runs the shared evaluator against this checkout's `mifi` (the shipped model unless
MIFI_MODEL is set) and prints its figures. Skips when ../shared is absent.

    python benchmarks/annomi_accuracy.py
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def main() -> int:
    tool, split = SHARED / "tools" / "eval_annomi.py", SHARED / "data" / "annomi" / "annomi-dev.csv"
    if not tool.exists() or not split.exists():
        print(f"skipped: {SHARED} not found")
        return 0
    mifi = f"{shlex.quote(sys.executable)} -m app.cli"
    return subprocess.run([sys.executable, str(tool), str(split), "--mifi", mifi], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
