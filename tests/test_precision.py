"""No rule loses precision where a stable form exists (issue 7, item 3).

Every one-argument row of the rule table (and the sigmoid gate) is differentiated at
points spread over the whole float range, from 1e-300 to 1e300 and the places where a
textbook partial cancels or overflows (tanh and the sigmoid where they round to 1, atan
and acosh above 1.3e154 where x * x overflows).  Wherever the forward code returns a
finite value and the exact derivative, computed by mpmath at 50 digits from its closed
form, is a normal float, the gradient must agree with it to a few units in the last place
(``TOLERANCE``).  The two-argument rows (quotient, power, atan2, hypot, log with a base)
are checked on a grid of magnitudes, and the NumPy rows over arrays of all the points.
Where the exact derivative is subnormal or below, the gradient must be within the smallest
normal float of it (0.0 is right there: the forward value itself may have underflowed).
"""

import math
import sys
import warnings

import mpmath
import numpy as np
import pytest

from s2sdiff import derivative, grad

mpmath.mp.dps = 50
TOLERANCE = 1e-14        # relative: about 45 units in the last place, far below a lost digit
TINY = sys.float_info.min
MAGNITUDES = [10.0 ** k for k in range(-300, 301, 25)] + [
    0.3, 0.5, 0.9, 1.0, 1.5, 2.0, 5.0, 19.0, 20.0, 36.0, 37.0, 40.0, 100.0, 354.0, 356.0,
    700.0, 709.0, 710.5, 745.0, 800.0, 1.3e154, 1.4e154, 1e160, 1e200]
POINTS = sorted({s * x for x in MAGNITUDES for s in (1.0, -1.0)} | {0.0})


# --- functions (defined here so that their source can be read) ---------------------------

def exp_(x):
    return math.exp(x)


def expm1_(x):
    return math.expm1(x)


def log_(x):
    return math.log(x)


def log1p_(x):
    return math.log1p(x)


def log2_(x):
    return math.log2(x)


def log10_(x):
    return math.log10(x)


def log_base_3(x):
    return math.log(x, 3.0)


def sqrt_(x):
    return math.sqrt(x)


def sin_(x):
    return math.sin(x)


def cos_(x):
    return math.cos(x)


def tan_(x):
    return math.tan(x)


def asin_(x):
    return math.asin(x)


def acos_(x):
    return math.acos(x)


def atan_(x):
    return math.atan(x)


def sinh_(x):
    return math.sinh(x)


def cosh_(x):
    return math.cosh(x)


def tanh_(x):
    return math.tanh(x)


def asinh_(x):
    return math.asinh(x)


def acosh_(x):
    return math.acosh(x)


def atanh_(x):
    return math.atanh(x)


def erf_(x):
    return math.erf(x)


def erfc_(x):
    return math.erfc(x)


def sigmoid(x):
    return 1.0 / (1 + math.exp(-x))


def reciprocal(x):
    return 1 / x


def cube(x):
    return x ** 3.0


def two_to_the(x):
    return 2.0 ** x


