"""Issue 13: data kept outside the differentiated function, and np.array displays.

* arrays, numbers, lists and tuples held in module globals, closure cells, default
  arguments and attributes of free objects are constant operands in every position
  (``X @ w``, ``w @ X.T``, ``np.dot``, ``np.concatenate``, indexing, methods such as
  ``X.dot(w)``, ``np.where``), in branches and loops, in reverse and forward mode;
* ``np.array`` / ``np.asarray`` displays of differentiable values (flat, nested, of
  arrays) and lists or tuples passed where NumPy takes an array (``np.mean([x, y])``)
  give the exact gradient: each element gets its entry of the array's adjoint.

Every value is checked against central differences (``numeric``) or a closed form, in
reverse mode (``grad``) and forward mode (``jvp``, against the directional difference).
"""
import types

import numpy as np
import pytest

from s2sdiff import derivative, grad, jvp, value_and_grad, vjp
from s2sdiff.errors import UnsupportedError

RNG = np.random.default_rng(13)
X = RNG.normal(size=(4, 3))          # module globals: the data
A = RNG.normal(size=2)
V3 = RNG.normal(size=3)
M = RNG.normal(size=(4, 3)) > 0      # a boolean mask
I = np.array([0, 2, 2, 1])           # an index array that repeats a position
LIST = [1.5, -2.0, 0.5]              # a list of numbers, read as an array by NumPy
PAIR = (RNG.normal(size=3), RNG.normal(size=3))   # a tuple of arrays
K = 2.5                              # a number
DATA = types.SimpleNamespace(X=X, A=A, rows=I, scale=0.75)


# -- the oracle ---------------------------------------------------------------------

def numeric(f, args, h=1e-6):
    """Central differences of the scalar ``f`` with respect to every argument."""
    args = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else float(a) for a in args]
    grads = []
    for i, a in enumerate(args):
        if isinstance(a, float):
            up = args[:i] + [a + h] + args[i + 1:]
            down = args[:i] + [a - h] + args[i + 1:]
            grads.append((f(*up) - f(*down)) / (2 * h))
            continue
        g = np.zeros_like(a)
        for k in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[k] += h
            down[k] -= h
            g[k] = (f(*args[:i], up, *args[i + 1:]) - f(*args[:i], down, *args[i + 1:])) / (2 * h)
        grads.append(g)
    return grads


def directional(f, args, tangents, h=1e-6):
    up = [a + h * t for a, t in zip(args, tangents)]
    down = [a - h * t for a, t in zip(args, tangents)]
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * h)


def check(f, *args, forward=True):
    """grad(f) against central differences; jvp(f) against the directional difference."""
    got = grad(f, wrt=tuple(range(len(args))))(*args)
    want = numeric(f, args)
    assert len(got) == len(want)
    for g, w, a in zip(got, want, args):
        assert np.shape(g) == np.shape(a)
        if isinstance(a, np.ndarray):      # a gradient is an array of the argument's dtype
            assert isinstance(g, np.ndarray) and g.dtype == a.dtype, (type(g), a.dtype)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    if forward:
        tangents = [RNG.normal(size=np.shape(a)) if isinstance(a, np.ndarray)
                    else float(RNG.normal()) for a in args]
        value, tangent = jvp(f, tuple(args), tuple(tangents))
        np.testing.assert_allclose(value, f(*args), rtol=1e-12)
        np.testing.assert_allclose(tangent, directional(f, args, tangents), rtol=1e-6, atol=1e-7)
    return got


# -- the reproducers ------------------------------------------------------------------

def matmul_global(w):
    return np.sum(X @ w)


def dot_global(w):
    return np.sum(np.dot(X, w))


def concatenate_globals(x):
    return np.sum(np.concatenate((A, x, A)) ** 2)


def matmul_transposed_global(w):
    return np.sum(w @ X.T)


def method_of_global(w):
    return np.sum(X.dot(w))


def nested_display(x):
    return np.sum(np.array([[x, x * 1.0, x + 2.5], [x ** 2, x, x / 2.0]]))


def flat_display_twice(x):
    return np.sum(np.array([x, x]))


def mean_of_list(x):
    return np.mean([x, x + 2])


