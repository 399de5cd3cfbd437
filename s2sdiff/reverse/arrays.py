"""The reverse sweep of NumPy code (``Backprop``, driven by ``reverse.py``).

The gradient of an array program is generated per argument kind (``dispatch.py``), once
``kinds.infer`` has recorded the shape and dtype of every SSA value, so the code knows
them:

* elementwise primitives reuse the scalar rows of ``rules.py`` with the ``np``
  namespace; the product ``partial * d<target>`` is summed back to the argument's shape
  (``np.sum(..., axis=0)``) only where the shapes really differ, so code for arrays of
  equal shapes is exactly the scalar listing;
* adjoints may stay *lazy*: an adjoint that broadcasts to its value's shape (the seed
  ``1.0`` spread over ``np.sum(x)``) is not materialised until a non-elementwise rule or
  a returned gradient needs the full shape; every returned gradient has exactly its
  parameter's shape (``np.full(x.shape, dx)`` when it was lazy);
* the first contribution to an adjoint is assigned; later ones accumulate in place
  (``dx += c``) when the adjoint holds a fresh array of its full shape, and rebind
  (``dx = dx + c``) when it is a view or an alias of another array, so that no array the
  code still reads (or the caller passed in) is ever modified;
* ``ARRAY_RULES`` rows (linear algebra, reductions, shape changes) give one
  vector-Jacobian product per argument; indexing is scattered back with
  ``dx[i] += g`` for basic indexes and masks and ``np.add.at(dx, i, g)`` for anything
  that may repeat a position (lists, integer arrays, names from outside the function);
  an assignment ``a[i] = e`` through such an index is refused unless its positions are
  literal and distinct (NumPy does not say which of repeated writes wins);
* integer and boolean arrays are constants: no adjoint, and a zero gradient
  (``np.zeros(p.shape)``) for such a parameter; every other gradient has its parameter's
  dtype (float32 stays float32, a number gets a float), converted at the end only where
  ``dtypes.static_dtypes`` cannot show it already has it;
* scalar partials of Python numbers that may raise where the forward does not
  (``s ** 0.5`` at 0) give the specialised code its IEEE retry (``partials_may_raise``);
* forward values that neither the reverse sweep nor the result reads are not computed
  (``optimize.prune_forward``).
"""

import ast
import copy

import numpy as np

from .. import rules
from ..array_context import (RuleContext, array_namespace, attribute_node, axis_node, broadcast,
                            distinct_index, partial_arguments, partials_may_raise,
                            refuse_varied_options, static_index)
from ..build import Expr, as_node, unparse
from ..dtypes import UNKNOWN, dtype_of, static_dtypes
from ..errors import UnsupportedError
from ..ir import atom_key, is_display, leaves
from ..kinds import integral_names, node_kind
from ..listing import Comment, Line, accumulate, assign
from ..optimize import fold, fresh_array


class _Substitute(ast.NodeTransformer):
    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        if node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        return node


