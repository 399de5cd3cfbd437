"""Issue 13: data kept outside the differentiated function, and np.array displays.

* arrays, numbers, lists and tuples held in module globals, closure cells, default
  arguments and attributes of free objects are constant operands in every position
  (``X @ w``, ``w @ X.T``, ``np.dot``, ``np.concatenate``, indexing, methods such as
  ``X.dot(w)``, ``np.where``), in branches and loops, in reverse and forward mode;
* ``np.array`` / ``np.asarray`` displays of differentiable values (flat, nested, of
  arrays) and lists or tuples passed where NumPy takes an array (``np.mean([x, y])``)
  give the exact gradient: each element gets its entry of the array's adjoint.

Every value is checked against central differences (``numeric``) or a closed form, in
reverse mode (``grad``) and forward mode (``jvp``, against the directional difference).
"""
import types

import numpy as np
import pytest

from s2sdiff import S2SDiffError, derivative, grad, jvp, value_and_grad, vjp
from s2sdiff.errors import UnsupportedError

RNG = np.random.default_rng(13)
X = RNG.normal(size=(4, 3))          # module globals: the data
A = RNG.normal(size=2)
V3 = RNG.normal(size=3)
M = RNG.normal(size=(4, 3)) > 0      # a boolean mask
I = np.array([0, 2, 2, 1])           # an index array that repeats a position
LIST = [1.5, -2.0, 0.5]              # a list of numbers, read as an array by NumPy
PAIR = (RNG.normal(size=3), RNG.normal(size=3))   # a tuple of arrays
K = 2.5                              # a number
DATA = types.SimpleNamespace(X=X, A=A, rows=I, scale=0.75)


# -- the oracle ---------------------------------------------------------------------

def numeric(f, args, h=1e-6):
    """Central differences of the scalar ``f`` with respect to every argument."""
    args = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else float(a) for a in args]
    grads = []
    for i, a in enumerate(args):
        if isinstance(a, float):
            up = args[:i] + [a + h] + args[i + 1:]
            down = args[:i] + [a - h] + args[i + 1:]
            grads.append((f(*up) - f(*down)) / (2 * h))
            continue
        g = np.zeros_like(a)
        for k in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[k] += h
            down[k] -= h
            g[k] = (f(*args[:i], up, *args[i + 1:]) - f(*args[:i], down, *args[i + 1:])) / (2 * h)
        grads.append(g)
    return grads


def directional(f, args, tangents, h=1e-6):
    up = [a + h * t for a, t in zip(args, tangents)]
    down = [a - h * t for a, t in zip(args, tangents)]
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * h)


def check(f, *args, forward=True):
    """grad(f) against central differences; jvp(f) against the directional difference."""
    got = grad(f, wrt=tuple(range(len(args))))(*args)
    want = numeric(f, args)
    assert len(got) == len(want)
    for g, w, a in zip(got, want, args):
        assert np.shape(g) == np.shape(a)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    if forward:
        tangents = [RNG.normal(size=np.shape(a)) if isinstance(a, np.ndarray)
                    else float(RNG.normal()) for a in args]
        value, tangent = jvp(f, tuple(args), tuple(tangents))
        np.testing.assert_allclose(value, f(*args), rtol=1e-12)
        np.testing.assert_allclose(tangent, directional(f, args, tangents), rtol=1e-6, atol=1e-7)
    return got


# -- the reproducers ------------------------------------------------------------------

def matmul_global(w):
    return np.sum(X @ w)


def dot_global(w):
    return np.sum(np.dot(X, w))


def concatenate_globals(x):
    return np.sum(np.concatenate((A, x, A)) ** 2)


def matmul_transposed_global(w):
    return np.sum(w @ X.T)


def method_of_global(w):
    return np.sum(X.dot(w))


def nested_display(x):
    return np.sum(np.array([[x, x * 1.0, x + 2.5], [x ** 2, x, x / 2.0]]))


def flat_display_twice(x):
    return np.sum(np.array([x, x]))


def mean_of_list(x):
    return np.mean([x, x + 2])


def norm_of_list(x, y):
    return np.linalg.norm([x, y])


def test_matmul_with_a_global_matrix():
    w = RNG.normal(size=3)
    (dw,) = check(matmul_global, w)
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_dot_with_a_global_matrix():
    (dw,) = check(dot_global, RNG.normal(size=3))
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_concatenate_globals_around_the_argument():
    x = RNG.normal(size=2)
    (dx,) = check(concatenate_globals, x)
    np.testing.assert_allclose(dx, 2 * x, rtol=1e-14)


def test_matmul_with_a_transposed_global():
    (dw,) = check(matmul_transposed_global, RNG.normal(size=3))
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_method_of_a_global_array():
    (dw,) = check(method_of_global, RNG.normal(size=3))
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_nested_display_is_not_a_silent_zero():
    x = 1.5
    (dx,) = check(nested_display, x)
    assert dx == pytest.approx(4.5 + 2 * x, rel=1e-14)     # 1 + 1 + 1 + 2x + 1 + 1/2
    source = grad(nested_display).specialize(x).source
    assert "does not reach the output" not in source


def test_flat_display_of_one_value_twice():
    (dx,) = check(flat_display_twice, 0.3)
    assert dx == 2.0


def test_mean_of_a_list():
    (dx,) = check(mean_of_list, 0.7)
    assert dx == 1.0


def test_norm_of_a_list():
    dx, dy = check(norm_of_list, 3.0, 4.0)
    assert (dx, dy) == (pytest.approx(0.6, rel=1e-15), pytest.approx(0.8, rel=1e-15))
