"""Read transcripts from typed notes and from .txt, .md, .docx, .vtt, .srt and .csv files.

Each parser returns Transcripts of Turns with the speaker labels as written; roles are
assigned by `read_transcripts` and `read_text` (see app.roles).
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from app.decoding import decode_text, strip_controls
from app.roles import assign_roles, is_role_label, label_key
from app.transcript import Transcript, TranscriptError, Turn

if TYPE_CHECKING:
    from docx.table import Table, _Cell

SUPPORTED = ".txt, .md, .docx, .vtt, .srt, .csv"
MAX_LABEL_CHARS = 25
MAX_LABEL_WORDS = 3
MAX_NAME_CHARS = 80  # a longer file name is shortened in messages and titles
MAX_TURN_ID_CHARS = 40  # a CSV's turn id is stored as the turn's label
MAX_DOCX_UNZIPPED = 50_000_000  # bytes a .docx may unpack to
MAX_DOCX_RATIO = 100  # an entry over 1 MB that packs better than this is a zip bomb
_BIG_ENTRY = 1_000_000

# "Label:" prefixes that start commentary, not speech; and bracketed sounds. As label keys.
NON_SPEAKER_LABELS: tuple[str, ...] = (
    "note", "notes", "nb", "ps", "date", "time", "duration", "venue", "location", "address",
    "present", "attendees", "subject", "re", "ref", "case", "title", "topic", "agenda",
    "purpose", "context", "background", "summary", "plan", "action", "actions", "outcome",
    "next steps", "agreed", "update", "comment", "comments", "observation", "observations",
    "reflection", "reflections", "analysis", "session", "visit", "transcript", "recording",
    "pause", "long pause", "silence", "laughs", "laughter", "laughing", "sighs", "cries",
    "crying", "inaudible", "unclear", "crosstalk", "overlapping", "interruption",
)

# CSV layouts: (session, turn, speaker, text) columns; the first is ours, the second AnnoMI's.
CSV_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("session_id", "turn", "speaker", "text"),
    ("transcript_id", "utterance_id", "interlocutor", "utterance_text"),
)
CSV_ROLES = {"practitioner": "practitioner", "therapist": "practitioner", "client": "client"}

# Word table header cells naming the speaker and the text columns.
TABLE_SPEAKER_HEADERS = ("speaker", "name", "who", "person")
TABLE_TEXT_HEADERS = ("text", "what was said", "said", "speech", "dialogue", "utterance", "words")

NOTES_HELP = "Start each turn with the speaker, e.g. 'SW: …' and 'Mum: …', or '[Mum] …'."
SUBTITLES_HELP = (
    "subtitles need speaker names; export them with names (e.g. 'Sarah: …' or <v Sarah>) "
    "or save the transcript as .txt with 'SW: …' and 'Mum: …' lines."
)

_TIMESTAMP = re.compile(
    r"[\[(]?\d{1,2}(?:[:.]\d{2}){1,2}(?:[.,]\d{1,3})?(?:\s?[ap]\.?m\.?)?[\])]?"
    r"\s*[-–—]?\s*",
    re.I,
)
_PREFIX = re.compile(
    r"(?:\*\*)?(?P<label>[^\W\d_][\w'’.-]*(?:[ \t]+[\w'’.-]+){0,2})[ \t]*(?:\*\*)?[ \t]*:"
    r"(?:\*\*)?(?P<text>.*)",
    re.S,
)
_BRACKET_LABEL = re.compile(r"\[(?P<label>[^\[\]]+)\](?P<text>.*)", re.S)
_COMMENTARY = re.compile(r"\(.*\)|\[.*\]", re.S)


def speaker_label(label: str) -> str | None:
    """The label with spaces tidied if it looks like a speaker's name or role, else None.

    A speaker label has 1-3 words, at most 25 characters, starts with a letter, and is a
    known role word ("mum", "key worker") or has every word capitalised ("Sarah", "SW").
    """
    words = label.split()
    label = " ".join(words)
    if not words or len(label) > MAX_LABEL_CHARS or len(words) > MAX_LABEL_WORDS:
        return None
    if not label[0].isalpha() or label_key(label) in NON_SPEAKER_LABELS:
        return None
    if is_role_label(label) or all(w[0].isupper() or w.isdigit() for w in words):
        return label
    return None


def _classify(line: str) -> tuple[str, str, str]:
    """("speaker", label, text), ("comment", "", line), ("more", "", line) or ("blank", "", "")."""
    line = line.strip()
    stamp = _TIMESTAMP.match(line)
    if stamp:
        kind, label, text = _classify_unstamped(line[stamp.end():])
        if kind != "more":
            return kind, label, text
    return _classify_unstamped(line)


def _classify_unstamped(line: str) -> tuple[str, str, str]:
    """Classify a line that has no leading timestamp."""
    line = line.strip()
    if not line:
        return "blank", "", ""
    match = _BRACKET_LABEL.fullmatch(line)
    if match:
        label, text = speaker_label(match["label"]), match["text"].strip()
        if label and (text or is_role_label(label)):
            return "speaker", label, text
    if _COMMENTARY.fullmatch(line):
        return "comment", "", line
    match = _PREFIX.fullmatch(line)
    if match:
        if label_key(match["label"]) in NON_SPEAKER_LABELS:
            return "comment", "", line
        label = speaker_label(match["label"])
        if label:
            return "speaker", label, match["text"].strip()
    return "more", "", line


class _TurnBuilder:
    """Collects turns in order, merging consecutive speech of one speaker into one turn."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, list[str], bool]] = []  # (speaker, pieces of text, coded)
        self.last_speaker: str | None = None

    def say(self, speaker: str, text: str) -> None:
        """Add speech; it joins the previous turn if that is the same speaker's."""
        if self.parts and self.parts[-1][2] and self.parts[-1][0] == speaker:
            self.parts[-1][1].append(text.strip())
        else:
            self.parts.append((speaker, [text.strip()], True))
        self.last_speaker = speaker

    def comment(self, text: str) -> None:
        """Add a line that is kept but never coded."""
        self.parts.append(("", [text.strip()], False))

    def more(self, text: str) -> None:
        """Add a line without a speaker: the last speaker's, or commentary before anyone spoke."""
        if self.last_speaker is None:
            self.comment(text)
        else:
            self.say(self.last_speaker, text)

    def line(self, line: str) -> None:
        """Add a line of notes or caption text, recognising speaker prefixes."""
        kind, label, text = _classify(line)
        if kind == "speaker":
            self.say(label, text)
        elif kind == "comment":
            self.comment(text)
        elif kind == "more":
            self.more(text)

    def lines(self, lines: Iterable[str]) -> None:
        """Add several lines."""
        for line in lines:
            self.line(line)

    def transcript(self, source: str, missing: str) -> Transcript:
        """The Transcript, with turn ids 1, 2, …; TranscriptError `missing` if nobody spoke."""
        if self.last_speaker is None:
            raise TranscriptError(missing)
        turns = [
            Turn(speaker, " ".join(p for p in pieces if p), coded=coded, turn_id=str(i))
            for i, (speaker, pieces, coded) in enumerate(self.parts, start=1)
        ]
        return Transcript(turns=turns, source=source)


