import numpy as np

from classifiers.corpus import read_dialogue, CORPUS_DIR
from classifiers.linear import LinearPipeline
from classifiers.pipeline import build_pipeline
from classifiers.training import in_context


def _fitted(role: str):
    utts = [u for p in sorted(CORPUS_DIR.glob("sg-da-*.csv"))[:10] for u in read_dialogue(p)]
    recs = in_context(utts)
    idx = [i for i, u in enumerate(utts) if u.role == role]
    pipe = build_pipeline().fit([recs[i] for i in idx], [utts[i].code for i in idx])
    held_out = [u for p in sorted(CORPUS_DIR.glob("sg-su-*.csv"))[:3] for u in read_dialogue(p)]
    test = [r for r, u in zip(in_context(held_out), held_out) if u.role == role]
    return pipe, test


def test_arrays_give_the_same_decisions_as_scikit_learn():
    for role in ("practitioner", "client"):
        pipe, test = _fitted(role)
        linear = LinearPipeline.from_sklearn(pipe)
        assert list(linear.classes_) == list(pipe.classes_)
        np.testing.assert_allclose(linear.decision_function(test), pipe.decision_function(test),
                                   rtol=1e-9, atol=1e-9)


def test_round_trip_through_arrays():
    pipe, test = _fitted("client")
    linear = LinearPipeline.from_sklearn(pipe)
    again = LinearPipeline.from_arrays(linear.arrays("client"), "client")
    np.testing.assert_allclose(again.decision_function(test), linear.decision_function(test))
    assert again.parts[0].vocabulary == linear.parts[0].vocabulary
