"""Functions with long loops for tests/test_checkpoint.py (their source must be readable)."""

import math

import numpy as np


def logistic(x, r, n):
    for i in range(n):
        x = r * x * (1.0 - x)
    return x


def euler(x, h, n):
    t = 0.0
    for i in range(n):
        x = x + h * math.sin(x + t)
        t = t + h
    return x * x


def oscillator(q, p, k, n):
    """Symplectic Euler: two carried values, a branch and an inner loop in the body."""
    energy = 0.0
    for i in range(1, n + 1):
        p = p - 0.01 * k * math.sin(q)
        if p > 0.0:
            q = q + 0.01 * p
        else:
            q = q + 0.005 * p
        for j in range(2):
            energy = energy + 0.5 * p * p / (j + 1)
    return q + energy


def skipping(x, a, n):
    for i in range(n):
        if i % 3 == 0:
            continue
        x = x + a * math.cos(x)
    return x


def before_and_after(a, n):
    c = math.exp(a)
    s = 0.0
    for i in range(n):
        s = s + 0.05 * c * math.sin(s + a)
        c = c * 1.01
    return math.log(1.0 + s * s) + c


def array_state(x, a, n):
    s = 0.0
    for i in range(n):
        x = x + 0.01 * np.sin(a * x)
        s = s + np.sum(x * x)
    return s


def rnn(W, b, x, n):
    for i in range(n):
        x = np.tanh(W @ x + b)
    return np.sum(x ** 2)


def two_loops(x, y, n):
    for i in range(n):
        x = x * 0.99 + 0.1 * math.sin(y)
    z = x * y
    for j in range(3, n + 3):
        z = z + 0.001 * z * math.cos(x)
    return z


def long_loop(x, n):
    for i in range(n):
        x = x + 1e-5 * math.sin(x)
    return x


# refused ----------------------------------------------------------------------

def while_loop(x):
    while x < 10.0:
        x = 0.5 * x * x + 1.0
    return x


def breaking(x, n):
    for i in range(n):
        x = x * 1.1
        if x > 5.0:
            break
    return x


def over_list(x, coefficients):
    for c in coefficients:
        x = x * c + math.sin(x)
    return x


def in_branch(x, n):
    if x > 0.0:
        for i in range(n):
            x = math.sin(x)
    return x


def no_loop(x):
    return math.sin(x) * x


def appending(x, n):
    values = []
    for i in range(n):
        x = math.sin(x)
        values.append(x)
    return sum(values)


def writes_array(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sin(x[i]) * x[i]
    return np.sum(y)


def constant_loop(x, n):
    total = 0.0
    for i in range(n):
        total = total + i
    return x * total


def stepping(x, n):
    i = 1
    for i in range(n - 1, -1, -2):
        x = x + 0.01 * i * math.sin(x)
    return x * (i + 2)


def last_value(x, n):
    for i in range(n):
        y = math.sin(x)
        x = x + 0.1 * y
    return x + y


def with_tree(p, n):
    x = p["x"]
    for i in range(n):
        x = x * p["a"] + 0.1 * math.sin(x)
    return x


def _damped(u, a):
    return math.sin(u) * a + u


def calls_helper(x, a, n):
    for i in range(n):
        x = _damped(x, a) * 0.5
    return x
