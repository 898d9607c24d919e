"""Tests for app.parsers: every input format, the samples, and every kind of bad input."""

import io
import tempfile
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import parsers
from app.parsers import (
    parse_csv,
    parse_docx,
    parse_notes,
    parse_srt,
    parse_txt,
    parse_vtt,
    read_text,
    read_transcripts,
)
from app.transcript import Transcript, TranscriptError

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"


def said(t: Transcript) -> list[tuple[str, str]]:
    """(speaker, text) of each coded turn."""
    return [(u.speaker, u.text) for u in t.turns if u.coded]


def docx_bytes(*paragraphs: str, table: list[tuple[str, ...]] | None = None) -> bytes:
    """A Word document with the paragraphs, then the table if given."""
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table):
            for cell, text in zip(row.cells, cells):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deflated zip archive of the files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- notes ---------------------------------------------------------------------------


def test_notes_with_mixed_prefixes():
    t = parse_notes(
        "Practitioner: Hello\nMum: Hi\nDad: Hiya\nSarah: Morning\nSocial Worker: Right\n"
        "Key worker: Yes\nClient: No\nMe: Okay\nWorker: Sure\nP: One\nC: Two\nSW: Three"
    )
    assert [u.speaker for u in t.turns] == [
        "Practitioner", "Mum", "Dad", "Sarah", "Social Worker", "Key worker", "Client",
        "Me", "Worker", "P", "C", "SW",
    ]
    assert t.turns[0].text == "Hello"
    assert t.source == "notes"
    assert [u.turn_id for u in t.turns][:3] == ["1", "2", "3"]
    assert all(u.role == "" for u in t.turns)


def test_continuation_lines_join_the_last_speaker():
    t = parse_notes("SW: How are you?\nMum: Not great.\nI haven't slept.\n\nThe baby was up.")
    assert said(t) == [
        ("SW", "How are you?"), ("Mum", "Not great. I haven't slept. The baby was up."),
    ]


def test_consecutive_lines_of_one_speaker_are_one_turn():
    t = parse_notes("SW: One.\nSW: Two.\nMum: Three.")
    assert said(t) == [("SW", "One. Two."), ("Mum", "Three.")]


def test_commentary_lines_are_kept_uncoded():
    t = parse_notes(
        "SW: Hello\n(I noticed she went quiet)\nMum: Hi\n[Mum went to make tea]\nSW: Ok"
    )
    assert [(u.speaker, u.text, u.coded) for u in t.turns] == [
        ("SW", "Hello", True),
        ("", "(I noticed she went quiet)", False),
        ("Mum", "Hi", True),
        ("", "[Mum went to make tea]", False),
        ("SW", "Ok", True),
    ]
    assert t.speakers == ["SW", "Mum"]


def test_commentary_breaks_a_turn_and_continuation_resumes_the_speaker():
    t = parse_notes("Mum: I'm fine.\n(She looked away.)\nReally I am.")
    assert [(u.speaker, u.text) for u in t.turns] == [
        ("Mum", "I'm fine."), ("", "(She looked away.)"), ("Mum", "Really I am."),
    ]


def test_bracketed_speaker_labels():
    t = parse_notes("[SW] How was the weekend?\n[Mum] Better than last week.\n[Dad]\nYeah it was.")
    assert said(t) == [("SW", "How was the weekend?"), ("Mum", "Better than last week."),
                       ("Dad", "Yeah it was.")]


def test_bracketed_sound_is_commentary_not_a_speaker():
    t = parse_notes("SW: Hello\n[Pause]\n[Laughs]\nMum: Hi")
    assert t.speakers == ["SW", "Mum"]
    assert [u.text for u in t.turns if not u.coded] == ["[Pause]", "[Laughs]"]


@pytest.mark.parametrize("line", [
    "10:32 SW: How are you?", "[00:01:02] SW: How are you?", "(10:32) SW: How are you?",
    "10:32:05 - SW: How are you?", "[10:32] [SW] How are you?", "10.32am SW: How are you?",
])
def test_leading_timestamps_are_dropped(line):
    assert said(parse_notes(line + "\nMum: Fine")) == [("SW", "How are you?"), ("Mum", "Fine")]


def test_timestamp_only_lines_are_skipped_and_times_in_speech_kept():
    t = parse_notes("00:01:02\nSW: When shall I come?\nMum: Thursday.\n10:30 is best for me.")
    assert said(t) == [("SW", "When shall I come?"), ("Mum", "Thursday. 10:30 is best for me.")]


