"""Defaults replaced after a derivative was generated (``f.__defaults__ = ...``,
``f.__kwdefaults__ = ...``): ``grad(f)`` again differentiates the function as it is now,
generated code that calls a helper whose defaults changed generates itself again, and a
derivative generated before that is called with a changed default left out raises."""

import math

import numpy as np
import pytest

from s2sdiff import derivative, grad, value_and_grad
from s2sdiff.errors import ArgumentError

from differences import central


def scalar_central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def make_cubic():
    def cubic(x, a=1.0):
        return a * x ** 3
    return cubic


def test_grad_again_uses_the_new_positional_default():
    cubic = make_cubic()
    assert grad(cubic, wrt="x")(1.0) == pytest.approx(3.0)
    cubic.__defaults__ = (5.0,)
    fresh = grad(cubic, wrt="x")
    assert fresh(1.0) == pytest.approx(scalar_central(cubic, 1.0), rel=1e-7)
    assert fresh(1.0) == pytest.approx(15.0)
    assert "a=5.0" in fresh.source            # the signature shows the default it binds


def test_grad_again_uses_the_new_keyword_only_default():
    def kw(x, *, a=1.0):
        return a * x ** 3
    assert value_and_grad(kw, wrt="x")(2.0) == pytest.approx((8.0, 12.0))
    kw.__kwdefaults__ = {"a": 5.0}
    assert value_and_grad(kw, wrt="x")(2.0) == pytest.approx((40.0, 60.0))
    assert derivative(kw, wrt="x")(2.0) == pytest.approx(scalar_central(kw, 2.0), rel=1e-7)


def test_a_default_changed_in_place_is_read_live():
    def kw(x, *, a=1.0):
        return a * math.sin(x)
    g = grad(kw, wrt="x")
    kw.__kwdefaults__["a"] = 3.0           # the same dict: the code binds the new value
    assert g(0.5) == pytest.approx(3.0 * math.cos(0.5))


def test_old_gradient_refuses_a_left_out_default_that_changed():
    cubic = make_cubic()
    g = grad(cubic, wrt="x")
    cubic.__defaults__ = (5.0,)
    with pytest.raises(ArgumentError) as info:
        g(1.0)
    message = str(info.value)
    assert "default of `a` in cubic changed from 1.0 to 5.0" in message
    assert "leaves it to its default" in message
    assert "Call grad(cubic) again" in message
    assert info.value.filename == __file__
    assert "def cubic(x, a=1.0):" in info.value.source_line
    assert "generate_again" not in message and "s2sdiff_" not in message
    # passing the parameter needs no default: the old code answers
    assert g(1.0, 2.0) == pytest.approx(6.0)
    assert g(1.0, 1.0) == pytest.approx(3.0)     # a literal equal to the old default


def test_old_gradient_with_the_same_values_again_still_works():
    cubic = make_cubic()
    g = grad(cubic)
    cubic.__defaults__ = (1.0,)            # a new tuple, the same value
    assert g(2.0) == pytest.approx((12.0, 8.0))


def test_old_gradient_of_a_keyword_only_default_refuses():
    def kw(x, *, a=1.0):
        return a * x ** 3
    g = value_and_grad(kw, wrt="x")
    kw.__kwdefaults__ = {"a": 5.0}
    with pytest.raises(ArgumentError, match=r"default of `a` in kw changed from 1.0 to 5.0"):
        g(1.0)
    assert g(1.0, a=2.0) == pytest.approx((2.0, 6.0))


def test_helper_whose_default_changed_is_differentiated_again():
    def helper(x, a=2.0):
        return a * x ** 2

    def f(x):
        return helper(x) + math.sin(x)
    g = value_and_grad(f)
    assert g(1.0)[1] == pytest.approx(4.0 + math.cos(1.0))
    helper.__defaults__ = (3.0,)
    value, gradient = g(1.0)                 # the old code: value and gradient agree
    assert value == pytest.approx(f(1.0))
    assert gradient == pytest.approx(scalar_central(f, 1.0), rel=1e-7)
    assert grad(f)(1.0) == pytest.approx(6.0 + math.cos(1.0))


