"""Central differences of a function of arrays, the oracle of several test files."""

import warnings

import numpy as np


def _size_1_arrays_are_numbers():
    """NumPy 2.2 and older (the newest for Python 3.10) read a size-1 array as its number
    in ``math.sin``, ``float()``, ``if``, with a DeprecationWarning; newer NumPy raises
    TypeError, which the generated code turns into an error naming the argument."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return float(np.array([1.5])) == 1.5
        except TypeError:
            return False


SIZE_1_ARRAYS_ARE_NUMBERS = _size_1_arrays_are_numbers()


def central(f, args, k, h=1e-6):
    """d f / d args[k], entry by entry, by central differences of ``f`` itself."""
    args = [np.array(a, dtype=float) for a in args]
    out = np.zeros_like(args[k])
    for i in np.ndindex(args[k].shape):
        step = np.zeros_like(args[k])
        step[i] = h
        up, down = list(args), list(args)
        up[k], down[k] = args[k] + step, args[k] - step
        out[i] = (f(*up) - f(*down)) / (2 * h)
    return out
