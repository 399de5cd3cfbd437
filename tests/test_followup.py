"""Issue 13, follow-up: the gaps left after the first round.

* Domain boundaries in NumPy code with a float parameter (``np.sum(x) * s ** 0.5`` at
  s = 0): the IEEE retry covers the scalar partials of NumPy code too, and a second
  derivative of a gradient that is infinite there differentiates the gradient's IEEE
  version (``hessian(sqrt)`` at 0 is -inf).  Expectations are closed forms.
* Lists in NumPy code: element assignment into a list, ``.copy()`` and ``list(a)`` of a
  list are refused at generation time with the construct and the line (no internal error).
* Keyword arguments: keyword-only parameters, defaults and parameters passed by name, for
  NumPy and scalar code, through grad, value_and_grad, vjp, jvp and derivative.
* Messages: the hint for a shape that changes, the return that gave an array.
* Reverse mode over a comparison in one arm of a branch; a parameter named ``abs``.
"""

import functools
import math
import warnings

import numpy as np
import pytest

import source_lines
from source_lines import line_of

from s2sdiff import (NotScalarError, UnsupportedError, check_grad, derivative, grad,
                     hessian, jvp, value_and_grad, vjp)

INF = math.inf
X = np.array([1.0, 2.0, 3.0])
DATA = np.array([1.0, -2.0])


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


assert_error = functools.partial(source_lines.assert_error, filename=__file__)


# --- 1. domain boundaries in NumPy code ------------------------------------------------

def sum_times_pow(x, s):
    return np.sum(x) * s ** 0.5


def sum_times_sqrt(x, s):
    return np.sum(x) * math.sqrt(s)


def sum_times_np_log(x, s):
    return np.sum(x) * np.log(s)


def sum_times_math_log(x, s):
    return np.sum(x) * math.log(s)


def sum_times_asin(x, s):
    return np.sum(x) * math.asin(s)


def squares_times(x, s):
    return np.sum(x * x) * s


@pytest.mark.parametrize("f", [sum_times_pow, sum_times_sqrt])
def test_sqrt_of_a_float_parameter_at_zero_in_numpy_code(f):
    dx, ds = grad(f)(X, 0.0)
    np.testing.assert_array_equal(dx, np.zeros(3))        # sqrt(0)
    assert ds == INF                                      # 6 * 0.5 / sqrt(0)
    value, (dx, ds) = value_and_grad(f)(X, 0.0)
    assert value == 0.0 and ds == INF
    assert derivative(f, wrt=1)(X, 0.0) == INF
    out, tangent = jvp(f, (X, 0.0), (np.ones(3), 1.0))
    assert out == 0.0 and tangent == INF                  # 3 * sqrt(0) + 6 * inf


@pytest.mark.parametrize("f", [sum_times_pow, sum_times_sqrt])
def test_the_same_functions_away_from_the_boundary(f):
    dx, ds = grad(f)(X, 4.0)
    np.testing.assert_allclose(dx, np.full(3, 2.0))
    assert ds == pytest.approx(6.0 * 0.25)
    out, tangent = jvp(f, (X, 4.0), (np.ones(3), 1.0))
    assert tangent == pytest.approx(3 * 2.0 + 6.0 * 0.25)


def test_np_log_of_a_python_float_at_zero():
    dx, ds = grad(sum_times_np_log)(X, 0.0)
    np.testing.assert_array_equal(dx, np.full(3, -INF))   # log(0)
    assert ds == INF                                      # 6 / 0


def test_asin_of_a_float_parameter_at_one():
    dx, ds = grad(sum_times_asin)(X, 1.0)
    np.testing.assert_allclose(dx, np.full(3, math.pi / 2))
    assert ds == INF


def test_the_forward_raising_in_numpy_code_is_the_users_error():
    with pytest.raises(ValueError, match="math domain error"):
        grad(sum_times_math_log)(X, 0.0)


def test_numpy_code_that_cannot_raise_has_no_retry_clause():
    source = grad(squares_times).specialize(X, 2.0).source
    assert "ArithmeticError" not in source
    retry = grad(sum_times_pow).specialize(X, 2.0).source
    assert "except (ArithmeticError, ValueError)" in retry


def three_sqrt(x):
    return math.sqrt(x) * 3.0