def norm_of_list(x, y):
    return np.linalg.norm([x, y])


def test_matmul_with_a_global_matrix():
    w = RNG.normal(size=3)
    (dw,) = check(matmul_global, w)
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_dot_with_a_global_matrix():
    (dw,) = check(dot_global, RNG.normal(size=3))
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_concatenate_globals_around_the_argument():
    x = RNG.normal(size=2)
    (dx,) = check(concatenate_globals, x)
    np.testing.assert_allclose(dx, 2 * x, rtol=1e-14)


def test_matmul_with_a_transposed_global():
    (dw,) = check(matmul_transposed_global, RNG.normal(size=3))
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_method_of_a_global_array():
    (dw,) = check(method_of_global, RNG.normal(size=3))
    np.testing.assert_allclose(dw, X.sum(axis=0), rtol=1e-14)


def test_nested_display_is_not_a_silent_zero():
    x = 1.5
    (dx,) = check(nested_display, x)
    assert dx == pytest.approx(4.5 + 2 * x, rel=1e-14)     # 1 + 1 + 1 + 2x + 1 + 1/2
    source = grad(nested_display).specialize(x).source
    assert "does not reach the output" not in source


def test_flat_display_of_one_value_twice():
    (dx,) = check(flat_display_twice, 0.3)
    assert dx == 2.0


def test_mean_of_a_list():
    (dx,) = check(mean_of_list, 0.7)
    assert dx == 1.0


def test_norm_of_a_list():
    dx, dy = check(norm_of_list, 3.0, 4.0)
    assert (dx, dy) == (pytest.approx(0.6, rel=1e-15), pytest.approx(0.8, rel=1e-15))


# -- free data in every operand position ------------------------------------------------

def square_of_matmul(w): return np.sum((X @ w) ** 2)
def times_left(w): return np.sum(w * X)                     # (3,) broadcast against (4, 3)
def times_right(w): return np.sum((X * w) ** 2)
def plus_broadcast(w): return np.sum((X + w) ** 2)
def minus_broadcast(w): return np.sum((w - X) ** 2)
def divided_by(w): return np.sum(X / (w ** 2 + 1.0))
def normal_equations(w): return np.sum(X.T @ (X @ w) * w)
def outer_with_global(w): return np.sum(np.outer(A, w) ** 2)
def matmul_call(w): return np.sum(np.matmul(X, w) ** 2)
def stack_global_and_argument(x): return np.sum(np.stack([A, x]) ** 2)
def row_of_global(w): return X[0] @ w
def gather_of_global(w): return np.sum((X[I] @ w) ** 2)
def gather_with_global_index(x): return np.sum(x[I] ** 2)       # I repeats position 2
def gather_with_attribute_index(x): return np.sum(x[DATA.rows] ** 2)
def where_global_mask(w): return np.sum(np.where(M, X * w, 0.0) ** 2)
def where_broadcast(w): return np.sum(np.where(M, w, 0.0) ** 2)
def boolean_mask(w): return np.sum((X * w)[M] ** 2)
def shape_of_global(w): return X.shape[0] * np.sum(w ** 2)
def len_of_global(w): return len(X) * np.sum(w ** 2)
def sum_method_of_global(w): return np.sum(X.sum(axis=0) * w ** 2)
def global_number(w): return K * np.sum(w ** 2)
def attribute_number(w): return DATA.scale * np.sum(w ** 2)
def dot_with_list(w): return np.dot(LIST, w)
def times_list(w): return np.sum(w * LIST) ** 2            # the list is read as an array
def power_times_list(w): return np.sum(np.power(w, 2) * LIST)
def tuple_entries(w): return np.sum(PAIR[0] * w) * np.sum(PAIR[1] * w)
def concatenate_tuple_entry(w): return np.sum(np.concatenate([PAIR[0], w]) ** 2)
def attribute_matmul(w): return np.sum(DATA.X @ w)
def attribute_method(w): return np.sum(DATA.X.dot(w) ** 2)
def attribute_concatenate(x): return np.sum(np.concatenate((DATA.A, x)) ** 2)
def attribute_transposed(w): return np.sum((w @ DATA.X.T) ** 2)
def maximum_with_attribute(w): return np.sum(np.maximum(w, DATA.X) ** 2)
def exp_of_attribute(w): return np.sum(np.exp(DATA.X) * w)
def method_of_argument_with_global(w): return np.sum(w.dot(X.T) ** 2)
def transposed_times_column(w): return np.sum((X.T * w[:, None]) ** 2)   # not X's shape
def dot_transposed(w): return np.sum(np.dot(w, X.T) ** 2)
def entries_of_global(w): return np.sum(w * X[0]) + X[1, 2] * w[0]


