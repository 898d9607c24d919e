"""Coding schemes as data: load a scheme file from `coding_schemes/` and validate it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from app import formula

DEFAULT_SCHEME = "miti-4.2.1"
ROLES = ("practitioner", "client")
DISPLAYS = ("ratio", "percent", "count", "rating", "number")
# Names every formula may use besides code ids and earlier score ids.
BUILT_IN_NAMES = {"volleys", "Q_open", "Q_closed", "change_reflected_share"}


class SchemeError(ValueError):
    """A scheme file that breaks the format: names the file, the field and the problem."""


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    role: str
    definition: str
    examples: tuple[str, ...]
    scores: tuple[str, ...]


@dataclass(frozen=True)
class GlobalRating:
    id: str
    name: str
    anchors: dict[int, str]
    estimate: str


@dataclass(frozen=True)
class SummaryScore:
    id: str
    name: str
    formula: str
    display: str
    fair: float | None = None
    good: float | None = None
    helper: bool = False
    lower_is_better: bool = False
    measure_version: str = ""
    label: str = ""


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    reference: str
    note: str
    codes: tuple[Code, ...]
    globals: tuple[GlobalRating, ...]
    summary_scores: tuple[SummaryScore, ...]
    path: str = field(default="", compare=False)

    def code(self, code_id: str) -> Code:
        return next(c for c in self.codes if c.id == code_id)

    def codes_for(self, role: str) -> list[str]:
        return [c.id for c in self.codes if c.role == role]


def scheme_path(name_or_path: str) -> Path:
    """A scheme by id (a file in coding_schemes/) or by path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    found = resources.files("coding_schemes").joinpath(f"{name_or_path}.yaml")
    if not found.is_file():
        known = ", ".join(available_schemes()) or "none"
        raise SchemeError(f"{name_or_path}: no such scheme (available: {known})")
    return Path(str(found))


def available_schemes() -> list[str]:
    folder = resources.files("coding_schemes")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=8)
def load_scheme(name_or_path: str = DEFAULT_SCHEME) -> Scheme:
    """Load and validate a scheme; raise SchemeError naming file, field and problem."""
    path = scheme_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise SchemeError(f"{path.name}: cannot be read as YAML: {str(e).splitlines()[0]}") from None
    return _validate(data, path)


def _validate(data: Any, path: Path) -> Scheme:
    check = _Checker(path.name)
    check.that(isinstance(data, dict), "(top level)", "must be a mapping")
    for key in ("id", "name", "codes", "globals", "summary_scores"):
        check.that(key in data, key, "is missing")
    codes = tuple(_code(check, c, i) for i, c in enumerate(check.items(data, "codes")))
    ids = [c.id for c in codes]
    check.that(len(ids) == len(set(ids)), "codes", "has a duplicate id")
    ratings = tuple(_rating(check, g, i) for i, g in enumerate(check.items(data, "globals")))
    # Evaluation order: helper scores (from counts), then global estimates, then the rest.
    counts = set(ids) | BUILT_IN_NAMES
    helpers: set[str] = set()
    scores: list[SummaryScore] = []
    for i, s in enumerate(check.items(data, "summary_scores")):
        is_helper = isinstance(s, dict) and bool(s.get("helper"))
        known = counts | helpers if is_helper else \
            counts | helpers | {g.id for g in ratings} | {x.id for x in scores}
        score = _score(check, s, i, known)
        scores.append(score)
        if score.helper:
            helpers.add(score.id)
    for i, g in enumerate(ratings):
        used = formula.names(g.estimate) - counts - helpers
        check.that(not used, f"globals[{i}].estimate",
                   f"uses names that are not counts or helper scores: {sorted(used)}")
    _check_score_places(check, codes, scores)
    return Scheme(str(data["id"]), str(data["name"]), str(data.get("reference", "")),
                  str(data.get("note", "")), codes, ratings, tuple(scores), str(path))


