"""The rule layer: patterns kept as data in `classifiers/patterns/<role>.jsonl`.

Each line is one rule: `{"id", "code", "regex", "explanation"}` with optional `subtype` and
`confidence`. Rules are tried in file order; the first that matches an utterance codes it.
A rule with `"codes": [...]` instead of `"code"` only narrows the choice: the model then
picks the most likely of those codes (a question mark allows Q, SR or CR, for example).
With `"prefer": CODE` as well, the model must be at least `confidence` sure to pick another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from classifiers.corpus import CLIENT_CODES, PRACTITIONER_CODES

DEFAULT_CONFIDENCE = 0.9


class RuleError(ValueError):
    """A pattern file that cannot be used; the message names file, line and problem."""


@dataclass(frozen=True)
class Rule:
    id: str
    codes: tuple[str, ...]
    subtype: str
    pattern: re.Pattern[str]
    explanation: str
    confidence: float = DEFAULT_CONFIDENCE
    prefer: str = ""

    @property
    def code(self) -> str:
        """The code this rule gives (the preferred or first, for one that narrows the choice)."""
        return self.prefer or self.codes[0]

    @property
    def decides(self) -> bool:
        """True when the rule gives one code; False when it narrows the model's choice."""
        return len(self.codes) == 1

    def matches(self, text: str) -> bool:
        return self.pattern.search(text) is not None


def load_rules(path: Path, role: str) -> tuple[Rule, ...]:
    """Read and validate one pattern file."""
    allowed = PRACTITIONER_CODES if role == "practitioner" else CLIENT_CODES
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            d = json.loads(line)
            pattern = re.compile(d["regex"], re.IGNORECASE)
        except json.JSONDecodeError as e:
            raise RuleError(f"{where}: not valid JSON ({e.msg})") from None
        except KeyError as e:
            raise RuleError(f"{where}: missing field {e}") from None
        except re.error as e:
            raise RuleError(f"{where}: bad regex ({e})") from None
        for key in ("id", "explanation"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise RuleError(f"{where}: field {key!r} must be a non-empty string")
        codes = d.get("codes", [d.get("code")])
        if not isinstance(codes, list) or not codes or ("code" in d) == ("codes" in d):
            raise RuleError(f"{where}: give either 'code' or a non-empty list 'codes'")
        for code in codes:
            if code not in allowed:
                raise RuleError(f"{where}: code {code!r} is not a {role} code")
        prefer = d.get("prefer", "")
        if prefer and prefer not in codes:
            raise RuleError(f"{where}: prefer {prefer!r} is not one of its codes")
        if d["id"] in seen:
            raise RuleError(f"{where}: duplicate rule id {d['id']!r}")
        seen.add(d["id"])
        conf = d.get("confidence", DEFAULT_CONFIDENCE)
        if not isinstance(conf, (int, float)) or not 0 < conf <= 1:
            raise RuleError(f"{where}: confidence must be a number in (0, 1]")
        rules.append(Rule(d["id"], tuple(codes), d.get("subtype", ""), pattern, d["explanation"],
                          float(conf), prefer))
    return tuple(rules)


@lru_cache(maxsize=2)
def rules_for(role: str) -> tuple[Rule, ...]:
    """The shipped rules for a role ("practitioner" or "client")."""
    path = resources.files("classifiers").joinpath("patterns", f"{role}.jsonl")
    return load_rules(Path(str(path)), role)


@lru_cache(maxsize=65536)
def matching_rules(text: str, role: str) -> tuple[Rule, ...]:
    """Every rule for the role that matches the utterance, in file order (cached: the
    features and the coder both ask)."""
    stripped = text.strip()
    return tuple(rule for rule in rules_for(role) if rule.matches(stripped))


def first_match(text: str, role: str) -> Rule | None:
    """The first rule for the role that matches the utterance, if any."""
    found = matching_rules(text, role)
    return found[0] if found else None