def _closures():
    Xc = RNG.normal(size=(4, 3))
    Ac = RNG.normal(size=2)

    def closure_matmul(w):
        return np.sum((Xc @ w) ** 2)

    def closure_concatenate(x):
        return np.sum(np.concatenate((Ac, x, Ac)) ** 2)

    def closure_methods(w):
        return np.sum(Xc.dot(w) * np.dot(Xc, w))

    def closure_transposed(w):
        return np.sum((w @ Xc.T) ** 2)
    return [closure_matmul, closure_concatenate, closure_methods, closure_transposed]


def loop_over_rows_by_index(w):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.sum(X[i] * w) ** 2
    return s


def loop_over_rows(w):
    s = 0.0
    for row in X:
        s = s + np.sum(row * w) ** 2
    return s


def branch_with_global(w):
    if np.sum(w) > 0:
        y = X @ w
    else:
        y = X @ (w * 2.0)
    return np.sum(y ** 2)


W3 = RNG.normal(size=3)
X2 = RNG.normal(size=2)
FREE = [(f, (W3,)) for f in (
    square_of_matmul, times_left, times_right, plus_broadcast, minus_broadcast, divided_by,
    normal_equations, outer_with_global, matmul_call, row_of_global, gather_of_global,
    gather_with_global_index, gather_with_attribute_index, where_global_mask,
    where_broadcast, boolean_mask, shape_of_global, len_of_global, sum_method_of_global,
    global_number, attribute_number, dot_with_list, times_list, power_times_list,
    tuple_entries, concatenate_tuple_entry, attribute_matmul, attribute_method,
    attribute_transposed, maximum_with_attribute, exp_of_attribute,
    method_of_argument_with_global, transposed_times_column, dot_transposed,
    entries_of_global, loop_over_rows_by_index, loop_over_rows)]
FREE += [(stack_global_and_argument, (X2,)), (attribute_concatenate, (X2,)),
         (branch_with_global, (W3,)), (branch_with_global, (-W3 - 3.0,))]
FREE += [(f, (X2,) if "concatenate" in f.__name__ else (W3,)) for f in _closures()]


@pytest.mark.parametrize("f, args", FREE, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(FREE)])
def test_free_data_in_every_operand_position(f, args):
    check(f, *args)


def test_an_index_array_held_outside_repeats_its_positions():
    x = RNG.normal(size=3)
    (dx,) = check(gather_with_global_index, x)
    np.testing.assert_allclose(dx, 2 * x * np.bincount(I, minlength=3), rtol=1e-14)
    (dx,) = check(gather_with_attribute_index, x)
    np.testing.assert_allclose(dx, 2 * x * np.bincount(I, minlength=3), rtol=1e-14)


def test_a_list_held_outside_is_read_as_an_array_not_repeated():
    w = RNG.normal(size=3)
    (dw,) = check(times_list, w)
    np.testing.assert_allclose(dw, 2 * np.sum(w * LIST) * np.array(LIST), rtol=1e-14)


def test_a_default_argument_is_data_too():
    """A left-out argument used to raise TypeError from the array dispatcher's fast path."""
    def loss(w, Xd=X, scale=1.0):
        return scale * np.sum((Xd @ w) ** 2)
    w = RNG.normal(size=3)
    g = grad(loss, wrt=0)
    for _ in range(2):                  # the first call specialises, the second is cached
        np.testing.assert_allclose(g(w), 2 * X.T @ (X @ w), rtol=1e-13)
        np.testing.assert_allclose(g(w, X), 2 * X.T @ (X @ w), rtol=1e-13)
        np.testing.assert_allclose(g(w, Xd=X, scale=2.0), 4 * X.T @ (X @ w), rtol=1e-13)
        np.testing.assert_allclose(g(w, scale=2.0), 4 * X.T @ (X @ w), rtol=1e-13)
    dw, dX, dscale = grad(loss)(w, X)
    np.testing.assert_allclose(dX, 2 * np.outer(X @ w, w), rtol=1e-13)
    assert dscale == pytest.approx(np.sum((X @ w) ** 2), rel=1e-14)
    with pytest.raises(TypeError):
        g()


