"""benchmarks/annomi_calibration.py compares each code's confidence with the split's labels."""

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TURNS = [("therapist", "What brings you in today?"), ("client", "I really want to stop drinking."),
         ("therapist", "Okay, and-"), ("client", "Yeah.")]


def split_file(path: Path, therapist: str, client: str) -> Path:
    """Four one-utterance turns: the first two carry the given labels, the last two "other"
    and "neutral" (which the coder gets right)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transcript_id", "utterance_id", "interlocutor", "utterance_text",
                    "main_therapist_behaviour", "client_talk_type"])
        for i, (who, text) in enumerate(TURNS):
            main = (therapist if i == 0 else "other") if who == "therapist" else "n/a"
            talk = (client if i == 1 else "neutral") if who == "client" else "n/a"
            w.writerow(["7", i, who, text, main, talk])
    return path


def rows(split: Path) -> dict[tuple[str, str], list[str]]:
    out = subprocess.run([sys.executable, "benchmarks/annomi_calibration.py", str(split)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    table = [line.split() for line in out.stdout.splitlines()[2:]]
    return {(r[0], r[1]): r[2:] for r in table}


def test_accuracy_counts_the_turns_whose_label_matches_the_code(tmp_path):
    right = rows(split_file(tmp_path / "right.csv", "question", "change"))
    wrong = rows(split_file(tmp_path / "wrong.csv", "reflection", "sustain"))
    assert right[("practitioner", "all")][:2] == ["2", "1.000"]
    assert wrong[("practitioner", "all")][:2] == ["2", "0.500"]
    assert right[("client", "all")][:2] == ["2", "1.000"]
    assert wrong[("client", "all")][:2] == ["2", "0.500"]
    assert set(right) >= {("practitioner", "rule"), ("client", "rule")}


def test_a_missing_split_is_skipped(tmp_path):
    out = subprocess.run([sys.executable, "benchmarks/annomi_calibration.py", str(tmp_path / "no.csv")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("skipped")


def test_a_file_that_is_not_annomis_csv_is_refused_with_a_reason(tmp_path):
    for name, data in [("empty.csv", b""), ("binary.csv", bytes(range(256)) * 4),
                       ("other.csv", b"session_id,turn,speaker,text\n1,0,client,Hi\n")]:
        path = tmp_path / name
        path.write_bytes(data)
        out = subprocess.run([sys.executable, "benchmarks/annomi_calibration.py", str(path)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert out.returncode == 2 and name in out.stderr and "Traceback" not in out.stderr
