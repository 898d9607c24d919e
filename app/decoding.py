"""Turn the bytes of an uploaded text file into a string, or say clearly why not."""

from __future__ import annotations

import codecs
import re

from app.transcript import TranscriptError

# Byte order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACKS = ("utf-8", "cp1252")
# Unicode category Cc (C0, DEL, C1) except the tab and newline a transcript keeps.
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_CONTROL_SHARE = 0.02  # a text with more control characters than this is binary
_MIN_CONTROLS = 4


def decode_text(data: bytes, name: str) -> str:
    """Decode a text file's bytes, with newlines as "\\n" and stray control characters removed.

    Reads UTF-8 (with or without BOM), UTF-16 (with BOM, or without when its NUL bytes
    show it) and Windows-1252. Raises TranscriptError for an empty, binary or
    undecodable file; `name` is the file name used in the message.
    """
    if not data.strip():
        raise TranscriptError(f"{name} is empty: add the conversation text and try again.")
    encoding = _bom_encoding(data) or _utf16_without_bom(data)
    if encoding is None and b"\0" in data:
        raise _binary(name)
    text = _decode(data, [encoding] if encoding else _FALLBACKS, name)
    text = "\n".join(text.splitlines())
    if not text.strip():
        raise TranscriptError(
            f"{name} has only blank space: add the conversation text and try again."
        )
    controls = len(_STRAY_CONTROLS.findall(text))
    if controls >= _MIN_CONTROLS and controls > _MAX_CONTROL_SHARE * len(text):
        raise _binary(name)
    return _STRAY_CONTROLS.sub("", text) if controls else text


def strip_controls(text: str) -> str:
    """The text without control characters other than tab and newline (NUL, escape, …), and
    with any lone surrogate (which no file can hold) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", _STRAY_CONTROLS.sub("", text))


def _bom_encoding(data: bytes) -> str | None:
    """The encoding named by the byte order mark at the start of `data`, if any."""
    return next((enc for bom, enc in _BOMS if data.startswith(bom)), None)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 LE or BE when NUL bytes sit regularly on odd or even positions, as in ASCII text."""
    if b"\0" not in data or len(data) < 2:
        return None
    pairs = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd > 0.3 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.3 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _decode(data: bytes, encodings: list[str] | tuple[str, ...], name: str) -> str:
    """The text in the first encoding that decodes `data` without error."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TranscriptError(
        f"{name} is not in a text encoding we can read: save it as UTF-8 text and try again."
    )


def _binary(name: str) -> TranscriptError:
    """The error for a file that is not text."""
    return TranscriptError(
        f"{name} looks like a binary file, not text: "
        "upload the transcript as .txt, .docx, .vtt, .srt or .csv."
    )
