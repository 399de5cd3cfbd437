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


# --- fails: where the forward raises (the guards of liveness.prune_forward) ----------------

_POINTS = [-math.inf, math.inf, math.nan, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 1e308,
           -1e308, 5e-324, 0, 1, -1]   # not ints beyond floats: their partials raise as f does
_NUMERIC = type("Numeric", (), {"isinf": staticmethod(math.isinf), "fabs": staticmethod(math.fabs),
                                "equal": staticmethod(lambda a, b: a == b),
                                "abs": staticmethod(abs)})()
_GUARDED = [r for r in RULES.values() if isinstance(r, Partials) and r.fails is not None]


def _callable(rule):
    key = rule.key
    if isinstance(key, rules.Operator):
        return {2: lambda x, y: eval(f"x {key.name} y")}[rule.arity]
    return key.function


@pytest.mark.parametrize("rule", _GUARDED, ids=lambda r: r.name)
def test_fails_holds_wherever_the_forward_raises(rule):
    """At every sample point where the primitive raises, its ``fails`` condition holds, so
    the guard ``if <fails>: <call>`` runs the call and raises what the user's code raises."""
    _check_fails(rule)


def test_a_fails_that_misses_a_point_is_caught():
    right = RULES[Function(math.log)]
    wrong = Partials(right.key, right.forward, right.partials, fails=lambda m, x: x < 0)
    with pytest.raises(AssertionError, match="0.0"):
        _check_fails(wrong)


def _check_fails(rule):
    function, raised = _callable(rule), 0
    for args in ([(p,) for p in _POINTS] if rule.arity == 1
                 else [(p, q) for p in _POINTS for q in _POINTS]):
        try:
            function(*args)
        except (ValueError, ZeroDivisionError, OverflowError):
            raised += 1
            assert rule.fails(_NUMERIC, *args), (rule.name, args)
    assert raised                       # the samples reach where it raises


def test_rows_that_raise_state_where():
    """The scalar rows whose forward can raise on floats say where (or are read anyway)."""
    assert {r.name for r in _GUARDED} >= {"math.log", "math.sqrt", "math.sin", "math.cos",
                                           "math.tan", "math.asin", "math.acos", "math.acosh",
                                           "math.atanh", "math.log1p", "math.log2",
                                           "math.log10", "/"}
