"""NumPy syntax in the normalizer: operands, subscripts, attributes, methods and calls of
NumPy functions become steps over atoms (called from ``normalize.py``, which passes
itself as ``normalizer`` and its step emitter as ``emit``).

Afterwards an array step's value is a NumPy call, method call, subscript or attribute
whose operands are atoms or tuples/lists/slices of atoms; its ``args`` are the local
names it reads, in order; its rule is the ``rules.ARRAY_RULES`` row of the callee (or
the scalar row of a NumPy ufunc).
"""

import ast
import inspect

import numpy as np

from . import rules
from .ir import Step, is_display, read_names


ARRAY_METHODS = {name[len("method "):] for name in rules.ARRAY_RULES
                 if isinstance(name, str) and name.startswith("method ")}


def operand(normalizer, node, hint, lineno):
    """An atom, or a tuple/list/slice of atoms (indexes, shapes, sequences of arrays)."""
    if isinstance(node, (ast.Tuple, ast.List)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise normalizer.error(node, "starred expression", "Pass the values one by one.")
        return type(node)([operand(normalizer, e, hint, lineno) for e in node.elts], ast.Load())
    if isinstance(node, ast.Slice):
        return ast.Slice(*(None if part is None else operand(normalizer, part, hint, lineno)
                           for part in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis
                                           or isinstance(node.value, str)):
        return ast.Constant(node.value)
    return normalizer.atom(node, hint, lineno)


def args_of(normalizer, value):
    """Step arguments: the local names read (free names such as ``np.newaxis`` are not)."""
    return [n for n in read_names(value) if not is_free_name(normalizer, n)]


def is_free_name(normalizer, name):
    return name.id not in normalizer.locals and name.id not in normalizer.temps \
        and name.id not in normalizer.version.values()


def free_array_method(normalizer, func):
    """Whether ``func`` is ``X.dot``, ``data.X.sum``...: a method with an array rule called
    on an array held outside the function (a global, a closure cell, an attribute)."""
    if not (isinstance(func, ast.Attribute) and normalizer._is_free(func)
            and f"method {func.attr}" in rules.ARRAY_RULES):
        return False
    return isinstance(normalizer._callee_or_none(func.value), np.ndarray)


def subscript(normalizer, node, emit, hint, lineno):
    """``x[i]``: a read of an element, a slice, a mask or a gather."""
    if not isinstance(node.ctx, ast.Load):
        raise normalizer.error(node, "assignment to an element", "Build the array with np.where "
                               "or np.concatenate instead.")
    base = normalizer.atom(node.value, hint, lineno)
    index = operand(normalizer, node.slice, hint, lineno)
    value = ast.Subscript(base, index, ast.Load())
    emit(value, args_of(normalizer, value), rules.ARRAY_RULES["index"])


def attribute(normalizer, node, emit, hint, lineno):
    """``x.T``, and ``x.shape``, ``x.ndim``... which are constants."""
    if node.attr in rules.CONSTANT_ATTRIBUTES or node.attr == "T":
        base = normalizer.atom(node.value, hint, lineno)
        value = ast.Attribute(base, node.attr, ast.Load())
        if node.attr == "T":
            emit(value, [base], rules.ARRAY_RULES["attribute T"])
        else:
            emit(value, [base], None, differentiable=False)
        return
    raise normalizer.error(node, f"attribute `{ast.unparse(node)}` of a local value",
                           "Pass the value in as an argument, or compute it with a function "
                           "(arrays: .T, .shape, .ndim, .size and .dtype are supported).")


def is_method_call(normalizer, node):
    return isinstance(node.func, ast.Attribute) and (
        not normalizer._is_free(node.func) or free_array_method(normalizer, node.func))


def method_call(normalizer, node, emit, hint, lineno):
    """``x.sum(axis=0)``, ``W.dot(X)``, ``x.reshape(3, 4)``...: the rule ``method <name>``."""
    name = node.func.attr
    rule = rules.ARRAY_RULES.get(f"method {name}")
    if rule is None:
        what = ast.unparse(node.func)
        raise normalizer.error(
            node.func, f"method call `{what}(...)`",
            f"Call functions of modules (math.sin(x), np.sum(x)) rather than methods of values; "
            f"the array methods s2sdiff knows are {', '.join(sorted(ARRAY_METHODS))}.")
    base = normalizer.atom(node.func.value, hint, lineno)
    value = _call_value(normalizer, node, ast.Attribute(base, name, ast.Load()), hint, lineno)
    _bind_or_fail(normalizer, node, rule, [base, *value.args], value.keywords)
    emit(value, args_of(normalizer, value), rule)


def call(normalizer, node, callee, emit, hint, lineno):
    """``np.sum(x, axis=0)``, ``np.concatenate([a, b])``, ``np.zeros((3, 4))``, ``np.exp(x)``."""
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise normalizer.error(arg)
    if any(k.arg is None for k in node.keywords):
        raise normalizer.error(node, "`**` in a call", "Pass keyword arguments by name.")
    value = _call_value(normalizer, node, _copy_func(node.func), hint, lineno)
    args = args_of(normalizer, value)
    try:
        rule = rules.NONDIFFERENTIABLE_RULE if callee in rules.NONDIFFERENTIABLE else \
            rules.lookup(callee, len(node.args))
    except TypeError:
        rule = None
    if rule is rules.NONDIFFERENTIABLE_RULE:
        emit(value, args, None, callee, differentiable=False)
    elif isinstance(rule, rules.ArrayRule):
        _bind_or_fail(normalizer, node, rule, value.args, value.keywords)
        emit(value, args, rule, callee)
    elif rule is not None:              # elementwise: the scalar row, position by position
        if value.keywords:
            raise normalizer.error(node, f"keyword arguments to {rule.name}",
                                   "Pass the arguments by position.")
        value.args = [_as_array(normalizer, node, a, hint, lineno) if is_display(a) else a
                      for a in value.args]
        if rule.arity not in (None, len(value.args)):
            raise normalizer.error(node, f"{rule.name} with {len(value.args)} arguments",
                                   f"Call it with {rule.arity} arguments.")
        emit(value, list(value.args), rule, callee)
    else:                               # no rule: an error if it is ever active (activity.py)
        emit(value, args, None, callee)


def _as_array(normalizer, node, display, hint, lineno):
    """``np.exp([x, y])``: the list as a step of its own, ``t = np.asarray([x, y])``, so
    that the elementwise row applies to an array (``np`` as the user spelled it)."""
    module = node.func.value if isinstance(node.func, ast.Attribute) else None
    if module is None or normalizer._callee_or_none(module) is not np:
        raise normalizer.error(node, f"a list or tuple passed to `{ast.unparse(node.func)}`",
                               "Make it an array first: np.array([...]).")
    call = ast.Call(ast.Attribute(_copy_func(module), "asarray", ast.Load()), [display], [])
    name = normalizer._temp_name(call, hint)
    normalizer.body.append(Step(name, call, args_of(normalizer, call),
                                rules.ARRAY_RULES[np.asarray], 0, lineno, np.asarray))
    return ast.Name(name, ast.Load())


def _call_value(normalizer, node, func, hint, lineno):
    args = [operand(normalizer, a, hint, lineno) for a in node.args]
    keywords = [ast.keyword(k.arg, operand(normalizer, k.value, hint, lineno))
                for k in node.keywords]
    return ast.Call(func, args, keywords)


def _copy_func(node):
    if isinstance(node, ast.Attribute):
        return ast.Attribute(_copy_func(node.value), node.attr, ast.Load())
    return ast.Name(node.id, ast.Load())


def _bind_or_fail(normalizer, node, rule, args, keywords):
    try:
        inspect.signature(rule.signature).bind(*args, **{k.arg: k.value for k in keywords})
    except TypeError as error:
        raise normalizer.error(node, f"this call of {rule.name} ({error})",
                               "Call it with the arguments NumPy documents.") from None


def suggest_name(node):
    """A readable temporary name for array syntax: ``Xw`` for ``X @ w``, ``XT`` for ``X.T``."""
    leaf = lambda n: n.id if isinstance(n, ast.Name) and n.id.isalpha() and len(n.id) <= 4 else None  # noqa: E731
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        left, right = leaf(node.left), leaf(node.right)
        return left + right if left and right else None
    if isinstance(node, ast.Attribute) and node.attr == "T" and leaf(node.value):
        return leaf(node.value) + "T"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
            and leaf(node.func.value) and node.func.attr in ("sum", "mean", "max", "min"):
        return node.func.attr + leaf(node.func.value)
    return None
