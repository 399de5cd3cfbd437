"""``max(xs)`` and ``min(xs)`` of a list whose length is not known when the code is
generated (s2sdiff/extrema.py): gradients against central differences and closed forms,
ties split exactly as the rule of ``max(a, b, c)`` splits them (bit for bit, NaN and
infinities included), the empty list raising Python's own ``ValueError``, forward mode
against reverse mode, the generated source, and what stays refused."""

import math
import random

import numpy as np
import pytest
import sympy

from differences import central_list
from s2sdiff import UnsupportedError, grad, jvp, value_and_grad, vjp


def square_of_max(xs):
    return max(xs) ** 2


def spread(xs):
    return min(xs) * max(xs)


def scaled(xs, y):
    ys = []
    for v in xs:
        ys.append(v * y)
    return max(ys) + min(ys) ** 2


def largest_square(xs):
    return max(v * v for v in xs)


def running_max(xs):
    ys = []
    total = 0.0
    for v in xs:
        ys.append(math.sin(v))
        total = total + max(ys)
    return total


def positive_part(xs):
    return max([v for v in xs if v > 0.0]) ** 2


def hinge(xs, w):
    worst = 0.0
    for k in range(3):
        margins = [w * v - k for v in xs]
        worst = worst + max(margins) * min(margins)
    return worst


def mutated_after(xs, y):
    m = max(xs)
    xs[0] = y * m
    return max(xs) * m


def in_branches(xs, t):
    if t > 0.0:
        r = max(xs) * t
    else:
        r = min(xs) * t
    return r


def in_a_while_loop(xs):
    s = 0.0
    k = 0
    while s < 10.0 and k < 20:
        s = s + max(xs) * 0.5 + min(xs) ** 2
        k += 1
    return s


def growing_list(xs, n):
    ys = [x for x in xs]
    s = 0.0
    for k in range(n):
        ys.append(math.sin(ys[k]) * 2.0)
        s = s + max(ys) - min(ys)
    return s


def closed_form(xs):
    return max(xs) * math.sin(min(xs))


def three(a, b, c):
    return max(a, b, c) ** 2


def three_min(a, b, c):
    return min(a, b, c) ** 2


def of_list_min(xs):
    return min(xs) ** 2


def fresh(args):
    """``args`` with each list copied: ``mutated_after`` writes into its list."""
    return tuple(list(a) if isinstance(a, list) else a for a in args)


def central(f, args, position, h=1e-6):
    """Central differences of ``f`` in each entry of the list ``args[position]``
    (or in the number there)."""
    def at(value):
        return f(*fresh(args[:position]), value, *fresh(args[position + 1:]))
    arg = args[position]
    if not isinstance(arg, list):
        return (at(arg + h) - at(arg - h)) / (2 * h)
    return central_list(at, arg, h)


PROGRAMS = [
    (square_of_max, ([1.0, 3.0, 2.0],)),
    (spread, ([1.5, -3.0, 2.0, 0.5],)),
    (scaled, ([1.0, 3.0, 2.0], 1.5)),
    (largest_square, ([1.0, -3.0, 2.0],)),
    (running_max, ([1.0, 3.0, 2.0, 0.3],)),
    (positive_part, ([1.0, -3.0, 2.0],)),
    (hinge, ([0.4, -1.3, 2.2, 0.9], 0.7)),
    (closed_form, ([0.4, -1.3, 2.2],)),
    (of_list_min, ([0.4, -1.3, 2.2],)),
    (mutated_after, ([1.0, 3.0, 2.0], 0.7)),
    (in_branches, ([1.0, 3.0, 2.0], 0.7)),
    (in_branches, ([1.0, 3.0, 2.0], -0.7)),
    (in_a_while_loop, ([1.0, 3.1, 2.0],)),
]


def test_a_list_growing_in_a_loop():
    xs, n = [0.3, 1.2, -0.4], 6
    gradient = grad(growing_list, wrt=0)(xs, n)
    assert np.allclose(gradient, central(growing_list, (xs, n), 0), rtol=1e-6, atol=1e-7)
    _, tangent = jvp(growing_list, (xs, n), ([0.2, -0.1, 0.4], 0))
    assert tangent == pytest.approx(float(np.dot(gradient, [0.2, -0.1, 0.4])), rel=1e-12)


@pytest.mark.parametrize("f, args", PROGRAMS)
def test_gradient_against_central_differences(f, args):
    value, gradient = value_and_grad(f)(*fresh(args))
    assert value == f(*fresh(args))
    gradient = gradient if len(args) > 1 else (gradient,)
    for position, got in enumerate(gradient):
        assert np.allclose(got, central(f, args, position), rtol=1e-6, atol=1e-7), position


