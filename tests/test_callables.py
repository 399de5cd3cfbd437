"""Bound methods, attributes of parameters, nested functions and lambdas, and
function-valued parameters (README "Methods, attributes and functions as values"),
checked against closed forms and central differences."""

import math

import numpy as np
import pytest

from s2sdiff import derivative, grad, jvp, value_and_grad
from s2sdiff.errors import S2SDiffError


def central(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


class Model:
    def __init__(self):
        self.scale = 3.0
        self.__private = 2.0
        self.layers = [1.5, 2.5]
        self.w = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]])

    def loss(self, x):
        return x * self.scale

    def private(self, x):
        return x * self.__private + self.layers[1] * x * x

    def two(self, x, y):
        return self.scale * math.sin(x) * y

    def arrays(self, x):
        return np.sum(np.tanh(self.w @ x))

    def store(self, x):
        self.scale = x
        return x


def relu(u):
    return u if u > 0.0 else 0.0


class Config:
    lr = 0.5

    def __init__(self, X):
        self.X = X


def test_bound_method_reads_self_as_data():
    m = Model()
    assert grad(m.loss)(2.0) == 3.0
    assert grad(m.private)(2.0) == pytest.approx(2.0 + 2 * 2.5 * 2.0)     # mangled __private
    assert "self._Model__private" in grad(m.private).source
    m.scale = 5.0                        # read at call time, not baked in
    assert grad(m.loss)(2.0) == 5.0


def test_bound_method_wrt_counts_explicit_parameters():
    m = Model()
    x, y = 0.4, 1.7
    expected = (3.0 * math.cos(x) * y, 3.0 * math.sin(x))
    assert grad(m.two)(x, y) == pytest.approx(expected)
    assert grad(m.two, wrt=1)(x, y) == pytest.approx(expected[1])
    assert grad(m.two, wrt="x")(x, y) == pytest.approx(expected[0])
    value, gradient = value_and_grad(m.two)(x, y)
    assert value == pytest.approx(m.two(x, y)) and gradient == pytest.approx(expected)
    assert derivative(m.two)(x, y) == pytest.approx(expected)
    assert jvp(m.two, (x, y), (1.0, 0.0))[1] == pytest.approx(expected[0])


def test_bound_method_numpy_and_respecialised_for_new_attribute_shapes():
    m = Model()
    x = np.array([0.2, -0.1, 0.4])
    g = grad(m.arrays)
    expected = m.w.T @ (1 - np.tanh(m.w @ x) ** 2)
    np.testing.assert_allclose(g(x), expected)
    m.w = np.arange(12.0).reshape(4, 3) / 10
    np.testing.assert_allclose(g(x), m.w.T @ (1 - np.tanh(m.w @ x) ** 2))


def test_attributes_of_a_non_differentiated_parameter_are_constants():
    def scaled(x, cfg):
        return x * x * cfg.lr

    assert grad(scaled, wrt="x")(3.0, Config(None)) == pytest.approx(3.0)

    def least_squares(w, data):
        r = data.X @ w - 1.0
        return np.sum(r * r)

    X = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.1]])
    w = np.array([0.3, -0.2])
    np.testing.assert_allclose(grad(least_squares, wrt=0)(w, Config(X)),
                               2 * X.T @ (X @ w - 1.0))


def test_attribute_of_a_differentiated_parameter_is_refused():
    def scaled(x, cfg):
        return x * cfg.lr

    with pytest.raises(S2SDiffError, match="attribute of the differentiated parameter `cfg`") as info:
        grad(scaled)(2.0, Config(None))
    assert "fields as parameters" in str(info.value) and info.value.lineno is not None


def test_attribute_write_is_refused():
    with pytest.raises(S2SDiffError, match="assignment to the attribute `self.scale`") as info:
        grad(Model().store)
    assert info.value.lineno is not None


def test_nested_def_and_lambda_are_inlined():
    def nd(x):
        def sq(u):
            return u * u
        return sq(x) + 1.0

    assert grad(nd)(3.0) == 6.0
    assert "sq" not in grad(nd).source

    def lam(x):
        sq = lambda u: u * u        # noqa: E731
        return sq(x)

    assert grad(lam)(3.0) == 6.0


def test_closure_over_differentiated_variables_is_exact():
    def closure(x, k):
        def f(u):
            t = u * k
            return math.sin(t) * x
        return f(x) + f(2.0)

    x, k = 0.7, 1.3
    expected_x = math.sin(x * k) + x * k * math.cos(x * k) + math.sin(2.0 * k)
    expected_k = x * x * math.cos(x * k) + 2.0 * x * math.cos(2.0 * k)
    assert grad(closure)(x, k) == pytest.approx((expected_x, expected_k))


def test_late_binding_and_loops():
    def late(x):
        k = x
        g = lambda u: u * k        # noqa: E731
        k = x * x
        return g(2.0)              # reads k = x * x at the call

    assert grad(late)(3.0) == pytest.approx(12.0)

    def looped(x):
        def h(u):
            return u * x
        t = 0.0
        for i in range(3):
            t = t + h(t + 1.0)
        return t

    def looped_plain(x):
        t = 0.0
        for i in range(3):
            t = t + (t + 1.0) * x
        return t

    assert grad(looped)(0.7) == pytest.approx(central(looped_plain, 0.7), rel=1e-7)


def test_nested_function_limits_are_refused():
    def in_block(x):
        if x > 0:
            def q(u):
                return u
        return q(x)

    def recursive(x):
        def r(u):
            return r(u)
        return r(x)

    def with_loop(x):
        def q(u):
            for i in range(2):
                u = u * 2
            return u
        return q(x)

    def as_value(x):
        def q(u):
            return u
        f = q
        return f(x)

    for f, message in ((in_block, "inside a block"), (recursive, "recursive call"),
                       (with_loop, "other than assignments"), (as_value, "used as a value")):
        with pytest.raises(S2SDiffError, match=message) as info:
            grad(f)(1.0)
        assert info.value.lineno is not None


def test_function_valued_parameter_defaults_and_regeneration():
    def act(x, f=np.tanh):
        return np.sum(f(x))

    x = np.array([0.3, -0.4])
    np.testing.assert_allclose(grad(act)(x), 1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(grad(act)(x, np.sin), np.cos(x))
    np.testing.assert_allclose(grad(act)(x, f=np.exp), np.exp(x))
    np.testing.assert_allclose(grad(act)(x), 1 - np.tanh(x) ** 2)

    def scalar(x, f=relu, *, g=math.tanh):
        return f(x) * g(x)

    for value in (0.5, -0.5):
        def plain(v):
            return relu(v) * math.tanh(v)
        assert grad(scalar)(value) == pytest.approx(central(plain, value))
    assert grad(scalar)(0.5, math.sin) == pytest.approx(
        central(lambda v: math.sin(v) * math.tanh(v), 0.5))
    assert grad(scalar)(0.5, g=math.exp) == pytest.approx(central(lambda v: relu(v) * math.exp(v), 0.5))


def test_function_valued_parameter_is_not_differentiated():
    def act(x, f=math.tanh):
        return f(x)

    with pytest.raises(S2SDiffError, match="parameter `f` is called as a function"):
        grad(act, wrt=(0, 1))
