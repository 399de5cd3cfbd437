"""Programs from the fourth user-program hunt (/tmp/hunt4 on the machine that ran it),
each checked against a closed form."""

import math

import numpy as np
import pytest

from s2sdiff import NotScalarError, grad

K = 95.0
N = 3
ENTRIES = [2.0]


def book(S, Ks):
    return sum(S * K for K in Ks)          # K: the generator's own variable


def series(S, n=4):
    t = 0.0
    for N in range(n):
        t += S * N
    return t


def test_a_loop_variable_named_like_a_module_number_is_the_function_s_own():
    """The entry test of module numbers (`type(K) is not float`) read the loop variables
    `K` and `N` before they were bound: UnboundLocalError (bug_05)."""
    assert grad(book, wrt=0)(2.0, [1.0, 2.0, 3.0]) == 6.0
    assert grad(series, wrt=0)(2.0) == 6.0


def cubic_times_entry(x):
    return ENTRIES[0] * x ** 3


def test_an_entry_of_a_module_list_rebound_to_an_array_is_not_a_gradient():
    """`ENTRIES[0] * x ** 3` with the entry set to an array afterwards returned an array
    from the old code silently (bug_01); the code checks the entry's type on entry and
    generates itself again, as NumPy code, which refuses the array output."""
    g = grad(cubic_times_entry)
    assert g(1.0) == 6.0 and "type(ENTRIES[0]) is not float" in g.source
    try:
        ENTRIES[0] = np.array([1.0, 2.0])
        with pytest.raises(NotScalarError):
            g(1.0)
        ENTRIES[0] = 3.0
        assert g(1.0) == 9.0
    finally:
        ENTRIES[0] = 2.0


def logsumexp(a):
    m = np.max(a, keepdims=True)
    out = m + np.log(np.sum(np.exp(a - m), keepdims=True))
    return out.reshape(())


def squeezed(a):
    return np.sum(a * a, keepdims=True).squeeze()


def reshaped_by_function(a):
    return np.reshape(np.sum(a * a, keepdims=True), ())


def test_a_keepdims_result_reshaped_to_a_number():
    """`out.reshape(())` of a `keepdims=True` result (the usual logsumexp): the adjoint of
    the 0-d output is the float 1.0, and `1.0.reshape(...)` raised AttributeError
    (bug_06)."""
    a = np.array([[0.1, 2.0], [-1.0, 0.5]])
    assert np.allclose(grad(logsumexp)(a), np.exp(a) / np.exp(a).sum(), rtol=1e-14)
    for f in (squeezed, reshaped_by_function):
        assert np.allclose(grad(f)(a), 2 * a, rtol=1e-15)


def stencil(x):
    y = x.copy()
    y[1:-1] += 0.5 * x[:-2] * x[1:-1]
    return y


def energy(x):
    return np.sum(x ** 2)


def test_the_dot_product_test_takes_arrays():
    """It drew one number per argument and crashed on arrays (bug_13, a documented
    checker); tangents and cotangents now have the arguments' and outputs' shapes."""
    from s2sdiff.check import dot_product_test
    x = np.array([0.3, -1.2, 0.8, 1.5])
    for f in (stencil, energy):
        assert dot_product_test(f, x) < 1e-12


def sum_of_squares(x, normalize=False):
    y = x / np.sum(x) if normalize else x
    return np.sum(y ** 2)


def test_a_flag_with_a_bool_default_is_data():
    """`grad(loss)(x)` returned `(dx, 0.0)`: a bool default is a flag, left out of
    wrt=None like a string or None default (bug_04)."""
    x = np.array([1.0, 2.0])
    assert np.array_equal(grad(sum_of_squares)(x), 2 * x)
    s = x.sum()                              # d/dx_i sum((x / s)^2) = 2 x_i / s^2 - 2 |x|^2 / s^3
    expected = 2 * x / s ** 2 - 2 * np.sum(x ** 2) / s ** 3
    assert np.allclose(grad(sum_of_squares)(x, True), expected, rtol=1e-14)


def k_times_sine(x):
    return K * math.sin(x)


def test_numba_compiles_a_function_reading_a_module_number():
    """The entry test of module numbers (`type(K) is not float`) is left out of compiled
    code, which reads `K` as a constant; it was taken for a call of a Python function."""
    pytest.importorskip("numba")
    assert grad(k_times_sine, backend="numba")(0.5) == pytest.approx(95.0 * math.cos(0.5))


def slice_assigned(xs):
    ys = [0.0] * len(xs)
    ys[:] = xs
    return sum(y * y for y in ys)


def copied_by_list(xs):
    ys = list(xs)
    return sum(y * y for y in ys)


def test_a_slice_assignment_into_a_list_is_a_clear_error_with_a_rewrite_that_works():
    """`ys[:] = xs` raised InternalError ('NoneType' has no attribute 'set_item',
    bug_07): the assignment is NumPy's, so the function is NumPy code, which refuses the
    list argument and says why; the rewrite it gives is exact."""
    from s2sdiff import ArgumentError
    with pytest.raises(ArgumentError, match=r"because of `ys\[:\]`") as caught:
        grad(slice_assigned)([0.5, 1.5])
    assert "ys = list(xs)" in str(caught.value)
    assert grad(copied_by_list)([0.5, 1.5]) == [1.0, 3.0]


def squares(x):
    return x ** 2


def copied_energy(x):
    return np.sum(x.copy() ** 2)


def test_tangents_and_cotangents_of_another_shape_are_refused():
    """A (2, 4) cotangent for a (4,) output gave a (2, 4) "gradient"; other shapes failed
    inside the generated code (bug_03).  Each must have its value's shape."""
    from s2sdiff import ArgumentError, hvp, jvp, vjp
    x = np.array([0.3, -1.2, 0.8, 1.5])
    _, pullback = vjp(squares, x)
    for wrong in (np.ones((2, 4)), np.ones(3)):
        with pytest.raises(ArgumentError, match="cotangent of the output of squares has shape"):
            pullback(wrong)
        with pytest.raises(ArgumentError, match="tangent of x has shape"):
            jvp(squares, (x,), (wrong,))
    with pytest.raises(ArgumentError, match="hvp: the tangent of x has shape"):
        hvp(copied_energy, (x,), (np.ones(3),))
    assert np.array_equal(pullback(np.ones(4))[0], 2 * x)
    assert np.array_equal(hvp(copied_energy, (x,), (np.ones(4),)), 2 * np.ones(4))
