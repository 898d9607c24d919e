import csv
import io
import json

from app.coding import code_transcripts
from app.exports import CSV_COLUMNS, safe_cell, to_csv, to_json
from app.scheme import load_scheme
from app.transcript import Transcript, Turn
from classifiers.coder import Coder

PRACTITIONER_CODES = {"GI", "PERSUADE", "PERSUADE_WITH_PERMISSION", "Q", "SR", "CR", "AF", "SEEK",
                      "EMPHASIZE", "CONFRONT", "NC"}
CLIENT_CODES = {"CHANGE", "SUSTAIN", "NEUTRAL"}


def _sessions():
    a = Transcript([Turn("SW", "Hello. What's been happening with school?", "practitioner", turn_id="0"),
                    Turn("Mum", "He won't get up. I've tried everything.", "client", turn_id="1"),
                    Turn("", "(She sighed.)", "", coded=False, turn_id="2"),
                    Turn("SW", "=You've tried everything and you're worn out.", "practitioner", turn_id="3")],
                   session_id="12")
    b = Transcript([Turn("Worker", "", "practitioner", turn_id="7"),
                    Turn("Dad", "Yeah.", "client", turn_id="8")], session_id="13")
    return code_transcripts([a, b], load_scheme(), Coder.load())


def test_json_follows_the_contract():
    doc = json.loads(to_json(_sessions(), load_scheme(), {"name": "m", "version": "1"}))
    assert doc["scheme"] == "miti-4.2.1" and doc["model"] == {"name": "m", "version": "1"}
    assert [s["session_id"] for s in doc["sessions"]] == ["12", "13"]
    s = doc["sessions"][0]
    summary = s["summary"]
    for key in ("counts", "reflection_to_question", "percent_complex_reflections", "mi_adherent",
                "mi_non_adherent", "technical_global_estimate", "relational_global_estimate"):
        assert key in summary
    assert set(summary["counts"]) >= PRACTITIONER_CODES - {"NC"}
    assert [t["turn"] for t in s["turns"]] == ["0", "1", "2", "3"]
    assert all(isinstance(t["turn"], str) for t in s["turns"])
    assert s["turns"][2]["coded"] is False and s["turns"][2]["utterances"] == []
    for t in s["turns"]:
        for u in t["utterances"]:
            assert set(u) >= {"text", "code", "subtype", "confidence", "source", "explanation"}
            assert u["code"] in (PRACTITIONER_CODES if t["role"] == "practitioner" else CLIENT_CODES)
            if u["code"] == "Q":
                assert u["subtype"] in ("open", "closed")
    q = s["turns"][0]["utterances"][1]
    assert (q["code"], q["subtype"]) == ("Q", "open")
    empty = doc["sessions"][1]["turns"][0]
    assert empty["turn"] == "7" and empty["utterances"] == []


def test_csv_has_one_row_per_utterance_and_defuses_formulas():
    sessions = _sessions()
    rows = list(csv.DictReader(io.StringIO(to_csv(sessions))))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(len(t.utterances) for s in sessions for t in s.turns)
    reflection = next(r for r in rows if r["turn"] == "3")
    assert reflection["text"].startswith("'=")


def test_safe_cell():
    assert safe_cell("=SUM(A1)") == "'=SUM(A1)"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("plain") == "plain"
    assert safe_cell(3) == 3
