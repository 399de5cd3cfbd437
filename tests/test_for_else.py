"""``for ... else`` and ``while ... else`` (s2sdiff/normalize/loop_else.py): the ``else``
clause runs when the loop ends without ``break``.  Gradients against closed forms and
central differences on both paths, forward mode against reverse mode, hessians, nested
loops (a ``break`` in an inner loop's ``else`` belongs to the outer loop), a ``return``
inside the loop, NumPy code, and the rewritten source."""

import ast
import math

import numpy as np
import pytest

from s2sdiff import check_grad, derivative, grad, hessian, jvp
from s2sdiff.normalize import loop_else
from s2sdiff.parse import parse


def power_until(a, n):
    s = a
    for i in range(n):
        s = s * a
        if s > 100.0:
            break
    else:
        s = s + 1.0
    return s


def first_above(xs, t):
    total = 0.0
    for v in xs:
        if v > t:
            found = v
            break
        total = total + v * t
    else:
        found = t * t
    return found * total + found


def newton_with_else(x, tol):
    k = 0
    while k < 5:
        x = x - 0.5 * x * x
        if abs(x) < tol:
            break
        k += 1
    else:
        x = x * 10.0
    return x


def no_break_at_all(x):
    for i in range(3):
        x = math.sin(x) + x
    else:
        x = x * x
    return x


def nested(xs, t):
    total = 0.0
    for v in xs:
        for w in xs:
            if w * v > t:
                break
        else:
            total = total + v          # no w with w * v > t
            break                      # the outer loop's
        total = total + v * v
    else:
        total = total * 2.0
    return total


def returns_inside(xs, t):
    for v in xs:
        if v > t:
            return v * t
    else:
        t = t * 3.0
    return t * t


def continue_and_else(xs):
    total = 0.0
    for v in xs:
        if v < 0.0:
            continue
        total = total + math.exp(v)
        if total > 10.0:
            break
    else:
        total = -total
    return total


def numpy_loop(x):
    y = np.zeros_like(x)
    for i in range(3):
        y = y + np.sin(x) * i
        if np.sum(y) > 5.0:
            break
    else:
        y = y * 2.0
    return np.sum(y * x)


def _central(f, args, k, h=1e-6):
    up, down = list(args), list(args)
    if isinstance(args[k], list):
        out = []
        for i in range(len(args[k])):
            up[k], down[k] = list(args[k]), list(args[k])
            up[k][i] += h
            down[k][i] -= h
            out.append((f(*up) - f(*down)) / (2 * h))
        return out
    up[k], down[k] = args[k] + h, args[k] - h
    return (f(*up) - f(*down)) / (2 * h)


def test_power_until_both_paths_closed_forms():
    # n = 3: no break, s = a ** 4 + 1; n = 10: breaks at a ** 7 = 128
    for n, d1, d2 in ((3, 4 * 8.0, 12 * 4.0), (10, 7 * 64.0, 42 * 32.0)):
        assert grad(power_until, wrt=0)(2.0, n) == d1
        assert derivative(power_until, wrt=0)(2.0, n) == d1
        assert hessian(power_until, wrt=0)(2.0, n) == d2


@pytest.mark.parametrize("xs, t, expected", [
    ([1.0, 2.0, 5.0], 3.0, [15.0, 15.0, 10.0]),       # breaks at 5.0: found * 9 + found
    ([1.0, 2.0], 3.0, [27.0, 27.0]),                  # else: found = t * t
])
def test_first_above_both_paths(xs, t, expected):
    assert grad(first_above, wrt=0)(list(xs), t) == expected
    assert grad(first_above, wrt=1)(list(xs), t) == pytest.approx(
        _central(first_above, [list(xs), t], 1), rel=1e-7)
    u = [0.5, -1.0, 2.0][:len(xs)]
    tangent = jvp(first_above, (list(xs), t), (u, 0.0))[1]
    assert tangent == pytest.approx(sum(g * d for g, d in zip(expected, u)), rel=1e-15)


