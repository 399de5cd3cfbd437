"""The functions generated code may call besides the user's modules.

Generated code binds each under a name of its own (``ModuleAliases.helper``); an ejected
module gets a copy of its source (``eject``), so every function here uses only NumPy, as
``np``, and nothing else from this file.

>>> import numpy as np
>>> prod_of_others(np.array([2.0, 0.0, 5.0]))
array([ 0., 10.,  0.])
"""

import numpy as np


class Unbound:
    """What generated code binds a name to that only the iterations of a loop assign,
    before any has: reading it raises the ``UnboundLocalError`` that the user's function
    raises there (a loop that ran no trip), where ``0.0`` would have gone on silently.
    Copying it (a loop's tape, a renaming copy) does not read it."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def read(self, *args, **kwargs):
        raise UnboundLocalError(
            f"cannot access local variable {self.name!r} where it is not associated with a "
            f"value: no iteration of the loop that assigns it ran")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = read
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = read
    __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __neg__ = __pos__ = __abs__ = read
    __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __float__ = __int__ = __index__ = read
    __getitem__ = __iter__ = __len__ = __array__ = __array_ufunc__ = __array_function__ = read
    __round__ = __trunc__ = __floor__ = __ceil__ = __eq__ = __ne__ = read
    __hash__ = object.__hash__

    def __getattr__(self, attribute):      # y.sum(), y.shape; not copy's __deepcopy__
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        self.read()

    @staticmethod
    def check(value):
        """Raise as reading it would if ``value`` is unbound (an output returned as it is)."""
        if type(value) is Unbound:
            value.read()


def zeros_like(value):
    """A zero adjoint for a sequence: a list of ``0.0`` (an array of zeros for an array,
    in its own library for a Dask or CuPy array); for a sequence of sequences (the
    ``(values, tangents)`` of a generated jvp), a list of their zero adjoints, whose
    ``+=`` adds entry by entry (a list's would append).

    The zero of an ``Unbound`` value (a tuple only a loop's ``return`` assigns, before it
    has) is that ``Unbound``: ``add_sequences`` reads it as zero, anything else raises.

    >>> d = zeros_like(((1.0, 2.0), (3.0, 4.0)))
    >>> d[1] += [0.5, 0.25]
    >>> d
    [[0.0, 0.0], [0.5, 0.25]]
    """
    if type(value).__name__ == "Unbound":    # by name: ejected modules copy this function alone
        return value
    if isinstance(value, np.ndarray):
        return np.zeros(value.shape)
    if isinstance(value, (str, bytes)):      # len(mode) of a mode string: data, no entries
        return 0.0
    if isinstance(value, dict):        # read as a list, iterated for its keys: refused
        raise TypeError("a dict where generated code reads a sequence")
    if not isinstance(value, (list, tuple)) and hasattr(value, "__array_function__"):
        return np.zeros_like(value, dtype=np.float64)
    return [_Adjoints(zeros_like(v)) if isinstance(v, (list, tuple)) else
            zeros_like(v) if hasattr(v, "__array_function__") else 0.0 for v in value]


def structured_as(adjoint, value):
    """``adjoint`` (the lists generated code accumulates a sequence's adjoint in) with the
    structure of ``value``: a tuple where ``value`` has a tuple, a list where a list, down.

    >>> structured_as([1.0, _Adjoints([2.0, 3.0])], (0.5, (0.1, 0.2)))
    (1.0, (2.0, 3.0))
    """
    if type(value) is list and type(adjoint) is list \
            and {list, tuple}.isdisjoint(map(type, value)):
        return adjoint              # a list of numbers or arrays: as it is (at C speed)
    if isinstance(value, (list, tuple)) and isinstance(adjoint, list):
        entries = [structured_as(a, v) for a, v in zip(adjoint, value)]
        return tuple(entries) if type(value) is tuple else entries
    return adjoint


class _Adjoints(list):
    """The adjoint of a sequence inside a sequence: ``+=`` adds entry by entry, and so on
    down (an entry that is itself such an adjoint is added into, not joined: ``[0.0, 0.0]
    + [dw, db]`` would be a list of four)."""

    def __iadd__(self, other):
        for i, v in enumerate(other):
            if isinstance(self[i], _Adjoints):
                self[i] += v
            else:
                self[i] = self[i] + v
        return self


def to_dtype(value, dtype):
    """``value`` as a number of ``dtype``; a 0-d array of another library (a lazy Dask
    array) stays one, of that dtype: making a NumPy number of it would compute it.

    >>> to_dtype(2, np.dtype("float64"))
    np.float64(2.0)
    """
    if isinstance(value, (int, float, np.generic, np.ndarray)):
        return dtype.type(value)
    return value.astype(dtype)


def argsort(values, key=None, reverse=False):
    """The permutation ``sorted(values, key=key, reverse=reverse)`` applies: entry ``j`` of
    the sorted list is ``values[argsort(values, ...)[j]]``.  The same keys compared by the
    same algorithm, so the same order at ties (stable: the earlier entry first, also with
    ``reverse``) and with NaN.

    >>> argsort([3.0, 1.0, 3.0, 2.0]), argsort([3.0, 1.0, 3.0], reverse=True)
    ([1, 3, 0, 2], [0, 2, 1])
    """
    if key is not None:
        values = [key(v) for v in values]
    return sorted(range(len(values)), key=values.__getitem__, reverse=reverse)


def add_sequences(total, more):
    """``total + more`` entry by entry, for the adjoints of lists (``+`` would join them);
    an ``Unbound`` (``zeros_like``) is zero."""
    if type(total).__name__ == "Unbound":
        return more
    if type(more).__name__ == "Unbound":
        return total
    if isinstance(total, (list, tuple)):
        return [add_sequences(a, b) for a, b in zip(total, more, strict=True)]
    return total + more


def split_join(g, parts, form="concatenate", axis=0):
    """The adjoint of each entry of the list ``parts``, built in the function, from ``g``,
    the adjoint of their join ``np.<form>(parts, axis)``: a fresh array of the entry's
    shape each (``form``: stack, array, concatenate, hstack, vstack, column_stack, dstack).

    >>> [p.tolist() for p in split_join(np.arange(5.0), [np.ones(2), np.ones(3)])]
    [[0.0, 1.0], [2.0, 3.0, 4.0]]
    >>> [p.shape for p in split_join(np.zeros((2, 3)), [np.ones(3), np.ones(3)], "vstack")]
    [(3,), (3,)]
    """
    def _shaped_like(piece, part):     # a fresh array; rows of it for a list (``row`` of
        if isinstance(part, (list, tuple)):     # ``rows.append(row)``, which the sweep pops)
            return [_shaped_like(p, q) for p, q in zip(piece, part)]
        return np.array(piece)

    g = np.asarray(g)
    if form in ("stack", "array"):
        return [_shaped_like(piece, part) for piece, part in zip(np.moveaxis(g, axis, 0), parts)]
    shapes = [np.shape(p) for p in parts]
    if axis is None:                       # np.concatenate(parts, axis=None): flattened
        g, joined, axis = g.ravel(), [(int(np.prod(s)),) for s in shapes], 0
    elif form == "concatenate":
        joined = shapes
    else:
        promote = {"hstack": lambda s: s or (1,),
                   "vstack": lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s,
                   "column_stack": lambda s: s if len(s) > 1 else (s + (1,) if s else (1, 1)),
                   "dstack": lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(
                       len(s), s)}[form]
        joined = [promote(s) for s in shapes]
        axis = {"hstack": 0 if g.ndim == 1 else 1, "vstack": 0, "column_stack": 1,
                "dstack": 2}[form]
    axis %= g.ndim
    pieces, offset = [], 0
    for part, shape, size in zip(parts, shapes, (s[axis] for s in joined)):
        piece = g[(slice(None),) * axis + (slice(offset, offset + size),)]
        pieces.append(_shaped_like(np.reshape(piece, shape), part))
        offset += size
    return pieces


def ieee(function, *args):
    """``function(*args)`` (a ``math`` function, or an operator named by its symbol), or,
    where Python raises for it, the IEEE value NumPy gives: ``ieee("/", 0.5, 0.0)`` is inf,
    ``ieee(math.log, -2.0)`` nan, an overflowing ``**`` +-inf.  Only in the IEEE version of
    a gradient (``modules._IEEE``), which runs after the fast one raised.

    >>> import math
    >>> ieee("/", 1.0, 4.0), ieee("/", 0.5, -0.0), ieee(math.log, -2.0)
    (0.25, -inf, nan)
    """
    operators = {"/": lambda a, b: a / b, "**": lambda a, b: a ** b,
                 "//": lambda a, b: a // b, "%": lambda a, b: a % b}
    numpy_names = {"/": "true_divide", "**": "power", "//": "floor_divide", "%": "mod",
                   "asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
                   "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh", "pow": "power"}
    try:
        return operators[function](*args) if isinstance(function, str) else function(*args)
    except (ArithmeticError, ValueError):
        name = function if isinstance(function, str) else function.__name__
        numpy_function = getattr(np, numpy_names.get(name, name), None)
        if numpy_function is None:
            raise
        with np.errstate(all="ignore"):
            return float(numpy_function(*[np.float64(a) for a in args]))


def prod_of_others(a, axis=None):
    """d np.prod(a, axis) / da: at each entry, the product of the other entries along
    ``axis`` (all axes for None), as products from the left times products from the right.
    Exact where ``a`` holds zeros or the whole product underflows, unlike prod(a) / a."""
    if isinstance(a, np.ndarray) or not hasattr(a, "__array_function__"):
        a = np.asarray(a, dtype=float)
    elif a.dtype.kind != "f":              # a Dask or CuPy array stays in its library
        a = a.astype(np.float64)
    axes = tuple(range(a.ndim)) if axis is None else tuple(
        ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    rows = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    if rows.shape[-1] == 0:
        return np.zeros(a.shape)
    ones = np.ones_like(rows[..., :1])     # in rows' library (NumPy, Dask...)
    left = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), last, axes)



def prod_of_others_tangent(a, t, axis=None):
    """The tangent of ``prod_of_others(a, axis)`` along ``t``: at each entry ``i``, the
    sum over the other entries ``j`` of its slice of ``t[j]`` times the product of the
    entries but ``i`` and ``j`` (the Hessian of ``np.prod`` times ``t``; being symmetric,
    it is also the adjoint of ``prod_of_others`` for the cotangent ``t``).  Sums carried
    from the left and from the right, no division: exact at zeros.  (Self-contained:
    ``eject`` copies it alone.)

    >>> prod_of_others_tangent(np.array([2.0, 0.0, 5.0]), np.array([1.0, 0.0, 0.0]))
    array([0., 5., 0.])
    """
    if isinstance(a, np.ndarray) or not hasattr(a, "__array_function__"):
        a = np.asarray(a, dtype=float)
    elif a.dtype.kind != "f":              # a Dask or CuPy array stays in its library
        a = a.astype(np.float64)
    t = np.broadcast_to(t, a.shape)
    axes = tuple(range(a.ndim)) if axis is None else tuple(
        ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    rows = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    t_rows = np.moveaxis(t, axes, last).reshape(rows.shape)
    n = rows.shape[-1]
    if n == 0:
        return np.zeros(a.shape)
    columns, lefts = [], []
    left, carried = np.ones_like(rows[..., 0]), np.zeros_like(rows[..., 0])
    for i in range(n):               # carried: sum over j < i of t_j * prod(a_k, k < i, k != j)
        columns.append(carried)
        lefts.append(left)
        carried = carried * rows[..., i] + t_rows[..., i] * left
        left = left * rows[..., i]
    right, carried = np.ones_like(rows[..., 0]), np.zeros_like(rows[..., 0])
    for i in reversed(range(n)):     # then over j > i, with prod(a_k, k > i, k != j)
        columns[i] = columns[i] * right + lefts[i] * carried
        carried = carried * rows[..., i] + t_rows[..., i] * right
        right = right * rows[..., i]
    value = np.stack(columns, axis=-1)
    return np.moveaxis(value.reshape(moved.shape), last, axes)


def cumprod_back(a, g, axis=None):
    """The adjoint of ``np.cumprod(a, axis)`` for the output adjoint ``g``: before a
    row's first zero, sums of ``g * out`` from the end over the entry; at it, the same
    sums of the products that skip it; 0 after it.  Exact at zeros, unlike dividing by
    ``a`` (NaN there).  (Self-contained: ``eject`` copies it alone.)

    >>> cumprod_back(np.array([2.0, 0.0, 5.0]), np.ones(3))
    array([ 1., 12.,  0.])
    """
    if isinstance(a, np.ndarray) or not hasattr(a, "__array_function__"):
        a = np.asarray(a, dtype=float)
    moved = None if axis is None else axis % a.ndim
    rows = np.reshape(a, (-1,)) if axis is None else np.moveaxis(a, moved, -1)
    g = np.reshape(g, (-1,)) if axis is None else np.moveaxis(
        np.broadcast_to(g, np.shape(a)), moved, -1)
    zero = rows == 0
    n = rows.shape[-1]
    first = np.where(np.any(zero, axis=-1), np.argmax(zero, axis=-1), n)[..., None]
    before, at = np.arange(n) < first, np.arange(n) == first
    skipped = np.cumprod(np.where(at, 1.0, rows), axis=-1)      # the first zero read as 1
    from_end = lambda v: np.flip(np.cumsum(np.flip(v, axis=-1), axis=-1), axis=-1)  # noqa
    back = np.where(before, from_end(g * np.where(before, skipped, 0.0))
                    / np.where(before, rows, 1.0), 0.0) + np.where(at, from_end(g * skipped), 0.0)
    return np.reshape(back, np.shape(a)) if axis is None else np.moveaxis(back, -1, moved)


def cumprod_tangent(a, t, axis=None):
    """The tangent of ``np.cumprod(a, axis)`` along ``t``: ``out * cumsum(t / a)`` before
    a row's first zero, then the first zero's tangent times the products that skip it.
    (Self-contained: ``eject`` copies it alone.)

    >>> cumprod_tangent(np.array([2.0, 0.0, 5.0]), np.array([0.0, 1.0, 0.0]))
    array([ 0.,  2., 10.])
    """
    if isinstance(a, np.ndarray) or not hasattr(a, "__array_function__"):
        a = np.asarray(a, dtype=float)
    t = np.broadcast_to(t, np.shape(a))
    moved = None if axis is None else axis % a.ndim
    rows = np.reshape(a, (-1,)) if axis is None else np.moveaxis(a, moved, -1)
    t = np.reshape(t, (-1,)) if axis is None else np.moveaxis(t, moved, -1)
    zero = rows == 0
    n = rows.shape[-1]
    first = np.where(np.any(zero, axis=-1), np.argmax(zero, axis=-1), n)[..., None]
    before, at = np.arange(n) < first, np.arange(n) == first
    skipped = np.cumprod(np.where(at, 1.0, rows), axis=-1)      # the first zero read as 1
    ratio = np.cumsum(np.where(before, t / np.where(before, rows, 1.0), 0.0), axis=-1)
    at_zero = np.sum(np.where(at, t, 0.0), axis=-1, keepdims=True)
    value = np.where(before, skipped * ratio, at_zero * skipped)
    return value if axis is None else np.moveaxis(value, -1, moved)


def digamma(x):
    """psi(x) = d log Gamma(x) / dx of a number ``x`` (the partial of ``math.gamma`` and
    ``math.lgamma`` without SciPy): the reflection psi(x) = psi(1 - x) - pi / tan(pi x)
    below 1/2, the recurrence psi(x) = psi(x + 1) - 1 / x up to 10, then the asymptotic
    series through x ** -14 (its next term is below 1e-16 there).  Self-contained.

    >>> round(float(digamma(1.0)), 15)           # -Euler's gamma
    -0.577215664901532
    """
    number, value = not hasattr(x, "__array__"), 0.0
    if x < 0.5:
        value = -np.pi / np.tan(np.pi * x)
        x = 1.0 - x
    while x < 10.0:
        value -= 1.0 / x
        x = x + 1.0          # not +=: x may be the caller's 0-d array
    s = (1.0 / x) ** 2
    series = s * (1 / 12 - s * (1 / 120 - s * (1 / 252 - s * (1 / 240 - s * (
        1 / 132 - s * (691 / 32760 - s / 12))))))
    value = value + np.log(x) - 0.5 / x - series
    return float(value) if number else value


def trigamma(x):
    """psi'(x), the derivative of ``digamma`` (second derivatives of ``math.gamma``): the
    reflection psi'(x) = pi ** 2 / sin(pi x) ** 2 - psi'(1 - x) below 1/2, the recurrence
    psi'(x) = psi'(x + 1) + 1 / x ** 2 up to 10, then the asymptotic series.  Self-contained.

    >>> round(float(trigamma(1.0)), 14)   # pi ** 2 / 6
    1.64493406684823
    """
    number, sign, value = not hasattr(x, "__array__"), 1.0, 0.0
    if x < 0.5:
        value = (np.pi / np.sin(np.pi * x)) ** 2
        sign, x = -1.0, 1.0 - x
    while x < 10.0:
        value += sign / (x * x)
        x = x + 1.0          # not +=: x may be the caller's 0-d array
    s = (1.0 / x) ** 2
    series = 1.0 + 0.5 / x + s * (1 / 6 - s * (1 / 30 - s * (1 / 42 - s * (1 / 30 - s * (
        5 / 66 - s * (691 / 2730 - s * 7 / 6))))))
    value = value + sign * series / x
    return float(value) if number else value
