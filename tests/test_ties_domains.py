"""Issue 13: ties of max/min, domain boundaries, overflow on a discarded path.

* Ties: the k arguments (or the k entries of a reduced slice) exactly equal to the
  extremum share its adjoint evenly, 1/k each, as JAX, autograd and PyTorch do; the
  expectations are worked out by hand (max(x, x) = x has derivative 1).  Reverse and
  forward mode read the same rows, so both are checked.
* Domain boundaries: where the forward finished, the gradient finishes too, with the
  inf or NaN that IEEE arithmetic (NumPy, JAX) gives for the same partial.
* Overflow on a discarded path: 0 * inf is NaN, as in JAX and PyTorch (pinned).
"""

import math
import warnings

import numpy as np
import pytest

from s2sdiff import derivative, grad, jvp, value_and_grad

NAN, INF = math.nan, math.inf


# --- functions (defined in this file so that their source can be read) -------------------

def max_self(x):
    return max(x, x)


def min_self(x):
    return min(x, x)


def max_xyx(x, y):
    return max(x, y, x)


def max_three(x):
    return max(x, 3.0)


def min_three(x):
    return min(3.0, x)


def max_scaled(x, y):
    return max(x, y) * 2.0 + min(x, y)


def max_of_products(x, y):
    return max(x * y, y * x)          # equal values from different expressions


def np_maximum_self(x):
    return np.sum(np.maximum(x, x))


def np_minimum_self(x):
    return np.sum(np.minimum(x, x))


def relu(x):
    return np.sum(np.maximum(x, 0.0) * np.array([1.0, 2.0, 3.0]))


def np_minimum_two(x, y):
    return np.sum(np.minimum(x, y))


def np_maximum_floats(x, y):
    return np.maximum(x, y) * 3.0


def np_max_all(x):
    return np.max(x)


def np_amin_all(x):
    return np.amin(x) * 2.0


def max_rows_keepdims(x):
    return np.sum(x.max(axis=1, keepdims=True) * np.array([[1.0], [10.0]]))


def min_columns(x):
    return np.sum(np.min(x, axis=0) * np.array([1.0, 2.0, 3.0]))


def amax_axes(x):
    return np.sum(np.amax(x, axis=(0, 2)) * np.array([1.0, 2.0]))


def method_min_all(x):
    return x.min() * 5.0


def softmax_shift(x):
    m = x.max(axis=1, keepdims=True)
    return np.sum(np.exp(x - m))


# --- ties: scalars ------------------------------------------------------------------------

def test_max_of_a_value_with_itself_is_the_identity():
    assert grad(max_self)(1.5) == 1.0
    assert derivative(max_self)(1.5) == 1.0
    assert jvp(max_self, (1.5,), (2.0,)) == (1.5, 2.0)
    assert value_and_grad(max_self)(-0.25) == (-0.25, 1.0)


def test_min_of_a_value_with_itself_is_the_identity():
    assert grad(min_self)(-2.0) == 1.0
    assert derivative(min_self)(-2.0) == 1.0


def test_max_with_a_repeated_argument_among_others():
    # max(x, y, x): x > y gives the whole adjoint to x (both its copies: 1/2 + 1/2)
    assert grad(max_xyx)(2.0, 1.0) == (1.0, 0.0)
    assert grad(max_xyx)(1.0, 2.0) == (0.0, 1.0)
    # all three tied: each gets 1/3, x twice
    dx, dy = grad(max_xyx)(1.0, 1.0)
    assert dx == pytest.approx(2 / 3, rel=1e-15) and dy == pytest.approx(1 / 3, rel=1e-15)
    assert derivative(max_xyx)(1.0, 1.0) == (dx, dy)


@pytest.mark.parametrize("func", [max_three, min_three])
def test_a_tie_with_a_constant_takes_half(func):
    assert grad(func)(3.0) == 0.5
    assert derivative(func)(3.0) == 0.5
    assert jvp(func, (3.0,), (1.0,)) == (3.0, 0.5)


