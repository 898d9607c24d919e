"""Properties of every parser, the segmenter, the coder and redaction on arbitrary and damaged input.

Whatever comes in, a parser returns transcripts whose coded turns have a known role and no
stray control characters, or raises TranscriptError with a short one-line message; nothing
else. Utterance offsets always index into their turn's text.
"""

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.decoding import strip_controls
from app.parsers import (
    file_label,
    parse_csv,
    parse_docx,
    parse_srt,
    parse_txt,
    parse_vtt,
    read_bytes,
    read_text,
)
from app.redaction import PLACEHOLDERS, find_identifiers, redact, redact_text
from app.transcript import Transcript, TranscriptError
from classifiers.coder import CODE_NAMES, TurnInput
from classifiers.segmenter import MAX_CHUNK, split_utterances
from tests.test_parsers import docx_bytes

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.iterdir() if p.name != "README.md")
SUFFIXES = ["", ".txt", ".md", ".docx", ".vtt", ".srt", ".csv"]
PARSERS = [parse_txt, parse_docx, parse_vtt, parse_srt, parse_csv]
ROLES = {"practitioner", "client"}
PRACTITIONER_CODES = {"GI", "PERSUADE", "PERSUADE_WITH_PERMISSION", "Q", "SR", "CR", "AF", "SEEK",
                      "EMPHASIZE", "CONFRONT", "NC"}
CLIENT_CODES = {"CHANGE", "SUSTAIN", "NEUTRAL"}
PLACEHOLDER = re.compile(r"\[(?:CHILD|ADULT|PERSON) \d+\]|"
                         + "|".join(re.escape(p) for p in PLACEHOLDERS.values()))
STRAY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # control characters other than tab, newline
MAX_MESSAGE = 500
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that trip parsers: line breaks of every kind, BOMs, NULs, lone surrogates, RTL and
# combining marks, emoji, format markers, and a very long word.
AWKWARD_PIECES = [
    "SW: ", "Mum: ", "[Mum] ", "Sarah: ", "**SW**: ", "10:32 ", "(quiet)", "Note: ", "\n", "\r",
    "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\0", "\x1b[31m", "\ufeff", "\ud800",
    "\udfff", "\u202e", "\u200f", "שלום", "مرحبا بك", "😀", "👨‍👩‍👧", "e\u0301\u0301", "?", ". ", "Um. ",
    "- ", "—", "[", "]", "(", ")", ":", "\t", "  ", "WEBVTT\n\n", "00:00:01.000 --> 00:00:02.000\n",
    "1\n00:00:01,000 --> 00:00:02,000\n", "<v Sarah>", "</v>", "&amp;", '"', ",",
    "session_id,turn,speaker,text\n", "transcript_id,utterance_id,interlocutor,utterance_text\n",
    "w" * 5000,
]
AWKWARD = st.sampled_from(AWKWARD_PIECES)
TEXT = st.lists(st.one_of(AWKWARD, st.text(max_size=30)), max_size=30).map("".join)
ENCODED = st.tuples(TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252",
                                           "latin-1", "utf-32"])).map(
    lambda te: te[0].encode(te[1], "replace"))
DATA = st.one_of(st.binary(max_size=400), ENCODED)


def check_message(error: TranscriptError) -> str:
    """A user message: non-empty, one short line, no traceback, no control characters."""
    message = str(error)
    assert message.strip(), "empty message"
    assert len(message.splitlines()) == 1 and "\n" not in message and "\r" not in message, message
    assert len(message) <= MAX_MESSAGE, message
    assert "Traceback" not in message and not STRAY.search(message), message
    return message


def check_transcripts(transcripts: list[Transcript], roles: bool = True) -> None:
    """Turns with text and labels free of control characters; coded turns have a known role
    (once `roles` are assigned)."""
    assert transcripts
    for t in transcripts:
        assert isinstance(t, Transcript) and t.turns
        assert any(u.coded for u in t.turns)
        for u in t.turns:
            assert isinstance(u.text, str) and isinstance(u.speaker, str)
            assert not STRAY.search(u.text) and not STRAY.search(u.speaker), u
            if roles:
                assert u.role in ROLES if u.coded else u.role == "", u


def outcome(read, *args, roles: bool = True, **kwargs) -> list[Transcript] | None:  # noqa: ANN001
    """The transcripts read, checked; None after a TranscriptError with a good message."""
    try:
        result = read(*args, **kwargs)
    except TranscriptError as e:
        check_message(e)
        return None
    result = result if isinstance(result, list) else [result]
    check_transcripts(result, roles)
    return result


# --- arbitrary bytes and text ------------------------------------------------------------


@FAST
@given(DATA, st.sampled_from(SUFFIXES), st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe",
                                                          b"WEBVTT\n\n", b"PK\x03\x04"]))
def test_read_bytes_on_arbitrary_bytes(data, suffix, head):
    outcome(read_bytes, head + data, f"input{suffix}")