def _code(check: _Checker, c: Any, i: int) -> Code:
    where = f"codes[{i}]"
    check.that(isinstance(c, dict), where, "must be a mapping")
    for key in ("id", "name", "role", "definition", "examples", "scores"):
        check.that(key in c, f"{where}.{key}", "is missing")
    check.that(c["role"] in ROLES, f"{where}.role", f"must be one of {', '.join(ROLES)}")
    ex = c["examples"]
    check.that(isinstance(ex, list) and len(ex) >= 3 and all(isinstance(e, str) and e for e in ex),
               f"{where}.examples", "needs at least three example sentences")
    check.that(isinstance(c["scores"], list), f"{where}.scores", "must be a list of score ids")
    return Code(str(c["id"]), str(c["name"]), c["role"], str(c["definition"]), tuple(ex),
                tuple(c["scores"]))


def _rating(check: _Checker, g: Any, i: int) -> GlobalRating:
    where = f"globals[{i}]"
    check.that(isinstance(g, dict), where, "must be a mapping")
    for key in ("id", "name", "anchors", "estimate"):
        check.that(key in g, f"{where}.{key}", "is missing")
    anchors = g["anchors"]
    check.that(isinstance(anchors, dict) and sorted(anchors) == [1, 2, 3, 4, 5],
               f"{where}.anchors", "needs one description for each level 1 to 5")
    check.formula(g["estimate"], f"{where}.estimate")
    return GlobalRating(str(g["id"]), str(g["name"]), {int(k): str(v) for k, v in anchors.items()},
                        str(g["estimate"]))


def _score(check: _Checker, s: Any, i: int, known: set[str]) -> SummaryScore:
    where = f"summary_scores[{i}]"
    check.that(isinstance(s, dict), where, "must be a mapping")
    for key in ("id", "name", "formula", "display"):
        check.that(key in s, f"{where}.{key}", "is missing")
    check.formula(s["formula"], f"{where}.formula")
    unknown = formula.names(s["formula"]) - known
    check.that(not unknown, f"{where}.formula", f"uses unknown names {sorted(unknown)}")
    check.that(s["display"] in DISPLAYS, f"{where}.display", f"must be one of {', '.join(DISPLAYS)}")
    th = s.get("thresholds") or {}
    check.that(isinstance(th, dict) and set(th) <= {"fair", "good"}, f"{where}.thresholds",
               "may only hold fair and good")
    for k, v in th.items():
        check.that(isinstance(v, (int, float)), f"{where}.thresholds.{k}", "must be a number")
    fair, good = th.get("fair"), th.get("good")
    lower = bool(s.get("lower_is_better", False))
    if fair is not None and good is not None:
        check.that(good <= fair if lower else good >= fair, f"{where}.thresholds",
                   "good must be beyond fair")
    return SummaryScore(str(s["id"]), str(s["name"]), str(s["formula"]), s["display"], fair, good,
                        bool(s.get("helper", False)), lower, str(s.get("measure_version", "")),
                        str(s.get("label", "")))


def _check_score_places(check: _Checker, codes: tuple[Code, ...], scores: list[SummaryScore]) -> None:
    """Each code's `scores` must name exactly the reported scores whose formula uses it."""
    reported = {s.id: s for s in scores if not s.helper}
    for i, c in enumerate(codes):
        for sid in c.scores:
            check.that(sid in reported, f"codes[{i}].scores", f"names unknown score {sid!r}")
        used_in = {s.id for s in reported.values()
                   if any(n == c.id or n.startswith(c.id + "_") for n in formula.names(s.formula))}
        check.that(used_in == set(c.scores), f"codes[{i}].scores",
                   f"should be {sorted(used_in)} to match the formulas, not {sorted(c.scores)}")


class _Checker:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def that(self, ok: bool, field_name: str, problem: str) -> None:
        if not ok:
            raise SchemeError(f"{self.filename}: {field_name}: {problem}")

    def items(self, data: dict, key: str) -> list:
        value = data.get(key)
        self.that(isinstance(value, list) and bool(value), key, "must be a non-empty list")
        return value

    def formula(self, text: Any, field_name: str) -> None:
        self.that(isinstance(text, str), field_name, "must be a formula string")
        try:
            formula.parse(text)
        except formula.FormulaError as e:
            self.that(False, field_name, str(e))
