"""The rows and forms added for the refusals of tests/user_programs_hunt2.py, beyond what the
automatic rule tests check (tests/test_rules.py, tests/test_array_rules.py): s2sdiff's own
digamma against closed forms (and SciPy when installed), the edge cases of math.fmod and
np.heaviside, np.meshgrid and np.block in more of their forms, np.ptp's ties; then walrus
conditions, consecutive pairs of a list, and the messages that named the wrong construct."""

import math

import numpy as np
import pytest

from differences import central
from s2sdiff import S2SDiffError, derivative, grad, hessian, jacobian, jvp, value_and_grad, vjp
from s2sdiff.runtime import digamma, trigamma

RNG = np.random.default_rng(7)
EULER = 0.5772156649015329


# --- math.gamma, math.lgamma: digamma without SciPy --------------------------------------

@pytest.mark.parametrize("x, expected", [
    (1.0, -EULER), (0.5, -EULER - 2 * math.log(2)), (2.0, 1 - EULER),
    (-0.5, 2 - EULER - 2 * math.log(2)),                    # psi(x + 1) = psi(x) + 1 / x
    (11.0, -EULER + sum(1 / k for k in range(1, 11))), (1e6, math.log(1e6) - 0.5e-6)])
def test_digamma_closed_forms(x, expected):
    assert digamma(x) == pytest.approx(expected, rel=1e-14, abs=1e-14)
    assert type(digamma(x)) is float


def test_digamma_leaves_its_argument_alone():
    x = np.array(2.5)                    # a 0-d array: `x += 1.0` would change the caller's
    digamma(x), trigamma(x)
    assert x == 2.5


def test_trigamma_closed_forms():
    assert trigamma(1.0) == pytest.approx(math.pi ** 2 / 6, rel=1e-14)
    assert trigamma(0.5) == pytest.approx(math.pi ** 2 / 2, rel=1e-14)
    assert trigamma(-0.5) == pytest.approx(math.pi ** 2 / 2 + 4, rel=1e-14)


def test_digamma_and_trigamma_against_scipy():
    special = pytest.importorskip("scipy.special")
    xs = np.concatenate([np.linspace(0.01, 30.0, 601), np.linspace(-4.9, -0.1, 49) + 0.013,
                         [1e-7, 1e3, 1e8, 1e200]])
    ours = np.array([digamma(x) for x in xs])
    assert np.allclose(ours, special.digamma(xs), rtol=1e-13, atol=1e-13)
    ours = np.array([trigamma(x) for x in xs])
    assert np.allclose(ours, special.polygamma(1, xs), rtol=1e-13, atol=1e-13)


def gamma_terms(x, y):
    return math.gamma(x) * y + math.lgamma(x * y) + math.lgamma(-x)


@pytest.mark.parametrize("x, y", [(0.7, 1.3), (2.5, 0.4), (-0.3, 2.0)])
def test_gamma_in_both_modes_and_second_order(x, y):
    args = (x, y)
    expected = [central(gamma_terms, args, k) for k in range(2)]
    assert np.allclose(grad(gamma_terms)(x, y), expected, rtol=1e-7)
    assert np.allclose(derivative(gamma_terms)(x, y), expected, rtol=1e-7)
    gradient = grad(gamma_terms)
    numerical = np.array([central(lambda a, b: gradient(a, b)[i], args, k)
                          for i in range(2) for k in range(2)]).reshape(2, 2)
    assert np.allclose(hessian(gamma_terms)(x, y), numerical, rtol=1e-6)


def test_gamma_generated_code_calls_digamma():
    source = grad(gamma_terms).source
    assert "digamma(" in source and "math.gamma(" in source


# --- math.fmod ----------------------------------------------------------------------------

def fmod_both(x, y):
    return math.fmod(x, y) * 2.0


@pytest.mark.parametrize("x, y, n", [(0.5, 0.1, 4), (2.0, 0.7, 2), (-2.0, 0.7, -2),
                                     (2.0, -0.7, -2), (0.2, 0.3, 0)])
