import pytest

from app import formula


def test_arithmetic_and_functions():
    values = {"SR": 3, "CR": 1, "Q": 2}
    assert formula.evaluate("(SR + CR) / Q", values) == 2.0
    assert formula.evaluate("clamp(1, 5, 10 - SR)", values) == 5.0
    assert formula.evaluate("max(Q, 1) * -1", values) == -2.0


def test_division_by_zero_is_undefined():
    assert formula.evaluate("(SR + CR) / Q", {"SR": 1, "CR": 0, "Q": 0}) is None


def test_names_excludes_functions():
    assert formula.names("clamp(1, 5, SR / max(Q, 1))") == {"SR", "Q"}


@pytest.mark.parametrize("bad", [
    "__import__('os').system('true')", "SR.real", "[SR]", "SR ** 2", "SR if Q else CR",
    "lambda: 1", "open('x')", "SR and Q", "'text'", "True + 1",
])
def test_anything_beyond_arithmetic_is_refused(bad):
    with pytest.raises(formula.FormulaError):
        formula.parse(bad)


def test_unknown_name_is_an_error():
    with pytest.raises(formula.FormulaError, match="unknown name 'X'"):
        formula.evaluate("X + 1", {})
