"""Tree parameters (``trees``) in ``vjp``, ``jvp``, ``jacfwd``/``jacrev``/``jacobian``,
``hessian`` and ``hvp``: the call at the leaves, and the results back in the trees' shapes.

``TreeCall.of(f, values, wrt)`` is ``None`` unless ``f`` reads one of its parameters as a
tree (``trees.candidates``) and is given a tree there; then it knows the code generated
for ``f`` with those parameters replaced by their leaves (``trees.flatten``, the same
flat function ``grad`` calls), the leaves' values, and how to put per-leaf results back:

* ``vjp``: the pullback returns, per parameter, a tree of the leaves' gradients;
* ``jvp``: the tangents are trees of the primals' structure; their differentiated leaves
  are read, the rest (ints, bools) ignored;
* Jacobians: per output, per differentiated parameter a tree whose leaves are the blocks
  ``out.shape + leaf.shape``; Hessians a tree (over the first parameter's leaves) of trees
  (over the second's), as JAX nests them; ``hvp`` a tree per parameter.

The leaf rules are ``trees``': a constant leaf (int, bool, int array) gets ``None``, a
``None`` or string leaf ``None``, an empty container an empty container.  Everything runs
generated code; nothing here differentiates.
"""

import copy
import dataclasses
import types
import weakref

import numpy as np

from . import array_jacobians, methods, pipeline, tree_helpers, trees
from .errors import ArgumentError, S2SDiffError
from .parse import parse

_candidates = weakref.WeakKeyDictionary()      # function -> {wrt: parameters read as trees}
_nodes = weakref.WeakKeyDictionary()           # function -> its FunctionDef (no reference
                                               # back to it: the function stays collectable)


def _tree_parameters(func, wrt_names):
    if not isinstance(func, types.FunctionType):
        return frozenset()
    known = _candidates.setdefault(func, {})
    if wrt_names not in known:
        try:
            parsed = parse(func)
            _nodes[func] = parsed.node
            known[wrt_names] = frozenset(tree_helpers.tree_parameters(parsed, wrt_names))
        except S2SDiffError:
            known[wrt_names] = frozenset()     # generation reports it where it belongs
    return known[wrt_names]


def _child(value, key):
    if isinstance(value, dict) or (isinstance(value, (list, tuple)) and isinstance(key, int)):
        return value[key]
    return getattr(value, key)


def _at(value, path):
    for key in path:
        value = _child(value, key)
    return value


def _build(node, leaf):
    """The tree of ``node``'s shape whose leaf at ``path`` is ``leaf(path, node)``."""
    def walk(node, path):
        if trees._is_leaf(node):
            return leaf(path, node)
        kind, keys, _ = node
        parts = [(key, walk(child, path + (key,))) for key, child in trees._children(node)]
        if kind is dict:
            return {key: part for key, part in parts}
        if kind is list or kind is tuple:
            return kind(part for _, part in parts)
        if hasattr(kind, "_fields") and issubclass(kind, tuple):
            return kind(*(part for _, part in parts))
        if dataclasses.is_dataclass(kind):
            return kind(**dict(parts))
        return kind(part for _, part in parts)          # a list or tuple subclass
    return walk(node, ())


def reads_trees(f, wrt_names):
    """Whether ``f`` reads one of its parameters as a tree (``trees.candidates``)."""
    func = getattr(f, "__s2sdiff_origin__", f)
    if isinstance(func, types.MethodType) and not isinstance(func.__self__, type) \
            and isinstance(func.__func__, types.FunctionType):
        func = methods.for_bound_method(func)          # net.loss: specialised, as grad's
    return bool(_tree_parameters(func, tuple(wrt_names)))


