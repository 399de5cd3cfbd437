"""Methods of attributes of ``self`` called in a differentiated bound method (the
PyTorch-style model: ``self.l1.forward(x)``), resolved for the classes of the
attributes of the instance at hand (``s2sdiff/attribute_methods.py``): gradients against
central differences and closed forms in scalar and NumPy code, every transform, two
instances whose attributes have different classes, an attribute rebound to an object of
another class, subclass overrides, the entry checks, the generated source, and what
stays refused."""

import math

import numpy as np
import pytest

from differences import central
from s2sdiff import derivative, grad, hessian, jvp, value_and_grad, vjp
from s2sdiff.errors import S2SDiffError, UnsupportedError


def numeric(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def numeric2(f, x, h=1e-4):
    return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h)


# scalar code ---------------------------------------------------------------------------

class TanhAct:
    def __init__(self, k):
        self.k = k

    def apply(self, z):
        return self.k * math.tanh(z)


class SinAct:
    def __init__(self, k):
        self.k = k

    def apply(self, z):
        return self.k * math.sin(z)


class Poly:
    """a0 + a1 x + a2 x^2 ... by Horner's rule, a method calling a method of self."""

    def __init__(self, coeffs):
        self.coeffs = coeffs

    def term(self, acc, a, x):
        return acc * x + a

    def eval(self, x):
        acc = 0.0
        for a in reversed(self.coeffs):
            acc = self.term(acc, a, x)
        return acc


class Scalar:
    def __init__(self, act):
        self.act, self.poly, self.scale = act, Poly([0.5, -1.0, 0.25]), 1.5

    def predict(self, w, x):
        return self.act.apply(w * self.poly.eval(x))

    def loss(self, w, x, y):
        return self.scale * (self.predict(w, x) - y) ** 2


def scalar_loss(act, dact, w, x, y):
    p = 0.5 - x + 0.25 * x * x
    return 1.5 * (act(w * p) - y) ** 2, p


def scalar_dw(k, act, dact, w, x, y):
    _, p = scalar_loss(act, dact, w, x, y)
    return 1.5 * 2 * (k * act(w * p) - y) * k * dact(w * p) * p


def tanh_prime(u):
    return 1 - math.tanh(u) ** 2


def test_scalar_gradient_against_closed_form_and_central_differences():
    model = Scalar(TanhAct(2.0))
    dw, dx = grad(model.loss, wrt=("w", "x"))(0.7, 0.3, 0.2)
    assert dw == pytest.approx(scalar_dw(2.0, math.tanh, tanh_prime, 0.7, 0.3, 0.2), rel=1e-12)
    assert dw == pytest.approx(numeric(lambda w: model.loss(w, 0.3, 0.2), 0.7), rel=1e-7)
    assert dx == pytest.approx(numeric(lambda x: model.loss(0.7, x, 0.2), 0.3), rel=1e-7)


def test_scalar_every_transform():
    model = Scalar(TanhAct(2.0))
    w, x, y = 0.7, 0.3, 0.2
    expected = numeric(lambda w: model.loss(w, x, y), w)
    value, dw = value_and_grad(model.loss, wrt="w")(w, x, y)
    assert value == pytest.approx(model.loss(w, x, y), rel=1e-14)
    assert dw == pytest.approx(expected, rel=1e-7)
    assert derivative(model.loss, wrt="w")(w, x, y) == pytest.approx(dw, rel=1e-12)
    primal, tangent = jvp(model.loss, (w, x, y), (1.0, 0.0, 0.0))
    assert primal == pytest.approx(value, rel=1e-14) and tangent == pytest.approx(dw, rel=1e-12)
    _, pullback = vjp(model.loss, w, x, y)
    assert pullback(2.0)[0] == pytest.approx(2 * dw, rel=1e-12)
    h = hessian(model.loss, wrt="w")(w, x, y)
    assert h == pytest.approx(numeric2(lambda w: model.loss(w, x, y), w), rel=1e-5)