class Backprop:
    """The reverse sweep of an array program; ``reverse`` calls ``step`` per active step."""

    def __init__(self, program, activity, listing, adjoint, modules, explain, plain=False):
        self.plain = plain    # inside branches and loops: no literal seeds, no += in place
        self.program, self.activity, self.listing = program, activity, listing
        self.adjoint, self.modules, self.explain = adjoint, modules, explain
        self.kinds = program.kinds
        self.integral = integral_names(self.kinds)    # `m * 1.0` keeps its 1.0: a float
        self.written = set()
        self.ashape = {}      # adjoint name -> its shape (broadcasts to the value's)
        self.owned = {}       # adjoint name -> holds a fresh array of its full shape
        self.literals = {}    # adjoint name -> literal value (the seed 1.0)
        self.np = self.modules.namespace(np)
        self.aliases = {}     # adjoint name -> arrays it may be a view of (not owned)

    # writing contributions
    def shape(self, name):
        return self.kinds[name].shape

    def write(self, atom, value, tag=None, note=None, shape=None):
        value = fold(_Substitute(self.literals).visit(copy.deepcopy(as_node(value))), self.integral)
        if shape is None:
            shape = self.expression_shape(value)
        target = self.adjoint(atom.id)
        kind = self.kinds.get(atom.id)
        if target not in self.written:
            self.written.add(target)
            self.ashape[target], self.owned[target] = shape, fresh_array(value)
            if not self.owned[target]:          # may share memory with these arrays
                self.aliases[target] = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
                if self.plain:                  # and they with it: no writing in place
                    for name in self.aliases[target]:
                        self.owned[name] = False
            if isinstance(value, ast.Constant) and not self.plain:
                self.literals[target] = value
            line = assign(target, value)
        elif kind is None or not kind.array:
            self.literals.pop(target, None)        # it holds more than the literal now
            line = accumulate(target, value)       # numbers are immutable: += rebinds
        elif self.owned.get(target) and not self.plain \
                and broadcast(self.ashape[target], shape) == self.ashape[target]:
            line = accumulate(target, value)       # in place, into an array we allocated
        else:
            self.literals.pop(target, None)
            line = assign(target, ast.BinOp(ast.Name(target, ast.Load()), ast.Add(), value))
            self.ashape[target] = broadcast(self.ashape.get(target, kind.shape), shape)
            self.owned[target] = True
        self.listing.body.append(Line(line, tag, note))

    def expression_shape(self, node):
        shapes = []
        todo = [node]
        while todo:
            sub = todo.pop()
            key = atom_key(sub)
            if key in self.ashape:
                shapes.append(self.ashape[key])
            elif key in self.kinds and self.kinds[key].shape is not None:
                shapes.append(self.kinds[key].shape)     # X.T: not X's shape as well
            else:
                todo.extend(ast.iter_child_nodes(sub))
        return broadcast(*shapes) if shapes else ()

    def materialize(self, atom_name, target_shape, writable=False):
        """Make the adjoint of ``atom_name`` hold its full shape (a view unless ``writable``)."""
        name = self.adjoint(atom_name)
        self.literals.pop(name, None)
        if self.ashape[name] != tuple(target_shape):
            view = self.np.broadcast_to(Expr.name(name), Expr(attribute_node(atom_name, "shape")))
            exact = self.kinds[atom_name].exact
            dtype = {} if exact == np.float64 or exact.kind != "f" else \
                {"dtype": Expr(attribute_node(atom_name, "dtype"))}     # float32 stays float32
            value = self.np.full(Expr(attribute_node(atom_name, "shape")), Expr.name(name), **dtype) \
                if writable else view
            self.listing.body.append(Line(assign(name, value.node)))
            self.ashape[name], self.owned[name] = tuple(target_shape), writable
        elif writable and not self.owned[name]:
            self.listing.body.append(Line(assign(name, ast.Call(
                ast.Attribute(ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
            self.owned[name] = True

    # one step
    def step(self, step, note):
        d_target = self.adjoint(step.target)
        if d_target not in self.written:
            return
        self.ashape.setdefault(d_target, self.shape(step.target))   # a vjp cotangent
        self.owned.setdefault(d_target, False)
        if isinstance(step.rule, rules.ArrayRule):
            return self._array_rule(step, d_target)
        m = self._namespace_for(step)
        partials = self.modules.partials(step, m, partial_arguments(self.modules, self.kinds, step),
                                         partials_may_raise(self.kinds, step, m))
        out_shape = self.shape(step.target)
        for atom, partial in zip(step.args, partials):
            if not self.activity.is_active(atom):
                continue
            value = fold(_Substitute(self.literals).visit(
                copy.deepcopy((partial * Expr.name(d_target)).node)), self.integral)
            shape = self.expression_shape(value)
            if self.shape(atom.id) != out_shape and shape != out_shape:
                # broadcasting summed over a lazy adjoint: give it its full shape first
                self.materialize(step.target, out_shape)
                value = fold(copy.deepcopy((partial * Expr.name(d_target)).node), self.integral)
                shape = self.expression_shape(value)
            value, shape = self.sum_to(value, shape, self.shape(atom.id))
            self.write(atom, value, step.number, note(step, atom, partial), shape)

    def _namespace_for(self, step):
        return array_namespace(self.modules, self.kinds, step)

    def sum_to(self, node, shape, to):
        """``node`` (of ``shape``) summed over the axes broadcasting added to ``to``; returns
        ``(node, shape)``, the shape possibly still smaller than ``to`` (lazy)."""
        shape, to = tuple(shape), tuple(to)
        lead = max(0, len(shape) - len(to))     # leading axes ``to`` lacks: summed away
        pad = max(0, len(to) - len(shape))      # leading axes the value lacks: broadcast
        axes = list(range(lead)) + [i for i in range(lead, len(shape))
                                    if to[i - lead + pad] == 1 and shape[i] != 1]
        rest = shape[lead:]
        if not axes:
            return node, rest               # its true shape, which broadcasts to ``to``
        if not to:
            return self.np.sum(Expr(node)).node, ()
        keep = [a for a in axes if a >= lead]
        result = tuple(1 if lead + i in keep else n for i, n in enumerate(rest))
        axis = axis_node(axes)
        call = Expr(ast.Call(ast.Attribute(ast.Name(self.np.alias, ast.Load()), "sum", ast.Load()),
                             [node], [ast.keyword("axis", axis)] +
                             ([ast.keyword("keepdims", ast.Constant(True))] if keep else [])))
        self.np.used = True
        if keep and lead:
            call = Expr(ast.Call(ast.Attribute(call.node, "reshape", ast.Load()),
                                 [ast.Constant(result)], []))
        return call.node, result

    def _array_rule(self, step, d_target):
        rule = step.rule
        context = RuleContext(self, step, d_target)
        for operand in rule.operands:
            bound = context.bound.get(operand)
            if bound is None or not self._reaches(bound):
                continue
            context.result_shape = None
            result = rule.vjps[operand](context)
            if isinstance(result, list):         # one contribution per element of a sequence
                for element, value in zip(bound.elts, result):
                    if self._reaches(element):
                        self._unstack(element, as_node(value), context.kind_of(element).shape,
                                      step)
                continue
            if result is None:                   # scattered (indexing) by the rule itself
                continue
            shape = context.shape(operand) if context.result_shape is None \
                else context.result_shape
            self._unstack(bound, as_node(result), shape, step)
        refuse_varied_options(self.program, step, self.activity.is_active)

    def _reaches(self, node):
        return any(self.activity.is_active(a) for _, a in leaves(node))

    def _unstack(self, node, value, shape, step):
        """Write ``value`` (of ``shape``, which broadcasts to the operand's) as the adjoint
        of the operand ``node``: an atom gets it whole; a display ``[a, [b, c]]``, which
        NumPy reads as ``np.array([a, [b, c]])``, gives each element its entry along the
        first axis (``value[0]``, ``value[1]``), or all of ``value`` where it does not
        vary along that axis (a lazy adjoint)."""
        if not is_display(node):
            if self.activity.is_active(node):
                self.write(node, value, step.number, None, tuple(shape))
            return
        full = node_kind(self.kinds, node).shape
        shape = tuple(shape)
        spans = len(shape) == len(full) and shape[0] != 1
        active = [e for e in node.elts if self._reaches(e)]
        if spans and len(active) > 1 and not _is_entry(value):
            name = self.program.namer.fresh(f"{self.adjoint(step.target)}_array")
            self.listing.body.append(Line(assign(name, value), step.number))
            self.ashape[name], self.owned[name] = shape, fresh_array(value)
            value = ast.Name(name, ast.Load())
        for i, element in enumerate(node.elts):
            if not self._reaches(element):
                continue
            if len(shape) < len(full):       # the same along the first axis
                self._unstack(element, copy.deepcopy(value), shape, step)
            else:
                self._unstack(element, _entry(value, i if spans else 0), shape[1:], step)

    def set_item(self, step, active):
        """``a[idx] = e``, in reverse: ``de += da[idx]`` (summed to e's shape),
        ``da[idx] = 0.0`` (the overwritten elements no longer reach the output), then
        ``a[idx] = a_saved``, so the steps before it read the values they read forward."""
        array, element = step.args[0], step.args[1]
        index = step.store.targets[0].slice
        d_array = self.adjoint(array.id)
        if active and not distinct_index(index, self.kinds, self.shape(array.id)):
            raise self.program.parsed.error(
                step.store, f"s2sdiff cannot differentiate {self.program.name}: the assignment "
                f"`{unparse(step.store.targets[0])} = ...` writes through an index that may "
                f"repeat a position (NumPy does not say which write wins)",
                construct="assignment through an "
                "integer-array index", cls=UnsupportedError,
                hint="Assign through slices, ints or boolean masks, or a literal list of "
                     "distinct positions; or build the array with np.where.")
        self.listing.body.append(Comment(f"backprop {unparse(step.store)}"))
        if active and d_array in self.written:
            self.materialize(array.id, self.shape(array.id), writable=True)
            entry = ast.Subscript(ast.Name(d_array, ast.Load()), copy.deepcopy(index), ast.Load())
            if self.activity.is_active(element):
                shape = np.empty(self.shape(array.id))[static_index(index, self.kinds)].shape
                if shape != ():          # a view of d_array, which is zeroed next: copy it
                    entry = ast.Call(ast.Attribute(entry, "copy", ast.Load()), [], [])
                value, shape = self.sum_to(entry, shape, self.shape(element.id))
                if self.shape(element.id) == () and shape != ():
                    value, shape = self.np.sum(Expr(value)).node, ()
                self.write(element, value, step.number, None, shape)
            self.listing.body.append(Line(ast.Assign(
                [ast.Subscript(ast.Name(d_array, ast.Load()), copy.deepcopy(index), ast.Store())],
                ast.Constant(0.0), lineno=0), step.number))
        for name, sources in self.aliases.items():      # restoring a must not change them
            if array.id in sources and not self.owned.get(name):
                self.listing.body.append(Line(assign(name, ast.Call(
                    ast.Attribute(ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
                self.owned[name] = True
        self.listing.body.append(Line(ast.Assign(
            [ast.Subscript(ast.Name(array.id, ast.Load()), copy.deepcopy(index), ast.Store())],
            ast.Name(step.saved, ast.Load()), lineno=0), step.number))

    def fresh_zero(self, name, primal):
        """``name = np.zeros(primal.shape)`` was written: a full-shaped array of our own."""
        self.ashape[name], self.owned[name] = self.shape(primal), True
        self.literals.pop(name, None)

    def zero(self, param):
        kind = self.kinds[param]
        value = self.np.zeros(Expr(attribute_node(param, "shape"))).node if kind.array else ast.Constant(0.0)
        self.listing.body.append(Comment(f"{param} does not reach the output"))
        self.written.add(self.adjoint(param))
        self.listing.body.append(Line(assign(self.adjoint(param), value)))

    def finish(self, params):
        """Every returned gradient with exactly its parameter's shape, and its dtype: a
        float array's own (float32 stays float32), a float for a number.  A conversion
        is written only where ``static_dtypes`` cannot show that the gradient has it already."""
        for param in params:
            kind = self.kinds[param]
            if kind.array and self.adjoint(param) in self.ashape:
                self.materialize(param, kind.shape, writable=True) \
                    if self.ashape[self.adjoint(param)] != kind.shape else None
        dtypes = static_dtypes(self.listing.body, self.kinds)
        for param in params:
            kind, name = self.kinds[param], self.adjoint(param)
            if kind.array and kind.dtype != "f":
                continue                          # integer arrays: zeros, as documented
            want = kind.exact if kind.array or isinstance(kind.exact, np.dtype) and \
                kind.exact.kind == "f" else np.dtype(np.float64)
            have = dtypes.get(name, UNKNOWN)
            if have is not UNKNOWN and dtype_of(have) == want and (
                    kind.array or not isinstance(have, np.ndarray)):   # never a 0-d array
                continue
            if kind.array:
                value = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "astype", ast.Load()),
                                 [attribute_node(param, "dtype")], [])
            else:
                value = self.np.__getattr__(want.type.__name__)(Expr.name(name)).node
            self.listing.body.append(Line(assign(name, value)))


def _constant_index(value):
    """``[0, 1]`` for ``d[0, 1]`` (a name indexed by integer literals), else None."""
    if not (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)):
        return None
    index = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
    if all(isinstance(e, ast.Constant) and type(e.value) is int for e in index):
        return [e.value for e in index]
    return None


def _is_entry(value):
    """A name or an entry of one (``d``, ``d[0, 1]``): indexed again at no cost."""
    return isinstance(value, ast.Name) or _constant_index(value) is not None


def _entry(value, i):
    """``value[i]``; ``d[0, i]`` rather than ``d[0][i]`` for an entry of an entry."""
    index = _constant_index(value)
    if index is not None:
        return ast.Subscript(ast.Name(value.value.id, ast.Load()), ast.Tuple(
            [ast.Constant(k) for k in index + [i]], ast.Load()), ast.Load())
    return ast.Subscript(copy.deepcopy(value), ast.Constant(i), ast.Load())
