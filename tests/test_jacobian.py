"""vjp, Jacobians in both orders and Hessians by differentiating generated code again."""

import math

import numpy as np
import pytest
import sympy

import functions as corpus
import multi_output as mo
from s2sdiff import (S2SDiffError, grad, hessian, jacfwd, jacobian, jacrev, jvp, vjp)
from s2sdiff.check import _on_symbols, check_grad, dot_product_test

TUPLE_CASES = [(mo.polar, (2.0, 0.5)), (mo.three_outputs, (2.0, 0.5)), (mo.wide, (0.3, -1.2, 2.0, 0.4)),
               (mo.tall, (0.7,)), (mo.constant_output, (1.5, -2.0)), (mo.repeated_output, (1.5, -2.0))]


def numeric_jacobian(f, args, h=1e-6):
    args = list(args)
    columns = []
    for j in range(len(args)):
        plus, minus = list(args), list(args)
        plus[j] += h
        minus[j] -= h
        hi, lo = np.atleast_1d(f(*plus)), np.atleast_1d(f(*minus))
        columns.append((np.asarray(hi, float) - np.asarray(lo, float)) / (2 * h))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("f, point", TUPLE_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_both_orders_agree_with_each_other_and_with_differences(f, point):
    forward, backward = jacfwd(f)(*point), jacrev(f)(*point)
    assert np.allclose(forward, backward, rtol=1e-13, atol=0)
    expected = numeric_jacobian(f, point)
    assert np.allclose(np.atleast_2d(forward).reshape(expected.shape), expected, rtol=1e-7, atol=1e-9)


def test_polar_jacobian_closed_form():
    r, t = 2.0, 0.5
    expected = np.array([[math.cos(t), -r * math.sin(t)], [math.sin(t), r * math.cos(t)]])
    for mode in ("forward", "reverse", "auto"):
        assert np.allclose(jacobian(mo.polar, mode=mode)(r, t), expected, rtol=1e-15)


def test_shapes_follow_the_grad_conventions():
    assert jacfwd(mo.three_outputs)(2.0, 0.5).shape == (3, 2)
    assert jacrev(mo.three_outputs, wrt="y")(2.0, 0.5).shape == (3,)
    assert jacfwd(mo.wide)(0.3, -1.2, 2.0, 0.4).shape == (4,)             # scalar output
    assert np.ndim(jacrev(mo.wide, wrt=0)(0.3, -1.2, 2.0, 0.4)) == 0
    assert jacrev(mo.wide, wrt=0)(0.3, -1.2, 2.0, 0.4) == -1.2


def test_auto_picks_the_cheaper_order():
    # seed 001: a column costs one forward sweep, a row one reverse sweep
    assert jacobian(mo.wide).source.startswith("def jacrev_wide")
    assert jacobian(mo.tall).source.startswith("def jacfwd_tall")
    assert jacobian(mo.polar).source.startswith("def jacfwd_polar")   # a tie goes forward


def test_forward_jacobian_is_one_generated_function_by_columns():
    source = jacfwd(mo.three_outputs).source
    assert "da_dx = y" in source and "da_dy = x" in source
    assert "return (dthree_outputs0_dx, dthree_outputs0_dy)" in source


def test_vjp_pullback():
    out, pullback = vjp(mo.polar, 2.0, 0.5)
    assert out == mo.polar(2.0, 0.5)
    J = jacfwd(mo.polar)(2.0, 0.5)
    v = (0.3, -0.7)
    assert np.allclose(pullback(v), np.array(v) @ J, rtol=1e-15)
    value, pullback = vjp(corpus.CASES[0].func, *corpus.CASES[0].point)
    assert pullback(2.0) == tuple(2.0 * g for g in np.atleast_1d(grad(corpus.CASES[0].func, wrt=tuple(range(len(corpus.CASES[0].point))))(*corpus.CASES[0].point)))
    with pytest.raises(S2SDiffError, match="cotangent has 1 entries"):
        vjp(mo.polar, 2.0, 0.5)[1]((1.0,))


def test_vjp_source_takes_cotangents_in_place_of_the_seed():
    source = vjp(mo.polar).source
    assert source.startswith("def vjp_polar(r, t, dpolar0, dpolar1):")
    assert "dr = sint * dpolar1" in source and "1.0" not in source


def test_jvp_of_tuple_output():
    out, tangent = jvp(mo.polar, (2.0, 0.5), (1.0, 0.0))
    assert out == mo.polar(2.0, 0.5)
    assert np.allclose(tangent, jacfwd(mo.polar)(2.0, 0.5)[:, 0], rtol=1e-15)


def test_grad_still_requires_a_scalar():
    with pytest.raises(S2SDiffError, match="vjp.*jacobian"):
        grad(mo.polar)


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda c: c.name)
def test_dot_product_test_over_the_corpus(case):
    assert dot_product_test(case.func, *case.point) < 1e-12


