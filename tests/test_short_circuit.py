"""``and``, ``or`` and ``a if c else b`` whose later operands hold a comprehension or a
reduction of one (``any(v > 2 for v in xs) and all(...)``): rewritten into statements
(``t = a`` then ``if t: t = b``) so that each operand runs only where Python runs it, as
the short-circuit does.  Gradients against closed forms."""

import math

import pytest

from s2sdiff import grad, value_and_grad


def gated(xs, y):
    if any(v > 2.0 for v in xs) and all(v > -5.0 for v in xs):
        return sum(v * y for v in xs)
    return y * y


def guarded_max(xs, y):
    # max of an empty list raises: the short-circuit must keep it from running
    if len(xs) > 0 and max(v * v for v in xs) > 1.0:
        return y * max(xs)
    return y


def either(xs, y):
    big = all(v < 0.0 for v in xs) or sum(v * v for v in xs) > 10.0
    return y * y if big else y * sum(math.sin(v) for v in xs)


def chosen(xs, y, use_sum):
    total = sum(v * y for v in xs) if use_sum else max(v * y for v in xs)
    return total * y


@pytest.mark.parametrize("xs, y, expected", [
    ([1.0, 3.0], 2.0, ([2.0, 2.0], 4.0)),
    ([1.0, 1.5], 2.0, ([0.0, 0.0], 4.0)),
    ([3.0, -6.0], 2.0, ([0.0, 0.0], 4.0))])
def test_any_and_all(xs, y, expected):
    assert grad(gated)(xs, y) == (pytest.approx(expected[0]), pytest.approx(expected[1]))


def test_the_second_operand_does_not_run_where_python_skips_it():
    assert value_and_grad(guarded_max)([], 3.0) == (3.0, ([], 1.0))
    assert grad(guarded_max)([0.5, 2.0], 3.0) == ([0.0, 3.0], 2.0)
    assert grad(guarded_max)([0.5, 0.25], 3.0) == ([0.0, 0.0], 1.0)


def test_or_and_a_conditional_expression():
    xs = [0.5, 1.0]
    dxs, dy = grad(either)(xs, 2.0)
    assert dxs == pytest.approx([2.0 * math.cos(v) for v in xs])
    assert dy == pytest.approx(sum(math.sin(v) for v in xs))
    assert grad(either)([-1.0, -2.0], 2.0) == ([0.0, 0.0], 4.0)
    assert grad(either)([3.0, 2.0], 2.0) == ([0.0, 0.0], 4.0)


def test_a_conditional_expression_with_a_reduction_in_each_arm():
    xs = [1.0, -2.0, 3.0]
    assert grad(chosen, wrt=("xs", "y"))(xs, 2.0, True) == ([4.0, 4.0, 4.0], 2 * 2.0 * 2.0)
    assert grad(chosen, wrt=("xs", "y"))(xs, 2.0, False) == ([0.0, 0.0, 4.0], 2 * 3.0 * 2.0)


# --- helpers called in NumPy code on some paths only -------------------------------------

import numpy as np  # noqa: E402


def relu(z):
    return np.maximum(z, 0.0)


def activation(z, kind):
    return np.tanh(z) if kind == "tanh" else relu(z)


def net(W, x, kind="tanh"):
    h = activation(W @ x, kind)
    ok = np.all(h < 10.0) and np.sum(relu(h)) > 0.0
    return np.sum(h ** 2) if ok else np.sum(relu(h))


@pytest.mark.parametrize("kind", ["tanh", "relu"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_helpers_in_arms_and_later_operands(kind, sign):
    W, x = sign * np.array([[0.5, -1.0], [0.3, 0.2]]), np.array([1.0, 2.0])
    g = grad(net, wrt="W")(W, x, kind)
    expected = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[index] = 1e-6
        expected[index] = (net(W + e, x, kind) - net(W - e, x, kind)) / 2e-6
    assert np.allclose(g, expected, rtol=1e-6, atol=1e-8)
    source = grad(net, wrt="W").specialize(W, x, kind).source
    assert "if c1:\n            chosen = np.tanh(activation_z)" in source
