"""Tests for app.roles: who is taken as the practitioner and who as a client."""

import pytest

from app.roles import assign_roles, is_practitioner_label
from app.transcript import Transcript, TranscriptError, Turn


def transcript(*speakers: str, roles: dict[str, str] | None = None) -> Transcript:
    """A transcript with one turn per speaker label, roles pre-set from `roles`."""
    roles = roles or {}
    return Transcript(turns=[Turn(speaker=s, text=f"turn {i}", role=roles.get(s, ""))
                             for i, s in enumerate(speakers)])


def roles_of(t: Transcript) -> dict[str, str]:
    """Speaker label to role."""
    return {u.speaker: u.role for u in t.turns if u.coded}


@pytest.mark.parametrize("label", [
    "Practitioner", "SW", "S.W.", "Social Worker", "social-worker", "Worker", "Me", "P",
    "Therapist", "Counsellor", "Counselor", "Interviewer", "Nurse", "Health Visitor", "HV",
    "Keyworker", "Key worker", "FSW", "Family Support Worker", "Probation Officer", "Officer",
    "IDVA", "Advocate", "Midwife", "Coach", "Doctor", "Dr", "Dr Patel", "Dr. Patel", "SW Amy",
    "Amy (SW)", "Support Worker",
])
def test_practitioner_like_labels(label):
    assert is_practitioner_label(label)


@pytest.mark.parametrize(
    "label", ["Mum", "Dad", "Client", "C", "Sarah", "Sarah P", "Young Person", ""]
)
def test_client_labels(label):
    assert not is_practitioner_label(label)


def test_practitioner_by_label_even_when_not_first():
    t = assign_roles(transcript("Mum", "SW", "Mum"))
    assert [u.role for u in t.turns] == ["client", "practitioner", "client"]


def test_first_speaker_is_the_fallback():
    t = assign_roles(transcript("Sarah", "Jo", "Sarah"))
    assert roles_of(t) == {"Sarah": "practitioner", "Jo": "client"}


def test_several_clients():
    t = assign_roles(transcript("Mum", "Health Visitor", "Dad", "Nan", "Kayden"))
    assert roles_of(t) == {"Mum": "client", "Health Visitor": "practitioner", "Dad": "client",
                           "Nan": "client", "Kayden": "client"}


def test_practitioner_override_is_case_insensitive():
    t = assign_roles(transcript("SW", "Sarah", "Jo"), practitioner=" sarah ")
    assert roles_of(t) == {"SW": "client", "Sarah": "practitioner", "Jo": "client"}


def test_unknown_practitioner_override_lists_speakers():
    with pytest.raises(TranscriptError, match=r"'Amy' is not a speaker.*found: 'Mum', 'SW'\.$"):
        assign_roles(transcript("Mum", "SW"), practitioner="Amy")


def test_commentary_turns_get_no_role():
    t = Transcript(turns=[Turn("", "(quiet)", coded=False), Turn("Mum", "Hi"), Turn("SW", "Hello")])
    t = assign_roles(t)
    assert [u.role for u in t.turns] == ["", "client", "practitioner"]


def test_preset_roles_are_kept():
    preset = {"client": "client", "practitioner": "practitioner"}
    t = assign_roles(transcript("client", "practitioner", roles=preset), practitioner="nobody")
    assert roles_of(t) == {"client": "client", "practitioner": "practitioner"}


def test_preset_practitioner_stops_the_first_speaker_fallback():
    t = assign_roles(transcript("Mum", "Amy", "Dad", roles={"Amy": "practitioner"}))
    assert roles_of(t) == {"Mum": "client", "Amy": "practitioner", "Dad": "client"}


def test_mixed_preset_and_labels():
    t = assign_roles(transcript("client", "SW", roles={"client": "client"}))
    assert roles_of(t) == {"client": "client", "SW": "practitioner"}


def test_input_is_not_changed():
    original = transcript("SW", "Mum")
    assign_roles(original)
    assert [u.role for u in original.turns] == ["", ""]
