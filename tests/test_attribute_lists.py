"""Methods of the objects of a list attribute called in a loop (``for layer in
self.layers: h = layer.forward(h)``, or ``layer(h)`` for a class with ``__call__``), unrolled for the instance at hand
(``attribute_methods.unrolled``): gradients against central differences in NumPy and
scalar code, instances with lists of other lengths and classes, an element replaced by an
object of another class between calls, the entry checks in the generated source, and the
loops that stay refused."""

import math

import numpy as np
import pytest

from differences import central
from s2sdiff import grad
from s2sdiff.errors import S2SDiffError


class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        return np.tanh(x @ self.W + self.b)


class Linear:
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        return x @ self.W


class MLP:
    def __init__(self, sizes, rng):
        self.layers = [Dense(rng.normal(size=(a, b)), np.zeros(b)) for a, b in zip(sizes, sizes[1:])]

    def loss(self, x, y):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        return np.mean((h[:, 0] - y) ** 2)


def by_hand(layers, x, y):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer.W + layer.b) if isinstance(layer, Dense) else h @ layer.W
    return np.mean((h[:, 0] - y) ** 2)


def check(model, g, x, y):
    dx, dy = g(x, y)
    f = lambda x, y: by_hand(model.layers, x, y)
    np.testing.assert_allclose(dx, central(f, [x, y], 0), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dy, central(f, [x, y], 1), rtol=1e-5, atol=1e-8)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng, rng.normal(size=(5, 3)), rng.normal(size=5)


def test_mlp_gradient_against_central_differences(data):
    rng, x, y = data
    model = MLP([3, 4, 2], rng)
    g = grad(model.loss)
    check(model, g, x, y)
    np.testing.assert_allclose(model.loss(x, y), by_hand(model.layers, x, y))
    assert "len(self.layers) != 2" in g.source
    assert "type(self.layers[1]) is not Dense" in g.source
    assert "self.layers[1].W" in g.source and "for layer" not in g.source


def test_instances_with_other_lengths_and_classes(data):
    rng, x, y = data
    short, deep = MLP([3, 2], rng), MLP([3, 4, 4, 2], rng)
    mixed = MLP([3, 4, 2], rng)
    mixed.layers[0] = Linear(rng.normal(size=(3, 4)))
    mixed.layers = tuple(mixed.layers)
    for model in (short, deep, mixed, short):
        check(model, grad(model.loss), x, y)
    g = grad(short.loss)
    check(short, g, x, y)
    assert "len(self.layers) != 1" in g.source


def test_element_replaced_between_calls(data):
    rng, x, y = data
    model = MLP([3, 4, 2], rng)
    g = grad(model.loss)
    check(model, g, x, y)
    model.layers[1] = Linear(rng.normal(size=(4, 2)))      # another class
    check(model, g, x, y)
    model.layers.append(Linear(rng.normal(size=(2, 2))))   # longer
    check(model, g, x, y)
    del model.layers[1:]                                   # shorter
    check(model, g, x, y)


class TanhAct:
    def __init__(self, k):
        self.k = k

    def apply(self, z):
        return self.k * math.tanh(z)


class SinAct:
    def __init__(self, k):
        self.k = k

    def apply(self, z):
        return self.k * math.sin(z) + z


class Chain:
    def __init__(self, acts):
        self.acts = acts

    def f(self, x):
        z = x
        for act in self.acts:
            z = act.apply(z) * x
        return z


def scalar_by_hand(acts, x):
    z = x
    for act in acts:
        z = (act.k * math.tanh(z) if isinstance(act, TanhAct) else act.k * math.sin(z) + z) * x
    return z


@pytest.mark.parametrize("acts", [
    [TanhAct(1.5), SinAct(0.7), TanhAct(-0.4)],
    [SinAct(2.0)],
    (TanhAct(0.3), TanhAct(1.1)),
])
def test_scalar_code(acts):
    chain = Chain(acts)
    g = grad(chain.f)
    for x in (0.3, -1.2, 0.9):
        h = 1e-6
        numeric = (scalar_by_hand(acts, x + h) - scalar_by_hand(acts, x - h)) / (2 * h)
        assert g(x) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_scalar_code_follows_a_replaced_element():
    chain = Chain([TanhAct(1.5), SinAct(0.7)])
    g = grad(chain.f)
    assert g(0.4) == pytest.approx(
        (scalar_by_hand(chain.acts, 0.4 + 1e-6) - scalar_by_hand(chain.acts, 0.4 - 1e-6)) / 2e-6,
        rel=1e-6)
    chain.acts[0] = SinAct(-0.2)
    assert g(0.4) == pytest.approx(
        (scalar_by_hand(chain.acts, 0.4 + 1e-6) - scalar_by_hand(chain.acts, 0.4 - 1e-6)) / 2e-6,
        rel=1e-6)


