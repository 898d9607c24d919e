"""Who is the practitioner and who is the client, decided from the speaker labels."""

from __future__ import annotations

import re
from dataclasses import replace

from app.transcript import Transcript, TranscriptError

# Labels that name the practitioner, as keys (see `label_key`).
PRACTITIONER_LABELS: tuple[str, ...] = (
    "practitioner", "sw", "social worker", "worker", "me", "p", "therapist", "counsellor",
    "counselor", "interviewer", "nurse", "health visitor", "hv", "keyworker", "key worker",
    "fsw", "family support worker", "support worker", "probation officer", "officer", "idva",
    "advocate", "midwife", "coach", "doctor", "dr", "gp", "clinician", "psychologist",
    "mentor", "youth worker", "family worker", "caseworker", "case worker",
)

# Labels that name a family member or client; the notes parser accepts them in any case.
CLIENT_LABELS: tuple[str, ...] = (
    "client", "c", "mum", "mam", "mom", "mother", "dad", "father", "parent", "carer",
    "partner", "child", "son", "daughter", "young person", "yp", "gran", "nan", "nana",
    "grandma", "grandad", "grandmother", "grandfather", "aunt", "auntie", "uncle",
    "brother", "sister", "stepmum", "stepdad", "step mum", "step dad", "service user",
)

# A practitioner word at the start or end of a longer label ("Dr Patel", "Amy (SW)") counts
# too, if it has at least this many letters: "Sarah P" is not a practitioner.
_MIN_AFFIX_LEN = 2
MAX_LISTED = 10  # speakers named in a message


def label_key(label: str) -> str:
    """The label lower-cased, without dots, with hyphens and runs of spaces as one space."""
    return " ".join(re.sub(r"[-_]", " ", label.replace(".", "")).lower().split())


def is_role_label(label: str) -> bool:
    """True if the label is a known role word such as "mum", "sw" or "key worker"."""
    key = label_key(label)
    return key in PRACTITIONER_LABELS or key in CLIENT_LABELS


def is_practitioner_label(label: str) -> bool:
    """True if the label names a practitioner: "SW", "Social Worker", "Dr Patel", "Amy (SW)"."""
    words = label_key(label.replace("(", " ").replace(")", " ")).split()
    affixes = [" ".join(words[:n]) for n in range(1, len(words))]
    affixes += [" ".join(words[n:]) for n in range(1, len(words))]
    return " ".join(words) in PRACTITIONER_LABELS or any(
        len(a) >= _MIN_AFFIX_LEN and a in PRACTITIONER_LABELS for a in affixes
    )


def assign_roles(t: Transcript, practitioner: str | None = None) -> Transcript:
    """Return a copy of `t` with each coded turn's role set to "practitioner" or "client".

    The practitioner is the speaker named by `practitioner` (any case), else the first
    speaker with a practitioner-like label, else the first speaker (unless a CSV already
    named a practitioner); everyone else is a client. Roles already set by a CSV are kept.
    """
    unset = list(dict.fromkeys(u.speaker for u in t.turns if u.coded and not u.role))
    if not unset:
        return replace(t, turns=list(t.turns))
    has_practitioner = any(u.role == "practitioner" for u in t.turns)
    chosen = _practitioner(t.speakers, unset, practitioner, fallback=not has_practitioner)
    turns = [
        replace(u, role="practitioner" if u.speaker == chosen else "client")
        if u.coded and not u.role else u
        for u in t.turns
    ]
    return replace(t, turns=turns)


def _practitioner(
    speakers: list[str], unset: list[str], name: str | None, fallback: bool
) -> str | None:
    """The speaker label taken as the practitioner; the first speaker only if `fallback`."""
    if name:
        for s in speakers:
            if s.casefold() == name.strip().casefold():
                return s
        found = ", ".join(repr(s[:40]) for s in speakers[:MAX_LISTED])
        more = f" and {len(speakers) - MAX_LISTED} more" if len(speakers) > MAX_LISTED else ""
        raise TranscriptError(
            f"Practitioner {name.strip()[:40]!r} is not a speaker in this transcript; "
            f"speakers found: {found}{more}."
        )
    return next((s for s in unset if is_practitioner_label(s)), unset[0] if fallback else None)
