"""Coded sessions as data: the JSON contract of shared/EVALUATION.md, and a CSV per utterance."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from app.coding import CodedSession
from app.scheme import Scheme
from app.scoring import FidelityScores

CSV_COLUMNS = ["session_id", "turn", "speaker", "role", "utterance", "start", "end", "text",
               "code", "subtype", "confidence", "needs_review", "source", "explanation"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def summary(scores: FidelityScores) -> dict[str, Any]:
    """The session summary: counts, summary scores, and global ratings (estimates labelled)."""
    out: dict[str, Any] = {"counts": dict(scores.counts), "volleys": scores.volleys}
    for s in scores.scores:
        key = f"{s.id}_estimate" if s.estimated else s.id
        out[key] = s.value
    suffix = "_estimates" if scores.globals_estimated else ""
    out[f"global_ratings{suffix}"] = dict(scores.globals)
    out["client_talk"] = dict(scores.client_talk)
    return out


def session_json(session: CodedSession) -> dict[str, Any]:
    turns = []
    for i, ct in enumerate(session.turns):
        t = ct.turn
        turns.append({
            "turn": t.turn_id or str(i), "speaker": t.speaker, "role": t.role, "text": t.text,
            **({} if t.coded else {"coded": False}),
            "utterances": [{"text": u.text, "start": u.start, "end": u.end, "code": u.code,
                            "subtype": u.subtype or None, "confidence": u.confidence,
                            "source": u.source, "explanation": u.explanation,
                            "needs_review": u.needs_review}
                           for u in ct.utterances],
        })
    return {"session_id": session.session_id, "summary": summary(session.scores), "turns": turns}


def to_json(sessions: Sequence[CodedSession], scheme: Scheme, model: dict[str, str],
            indent: int | None = None) -> str:
    """The JSON contract; compact by default (the C encoder: several times faster than indented)."""
    doc = {"scheme": scheme.id, "model": model, "sessions": [session_json(s) for s in sessions]}
    return json.dumps(doc, ensure_ascii=False, indent=indent)


def safe_cell(value: Any) -> Any:
    """Defuse spreadsheet formula injection: a text cell never starts with = + - @."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(sessions: Sequence[CodedSession]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for s in sessions:
        for i, ct in enumerate(s.turns):
            t = ct.turn
            for j, u in enumerate(ct.utterances):
                row = [s.session_id, t.turn_id or str(i), t.speaker, t.role, j, u.start, u.end,
                       u.text, u.code, u.subtype, u.confidence, u.needs_review, u.source,
                       u.explanation]
                w.writerow([safe_cell(v) for v in row])
    return buf.getvalue()
