"""The smallest array of "another library", for the tests of array protocols (as CuPy is
to NumPy): ``Duck`` wraps an ndarray and answers NumPy's protocols with Ducks."""

import numpy as np


class Duck(np.lib.mixins.NDArrayOperatorsMixin):
    """A minimal array of "another library" (as CuPy is to NumPy): it wraps an ndarray,
    implements NumPy's protocols and returns Ducks; it never converts itself silently
    (no ``__array__``), so a NumPy conversion in generated code would fail."""

    def __init__(self, data):
        self.data = np.asarray(data)

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    T = property(lambda self: Duck(self.data.T))

    def __array__(self, *args, **kwargs):
        raise AssertionError("a Duck was converted to a NumPy array")

    @staticmethod
    def _unwrap(values):
        return [Duck._unwrap(v) if isinstance(v, (list, tuple)) else
                v.data if isinstance(v, Duck) else v for v in values]

    def _wrap(self, result):
        return Duck(result) if isinstance(result, (np.ndarray, np.generic)) else result

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:                     # in place (+=): into the Ducks' data
            kwargs["out"] = tuple(self._unwrap(out))
            getattr(ufunc, method)(*self._unwrap(inputs), **kwargs)
            return out[0] if len(out) == 1 else out
        return self._wrap(getattr(ufunc, method)(*self._unwrap(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        return self._wrap(func(*self._unwrap(args), **dict(zip(kwargs, self._unwrap(
            kwargs.values())))))

    def __getitem__(self, index):
        return self._wrap(self.data[index])

    def copy(self):
        return Duck(self.data.copy())

    def astype(self, dtype):
        return Duck(self.data.astype(dtype))
