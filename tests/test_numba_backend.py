"""backend="numba": the generated scalar and loop code compiled by numba.njit.

Values are checked against the default Python backend and central differences; the
refusals (unknown backend, missing package, code numba cannot compile, calls of Python
functions, NumPy code, bad arguments) against their messages and lines.
"""
import importlib
import inspect
import math

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from s2sdiff import S2SDiffError, derivative, grad, jvp, value_and_grad, vjp  # noqa: E402
from s2sdiff import backends  # noqa: E402
from s2sdiff.errors import ArgumentError, UnsupportedError  # noqa: E402


def recurrence(s, y):
    for i in range(100):
        s = s * 0.99 + math.sin(s) * y
    return s


def tanh_sum(xs, w):
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    return s


def until(x, n):
    k = 0
    while x < n:
        x = x * 1.5 + math.sin(x)
        k = k + 1
    return x


def branches(x, y):
    for i in range(10):
        if x > 0:
            x = x * y
        else:
            x = -x * 0.5
    return x


def counter(x):
    k = 0
    for i in range(4):
        k = k + 1
        x = math.sin(x) * k
    return x


def indexed(x, xs):
    j = 0
    for i in range(3):
        x = x * xs[j] + math.sin(x)
        j = j + 1
    return x


def plain(x, y):
    return math.log(x) * math.sqrt(y) + math.exp(x * y)


CASES = [  # (function, point, wrt)
    (recurrence, (0.5, 0.3), None),
    (until, (1.0, 10.0), 0),
    (branches, (1.0, -1.1), None),
    (branches, (0.7, 1.05), None),
    (counter, (0.3,), None),
    (indexed, (0.5, [1.0, 2.0, 3.0]), 0),
    (plain, (1.5, 0.5), None),
]


