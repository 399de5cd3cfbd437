"""The idioms of issue 15 that came last: ``zip(*rows)`` outside a ``for`` header,
``for v in reversed(xs)`` over a differentiated list, ``np.array``/``np.stack`` of a
comprehension, starred unpacking into displays and calls, and ``derivative`` of tree
parameters.  Every gradient is checked against central differences of the function
itself (leaf by leaf for trees); what stays out fails at generation time, naming it."""

import math

import numpy as np
import pytest

from s2sdiff import UnsupportedError, derivative, grad, value_and_grad
from test_tree_programs import at, central, leaves


def check_tree_gradient(function, args, wrt=None, gradient=None):
    """``grad`` (or ``gradient``) against central differences, leaf by leaf."""
    names = list(function.__code__.co_varnames[:function.__code__.co_argcount])
    positions = [names.index(wrt)] if wrt else list(range(len(args)))
    if gradient is None:
        gradient = grad(function, wrt=wrt)(*args) if wrt else grad(function)(*args)
    if wrt or len(args) == 1:
        gradient = (gradient,)
    value = (value_and_grad(function, wrt=wrt) if wrt else value_and_grad(function))(*args)[0]
    assert value == pytest.approx(function(*args), rel=1e-12)
    for position, got in zip(positions, gradient):
        arg = args[position]
        found = leaves(arg) if not isinstance(arg, (float, np.ndarray)) else [((), arg)]
        assert found
        for path, _ in found:
            ours = np.asarray(at(got, path), dtype=float)
            theirs = central(function, args, position, path)
            scale = max(1.0, float(np.max(np.abs(theirs))))
            assert ours.shape == theirs.shape, path
            assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6 * scale), (path, ours, theirs)


# --- derivative of tree parameters ------------------------------------------------------

def scalar_tree(t, x):
    return t["a"] * t["b"] ** 2 + math.sin(t["c"][0] * x)


def test_derivative_takes_tree_parameters():
    t = {"a": 2.0, "b": 3.0, "c": (0.5, 1)}
    by_forward = derivative(scalar_tree, wrt="t")(t, 2.0)
    assert by_forward["c"][1] is None                     # an int leaf is a constant
    assert by_forward == grad(scalar_tree, wrt="t")(t, 2.0)
    check_tree_gradient(scalar_tree, (t, 2.0), wrt="t", gradient=by_forward)
    both = derivative(scalar_tree)(t, 2.0)
    assert both[1] == pytest.approx(0.5 * math.cos(1.0))
    source = derivative(scalar_tree).specialize(t, 2.0).source
    assert "t_c_0 = t['c'][0]" in source and "derivative_scalar_tree_leaves(" in source


def test_derivative_of_array_trees_is_refused_like_flat_arrays():
    def loss(params, x):
        return np.sum(np.tanh(params["W"] @ x + params["b"]) ** 2)
    p = {"W": np.ones((2, 3)), "b": np.zeros(2)}
    with pytest.raises(UnsupportedError, match="by columns in forward mode"):
        derivative(loss, wrt="params")(p, np.ones(3))


# --- zip(*rows) outside a for header ----------------------------------------------------

def columns_of_rows(rows):
    cols = list(zip(*rows))
    return sum(c[0] * c[1] * c[2] for c in cols) + math.sin(cols[1][2])


def unzipped_pairs(pairs, w):
    xs, ys = zip(*pairs)
    return sum(w * x * y + math.sin(x) for x, y in zip(xs, ys))


def unzipped_layers(layers, x):
    Ws, bs = zip(*layers)
    h = x
    for W, b in zip(Ws, bs):
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2) + np.sum(bs[0])


def stacked_columns(rows):
    cols = list(zip(*rows))
    return np.sum(np.stack(cols[0]) * np.stack(cols[1]))


LAYERS = [(np.arange(6.0).reshape(3, 2) / 9 - 0.2, np.array([0.1, -0.2, 0.3])),
          (np.arange(9.0).reshape(3, 3) / 20 - 0.2, np.array([0.05, 0.0, -0.1]))]


