"""The new-session form: what the user typed, checked field by field, errors kept beside it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from app.decoding import strip_controls
from app.models import Setting, Visibility
from app.store import SessionMeta

FAMILY_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /_.#-]{0,39}$")
LOOKS_LIKE_A_NAME = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr)?\.?\s*[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+$")
EARLIEST = date(2000, 1, 1)
MAX_GOALS = 500  # characters of change goal(s) stored, placeholders included
GOALS_TOO_LONG_REDACTED = (f"With names and other identifiers replaced by placeholders such as [CHILD 1], "
                           f"the change goal(s) come to over {MAX_GOALS} characters: shorten them.")


@dataclass
class NewSessionForm:
    text: str = ""
    practitioner: str = ""
    session_date: str = ""
    family_ref: str = ""
    change_goals: str = ""
    setting: str = Setting.home_visit.value
    visibility: str = Visibility.private.value
    names: str = ""  # names to remove from the text, comma- or line-separated
    errors: dict[str, str] = field(default_factory=dict)

    def meta(self, today: date) -> SessionMeta | None:
        """The session's metadata, or None with `errors` filled in field by field."""
        e = self.errors
        when = None
        try:
            when = date.fromisoformat(self.session_date.strip())
        except ValueError:
            e["session_date"] = "Enter the date of the conversation, for example 2026-03-14."
        if when and not EARLIEST <= when <= today:
            e["session_date"] = "The date must be today or in the past."
        ref = self.family_ref.strip()
        if not ref:
            e["family_ref"] = "Enter the family's pseudonymous reference, such as FAM-0142."
        elif LOOKS_LIKE_A_NAME.match(ref):
            e["family_ref"] = "This looks like a name: use the family's pseudonymous reference instead."
        elif not FAMILY_REF.match(ref):
            e["family_ref"] = "Use up to 40 letters, numbers, spaces and - / _ . # only."
        goals = strip_controls(self.change_goals).strip()
        if not goals:
            e["change_goals"] = "Say what change the conversation was about, such as 'getting Kayden to school on time'."
        elif len(goals) > MAX_GOALS:
            e["change_goals"] = "Keep the change goal(s) under 500 characters."
        if self.setting not in {s.value for s in Setting}:
            e["setting"] = "Choose where the conversation took place."
        if self.visibility not in {v.value for v in Visibility}:
            e["visibility"] = "Choose who may see this session."
        if e or when is None:
            return None
        return SessionMeta(when, ref, goals, Setting(self.setting),
                           Visibility(self.visibility))
