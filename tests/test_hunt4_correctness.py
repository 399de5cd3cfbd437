"""Hunt 4 correctness: results that were silently of the wrong shape, kind or dtype, and
arguments refused that the other transforms take.

* bug_01: an entry of a module-level (or closure) dict or list read with a constant key
  (``CFG["scale"]``) that is set to an array after the first call: the dispatcher keys on
  it, so the second call gives what a fresh ``grad`` gives (a ``NotScalarError``, or the
  gradient of the new function), never the code made for a float;
* bug_02: "Every gradient has its input's dtype" for jacobian, jacfwd, jacrev, hessian
  and for scalar code at NumPy scalars and ints;
* bug_20: ``jvp`` leaves trailing parameters with defaults to them, as ``vjp`` does;
* bug_10: ``grad`` of a non-scalar function of two parameters raises ``NotScalarError``
  naming the user's function.

Oracles: a fresh ``grad`` of the same function, closed forms, central differences.
"""
import math

import numpy as np
import pytest

from s2sdiff import grad, hessian, jacfwd, jacobian, jacrev, jvp, vjp
from s2sdiff.errors import NotScalarError


def central(f, x, h=1e-6):
    """Central differences of the scalar ``f`` at the array ``x``."""
    g = np.zeros_like(x, dtype=float)
    for k in np.ndindex(x.shape):
        up, down = x.astype(float), x.astype(float)
        up[k] += h
        down[k] -= h
        g[k] = (f(up) - f(down)) / (2 * h)
    return g


# -- bug_01: entries of free containers read with constant keys ---------------------

CFG = {"scale": 2.0}
LST = [2.0]
NESTED = {"sub": {"w": [1.0, 2.0]}}
ARR = {"scale": 2.0}


def scaled_cube(x):
    return CFG["scale"] * x ** 3


def list_cube(x):
    return LST[0] * x ** 3


def summed_cube(x):
    return np.sum(ARR["scale"] * x ** 3)


def nested_read(x):
    return np.sum(x ** 2) + NESTED["sub"]["w"][1] * x[0]


def closure_read():
    box = {"k": 2.0}

    def f(x):
        return np.sum(box["k"] * x ** 2)
    return f, box


def test_dict_entry_set_to_an_array_raises_what_a_fresh_grad_raises():
    CFG["scale"] = 2.0
    g = grad(scaled_cube)
    assert g(1.0) == pytest.approx(6.0)
    CFG["scale"] = np.array([1.0, 2.0])
    try:
        with pytest.raises(NotScalarError):
            grad(lambda x: CFG["scale"] * x ** 3)(1.0)       # the oracle: fresh
        with pytest.raises(NotScalarError):
            g(1.0)
    finally:
        CFG["scale"] = 2.0
    assert g(1.0) == pytest.approx(6.0)


def test_list_entry_set_to_an_array_raises_what_a_fresh_grad_raises():
    LST[0] = 2.0
    g = grad(list_cube)
    assert g(1.0) == pytest.approx(6.0)
    LST[0] = np.array([1.0, 2.0])
    try:
        with pytest.raises(NotScalarError):
            g(1.0)
    finally:
        LST[0] = 2.0


def test_dict_entry_changing_shape_in_numpy_code_gives_the_new_gradient():
    x = np.array([1.0, 2.0, 3.0])
    ARR["scale"] = 2.0
    g = grad(summed_cube)
    np.testing.assert_allclose(g(x), 6 * x ** 2)
    ARR["scale"] = np.array([[1.0], [2.0]])       # broadcasts: output still a number
    try:
        got = g(x)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, central(summed_cube, x), rtol=1e-6)
        np.testing.assert_allclose(got, 9 * x ** 2)
    finally:
        ARR["scale"] = 2.0


def test_nested_entry_and_closure_entry_are_keyed():
    x = np.array([1.0, 2.0, 3.0])
    g = grad(nested_read)
    np.testing.assert_allclose(g(x), 2 * x + [2.0, 0, 0])
    NESTED["sub"]["w"][1] = 5.0
    try:
        np.testing.assert_allclose(g(x), 2 * x + [5.0, 0, 0])
    finally:
        NESTED["sub"]["w"][1] = 2.0
    f, box = closure_read()
    g = grad(f)
    np.testing.assert_allclose(g(x), 4 * x)
    box["k"] = np.array([[1.0], [2.0]])
    got = g(x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, central(f, x), rtol=1e-6)