def test_zip_star_of_a_list_of_lists_of_scalars_gives_columns():
    rows = [[0.5, 1.5], [2.0, -1.0], [0.3, 0.7]]
    gradient = grad(columns_of_rows)(rows)
    # c0 = (0.5, 2, 0.3), c1 = (1.5, -1, 0.7): d/drows[i][j] = product of the others in
    # column j, plus cos(c1[2]) at rows[2][1]
    assert gradient[0] == pytest.approx([0.6, -0.7])
    assert gradient[2] == pytest.approx([1.0, -1.5 + math.cos(0.7)])
    check_tree_gradient(columns_of_rows, (rows,))


def test_zip_star_unpacked_from_a_list_of_tuples_and_from_an_array():
    pairs = [(1.0, 2.0), (3.0, 4.0), (0.5, -1.0)]
    assert grad(unzipped_pairs, wrt="pairs")(pairs, 0.5)[0] == pytest.approx(
        (0.5 * 2.0 + math.cos(1.0), 0.5 * 1.0))
    check_tree_gradient(unzipped_pairs, (pairs, 0.5))
    P = np.array(pairs)
    gP, gw = grad(unzipped_pairs)(P, 0.5)
    assert np.allclose(gP, np.array(grad(unzipped_pairs, wrt="pairs")(pairs, 0.5)))
    assert gw == pytest.approx(sum(x * y for x, y in pairs))
    with pytest.raises(AssertionError, match="2 values to unpack"):
        grad(unzipped_pairs)(np.ones((3, 3)), 0.5)


def test_zip_star_of_tree_layers_and_rows():
    check_tree_gradient(unzipped_layers, (LAYERS, np.array([0.4, -0.6])))
    rows = [(np.array([1.0, 2.0]), np.array([0.5, -0.5])),
            (np.array([0.3, 0.1]), np.array([2.0, 1.0]))]
    check_tree_gradient(stacked_columns, (rows,))
    source = grad(unzipped_layers).specialize(LAYERS, np.ones(2)).source
    assert "zip(" not in source                  # unrolled: one step per layer


def test_zip_star_whose_rows_are_not_known_is_refused():
    with pytest.raises(UnsupportedError, match=r"`zip\(\*rows\)` of rows whose number") as e:
        grad(columns_of_rows)(np.ones((3, 3)))
    assert "cols = list(zip(*rows))" in str(e.value)

    def arrays(xs):
        a, b = zip(*xs)
        return np.sum(a[0] * b[0])
    with pytest.raises(UnsupportedError, match="lengths are not known"):
        grad(arrays)([np.ones(2), np.ones(2)])


# --- for v in reversed(xs) --------------------------------------------------------------

def reversed_scalars(xs):
    s = 0.0
    for v in reversed(xs):
        s = s * 0.5 + math.sin(v)
    return s


def reversed_layers(layers, x):
    h = x
    for W, b in reversed(layers):
        h = np.tanh(W.T @ h + 0.1 * np.sum(b))
    return np.sum(h ** 2)


def reversed_rows(X, w):
    h = 0.0
    for row in reversed(X):
        h = np.tanh(row @ w + 0.5 * h)
    return h


def enumerated_reversed_slice(layers, x):
    total = 0.0
    for k, (W, b) in enumerate(reversed(layers[:2])):
        total = total + (k + 1) * np.sum(np.tanh(W[:, :2] @ x[:2] + b))
    return total


def test_reversed_over_a_differentiated_list_of_scalars():
    xs = [0.3, 1.1, -0.7]
    assert grad(reversed_scalars)(xs) == pytest.approx(
        [math.cos(0.3), 0.5 * math.cos(1.1), 0.25 * math.cos(-0.7)])
    check_tree_gradient(reversed_scalars, (np.array(xs),))