@FAST
@given(DATA)
def test_every_parser_on_arbitrary_bytes(data):
    for parse in PARSERS:
        outcome(parse, data, "input", roles=False)


@FAST
@given(TEXT)
def test_read_text_keeps_only_words_of_the_input(text):
    result = outcome(read_text, text)
    if result is None:
        return
    visible = strip_controls(text)  # lone surrogates become U+FFFD
    for turn in result[0].turns:
        assert all(word in visible for word in (turn.speaker + " " + turn.text).split()), turn


@FAST
@given(st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=300))
def test_read_text_on_any_code_point(text):
    outcome(read_text, text)


def test_a_long_file_name_is_shortened_to_one_line():
    name = "notes\n\x00" + "é" * 500 + "\r.txt"
    label = file_label(name)
    assert len(label) <= 80 and label.endswith(".txt") and "\n" not in label and "\x00" not in label
    with pytest.raises(TranscriptError) as info:
        read_bytes(b"", name)
    assert check_message(info.value).startswith("notes é")


def test_a_huge_line_is_read():
    [t] = read_bytes(b"SW: " + b"word " * 400_000 + b"\nMum: yes\n", "long.txt")
    assert [u.speaker for u in t.turns] == ["SW", "Mum"] and len(t.turns[0].text) == 2_000_000 - 1


def test_typed_notes_over_the_limit_are_refused():
    with pytest.raises(TranscriptError, match="are 124 bytes, over the limit of 100 bytes"):
        read_text("SW: " + "é" * 60, max_bytes=100)
    assert read_text("SW: hi", max_bytes=6).turns[0].text == "hi"


def test_control_characters_in_typed_notes_are_dropped():
    t = read_text("SW: hi\x00 there\x1b\rMum: fine\x7f")
    assert [(u.speaker, u.text) for u in t.turns] == [("SW", "hi there"), ("Mum", "fine")]


def test_csv_turn_ids_too_long_to_store_are_refused():
    data = b"session_id,turn,speaker,text\n1," + b"9" * 41 + b",SW,hello\n"
    with pytest.raises(TranscriptError, match="line 2 has a turn id of 41 characters"):
        parse_csv(data, "x.csv")


def test_messages_name_at_most_ten_speakers():
    text = "\n".join(f"Person{i}: hello" for i in range(30))
    with pytest.raises(TranscriptError) as info:
        read_text(text, practitioner="x" * 1000)
    message = check_message(info.value)
    assert message.endswith("and 20 more.") and "x" * 41 not in message


def test_a_csv_header_is_not_echoed_whole():
    header = ",".join(f"column{i}" for i in range(200)).encode()
    with pytest.raises(TranscriptError) as info:
        parse_csv(header + b"\n1,2\n", "x.csv")
    assert len(check_message(info.value)) < 400


# --- valid samples, damaged --------------------------------------------------------------

MUTATION = st.tuples(
    st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate line", "remove line",
                     "awkward"]),
    st.integers(min_value=0, max_value=10**6),
    st.binary(min_size=1, max_size=8),
    AWKWARD.map(lambda s: s.encode("utf-8", "surrogatepass")),
)


def mutate(data: bytes, mutations: list[tuple[str, int, bytes, bytes]]) -> bytes:
    """The data with byte flips, cuts, insertions and duplicated or removed lines."""
    out = bytearray(data)
    for kind, at, noise, piece in mutations:
        at = at % (len(out) + 1)
        lines = bytes(out).split(b"\n")
        line = at % len(lines)
        if kind == "flip" and out:
            out[min(at, len(out) - 1)] ^= noise[0] or 0xFF
        elif kind == "delete":
            del out[at:at + noise[0]]
        elif kind == "insert":
            out[at:at] = noise
        elif kind == "truncate":
            del out[at:]
        elif kind == "duplicate line":
            out = bytearray(b"\n".join(lines[:line + 1] + lines[line:]))
        elif kind == "remove line":
            out = bytearray(b"\n".join(lines[:line] + lines[line + 1:]))
        elif kind == "awkward":
            out[at:at] = piece
    return bytes(out)


@FAST
@given(st.sampled_from(SAMPLE_FILES), st.lists(MUTATION, min_size=1, max_size=6),
       st.sampled_from([None, ".txt", ".csv", ".vtt", ".srt", ".docx"]))
def test_damaged_samples(name, mutations, suffix):
    data = mutate((SAMPLES / name).read_bytes(), mutations)
    outcome(read_bytes, data, name if suffix is None else f"sample{suffix}")


def test_every_sample_reads():
    for name in SAMPLE_FILES:
        check_transcripts(read_bytes((SAMPLES / name).read_bytes(), name))


XML_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=60)


