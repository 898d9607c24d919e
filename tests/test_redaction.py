import importlib.util
import json
import re
from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from app import redaction
from app.redaction import (
    KINDS,
    RedactionSettings,
    find_identifiers,
    given_names,
    nhs_check_digit_ok,
    redact,
    redact_text,
)
from app.transcript import Transcript, Turn

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "redaction" / "snippets.jsonl"


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "redaction_recall", ROOT / "benchmarks" / "redaction_recall.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _session(*turns: tuple[str, str], **metadata: str) -> Transcript:
    return Transcript(
        turns=[Turn(speaker=s, text=t, role="", turn_id=str(i)) for i, (s, t) in enumerate(turns)],
        metadata=dict(metadata),
    )


# -- each kind


def test_phone_numbers_in_common_spacings_become_placeholders():
    for number in ("07700 900123", "07700900123", "07700 900 123", "07700-900-123",
                   "+44 7700 900123", "+44 (0)7700 900 123", "0044 7700 900123",
                   "0113 496 0457", "(0113) 496 0457", "020 7946 0213", "01632 960981"):
        assert redact_text(f"Ring me on {number} tomorrow.") == "Ring me on [PHONE] tomorrow."


def test_numbers_that_are_not_phones_stay():
    for text in ("It was 07:45 and the kids were still in bed.", "We owe £1,200 on the catalogue.",
                 "It was section 47 so they came out.", "He's 14 and in year 10.",
                 "The reference is 0051 2234 9987 7612.", "I'm a 7 out of 10 today.",
                 "She's in room 204.", "The case number is 4471-22."):
        assert redact_text(text) == text


def test_email_addresses_become_placeholders():
    assert redact_text("Send it to kayleigh.b92@example.co.uk please.") == "Send it to [EMAIL] please."
    assert redact_text("Is it S.Khan@example.gov.uk?") == "Is it [EMAIL]?"
    assert redact_text("it's dean dot w at example dot com") == "it's [EMAIL]"


def test_postcodes_in_sentences_become_placeholders():
    assert redact_text("She's moved to LS9 8ZZ now.") == "She's moved to [POSTCODE] now."
    assert redact_text("the new place is bd7 2lh i think") == "the new place is [POSTCODE] i think"
    assert redact_text("We cover BD5, BD7 1AB and BD8 9EJ.") == \
        "We cover [POSTCODE], [POSTCODE] and [POSTCODE]."
    assert redact_text("We got the A1 and then the M62.") == "We got the A1 and then the M62."


def test_nhs_numbers_formatted_or_with_a_valid_check_digit():
    assert nhs_check_digit_ok("9434765919")
    assert not nhs_check_digit_ok("9434765918")
    assert redact_text("NHS number 943 476 5919.") == "NHS number [NHS NUMBER]."
    assert redact_text("Number 999-123-4561 on the letter.") == "Number [NHS NUMBER] on the letter."
    assert redact_text("It's 9434765919 on the red book.") == "It's [NHS NUMBER] on the red book."
    assert redact_text("The meter number is 7392015584.") == "The meter number is 7392015584."
    assert redact_text("His NHS one is 7392015584.") == "His NHS one is [NHS NUMBER]."


def test_dates_of_birth_and_other_dates():
    assert redact_text("She was born on 14 March 2016 at the LGI.") == \
        "She was born on [DATE OF BIRTH] at the LGI."
    assert redact_text("DOB: 02/11/2015") == "DOB: [DATE OF BIRTH]"
    assert redact_text("Her birthday's the 14th of February.") == "Her birthday's [DATE OF BIRTH]."
    assert redact_text("He was born in 2015, and in 2019 we moved.") == \
        "He was born in [DATE OF BIRTH], and in 2019 we moved."
    assert redact_text("14/03/2016 is her date of birth.") == "[DATE OF BIRTH] is her date of birth."
    # a full date without a cue is redacted too, as [DATE]; dates without a year stay
    assert redact_text("The hearing is on 12/05/2025.") == "The hearing is on [DATE]."
    for text in ("The review is on 14 March.", "Back in 2019 it was different.",
                 "I've been clean since June.", "He was born at 32 weeks.",
                 "We met on the 3rd and the 17th.", "My birthday was last week."):
        assert redact_text(text) == text