def test_false_prefixes_inside_sentences_are_continuations():
    t = parse_notes(
        "Mum: He came home late.\nI said this: no more\nThen he said: fine\nhttp://example"
    )
    assert said(t) == [
        ("Mum", "He came home late. I said this: no more Then he said: fine http://example"),
    ]


@pytest.mark.parametrize("prefix", ["Note", "Date", "Time", "NB", "Present", "Next steps"])
def test_non_speaker_prefixes_are_commentary(prefix):
    t = parse_notes(f"SW: Hello\n{prefix}: something\nMum: Hi")
    assert t.speakers == ["SW", "Mum"]
    assert [(u.text, u.coded) for u in t.turns][1] == (f"{prefix}: something", False)


def test_lowercase_role_words_and_initials_are_labels():
    t = parse_notes("sw: hello\nmum: hi\nHV: weighed baby\nkey worker: ok")
    assert t.speakers == ["sw", "mum", "HV", "key worker"]


def test_long_or_lowercase_labels_are_not_speakers():
    t = parse_notes("SW: Hi\nthe other thing: was this\nA Very Long Speaker Name Here: no")
    assert t.speakers == ["SW"]


def test_markdown_bold_labels():
    t = parse_notes("**SW:** Hello\n**Mum**: Hi")
    assert said(t) == [("SW", "Hello"), ("Mum", "Hi")]


def test_label_with_text_on_following_lines():
    t = parse_notes("SW:\nHow are you?\nMum:\nOkay.")
    assert said(t) == [("SW", "How are you?"), ("Mum", "Okay.")]


def test_heading_before_the_first_speaker_is_commentary():
    t = parse_notes("Home visit\nSW: Hello")
    assert [(u.speaker, u.text, u.coded) for u in t.turns] == [
        ("", "Home visit", False), ("SW", "Hello", True),
    ]


def test_unknown_speaker_format():
    with pytest.raises(TranscriptError, match=r"speaker format was not recognised.*'SW: …'"):
        parse_notes("We talked about school.\nShe said it was going fine.")


def test_empty_notes():
    with pytest.raises(TranscriptError, match="notes are empty"):
        parse_notes("  \n\n ")


def test_read_text_assigns_roles():
    t = read_text("Mum: Hi\nSW: Hello\nDad: Alright")
    assert [(u.speaker, u.role) for u in t.turns] == [
        ("Mum", "client"), ("SW", "practitioner"), ("Dad", "client"),
    ]


def test_read_text_practitioner_override():
    t = read_text("Sarah: Hi\nJo: Hello", practitioner="jo")
    assert [u.role for u in t.turns] == ["client", "practitioner"]


# --- txt -----------------------------------------------------------------------------


def test_txt_decodes_then_parses():
    t = parse_txt("SW: Hello\r\nMum: It cost £10.\r\n".encode("utf-16"))
    assert said(t) == [("SW", "Hello"), ("Mum", "It cost £10.")]
    assert t.source == "txt"


def test_txt_windows_1252():
    t = parse_txt(b"SW: You said \x93never again\x94.\nMum: I did, it\x92s \xa340 a week.")
    assert said(t) == [("SW", "You said “never again”."), ("Mum", "I did, it’s £40 a week.")]


def test_txt_utf8_bom():
    t = parse_txt(b"\xef\xbb\xbfSW: Hello\nMum: Hi")
    assert t.speakers == ["SW", "Mum"]


def test_sample_notes():
    [t] = read_transcripts(SAMPLES / "notes.txt")
    assert t.source == "txt"
    assert t.speakers == ["SW", "Mum", "Lee"]
    assert {u.speaker: u.role for u in t.turns if u.coded} == {
        "SW": "practitioner", "Mum": "client", "Lee": "client",
    }
    commentary = [u for u in t.turns if not u.coded]
    assert [u.text[:5] for u in commentary] == ["Date:", "(Mum ", "[Lee "]
    assert ("Mum", "Yeah. I do. I just don't know how to make the mornings work.") in said(t)
    assert 12 <= len(said(t)) <= 25


def test_sample_process_recording():
    [t] = read_transcripts(SAMPLES / "process-recording.txt")
    assert t.speakers == ["P", "C"]
    assert {u.role for u in t.turns if u.speaker == "P"} == {"practitioner"}
    assert {u.role for u in t.turns if u.speaker == "C"} == {"client"}
    assert sum(1 for u in t.turns if not u.coded) == 3
    assert 12 <= len(said(t)) <= 25