def parse_notes(text: str) -> Transcript:
    """Parse typed or pasted notes with speaker prefixes such as "SW:", "Mum:" or "[Mum]"."""
    if not text.strip():
        raise TranscriptError("The notes are empty: paste or type the conversation and try again.")
    builder = _TurnBuilder()
    builder.lines(strip_controls(line) for line in text.splitlines())
    return builder.transcript("notes", f"The speaker format was not recognised. {NOTES_HELP}")


def parse_txt(data: bytes, name: str = "The file") -> Transcript:
    """Parse a .txt or .md file of notes."""
    return replace(parse_notes(decode_text(data, name)), source="txt")


def parse_docx(data: bytes, name: str = "The file") -> Transcript:
    """Parse a Word file: paragraphs as notes, two-column tables as (speaker, text) rows."""
    _check_docx_zip(data, name)
    import docx  # python-docx (and lxml) only when a Word file comes: quicker start-up
    from docx.table import Table

    builder = _TurnBuilder()
    try:
        document = docx.Document(io.BytesIO(data))
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                _read_table(block, builder)
            else:
                builder.lines(block.text.splitlines())
    except Exception as e:  # python-docx raises many kinds of error on a damaged file
        raise TranscriptError(
            f"{name} could not be read as a Word document ({_brief(e)}): "
            "open it in Word, save it as .docx and try again."
        ) from e
    missing = f"The speaker format was not recognised in {name}. {NOTES_HELP}"
    return builder.transcript("docx", missing)