@pytest.mark.parametrize("f, point", TUPLE_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_dot_product_test_on_tuple_outputs(f, point):
    assert dot_product_test(f, *point) < 1e-12


# Hessians --------------------------------------------------------------------------

KINKS = (sympy.Abs, sympy.Max, sympy.Min, sympy.floor, sympy.ceiling, sympy.Mod, sympy.sign,
         sympy.Heaviside, sympy.Piecewise)


def _smooth_cases():
    cases = []
    for case in corpus.CASES:
        symbols = [sympy.Symbol(f"p{i}", real=True) for i in range(len(case.point))]
        try:
            expr = sympy.sympify(_on_symbols(case.func, case.func.__code__)(*symbols))
        except Exception:          # noqa: BLE001  (a function SymPy cannot take)
            continue
        if not expr.has(*KINKS) and expr.free_symbols:
            cases.append((case, symbols, expr))
    return cases


SMOOTH = _smooth_cases()


def test_enough_smooth_functions_for_the_hessian_check():
    assert len(SMOOTH) >= 15


@pytest.mark.parametrize("case, symbols, expr", SMOOTH, ids=lambda v: getattr(v, "name", ""))
def test_hessian_matches_sympy(case, symbols, expr):
    reference = sympy.hessian(expr, symbols)
    point = dict(zip(symbols, case.point))
    expected = np.array(reference.subs(point).evalf(30), dtype=float)
    computed = np.atleast_2d(hessian(case.func)(*case.point))
    assert np.allclose(computed, expected.reshape(computed.shape), rtol=1e-9, atol=1e-12)


def test_hessian_is_symmetric_and_matches_grad_of_grad():
    from s2sdiff.demo import f
    H = hessian(f)(3.0, -4.0)
    assert np.allclose(H, H.T, rtol=1e-14)
    assert grad(grad(f, wrt=0), wrt=0)(3.0, -4.0) == pytest.approx(H[0, 0], rel=1e-14)
    assert grad(grad(f, wrt=1), wrt=0)(3.0, -4.0) == pytest.approx(H[1, 0], rel=1e-14)


def test_hessian_as_a_decorator_with_options():
    """``@hessian(wrt=...)`` works like ``@grad(wrt=...)``.  For
    f = x**3 y + y**2 sin(x): f_xx = 6xy - y**2 sin(x), f_xy = 3x**2 + 2y cos(x),
    f_yy = 2 sin(x)."""
    @hessian(wrt=0)
    def by_index(x, y):
        return x ** 3 * y + y ** 2 * math.sin(x)

    @hessian(wrt="y")
    def by_name(x, y):
        return x ** 3 * y + y ** 2 * math.sin(x)

    @hessian(wrt=("x", "y"))
    def by_tuple(x, y):
        return x ** 3 * y + y ** 2 * math.sin(x)

    @hessian
    def bare(x, y):
        return x ** 3 * y + y ** 2 * math.sin(x)

    for x, y in ((0.7, -1.3), (2.0, 0.5)):
        fxx = 6 * x * y - y ** 2 * math.sin(x)
        fxy = 3 * x ** 2 + 2 * y * math.cos(x)
        fyy = 2 * math.sin(x)
        assert by_index(x, y) == pytest.approx(fxx, rel=1e-13)
        assert by_name(x, y) == pytest.approx(fyy, rel=1e-13)
        full = [[fxx, fxy], [fxy, fyy]]
        assert np.allclose(by_tuple(x, y), full, rtol=1e-13, atol=0)
        assert np.allclose(bare(x, y), full, rtol=1e-13, atol=0)


def test_third_derivative_of_a_polynomial():
    # cubic(x) = x**4 + 3x**3 - 2x + 1: f''' = 24x + 18
    third = grad(grad(grad(mo.cubic)))
    for x in (-1.5, 0.0, 2.0):
        assert third(x) == pytest.approx(24 * x + 18, rel=1e-14, abs=1e-12)


def test_second_derivatives_also_pass_finite_differences():
    from s2sdiff.demo import f
    check_grad(grad(f, wrt=0), 3.0, -4.0)


def scaled_pair(x, y, *, scale=2.0):
    return x * y * scale, math.sin(x) + y


def pair(x, y):
    return x * y, x + y


@pytest.mark.parametrize("f, args, kwargs", [
    (scaled_pair, (1.0, 2.0), {}), (scaled_pair, (1.0, 2.0), {"scale": 3.0}),
    (pair, (1.0,), {"y": 2.0}), (pair, (), {"x": 1.0, "y": 2.0})])
def test_keyword_arguments_and_defaults_in_both_orders(f, args, kwargs):
    """Keywords, keyword-only parameters and defaults reach the rows of jacrev as they
    reach jacfwd's columns: both agree, and with central differences."""
    forward = jacfwd(f)(*args, **kwargs)
    np.testing.assert_allclose(jacrev(f)(*args, **kwargs), forward, rtol=1e-14)
    np.testing.assert_allclose(jacobian(f)(*args, **kwargs), forward, rtol=1e-14)
    if f is scaled_pair:                            # columns for x, y and scale
        expected = numeric_jacobian(lambda a, b, c: scaled_pair(a, b, scale=c),
                                    (1.0, 2.0, kwargs.get("scale", 2.0)))
    else:
        expected = numeric_jacobian(pair, (1.0, 2.0))
    np.testing.assert_allclose(forward, expected, rtol=1e-6, atol=1e-8)
