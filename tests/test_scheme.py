from pathlib import Path

import pytest
import yaml

from app.scheme import DEFAULT_SCHEME, SchemeError, available_schemes, load_scheme, scheme_path

EVALUATION_CODES = {"GI", "PERSUADE", "PERSUADE_WITH_PERMISSION", "Q", "SR", "CR", "AF", "SEEK",
                    "EMPHASIZE", "CONFRONT", "NC", "CHANGE", "SUSTAIN", "NEUTRAL"}


def test_miti_scheme_has_the_contract_codes_with_examples():
    s = load_scheme(DEFAULT_SCHEME)
    assert {c.id for c in s.codes} == EVALUATION_CODES
    assert all(len(c.examples) >= 3 for c in s.codes)
    assert set(s.codes_for("client")) == {"CHANGE", "SUSTAIN", "NEUTRAL"}


def test_miti_thresholds_match_the_manual():
    scores = {x.id: x for x in load_scheme().summary_scores}
    assert (scores["reflection_to_question"].fair, scores["reflection_to_question"].good) == (1, 2)
    assert (scores["percent_complex_reflections"].fair, scores["percent_complex_reflections"].good) == (40, 50)
    assert (scores["technical_global"].fair, scores["technical_global"].good) == (3, 4)
    assert (scores["relational_global"].fair, scores["relational_global"].good) == (3.5, 4)
    assert scores["mi_non_adherent"].formula == "CONFRONT + PERSUADE"
    assert scores["mi_adherent"].formula == "SEEK + AF + EMPHASIZE"
    assert scores["percent_open_questions"].measure_version == "MITI 3.1.1"
    assert "MITI 3.1.1" in scores["percent_open_questions"].name


def test_global_ratings_have_five_anchors():
    for g in load_scheme().globals:
        assert sorted(g.anchors) == [1, 2, 3, 4, 5]
    assert {g.id for g in load_scheme().globals} == {
        "cultivating_change_talk", "softening_sustain_talk", "partnership", "empathy"}


def test_available_schemes_lists_the_shipped_file():
    assert DEFAULT_SCHEME in available_schemes()


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(scheme_path(DEFAULT_SCHEME).read_text(encoding="utf-8"))
    change(data)
    p = tmp_path / "broken.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


@pytest.mark.parametrize("change, field, problem", [
    (lambda d: d.pop("codes"), "codes", "is missing"),
    (lambda d: d["codes"][0].update(role="parent"), "codes[0].role", "must be one of"),
    (lambda d: d["codes"][1].update(examples=["one"]), "codes[1].examples", "at least three"),
    (lambda d: d["summary_scores"][6].update(formula="(SR + CR) / QQ"), "summary_scores[6].formula",
     "unknown names"),
    (lambda d: d["summary_scores"][6].update(formula="__import__('os')"), "summary_scores[6].formula",
     "not allowed"),
    (lambda d: d["summary_scores"][7].update(thresholds={"fair": 50, "good": 40}),
     "summary_scores[7].thresholds", "good must be beyond fair"),
    (lambda d: d["globals"][0]["anchors"].pop(3), "globals[0].anchors", "each level 1 to 5"),
    (lambda d: d["codes"][1].update(scores=[]), "codes[1].scores", "to match the formulas"),
])
def test_broken_scheme_names_file_field_and_problem(tmp_path, change, field, problem):
    path = _broken(tmp_path, change)
    with pytest.raises(SchemeError) as e:
        load_scheme(str(path))
    assert str(e.value).startswith(f"broken.yaml: {field}: ")
    assert problem in str(e.value)


def test_unreadable_yaml_is_a_scheme_error(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("codes: [unclosed\n", encoding="utf-8")
    with pytest.raises(SchemeError, match="bad.yaml: cannot be read as YAML"):
        load_scheme(str(p))


def test_unknown_scheme_name():
    with pytest.raises(SchemeError, match="no such scheme"):
        load_scheme("miti-9")
