"""Issue 13, NumPy paths: breaks of "a right gradient or a clear error" in NumPy code.

* A name (or the output) with another shape, ndim, array-ness or dtype kind on the path
  the first call did not take: the code specialised for one path would give a wrong
  number on the other, so it is refused at generation time (naming the variable, both
  kinds and both lines; ``NotScalarError`` for a ``grad`` whose output is an array on
  some path).  Branches and loops whose condition depends only on shapes (``x.ndim``,
  ``len(x)``, ``x.shape[0]``) are fixed for a specialisation and keep working.
* A Python float through ``np.maximum``, ``np.minimum`` and ``np.where`` gets a float
  gradient (``np.float64``), never a 0-d array.
* Forward mode: the tangent of ``np.exp(x) + C`` (a number plus an array) has the
  array's shape, so ``np.sum`` of it counts every entry.

Oracles: central differences, complex steps, closed forms worked out by hand.
"""

import functools

import numpy as np
import pytest

import source_lines
from source_lines import line_of

from s2sdiff import (NotScalarError, UnsupportedError, grad, jvp, value_and_grad, vjp)

X = np.array([0.5, -1.0, 2.0])
N = 2


assert_error = functools.partial(source_lines.assert_error, filename=__file__)


def central(f, x, *rest, h=1e-6):
    """Central differences of the scalar ``f`` along every entry of ``x``."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e, *rest) - f(x - e, *rest)) / (2 * h)
    return g


# --- 1. a name with another kind on the path not taken ----------------------------------

def scalar_or_array(x, k):
    if k > 0:
        y = np.sum(x)
    else:
        y = x * 3.0
    return np.sum(y * y)


def returns_scalar_or_array(x, k):
    if k > 0:
        return np.sum(x)
    return x * 3.0


def overwritten_in_one_arm(x, k):
    y = np.sum(x)
    if k > 0:
        y = x[0:2]
    return np.sum(y * y)


def two_shapes(x, k):
    if k > 0:
        y = np.zeros(2)
    else:
        y = x * 2.0
    return np.sum(y) * np.sum(x)


def loop_not_run(x, k):
    y = 0.0
    for i in range(k):
        y = y + x
    return np.sum(y)


def reduced_in_a_while(x, k):
    y = x
    while k > 0:
        y = np.sum(y)
        k = k - 1
    return np.sum(y * y)


def nested_in_a_shape_branch(x):
    if x.ndim == 1:
        if x[0] > 0:
            y = np.sum(x)
        else:
            y = x * 3.0
    else:
        y = np.sum(x)
    return np.sum(y * y)


def int_on_one_path(x, k):
    if k > 0:
        y = 0
    else:
        y = x[0] * 2.0
    return y * x[1] + np.sum(x)


@pytest.mark.parametrize("k", [-1.0, 1.0])
def test_a_name_that_is_a_number_on_one_path_and_an_array_on_the_other_is_refused(k):
    with pytest.raises(UnsupportedError) as error:
        grad(scalar_or_array, wrt=0)(X, k)
    assert_error(error, "`y` is", "a float", "an array of shape (3,)", "on one path",
                 f"line {line_of(scalar_or_array, 'np.sum(x)')}",
                 f"line {line_of(scalar_or_array, 'x * 3.0')}")
    # the error points at the path the call did not take
    untaken = "np.sum(x)" if k < 0 else "x * 3.0"
    assert error.value.lineno == line_of(scalar_or_array, untaken)


@pytest.mark.parametrize("k", [1.0, -1.0])
def test_grad_of_an_output_that_is_an_array_on_some_path_is_not_scalar(k):
    # before: specialised at k = 1, then called at k = -1, it returned [3, 3, 3]
    g = grad(returns_scalar_or_array, wrt=0)
    with pytest.raises(NotScalarError) as error:
        g(X, k)
    assert_error(error, "returns an array of shape (3,) on one of its paths",
                 line=line_of(returns_scalar_or_array, "x * 3.0"))
    with pytest.raises(NotScalarError):
        g(X, -k)


def test_vjp_of_an_output_with_two_kinds_names_the_returned_value():
    out, pullback = vjp(returns_scalar_or_array, X, 1.0)
    assert out == np.sum(X)
    with pytest.raises(UnsupportedError) as error:
        pullback(1.0)
    assert_error(error, "the value returned is a float on one path",
                 "an array of shape (3,) on another",
                 line=line_of(returns_scalar_or_array, "x * 3.0"))


@pytest.mark.parametrize("k", [-1.0, 1.0])
def test_reassigned_in_one_arm_with_another_shape_is_refused(k):
    with pytest.raises(UnsupportedError) as error:
        value_and_grad(overwritten_in_one_arm, wrt=0)(X, k)
    assert_error(error, "`y` is", "an array of shape (2,)", "a float")


@pytest.mark.parametrize("k", [-1.0, 1.0])
def test_two_array_shapes_on_two_paths_are_refused(k):
    with pytest.raises(UnsupportedError) as error:
        grad(two_shapes, wrt=0)(X, k)
    assert_error(error, "an array of shape (2,)", "an array of shape (3,)",
                 "depends on the path" if False else "on one path")


@pytest.mark.parametrize("k", [0, -2, 2])
def test_a_sum_from_zero_a_loop_may_make_an_array_starts_as_zeros(k):
    # `y = 0.0` then `y = y + x` in a loop run no times (or twice): y starts as
    # np.zeros(3) (kind_errors.py), the same values, so the gradient is exact
    np.testing.assert_allclose(grad(loop_not_run, wrt=0)(X, k), max(k, 0) * np.ones(3))


def test_a_while_loop_run_no_times_is_checked_too():
    with pytest.raises(UnsupportedError) as error:
        grad(reduced_in_a_while, wrt=0)(X, 0)
    assert_error(error, "`y` is an array of shape (3,) on one path", "a float on another",
                 line=line_of(reduced_in_a_while, "np.sum(y)"))


def test_a_value_branch_inside_a_shape_branch_is_checked():
    with pytest.raises(UnsupportedError) as error:
        grad(nested_in_a_shape_branch)(X)
    assert_error(error, "`y` is", line=line_of(nested_in_a_shape_branch, "x * 3.0"))
    # on a matrix the value branch is never reached: the gradient is exact
    M = np.array([[1.0, 2.0], [-0.5, 0.25]])
    np.testing.assert_allclose(grad(nested_in_a_shape_branch)(M), 2 * np.sum(M) * np.ones((2, 2)))


@pytest.mark.parametrize("k", [-1.0, 1.0])
def test_an_int_literal_on_one_path_starts_as_a_float(k):
    # `y = 0` in one arm, a float in the other: the literal is 0.0 (kind_errors.py)
    expected = np.ones(3) if k > 0 else np.array([2.0 * X[1] + 1.0, 2.0 * X[0] + 1.0, 1.0])
    np.testing.assert_allclose(grad(int_on_one_path, wrt=0)(X, k), expected)


# shapes and dtypes decide the path: fixed for a specialisation, so these keep working

def branch_on_ndim(x):
    if x.ndim == 1:
        y = np.sum(x)
    else:
        y = x * 3.0
    return np.sum(y * y)


def branch_on_len(x):
    if len(x) > 2:
        y = np.sum(x)
    else:
        y = x * 3.0
    return np.sum(y * y)


def branch_on_shape_entry(x):
    if x.shape[0] == 3 and x.ndim == 1:
        y = np.sum(x)
    else:
        y = x * 3.0
    return np.sum(y * y)


def branch_on_a_global_bound(x):
    n = x.shape[0]
    if n > N:
        return np.sum(x)
    return np.sum(x * 3.0)


def loop_over_a_shape(x):
    y = 0.0
    for i in range(len(x) - 3):
        y = y + x
    return np.sum(y) + np.sum(x * x)


def test_a_loop_over_a_shape_that_runs_no_times_is_not_checked():
    g = grad(loop_over_a_shape)
    for x in SHAPES[:3]:
        np.testing.assert_allclose(g(x), 2 * x)
    # it runs once: y = 0.0 + x, a sum from zero that starts as zeros (kind_errors.py)
    np.testing.assert_allclose(g(SHAPES[3]), 1.0 + 2 * SHAPES[3])


def branch_on_type(x):
    if isinstance(x, np.ndarray):
        y = x * 2.0
    else:
        y = np.full(3, x)
    return np.sum(y * y)


def branch_on_size_and_dtype(x):
    if x.size > 2 and x.dtype == np.float64:
        y = np.sum(x)
    else:
        y = x * 2.0
    return np.sum(y * y)


def closed_forms(x):
    """d/dx of the shape branches above, worked out by hand per shape."""
    return {
        branch_on_ndim: 2 * np.sum(x) * np.ones_like(x) if x.ndim == 1 else 18 * x,
        branch_on_len: 2 * np.sum(x) * np.ones_like(x) if len(x) > 2 else 18 * x,
        branch_on_shape_entry: 2 * np.sum(x) * np.ones_like(x)
        if x.shape[0] == 3 and x.ndim == 1 else 18 * x,
        branch_on_a_global_bound: np.ones_like(x) if x.shape[0] > N else 3 * np.ones_like(x),
        branch_on_type: 8 * x,
        branch_on_size_and_dtype: 2 * np.sum(x) * np.ones_like(x) if x.size > 2 else 8 * x,
    }


SHAPES = [np.array([0.5, -1.0, 2.0]), np.array([0.5, 1.5]), np.array([[1.0, 2.0], [-0.5, 0.25]]),
          np.array([0.1, 0.2, 0.3, 0.4])]


@pytest.mark.parametrize("f", list(closed_forms(SHAPES[0])), ids=lambda f: f.__name__)
def test_branches_on_shapes_keep_working_on_every_shape(f):
    g = grad(f)                     # one dispatcher: every shape gets code of its own
    for x in SHAPES + SHAPES[::-1]:
        want = closed_forms(x)[f]
        got = g(x)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_value_branch_with_the_same_kinds_on_both_paths_still_works():
    def f(x, k):
        if k > 0:
            y = np.zeros(3)
        else:
            y = x * 2.0
        return np.sum(y * x) + np.sum(x)
    # (defined here: not refused, both paths give arrays of shape (3,))
    g = grad(f, wrt=0)
    np.testing.assert_allclose(g(X, 1.0), np.ones(3))
    np.testing.assert_allclose(g(X, -1.0), 4 * X + 1)
    np.testing.assert_allclose(g(X, 1.0), np.ones(3))


def zero_or_sum(x, k):
    if k > 0:
        y = 0.0
    else:
        y = np.sum(x * x)
    return y * 2.0 + np.sum(x)


@pytest.mark.parametrize("k", [1.0, -1.0, 1.0])
def test_a_float_and_a_numpy_scalar_are_the_same_kind(k):
    g = grad(zero_or_sum, wrt=0)
    np.testing.assert_allclose(g(X, k), central(zero_or_sum, X, k), rtol=1e-8)


# --- 3. a Python float through np.maximum, np.minimum, np.where --------------------------

def maximum_of_a_float(a):
    return np.sum(np.maximum(a, 0.5))


def minimum_of_a_float_and_itself(a):
    return np.sum(np.minimum(a, a * 1.0))


def where_true(x):
    return np.sum(np.where(True, x, 0.0))


def where_of_a_float(x):
    return np.sum(np.where(x > 0, x * x, -x))


def reshaped_float(x):
    return np.sum(np.reshape(x, (1,)) * 3.0)


def times_two(x):
    return np.sum(x * 2.0)


@pytest.mark.parametrize("f, x, want", [
    (maximum_of_a_float, 0.7, 1.0), (maximum_of_a_float, 0.2, 0.0),
    (maximum_of_a_float, 0.5, 0.5),                      # a tie: the even split
    (minimum_of_a_float_and_itself, 0.7, 1.0), (where_true, 0.7, 1.0),
    (where_of_a_float, 0.7, 1.4), (where_of_a_float, -0.7, -1.0),
    (reshaped_float, 0.7, 3.0), (times_two, 0.7, 2.0),
])
def test_a_float_gets_a_float_gradient_never_a_0d_array(f, x, want):
    for transform in (lambda: grad(f)(x), lambda: value_and_grad(f)(x)[1],
                      lambda: vjp(f, x)[1](1.0)[0]):
        g = transform()
        assert not isinstance(g, np.ndarray), type(g)
        assert isinstance(g, float), type(g)
        assert g == want
    # a NumPy scalar argument gets one too
    g = grad(f)(np.float64(x))
    assert not isinstance(g, np.ndarray) and g == want


# --- forward mode: a tangent has its value's shape ----------------------------------------

C = [0.5, -1.0, 2.0]


def exp_plus_list(y):
    return np.sum(np.exp(y) + C)


def exp_plus_ones(y):
    return np.sum(np.exp(y) + np.ones(3))


def ones_minus(y):
    return np.sum(np.ones(3) - y)


def row_plus_column(a, M):
    return np.sum((np.sin(a) + M) ** 2)


@pytest.mark.parametrize("f, want", [
    (exp_plus_list, 3 * np.exp(0.7)), (exp_plus_ones, 3 * np.exp(0.7)), (ones_minus, -3.0)])
def test_jvp_of_a_number_broadcast_against_an_array(f, want):
    value, tangent = jvp(f, (0.7,), (1.0,))
    assert value == pytest.approx(f(0.7))
    assert tangent == pytest.approx(want, rel=1e-14)
    assert tangent == pytest.approx(grad(f)(0.7), rel=1e-14)


def test_jvp_of_a_row_broadcast_against_a_matrix():
    a, M = np.array([0.3, -0.2]), np.array([[1.0, 2.0], [0.5, -1.5], [0.0, 0.25]])
    ta, tM = np.array([1.0, -0.5]), np.array([[0.1, 0.2], [0.0, 1.0], [-1.0, 0.3]])
    value, tangent = jvp(row_plus_column, (a, M), (ta, tM))
    h = 1e-30                     # complex step along (ta, tM)
    want = np.imag(row_plus_column(a + 1j * h * ta, M + 1j * h * tM)) / h
    assert tangent == pytest.approx(want, rel=1e-13)


# --- 2. a free list with an active number in NumPy code ------------------------------------

POSITIVE = [0.5, 1.5, 2.0]
POSITIVE_TUPLE = (0.5, 1.5, 2.0)


def exp_to_the_list(x):
    y = np.sum(x)
    return np.sum(np.exp(y) ** C)


def list_to_the_power(x):
    y = np.sum(x)
    return np.sum(POSITIVE ** y)


def tuple_to_the_power(x):
    y = x[0]
    return np.sum(POSITIVE_TUPLE ** y)


def list_minus_number(x):
    y = x[0]
    return np.sum(C * (y - C))


def list_over_number(x):
    y = np.sum(x * x)
    return np.sum(C / (1.5 + y ** 2))


def maximum_with_the_list(x):
    y = np.sum(x)
    return np.sum(np.maximum(C, y) * C)


def power_of_a_number_by_the_list(x):
    y = np.sum(x)
    return np.sum(np.power(y, POSITIVE))


P = np.array([0.3, 0.4])


@pytest.mark.parametrize("f", [exp_to_the_list, list_to_the_power, tuple_to_the_power,
                               list_minus_number, list_over_number, maximum_with_the_list,
                               power_of_a_number_by_the_list], ids=lambda f: f.__name__)
def test_a_free_list_with_an_active_number(f):
    want = central(f, P)
    np.testing.assert_allclose(grad(f)(P), want, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(vjp(f, P)[1](1.0)[0], want, rtol=1e-7, atol=1e-9)
    t = np.array([1.0, -0.5])
    assert jvp(f, (P,), (t,))[1] == pytest.approx(want @ t, rel=1e-7, abs=1e-9)


def closes_over(data):
    def f(x):
        y = np.sum(x)
        return np.sum(data ** y + np.exp(y) ** data)
    return f


def test_a_list_in_a_closure_with_an_active_number():
    f = closes_over([0.5, 1.5, 2.0])
    np.testing.assert_allclose(grad(f)(P), central(f, P), rtol=1e-7)


def list_times_exp_of_a_float(y):
    return np.sum(C * np.exp(y))


def test_the_forward_failing_on_a_float_raises_the_forwards_error_at_its_line():
    # `LIST * np.float64` is a TypeError in Python itself: the gradient raises the same
    # error, shown at the user's line, not at line 1 of the file
    with pytest.raises(TypeError) as forward:
        list_times_exp_of_a_float(0.7)
    with pytest.raises(TypeError) as error:
        grad(list_times_exp_of_a_float)(0.7)
    assert str(error.value) == str(forward.value)
    last = error.traceback[-1]
    assert str(last.path) == __file__
    assert last.lineno + 1 == line_of(list_times_exp_of_a_float, "C * np.exp(y)")
    # with an array the forward works, and so does the gradient
    y = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(grad(list_times_exp_of_a_float)(y), np.array(C) * np.exp(y))


# --- 4. a complex intermediate from real inputs --------------------------------------------

def power_of_itself(e):
    e -= e ** e
    return abs(e)


def root_of_the_negative(x):
    return abs((-x) ** 0.5) * x


def test_a_complex_intermediate_is_named_not_a_type_error():
    assert power_of_itself(-1.6) > 0             # the forward finishes: abs of a complex
    with pytest.raises(UnsupportedError) as error:
        grad(power_of_itself)(-1.6)
    assert_error(error, "`e ** e` is the complex number", "real functions",
                 line=line_of(power_of_itself, "e -= e ** e"))
    assert error.value.construct == "complex value"
    # where it stays real the gradient is exact: d(e - e**e)/de = 1 - e**e (log e + 1)
    e = 1.6
    assert grad(power_of_itself)(e) == pytest.approx(
        np.sign(e - e ** e) * (1 - e ** e * (np.log(e) + 1)), rel=1e-13)


def test_a_complex_intermediate_in_numpy_code_is_named():
    def f(x, s):
        return np.sum(x) * abs((-s) ** 0.5)
    with pytest.raises(UnsupportedError) as error:
        grad(f)(np.ones(2), 2.0)
    assert_error(error, "is the complex number", line=line_of(f, "(-s) ** 0.5"))
    np.testing.assert_allclose(grad(f, wrt=0)(np.ones(2), -4.0), [2.0, 2.0])


# --- a parameter a loop carries, with another kind -----------------------------------------
# (parameters were exempt from the check: silently 3.0 for [3, 3, 3])

def parameter_reduced_in_a_loop(x, n):
    for i in range(n):
        x = np.sum(x)
    return np.sum(x * x)


def parameter_reduced_in_a_while(x, n):
    while n > 0:
        x = np.sum(x) * 2.0
        n = n - 1
    return np.sum(x * x)


def number_spread_in_a_loop(s, n):
    for i in range(n):
        s = s * np.ones(2)
    return np.sum(s)


def int_parameter_scaled_in_a_loop(x, n):
    for i in range(n):
        x = x * 1.5
    return np.sum(x * np.ones(2))


@pytest.mark.parametrize("f, first", [(parameter_reduced_in_a_loop, X),
                                      (parameter_reduced_in_a_while, X),
                                      (number_spread_in_a_loop, 0.7)],
                         ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("n", [1, 0, 2])
def test_a_carried_parameter_that_changes_kind_is_refused(f, first, n):
    with pytest.raises(UnsupportedError) as error:
        grad(f, wrt=0)(first, n)
    assert_error(error, "is first" if n else "on one path", "an array of shape",
                 "a float")


def test_a_carried_parameter_may_go_from_an_int_to_a_float():
    g = grad(int_parameter_scaled_in_a_loop, wrt=0)
    assert g(2, 2) == pytest.approx(2 * 1.5 ** 2)
    assert g(2.0, 3) == pytest.approx(2 * 1.5 ** 3)