class TreeCall:
    """``f`` called at the leaves of its tree arguments (module docstring)."""

    def __init__(self, func, params, values, wrt_names, layout):
        self.func, self.params, self.wrt_names, self.layout = func, params, wrt_names, layout
        node = _nodes.get(func) or parse(func).node
        self.locals = trees.local_names(node, layout)
        structures = dict(layout)
        self.flat_params, self.flat_values = [], []
        for name, value in zip(params, values):
            if name in structures:
                for path, local, leaf in self.locals[name]:
                    if leaf[0] != "value":
                        self.flat_params.append(local)
                        self.flat_values.append(_at(value, path))
            else:
                self.flat_params.append(name)
                self.flat_values.append(value)
        self.flat_wrt = trees.flat_wrt(layout, self.locals, wrt_names)
        self.positions = [self.flat_params.index(n) for n in self.flat_wrt]

    @classmethod
    def of(cls, f, params, values, wrt_names):
        """A ``TreeCall`` if ``f`` reads a parameter of ``wrt_names`` as a tree and
        ``values`` (one per parameter of ``params``, in order) has a tree there, else
        ``None``."""
        func, skip = getattr(f, "__s2sdiff_origin__", f), 0
        if isinstance(func, types.MethodType) and not isinstance(func.__self__, type) \
                and isinstance(func.__func__, types.FunctionType):     # net.loss: its
            instance, func = func.__self__, methods.for_bound_method(func)   # instance is
            params, values, skip = [func.__code__.co_varnames[0], *params], \
                [instance, *values], 1                                     # data, first
        found = _tree_parameters(func, tuple(wrt_names))
        if not found:
            return None
        layout = tuple((name, trees.structure(value)) for name, value in zip(params, values)
                       if name in found and trees.structure(value) is not None)
        if not layout:
            return None
        call = cls(func, params, list(values), wrt_names, layout)
        call.skip = skip
        return call

    def generate(self, kind):
        return pipeline.generate(self.func, kind, self.flat_wrt, False, layout=self.layout)

    def per_parameter(self, flat):
        """``flat`` (one result per flat parameter of ``flat_wrt``) as one result per name
        of ``wrt_names``: a tree for a tree parameter."""
        by_local = dict(zip(self.flat_wrt, flat))
        structures = dict(self.layout)
        results = []
        for name in self.wrt_names:
            if name not in structures:
                results.append(by_local[name])
                continue
            paths = {path: local for path, local, _ in self.locals[name]}
            results.append(_build(structures[name],
                                  lambda path, leaf: by_local.get(paths[path])
                                  if leaf == (trees.DIFFERENTIATED,) else None))
        return results

    def flat_tangents(self, tangents):
        """The tangent of each flat parameter of ``flat_wrt``, read from ``tangents`` (one
        per parameter; a tree for a tree parameter, of its structure)."""
        structures = dict(self.layout)
        by_local = {}
        for name, tangent in zip(self.params[self.skip:], tangents):    # not a method's self
            if name not in structures:
                by_local[name] = tangent
                continue
            for path, local, leaf in self.locals[name]:
                if leaf != (trees.DIFFERENTIATED,):
                    continue
                try:
                    by_local[local] = _at(tangent, path)
                except (KeyError, IndexError, AttributeError, TypeError):
                    raise ArgumentError(
                        f"the tangent of {name} must have the structure of {name}; it has "
                        f"no leaf at {trees._read(name, path, structures[name])[len(name):]}",
                        construct="tangents") from None
        return [by_local[n] for n in self.flat_wrt]

    # --- the transforms ------------------------------------------------------------

    def vjp(self, value):
        """``(value, pullback)`` with ``pullback(cotangent)`` returning one gradient per
        parameter (``wrt_names`` is every parameter), trees for tree parameters."""
        arrays = any(isinstance(v, np.ndarray) and v.ndim > 0 for v in self.flat_values)
        generated = self.generate("vjp_arrays" if arrays else "vjp")
        outputs = generated.__s2sdiff_outputs__
        flat_values = [snapshot(v) for v in self.flat_values]   # f's point, kept

        def pullback(cotangent):
            cotangents = tuple(cotangent) if outputs is not None else (cotangent,)
            if outputs is not None and len(cotangents) != outputs:
                raise ArgumentError(f"pullback: the cotangent has {len(cotangents)} entries, "
                                    f"but {self.func.__name__} returns {outputs} values",
                                    construct="cotangent")
            flat = generated(*flat_values, *cotangents)
            return tuple(self.per_parameter(flat))

        return value, pullback

    def jvp(self, tangents):
        generated = self.generate("jvp")
        return generated(*self.flat_values, *self.flat_tangents(tangents))

    def _arranged(self, blocks, tuple_output, single):
        """Per output, per parameter of ``wrt_names`` (alone when ``single``)."""
        outputs = blocks if tuple_output else [blocks]
        per_output = []
        for row in outputs:
            per_name = self.per_parameter([row[k] for k in range(len(self.flat_wrt))])
            per_output.append(per_name[0] if single else tuple(per_name))
        return tuple(per_output) if tuple_output else per_output[0]

    def jacfwd(self, single):
        jvp = self.generate("jvp")
        tuple_output = jvp.__s2sdiff_outputs__ is not None
        blocks = array_jacobians.by_columns(jvp, self.flat_values, self.positions,
                                            tuple_output, False)
        return self._arranged(blocks, tuple_output, single)

    def jacrev(self, outputs, single):
        """``outputs``: ``f``'s value at these arguments."""
        pullback = self.generate("vjp_arrays")
        tuple_output = pullback.__s2sdiff_outputs__ is not None
        blocks = array_jacobians.by_rows(pullback, self.flat_values, self.positions, outputs,
                                         tuple_output, False)
        return self._arranged(blocks, tuple_output, single)

    def jacobian(self, outputs, single):
        """By columns when the differentiated leaves have no more entries than the outputs,
        else by rows (``outputs()``: ``f``'s value), as ``jacobian(mode="auto")`` picks."""
        value = outputs()
        entries = sum(np.size(o) for o in (value if isinstance(value, tuple) else [value]))
        inputs = sum(np.size(self.flat_values[p]) for p in self.positions)
        return self.jacfwd(single) if inputs <= entries else self.jacrev(value, single)

    def hessian(self, name, single):
        """Block ``[p][q]``: a tree over ``p``'s leaves of trees over ``q``'s leaves."""
        n = len(self.flat_wrt)
        blocks = array_jacobians.hessian_by_columns(self.generate("jvp"), self.flat_values,
                                                    self.flat_wrt, self.positions, False, name)
        inner = [self.per_parameter([blocks[i][j] for j in range(n)]) for i in range(n)]
        table = [self.per_parameter([inner[i][q] for i in range(n)])
                 for q in range(len(self.wrt_names))]          # table[q][p]
        if single:
            return table[0][0]
        return tuple(tuple(table[q][p] for q in range(len(self.wrt_names)))
                     for p in range(len(self.wrt_names)))

    def hvp(self, tangents, name, single):
        product = array_jacobians.hessian_products(self.generate("jvp"), self.flat_values,
                                                   self.flat_wrt, self.positions, name)
        results = self.per_parameter(product(self.flat_tangents(tangents)))
        return results[0] if single else tuple(results)


def snapshot(value):
    """A NumPy array or a list (of numbers or arrays) copied, anything else as it is: what
    a pullback keeps of the point it was made at (the caller may write into it later)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return copy.deepcopy(value)
    return value
