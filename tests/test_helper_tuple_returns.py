"""Helpers that ``return v, w`` from inside a loop, unpacked by the caller: the gradient
(``grad``, ``value_and_grad``), the forward derivative (``derivative``, ``jvp``) and the
vjp against central differences and hand-worked values, for numbers (the helper called
through its pullback) and arrays (the helper inlined).  The tuple merged over the
early-return paths used to have one adjoint taken for a number: the gradient failed at
run time naming ``dh1_3``, and NumPy code was refused naming ``hn_out_2``."""

import numpy as np
import pytest

from differences import central
from s2sdiff import derivative, grad, jvp, value_and_grad, vjp


def grow(v, lim):                  # a pair, from inside a for loop
    for i in range(10):
        v = v * 1.3
        if v > lim:
            return v, v * 2.0
    return v, 0.0


def grow_three(v, lim):            # three entries, from a nested branch in a while loop
    k = 0
    while k < 10:
        v = v * 1.3
        if v > 1.0:
            if v > lim:
                return v, v * 2.0, v * v
        k += 1
    return v, 0.0, 1.0


def grow_held(v, lim):             # a name holding the pair, returned from inside the loop
    for i in range(10):
        v = v * 1.3
        t = (v, v * 2.0)
        if v > lim:
            return t
    return (v, 0.0)


def grow_list(v, lim):             # a list display
    for i in range(10):
        v = v * 1.3
        if v > lim:
            return [v, v * 2.0]
    return [v, 0.0]


def pair(x):
    p, q = grow(x, 2.0)
    return p * 10 + q


def three(x):
    p, q, r = grow_three(x, 2.0)
    return p * 10 + q * p + r


def held(x):
    p, q = grow_held(x, 2.0)
    return p * 10 + q * p


def listed(x):
    p, q = grow_list(x, 2.0)
    return p * 10 + q * q


def twice(x):
    p, q = grow(x, 2.0)
    p2, q2 = grow(x * 0.5, 3.0)
    return p * q2 + q * p2


def first_only(x):
    p, _ = grow(x, 2.0)
    return p * p


def in_a_loop(x):
    total = 0.0
    for k in range(3):
        p, q = grow(x * (k + 1.0), 2.0)
        total = total + p * q
    return total


SCALAR = [pair, three, held, listed, twice, first_only, in_a_loop]
POINTS = [0.7, 0.01, 3.0, 1.9]    # returns on the fifth trip, falls through, the first trip


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", POINTS)
def test_numbers_returned_as_a_tuple_from_inside_a_loop(f, x):
    expected = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
    assert grad(f)(x) == pytest.approx(expected, rel=1e-6, abs=1e-6)
    value, gradient = value_and_grad(f)(x)
    assert value == f(x) and gradient == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert derivative(f)(x) == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert jvp(f, (x,), (0.5,))[1] == pytest.approx(0.5 * expected, rel=1e-6, abs=1e-6)


def test_the_reported_case_by_hand():
    # 0.7 * 1.3**5 is the first value above 2.0: p = 1.3**5 x, q = 2 p, p * 10 + q = 12 p
    assert grad(pair)(0.7) == pytest.approx(12 * 1.3 ** 5, rel=1e-12)
    # 0.01 never gets there: p = 1.3**10 x, q = 0.0
    assert grad(pair)(0.01) == pytest.approx(10 * 1.3 ** 10, rel=1e-12)
    assert grad(three)(0.7) == pytest.approx(10 * 1.3 ** 5 + 4 * 1.3 ** 10 * 0.7
                                             + 2 * 1.3 ** 10 * 0.7, rel=1e-12)


def returns_a_pair(x):
    for i in range(10):
        x = x * 1.3
        if x > 2.0:
            return x, x * x
    return x, 0.0


@pytest.mark.parametrize("x, expected", [(0.7, 1.3 ** 5 + 1.3 ** 10 * 0.7),   # (c x, c² x²)
                                         (0.01, 1.3 ** 10)])                 # (c x, 0.0)
def test_vjp_of_a_function_returning_a_pair_from_inside_a_loop(x, expected):
    out, pullback = vjp(returns_a_pair, x)
    assert out == returns_a_pair(x)
    (got,) = pullback((1.0, 0.5))
    assert got == pytest.approx(expected, rel=1e-12)


def grows(v, lim):
    for i in range(10):
        v = v * 1.3
        if np.sum(v) > lim:
            return v, v * 2.0
    return v, v * 0.0


def grows_three(v, lim):
    k = 0
    while k < 10:
        v = v * 1.3
        if np.sum(v) > 1.0:
            if np.sum(v) > lim:
                return v, v * 2.0, np.sin(v)
        k += 1
    return v, v * 0.0, np.cos(v)


