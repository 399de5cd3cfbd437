"""Comprehensions, reductions over iterables and unpacking (normalize/comprehensions.py):
gradients against closed forms and central differences, jvp against the gradient, the
comprehension's own scope, and the refusals where a length cannot be known."""

import math

import numpy as np
import pytest

from s2sdiff import UnsupportedError, grad, jvp, value_and_grad


def central(f, args, h=1e-6):
    """Central differences of ``f`` with respect to each float of each list argument."""
    out = []
    for k, arg in enumerate(args):
        if isinstance(arg, list):
            row = []
            for i in range(len(arg)):
                up = [list(a) if isinstance(a, list) else a for a in args]
                down = [list(a) if isinstance(a, list) else a for a in args]
                up[k][i] += h
                down[k][i] -= h
                row.append((f(*up) - f(*down)) / (2 * h))
            out.append(row)
        else:
            up, down = list(args), list(args)
            up[k] += h
            down[k] -= h
            out.append((f(*up) - f(*down)) / (2 * h))
    return out


def list_comprehension(x, y):
    return sum([v * v for v in [x, y]])


def generator(x, y):
    return sum(v * v for v in (x, y))


def maximum(x, y):
    return max(v * v for v in [x, y])


def filtered(xs, w):
    return sum(w * v * v for v in xs if v > 0)


def pairs(xs, w):
    return sum(a * b * w for a in xs for b in xs if a < b)


def built(xs):
    ys = [math.sin(v) * v for v in xs]
    return sum(ys, 1.0) * ys[0]


def nested(xs):
    return sum(sum(u * v for u in xs) for v in xs)


def indexed(xs):
    return sum(i * v for i, v in enumerate(xs)) * sum(v for v in reversed(xs))


def bounds(xs):
    return sum(xs[i] * xs[i + 1] for i in range(len(xs) - 1))


def unpack_list(theta):
    a, b = theta
    return a * b + math.exp(a)


def unpack_starred(xs):
    first, *rest, last = xs
    return first * sum(rest) * last


def test_display_comprehensions_unroll():
    assert grad(list_comprehension)(1.5, 2.0) == (3.0, 4.0)
    assert grad(generator)(1.5, 2.0) == (3.0, 4.0)
    assert "generator = xtx + yty" in value_and_grad(generator).source   # unrolled: no loop
    assert "for " not in grad(generator).source


def test_max_of_comprehension_splits_ties_evenly():
    assert grad(maximum)(1.0, 2.0) == (0.0, 4.0)
    assert grad(maximum)(2.0, -2.0) == (2.0, -2.0)        # a tie: half each of 2v


@pytest.mark.parametrize("func, args", [
    (filtered, ([1.0, -2.0, 3.0], 0.5)),
    (pairs, ([1.0, 2.0, 3.0], 2.0)),
    (built, ([0.3, 1.1, -0.7],)),
    (nested, ([0.3, 1.1, -0.7],)),
    (indexed, ([0.3, 1.1, -0.7, 2.0],)),
    (bounds, ([0.3, 1.1, -0.7, 2.0],)),
    (unpack_list, ([0.3, 1.1],)),
    (unpack_starred, ([0.3, 1.1, -0.7, 2.0],)),
])
def test_gradients_match_central_differences(func, args):
    value, gradient = value_and_grad(func)(*args)
    assert value == pytest.approx(func(*args))
    gradient = gradient if isinstance(gradient, tuple) else (gradient,)
    for got, want in zip(gradient, central(func, list(args))):
        assert np.allclose(got, want, atol=1e-6)


def test_closed_forms():
    # sum_{v > 0} w v^2: d/dv = 2 w v where v > 0, d/dw = sum v^2
    assert grad(filtered)([1.0, -2.0, 3.0], 0.5) == ([1.0, 0.0, 3.0], 10.0)
    # sum_{a < b} a b w over [1, 2, 3]
    assert grad(pairs)([1.0, 2.0, 3.0], 2.0) == ([10.0, 8.0, 6.0], 11.0)
    assert grad(unpack_starred)([1.0, 2.0, 3.0, 4.0]) == [20.0, 4.0, 4.0, 5.0]


def test_jvp_of_comprehension():
    xs, w = [1.0, -2.0, 3.0], 0.5
    out, tangent = jvp(filtered, (xs, w), ([1.0, 1.0, 1.0], 0.0))
    assert out == filtered(xs, w)
    assert tangent == pytest.approx(sum(grad(filtered)(xs, w)[0]))
    out, tangent = jvp(unpack_list, ([0.3, 1.1],), ([0.0, 1.0],))
    assert tangent == pytest.approx(0.3)


def test_loop_variable_neither_leaks_nor_clobbers():
    def shadow(xs):
        v = 3.0
        ys = [v * v for v in xs]
        return sum(ys) * v

    xs = [1.0, 2.0]
    assert value_and_grad(shadow)(xs) == (15.0, [6.0, 12.0])
    assert "v_2" in grad(shadow).source


def test_numpy_unpacking():
    def params(theta):
        a, b = theta
        return a * np.sin(b)

    def shape(X, w):
        n, m = X.shape
        return np.sum(X @ w) / n

    theta = np.array([0.5, 1.2])
    assert np.allclose(grad(params)(theta), [math.sin(1.2), 0.5 * math.cos(1.2)])
    X, w = np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])
    gX, gw = grad(shape)(X, w)
    assert np.allclose(gX, np.tile(w, (3, 1)) / 3)
    assert np.allclose(gw, X.sum(axis=0) / 3)