def test_two_instances_whose_attributes_have_different_classes():
    tanh_model, sin_model = Scalar(TanhAct(2.0)), Scalar(SinAct(0.5))
    g_tanh, g_sin = grad(tanh_model.loss, wrt="w"), grad(sin_model.loss, wrt="w")
    assert g_tanh.__func__ is not g_sin.__func__
    for _ in range(2):                 # in turn: neither reuses the other's code
        assert g_tanh(0.7, 0.3, 0.2) == pytest.approx(
            scalar_dw(2.0, math.tanh, tanh_prime, 0.7, 0.3, 0.2), rel=1e-12)
        assert g_sin(0.7, 0.3, 0.2) == pytest.approx(
            scalar_dw(0.5, math.sin, math.cos, 0.7, 0.3, 0.2), rel=1e-12)
    same = Scalar(TanhAct(3.0))        # attributes of the same classes: the same code
    assert grad(same.loss, wrt="w").__func__ is g_tanh.__func__


def test_an_attribute_rebound_to_an_object_of_another_class():
    model = Scalar(TanhAct(2.0))
    g = grad(model.loss, wrt="w")
    assert g(0.7, 0.3, 0.2) == pytest.approx(
        scalar_dw(2.0, math.tanh, tanh_prime, 0.7, 0.3, 0.2), rel=1e-12)
    model.act = SinAct(0.5)
    for _ in range(2):
        assert g(0.7, 0.3, 0.2) == pytest.approx(
            scalar_dw(0.5, math.sin, math.cos, 0.7, 0.3, 0.2), rel=1e-12)
    model.act = TanhAct(3.0)           # the same class again: its data read at the call
    assert g(0.7, 0.3, 0.2) == pytest.approx(
        scalar_dw(3.0, math.tanh, tanh_prime, 0.7, 0.3, 0.2), rel=1e-12)


class ShiftedTanh(TanhAct):
    """Overrides the attribute's method, and calls the base one through super()."""

    def apply(self, z):
        return super().apply(z) + 0.1 * z


class Gated:
    def gate(self, z):
        return math.tanh(z)

    def apply(self, z):
        return z * self.gate(z)


class SinGated(Gated):
    """Overrides only the method that the attribute's method calls."""

    def gate(self, z):
        return math.sin(z)


def test_subclass_overrides_of_the_attributes_methods():
    shifted = Scalar(ShiftedTanh(2.0))
    dw = grad(shifted.loss, wrt="w")(0.7, 0.3, 0.2)
    assert dw == pytest.approx(numeric(lambda w: shifted.loss(w, 0.3, 0.2), 0.7), rel=1e-7)
    gated, sin_gated = Scalar(Gated()), Scalar(SinGated())
    g, g_sin = grad(gated.loss, wrt="w"), grad(sin_gated.loss, wrt="w")
    for _ in range(2):
        assert g(0.7, 0.3, 0.2) == pytest.approx(
            numeric(lambda w: gated.loss(w, 0.3, 0.2), 0.7), rel=1e-7)
        assert g_sin(0.7, 0.3, 0.2) == pytest.approx(
            numeric(lambda w: sin_gated.loss(w, 0.3, 0.2), 0.7), rel=1e-7)
    gated.act = SinGated()              # same method `apply`, another `gate`: followed
    assert g(0.7, 0.3, 0.2) == pytest.approx(g_sin(0.7, 0.3, 0.2), rel=1e-12)


class Layer:
    def __init__(self, k):
        self.k = k

    def forward(self, x):
        return self.k * math.tanh(x)


class Encoder:
    def __init__(self):
        self.l1, self.l2 = Layer(1.5), Layer(-0.5)

    def forward(self, x):
        return self.l2.forward(self.l1.forward(x))


class Nested:
    def __init__(self):
        self.enc = Encoder()

    def loss(self, x):
        return self.enc.forward(x) ** 2 + self.enc.l1.forward(x)