class Refused:
    def __init__(self, rng):
        self.layers = [Dense(rng.normal(size=(3, 3)), np.zeros(3)) for _ in range(2)]
        self.extra = Dense(rng.normal(size=(3, 3)), np.zeros(3))

    def with_enumerate(self, x):
        h = x
        for i, layer in enumerate(self.layers):
            h = layer.forward(h) * (i + 1)
        return np.sum(h)

    def with_zip(self, x):
        h = x
        for layer, k in zip(self.layers, [1.0, 2.0]):
            h = layer.forward(h) * k
        return np.sum(h)

    def with_index(self, x):
        h = x
        for i in range(len(self.layers)):
            h = self.layers[i].forward(h)
        return np.sum(h)

    def with_break(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
            if np.sum(h) > 100.0:
                break
        return np.sum(h)

    def with_continue(self, x):
        h = x
        for layer in self.layers:
            if np.sum(h) > 100.0:
                continue
            h = layer.forward(h)
        return np.sum(h)

    def with_else(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        else:
            h = h * 2.0
        return np.sum(h)

    def appending(self, x):
        self.layers.append(self.extra)
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        return np.sum(h)

    def reassigning(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        self.layers = []
        return np.sum(h)

    def setting_item(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        self.layers[0] = self.extra
        return np.sum(h)

    def other_use(self, x):
        h = x
        kept = []
        for layer in self.layers:
            h = layer.forward(h)
            kept.append(layer)
        return np.sum(h)

    def used_after(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        return np.sum(layer.forward(h))

    def rebinding(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
            layer = self.extra
        return np.sum(h)


@pytest.mark.parametrize("name, construct", [
    ("with_enumerate", "method call `layer.forward(...)` of `layer`, an object taken from "
                       "`self.layers`"),
    ("with_zip", "method call `layer.forward(...)` of `layer`, an object taken from "
                 "`self.layers`"),
    ("with_index", "self.layers[i].forward"),
    ("with_break", "`break` in a loop over `self.layers`"),
    ("with_continue", "`continue` in a loop over `self.layers`"),
    ("with_else", "`for ... else` over `self.layers`"),
    ("appending", "`self.layers.append(self.extra)`, which may modify `self.layers`"),
    ("reassigning", "assignment to `self.layers` in a function that loops over it"),
    ("setting_item", "assignment to `self.layers` in a function that loops over it"),
    ("other_use", "use of `layer` other than a call `layer(...)`, `layer.m(...)` or a read"),
    ("used_after", "use of `layer` other than a call `layer(...)`, `layer.m(...)` or a read"),
    ("rebinding", "assignment to `layer` in the loop over `self.layers`"),
])
def test_refused_clearly(name, construct):
    obj = Refused(np.random.default_rng(1))
    with pytest.raises(S2SDiffError) as caught:
        grad(getattr(obj, name))(np.ones((2, 3)))
    text = str(caught.value)
    assert construct in text
    assert "test_attribute_lists.py" in text
    assert "Internal" not in type(caught.value).__name__


def test_forward_mode_and_second_derivative():
    from s2sdiff import derivative, hessian
    chain = Chain([TanhAct(1.5), SinAct(0.7)])
    f = lambda x: scalar_by_hand(chain.acts, x)
    x, h = 0.3, 1e-4
    assert derivative(chain.f)(x) == pytest.approx((f(x + 1e-6) - f(x - 1e-6)) / 2e-6, rel=1e-6)
    second = hessian(chain.f)
    assert second(x) == pytest.approx((f(x + h) - 2 * f(x) + f(x - h)) / h ** 2, rel=1e-5)
    chain.acts[0] = SinAct(-0.3)          # a derivative of a derivative: refused, as for self.l1
    with pytest.raises(S2SDiffError, match="a derivative of a derivative"):
        second(x)
    assert hessian(chain.f)(x) == pytest.approx((f(x + h) - 2 * f(x) + f(x - h)) / h ** 2,
                                                rel=1e-5)


class Encoder:
    def __init__(self, rng, n):
        self.layers = [Dense(rng.normal(size=(3, 3)), np.zeros(3)) for _ in range(n)]


class Nested:
    def __init__(self, rng, n):
        self.enc = Encoder(rng, n)

    def loss(self, x):
        h = x
        for layer in self.enc.layers:
            h = layer.forward(h)
        return np.sum(h ** 2)


def test_list_held_by_an_attribute():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3))
    for n in (2, 3):
        model = Nested(rng, n)
        g = grad(model.loss)
        np.testing.assert_allclose(g(x), central(model.loss, [x], 0), rtol=1e-5, atol=1e-8)
        assert f"len(self.enc.layers) != {n}" in g.source


class Repeated(MLP):
    def loss(self, x, y):
        h = x
        for _ in range(2):
            for layer in self.layers:
                h = layer.forward(h)
        return np.sum((h[:, 0] - y) ** 2)


def test_loop_inside_another_loop(data):
    rng, x, y = data
    model = Repeated([3, 3, 3], rng)
    dx, dy = grad(model.loss)(x, y)
    np.testing.assert_allclose(dx, central(model.loss, [x, y], 0), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dy, central(model.loss, [x, y], 1), rtol=1e-5, atol=1e-8)


def test_element_without_the_method_and_empty_list_refused(data):
    rng, x, y = data
    model = MLP([3, 3], rng)
    model.layers.append(2.0)
    with pytest.raises(S2SDiffError, match=r"`self.layers\[1\]`, which is not an object with "
                                           r"the method `forward`"):
        grad(model.loss)(x, y)
    with pytest.raises(S2SDiffError, match="an object taken from `self.layers`"):
        grad(MLP([3], rng).loss)(x, y)


class Tanh:
    """A PyTorch-style layer: called as ``layer(h)``."""

    def __init__(self, w):
        self.w = w

    def __call__(self, h):
        return np.tanh(self.w * h)


class Square:
    def __init__(self, a):
        self.a = a

    def __call__(self, h):
        return self.a * h ** 2


class Called:
    def __init__(self, layers):
        self.layers = layers

    def loss(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return np.sum(h)

    def scaled(self, x):
        h = x
        for layer in self.layers:
            h = layer(h) * layer.w          # an attribute of the element, read
        return np.sum(h)

    def body(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return h

    def nested(self, x):
        return np.sum(self.body(x) ** 2)


def called_by_hand(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(layer.w * h) if isinstance(layer, Tanh) else layer.a * h ** 2
    return h


def test_layers_called_by_their_call_method():
    x = np.array([0.3, -0.8, 1.1])
    model = Called([Tanh(0.5), Square(1.5), Tanh(-2.0)])
    g = grad(model.loss)
    np.testing.assert_allclose(g(x), central(lambda v: np.sum(called_by_hand(model.layers, v)),
                                             [x], 0), rtol=1e-6, atol=1e-9)
    source = g.specialize(model, x).source
    assert "type(self.layers[1]) is not Square" in source and "for layer" not in source
    assert "h3 = self.layers[1].a" in source            # Square.__call__ inlined
    model.layers.append(Square(0.3))                     # longer: generated again
    model.layers[0] = Square(2.0)                        # another class
    np.testing.assert_allclose(g(x), central(lambda v: np.sum(called_by_hand(model.layers, v)),
                                             [x], 0), rtol=1e-6, atol=1e-9)
    nested = Called([Tanh(0.7), Tanh(-1.2)])
    np.testing.assert_allclose(
        grad(nested.nested)(x),
        central(lambda v: np.sum(called_by_hand(nested.layers, v) ** 2), [x], 0),
        rtol=1e-6, atol=1e-9)


def test_attributes_of_the_element_read_in_the_loop():
    x = np.array([0.3, -0.8, 1.1])
    model = Called([Tanh(0.5), Tanh(1.3)])

    def by_hand(v):
        h = v
        for layer in model.layers:
            h = np.tanh(layer.w * h) * layer.w
        return np.sum(h)
    np.testing.assert_allclose(grad(model.scaled)(x), central(by_hand, [x], 0),
                               rtol=1e-6, atol=1e-9)


class Functions:
    def __init__(self):
        self.acts = [np.tanh, np.sin]

    def loss(self, x):
        for act in self.acts:
            x = act(x)
        return np.sum(x)


def test_a_list_of_functions_stays_refused():
    with pytest.raises(S2SDiffError, match="call of `act`, a loop variable over functions"):
        grad(Functions().loss)(np.ones(3))


def apply_layer(layer, h):
    return layer(h)


class Passed(Called):
    def loss(self, x):
        h = x
        for layer in self.layers:
            h = apply_layer(layer, h)
        return np.sum(h)


def test_a_layer_passed_to_a_helper_is_refused_saying_what_is_unrolled():
    """It said `apply_layer` might write into `h`."""
    with pytest.raises(S2SDiffError, match="call of `layer`, a loop variable") as caught:
        grad(Passed([Tanh(0.5)]).loss)(np.ones(3))
    assert "write into" not in str(caught.value)
    assert "`for layer in self.layers: h = layer(h)`" in caught.value.hint