def test_reversed_over_tree_lists_and_array_rows():
    check_tree_gradient(reversed_layers, (LAYERS, np.array([0.2, 0.5, -0.3])))
    X, w = np.arange(6.0).reshape(3, 2) / 7, np.array([0.3, -0.5])
    check_tree_gradient(reversed_rows, (X, w))
    check_tree_gradient(enumerated_reversed_slice, (LAYERS, np.array([0.4, -0.6, 0.1])),
                        wrt="layers")


# --- np.array / np.stack of a comprehension ---------------------------------------------

def unit(v):
    return v / np.sqrt(np.sum(v ** 2))


def array_of_rows(X, W):
    H = np.array([np.tanh(W @ row) for row in X])
    return np.sum(H ** 2 * np.arange(H.size).reshape(H.shape))


def stack_of_helper_rows(X):
    Y = np.stack([unit(row) for row in X])
    return np.sum(Y * Y[0]) + np.sum(Y[-1] ** 3)


def array_of_scalars(X, w):
    norms = np.array([np.sum((row - w) ** 2) for row in X])
    return np.sum(np.exp(-norms))


def stack_over_tree(Ws, x):
    outs = np.stack([np.tanh(W @ x) for W in Ws])
    return np.sum(outs ** 2 * np.array([1.0, 2.0])[:, None])


def array_over_range(x):
    return np.sum(np.array([x ** k for k in range(1, 4)]))


def test_array_of_a_comprehension_over_rows():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)) / 2
    check_tree_gradient(array_of_rows, (X, W))
    check_tree_gradient(stack_of_helper_rows, (X + 2.0,))
    check_tree_gradient(array_of_scalars, (X, rng.normal(size=3)))
    check_tree_gradient(stack_over_tree, ([W, W[::-1] * 0.5], rng.normal(size=3)))
    assert grad(array_over_range)(0.5) == pytest.approx(1 + 2 * 0.5 + 3 * 0.25)


def test_array_of_a_comprehension_checks_its_rows_at_run_time():
    def powers(x, n):
        return np.sum(np.array([x ** k for k in range(n)]))
    assert grad(powers, wrt="x")(2.0, 3) == pytest.approx(1.0 + 2 * 2.0)
    with pytest.raises(AssertionError, match="empty comprehension"):
        grad(powers, wrt="x")(2.0, 0)

    def ragged(x):
        return np.sum(np.array([x[:k] for k in range(1, 3)]))
    with pytest.raises(ValueError):
        ragged(np.ones(3))                      # NumPy refuses a ragged array: so do we
    with pytest.raises((ValueError, AssertionError), match="broadcast|different shapes"):
        grad(ragged)(np.ones(3))

    def filtered(X):
        return np.sum(np.array([row for row in X if row[0] > 0]))
    with pytest.raises(UnsupportedError, match="comprehension with `if`.*depends on the data"):
        grad(filtered)(np.ones((2, 2)))


# --- starred unpacking -------------------------------------------------------------------

def array_with_starred(a, b):
    v = np.array([*a, b, 2 * b])
    return np.sum(v ** 2 * np.arange(5.0))


def stack_with_starred(A, b):
    v = np.stack([*A, b])
    return np.sum(np.tanh(v) * np.arange(8.0).reshape(4, 2))


def list_with_starred(xs, y):
    zs = [*xs, y]
    return sum(z * z for z in zs) * zs[0]


def dot_tanh(a, b):
    return np.sum(a * np.tanh(b))


def spread_calls(a, b):
    return dot_tanh(*[a, b]) + dot_tanh(a, *[b])


def spread_rows(ab):
    return dot_tanh(*ab)


def starred_tree(xs, layer, y):
    v = np.stack([*xs, y])
    return np.sum(v ** 2) * dot_tanh(*layer)