def array_pair(x):
    p, q = grows(x, 2.0)
    return np.sum(p * 10 + q)


def array_three(x):
    p, q, r = grows_three(x, 2.0)
    return np.sum(p * 10 + q * p + r)


def array_twice(x):
    p, q = grows(x, 2.0)
    p2, q2 = grows(x * 0.5, 3.0)
    return np.sum(p * q2 + q * p2)


def array_first_only(x):
    p, _ = grows(x, 2.0)
    return np.sum(p ** 2)


ARRAYS = [array_pair, array_three, array_twice, array_first_only]
ARRAY_POINTS = [np.array([0.3, 0.4]), np.array([0.05, 0.1]), np.array([3.0, 2.0])]


@pytest.mark.parametrize("f", ARRAYS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", ARRAY_POINTS, ids=["returns", "falls-through", "first-trip"])
def test_arrays_returned_as_a_tuple_from_inside_a_loop(f, x):
    expected = central(f, (x,), 0)
    np.testing.assert_allclose(grad(f)(x), expected, rtol=1e-6, atol=1e-7)
    value, gradient = value_and_grad(f)(x)
    assert value == f(x)
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)
    tangent = np.array([0.7, -1.1])
    value, directional = jvp(f, (x,), (tangent,))
    assert value == f(x)
    assert directional == pytest.approx(expected @ tangent, rel=1e-6, abs=1e-7)


def test_the_numpy_case_by_hand():
    # sum(0.3, 0.4) * 1.3**3 = 1.5379 and * 1.3**4 = 1.999: returns on the fifth trip
    np.testing.assert_allclose(grad(array_pair)(np.array([0.3, 0.4])), 12 * 1.3 ** 5 * np.ones(2),
                               rtol=1e-12)


def test_the_entries_have_names_of_their_own():
    source = grad(array_pair).specialize(np.array([0.3, 0.4])).source
    assert "grows_out_0" in source and "grows_out_1" in source
    assert "grows_out =" not in source and "grows_grows" not in source


def shrink(v):
    for i in range(5):
        if np.sum(v * v) < 1.0:
            return v
        v = v / 2.0
    return v * 0.0


def uses_shrink(x):
    return np.sum(np.sin(shrink(x * 3.0)))


@pytest.mark.parametrize("x", [np.array([0.3, 0.4]), np.array([0.1, 0.1]), np.array([30.0, 20.0])])
def test_jvp_of_an_array_returned_from_inside_a_loop(x):
    """Its zero tangent before the loop read the unassigned value (UnboundLocalError)."""
    tangent = np.array([1.0, -0.5])
    value, directional = jvp(uses_shrink, (x,), (tangent,))
    assert value == uses_shrink(x)
    assert directional == pytest.approx(central(uses_shrink, (x,), 0) @ tangent, rel=1e-6,
                                        abs=1e-7)


@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_with_dask_arrays_an_entry_returned_from_a_loop_is_refused_clearly(transform):
    """The zeros of its derivative would be made from it before the loop ran: an error at
    generation in both modes (jvp failed at run time naming `grows_out_0`)."""
    da = pytest.importorskip("dask.array")
    from s2sdiff import S2SDiffError
    x = da.from_array(np.array([0.3, 0.4]))
    with pytest.raises(S2SDiffError, match=r"for dask arrays: entry 0 of the tuple `grows` "
                                           r"returns is an array that only the iterations of a "
                                           r"loop assign") as caught:
        if transform == "grad":
            grad(array_pair)(x)
        else:
            jvp(array_pair, (x,), (da.from_array(np.array([1.0, 0.0])),))
    assert caught.value.source_line.strip() == "p, q = grows(x, 2.0)"
    assert "grows_out" not in str(caught.value)


def found_pair(x):                 # no helper: a tuple only the loop's break assigns, copied
    found = False
    for i in range(10):
        x = x * 1.3
        if x > 2.0:
            t = (x, 2 * x)
            u = t
            found = True
            break
    if not found:
        u = (x, 0.0)
    return u[0] * u[1] + x


@pytest.mark.parametrize("x, expected", [(0.7, 4 * 1.3 ** 10 * 0.7 + 1.3 ** 5),   # 2 c² x² + c x
                                         (0.01, 1.3 ** 10)])                      # c x
def test_a_tuple_copied_out_of_a_loop(x, expected):
    """Its adjoint was a number (``dt = 0.0``, then ``+=`` a list: TypeError at run time)."""
    assert grad(found_pair)(x) == pytest.approx(expected, rel=1e-12)
    from s2sdiff.eject import eject
    namespace = {}
    exec(compile(eject(found_pair), "<ejected>", "exec"), namespace)   # runtime's copies
    assert namespace["grad_found_pair"](x) == grad(found_pair)(x)
