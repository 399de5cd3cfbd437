"""Arrays of other libraries that generated NumPy code runs on unchanged.

A Dask or CuPy array implements NumPy's protocols (``__array_function__`` and
``__array_ufunc__``), so ``np.exp(X)`` and ``X.T @ dr`` stay in its library: a Dask
array's gradient comes back as a lazy Dask array.  An array that implements only the
Array API (``__array_namespace__``) is refused by name: generated code calls NumPy.  Generated code for such arguments
spells what NumPy would do eagerly (``np.zeros(x.shape)``, ``np.full``, ``np.float64(d)``)
in the arguments' own library (``np.zeros_like(x)``, ``runtime.to_dtype``).
"""

import numpy as np


def is_array_like(value):
    """Whether ``value`` is an array of another library that generated NumPy code runs on
    unchanged: not an ndarray, with a ``shape`` and a NumPy ``dtype``, implementing NumPy's
    protocols ``__array_function__`` and ``__array_ufunc__`` (Dask, CuPy).  Its kind is an
    array's; the dispatcher keys it on its type, shape and dtype, and its gradient comes
    back in its own library."""
    kind = type(value)
    return kind is not np.ndarray and not isinstance(value, (np.ndarray, np.generic)) and \
        hasattr(kind, "__array_function__") and hasattr(kind, "__array_ufunc__") and \
        hasattr(kind, "shape") and isinstance(getattr(value, "dtype", None), np.dtype)


def is_array_of_entries(value):
    """Whether ``value`` is an array, NumPy's or ``is_array_like``, of one dimension or
    more: what code generated for numbers must not take for a number."""
    return (isinstance(value, np.ndarray) or is_array_like(value)) and len(value.shape) > 0


def only_array_api(value):
    """Whether ``value`` is an Array API array (``__array_namespace__``) that does not
    implement NumPy's protocols: ``np.exp`` of it would not stay in its library."""
    return hasattr(type(value), "__array_namespace__") and not is_array_like(value) \
        and not isinstance(value, (np.ndarray, np.generic))