def test_zip_star_transposes():
    def columns(rows):
        return sum(c[0] * c[1] * c[2] for c in zip(*rows))

    R = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert np.allclose(grad(columns)(R), [[15.0, 24.0], [5.0, 12.0], [3.0, 8.0]])


def test_unpacking_checks_the_length():
    with pytest.raises(AssertionError, match="2 values to unpack"):
        grad(unpack_list)([1.0, 2.0, 3.0])


def test_any_all_are_constants():
    def gated(xs):
        s = 0.0
        if any(v > 1 for v in xs):
            if all(v > 0 for v in xs):
                s = sum(v * v for v in xs)
        return s

    assert grad(gated)([1.0, 2.0]) == [2.0, 4.0]
    assert grad(gated)([1.0, 0.5]) == [0.0, 0.0]


def conditional(x, xs):
    return x if x > 0 else sum(v for v in xs)


def dictionary(x, y):
    d = {k: v * 2 for k, v in zip("ab", [x, y])}
    return d["a"] + d["b"] + d["c"]


def test_a_reduction_in_an_arm_runs_where_python_runs_it():
    """(Refused before; tests/test_short_circuit.py.)"""
    assert grad(conditional)(2.0, [1.0, 2.0]) == (1.0, [0.0, 0.0])
    assert grad(conditional)(-2.0, [1.0, 2.0]) == (0.0, [1.0, 1.0])


@pytest.mark.parametrize("func, construct", [
    (dictionary, "dict comprehension"),
])
def test_refused_clearly(func, construct):
    with pytest.raises(UnsupportedError, match="is not supported") as error:
        grad(func)
    assert construct in str(error.value)
    assert "line" in str(error.value)


def test_numpy_generator_over_rows():
    def layer(w, X):
        return sum(np.tanh(w @ x) for x in X)

    w, X = np.array([0.3, -0.2]), np.arange(6.0).reshape(3, 2) / 5
    gw, gX = grad(layer)(w, X)
    sech2 = 1 - np.tanh(X @ w) ** 2
    assert np.allclose(gw, sech2 @ X)
    assert np.allclose(gX, np.outer(sech2, w))


def test_starred_unpacking_of_a_display_and_shape_with_discard():
    def pair(x, y):
        a, *b = x, y
        return a * b[0]

    def three(X):
        n, m, _ = X.shape
        return np.sum(X) * n * m

    assert grad(pair)(2.0, 3.0) == (3.0, 2.0)
    assert np.allclose(grad(three)(np.ones((2, 3, 1))), 6.0)


def test_reduction_on_some_paths_only_runs_on_those_paths():
    def guarded(xs):
        return xs[0] if len(xs) == 1 else sum(xs)

    assert grad(guarded)([4.0]) == [1.0]
    assert grad(guarded)([4.0, 5.0, 6.0]) == [1.0, 1.0, 1.0]

    def in_a_while(xs):
        total = 0.0
        while sum(v for v in xs) > total:
            total = total + 1.0
        return total * xs[0]

    with pytest.raises(UnsupportedError, match="in a `while` condition"):
        grad(in_a_while)


def test_dicts_of_known_keys_become_variables():
    def comprehension(x, y):
        d = {k: v * 2 for k, v in zip("ab", [x, y])}
        return d["a"] + d["b"] * y

    def display(x, y):
        d = {"a": x, "b": x * y}
        return d["a"] * d["b"]

    def enumerated(x, y):
        d = {i: v * v for i, v in enumerate([x, y])}
        return d[0] * d[1]

    assert grad(comprehension)(2.0, 3.0) == (2.0, 12.0)      # 2x + 2y^2
    assert "d_b = y * 2" in grad(comprehension).source
    assert grad(display)(2.0, 3.0) == (12.0, 4.0)            # x^2 y
    assert grad(enumerated)(2.0, 3.0) == (2 * 2.0 * 9.0, 4.0 * 2 * 3.0)


def test_a_list_of_lists_of_variables_constants_are_data():
    """A display of rows of differentiated values is its rows appended (list_idioms.py;
    it was refused, and once raised a bare TypeError inside the generated code): d/dx
    2xy = 2y; rows named first stay refused at the display; a nested display of literals
    is data."""
    from s2sdiff import UnsupportedError

    def rows_loop(x, y):
        rows = [[x, y], [y, x]]
        s = 0.0
        for r in rows:
            s = s + r[0] * r[1]
        return s

    assert grad(rows_loop)(2.0, 3.0) == (6.0, 4.0)

    def rows_named(x, y):
        first, second = [x, y], [y, x]
        rows = [first, second]
        return rows[0][0] * rows[1][0]

    with pytest.raises(UnsupportedError, match="list or tuple of lists") as caught:
        grad(rows_named)(2.0, 3.0)
    assert "rows = [first, second]" in str(caught.value)

    def constant_table(x):
        W = [[1.0, 2.0], [3.0, -4.0]]
        return W[0][1] * x + W[1][1] * x * x

    assert grad(constant_table)(2.0) == 2.0 - 16.0