def test_fmod_partials_use_the_quotient_fmod_truncated_to(x, y, n):
    """fmod(0.5, 0.1) is 0.1 - 2 ulp (the quotient 4), where 0.5 / 0.1 rounds to 5.0: d/dy
    is -4, not -trunc(x / y) = -5."""
    assert math.fmod(x, y) == pytest.approx(x - n * y)
    dx, dy = grad(fmod_both)(x, y)
    assert dx == 2.0 and dy == pytest.approx(-2.0 * n, rel=1e-12)
    assert derivative(fmod_both, wrt="y")(x, y) == pytest.approx(-2.0 * n, rel=1e-12)


# --- np.heaviside -------------------------------------------------------------------------

def heaviside_weighted(x, h):
    return np.sum(np.heaviside(x, h) * np.arange(1.0, 4.0)) + np.sum(np.heaviside(x, 0.5) * x)


def test_heaviside_takes_its_value_at_zero_from_its_second_argument():
    x, h = np.array([-1.0, 0.0, 2.0]), np.array([0.3, 0.6, 0.9])
    dx, dh = grad(heaviside_weighted)(x, h)
    assert np.array_equal(dh, [0.0, 2.0, 0.0])          # only where x == 0
    assert np.array_equal(dx, np.heaviside(x, 0.5))     # the jump itself counts 0
    _, tangent = jvp(heaviside_weighted, (x, h), (np.zeros(3), np.ones(3)))
    assert tangent == 2.0


# --- np.meshgrid ----------------------------------------------------------------------------