mp = mpmath
SCALAR = [  # (function, its exact derivative with mpmath, the points it is defined at)
    (exp_, mp.exp, None),
    (expm1_, mp.exp, None),
    (log_, lambda x: 1 / x, lambda x: x > 0),
    (log1p_, lambda x: 1 / (1 + x), lambda x: x > -1),
    (log2_, lambda x: 1 / (x * mp.log(2)), lambda x: x > 0),
    (log10_, lambda x: 1 / (x * mp.log(10)), lambda x: x > 0),
    (log_base_3, lambda x: 1 / (x * mp.log(3)), lambda x: x > 0),
    (sqrt_, lambda x: 1 / (2 * mp.sqrt(x)), lambda x: x > 0),
    (sin_, mp.cos, lambda x: abs(x) < 1e10),
    (cos_, lambda x: -mp.sin(x), lambda x: abs(x) < 1e10),
    (tan_, lambda x: 1 / mp.cos(x) ** 2, lambda x: abs(x) < 1e10),
    (asin_, lambda x: 1 / mp.sqrt(1 - x * x), lambda x: abs(x) < 1),
    (acos_, lambda x: -1 / mp.sqrt(1 - x * x), lambda x: abs(x) < 1),
    (atan_, lambda x: 1 / (1 + x * x), None),
    (sinh_, mp.cosh, None),
    (cosh_, mp.sinh, None),
    (tanh_, lambda x: 1 / mp.cosh(x) ** 2, None),
    (asinh_, lambda x: 1 / mp.sqrt(1 + x * x), None),
    (acosh_, lambda x: 1 / mp.sqrt(x * x - 1), lambda x: x > 1),
    (atanh_, lambda x: 1 / (1 - x * x), lambda x: abs(x) < 1),
    (erf_, lambda x: 2 / mp.sqrt(mp.pi) * mp.exp(-x * x), None),
    (erfc_, lambda x: -2 / mp.sqrt(mp.pi) * mp.exp(-x * x), None),
    (sigmoid, lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2, None),
    (reciprocal, lambda x: -1 / (x * x), lambda x: x != 0),
    (cube, lambda x: 3 * x * x, None),
    (two_to_the, lambda x: mp.log(2) * mp.power(2, x), None),
]


def forward_value(func, x):
    try:
        value = func(x)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def check(value, exact):
    """The gradient ``value`` against mpmath's ``exact``: relatively where the derivative is
    a normal float, absolutely (to the smallest normal) where it is smaller."""
    if abs(exact) >= TINY:
        if not math.isfinite(exact) or abs(exact) > sys.float_info.max:
            return True                        # the derivative itself overflows
        return abs((mp.mpf(value) - exact) / exact) <= TOLERANCE
    return abs(mp.mpf(value) - exact) <= TINY


@pytest.mark.parametrize("func, exact, defined", SCALAR, ids=[c[0].__name__ for c in SCALAR])
def test_every_partial_is_accurate_over_the_whole_float_range(func, exact, defined):
    gradient, tangent = grad(func), derivative(func)
    bad = []
    for x in POINTS:
        if (defined is not None and not defined(x)) or forward_value(func, x) is None:
            continue
        reference = exact(mp.mpf(x))
        for mode, d in (("grad", gradient), ("derivative", tangent)):
            try:
                value = d(x)
            except OverflowError:
                value = math.inf if abs(reference) > sys.float_info.max else None
            if value is None or not check(value, reference):
                bad.append(f"{mode} at {x!r}: {value!r}, exact {mp.nstr(reference, 17)}")
    assert not bad, "\n".join(bad)


# --- the two-argument rows over a grid of magnitudes -------------------------------------

def quotient(x, y):
    return x / y


def power(x, y):
    return x ** y


def angle(y, x):
    return math.atan2(y, x)


def hypotenuse(x, y):
    return math.hypot(x, y)


def log_base(x, b):
    return math.log(x, b)


TWO = [  # (function, its exact partials with mpmath, the points it is defined at)
    (quotient, lambda x, y: (1 / y, -x / (y * y)), lambda x, y: y != 0),
    (power, lambda x, y: (y * mp.power(x, y - 1), mp.power(x, y) * mp.log(x)),
     lambda x, y: x > 0),
    (angle, lambda y, x: (x / (x * x + y * y), -y / (x * x + y * y)),
     lambda y, x: x != 0 or y != 0),
    (hypotenuse, lambda x, y: (x / mp.hypot(x, y), y / mp.hypot(x, y)),
     lambda x, y: x != 0 or y != 0),
    (log_base, lambda x, b: (1 / (x * mp.log(b)), -mp.log(x) / (b * mp.log(b) ** 2)),
     lambda x, b: x > 0 and b > 0 and b != 1),
]
GRID = sorted({s * 10.0 ** k for k in range(-300, 301, 60) for s in (1.0, -1.0)}
              | {0.5, 2.0, -3.0})


