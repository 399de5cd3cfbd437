"""NumPy functions s2sdiff differentiates through a definition in NumPy code it already
differentiates, written as NumPy computes them (the same operations in the same order,
so the value is NumPy's own, bit for bit).

A call of one of these in NumPy code (``np.average(x, weights=w)``) is inlined like a
helper of yours (``normalize/helpers.py``): the generated code shows the definition's
steps under its names (``average_a``...), and its derivative follows from theirs.  A use
the definition does not cover raises ``NotImplementedError`` naming what it takes (not an
``assert``, which ``python -O`` strips): refused at generation, at the user's line, as an
``UnsupportedError`` (``refusal_parts``).
``tests/test_numpy_definitions.py`` checks each against NumPy's value and central
differences.

>>> import numpy as np
>>> DEFINITIONS[np.nanmean] is nanmean
True
"""

import inspect

import numpy as np


def nansum(a, axis=None):
    return np.sum(np.where(np.isnan(a), 0.0, a), axis=axis)


def nanmean(a, axis=None):
    missing = np.isnan(a)
    return np.sum(np.where(missing, 0.0, a), axis=axis) / np.sum(~missing, axis=axis)


def average(a, axis=None, weights=None):
    if weights is None:
        return np.mean(a, axis=axis)
    if np.shape(weights) != np.shape(a):
        raise NotImplementedError(
            "np.average: s2sdiff takes weights of the shape of a (np.broadcast_to them)")
    return np.sum(np.multiply(a, weights), axis=axis) / np.sum(weights, axis=axis)


def ptp(a, axis=None, keepdims=False):
    return np.max(a, axis=axis, keepdims=keepdims) - np.min(a, axis=axis, keepdims=keepdims)


def polyval(p, x):
    y = np.zeros_like(x) + 0.0          # a NumPy scalar for a number x, as y * x becomes
    for coefficient in p:
        y = y * x + coefficient
    return y


def trapezoid(y, x=None, dx=1.0):
    if np.ndim(y) != 1:
        raise NotImplementedError("np.trapezoid: s2sdiff takes one-dimensional y")
    if x is not None:
        return np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0)
    return np.sum(dx * (y[1:] + y[:-1]) / 2.0)


def median(a, axis=None):
    if axis is not None:
        raise NotImplementedError(
            "np.median: s2sdiff takes the median of the whole array (axis=None)")
    ordered = np.sort(a, axis=None)
    middle = np.size(a) // 2
    if np.size(a) % 2 == 1:
        return np.mean(ordered[middle:middle + 1])
    return np.mean(ordered[middle - 1:middle + 1])


def quantile(a, q, axis=None):
    if axis is not None:
        raise NotImplementedError(
            "np.quantile: s2sdiff takes the quantile of the whole array (axis=None)")
    if np.ndim(q) != 0:
        raise NotImplementedError(
            "np.quantile: s2sdiff takes one q, a number (call it once per q)")
    ordered = np.sort(a, axis=None)
    n = np.size(a)
    virtual = (n - 1) * q                     # method="linear"
    if virtual >= n - 1:
        below, above = -1, -1
    elif virtual < 0:
        below, above = 0, 0
    else:
        below = int(np.floor(virtual))
        above = below + 1
    gamma = virtual - below
    difference = ordered[above] - ordered[below]
    if gamma >= 0.5:
        return ordered[above] - difference * (1 - gamma)
    return ordered[below] + difference * gamma


def percentile(a, q, axis=None):
    if axis is not None:
        raise NotImplementedError(
            "np.percentile: s2sdiff takes the percentile of the whole array (axis=None)")
    return quantile(a, np.true_divide(q, 100))


def cov(m):
    if np.ndim(m) != 2 or np.shape(m)[0] < 2:
        raise NotImplementedError(
            "np.cov: s2sdiff takes a two-dimensional m of two or more variables, one per row")
    X = m - np.mean(m, axis=1, keepdims=True)
    return np.dot(X, X.T) * np.true_divide(1, np.shape(m)[1] - 1)


def corrcoef(x):
    c = cov(x)
    stddev = np.sqrt(np.diag(c))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    return np.clip(c, -1, 1)


def interp(x, xp, fp):
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)     # lists, as NumPy takes
    if np.ndim(xp) != 1 or np.size(xp) < 2:
        raise NotImplementedError("np.interp: s2sdiff takes two or more increasing points xp")
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.size(xp) - 2)
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    inside = slope * (x - xp[j]) + fp[j]
    return np.where(x < xp[0], fp[0], np.where(x >= xp[-1], fp[-1], inside))


def refusal_parts(message):
    """``(construct, hint)`` of a refusal above, from its message ("np.median: s2sdiff
    takes ..."); None for any other message."""
    function, _, takes = message.partition(": s2sdiff takes ")
    if not function.startswith("np.") or not takes:
        return None
    return f"{function} with these arguments", f"s2sdiff takes {takes}."


DEFINITIONS = {np.nansum: nansum, np.interp: interp, np.nanmean: nanmean, np.average: average,
               np.polyval: polyval, np.median: median, np.cov: cov, np.corrcoef: corrcoef,
               np.quantile: quantile, np.percentile: percentile, np.ptp: ptp}
if hasattr(np, "trapezoid"):                   # NumPy 2
    DEFINITIONS[np.trapezoid] = trapezoid
OWN = frozenset(DEFINITIONS.values())          # the definitions, called by each other too


def call_refusal(helper, error, what):
    """The message and hint of a call of ``helper`` (described as ``what``) that does not
    bind to its signature (``error``, the TypeError): for one of these definitions, what
    s2sdiff's definition takes, not "your function"."""
    if helper not in OWN:
        return (f"a call of {what} that does not match its signature ({error})",
                "Pass the arguments its parameters name.")
    short = next(f.__name__ for f, d in DEFINITIONS.items() if d is helper)
    tip = {"cov": " (np.cov(X.T) for rowvar=False)",
           "corrcoef": " (np.corrcoef(np.stack([x, y])) for two arrays)"}.get(short, "")
    return (f"this call of np.{short} ({error})",
            f"s2sdiff differentiates np.{short}{inspect.signature(helper)}, its own "
            f"definition of it: write the call with those arguments{tip}.")