def grid_xy(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(np.sin(X) * Y ** 2 + X * np.arange(X.size).reshape(X.shape))


def grid_ij_three(x, y, z):
    X, Y, Z = np.meshgrid(x, y * 2.0, z, indexing="ij")
    return np.sum(X * Y ** 2 + np.cos(Z) * X)


def grid_indexed(x, y):
    return np.sum(np.meshgrid(x, y, indexing="ij")[1] ** 3) + np.sum(np.meshgrid(x, y)[0] * 2.0)


def grid_of_a_matrix(A, y):
    X, Y = np.meshgrid(A, y)          # A is raveled
    return np.sum(np.exp(X) * Y)


def grid_one(x):
    (X,) = np.meshgrid(x * 2.0)
    return np.sum(X ** 2)


def grid_sparse(x, y):
    X, Y = np.meshgrid(x, y, sparse=True)      # (1, 3) and (2, 1)
    return np.sum(np.sin(X) * Y ** 2)


GRIDS = [(grid_xy, (RNG.normal(size=3), RNG.normal(size=4))),
         (grid_sparse, (RNG.normal(size=3), RNG.normal(size=2))),
         (grid_ij_three, (RNG.normal(size=3), RNG.normal(size=2), RNG.normal(size=4))),
         (grid_indexed, (RNG.normal(size=2), RNG.normal(size=3))),
         (grid_of_a_matrix, (RNG.normal(size=(2, 3)), RNG.normal(size=2))),
         (grid_one, (RNG.normal(size=3),))]


def check_both_modes(function, args):
    """grad against central differences, the Jacobian (by jvp columns) against it, and
    vjp of a cotangent 1.5."""
    gradient = grad(function)(*args)
    gradient = gradient if isinstance(gradient, tuple) else (gradient,)
    for k, g in enumerate(gradient):
        expected = central(function, args, k)
        assert g.shape == expected.shape
        assert np.allclose(g, expected, rtol=1e-6, atol=1e-7), (k, g, expected)
        assert np.allclose(jacobian(function, wrt=k, mode="forward")(*args), expected,
                           rtol=1e-6, atol=1e-7)
    _, pullback = vjp(function, *args)
    for ours, g in zip(pullback(1.5), gradient):
        assert np.allclose(ours, 1.5 * g)


@pytest.mark.parametrize("function, args", GRIDS, ids=[f.__name__ for f, _ in GRIDS])
def test_meshgrid(function, args):
    check_both_modes(function, args)


def test_meshgrid_as_a_list_is_refused_clearly():
    def grid_list(x, y):
        G = np.meshgrid(x, y)
        return np.sum(G[0] * G[1])
    with pytest.raises(S2SDiffError, match=r"X, Y = np.meshgrid\(x, y\)"):
        grad(grid_list)(np.ones(2), np.ones(3))


# --- np.block -------------------------------------------------------------------------------

def block_2x2(a, b):
    C = np.column_stack([a, b])
    D = np.block([[C, C], [C, -C]])
    return np.sum(D * np.arange(D.size).reshape(D.shape))


def block_flat(a, b):
    return np.sum(np.block([a, b, a]) ** 2 * np.arange(8.0))


def block_mixed_ranks(A, v):
    """A (2, 3) beside a (2, 1) column, over v made a row (1, 4) of 1-d v: v is promoted."""
    B = np.block([[A, np.ones((2, 1))], [v]])
    return np.sum(np.sin(B) * np.arange(12.0).reshape(3, 4))


def block_three_deep(A, B):
    T = np.block([[[A, B]], [[B, A]]])          # (2, 2, 4) from (2, 2) blocks, depth 3
    return np.sum(T ** 2 * np.arange(T.size).reshape(T.shape))


def block_with_numbers(A, s):
    B = np.block([[A, 0.5], [s, s * 2.0, A[:, :1]]])       # numbers are (1, 1) blocks
    return np.sum(B ** 2 * np.arange(B.size).reshape(B.shape))


BLOCKS = [(block_with_numbers, (np.array([[0.5, 1.0]]), 0.7)),
          (block_2x2, (RNG.normal(size=3), RNG.normal(size=3))),
          (block_flat, (RNG.normal(size=3), RNG.normal(size=2))),
          (block_mixed_ranks, (RNG.normal(size=(2, 3)), RNG.normal(size=4))),
          (block_three_deep, (RNG.normal(size=(1, 2)), RNG.normal(size=(1, 2))))]


@pytest.mark.parametrize("function, args", BLOCKS, ids=[f.__name__ for f, _ in BLOCKS])
def test_block(function, args):
    check_both_modes(function, args)


# --- np.ptp ---------------------------------------------------------------------------------

def ptp_plain(x):
    return np.ptp(x) * 2.0


def ptp_rows(A):
    return np.sum(np.ptp(A, axis=1, keepdims=True) * A)


def test_ptp_shares_the_adjoint_among_ties_as_max_and_min_do():
    x = np.array([1.0, 3.0, 3.0, 0.0, 0.0, 2.0])
    assert np.array_equal(grad(ptp_plain)(x), [0.0, 1.0, 1.0, -1.0, -1.0, 0.0])
    A = RNG.normal(size=(3, 4))
    assert np.allclose(grad(ptp_rows)(A), central(ptp_rows, (A,), 0), rtol=1e-6)
    _, along = jvp(ptp_plain, (x,), (np.arange(6.0),))
    assert along == pytest.approx(2.0 * ((1.0 + 2.0) / 2 - (3.0 + 4.0) / 2))


# --- assignment expressions (:=) ------------------------------------------------------------

def walrus_newton(a):
    x = a
    while (delta := abs(x * x - a)) > 1e-12:
        x = 0.5 * (x + a / x)
    return x + delta


def walrus_if_elif(x):
    if (y := math.sin(x) * x) > 0.1:
        return y * 2.0
    elif (z := y + x) > 0:
        return z * y
    return x * y


def walrus_in_expressions(x, y):
    s = (t := x * y) + t ** 2
    return s * (u := math.exp((v := t - 1.0) * 0.5)) + u * v


def walrus_with_continue(x, n):
    i, total = 0, 0.0
    while (k := i * 2) < n:
        i += 1
        if k == 2:
            continue
        total += x ** k
    return total + k * x


def walrus_numpy(x):
    if (s := np.sum(x ** 2)) > 1.0:
        return s * np.sum(x)
    return np.sum((m := np.tanh(x)) * m)


def walrus_for_iterable(xs):
    total = 0.0
    for v in (ys := [x * 2.0 for x in xs]):
        total += v * ys[0]
    return total


WALRUS = [(walrus_newton, (2.0,)), (walrus_if_elif, (0.7,)), (walrus_if_elif, (-0.2,)),
          (walrus_if_elif, (0.3,)), (walrus_in_expressions, (0.3, 0.8)),
          (walrus_with_continue, (0.7, 9)), (walrus_numpy, (np.array([0.3, 1.2]),)),
          (walrus_numpy, (np.array([0.3, 0.2]),))]


@pytest.mark.parametrize("function, args", WALRUS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(WALRUS)])
def test_walrus_in_both_modes(function, args):
    expected = central(function, args, 0)
    assert np.allclose(grad(function, wrt=0)(*args), expected, rtol=1e-6, atol=1e-8)
    forward = jacobian(function, wrt=0, mode="forward")
    assert np.allclose(forward(*args), expected, rtol=1e-6, atol=1e-8)


