"""Arrays of other libraries that generated NumPy code runs on unchanged.

A Dask or CuPy array implements NumPy's protocols (``__array_function__`` and
``__array_ufunc__``), so ``np.exp(X)`` and ``X.T @ dr`` stay in its library: a Dask
array's gradient comes back as a lazy Dask array.  Generated code for such arguments
spells what NumPy would do eagerly (``np.zeros(x.shape)``, ``np.full``, ``np.float64(d)``)
in the arguments' own library (``np.zeros_like(x)``, ``runtime.to_dtype``).
"""

import numpy as np


def is_array_like(value):
    """Whether ``value`` is an array of another library that generated NumPy code runs on
    unchanged: a non-NumPy array with a ``shape`` and a NumPy ``dtype`` that implements
    NumPy's protocols (``__array_function__`` and ``__array_ufunc__``: Dask, CuPy) or the
    Array API (``__array_namespace__``).  Its kind is an array's; the dispatcher keys it
    on its type, shape and dtype, so the gradient comes back in its own library."""
    kind = type(value)
    return kind is not np.ndarray and not isinstance(value, (np.ndarray, np.generic)) and (
        hasattr(kind, "__array_function__") and hasattr(kind, "__array_ufunc__")
        or hasattr(kind, "__array_namespace__")) and hasattr(kind, "shape") and hasattr(
        kind, "dtype") and isinstance(getattr(value, "dtype", None), np.dtype)