def _check_docx_zip(data: bytes, name: str) -> None:
    """Refuse data that is not a zip holding a Word document, or that unpacks too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise TranscriptError(
            f"{name} is not a Word .docx file: open it in Word and save it as .docx "
            "(Word Document), or save it as .txt."
        ) from e
    unpacked = sum(e.file_size for e in entries)
    packs_too_well = any(
        e.file_size > _BIG_ENTRY and e.file_size > MAX_DOCX_RATIO * max(e.compress_size, 1)
        for e in entries
    )
    if unpacked > MAX_DOCX_UNZIPPED or packs_too_well:
        raise TranscriptError(
            f"{name} unpacks to {unpacked:,} bytes, too large or too compressed to be a "
            "transcript, so it was not opened: save the transcript again from Word."
        )
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        raise TranscriptError(
            f"{name} is a zip file but not a Word document: upload the .docx itself."
        )


def _read_table(table: Table, builder: _TurnBuilder) -> None:
    """Add a table's rows: (speaker, text) cells as turns, other rows as lines of notes."""
    rows = [_row_texts(row.cells) for row in table.rows]
    if not rows:
        return
    speaker_col, text_col, has_header = _table_columns(rows[0])
    for cells in rows[1:] if has_header else rows:
        if len(cells) <= max(speaker_col, text_col):
            builder.lines(line for cell in cells for line in cell.splitlines())
            continue
        who = cells[speaker_col].strip().rstrip(":").strip()
        text = " ".join(cells[text_col].split())
        label = speaker_label(who)
        if not who:
            if text:
                builder.more(text)
        elif label:
            builder.say(label, text)
        elif label_key(who) in NON_SPEAKER_LABELS:
            builder.comment(f"{who}: {text}")
        else:
            builder.lines(line for cell in cells for line in cell.splitlines())


def _row_texts(cells: Iterable[_Cell]) -> list[str]:
    """The text of each cell in a row, once per cell however many columns it spans."""
    texts: list[str] = []
    previous = None
    for cell in cells:
        if cell is not previous:
            texts.append(cell.text)
        previous = cell
    return texts


def _table_columns(first_row: list[str]) -> tuple[int, int, bool]:
    """(speaker column, text column, whether the first row is a header)."""
    keys = [label_key(c.rstrip(":")) for c in first_row]
    speaker = next((i for i, k in enumerate(keys) if k in TABLE_SPEAKER_HEADERS), None)
    if speaker is None:
        return 0, 1, False
    text = next((i for i, k in enumerate(keys) if k in TABLE_TEXT_HEADERS), speaker + 1)
    return speaker, text, True


def parse_vtt(data: bytes, name: str = "The file") -> Transcript:
    """Parse WebVTT captions (Teams <v Name> voice tags, or Zoom "Name: text" cues)."""
    text = decode_text(data, name)
    try:
        captions = webvtt.from_string(text).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as e:
        raise TranscriptError(
            f"{name} is not a valid WebVTT file ({_brief(e)}): export the transcript again as "
            ".vtt, or save it as .txt."
        ) from e
    if not captions:
        raise TranscriptError(f"{name} has no captions: export the transcript again as .vtt.")
    builder = _TurnBuilder()
    for caption in captions:
        words = html.unescape(" ".join(caption.text.split()))
        if caption.voice:
            builder.say(" ".join(caption.voice.split()), words)
        else:
            builder.line(words)
    return builder.transcript("vtt", f"No speakers found in {name}: {SUBTITLES_HELP}")


def parse_srt(data: bytes, name: str = "The file") -> Transcript:
    """Parse SubRip subtitles whose cues start with "Name: "."""
    text = decode_text(data, name)
    try:
        subtitles = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as e:
        raise TranscriptError(
            f"{name} is not a valid SRT subtitle file ({_brief(e)}): export it again as .srt, "
            "or save the transcript as .txt."
        ) from e
    if not subtitles:
        raise TranscriptError(f"{name} has no subtitles: export it again as .srt.")
    builder = _TurnBuilder()
    for subtitle in subtitles:
        builder.line(" ".join(subtitle.content.split()))
    return builder.transcript("srt", f"No speakers found in {name}: {SUBTITLES_HELP}")


