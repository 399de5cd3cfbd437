"""Finite-difference checks of generated gradients (``check_grad``), shipped as library
code and re-exported by ``check.py``: central ``D0(h)`` or Richardson's
``(4 D0(h) - D0(2h)) / 3`` (seed 002), leaf by leaf for trees.  A mismatch raises
``AssertionError`` naming the worst component; otherwise the report is returned.
"""

import dataclasses
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .api import grad, resolve_wrt
from .typing import CheckMethod, Wrt

EPS = np.finfo(float).eps

@dataclass
class GradCheck:
    function: str
    method: str
    rows: list[tuple[str, float, float, float]] = field(default_factory=list)
    # (component, analytic, numeric, error)
    tolerance: float = 0.0

    @property
    def worst(self) -> tuple[str, float, float, float] | None:
        return max(self.rows, key=lambda r: r[3]) if self.rows else None

    def __str__(self) -> str:
        lines = [f"check_grad({self.function}, method={self.method!r}): "
                 f"{len(self.rows)} components, worst error {self.worst[3]:.3g}"  # type: ignore[index]
                 f" (tolerance {self.tolerance:.3g})" if self.rows else "no components"]
        for component, analytic, numeric, error in self.rows:
            lines.append(f"  {component}: generated {analytic!r}, numeric {numeric!r}, error {error:.3g}")
        return "\n".join(lines)


def check_grad(f: Callable[..., Any], *args: ArrayLike, wrt: Wrt = None,
               method: CheckMethod = "central", rtol: float | None = None,
               atol: float | None = None) -> GradCheck:
    """Compare ``grad(f, wrt=wrt)(*args)`` with finite differences of ``f``.

    ``method`` is ``"central"`` (error O(h^2)) or ``"richardson"`` (O(h^4)).  The error
    of a component is ``|generated - numeric| / (atol/rtol + |numeric|)`` measured in
    units of ``rtol``; the check fails when the worst exceeds 1.
    """
    return _check_differences(f, None, args, wrt, method, rtol, atol)


def check_grad_function(f: Callable[..., Any], gradient: Callable[..., Any], *args: ArrayLike,
                        wrt: Wrt = None, method: CheckMethod = "central",
                        rtol: float | None = None, atol: float | None = None) -> GradCheck:
    """``check_grad`` for a given ``gradient`` function instead of ``grad(f, wrt=wrt)``.

    ``gradient(*args)`` must return what ``grad(f, wrt=wrt)(*args)`` returns.
    """
    return _check_differences(f, gradient, args, wrt, method, rtol, atol)


def _check_differences(f: Callable[..., Any], gradient: Callable[..., Any] | None,
                       args: tuple[ArrayLike, ...], wrt: Wrt, method: str, rtol: float | None,
                       atol: float | None) -> GradCheck:
    if method not in ("central", "richardson"):
        raise ValueError(f"method must be 'central' or 'richardson', got {method!r}")
    f = getattr(f, "__s2sdiff_origin__", f)
    params = list(_positional_names(f))
    if wrt is None and len(args) < len(params):
        wrt = tuple(range(len(args)))        # parameters left to their defaults stay fixed
    names, single = resolve_wrt(f, wrt)
    analytic = (gradient or grad(f, wrt=wrt))(*args)
    analytic = (analytic,) if single else analytic
    default_rtol, default_atol = (1e-5, 1e-7) if method == "central" else (1e-7, 1e-9)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    report = GradCheck(getattr(f, "__name__", "f"), method, tolerance=rtol)
    for name, tree in zip(names, analytic):
        index = params.index(name)
        try:
            numerics = list(_numeric_gradients(f, args, index, method))
        except Exception as error:
            if not _integers(args[index]):
                raise
            others = tuple(n for n in names if n != name)
            raise TypeError(
                f"check_grad({report.function}): `{name}` is an integer "
                f"({args[index]!r}), and {report.function} fails when it is moved by a "
                f"small step ({type(error).__name__}: {error}), so it has no finite "
                f"difference; leave it out: check_grad(..., wrt={others!r})") from None
        for path, numeric in numerics:
            label = name + "".join(f"[{key!r}]" if not isinstance(key, tuple) else
                                   f".{key[0]}" for key in path)
            try:
                value = _at(tree, path)
            except (KeyError, IndexError, TypeError, AttributeError):
                raise AssertionError(f"check_grad({report.function}): the gradient for {name} "
                                     f"has no entry {label}") from None
            _compare_leaf(report, label, value, numeric, rtol, atol)
    if report.rows and report.worst[3] > rtol:  # type: ignore[index]
        component, g, n, error = report.worst  # type: ignore[misc]
        raise AssertionError(f"gradient mismatch in {report.function} at {component}: "
                             f"generated {g!r}, {method} difference {n!r}\n{report}")
    return report


