"""Parameters that hold data rather than numbers: a mode compared with a string
(``reduction="mean"``), an optional array tested against None (``b=None``).  The
comparison is part of the generated code, the parameter is not differentiated (an
error names it if wrt= asks for it), and ``wrt=None`` leaves out a parameter whose
default is a string or None.  Gradients against closed forms and central differences."""

import math

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, hessian, value_and_grad
from s2sdiff.errors import S2SDiffError

RNG = np.random.default_rng(2)


def penalty(x, kind="l2"):
    if kind == "l2":
        return x * x
    elif kind in ("l1", "abs"):
        return abs(x)
    return math.log(1.0 + x * x)


def loss(w, X, y, reduction="mean"):
    r = X @ w - y
    if reduction == "mean":
        return np.mean(r ** 2)
    if reduction == "sum":
        return np.sum(r ** 2)
    return np.max(r ** 2)


def layer(W, x, b=None, act="tanh"):
    z = W @ x
    if b is not None:
        z = z + b
    if act == "tanh":
        return np.sum(np.tanh(z))
    return np.sum(np.maximum(z, 0.0))



@pytest.mark.parametrize("kind, expected", [("l2", 3.0), ("l1", 1.0), ("abs", 1.0),
                                            ("log", 2 * 1.5 / (1 + 1.5 ** 2))])
def test_a_mode_string_selects_the_branch(kind, expected):
    assert grad(penalty)(1.5, kind) == pytest.approx(expected, rel=1e-15)
    assert hessian(penalty, wrt="x")(1.5, kind) == pytest.approx(
        {"l2": 2.0, "l1": 0.0, "abs": 0.0}.get(kind, 2 * (1 - 1.5 ** 2) / (1 + 1.5 ** 2) ** 2),
        rel=1e-12, abs=1e-15)


def test_wrt_none_leaves_out_a_parameter_whose_default_is_a_string():
    assert grad(penalty)(2.0) == 4.0                   # alone: the one differentiated
    value, gradient = value_and_grad(penalty)(2.0, "l1")
    assert (value, gradient) == (2.0, 1.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "max"])
def test_a_reduction_string_in_numpy_code(reduction):
    X, y, w = RNG.normal(size=(6, 3)), RNG.normal(size=6), RNG.normal(size=3)
    g = grad(loss, wrt="w")(w, X, y, reduction)
    expected = central(lambda v: loss(v, X, y, reduction), (w,), 0)
    assert np.allclose(g, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_an_optional_array_tested_against_none(with_bias, act):
    W, x, b = RNG.normal(size=(3, 2)), RNG.normal(size=2), RNG.normal(size=3)
    bias = b if with_bias else None
    g = grad(layer, wrt="W")(W, x, bias, act)
    assert np.allclose(g, central(lambda V: layer(V, x, bias, act), (W,), 0), rtol=1e-6, atol=1e-8)
    if with_bias:
        gb = grad(layer, wrt="b")(W, x, b, act)
        expected = central(lambda c: layer(W, x, c, act), (b,), 0)
        assert np.allclose(gb, expected, rtol=1e-6, atol=1e-8)


def test_differentiating_the_mode_is_refused_by_name():
    with pytest.raises(S2SDiffError, match="`kind` is compared with a string or None"):
        grad(penalty, wrt="kind")(1.0, "l2")


def scaled(x, s=None):
    if s is None:
        s = 2.0
    return s * x * x


def test_an_optional_number_tested_against_none():
    assert grad(scaled, wrt="x")(1.5) == 6.0
    assert grad(scaled, wrt="x")(1.5, 3.0) == 9.0
    assert grad(scaled, wrt=("x", "s"))(1.5, 3.0) == (9.0, 2.25)


def test_wrt_none_leaves_out_a_parameter_whose_default_is_none():
    """As a string or function default, a None default says the parameter holds data."""
    assert grad(scaled)(1.5) == 6.0
    assert grad(scaled)(1.5, 3.0) == 9.0


@pytest.mark.parametrize("call", [
    lambda: grad(scaled, wrt="s")(1.5),
    lambda: grad(scaled, wrt="s")(1.5, None),
    lambda: grad(layer, wrt="b")(np.ones((2, 2)), np.ones(2), None)])
def test_a_differentiated_argument_that_is_none_is_refused_by_name(call):
    """Its gradient would be meaningless (0.0 before): an error names the argument."""
    with pytest.raises(S2SDiffError, match="got NoneType None|is None, but it is differentiated"):
        call()


def test_verify_takes_a_string_parameter_at_its_default():
    """SymPy checks the branch the default selects (verify raises if it disagrees)."""
    from s2sdiff import verify
    report = verify(grad(penalty, wrt="x"))
    assert [row[0] for row in report.rows] == ["x"]
    assert str(report.rows[0][2]) == "2*x"


def test_jvp_takes_a_tangent_per_primal_and_ignores_the_modes():
    from s2sdiff import jvp
    value, tangent = jvp(penalty, (1.5, "l1"), (2.0, 0.0))
    assert (value, tangent) == (1.5, 2.0)
    value, tangent = jvp(penalty, (1.5, "l2"), (2.0, 0.0))
    assert (value, tangent) == (2.25, 6.0)