def test_walrus_over_a_list_iterable():
    assert grad(walrus_for_iterable)([0.5, 1.0]) == [8.0, 2.0]       # 4 x0^2 + 4 x0 x1


def test_walrus_is_an_assignment_before_the_test_and_at_the_end_of_the_body():
    source = grad(walrus_newton).source
    assert source.count("delta = abs(") + source.count("delta_2 = abs(") >= 2, source
    assert ":=" not in source


def walrus_reads_before(x):
    return x * (x := x * 2.0)


def walrus_after_and(x):
    if x > 0 and (y := x * 2.0) > 1.0:
        return y
    return x


def walrus_in_branch(x):
    return (y := x * 2.0) if x > 0 else x


def walrus_in_comprehension(xs):
    ys = [(y := x * 2.0) for x in xs]
    return sum(ys) + y


@pytest.mark.parametrize("function, why", [
    (walrus_reads_before, "whose name `x` the expression reads before it"),
    (walrus_after_and, "after the first operand of `and`"),
    (walrus_in_branch, "in a branch of a conditional expression"),
    (walrus_in_comprehension, "in a comprehension")])
def test_walrus_where_moving_it_first_would_change_the_value_is_refused(function, why):
    arg = [0.5, 1.0] if function is walrus_in_comprehension else 0.7
    with pytest.raises(S2SDiffError, match=r"assignment expression \(:=\)") as caught:
        grad(function)(arg)
    assert why in str(caught.value) and caught.value.filename == __file__


# --- consecutive pairs of a list: zip of slices -------------------------------------------

def squared_steps(xs):
    total = 0.0
    for a, b in zip(xs[:-1], xs[1:]):
        total += (b - a) ** 2
    return total


def weighted_tail(xs, ws):
    total = 0.0
    for x, w in zip(xs[1:], ws):            # stops at the shorter: len(ws)
        total += w * x ** 3
    return total


def last_three_against_all(xs):
    total = 0.0
    for pair in zip(xs[-3:], xs, xs[1:5]):
        a, b, c = pair
        total += a * b - math.sin(c)
    return total


def triples(xs):
    return sum(a * b * c for a, b, c in zip(xs, xs[1:], xs[2:]))


def tail_sum(xs):
    return xs[0] * sum(xs[1:])


def loop_over_a_slice(xs):
    total = 0.0
    for v in xs[-3:]:
        total += math.sin(v) * xs[0]
    return total


def comprehension_over_slices(xs):
    heads = [v * v for v in xs[:-1]]
    return sum(heads) + sum(math.exp(v) for v in xs[1:10])     # a bound past the end


def cosines_built_then_sliced(x):
    ys = [x]
    for _ in range(3):
        ys.append(math.cos(ys[-1]))
    return sum(ys[1:]) * sum(ys[:2])


def strict_steps(xs):
    total = 0.0
    for a, b in zip(xs[:-1], xs[1:], strict=True):
        total += (b - a) ** 2
    return total


def strict_weights(xs, ws):
    return sum(w * math.sin(x) for x, w in zip(xs, ws, strict=True))


def against_reversed(xs):
    return sum(a * b for a, b in zip(xs, xs[::-1]))


def odd_entries(xs):
    return sum(math.sin(v) for v in xs[1::2])


def backwards_from_the_second_last(xs):
    return sum(v * v for v in xs[-2::-1])


def down_by_two(xs):
    total = 0.0
    for v in xs[5:1:-2]:
        total += v ** 3
    return total


def every_third_but_the_last(xs):
    return sum(math.exp(v) for v in xs[:-1:3]) * xs[0]


def largest_of_the_tail(xs):
    return max(xs[1:]) * xs[0] + min(xs[::2])


def moving_window(xs):
    total = 0.0
    for i in range(len(xs)):
        total += (sum(xs[i - 2:i + 1]) / 3) ** 2       # i - 2 < 0 wraps around, as in Python
    return total


def strided_window(xs):
    k = 1
    return sum(v * v for v in xs[k:k + 4:2])


STEPPED = [against_reversed, odd_entries, backwards_from_the_second_last, down_by_two,
           every_third_but_the_last, moving_window, strided_window]


