from pathlib import Path

import pytest

from classifiers.evaluation import against, agreement, calibration, cohen_kappa

ROOT = Path(__file__).resolve().parent.parent


def test_kappa_known_values():
    assert cohen_kappa(list("aabb"), list("aabb")) == 1.0
    # observed 0.5, expected 0.5 -> no better than chance
    assert cohen_kappa(list("abab"), list("aabb")) == 0.0
    # 20 items: 15 agree; marginals a: 10/10 vs 11/9
    a = ["x"] * 10 + ["y"] * 10
    b = ["x"] * 8 + ["y"] * 2 + ["x"] * 3 + ["y"] * 7
    assert cohen_kappa(a, b) == pytest.approx((0.75 - 0.5) / 0.5)


def test_agreement_per_code_and_confusion():
    r = agreement(["Q", "Q", "SR", "GI"], ["Q", "SR", "SR", "GI"])
    assert r.accuracy == 0.75 and r.labels == ["GI", "Q", "SR"]
    assert (r.per_code["Q"].precision, r.per_code["Q"].recall) == (1.0, 0.5)
    assert r.per_code["SR"].precision == 0.5 and r.per_code["SR"].support == 1
    assert r.confusion == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_calibration_error():
    perfect = calibration([True, False] * 50, [0.5] * 100)
    assert perfect["ece"] == 0.0
    overconfident = calibration([True, False] * 50, [0.95] * 100)
    assert overconfident["ece"] == pytest.approx(0.45)


def test_lengths_must_match():
    with pytest.raises(ValueError):
        agreement(["Q"], [])


def test_second_pass_agreement_is_measured_on_shared_utterances():
    results = against(ROOT / "fixtures/corpus/second-pass", ROOT / "fixtures/corpus")
    assert results["practitioner"].n + results["client"].n >= 500
    assert 0 < results["practitioner"].kappa <= 1