def test_starred_entries_in_arrays_lists_and_calls():
    check_tree_gradient(array_with_starred, (np.array([1.0, 2.0, 3.0]), 0.5))
    check_tree_gradient(stack_with_starred, (np.arange(6.0).reshape(3, 2) / 7,
                                              np.array([0.2, -0.3])))
    assert grad(list_with_starred)([1.0, 2.0], 3.0) == ([16.0, 4.0], 6.0)
    check_tree_gradient(spread_calls, (np.array([1.0, 2.0]), np.array([0.3, 0.4])))
    check_tree_gradient(spread_rows, (np.array([[1.0, 2.0], [0.3, 0.4]]),))
    check_tree_gradient(starred_tree, ([np.array([1.0, 2.0]), np.array([0.5, -1.0])],
                                       (np.array([0.3, 0.1]), np.array([1.0, 2.0])),
                                       np.array([0.2, 0.4])))
    with pytest.raises(AssertionError, match="takes 2 arguments"):
        grad(spread_rows)(np.ones((3, 2)))


# --- the checked entry (the fast path of tree arguments) --------------------------------

def dict_loss(p, x):
    return np.sum(p["w"] * x) + p["b"] ** 2


def layers_loss(layers, x):
    for W in layers:
        x = np.tanh(W @ x)
    return np.sum(x)


def test_checked_entry_falls_back_when_the_structure_changes():
    g = grad(dict_loss, wrt="p")
    x = np.array([1.0, 2.0])
    first = g({"w": np.array([1.0, 1.0]), "b": 2.0}, x)
    assert "tree_fallback" in g.latest.fast_source
    assert np.array_equal(first["w"], x) and first["b"] == 4.0
    swapped = g({"b": 2.0, "w": np.array([1.0, 1.0])}, x)
    assert list(swapped) == ["b", "w"] and swapped["b"] == 4.0
    assert g({"w": np.array([1, 1]), "b": 2.0}, x)["w"] is None        # an int array leaf
    assert g({"w": np.array([1.0, 1.0]), "b": 2}, x)["b"] is None      # an int leaf
    assert g({"w": np.array([1.0, 1.0]), "b": np.float64(3.0)}, x)["b"] == 6.0
    assert g({"w": np.array([1.0, 1.0]), "b": 2.0, "c": None}, x)["c"] is None
    again = g({"w": np.array([1.0, 1.0]), "b": 2.0}, x)
    assert list(again) == ["w", "b"] and again["b"] == 4.0
    with pytest.raises(UnsupportedError, match="has no key 'b'"):
        g({"w": np.array([1.0, 1.0])}, x)
    h = grad(layers_loss, wrt="layers")
    W = np.array([[0.5, -0.2], [0.1, 0.3]])
    assert len(h([W, W], np.ones(2))) == 2
    check_tree_gradient(layers_loss, ([W, W, 2 * W], np.ones(2)), wrt="layers")
    assert len(h([W], np.ones(2))) == 1
    assert len(h((W, W), np.ones(2))) == 2 and isinstance(h((W, W), np.ones(2)), tuple)


# --- names reassigned before the rewrites read them ---------------------------------------

def unzip_reassigned(W, X):
    P = X @ W
    P = np.tanh(P)
    a, b = zip(*P)
    return sum(x * y for x, y in zip(a, b))


def spread_reassigned(ab):
    ab = ab * 2.0
    ab = np.tanh(ab)
    return dot_tanh(*ab)


def rows_of_reassigned(W, X):
    h = X @ W
    h = h @ W.T
    return np.sum(np.array([np.sum(row ** 2) for row in h]))


def guide_example(params, X, y):
    Ws, bs = zip(*params)
    h = X
    for W, b in zip(Ws, bs):
        h = np.tanh(h @ W + b)
    for W in reversed(Ws[1:]):
        h = h @ W.T
    scores = np.array([np.sum(row ** 2) for row in h])
    return np.sum((scores - y) ** 2) + 0.01 * sum(np.sum(W ** 2) for W in Ws)


def test_rewrites_reading_reassigned_names():
    rng = np.random.default_rng(1)
    W, X = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    check_tree_gradient(unzip_reassigned, (W, X))
    check_tree_gradient(spread_reassigned, (rng.normal(size=(2, 3)),))
    check_tree_gradient(rows_of_reassigned, (rng.normal(size=(3, 3)) / 2, X))
    params = [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.zeros(2))]
    check_tree_gradient(guide_example, (params, rng.normal(size=(5, 3)), rng.normal(size=5)),
                        wrt="params")


