from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.segmenter import segmenter, split_utterances


def _texts(text: str) -> list[str]:
    return [text[a:b] for a, b in split_utterances([text])[0]]


def test_sentences_become_utterances_with_offsets():
    text = "You've had a hard week. What's been hardest?"
    spans = split_utterances([text])[0]
    assert [text[a:b] for a, b in spans] == ["You've had a hard week.", "What's been hardest?"]
    assert spans[0][0] == 0 and spans[1][1] == len(text)


def test_filler_joins_the_next_sentence_but_backchannels_stay():
    assert _texts("Um. So you want him home.") == ["Um. So you want him home."]
    assert _texts("Mm-hmm.") == ["Mm-hmm."]
    assert _texts("Okay. Tell me more.") == ["Okay.", "Tell me more."]


def test_empty_and_punctuation_only_turns_have_no_utterances():
    assert split_utterances(["", "   ", " ... "]) == [[], [], []]


def test_registered_component_is_in_the_pipeline():
    assert segmenter().pipe_names == ["sentencizer", "mifi_utterances_v1"]


def test_single_sentence_shortcut_gives_the_pipelines_spans():
    texts = ["Yeah.", "Mm-hmm", 'He said "no."', "Ok?!", "Wait… what", " lead", "trail  ",
             "Yes.  ", "A\nB. C", "Hard. [", "So- and then-", "(laughs)", "Right?”"]
    assert split_utterances(texts) == [list(d._.utterances) for d in segmenter().pipe(texts)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab .?!…\"')]”’[\n-,", max_size=30), max_size=8))
def test_split_utterances_matches_the_registered_component(texts):
    assert split_utterances(texts) == [list(d._.utterances) for d in segmenter().pipe(texts)]