@pytest.mark.parametrize("function", STEPPED, ids=[f.__name__ for f in STEPPED])
def test_loops_over_slices_with_a_step(function):
    """Python's clamping of the bounds (literal, or names plus literals), for every length
    from 1 to 7."""
    for n in range(1, 8):
        xs = [0.3 * k - 0.7 for k in range(n)]
        value, gradient = value_and_grad(function)(xs)
        assert value == pytest.approx(function(xs), rel=1e-14, abs=1e-14)
        assert np.allclose(gradient, list_central(function, xs), atol=1e-7), n


def tail_from_a_call(xs):
    return sum(xs[len(xs) - 2:]) * 2.0


def test_a_slice_bound_other_than_names_plus_literals_stays_numpy_indexing():
    """A bound the index loop does not spell (a call) once read as 0: every entry summed,
    [2.0, 2.0, 2.0]; it is NumPy indexing, refused for a list and right for an array."""
    from s2sdiff import ArgumentError
    with pytest.raises(ArgumentError, match="pass np.array"):
        grad(tail_from_a_call)([1.0, 2.0, 3.0])
    assert grad(tail_from_a_call)(np.array([1.0, 2.0, 3.0])).tolist() == [0.0, 2.0, 2.0]


def list_central(function, xs, *rest):
    return central(lambda v: function(list(v), *rest), (np.array(xs),), 0)


ZIPPED = [(squared_steps, [0.5, 1.0, -0.3, 2.0], ()), (squared_steps, [0.5], ()),
          (weighted_tail, [0.5, 1.0, -0.3, 2.0], ([1.5, -2.0],)),
          (last_three_against_all, [0.5, 1.0, -0.3, 2.0, 0.7], ()),
          (last_three_against_all, [0.5, 1.0], ()), (triples, [0.5, 1.0, -0.3, 2.0], ()),
          (tail_sum, [1.0, 2.0, 3.0], ()), (tail_sum, [1.5], ()),
          (loop_over_a_slice, [0.5, 1.0, -0.3, 2.0, 0.7], ()), (loop_over_a_slice, [0.5, 1.0], ()),
          (comprehension_over_slices, [0.5, 1.0, -0.3, 2.0], ()),
          (strict_steps, [0.5, 1.0, -0.3, 2.0], ()), (strict_weights, [0.5, 1.0], ([2.0, -3.0],)),
          (largest_of_the_tail, [0.5, 1.0, -0.3, 2.0, 0.7], ())]


@pytest.mark.parametrize("function, xs, rest", ZIPPED,
                         ids=[f"{f.__name__}-{len(xs)}" for f, xs, _ in ZIPPED])
def test_zip_of_slices_of_a_list_in_both_modes(function, xs, rest):
    expected = list_central(function, xs, *rest)
    gradient = grad(function, wrt=0)(xs, *rest)
    assert isinstance(gradient, list) and np.allclose(gradient, expected, atol=1e-7)
    t = [0.3 * k - 0.5 for k in range(len(xs))]
    _, along = jvp(function, (xs, *rest), (t, *([0.0] * len(r) for r in rest)))
    assert along == pytest.approx(float(np.dot(expected, t)), abs=1e-7)
    assert grad(function, wrt=0)(np.array(xs), *rest) == pytest.approx(expected, abs=1e-7)


def test_a_list_built_in_the_function_then_sliced():
    """Pure-Python code slicing a list stays list code (it was taken for NumPy code and
    refused)."""
    def by_hand(x):
        ys = [x]
        for _ in range(3):
            ys.append(math.cos(ys[-1]))
        return sum(ys[1:]) * sum(ys[:2])
    for x in (0.5, -1.2):
        h = 1e-6
        assert grad(cosines_built_then_sliced)(x) == pytest.approx(
            (by_hand(x + h) - by_hand(x - h)) / (2 * h), rel=1e-7)
    assert "[1:]" not in grad(tail_sum).source


@pytest.mark.parametrize("xs, ws", [([0.5, 1.0], [2.0]), ([0.5], [2.0, 1.0]), ([], [1.0])])
def test_zip_strict_raises_as_python_does(xs, ws):
    with pytest.raises(ValueError) as python:
        strict_weights(xs, ws)
    with pytest.raises(ValueError) as ours:
        grad(strict_weights, wrt=0)(xs, ws)
    assert str(ours.value) == str(python.value)


