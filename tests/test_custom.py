"""Custom rules with JAX's conventions (custom_vjp, custom_jvp) and stop_gradient.

The rules are user code that s2sdiff calls, visibly, in the generated code; it never
differentiates them.  Finite differences (check_grad) are the oracle, and forward mode
against reverse mode for custom_jvp; verify refuses custom rules with a clear message.

To update the golden file after an intended change:
``S2SDIFF_UPDATE_GOLDEN=1 python -m pytest tests/test_custom.py``, then review the diff.
"""

import inspect
import math
import os
import pathlib

import pytest

import custom_functions as c
import s2sdiff
from s2sdiff import (S2SDiffError, SourceError, UnsupportedError, check_grad, custom_jvp,
                     custom_vjp, derivative, grad, hessian, jacfwd, jacobian, jacrev, jvp,
                     stop_gradient, value_and_grad, verify, vjp)
from s2sdiff.check import dot_product_test

GOLDEN = pathlib.Path(__file__).parent / "golden"
POINTS = [(0.7, 0.3), (-1.3, 2.1), (2.5, -0.4)]


def lines(source):
    return [line.strip() for line in source.splitlines()]


def has_line(source, statement, tag):
    """``statement`` appears in ``source`` as a whole statement tagged ``(tag)``."""
    return any(line.startswith(statement + " ") and line.endswith(f"# ({tag})")
               for line in lines(source))


# the wrappers ----------------------------------------------------------------------

def test_wrappers_call_the_function_and_keep_its_identity():
    assert c.softplus(0.5) == math.log1p(math.exp(0.5))
    assert c.log1pexp(800.0) == 800.0                 # stable where log1p(exp(x)) overflows
    assert c.softplus.__name__ == "softplus" and c.softplus.__doc__ is None
    assert c.softplus.__wrapped__ is c.softplus.fun
    assert "custom_vjp" in repr(c.softplus) and "custom_jvp" in repr(c.log1pexp)
    assert c.softplus.fwd is c.softplus_fwd and c.softplus.bwd is c.softplus_bwd
    assert stop_gradient(3.5) == 3.5
    assert s2sdiff.custom_vjp is custom_vjp and "stop_gradient" in s2sdiff.__all__


def test_defjvp_is_a_decorator_and_defjvps_builds_the_whole_rule():
    assert c.log1pexp.jvp is c.log1pexp_jvp and c.log1pexp.jvps is None
    out, tangent = c.radius2.jvp((3.0, 4.0), (1.0, 2.0))
    assert out == 5.0 and tangent == pytest.approx(3.0 / 5.0 + 2 * 4.0 / 5.0)
    assert c.only_first.jvp((1.0, 2.0), (1.0, 1.0)) == (4.0, 2.0)   # None: no contribution


def test_definitions_are_checked():
    f = custom_vjp(lambda x: x)
    with pytest.raises(TypeError, match="bwd must be a function"):
        f.defvjp(lambda x: (x, None), 3.0)
    g = custom_jvp(lambda x: x)
    with pytest.raises(TypeError, match="entry 1 must be a function or None"):
        g.defjvps(None, "g")
    with pytest.raises(TypeError, match="needs a function"):
        custom_vjp(1.0)


# custom_vjp --------------------------------------------------------------------------

def test_custom_vjp_gradient_matches_finite_differences():
    for point in POINTS:
        check_grad(c.uses_softplus, *point)
        check_grad(c.uses_softplus, *point, method="richardson")
        check_grad(c.uses_scaled, *point)
        check_grad(c.softplus_twice, point[0])


def test_custom_vjp_calls_are_visible_in_the_source():
    source = grad(c.uses_softplus).source
    assert has_line(source, "z1, z1_res = softplus.fwd(xty)", 2)
    assert has_line(source, "dxty = softplus.bwd(z1_res, dz)[0]", 2)
    assert not has_line(source, "z1 = softplus(xty)", 2)     # fwd computes the value
    assert "# backprop z1 = softplus(xty)" in lines(source)
    assert inspect.getsource(grad(c.uses_softplus)) == source