def nested_value(x, k2=-0.5):
    a = 1.5 * math.tanh(x)
    return (k2 * math.tanh(a)) ** 2 + a


def test_nested_attributes():
    model = Nested()
    assert grad(model.loss)(0.4) == pytest.approx(numeric(nested_value, 0.4), rel=1e-7)
    assert derivative(model.loss)(0.4) == pytest.approx(numeric(nested_value, 0.4), rel=1e-7)
    g = grad(model.loss)
    model.enc.l2 = Layer(2.0)         # deeper, same class: data
    assert g(0.4) == pytest.approx(numeric(lambda x: nested_value(x, 2.0), 0.4), rel=1e-7)
    model.enc.l2 = ShiftedLayer(2.0)  # deeper, another class: followed
    assert g(0.4) == pytest.approx(numeric(model.loss, 0.4), rel=1e-7)


class ShiftedLayer(Layer):
    def forward(self, x):
        return self.k * math.tanh(x) + x


def test_a_method_rebound_in_the_attributes_class_regenerates():
    model = Scalar(TanhAct(2.0))
    g = grad(model.loss, wrt="w")
    g(0.7, 0.3, 0.2)
    original = TanhAct.apply
    try:
        TanhAct.apply = lambda self, z: self.k * z ** 3
        assert g(0.7, 0.3, 0.2) == pytest.approx(
            numeric(lambda w: model.loss(w, 0.3, 0.2), 0.7), rel=1e-7)
    finally:
        TanhAct.apply = original
    assert g(0.7, 0.3, 0.2) == pytest.approx(
        scalar_dw(2.0, math.tanh, tanh_prime, 0.7, 0.3, 0.2), rel=1e-12)


def test_an_instance_attribute_shadowing_the_attributes_method_is_refused():
    model = Scalar(TanhAct(2.0))
    g = grad(model.loss, wrt="w")
    g(0.7, 0.3, 0.2)
    model.act.apply = lambda z: z
    with pytest.raises(UnsupportedError) as caught:
        g(0.7, 0.3, 0.2)
    assert "self.act.apply" in str(caught.value) and "del self.act.apply" in caught.value.hint
    del model.act.apply
    assert g(0.7, 0.3, 0.2) == pytest.approx(
        scalar_dw(2.0, math.tanh, tanh_prime, 0.7, 0.3, 0.2), rel=1e-12)


# NumPy code ----------------------------------------------------------------------------

RNG = np.random.default_rng(3)


class Dense:
    def __init__(self, n_in, n_out):
        self.W, self.b = RNG.normal(size=(n_in, n_out)), RNG.normal(size=n_out)

    def forward(self, x):
        return np.tanh(x @ self.W + self.b)


class Residual(Dense):
    def __init__(self, n):
        super().__init__(n, n)

    def forward(self, x):
        return x + super().forward(x)


class Model:
    def __init__(self, hidden=None):
        self.l1 = Dense(3, 4)
        self.hidden = hidden if hidden is not None else Dense(4, 4)
        self.l2 = Dense(4, 1)

    def loss(self, x, y):
        h = self.l1.forward(x)
        h = self.hidden.forward(h)
        out = self.l2.forward(h)
        return np.mean((out[:, 0] - y) ** 2)


X, Y = RNG.normal(size=(5, 3)), RNG.normal(size=5)


