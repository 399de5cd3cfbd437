"""``for i in range(len(params)):`` over a tree's indices: the tree's lengths are known
when the code is generated, so such a loop whose body indexes the tree with ``i`` is
unrolled like ``for W, b in params:``, ``i`` a constant in each copy
(tree_helpers.constant_range).  Checked against the same programs written with
``for W, b in params`` and against central differences."""

import numpy as np
import pytest

from s2sdiff import grad
from s2sdiff.errors import S2SDiffError

RNG = np.random.default_rng(11)


def by_pairs(params, X):
    h = X
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    return np.sum((h @ W + b) ** 2)


def by_indices(params, X):
    h = X
    for i in range(len(params) - 1):
        W, b = params[i]
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    return np.sum((h @ W + b) ** 2)


def differences(xs):
    total = 0.0
    for i in range(1, len(xs)):
        total = total + (xs[i]["x"] - xs[i - 1]["x"]) ** 2 * (i + 1.0)
    return total + i * xs[0]["x"]                  # the loop variable after the loop


def with_break(params):
    total = 0.0
    for i in range(len(params)):
        total = total + params[i]["x"]
        if total > 10.0:
            break
    return total


def layers():
    return [(RNG.normal(size=(3, 4)), RNG.normal(size=4)), (RNG.normal(size=(4, 4)), RNG.normal(size=4)),
            (RNG.normal(size=(4, 1)), RNG.normal(size=1))]


def test_a_loop_over_indices_is_the_loop_over_entries():
    params, X = layers(), RNG.normal(size=(5, 3))
    a = grad(by_indices, wrt="params")(params, X)
    b = grad(by_pairs, wrt="params")(params, X)
    for (dWa, dba), (dWb, dbb) in zip(a, b):
        assert np.allclose(dWa, dWb, rtol=1e-13, atol=1e-15)
        assert np.allclose(dba, dbb, rtol=1e-13, atol=1e-15)
    h = 1e-6
    bumped = [(W.copy(), b.copy()) for W, b in params]
    bumped[1][0][2, 3] += h
    lowered = [(W.copy(), b.copy()) for W, b in params]
    lowered[1][0][2, 3] -= h
    slope = (by_indices(bumped, X) - by_indices(lowered, X)) / (2 * h)
    assert a[1][0][2, 3] == pytest.approx(slope, rel=1e-6)


def test_offsets_of_the_index_and_the_variable_after_the_loop():
    xs = [{"x": 0.5}, {"x": -1.0}, {"x": 2.0}]
    g = grad(differences)(xs)
    # d/dx0: -2 (x1 - x0) * 2 + 2 (loop ends with i = 2);  d/dx1: 2 (x1 - x0) * 2 - 2 (x2 - x1) * 3
    assert [e["x"] for e in g] == pytest.approx(
        [-4 * (-1.5) + 2, 4 * (-1.5) - 6 * 3.0, 6 * 3.0], rel=1e-14)


def test_a_break_in_such_a_loop_is_refused_clearly():
    with pytest.raises(S2SDiffError, match="break"):
        grad(with_break)([{"x": 1.0}, {"x": 2.0}])


def indexed_lists(Ws, bs, x):
    h = x
    for i in range(len(Ws)):
        h = np.tanh(Ws[i] @ h + bs[i])
    return np.sum(h ** 2)


def zipped_lists(Ws, bs, x):
    h = x
    for W, b in zip(Ws, bs):
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def indexed_rows(X, w):
    s = 0.0
    for i in range(len(X)):
        s = s + np.sum(np.sin(X[i]) * w)
    return s


def test_lists_of_arrays_indexed_by_the_loop_variable_are_trees():
    """`Ws[i] @ h` in `for i in range(len(Ws))` with a list of arrays: read as the list's
    entries (it was generated for an array `Ws` and refused the list at the call); the
    loop over `zip(Ws, bs)` is the oracle, and central differences for one entry."""
    Ws = [RNG.normal(size=(3, 2)), RNG.normal(size=(2, 3))]
    bs = [RNG.normal(size=3), RNG.normal(size=2)]
    x = RNG.normal(size=2)
    a = grad(indexed_lists, wrt=("Ws", "bs"))(Ws, bs, x)
    b = grad(zipped_lists, wrt=("Ws", "bs"))(Ws, bs, x)
    for ours, theirs in zip(a[0] + a[1], b[0] + b[1]):
        assert np.allclose(ours, theirs, rtol=1e-13, atol=1e-15)
    h = 1e-6
    up = [W.copy() for W in Ws]
    down = [W.copy() for W in Ws]
    up[1][0, 2] += h
    down[1][0, 2] -= h
    numeric = (indexed_lists(up, bs, x) - indexed_lists(down, bs, x)) / (2 * h)
    assert a[0][1][0, 2] == pytest.approx(numeric, rel=1e-6)


def test_an_array_indexed_by_the_loop_variable_stays_an_array():
    X, w = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    dX, dw = grad(indexed_rows)(X, w)
    assert np.allclose(dX, np.cos(X) * w, rtol=1e-13)
    assert np.allclose(dw, np.sin(X).sum(axis=0), rtol=1e-13)