# --- docx ----------------------------------------------------------------------------


def test_sample_docx_paragraphs_and_table_in_order():
    [t] = read_transcripts(SAMPLES / "session.docx")
    assert t.source == "docx"
    assert t.speakers == ["Social Worker", "Mum"]
    texts = [u.text for u in t.turns]
    assert texts.index("(We moved into the kitchen and carried on talking there.)") == 11
    assert texts[-1] == "I'll ask them today and ring you tomorrow."
    assert "Speaker" not in [u.speaker for u in t.turns]
    assert t.turns[1].text.startswith("Note:") and not t.turns[1].coded
    assert {u.role for u in t.turns if u.speaker == "Social Worker"} == {"practitioner"}
    assert 12 <= len(said(t)) <= 25


def test_docx_table_without_header():
    rows = [("SW", "How are you?"), ("Mum:", "Fine."), ("", "Honestly.")]
    data = docx_bytes("Visit notes", table=rows)
    t = parse_docx(data)
    assert said(t) == [("SW", "How are you?"), ("Mum", "Fine. Honestly.")]


def test_docx_table_with_time_speaker_text_header():
    rows = [("Time", "Speaker", "Text"), ("10:01", "SW", "Hello"), ("10:02", "Dad", "Hi")]
    data = docx_bytes(table=rows)
    assert said(parse_docx(data)) == [("SW", "Hello"), ("Dad", "Hi")]


def test_docx_table_row_that_is_not_a_turn_is_read_as_notes():
    rows = [("SW: How are you?\nMum: Tired.", "She seemed low."), ("Date", "Monday")]
    data = docx_bytes(table=rows)
    t = parse_docx(data)
    assert said(t) == [("SW", "How are you?"), ("Mum", "Tired. She seemed low.")]
    assert [(u.text, u.coded) for u in t.turns][-1] == ("Date: Monday", False)


def test_docx_without_speakers():
    with pytest.raises(TranscriptError, match="speaker format was not recognised"):
        parse_docx(docx_bytes("Just a letter.", "Nothing else."))


def test_docx_that_is_not_a_zip():
    with pytest.raises(TranscriptError, match="not a Word .docx file"):
        parse_docx(b"SW: this is plain text saved as .docx")


def test_zip_that_is_not_a_word_file():
    with pytest.raises(TranscriptError, match="zip file but not a Word document"):
        parse_docx(zip_bytes({"notes.txt": b"SW: hi"}))


def test_damaged_word_file():
    data = zip_bytes({"[Content_Types].xml": b"<not xml", "word/document.xml": b"<w:document"})
    with pytest.raises(TranscriptError, match="could not be read as a Word document") as info:
        parse_docx(data)
    assert "\n" not in str(info.value)


def test_zip_bomb_by_compression_ratio(tmp_path):
    bomb = tmp_path / "bomb.docx"
    files = {"[Content_Types].xml": b"<x/>", "word/document.xml": b"\0" * 5_000_000}
    bomb.write_bytes(zip_bytes(files))
    assert bomb.stat().st_size < 50_000
    with pytest.raises(TranscriptError, match="too large or too compressed"):
        read_transcripts(bomb)


def test_zip_bomb_by_total_size(monkeypatch):
    monkeypatch.setattr(parsers, "MAX_DOCX_UNZIPPED", 1000)
    with pytest.raises(TranscriptError, match=r"unpacks to [\d,]+ bytes"):
        parse_docx(docx_bytes("SW: Hello"))


# --- vtt -----------------------------------------------------------------------------


def test_sample_teams_vtt_merges_consecutive_cues():
    [t] = read_transcripts(SAMPLES / "teams.vtt")
    assert t.source == "vtt"
    assert t.speakers == ["Priya", "Dean"]
    assert len(t.turns) == 18  # 20 cues, two pairs by one speaker
    assert t.turns[3].text == (
        "It's not enough. Two hours at the family centre with someone watching me the whole time. "
        "I'm their dad. I shouldn't need a supervisor."
    )
    assert [u.role for u in t.turns[:2]] == ["practitioner", "client"]


def test_sample_zoom_vtt():
    [t] = read_transcripts(SAMPLES / "zoom.vtt")
    assert t.speakers == ["Hannah", "Chloe"]
    assert len(t.turns) == 18
    assert t.turns[5].text.endswith("every time. Three flights with a baby.")


