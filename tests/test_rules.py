import json

import pytest

from classifiers.rules import RuleError, first_match, load_rules, rules_for


@pytest.mark.parametrize("text, code, subtype", [
    ("Mm-hmm.", "NC", ""),
    ("Okay, great.", "NC", ""),
    ("Hiya, thanks for seeing me.", "NC", ""),
    ("Would it be okay if I shared what the school told me?", "SEEK", ""),
    ("What would you like to focus on today?", "SEEK", ""),
    ("It's your decision whether you go to the group.", "EMPHASIZE", ""),
    ("You know your children better than anyone.", "EMPHASIZE", ""),
    ("It took real courage to ring the police that night.", "AF", ""),
    ("You're in denial about the drinking.", "CONFRONT", ""),
    ("Carry on like this and you'll lose the kids.", "CONFRONT", ""),
    ("You need to stop letting him in.", "PERSUADE", ""),
    ("Tell me about the mornings.", "Q", "open"),
    ("What's a typical evening like?", "Q", "open"),
    ("How many drinks is that?", "Q", "closed"),
    ("Did Jayden go to nursery today?", "Q", "closed"),
    ("So what made you decide to ring us?", "Q", "open"),
    ("It's been a hard week, hasn't it?", "Q", "closed"),
    ("Um, what would you say to meeting again in two weeks", "Q", ""),
    ("Do you have a moment to talk", "Q", ""),
    ("Yeah, say something more about that.", "Q", "open"),
    ("On a scale of nought to ten, how important is it", "Q", "closed"),
    ("And I guess I wonder whether that makes the evenings harder.", "Q", "closed"),
])
def test_practitioner_rules(text, code, subtype):
    rule = first_match(text, "practitioner")
    assert rule is not None, text
    assert (rule.code, rule.subtype) == (code, subtype)


@pytest.mark.parametrize("text", [
    "The conference is on the fourteenth.",
    "He was off school three days last week.",
])
def test_no_rule_for_what_rules_cannot_decide(text):
    assert first_match(text, "practitioner") is None


@pytest.mark.parametrize("text, rule_id, codes", [
    ("What I'm hearing is that you're worn out?", "form.reflection_stem", ("SR", "CR")),
    # "what" after a comma asks a question, but not when it opens a reflection stem
    ("So, what you're saying is you've had a rough night?", "form.reflection_stem", ("SR", "CR")),
    ("It sounds like the evenings are the hardest.", "form.reflection_stem", ("SR", "CR")),
    ("So he just walked out?", "form.question_mark", ("Q", "SR", "CR")),
    ("So you've had enough of the arguments.", "form.so_you_statement", ("SR", "CR")),
])
def test_narrowing_rules_leave_the_choice_to_the_model(text, rule_id, codes):
    rule = first_match(text, "practitioner")
    assert (rule.id, rule.codes, rule.decides) == (rule_id, codes, False)


def test_a_question_mark_prefers_question():
    rule = first_match("Inner peace is number two?", "practitioner")
    assert rule.prefer == "Q" and rule.code == "Q"


def test_client_backchannel_is_neutral():
    assert first_match("Yeah.", "client").code == "NEUTRAL"
    assert first_match("I want them home.", "client") is None


def test_shipped_rules_have_unique_ids_and_explanations():
    for role in ("practitioner", "client"):
        ids = [r.id for r in rules_for(role)]
        assert len(ids) == len(set(ids)) and all(r.explanation for r in rules_for(role))


@pytest.mark.parametrize("line, problem", [
    ("{not json", "not valid JSON"),
    (json.dumps({"id": "x", "code": "Q", "explanation": "e"}), "missing field"),
    (json.dumps({"id": "x", "code": "Q", "regex": "(", "explanation": "e"}), "bad regex"),
    (json.dumps({"id": "x", "code": "CHANGE", "regex": "a", "explanation": "e"}), "not a practitioner code"),
    (json.dumps({"id": "x", "code": "Q", "regex": "a", "explanation": "e", "confidence": 2}), "confidence"),
    (json.dumps({"id": "x", "code": "Q", "codes": ["Q"], "regex": "a", "explanation": "e"}), "either"),
    (json.dumps({"id": "x", "codes": ["Q", "SR"], "prefer": "GI", "regex": "a", "explanation": "e"}), "prefer"),
])
def test_broken_pattern_file_names_the_line(tmp_path, line, problem):
    p = tmp_path / "practitioner.jsonl"
    p.write_text(json.dumps({"id": "ok", "code": "NC", "regex": "^hi$", "explanation": "e"}) + "\n" + line + "\n",
                 encoding="utf-8")
    with pytest.raises(RuleError, match=f"practitioner.jsonl:2: .*{problem}"):
        load_rules(p, "practitioner")