def test_helper_keyword_only_default_changed():
    def helper(x, *, a=2.0):
        return a * x ** 2

    def f(x):
        return helper(x) + x
    g = grad(f)
    assert g(1.0) == pytest.approx(5.0)
    helper.__kwdefaults__ = {"a": 3.0}
    assert g(1.0) == pytest.approx(7.0)
    assert "__kwdefaults__ is not" in grad(f).source


def test_helper_inlined_in_numpy_code():
    def helper(x, a=2.0):
        return a * x ** 2

    def f(x):
        return np.sum(helper(x) * np.sin(x))
    g = grad(f)
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(g(x), central(f, [x], 0), rtol=1e-6)
    helper.__defaults__ = (-1.5,)
    np.testing.assert_allclose(g(x), central(f, [x], 0), rtol=1e-6)
    np.testing.assert_allclose(grad(f)(x), central(f, [x], 0), rtol=1e-6)


def test_numpy_code_binds_its_defaults_as_they_are():
    def f(x, a=1.0):
        return np.sum(a * x ** 3)
    g = grad(f, wrt="x")
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(g(x), 3.0 * x ** 2)
    f.__defaults__ = (5.0,)
    np.testing.assert_allclose(g(x), 15.0 * x ** 2)       # the old dispatcher too
    np.testing.assert_allclose(grad(f, wrt="x")(x), central(f, [x], 0), rtol=1e-6)


def test_tree_parameter_function_binds_its_defaults_as_they_are():
    def f(p, a=1.0):
        return a * p["w"] ** 2
    g = grad(f, wrt="p")
    assert g({"w": 1.0})["w"] == pytest.approx(2.0)
    f.__defaults__ = (5.0,)
    assert g({"w": 1.0})["w"] == pytest.approx(10.0)
    assert grad(f, wrt="p")({"w": 1.0})["w"] == pytest.approx(10.0)


def test_method_default_changed():
    class Model:
        def loss(self, x, a=1.0):
            return a * x ** 2
    model = Model()
    g = grad(model.loss, wrt="x")
    assert g(1.0) == pytest.approx(2.0)
    Model.loss.__defaults__ = (5.0,)
    assert grad(model.loss, wrt="x")(1.0) == pytest.approx(10.0)
    with pytest.raises(ArgumentError, match="default of `a` in loss changed"):
        g(1.0)


def test_second_derivative_after_a_default_changed():
    def q(x, a=1.0):
        return a * x ** 3
    d2 = derivative(grad(q, wrt="x"), wrt="x")
    assert d2(1.0) == pytest.approx(6.0)
    q.__defaults__ = (5.0,)
    assert derivative(grad(q, wrt="x"), wrt="x")(1.0) == pytest.approx(30.0)
    with pytest.raises(ArgumentError, match="Differentiate q again"):
        d2(1.0)


def test_lambda_default_changed():
    square = lambda x, a=1.0: a * x ** 2      # noqa: E731
    assert grad(square, wrt="x")(1.0) == pytest.approx(2.0)
    square.__defaults__ = (4.0,)
    assert grad(square, wrt="x")(1.0) == pytest.approx(8.0)


def test_code_without_defaults_has_no_entry_test():
    def f(x, y):
        return math.sin(x) * y
    assert "generate_again" not in grad(f).source


def test_backend_code_is_generated_again_for_new_defaults():
    pytest.importorskip("numba")
    cubic = make_cubic()
    assert grad(cubic, wrt="x", backend="numba")(1.0) == pytest.approx(3.0)
    cubic.__defaults__ = (5.0,)
    assert grad(cubic, wrt="x", backend="numba")(1.0) == pytest.approx(15.0)