def test_vtt_voice_tags_with_class_and_entities():
    data = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v.loud Sam Lee>Fish &amp; chips</v>\n\n"
        "00:00:02.000 --> 00:00:03.000\n<v Mum>Not\nagain</v>\n\n"
        "00:00:03.000 --> 00:00:04.000\nand again\n"
    ).encode()
    assert said(parse_vtt(data)) == [("Sam Lee", "Fish & chips"), ("Mum", "Not again and again")]


def test_vtt_without_speakers():
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n"
    with pytest.raises(TranscriptError, match="subtitles need speaker names"):
        parse_vtt(data)


def test_vtt_without_header():
    with pytest.raises(TranscriptError, match="not a valid WebVTT file"):
        parse_vtt(b"00:00:01.000 --> 00:00:02.000\nSW: hello\n")


def test_vtt_with_bad_timestamps_has_no_captions():
    with pytest.raises(TranscriptError, match="has no captions"):
        parse_vtt(b"WEBVTT\n\n00:00:xx --> 00:00:02.000\nSW: hello\n")


# --- srt -----------------------------------------------------------------------------


def test_sample_srt():
    [t] = read_transcripts(SAMPLES / "session.srt")
    assert t.source == "srt"
    assert t.speakers == ["Worker", "Dad"]
    assert len(t.turns) == 18
    assert t.turns[5].text == (
        "Yeah. It's the only thing that helps me sleep. Everyone smokes a bit, it's not a big deal."
    )
    assert {u.role for u in t.turns if u.speaker == "Worker"} == {"practitioner"}


def test_srt_merges_consecutive_cues_and_continuations():
    data = (
        "1\n00:00:01,000 --> 00:00:02,000\nSW: Hello.\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nSW: How are you?\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nMum: Fine.\n\n"
        "4\n00:00:04,000 --> 00:00:05,000\nThanks.\n"
    ).encode()
    assert said(parse_srt(data)) == [("SW", "Hello. How are you?"), ("Mum", "Fine. Thanks.")]


def test_srt_without_speakers():
    data = b"1\n00:00:01,000 --> 00:00:02,000\nhello there\n"
    with pytest.raises(TranscriptError, match="subtitles need speaker names"):
        parse_srt(data)


def test_malformed_srt():
    with pytest.raises(TranscriptError, match="not a valid SRT subtitle file"):
        parse_srt(b"this is not\nan srt file\n")


# --- csv -----------------------------------------------------------------------------


def test_sample_sessions_csv():
    a, b = read_transcripts(SAMPLES / "sessions.csv")
    assert (a.session_id, b.session_id) == ("visit-01", "visit-02")
    assert (len(a.turns), len(b.turns)) == (12, 12)
    assert a.source == "csv"
    assert [u.turn_id for u in b.turns][:3] == ["1", "2", "3"]
    assert [(u.speaker, u.role) for u in a.turns[:2]] == [
        ("practitioner", "practitioner"), ("client", "client"),
    ]


def test_sample_annomi_csv():
    [t] = read_transcripts(SAMPLES / "annomi-format.csv")
    assert t.session_id == "fs-7"
    assert len(t.turns) == 16
    assert t.turns[0].turn_id == "0"
    assert [(u.speaker, u.role) for u in t.turns[:2]] == [
        ("therapist", "practitioner"), ("client", "client"),
    ]


def test_csv_groups_by_session_in_first_appearance_order_and_never_merges():
    data = (
        "session_id,turn,speaker,text,role\n"
        "b,1,Amy,Hello,\n"
        "a,1,THERAPIST,Hi,\n"
        "b,2,Amy,Again,\n"
        "b,3,Mum,,\n"
        "b,4,Dad,\"Well, yes\",client\n"
    ).encode()
    b, a = parse_csv(data)
    assert (b.session_id, a.session_id) == ("b", "a")
    assert [(u.turn_id, u.speaker, u.text, u.role) for u in b.turns] == [
        ("1", "Amy", "Hello", ""), ("2", "Amy", "Again", ""), ("3", "Mum", "", ""),
        ("4", "Dad", "Well, yes", "client"),
    ]
    assert a.turns[0].role == "practitioner"


def test_csv_missing_columns_names_needed_and_found():
    with pytest.raises(TranscriptError) as info:
        parse_csv(b"id,who,said\n1,SW,hello\n", "x.csv")
    message = str(info.value)
    assert "session_id, turn, speaker, text" in message
    assert "transcript_id, utterance_id, interlocutor, utterance_text" in message
    assert message.endswith("found: id, who, said.")