def test_numpy_gradient_against_central_differences():
    model = Model()
    dx, dy = grad(model.loss)(X, Y)
    assert np.allclose(dx, central(model.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)
    assert np.allclose(dy, central(model.loss, [X, Y], 1), rtol=1e-6, atol=1e-9)


def test_numpy_every_transform():
    model = Model()
    expected = central(model.loss, [X, Y], 0)
    value, dx = value_and_grad(model.loss, wrt="x")(X, Y)
    assert value == pytest.approx(model.loss(X, Y), rel=1e-14)
    assert np.allclose(dx, expected, rtol=1e-6, atol=1e-9)
    _, pullback = vjp(model.loss, X, Y)
    assert np.allclose(pullback(1.0)[0], dx, rtol=1e-12)
    t = RNG.normal(size=X.shape)
    _, tangent = jvp(model.loss, (X, Y), (t, np.zeros(5)))
    assert tangent == pytest.approx(np.sum(dx * t), rel=1e-10)
    x1 = X[:1]
    H = hessian(model.loss, wrt="x")(x1, Y[:1])
    numeric_H = np.array([central(lambda x: grad(model.loss, wrt="x")(x, Y[:1])[0, i],
                                  [x1], 0)[0] for i in range(3)])
    assert np.allclose(H.reshape(3, 3), numeric_H, rtol=1e-5, atol=1e-7)


def test_numpy_attributes_of_different_classes_and_rebinding():
    plain, residual = Model(), Model(Residual(4))
    g_plain, g_residual = grad(plain.loss, wrt="x"), grad(residual.loss, wrt="x")
    for _ in range(2):
        assert np.allclose(g_plain(X, Y), central(plain.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)
        assert np.allclose(g_residual(X, Y), central(residual.loss, [X, Y], 0),
                           rtol=1e-6, atol=1e-9)
    plain.hidden = Residual(4)
    assert np.allclose(g_plain(X, Y), central(plain.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)
    plain.hidden = Dense(4, 4)
    assert np.allclose(g_plain(X, Y), central(plain.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)


def test_numpy_generated_source_reads_well():
    model = Model()
    g = grad(model.loss, wrt="x")
    g(X, Y)
    source = g.source
    guard = source.splitlines()[4]
    for test in ("Dense.forward is not forward_differentiated", "type(self.l1) is not Dense",
                 "type(self.hidden) is not Dense", "type(self.l2) is not Dense",
                 "'forward' in self.l1.__dict__"):
        assert test in guard, source
    assert guard.index("type(self.l1)") < guard.index("self.l1.__dict__")
    body = source[source.index("try:"):]
    for line in ("h1 = self.l1.W", "h3 = self.l1.b", "h = np.tanh(h4)"):
        assert line in body, source
    assert "forward(" not in body         # inlined: the layers' computations in the code


# golden source (scalar) ----------------------------------------------------------------

class Spring:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * x * x


class Mass:
    def __init__(self):
        self.spring = Spring(3.0)

    def total(self, x, v):
        return self.spring.energy(x) + 0.5 * v * v


GOLDEN = """\
def grad_total(self, x, v):
    # gradient of total(self, x, v): output total, with respect to x, v
    # generated by s2sdiff from test_attribute_methods.py, line LINE
    # if a function called below was rebound since this code was generated, generate it again
    if Spring.energy is not energy_differentiated or type(self.spring) is not Spring or 'energy' in self.spring.__dict__:
        return generate_again(self, x, v)
    try:
        # nothing below rejects a non-real v
        if not (type(v) is float):
            check_arguments('total', v=v)
        total1 = self.spring                          # (1)
        total2 = type(self.spring).energy(total1, x)  # (2)
        total3 = 0.5 * v                              # (3)
        total4 = total3 * v                           # (4)
        total = total2 + total4                       # (5)
        scalar_output(total)
        # backprop total4 = total3 * v
        dv = total3                                   # (4)
        # backprop total3 = 0.5 * v
        dv += 0.5 * v                                 # (3)
        # backprop total2 = type(self.spring).energy(total1, x)
        dx = pullback_energy(total1, x, 1.0)          # (2)
        return dx, dv
    except TypeError:
        check_arguments('total', x=x, v=v)
        raise
"""


def test_golden_source():
    g = grad(Mass().total)
    assert g(0.4, 2.0) == pytest.approx((1.2, 2.0), rel=1e-12)
    line = str(Mass.total.__code__.co_firstlineno)
    assert g.source == GOLDEN.replace("LINE", line), g.source


# refused -------------------------------------------------------------------------------

class Holder:
    def __init__(self):
        self._act = TanhAct(2.0)
        self.layers = [Layer(1.0), Layer(2.0)]
        self.table = {"a": Layer(1.0)}

    @property
    def act(self):
        return self._act

    def via_property(self, x):
        return self.act.apply(x)

    def via_list(self, x):
        h = x
        for layer in self.layers[::-1]:       # unrolled only when iterated as it is
            h = layer.forward(h)
        return h

    def via_local(self, x):
        layer = self._act
        return layer.apply(x)

    def reassigns(self, x):
        self._act = SinAct(1.0)
        return self._act.apply(x)

    def via_missing(self, x):
        return self.nothing.forward(x)


class Factory:
    @classmethod
    def make(cls, x):
        return 2.0 * x


class HoldsFactory:
    def __init__(self):
        self.factory = Factory()

    def calls(self, x):
        return self.factory.make(x)


@pytest.mark.parametrize("make, name, construct", [
    (Holder, "via_property", "of the property `self.act`"),
    (Holder, "via_list", "method call `layer.forward(...)` of `layer`, an object taken from `self.layers[::-1]`"),
    (Holder, "via_local", "method call `layer.apply(...)` of `layer`, an object taken from `self._act`"),
    (Holder, "via_missing", "method call `self.nothing.forward(...)` of the object"),
    (HoldsFactory, "calls", "call of the classmethod `self.factory.make(...)`"),
])
def test_refused_with_the_line_and_what_to_do(make, name, construct):
    with pytest.raises(S2SDiffError) as caught:
        grad(getattr(make(), name))(0.5)
    message = str(caught.value)
    assert construct in message, message
    assert "test_attribute_methods.py" in message
    assert caught.value.hint


def test_an_attribute_assigned_inside_the_function_is_refused():
    with pytest.raises(S2SDiffError) as caught:
        grad(Holder().reassigns)(0.5)
    assert "self._act = SinAct(1.0)" in str(caught.value)


def test_a_second_derivative_after_an_attribute_is_rebound_is_refused():
    model = Scalar(TanhAct(2.0))
    h = hessian(model.loss, wrt="w")
    assert h(0.7, 0.3, 0.2) == pytest.approx(
        numeric2(lambda w: model.loss(w, 0.3, 0.2), 0.7), rel=1e-5)
    model.act = SinAct(0.5)
    with pytest.raises(UnsupportedError) as caught:
        h(0.7, 0.3, 0.2)
    assert "attributes of other classes" in str(caught.value)
    assert "test_attribute_methods.py" in str(caught.value)
    assert hessian(model.loss, wrt="w")(0.7, 0.3, 0.2) == pytest.approx(      # made again
        numeric2(lambda w: model.loss(w, 0.3, 0.2), 0.7), rel=1e-5)
    model.act = TanhAct(2.0)
    assert h(0.7, 0.3, 0.2) == pytest.approx(                                 # as it was
        numeric2(lambda w: model.loss(w, 0.3, 0.2), 0.7), rel=1e-5)


# assorted attribute objects -----------------------------------------------------------

class Squarer:
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    @staticmethod
    def square(u):
        return u * u

    def scaled(self, u, *, shift=0.0):
        return self.k * self.square(u + shift)


class Assorted:
    shared = Squarer(0.5)                      # a class attribute

    def __init__(self):
        self.__private = Squarer(2.0)          # mangled: _Assorted__private
        self.slotted = Squarer(3.0)
        self.alias = self.slotted              # the same object under two names

    def loss(self, x):
        return (self.__private.scaled(x) + self.slotted.scaled(x, shift=0.5)
                + self.alias.square(x) + self.shared.scaled(math.sin(x)))


def assorted_value(x):
    return 2.0 * x * x + 3.0 * (x + 0.5) ** 2 + x * x + 0.5 * math.sin(x) ** 2


def test_slots_staticmethods_keywords_private_shared_and_class_attributes():
    model = Assorted()
    expected = numeric(assorted_value, 0.4)
    assert grad(model.loss)(0.4) == pytest.approx(expected, rel=1e-7)
    assert derivative(model.loss)(0.4) == pytest.approx(expected, rel=1e-7)
    assert "__dict__" not in grad(model.loss).source.splitlines()[4]     # slots: no shadowing


class Tupled:
    def __init__(self):
        self.pair = PairMaker()

    def loss(self, x):
        a, b = self.pair.both(x)
        return a * b


class PairMaker:
    def both(self, x):
        return math.sin(x), math.cos(x)


def test_an_attributes_method_returning_a_tuple():
    assert grad(Tupled().loss)(0.3) == pytest.approx(math.cos(0.6), rel=1e-12)


class Counting:
    def __init__(self):
        self.n = 0
        self.k = 2.0

    @property
    def scale(self):
        self.n += 1
        return self.k

    def apply(self, x):
        return self.scale * x


class ReadsCounting:
    def __init__(self):
        self.inner = Counting()

    def through(self, x):
        return self.inner.apply(x) * x


def test_a_property_that_writes_read_in_an_attributes_method_is_refused():
    with pytest.raises(UnsupportedError) as caught:
        grad(ReadsCounting().through)(0.5)
    assert "property with side effects" in str(caught.value.construct)
    assert "assigns an attribute" in str(caught.value)


def test_check_grad_of_a_model_of_layers():
    from s2sdiff.check import check_grad
    model = Model()
    result = check_grad(model.loss, X, Y)
    assert result.worst[3] <= 1


# programs written in that style --------------------------------------------------------

class Cell:
    def __init__(self, n_in, n_hidden):
        self.Wh = 0.5 * RNG.normal(size=(n_hidden, n_hidden))
        self.Wx = RNG.normal(size=(n_in, n_hidden))
        self.b = 0.1 * RNG.normal(size=n_hidden)

    def forward(self, h, x):
        return np.tanh(h @ self.Wh + x @ self.Wx + self.b)


class Readout:
    def __init__(self, n_hidden):
        self.V = RNG.normal(size=(n_hidden, 2))

    def forward(self, h):
        return h @ self.V


class RNN:
    """A recurrent network whose cell and readout are objects; the cell runs in a loop."""

    def __init__(self):
        self.cell, self.readout = Cell(2, 3), Readout(3)

    def loss(self, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = self.cell.forward(h, xs[t])
        return np.sum(self.readout.forward(h) ** 2)


class HardSpring:
    def __init__(self, k, c):
        self.k, self.c = k, c

    def force(self, x):
        return -self.k * x - self.c * x ** 3


class QuadraticDrag:
    def __init__(self, mu):
        self.mu = mu

    def force(self, v):
        return -self.mu * v * abs(v)


class LinearDrag(QuadraticDrag):
    def force(self, v):
        return -self.mu * v


class Oscillator:
    """Semi-implicit Euler of x'' = spring(x) + drag(x'), the forces objects (scalar code)."""

    def __init__(self, drag):
        self.spring, self.drag, self.dt = HardSpring(2.0, 0.3), drag, 0.05

    def energy(self, x, v):
        return 0.5 * v * v + 0.5 * self.spring.k * x * x

    def simulate(self, x0, v0, n):
        x, v = x0, v0
        for _ in range(n):
            v = v + self.dt * (self.spring.force(x) + self.drag.force(v))
            x = x + self.dt * v
        return self.energy(x, v)


class LayerNorm:
    def __init__(self, eps):
        self.eps = eps

    def apply(self, X):
        mu = np.mean(X, axis=1, keepdims=True)
        var = np.mean((X - mu) ** 2, axis=1, keepdims=True)
        return (X - mu) / np.sqrt(var + self.eps)


class Attention:
    def __init__(self, d):
        self.Wq, self.Wk, self.Wv = (RNG.normal(size=(d, d)) / d for _ in range(3))

    def scores(self, X):
        S = (X @ self.Wq) @ (X @ self.Wk).T
        E = np.exp(S - np.max(S, axis=1, keepdims=True))
        return E / np.sum(E, axis=1, keepdims=True)

    def forward(self, X):
        return self.scores(X) @ (X @ self.Wv)


class Block:
    def __init__(self, d):
        self.norm, self.attn = LayerNorm(1e-5), Attention(d)

    def forward(self, X):
        return X + self.attn.forward(self.norm.apply(X))


class Transformer:
    """A pre-norm attention block: methods of attributes of attributes (self.block.attn)."""

    def __init__(self, d):
        self.block = Block(d)

    def loss(self, X):
        return np.sum(np.tanh(self.block.forward(X)) ** 2)


def test_program_recurrent_network():
    model = RNN()
    xs, h0 = RNG.normal(size=(4, 2)), RNG.normal(size=3)
    dxs, dh0 = grad(model.loss)(xs, h0)
    assert np.allclose(dxs, central(model.loss, [xs, h0], 0), rtol=1e-6, atol=1e-9)
    assert np.allclose(dh0, central(model.loss, [xs, h0], 1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("drag", [QuadraticDrag(0.4), LinearDrag(0.4)],
                         ids=["quadratic", "linear"])
def test_program_oscillator(drag):
    model = Oscillator(drag)
    dx0, dv0 = grad(model.simulate, wrt=("x0", "v0"))(0.8, -0.3, 30)
    assert dx0 == pytest.approx(numeric(lambda x: model.simulate(x, -0.3, 30), 0.8), rel=1e-6)
    assert dv0 == pytest.approx(numeric(lambda v: model.simulate(0.8, v, 30), -0.3), rel=1e-6)


def test_program_attention_block():
    model = Transformer(3)
    X = RNG.normal(size=(4, 3))
    assert np.allclose(grad(model.loss)(X), central(model.loss, [X], 0), rtol=1e-6, atol=1e-8)


def test_classes_defined_in_a_function_are_read_through_cells():
    class Cube:
        def __init__(self, k):
            self.k = k

        def apply(self, z):
            return self.k * z ** 3

    class Local:
        def __init__(self, act):
            self.act = act

        def loss(self, x):
            return self.act.apply(x) + x

    cube, tanh = Local(Cube(2.0)), Local(TanhAct(1.5))
    g = grad(cube.loss)
    assert g(0.5) == pytest.approx(2.0 * 3 * 0.25 + 1.0, rel=1e-12)
    assert grad(tanh.loss)(0.5) == pytest.approx(1.5 * tanh_prime(0.5) + 1.0, rel=1e-12)
    guard = g.source.splitlines()[4]
    assert "type(self.act) is not Cube_class" in guard and "Cube_class.apply" in guard, guard
    cube.act = TanhAct(1.5)
    assert g(0.5) == pytest.approx(1.5 * tanh_prime(0.5) + 1.0, rel=1e-12)


class Wave:
    """A layer of another class, with other attribute names than Dense."""

    def __init__(self, n):
        self.s = np.linspace(0.5, 1.5, n)

    def forward(self, x):
        return np.sin(x * self.s)


def test_numpy_an_attribute_rebound_to_an_object_with_other_attributes():
    model = Model()
    g = grad(model.loss, wrt="x")
    assert np.allclose(g(X, Y), central(model.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)
    model.hidden = Wave(4)             # the code read self.hidden.W: Wave has none
    for _ in range(2):
        assert np.allclose(g(X, Y), central(model.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)
    model.hidden = Dense(4, 4)
    assert np.allclose(g(X, Y), central(model.loss, [X, Y], 0), rtol=1e-6, atol=1e-9)
    del model.hidden.W                 # the user's own error: stands as it is
    with pytest.raises(AttributeError):
        g(X, Y)
