"""Functions with tuple outputs, for Jacobians and vjp (a source file, so s2sdiff reads it)."""

import math


def polar(r, t):
    return r * math.cos(t), r * math.sin(t)


def three_outputs(x, y):
    a = x * y
    return a + x, math.sin(a), y ** 2


def wide(a, b, c, d):
    """Four inputs, one output: reverse mode is the cheaper order."""
    return a * b + c * math.exp(d)


def tall(x):
    """One input, three outputs: forward mode is the cheaper order."""
    return x ** 2, math.sin(x), x * math.exp(x)


def constant_output(x, y):
    return x * y, 2.0


def repeated_output(x, y):
    s = x * y
    return s, s, x


def cubic(x):
    return x ** 4 + 3 * x ** 3 - 2 * x + 1
