import pytest

from classifiers.coder import Coder, TurnInput

CONVERSATION = [
    TurnInput("practitioner", "Hiya, thanks for letting me in. How have things been since Tuesday?"),
    TurnInput("client", "Honestly, rubbish. I've not slept and the kids have been off school."),
    TurnInput("practitioner", "You're exhausted. Would it be okay if I told you what school said?"),
    TurnInput("client", "Yeah."),
    TurnInput("", "(She looked at the floor.)", coded=False),
    TurnInput("client", "I want to get them back in on Monday, I will."),
]


def test_every_utterance_gets_code_confidence_source_and_explanation():
    coded = Coder.load().code([CONVERSATION])[0]
    assert len(coded) == len(CONVERSATION)
    assert coded[4] == []  # commentary is kept but not coded
    first = coded[0]
    assert [u.text for u in first] == ["Hiya, thanks for letting me in.",
                                       "How have things been since Tuesday?"]
    assert first[0].code == "NC" and first[1].code == "Q" and first[1].subtype == "open"
    assert coded[2][1].code == "SEEK" and coded[2][1].source == "rule:seek.permission"
    for turn in coded:
        for u in turn:
            assert 0 < u.confidence <= 1
            assert u.source.startswith(("rule:", "model:"))
            assert u.explanation
    text = CONVERSATION[2].text
    for u in coded[2]:
        assert text[u.start:u.end] == u.text


def test_model_codes_what_no_rule_catches():
    coded = Coder.load().code([CONVERSATION])[0]
    reflection = coded[2][0]
    assert reflection.source.startswith("model:")
    assert reflection.code in {"SR", "CR"}
    change = coded[5]
    assert any(u.code == "CHANGE" for u in change)
    assert next(u for u in change if u.code == "CHANGE").subtype in {"desire", "commitment"}


def test_conversations_are_coded_independently_in_one_batch():
    coder = Coder.load()
    both = coder.code([CONVERSATION, CONVERSATION[:2]])
    assert len(both) == 2 and len(both[1]) == 2
    assert [u.code for u in both[1][0]] == [u.code for u in both[0][0]]


def test_each_utterance_is_seen_with_its_neighbours_in_the_turn(monkeypatch):
    coder = Coder.load()
    seen = []
    classify = coder.classify
    monkeypatch.setattr(coder, "classify", lambda records: seen.extend(records) or classify(records))
    coder.code([CONVERSATION])
    at = next(i for i, r in enumerate(seen) if r.text == "You're exhausted.")
    exhausted, permission = seen[at], seen[at + 1]
    assert exhausted.before == ""
    assert exhausted.after == permission.text and permission.before == exhausted.text
    assert permission.after == ""
    assert {"slept", "school", "rubbish"} <= exhausted.heard and "letting" not in exhausted.heard


@pytest.mark.parametrize("text, subtype", [
    ("Nan, how's it been for you, watching all this?", "open"),
    ("Where does that leave you?", "open"),
    ("Talk me through a normal evening.", "open"),
    ("So what sort of things have you been doing together?", "open"),
    ("Where do you live now?", "closed"),
    ("How many cans was it?", "closed"),
    ("How confident are you, out of ten?", "closed"),
    ("Is he in school today?", "closed"),
])
def test_question_subtype_follows_what_the_question_invites(text, subtype):
    coded = Coder.load().code([[TurnInput("practitioner", text)]])[0][0]
    assert [u.code for u in coded] == ["Q"] and coded[0].subtype == subtype


def test_an_interrupted_sentence_is_counted_once():
    """The practitioner's second part takes the first part's code; the client's is not counted again."""
    conv = [TurnInput("practitioner", "Last time we spoke you said you'd been feeling really low since the baby-"),
            TurnInput("client", "Yeah."),
            TurnInput("practitioner", "-was born, and that the nights were the hardest."),
            TurnInput("client", "I really want to stop drinking before the baby-"),
            TurnInput("practitioner", "Mm-hmm."),
            TurnInput("client", "-gets any older, for her sake.")]
    turns = Coder.load().code([conv])[0]
    first, second = turns[0][-1], turns[2][0]
    assert first.code != "NC" and second.source == "rule:continuation"
    assert second.code == first.code
    said, rest = turns[3][-1], turns[5][0]
    assert said.code == "CHANGE"
    assert rest.source == "rule:continuation" and rest.code == "NEUTRAL" and "not counted again" in rest.explanation
