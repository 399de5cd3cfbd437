"""Numerical edge cases: NaN and inf, domain errors, precision, ties, result types.

* NaN and inf inputs propagate as in the forward code: each expectation below is the
  hand-derived derivative evaluated with IEEE arithmetic (``d(x*y)/dx = y`` stays 1.0
  when ``x`` is NaN; ``d(x*y)/dy = x`` is NaN);
* where the forward code raises (``math.log(-1)``, ``math.sqrt(-1)``, ``1 / 0``, an
  overflowing ``exp``), ``grad``, ``value_and_grad``, ``derivative`` and ``jvp`` raise the
  same exception type with the same message: the forward sweep is the user's code;
* the rule table uses numerically stable forms where they matter, measured against
  mpmath at 40 digits (``test_precision.py`` sweeps every row over the float range);
* ``max``/``min`` split the adjoint evenly among exactly tied arguments (JAX's, autograd's
  and PyTorch's convention), seed 002's indicator everywhere else.
"""

import math

import mpmath
import pytest

from s2sdiff import derivative, grad, jvp, value_and_grad
from s2sdiff.sources import is_generated

NAN, INF = math.nan, math.inf


# --- functions (defined in this file so that their source can be read) -------------------

def product(x, y):
    return x * y


def product_plus_sin(x, y):
    return x * y + math.sin(x)


def linear(x, y):
    return x + 2 * y


def square(x):
    return x * x


def exp_(x):
    return math.exp(x)


def log_(x):
    return math.log(x)


def sqrt_(x):
    return math.sqrt(x)


def sigmoid(x):
    return 1.0 / (1 + math.exp(-x))


def reciprocal(x):
    return 1 / x


def quotient(x, y):
    return x / y


def tanh_(x):
    return math.tanh(x)


def atan_(x):
    return math.atan(x)


def asinh_(x):
    return math.asinh(x)


def erf_(x):
    return math.erf(x)


def atan2_(y, x):
    return math.atan2(y, x)


def log1p_(x):
    return math.log1p(x)


def expm1_(x):
    return math.expm1(x)


def asin_(x):
    return math.asin(x)


def acos_(x):
    return math.acos(x)


def atanh_(x):
    return math.atanh(x)


def acosh_(x):
    return math.acosh(x)


def abs_(x):
    return abs(x)


def fabs_(x):
    return math.fabs(x)


def max2(x, y):
    return max(x, y)


def min2(x, y):
    return min(x, y)


def max3(x, y, z):
    return max(x, y, z)


def max_self(x):
    return max(x, x)


def modulo(x, y):
    return x % y


def staged_log(x, y):
    s = x * y
    t = s - 1.0
    u = math.log(t)              # raises in the middle of the forward sweep
    return u * x


def log_base(x, b):
    return math.log(x, b)


def power(x, y):
    return x ** y


def power_zero(x):
    return x ** 0


def scaled_by_int_local(u):
    k = 3
    return u * k


def times_max_with_int(x, u):
    return u * max(x, 3)


def int_on_one_path(x, b):
    k = 0                 # an int on the path that skips the branch (fuzzer, seed 7, #681)
    if b > 1.0:
        k = math.exp(b)
    return x * k - b


def int_list_element(x, y):
    ys = [-2, y]          # an int element of a list (fuzzer, seed 7, #2895)
    return x * ys[0] + ys[1]


def shared_quotient(x, y):
    u = x * y
    return u / u


def shared_angle(x, y):
    u = x + y
    return math.atan2(u, u) * u


# --- helpers -------------------------------------------------------------------------

