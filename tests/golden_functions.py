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
