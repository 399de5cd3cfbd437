"""Calls of a functools.partial held by the module (hunt 9 bug_10): ``rate =
functools.partial(arrhenius, A=1e7, Ea=5e4)``, then ``rate(T)`` in the differentiated
function, is the call it makes (normalize/free_calls.py); the partial's keywords are read
when the code runs, and the code generates itself again for another partial.  Oracle:
the closed form, and central differences."""

import functools
import math

import pytest

import s2sdiff


def arrhenius(T, A, Ea):
    return A * math.exp(-Ea / (8.314 * T))


rate = functools.partial(arrhenius, A=1e7, Ea=5e4)
by_position = functools.partial(arrhenius, 300.0)


def rate_sum(T):
    return rate(T) + rate(T + 10.0)


def rate_of_a(A):
    return by_position(A, 5e4)


def closed_form(T, A=1e7, Ea=5e4):
    """d/dT A exp(-Ea / (R T)) = A exp(-Ea / (R T)) Ea / (R T^2)."""
    return arrhenius(T, A, Ea) * Ea / (8.314 * T * T)


def test_a_partial_with_keywords():
    global rate
    g = s2sdiff.grad(rate_sum)
    assert g(300.0) == pytest.approx(closed_form(300.0) + closed_form(310.0), rel=1e-12)
    assert "rate.keywords['A']" in g.source
    rate = functools.partial(arrhenius, A=2e7, Ea=5e4)      # another partial: again
    try:
        want = closed_form(300.0, 2e7) + closed_form(310.0, 2e7)
        assert g(300.0) == pytest.approx(want, rel=1e-12)
    finally:
        rate = functools.partial(arrhenius, A=1e7, Ea=5e4)


def test_a_partial_binding_by_position_is_refused_with_what_works():
    with pytest.raises(s2sdiff.UnsupportedError) as caught:
        s2sdiff.grad(rate_of_a)(1e7)
    assert "bind them by keyword" in caught.value.hint