def parse_csv(data: bytes, name: str = "The file") -> list[Transcript]:
    """Parse a transcript CSV or an AnnoMI CSV into one Transcript per session.

    Rows are kept one turn each, in order; a "role" column or a speaker of practitioner,
    therapist or client sets the turn's role.
    """
    reader = csv.reader(io.StringIO(decode_text(data, name)), strict=True)
    sessions: dict[str, list[Turn]] = {}
    try:
        header = next(reader, [])
        keys = [h.strip().lower() for h in header]
        columns = next((c for c in CSV_COLUMNS if set(c) <= set(keys)), None)
        if columns is None:
            needed = " or ".join(", ".join(c) for c in CSV_COLUMNS)
            found = _shorten(" ".join(", ".join(header).split()), 200) or "none"
            raise TranscriptError(f"{name} needs the CSV columns {needed}; found: {found}.")
        index = [keys.index(c) for c in columns]
        role_index = keys.index("role") if "role" in keys else None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header) or any(c.strip() for c in row[len(header):]):
                raise TranscriptError(
                    f"{name} line {reader.line_num} has {len(row)} fields but the header has "
                    f"{len(header)}: put text that contains commas in double quotes."
                )
            session, turn_id, speaker, text = (row[i].strip() for i in index)
            if len(turn_id) > MAX_TURN_ID_CHARS:
                raise TranscriptError(
                    f"{name} line {reader.line_num} has a turn id of {len(turn_id)} characters: "
                    f"use short ids (at most {MAX_TURN_ID_CHARS}), such as 1, 2, 3."
                )
            given = row[role_index] if role_index is not None else ""
            role = CSV_ROLES.get(given.strip().lower()) or CSV_ROLES.get(speaker.lower(), "")
            sessions.setdefault(session, []).append(
                Turn(speaker=speaker, text=text, role=role, turn_id=turn_id)
            )
    except csv.Error as e:
        raise TranscriptError(
            f"{name} is not valid CSV (line {reader.line_num}: {e}): check its quotes and "
            "save it again as CSV."
        ) from e
    if not sessions:
        raise TranscriptError(f"{name} has a header but no rows: add the turns and try again.")
    return [Transcript(turns=t, session_id=s, source="csv") for s, t in sessions.items()]


_READERS: dict[str, Callable[[bytes, str], list[Transcript]]] = {
    ".txt": lambda data, name: [parse_txt(data, name)],
    ".md": lambda data, name: [parse_txt(data, name)],
    "": lambda data, name: [parse_txt(data, name)],
    ".docx": lambda data, name: [parse_docx(data, name)],
    ".vtt": lambda data, name: [parse_vtt(data, name)],
    ".srt": lambda data, name: [parse_srt(data, name)],
    ".csv": parse_csv,
}


def read_transcripts(
    path: Path, *, max_bytes: int = 5_000_000, practitioner: str | None = None
) -> list[Transcript]:
    """Read a transcript file of any supported format, with roles assigned."""
    path = Path(path)
    try:
        size = path.stat().st_size
        _check_size(file_label(path.name), size, max_bytes)
        data = path.read_bytes()
    except OSError as e:
        raise TranscriptError(f"Cannot read {file_label(path.name)}: {e.strerror or e}.") from e
    return read_bytes(data, path.name, max_bytes=max_bytes, practitioner=practitioner)


def read_bytes(
    data: bytes, name: str, *, max_bytes: int = 5_000_000, practitioner: str | None = None
) -> list[Transcript]:
    """Read an uploaded file's bytes; the format comes from the file name's extension."""
    suffix = Path(name).suffix.lower()
    name = file_label(name)
    reader = _READERS.get(suffix)
    if reader is None:
        raise TranscriptError(f"{name}: {suffix} files are not supported; use one of {SUPPORTED}.")
    _check_size(name, len(data), max_bytes)
    return [
        assign_roles(replace(t, metadata={**t.metadata, "file": name}), practitioner)
        for t in reader(data, name)
    ]


def _check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse more than `max_bytes`; a size of max_bytes + 1 may be all that was read."""
    if size > max_bytes:
        raise TranscriptError(
            f"{name} is {_size(size, max_bytes)} bytes, over the limit of {max_bytes:,} bytes: "
            "split it, or raise the limit (mifi code --max-size, or MIFI_MAX_UPLOAD_MB)."
        )


def _size(size: int, max_bytes: int) -> str:
    """The size for a message: "more than N" when only the limit and one byte were read."""
    return f"more than {max_bytes:,}" if size == max_bytes + 1 else f"{size:,}"


def read_text(
    text: str, *, practitioner: str | None = None, max_bytes: int = 5_000_000
) -> Transcript:
    """Read typed or pasted notes, with roles assigned."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise TranscriptError(
            f"The notes are {_size(size, max_bytes)} bytes, over the limit of {max_bytes:,} "
            "bytes: split them into separate sessions."
        )
    return assign_roles(parse_notes(text), practitioner)


def file_label(name: str) -> str:
    """A file name as shown in messages and titles: one line, at most 80 characters."""
    name = " ".join(strip_controls(name).split()) or "The file"
    if len(name) <= MAX_NAME_CHARS:
        return name
    suffix = Path(name).suffix[:10]
    return name[: MAX_NAME_CHARS - len(suffix) - 1] + "…" + suffix


def _shorten(text: str, limit: int) -> str:
    """The text, cut to `limit` characters with "…" when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _brief(error: Exception) -> str:
    """The first line of an error's message, shortened, for a one-line user message."""
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else type(error).__name__
    return _shorten(strip_controls(first), 120)