def test_street_addresses_and_flat_numbers():
    assert redact_text("We live at 14 Acacia Road, LS9 8ZZ.") == "We live at [ADDRESS], [POSTCODE]."
    assert redact_text("Flat 12, 3 Mill Lane is damp.") == "[ADDRESS] is damp."
    assert redact_text("I'm at Flat 7, Kestrel Court.") == "I'm at [ADDRESS]."
    assert redact_text("She's on Hawthorn Drive now.") == "She's on [ADDRESS] now."
    assert redact_text("her mum lives at 22 brook street now") == "her mum lives at [ADDRESS] now"
    assert redact_text("We've had 2 Family Court hearings.") == "We've had 2 Family Court hearings."


# -- names


def test_names_found_in_text_by_list_and_case():
    assert redact_text("I spoke to Jayden about it.") == "I spoke to [PERSON 1] about it."
    assert redact_text("me and kayden went to the park") == "me and [PERSON 1] went to the park"
    assert redact_text("Sarah Jones rang.") == "[PERSON 1] rang."


def test_names_after_cues_even_when_not_in_the_list():
    assert redact_text("My son Zebedee is nine.") == "My son [CHILD 1] is nine."
    assert redact_text("Her partner, Quillon, works nights.") == "Her partner, [ADULT 1], works nights."
    assert redact_text("A lad called Brannoch keeps coming round.") == \
        "A lad called [PERSON 1] keeps coming round."
    assert redact_text("I rang Mrs Okonkwo at school.") == "I rang Mrs [ADULT 1] at school."
    assert redact_text("The twins, Jack and Harry, are in year 2.") == \
        "The twins, [CHILD 1] and [CHILD 2], are in year 2."


def test_cue_words_that_name_things_are_not_cues():
    for text in ("All the Child Benefit goes in the joint account.",
                 "There's a service called Talking Therapies.", "She called me last night.",
                 "I called Social Services.", "Mum said no."):
        assert redact_text(text) == text


def test_names_that_are_words_keep_their_word_sense():
    for text in ("Will you tell me a bit more about that?", "I hope that the review goes well.",
                 "May I share something other parents have told me?",
                 "You've got a lot of faith in yourself.", "Bill paying is the hardest part.",
                 "By the grace of God we got through it.", "Mark my words, he'll be back.",
                 "Rose tinted glasses, my nan says.", "I'm up at dawn with the baby.",
                 "Hope is all I've got left.", "I will try, I honestly will.",
                 "He said the Family Court would decide in May.",
                 "The last time I saw him was Christmas Eve.", "It was a frank chat."):
        assert redact_text(text) == text


def test_names_that_are_words_are_names_in_name_context():
    assert redact_text("I spoke to Grace yesterday.") == "I spoke to [PERSON 1] yesterday."
    assert redact_text("My daughter Hope is six.") == "My daughter [CHILD 1] is six."
    assert redact_text("Faith said she'd come.") == "[PERSON 1] said she'd come."
    assert redact_text("Will's been sleeping better.") == "[PERSON 1]'s been sleeping better."
    assert redact_text("Rose and Holly are my sister's kids.") == \
        "[PERSON 1] and [PERSON 2] are my sister's kids."


def test_role_words_are_never_names():
    for text in ("Mum and Dad have been supportive, my nan too.", "Nan picks them up on a Wednesday.",
                 "The SW said I had to stop.", "Thanks, Mum.", "My keyworker is brilliant."):
        assert redact_text(text) == text


def test_vocatives_and_reporting_verbs_mark_unlisted_names():
    assert redact_text("Hiya Zedra, how are you?") == "Hiya [PERSON 1], how are you?"
    assert redact_text("What do you think, Zedra?") == "What do you think, [PERSON 1]?"
    assert redact_text("Then Zedra said no.") == "Then [PERSON 1] said no."


