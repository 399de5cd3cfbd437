"""Jacobians, Hessians and Hessian-vector products of functions of arrays, assembled from
generated code run once per entry.

* ``by_columns``: the Jacobian from a generated jvp run once per entry of each
  differentiated input, with a unit tangent (exact: no step size);
* ``by_rows``: the Jacobian from a generated pullback run once per entry of each output,
  with a unit cotangent;
* ``hessian_products``: ``H @ v`` of a scalar function by reverse mode over its
  generated jvp (the gradient of ``<grad f(x), v>`` = ``f_dot`` along ``x``, with ``v``
  data), so the Hessian is never built;
* ``hessian_by_columns``: the Hessian from that product run once per entry.

Layout, as in JAX: the block of output ``o`` and input ``i`` has shape
``o.shape + i.shape`` (a Hessian block ``i.shape + j.shape``); a function returning a tuple
gets a tuple over its outputs, several differentiated inputs a tuple over them.  When every
block is a number (numbers in, numbers out) the blocks are one float array instead, the
layout of the scalar Jacobians (an axis for a tuple output, one for several inputs).
Every entry comes from generated code; nothing here differentiates numerically.

dtypes: a block has its input's dtype when that is a NumPy float dtype (a float32 array
gives float32 blocks, its unit tangents and cotangents are float32 too), else float64;
blocks stacked into one array take the inputs' common dtype (``np.result_type``).
"""

import inspect

import numpy as np

from . import pipeline
from .argument_aliases import overlap
from .errors import NotScalarError
from .methods import attributes_of, specialised
from .output_leaves import leaves, rebuilt
from .parse import current


def _shape(value):
    return np.shape(value)


def _dtype(value):
    """The dtype of ``value``'s derivatives: its own for a NumPy float array or scalar,
    else float64 (Python numbers, ints, lists)."""
    dtype = getattr(value, "dtype", None)
    return dtype if isinstance(value, (np.ndarray, np.generic)) and dtype.kind == "f" \
        else np.dtype(float)


def _unit(value, index):
    """A tangent shaped like ``value`` with 1.0 at ``index``, 0.0 elsewhere (a Python float
    for a number, a list for a list or tuple of numbers), of ``value``'s dtype."""
    if isinstance(value, (list, tuple)):
        return [_unit(v, index[1:]) if i == index[0] else _zero(v) for i, v in enumerate(value)]
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return 1.0
    unit = np.zeros(value.shape, _dtype(value))
    unit[index] = 1.0
    return unit


def _zero(value):
    if isinstance(value, (list, tuple)):
        return [_zero(v) for v in value]
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return 0.0
    return np.zeros(value.shape, _dtype(value))


def _filled(value, shape, dtype=float):
    """``value`` (a tangent or gradient; ``0.0`` where the code found none) as an array of
    ``shape`` and ``dtype``."""
    return np.broadcast_to(np.asarray(value, dtype=dtype), shape)


def _block(entries, row_shape, column_shape, dtype=float):
    """The block whose ``k``-th column (in C order over ``column_shape``) is ``entries[k]``,
    shaped ``row_shape + column_shape``."""
    stacked = np.stack([_filled(e, row_shape, dtype) for e in entries], axis=-1)
    return stacked.reshape(tuple(row_shape) + tuple(column_shape))


def _arranged(blocks, structure, single, dtype=float):
    """``blocks[o][i]`` in the public layout (module docstring); ``structure``: the output
    when it is a tuple (its leaves are the ``o``), else None; ``dtype``: that of number
    blocks stacked into one array."""
    per_output = [row[0] if single else tuple(row) for row in blocks]
    result = per_output[0] if structure is None else rebuilt(structure, per_output, nodes=(tuple,))
    if all(np.shape(b) == () for row in blocks for b in row):
        return _floats(result, dtype)
    return result


def _floats(result, dtype=float):
    """Number blocks as one array of ``dtype``; nested tuples of them (a nested tuple
    output) as tuples of such arrays where they do not stack."""
    try:
        return np.array(result, dtype=dtype)[()]
    except ValueError:                      # ragged: np.array cannot stack them
        return tuple(_floats(entry, dtype) for entry in result)


def _common(values, positions):
    """The dtype of the inputs at ``positions`` together."""
    return np.result_type(*[_dtype(values[p]) for p in positions])


def copies(values):
    """Fresh copies of the array arguments for each run: a function may write into one.
    Arguments that share memory stay as they are: the generated code of a function that
    writes into one refuses them before it writes (``argument_aliases``), and the code of
    one that does not write never changes them."""
    mutable = [v for v in values if isinstance(v, (np.ndarray, list))]
    if any(overlap(a, b) for i, a in enumerate(mutable) for b in mutable[i + 1:]):
        return list(values)
    return [v.copy() if isinstance(v, (np.ndarray, list)) else v for v in values]


def _outputs(value, tuple_output, like=None):
    """The leaves of a tuple output (nested tuples taken apart; a list is an array),
    else ``[value]``."""
    return leaves(value, like, (tuple,)) if tuple_output else [value]