def test_custom_vjp_with_several_arguments_accumulates_with_the_usual_convention():
    source = grad(c.uses_scaled).source
    # dy is written first: straight into it; dx already holds contributions: dx_c, then +=
    assert has_line(source, "dy, dx_c = scaled.bwd(v_res, dv)", 2)
    assert has_line(source, "dx += dx_c", 2)
    assert has_line(source, "dx_c_2, dy_c = scaled.bwd(u_res, 1.0)", 1)
    assert has_line(source, "dx += dx_c_2", 1) and has_line(source, "dy += dy_c", 1)
    # one active argument: the cotangent is taken from the tuple, no unpacking
    assert has_line(source, "dx += scaled.bwd(w_res, 1.0)[0]", 3)


def test_same_argument_twice_and_inactive_positions():
    def twice(x, y):
        return c.scaled(x, x) * y

    source = grad(twice, wrt="x").source
    assert has_line(source, "twice1, twice1_res = c.scaled.fwd(x, x)", 1)   # as spelled
    assert has_line(source, "dx, dx_c = c.scaled.bwd(twice1_res, y)", 1)
    assert has_line(source, "dx += dx_c", 1)
    check_grad(twice, 0.4, 1.7, wrt="x")
    source = grad(c.uses_affine, wrt=("a", "b")).source      # x is not differentiated: `_`
    assert has_line(source, "da_c, _, db = affine.bwd(t1_res, a)", 1)
    assert has_line(source, "da += da_c", 1)
    check_grad(c.uses_affine, 0.4, 1.7, -0.6, wrt=("a", "b"))
    check_grad(c.uses_affine, 0.4, 1.7, -0.6)


def test_custom_vjp_in_value_and_grad_vjp_jacrev_and_jacobian():
    value, gradient = value_and_grad(c.uses_softplus)(0.7, 0.3)
    assert value == c.uses_softplus(0.7, 0.3) and gradient == grad(c.uses_softplus)(0.7, 0.3)
    out, pullback = vjp(c.uses_scaled, 0.7, 0.3)
    assert pullback(2.0) == pytest.approx(tuple(2 * g for g in grad(c.uses_scaled)(0.7, 0.3)))
    assert jacrev(c.uses_scaled)(0.7, 0.3) == pytest.approx(grad(c.uses_scaled)(0.7, 0.3))
    # auto mode picks reverse mode: a custom_vjp rule has no forward mode
    assert jacobian(c.softplus_twice)(0.7) == pytest.approx(grad(c.softplus_twice)(0.7))


def test_a_wrong_bwd_is_caught_by_check_grad():
    check_grad(c.uses_softplus, 0.7, 0.3)
    with pytest.raises(AssertionError, match="gradient mismatch in uses_wrong_softplus at x"):
        check_grad(c.uses_wrong_softplus, 0.7)


def test_forward_mode_through_custom_vjp_fails_at_generation():
    for transform in (derivative, jvp, jacfwd):
        with pytest.raises(UnsupportedError) as info:
            transform(c.uses_softplus)
        error = info.value
        assert "forward mode" in error.message and "custom_vjp" in error.message
        assert "reverse mode only" in error.message
        assert "custom_jvp" in error.hint and "grad" in error.hint
        assert error.lineno == 30 and error.source_line.strip() == "z = softplus(x * y) + x"
        assert error.construct == "custom_vjp in forward mode"
        assert error.__traceback__ is None or "s2sdiff/forward" not in str(error)


def test_the_generated_source_matches_golden():
    source = grad(c.uses_softplus).source
    path = GOLDEN / "custom_vjp_softplus.py"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()


def test_explain_names_the_rule():
    source = grad(c.softplus_twice, explain=True).source
    assert "# (2) custom rule softplus.bwd, line 36" in source


# custom_jvp --------------------------------------------------------------------------

JVP_CASES = [c.uses_log1pexp, c.uses_log1pexp2, c.uses_radius, c.uses_radius2,
             c.uses_only_first]


@pytest.mark.parametrize("f", JVP_CASES, ids=lambda f: f.__name__)
def test_custom_jvp_both_modes_agree_with_finite_differences(f):
    for point in POINTS:
        check_grad(f, *point)
        assert derivative(f)(*point) == pytest.approx(grad(f)(*point), rel=1e-14)
        check_grad(f, *point, wrt="x")
        dot_product_test(f, *point)