def central(f, point, index, h=1e-6):
    up, down = list(point), list(point)
    up[index] += h
    down[index] -= h
    return (f(*up) - f(*down)) / (2 * h)


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("f, point, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_grad_matches_python_and_central_differences(f, point, wrt):
    compiled = grad(f, wrt=wrt, backend="numba")(*point)
    python = grad(f, wrt=wrt)(*point)
    np.testing.assert_allclose(as_tuple(compiled), as_tuple(python), rtol=1e-12, atol=1e-300)
    indices = [wrt] if wrt is not None else range(len(point))
    for got, i in zip(as_tuple(compiled), indices):
        assert got == pytest.approx(central(f, point, i), rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("f, point, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_value_and_grad_and_forward_mode(f, point, wrt):
    value, gradient = value_and_grad(f, wrt=wrt, backend="numba")(*point)
    assert value == pytest.approx(f(*point), rel=1e-12)
    np.testing.assert_allclose(as_tuple(gradient), as_tuple(grad(f, wrt=wrt)(*point)), rtol=1e-12)
    if any(isinstance(p, list) for p in point):
        return                               # forward mode over lists is not generated
    forward = derivative(f, wrt=wrt, backend="numba")(*point)
    np.testing.assert_allclose(as_tuple(forward), as_tuple(gradient), rtol=1e-10)


def test_jvp_and_vjp_agree_with_python():
    tangents = (1.0, 2.0)
    out, tangent = jvp(plain, (1.5, 0.5), tangents, backend="numba")
    assert (out, tangent) == pytest.approx(jvp(plain, (1.5, 0.5), tangents))
    gx, gy = grad(plain)(1.5, 0.5)
    assert tangent == pytest.approx(gx * 1.0 + gy * 2.0, rel=1e-12)
    value, pullback = vjp(recurrence, 0.5, 0.3, backend="numba")
    assert value == pytest.approx(recurrence(0.5, 0.3))
    assert pullback(2.0) == pytest.approx(tuple(2 * g for g in grad(recurrence)(0.5, 0.3)),
                                          rel=1e-12)


def test_list_argument_gradient_comes_back_as_array():
    xs = [2.0 * math.sin(0.37 * i) for i in range(50)]
    dxs, dw = grad(tanh_sum, wrt=("xs", "w"), backend="numba")(xs, 0.7)
    pdxs, pdw = grad(tanh_sum, wrt=("xs", "w"))(xs, 0.7)
    assert isinstance(dxs, np.ndarray)
    np.testing.assert_allclose(dxs, pdxs, rtol=1e-12)
    assert dw == pytest.approx(pdw, rel=1e-12)
    assert dxs[3] == pytest.approx(0.7 / math.cosh(0.7 * xs[3]) ** 2, rel=1e-12)
    again = grad(tanh_sum, wrt=("xs", "w"), backend="numba")(np.array(xs), 0.7)
    np.testing.assert_allclose(again[0], pdxs, rtol=1e-12)


def test_tape_is_preallocated_when_the_trip_count_is_known():
    g = grad(recurrence, backend="numba")
    assert "tape_s = np.empty(len(range(100)))" in g.source
    assert "tape_s[tape_top] = s" in g.source
    assert ".append(" not in g.source and "reversed(" not in g.source
    assert "check_arguments" not in g.source.split("\n", 4)[4]


def test_tape_is_a_typed_list_for_a_while_loop():
    g = grad(until, wrt=0, backend="numba")
    assert "tape = TypedList()" in g.source
    g(1.0, 10.0)
    assert "tape = TypedList()" in g.source


def test_int_values_on_the_tape_get_an_int_array():
    g = grad(counter, backend="numba")
    g(0.3)
    assert "tape_k = np.empty(len(range(4)), np.int64)" in g.source
    g2 = grad(indexed, wrt=0, backend="numba")
    assert g2(0.5, [1.0, 2.0, 3.0]) == pytest.approx(grad(indexed, wrt=0)(0.5, [1.0, 2.0, 3.0]))
    assert "tape_j = np.empty(len(range(3)), np.int64)" in g2.source


def test_source_is_exactly_what_numba_compiles():
    g = grad(branches, backend="numba")
    g(1.0, 2.0)
    assert inspect.getsource(g.compiled.py_func) == g.source
    assert g.source.startswith("def grad_branches(x, y):")
    assert "# compiled by numba.njit (nopython mode) from this text" in g.source
    assert "# backprop x_2 = x * y" in g.source          # the comments stay
    assert isinstance(g.compiled, numba.core.dispatcher.Dispatcher)


def test_backend_is_part_of_the_cache_key():
    assert grad(recurrence, backend="numba") is grad(recurrence, backend="numba")
    assert grad(recurrence, backend="numba") is not grad(recurrence)
    assert grad(recurrence) is grad(recurrence, backend="python")
    assert grad(recurrence, backend="numba").python is grad(recurrence)


def test_unknown_backend_is_refused():
    with pytest.raises(S2SDiffError, match="backend must be one of 'python', 'numba', 'jax'"):
        grad(recurrence, backend="cuda")
    with pytest.raises(S2SDiffError, match="backend must be one of"):
        derivative(recurrence, backend=None)


def test_missing_package_names_the_extra(monkeypatch):
    real = importlib.import_module

    def without_numba(name, *args):
        if name == "numba":
            raise ImportError("No module named 'numba'")
        return real(name, *args)

    monkeypatch.setattr(backends.importlib, "import_module", without_numba)
    for transform in (grad, value_and_grad, derivative):
        with pytest.raises(S2SDiffError, match=r'pip install "s2sdiff\[numba\]"'):
            transform(plain, backend="numba")
    with pytest.raises(S2SDiffError, match=r'pip install "s2sdiff\[numba\]"'):
        vjp(plain, 1.0, 2.0, backend="numba")
    with pytest.raises(S2SDiffError, match=r'pip install "s2sdiff\[numba\]"'):
        jvp(plain, (1.0, 2.0), (1.0, 0.0), backend="numba")


def int_of_text(x):
    n = int(str(3))
    return x * n


def test_code_numba_cannot_compile_names_the_line():
    g = grad(int_of_text, backend="numba")
    with pytest.raises(UnsupportedError) as raised:
        g(2.0)
    error = raised.value
    assert "backend='numba' cannot compile int_of_text" in str(error)
    assert error.filename.startswith("<s2sdiff numba")
    assert "int(" in error.source_line
    assert g.source.splitlines()[error.lineno - 1] == error.source_line
    with pytest.raises(UnsupportedError):          # and again: never run in Python
        g(2.0)


def helper(a):
    return a * a + 1.0


def calls_helper(x):
    s = 0.0
    for i in range(5):
        s = s + helper(x * i)
    return s


SCALE = [2.0]


def reads_list(x):
    return x * SCALE[0]


def test_calls_and_python_objects_are_refused_at_generation():
    with pytest.raises(UnsupportedError) as raised:
        grad(calls_helper, backend="numba")
    assert "calls the Python function `helper`" in str(raised.value)
    assert raised.value.lineno == inspect.getsourcelines(calls_helper)[1] + 3
    assert "helper(x * i)" in raised.value.source_line
    with pytest.raises(UnsupportedError, match="reads the list `SCALE`"):
        grad(reads_list, backend="numba")


def test_numpy_code_is_refused():
    def loss(w):
        return np.sum(w ** 2)
    with pytest.raises(UnsupportedError, match="backend='jax' for NumPy code"):
        grad(loss, backend="numba")


def test_bad_arguments_name_the_parameter():
    g = grad(branches, backend="numba")
    with pytest.raises(ArgumentError, match="argument 'x' of branches"):
        g("a", 1.0)
    with pytest.raises(S2SDiffError, match="grad needs a scalar output"):
        g(1.0, np.ones(3))          # the Python backend's check, as it says it
    assert g(1, 2) == pytest.approx(grad(branches)(1.0, 2.0))


def test_ieee_arithmetic_where_python_retries():
    def root(x):
        return math.sqrt(x)
    assert grad(root, backend="numba")(0.0) == math.inf
    assert grad(root)(0.0) == math.inf


def logs_in_a_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sqrt(x - i) / x + math.log(x + i)
    return s


def read_and_unread(x, y):
    a = math.log(x)             # read by nothing the gradient needs: a guard
    b = math.asin(y)            # its partial reads y only: a guard
    c = math.acosh(x + 1.0)     # kept: read by nothing, but a statement of the forward
    return a + b + c * y


def sine(x, y):
    return math.sin(y) + x * y


DOMAIN_CASES = [
    (read_and_unread, (-1.0, 0.5)), (read_and_unread, (0.0, 0.5)), (read_and_unread, (2.0, 1.5)),
    (read_and_unread, (-2.5, 0.5)), (logs_in_a_loop, (2.0, 4)), (logs_in_a_loop, (0.0, 1)),
    (sine, (1.0, math.inf)), (sine, (1.0, -math.inf)),
]


def _outcome(call):
    try:
        return call()
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        return type(error), str(error)


@pytest.mark.parametrize("f, point", DOMAIN_CASES)
def test_raises_what_python_raises_where_the_forward_raises(f, point):
    """numba's math.log(-1.0) is NaN, 1.0 / 0.0 inf: the compiled gradient still raises
    the error the Python function raises, where it raises it (guards before the forward
    statements whose rule states where they fail)."""
    expected = _outcome(lambda: f(*point))
    wrt = "x" if f is logs_in_a_loop else None
    assert isinstance(expected, tuple)                      # each case leaves the domain
    assert _outcome(lambda: grad(f, wrt=wrt)(*point)) == expected
    assert _outcome(lambda: grad(f, wrt=wrt, backend="numba")(*point)) == expected
    assert _outcome(lambda: value_and_grad(f, wrt=wrt, backend="numba")(*point)) == expected


@pytest.mark.parametrize("f, point", [(read_and_unread, (2.0, 0.5)), (logs_in_a_loop, (5.0, 3))])
def test_inside_the_domain_the_guards_change_nothing(f, point):
    wrt = "x" if f is logs_in_a_loop else None
    assert grad(f, wrt=wrt, backend="numba")(*point) == pytest.approx(grad(f, wrt=wrt)(*point),
                                                                      rel=1e-14)
    assert "raise ValueError('math domain error')" in grad(f, wrt=wrt, backend="numba").source