def by_columns(jvp, values, positions, tuple_output, single):
    """The Jacobian of ``f`` at ``values`` (one per parameter, in order) with respect to the
    parameters at ``positions``; ``jvp(*values, *tangents)`` is ``f``'s generated jvp along
    them, returning ``(out, out_dot)``."""
    columns = []                 # per input: the out_dot of each of its entries
    outputs = None
    for k, position in enumerate(positions):
        entries = []
        for index in np.ndindex(_shape(values[position])):
            tangents = [_zero(values[p]) for p in positions]
            tangents[k] = _unit(values[position], index)
            out, out_dot = jvp(*copies(values), *tangents)
            outputs = _outputs(out, tuple_output)
            entries.append(_outputs(out_dot, tuple_output, out))
        columns.append(entries)
    blocks = [[_block([e[o] for e in columns[k]], _shape(outputs[o]),
                      _shape(values[position]), _dtype(values[position]))
               for k, position in enumerate(positions)] for o in range(len(outputs))]
    return _arranged(blocks, out if tuple_output else None, single, _common(values, positions))


def by_rows(pullback, values, positions, outputs, tuple_output, single):
    """The Jacobian of ``f`` at ``values`` with respect to the parameters at ``positions``;
    ``outputs``: ``f(*values)``; ``pullback(*values, *cotangents)`` is ``f``'s generated
    vjp for those parameters, returning one gradient per position.  A nested tuple output
    has one block per leaf, its cotangents the output's structure."""
    value, outputs = outputs, _outputs(outputs, tuple_output)
    blocks = []
    for o, output in enumerate(outputs):
        rows = []                # per entry of the output: one gradient per input
        for index in np.ndindex(_shape(output)):
            cotangents = [_zero(other) for other in outputs]
            cotangents[o] = _unit(output, index)
            if tuple_output:     # one per entry of the output, each shaped like it
                cotangents = list(rebuilt(value, cotangents, nodes=(tuple,)))
            rows.append(pullback(*copies(values), *cotangents))
        blocks.append([np.stack([_filled(row[k], _shape(values[p]), _dtype(values[p]))
                                 for row in rows]).reshape(_shape(output) + _shape(values[p]))
                       for k, p in enumerate(positions)])
    return _arranged(blocks, value if tuple_output else None, single,
                     _common(values, positions))


def hessian_products(jvp, values, names, positions, name):
    """``product(tangents)``: ``H @ tangents`` of the scalar ``f`` at ``values``, one entry
    per parameter of ``names`` (at ``positions`` in ``values``; the tangents: one per
    position).  ``jvp`` is ``f``'s generated jvp along those parameters; the gradient of its
    tangent output along them, by reverse mode over its code (specialised for these
    arguments when it is NumPy code), is the product.  ``f``'s output is checked to be a
    number once, here: the seed of that gradient is a number."""
    instance = (jvp.__self__,) if inspect.ismethod(jvp) else ()   # f a bound method
    unbound = jvp.__func__ if instance else jvp
    out, _ = jvp(*copies(values), *[_zero(values[p]) for p in positions])
    if np.shape(out) != () or isinstance(out, tuple):
        raise NotScalarError(f"hessian and hvp of {name} need a scalar output; {name} returns "
                             f"{'a tuple' if isinstance(out, tuple) else 'an array'}",
                             construct="non-scalar output",
                             hint="Use jacobian for a Jacobian, or reduce the output first.")

    def product(tangents):
        arguments = (*copies(values), *tangents)
        code = unbound.specialize(*instance, *arguments) if hasattr(unbound, "specialize") \
            else unbound
        renewed = current(code)         # a function it calls rebound: the code made again
        if renewed is not code:
            code = renewed.specialize(*instance, *arguments) \
                if hasattr(renewed, "specialize") else renewed
        # scalar code (no specialisation) given arrays takes them as sequences (x[0] ** 2)
        kind = "vjp_arrays" if code is not unbound else "vjp"
        if instance:            # self.m(...) resolves for the instance's class (methods.py)
            code = specialised(code, type(instance[0]), attributes_of(unbound))
        reverse = pipeline.generate(code, kind, names, False)
        products = reverse(*instance, *arguments, 0.0, 1.0)   # seeds: value 0, tangent 1
        return [_number(p, values[position]) if _shape(values[position]) == () else
                _filled(p, _shape(values[position]), _dtype(values[position]))
                for p, position in zip(products, positions)]
    return product


def _number(product, value):
    """The product for the number ``value``: a float, or a NumPy scalar of its dtype."""
    return _dtype(value).type(product) if isinstance(value, np.generic) else float(product)


def hessian_by_columns(jvp, values, names, positions, single, name):
    """The Hessian of the scalar ``f`` with respect to the parameters at ``positions``: one
    ``hessian_products`` product per entry; block ``(i, j)`` has shape
    ``i.shape + j.shape``."""
    product = hessian_products(jvp, values, names, positions, name)
    columns = []                 # per input j: the products with each of its unit entries
    for k, position in enumerate(positions):
        entries = []
        for index in np.ndindex(_shape(values[position])):
            tangents = [_zero(values[p]) for p in positions]
            tangents[k] = _unit(values[position], index)
            entries.append(product(tangents))
        columns.append(entries)
    blocks = [[_block([e[i] for e in columns[j]], _shape(values[row]), _shape(values[column]),
                      np.result_type(_dtype(values[row]), _dtype(values[column])))
               for j, column in enumerate(positions)] for i, row in enumerate(positions)]
    return _arranged(blocks, None if single else tuple(positions), single,
                     _common(values, positions))
