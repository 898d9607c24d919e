import random

from classifiers.augment import augment, noisy
from classifiers.features import UtteranceInContext


def test_noisy_copies_keep_labels_and_context():
    recs = [UtteranceInContext(f"You want things to be calmer at home number {i}.", "practitioner",
                               "It's chaos.", 0, 1) for i in range(200)]
    labels = ["SR"] * 200
    more, more_labels = augment(recs, labels, share=0.5, seed=1)
    assert more[:200] == recs and 60 < len(more) - 200 < 140
    assert set(more_labels) == {"SR"}
    copies = more[200:]
    assert all(c.previous_turn == "It's chaos." and c.role == "practitioner" for c in copies)
    assert any(c.text != r.text for c, r in zip(copies, recs))


def test_augment_is_deterministic():
    recs = [UtteranceInContext("Tell me about the mornings.", "practitioner")] * 20
    assert augment(recs, ["Q"] * 20, seed=3) == augment(recs, ["Q"] * 20, seed=3)


def test_noise_kinds_look_like_speech():
    rng = random.Random(0)
    texts = {noisy(UtteranceInContext("So the evenings are the hardest part for you.", "practitioner"), rng).text
             for _ in range(60)}
    assert any(t.endswith("-") for t in texts)
    assert any(t.startswith("-") for t in texts)
    assert any(t.split()[0].rstrip(",.") in {"Um", "Uh", "So", "Okay", "Yeah", "And", "Right", "Mm-hmm", "Well", "I"}
               for t in texts)
