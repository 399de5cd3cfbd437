"""Helpers called from NumPy code that ``return`` from inside a loop (``for ...: if c:
return v``), inlined with the caller's early-return machinery (a flag and ``break``,
``control.canonical_body``): the gradient against central differences, for numbers and
arrays returned from inside the loop, from ``for`` and ``while`` loops, nested loops and
helpers called in a loop.  They used to be refused; an array returned from inside a loop
then failed at run time (its adjoint's zeros read the value the loop had not assigned)."""

import re

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, vjp


def first_above(x, t):             # a number, from inside the loop
    for i in range(x.shape[0]):
        if x[i] > t:
            return x[i] * 2.0
    return np.sum(x)


def shrink(v):                     # an array, from inside the loop
    for i in range(5):
        if np.sum(v * v) < 1.0:
            return v
        v = v / 2.0
    return v * 0.0


def scaled_row(X, t):              # an array, from a nested loop
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] > t:
                return X[i] * X[i, j]
    return X[0] * 0.5


def settle(v):                     # from a while loop
    k = 0
    while k < 6:
        if np.max(np.abs(v)) < 0.5:
            return np.tanh(v)
        v = v * 0.6
        k = k + 1
    return v


def uses_first_above(x):
    return first_above(np.tanh(x), 0.5) + np.sum(x ** 2)


def uses_shrink(x):
    return np.sum(np.sin(shrink(x * 3.0)))


def uses_scaled_row(X):
    return np.sum(scaled_row(np.sin(X), 0.8) ** 2)


def uses_settle(x):
    return np.sum(settle(x) * x)


def calls_in_a_loop(x):
    total = 0.0
    for k in range(3):
        total = total + first_above(x * (k + 1.0), 1.2) + np.sum(shrink(x * (k + 1.0)))
    return total


def twice(x):
    return np.sum(shrink(x) * shrink(x * 4.0))


CASES = [
    (uses_first_above, np.array([0.1, 0.9, 2.0])),       # returns on the second element
    (uses_first_above, np.array([0.1, 0.2, 0.3])),       # falls through
    (uses_shrink, np.array([0.3, 0.4])),                 # returns on the second trip
    (uses_shrink, np.array([0.1, 0.1])),                 # returns on the first trip
    (uses_shrink, np.array([30.0, 20.0])),               # falls through
    (uses_scaled_row, np.array([[0.1, 0.2, 0.3], [0.4, 1.2, 0.1]])),
    (uses_scaled_row, np.array([[0.1, 0.2], [0.3, 0.4]])),
    (uses_settle, np.array([0.9, -0.7])),
    (uses_settle, np.array([9.0, -7.0])),
    (calls_in_a_loop, np.array([0.3, 0.5])),
    (twice, np.array([0.2, 0.3])),
]


@pytest.mark.parametrize("f, x", CASES, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(CASES)])
def test_a_helper_returning_from_inside_a_loop(f, x):
    before = x.copy()
    gradient = grad(f)(x)
    np.testing.assert_allclose(gradient, central(f, (x,), 0), rtol=1e-5, atol=1e-7)
    assert np.array_equal(x, before)


def test_the_generated_code_breaks_with_a_flag():
    source = grad(uses_shrink).specialize(np.array([0.3, 0.4])).source
    assert re.search(r"shrink_returned\w* = True", source) and "break" in source
    assert "shrink_shrink" not in source
    assert "np.zeros((2,))" in source        # the returned array's zeros: its kind's shape


def returns_an_array_from_a_loop(x):
    v = x * 3.0
    for i in range(5):
        if np.sum(v * v) < 1.0:
            return v
        v = v / 2.0
    return v * 0.0


@pytest.mark.parametrize("x, scale", [(np.array([0.3, 0.4]), 1.5), (np.array([0.1, 0.1]), 3.0),
                                      (np.array([30.0, 20.0]), 0.0)])
def test_vjp_of_numpy_code_returning_an_array_from_inside_a_loop(x, scale):
    """The same machinery without a helper: the vjp's zeros of the returned array failed
    with UnboundLocalError when the loop had not returned yet."""
    out, pullback = vjp(returns_an_array_from_a_loop, x)
    np.testing.assert_allclose(out, returns_an_array_from_a_loop(x))
    cotangent = np.array([0.7, -1.3])
    (got,) = pullback(cotangent)
    np.testing.assert_allclose(got, scale * cotangent, rtol=1e-12)
    np.testing.assert_allclose(got, central(lambda x: np.dot(returns_an_array_from_a_loop(x),
                                                             cotangent), (x,), 0),
                               rtol=1e-5, atol=1e-7)


def test_with_dask_arrays_a_returned_array_is_refused_clearly():
    """Dask's zeros of the returned array would be made from it before the loop ran: a
    clear error at generation (with NumPy arrays the zeros take the kind's shape)."""
    da = pytest.importorskip("dask.array")
    from s2sdiff import S2SDiffError
    with pytest.raises(S2SDiffError, match=r"for dask arrays: the value `shrink` returns is an "
                                           r"array that only the iterations of a loop "
                                           r"assign") as caught:
        grad(uses_shrink)(da.from_array(np.array([0.3, 0.4])))
    assert caught.value.source_line.strip() == "return np.sum(np.sin(shrink(x * 3.0)))"
    x = da.from_array(np.array([0.1, 0.9, 2.0]))        # a number returned: lazily right
    np.testing.assert_allclose(grad(uses_first_above)(x).compute(),
                               grad(uses_first_above)(x.compute()), rtol=1e-12)
