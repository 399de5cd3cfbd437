"""Found by the sixth hunt of user programs (/tmp/hunt6), each checked against central
differences of the program itself."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad

A = np.array([[0.3, -0.5], [1.1, 0.4]])


def lambda_reads_transpose(x):
    h = lambda z: np.sum(z.T ** 2 * A)  # noqa: E731
    return h(x + 1)


def nested_reads_transpose(x):
    def h(z):
        return z.T @ z
    return np.sum(h(x * 3))


@pytest.mark.parametrize("function", [lambda_reads_transpose, nested_reads_transpose])
def test_a_nested_function_reading_an_attribute_of_its_parameter(function):
    """`z.T` of a parameter bound to an expression's value was taken for a free dotted
    name and failed the IR validator: an InternalError (hunt 6 bug_01)."""
    assert np.allclose(grad(function)(A), central(function, [A], 0), rtol=1e-6, atol=1e-8)


def square_sum(z):
    return np.sum(z ** 2)


def calls_a_gradient_inside(z):
    return np.sum(grad(square_sum)(z))


def test_a_transform_applied_inside_is_refused_naming_it():
    """`grad(sq)(z)` inside was refused as "call of the value of ... call a function by its
    name" (hunt 6 bug_09)."""
    from s2sdiff import S2SDiffError
    with pytest.raises(S2SDiffError, match="call of s2sdiff's `grad\\(square_sum\\)` inside"):
        grad(calls_a_gradient_inside)(np.ones(3))


import math  # noqa: E402
import random  # noqa: E402
from typing import NamedTuple  # noqa: E402

from s2sdiff import S2SDiffError, derivative, jacfwd, jacrev  # noqa: E402

NOISE = np.random.default_rng(0)


def kicked(x):
    return x * random.gauss(0.0, 1.0)


def kicked_in_a_loop(x0):
    t = x0
    for _ in range(3):
        t = kicked(t) + math.sin(t)
    return t


def kicked_once(x0):
    return kicked(x0) * x0


@pytest.mark.parametrize("function", [kicked_in_a_loop, kicked_once])
def test_a_helper_that_draws_is_refused_in_reverse_mode(function):
    """Its generated pullback ran it again, with other draws: value_and_grad gave the
    forward's value with another draw's gradient (hunt 6 bug_21)."""
    with pytest.raises(S2SDiffError, match=r"`kicked\(\.\.\.\)` draws random numbers"):
        grad(function)(0.4)


@pytest.mark.parametrize("function", [kicked_in_a_loop, kicked_once])
def test_forward_mode_runs_a_drawing_helper_once(function):
    """The generated jvp of the helper gives its value and its tangent in one run."""
    random.seed(3)
    slope = derivative(function)(0.4)
    random.seed(3)
    up = function(0.4 + 1e-6)
    random.seed(3)
    down = function(0.4 - 1e-6)
    assert slope == pytest.approx((up - down) / 2e-6, rel=1e-6)


class Noise(NamedTuple):
    s: float

    def draw(self):
        return self.s * NOISE.normal()


def record_method_draws(x):
    n = Noise(1.0)
    return x * n.draw()


def noisy(z):
    return z * NOISE.normal()


def loop_over_functions(x):
    out = x
    for fn in [np.tanh, noisy]:
        out = fn(out)
    return out


@pytest.mark.parametrize("function", [record_method_draws, loop_over_functions])
@pytest.mark.parametrize("transform", [jacfwd, jacrev])
def test_a_draw_in_a_method_or_a_function_value_under_a_jacobian(function, transform):
    """Each column drew anew: the Jacobian of no single draw (hunt 6 bug_19)."""
    with pytest.raises(S2SDiffError, match="draws random numbers"):
        transform(function)(np.array([0.3, -0.5, 1.1]))


def tanh_times_draws(x, rng):
    return np.tanh(x) * rng.normal(size=3)


