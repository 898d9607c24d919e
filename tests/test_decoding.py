"""Tests for app.decoding: encodings, newlines and the errors for files that are not text."""

import codecs

import pytest

from app.decoding import decode_text
from app.transcript import TranscriptError

TEXT = "SW: How are things?\nMum: Fine, thanks. It’s £5 a week.\n"


def test_plain_utf8():
    assert decode_text(TEXT.encode("utf-8"), "a.txt") == TEXT.rstrip("\n")


def test_utf8_with_bom_drops_the_bom():
    text = decode_text(codecs.BOM_UTF8 + TEXT.encode("utf-8"), "a.txt")
    assert text.startswith("SW: How")
    assert "\ufeff" not in text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(encoding):
    # "utf-16" writes a BOM; "utf-16-le" and "utf-16-be" do not, so the NUL pattern decides.
    assert decode_text(TEXT.encode(encoding), "a.txt") == TEXT.rstrip("\n")


def test_utf16_be_with_bom():
    data = codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")
    assert decode_text(data, "a.txt") == TEXT.rstrip("\n")


def test_windows_1252_curly_quotes_and_pound():
    data = b"Mum: I \x93tried\x94 \x96 it cost \xa310, didn\x92t it"
    assert decode_text(data, "a.txt") == "Mum: I “tried” – it cost £10, didn’t it"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_newlines_become_lf(newline):
    data = newline.join(["SW: one", "Mum: two", "SW: three"]).encode()
    assert decode_text(data, "a.txt") == "SW: one\nMum: two\nSW: three"


def test_a_few_stray_control_characters_are_removed():
    assert decode_text(b"SW: hello\x1a", "a.txt") == "SW: hello"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "])
def test_empty_or_whitespace_file(data):
    with pytest.raises(TranscriptError, match=r"^a\.txt is empty"):
        decode_text(data, "a.txt")


def test_bom_only_is_blank():
    with pytest.raises(TranscriptError, match="only blank space"):
        decode_text(codecs.BOM_UTF16_LE + " \n".encode("utf-16-le"), "a.txt")


def test_binary_with_nul_bytes():
    data = bytes(range(256)) * 4  # NULs on both even and odd positions: not UTF-16
    with pytest.raises(TranscriptError, match=r"^a\.bin looks like a binary file"):
        decode_text(data, "a.bin")


def test_binary_png_header():
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06"
    with pytest.raises(TranscriptError, match="binary"):
        decode_text(data, "a.txt")


def test_lots_of_control_characters_without_nul():
    data = b"SW: hi\x01\x02\x03\x04\x05\x06\x07\x08 there"
    with pytest.raises(TranscriptError, match="binary"):
        decode_text(data, "a.txt")


def test_undecodable_text():
    # 0x81 and 0x8d are invalid UTF-8 here and undefined in Windows-1252.
    with pytest.raises(TranscriptError, match="not in a text encoding we can read"):
        decode_text(b"Mum: caf\x81\x8d", "a.txt")


def test_broken_utf16_is_undecodable():
    data = codecs.BOM_UTF16_LE + "SW: hi".encode("utf-16-le") + b"\x00"  # odd length
    with pytest.raises(TranscriptError, match="save it as UTF-8"):
        decode_text(data, "a.txt")


def test_messages_are_one_line():
    for data in (b"", b"\x00\x01\x02\x00\x00\x03", b"\x81\x8d"):
        with pytest.raises(TranscriptError) as info:
            decode_text(data, "a.txt")
        assert "\n" not in str(info.value)
