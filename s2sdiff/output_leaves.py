"""The entries of a function's output as the Jacobians see them, and scalar code given
arrays.

* ``leaves`` / ``rebuilt``: an output that nests tuples and lists
  (``return a, (b, c)``) is a tree whose leaves are numbers or arrays; a Jacobian has one
  block per leaf, laid out in the output's structure, as JAX does.
* ``unit_cotangents``: for each leaf, a cotangent shaped like the output with ``1.0`` at
  that leaf and ``0.0`` elsewhere (one reverse sweep per leaf of scalar code).
* ``transposed``: the forward-mode columns of an output entry (one tangent per input,
  each shaped like the entry) as one tuple over inputs per leaf.
* ``reads_as_lists``: whether code without NumPy calls, generated for numbers and lists,
  runs at these arguments as it runs at lists: every array given is 1-D, for a parameter
  the code reads as a sequence (indexes, iterates), and every output leaf is a number.
  ``grad`` runs that code at such arrays; ``vjp`` and the Jacobians do too.
"""

import numpy as np


NODES = (tuple, list)      # what a structure is made of; NumPy code's Jacobians: tuples


def leaves(value, like=None, nodes=NODES):
    """The leaves of ``value`` (``nodes``, tuples and lists, taken apart), depth first;
    with ``like`` (a value of the same structure), a leaf of ``value`` where ``like`` has
    a node (a tangent ``0.0`` for a constant entry) counts for each leaf there."""
    if like is not None and isinstance(like, nodes) and not isinstance(value, nodes):
        return [value for _ in leaves(like, None, nodes)]
    if not isinstance(value, nodes):
        return [value]
    if like is None or not isinstance(like, nodes) or len(like) != len(value):
        return [leaf for entry in value for leaf in leaves(entry, None, nodes)]
    return [leaf for entry, shape in zip(value, like) for leaf in leaves(entry, shape, nodes)]


def nested(value):
    """Whether some entry of the tuple or list ``value`` is itself a tuple or list."""
    return isinstance(value, NODES) and any(isinstance(entry, NODES) for entry in value)


def rebuilt(value, items, keep_lists=False, nodes=NODES):
    """``value``'s structure with its leaves replaced by ``items``, in order; tuples stay
    tuples, lists become tuples (a Jacobian's structure) unless ``keep_lists`` (a
    cotangent's)."""
    items = iter(items)

    def build(node):
        if not isinstance(node, nodes):
            return next(items)
        entries = [build(entry) for entry in node]
        return entries if keep_lists and isinstance(node, list) else tuple(entries)
    return build(value)


def unit_cotangents(value):
    """One cotangent per leaf of ``value`` (numbers as leaves): ``value``'s structure with
    ``1.0`` at that leaf, ``0.0`` at the others."""
    count = len(leaves(value))
    return [rebuilt(value, [1.0 if j == i else 0.0 for j in range(count)], keep_lists=True)
            for i in range(count)]


def transposed(columns):
    """``columns``: one tangent of an output entry per input (each with the entry's
    structure, or ``0.0`` where the entry does not depend on that input) -> the entry's
    structure with, at each leaf, the tuple over inputs."""
    like = next((column for column in columns if isinstance(column, NODES)), columns[0])
    flat = [leaves(column, like) for column in columns]
    return rebuilt(like, [tuple(column[i] for column in flat) for i in range(len(flat[0]))])


def reads_as_lists(generated, values, output):
    """Whether the code without NumPy calls that ``generated`` was made from runs at
    ``values`` (one per parameter, in order) as at lists of numbers, ``output`` being its
    value there: see the module docstring.  False for NumPy code."""
    sequences = getattr(generated, "__s2sdiff_lists__", None)
    if sequences is None or len(sequences) != len(values):
        return False
    arrays = [(value, is_sequence) for value, is_sequence in zip(values, sequences)
              if isinstance(value, np.ndarray) and value.ndim > 0]
    return bool(arrays) and all(is_sequence and value.ndim == 1 for value, is_sequence in arrays) \
        and all(np.ndim(leaf) == 0 for leaf in leaves(output))