def _integers(value: Any) -> bool:
    """Whether ``value`` or a leaf of it is an integer (an index, a count)."""
    if _is_leaf(value):
        return np.asarray(value).dtype.kind in "biu"
    return any(_integers(leaf) for _, leaf in _leaves(value))


def _compare_leaf(report: GradCheck, name: str, value: Any, numeric: NDArray[np.float64],
                  rtol: float, atol: float) -> None:
    """The rows of one leaf of the gradient (``name``) against its ``numeric`` estimate."""
    generated = np.asarray(value, dtype=float)
    if generated.shape != numeric.shape:
        raise AssertionError(f"check_grad({report.function}): gradient for {name} has shape "
                             f"{generated.shape}, the argument has shape {numeric.shape}")
    for position in np.ndindex(numeric.shape):
        component = name + (str(list(position)) if position else "")
        g, n = float(generated[position]), float(numeric[position])
        error = abs(g - n) / (atol + rtol * abs(n)) * rtol
        if math.isnan(g) != math.isnan(n):
            error = math.inf
        report.rows.append((component, g, n, 0.0 if math.isnan(g) and math.isnan(n) else error))


# trees (dicts, lists, tuples, namedtuples, dataclasses of floats and arrays): leaf by leaf
Path = tuple[Any, ...]       # keys and indices; a dataclass field is a 1-tuple (its name)


def _is_leaf(value: Any) -> bool:
    """A float, an array, or a list or tuple of numbers (one leaf, as before trees)."""
    if isinstance(value, dict) or (dataclasses.is_dataclass(value)
                                   and not isinstance(value, type)):
        return False
    if isinstance(value, (list, tuple)):
        return not hasattr(type(value), "_fields") and all(
            isinstance(v, (int, float, np.integer, np.floating)) for v in value)
    return True


def _leaves(tree: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    if _is_leaf(tree):
        if not isinstance(tree, (bool, int, np.integer)):       # ints: data, not varied
            yield path, tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _leaves(value, path + (i,))
    else:
        for item in dataclasses.fields(tree):
            yield from _leaves(getattr(tree, item.name), path + ((item.name,),))


def _at(tree: Any, path: Path) -> Any:
    for key in path:
        tree = getattr(tree, key[0]) if isinstance(key, tuple) else tree[key]
    return tree


def _replaced(tree: Any, path: Path, value: Any) -> Any:
    """A copy of ``tree`` with ``value`` at ``path`` (the rest shared)."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(key, tuple):
        return dataclasses.replace(tree, **{key[0]: _replaced(getattr(tree, key[0]), rest, value)})
    if isinstance(tree, dict):
        return {**tree, key: _replaced(tree[key], rest, value)}
    items = list(tree)
    items[key] = _replaced(items[key], rest, value)
    if hasattr(type(tree), "_fields"):
        return type(tree)(*items)
    return type(tree)(items)


def _numeric_gradients(f: Callable[..., Any], args: tuple[ArrayLike, ...], index: int,
                       method: str) -> Iterator[tuple[Path, NDArray[np.float64]]]:
    """(path, finite-difference gradient) of each leaf of argument ``index``."""
    if _is_leaf(args[index]):
        yield (), _numeric_gradient(f, args, index, method)
        return
    for path, leaf in _leaves(args[index]):
        def moved(value: Any, path: Path = path) -> Any:
            call = list(args)
            call[index] = _replaced(args[index], path, value)
            return f(*call)

        yield path, _numeric_gradient(moved, (leaf,), 0, method)


def _positional_names(f: Callable[..., Any]) -> tuple[str, ...]:
    """The parameters of ``f`` as its callers pass them: a bound method's ``self`` is not
    one (``check_grad(model.loss, w)`` passes ``w`` first)."""
    code = f.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return names[1:] if inspect.ismethod(f) else names


def _numeric_gradient(f: Callable[..., Any], args: tuple[ArrayLike, ...], index: int,
                      method: str) -> NDArray[np.float64]:
    base = np.array(args[index], dtype=float)
    scalar = base.ndim == 0
    result = np.zeros(base.shape)
    power = 1 / 3 if method == "central" else 1 / 5
    for position in np.ndindex(base.shape):
        h = EPS ** power * max(1.0, abs(float(base[position])))

        def at(offset: float, position: tuple[int, ...] = position) -> float:
            moved = base.copy()
            moved[position] += offset
            call = list(args)
            call[index] = float(moved) if scalar else moved
            return float(f(*call))

        def central(step: float) -> float:
            return (at(step) - at(-step)) / (2 * step)

        d = central(h)
        if method == "richardson":
            d = (4 * d - central(2 * h)) / 3
        result[position] = d
    return result