def test_child_adult_and_person_placeholders():
    out = redact_text("My son Kayden and my partner Jake saw Priya. Kayden's nine.")
    assert out == "My son [CHILD 1] and my partner [ADULT 1] saw [PERSON 1]. [CHILD 1]'s nine."
    assert redact_text("Tyler is 6 and Sarah is 30.") == "[CHILD 1] is 6 and [PERSON 1] is 30."


def test_same_name_same_placeholder_in_one_transcript():
    t = _session(("SW", "How is Tyler getting on?"), ("Mum", "my son tyler is fine"),
                 ("SW", "And Amy?"), ("Mum", "Amy's fine. Tyler Smith, he's the worry."))
    out = [turn.text for turn in redact(t).turns]
    assert out == ["How is [CHILD 1] getting on?", "my son [CHILD 1] is fine", "And [PERSON 1]?",
                   "[PERSON 1]'s fine. [CHILD 1], he's the worry."]


def test_speaker_labels_that_are_names_are_replaced_and_role_labels_kept():
    t = _session(("Amy (SW)", "Hi Sarah, thanks for having me."), ("Sarah", "That's fine, Amy."),
                 ("Mum", "I'm her mum."), ("Dad", "Yeah."), ("Worker", "OK."),
                 ("Practitioner", "Right."), ("Client", "Yes."), ("Nan", "Tea?"), ("P", "Go on."),
                 ("C", "Fine."), ("Speaker 1", "Hello."), ("Dr Patel", "Hello."))
    out = redact(t)
    assert [u.speaker for u in out.turns] == [
        "[ADULT 1] (SW)", "[ADULT 2]", "Mum", "Dad", "Worker", "Practitioner", "Client", "Nan",
        "P", "C", "Speaker 1", "Dr [ADULT 3]"]
    assert out.turns[0].text == "Hi [ADULT 2], thanks for having me."
    assert out.turns[1].text == "That's fine, [ADULT 1]."


def test_redact_returns_a_new_transcript_and_keeps_the_rest():
    t = _session(("Sarah", "Ring me on 07700 900123."), ("SW", "Thanks."), file="sarah_notes.docx")
    t.turns[1].role = "practitioner"
    t.turns[1].coded = False
    out = redact(t)
    assert out is not t and out.turns[0] is not t.turns[0]
    assert t.turns[0].speaker == "Sarah" and t.turns[0].text == "Ring me on 07700 900123."
    assert out.turns[0].text == "Ring me on [PHONE]."
    assert (out.turns[1].role, out.turns[1].coded, out.turns[1].turn_id) == ("practitioner", False, "1")
    assert out.metadata["file"] == "[ADULT 1]_notes.docx"
    assert out.session_id == t.session_id and out.source == t.source


def test_names_given_with_the_session():
    t = _session(("SW", "How are Zebedee and Quillon? zebedee seemed quiet."))
    out = redact(t, names=["Zebedee Farrow", "Quillon"])
    assert out.turns[0].text == "How are [PERSON 1] and [PERSON 2]? [PERSON 1] seemed quiet."
    assert redact_text("Farrow rang.", names=["Zebedee Farrow"]) == "[PERSON 1] rang."
    # a given name that is also a word is not redacted as a lower-case word
    assert redact_text("I will ask Will.", names=["Will"]) == "I will ask [PERSON 1]."


def test_settings_turn_kinds_off():
    text = "Sarah's on 07700 900123 or s@example.com at 14 Acacia Road, LS9 8ZZ, DOB 02/11/2015."
    assert redact_text(text, settings=RedactionSettings.off()) == text
    assert redact_text(text, settings=RedactionSettings(phones=False)) == \
        "[PERSON 1]'s on 07700 900123 or [EMAIL] at [ADDRESS], [POSTCODE], DOB [DATE OF BIRTH]."
    assert redact_text(text, settings=RedactionSettings.only("email", "postcode")) == \
        "Sarah's on 07700 900123 or [EMAIL] at 14 Acacia Road, [POSTCODE], DOB 02/11/2015."
    assert redact_text("On 12/05/2025.", settings=RedactionSettings(other_dates=False)) == "On 12/05/2025."
    t = _session(("Sarah", "Hi."))
    assert redact(t, settings=RedactionSettings(names=False)).turns[0].speaker == "Sarah"
    with pytest.raises(ValueError):
        RedactionSettings.only("shoe size")