@pytest.mark.parametrize("func, exact, defined", TWO, ids=[c[0].__name__ for c in TWO])
def test_every_two_argument_partial_is_accurate_over_a_grid(func, exact, defined):
    gradient = grad(func)
    bad = []
    for x in GRID:
        for y in GRID:
            if not defined(x, y):
                continue
            try:
                value = func(x, y)
            except (ValueError, OverflowError, ZeroDivisionError):
                continue
            if not math.isfinite(value):
                continue
            references = exact(mp.mpf(x), mp.mpf(y))
            try:
                values = gradient(x, y)
            except OverflowError:
                if all(abs(r) <= sys.float_info.max for r in references):
                    bad.append(f"at {(x, y)!r}: OverflowError")
                continue
            for v, r in zip(values, references):
                if not check(v, r):
                    bad.append(f"at {(x, y)!r}: {v!r}, exact {mp.nstr(r, 17)}")
    assert not bad, "\n".join(bad[:20])


# --- the NumPy rows over arrays ---------------------------------------------------------

def np_tanh(x):
    return np.sum(np.tanh(x))


def np_arctan(x):
    return np.sum(np.arctan(x))


def np_sigmoid(x):
    return np.sum(1 / (1 + np.exp(-x)))


def np_log10(x):
    return np.sum(np.log10(x))


def np_expm1(x):
    return np.sum(np.expm1(x))


def np_log1p(x):
    return np.sum(np.log1p(x))


def np_sqrt(x):
    return np.sum(np.sqrt(x))


def np_cosh(x):
    return np.sum(np.cosh(x))


def np_reciprocal(x):
    return np.sum(np.reciprocal(x))


ARRAY = [
    (np_tanh, lambda x: 1 / mp.cosh(x) ** 2, None),
    (np_arctan, lambda x: 1 / (1 + x * x), None),
    (np_sigmoid, lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2, None),
    (np_log10, lambda x: 1 / (x * mp.log(10)), lambda x: x > 0),
    (np_expm1, mp.exp, lambda x: x < 709),
    (np_log1p, lambda x: 1 / (1 + x), lambda x: x > -1),
    (np_sqrt, lambda x: 1 / (2 * mp.sqrt(x)), lambda x: x > 0),
    (np_cosh, mp.sinh, lambda x: abs(x) < 709),
    (np_reciprocal, lambda x: -1 / (x * x), lambda x: x != 0),
]


