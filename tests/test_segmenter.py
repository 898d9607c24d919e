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