def test_vjp_value_and_grad_and_derivative_with_global_data():
    w = RNG.normal(size=3)
    value, (dw,) = value_and_grad(square_of_matmul, wrt=(0,))(w)
    assert value == pytest.approx(np.sum((X @ w) ** 2), rel=1e-14)
    np.testing.assert_allclose(dw, 2 * X.T @ (X @ w), rtol=1e-13)

    def rows(w):
        return X @ w
    out, pullback = vjp(rows, w)
    np.testing.assert_allclose(out, X @ w, rtol=1e-14)
    np.testing.assert_allclose(pullback(np.arange(4.0))[0], X.T @ np.arange(4.0), rtol=1e-13)

    def scaled(t):
        return np.sum((X * t) ** 2)
    assert derivative(scaled)(0.7) == pytest.approx(2 * 0.7 * np.sum(X ** 2), rel=1e-13)


def test_forward_mode_by_columns_over_an_array_is_refused_clearly():
    with pytest.raises(UnsupportedError, match="by columns in forward mode") as info:
        derivative(square_of_matmul)(W3)
    assert info.value.lineno == square_of_matmul.__code__.co_firstlineno


# -- np.array displays and lists where NumPy takes an array -------------------------------

def display_squared(x, y): return np.sum(np.array([x, y]) ** 2)
def display_matrix_times_global(x, y):
    Mx = np.array([[x, 1.0], [2.0, y]])
    return np.sum(Mx @ A)
def display_matrix_squared(x, y):
    Mx = np.array([[x, 1.0], [2.0, y]])
    return np.sum(Mx @ Mx)
def asarray_display(x, y): return np.sum(np.asarray([x, y]) ** 3)
def sum_of_list(x, y): return np.sum([x, y * y])
def max_of_list(x, y): return np.max([x, y])
def min_of_tuple(x, y): return np.min((x, 2 * y))
def prod_of_list(x, y): return np.prod([x, y, 2.0])
def dot_of_list(x, y): return np.dot([x, y], A)
def matmul_of_displays(x, y): return np.array([x, y]) @ np.array([y, x])
def display_times_global(x, y): return np.sum(np.array([x, y]) * A)
def mean_of_tuple(x, y): return np.mean((x, y))
def norm_of_three(x, y): return np.linalg.norm([x, y, 1.0])
def row_times_column(x, y): return np.sum(np.array([[x, y]]) @ np.array([[y], [x]]))
def display_with_dtype(x, y): return np.sum(np.array([x, y], dtype=float) ** 2)
def clip_of_list(x, y): return np.sum(np.clip([x, y], -0.5, 0.5))
def concatenate_list_and_global(x, y): return np.sum(np.concatenate([[x, y], A]) ** 2)
def where_of_list(x, y): return np.sum(np.where([True, False], [x, y], 0.0))
def exp_of_list(x, y): return np.sum(np.exp([x, y]) * A)
def maximum_of_list(x, y): return np.sum(np.maximum([x, y], 0.1) ** 2)
def display_with_globals(x, y): return np.sum(np.array([x, K, DATA.scale, y]) ** 2)
def display_in_a_loop(x, y):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.array([x, y * i]) ** 2)
    return s
def display_in_branches(x, y):
    if x > 0:
        v = np.array([x, y * y])
    else:
        v = np.array([y, x])
    return np.sum(v * A)
def stack_arrays_display(a, b): return np.sum(np.array([a, b]) * X[:2])
def stack_call(a, b): return np.sum(np.stack([a, b]) ** 2)
def display_of_arrays_nested(a, b): return np.sum(np.array([[a, b], [b, a]]) ** 2)
def norm_along_axis(a, b): return np.sum(np.linalg.norm([a, b], axis=0))
def mean_along_axis(a, b): return np.sum(np.mean([a, b * b], axis=1))
def display_mixing_free_array(a, x): return np.sum(np.array([a, a * x, V3]) ** 2)
def display_of_free_and_argument(x): return np.sum(np.array([V3, x * V3]) ** 2)
def display_of_free_rows_in_loop(w):
    s = 0.0
    for i in range(2):
        s = s + np.sum(np.array([w, X[i]]) @ V3)
    return s
