"""Every NumPy function differentiated through its definition
(s2sdiff/numpy_definitions.py): the value equals NumPy's bit for bit, the gradient
equals central differences, jvp agrees with grad, and the generated code shows the
definition's steps.  Adding a definition needs only a sample here."""

from pathlib import Path

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, jvp, value_and_grad
from s2sdiff.numpy_definitions import DEFINITIONS

RNG = np.random.default_rng(4)
A = RNG.normal(size=(3, 4))
V = RNG.normal(size=5)
W = RNG.uniform(0.5, 2.0, size=(3, 4))
NANS = np.array([1.0, np.nan, -2.0, 0.5, np.nan])


def nansum_axis(a):
    return np.sum(np.nansum(a, axis=0) ** 2)


def nanmean_all(a):
    return np.nanmean(a) * 3.0


def average_weighted(a):
    return np.sum(np.average(a, axis=1, weights=W) ** 2)


def average_plain(a):
    return np.average(a) ** 2


def polyval_coefficients(p):
    return np.polyval(p, 1.5)


def polyval_points(x):
    return np.sum(np.polyval(np.array([2.0, -1.0, 0.5]), x))


def trapezoid_default(y):
    return np.trapezoid(np.sin(y))           # NumPy 2 only: skipped before


def trapezoid_spacing(y):
    return np.trapezoid(y ** 2, dx=0.25)


def median_odd(a):
    return np.median(a ** 3)


def median_even(a):
    return np.median(np.tanh(a))


def covariance(m):
    return np.sum(np.cov(m) * np.arange(9.0).reshape(3, 3))


def correlation(m):
    return np.sum(np.corrcoef(m) ** 2)


def quantile_tail(a):
    return np.quantile(a, 0.9) * 2.0


def percentile_low(a):
    return np.percentile(np.tanh(a), 12.5)


def quantile_of_a_vector(v):
    return np.quantile(v ** 2, 0.3) + np.quantile(v, 1.0)


def ptp_rows(a):
    return np.sum(np.ptp(a, axis=1) ** 2) + np.sum(np.ptp(a ** 2, axis=0, keepdims=True) * A[:1])


def ptp_whole(v):
    return np.ptp(np.sin(v)) * 3.0


XP, FP = np.array([0.0, 1.0, 2.5, 4.0]), np.array([1.0, 3.0, -1.0, 0.5])
POINTS = np.array([-0.5, 0.3, 1.7, 2.2, 3.9, 4.5])


def interp_points(x):
    return np.sum(np.interp(x, XP, FP) ** 2)


def interp_values(fp):
    return np.sum(np.interp(POINTS, XP, fp) * np.arange(6.0))


def interp_on_lists(fp):
    return np.sum(np.interp([0.5, 1.5], [0.0, 1.0, 2.0], fp))


CASES = [(interp_points, POINTS, np.interp), (interp_values, FP, np.interp),
         (interp_on_lists, np.array([1.0, 3.0, 2.0]), np.interp),
         (nansum_axis, A, np.nansum), (nanmean_all, V, np.nanmean),
         (average_weighted, A, np.average), (average_plain, A, np.average),
         (polyval_coefficients, V, np.polyval), (polyval_points, V, np.polyval),
         (trapezoid_default, V, "trapezoid"), (trapezoid_spacing, V, "trapezoid"),
         (median_odd, V, np.median), (median_even, A, np.median),
         (covariance, A, np.cov), (correlation, A, np.corrcoef),
         (quantile_tail, A, np.quantile), (quantile_of_a_vector, V, np.quantile),
         (percentile_low, A, np.percentile), (ptp_rows, A, np.ptp), (ptp_whole, V, np.ptp)]



