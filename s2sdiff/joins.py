"""The adjoints of NumPy's joins (``np.stack``, ``np.concatenate``, ``np.vstack``...,
``np.array``) split back into their pieces, for ``RuleContext`` (``array_context.py``).

A display written in the call (``np.stack([a, b])``) gives one piece per entry, each
given its own shape; a list the function built (``hs.append(h)`` in a loop, then
``np.stack(hs)``) gets its adjoint as a list, ``split_join(dH, hs, 'stack', 0)``
(``runtime.split_join``), which ``Adjoints.write`` adds entry by entry.
"""

import ast
import copy

import numpy as np

from . import runtime
from .build import Expr
from .ir import is_display


def held_list(kinds, node):
    """Whether ``node`` names a list or tuple the function built (kind ``"S"``, no shape:
    ``hs = []`` filled by appends), not an array NumPy would make of data."""
    return isinstance(node, ast.Name) and getattr(kinds.get(node.id), "dtype", None) == "S"


class JoinBacks:
    """The joins' vjps; a mixin of ``array_context.RuleContext`` (its ``bound``, ``g``,
    ``static``, ``kind_of``, ``refuse_sequence``)."""

    def split_back(self, stacked, name="arrays", promote=None, axis=None, form=None):
        """The adjoint of a join of the display ``name``, one piece per entry: ``g[i]``
        (``stacked``) or a slice along ``axis`` (default the ``axis`` argument; ``None``:
        of the flattened entries); an entry that ``promote(shape)`` gives more axes before
        the join gets its own shape back.  A list the function built (``hs.append(h)``)
        gets a list of pieces: ``runtime.split_join(g, hs, form, axis)``."""
        sequence = self.bound[name]
        if not is_display(sequence):
            return self.split_list_back(name, form or ("stack" if stacked else "concatenate"))
        axis = self.static("axis", 0) if axis is None else axis
        g = self.g
        pieces, offset = [], 0
        flat = axis is None and not stacked         # np.concatenate(..., axis=None)
        axis = 0 if flat else axis % len(self.out_shape)
        for element in sequence.elts:
            shape = self.kind_of(element).shape
            joined = promote(shape) if promote else shape
            if flat:
                joined = (int(np.prod(shape)),)     # each entry flattened, then joined
            if stacked:
                part = ast.Constant(len(pieces))
            else:
                size = joined[axis]
                part = ast.Slice(ast.Constant(offset), ast.Constant(offset + size))
                offset += size
            index = [ast.Slice() for _ in range(axis)] + [part]
            index = index[0] if len(index) == 1 else ast.Tuple(index, ast.Load())
            piece = Expr(ast.Subscript(copy.deepcopy(g.node), index, ast.Load()))
            pieces.append(piece if tuple(joined) == tuple(shape) else
                          self.np.reshape(piece, Expr(ast.Constant(tuple(shape)))))
        return pieces

    def list_or_g(self):
        """The adjoint of ``np.array(a)``: ``g``, or for a list the function built (kind
        "S") the pieces of ``g`` along its first axis, one per entry."""
        if held_list(self.backprop.kinds, self.bound["a"]):
            return self.split_list_back("a", "array")
        return self.g

    def split_list_back(self, name, form):
        """``split_join(g, parts, form, axis)``: the adjoint of the list ``parts`` (a name of
        kind "S", built in the function) that ``np.<form>`` joined, a list of pieces, which
        ``Adjoints.write`` adds entry by entry (its ``result_shape`` is the list's: none)."""
        sequence = self.bound[name]
        if not held_list(self.backprop.kinds, sequence):
            self.refuse_sequence(sequence)
        axis = self.bound.get("axis", ast.Constant(0))
        self.result_shape = ()
        call = ast.Call(ast.Name(self.backprop.modules.helper(runtime.split_join), ast.Load()),
                        [self.g.node, copy.deepcopy(sequence), ast.Constant(form),
                         copy.deepcopy(axis)], [])
        return Expr(call)
