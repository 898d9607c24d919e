"""A small, safe evaluator for scheme formulas: arithmetic on named counts, never `eval`.

Allowed: numbers, names, + - * /, unary minus, parentheses, and the functions
`min`, `max` and `clamp(lo, hi, x)`. Division by zero makes the result undefined (None).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache

FUNCTIONS = {
    "min": min,
    "max": max,
    "clamp": lambda lo, hi, x: max(lo, min(hi, x)),
}
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div)


class FormulaError(ValueError):
    """A formula that is not allowed or cannot be read."""


class _Undefined(Exception):
    """Raised inside evaluation when a value is undefined (division by zero)."""


@lru_cache(maxsize=512)
def parse(formula: str) -> ast.Expression:
    """Parse and check a formula; raise FormulaError naming what is not allowed.

    Cached: scores are recomputed on every page view, and the tree is never changed.
    """
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as e:
        raise FormulaError(f"cannot read formula {formula!r}: {e.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.Name, *_BINARY, ast.USub)):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in FUNCTIONS and not node.keywords:
            continue
        raise FormulaError(f"{type(node).__name__} is not allowed in formula {formula!r}")
    return tree


def names(formula: str) -> set[str]:
    """The variable names a formula uses (function names excluded)."""
    tree = parse(formula)
    funcs = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - funcs


def evaluate(formula: str | ast.Expression, values: Mapping[str, float | None]) -> float | None:
    """Evaluate a formula with the given values; None when a value is undefined."""
    tree = parse(formula) if isinstance(formula, str) else formula
    try:
        return float(_eval(tree.body, values))
    except _Undefined:
        return None


def _eval(node: ast.AST, values: Mapping[str, float | None]) -> float:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"unknown name {node.id!r}")
        v = values[node.id]
        if v is None:
            raise _Undefined
        return v
    if isinstance(node, ast.UnaryOp):
        return -_eval(node.operand, values)
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](*(_eval(a, values) for a in node.args))
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise _Undefined
        return left / right
    raise FormulaError(f"{type(node).__name__} is not allowed")