def test_away_from_ties_the_indicator_of_seed_002_holds():
    assert grad(max_three)(4.0) == 1.0 and grad(max_three)(2.0) == 0.0
    assert grad(min_three)(4.0) == 0.0 and grad(min_three)(2.0) == 1.0
    assert grad(max_scaled)(2.0, 1.0) == (2.0, 1.0)
    assert grad(max_scaled)(1.0, 2.0) == (1.0, 2.0)


def test_a_tie_splits_each_extremum_in_one_function():
    # max(x, y) * 2 + min(x, y) at x = y: d/dx = 2 * 0.5 + 0.5
    assert grad(max_scaled)(1.0, 1.0) == (1.5, 1.5)
    assert derivative(max_scaled)(1.0, 1.0) == (1.5, 1.5)


def test_a_tie_of_two_equal_expressions():
    # max(x*y, y*x) = x*y: d/dx = y, d/dy = x
    assert grad(max_of_products)(2.0, 3.0) == (3.0, 2.0)
    assert derivative(max_of_products)(2.0, 3.0) == (3.0, 2.0)


def test_tie_partials_are_floats():
    for value in (*grad(max_scaled)(2.0, 1.0), *grad(max_scaled)(1.0, 1.0), grad(max_self)(1.0)):
        assert type(value) is float


def test_a_nan_result_still_gives_nan_partials():
    # Python's max keeps its first argument when a comparison with NaN is false
    assert max(NAN, 1.0) != max(NAN, 1.0) and max(1.0, NAN) == 1.0
    assert all(math.isnan(d) for d in grad(max_xyx)(NAN, 1.0))
    assert grad(max_scaled)(1.0, NAN) == (3.0, 0.0)     # max and min both keep x = 1.0
    dx, dy = derivative(max_xyx)(NAN, 1.0)
    assert math.isnan(dx) and math.isnan(dy)


# --- ties: elementwise NumPy --------------------------------------------------------------

def test_np_maximum_and_minimum_of_a_value_with_itself():
    x = np.array([-1.0, 0.0, 2.5])
    np.testing.assert_array_equal(grad(np_maximum_self)(x), np.ones(3))
    np.testing.assert_array_equal(grad(np_minimum_self)(x), np.ones(3))
    assert jvp(np_maximum_self, (x,), (np.array([1.0, 2.0, 3.0]),))[1] == 6.0


def test_relu_at_zero_takes_half():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(grad(relu)(x), [0.0, 1.0, 3.0])
    assert jvp(relu, (x,), (np.ones(3),))[1] == 4.0