@FAST
@given(st.lists(st.one_of(XML_TEXT, st.sampled_from(["SW: hello", "Mum: hi", "[Dad] ok"])),
                max_size=6),
       st.lists(st.tuples(XML_TEXT, XML_TEXT), max_size=4))
def test_word_documents_with_any_text(paragraphs, rows):
    table = [("Speaker", "Text"), *rows] if rows else None
    outcome(read_bytes, docx_bytes(*paragraphs, table=table), "x.docx")


@FAST
@given(st.lists(MUTATION, min_size=1, max_size=4))
def test_word_documents_with_damaged_xml(mutations):
    source = (SAMPLES / "session.docx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item)
            zout.writestr(item, mutate(body, mutations) if item.filename == "word/document.xml" else body)
    outcome(read_bytes, out.getvalue(), "session.docx")


# --- segmenter, coder, redaction ---------------------------------------------------------


def check_spans(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans in order, inside the text, not overlapping, each with something in it."""
    previous = 0
    for a, b in spans:
        assert previous <= a < b <= len(text), (text, spans)
        assert text[a:b].strip() and not text[b - 1].isspace(), (text, spans)
        previous = b


@FAST
@given(st.lists(TEXT, max_size=8))
def test_segmenter_spans_index_into_each_text(texts):
    result = split_utterances(texts)
    assert len(result) == len(texts)
    for text, spans in zip(texts, result):
        check_spans(text, spans)


def test_stray_punctuation_joins_the_utterance_without_trailing_space():
    assert split_utterances(["SW: ?\n", "Hi.\n?\n\n"]) == [[(0, 5)], [(0, 5)]]


def test_stray_punctuation_after_a_filler_does_not_overlap_utterances():
    assert split_utterances(["SW: ?Um. \n", "Yes. Um. ... Hello."]) == [[(0, 5), (5, 8)], [(0, 4), (5, 19)]]


def test_segmenter_takes_a_turn_longer_than_spacy_allows():
    text = "I said no. " * (3 * MAX_CHUNK // 10) + "x" * (MAX_CHUNK + 5)
    [spans] = split_utterances([text])
    check_spans(text, spans)
    assert spans[0] == (0, 10) and spans[-1][1] == len(text)


TURNS = st.lists(st.builds(TurnInput, st.sampled_from(["practitioner", "client"]), TEXT,
                           st.booleans()), max_size=8)


@settings(max_examples=40, deadline=None)
@given(st.lists(TURNS, max_size=3))
def test_coder_codes_any_conversation(coder, conversations):
    result = coder.code(conversations)
    assert [len(c) for c in result] == [len(c) for c in conversations]
    for conv, coded in zip(conversations, result):
        for turn, utterances in zip(conv, coded):
            if not turn.coded:
                assert utterances == []
            check_spans(turn.text, [(u.start, u.end) for u in utterances])
            allowed = PRACTITIONER_CODES if turn.role == "practitioner" else CLIENT_CODES
            for u in utterances:
                assert u.text == turn.text[u.start:u.end]
                assert u.code in allowed and u.code in CODE_NAMES and 0 <= u.confidence <= 1, u


@settings(max_examples=40, deadline=None)
@given(TEXT)
def test_read_then_code_then_redact(coder, text):
    result = outcome(read_text, text)
    if result is None:
        return
    [t] = result
    for transcript in (t, redact(t)):
        conv = [TurnInput(u.role, u.text, u.coded) for u in transcript.turns]
        [coded] = coder.code([conv])
        for turn, utterances in zip(transcript.turns, coded):
            assert all(turn.text[u.start:u.end] == u.text for u in utterances)


PIECES = st.sampled_from([
    "Sarah", "my son Will", "07700 900123", "LS9 8ZZ", "943 476 5919", "born 14/03/2016",
    "14 Acacia Road", "s@example.com", "[ADULT 1]", "[PHONE]", "[CHILD 2]", "Mum", " ", ". ", "\n",
])


@FAST
@given(st.one_of(TEXT, st.lists(st.one_of(PIECES, TEXT), max_size=20).map(" ".join)))
def test_redaction_spans_and_idempotence(text):
    out = redact_text(text)
    found = find_identifiers(text)
    check_order = [(r.start, r.end) for r in found]
    assert all(0 <= a < b <= len(text) for a, b in check_order)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(check_order, check_order[1:]))
    rebuilt, at = [], 0
    for r in found:
        rebuilt += [text[at:r.start], r.placeholder]
        at = r.end
    assert "".join(rebuilt) + text[at:] == out
    assert len(out) <= len(text) + 12 * len(found)
    # A second pass keeps every placeholder (it is not idempotent: it may find a name the
    # first pass missed, e.g. "Sarah" in "Sarah my son Will Sarah").
    again = [(r.start, r.end) for r in find_identifiers(out)]
    for placeholder in PLACEHOLDER.finditer(out):
        assert not any(a < placeholder.end() and placeholder.start() < b for a, b in again), out
