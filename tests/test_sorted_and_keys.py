"""``sorted(xs)`` (``reverse=``, ``key=``) and ``max``/``min`` with ``key=`` (s2sdiff/sorting.py,
s2sdiff/extrema.py): gradients against closed forms built from NumPy's stable argsort,
against the project's ``np.sort`` row (parity, ties included) and central differences;
forward mode against reverse mode; hessians against central differences of the gradient;
the tie conventions; empty and one-element lists; what stays refused."""

import math
import random

import numpy as np
import pytest

from differences import central_list
from s2sdiff import UnsupportedError, derivative, grad, hessian, jvp, value_and_grad

W = [1.0, -2.0, 3.0, 0.5, -1.5, 2.5, 4.0]


def weighted_sorted(xs):
    s = sorted(xs)
    total = 0.0
    for k, v in enumerate(s):
        total = total + W[k] * v
    return total


def weighted_sorted_reverse(xs):
    s = sorted(xs, reverse=True)
    total = 0.0
    for k, v in enumerate(s):
        total = total + W[k] * v
    return total


def weighted_by_abs(xs):
    s = sorted(xs, key=abs)
    total = 0.0
    for k, v in enumerate(s):
        total = total + W[k] * v
    return total


def weighted_by_lambda(xs):
    s = sorted(xs, key=lambda v: -v)        # descending, stable: reverse=True at ties too
    total = 0.0
    for k, v in enumerate(s):
        total = total + W[k] * v
    return total


def weighted_np_sort(x):
    return np.sum(np.sort(x) * np.array(W[:len(x)]))


def of_three(a, b, c):
    s = sorted([a * a, b, c * a])
    return s[0] * 1.0 + s[1] * 2.0 + s[2] ** 3