def test_np_minimum_elementwise_ties():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    dx, dy = grad(np_minimum_two)(x, y)
    np.testing.assert_array_equal(dx, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(dy, [0.5, 0.0, 1.0])
    tangent = jvp(np_minimum_two, (x, y), (np.ones(3), np.zeros(3)))[1]
    assert tangent == dx.sum()


def test_np_maximum_of_floats():
    assert grad(np_maximum_floats)(2.0, 2.0) == (1.5, 1.5)
    assert grad(np_maximum_floats)(2.0, 1.0) == (3.0, 0.0)
    assert derivative(np_maximum_floats)(2.0, 2.0) == (1.5, 1.5)


def test_np_maximum_with_nan_gives_nan_partials():
    x, y = np.array([NAN, 1.0]), np.array([0.0, 1.0])
    dx, dy = grad(np_minimum_two)(x, y)
    assert np.isnan(dx[0]) and np.isnan(dy[0]) and dx[1] == dy[1] == 0.5


# --- ties: reductions ------------------------------------------------------------------

def _forward_matches_reverse(func, x, seed=0):
    """<grad f(x), u> = jvp(f, x, u) for a random direction u."""
    u = np.random.default_rng(seed).normal(size=x.shape)
    g = grad(func)(x)
    assert jvp(func, (x,), (u,))[1] == pytest.approx(float(np.sum(g * u)), rel=1e-12, abs=1e-14)


def test_np_max_over_everything_shares_among_tied_entries():
    x = np.array([1.0, 3.0, 3.0, -2.0])
    np.testing.assert_array_equal(grad(np_max_all)(x), [0.0, 0.5, 0.5, 0.0])
    assert jvp(np_max_all, (x,), (np.array([7.0, 1.0, 2.0, 9.0]),)) == (3.0, 1.5)
    _forward_matches_reverse(np_max_all, x)


def test_np_amin_and_method_min_over_everything():
    x = np.array([[0.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(grad(np_amin_all)(x), [[2 / 3, 0.0], [2 / 3, 2 / 3]])
    np.testing.assert_array_equal(grad(method_min_all)(x), [[5 / 3, 0.0], [5 / 3, 5 / 3]])
    _forward_matches_reverse(np_amin_all, x)
    _forward_matches_reverse(method_min_all, x)


def test_method_max_with_axis_and_keepdims():
    x = np.array([[1.0, 2.0, 2.0], [5.0, 5.0, 5.0]])
    expected = [[0.0, 0.5, 0.5], [10 / 3, 10 / 3, 10 / 3]]
    np.testing.assert_allclose(grad(max_rows_keepdims)(x), expected, rtol=1e-15)
    _forward_matches_reverse(max_rows_keepdims, x)


def test_np_min_along_an_axis():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]])
    np.testing.assert_array_equal(grad(min_columns)(x), [[0.5, 0.0, 1.5], [0.5, 2.0, 1.5]])
    _forward_matches_reverse(min_columns, x)


def test_np_amax_along_two_axes():
    x = np.zeros((2, 2, 3))
    x[0, 0, 1] = 1.0                    # slice x[:, 0, :] has one maximum; x[:, 1, :] six
    expected = np.zeros((2, 2, 3))
    expected[0, 0, 1] = 1.0
    expected[:, 1, :] = 2.0 / 6
    np.testing.assert_allclose(grad(amax_axes)(x), expected, rtol=1e-15)
    _forward_matches_reverse(amax_axes, x)


def test_reductions_without_ties_keep_the_indicator():
    x = np.array([[0.3, -1.0, 2.0], [4.0, 0.5, 0.1]])
    np.testing.assert_array_equal(grad(max_rows_keepdims)(x), [[0, 0, 1], [10, 0, 0]])


def test_a_max_reduction_of_a_nan_gives_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # 1 / 0 and 0 * inf in NumPy
        g = grad(np_max_all)(np.array([1.0, NAN, 3.0]))
        assert np.isnan(g).all()
        assert np.isnan(jvp(np_max_all, (np.array([1.0, NAN]),), (np.ones(2),))[1])


def test_the_stable_softmax_shift_has_its_true_gradient_at_ties():
    # sum(exp(x - max x)) along rows: with a tied maximum the even split is the gradient
    # of the function (any convex combination is, since the shift cancels in d/dx).
    x = np.array([[1.0, 1.0, 0.0]])
    e = np.exp(x - 1.0)
    expected = e - e.sum() * np.array([[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(grad(softmax_shift)(x), expected, rtol=1e-14)
    _forward_matches_reverse(softmax_shift, x)


# --- domain boundaries: where the forward finished, the gradient finishes ---------------------

def sqrt_(x):
    return math.sqrt(x)


def half_power(x):
    return x ** 0.5


def power_03(x):
    return x ** 0.3


def power(x, y):
    return x ** y


def builtin_pow(x, y):
    return pow(x, y)


def math_pow(x, y):
    return math.pow(x, y)


def reciprocal_power(x):
    return x ** -1.0


def small_power(x):
    return x ** 0.01


def asin_(x):
    return math.asin(x)


def acos_(x):
    return math.acos(x)


def acosh_(x):
    return math.acosh(x)


def atan2_(y, x):
    return math.atan2(y, x)


def hypot_(x, y):
    return math.hypot(x, y)


def hypot3(x, y, z):
    return math.hypot(x, y, z)


def norm2(x, y):
    return math.sqrt(x * x + y * y)


def sqrt_then_more(x, y):
    s = math.sqrt(x)
    t = s * y + math.sin(y)
    return t + math.exp(y)


def sqrt_in_loop(x, n):
    total = 0.0
    for i in range(n):
        total = total + math.sqrt(x + i)
    return total


def sqrt_in_branch(x):
    if x >= 0.0:
        return math.sqrt(x) * 3.0
    return -x


def sqrt_helper(u):
    return math.sqrt(u)


def calls_sqrt_helper(x):
    return sqrt_helper(x) * 2.0


def log_(x):
    return math.log(x)


def np_sqrt(x):
    return np.sum(np.sqrt(x))


def np_power(x, y):
    return np.sum(np.power(x, y))


def np_half_power(x):
    return np.sum(x ** 0.5)


# (function, point, IEEE value of the partials that the rule table writes, worked by hand)
BOUNDARIES = [
    (sqrt_, (0.0,), (INF,)),                       # 0.5 / sqrt(x)
    (sqrt_, (-0.0,), (-INF,)),                     # sqrt(-0.0) is -0.0: 0.5 / -0.0
    (half_power, (0.0,), (INF,)),                  # 0.5 * 0.0 ** -0.5
    (power_03, (0.0,), (INF,)),
    (power, (0.0, 0.3), (INF, 0.0)),               # d/dy: x ** y log x is 0 at x = 0
    (power, (0.0, 1.0), (1.0, 0.0)),
    (power, (-2.0, 2.0), (-4.0, NAN)),             # log(-2) is NaN
    (power, (-2.0, 3.0), (12.0, NAN)),
    (builtin_pow, (-2.0, 2.0), (-4.0, NAN)),
    (math_pow, (-2.0, 2.0), (-4.0, NAN)),
    (reciprocal_power, (1e-160,), (-INF,)),        # -x ** -2 overflows: -1e320
    (small_power, (5e-324,), (INF,)),              # 0.01 * x ** -0.99 overflows
    (asin_, (1.0,), (INF,)), (asin_, (-1.0,), (INF,)),
    (acos_, (1.0,), (-INF,)), (acos_, (-1.0,), (-INF,)),
    (acosh_, (1.0,), (INF,)),
    (atan2_, (0.0, 0.0), (NAN, NAN)),              # x / hypot / hypot: 0 / 0
    (hypot_, (0.0, 0.0), (NAN, NAN)),              # x / out: 0 / 0
    (hypot3, (0.0, 0.0, 0.0), (NAN, NAN, NAN)),
    (norm2, (0.0, 0.0), (NAN, NAN)),               # inf * 2x: 0 * inf, as in JAX
    (sqrt_then_more, (0.0, 2.0), (INF, math.cos(2.0) + math.exp(2.0))),
    (sqrt_in_branch, (0.0,), (INF,)),
    (calls_sqrt_helper, (0.0,), (INF,)),
]


def _same(a, b):
    if math.isnan(b):
        return math.isnan(a)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def _agree(actual, expected):
    actual = actual if isinstance(actual, tuple) else (actual,)
    return len(actual) == len(expected) and all(_same(a, e) for a, e in zip(actual, expected))


def _ids(cases):
    return [f"{f.__name__}{args}" for f, args, _ in cases]


@pytest.mark.parametrize("func, args, expected", BOUNDARIES, ids=_ids(BOUNDARIES))
def test_the_gradient_at_a_domain_boundary_is_ieee(func, args, expected):
    value = func(*args)                 # the forward finishes
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and the gradient warns about nothing
        assert _agree(grad(func)(*args), expected)
        assert _agree(derivative(func)(*args), expected)
        got_value, gradient = value_and_grad(func)(*args)
    assert got_value == value and _agree(gradient, expected)


@pytest.mark.parametrize("func, args, expected", BOUNDARIES, ids=_ids(BOUNDARIES))
def test_jvp_at_a_domain_boundary_is_ieee(func, args, expected):
    for i in range(len(args)):          # each column of the Jacobian: <partials, e_i>
        tangents = tuple(1.0 if j == i else 0.0 for j in range(len(args)))
        value, tangent = jvp(func, args, tangents)
        assert _same(tangent, sum(p * t for p, t in zip(expected, tangents)))   # inf * 0 is NaN


def test_a_loop_at_a_boundary():
    # d/dx sum_i sqrt(x + i) at x = 0: the term i = 0 is infinite
    assert grad(sqrt_in_loop, wrt="x")(0.0, 3) == INF
    assert derivative(sqrt_in_loop, wrt="x")(0.0, 3) == INF
    expected = sum(0.5 / math.sqrt(4.0 + i) for i in range(3))
    assert grad(sqrt_in_loop, wrt="x")(4.0, 3) == pytest.approx(expected, rel=1e-15)


def test_the_ieee_retry_costs_nothing_until_it_raises():
    # the fast gradient is unchanged: the retry is one `except` clause after `except TypeError`
    source = grad(sqrt_).source
    assert "dx = 0.5 / s" in source
    assert source.rstrip().endswith("return ieee_grad_sqrt_(error, x)")


def square_plus_quotient(x, y):
    return x ** 2 + x / y + math.log(y) * 2.0 ** x


def test_rows_that_cannot_raise_get_no_retry():
    # x ** 2, x / y, log y, 2.0 ** x: partials raise only where the forward raises too
    for generated in (grad(square_plus_quotient), derivative(square_plus_quotient),
                      grad(max_scaled), grad(product_of_logs)):
        assert "ArithmeticError" not in generated.source
    assert "ArithmeticError" in grad(half_power).source
    assert "ArithmeticError" in grad(power).source


def product_of_logs(x, y):
    return math.log(x) * math.log1p(y) / math.exp(x)


def test_a_forward_error_is_the_users_own_error():
    for call in (lambda: grad(log_)(-1.0), lambda: derivative(log_)(0.0),
                 lambda: value_and_grad(sqrt_)(-1.0), lambda: jvp(sqrt_, (-1.0,), (1.0,))):
        with pytest.raises(ValueError, match="math domain error") as info:
            call()
        assert info.value.__context__ is None or info.value.__suppress_context__


def test_a_parameter_named_error_is_not_shadowed():
    def error(error, x):
        return math.sqrt(error) * x
    assert grad(error)(0.0, 2.0) == (INF, 0.0)
    assert grad(error)(4.0, 2.0) == (0.5, 2.0)


def test_numpy_code_at_a_boundary_gives_ieee_values_with_numpy_warnings():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.testing.assert_array_equal(grad(np_sqrt)(np.array([0.0, 4.0])), [INF, 0.25])
    with pytest.warns(RuntimeWarning):
        dx, dy = grad(np_power)(np.array([-2.0, 2.0]), np.array([2.0, 2.0]))
    np.testing.assert_array_equal(dx, [-4.0, 4.0])
    assert np.isnan(dy[0]) and dy[1] == pytest.approx(4 * math.log(2.0), rel=1e-15)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.testing.assert_array_equal(grad(np_half_power)(np.array([0.0, 4.0])), [INF, 0.25])


# --- overflow on a path the output does not depend on: NaN, as in JAX and PyTorch -------------

def squares_then_discards(x):
    y = x
    for i in range(16):
        y = y * y                       # overflows to inf from x = 1e20 on (4 squarings)
    return min(x, y)                    # y = inf is discarded: the output is x


def squares_then_discards_straight(x):
    y = x * x
    z = y * y                           # inf for |x| > 1.2e77
    return min(x, z * z)


def test_an_overflow_on_a_discarded_path_gives_nan_as_jax_does():
    """The output is x, whose derivative is 1; reverse mode multiplies the discarded
    path's zero adjoint by its infinite partials (2 * y = inf): 0 * inf is NaN, and NaN
    added to the 1 of the kept path is NaN.  JAX and PyTorch give NaN too.  Guarding every
    product (`p * g if g else 0.0`) would slow every gradient; this is the documented
    limit instead."""
    assert squares_then_discards(1e20) == 1e20
    assert math.isnan(grad(squares_then_discards)(1e20))
    assert math.isnan(derivative(squares_then_discards)(1e20))
    assert math.isnan(grad(squares_then_discards_straight)(1e100))
    # below the overflow the same code is exact: the zero adjoint times a finite partial
    assert grad(squares_then_discards)(1.001) == 1.0
    assert grad(squares_then_discards)(0.999) == pytest.approx(2 ** 16 * 0.999 ** (2 ** 16 - 1),
                                                               rel=1e-11)
    assert grad(squares_then_discards_straight)(1e50) == 1.0
