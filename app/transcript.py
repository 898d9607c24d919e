"""A transcript as parsed from notes or a file: speaker turns, before any coding."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Turn:
    """One speaker turn: who spoke (label as written), their role, and what they said.

    `coded` is False for lines kept in the record but never coded, such as the bracketed
    commentary of a process recording ("(I noticed she went quiet)").
    `turn_id` is the turn's id as given in the file (a CSV's `turn`), else its index.
    """

    speaker: str
    text: str
    role: str = ""  # "practitioner" or "client"; filled by roles.assign_roles
    coded: bool = True
    turn_id: str = ""


@dataclass
class Transcript:
    """The turns of one conversation, in order."""

    turns: list[Turn]
    session_id: str = "1"
    source: str = ""  # the format it came from: notes, txt, docx, vtt, srt, csv
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance (commentary excluded)."""
        seen: dict[str, None] = {}
        for t in self.turns:
            if t.coded:
                seen.setdefault(t.speaker, None)
        return list(seen)


class TranscriptError(ValueError):
    """Input that cannot be read as a transcript; the message tells the user what to do."""