@pytest.mark.parametrize("f, args", [
    (newton_with_else, (0.5, 1e-9)),      # no break: the else scales by 10
    (newton_with_else, (0.5, 0.3)),       # breaks
    (no_break_at_all, (0.7,)),
    (nested, ([0.5, 2.0, 3.0], 1.0)),     # the inner loop breaks for every v
    (nested, ([0.1, 0.2, 3.0], 0.5)),     # v = 0.1: no w breaks, the else breaks the outer
    (nested, ([0.1, 0.2], 5.0)),          # never: the first v's else breaks
    (returns_inside, ([0.5, 2.0], 1.0)),  # returns
    (returns_inside, ([0.5, 0.7], 1.0)),  # the else runs
    (continue_and_else, ([-1.0, 0.5, 1.0],)),
    (continue_and_else, ([2.0, -1.0, 1.5],)),
])
def test_gradients_against_central_differences_and_forward_mode(f, args):
    for k, arg in enumerate(args):
        if isinstance(arg, float) and f is newton_with_else and k == 1:
            continue                                        # a tolerance: a constant
        gradient = grad(f, wrt=k)(*[list(a) if isinstance(a, list) else a for a in args])
        assert gradient == pytest.approx(_central(f, args, k), rel=1e-6, abs=1e-8)
        if isinstance(arg, float):
            assert derivative(f, wrt=k)(*args) == pytest.approx(gradient, rel=1e-14)


def test_nested_closed_form():
    # xs = [0.1, 0.2, 3.0], t = 0.5: for v = 0.1 no w * v > 0.5, so total = 0.1, break
    assert grad(nested, wrt=0)([0.1, 0.2, 3.0], 0.5) == [1.0, 0.0, 0.0]
    # xs = [0.5, 2.0, 3.0], t = 1: every v breaks inside: total = sum v * v, then * 2
    assert grad(nested, wrt=0)([0.5, 2.0, 3.0], 1.0) == [2.0, 8.0, 12.0]


@pytest.mark.parametrize("x", [np.array([0.3, 0.5]), np.array([3.0, 2.5])])
def test_numpy_code(x):
    check_grad(numpy_loop, x)
    gradient = grad(numpy_loop)(x)
    u = np.array([0.7, -0.2])
    assert jvp(numpy_loop, (x,), (u,))[1] == pytest.approx(gradient @ u, rel=1e-12)


def test_hessian_on_both_paths_of_a_while_else():
    for tol in (1e-9, 0.3):
        h = 1e-5
        numeric = (grad(newton_with_else, wrt=0)(0.5 + h, tol)
                   - grad(newton_with_else, wrt=0)(0.5 - h, tol)) / (2 * h)
        assert hessian(newton_with_else, wrt=0)(0.5, tol) == pytest.approx(numeric, rel=1e-6)


def test_the_rewrite_is_a_flag():
    rewritten = loop_else.rewrite(parse(first_above))
    source = ast.unparse(rewritten.node)
    assert "no_break = True\n    for v in xs:" in source
    assert "no_break = False\n            break" in source
    assert "if no_break:\n        found = t * t" in source
    assert not any(isinstance(n, (ast.For, ast.While)) and n.orelse
                   for n in ast.walk(rewritten.node))
    without = ast.unparse(loop_else.rewrite(parse(no_break_at_all)).node)
    assert "no_break =" not in without and "        x = math.sin(x) + x\n    x = x * x" in without


def test_a_function_without_loop_else_is_left_alone():
    def plain(x):
        for i in range(2):
            x = x * x
        return x
    parsed = parse(plain)
    assert loop_else.rewrite(parsed) is parsed


def for_else_always(x):           # formerly in tests/unsupported.py
    y = x
    for _ in range(3):
        y = y * x
    else:
        y = -y
    return y


def while_else_always(x):
    y = x
    while y < 10.0:
        y = y * 2.0
    else:
        y = -y
    return y


def test_loops_without_break_run_their_else():
    assert grad(for_else_always)(1.5) == -4 * 1.5 ** 3
    assert derivative(for_else_always)(1.5) == -4 * 1.5 ** 3
    assert grad(while_else_always)(1.5) == -8.0            # 1.5 * 8 = 12 >= 10
    assert derivative(while_else_always)(1.5) == -8.0
    assert hessian(for_else_always)(1.5) == -12 * 1.5 ** 2