def sqrt_times(x, y):
    return math.sqrt(x) * y


def sqrt_in_branch(x):
    if x > -1.0:
        return math.sqrt(x) * 2.0
    return x


def x_to_half(x):
    return x ** 0.5


def plain_log(x):
    return math.log(x)


def test_hessian_where_the_gradient_is_infinite():
    assert hessian(three_sqrt)(0.0) == -INF                # -0.75 x ** -1.5
    assert hessian(three_sqrt)(4.0) == pytest.approx(-0.75 * 4.0 ** -1.5)
    assert hessian(x_to_half)(0.0) == -INF
    assert hessian(sqrt_in_branch)(0.0) == -INF
    np.testing.assert_array_equal(hessian(sqrt_times)(0.0, 2.0), [[-INF, INF], [INF, 0.0]])
    np.testing.assert_allclose(hessian(sqrt_times)(4.0, 2.0),
                               [[-0.25 * 4.0 ** -1.5 * 2.0, 0.25], [0.25, 0.0]])


def test_hessian_where_the_forward_raises_is_the_users_error():
    with pytest.raises(ValueError, match="math domain error"):
        hessian(plain_log)(0.0)
    assert hessian(plain_log)(2.0) == pytest.approx(-0.25)


def test_jvp_and_derivative_at_a_scalar_boundary():
    assert jvp(three_sqrt, (0.0,), (1.0,)) == (0.0, INF)
    assert derivative(three_sqrt)(0.0) == INF


# --- 2. lists in NumPy code --------------------------------------------------------------

def copy_then_assign(x):
    a = [x, 2.0]
    b = a.copy()
    b[0] = x * x
    return a[0] + b[0]


def assign_then_stack(x):
    out = [x, x]
    out[0] = x * x
    return np.sum(np.stack(out))


def assign_in_loop_then_stack(x):
    out = [x, x]
    for i in range(2):
        out[i] = x * i
    return np.sum(np.stack(out))


def copy_of_a_list(x):
    a = [x, 2.0 * x]
    b = a.copy()
    return b[0] + b[1]


def list_of_a_list(x):
    a = [x, 2.0 * x]
    b = list(a)
    b[0] = x * x
    return a[0] + b[0]


@pytest.mark.parametrize("f, at", [(assign_then_stack, "out[0] = x * x"),
                                   (assign_in_loop_then_stack, "out[i] = x * i")])
@pytest.mark.parametrize("x", [3.0, np.array([1.0, 2.0])], ids=["float", "array"])
def test_assignment_into_a_list_in_numpy_code_is_refused(f, at, x):
    with pytest.raises(UnsupportedError) as error:
        grad(f)(x)
    name = at.split("[")[0]
    assert_error(error, f"assignment to an element of the list `{name}`", line=line_of(f, at))
    assert "np.zeros" in error.value.hint


def test_a_copy_of_a_list_is_a_list_in_code_without_numpy():
    """`b = a.copy()` made the function NumPy code, which refused the list; in code without
    NumPy it is now `[e for e in a]` (normalize/list_methods.py), as `list(a)` is:
    d/dx (x + x**2) = 1 + 2x, d/dx 3x = 3.  An array for x is then refused as for
    `list(a)`."""
    from s2sdiff import ArgumentError
    assert grad(copy_then_assign)(3.0) == 7.0
    assert grad(copy_of_a_list)(3.0) == 3.0
    with pytest.raises(ArgumentError, match="is an array of shape"):
        grad(copy_then_assign)(np.array([1.0, 2.0]))


def test_list_of_a_list_is_a_copy():
    """It was refused (no rule for `list`); `list(a)` is `[e for e in a]` now
    (normalize/list_idioms.py): d/dx (x + x**2) = 1 + 2x."""
    assert grad(list_of_a_list)(3.0) == 7.0


# --- 3. keyword arguments ------------------------------------------------------------------

def loss_kwonly(w, *, scale=1.0):
    return np.sum(w * w) * scale


def loss_kwonly_required(w, *, scale):
    return np.sum(w * w) * scale


def loss_default(w, scale=1.0):
    return np.sum(w * w) * scale


def scalar_kwonly(w, *, scale=1.0):
    return w * w * scale


def scalar_default(w, scale=1.0):
    return w * w * scale