def median_of_squares(xs):
    s = sorted(v * v for v in xs)
    return s[len(s) // 2]


def in_a_loop(xs, w):
    worst = 0.0
    for k in range(3):
        s = sorted([w * v - k for v in xs], reverse=k % 2 == 1)
        worst = worst + s[0] * s[-1]
    return worst


def mutated_after(xs, y):
    s = sorted(xs)
    xs[0] = y * s[0]
    s[1] = s[1] * xs[0]
    s.append(y)
    return s[0] + s[1] * s[-1] + xs[0]


def of_an_empty_list(xs, y):
    s = sorted(xs)
    total = y
    for v in s:
        total = total + v * v
    return total


def trimmed_mean(xs):
    s = sorted(xs)
    inner = [s[i] for i in range(1, len(s) - 1)]
    return sum(inner) / len(inner)


def _stable_weights(x, order):
    """d/dx of sum_k W[k] * x[order[k]]: W[rank of each entry]."""
    out = np.zeros(len(x))
    for k, i in enumerate(order):
        out[i] = W[k]
    return out


def _central(f, xs, h=1e-6):
    return np.array(central_list(f, xs, h))


def _draws(seed, n=6, ties=False):
    rng = random.Random(seed)
    if ties:
        return [rng.choice([-1.0, 0.5, 2.0, -0.5]) for _ in range(n)]
    return [rng.uniform(-3.0, 3.0) for _ in range(n)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [False, True])
def test_sorted_gradients_are_the_stable_permutation(seed, ties):
    xs = _draws(seed, ties=ties)
    x = np.array(xs)
    cases = [(weighted_sorted, np.argsort(x, kind="stable")),
             (weighted_sorted_reverse, np.argsort(-x, kind="stable")),
             (weighted_by_abs, np.argsort(np.abs(x), kind="stable")),
             (weighted_by_lambda, np.argsort(-x, kind="stable"))]
    for f, order in cases:
        expected = _stable_weights(x, order)
        value, gradient = value_and_grad(f)(list(xs))
        assert value == f(list(xs))
        assert gradient == pytest.approx(expected, abs=1e-15), f.__name__
        if not ties:
            assert gradient == pytest.approx(_central(f, xs), abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [False, True])
def test_sorted_of_a_list_matches_np_sort_of_an_array(seed, ties):
    """The same permutation, ties included: each tied entry gets the adjoint of one of
    the positions the tied values fill, the earlier entry the earlier position."""
    xs = _draws(seed, ties=ties)
    assert grad(weighted_sorted)(list(xs)) == pytest.approx(
        list(grad(weighted_np_sort)(np.array(xs))), abs=1e-15)
    direction = _draws(seed + 100)
    assert jvp(weighted_sorted, (list(xs),), (direction,))[1] == pytest.approx(
        jvp(weighted_np_sort, (np.array(xs),), (np.array(direction),))[1], rel=1e-12)


@pytest.mark.parametrize("f", [weighted_sorted, weighted_sorted_reverse, weighted_by_abs,
                               weighted_by_lambda, median_of_squares, trimmed_mean])
def test_forward_mode_agrees_with_reverse_mode(f):
    xs = [0.3, -1.7, 2.2, -0.4, 1.1]
    u = [0.5, -0.25, 1.0, 2.0, -1.5]
    gradient = grad(f)(list(xs))
    value, tangent = jvp(f, (list(xs),), (u,))
    assert value == f(list(xs))
    assert tangent == pytest.approx(sum(g * d for g, d in zip(gradient, u)), rel=1e-12)


def test_a_display_of_expressions_forward_reverse_and_hessian():
    a, b, c = 3.0, 1.0, 2.0            # s = [1, 6, 9]: b, c * a, a * a
    assert grad(of_three)(a, b, c) == (2.0 * c + 6 * a ** 5, 1.0, 2.0 * a)
    assert derivative(of_three)(a, b, c) == pytest.approx(grad(of_three)(a, b, c), rel=1e-15)
    expected = np.array([[30 * a ** 4, 0.0, 2.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    assert np.allclose(hessian(of_three)(a, b, c), expected, rtol=1e-14)


def test_hessian_of_a_sorted_list_against_central_differences_of_the_gradient():
    xs = [0.7, -1.3, 2.1]
    h, g = 1e-6, grad(median_of_squares)
    columns = []
    for i in range(3):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        columns.append((np.array(g(up)) - np.array(g(down))) / (2 * h))
    assert np.allclose(hessian(median_of_squares)(xs), np.array(columns).T, atol=1e-6)
    assert np.allclose(hessian(median_of_squares)(xs), np.diag([0.0, 2.0, 0.0]))   # x1 ** 2


@pytest.mark.parametrize("f, args", [(in_a_loop, ([0.4, -1.2, 0.9, 2.0], 0.7)),
                                     (mutated_after, ([0.4, -1.2, 0.9], 0.7)),
                                     (trimmed_mean, ([0.4, -1.2, 0.9, 2.0, -0.1],)),
                                     (median_of_squares, ([0.4, -1.2, 0.9],))])
def test_gradients_against_central_differences(f, args):
    gradient = grad(f, wrt=0)(*[list(a) if isinstance(a, list) else a for a in args])
    rest = args[1:]

    def of_list(xs):
        return f(list(xs), *rest)
    assert np.array(gradient) == pytest.approx(_central(of_list, args[0]), abs=1e-6)
    if len(args) > 1:
        h = 1e-6
        dy = grad(f, wrt=1)(list(args[0]), args[1])
        numeric = (f(list(args[0]), args[1] + h) - f(list(args[0]), args[1] - h)) / (2 * h)
        assert dy == pytest.approx(numeric, abs=1e-6)


def test_empty_and_one_element_lists():
    assert value_and_grad(of_an_empty_list)([], 2.5) == (2.5, ([], 1.0))
    assert value_and_grad(of_an_empty_list)([1.5], 2.5) == (4.75, ([3.0], 1.0))
    assert jvp(of_an_empty_list, ([], 2.5), ([], 1.0)) == (2.5, 1.0)
    assert grad(weighted_sorted)([-0.5]) == [W[0]]


def test_the_generated_code_reads_as_a_permutation():
    source = grad(weighted_sorted_reverse).source
    assert "s = sorted(xs, reverse=True)" in source
    assert "order = argsort(xs, reverse=True)" in source
    assert "for j, i in enumerate(order):" in source
    assert "dxs[i] += ds[j]" in source
    assert "key=lambda v: -v" in grad(weighted_by_lambda).source
    assert "argsort(xs, key=abs)" in grad(weighted_by_abs).source


# --- max and min with key= -------------------------------------------------------------

def max_by_abs(a, b, c):
    return max([a, b, c], key=abs) ** 2


def min_of_two_by_distance(a, b):
    return min(a, b, key=lambda v: (v - 1.0) ** 2) * a


def max_of_a_generator_by_key(xs):
    return max((v * v for v in xs), key=lambda u: -u)


def max_of_a_list_by_key(xs, y):
    return max(xs, key=abs) * y + min(xs, key=abs)


@pytest.mark.parametrize("args, expected", [
    ((3.0, -4.0, 2.0), (0.0, -8.0, 0.0)),          # b has the largest |.|
    ((3.0, 3.0, -3.0), (3.0, 3.0, 0.0)),           # a and b equal the result: 1/2 each
    ((3.0, -3.0, 1.0), (6.0, 0.0, 0.0)),           # |a| == |b|, a chosen (the first): all to a
    ((2.0, 2.0, 2.0), (4.0 / 3, 4.0 / 3, 4.0 / 3)),
])
def test_max_with_key_abs_closed_forms_and_ties(args, expected):
    assert grad(max_by_abs)(*args) == pytest.approx(expected, rel=1e-15)
    assert derivative(max_by_abs)(*args) == pytest.approx(expected, rel=1e-15)


def test_max_with_key_equals_max_without_key_when_the_key_is_increasing():
    """The tie convention is the one of max(xs): the entries equal to the result share."""
    def plain(xs):
        return max(xs) * 2.0

    def keyed(xs):
        return max(xs, key=lambda v: 3.0 * v + 1.0) * 2.0
    for xs in ([1.0, 2.0, 2.0], [0.5, -1.0, 0.5, 0.5], [4.0]):
        assert grad(keyed)(list(xs)) == grad(plain)(list(xs))


def test_min_of_two_arguments_with_a_lambda_key():
    # a = 3.0 is 2 from 1, b = 0.5 is 0.5 from 1: the min is b; f = b * a
    assert grad(min_of_two_by_distance)(3.0, 0.5) == (0.5, 3.0)
    assert derivative(min_of_two_by_distance)(3.0, 0.5) == (0.5, 3.0)
    assert np.allclose(hessian(min_of_two_by_distance)(3.0, 0.5), [[0.0, 1.0], [1.0, 0.0]])
    # a = 1.5 is nearer: f = a * a
    assert grad(min_of_two_by_distance)(1.5, 3.0) == (3.0, 0.0)


def test_max_of_a_generator_with_key_forward_reverse_hessian():
    xs = [3.0, -1.0, 2.0]              # the smallest square is (-1) ** 2
    assert grad(max_of_a_generator_by_key)(xs) == [0.0, -2.0, 0.0]
    assert jvp(max_of_a_generator_by_key, (xs,), ([1.0, 1.0, 1.0],)) == (1.0, -2.0)
    assert np.allclose(hessian(max_of_a_generator_by_key)(xs), np.diag([0.0, 2.0, 0.0]))


def test_max_and_min_of_a_list_with_key_against_central_differences():
    xs, y = [0.4, -1.7, 0.9, 1.2], 0.6
    gradient = grad(max_of_a_list_by_key, wrt=0)(list(xs), y)
    assert np.array(gradient) == pytest.approx(
        _central(lambda v: max_of_a_list_by_key(v, y), xs), abs=1e-6)
    assert grad(max_of_a_list_by_key, wrt=1)(list(xs), y) == -1.7
    assert "max(xs, key=abs)" in grad(max_of_a_list_by_key).source


def test_an_empty_list_raises_pythons_error():
    with pytest.raises(ValueError):
        grad(max_of_a_list_by_key)([], 1.0)


# --- refused ---------------------------------------------------------------------------

def sorted_in_numpy_code(x):
    return np.sum(x) * sorted([2.0, 1.0])[0] + sorted(x)[0]


def sorted_then_sliced(xs):
    return sum(sorted(xs)[1:])


def sorted_of_a_number(x):
    return sorted(x * 2.0)


def key_reads_a_local(xs, c):
    return sorted(xs, key=lambda v: abs(v - c))[0]


def key_is_a_parameter(xs, key):
    return max(xs, key=key)


def sorts_in_place(xs):
    xs.sort(reverse=True)
    return xs[0]


def max_with_default(xs):
    return max(xs, key=abs, default=0.0)


@pytest.mark.parametrize("f, construct", [
    (sorted_in_numpy_code, "call to sorted"),
    (sorted_then_sliced, "call to sorted"),
    (sorted_of_a_number, "sorted of a number"),
    (key_reads_a_local, "sorted with a `key=` lambda that reads the local variable `c`"),
    (key_is_a_parameter, "max with `key=key`"),
    (max_with_default, "max with `default=`"),
    (sorts_in_place, "sorting in place (`xs.sort()`)"),
])
def test_what_is_refused(f, construct):
    with pytest.raises(UnsupportedError) as error:
        if f is sorted_in_numpy_code:
            grad(f)(np.array([1.0, 2.0]))
        else:
            grad(f, wrt=0)
    assert error.value.construct == construct
    assert error.value.lineno == f.__code__.co_firstlineno + 1
    assert error.value.hint


def test_sorting_in_place_says_what_to_write():
    with pytest.raises(UnsupportedError) as error:
        grad(sorts_in_place)
    assert "xs = sorted(xs, reverse=True)" in error.value.hint


def sorted_constants_in_numpy_code(x):
    total = 0.0
    for k in sorted([3, 1, 2], reverse=True):
        total = total * 10.0 + k
    return np.sum(x * x) * total


def test_in_numpy_code_sorted_is_fine_on_constants_and_points_to_np_sort():
    x = np.array([1.0, 2.0])
    assert np.array_equal(grad(sorted_constants_in_numpy_code)(x), 2 * x * 321.0)
    with pytest.raises(UnsupportedError) as error:
        grad(sorted_in_numpy_code)(x)
    assert "np.sort(x)" in error.value.hint and "without NumPy" in str(error.value)


def test_key_refusal_says_what_to_write():
    with pytest.raises(UnsupportedError) as error:
        grad(key_reads_a_local, wrt=0)
    assert "sorted(range(len(xs)), key=keys.__getitem__)" in str(error.value)


def floor_first(xs):
    return sorted(xs, key=math.floor)[0] * 2.0


def test_a_module_function_as_the_key():
    # floors 1, 0, 0: 0.2 and 0.9 tie, the earlier comes first (stable)
    assert grad(floor_first)([1.7, 0.2, 0.9]) == [0.0, 2.0, 0.0]
    assert hessian(floor_first)([1.7, 0.2, 0.9]).tolist() == [[0.0] * 3] * 3
