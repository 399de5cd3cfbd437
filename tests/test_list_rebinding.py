"""A list rebound to a comprehension over itself (``v = [vi / n for vi in v]``, also in a
loop), Jacobians of functions returning a list they build, and check_grad given an integer
argument.

Oracles: closed forms worked out by hand, and refusals where the alias is real."""

import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, jacobian, jacrev
from s2sdiff.check import check_grad


def normalized_weighted(v):
    n = math.sqrt(sum(vi * vi for vi in v))
    v = [vi / n for vi in v]
    return v[0] * 2 + v[1]


def clipped_to_unit(v):
    n = math.sqrt(sum(vi * vi for vi in v))
    if n > 1.0:
        v = [vi / n for vi in v]
    return v[0] * 2 + v[1]


def squared_then_extended(v):
    v = [vi * vi for vi in v]
    v.append(v[0] * v[1])
    return v[0] * v[2] + sum(v) * v[1]


def rebound_twice(v):
    v = [vi * vi for vi in v]
    t = v
    v = [ti + 1.0 for ti in t]
    return v[0] * t[1] * v[1]


def rebound_then_written(v):
    v = [vi * vi for vi in v]
    v[0] = v[1] * v[0]
    return v[0] * v[1]


def _unit_gradient(a, b):
    """d/dv of (2a + b) / |v| at v = (a, b)."""
    n = math.hypot(a, b)
    return [2 / n - (2 * a + b) * a / n ** 3, 1 / n - (2 * a + b) * b / n ** 3]


@pytest.mark.parametrize("f, v, expected", [
    (normalized_weighted, [3.0, 4.0], _unit_gradient(3.0, 4.0)),
    (normalized_weighted, [0.3, -0.2], _unit_gradient(0.3, -0.2)),
    (clipped_to_unit, [3.0, 4.0], _unit_gradient(3.0, 4.0)),
    (clipped_to_unit, [0.3, -0.2], [2.0, 1.0]),                  # |v| < 1: not rescaled
    # a^2 b^2 a^2 + (a^2 + b^2 + a^2 b^2) b^2 = a^4 b^2 + a^2 b^2 + b^4 + a^2 b^4
    (squared_then_extended, [3.0, 4.0], [4 * 27 * 16 + 2 * 3 * 16 + 2 * 3 * 256,
                                         2 * 81 * 4 + 2 * 9 * 4 + 4 * 64 + 4 * 9 * 64]),
    # (a^2 + 1) b^2 (b^2 + 1)
    (rebound_twice, [3.0, 4.0], [2 * 3 * 16 * 17, 10 * (4 * 64 + 2 * 4)]),
    (rebound_then_written, [3.0, 4.0], [2 * 3 * 256, 4 * 9 * 64]),    # a^2 b^4
])
def test_list_rebound_to_a_comprehension_over_itself(f, v, expected):
    assert grad(f)(v) == pytest.approx(expected, rel=1e-12)
    assert check_grad(f, v).worst[3] < 1e-5


def real_alias_then_append(v):
    w = [vi * 2.0 for vi in v]
    u = w
    w.append(u[0] * 3.0)
    return w[2] * u[1]


def rebound_in_a_loop(v):
    for _ in range(3):
        v = [vi * 0.5 + vi * vi for vi in v]
    return v[0] * v[1]


def rebound_in_a_branch_in_a_loop(v):
    for i in range(3):
        if i != 1:
            v = [vi * 0.5 + vi * vi for vi in v]
    return v[0] * v[1]


def rebound_in_nested_loops(v, n):
    total = 0.0
    for _ in range(n):
        for _ in range(2):
            v = [vi * 0.5 + vi * vi for vi in v]
        total = total + v[0] - v[1]
    return total


def _step(t):
    return 0.5 * t + t * t, 0.5 + 2 * t


def _iterated(t, times):
    """g applied ``times`` times to t, and the derivative (chain rule by hand)."""
    slope = 1.0
    for _ in range(times):
        t, d = _step(t)
        slope *= d
    return t, slope


def test_list_rebound_to_a_comprehension_over_itself_in_a_loop():
    a, b = 0.3, -0.7
    (ga, da), (gb, db) = _iterated(a, 3), _iterated(b, 3)
    assert grad(rebound_in_a_loop)([a, b]) == pytest.approx([da * gb, ga * db], rel=1e-12)
    (ga, da), (gb, db) = _iterated(a, 2), _iterated(b, 2)
    assert grad(rebound_in_a_branch_in_a_loop)([a, b]) == pytest.approx([da * gb, ga * db],
                                                                         rel=1e-12)
    # sum over passes k = 1, 2 of g^(2k)(a) - g^(2k)(b)
    expected = [sum(_iterated(t, 2 * k)[1] for k in (1, 2)) * sign for t, sign in ((a, 1), (b, -1))]
    got, _ = grad(rebound_in_nested_loops)([a, b], 2)
    assert got == pytest.approx(expected, rel=1e-12)