@pytest.mark.parametrize("func, exact, defined", ARRAY, ids=[c[0].__name__ for c in ARRAY])
def test_every_numpy_partial_is_accurate_over_the_whole_float_range(func, exact, defined):
    xs = np.array([x for x in POINTS if defined is None or defined(x)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # the forward's own overflow
        gradient = grad(func)(xs)
    bad = [f"at {x!r}: {g!r}, exact {mp.nstr(exact(mp.mpf(x)), 17)}"
           for x, g in zip(xs.tolist(), gradient.tolist())
           if not check(g, exact(mp.mpf(x)))]
    assert not bad, "\n".join(bad)


def test_the_numpy_sigmoid_partial_warns_only_where_the_forward_does():
    xs = np.array([-30.0, -1.0, 0.0, 2.0, 40.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(grad(np_sigmoid)(xs)))
        assert np.all(np.isfinite(grad(np_tanh)(xs)))


def test_the_sigmoid_gate_keeps_the_seed_form_where_it_is_exact():
    """Seed 002's ``out * (1 - out)``, with 1 - out written ``exp(-x) * out`` from
    out = 0.75 on, where it would cancel."""
    source = grad(sigmoid).source
    assert "sigmoid * (1 - sigmoid if sigmoid < 0.75 else math.exp(-x) * sigmoid)" in source


# --- np.prod: the product of the other entries, exact at zeros ---------------------------

def prod_all(a):
    return np.prod(a)


def prod_rows(a):
    return np.sum(np.prod(a, axis=1) * np.array([1.0, -2.0, 3.0]))


def prod_method_keepdims(a):
    return np.sum(a.prod(axis=0, keepdims=True) ** 2)


def others(a, axis):
    """The product of the other entries along ``axis``, one entry left out at a time."""
    out = np.empty_like(a)
    for index in np.ndindex(a.shape):
        rest = a.copy()
        rest[index] = 1.0
        reduced = np.prod(rest, axis=axis)
        out[index] = reduced if axis is None else reduced[index[:axis] + index[axis + 1:]]
    return out


PROD_POINTS = [
    np.array([[2.0, 3.0, 0.5], [0.0, 4.0, 1.5], [0.0, 0.0, 2.0]]),      # one zero, two zeros
    np.array([[1e-300, 1e-100, 1.0], [1e200, 1e-200, 3.0], [-1.0, 2.0, -0.5]]),  # underflow
]


@pytest.mark.parametrize("a", PROD_POINTS, ids=["zeros", "underflow"])
def test_the_prod_partial_is_the_product_of_the_others(a):
    assert np.array_equal(grad(prod_all)(a), others(a, None))
    rows = others(a, 1) * np.array([1.0, -2.0, 3.0])[:, None]
    assert np.allclose(grad(prod_rows)(a), rows, rtol=1e-15, atol=0)
    cols = others(a, 0) * 2 * np.prod(a, axis=0, keepdims=True)
    assert np.allclose(grad(prod_method_keepdims)(a), cols, rtol=1e-15, atol=0)
    assert "prod_of_others(a)" in grad(prod_all).specialize(a).source


@pytest.mark.parametrize("a", PROD_POINTS, ids=["zeros", "underflow"])
def test_the_prod_tangent_agrees_with_the_gradient(a):
    from s2sdiff import jvp
    direction = np.arange(1.0, 10.0).reshape(3, 3)
    for func in (prod_all, prod_rows):
        _, tangent = jvp(func)(a, direction)
        assert tangent == pytest.approx(np.sum(grad(func)(a) * direction), rel=1e-14)


# --- np.maximum / np.minimum at NaN: NaN partials, as the scalar max and min give ---------

def relu_and_min(x, y):
    return np.sum(np.maximum(x, 0.0) * y + np.minimum(x, y))


def test_numpy_maximum_and_minimum_of_nan_do_not_hide_the_nan():
    from s2sdiff import jvp
    x, y = np.array([-1.0, 2.0, np.nan, np.inf]), np.ones(4)
    dx, dy = grad(relu_and_min)(x, y)
    # d/dx: 1(x <= min) + 1(x >= max(x, 0)) * y, NaN where x is NaN
    assert np.array_equal(dx, [1.0, 1.0, np.nan, 1.0], equal_nan=True)
    assert np.array_equal(dy, [0.0, 3.0, np.nan, np.inf], equal_nan=True)
    value, tangent = jvp(relu_and_min)(x[:3], y[:3], np.array([1.0, 1.0, 0.0]), np.zeros(3))
    assert np.isnan(value) and np.isnan(tangent)      # the NaN entry's value is NaN too


# --- an array exponent of 0 at a base of 0: d(x ** 0)/dx is 0, as for scalars -------------

def array_power(x, y):
    return np.sum(x ** y)


def test_an_array_exponent_of_zero_at_a_base_of_zero():
    x, y = np.array([0.0, 2.0, 0.0]), np.array([0.0, 3.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # 0 ** -1 in the branch not taken
        dx, dy = grad(array_power)(x, y)
    assert np.array_equal(dx, [0.0, 12.0, 0.0])           # y x ** (y - 1), 0 where y = 0
    assert np.allclose(dy, [0.0, 8 * math.log(2), 0.0])   # x ** y log x, 0 where x = 0
