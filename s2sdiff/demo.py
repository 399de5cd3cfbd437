"""The staged example function (backpropagation lecture notes), used by ``python -m s2sdiff``."""

import math


def f(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    return f


def polar(r, t):
    """Polar to Cartesian coordinates: two outputs, for the Jacobian examples."""
    return r * math.cos(t), r * math.sin(t)