def test_log1pexp_is_stable_where_the_naive_formula_overflows():
    def naive(x):
        return math.log1p(math.exp(x))

    with pytest.raises(OverflowError):
        grad(naive)(800.0)
    assert grad(c.uses_log1pexp, wrt="x")(800.0, 1.0) == 1.0
    assert derivative(c.uses_log1pexp, wrt="x")(800.0, 1.0) == 1.0


def test_defjvp_forward_mode_calls_the_rule_once_per_direction():
    source = jvp(c.uses_radius).source
    assert has_line(source, "t1, t1_dot = radius.jvp((x, y), (x_dot, y_dot))", 1)
    assert "t1 = radius(x, y)" not in source            # the rule computes the value too
    source = derivative(c.uses_radius).source
    assert has_line(source, "t1, dt1_dx = radius.jvp((x, y), (1.0, 0.0))", 1)
    assert has_line(source, "_, dt1_dy = radius.jvp((x, y), (0.0, 1.0))", 1)
    source = jvp(c.uses_log1pexp).source                 # argument is a temporary
    assert has_line(source, "t1, t1_dot = log1pexp.jvp((xty,), (xty_dot,))", 2)


def test_defjvp_reverse_mode_uses_unit_tangents():
    source = grad(c.uses_radius).source
    assert has_line(source, "dx += radius.jvp((x, y), (1.0, 0.0))[1] * x", 1)
    assert has_line(source, "dy = radius.jvp((x, y), (0.0, 1.0))[1] * x", 1)
    assert has_line(source, "t1 = radius(x, y)", 1)


def test_defjvps_calls_each_argument_rule():
    source = grad(c.uses_radius2).source
    assert has_line(source, "dx += radius2.jvps[0](x, t1, x, y)", 1)
    assert has_line(source, "dy += radius2.jvps[1](x, t1, x, y)", 1)
    assert has_line(source, "dy = radius2.jvps[0](1.0, t3, y, 3.0)", 3)
    source = jvp(c.uses_radius2).source
    assert has_line(source, "t1_dot = radius2.jvps[0](x_dot, t1, x, y) + "
                            "radius2.jvps[1](y_dot, t1, x, y)", 1)
    # a None entry contributes nothing: an explicit 0.0, never a missing adjoint
    source = grad(c.uses_only_first).source
    assert has_line(source, "dy = 0.0", 1)
    assert grad(c.uses_only_first)(1.5, 2.5) == (4 * 1.5 + math.floor(2.5), 0.0)


def test_jvp_and_jacobians_through_custom_jvp():
    point = (0.7, 0.3)
    out, tangent = jvp(c.uses_radius, point, (1.0, 0.0))
    assert out == c.uses_radius(*point) and tangent == pytest.approx(grad(c.uses_radius)(*point)[0])
    assert jacfwd(c.uses_radius2)(*point) == pytest.approx(jacrev(c.uses_radius2)(*point))


# stop_gradient ---------------------------------------------------------------------

def test_stop_gradient_makes_its_result_a_constant():
    assert grad(c.stopped)(3.0) == 3.0                     # d/dx x * stop(x) = stop(x)
    assert derivative(c.stopped)(3.0) == 3.0
    assert grad(lambda x: stop_gradient(x) * x * x)(2.0) == 8.0
    assert grad(c.stopped_module)(2.0, 5.0) == (10.0, 1.0)
    assert has_line(grad(c.stopped).source, "t1 = stop_gradient(x)", 1)
    assert has_line(grad(c.stopped_module).source, "t1 = s2sdiff.stop_gradient(xty)", 2)
    assert "* 1.0" not in grad(c.stopped).source             # its result keeps x's type


def test_stop_gradient_alone_has_zero_gradient():
    def only_stopped(x):
        return stop_gradient(x * x)
    assert grad(only_stopped)(3.0) == 0.0


def test_verify_treats_stop_gradient_as_a_constant():
    assert verify(c.stopped).rows[0][3] == "simplified to 0"
    assert len(verify(c.stopped_module).rows) == 2


# errors ----------------------------------------------------------------------------