def test_zip_of_slices_is_an_index_loop():
    source = grad(squared_steps).source
    assert "for i in range(n1):" in source and "xs[i1]" in source and "[1:]" not in source


# --- messages that named the wrong construct --------------------------------------------------

def array_copy_false(x):
    y = x.copy()
    z = np.array(y, copy=False)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2)


def array_copy_true(x):
    y = x.copy()
    z = np.array(y, copy=True)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2) + np.sum(z ** 3)


def test_np_array_copy_false_is_an_alias_and_copy_true_a_copy():
    """np.array(y, copy=False) returns y itself: a write into it is a write into y (it said
    "got an unexpected keyword argument 'copy'")."""
    x = np.array([0.3, -1.2, 2.0])
    with pytest.raises(S2SDiffError, match="writes in place into storage that `y`"):
        grad(array_copy_false)(x)
    assert np.allclose(grad(array_copy_true)(x), central(array_copy_true, (x,), 0), rtol=1e-6)


def transpose_written(A):
    B = A.copy()
    B.T[0] = B[:, 0] * 3.0
    return np.sum(B ** 2)


def test_a_write_through_a_transpose_names_the_view():
    with pytest.raises(S2SDiffError, match=r"`B.T\[0\]`, an element of `B.T` \(a view of `B`\)") \
            as caught:
        grad(transpose_written)(np.eye(2))
    assert "B[:, i] = v" in caught.value.hint and "global" not in str(caught.value)


class Affine:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def loss(self, x):
        return np.sum((self.a * x + self.b) ** 2)


AFFINE = Affine(np.array([1.0, -2.0, 0.5]), 0.3)


def method_of_module_object(x):
    return AFFINE.loss(x) * 2.0


def affine_loss(a, b, x):
    return np.sum((a * x + b) ** 2)


def as_the_hint_says(x):
    return affine_loss(AFFINE.a, AFFINE.b, x) * 2.0


def test_a_method_of_a_module_level_object_is_followed():
    """It said "no derivative rule for `test_rows2.loss`", then that s2sdiff does not
    follow methods of other objects; now it does (objects.py)."""
    x = np.array([0.5, 1.0, -0.3])
    gradient = grad(method_of_module_object)(x)
    assert np.allclose(gradient, central(method_of_module_object, (x,), 0), rtol=1e-6)
    assert np.allclose(grad(as_the_hint_says)(x), 2.0 * grad(AFFINE.loss)(x))
    assert np.allclose(grad(as_the_hint_says)(x), central(as_the_hint_says, (x,), 0), rtol=1e-6)


def grid_copy_false_written(x, y):
    X, Y = np.meshgrid(x, y, copy=False)        # views of x and y: the write reaches y
    Y[0, 0] = 5.0
    return np.sum(X * Y) + np.sum(y ** 2)


def grid_copy_true_written(x, y):
    X, Y = np.meshgrid(x, y, copy=True)
    Y[0, 0] = 5.0
    return np.sum(X * Y) + np.sum(y ** 2)


@pytest.mark.filterwarnings("ignore:Numpy has detected:DeprecationWarning")
def test_meshgrid_without_copies_is_a_view_of_its_arguments():
    x, y = np.array([0.5, 1.0, 2.0]), np.array([0.3, -0.4])
    with pytest.raises(S2SDiffError, match="writes in place into storage that `y`"):
        grad(grid_copy_false_written)(x, y)
    dx, dy = grad(grid_copy_true_written)(x, y)
    assert np.allclose(dx, central(grid_copy_true_written, (x, y), 0), rtol=1e-6)
    assert np.allclose(dy, central(grid_copy_true_written, (x, y), 1), rtol=1e-6)


def through_digamma(x):
    return digamma(x) * x              # what grad(math.gamma ...) calls, differentiated


def test_digamma_differentiates_once_more_and_then_says_so():
    """digamma has a row (trigamma): hessian(math.gamma) works; trigamma has none, so a
    third derivative of math.gamma is refused at generation, naming it."""
    x = 1.7
    assert grad(through_digamma)(x) == pytest.approx(trigamma(x) * x + digamma(x), rel=1e-13)
    with pytest.raises(S2SDiffError, match="differentiates them twice, not three times"):
        hessian(through_digamma)(x)
