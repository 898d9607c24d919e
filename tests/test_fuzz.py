"""benchmarks/fuzz.py runs, and finds nothing to crash on a short run."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_short_fuzz_run_finds_no_crash():
    r = subprocess.run([sys.executable, "benchmarks/fuzz.py", "--examples", "40", "--cli", "1",
                        "--api", "10", "--seed", "3"], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "; 0 crashes" in r.stdout and "CRASH" not in r.stdout
    assert "read_bytes (any file): 40 tried" in r.stdout
