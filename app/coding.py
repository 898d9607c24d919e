"""The coding pipeline: transcripts in, coded sessions with fidelity scores out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.scheme import Scheme
from app.scoring import FidelityScores, score_session
from app.transcript import Transcript, Turn
from classifiers.coder import Coder, TurnInput, Utterance


@dataclass
class CodedTurn:
    turn: Turn
    utterances: list[Utterance]


@dataclass
class CodedSession:
    """One conversation, coded and scored."""

    session_id: str
    turns: list[CodedTurn]
    scores: FidelityScores
    source: str = ""


def code_transcripts(transcripts: Sequence[Transcript], scheme: Scheme, coder: Coder) -> list[CodedSession]:
    """Segment, classify and score every transcript (in one batch, for speed)."""
    conversations = [[TurnInput(t.role, t.text, t.coded) for t in tr.turns] for tr in transcripts]
    coded = coder.code(conversations)
    sessions = []
    for tr, turns in zip(transcripts, coded):
        cturns = [CodedTurn(t, u) for t, u in zip(tr.turns, turns)]
        scores = score_session([(c.turn.role, c.utterances) for c in cturns if c.turn.coded], scheme)
        sessions.append(CodedSession(tr.session_id, cturns, scores, tr.source))
    return sessions
