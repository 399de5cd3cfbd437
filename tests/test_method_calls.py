"""A bound method calling other methods of ``self`` (``grad(model.loss)`` where ``loss``
calls ``self.predict``): gradients against closed forms and central differences in
scalar and NumPy code, chains, loops, overriding subclasses, every transform, the entry
checks (a method rebound in the class, an instance attribute shadowing it, a changed
class) and what stays refused."""

import dataclasses
import functools
import math
import typing

import numpy as np
import pytest

from differences import central
from s2sdiff import derivative, grad, hessian, hvp, jvp, value_and_grad, vjp
from s2sdiff.check import check_grad
from s2sdiff.errors import S2SDiffError, UnsupportedError

XS, YS = [0.1, 0.5, -0.3], [0.2, 0.7, -0.1]


def numeric(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# scalar code ---------------------------------------------------------------------------

class Model:
    def __init__(self, scale):
        self.scale = scale

    def act(self, u):
        return math.tanh(u)

    def predict(self, w, x):
        return self.scale * self.act(w * x)

    def loss(self, w, xs, ys):
        return sum((self.predict(w, x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)

    def one(self, w, x, y):
        return (self.predict(w, x) - y) ** 2


class SinModel(Model):
    def act(self, u):
        return math.sin(u)


def loss_closed_form(scale, act, dact, w):
    """d/dw of mean((scale * act(w x) - y)^2)."""
    return sum(2 * (scale * act(w * x) - y) * scale * dact(w * x) * x
               for x, y in zip(XS, YS)) / len(XS)


def tanh_prime(u):
    return 1 - math.tanh(u) ** 2


def test_the_issue_example():
    model = Model(2.0)
    g = grad(model.loss, wrt="w")(0.7, XS, YS)
    assert g == pytest.approx(loss_closed_form(2.0, math.tanh, tanh_prime, 0.7), rel=1e-12)
    assert g == pytest.approx(numeric(lambda w: model.loss(w, XS, YS), 0.7), rel=1e-7)


def test_subclass_overriding_the_called_method_gets_its_own_gradient():
    base, sub = Model(2.0), SinModel(1.5)
    g_base, g_sub = grad(base.loss, wrt="w"), grad(sub.loss, wrt="w")
    for _ in range(2):             # called in turn: neither reuses the other's code
        assert g_base(0.7, XS, YS) == pytest.approx(
            loss_closed_form(2.0, math.tanh, tanh_prime, 0.7), rel=1e-12)
        assert g_sub(0.7, XS, YS) == pytest.approx(
            loss_closed_form(1.5, math.sin, math.cos, 0.7), rel=1e-12)
    assert g_base.__func__ is not g_sub.__func__


def test_instances_of_one_class_share_the_generated_code():
    a, b = Model(2.0), Model(3.0)
    ga, gb = grad(a.loss, wrt="w"), grad(b.loss, wrt="w")
    assert ga.__func__ is gb.__func__
    assert gb(0.7, XS, YS) == pytest.approx(
        loss_closed_form(3.0, math.tanh, tanh_prime, 0.7), rel=1e-12)


class Chain:
    """loss -> predict -> feature -> base: a chain of four methods, attributes read in each."""

    def __init__(self):
        self.a, self.b, self.c = 1.5, -0.4, 0.8

    def base(self, u):
        return math.exp(self.c * u)

    def feature(self, w, x):
        return self.b + self.base(w * x)

    def predict(self, w, x):
        return self.a * math.log(self.feature(w, x) ** 2 + 1.0)

    def loss(self, w, x, y):
        return (self.predict(w, x) - y) ** 2


def chain_value(w, x, y, a=1.5, b=-0.4, c=0.8):
    feature = b + math.exp(c * w * x)
    return (a * math.log(feature ** 2 + 1.0) - y) ** 2


def chain_grad(w, x, y, a=1.5, b=-0.4, c=0.8):
    e = math.exp(c * w * x)
    feature = b + e
    predict = a * math.log(feature ** 2 + 1.0)
    return 2 * (predict - y) * a * 2 * feature / (feature ** 2 + 1.0) * e * c * x


@pytest.mark.parametrize("w", [0.3, -1.2, 2.0])
def test_a_chain_of_methods(w):
    model = Chain()
    dw, dx = grad(model.loss, wrt=("w", "x"))(w, 0.6, 0.4)
    assert dw == pytest.approx(chain_grad(w, 0.6, 0.4), rel=1e-12)
    assert dx == pytest.approx(numeric(lambda x: chain_value(w, x, 0.4), 0.6), rel=1e-7)


def test_every_transform_on_a_chain():
    model = Chain()
    w, x, y = 0.3, 0.6, 0.4
    expected = chain_grad(w, x, y)
    value, dw = value_and_grad(model.loss, wrt="w")(w, x, y)
    assert value == pytest.approx(chain_value(w, x, y), rel=1e-12)
    assert dw == pytest.approx(expected, rel=1e-12)
    assert derivative(model.loss, wrt="w")(w, x, y) == pytest.approx(expected, rel=1e-12)
    primal, tangent = jvp(model.loss, (w, x, y), (1.0, 0.0, 0.0))
    assert primal == pytest.approx(chain_value(w, x, y), rel=1e-12)
    assert tangent == pytest.approx(expected, rel=1e-12)
    primal, pullback = vjp(model.loss, w, x, y)
    cotangents = pullback(2.0)
    assert cotangents[0] == pytest.approx(2.0 * expected, rel=1e-12)
    # vjp and jvp agree along another direction: <v, J t> = <J^T v, t>
    t = (0.3, -0.7, 0.2)
    _, forward = jvp(model.loss, (w, x, y), t)
    assert forward == pytest.approx(sum(a * b for a, b in zip(pullback(1.0), t)), rel=1e-12)


def test_hessian_of_a_method_calling_methods():
    model = Model(2.0)
    h = hessian(model.one, wrt="w")(0.7, 0.3, 0.2)
    # d2/dw2 (2 tanh(0.3 w) - 0.2)^2 = 2 (2 x s)^2 - 2 (2 tanh - y) 2 * 2 x^2 s t, s = sech^2
    t = math.tanh(0.21)
    s = 1 - t * t
    exact = 2 * (2 * 0.3 * s) ** 2 + 2 * (2 * t - 0.2) * 2 * 0.09 * (-2 * t * s)
    assert h == pytest.approx(exact, rel=1e-10)


class Integrator:
    """Euler steps of dy/dt = -k y + sin(t), the step a method called in the loop."""

    def __init__(self, dt):
        self.dt = dt

    def rate(self, k, y, t):
        return -k * y + math.sin(t)

    def step(self, k, y, t):
        return y + self.dt * self.rate(k, y, t)

    def final(self, k, y0, n):
        y = y0
        for i in range(n):
            y = self.step(k, y, i * self.dt)
        return y


def test_methods_called_in_a_loop():
    model = Integrator(0.05)
    dk, dy0 = grad(model.final, wrt=("k", "y0"))(0.8, 1.3, 40)
    assert dk == pytest.approx(numeric(lambda k: model.final(k, 1.3, 40), 0.8), rel=1e-7)
    assert dy0 == pytest.approx((1 - 0.05 * 0.8) ** 40, rel=1e-12)    # linear in y0


def test_checkpointed_loop_calling_methods_equals_the_tape():
    model = Integrator(0.05)
    taped = grad(model.final, wrt=("k", "y0"))(0.8, 1.3, 40)
    for checkpoint in ("sqrt", ("binomial", 3)):
        g = grad(model.final, wrt=("k", "y0"), checkpoint=checkpoint)
        assert g(0.8, 1.3, 40) == pytest.approx(taped, rel=1e-12)


class Keywords:
    def __init__(self):
        self.bias = 0.25

    def shifted(self, x, shift=0.5, *, power=2):
        return (x + shift + self.bias) ** power

    def total(self, x):
        return self.shifted(x) + self.shifted(shift=-1.0, x=x) + self.shifted(x, power=3)


def test_keywords_and_defaults_of_the_called_method():
    model = Keywords()
    expected = 2 * (0.4 + 0.75) + 2 * (0.4 - 0.75) + 3 * (0.4 + 0.75) ** 2
    assert grad(model.total)(0.4) == pytest.approx(expected, rel=1e-12)


class Statics:
    def __init__(self):
        self.k = 3.0

    @staticmethod
    def square(u):
        return u * u

    def energy(self, x):
        return self.k * self.square(math.sin(x))


def test_a_staticmethod_called_through_self():
    model = Statics()
    assert grad(model.energy)(0.4) == pytest.approx(3.0 * 2 * math.sin(0.4) * math.cos(0.4),
                                                    rel=1e-12)


class Slotted:
    __slots__ = ("scale",)

    def __init__(self):
        self.scale = 2.0

    def inner(self, x):
        return self.scale * x * x

    def outer(self, x):
        return math.sin(self.inner(x))


def test_a_class_with_slots_has_no_shadowing_test():
    model = Slotted()
    g = grad(model.outer)
    assert g(0.3) == pytest.approx(math.cos(0.18) * 1.2, rel=1e-12)
    assert "__dict__" not in g.source


class WithProperty:
    def __init__(self):
        self._scale = 1.5

    @property
    def scale(self):
        return 2.0 * self._scale

    def inner(self, x):
        return self.scale * x ** 3

    def outer(self, x):
        return self.inner(x) + self.scale


def test_a_property_read_as_data_in_the_called_method():
    assert grad(WithProperty().outer)(0.5) == pytest.approx(3.0 * 3 * 0.25, rel=1e-12)


def test_check_grad_of_a_method_calling_methods():
    model = Chain()
    result = check_grad(model.loss, 0.3, 0.6, 0.4)     # raises where they differ
    assert len(result.rows) == 3 and result.worst[3] <= 1


class Assorted:
    """Private, recursive and tuple-returning methods, and an instance only passed on."""

    def __init__(self):
        self.k = 0.5

    def __cube(self, x):
        return self.k * x ** 3

    def private(self, x):
        return self.__cube(x) + 1.0

    def power(self, x, n):
        if n == 0:
            return 1.0
        return x * self.power(x, n - 1)

    def recursive(self, x):
        return self.k * self.power(x, 4)

    def pair(self, x):
        return math.sin(x) * self.k, math.cos(x)

    def from_pair(self, x):
        a, b = self.pair(x)
        return a * b

    def square(self, x):
        return x * x

    def passed_on(self, x):
        return math.exp(self.square(x))


class MoreAssorted(Assorted):
    pass


@pytest.mark.parametrize("cls", [Assorted, MoreAssorted])
@pytest.mark.parametrize("name, expected", [
    ("private", lambda x: 1.5 * x * x),
    ("recursive", lambda x: 2.0 * x ** 3),
    ("from_pair", lambda x: 0.5 * math.cos(2 * x)),
    ("passed_on", lambda x: 2 * x * math.exp(x * x)),
])
def test_private_recursive_tuple_and_passed_on(cls, name, expected):
    method = getattr(cls(), name)
    assert grad(method)(0.4) == pytest.approx(expected(0.4), rel=1e-12)
    assert derivative(method)(0.4) == pytest.approx(expected(0.4), rel=1e-12)


def test_hvp_of_methods_calling_methods():
    model = Model(2.0)
    h = hvp(model.one, (0.7, 0.3, 0.2), (1.0, 0.0, 0.0))
    t = math.tanh(0.21)
    s = 1 - t * t
    exact = 2 * (2 * 0.3 * s) ** 2 + 2 * (2 * t - 0.2) * 2 * 0.09 * (-2 * t * s)
    assert h[0] == pytest.approx(exact, rel=1e-10)
    net = Net(1.5)
    v = RNG.normal(size=3)
    product = hvp(net.loss, (W3, X53, Y5), (v, np.zeros_like(X53), np.zeros(5)))[0]
    assert np.allclose(product, hessian(net.loss, wrt="W")(W3, X53, Y5) @ v, rtol=1e-10)


class Base:
    def __init__(self):
        self.k = 2.0

    def act(self, u):
        return math.tanh(u)

    def predict(self, x):
        return self.k * self.act(x)


class Child(Base):
    def act(self, u):
        return math.sin(u)

    def predict(self, x):
        return super().predict(x) + self.k * x

    def loss(self, x):
        return self.predict(x) ** 2


class Explicit(Base):
    def predict(self, x):
        return super(Explicit, self).predict(x) * 3.0

    def loss(self, x):
        return self.predict(x) ** 2


def test_super_calls_the_base_method_resolved_for_the_instance():
    x = 0.4
    p = 2 * math.sin(x) + 2 * x                 # Base.predict calls Child.act
    assert grad(Child().loss)(x) == pytest.approx(2 * p * (2 * math.cos(x) + 2), rel=1e-12)
    assert derivative(Child().loss)(x) == pytest.approx(2 * p * (2 * math.cos(x) + 2),
                                                        rel=1e-12)
    p = 6 * math.tanh(x)
    assert grad(Explicit().loss)(x) == pytest.approx(2 * p * 6 * tanh_prime(x), rel=1e-12)


def test_super_in_a_class_defined_in_a_function():
    class Local(Base):
        def predict(self, x):
            return 0.5 * super().predict(x)

        def loss(self, x):
            return self.predict(x) ** 3

    x = 0.3
    p = math.tanh(x)
    assert grad(Local().loss)(x) == pytest.approx(3 * p * p * tanh_prime(x), rel=1e-12)


@dataclasses.dataclass(frozen=True)
class Frozen:
    scale: float

    def predict(self, x):
        return self.scale * math.sin(x)

    def loss(self, x):
        return self.predict(x) ** 2


class Pair(typing.NamedTuple):
    scale: float

    def predict(self, x):
        return self.scale * math.sin(x)

    def loss(self, x):
        return self.predict(x) ** 2


@pytest.mark.parametrize("model", [Frozen(2.0), Pair(2.0)], ids=["dataclass", "namedtuple"])
def test_dataclass_and_namedtuple_methods(model):
    g = grad(model.loss)
    assert g(0.3) == pytest.approx(8 * math.sin(0.3) * math.cos(0.3), rel=1e-12)
    assert ("__dict__" in g.source) == isinstance(model, Frozen)     # a tuple has none


class Factory:
    @classmethod
    def square(cls, x):
        return x * x


def test_a_classmethod_bound_to_its_class_is_differentiated_as_before():
    assert grad(Factory.square)(0.3) == pytest.approx(0.6, rel=1e-12)


# the entry checks ----------------------------------------------------------------------

class Patched:
    def __init__(self):
        self.scale = 2.0

    def act(self, u):
        return math.tanh(u)

    def loss(self, w, x):
        return self.scale * self.act(w * x)


def test_a_method_rebound_in_the_class_regenerates():
    model = Patched()
    g = grad(model.loss, wrt="w")
    assert g(0.5, 0.3) == pytest.approx(2.0 * 0.3 * tanh_prime(0.15), rel=1e-12)
    original = Patched.act
    try:
        Patched.act = lambda self, u: u ** 3
        assert g(0.5, 0.3) == pytest.approx(2.0 * 3 * 0.15 ** 2 * 0.3, rel=1e-12)
    finally:
        Patched.act = original
    assert g(0.5, 0.3) == pytest.approx(2.0 * 0.3 * tanh_prime(0.15), rel=1e-12)


def test_a_hessian_follows_a_method_rebound_in_the_class():
    model = Patched()
    h = hessian(model.loss, wrt="w")
    t = math.tanh(0.15)
    assert h(0.5, 0.3) == pytest.approx(2.0 * 0.09 * (-2 * t * (1 - t * t)), rel=1e-10)
    original = Patched.act
    try:
        Patched.act = lambda self, u: u ** 3
        assert h(0.5, 0.3) == pytest.approx(2.0 * 6 * 0.15 * 0.09, rel=1e-10)
    finally:
        Patched.act = original
    assert h(0.5, 0.3) == pytest.approx(2.0 * 0.09 * (-2 * t * (1 - t * t)), rel=1e-10)


def test_an_instance_attribute_shadowing_the_method_after_generation_is_refused():
    model = Patched()
    g = grad(model.loss, wrt="w")
    g(0.5, 0.3)
    model.act = lambda u: u ** 3        # model.loss now calls this: never the stale gradient
    with pytest.raises(UnsupportedError) as caught:
        g(0.5, 0.3)
    message = str(caught.value)
    assert "shadows the method Patched.act" in message and "del obj.act" in message
    assert "test_method_calls.py" in message
    del model.act
    assert g(0.5, 0.3) == pytest.approx(2.0 * 0.3 * tanh_prime(0.15), rel=1e-12)


def test_an_instance_attribute_shadowing_before_generation_is_refused():
    model = Model(2.0)
    model.predict = lambda w, x: w * x
    with pytest.raises(UnsupportedError, match="shadows the method Model.predict"):
        grad(model.loss, wrt="w")(0.7, XS, YS)


def test_shadowing_a_method_deeper_in_the_chain_is_refused():
    model = Chain()
    g = grad(model.loss, wrt="w")
    g(0.3, 0.6, 0.4)
    model.base = lambda u: u
    with pytest.raises(UnsupportedError, match="shadows the method Chain.base"):
        g(0.3, 0.6, 0.4)


def test_a_changed_class_is_refused():
    model = Model(2.0)
    g = grad(model.loss, wrt="w")
    g(0.7, XS, YS)
    model.__class__ = SinModel
    with pytest.raises(UnsupportedError, match="instance of SinModel"):
        g(0.7, XS, YS)


# NumPy code ----------------------------------------------------------------------------

class Net:
    def __init__(self, scale):
        self.scale = scale

    def layer(self, W, X):
        return np.tanh(X @ W)

    def forward(self, W, X):
        return self.scale * self.layer(W, X)

    def loss(self, W, X, y):
        return np.mean((self.forward(W, X) - y) ** 2)


class SoftNet(Net):
    def layer(self, W, X):
        return np.log1p(np.exp(X @ W))


RNG = np.random.default_rng(5)
W3, X53, Y5 = RNG.normal(size=3), RNG.normal(size=(5, 3)), RNG.normal(size=5)


def test_numpy_methods_against_closed_form_and_central_differences():
    net = Net(1.5)
    g = grad(net.loss, wrt="W")(W3, X53, Y5)
    t = np.tanh(X53 @ W3)
    exact = X53.T @ (2 * (1.5 * t - Y5) * 1.5 * (1 - t * t)) / 5
    assert np.allclose(g, exact, rtol=1e-12, atol=1e-14)
    assert np.allclose(g, central(net.loss, [W3, X53, Y5], 0), rtol=1e-6, atol=1e-9)


def test_numpy_subclass_override():
    net, soft = Net(1.5), SoftNet(0.5)
    g_net, g_soft = grad(net.loss, wrt="W"), grad(soft.loss, wrt="W")
    for _ in range(2):
        assert np.allclose(g_soft(W3, X53, Y5), central(soft.loss, [W3, X53, Y5], 0),
                           rtol=1e-6, atol=1e-9)
        assert np.allclose(g_net(W3, X53, Y5), central(net.loss, [W3, X53, Y5], 0),
                           rtol=1e-6, atol=1e-9)


def test_numpy_every_transform():
    net = Net(1.5)
    expected = central(net.loss, [W3, X53, Y5], 0)
    value, dW = value_and_grad(net.loss, wrt="W")(W3, X53, Y5)
    assert value == pytest.approx(net.loss(W3, X53, Y5), rel=1e-12)
    assert np.allclose(dW, expected, rtol=1e-6, atol=1e-9)
    _, pullback = vjp(net.loss, W3, X53, Y5)
    assert np.allclose(pullback(1.0)[0], dW, rtol=1e-12)
    t = RNG.normal(size=3)
    _, forward = jvp(net.loss, (W3, X53, Y5), (t, np.zeros_like(X53), np.zeros(5)))
    assert forward == pytest.approx(dW @ t, rel=1e-10)
    H = hessian(net.loss, wrt="W")(W3, X53, Y5)
    numeric_H = np.array([central(lambda W: grad(net.loss, wrt="W")(W, X53, Y5)[i],
                                  [W3], 0) for i in range(3)])
    assert np.allclose(H, numeric_H, rtol=1e-5, atol=1e-7)


def test_numpy_shadowing_after_generation_is_refused():
    net = Net(1.5)
    g = grad(net.loss, wrt="W")
    g(W3, X53, Y5)
    net.layer = lambda W, X: X @ W
    with pytest.raises(UnsupportedError, match="shadows the method Net.layer"):
        g(W3, X53, Y5)


class Recurrent:
    """An RNN whose cell is a method, called in a loop over the rows of self.X."""

    def __init__(self, X):
        self.X = X

    def cell(self, Wh, Wx, h, x):
        return np.tanh(Wh @ h + Wx @ x)

    def loss(self, Wh, Wx):
        h = np.zeros(3)
        for t in range(len(self.X)):
            h = self.cell(Wh, Wx, h, self.X[t])
        return np.sum(h ** 2)


def test_numpy_method_called_in_a_loop():
    model = Recurrent(RNG.normal(size=(4, 2)))
    Wh, Wx = 0.5 * RNG.normal(size=(3, 3)), RNG.normal(size=(3, 2))
    dWh, dWx = grad(model.loss)(Wh, Wx)
    assert np.allclose(dWh, central(model.loss, [Wh, Wx], 0), rtol=1e-6, atol=1e-9)
    assert np.allclose(dWx, central(model.loss, [Wh, Wx], 1), rtol=1e-6, atol=1e-9)


def test_numpy_method_rebound_in_the_class_regenerates():
    net = Net(1.5)
    g = grad(net.loss, wrt="W")
    g(W3, X53, Y5)
    original = Net.layer
    try:
        Net.layer = lambda self, W, X: np.sin(X @ W)
        assert np.allclose(g(W3, X53, Y5), central(net.loss, [W3, X53, Y5], 0),
                           rtol=1e-6, atol=1e-9)
    finally:
        Net.layer = original
    assert np.allclose(g(W3, X53, Y5), central(net.loss, [W3, X53, Y5], 0),
                       rtol=1e-6, atol=1e-9)


class Writes:
    def predict(self, w):
        self.last = w
        return w * w

    def loss(self, w):
        return self.predict(w) + 1.0

    def array_loss(self, w):
        return np.sum(self.predict(w))


@pytest.mark.parametrize("name, value", [("loss", 0.3), ("array_loss", np.ones(2))])
def test_a_called_method_writing_an_attribute_is_refused(name, value):
    with pytest.raises(UnsupportedError) as caught:
        grad(getattr(Writes(), name))(value)
    assert "self.last = w" in str(caught.value) and "attribute" in str(caught.value)


# golden source -------------------------------------------------------------------------

GOLDEN = """\
def grad_one(self, w, x, y):
    # gradient of one(self, w, x, y): output one, with respect to w
    # generated by s2sdiff from test_method_calls.py, line LINE
    # if a function called below was rebound since this code was generated, generate it again
    if type(self).predict is not predict_differentiated or 'predict' in self.__dict__:
        return generate_again(self, w, x, y)
    try:
        # nothing below rejects a non-real y
        if not (type(y) is float):
            check_arguments('one', y=y)
        one1 = type(self).predict(self, w, x)     # (1)
        one2 = one1 - y                           # (2)
        one = one2 ** 2                           # (3)
        scalar_output(one)
        # backprop one = one2 ** 2
        done2 = 2 * one2                          # (3)
        # backprop one1 = type(self).predict(self, w, x)
        dw = pullback_predict(self, w, x, done2)  # (1)
        return dw
    except TypeError:
        check_arguments('one', w=w, x=x, y=y)
        raise
"""


def test_golden_source():
    line = str(Model.one.__code__.co_firstlineno)
    assert grad(Model(2.0).one, wrt="w").source == GOLDEN.replace("LINE", line)


# refused -------------------------------------------------------------------------------

_namespace = {}
exec("def _made_by_exec(self, x):\n    return x * x\n", _namespace)
_made_by_exec = _namespace["_made_by_exec"]


class Refused:
    def __init__(self):
        self.k = 2.0
        self.act = math.tanh

    @classmethod
    def factor(cls, x):
        return 2.0 * x

    @property
    def doubler(self):
        return lambda u: 2 * u

    def plain(self, x):
        return x * x

    def via_classmethod(self, x):
        return self.factor(x)

    def via_property(self, x):
        return self.doubler(x)

    def via_attribute(self, x):
        return self.act(x)

    def via_super(self, x):
        return super(Model, self).plain(x)

    def calls(self, x):
        return self.plain(x) * self.k

    def rebinds_self(self, x):
        self = Refused()
        return self.plain(x)

    @functools.lru_cache
    def cached(self, x):
        return x * x

    def via_cache(self, x):
        return self.cached(x)

    exec_made = _made_by_exec

    def via_exec(self, x):
        return self.exec_made(x)

    @property
    def counted(self):
        self.reads = getattr(self, "reads", 0) + 1
        return self.k

    def via_counted(self, x):
        return self.counted * x


@pytest.mark.parametrize("name, construct", [
    ("via_classmethod", "call of the classmethod `self.factor(...)`"),
    ("via_property", "call of the property `self.doubler(...)`"),
    ("via_attribute", "call of `self.act`, which is not a method of Refused"),
    ("via_super", "`super(Model, self)` other than super() or super(C, self)"),
    ("rebinds_self", "method call `self.plain(...)`"),
    ("via_cache", "call of `self.cached`, a _lru_cache_wrapper of Refused"),
    ("via_exec", "method call `self.exec_made(...)`, whose source cannot be read"),
    ("via_counted", "the property `self.counted` assigns an attribute"),
])
def test_refused_with_the_line_and_what_to_do(name, construct):
    with pytest.raises(S2SDiffError) as caught:
        grad(getattr(Refused(), name))(0.5)
    message = str(caught.value)
    assert construct in message, message
    assert "test_method_calls.py" in message
    assert caught.value.hint


class Layer:
    def __init__(self):
        self.k = 2.0

    def forward(self, x):
        return self.k * math.tanh(x)


class Composed:
    def __init__(self):
        self.layer = Layer()
        self.W = np.array([1.0, -2.0])

    def loss(self, x):
        return self.layer.forward(x) ** 2

    def through_the_class(self, x):
        return Layer.forward(self.layer, x) ** 2 + self.W[0] * x


def test_a_method_of_an_attribute_and_the_call_through_its_class():
    # self.layer.forward(x) is resolved for the class of self.layer (attribute_methods.py)
    assert grad(Composed().loss)(0.3) == pytest.approx(
        2 * 2 * math.tanh(0.3) * 2 * tanh_prime(0.3), rel=1e-12)
    expected = 2 * 2 * math.tanh(0.3) * 2 * tanh_prime(0.3) + 1.0
    assert grad(Composed().through_the_class)(0.3) == pytest.approx(expected, rel=1e-12)


class Intercepting:
    def __getattribute__(self, name):
        return object.__getattribute__(self, name)

    def plain(self, x):
        return x * x

    def calls(self, x):
        return self.plain(x)


def test_a_class_overriding_getattribute_is_refused():
    with pytest.raises(UnsupportedError, match="on a class that defines __getattribute__"):
        grad(Intercepting().calls)(0.5)


def test_the_unbound_function_with_self_differentiated_is_refused_with_a_hint():
    with pytest.raises(S2SDiffError) as caught:
        grad(Refused.calls)(Refused(), 0.5)
    assert "method call `self.plain(...)`" in str(caught.value)
    assert "grad(obj.calls)" in caught.value.hint


def test_the_unbound_function_with_self_left_out_of_wrt_reads_it_as_data():
    """``self`` not differentiated: an object passed as data (object_parameters.py)."""
    obj = Refused()
    g = grad(Refused.calls, wrt="x")
    assert g(obj, 0.5) == pytest.approx(numeric(lambda x: obj.calls(x), 0.5), rel=1e-8)


class Pair:
    def __init__(self, k):
        self.k = k

    def both(self, x, y):
        return x * y * self.k, x + y

    def one(self, x, y):
        return self.k * x * y + math.sin(x)


def test_jacobians_of_bound_methods():
    from s2sdiff import jacobian, jacfwd, jacrev
    p = Pair(2.0)
    expected = np.array([[4.0, 2.0], [1.0, 1.0]])
    for transform in (jacobian, jacfwd, jacrev):
        assert np.allclose(np.array(transform(p.both)(1.0, 2.0), dtype=float), expected)
    assert np.allclose(np.array(jacobian(p.one)(1.0, 2.0), dtype=float), [4.0 + math.cos(1.0), 2.0])


class Spring:
    def __init__(self, k):
        self.k = k

    def chain_energy(self, xs):
        E = 0.0
        for i in range(len(xs) - 1):
            E += 0.5 * self.k * (xs[i + 1] - xs[i] - 1.0) ** 2
        return E


def test_jacfwd_of_a_bound_method_at_a_1d_array():
    """Code on lists read at a 1-D array: jacfwd of the bound method was refused (its
    generated code takes `self` first), while jacrev and a plain function worked (hunt 9
    bug_09).  dE/dx_i = k (d_{i-1} - d_i), d_i = x_{i+1} - x_i - 1."""
    from s2sdiff import jacfwd, jacrev
    spring = Spring(3.0)
    x = np.array([0.0, 1.2, 2.1, 3.5])
    d = np.diff(x) - 1.0
    want = 3.0 * (np.concatenate(([0.0], d)) - np.concatenate((d, [0.0])))
    assert np.allclose(jacfwd(spring.chain_energy)(x), want, atol=1e-12)
    assert np.allclose(jacrev(spring.chain_energy)(x), want, atol=1e-12)


class Reactor:
    def __init__(self, A):
        self.A = A

    def rate(self, T):
        return self.A * np.exp(-300.0 / T)

    def simulate(self, T):
        return 1.0 - 0.1 * self.rate(T)


REACTOR = Reactor(2.0)


def conversion(T):
    return 1.0 - REACTOR.simulate(T)


def test_hessian_through_a_method_of_a_module_object_says_what_works():
    """It told the user to call s2sdiff.hessian(f), which they had (hunt 9 bug_08)."""
    assert grad(conversion)(350.0) == pytest.approx(
        0.2 * 300.0 / 350.0 ** 2 * math.exp(-300.0 / 350.0), rel=1e-12)
    with pytest.raises(UnsupportedError) as caught:
        hessian(conversion)(350.0)
    assert "`Reactor.simulate`" in caught.value.hint and "def simulate(" in caught.value.hint