def unpack_reassigned(theta):
    theta = theta * 2.0
    theta = np.tanh(theta)
    a, b = theta
    return a * b


def test_unpacking_a_reassigned_array():
    """Its length check once read an SSA name nothing assigned (NameError)."""
    theta = np.array([0.3, 0.5])
    assert np.allclose(grad(unpack_reassigned)(theta), [
        2 * (1 - np.tanh(0.6) ** 2) * np.tanh(1.0), 2 * (1 - np.tanh(1.0) ** 2) * np.tanh(0.6)])
    with pytest.raises(AssertionError, match="2 values to unpack"):
        grad(unpack_reassigned)(np.array([0.3, 0.5, 0.1]))


def test_vjp_and_hvp_of_the_new_tree_idioms_agree_with_grad():
    from s2sdiff import hvp, vjp
    x = np.array([0.4, -0.6])
    value, pullback = vjp(unzipped_layers, LAYERS, x)
    assert value == pytest.approx(unzipped_layers(LAYERS, x))
    by_vjp = pullback(1.0)
    by_grad = grad(unzipped_layers)(LAYERS, x)
    for (dW, db), (gW, gb) in zip(by_vjp[0], by_grad[0]):
        assert np.allclose(dW, gW) and np.allclose(db, gb)
    tangent = [(np.ones_like(W), np.zeros_like(b)) for W, b in LAYERS]
    product = hvp(unzipped_layers, (LAYERS, x), (tangent, np.zeros(2)))
    step = 1e-5
    up = [(W + step * t, b) for (W, b), (t, _) in zip(LAYERS, tangent)]
    down = [(W - step * t, b) for (W, b), (t, _) in zip(LAYERS, tangent)]
    g_up, g_down = grad(unzipped_layers)(up, x)[0], grad(unzipped_layers)(down, x)[0]
    for (pW, pb), (uW, ub), (dW, db) in zip(product[0], g_up, g_down):
        assert np.allclose(pW, (uW - dW) / (2 * step), atol=1e-6)
        assert np.allclose(pb, (ub - db) / (2 * step), atol=1e-6)


def starred_leaf(params, x):
    v = np.array([*params["w"], params["b"]])
    return np.sum(np.tanh(v * x))


def test_starred_leaf_array_of_a_tree():
    check_tree_gradient(starred_leaf, ({"w": np.array([0.1, 0.2]), "b": 0.3},
                                       np.array([1.0, 2.0, 3.0])), wrt="params")


def test_a_tree_parameter_reassigned_from_itself_stays_refused():
    def reordered(params, x):
        params = list(reversed(params))
        return np.sum(params[0] @ x)
    with pytest.raises(UnsupportedError, match="assigning it is not supported"):
        grad(reordered, wrt="params")([np.eye(2), 2 * np.eye(2)], np.ones(2))


# --- nested unpacking ------------------------------------------------------------------

def pair_and_square(x):
    return (x, (x * 2.0, x ** 2))


def unpack_nested_call(x):
    a, (b, c) = pair_and_square(x)
    return a * b + math.sin(c)


def unpack_nested_display(x, y):
    (a, b), c = (x * y, y), math.exp(x)
    return a * c - b ** 3


def unpack_nested_array_rows(X):
    (a, b), (c, d) = X
    return a * d - b * c + np.sum(X ** 2)


def test_nested_unpacking():
    """``a, (b, c) = g(x)`` was refused ("Unpack only `a, b = x, y`")."""
    for x in (0.7, -1.3):
        assert grad(unpack_nested_call)(x) == pytest.approx(4 * x + 2 * x * math.cos(x * x),
                                                            rel=1e-12)
    check_tree_gradient(unpack_nested_display, (0.4, -1.1))
    check_tree_gradient(unpack_nested_array_rows, (np.array([[0.5, -1.0], [2.0, 0.3]]),))
