"""Scalar-looking code (``math``, ``np.exp`` of one number, ``if x > 0``) called with NumPy
arrays, 0-d arrays, NumPy scalars and lists: a right gradient (checked against central
differences and against the gradient at plain floats) or a clear ``S2SDiffError`` naming
the parameter, never NumPy's ``ValueError``/``TypeError``, and never a write into the
caller's arguments."""

import math
import warnings

import numpy as np
import pytest

from differences import SIZE_1_ARRAYS_ARE_NUMBERS, central
from s2sdiff import S2SDiffError, grad, value_and_grad
from s2sdiff.errors import ArgumentError, NotScalarError


# ---- user programs ------------------------------------------------------------------------

def seed(x, y):
    return math.log(x) + x * y - math.sin(y)


def through_copies(x, y):          # derivative of x bound to a copy of y, then accumulated
    z = x * y + x
    return z * y


def halve_while(x):
    while x > 1.0:
        x = x / 2.0
    return x * x


def math_loop(x):
    s = 0.0
    for i in range(3):
        s = s + math.sin(x) * i
    return s


def math_branch(x):
    if x > 0:
        return math.log(x)
    return x


def builtin_max(x):
    return max(x, 0.0) * 3.0 + math.exp(x)


def to_float(x):
    return float(x) ** 2


def np_scalar(x):
    return np.exp(x) * np.log(x)


def np_two(x, y):
    return np.exp(x) + np.sin(y) * y


def np_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(x) * i
    return s


def np_branch(x):
    y = np.tanh(x)
    if y > 0.5:
        y = y * 2.0
    return y


def np_while(x):
    while x > 1.0:
        x = np.sqrt(x)
    return x


def np_max(x):
    return max(np.exp(x), 1.5)


def np_math_mix(x):
    return math.exp(x) + np.sin(x)


def np_float(x):
    return float(np.exp(x)) * 2.0


def np_reduced(x):
    return np.sum(np.exp(x) * np.log(x))


def np_length(x):
    return np.sum(np.exp(x)) * len(x)


def np_branch_on_second(w, c):
    y = np.sum(np.exp(w))
    if c > 0:
        return y
    return -y


SCALAR = [seed, through_copies, halve_while, math_loop, math_branch, builtin_max, to_float,
          np_scalar, np_two, np_loop, np_branch, np_max, np_math_mix, np_float]
POINTS = {seed: (1.7, -0.4), through_copies: (0.8, 1.3), np_two: (0.3, 1.1)}


def _point(f):
    return POINTS.get(f, (1.6,))


def _as(kind, value):
    return {"float": float(value), "float64": np.float64(value),
            "0-d array": np.array(value), "0-d float32": np.array(value, dtype=np.float32)}[kind]


# ---- 0-d arrays and NumPy scalars: the gradient at that number ----------------------------

@pytest.mark.parametrize("kind", ["float64", "0-d array"])
@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
def test_zero_d_arrays_and_numpy_scalars_give_the_gradient_at_that_number(f, kind):
    point = _point(f)
    args = [_as(kind, v) for v in point]
    before = [np.copy(a) for a in args]
    try:
        got = grad(f)(*args)
    except S2SDiffError as error:      # NumPy code refuses a 0-d array that changes kind
        assert kind == "0-d array" and "0-d array" in str(error), error
        return
    got = got if isinstance(got, tuple) else (got,)
    for k, g in enumerate(got):
        assert np.shape(g) == ()
        assert float(g) == pytest.approx(float(central(f, point, k)), rel=1e-6, abs=1e-8)
    expected = grad(f)(*point)
    expected = expected if isinstance(expected, tuple) else (expected,)
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(expected), rtol=1e-12)
    for a, b in zip(args, before):     # never written into
        assert np.array_equal(a, b)


@pytest.mark.parametrize("f", [seed, through_copies, halve_while], ids=lambda f: f.__name__)
def test_a_zero_d_argument_is_never_written_into(f):
    """``dy = y`` then ``dy += t``: a 0-d array is mutable, the generated code must not
    accumulate into the caller's array (it did: the gradient came back as that array)."""
    point = (-1.0,) if f is halve_while else _point(f)
    args = [np.array(v) for v in point]
    for transform in (grad, value_and_grad):
        result = transform(f)(*args)
        assert [float(a) for a in args] == list(point)
        gradients = result[1] if transform is value_and_grad else result
        gradients = gradients if isinstance(gradients, tuple) else (gradients,)
        for k, g in enumerate(gradients):
            assert not any(g is a for a in args)
            assert float(g) == pytest.approx(float(central(f, point, k)), rel=1e-6)


def test_the_zero_d_path_change_says_what_to_pass():
    with pytest.raises(S2SDiffError, match=r"0-d array") as caught:
        grad(np_while)(np.array(3.0))
    assert "x.item()" in str(caught.value)
    assert grad(np_while)(np.array(3.0).item()) == pytest.approx(
        float(central(np_while, (3.0,), 0)), rel=1e-6)


# ---- arrays of one or more dimensions: NumPy's error becomes s2sdiff's --------------------