@pytest.mark.parametrize("transform", [jacfwd, jacrev])
def test_a_library_object_parameter_under_a_jacobian_is_refused(transform):
    """A Generator passed in made the Jacobians recurse until RecursionError (bug_20)."""
    with pytest.raises(S2SDiffError, match="'rng' is a Generator, whose methods draw"):
        transform(tanh_times_draws, wrt="x")(np.ones(3), np.random.default_rng(0))


def test_an_ejected_module_of_list_of_lists_code_is_standalone(tmp_path, monkeypatch):
    """It copied s2sdiff's zeros_like without the _Adjoints class it builds: NameError
    when the shipped gradient ran (hunt 6 bug_16)."""
    from s2sdiff.eject import eject
    (tmp_path / "grid_model.py").write_text(
        "def mat(x, y):\n"
        "    m = [[0.0] * 2 for _ in range(2)]\n"
        "    for i in range(2):\n"
        "        for j in range(2):\n"
        "            m[i][j] = x * (i + 1) + y * j\n"
        "    return m[0][0] * m[1][1] - m[0][1] * m[1][0]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import grid_model
    source = eject(grid_model.mat)
    assert "import s2sdiff" not in source and "class _Adjoints" in source
    namespace = {}
    exec(source, namespace)
    assert namespace["grad_mat"](0.3, 0.4) == pytest.approx(grad(grid_model.mat)(0.3, 0.4))


VALUES = [0.5, -1.2, 2.0, 0.3, -0.7, 1.1, 0.9, -0.4]
STREAM = iter(VALUES * 1000)


def scaled_by_next(x):
    return x * next(STREAM)


def next_in_a_loop(x0):
    t = x0
    for _ in range(3):
        t = scaled_by_next(t) + math.sin(t)
    return t


def test_next_of_an_iterator_is_a_read_that_changes():
    """The reverse sweep read the iterator again and got the gradient of other values;
    jacfwd read one value per column (hunt 6 bug_31)."""
    with pytest.raises(S2SDiffError, match="reads a state that changes"):
        grad(next_in_a_loop)(0.4)
    with pytest.raises(S2SDiffError, match="reads a state that changes"):
        jacfwd(scaled_by_next)(np.array([0.3, -0.5, 1.1]))


def shuffled_by_key(x, y, z):
    ys = sorted([x, 2 * y, 3 * z], key=lambda _: random.random())
    return ys[0] * 1.0 + ys[1] * 2.0 + ys[2] * 3.0


def test_a_sort_key_that_draws_is_refused():
    """The reverse sweep computed the keys again: the gradient of another permutation
    (hunt 6 bug_35)."""
    with pytest.raises(S2SDiffError, match="`key=` that draws random numbers"):
        grad(shuffled_by_key)(0.1, 0.2, 0.3)


from dataclasses import dataclass  # noqa: E402


@dataclass
class NoisyScale:
    w: np.ndarray

    def __call__(self, x):
        return self.w * x * NOISE.normal()


def apply_noisy(p, x):
    return p(x) / p.w


@pytest.mark.parametrize("transform", [jacfwd, jacrev])
def test_an_object_argument_whose_methods_draw_under_a_jacobian(transform):
    """Each column drew anew through the object's __call__ (hunt 6 bug_34)."""
    with pytest.raises(S2SDiffError, match="whose methods draw random numbers"):
        transform(apply_noisy, wrt="x")(NoisyScale(np.ones(3)), np.array([0.3, -0.5, 1.1]))


def test_a_hessian_made_before_a_helper_is_rebound(tmp_path, monkeypatch):
    """A Hessian object of NumPy code used again after a helper it calls was rebound
    raised SourceError naming jvp_fa (hunt 6 bug_29)."""
    from s2sdiff import hessian
    (tmp_path / "rebound_hessian.py").write_text(
        "import numpy as np\n\n"
        "def ga(x):\n    return np.sum(x ** 2)\n\n"
        "def fa(x):\n    return ga(x) * 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import rebound_hessian as m
    x = np.array([0.5, 1.0])
    H = hessian(m.fa)
    assert np.allclose(H(x), 4 * np.eye(2))
    m.ga = lambda x: np.sum(x ** 3)
    assert np.allclose(H(x), np.diag(12 * x))


import statistics  # noqa: E402


def mean_with_calls(x):
    return statistics.mean([x, x * x, math.sin(x)])


def dist_with_calls(x):
    return math.dist([x, math.sin(x)], [0.5, abs(x - 2.0)])


@pytest.mark.parametrize("function", [mean_with_calls, dist_with_calls])
def test_mean_and_dist_of_displays_with_calls(function):
    """Refused as "no derivative rule for statistics.mean" once an entry was a call
    (hunt 6 bug_14)."""
    assert grad(function)(0.7) == pytest.approx(central(function, [0.7], 0), rel=1e-6)


def cumprod_flat(x):
    return np.sum(np.cumprod(x.reshape(2, 2), axis=None) * np.arange(1.0, 5.0))


def test_a_second_derivative_through_cumprod_with_axis_none():
    """It said "constant None is not supported" where np.cumprod without axis gets the
    refusal naming np.cumprod (hunt 6 bug_07)."""
    from s2sdiff import hessian
    with pytest.raises(S2SDiffError, match="second derivatives through np.cumprod"):
        hessian(cumprod_flat)(np.array([0.3, -0.45, 1.1, 0.7]))


W6 = np.arange(6.0)


def ravel_fortran(a):
    return np.sum(np.ravel(a, order="F") * W6)


def flatten_fortran(a):
    return np.sum(a.flatten("F") * W6) + np.sum(a.ravel(order="F") ** 2)


@pytest.mark.parametrize("function", [ravel_fortran, flatten_fortran])
def test_ravel_and_flatten_in_fortran_order(function):
    """They were refused, though reshape(order="F") works (hunt 6 bug_26)."""
    a = np.arange(6.0).reshape(2, 3) / 10
    assert np.allclose(grad(function)(a), central(function, [a], 0), rtol=1e-6, atol=1e-8)
    assert np.allclose(jacfwd(function)(a), central(function, [a], 0), rtol=1e-6, atol=1e-8)


WEIGHT_KEYS = ("w1", "w2")


def decay_on_listed_keys(params, x):
    total = 0.0
    for k in params:
        if k not in WEIGHT_KEYS:
            continue
        total = total + params[k] ** 2 * x
    return total


def test_continue_on_a_membership_test_of_module_level_keys(monkeypatch):
    """`if k not in KEYS: continue` was refused as a test s2sdiff cannot decide (hunt 6
    bug_25); the keys are checked on entry, so a rebound KEYS generates again."""
    params = {"w1": 1.0, "w2": 2.0, "b": 3.0}
    gradient = grad(decay_on_listed_keys, wrt="params")
    assert gradient(params, 2.0) == {"w1": 4.0, "w2": 8.0, "b": 0.0}
    monkeypatch.setitem(globals(), "WEIGHT_KEYS", ("b",))
    assert gradient(params, 2.0) == {"w1": 0.0, "w2": 0.0, "b": 12.0}


def optional_scale(p):
    return p["w"] * (p["s"] if p["s"] is not None else 1.0)


def test_a_none_leaf_tested_with_is_none():
    """`p["s"] if p["s"] is not None else 1.0` with a None leaf was refused as "constant
    None is not supported" (hunt 6 bug_25)."""
    gradient = grad(optional_scale)
    assert gradient({"w": 1.5, "s": None}) == {"w": 1.0, "s": None}
    assert gradient({"w": 1.5, "s": 2.0}) == {"w": 2.0, "s": 1.5}
    assert gradient({"w": 1.5, "s": None}) == {"w": 1.0, "s": None}
