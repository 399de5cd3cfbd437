"""Functions whose generated source is pinned by golden files in tests/golden/."""

import math
from math import exp, sin

from s2sdiff.demo import f  # noqa: F401  (seed 002's staged function)


def f_one_expression(x, y):
    return (x + 1.0 / (1 + math.exp(-y))) / (1.0 / (1 + math.exp(-x)) + (x + y)**2)


def seed003(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def neuron(w0, w1, w2, x0, x1):
    dot = w0 * x0 + w1 * x1 + w2
    f = 1.0 / (1 + math.exp(-dot))
    return f


def imported_names(x):
    # `math` is not a name in this function's view of the module: the generated code
    # still needs math.cos for the partial of sin, and binds it for itself.
    return sin(x) * exp(x)


def adjoint_like_names(x, dx):
    ddx = dx * x
    return ddx + x


# control flow (issue 3): the tape, branches, early exits, calls, lists ------------------

def recurrence(s, y):
    for i in range(100):
        s = s * 0.99 + math.sin(s) * y
    return s


def piecewise(x, y):
    if x > y:
        z = x * y
    elif x > 0:
        z = math.sin(x)
    else:
        return -x
    return z * z


def halving(x):
    n = 0
    while x > 1.0:
        x = x / 2
        n = n + 1
    return x * n


def first_crossing(x, xs):
    s = 0.0
    for v in xs:
        s = s + math.exp(v * x)
        if s > 10.0:
            break
    return s


def _cube(u, scale=1.0):
    return scale * u * u * u


def calls_helper(x, y):
    return _cube(x, scale=y) + _cube(y)


def list_updates(x):
    v = [x, 2.0 * x]
    v.append(v[0] * v[1])
    v[1] = math.sin(v[2])
    return v[1] + v[2]


def top_two(xs):
    s = sorted(xs, reverse=True)
    return s[0] + 0.5 * s[1]


def sorted_of_three(a, b, c):
    s = sorted([a, b * b, c])
    return s[0] * s[2]


def first_above_else(xs, t):
    for v in xs:
        if v > t:
            found = v
            break
    else:
        found = t * t
    return found * t


import numpy as np  # noqa: E402  (here: the lines above, and so the goldens, stay put)


def written_copy(x):
    """A write into a copy, then a product with the original: the sweep copies the
    adjoints that hold the written array before it undoes the write, once each."""
    y = x.copy()
    y[0] = 0.0
    return np.sum(y * x)
