"""Loop headers rewritten before normalisation (s2sdiff/normalize/headers.py):
``enumerate(reversed(xs))`` over a list of any length (with ``start``), in loops and
comprehensions, over lists of numbers and NumPy trees; and ``for p in enumerate(xs)`` /
``for p in zip(xs, ys)`` bound to one name, which gave a zero gradient before.  Every
gradient against central differences of the function itself, forward mode against
reverse mode, one golden source; a body that rebinds the list stays refused."""

import math

import numpy as np
import pytest

from s2sdiff import UnsupportedError, grad, jvp, value_and_grad
from test_idioms_more import LAYERS, check_tree_gradient


def discounted(xs):
    s = 0.0
    for i, v in enumerate(reversed(xs)):
        s = s * 0.5 + v * i
    return s


def weighted_from(xs, k):
    s = 0.0
    for i, v in enumerate(reversed(xs), start=k):
        s = s + math.sin(v) * i
    return s


def weighted_from_one(xs, w):
    s = 0.0
    for i, v in enumerate(reversed(xs), 1):
        s = s + w * v / i
        i = 7                      # rebinding the index does not change the iteration
    return s * i


def comprehension(xs):
    return sum(i * v * v for i, v in enumerate(reversed(xs)))


def pairs_by_name(xs):
    s = 0.0
    for p in enumerate(xs):
        s = s + p[1] * p[0] + p[1] ** 2
    return s


def zipped_by_name(xs, ys):
    s = 0.0
    for p in zip(xs, ys):
        s = s + p[0] * p[1]
    return s


def reversed_pairs_by_name(xs):
    return sum(p[0] * p[1] for p in enumerate(reversed(xs)))


def enumerated_reversed_layers(layers, x):
    h = x
    for k, (W, b) in enumerate(reversed(layers)):
        h = np.tanh(W.T @ h + 0.1 * (k + 1) * np.sum(b))
    return np.sum(h ** 2)


def central(f, args, position, h=1e-6):
    def at(value):
        return f(*args[:position], value, *args[position + 1:])
    out = []
    for j in range(len(args[position])):
        up, down = list(args[position]), list(args[position])
        up[j] += h
        down[j] -= h
        out.append((at(up) - at(down)) / (2 * h))
    return out


XS = [0.3, 1.1, -0.7, 2.0]
CASES = [
    (discounted, (XS,)), (weighted_from, (XS, 3)), (weighted_from_one, (XS, 1.5)),
    (comprehension, (XS,)), (pairs_by_name, (XS,)), (zipped_by_name, (XS, [0.5, -1.0, 2.0])),
    (reversed_pairs_by_name, (XS,)),
]


@pytest.mark.parametrize("f, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_against_central_differences(f, args):
    value, gradient = value_and_grad(f, wrt=0)(*args)
    assert value == f(*args)
    assert np.allclose(gradient, central(f, args, 0), rtol=1e-6, atol=1e-7)
    out, tangent = jvp(f, args, ([0.1, -0.2, 0.3, 0.4][:len(args[0])],)
                       + tuple(0 if isinstance(a, int) else 0.0 if not isinstance(a, list)
                               else [0.0] * len(a) for a in args[1:]))
    assert out == f(*args)
    assert tangent == pytest.approx(float(np.dot(gradient, [0.1, -0.2, 0.3, 0.4][:len(XS)])),
                                    rel=1e-12)


def test_closed_form():
    # d/dx_j of sum_i i * v_i^2 with v_i = xs[-1 - i]: 2 * (n - 1 - j) * xs[j]
    assert grad(comprehension)(XS) == [2 * (3 - j) * x for j, x in enumerate(XS)]
    assert grad(pairs_by_name)(XS) == [j + 2 * x for j, x in enumerate(XS)]


def test_numpy_tree_of_layers():
    check_tree_gradient(enumerated_reversed_layers, (LAYERS, np.array([0.2, 0.5, -0.3])))


def test_golden_source():
    source = grad(discounted).source
    body = source[source.index("try:"):source.index("except TypeError")]
    lines = [line.split("#")[0].rstrip() for line in body.splitlines()[1:]]
    assert [line for line in lines if line.strip()] == [
        "        s = 0.0",
        "        lenxs = len(xs)",
        "        for i in range(lenxs):",
        "            i1 = -1 - i",
        "            v = xs[i1]",
        "            s1 = s * 0.5",
        "            vti = v * i",
        "            s = s1 + vti",
        "        scalar_output(s)",              # a 2-D array's rows would make s an array
        "        ds = 1.0",
        "        dxs = zeros_like(xs)",
        "        for i in reversed(range(lenxs)):",
        "            i1 = -1 - i",
        "            dv = i * ds",
        "            ds = 0.5 * ds",
        "            dxs[i1] += dv",
        "        return structured_as(dxs, xs)",
    ]


def rebinds_the_list(xs):
    s = 0.0
    for i, v in enumerate(reversed(xs)):
        s = s + v * i
        xs = [s, v]
    return s


def test_a_body_rebinding_the_list_stays_refused():
    with pytest.raises(UnsupportedError) as error:
        grad(rebinds_the_list)
    assert "enumerate(reversed(xs))" in str(error.value)
    assert error.value.lineno == rebinds_the_list.__code__.co_firstlineno + 2