def appended_after_the_copy(v):
    for _ in range(2):
        items = []
        for vi in v:
            items.append(vi * 2.0)
        v = items
        items.append(v[0])
    return v[0] + v[-1]


def kept_before_the_appends(v):
    history = []
    for _ in range(2):
        items = []
        history.append(items)
        for vi in v:
            items.append(vi * 2.0)
        v = items
    return history[0][0] * history[1][1]


def copied_while_appending(v):
    s = 0.0
    for _ in range(2):
        items = []
        for vi in v:
            s = s + len(v) * vi
            items.append(vi * 2.0)
            v = items
    return s + v[0]


@pytest.mark.parametrize("f, line", [(real_alias_then_append, "w.append(u[0] * 3.0)"),
                                     (appended_after_the_copy, "items.append(v[0])"),
                                     (kept_before_the_appends, "items.append(vi * 2.0)"),
                                     (copied_while_appending, "items.append(vi * 2.0)")])
def test_aliases_the_analysis_cannot_tell_apart_are_refused(f, line):
    with pytest.raises(S2SDiffError, match="writes in place into storage") as caught:
        grad(f)
    assert line in str(caught.value)


def squares(v):
    w = [vi * vi for vi in v]
    return w


def squares_rebound(v):
    v = [vi * vi for vi in v]
    return v


def scaled_and_extended(v, s):
    out = []
    for vi in v:
        out.append(vi * s)
    if s > 0:
        out.append(s * s)
    return out


@pytest.mark.parametrize("f", [squares, squares_rebound])
def test_jacobian_of_a_returned_list(f):
    np.testing.assert_allclose(jacobian(f)([3.0, 4.0]), [[6.0, 0.0], [0.0, 8.0]])
    np.testing.assert_allclose(jacrev(f)([3.0, -1.5]), [[6.0, 0.0], [0.0, -3.0]])


def test_jacobian_of_a_returned_list_whose_length_depends_on_a_branch():
    rows = jacobian(scaled_and_extended)([3.0, 4.0], 2.0)     # (3s, 4s, s^2)
    assert len(rows) == 3
    for (dv, ds), dv_expected, ds_expected in zip(rows, [[2, 0], [0, 2], [0, 0]], [3, 4, 4]):
        np.testing.assert_allclose(dv, dv_expected)
        assert ds == pytest.approx(ds_expected)
    assert len(jacobian(scaled_and_extended)([3.0, 4.0], -2.0)) == 2
    np.testing.assert_allclose(jacrev(scaled_and_extended, wrt="s")([3.0, 4.0], 2.0), [3, 4, 4])


def cross_entropy(W, x, label):
    logits = W @ x
    e = np.exp(logits - logits.max())
    return -np.log(e[label] / e.sum())


def power(x, n):
    return x ** n


def test_check_grad_names_an_integer_index_argument_and_the_fix():
    W, x = np.arange(12.0).reshape(4, 3) * 0.01, np.array([1.0, 2.0, -1.0])
    with pytest.raises(TypeError, match=r"`label` is an integer \(2\).*IndexError.*"
                                        r"wrt=\('W', 'x'\)"):
        check_grad(cross_entropy, W, x, 2)
    assert check_grad(cross_entropy, W, x, 2, wrt=("W", "x")).worst[3] < 1e-5


def test_check_grad_still_differentiates_an_integer_used_as_a_number():
    report = check_grad(power, 1.5, 3)          # d/dn x^n = x^n ln x
    assert {row[0] for row in report.rows} == {"x", "n"}
    assert grad(power)(1.5, 3)[1] == pytest.approx(1.5 ** 3 * math.log(1.5))


def mean_and_square(xs):
    m = sum(xs) / len(xs)
    return m, m * m


def first_and_list(xs):
    kept = xs
    return kept, len(xs)


def moments_of_a_comprehension(a, xs):
    m, v = mean_and_square([a * x for x in xs])
    return m + v


def moments_of_appends(a, xs):
    ys = []
    for x in xs:
        ys.append(a * x)
    m, v = mean_and_square(ys)
    return m + v


def list_returned_in_a_tuple(a, xs):
    ys = []
    for x in xs:
        ys.append(a * x)
    kept, n = first_and_list(ys)
    ys.append(a)
    return kept[0] * n


@pytest.mark.parametrize("f", [moments_of_a_comprehension, moments_of_appends])
def test_a_helper_returning_a_tuple_of_new_values_from_a_built_list(f):
    xs, a = [1.0, 2.0, 4.0], 0.7
    s = sum(xs) / 3                     # m = a s, m + m^2: d/da = s (1 + 2 a s)
    assert grad(f, wrt="a")(a, xs) == pytest.approx(s * (1 + 2 * a * s), rel=1e-12)


def test_a_helper_returning_the_list_itself_in_a_tuple_is_still_an_alias():
    with pytest.raises(S2SDiffError, match="writes in place into storage"):
        grad(list_returned_in_a_tuple, wrt="a")
