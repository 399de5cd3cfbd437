"""Forward mode over NumPy code: the tangent of an array row.

The tangent of an array row is the row's own expression with operands replaced by their
tangents.  Every row but the reductions to extrema, norm, prod and clip is linear in its
operands together (``where``, indexing, reshapes, joins) or in each one alone (products:
``a @ b`` gives ``a_dot @ b + a @ b_dot``); those four have their derivative written out.
An elementwise row's tangent is spread to the row's shape where broadcasting gives the
forward value more entries than its terms (``spread_tangent``).
"""

import ast
import copy
import functools

import numpy as np

from . import rules
from .array_context import attribute_node, bind, broadcast, prod_of_others_call
from .build import Expr, as_node, unparse
from .errors import UnsupportedError
from .ir import atom_key, is_display, leaves
from .kinds import node_kind
from .rules import Function, Method, Operator


def forward_refused(program):
    step = next(s for s in program.steps if isinstance(s.rule, rules.ArrayRule)
                or rules.is_array_call(s.callee) or isinstance(s.value, ast.Attribute))
    return program.parsed.error(
        ast.Expr(step.value, lineno=step.lineno),
        f"s2sdiff cannot differentiate {program.name} by columns in forward mode with "
        f"respect to an array (`{unparse(step.value)}` is NumPy code): one column per entry",
        construct="arrays in forward mode by columns", cls=UnsupportedError,
        hint="Use jvp with a tangent array, or grad, vjp or jacrev (reverse mode).")


_BILINEAR = {Operator(ast.MatMult), Function(np.matmul), Function(np.dot), Method("dot"),
             Function(np.outer), Function(np.inner)}


_EXTREMA = {Function(np.max), Function(np.min), Function(np.amax), Function(np.amin),
            Method("max"), Method("min")}


_PRODUCTS = {Function(np.prod), Method("prod")}


def zeros_of(modules, name):
    """``np.zeros(name.shape)``."""
    return modules.namespace(np).zeros(Expr(attribute_node(name, "shape"))).node


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
    return modules.namespace(np).full(Expr(attribute_node(step.target, "shape")), value)


def tangent_of_row(step, kinds, modules, tangent_of):
    """The tangent of an ``ArrayRule`` step as an AST expression; ``tangent_of(atom)`` is
    the atom's tangent expression, or None for a constant."""
    rule = step.rule
    np_ = modules.namespace(np)
    bound = bind(step)
    operands = [name for name in rule.operands if name in bound]

    def replaced(replace):
        return _rebuilt(step.value, replace)

    def tangent_or_zero(atom):
        t = tangent_of(atom)
        if t is not None:
            return t
        return np_.zeros_like(Expr(copy.deepcopy(atom)), dtype=Expr(ast.Name("float", ast.Load()))).node

    def atoms_of(name):
        return [atom for _, atom in leaves(bound[name])]

    def whole(name):
        """The operand and its tangent as arrays (a display is ``np.asarray([...])``)."""
        node = bound[name]
        if not is_display(node):
            return node, tangent_of(node)
        tangents = {id(a): tangent_or_zero(a) for a in atoms_of(name)}
        return (np_.asarray(Expr(copy.deepcopy(node))).node,
                np_.asarray(Expr(_rebuilt(node, tangents))).node)

    if rule.key in _BILINEAR:
        terms = []
        for name in operands:
            if any(tangent_of(a) is not None for a in atoms_of(name)):
                terms.append(replaced({id(a): tangent_or_zero(a) for a in atoms_of(name)}))
        return functools.reduce(lambda a, b: ast.BinOp(a, ast.Add(), b), terms)
    if rule.key in _EXTREMA or rule.key in _PRODUCTS or rule.key == Function(np.linalg.norm):
        return _nonlinear_tangent(step, bound, np_, *whole("a" if "a" in bound else "x"),
                                  modules)
    if rule.key in (Function(np.clip), Method("clip")):
        a, t = whole("a")
        low = bound.get("a_min", bound.get("min"))
        high = bound.get("a_max", bound.get("max"))
        mask = None
        for limit, op in ((low, ast.GtE()), (high, ast.LtE())):
            if limit is None or (isinstance(limit, ast.Constant) and limit.value is None):
                continue
            test = ast.Compare(copy.deepcopy(a), [op], [copy.deepcopy(limit)])
            mask = test if mask is None else ast.BinOp(mask, ast.BitAnd(), test)
        return t if mask is None else ast.BinOp(mask, ast.Mult(), t)
    replace = {id(a): tangent_or_zero(a) for name in operands for a in atoms_of(name)}
    return replaced(replace)


def _nonlinear_tangent(step, bound, np_, a, t, modules):
    """max/min (the mean of the tied entries' tangents, as reverse mode spreads), prod and
    the 2-norm along ``axis`` (or all of them), of ``a`` whose tangent is ``t``."""
    axis = bound.get("axis")
    keepdims = bound.get("keepdims")
    out = ast.Name(step.target, ast.Load())
    expanded = out
    keep = isinstance(keepdims, ast.Constant) and keepdims.value
    if axis is not None and not keep and not (isinstance(axis, ast.Constant) and axis.value is None):
        expanded = np_.expand_dims(Expr(out), Expr(copy.deepcopy(axis))).node
    if step.rule.key in _EXTREMA:
        tied = ast.Compare(copy.deepcopy(a), [ast.Eq()], [expanded])
        weighted = ast.BinOp(t, ast.Mult(), tied)
    elif step.rule.key in _PRODUCTS:
        weighted = ast.BinOp(prod_of_others_call(modules, bound), ast.Mult(), t)
    else:
        weighted = ast.BinOp(ast.BinOp(copy.deepcopy(a), ast.Mult(), t), ast.Div(), expanded)
    keywords = []
    if axis is not None:
        keywords.append(ast.keyword("axis", copy.deepcopy(axis)))
    if keepdims is not None:
        keywords.append(ast.keyword("keepdims", copy.deepcopy(keepdims)))
    np_.used = True
    total = ast.Call(ast.Attribute(ast.Name(np_.alias, ast.Load()), "sum", ast.Load()),
                     [weighted], keywords)
    if step.rule.key in _EXTREMA:          # the mean of the tied entries' tangents
        count = ast.Call(ast.Attribute(ast.Name(np_.alias, ast.Load()), "sum", ast.Load()),
                         [copy.deepcopy(tied)], copy.deepcopy(keywords))
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