def sin_of_tuple(x): return np.sum(np.sin((x, 2 * x)))


SCALARS = (0.3, -1.2)
DISPLAYS = [(f, SCALARS) for f in (
    display_squared, display_matrix_times_global, display_matrix_squared, asarray_display,
    sum_of_list, max_of_list, min_of_tuple, prod_of_list, dot_of_list, matmul_of_displays,
    display_times_global, mean_of_tuple, norm_of_three, row_times_column,
    display_with_dtype, clip_of_list, concatenate_list_and_global, where_of_list,
    exp_of_list, maximum_of_list, display_with_globals, display_in_a_loop,
    display_in_branches)]
DISPLAYS += [(display_in_branches, (-0.3, -1.2))]
DISPLAYS += [(f, (W3, V3 + 1.0)) for f in (stack_arrays_display, stack_call,
                                          display_of_arrays_nested, norm_along_axis,
                                          mean_along_axis)]
DISPLAYS += [(display_mixing_free_array, (W3, 0.7)), (display_of_free_and_argument, (0.7,)),
             (display_of_free_rows_in_loop, (W3,)), (sin_of_tuple, (0.4,))]


@pytest.mark.parametrize("f, args", DISPLAYS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(DISPLAYS)])
def test_displays_and_lists_where_numpy_takes_an_array(f, args):
    check(f, *args)


def test_closed_forms_of_displays():
    x, y = 0.3, -1.2
    assert grad(display_squared)(x, y) == (pytest.approx(2 * x), pytest.approx(2 * y))
    dx, dy = grad(display_matrix_squared)(x, y)
    # sum(M @ M) with M = [[x, 1], [2, y]]: 2x + 3 + x + y + 2 + y ... by hand:
    # M@M = [[x*x + 2, x + y], [2x + 2y, 2 + y*y]], sum = x^2 + y^2 + 3x + 3y + 4
    assert (dx, dy) == (pytest.approx(2 * x + 3), pytest.approx(2 * y + 3))
    assert grad(max_of_list)(x, y) == (1.0, 0.0)
    assert grad(prod_of_list)(x, y) == (pytest.approx(2 * y), pytest.approx(2 * x))


def test_a_display_that_is_the_only_path_is_never_reported_unreached():
    for f, args in DISPLAYS:
        source = grad(f, wrt=tuple(range(len(args)))).specialize(*args).source
        assert "does not reach the output" not in source, f.__name__


def test_generated_code_for_a_nested_display_reads_entries():
    """Each element's adjoint is its entry of the array's adjoint: ``d[1, 2]``."""
    source = grad(nested_display).specialize(1.5).source
    assert "[0, 0]" in source and "[1, 2]" in source


# -- clear errors ---------------------------------------------------------------------------

def list_built_in_a_loop(x):
    out = []
    for i in range(3):
        out.append(x * i)
    return np.sum(np.array(out))


def list_named_then_stacked(x):
    out = []
    for i in range(3):
        out.append(x * i)
    return np.sum(np.stack(out))


def tuple_named_then_averaged(x, y):
    v = (x, y)
    s = 0.0
    for i in range(2):
        s = s + x
    return np.mean(v) + s


@pytest.mark.parametrize("f, args", [
    (list_built_in_a_loop, (0.5,)),
    (list_named_then_stacked, (0.5,)),
    (list_named_then_stacked, (np.ones(2),)),
])
def test_a_list_variable_passed_to_numpy_is_its_entries(f, args):
    """These gave a gradient of exactly 0 (the list was taken for a constant), then were
    refused; the join's adjoint is now split back into the list's (runtime.split_join):
    sum(x * i for i in range(3)) = 3 x per entry."""
    assert np.allclose(grad(f)(*args), np.full(np.shape(args[0]), 3.0))


