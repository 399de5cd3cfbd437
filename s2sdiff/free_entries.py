"""Entries of free containers that NumPy code reads with constant keys.

``CFG = {"scale": 2.0}; def f(x): return CFG["scale"] * x ** 3``: the dictionary ``CFG``
is no data itself (``kinds.free_data`` leaves it out), but the code generated for
``f`` knows the kind of ``CFG["scale"]`` (a float, so the output is a number).
``free_entries`` gives the spelling of each such read (``CFG['scale']``,
``LAYERS[0].W``, ``cfg.weights[1]``) whose value is data now; the dispatcher adds its
kind to its key (``dispatch._free_key``), so that after ``CFG["scale"] = np.ones(2)``
the next call generates code for the new kind -- and raises what a fresh ``grad`` raises
(a ``NotScalarError``) -- instead of running code made for a float.

The guarantee: every read ``G[k1].a[k2]...`` of a free name ``G`` (a global or closure
variable, not rebound in the function) through constant keys and attributes whose value
is an array, a number, or a list or tuple of them is keyed on each call.
"""

import ast

from .kinds import _free_kind, read_nodes


def free_entries(program):
    """The spellings of the constant-key entries of free containers ``program`` reads
    whose values are data, in the order they are read."""
    local, nodes = read_nodes(program)
    found = {}
    for node in (sub for root in nodes for sub in ast.walk(root)):
        if not isinstance(node, ast.Subscript) or not isinstance(node.ctx, ast.Load):
            continue
        chain = _chain(node)
        if chain is None or chain[0] in local:
            continue
        spelled = ast.unparse(node)
        if spelled in found:
            continue
        try:
            value = program.parsed.lookup(chain[0], None)
            for step in chain[1:]:
                value = getattr(value, step) if isinstance(step, str) else value[step[0]]
        except Exception:        # a missing key, a property that raises: not data
            continue
        if _free_kind(value) is not None:
            found[spelled] = True
    return list(found)


def _chain(node):
    """``["CFG", ("scale",), "w"]`` for ``CFG["scale"].w`` (keys in 1-tuples, attributes as
    strings); None unless every key is a constant int or str and the root a name."""
    steps = []
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute):
            steps.append(node.attr)
        elif isinstance(node.slice, ast.Constant) and type(node.slice.value) in (int, str):
            steps.append((node.slice.value,))
        else:
            return None
        node = node.value
    return [node.id] + steps[::-1] if isinstance(node, ast.Name) else None