W = np.array([1.0, 2.0])
ARRAY_LOSSES = [loss_kwonly, loss_kwonly_required, loss_default]


@pytest.mark.parametrize("f", ARRAY_LOSSES)
def test_keywords_in_numpy_code(f):
    np.testing.assert_allclose(grad(f, wrt=0)(W, scale=2.0), 4.0 * W)
    dw, ds = grad(f)(W, scale=2.0)
    np.testing.assert_allclose(dw, 4.0 * W)
    assert ds == pytest.approx(5.0)
    np.testing.assert_allclose(grad(f, wrt=0)(w=W, scale=2.0), 4.0 * W)
    assert grad(f, wrt="scale")(W, scale=2.0) == pytest.approx(5.0)
    value, (dw, ds) = value_and_grad(f)(W, scale=3.0)
    assert value == pytest.approx(15.0)
    np.testing.assert_allclose(dw, 6.0 * W)
    assert derivative(f, wrt=1)(W, scale=2.0) == pytest.approx(5.0)
    out, tangent = jvp(f, (W, 2.0), (W, 1.0))               # 2 <w, w> s + <w, w>
    assert (out, tangent) == (pytest.approx(10.0), pytest.approx(25.0))
    value, pullback = vjp(f, W, 2.0)
    dw, ds = pullback(1.0)
    np.testing.assert_allclose(dw, 4.0 * W)
    assert value == pytest.approx(10.0) and ds == pytest.approx(5.0)


@pytest.mark.parametrize("f", [loss_kwonly, loss_default, scalar_kwonly, scalar_default])
def test_defaults_left_out(f):
    w = W if f.__name__.startswith("loss") else 3.0
    np.testing.assert_allclose(grad(f, wrt=0)(w), 2.0 * np.asarray(w))
    value, pullback = vjp(f, w)                              # scale takes its default
    dw, ds = pullback(1.0)
    np.testing.assert_allclose(dw, 2.0 * np.asarray(w))
    assert ds == pytest.approx(np.sum(np.asarray(w) ** 2))
    assert value == pytest.approx(np.sum(np.asarray(w) ** 2))


def test_a_required_keyword_left_out_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="scale"):
        grad(loss_kwonly_required, wrt=0)(W)
    from s2sdiff import S2SDiffError
    with pytest.raises(S2SDiffError, match="no value for scale"):
        vjp(loss_kwonly_required, W)


def test_keywords_in_scalar_code():
    assert grad(scalar_kwonly)(3.0, scale=2.0) == (12.0, 9.0)
    assert grad(scalar_kwonly, wrt=0)(w=3.0, scale=2.0) == 12.0
    assert value_and_grad(scalar_kwonly)(3.0, scale=2.0) == (18.0, (12.0, 9.0))
    value, pullback = vjp(scalar_kwonly, 3.0, 2.0)
    assert value == 18.0 and pullback(1.0) == (12.0, 9.0)
    assert jvp(scalar_kwonly, (3.0, 2.0), (1.0, 0.0)) == (18.0, 12.0)


def with_free_data(v, get=1.0, slow=2.0):
    return np.sum(DATA * v) * get + slow


def test_parameters_named_like_the_dispatchers_own_names():
    # the dispatcher takes the user's parameter names, so they must not shadow its own
    v = np.array([3.0, 4.0])
    dv, dget, dslow = grad(with_free_data)(v)
    np.testing.assert_allclose(dv, DATA)
    assert dget == pytest.approx(np.sum(DATA * v)) and dslow == 1.0
    np.testing.assert_allclose(grad(with_free_data, wrt=0)(v=v, slow=5.0, get=2.0), 2.0 * DATA)


# --- 4, 5. messages -------------------------------------------------------------------------

def growing(x):
    acc = x[0:1]
    for i in range(1, 3):
        acc = np.concatenate([acc, x[i:i + 1] * 2.0])
    return np.sum(acc)


def test_a_shape_that_changes_names_the_users_variable_and_a_true_hint():
    with pytest.raises(UnsupportedError) as error:
        grad(growing)(X)
    assert_error(error, "`acc` is first an array of shape (1,), then an array of shape (2,)",
                 line=line_of(growing, "np.concatenate"))
    assert "np.zeros" in error.value.hint and "in a list" not in error.value.hint