@pytest.mark.parametrize("f, x, function", CASES, ids=[c[0].__name__ for c in CASES])
def test_value_gradient_and_tangent(f, x, function):
    if function == "trapezoid" and not hasattr(np, "trapezoid"):
        pytest.skip("np.trapezoid is NumPy 2's")
    value, gradient = value_and_grad(f)(x)
    assert value == f(x)                                   # NumPy's own value, exactly
    assert np.allclose(gradient, central(f, (x,), 0), rtol=1e-6, atol=1e-8)
    t = RNG.normal(size=x.shape)
    assert jvp(f, (x,), (t,))[1] == pytest.approx(np.sum(gradient * t), rel=1e-9, abs=1e-12)
    name = function if isinstance(function, str) else function.__name__
    assert f"{name}_" in grad(f).specialize(x).source       # the definition's steps


def test_nans_are_left_out_as_numpy_leaves_them():
    value, gradient = value_and_grad(nanmean_all)(NANS)
    assert value == nanmean_all(NANS)
    assert np.allclose(gradient, np.where(np.isnan(NANS), 0.0, 1.0), equal_nan=True)


def test_every_definition_has_a_case():
    covered = {c[2] if not isinstance(c[2], str) else getattr(np, c[2]) for c in CASES}
    assert set(DEFINITIONS) <= covered


def median_along_an_axis(a):
    return np.sum(np.median(a, axis=0))


def covariance_of_one_variable(x):
    return np.cov(x)


@pytest.mark.parametrize("f, line, takes", [
    (median_along_an_axis, "return np.sum(np.median(a, axis=0))", "(axis=None)"),
    (covariance_of_one_variable, "return np.cov(x)", "two or more variables")])
def test_a_use_the_definition_does_not_cover_is_refused_at_the_call(f, line, takes):
    from s2sdiff import UnsupportedError
    with pytest.raises(UnsupportedError) as caught:
        grad(f)(A[0] if f is covariance_of_one_variable else A)
    assert caught.value.source_line.strip() == line
    assert "with these arguments is not supported" in str(caught.value)
    assert takes in caught.value.hint


def covariance_of_columns(X):
    return np.sum(np.cov(X, rowvar=False) ** 2)


def difference_with_prepend(X):
    return np.sum(np.diff(X, axis=0, prepend=0.0))


def one_argument_where(x):
    return np.sum(x[np.where(x > 0)] ** 2)


@pytest.mark.parametrize("f, message, hint", [
    (covariance_of_columns, "this call of np.cov (got an unexpected keyword argument "
                            "'rowvar')", "np.cov(X.T) for rowvar=False"),
    (difference_with_prepend, "the argument `prepend=` of np.diff",
     "s2sdiff differentiates np.diff(a, n=1, axis=-1)"),
    (one_argument_where, "this call of np.where", "Index with the mask itself")])
def test_numpy_options_left_out_are_named_as_numpy_s(f, message, hint):
    """Documented NumPy calls were told "a call of your function `cov`" or "Call it with
    the arguments NumPy documents"."""
    from s2sdiff import UnsupportedError
    with pytest.raises(UnsupportedError) as caught:
        grad(f)(A)
    assert message in str(caught.value) and hint in caught.value.hint
    assert "your function" not in str(caught.value)


def test_the_suggested_covariance_of_columns_is_right():
    def columns(X):
        return np.sum(np.cov(X.T) ** 2)
    np.testing.assert_allclose(grad(columns)(A), central(covariance_of_columns, [A], 0),
                               rtol=1e-6, atol=1e-9)


def test_the_refusal_holds_under_python_O():
    """Not an ``assert``: ``python -O`` would strip it and differentiate another function."""
    import subprocess
    import sys
    import textwrap
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import numpy as np
        from s2sdiff import UnsupportedError, grad
        from test_numpy_definitions import median_along_an_axis
        try:
            grad(median_along_an_axis)(np.arange(6.0).reshape(2, 3))
        except UnsupportedError as error:
            print("refused", error.construct)
    """)
    done = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "refused np.median with these arguments", done.stderr
