"""Rows of the rule table for NumPy's grids and blocks, and its step function:
``np.meshgrid`` (each part a broadcast of one input, ``indexing`` ``"xy"`` or ``"ij"``),
``np.block`` (nested lists of arrays: the adjoint is cut back into the blocks) and
``np.heaviside`` (0 almost everywhere; the value at 0, its second argument, where the
first is 0).

The rows are ordinary ``Partials`` and ``ArrayRule`` rows of ``rules.RULES``, read by both
modes and checked by tests/test_array_rules.py from their ``sample`` like every other
NumPy row.  ``split_rules`` imports this module (the normaliser imports it, so the
package does); ``rules.py`` cannot import it back (the import graph has no cycles).
Every adjoint is vectorised: sums over axes and slices, no Python loop over entries.
"""

import ast
import copy

import numpy as np

from .build import Expr
from .ir import is_display
from .rules import Array, Function, Sample, _constant, defrule, defvjp

# np.heaviside(x, h): 0 for x < 0, h at x = 0, 1 for x > 0.  Piecewise constant in x (as
# np.sign, its derivative is taken as 0 where it jumps); the value is h itself at x = 0.
defrule(Function(np.heaviside),
        lambda m, x, h: m.where(x > 0, 1, m.where(m.equal(x, 0), h, 0)),
        lambda m, out, x, h: (0, m.is_zero(x)))


# --- np.meshgrid -------------------------------------------------------------------------
# ``X, Y = np.meshgrid(x, y)`` is one step per part, ``X = np.meshgrid(x, y)[0]`` (as the
# parts of np.split: normalize/comprehensions.py), whose row has the part's position as the
# keyword ``part``.  Part k is input k (raveled) broadcast along one axis of the grid: axis
# k, except that "xy" indexing swaps the first two; its adjoint sums the others away.

def _grid_axis(k, count, indexing):
    if indexing == "xy" and count > 1 and k < 2:
        return 1 - k
    return k


def _meshgrid_back(c):
    inputs = c.bound["xi"]
    inputs = list(inputs.elts) if isinstance(inputs, ast.Tuple) else [inputs]
    count, part = len(inputs), c.static("part")
    indexing = c.static("indexing", "xy")
    if indexing not in ("xy", "ij"):
        c.refuse(f"np.meshgrid with indexing={indexing!r}", 'Pass indexing="xy" or "ij".')
    part %= count
    axis = _grid_axis(part, count, indexing)
    others = tuple(i for i in range(len(c.out_shape)) if i != axis)
    summed = c.np.sum(c.g, axis=_constant(others)) if others else c.g
    pieces = [None] * count
    shape = tuple(c.kind_of(inputs[part]).shape)
    pieces[part] = summed if len(shape) == 1 else c.np.reshape(summed, _constant(shape))
    return pieces if count > 1 else pieces[0]


defvjp(Function(np.meshgrid),
       lambda *xi, copy=True, sparse=False, indexing="xy", part: None, xi=_meshgrid_back,
       sample=Sample(Array((3,)), Array((2,)), Array((4,)), part=1))


# --- np.block ----------------------------------------------------------------------------
# np.block of lists nested ``depth`` deep joins the innermost lists along the last axis,
# the next ones along the second-to-last...; every block is first given ``ndim`` axes
# (leading 1s), ``ndim`` the larger of ``depth`` and the blocks' own.  A block's adjoint
# is its slice of ``g`` along the last ``depth`` axes, reshaped to its own shape.

def _depth(node):
    return 1 + _depth(node.elts[0]) if is_display(node) and node.elts else 0


def _leaves(node):
    return [leaf for element in node.elts for leaf in _leaves(element)] \
        if is_display(node) else [node]


def _block_back(c):
    arrays = c.bound["arrays"]
    if not is_display(arrays):
        c.refuse_sequence(arrays)
    depth = _depth(arrays)
    shapes = {id(leaf): tuple(c.kind_of(leaf).shape) for leaf in _leaves(arrays)}
    ndim = max([depth] + [len(s) for s in shapes.values()])

    def extent(node, level):
        """The shape of np.block of ``node``, a list at ``level`` or a block."""
        if not is_display(node):
            shape = shapes[id(node)]
            return (1,) * (ndim - len(shape)) + shape
        axis = ndim - depth + level
        parts = [extent(e, level + 1) for e in node.elts]
        return parts[0][:axis] + (sum(p[axis] for p in parts),) + parts[0][axis + 1:]

    def cut(node, level, start):
        """The adjoints of the blocks of ``node``, whose corner is at ``start``."""
        if not is_display(node):
            shape, size = shapes[id(node)], extent(node, level)
            index = tuple(ast.Slice(_constant(a).node, _constant(a + n).node)
                          if n != full else ast.Slice()
                          for a, n, full in zip(start, size, c.out_shape))
            piece = Expr(ast.Subscript(copy.deepcopy(c.g.node), ast.Tuple(list(index),
                                                                          ast.Load()),
                                       ast.Load()))
            return piece if size == shape else c.np.reshape(piece, _constant(shape))
        axis = ndim - depth + level
        pieces, offset = [], list(start)
        for element in node.elts:
            pieces.append(cut(element, level + 1, tuple(offset)))
            offset[axis] += extent(element, level + 1)[axis]
        return pieces

    return cut(arrays, 0, (0,) * ndim)


defvjp(Function(np.block), lambda arrays: None, arrays=_block_back,
       sample=Sample([[Array((2, 2)), Array((2, 3))], [Array((1, 5))]]))