def several_returns(x, k):
    if k > 0:
        return x * 2.0
    if k < -5:
        return np.sum(x)
    return np.sum(x * x)


def several_returns_scalar(x, k):
    if k > 0:
        return x * 2.0
    return x * x


def test_not_scalar_points_at_the_return_that_gave_the_array():
    with pytest.raises(NotScalarError) as error:
        grad(several_returns, wrt=0)(X, 1.0)
    assert_error(error, "returns an array of shape (3,)",
                 line=line_of(several_returns, "return x * 2.0"))
    # the path not taken returns an array too: code specialised at k = -1 would give a
    # wrong number at k = 1, so it is refused as well (issue 13, test_array_paths.py)
    with pytest.raises(NotScalarError) as error:
        grad(several_returns, wrt=0)(X, -1.0)
    assert_error(error, "returns an array of shape (3,) on one of its paths",
                 line=line_of(several_returns, "return x * 2.0"))


def test_not_scalar_in_code_without_numpy_says_which_return_is_shown():
    with pytest.raises(NotScalarError) as error:
        grad(several_returns_scalar, wrt=0)(X, 1.0)
    assert_error(error, "at one of its 2 return statements; the last is shown")


# --- found while looking for more ----------------------------------------------------------

def comparison_in_one_arm(a, x):
    t = (a + x) if a > 0 else (a < x * 2.0)
    return t ** x


def parameter_named_abs(abs, x):
    return math.tanh(x) * abs


def test_a_comparison_in_one_arm_of_a_branch_is_a_constant_there():
    g = grad(comparison_in_one_arm)
    assert g(-1.0, 2.0) == (0.0, 0.0)                    # True ** x = 1
    check_grad(comparison_in_one_arm, 1.0, 2.0)
    da, dx = g(1.0, 2.0)                                 # (a + x) ** x
    assert da == pytest.approx(2.0 * 3.0)
    assert dx == pytest.approx(9.0 * (math.log(3.0) + 2.0 / 3.0))


def test_a_parameter_named_abs_does_not_shadow_the_generated_code():
    assert grad(parameter_named_abs)(2.0, 0.5) == (pytest.approx(math.tanh(0.5)),
                                                  pytest.approx(2.0 / math.cosh(0.5) ** 2))


def loss_mixed(w, b=0.0, *, scale=1.0):
    return np.sum((w + b) ** 2) * scale


def test_defaults_and_keyword_only_mixed_on_the_dispatchers_fast_and_slow_paths():
    g = grad(loss_mixed, wrt=0)
    for _ in range(2):                 # the first call specialises, the second is cached
        np.testing.assert_allclose(g(W, scale=2.0), 4.0 * W)
        np.testing.assert_allclose(g(W, 1.0, scale=2.0), 4.0 * (W + 1.0))
        np.testing.assert_allclose(g(W, b=1.0), 2.0 * (W + 1.0))
        np.testing.assert_allclose(g(W, scale=3.0, b=-1.0), 6.0 * (W - 1.0))
        np.testing.assert_allclose(g(w=W), 2.0 * W)
    dw, db, ds = grad(loss_mixed)(W, 1.0, scale=2.0)
    assert db == pytest.approx(4.0 * np.sum(W + 1.0))
    assert ds == pytest.approx(np.sum((W + 1.0) ** 2))


def clip_by_parameter(x, c):
    return np.sum(np.clip(x, -c, c) ** 2)


def test_clip_bounds_that_vary_are_refused_in_forward_mode_too():
    # jvp differentiated only the clipped array: a silent wrong tangent (-1.2 for 2.2)
    for transform in (lambda: grad(clip_by_parameter)(X, 1.7),
                      lambda: jvp(clip_by_parameter, (X, 1.7), (np.ones(3), 1.0))):
        with pytest.raises(UnsupportedError) as error:
            transform()
        assert_error(error, "numpy.clip whose `a_min` argument depends on the differentiated",
                     line=line_of(clip_by_parameter, "np.clip"))
    # with respect to x alone it is exact: 2 clip(x) where |x| < c, else 0
    np.testing.assert_allclose(grad(clip_by_parameter, wrt=0)(X, 1.7), [2.0, 0.0, 0.0])