def test_a_tuple_variable_passed_to_numpy_is_its_entries():
    """It gave a gradient of exactly 0 (the tuple taken for a constant), then was refused;
    a name holding only a tuple display is now one name per entry (normalize/tuples.py):
    d/dx (mean(x, y) + 2 x) = 2.5, d/dy = 0.5."""
    assert grad(tuple_named_then_averaged)(0.5, 0.2) == (2.5, 0.5)


def test_a_list_passed_to_an_elementwise_function_imported_by_name_is_refused():
    from numpy import exp

    def f(x, y):
        return np.sum(exp([x, y]))
    with pytest.raises(UnsupportedError, match="a list or tuple passed to `exp`") as info:
        grad(f)(0.1, 0.2)
    assert "exp([x, y])" in info.value.source_line


# -- array code with branches: kinds of the arm not taken, one adjoint shape after the if ----

def branch_elementwise(w):
    if np.sum(w) > 0:
        y = w * 2.0
    else:
        y = np.sin(w) * 3.0
    return np.sum(y)


def test_array_code_with_a_branch_not_taken_at_the_first_call():
    """The first call took one arm: the other's kinds are inferred too (was a KeyError),
    and the lazy adjoint of one arm gets its full shape (was the scalar 2.0)."""
    for first in (np.ones(3), -np.ones(3)):
        g = grad(branch_elementwise)
        for w in (first, -first):
            want = np.full(3, 2.0) if np.sum(w) > 0 else 3 * np.cos(w)
            got = g(w)
            assert isinstance(got, np.ndarray) and got.shape == (3,)
            np.testing.assert_allclose(got, want, rtol=1e-15)


# -- data rebound between calls ----------------------------------------------------------

REBOUND = np.arange(3.0)
REBOUND_NUMBER = 2.0


def times_rebound(w):
    return np.sum(w * REBOUND)


def times_rebound_number(w):
    return np.sum(w * REBOUND_NUMBER)


def test_code_follows_a_global_array_rebound_to_another_shape():
    """The code generated for one shape of a global is not reused for another (it gave
    the (4, 3) array itself as the gradient of a (3,) argument)."""
    global REBOUND
    g = grad(times_rebound)
    w = np.ones(3)
    try:
        np.testing.assert_array_equal(g(w), [0.0, 1.0, 2.0])
        REBOUND = np.arange(12.0).reshape(4, 3)
        got = g(w)
        assert got.shape == (3,)
        np.testing.assert_array_equal(got, REBOUND.sum(axis=0))
        REBOUND = np.arange(3.0)
        np.testing.assert_array_equal(g(w), [0.0, 1.0, 2.0])
    finally:
        REBOUND = np.arange(3.0)


def test_code_follows_a_global_number_rebound_to_an_array():
    global REBOUND_NUMBER
    g = grad(times_rebound_number)
    w = np.ones(3)
    try:
        np.testing.assert_array_equal(g(w), [2.0, 2.0, 2.0])
        REBOUND_NUMBER = np.arange(6.0).reshape(2, 3)
        np.testing.assert_array_equal(g(w), REBOUND_NUMBER.sum(axis=0))
    finally:
        REBOUND_NUMBER = 2.0


def test_code_follows_a_closure_cell_rebound_to_another_shape():
    def make():
        B = np.arange(3.0)

        def f(w):
            return np.sum(w * B)

        def rebind(new):
            nonlocal B
            B = new
        return f, rebind
    f, rebind = make()
    g = grad(f)
    np.testing.assert_array_equal(g(np.ones(3)), [0.0, 1.0, 2.0])
    rebind(np.ones((2, 3)))
    np.testing.assert_array_equal(g(np.ones(3)), [2.0, 2.0, 2.0])


def norm_in_one_arm(x, y):
    if x > 0:
        s = np.linalg.norm([x, y])
    else:
        s = x * y
    return s * 2.0


def test_a_display_in_one_arm_of_a_branch():
    for first in (0.3, -0.3):
        g = grad(norm_in_one_arm)
        for x in (first, -first):
            got = g(x, 0.4)
            want = (2 * x / 0.5, 2 * 0.4 / 0.5) if x > 0 else (0.8, 2 * x)
            assert got == (pytest.approx(want[0], rel=1e-14), pytest.approx(want[1], rel=1e-14))
