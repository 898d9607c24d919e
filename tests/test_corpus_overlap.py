"""benchmarks/corpus_overlap.py finds a corpus sentence copied from an evaluation split."""

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = "Honestly the allotment is the only place my head goes quiet."


def split_file(path: Path, sentence: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transcript_id", "utterance_id", "interlocutor", "utterance_text"])
        w.writerow(["1", "0", "therapist", "What keeps you going?"])
        w.writerow(["1", "1", "client", f"Well, I-I, um, {sentence} Thanks for asking."])
    return path


def run(split: Path, corpus: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "benchmarks/corpus_overlap.py", str(split), str(corpus)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_a_copied_sentence_is_found_and_fails_the_check(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = ROOT / "fixtures" / "corpus" / "sp-121.csv"
    rows = list(csv.reader(source.read_text(encoding="utf-8").splitlines()))
    client_row = next(r for r in rows[1:] if r[3] == "client")
    client_row[4], client_row[5], client_row[6] = COPIED.replace("the allotment", "the, the allotment"), "NEUTRAL", ""
    with (corpus / source.name).open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    r = run(split_file(tmp_path / "split.csv", COPIED), corpus)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"sp-121 turn {client_row[1]}" in r.stdout and "1 copied or near-copied" in r.stdout


def test_everyday_formulae_do_not_count(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sp-121.csv").write_bytes((ROOT / "fixtures" / "corpus" / "sp-121.csv").read_bytes())
    r = run(split_file(tmp_path / "split.csv", "What do you think about that?"), corpus)
    assert r.returncode == 0 and "0 copied" in r.stdout, r.stdout + r.stderr
