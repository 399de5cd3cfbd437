"""Every Partials row of the rule table agrees with sympy.diff; a new row is checked
automatically (tests/test_array_rules.py checks the NumPy rows numerically)."""

import math

import pytest

from s2sdiff import rules
from s2sdiff.check import check_rule
from s2sdiff.rules import RULES, Function, Partials

try:                     # SciPy's rows are registered once SciPy is imported (rules.py)
    import scipy.special  # noqa: F401
except ImportError:
    pass
rules.load_optional_rows()


@pytest.mark.parametrize("rule", [r for r in RULES.values() if isinstance(r, Partials)],
                         ids=lambda r: r.name)
def test_rule_matches_sympy(rule):
    results = check_rule(rule)
    assert len(results) == (rule.arity or 3)


def test_a_wrong_partial_is_caught():
    right = RULES[Function(math.sin)]
    wrong = Partials(right.key, right.forward, lambda m, out, x: (-m.cos(x),))
    with pytest.raises(AssertionError, match="math.sin"):
        check_rule(wrong)


def test_a_row_is_keyed_by_what_it_is(monkeypatch):
    """``defrule(math.sin, ...)`` keys the row ``Function(math.sin)``; a key has one row."""
    monkeypatch.setattr(rules, "RULES", {})
    rules.defrule(math.sin, lambda m, x: m.sin(x), lambda m, out, x: (m.cos(x),))
    assert list(rules.RULES) == [Function(math.sin)]
    assert rules.lookup(Function(math.sin, arity=1)) is rules.RULES[Function(math.sin)]
    with pytest.raises(ValueError, match="math.sin already"):
        rules.defrule(Function(math.sin), lambda m, x: m.sin(x), lambda m, out, x: (m.cos(x),))