@pytest.mark.parametrize("f, args", PROGRAMS)
def test_forward_mode_agrees_with_reverse_mode(f, args):
    rng = random.Random(f.__name__)
    tangents = tuple([rng.uniform(-1, 1) for _ in a] if isinstance(a, list) else rng.uniform(-1, 1)
                     for a in args)
    gradient = grad(f)(*fresh(args))
    gradient = gradient if len(args) > 1 else (gradient,)
    expected = sum(float(np.dot(g, t)) for g, t in zip(gradient, tangents))
    out, tangent = jvp(f, fresh(args), tangents)
    assert out == f(*fresh(args))
    assert tangent == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_closed_form_with_sympy():
    a, b, c = sympy.symbols("a b c", real=True)
    point = {a: 0.4, b: -1.3, c: 2.2}              # max c, min b, no ties
    expression = c * sympy.sin(b)
    expected = [float(sympy.diff(expression, s).subs(point)) for s in (a, b, c)]
    assert grad(closed_form)([0.4, -1.3, 2.2]) == pytest.approx(expected, rel=1e-14)


TIES = [[2.0, 2.0, 2.0], [1.0, 2.0, 2.0], [2.0, 1.0, 2.0], [2.0, 2.0, 1.0], [0.1, 0.1, -0.2],
        [math.nan, 1.0, 2.0], [1.0, math.nan, 2.0], [math.inf, math.inf, 1.0],
        [-math.inf, 1.0, -math.inf], [1e150, 1e150, -1e150], [0.0, -0.0, -1.0]]


def _same(x, y):
    return (math.isnan(x) and math.isnan(y)) or x == y


@pytest.mark.parametrize("xs", TIES, ids=repr)
@pytest.mark.parametrize("of_list, of_three", [(square_of_max, three), (of_list_min, three_min)])
def test_ties_split_exactly_as_the_rule_of_three_arguments(xs, of_list, of_three):
    ours = grad(of_list)(xs)
    theirs = grad(of_three)(*xs)
    assert all(_same(x, y) for x, y in zip(ours, theirs)), (ours, theirs)
    tangent = [0.3, -0.7, 1.1]
    _, ours = jvp(of_list, (xs,), (tangent,))
    _, theirs = jvp(of_three, tuple(xs), tuple(tangent))
    assert _same(ours, theirs), (ours, theirs)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 10])
def test_k_tied_maxima_get_one_kth_each(k):
    xs = [0.1] * k + [-1.0, 0.05]
    gradient = grad(square_of_max)(xs)
    assert gradient[:k] == [1 / k * (2 * 0.1)] * k
    assert gradient[k:] == [0.0, 0.0]


def test_the_empty_list_raises_pythons_own_error():
    with pytest.raises(ValueError) as theirs:
        square_of_max([])
    for call in (lambda: grad(square_of_max)([]), lambda: value_and_grad(square_of_max)([]),
                 lambda: jvp(square_of_max, ([],), ([],)), lambda: vjp(square_of_max, [])):
        with pytest.raises(ValueError) as ours:
            call()
        assert str(ours.value) == str(theirs.value)


def test_tuples_and_arrays_of_numbers():
    assert grad(spread)((1.5, -3.0, 2.0)) == (0.0, 2.0, -3.0)       # d(min * max), a tuple
    assert np.array_equal(grad(spread)(np.array([1.5, -3.0, 2.0])), [0.0, 2.0, -3.0])
    out, pullback = vjp(spread, [1.5, -3.0, 2.0])
    assert out == -6.0 and pullback(2.0) == ([0.0, 4.0, -6.0],)


def test_golden_source():
    source = grad(square_of_max).source
    body = source[source.index("try:"):source.index("except TypeError")]
    lines = [line.split("#")[0].rstrip() for line in body.splitlines()[1:]]
    assert [line for line in lines if line.strip()] == [
        "        maxxs = max(xs)",
        "        square_of_max = maxxs ** 2",
        "        dmaxxs = 2 * maxxs",
        "        count = sum([v == maxxs for v in xs])",
        "        dxs = zeros_like(xs)",
        "        for i, v_2 in enumerate(xs):",
        "            dxs[i] += (1 / count if v_2 == maxxs else 0.0 if maxxs == maxxs "
        "else maxxs) * dmaxxs",
        "        return structured_as(dxs, xs)",
    ]
    assert "# backprop maxxs = max(xs)" in source


def with_key(xs, c):
    return max(xs, key=lambda v: abs(v - c))     # key=abs is supported (test_sorted_and_keys)


def with_default(xs):
    return min(xs, default=0.0)


def of_a_number(x):
    return max(x * 2.0)


def in_numpy_code(xs, w):
    return max(xs) * np.sum(w ** 2)


@pytest.mark.parametrize("f, construct", [
    (with_key, "max with a `key=` lambda that reads the local variable `c`"),
    (with_default, "min with `default=`"),
    (of_a_number, "max of a number"),
    (in_numpy_code, "max of one list or array in NumPy code"),
])
def test_what_stays_refused(f, construct):
    with pytest.raises(UnsupportedError) as error:
        grad(f, wrt=0)([1.0, 2.0], np.ones(2)) if f is in_numpy_code else grad(f)
    assert error.value.construct == construct
    assert error.value.lineno == f.__code__.co_firstlineno + 1
    assert error.value.hint
