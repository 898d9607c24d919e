from collections import Counter

import pytest

from classifiers.corpus import (CLIENT_CODES, CORPUS_DIR, PRACTITIONER_CODES, CorpusError,
                                read_corpus, read_dialogue)


def test_corpus_is_big_enough_and_covers_every_code():
    rows = read_corpus()
    assert len({r.dialogue_id for r in rows}) >= 40
    assert len(rows) >= 1500
    counts = Counter(r.code for r in rows)
    assert set(counts) == PRACTITIONER_CODES | CLIENT_CODES
    assert min(counts.values()) >= 10


def test_every_dialogue_is_indexed():
    import csv

    indexed = set()
    for p in (CORPUS_DIR / "index").glob("*.csv"):
        with p.open(encoding="utf-8") as f:
            indexed |= {r["dialogue_id"] for r in csv.DictReader(f)}
    assert {r.dialogue_id for r in read_corpus()} <= indexed


@pytest.mark.parametrize("body, problem", [
    ("x,0,SW,practitioner,Hi.,NC,,\n", "not the file name"),
    ("d,0,SW,practitioner,Hi.,XX,,\n", "not a practitioner code"),
    ("d,0,SW,practitioner,Why?,Q,,\n", "open or closed"),
    ("d,0,SW,practitioner,Hi.,NC,,\nd,3,Mum,client,Hi.,NEUTRAL,,\n", "out of order"),
    ("d,0,SW,practitioner,Hi.,NC,,\nd,0,Mum,client,Hi.,NEUTRAL,,\n", "two speakers"),
    ("d,0,SW,practitioner,,NC,,\n", "empty utterance"),
])
def test_broken_dialogue_names_the_line(tmp_path, body, problem):
    p = tmp_path / "d.csv"
    p.write_text("dialogue_id,turn,speaker,role,utterance,code,subtype,note\n" + body, encoding="utf-8")
    with pytest.raises(CorpusError, match=problem):
        read_dialogue(p)


def test_validator_takes_a_folder_or_files(small_corpus, capsys):
    from classifiers.corpus import main

    assert main([str(small_corpus)]) == 0
    assert capsys.readouterr().out.startswith("3 dialogues ok, 0 bad")
    assert main([str(p) for p in sorted(small_corpus.glob("*.csv"))[:2]]) == 0
    assert capsys.readouterr().out.startswith("2 dialogues ok, 0 bad")