def test_find_identifiers_reports_offsets_kinds_and_placeholders():
    text = "My son Kayden's on 07700 900123."
    found = find_identifiers(text)
    assert [(text[r.start:r.end], r.kind, r.placeholder) for r in found] == [
        ("Kayden", "name", "[CHILD 1]"), ("07700 900123", "phone", "[PHONE]")]


def test_name_list_is_large_and_free_of_role_words():
    names = given_names()
    assert len(names) >= 1500
    assert {"sarah", "kayden", "muhammad", "zofia", "chukwuemeka"} <= set(names)
    assert not {"mum", "dad", "nan", "nana", "gran", "sw", "baby"} & set(names)
    assert set(names.values()) <= {"", "word", "month", "place"}
    assert names["will"] == "word" and names["may"] == "month" and names["sarah"] == ""


# -- the fixture and its recall floor


def test_fixture_is_well_formed():
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 240
    assert sum(r["batch"] == "fresh" for r in rows) == 40
    for r in rows:
        for s in r["spans"]:
            assert s["kind"] in KINDS
            assert 0 <= s["start"] < s["end"] <= len(r["text"])
            assert r["text"][s["start"]:s["end"]].strip() == r["text"][s["start"]:s["end"]]


def test_recall_floor_on_the_fixture():
    bench = _benchmark()
    rows = bench.load(FIXTURE)
    for batch in ("tuning", "fresh"):
        s = bench.score([r for r in rows if r["batch"] == batch])
        recall = {k: s["caught"][k] / s["annotated"][k] for k in KINDS}
        assert recall["name"] >= 0.85, (batch, recall)
        structured = sum(s["caught"][k] for k in bench.STRUCTURED) / sum(
            s["annotated"][k] for k in bench.STRUCTURED)
        assert structured >= 0.95, (batch, recall)
    whole = bench.score(rows)
    for kind in bench.STRUCTURED:
        assert whole["caught"][kind] / whole["annotated"][kind] >= 0.95, kind


# -- properties

_PLACEHOLDER = re.compile(r"\[(?:CHILD|ADULT|PERSON) \d+\]")
_PIECES = st.sampled_from([
    "07700 900123", "0113 496 0457", "+44 ", "(0)", "943 476 5919", "9434765919", "LS9 8ZZ",
    "14/03/2016", "born ", "DOB ", " 14 March 2016", "Flat 3, ", "14 Acacia Road", "Sarah",
    "my son ", "Will", "May ", "s@example.com", " ", ", ", ".", "\n", "1", "22", "0", "-", "/",
    "Mrs ", "called ", "'s", "the 3rd", "2019", "£1,200",
])


def _digit_runs(text: str) -> list[str]:
    return re.findall(r"\d+", _PLACEHOLDER.sub("\x00", text))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=25).map("".join)))
def test_redact_text_never_raises_nor_grows_a_digit_sequence(text):
    out = redact_text(text)
    before = set(re.findall(r"\d+", text))
    assert all(run in before for run in _digit_runs(out))


# -- a trained spaCy pipeline adds PERSON and GPE entities


def test_entities_from_a_pipeline_are_added(monkeypatch):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Zorba"}, {"label": "GPE", "pattern": "Wetherby"}])
    monkeypatch.setattr(redaction, "_trained_pipeline", lambda: nlp)
    assert redact_text("Zorba moved to Wetherby last year.") == "[PERSON 1] moved to [PLACE] last year."
    assert redact_text("Zorba moved to Wetherby.", settings=RedactionSettings(model_entities=False)) == \
        "Zorba moved to Wetherby."


def test_trained_pipeline_when_installed():
    if redaction._trained_pipeline() is None:
        pytest.skip("no trained spaCy English pipeline installed")
    assert "[PERSON" in redact_text("Yesterday Bartholomew Okoro told me the news.")