ARRAYS = [np.array([1.0, 2.0]), np.array([1.5]), np.array([[1.5, 0.5]])]
REFUSED = [seed, halve_while, math_loop, math_branch, builtin_max, to_float, np_branch,
           np_while, np_max, np_math_mix, np_float, np_loop, np_scalar]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.shape))
@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
def test_an_array_for_a_number_is_a_clear_error(f, array):
    args = [array] + [0.7] * (len(_point(f)) - 1)
    if array.size == 1 and SIZE_1_ARRAYS_ARE_NUMBERS:
        # the user's own function runs on such an array there: a clear error, or the
        # gradient at that number
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                got = grad(f)(*args)
            except S2SDiffError:
                got = None
        if got is not None:
            expected = grad(f)(array.item(), *args[1:])
            got, expected = ((g if isinstance(g, tuple) else (g,)) for g in (got, expected))
            assert [np.asarray(g).item() for g in got] == pytest.approx(list(expected))
            return
    with pytest.raises(S2SDiffError) as caught:
        grad(f)(*args)
    error = caught.value
    text = str(error)
    assert f.__name__ in text
    if isinstance(error, ArgumentError):
        assert f"argument 'x' of {f.__name__} is an array of shape {array.shape}" in text
        assert "np.where" in text and "np.sum" in text       # what to write instead
        assert error.filename == __file__
    elif isinstance(error, NotScalarError):     # elementwise code, or a size-1 `if` test
        # np_loop: `s = 0.0` then arrays starts as zeros (kind_errors.py), an array output
        assert f in (halve_while, np_scalar, np_loop) or array.size == 1, text
        assert "np.sum" in text
    else:
        raise AssertionError(text)


def test_the_error_points_at_the_line_that_needs_a_number():
    with pytest.raises(ArgumentError) as caught:
        grad(np_math_mix)(np.array([1.0, 2.0]))
    assert caught.value.source_line.strip() == "return math.exp(x) + np.sin(x)"
    with pytest.raises(ArgumentError) as caught:
        grad(np_branch)(np.array([0.1, 2.0]))
    assert caught.value.source_line.strip() == "if y > 0.5:"
    assert "truth value" in str(caught.value)


def test_the_parameter_named_is_the_one_the_line_reads():
    with pytest.raises(ArgumentError, match=r"argument 'c' of np_branch_on_second is an "
                                            r"array of shape \(2,\)"):
        grad(np_branch_on_second)(np.array([0.5, 1.0]), np.array([1.0, -1.0]))
    w = np.array([0.5, 1.0])
    np.testing.assert_allclose(grad(np_branch_on_second, wrt="w")(w, 1.0), np.exp(w))
    np.testing.assert_allclose(grad(np_branch_on_second, wrt="w")(w, -1.0), -np.exp(w))


def test_the_second_parameter_of_scalar_code_is_named():
    with pytest.raises(ArgumentError, match=r"argument 'x' of seed is an array"):
        grad(seed)(np.array([1.0, 2.0]), 0.5)
    with pytest.raises(ArgumentError, match=r"argument 'y' of seed is an array of shape "
                                            r"\(2,\)"):
        grad(seed)(1.0, np.array([1.0, 2.0]))


def test_an_array_only_tested_in_a_branch_is_named():
    def pick(x, y):
        if x > 0:
            return y * y
        return -y
    with pytest.raises(ArgumentError, match=r"argument 'x' of pick is an array of shape"):
        grad(pick)(np.array([1.0, -1.0]), 2.0)
    assert grad(pick)(1.0, 2.0) == (0.0, 4.0)


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
def test_lists_are_refused_naming_the_parameter(f):
    args = [[1.0, 2.0]] + [0.7] * (len(_point(f)) - 1)
    with pytest.raises(ArgumentError, match=rf"argument 'x' of {f.__name__} (must be a real "
                                            rf"number|is a list of numbers)"):
        grad(f)(*args)


# ---- valid elementwise NumPy code: the gradient -----------------------------------------

@pytest.mark.parametrize("x", [np.array([0.5, 1.5, 2.5]), np.array([[0.7, 1.1], [2.0, 0.3]]),
                               np.array(1.5), np.float64(0.9)], ids=lambda x: str(np.shape(x)))
def test_reduced_elementwise_code_is_differentiated(x):
    got = grad(np_reduced)(x)
    assert np.shape(got) == np.shape(x)
    np.testing.assert_allclose(got, central(np_reduced, (x,), 0), rtol=1e-6)
    np.testing.assert_allclose(got, np.exp(x) * (np.log(x) + 1 / x), rtol=1e-12)


def test_unreduced_elementwise_code_points_to_reducing():
    with pytest.raises(NotScalarError, match=r"np.sum"):
        grad(np_scalar)(np.array([1.0, 2.0]))


@pytest.mark.parametrize("x, what", [(np.array(1.5), "a 0-d array"), (1.5, "a number"),
                                     (np.float32(1.5), "a number")])
def test_a_number_where_the_code_takes_a_length_is_named(x, what):
    with pytest.raises(ArgumentError, match=rf"argument 'x' of np_length is {what} .*takes the "
                                            rf"length"):
        grad(np_length)(x)
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(grad(np_length)(x), 2 * np.exp(x))
