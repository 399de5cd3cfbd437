"""``optimize=True`` leaves out forward statements that neither the reverse sweep nor the
returned values read (liveness.prune_forward), in ``grad`` and the pullbacks of ``vjp``;
``value_and_grad`` keeps what the value needs.  The decision (liveness.py's docstring): in
scalar code statements that can raise stay, as a guard where their rule states where they
raise (``if type(x1) is not float or x1 <= 0.0: math.log(x1)``), so the gradient raises where
the function raises."""

import math
import math as mm
import warnings
from math import log, sin

import numpy as np
import pytest

import golden_functions as g
from differences import SIZE_1_ARRAYS_ARE_NUMBERS
from s2sdiff import grad, hessian, value_and_grad, vjp


def central(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def halves(x, y):
    start = math.exp(x) * y
    s = start
    for _ in range(3):
        s = s * 0.5 + math.sin(x * y)
    if s > 0:
        s = s * x
    return s


def reads_its_middle(x, y):
    a = math.log(x)                   # read by the partial of b
    b = a * y
    c = math.sqrt(b)                  # read by the partial of sqrt (its out)
    return c + x


CASES = [(g.seed003, (2.0, 5.0)), (g.seed003, (0.3, -1.7)), (g.f, (0.4, -0.6)),
         (g.recurrence, (0.2, 0.5)), (g.piecewise, (0.7, 0.2)), (g.piecewise, (0.7, 1.2)), (g.piecewise, (-1.3, 0.5)),
         (halves, (0.8, 1.1)), (reads_its_middle, (1.5, 2.5)), (g.list_updates, (0.9,))]


@pytest.mark.parametrize("f, point", CASES)
def test_pruned_gradient_is_the_gradient(f, point):
    """Against central differences, and equal to the unoptimised gradient."""
    pruned, full = grad(f)(*point), grad(f, optimize=False)(*point)
    pruned = pruned if isinstance(pruned, tuple) else (pruned,)
    full = full if isinstance(full, tuple) else (full,)
    for i, (a, b) in enumerate(zip(pruned, full)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14)
        assert a == pytest.approx(central(f, point, i), rel=1e-6, abs=1e-8)


def code(generated):
    """The generated source without its comments."""
    return "\n".join(line.split("#")[0] for line in generated.source.splitlines())


def test_seed003_gradient_computes_no_forward_value():
    source = code(grad(g.seed003))
    for forward in ("x1 * x2", "t1 + t2", "t3 - t4"):
        assert f"= {forward}" not in source
        assert f"= {forward}" in code(grad(g.seed003, optimize=False))
    assert "= math.log(x1)" not in source     # no value: a guard that raises as f does
    assert "if type(x1) is not float or x1 <= 0.0:\n            math.log(x1)" in source
    # no guard for sin: the sweep's first statement that can raise, dx2 = -math.cos(x2),
    # raises the same error on the same values (test_sin_and_cos_refuse_the_same_values)
    assert "math.sin(x2)" not in source
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    assert lines[lines.index("math.log(x1)") + 1] == "dx2 = -math.cos(x2)"


def test_value_and_grad_keeps_what_the_value_needs():
    value, (dx1, dx2) = value_and_grad(g.seed003)(2.0, 5.0)
    assert value == g.seed003(2.0, 5.0)
    assert (dx1, dx2) == pytest.approx((1 / 2.0 + 5.0, 2.0 - math.cos(5.0)), rel=1e-15)


def test_statements_read_by_the_reverse_sweep_stay():
    source = code(grad(reads_its_middle))
    assert "a = math.log(x)" in source and "c = math.sqrt(b)" in source
    assert "reads_its_middle = c + x" not in source
    assert "reads_its_middle = c + x" in code(grad(reads_its_middle, optimize=False))
    # a loop is kept whole, and so is what it reads (start, read by the loop through s)
    assert "start = expx * y" in code(grad(halves))


def test_vjp_pullback_is_pruned_and_right():
    value, pullback = vjp(g.seed003, 2.0, 5.0)
    assert value == g.seed003(2.0, 5.0)
    assert pullback(3.0) == pytest.approx((3.0 * (1 / 2.0 + 5.0), 3.0 * (2.0 - math.cos(5.0))))
    assert "t2 = x1 * x2" not in code(vjp(g.seed003))


@pytest.mark.parametrize("optimize", [True, False])
def test_outside_the_domain_the_gradient_raises_like_the_function(optimize):
    """log(-1) raises in the forward: the optimised gradient keeps it, and raises the same."""
    with pytest.raises(ValueError, match="math domain error"):
        g.seed003(-1.0, 2.0)
    with pytest.raises(ValueError, match="math domain error"):
        grad(g.seed003, optimize=optimize)(-1.0, 2.0)
    with pytest.raises(ValueError, match="math domain error"):
        vjp(g.seed003, -1.0, 2.0)
    with pytest.raises(ValueError, match="math domain error"):
        value_and_grad(g.seed003, optimize=optimize)(-1.0, 2.0)


def after_a_loop(x, n):
    for _ in range(n):
        y = x * x
    z = y + x                 # nobody reads z, but y is unbound when the loop does not run
    return x * 2.0


def test_a_name_a_loop_may_leave_unbound_is_still_read():
    assert grad(after_a_loop, wrt="x")(1.5, 2) == 2.0
    with pytest.raises(UnboundLocalError):
        after_a_loop(1.5, 0)
    with pytest.raises(UnboundLocalError):
        grad(after_a_loop, wrt="x")(1.5, 0)


# --- guards: statements that can raise, left out but for the check ----------------------

def bare_names(x, y):
    a = log(x) + sin(y)                 # from math import log, sin: sin has no guard
    b = mm.acos(y / 3.0)                # import math as mm: the guard calls mm
    return x * y + a * 0.0 + b * 0.0


def shadows_abs(x, abs):
    a = math.asin(x)                    # its guard would read abs: kept as it is
    return x * abs


def divides(x, y):
    q = x / y                           # unread: if y == 0.0: x / y
    return x * y + q * 0.0


def test_guards_use_the_names_the_function_uses():
    source = code(grad(bare_names))
    assert "if type(x) is not float or x <= 0.0:\n            log(x)" in source
    assert "siny = sin(y)" in source                      # no module to call isinf on
    assert "if type(b1) is not float or abs(b1) > 1.0:\n            mm.acos(b1)" in source
    assert "a = math.asin(x)" in code(grad(shadows_abs))
    assert "if type(x) is not float or type(y) is not float or y == 0.0:\n            x / y" \
        in code(grad(divides))


@pytest.mark.parametrize("f, point", [(bare_names, (1.5, 0.5)), (bare_names, (-1.0, 0.5)),
                                      (bare_names, (1.5, 4.0)), (divides, (1.0, 0.0)),
                                      (divides, (2.0, 3.0)), (shadows_abs, (2.0, 1.0))])
def test_guarded_gradients_raise_exactly_where_the_function_raises(f, point):
    def outcome(call):
        try:
            return call()
        except (ValueError, ZeroDivisionError) as error:
            return type(error), str(error)
    expected = outcome(lambda: f(*point))
    got = outcome(lambda: grad(f)(*point))
    if isinstance(expected, tuple):
        assert got == expected
    else:
        for i, d in enumerate(got):
            assert d == pytest.approx(central(f, point, i), rel=1e-6, abs=1e-8)


def test_second_derivatives_read_through_the_guards():
    """hessian differentiates the generated gradient, guards included (they are passive)."""
    H = hessian(g.seed003)(2.0, 5.0)
    assert [list(row) for row in H] == [pytest.approx([-1 / 4.0, 1.0], rel=1e-12),
                                        pytest.approx([1.0, math.sin(5.0)], rel=1e-12)]
    with pytest.raises(ValueError, match="math domain error"):
        hessian(g.seed003)(-2.0, 5.0)


@pytest.mark.parametrize("value", [np.array([2.0]), np.array([[2.0, 3.0]]), "2.0", [2.0],
                                   None, 1 + 2j])
def test_a_value_the_function_refuses_is_refused_by_its_guard(value):
    """Anything but a float runs the guarded call: math.log of an array of one or more
    dimensions raises TypeError in f, and so in its gradient, which names the argument."""
    if isinstance(value, np.ndarray) and value.size == 1 and SIZE_1_ARRAYS_ARE_NUMBERS:
        with warnings.catch_warnings():     # old NumPy: f runs on it, so does the gradient
            warnings.simplefilter("ignore", DeprecationWarning)
            got = grad(g.seed003)(value, 1.0)
        assert [np.asarray(d).item() for d in got] == pytest.approx(
            list(grad(g.seed003)(value.item(), 1.0)))
        return
    with pytest.raises(TypeError):
        g.seed003(value, 1.0)
    with pytest.raises(TypeError, match="x1"):
        grad(g.seed003)(value, 1.0)
    with pytest.raises(TypeError):          # x2 meets math.cos(x2) first
        g.seed003(1.0, value)
    with pytest.raises(TypeError, match="x2"):
        grad(g.seed003)(1.0, value)


@pytest.mark.parametrize("value", ["2.0", None, 1 + 2j, 10 ** 400, np.array([1.0]),
                                   np.array([1.0, 2.0]), np.array(1.0), np.float32(2.0),
                                   float("inf"), float("nan"), 3, True, [1.0]])
@pytest.mark.parametrize("function", [math.sin, math.cos, math.tan])
def test_isinf_refuses_what_sin_refuses(function, value):
    """Why ``if math.isinf(x): math.sin(x)`` needs no type test: on every value either
    both raise the same error, or isinf passes and sin returns or raises ValueError."""
    def outcome(call):
        try:
            call()
            return "ok"
        except Exception as error:          # noqa: BLE001 - the error is the datum
            return type(error), str(error)
    guard, call = outcome(lambda: math.isinf(value)), outcome(lambda: function(value))
    if guard == "ok":
        assert call == "ok" or call[0] is ValueError
    else:
        assert guard == call


def test_numpy_scalars_and_ints_run_the_guarded_call_and_pass():
    for x1 in (np.float64(2.0), 2, np.array(2.0)):
        d1, d2 = grad(g.seed003)(x1, 5.0)
        assert float(d1) == pytest.approx(1 / 2.0 + 5.0) and float(d2) == pytest.approx(
            2.0 - math.cos(5.0))


@pytest.mark.parametrize("value", ["2.0", None, 1 + 2j, 10 ** 400, np.array([1.0]),
                                   np.array([1.0, 2.0]), np.array(1.0), np.float32(2.0),
                                   float("inf"), float("-inf"), float("nan"), 3, True, [1.0]])
@pytest.mark.parametrize("pair", [(math.sin, math.cos), (math.cos, math.sin),
                                  (math.tan, math.cos)])
def test_sin_and_cos_refuse_the_same_values(pair, value):
    """Why a guard ``if math.isinf(x): math.sin(x)`` goes when ``math.cos(x)`` is the next
    thing that can raise: on every value both return, or both raise the same error."""
    def outcome(call):
        try:
            call()
            return "ok"
        except Exception as error:          # noqa: BLE001 - the error is the datum
            return type(error), str(error)
    first, second = pair
    assert outcome(lambda: first(value)) == outcome(lambda: second(value))


def sin_then_divide(x, y):
    return math.sin(x) + 1.0 / y


def divide_then_sin(x, y):
    return 1.0 / y + math.sin(x)


def two_sines(x, y):
    return math.sin(x) + math.sin(y)


def scaled_sine(x, y):
    s = 2.0 * math.sin(x)
    return s + y


def sine_of_a_product(x, y):
    return math.sin(x * y) + math.cos(y)


@pytest.mark.parametrize("f", [g.seed003, sin_then_divide, divide_then_sin, two_sines,
                               scaled_sine, sine_of_a_product])
def test_without_a_guard_the_gradient_raises_what_the_function_raises(f):
    """On a grid of values that break sin, division or log, in every combination, the
    gradient raises the error f raises (the same type and message), or neither raises."""
    def outcome(call):
        try:
            call()
            return "ok"
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            return type(error), str(error)
    values = [2.0, 0.0, -1.0, math.inf, -math.inf, math.nan]     # (not ints too large for
    # a float: f's x1 * x2 raises OverflowError where the gradient computes no product)
    gradient = grad(f)
    for x in values:
        for y in values:
            assert outcome(lambda: gradient(x, y)) == outcome(lambda: f(x, y)), (x, y)


def test_a_guard_stays_when_something_else_can_raise_first():
    source = code(grad(sin_then_divide))     # sin(x) first: its guard, then 1.0 / y's
    assert "if math.isinf(x):\n            math.sin(x)" in source
    assert "if math.isinf(y)" not in code(grad(two_sines))          # cos(y) comes first
    assert "if math.isinf(x):\n            math.sin(x)" in code(grad(two_sines))
    assert "math.sin(x)" not in code(grad(scaled_sine))           # dx = 2.0 * math.cos(x)
