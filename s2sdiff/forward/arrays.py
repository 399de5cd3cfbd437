"""Forward mode over NumPy code: the tangent of an array row.

The tangent of an array row is what the row's ``jvp`` makes of ``RowTangents``: by
default (a row linear in its operands together: ``where``, indexing, reshapes, joins) the
row's own expression with operands replaced by their tangents; ``product_rule`` for a
row linear in each operand alone (``a @ b`` gives ``a_dot @ b + a @ b_dot``); the
derivative written out for the reductions to extrema, prod, var and std, for clip,
cumprod and sort.
An elementwise row's tangent is spread to the row's shape where broadcasting gives the
forward value more entries than its terms (``spread_tangent``).
"""

import ast
import copy
import functools

import numpy as np

from .. import rules, runtime
from ..array_context import (ArrayNamespace, attribute_node, bind, broadcast, clip_factors,
                             prod_of_others_call, runtime_call)
from ..build import Expr, as_node, unparse
from ..errors import UnsupportedError
from ..ir import atom_key, is_display, leaves
from ..kinds import node_kind
from ..primal import unassigned_foreign_array


def forward_refused(program):
    step = next(s for s in program.steps if isinstance(s.rule, rules.ArrayRule)
                or rules.is_array_call(s.callee) or isinstance(s.value, ast.Attribute))
    return program.parsed.error(
        ast.Expr(step.value, lineno=step.lineno),
        f"s2sdiff cannot differentiate {program.name} by columns in forward mode with "
        f"respect to an array (`{unparse(step.value)}` is NumPy code): one column per entry",
        construct="arrays in forward mode by columns", cls=UnsupportedError,
        hint="Use jvp with a tangent array, jacfwd or jacobian (one jvp per entry), or "
             "grad, vjp or jacrev (reverse mode).")


def zeros_of(modules, name, shape=None):
    """``np.zeros(name.shape)``, or ``np.zeros(shape)`` when given (``name`` may not hold
    its value yet); ``np.zeros_like(name, dtype=np.float64)`` for the arrays of another
    library (``kinds.foreign_array``): zeros in that library, refused without the value."""
    m = modules.namespace(np)
    if getattr(modules.program, "foreign", None) is not None:
        if shape is not None:
            raise unassigned_foreign_array(modules.program, name)
        return m.zeros_like(Expr.name(name), dtype=Expr(ast.Attribute(
            ast.Name(m.alias, ast.Load()), "float64", ast.Load()))).node
    if shape is not None:
        return m.zeros(Expr(ast.Constant(tuple(shape)))).node
    return m.zeros(Expr(attribute_node(name, "shape"))).node


def spread_tangent(modules, kinds, step, terms, value):
    """``value``, the tangent of an elementwise ``step`` (``terms``: its ``(partial,
    argument)`` pairs), spread to the step's shape where NumPy's broadcasting gives the
    forward value more entries than the terms have: ``np.exp(x) + C`` of a number ``x``
    and an array ``C`` has the tangent ``expx_dot`` in every entry, ``np.full(t.shape,
    expx_dot)``."""
    target = kinds.get(step.target)
    if target is None or not target.array:
        return value
    shapes = []
    for partial, atom in terms:
        for node in [atom] + list(ast.walk(as_node(partial))):
            kind = node_kind(kinds, node) if isinstance(node, (ast.Name, ast.Attribute)) \
                else None
            if isinstance(node, (ast.Name, ast.Attribute)) and atom_key(node) is not None:
                if kind is None or kind.shape is None:
                    shapes = None         # not known: spread to be sure
                    break
                shapes.append(kind.shape)
        if shapes is None:
            break
    try:
        if shapes is not None and broadcast(*shapes) == target.shape:
            return value
    except ValueError:
        pass
    if getattr(modules.program, "foreign", None) is not None:     # lazy: not np.full
        return modules.namespace(np).zeros_like(Expr.name(step.target)) + value
    return modules.namespace(np).full(Expr(attribute_node(step.target, "shape")), value)


