"""The seed functions benchmarked by bench_scalar.py, each next to its hand-written gradient.

The user functions are ordinary Python (s2sdiff reads their source). The hand-written
gradients are staged backprop in the style of seed 002: forward stage, then reverse stage,
returning the gradients in parameter order.
"""
import math


# (a) seed 002, staged backprop exercise: f(x, y) = (x + sig(y)) / (sig(x) + (x + y)**2)

def seed002_staged(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    return f


def seed002_staged_hand(x, y):
    # forward pass
    sigy = 1.0 / (1 + math.exp(-y))  # (1)
    num = x + sigy  # (2)
    sigx = 1.0 / (1 + math.exp(-x))  # (3)
    xpy = x + y  # (4)
    xpysqr = xpy**2  # (5)
    den = sigx + xpysqr  # (6)
    invden = 1.0 / den  # (7)
    f = num * invden  # (8)
    # backprop f = num * invden
    dnum = invden  # (8)
    dinvden = num  # (8)
    # backprop invden = 1.0 / den
    dden = (-1.0 / (den**2)) * dinvden  # (7)
    # backprop den = sigx + xpysqr
    dsigx = (1) * dden  # (6)
    dxpysqr = (1) * dden  # (6)
    # backprop xpysqr = xpy**2
    dxpy = (2 * xpy) * dxpysqr  # (5)
    # backprop xpy = x + y
    dx = (1) * dxpy  # (4)
    dy = (1) * dxpy  # (4)
    # backprop sigx = 1.0 / (1 + math.exp(-x))
    dx += ((1 - sigx) * sigx) * dsigx  # (3)
    # backprop num = x + sigy
    dx += (1) * dnum  # (2)
    dsigy = (1) * dnum  # (2)
    # backprop sigy = 1.0 / (1 + math.exp(-y))
    dy += ((1 - sigy) * sigy) * dsigy  # (1)
    return dx, dy


# (b) seed 003, reverse-mode example: y = ln(x1) + x1*x2 - sin(x2)

def seed003_log_sin(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def seed003_log_sin_hand(x1, x2):
    # forward
    v1 = math.log(x1)
    v2 = x1 * x2
    v3 = math.sin(x2)
    v4 = v1 + v2
    v5 = v4 - v3  # y
    # reverse, seeded with dv5 = 1
    dv4 = 1.0
    dv3 = -1.0
    dv1 = dv4
    dv2 = dv4
    dx2 = dv3 * math.cos(x2)
    dx1 = dv2 * x2
    dx2 += dv2 * x1
    dx1 += dv1 / x1
    return dx1, dx2


# (c) seed 002, sigmoid neuron: f(w, x) = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))

def seed002_neuron(w0, w1, w2, x0, x1):
    dot = w0 * x0 + w1 * x1 + w2
    f = 1.0 / (1 + math.exp(-dot))
    return f


def seed002_neuron_hand(w0, w1, w2, x0, x1):
    # forward
    dot = w0 * x0 + w1 * x1 + w2
    f = 1.0 / (1 + math.exp(-dot))
    # reverse
    ddot = (1 - f) * f
    return x0 * ddot, x1 * ddot, ddot, w0 * ddot, w1 * ddot


# name -> (user function, hand-written gradient, point)
FUNCTIONS = {
    "seed002_staged": (seed002_staged, seed002_staged_hand, (3.0, -4.0)),
    "seed003_log_sin": (seed003_log_sin, seed003_log_sin_hand, (2.0, 5.0)),
    "seed002_neuron": (seed002_neuron, seed002_neuron_hand, (2.0, -3.0, -3.0, -1.0, -2.0)),
}
