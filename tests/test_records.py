"""A NamedTuple or dataclass built inside the differentiated function (normalize/records.py):
its fields become names of their own.  Every gradient against central differences of the
program itself; refusals name what the user wrote."""

import dataclasses
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

from differences import central
from s2sdiff import S2SDiffError, grad, jvp, value_and_grad

RNG = np.random.default_rng(11)


class Vec(NamedTuple):
    x: float
    y: float

    def norm(self):
        return math.hypot(self.x, self.y)


@dataclass
class State:
    x: float
    v: float = 0.0

    def step(self, dt, k):
        return State(self.x + dt * self.v, self.v - dt * k * self.x)

    def energy(self, k):
        half = 0.5 * self.v ** 2
        return half + 0.5 * k * self.x ** 2

    @property
    def speed(self):
        return abs(self.v)


@dataclass(frozen=True)
class Pair:
    a: float
    b: float = 2.0


@dataclass
class Doubled:
    a: float

    def __post_init__(self):
        self.a = self.a * 2.0


def hypot_of_record(a, b):
    v = Vec(a, b)
    return math.hypot(v.x, v.y)


def oscillator(k):
    s = State(1.0)
    for _ in range(10):
        s = State(s.x + 0.1 * s.v, s.v - 0.1 * k * s.x)
    return 0.5 * s.v ** 2 + 0.5 * k * s.x ** 2


def keywords_out_of_order(a, b):
    p = Pair(b=math.sin(b), a=math.cos(a))
    return p.a * p.b


def defaults_and_keywords(a, b):
    p = Pair(b=b, a=a)
    q = Pair(a * b)
    return p.a * p.b + q.b * q.a


def in_branches(a, b):
    if a > 0:
        v = Vec(a, b)
    else:
        v = Vec(b, a)
    return v.x ** 2 * v.y


def in_a_while_loop(a, b):
    v = Vec(a, b)
    t = 0.0
    while t < 1.0:
        v = Vec(v.x * 0.5 + v.y, v.y * 0.9)
        t += 0.25
    return v.x + v.y


def oscillator_by_methods(k):
    s = State(1.0, 0.0)
    for _ in range(10):
        s = s.step(0.1, k)
    return s.energy(k)


def method_of_record(a, b):
    v = Vec(a, b)
    return v.norm()


def scalar_with_helper(a, b):
    s = Vec(a, b)
    for _ in range(4):
        s = rotate(s, 0.2)
    return s.x * s.y + s.x


def rotate(s, dt):
    return Vec(s.x + dt * s.y, s.y - dt * s.x)


def numpy_with_helper(w):
    s = Vec(np.sum(w), np.sum(w ** 2))
    for _ in range(3):
        s = rotate(s, 0.1)
    return s.x * s.y


def numpy_unpacked(w):
    p = Vec(np.tanh(w), w * 3.0)
    x, y = p
    return np.sum(x * y) + np.sum(p[0])


@pytest.mark.parametrize("function, args", [
    (hypot_of_record, (3.0, 4.0)),
    (oscillator, (1.3,)),
    (keywords_out_of_order, (0.3, 0.7)),
    (defaults_and_keywords, (0.3, 0.7)),
    (in_branches, (0.5, 2.0)),
    (in_branches, (-0.5, 2.0)),
    (in_a_while_loop, (0.5, 2.0)),
    (oscillator_by_methods, (1.3,)),
    (method_of_record, (3.0, 4.0)),
    (scalar_with_helper, (0.4, -0.8)),
    (numpy_with_helper, (RNG.normal(size=3),)),
    (numpy_unpacked, (RNG.normal(size=3),)),
])
def test_the_gradient_is_the_central_difference(function, args):
    gradients = grad(function)(*args)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    for k, gradient in enumerate(gradients):
        assert np.allclose(gradient, central(function, args, k), rtol=1e-6, atol=1e-8)
    value, _ = value_and_grad(function)(*args)
    assert value == pytest.approx(function(*args), rel=1e-13)


def test_forward_mode_agrees():
    _, tangent = jvp(defaults_and_keywords, (0.3, 0.7), (1.0, 0.0))
    assert tangent == pytest.approx(grad(defaults_and_keywords)(0.3, 0.7)[0], rel=1e-12)


def test_methods_and_helpers_are_inlined_and_checked_on_entry():
    source = grad(oscillator_by_methods).source
    checks = next(line for line in source.splitlines() if "State.step is not" in line)
    assert checks.index("State is not") < checks.index("State.step is not")   # class first
    assert "State.energy is not" in checks
    assert "s_x" in source and ".step(" not in source
    assert "rotate is not" in grad(scalar_with_helper).source


def test_the_fields_are_names_and_keyword_arguments_keep_their_order():
    source = grad(keywords_out_of_order).source
    assert "p_a" in source and "p_b" in source and "p[" not in source
    lines = [line.strip().split("#")[0].strip() for line in source.splitlines()]
    assert lines.index("p_b_arg = math.sin(b)") < lines.index("p_a_arg = math.cos(a)")


