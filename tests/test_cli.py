import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "fixtures" / "samples").glob("*.*"))
SAMPLES = [p for p in SAMPLES if p.suffix != ".md"]


def mifi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                          input=stdin, cwd=ROOT, timeout=120)


def test_every_input_format_has_a_sample():
    assert {p.suffix for p in SAMPLES} == {".txt", ".docx", ".vtt", ".srt", ".csv"}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_code_prints_a_coded_transcript_and_score_card(sample):
    r = mifi("code", str(sample))
    assert r.returncode == 0, r.stderr
    assert "coded transcript" in r.stdout and "Score card" in r.stdout
    assert "Reflection-to-Question" in r.stdout and "(estimate)" in r.stdout
    assert "Traceback" not in r.stderr


def test_json_to_file_keeps_every_turn(tmp_path):
    sample = ROOT / "fixtures" / "samples" / "sessions.csv"
    out = tmp_path / "out.json"
    r = mifi("code", str(sample), "--format", "json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    import csv

    with sample.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    got = {(s["session_id"], t["turn"]) for s in doc["sessions"] for t in s["turns"]}
    assert got == {(r["session_id"], r["turn"]) for r in rows}
    assert len(doc["sessions"]) == len({r["session_id"] for r in rows})


def test_csv_format_and_stdin_notes():
    r = mifi("code", "-", "--format", "csv", stdin="SW: How are the mornings?\nMum: Awful.\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("session_id,turn,speaker,role")
    assert any(",SW,practitioner," in line and ",Q," in line for line in lines[1:])


def test_practitioner_option_sets_the_role():
    r = mifi("code", "-", "--format", "json", "--practitioner", "Mum",
             stdin="SW: How are things?\nMum: What do you want to know?\n")
    doc = json.loads(r.stdout)
    roles = {t["speaker"]: t["role"] for t in doc["sessions"][0]["turns"]}
    assert roles == {"SW": "client", "Mum": "practitioner"}


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", bytes(range(256)) * 8, "binary"),
    ("noprefix.txt", b"we talked about school and she was upset\n", "speaker"),
    ("bad.csv", b"a,b\n1,2\n", "column"),
    ("fake.docx", b"this is not a word file", "Word"),
    ("notes.pdf", b"%PDF-1.4", "supported"),
])
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    r = mifi("code", str(p))
    assert r.returncode == 2
    assert r.stderr.startswith("mifi: error: ") and r.stderr.count("\n") == 1
    assert message.lower() in r.stderr.lower()
    assert r.stdout == ""


def test_size_cap_is_configurable(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("SW: Hello there.\nMum: Hiya.\n" * 2000, encoding="utf-8")
    assert mifi("code", str(p), "--max-size", "0.01").returncode == 2
    assert mifi("code", str(p), "--format", "csv").returncode == 0


def test_missing_file_and_unknown_scheme():
    assert "no such file" in mifi("code", "nope.txt").stderr
    r = mifi("code", str(SAMPLES[0]), "--scheme", "miti-9")
    assert r.returncode == 2 and "no such scheme" in r.stderr


def test_broken_model_falls_back_with_a_warning(tmp_path):
    bad = tmp_path / "m.npz"
    bad.write_bytes(b"broken")
    r = mifi("code", "-", "--format", "json", "--model", str(bad), stdin="SW: Did he go?\nMum: No.\n")
    assert r.returncode == 0
    assert "mifi: warning: model not used" in r.stderr
    assert json.loads(r.stdout)["model"]["name"] == "rules-only"


def test_schemes_command():
    r = mifi("schemes")
    assert r.returncode == 0 and "miti-4.2.1" in r.stdout


def test_evaluate_against_a_second_coding():
    r = mifi("evaluate", "fixtures/corpus/second-pass", "--against", "fixtures/corpus", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"practitioner", "client"}
    assert 0 < doc["practitioner"]["kappa"] <= 1 and doc["client"]["n"] > 100


def test_evaluate_the_model_on_a_labelled_file_reports_calibration():
    r = mifi("evaluate", "fixtures/corpus/second-pass/sg-su-008.csv")
    assert r.returncode == 0, r.stderr
    assert "Cohen's kappa" in r.stdout and "ECE" in r.stdout and "confusion" in r.stdout


def test_evaluate_and_train_refuse_missing_input():
    assert mifi("evaluate", "nope").returncode == 2
    assert mifi("train", "--annomi", "nope.csv").returncode == 2


def test_train_from_annomi_format(tmp_path):
    from tests.test_training import labelled_annomi

    data = labelled_annomi(tmp_path / "annomi.csv")
    out = tmp_path / "m.npz"
    r = mifi("train", "--annomi", str(data), "--folds", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "main behaviour macro F1" in r.stdout and out.exists()


def test_train_from_annomi_format_over_a_base_corpus(tmp_path):
    from tests.test_training import labelled_annomi

    data = labelled_annomi(tmp_path / "annomi.csv", dialogues=6)
    base = tmp_path / "base"
    base.mkdir()
    for p in sorted((ROOT / "fixtures" / "corpus").glob("sp-0*.csv"))[:4]:
        (base / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "m.npz"
    r = mifi("train", "--annomi", str(data), "--base-corpus", str(base), "--folds", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "plus 4 dialogues" in r.stdout and "in every fold (corpus:base)" in r.stdout
    refused = mifi("train", "--base-corpus", str(base), "--out", str(tmp_path / "x.npz"))
    assert refused.returncode == 2 and "goes with --annomi" in refused.stderr
    missing = mifi("train", "--annomi", str(data), "--base-corpus", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