def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def same(a, b):
    """Equal floats, NaN equal to NaN, and the same sign of zero."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def agree(actual, expected):
    actual, expected = as_tuple(actual), as_tuple(expected)
    return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))


def close(actual, expected, rel=1e-14):
    """Within ``rel`` relatively (zeros of either sign equal), entry by entry."""
    actual, expected = as_tuple(actual), as_tuple(expected)
    return len(actual) == len(expected) and all(
        a == e or abs(a - e) <= rel * abs(e) for a, e in zip(actual, expected))


def relative_error(value, reference):
    reference = mpmath.mpf(reference)
    return float(abs((mpmath.mpf(value) - reference) / reference))


# --- NaN and inf ---------------------------------------------------------------------

PROPAGATION = [
    # (function, arguments, forward value, hand-derived gradient)
    (product, (NAN, 1.0), NAN, (1.0, NAN)),                  # d/dx = y, d/dy = x
    (product, (INF, 0.0), NAN, (0.0, INF)),
    (product, (INF, 2.0), INF, (2.0, INF)),
    (product_plus_sin, (NAN, 2.0), NAN, (NAN, NAN)),         # y + cos(x), x
    (linear, (NAN, 1.0), NAN, (1.0, 2.0)),                   # constants stay constants
    (linear, (INF, -INF), NAN, (1.0, 2.0)),
    (square, (NAN,), NAN, (NAN,)),
    (square, (INF,), INF, (INF,)),                           # 2x
    (square, (-INF,), INF, (-INF,)),
    (exp_, (NAN,), NAN, (NAN,)),
    (exp_, (INF,), INF, (INF,)),
    (exp_, (-INF,), 0.0, (0.0,)),
    (log_, (NAN,), NAN, (NAN,)),
    (log_, (INF,), INF, (0.0,)),                             # 1/x
    (sqrt_, (INF,), INF, (0.0,)),                            # 0.5/sqrt(x)
    (sigmoid, (NAN,), NAN, (NAN,)),
    (sigmoid, (INF,), 1.0, (0.0,)),                          # exp(-x) * out * out
    (sigmoid, (-INF,), 0.0, (0.0,)),                         # (1 - out) * out
    (reciprocal, (INF,), 0.0, (-0.0,)),                      # -1/x**2
    (reciprocal, (NAN,), NAN, (NAN,)),
    (quotient, (1.0, INF), 0.0, (0.0, -0.0)),                # 1/y, -x/y**2
    (tanh_, (INF,), 1.0, (0.0,)),                            # 1/cosh(x)**2
    (tanh_, (NAN,), NAN, (NAN,)),
    (atan_, (INF,), math.pi / 2, (0.0,)),                    # (1/hypot(1, x))**2
    (erf_, (NAN,), NAN, (NAN,)),
    (acosh_, (INF,), INF, (0.0,)),                           # 1 / sqrt(x - 1) / sqrt(x + 1)
    (atan_, (NAN,), NAN, (NAN,)),
]


@pytest.mark.parametrize("func, args, value, gradient", PROPAGATION,
                         ids=[f"{c[0].__name__}{c[1]}" for c in PROPAGATION])
def test_nan_and_inf_propagate_as_the_math_says(func, args, value, gradient):
    assert same(func(*args), value)
    assert agree(grad(func)(*args), gradient)
    v, g = value_and_grad(func)(*args)
    assert same(v, value) and agree(g, gradient)
    assert agree(derivative(func)(*args), gradient)
    # jvp's value is the forward value; its tangent sums partial * tangent over every
    # argument, so a zero tangent times a NaN or infinite partial is NaN by IEEE rules
    out, _ = jvp(func, args, (1.0,) * len(args))
    assert same(out, value)


@pytest.mark.parametrize("func", [abs_, fabs_])
def test_abs_of_nan_has_a_nan_gradient(func):
    assert math.isnan(func(NAN))
    assert math.isnan(grad(func)(NAN))


@pytest.mark.parametrize("func", [max2, min2])
def test_max_and_min_of_nan_do_not_hide_the_nan(func):
    assert math.isnan(func(NAN, 1.0))
    assert any(math.isnan(g) for g in grad(func)(NAN, 1.0))


@pytest.mark.parametrize("args", [(INF, 1.0), (NAN, 1.0)], ids=["inf", "nan"])
def test_modulo_at_inf_and_nan_propagates_nan(args):
    assert math.isnan(modulo(*args))
    dx, dy = grad(modulo)(*args)
    assert dx == 1.0 and math.isnan(dy)


# --- domain errors -------------------------------------------------------------------

DOMAIN_ERRORS = [
    (log_, (-1.0,)), (log_, (0.0,)), (sqrt_, (-1.0,)), (reciprocal, (0.0,)),
    (quotient, (1.0, 0.0)), (quotient, (0.0, 0.0)), (modulo, (1.0, 0.0)),
    (exp_, (1000.0,)), (sigmoid, (-1000.0,)), (asin_, (2.0,)), (acos_, (-1.5,)),
    (atanh_, (1.0,)), (acosh_, (0.5,)), (log_base, (2.0, 1.0)), (log_base, (2.0, -3.0)),
    (staged_log, (0.5, 1.0)),
]


def _raised(call):
    try:
        call()
    except Exception as error:          # noqa: BLE001 - the exception is what we compare
        return type(error), str(error)
    return None


@pytest.mark.parametrize("func, args", DOMAIN_ERRORS,
                         ids=[f"{c[0].__name__}{c[1]}" for c in DOMAIN_ERRORS])
def test_domain_errors_raise_what_the_forward_code_raises(func, args):
    expected = _raised(lambda: func(*args))
    assert expected is not None and expected[0] in (ValueError, ZeroDivisionError, OverflowError)
    zeros = (0.0,) * len(args)
    assert _raised(lambda: grad(func)(*args)) == expected
    assert _raised(lambda: value_and_grad(func)(*args)) == expected
    assert _raised(lambda: derivative(func)(*args)) == expected
    assert _raised(lambda: jvp(func, args, zeros)) == expected


def test_a_domain_error_points_at_the_users_statement_in_generated_code():
    import traceback
    with pytest.raises(ValueError) as info:
        grad(staged_log)(0.5, 1.0)
    frames = [f for f in traceback.extract_tb(info.value.__traceback__)
              if is_generated(f.filename)]
    assert frames and "math.log(t)" in frames[-1].line


# --- precision -----------------------------------------------------------------------

mpmath.mp.dps = 40


def test_log1p_and_expm1_derivatives_near_zero_are_accurate():
    x = 1e-10
    assert relative_error(grad(log1p_)(x), 1 / (1 + mpmath.mpf(x))) <= 1e-15
    assert relative_error(grad(expm1_)(x), mpmath.exp(mpmath.mpf(x))) <= 1e-15
    assert relative_error(derivative(log1p_)(x), 1 / (1 + mpmath.mpf(x))) <= 1e-15
    assert relative_error(derivative(expm1_)(x), mpmath.exp(mpmath.mpf(x))) <= 1e-15


@pytest.mark.parametrize("x", [20.0, -20.0, 30.0, 200.0])
def test_tanh_derivative_is_relatively_accurate_where_tanh_rounds_to_one(x):
    # 1 - tanh(x)**2 would be 0.0 here: tanh(20.0) == 1.0 in floats
    assert math.tanh(x) in (1.0, -1.0)
    reference = 1 / mpmath.cosh(mpmath.mpf(x)) ** 2
    assert relative_error(grad(tanh_)(x), reference) <= 1e-14
    assert relative_error(derivative(tanh_)(x), reference) <= 1e-14


def test_sigmoid_derivative_is_relatively_accurate_for_negative_arguments():
    for x in (-20.0, -40.0, -700.0):
        e = mpmath.exp(-mpmath.mpf(x))
        assert relative_error(grad(sigmoid)(x), e / (1 + e) ** 2) <= 1e-13


NEAR_ONE = [  # points where 1 - x**2 (x**2 - 1) cancels worst, found by a scan with mpmath
    (asin_, 0.9999999926220544, lambda t: 1 / mpmath.sqrt(1 - t * t)),
    (acos_, 0.9999999926220544, lambda t: -1 / mpmath.sqrt(1 - t * t)),
    (atanh_, 0.9999999924860801, lambda t: 1 / (1 - t * t)),
    (acosh_, 1.0000000104014326, lambda t: 1 / mpmath.sqrt(t * t - 1)),
]


@pytest.mark.parametrize("func, x, reference", NEAR_ONE, ids=[c[0].__name__ for c in NEAR_ONE])
def test_inverse_function_derivatives_near_one_are_accurate(func, x, reference):
    assert relative_error(grad(func)(x), reference(mpmath.mpf(x))) <= 1e-13


OVERFLOWING_PARTIALS = [
    # (function, arguments, the derivative as floats hold it); the textbook partials
    # square their argument and raise OverflowError here (float ** overflows with an error)
    (tanh_, (400.0,), (0.0,)),                 # not 1 / cosh(x) ** 2: cosh(400) ** 2 overflows
    (tanh_, (709.0,), (0.0,)),                 # cosh(x) ** -2 underflows
    (tanh_, (710.5,), (0.0,)),                 # cosh(710.5) overflows: 0.0 by the rule
    (tanh_, (356.0,), (float(4 * mpmath.exp(-712)),)),    # a subnormal, about 2.5e-309
    (tanh_, (-800.0,), (0.0,)),                # cosh(800) overflows
    (quotient, (1.0, 1e200), (1e-200, -0.0)),  # not -x / y ** 2
    (quotient, (1e-300, 1e-160), (1e160, -1e20)),   # nor -x / (y * y): y * y is subnormal
    (reciprocal, (1e-200,), (-INF,)),          # -1e400 rounds to -inf, no ZeroDivisionError
    (atan_, (1e200,), (0.0,)),                 # not 1 / (1 + x ** 2): (1 / hypot(1, x)) ** 2
    (asinh_, (1e200,), (1e-200,)),             # 1 / hypot(x, 1), not 1 / sqrt(x ** 2 + 1)
    (erf_, (1e200,), (0.0,)),                  # not exp(-x ** 2)
    (atan2_, (1.0, 1e200), (1e-200, -0.0)),    # x / hypot / hypot, not x / (x ** 2 + y ** 2)
]


@pytest.mark.parametrize("func, args, expected", OVERFLOWING_PARTIALS,
                         ids=[f"{c[0].__name__}{c[1]}" for c in OVERFLOWING_PARTIALS])
def test_partials_do_not_overflow_where_the_forward_value_is_finite(func, args, expected):
    assert math.isfinite(func(*args))
    assert close(grad(func)(*args), expected)
    assert close(derivative(func)(*args), expected)


@pytest.mark.parametrize("x", [0.3, -2.0, 5.0, 19.0, 200.0, 354.0, -354.9, 356.0])
def test_the_tanh_partial_is_relatively_accurate_everywhere(x):
    reference = 1 / mpmath.cosh(mpmath.mpf(x)) ** 2
    assert relative_error(grad(tanh_)(x), reference) <= 1e-14


@pytest.mark.parametrize("x, y", [(7.0, 2.0), (-7.0, 2.0), (1.0, 0.1), (0.3, 0.1), (5.5, -2.0)])
def test_the_modulo_partial_is_the_quotient_python_rounds_with(x, y):
    """d(x % y)/dy = -(x // y): Python's x // y satisfies x == x // y * y + x % y, while
    math.floor(x / y) differs where x / y rounds up to an integer (1 % 0.1)."""
    dx, dy = grad(modulo)(x, y)
    assert dx == 1.0 and dy == -(x // y)
    assert dy == -round((x - x % y) / y)


def test_a_runtime_exponent_of_zero_at_zero():
    assert grad(power, wrt="x")(0.0, 0.0) == 0.0          # n * x ** (n - 1) if n else 0
    assert grad(power, wrt="x")(NAN, 0.0) == 0.0          # x ** 0 is 1.0 even at NaN
    assert grad(power)(2.0, 3.0) == (12.0, 8 * math.log(2.0))


def test_constant_power_zero_at_zero():
    assert power_zero(0.0) == 1.0
    assert grad(power_zero)(0.0) == 0.0


# --- singular points: IEEE's inf or NaN, as NumPy and JAX give ----------------------------

SINGULAR = [  # the forward value is finite, the derivative is infinite or undefined
    (sqrt_, (0.0,), (INF,)), (asin_, (1.0,), (INF,)), (acos_, (-1.0,), (-INF,)),
    (acosh_, (1.0,), (INF,)), (atan2_, (0.0, 0.0), (NAN, NAN)), (power, (0.0, 0.5), (INF, 0.0)),
]


@pytest.mark.parametrize("func, args, expected", SINGULAR,
                         ids=[f"{c[0].__name__}{c[1]}" for c in SINGULAR])
def test_infinite_derivatives_are_ieee_inf_or_nan(func, args, expected):
    assert math.isfinite(func(*args))
    assert agree(grad(func)(*args), expected)
    assert agree(derivative(func)(*args), expected)


def test_power_with_a_negative_base_and_an_active_exponent_is_nan():
    # (-2.0) ** 2.0 is 4.0, but d/dy x ** y = x ** y * log(x) has no real value at x < 0
    assert power(-2.0, 2.0) == 4.0
    dx, dy = grad(power)(-2.0, 2.0)
    assert dx == -4.0 and math.isnan(dy)
    assert grad(power, wrt="x")(-2.0, 2.0) == -4.0       # the base alone is fine


# --- ties ---------------------------------------------------------------------------

def test_max_and_min_split_the_adjoint_evenly_at_ties():
    """At a tie the k maximal (minimal) arguments receive 1/k of the adjoint each."""
    assert grad(max2)(2.0, 2.0) == (0.5, 0.5)
    assert grad(min2)(2.0, 2.0) == (0.5, 0.5)
    assert grad(max3)(1.0, 1.0, 1.0) == (1 / 3, 1 / 3, 1 / 3)
    assert grad(max3)(1.0, 3.0, 3.0) == (0.0, 0.5, 0.5)
    assert derivative(max2)(2.0, 2.0) == (0.5, 0.5)       # forward mode: the same partials
    assert jvp(max2, (2.0, 2.0), (1.0, 1.0)) == (2.0, 1.0)
    assert grad(max2)(2.0, 1.0) == (1.0, 0.0)
    assert grad(min2)(2.0, 1.0) == (0.0, 1.0)


def test_a_tie_of_a_value_with_itself_is_the_identity():
    """max(x, x) is x: the two halves of the adjoint add up to its derivative, 1.0."""
    assert grad(max_self)(1.5) == 1.0


# --- result types ----------------------------------------------------------------------

def test_an_int_local_keeps_the_gradient_a_float():
    """k = 3 is integer arithmetic all the way (optimize._integral_names), so `k * 1.0`
    stays: the gradient is the float 3.0, in both modes."""
    assert type(grad(scaled_by_int_local)(2.0)) is float
    assert type(derivative(scaled_by_int_local)(2.0)) is float


@pytest.mark.parametrize("func, args", [(times_max_with_int, (1.0, 2.0)),
                                        (int_on_one_path, (1.5, 0.5)),
                                        (int_list_element, (1.5, 0.5))],
                         ids=["u * max(x, 3)", "k = 0 on one path", "an int list element"])
def test_float_arguments_get_float_gradients(func, args):
    assert all(type(g) is float for g in as_tuple(grad(func)(*args)))
    assert all(type(g) is float for g in as_tuple(derivative(func)(*args)))


def test_the_float_type_bug_is_only_a_type():
    assert grad(scaled_by_int_local)(2.0) == 3.0
    assert grad(times_max_with_int)(1.0, 2.0) == (0.0, 3.0)
    assert grad(int_on_one_path)(1.5, 0.5) == (0.0, -1.0)
    assert grad(int_list_element)(1.5, 0.5) == (-2.0, 1.0)


def test_int_arguments_follow_python_arithmetic():
    assert grad(square)(3) == 6
    assert grad(product)(2, 5) == (5, 2)


# --- forward mode with a name used twice in one step ------------------------------------------

@pytest.mark.parametrize("func", [shared_quotient, shared_angle])
def test_forward_mode_with_one_name_as_two_arguments(func):
    point = (1.5, 2.0)
    g = grad(func)(*point)
    assert derivative(func)(*point) == pytest.approx(g, rel=1e-12, abs=1e-12)


def test_reverse_mode_and_jvp_with_one_name_as_two_arguments():
    assert grad(shared_quotient)(1.5, 2.0) == pytest.approx((0.0, 0.0), abs=1e-15)
    out, tangent = jvp(shared_quotient, (1.5, 2.0), (1.0, 0.0))
    assert out == 1.0 and tangent == 0.0
    dx, dy = grad(shared_angle)(1.5, 2.0)
    assert dx == pytest.approx(math.pi / 4) and dy == pytest.approx(math.pi / 4)


# --- negative literals ------------------------------------------------------------------

def negative_base_squared(x):
    return x * (-2.0) ** 2


def negative_int_base(x):
    y = (-3) ** 2
    return x * y


@pytest.mark.parametrize("func, value, gradient", [
    (negative_base_squared, 4.0, 4.0),
    (negative_int_base, 9.0, 9.0),
], ids=["(-2.0) ** 2", "(-3) ** 2"])
def test_negative_literal_base_of_a_power(func, value, gradient):
    assert func(1.0) == value
    assert value_and_grad(func)(1.0) == (value, gradient)
    assert derivative(func)(1.0) == gradient
    assert jvp(func, (1.0,), (1.0,)) == (value, gradient)
