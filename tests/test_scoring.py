import pytest

from app.scheme import load_scheme
from app.scoring import score_session, volleys
from classifiers.coder import Utterance


def u(code: str, subtype: str = "", source: str = "model:test") -> Utterance:
    return Utterance("x", 0, 1, code, subtype, 0.9, source, "")


YEAH = [u("NEUTRAL", source="rule:neutral.backchannel")]


def test_client_backchannel_does_not_end_a_volley():
    turns = [("practitioner", [u("Q", "open")]), ("client", YEAH),
             ("practitioner", [u("Q", "closed")]), ("client", [u("CHANGE")]),
             ("practitioner", [u("SR")])]
    vs = volleys(turns)
    assert [v.turns for v in vs] == [[0, 2], [4]]


def test_each_code_counts_once_per_volley_and_complex_wins():
    turns = [("practitioner", [u("Q", "closed"), u("Q", "open"), u("SR"), u("CR"), u("SR")]),
             ("client", [u("NEUTRAL")]),
             ("practitioner", [u("SR"), u("Q", "closed"), u("Q", "closed")]),
             ("client", [u("SUSTAIN")]),
             ("practitioner", [u("PERSUADE"), u("CONFRONT"), u("NC")])]
    s = score_session(turns, load_scheme())
    assert s.volleys == 3
    assert s.counts["Q"] == 2 and s.counts["SR"] == 1 and s.counts["CR"] == 1
    assert s.counts["Q_open"] == 1 and s.counts["Q_closed"] == 1
    assert s.value("reflection_to_question") == 1.0
    assert s.value("percent_complex_reflections") == 50.0
    assert s.value("mi_non_adherent") == 2
    assert s.value("percent_open_questions") == 50.0


def test_undefined_ratio_and_bands():
    s = score_session([("practitioner", [u("SR")])], load_scheme())
    r2q = next(x for x in s.scores if x.id == "reflection_to_question")
    assert r2q.value is None and r2q.band == ""
    pcr = next(x for x in s.scores if x.id == "percent_complex_reflections")
    assert pcr.value == 0.0 and pcr.band == "below fair"


def test_global_ratings_are_estimates_unless_a_human_rated_all_four():
    turns = [("practitioner", [u("CR")]), ("client", [u("CHANGE")]), ("practitioner", [u("SR")])]
    est = score_session(turns, load_scheme())
    assert est.globals_estimated
    assert all(1 <= v <= 5 for v in est.globals.values())
    tech = next(x for x in est.scores if x.id == "technical_global")
    assert tech.estimated
    human = {"cultivating_change_talk": 4, "softening_sustain_talk": 5, "partnership": 2, "empathy": 3}
    rated = score_session(turns, load_scheme(), ratings=human)
    assert not rated.globals_estimated
    assert rated.value("technical_global") == 4.5 and rated.value("relational_global") == 2.5


def test_reflective_sessions_score_above_confronting_ones():
    good = [("practitioner", [u("CR")]), ("client", [u("CHANGE")])] * 5 + [("practitioner", [u("SEEK"), u("Q", "open")])]
    bad = [("practitioner", [u("CONFRONT"), u("Q", "closed")]), ("client", [u("SUSTAIN")])] * 5
    g, b = score_session(good, load_scheme()), score_session(bad, load_scheme())
    assert g.value("technical_global") > b.value("technical_global")
    assert g.value("relational_global") > b.value("relational_global")


@pytest.mark.parametrize("value, band", [(2.5, "good"), (2.0, "good"), (1.5, "fair"), (0.5, "below fair")])
def test_threshold_bands(value, band):
    from app.scoring import ScoreValue

    assert ScoreValue("r", "R", value, "ratio", 1.0, 2.0).band == band


def test_lower_is_better_bands():
    from app.scoring import ScoreValue

    assert ScoreValue("n", "N", 0, "count", 2, 0, lower_is_better=True).band == "good"
    assert ScoreValue("n", "N", 3, "count", 2, 0, lower_is_better=True).band == "below fair"
