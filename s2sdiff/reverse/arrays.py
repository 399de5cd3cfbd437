"""The reverse sweep of NumPy code (``Backprop``, driven by ``reverse``; its adjoints are
kept by ``adjoints.Adjoints``).

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
  code still reads (or the caller passed in) is ever modified (both in ``adjoints.py``);
* ``rules.ArrayRule`` rows (linear algebra, reductions, shape changes) give one
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
from ..array_context import (RuleContext, array_namespace, attribute_node, axis_node,
                             distinct_index, partial_arguments, partials_may_raise,
                             refuse_varied_options, assigned_shape)
from ..build import Expr, as_node, unparse
from ..dtypes import UNKNOWN, dtype_of, static_dtypes
from ..errors import InternalError, UnsupportedError
from ..ir import is_display, leaves
from ..joins import held_list
from ..kinds import node_kind
from ..listing import Comment, Line, assign
from ..optimize import fold, fresh_array
from ..runtime import to_dtype
from .adjoints import Explanation


class Backprop:
    """The reverse sweep of an array program's steps, writing through ``adjoints``."""

    def __init__(self, program, activity, adjoints, modules):
        self.program, self.activity, self.adjoints, self.modules = program, activity, adjoints, modules
        self.kinds = program.kinds
        self.np = adjoints.np

    def shape(self, name):
        return self.kinds[name].shape

    def step(self, step, out):
        """The contributions of one active step to its arguments' adjoints, appended to
        ``out``; returns those to the adjoint of the step's own target when it reads it
        (``s = s + t`` of scalar code given arrays): ``(atom, value, shape, explanation)``
        to write once the new value's adjoint is forgotten, as the caller does."""
        adjoints = self.adjoints
        d_target = adjoints.name(step.target)
        if not adjoints.holds(d_target):
            return []
        adjoints.ashape.setdefault(d_target, self.shape(step.target))   # a vjp cotangent
        adjoints.owned.setdefault(d_target, False)
        if isinstance(step.rule, rules.ArrayRule):
            if any(isinstance(a, ast.Name) and a.id == step.target for a in step.args):
                raise InternalError(f"array rule {step.rule.name} reads its own target "
                                    f"{step.target} (normalize keeps NumPy code in SSA)")
            self._array_rule(step, d_target, out)
            return []
        if step.rule.key == rules.Syntax("copy") and held_list(self.kinds, step.args[0]):
            atom = step.args[0]         # hs = collect_hs: the list's adjoint, entry by entry
            if self.activity.is_active(atom):
                adjoints.write(atom, Expr.name(d_target), out, step.number,
                               Explanation(step, atom, Expr(ast.Constant(1))))
            return []
        m = self._namespace_for(step)
        partials = self.modules.partials(step, m, partial_arguments(self.modules, self.kinds, step),
                                         partials_may_raise(self.kinds, step, m))
        out_shape = self.shape(step.target)
        own = []
        for atom, partial in zip(step.args, partials):
            if not self.activity.is_active(atom):
                continue
            value = adjoints.folded(partial * Expr.name(d_target))
            shape = adjoints.expression_shape(value)
            if self.shape(atom.id) != out_shape and shape != out_shape:
                # broadcasting summed over a lazy adjoint: give it its full shape first
                adjoints.materialize(step.target, out_shape, out)
                value = fold(copy.deepcopy((partial * Expr.name(d_target)).node), adjoints.integral)
                shape = adjoints.expression_shape(value)
            value, shape = self.sum_to(value, shape, self.shape(atom.id))
            if atom.id == step.target:         # read by the reverse of the others first
                own.append((atom, value, shape, Explanation(step, atom, partial)))
                continue
            adjoints.write(atom, value, out, step.number, Explanation(step, atom, partial), shape)
        return own

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

    def _array_rule(self, step, d_target, out):
        rule = step.rule
        context = RuleContext(self, step, d_target, out)
        for operand in rule.operands:
            bound = context.bound.get(operand)
            if bound is None or not self._reaches(bound):
                continue
            context.result_shape = None
            result = rule.vjps[operand](context)
            if isinstance(result, list):         # one contribution per element of a sequence
                self._per_element(bound, result, context, step, out)
                continue
            if result is None:                   # scattered (indexing) by the rule itself
                continue
            shape = context.shape(operand) if context.result_shape is None \
                else context.result_shape
            self._unstack(bound, as_node(result), shape, step, out)
        refuse_varied_options(self.program, step, self.activity.is_active)

    def _per_element(self, bound, result, context, step, out):
        """The contributions ``result`` of a rule, one per element of the display ``bound``:
        a nested list for nested displays (``np.block``), None for an element it does not
        reach (a part of ``np.meshgrid``)."""
        for element, value in zip(bound.elts, result):
            if value is None or not self._reaches(element):
                continue
            if isinstance(value, list):
                self._per_element(element, value, context, step, out)
            else:
                self._unstack(element, as_node(value), context.kind_of(element).shape,
                              step, out)

    def _reaches(self, node):
        return any(self.activity.is_active(a) for _, a in leaves(node))

    def _unstack(self, node, value, shape, step, out):
        """Write ``value`` (of ``shape``, which broadcasts to the operand's) as the adjoint
        of the operand ``node``: an atom gets it whole; a display ``[a, [b, c]]``, which
        NumPy reads as ``np.array([a, [b, c]])``, gives each element its entry along the
        first axis (``value[0]``, ``value[1]``), or all of ``value`` where it does not
        vary along that axis (a lazy adjoint)."""
        if not is_display(node):
            if self.activity.is_active(node):
                self.adjoints.write(node, value, out, step.number, None, tuple(shape))
            return
        full = node_kind(self.kinds, node).shape
        shape = tuple(shape)
        spans = len(shape) == len(full) and shape[0] != 1
        active = [e for e in node.elts if self._reaches(e)]
        if spans and len(active) > 1 and not _is_entry(value):
            name = self.program.namer.fresh(f"{self.adjoints.name(step.target)}_array")
            out.append(Line(assign(name, value), step.number))
            self.adjoints.ashape[name], self.adjoints.owned[name] = shape, fresh_array(value)
            value = ast.Name(name, ast.Load())
        for i, element in enumerate(node.elts):
            if not self._reaches(element):
                continue
            if len(shape) < len(full):       # the same along the first axis
                self._unstack(element, copy.deepcopy(value), shape, step, out)
            else:
                self._unstack(element, _entry(value, i if spans else 0), shape[1:], step, out)

    def _as_written(self, step):
        """The target of ``step``'s ``a[idx] = e`` as the user's line spells it (the
        normalizer named its index's parts), else as generated."""
        try:
            written = ast.parse(self.program.parsed.source_line(step.lineno).strip()).body
        except SyntaxError:
            written = []
        if len(written) == 1 and isinstance(written[0], (ast.Assign, ast.AugAssign)):
            target = written[0].targets[0] if isinstance(written[0], ast.Assign) \
                else written[0].target
            if isinstance(target, ast.Subscript):
                return ast.unparse(target)
        return self.program.spelled(step.store.targets[0])   # the rows of np.stack([...])

    def set_item(self, step, active, out):
        """``a[idx] = e``, in reverse: ``de += da[idx]`` (summed to e's shape),
        ``da[idx] = 0.0`` (the overwritten elements no longer reach the output), then
        ``a[idx] = a_saved``, so the steps before it read the values they read forward."""
        array, element = step.args[0], step.args[1]
        index = step.store.targets[0].slice
        adjoints = self.adjoints
        d_array = adjoints.name(array.id)
        if active and self.activity.is_active(element) and not distinct_index(
                index, self.kinds, self.shape(array.id)) and not _distinct_by_construction(
                index, self.program, self.kinds):     # a constant written: none wins
            if any(isinstance(n, ast.Name) and n.id not in self.kinds for n in ast.walk(index)):
                raise self.program.parsed.error(     # `for i in range(0)`: i never bound
                    step.store, f"s2sdiff cannot differentiate {self.program.name}: the "
                    f"assignment `{self._as_written(step)} = ...` is in a loop that runs no "
                    f"pass for arguments of these shapes, and generated NumPy code is shaped "
                    f"after what a run of the function binds", construct="loop of no pass",
                    cls=UnsupportedError,
                    hint="Differentiate it at arguments for which the loop runs (an image "
                         "at least as large as the kernel, a batch of two rows or more).")
            raise self.program.parsed.error(
                step.store, f"s2sdiff cannot differentiate {self.program.name}: the assignment "
                f"`{self._as_written(step)} = ...` writes through an index that may "
                f"repeat a position (NumPy does not say which write wins)",
                construct="assignment through an "
                "integer-array index", cls=UnsupportedError,
                hint="Assign through slices, ints or boolean masks, or a literal list of "
                     "distinct positions; or build the array with np.where.")
        out.append(Comment(f"backprop {unparse(step.store)}"))
        if active and adjoints.holds(d_array):
            adjoints.materialize(array.id, self.shape(array.id), out, writable=True)
            entry = ast.Subscript(ast.Name(d_array, ast.Load()), copy.deepcopy(index), ast.Load())
            if self.activity.is_active(element):
                shape = assigned_shape(index, self.kinds, self.shape(array.id),
                                       self.shape(element.id))
                if shape != ():          # a view of d_array, which is zeroed next: copy it
                    entry = ast.Call(ast.Attribute(entry, "copy", ast.Load()), [], [])
                value, shape = self.sum_to(entry, shape, self.shape(element.id))
                if self.shape(element.id) == () and shape != ():
                    value, shape = self.np.sum(Expr(value)).node, ()
                if element.id == array.id:   # `y[::-1] = y`: y's old value, read before
                    held = self.program.namer.fresh(f"{d_array}_read")   # the zeroing
                    out.append(Line(assign(held, value), step.number))
                    value = ast.Name(held, ast.Load())
                else:
                    adjoints.write(element, value, out, step.number, None, shape)
            out.append(Line(ast.Assign(
                [ast.Subscript(ast.Name(d_array, ast.Load()), copy.deepcopy(index), ast.Store())],
                ast.Constant(0.0), lineno=0), step.number))
            if self.activity.is_active(element) and element.id == array.id:
                adjoints.write(element, value, out, step.number, None, shape)
        for name, sources in adjoints.aliases.items():      # restoring a must not change them
            if array.id in sources and not adjoints.owned.get(name):
                out.append(Line(assign(name, ast.Call(
                    ast.Attribute(ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
                adjoints.owned[name] = True
        out.append(Line(ast.Assign(
            [ast.Subscript(ast.Name(array.id, ast.Load()), copy.deepcopy(index), ast.Store())],
            ast.Name(step.saved, ast.Load()), lineno=0), step.number))

    def finish(self, params, body):
        """Every returned gradient with exactly its parameter's shape, and its dtype: a
        float array's own (float32 stays float32), a float for a number.  A conversion
        is written only where ``static_dtypes`` cannot show, from the whole ``body`` so
        far, that the gradient has it already."""
        adjoints = self.adjoints
        for param in params:
            kind = self.kinds[param]
            if kind.array and adjoints.name(param) in adjoints.ashape:
                adjoints.materialize(param, kind.shape, body, writable=True) \
                    if adjoints.ashape[adjoints.name(param)] != kind.shape else None
        dtypes = static_dtypes(body, self.kinds)
        for param in params:
            kind, name = self.kinds[param], adjoints.name(param)
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
            elif getattr(self.program, "foreign", None) is not None:
                # np.float64(d) would compute a lazy 0-d array: to_dtype keeps it lazy
                value = ast.Call(ast.Name(self.modules.helper(to_dtype), ast.Load()), [
                    ast.Name(name, ast.Load()), self.np.dtype(
                        Expr(ast.Constant(want.str))).node], [])
            else:
                value = self.np.__getattr__(want.type.__name__)(Expr.name(name)).node
            body.append(Line(assign(name, value)))


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


# index arrays whose positions never repeat: the tuples these return, and 1-D arange
_DISTINCT_TUPLES = (np.triu_indices, np.tril_indices, np.diag_indices, np.nonzero)
_DISTINCT_ROWS = (np.arange, np.flatnonzero)


def _distinct_by_construction(index, program, kinds):
    """Whether ``index`` selects distinct positions by how its parts were made: a name
    bound (once) to ``np.triu_indices(...)``, ``np.tril_indices``, ``np.diag_indices``,
    ``np.nonzero``, or a 1-D ``np.arange`` / ``np.flatnonzero``; or a tuple of ints and
    1-D integer arrays of one shape, one of them such an arange (``Y[np.arange(n), y]``:
    the pairs differ in their first entry)."""
    made = {}
    for s in program.steps:
        made[s.target] = s.callee if s.target not in made else None   # bound twice: unknown

    def by(node, callees):
        return isinstance(node, ast.Name) and made.get(node.id) in callees
    if not isinstance(index, ast.Tuple):
        return by(index, _DISTINCT_TUPLES + _DISTINCT_ROWS)
    shapes = set()
    for element in index.elts:
        kind = kinds.get(element.id) if isinstance(element, ast.Name) else None
        if isinstance(element, ast.Constant) and type(element.value) is int:
            continue
        if kind is None or kind.dtype not in "iu" or len(kind.shape or ()) > 1:
            return False
        if kind.shape:
            shapes.add(kind.shape)
    return len(shapes) == 1 and any(by(e, _DISTINCT_ROWS) for e in index.elts)
