"""Jacobians and Hessians of functions calling methods of an object passed for a
parameter left out of ``wrt`` (``model.predict(x)``): generated per class at the first
call, as ``grad`` does.

Oracles: SymPy's derivatives of the same expressions, central differences for NumPy code,
and forward-vs-reverse agreement."""

import math

import numpy as np
import pytest
import sympy

from differences import central
from s2sdiff import S2SDiffError, grad, hessian, jacfwd, jacobian, jacrev


class Tanh:
    def __init__(self, scale):
        self.scale = scale

    def predict(self, x):
        return self.scale * math.tanh(x)


class Cubic:
    def __init__(self, a):
        self.a = a

    def predict(self, x):
        return self.a * x ** 3


def loss(x, y, model):
    return model.predict(x) ** 2 * y


def features(x, y, model):
    return [model.predict(x) * y, model.predict(y)]


X, Y = sympy.symbols("x y")
AT = {X: 0.5, Y: 0.3}


def _sympy_predict(model, t):
    return model.scale * sympy.tanh(t) if isinstance(model, Tanh) else model.a * t ** 3


@pytest.mark.parametrize("model", [Tanh(2.0), Cubic(0.7)], ids=["Tanh", "Cubic"])
def test_hessian_and_jacobians_follow_the_method_of_the_class_given(model):
    scalar = _sympy_predict(model, X) ** 2 * Y
    want = [[float(sympy.diff(scalar, a, b).subs(AT)) for b in (X, Y)] for a in (X, Y)]
    np.testing.assert_allclose(hessian(loss, wrt=("x", "y"))(0.5, 0.3, model), want,
                               rtol=1e-12)
    vector = [_sympy_predict(model, X) * Y, _sympy_predict(model, Y)]
    want = [[float(sympy.diff(e, s).subs(AT)) for s in (X, Y)] for e in vector]
    for transform in (jacobian, jacfwd, jacrev):
        got = transform(features, wrt=("x", "y"))(0.5, 0.3, model)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_one_transform_serves_objects_of_several_classes():
    h = hessian(loss, wrt="x")
    assert "first call" in h.source
    first = float(h(0.5, 1.0, Tanh(1.0)))
    assert "type(model) is not Tanh" in h.source
    assert float(h(0.5, 1.0, Cubic(1.0))) == pytest.approx(30 * 0.5 ** 4, rel=1e-12)  # x^6
    t = math.tanh(0.5)
    assert first == pytest.approx(2 * (1 - t * t) ** 2 - 4 * t * t * (1 - t * t), rel=1e-12)
    assert float(h(0.5, 1.0, Tanh(1.0))) == first


class Affine:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __call__(self, x):
        return np.tanh(self.a * x + self.b)


def layer(x, model):
    return model(x) * x


def test_numpy_code_with_an_object_parameter():
    model = Affine(np.array([0.5, 1.0, -1.5]), 0.1)
    x = np.array([0.3, -0.2, 0.7])
    forward = jacfwd(layer, wrt="x")(x, model)
    reverse = jacrev(layer, wrt="x")(x, model)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12)
    numeric = np.array([central(lambda x: layer(x, model)[i], [x], 0) for i in range(3)])
    np.testing.assert_allclose(forward, numeric, rtol=1e-6, atol=1e-8)


def test_differentiating_the_object_is_still_refused_with_its_hint():
    with pytest.raises(S2SDiffError) as caught:
        hessian(loss)(0.5, 0.3, Tanh(2.0))
    assert "model.predict" in str(caught.value)


def test_grad_is_unchanged():
    assert grad(loss, wrt="x")(0.5, 1.0, Cubic(1.0)) == pytest.approx(6 * 0.5 ** 5)
