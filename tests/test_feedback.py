import subprocess
import sys

from app.coding import CodedSession, CodedTurn
from app.feedback import (
    SECTION_KEYS, autonomy_rewrite, build_feedback, open_question, permission_rewrite, reflect,
)
from app.scheme import load_scheme
from app.scoring import score_session
from app.transcript import Turn
from classifiers.coder import Utterance


def said(text: str, code: str, subtype: str = "", confidence: float = 0.9) -> Utterance:
    return Utterance(text, 0, len(text), code, subtype, confidence, "test", "")


def session(*turns: tuple[str, list[Utterance]]) -> CodedSession:
    cturns = [CodedTurn(Turn("SW" if role == "practitioner" else "Mum", " ".join(u.text for u in us), role),
                        us) for role, us in turns]
    scores = score_session([(c.turn.role, c.utterances) for c in cturns], load_scheme())
    return CodedSession("1", cturns, scores)


MIXED = session(
    ("practitioner", [said("Did you get him to school on time today?", "Q", "closed")]),
    ("client", [said("No, I just can't get him up in the mornings.", "SUSTAIN")]),
    ("practitioner", [said("You need to set an alarm for half seven.", "PERSUADE")]),
    ("client", [said("I want him to do better than I did at school.", "CHANGE")]),
    ("practitioner", [said("Are you going to bed late yourself?", "Q", "closed")]),
    ("client", [said("Sometimes. The baby keeps me up.", "NEUTRAL")]),
    ("practitioner", [said("The school say he has been late eleven times.", "GI")]),
    ("client", [said("I'm going to try the bags the night before.", "CHANGE")]),
    ("practitioner", [said("Doing his bag the night before is a real plan you made yourself.", "AF"),
                      said("Wanting more for him than you had drives you.", "CR")]),
)


def test_strengths_quote_the_practitioners_own_words():
    fb = build_feedback(MIXED)
    assert 1 <= len(fb.strengths) <= 3
    titles = [s.title for s in fb.strengths]
    assert "Complex reflections" in titles and "Affirming" in titles
    quoted = {q.text for s in fb.strengths for q in s.quotes}
    assert "Wanting more for him than you had drives you." in quoted


def test_growth_areas_have_the_practitioners_utterances_and_rewrites():
    fb = build_feedback(MIXED)
    assert 2 <= len(fb.growth_areas) <= 3
    by_title = {g.title: g for g in fb.growth_areas}
    persuade = by_title["Persuading to emphasising autonomy"]
    assert persuade.rewrites[0].original.text == "You need to set an alarm for half seven."
    assert "your decision" in persuade.rewrites[0].suggestion
    closed = by_title["Closed questions to open questions or reflections"]
    assert {r.original.text for r in closed.rewrites} == {
        "Did you get him to school on time today?", "Are you going to bed late yourself?"}
    assert all("open question" in r.suggestion for r in closed.rewrites)


def test_missed_change_talk_is_listed_with_what_came_next():
    fb = build_feedback(MIXED)
    assert fb.change_talk_total == 2
    missed = [m.client.text for m in fb.change_talk]
    assert missed == ["I want him to do better than I did at school."]  # the second was reflected
    assert fb.change_talk[0].next_said == "Are you going to bed late yourself?"
    assert fb.change_talk[0].suggestion == "“You want him to do better than you did at school.”"


def test_questions_for_supervision_use_the_session():
    fb = build_feedback(MIXED, change_goals="getting him to school on time")
    assert 2 <= len(fb.questions) <= 3
    assert any("I want him to do better than I did at school" in q for q in fb.questions)
    assert any("getting him to school on time" in q for q in fb.questions)


def test_sections_are_plain_text_for_editing():
    sections = build_feedback(MIXED).as_sections()
    assert list(sections) == list(SECTION_KEYS)
    assert "“You need to set an alarm for half seven.”" in sections["growth_areas"]
    assert all(isinstance(v, str) and v for v in sections.values())


def test_an_empty_session_still_gives_honest_feedback():
    fb = build_feedback(session(("practitioner", [said("Hello.", "NC")])))
    assert fb.strengths == () and fb.growth_areas == () and fb.change_talk_total == 0
    assert "No client change talk" in fb.as_sections()["change_talk"]


def test_rewrites():
    assert reflect("Yeah. I just don't know how to make the mornings work.") == \
        "You just don't know how to make the mornings work."
    assert reflect("I was scared of him.") == "You were scared of him."
    assert reflect("The chart might work.") == "It sounds like the chart might work."
    assert open_question("Did you go to the appointment?") == "What are your thoughts about the appointment?"
    assert open_question("Do you want to stop?") == "What would it mean for you to stop?"
    assert autonomy_rewrite("You should ring the school.").startswith("It's your decision")
    assert "ring the school" in autonomy_rewrite("You should ring the school.")
    assert "Would it be all right" in permission_rewrite("The test was positive.")


def test_feedback_never_imports_the_web_layer():
    code = "import sys, app.feedback; print(any(m.split('.')[0] in ('fastapi', 'starlette') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_weak_session_still_gets_two_strengths_from_its_own_words():
    weak = session(
        ("practitioner", [said("Did he go to school today?", "Q", "closed")]),
        ("client", [said("No.", "NEUTRAL")]),
        ("practitioner", [said("I'm worried he has missed eleven days this term.", "GI"),
                          said("You need to get him up earlier.", "PERSUADE")]),
    )
    fb = build_feedback(weak)
    assert [s.title for s in fb.strengths] == ["Clear about concerns", "Keeping the conversation going"]
    assert fb.strengths[0].quotes[0].text == "I'm worried he has missed eleven days this term."


def test_a_strong_session_still_gets_growth_areas_from_its_own_words():
    strong = session(
        ("practitioner", [said("What would you like to talk about today?", "Q", "open")]),
        ("client", [said("I want to keep the routine going in the holidays.", "CHANGE")]),
        ("practitioner", [said("You know what works for your family.", "EMPHASIZE")]),
        ("client", [said("I do. Bedtime at eight.", "NEUTRAL")]),
        ("practitioner", [said("Keeping Kayden's routine really matters to you.", "CR")]),
    )
    fb = build_feedback(strong, change_goals="Getting Kayden to school on time")
    titles = [g.title for g in fb.growth_areas]
    assert titles == ["Reflecting change talk", "Evoking change talk"]
    first = fb.growth_areas[0].rewrites[0]
    assert first.original.text == "You know what works for your family."
    assert "You want to keep the routine going in the holidays." in first.suggestion
    assert "getting Kayden to school on time" in fb.growth_areas[1].rewrites[0].suggestion