def tangent_of_row(step, kinds, modules, tangent_of):
    """The tangent of an ``ArrayRule`` step as an AST expression, by the row's ``jvp``
    (None: linear); ``tangent_of(atom)`` is the atom's tangent expression, or None for a
    constant."""
    tangents = RowTangents(step, modules, tangent_of)
    tangents.kinds = kinds
    return (step.rule.jvp or RowTangents.linear)(tangents)


class RowTangents:
    """What an ``ArrayRule``'s jvp sees (the ``t`` of ``rules.py``): the step, its operands
    bound to the row's parameters, and the tangents of the rows that are not linear."""

    def __init__(self, step, modules, tangent_of):
        self.step, self.modules, self.tangent_of = step, modules, tangent_of
        self.np = modules.namespace(np)
        self.bound = bind(step)
        self.operands = [name for name in step.rule.operands if name in self.bound]

    def refuse(self, what, hint):
        """An ``UnsupportedError`` at the step's line (a row with no tangent for a case)."""
        program = self.modules.program
        raise program.parsed.error(ast.Expr(self.step.value, lineno=self.step.lineno),
                                   f"s2sdiff cannot differentiate {program.name} in forward "
                                   f"mode: {what}", construct=self.step.rule.name, hint=hint,
                                   cls=UnsupportedError)

    def shape(self, name):
        """The shape of the argument bound to ``name`` (``kinds`` set by ``tangent_of_row``)."""
        return node_kind(self.kinds, self.bound[name]).shape

    def _replaced(self, replace):
        return _rebuilt(self.step.value, replace)

    def _tangent_or_zero(self, atom):
        t = self.tangent_of(atom)
        if t is not None:
            return t
        return self.np.zeros_like(Expr(copy.deepcopy(atom)),
                                  dtype=Expr(ast.Name("float", ast.Load()))).node

    def _atoms_of(self, name):
        return [atom for _, atom in leaves(self.bound[name])]

    def _whole(self, name):
        """The operand and its tangent as arrays (a display is ``np.asarray([...])``)."""
        node = self.bound[name]
        if not is_display(node):
            return node, self.tangent_of(node)
        tangents = {id(a): self._tangent_or_zero(a) for a in self._atoms_of(name)}
        return (self.np.asarray(Expr(copy.deepcopy(node))).node,
                self.np.asarray(Expr(_rebuilt(node, tangents))).node)

    def linear(self):
        """A row linear in its operands together (``where``, indexing, reshapes, joins):
        the row with each operand replaced by its tangent."""
        replace = {id(a): self._tangent_or_zero(a) for name in self.operands
                   for a in self._atoms_of(name)}
        return self._replaced(replace)

    def product_rule(self):
        """A row linear in each operand alone: ``a @ b`` gives ``a_dot @ b + a @ b_dot``."""
        terms = []
        for name in self.operands:
            if any(self.tangent_of(a) is not None for a in self._atoms_of(name)):
                terms.append(self._replaced({id(a): self._tangent_or_zero(a)
                                             for a in self._atoms_of(name)}))
        return functools.reduce(lambda a, b: ast.BinOp(a, ast.Add(), b), terms)

    def extrema(self):
        """max/min: the mean of the tied entries' tangents, as reverse mode spreads."""
        a, t = self._whole("a")
        tied = ast.Compare(copy.deepcopy(a), [ast.Eq()], [self._expanded_output()])
        return self._summed(ast.BinOp(t, ast.Mult(), tied), tied)

    def product(self):
        """prod: ``prod_of_others(a, axis) * t`` summed along ``axis``."""
        _, t = self._whole("a")
        return self._summed(ast.BinOp(prod_of_others_call(self.modules, self.bound),
                                      ast.Mult(), t))

    def variance(self, std):
        """var: ``2 sum((a - mean) t) / (N - ddof)``, ``N`` the entries reduced into one
        (``np.size(a) / np.size(out)``); std: ``sum((a - mean) t) / ((N - ddof) out)``."""
        a, t = self._whole("a")
        keywords = {"keepdims": True}
        if self.bound.get("axis") is not None:
            keywords["axis"] = Expr(copy.deepcopy(self.bound["axis"]))
        mean = self.np.mean(Expr(copy.deepcopy(a)), **keywords)
        summed = Expr(self._summed(ast.BinOp(ast.BinOp(copy.deepcopy(a), ast.Sub(), mean.node),
                                             ast.Mult(), t)))
        out = Expr(ast.Name(self.step.target, ast.Load()))
        count = self.np.size(Expr(copy.deepcopy(a))) / self.np.size(out) - Expr(
            copy.deepcopy(self.bound.get("ddof", ast.Constant(0))))
        return (summed / (count * out) if std else 2.0 * summed / count).node

    def cumulative_product(self):
        """cumprod: ``cumprod_tangent(a, t, axis)`` (runtime.py), ``out * cumsum(t / a)``
        made exact where an entry is 0."""
        a, t = self._whole("a")
        return runtime_call(self.modules, runtime.cumprod_tangent, {**self.bound, "a": a}, t)

    def others_product(self):
        """prod_of_others (np.prod's derivative): ``prod_of_others_tangent(a, t, axis)``."""
        a, t = self._whole("a")
        return runtime_call(self.modules, runtime.prod_of_others_tangent,
                            {**self.bound, "a": a}, t)

    def sorted_like(self):
        """sort: the tangent reordered as the values are, by the stable argsort of ``a``
        (of the flattened ``a`` when ``axis`` is None), the order reverse mode undoes."""
        a, t = self._whole("a")
        stable = Expr(ast.Constant("stable"))
        axis = self.bound.get("axis", ast.Constant(-1))
        if isinstance(axis, ast.Constant) and axis.value is None:
            order = self.np.argsort(self.np.ravel(Expr(copy.deepcopy(a))), kind=stable)
            return ast.Subscript(self.np.ravel(Expr(t)).node, order.node, ast.Load())
        order = self.np.argsort(Expr(copy.deepcopy(a)), axis=Expr(copy.deepcopy(axis)),
                                kind=stable)
        return self.np.take_along_axis(Expr(t), order, axis=Expr(copy.deepcopy(axis))).node

    def clipped(self):
        """clip: the tangent inside the bounds, half of it at a bound (the reverse row's
        factors, ``array_context.clip_factors``)."""
        a, t = self._whole("a")
        return clip_factors(ArrayNamespace(self.np), a, self.bound, t)

    def _expanded_output(self):
        """The output with the reduced ``axis`` put back (unless ``keepdims``)."""
        axis, keepdims = self.bound.get("axis"), self.bound.get("keepdims")
        out = ast.Name(self.step.target, ast.Load())
        keep = isinstance(keepdims, ast.Constant) and keepdims.value
        if axis is not None and not keep and not (isinstance(axis, ast.Constant)
                                                  and axis.value is None):
            return self.np.expand_dims(Expr(out), Expr(copy.deepcopy(axis))).node
        return out

    def _summed(self, weighted, tied=None):
        """``np.sum(weighted, axis, keepdims)``, divided by the number of ``tied`` entries."""
        keywords = []
        for name in ("axis", "keepdims"):
            if self.bound.get(name) is not None:
                keywords.append(ast.keyword(name, copy.deepcopy(self.bound[name])))
        self.np.used = True
        total = ast.Call(ast.Attribute(ast.Name(self.np.alias, ast.Load()), "sum", ast.Load()),
                         [weighted], keywords)
        if tied is not None:
            count = ast.Call(ast.Attribute(ast.Name(self.np.alias, ast.Load()), "sum",
                                           ast.Load()), [copy.deepcopy(tied)],
                             copy.deepcopy(keywords))
            total = ast.BinOp(total, ast.Div(), count)
        return total


def _rebuilt(node, replace):
    """A copy of ``node`` in which the nodes whose ids are keys of ``replace`` (the step's
    own operand nodes) are replaced by copies of their values."""
    if id(node) in replace:
        return copy.deepcopy(replace[id(node)])
    if isinstance(node, list):
        return [_rebuilt(n, replace) for n in node]
    if not isinstance(node, ast.AST):
        return node
    new = copy.copy(node)
    for field, value in ast.iter_fields(node):
        setattr(new, field, _rebuilt(value, replace))
    return new
