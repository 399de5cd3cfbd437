"""Methods of objects that are data (s2sdiff/objects.py, s2sdiff/object_parameters.py):
``AFFINE.loss(x)`` and ``AFFINE(x)`` on an object read from the module or a closure,
``self(x)`` inside a method, and objects passed for parameters left out of ``wrt``.
Gradients against central differences, forward mode against reverse mode, the object's
attributes read at each call, the entry checks (another class, a method rebound, an
instance attribute shadowing a method) and what stays refused, with file and line."""

import dataclasses
import math

import numpy as np
import pytest

import global_object_helpers
from differences import central
from s2sdiff import derivative, grad, hessian, jvp, value_and_grad
from s2sdiff.errors import S2SDiffError, UnsupportedError

X = np.array([0.3, -0.2, 0.7])
V = np.array([0.5, 1.5, -1.0])


def numeric(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def close_to_central(f, x, gradient):
    assert np.allclose(gradient, central(f, [x], 0), rtol=1e-6, atol=1e-7)


# NumPy code: an object of the module ----------------------------------------------------

class Affine:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __call__(self, x):
        return self.a * x + self.b

    def loss(self, x):
        return np.sum(self(x) ** 2)


AFFINE = Affine(np.array([1.0, -2.0, 0.5]), 0.3)


def method_of_global_object(x):
    return AFFINE.loss(x) + np.sum(AFFINE(x) * x)


def test_method_and_call_of_a_module_object():
    gradient = grad(method_of_global_object)(X)
    close_to_central(method_of_global_object, X, gradient)
    value, again = value_and_grad(method_of_global_object)(X)
    assert value == pytest.approx(method_of_global_object(X), rel=1e-12)
    assert np.array_equal(again, gradient)


def test_forward_mode_matches_reverse_mode():
    value, tangent = jvp(method_of_global_object, (X,), (V,))
    assert value == pytest.approx(method_of_global_object(X), rel=1e-12)
    assert tangent == pytest.approx(grad(method_of_global_object)(X) @ V, rel=1e-10)


def test_the_generated_code_reads_the_attributes_and_checks_the_class():
    source = grad(method_of_global_object).source
    assert "type(AFFINE) is not Affine" in source
    assert "type(AFFINE).loss is not loss_differentiated" in source
    assert "AFFINE.a * x" in source                 # data read when the code runs
    assert source == grad(method_of_global_object).source       # deterministic


def test_rebinding_an_attribute_between_calls_gives_the_new_gradient():
    g = grad(method_of_global_object)
    before = g(X)
    old = AFFINE.a
    try:
        AFFINE.a = np.array([2.0, 0.5, -1.0])
        after = g(X)
        close_to_central(method_of_global_object, X, after)
        assert not np.allclose(before, after)
    finally:
        AFFINE.a = old
    assert np.allclose(g(X), before)


class Shifted(Affine):
    def __call__(self, x):
        return np.sin(self.a * x) + self.b


class Unrelated:
    pass


def test_rebinding_the_object_to_another_class_generates_again():
    global AFFINE
    g = grad(method_of_global_object)
    before = g(X)
    old = AFFINE
    try:
        AFFINE = Shifted(np.array([1.0, -2.0, 0.5]), 0.3)
        close_to_central(method_of_global_object, X, g(X))
        AFFINE = Unrelated()                      # no method loss: refused clearly
        with pytest.raises(S2SDiffError) as caught:
            g(X)
        assert "AFFINE.loss" in str(caught.value)
        assert caught.value.filename.endswith("test_global_objects.py")
    finally:
        AFFINE = old
    assert np.allclose(g(X), before)


def test_a_method_rebound_in_the_class_generates_again():
    g = grad(method_of_global_object)
    g(X)
    original = Affine.loss
    try:
        Affine.loss = lambda self, x: np.sum(np.cos(self(x)))
        Affine.loss.__qualname__ = "Affine.loss"
        close_to_central(method_of_global_object, X, g(X))
    finally:
        Affine.loss = original


def test_an_instance_attribute_shadowing_the_method_is_what_is_called():
    """``AFFINE.loss = lambda ...``: the entry test ``'loss' in AFFINE.__dict__`` fails,
    and the code generated again follows the function the attribute holds."""
    g = grad(method_of_global_object)
    before = g(X)
    AFFINE.loss = lambda x: np.sum(np.sin(x) * x)
    try:
        shadowed = g(X)
        close_to_central(method_of_global_object, X, shadowed)
        assert not np.allclose(shadowed, before)
        AFFINE.loss = 2.0                    # not callable: the user's own error
        with pytest.raises(S2SDiffError):
            g(X)
    finally:
        del AFFINE.loss
    assert np.allclose(g(X), before)


# scalar code, closures, staticmethods, self(x) ---------------------------------------------

class Poly:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __call__(self, x):
        return self.a * x * x + self.b * math.sin(x)

    def loss(self, x):
        return self(x) ** 2 + self.shift(x)

    def shift(self, x):
        return self.b * x

    @staticmethod
    def helper(x):
        return math.exp(x)


POLY = Poly(1.5, -0.5)


def scalar_global(x):
    return POLY.loss(x) + POLY(x) * x + POLY.helper(x)


def scalar_closed_form(x, a=1.5, b=-0.5):
    p = a * x * x + b * math.sin(x)
    dp = 2 * a * x + b * math.cos(x)
    return 2 * p * dp + b + dp * x + p + math.exp(x)


@pytest.mark.parametrize("x", [0.7, -1.3, 2.0])
def test_scalar_code_calling_methods_of_a_module_object(x):
    assert grad(scalar_global)(x) == pytest.approx(scalar_closed_form(x), rel=1e-12)
    assert derivative(scalar_global)(x) == pytest.approx(scalar_closed_form(x), rel=1e-12)
    value, tangent = jvp(scalar_global, (x,), (1.0,))
    assert value == pytest.approx(scalar_global(x), rel=1e-12)
    assert tangent == pytest.approx(scalar_closed_form(x), rel=1e-12)


def test_scalar_code_reads_the_attributes_at_each_call():
    g = grad(scalar_global)
    try:
        POLY.a, POLY.b = 3.0, 0.25
        assert g(0.7) == pytest.approx(scalar_closed_form(0.7, 3.0, 0.25), rel=1e-12)
    finally:
        POLY.a, POLY.b = 1.5, -0.5
    assert g(0.7) == pytest.approx(scalar_closed_form(0.7), rel=1e-12)


def test_second_derivative_through_the_methods():
    h = hessian(scalar_global)(0.7)
    assert float(np.squeeze(h)) == pytest.approx(numeric(grad(scalar_global), 0.7), rel=1e-6)


def closure_over(obj):
    def f(x):
        return obj.loss(x) + obj(x)
    return f


def test_an_object_held_in_a_closure():
    f = closure_over(Poly(1.0, 2.0))
    assert grad(f)(0.3) == pytest.approx(numeric(f, 0.3), rel=1e-7)


class Scaler:
    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return np.sum(self.k * x ** 2)

    @staticmethod
    def twice(x):
        return 2.0 * np.sum(np.sin(x))

    def loss(self, x):
        return self(x) + Scaler.twice(x)


def test_self_called_inside_a_bound_method():
    scaler = Scaler(1.5)
    gradient = grad(scaler.loss)(X)
    close_to_central(scaler.loss, X, gradient)
    _, tangent = jvp(scaler.loss, (X,), (V,))
    assert tangent == pytest.approx(gradient @ V, rel=1e-10)


class Dense:
    def __init__(self, w):
        self.w = w

    def __call__(self, h):
        return np.tanh(self.w * h)


class Net:
    def __init__(self):
        self.l1 = Dense(np.array([0.5, -1.0, 2.0]))
        self.l2 = Dense(np.array([1.5, 0.3, -0.7]))

    def __call__(self, x):
        return self.l2(self.l1(x))

    def loss(self, x):
        return np.sum(self(x) ** 2)


NET = Net()


def net_global(x):
    return NET.loss(x) + np.sum(NET(x))


def test_layers_called_as_objects():
    close_to_central(NET.loss, X, grad(NET.loss)(X))
    gradient = grad(net_global)(X)
    close_to_central(net_global, X, gradient)
    _, tangent = jvp(net_global, (X,), (V,))
    assert tangent == pytest.approx(gradient @ V, rel=1e-10)
    source = grad(net_global).source
    assert "type(NET.l1) is not Dense" in source
    assert source.index("type(NET) is not Net") < source.index("type(NET.l1) is not Dense")


def test_a_layer_rebound_to_another_class_is_followed():
    g = grad(net_global)
    g(X)

    class Sine(Dense):
        def __call__(self, h):
            return np.sin(self.w * h)

    old = NET.l1
    try:
        NET.l1 = Sine(np.array([0.5, -1.0, 2.0]))
        close_to_central(net_global, X, g(X))
    finally:
        NET.l1 = old


class WithProperty:
    @property
    def scale(self):
        return 2.0

    def loss(self, x):
        return self.scale * x * x

    @classmethod
    def make(cls, x):
        return x


WITH_PROPERTY = WithProperty()


def property_inside(x):
    return WITH_PROPERTY.loss(x)


def test_a_property_read_inside_the_method():
    assert grad(property_inside)(0.3) == pytest.approx(1.2, rel=1e-12)


# refused ------------------------------------------------------------------------------------

class Writer:
    def __init__(self):
        self.n = 0.0

    def loss(self, x):
        self.n = x
        return x * x


WRITER = Writer()


def writes_attribute(x):
    return WRITER.loss(x)


def classmethod_call(x):
    return WITH_PROPERTY.make(x)


@pytest.mark.parametrize("function, construct, line", [
    (writes_attribute, "assignment to the attribute `self.n`", "self.n = x"),
    (classmethod_call, "call of the classmethod `WITH_PROPERTY.make(...)`",
     "return WITH_PROPERTY.make(x)"),
])
def test_refused_with_file_and_line(function, construct, line):
    with pytest.raises(UnsupportedError) as caught:
        grad(function)(0.3)
    error = caught.value
    assert construct in str(error)
    assert error.filename.endswith("test_global_objects.py") and error.lineno is not None
    assert error.source_line.strip() == line


# objects passed for parameters --------------------------------------------------------------

def with_model(x, model):
    return model.loss(x) + model(x)


class Other:
    def __init__(self, c):
        self.c = c

    def loss(self, x):
        return self.c * math.cos(x)

    def __call__(self, x):
        return self.c * x


def test_an_object_parameter_left_out_of_wrt_is_data():
    g = grad(with_model, wrt="x")
    poly, other = Poly(1.0, 2.0), Other(3.0)
    for _ in range(2):                   # classes in turn: each gets its code
        for model in (poly, other):
            expected = numeric(lambda t: with_model(t, model), 0.3)
            assert g(0.3, model) == pytest.approx(expected, rel=1e-7)
    value, gradient = value_and_grad(with_model, wrt="x")(0.3, poly)
    assert value == pytest.approx(with_model(0.3, poly), rel=1e-12)
    assert gradient == pytest.approx(numeric(lambda t: with_model(t, poly), 0.3), rel=1e-7)
    assert derivative(with_model, wrt="x")(0.3, other) == pytest.approx(
        -3.0 * math.sin(0.3) + 3.0, rel=1e-12)


def model_plus_square(x, model):
    return model(x) + x * x


def test_the_code_for_a_parameter_checks_its_class():
    g = grad(model_plus_square, wrt="x")
    assert "first called" in g.source
    assert g(0.3, Poly(1.0, 2.0)) == pytest.approx(2 * 0.3 + 2 * math.cos(0.3) + 0.6)
    assert "type(model) is not Poly" in g.source
    assert g.specialize(0.3, Other(2.0))(0.3, Other(2.0)) == pytest.approx(2.6)


def numpy_with_model(x, model):
    return model.loss(x) + np.sum(model(x) * x)


def test_numpy_code_with_an_object_parameter():
    model = Affine(np.array([0.5, 1.0, -1.5]), 0.1)
    g = grad(numpy_with_model, wrt="x")
    f = lambda x: numpy_with_model(x, model)            # noqa: E731
    close_to_central(f, X, g(X, model))
    model.a = np.array([1.0, 2.0, 3.0])                 # data: read at each call
    close_to_central(f, X, g(X, model))


def test_a_differentiated_object_parameter_is_refused_with_a_dataclass_hint():
    with pytest.raises(UnsupportedError) as caught:
        grad(with_model)(0.3, Poly(1.0, 2.0))
    error = caught.value
    assert "method call `model.loss(...)` of the parameter `model`" in str(error)
    assert "@dataclass" in error.hint and "wrt=" in error.hint
    assert error.filename.endswith("test_global_objects.py")
    assert error.source_line.strip() == "return model.loss(x) + model(x)"


@dataclasses.dataclass
class Params:
    w: float
    b: float

    def predict(self, x):
        return self.w * x + self.b


def dataclass_loss(params, x):
    return (params.predict(x) - 1.0) ** 2


def test_the_dataclass_the_hint_suggests_is_differentiated():
    g = grad(dataclass_loss, wrt="params")(Params(0.5, 0.1), 2.0)
    residual = 0.5 * 2.0 + 0.1 - 1.0
    assert g.w == pytest.approx(2 * residual * 2.0, rel=1e-12)
    assert g.b == pytest.approx(2 * residual, rel=1e-12)


# an object of another module, through a helper of that module ----------------------------

def calls_a_helper_of_another_module(x):
    return np.sum(np.sin(x)) + global_object_helpers.helper(x)


def test_an_object_of_the_module_of_an_inlined_helper():
    f = calls_a_helper_of_another_module
    g = grad(f)
    close_to_central(f, X, g(X))
    assert "type(global_object_helpers.OBJECT) is not" in g.source
    old = global_object_helpers.OBJECT
    try:
        global_object_helpers.OBJECT.a = np.array([2.0, 0.0, 1.0])
        close_to_central(f, X, g(X))
        global_object_helpers.OBJECT = global_object_helpers.Scale(np.array([5.0, 0.0, 1.0]))
        close_to_central(f, X, g(X))
    finally:
        old.a = np.array([1.0, 2.0, 3.0])
        global_object_helpers.OBJECT = old


class Dense:
    def __init__(self, w):
        self.w = w

    def __call__(self, h):
        return math.tanh(self.w * h)


class Stack:
    def __init__(self):
        self.layers = [Dense(0.5), Dense(-1.2)]

    def forward(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return h


STACK = Stack()


def stacked(x):
    return STACK.forward(x) ** 2


def test_a_loop_over_layers_called_in_a_global_object():
    """``for layer in self.layers: h = layer(h)``, each layer's ``__call__``: unrolled."""
    g = grad(stacked)
    for x in (0.4, -1.3):
        t1 = math.tanh(0.5 * x)
        t2 = math.tanh(-1.2 * t1)
        assert g(x) == pytest.approx(2 * t2 * (1 - t2 ** 2) * -1.2 * (1 - t1 ** 2) * 0.5, rel=1e-12)