def test_a_rebound_class_gets_new_code(tmp_path, monkeypatch):
    """The code checks on entry that `Pair` is still the class it read: a class with
    other fields (or another order) makes it generate again."""
    module = tmp_path / "records_rebound.py"
    module.write_text(
        "from dataclasses import dataclass\n\n"
        "@dataclass\nclass P:\n    a: float\n    b: float = 2.0\n\n"
        "def f(a, b):\n    p = P(b, a)\n    return p.a * p.b ** 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import records_rebound as m
    g = grad(m.f)
    assert g(0.3, 0.7) == pytest.approx((2 * 0.7 * 0.3, 0.3 ** 2))   # p.a = b, p.b = a

    @dataclass
    class P:
        b: float
        a: float = 3.0

    m.P = P                                       # now p.b = b, p.a = a
    assert g(0.3, 0.7) == pytest.approx((0.7 ** 2, 2 * 0.7 * 0.3))


def post_init(a):
    p = Doubled(a)
    return p.a


def property_of_record(a):
    s = State(a, -a)
    return s.speed * s.x


@pytest.mark.parametrize("function, args, words", [
    (post_init, (1.5,), ["`p.a` of `p`, a Doubled built in post_init", "not a plain record"]),
    (property_of_record, (3.0,), ["`s.speed` of `s`, a State", "not its methods"]),
])
def test_records_left_as_they_are_are_refused_with_the_users_words(function, args, words):
    with pytest.raises(S2SDiffError) as caught:
        grad(function)(*args)
    message = str(caught.value)
    for word in words:
        assert word in message
    assert "_x" not in message.split("\n")[0]


def test_a_record_not_built_in_the_function_is_not_a_record():
    assert dataclasses.is_dataclass(State)
    from s2sdiff.normalize.records import fields_of
    assert fields_of(State) is not None and fields_of(Doubled) is None
    assert [field for field, _ in fields_of(Vec)] == ["x", "y"]
    assert fields_of(tuple) is None and fields_of(int) is None


def test_a_rebound_class_without_the_method_is_checked_before_the_method(tmp_path,
                                                                         monkeypatch):
    module = tmp_path / "records_rebound_method.py"
    module.write_text(
        "from typing import NamedTuple\n\n"
        "class V(NamedTuple):\n    x: float\n    y: float\n\n"
        "    def area(self):\n        return self.x * self.y\n\n"
        "def f(a, b):\n    v = V(a, b)\n    return v.area() + v.x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import records_rebound_method as m
    g = grad(m.f)
    assert g(0.3, 0.7) == pytest.approx((1.7, 0.3))

    class V(NamedTuple):
        x: float
        y: float

    m.V = V                 # no `area` any more: generated again, and refused there
    with pytest.raises(S2SDiffError, match="`v.area` of `v`, a V"):
        g(0.3, 0.7)


def negative_indices(x):
    v = Vec(x, 2.0)
    return v[-2] * v[-1] ** 2


def summed_fields(x, y):
    v = Vec(x * y, math.sin(y))
    return sum(v) * max(v)


@pytest.mark.parametrize("function, args", [(negative_indices, (0.7,)),
                                            (summed_fields, (0.7, 1.3))])
def test_a_namedtuple_indexed_from_the_end_or_passed_whole(function, args):
    """`v[-1]` and `sum(v)` were refused at the constructor line as "no derivative rule
    for S" (hunt 6 bug_10)."""
    gradients = grad(function)(*args)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    for k, gradient in enumerate(gradients):
        assert gradient == pytest.approx(float(central(function, args, k)), rel=1e-6)


def library_method_of_record(x):
    v = Vec(x, 2.0)
    d = v._asdict()
    return d["x"] * d["y"]


def test_a_library_method_of_a_record_is_refused_naming_it():
    with pytest.raises(S2SDiffError, match="`v._asdict` of `v`, a Vec"):
        grad(library_method_of_record)(0.7)


@dataclass
class Phase:
    q: np.ndarray
    p: np.ndarray


def shared_field_written(x):
    s = Phase(x * 1.0, x * 1.0)
    t = s.q
    s = Phase(t, t)
    s.q[0] = 3.0
    return np.sum(s.p ** 2)


def test_an_alias_refusal_names_the_fields_as_written():
    """It quoted the fields' generated names `s_q`, `s_p` (hunt 6 bug_11)."""
    with pytest.raises(S2SDiffError) as caught:
        grad(shared_field_written)(np.ones(3))
    message = str(caught.value).splitlines()[0]
    assert "s_q" not in message and "s_p" not in message and "`s." in message


def stepped_by_replace(a):
    s = Vec(a, 2.0)
    for _ in range(3):
        s = s._replace(y=s.y - 0.1 * math.sin(s.x), x=s.x + 0.1 * s.y)
    return s.x * s.y


def replaced_dataclass(a):
    p = Pair(a)
    p = dataclasses.replace(p, b=p.a * p.b + 1.0)
    return p.a ** 2 * p.b


@pytest.mark.parametrize("function", [stepped_by_replace, replaced_dataclass])
def test_replace_of_a_record(function):
    """s._replace(...) and dataclasses.replace(...) were refused (hunt 6 bug_23); the
    changed fields are evaluated first, in the order written."""
    assert grad(function)(0.7) == pytest.approx(float(central(function, (0.7,), 0)), rel=1e-6)
    source = grad(function).source
    assert "._replace(" not in source and "dataclasses.replace" not in source