def test_csv_unquoted_comma():
    with pytest.raises(TranscriptError, match="line 2 has 5 fields but the header has 4"):
        parse_csv(b"session_id,turn,speaker,text\n1,1,client,Well, I don't know\n")


def test_csv_unterminated_quote():
    with pytest.raises(TranscriptError, match="not valid CSV"):
        parse_csv(b'session_id,turn,speaker,text\n1,1,client,"never closed\n')


def test_csv_header_only():
    with pytest.raises(TranscriptError, match="header but no rows"):
        parse_csv(b"session_id,turn,speaker,text\n\n")


# --- read_transcripts ----------------------------------------------------------------


def test_over_the_size_cap(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"SW: hi\n" * 20)
    message = r"140 bytes, over the limit of 100 bytes.*--max-size"
    with pytest.raises(TranscriptError, match=message):
        read_transcripts(path, max_bytes=100)
    assert len(read_transcripts(path, max_bytes=140)) == 1


def test_unknown_extension(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(TranscriptError, match=r"\.pdf files are not supported; use one of .txt"):
        read_transcripts(path)


def test_no_extension_and_md_read_as_notes(tmp_path):
    for name in ("notes", "notes.md", "NOTES.TXT"):
        path = tmp_path / name
        path.write_text("SW: Hello\nMum: Hi\n", encoding="utf-8")
        [t] = read_transcripts(path)
        assert said(t) == [("SW", "Hello"), ("Mum", "Hi")]
        assert t.metadata["file"] == name


def test_missing_file(tmp_path):
    with pytest.raises(TranscriptError, match="Cannot read gone.txt"):
        read_transcripts(tmp_path / "gone.txt")


def test_empty_file_is_named(tmp_path):
    path = tmp_path / "empty.vtt"
    path.write_bytes(b"")
    with pytest.raises(TranscriptError, match=r"^empty\.vtt is empty"):
        read_transcripts(path)


def test_binary_file_as_txt(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(TranscriptError, match="binary"):
        read_transcripts(path)


def test_practitioner_override_through_read_transcripts():
    [t] = read_transcripts(SAMPLES / "teams.vtt", practitioner="DEAN")
    assert {u.role for u in t.turns if u.speaker == "Dean"} == {"practitioner"}
    assert {u.role for u in t.turns if u.speaker == "Priya"} == {"client"}


def test_unknown_practitioner_override():
    with pytest.raises(TranscriptError, match="'Zara' is not a speaker.*'Hannah', 'Chloe'"):
        read_transcripts(SAMPLES / "zoom.vtt", practitioner="Zara")


# --- properties ----------------------------------------------------------------------

NOTES_LINES = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["SW: hi", "Mum:", "[Mum] yes", "(quiet)", "[x", "10:32 ", "Note: x",
                         "**", "[]", "()", ":", "Dr. X: y", "WEBVTT",
                         "00:00:01.000 --> 00:00:02.000",
                         "1", "00:00:01,000 --> 00:00:02,000", "session_id,turn,speaker,text",
                         "1,1,client,hi", '"', "<v A>b</v>"]),
    ),
    max_size=12,
)


@given(st.text(max_size=300))
def test_parse_notes_never_fails_unexpectedly_on_text(text):
    try:
        t = parse_notes(text)
    except TranscriptError:
        return
    assert t.speakers and all(isinstance(u.text, str) for u in t.turns)


@given(NOTES_LINES)
def test_parse_notes_never_fails_unexpectedly_on_lines(lines):
    try:
        parse_notes("\n".join(lines))
    except TranscriptError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.binary(max_size=300), NOTES_LINES.map(lambda ls: "\n".join(ls).encode())),
    st.sampled_from(["", ".txt", ".md", ".docx", ".vtt", ".srt", ".csv"]),
    st.sampled_from(["", "WEBVTT\n\n", "\xef\xbb\xbf"]),
)
def test_read_transcripts_never_fails_unexpectedly(data, suffix, head):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(head.encode("latin-1") + data)
        try:
            result = read_transcripts(path)
        except TranscriptError as e:
            assert "\n" not in str(e)
            return
        assert result and all(isinstance(t, Transcript) for t in result)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=4000))
def test_damaged_docx_never_fails_unexpectedly(noise, at):
    data = bytearray(docx_bytes("SW: Hello", "Mum: Hi"))
    at = at % len(data)
    data[at:at + len(noise)] = noise
    try:
        parse_docx(bytes(data))
    except TranscriptError:
        pass