def test_missing_vjp_rule_names_the_function_and_the_signature_to_write():
    with pytest.raises(UnsupportedError) as info:
        grad(c.uses_no_vjp_rule)
    error = info.value
    assert "`no_vjp_rule` is a custom_vjp function whose rule was never defined" in error.message
    assert ("define `no_vjp_rule.defvjp(fwd, bwd)` with `def fwd(x, y): return out, residuals` "
            "and `def bwd(residuals, g): return (dx, dy)`") in error.hint
    assert error.source_line.strip() == "return no_vjp_rule(x, y) + x"
    assert error.construct == "call to no_vjp_rule"


def test_missing_jvp_rule_shows_both_forms():
    for transform in (grad, derivative):
        with pytest.raises(UnsupportedError) as info:
            transform(c.uses_no_jvp_rule)
        hint = info.value.hint
        assert "`no_jvp_rule.defjvp(jvp)` with `def jvp(primals, tangents): x, = primals; " \
               "x_dot, = tangents; return out, out_dot`" in hint
        assert "`no_jvp_rule.defjvps(...)` with one `lambda g, ans, x: ...` per argument" in hint


def test_a_missing_rule_is_fine_on_values_that_are_not_differentiated():
    assert grad(c.uses_no_vjp_rule_inactively, wrt="x")(1.0, 2.0) == 4.0
    with pytest.raises(UnsupportedError, match="applies to `c`"):
        grad(c.uses_no_vjp_rule_inactively)


def test_defjvps_of_the_wrong_length():
    with pytest.raises(UnsupportedError, match=r"given 1 function \(one per argument\), but "
                                                r"uses_short_jvps calls `short_jvps` with 2"):
        grad(c.uses_short_jvps)


def test_keyword_arguments_to_a_custom_rule_are_rejected():
    def by_keyword(x):
        return c.scaled(x, y=2.0)

    with pytest.raises(UnsupportedError, match="keyword arguments to the custom_vjp function"):
        grad(by_keyword)


def test_verify_refuses_custom_rules_and_points_to_check_grad():
    for f in (c.uses_softplus, c.uses_radius2):
        with pytest.raises(S2SDiffError) as info:
            verify(f)
        assert "SymPy cannot see inside" in info.value.message
        assert f"check_grad({f.__name__}, *args)" in info.value.hint


def test_hessian_and_graph_refuse_custom_rules():
    with pytest.raises(UnsupportedError, match="hessian\\(uses_softplus\\).*custom rule `softplus`"):
        hessian(c.uses_softplus)
    with pytest.raises(UnsupportedError, match="custom rule `radius2`"):
        hessian(c.uses_radius2)
    with pytest.raises(UnsupportedError, match="graph cannot draw uses_softplus"):
        s2sdiff.graph(c.uses_softplus, 0.7, 0.3)
    assert s2sdiff.graph(c.uses_no_vjp_rule_inactively, 1.0, 2.0, wrt="x").gradient == 4.0


def test_differentiating_the_wrapper_itself_says_what_to_do():
    with pytest.raises(SourceError) as info:
        grad(c.softplus)
    assert "def f(x): return softplus(x)" in info.value.hint


def test_rules_in_a_closure_are_read_when_the_gradient_runs():
    @custom_vjp
    def cube(x):
        return x ** 3

    cube.defvjp(lambda x: (x ** 3, x), lambda x, g: (3 * x ** 2 * g,))

    def f(x):
        return cube(x) + x

    df = grad(f)
    assert has_line(df.source, "cubex, cubex_res = cube.fwd(x)", 1)
    assert df(2.0) == 13.0
    cube.defvjp(lambda x: (x ** 3, x), lambda x, g: (0.0 * g,))   # like any global, read live
    assert df(2.0) == 1.0


def test_a_user_variable_named_underscore_is_not_clobbered():
    def g(a, x, b):
        _ = 2.0
        return c.affine(a, x, b) * a * _

    source = grad(g, wrt=("a", "b")).source
    assert has_line(source, "da_c, __2, db = c.affine.bwd(g1_res, dg1)", 2)
    assert grad(g, wrt=("a", "b"))(0.4, 1.7, -0.6) == pytest.approx(
        (2.0 * (2 * 0.4 * 1.7 - 0.6), 2.0 * 0.4))
