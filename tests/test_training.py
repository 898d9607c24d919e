import csv
import json
from pathlib import Path

import numpy as np
import pytest

from classifiers import artifact
from classifiers.training import annomi_set, corpus_set, fit_temperature, in_context, train
from classifiers.corpus import CodedUtterance

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ANNOMI = ROOT / "fixtures" / "samples" / "annomi-format.csv"


def test_in_context_sees_the_other_speakers_last_turn():
    u = [CodedUtterance("d", 0, "SW", "practitioner", "How are you?", "Q", "open"),
         CodedUtterance("d", 1, "Mum", "client", "Tired.", "NEUTRAL"),
         CodedUtterance("d", 1, "Mum", "client", "Really tired.", "NEUTRAL"),
         CodedUtterance("d", 2, "SW", "practitioner", "You're worn out.", "SR")]
    recs = in_context(u)
    assert recs[0].previous_turn == ""
    assert recs[1].previous_turn == "How are you?" and (recs[2].index, recs[2].count) == (1, 2)
    assert recs[3].previous_turn == "Tired. Really tired."
    assert recs[1].before == "" and recs[2].before == "Tired."
    assert recs[1].after == "Really tired." and recs[2].after == "" and recs[3].after == ""
    assert recs[0].heard == frozenset() and recs[3].heard == {"tired"}


def test_fit_temperature_softens_overconfident_decisions():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    decisions = rng.normal(0, 1, (600, 3))
    decisions[np.arange(600), y] += 1.0
    sharp = decisions * 8  # same ranking, far too confident
    assert fit_temperature(sharp, y) > fit_temperature(decisions, y) > 0


def labelled_annomi(path: Path, dialogues: int = 12) -> Path:
    """Write some corpus dialogues in AnnoMI's labelled format, one row per turn."""
    from classifiers.corpus import read_dialogue

    order = [("Q", "question"), ("SR", "reflection"), ("CR", "reflection"), ("GI", "therapist_input"),
             ("PERSUADE", "therapist_input")]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transcript_id", "utterance_id", "interlocutor", "utterance_text",
                    "main_therapist_behaviour", "reflection_subtype", "therapist_input_subtype",
                    "client_talk_type"])
        for p in sorted((ROOT / "fixtures" / "corpus").glob("sg-*.csv"))[:dialogues]:
            turns: dict[int, list] = {}
            for u in read_dialogue(p):
                turns.setdefault(u.turn, []).append(u)
            for t, us in turns.items():
                codes = [u.code for u in us]
                text = " ".join(u.text for u in us)
                if us[0].role == "practitioner":
                    main = next((m for c, m in order if c in codes), "other")
                    w.writerow([p.stem, t, "therapist", text, main, "complex" if "CR" in codes else "n/a",
                                "advice" if "PERSUADE" in codes else "information", "n/a"])
                else:
                    talk = "change" if "CHANGE" in codes else "sustain" if "SUSTAIN" in codes else "neutral"
                    w.writerow([p.stem, t, "client", text, "n/a", "n/a", "n/a", talk])
    return path


def test_annomi_format_is_read_turn_by_turn(tmp_path):
    path = labelled_annomi(tmp_path / "annomi.csv")
    data = annomi_set(path)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(data.records) == len(rows) and data.source == "annomi:annomi.csv"
    first_q = next(i for i, r in enumerate(rows) if r["main_therapist_behaviour"] == "question")
    assert data.labels[first_q] == "Q" and data.records[first_q].text == rows[first_q]["utterance_text"]
    assert set(data.labels) <= {"Q", "SR", "CR", "GI", "PERSUADE", "NC", "CHANGE", "SUSTAIN", "NEUTRAL"}
    assert set(data.groups) == {r["transcript_id"] for r in rows}
    second = next(i for i, r in enumerate(rows) if r["interlocutor"] == "therapist" and i > 1)
    assert data.records[0].heard == frozenset() and data.records[second].heard


def test_annomi_sample_without_labels_is_refused():
    with pytest.raises(ValueError, match="not AnnoMI's CSV"):
        annomi_set(SAMPLE_ANNOMI)


def test_annomi_format_needs_its_columns(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not AnnoMI's CSV"):
        annomi_set(p)


def test_train_writes_a_calibrated_artifact_with_metadata(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted((ROOT / "fixtures" / "corpus").glob("sg-su-0*.csv"))[:12]:
        (corpus / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "m.npz"
    meta = train(corpus_set(corpus), out, folds=3, progress=lambda m: None)
    assert meta["training_data"]["dialogues"] == 12
    for role in ("practitioner", "client"):
        cv = meta["cross_validation"][role]
        assert 0 < cv["macro_f1"] <= 1 and 0 <= cv["ece"] < 0.5 and cv["temperature"] > 0
        assert 0 < cv["needs_review"]["share"] < 1
    assert "main_behaviour_macro_f1" in meta["cross_validation"]["practitioner"]
    assert "nc.backchannel" in meta["rule_precision"]
    model = artifact.load(out)
    assert model.temperatures == meta["temperatures"]
    assert json.loads(out.with_suffix(".json").read_text())["sha256"] == meta["sha256"]


def test_a_base_corpus_joins_every_fold_but_is_never_measured(tmp_path):
    annomi = annomi_set(labelled_annomi(tmp_path / "annomi.csv", dialogues=8))
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    for p in sorted((ROOT / "fixtures" / "corpus").glob("sp-0*.csv"))[:6]:
        (base_dir / p.name).write_bytes(p.read_bytes())
    base = corpus_set(base_dir)
    assert "AF" in base.labels and "AF" not in annomi.labels
    meta = train(annomi, tmp_path / "m.npz", folds=3, progress=lambda m: None, base=base)
    therapist_turns = len(annomi.role("practitioner")[0])
    assert meta["cross_validation"]["practitioner"]["utterances"] == therapist_turns
    assert "AF" in meta["labels"]["practitioner"]  # learnt from the base corpus alone
    assert meta["training_data"]["base"] == {
        "source": "corpus:base", "dialogues": 6, "utterances": len(base.records),
        "sha256": base.sha256}
    assert meta["training_data"]["counts"]["practitioner"]["AF"] == base.labels.count("AF")


def test_a_base_corpus_may_not_share_dialogues_with_the_data(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for p in sorted((ROOT / "fixtures" / "corpus").glob("sp-0*.csv"))[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    with pytest.raises(ValueError, match="share 3 dialogues"):
        train(corpus_set(folder), tmp_path / "m.npz", folds=2, progress=lambda m: None,
              base=corpus_set(folder))
    assert not (tmp_path / "m.npz").exists()
