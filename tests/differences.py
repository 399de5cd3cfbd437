"""Central differences of a function of arrays, the oracle of several test files, and
the leaves of trees (``at``, ``replaced``) they are taken of."""

import copy
import dataclasses
import inspect
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


def central(f, args, k, h=1e-6, floats=True):
    """d f / d args[k], entry by entry, by central differences of ``f`` itself; the
    other arguments as floats, or (``floats=False``) as given (int labels stay ints)."""
    args = [np.array(a, dtype=float) if floats or i == k else a for i, a in enumerate(args)]
    out = np.zeros_like(args[k])
    for i in np.ndindex(args[k].shape):
        step = np.zeros_like(args[k])
        step[i] = h
        up, down = list(args), list(args)
        up[k], down[k] = args[k] + step, args[k] - step
        out[i] = (f(*up) - f(*down)) / (2 * h)
    return out


def central_list(f, xs, h=1e-6):
    """Central differences of ``f`` at the list ``xs``, entry by entry, as a list."""
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return out


def at(tree, path):
    """The leaf at ``path`` (keys, indices, field names) of ``tree``."""
    for key in path:
        tree = getattr(tree, key) if dataclasses.is_dataclass(tree) \
            or (isinstance(tree, tuple) and isinstance(key, str)) else tree[key]
    return tree


def replaced(tree, path, value):
    """A copy of ``tree`` with ``value`` at ``path``."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, key: replaced(tree[key], rest, value)}
    if dataclasses.is_dataclass(tree):
        return dataclasses.replace(tree, **{key: replaced(getattr(tree, key), rest, value)})
    items = list(tree)
    items[key] = replaced(items[key], rest, value)
    return type(tree)(*items) if hasattr(type(tree), "_fields") else type(tree)(items)


def leaves(tree, path=()):
    """``[(path, leaf)]`` of the float leaves of ``tree``."""
    if isinstance(tree, dict):
        return [found for key, value in tree.items() for found in leaves(value, path + (key,))]
    if dataclasses.is_dataclass(tree):
        return [found for field in dataclasses.fields(tree)
                for found in leaves(getattr(tree, field.name), path + (field.name,))]
    if isinstance(tree, (list, tuple)):
        return [found for i, value in enumerate(tree) for found in leaves(value, path + (i,))]
    if isinstance(tree, float) or isinstance(tree, np.ndarray) and tree.dtype.kind == "f":
        return [(path, tree)]
    return []


def central_at(function, args, position, path, h=1e-6):
    """d function / d the leaf at ``path`` of argument ``position``, entry by entry (a
    step of ``h`` relative to the entry, at least ``h``)."""
    base = at(args[position], path)
    array = np.array(base, dtype=float)
    result = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        moved = []
        step = h * max(1.0, abs(array[index]))
        for sign in (1.0, -1.0):
            shifted = array.copy()
            shifted[index] += sign * step
            value = shifted if isinstance(base, np.ndarray) else float(shifted)
            trial = list(args)
            trial[position] = replaced(args[position], path, value)
            moved.append(function(*copy.deepcopy(trial)))
        result[index] = (moved[0] - moved[1]) / (2 * step)
    return result


def same_tree(a, b):
    """The same leaves at the same paths, equal bit for bit."""
    found_a, found_b = leaves(a), leaves(b)
    assert [p for p, _ in found_a] == [p for p, _ in found_b]
    for (_, x), (_, y) in zip(found_a, found_b):
        assert np.array_equal(np.asarray(x), np.asarray(y))


def with_defaults(function, args):
    """``args`` completed by the defaults of the parameters not given."""
    bound = inspect.signature(function).bind(*args)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def check_against_central(function, args, wrt, gradient, counts=False):
    """Each differentiated parameter's gradient, leaf by leaf, against central differences
    of ``function`` at ``args``; with ``counts``, an int parameter without float leaves (a
    loop count) must have the gradient 0."""
    from s2sdiff.api import resolve_wrt
    names, single = resolve_wrt(function, wrt)
    params = list(inspect.signature(function).parameters)
    args = with_defaults(function, args)
    gradients = [gradient] if single else list(gradient)
    assert len(gradients) == len(names)
    for name, ours_tree in zip(names, gradients):
        position = params.index(name)
        found = leaves(args[position])
        if counts and not found:          # a loop count: a constant, its derivative 0
            assert isinstance(args[position], int) and ours_tree == 0.0, (name, ours_tree)
            continue
        assert found, f"{name} has no float leaves"
        for path, _ in found:
            ours = np.asarray(at(ours_tree, path), dtype=float)
            theirs = central_at(function, args, position, path)
            assert ours.shape == theirs.shape, (name, path, ours.shape, theirs.shape)
            scale = max(1.0, float(np.max(np.abs(theirs))))
            assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-5 * scale), \
                (name, path, ours, theirs)
