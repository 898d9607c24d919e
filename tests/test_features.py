from classifiers.features import Hearing, UtteranceInContext, hand_features


def test_reflection_cues_come_from_the_clients_last_turn():
    u = UtteranceInContext("You're worried about the mornings.", "practitioner",
                           "The mornings are the worst, I'm always late.")
    f = hand_features(u)
    assert f["overlap_any"] == 1.0 and f["cue:you_start"] == 1.0
    assert hand_features(UtteranceInContext("You're worried.", "practitioner",
                                            "It rained all week."))["overlap_any"] == 0.0


def test_the_utterance_before_in_the_same_turn_is_seen():
    alone = hand_features(UtteranceInContext("What happened next?", "practitioner"))
    after = hand_features(UtteranceInContext("What happened next?", "practitioner", "", 1, 2,
                                             "Did he come round?"))
    assert "before_question" not in alone
    assert after["before_question"] == 1.0


def test_declarative_questions_are_told_apart_by_length_and_restating():
    short = hand_features(UtteranceInContext("Four cans?", "practitioner", "Four cans, maybe."))
    long = hand_features(UtteranceInContext(
        "So the drinking helps you switch off after the kids are in bed?", "practitioner",
        "It's the only way I switch off once the kids are in bed."))
    asked = hand_features(UtteranceInContext("Do you drink every night?", "practitioner"))
    assert "declarative_question:short" in short
    assert "declarative_question:long:restating" in long
    assert not any(k.startswith("declarative_question") for k in asked)


def test_client_answers_know_what_the_practitioner_asked_for():
    why = UtteranceInContext("Money, for one.", "client", "Okay. What are your reasons for cutting down?")
    good = UtteranceInContext("It helps me relax.", "client", "What do you like about smoking?")
    assert hand_features(why).get("prev:asks_change") == 1.0
    assert hand_features(good).get("prev:asks_good_side") == 1.0
    assert "prev:asks_change" not in hand_features(good)
    practitioner = UtteranceInContext("Money.", "practitioner", "What are your reasons?")
    assert not any(k.startswith("prev:") for k in hand_features(practitioner))


def test_the_neighbouring_utterances_in_the_turn_colour_a_you_sentence():
    """A "you" sentence between pieces of advice is seen with them; each role has its own cues."""
    text = "You could lose the flat."
    among_advice = hand_features(UtteranceInContext(
        text, "practitioner", "I'm fine.", 1, 3, "You need to pay the rent first.",
        "There are people who can help with the arrears."))
    alone = hand_features(UtteranceInContext(text, "practitioner", "I'm fine."))
    assert among_advice["before:advice"] == 1.0 and among_advice["after:info"] == 1.0
    assert not any(k.startswith(("before:", "after:")) for k in alone)
    client = hand_features(UtteranceInContext("I like a drink.", "client", "", 0, 2, "",
                                              "But I want to stop."))
    assert client["after:desire"] == 1.0 and client["after:but"] == 1.0
    assert "after:advice" not in client


def test_a_sentence_made_of_the_clients_recent_words_is_told_from_new_content():
    heard = frozenset({"drinking", "weekends", "mates", "money"})
    echo = hand_features(UtteranceInContext("The drinking is weekends with your mates.",
                                            "practitioner", "Yeah.", heard=heard))
    new = hand_features(UtteranceInContext("Alcohol raises blood pressure over time.",
                                           "practitioner", "Yeah.", heard=heard))
    assert echo["heard_share"] == 1.0 and echo["heard_most"] == 1.0
    assert new["heard_none"] == 1.0 and new["heard_share"] == 0.0
    client = hand_features(UtteranceInContext("Drinking at weekends, yeah.", "client", heard=heard))
    assert not any(k.startswith("heard_") for k in client)


def test_hearing_keeps_the_last_turn_and_the_last_few_turns_words_of_each_speaker():
    hearing = Hearing(turns=2)
    for text in ("School was awful.", "The bus was late.", "Nobody listened."):
        hearing.add("client", text)
    hearing.add("practitioner", "Tell me about breakfast.")
    assert hearing.words_of("client") == {"bus", "late", "nobody", "listened"}
    assert hearing.words_of("practitioner") == {"tell", "breakfast"}
    assert hearing.words_of("nobody") == frozenset()
    assert hearing.last_turn("practitioner") == "Tell me about breakfast."
    assert hearing.last_turn("client") == ""  # the practitioner has spoken since
