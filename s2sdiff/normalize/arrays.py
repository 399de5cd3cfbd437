"""NumPy syntax: operands, subscripts, attributes, methods and calls of NumPy functions
become steps over atoms (the ``ArraySyntax`` handlers of the normalizer).

Afterwards an array step's value is a NumPy call, method call, subscript or attribute
whose operands are atoms or tuples/lists/slices of atoms; its ``args`` are the local
names it reads, in order; its rule is the ``rules.ArrayRule`` row of the callee (or
the ``rules.Partials`` row of a NumPy ufunc).
"""

import ast
import inspect

import numpy as np

from .. import object_parameters, rules, split_rules
from ..ir import Step, is_display, read_names
from ..rules import Attribute, Function, Method, Syntax
from . import records
from .expressions import copy_load


ARRAY_METHODS = {key.method for key in rules.RULES if isinstance(key, Method)}


class ArraySyntax:
    """The normalizer's handlers of NumPy syntax (mixed into ``Normalizer``)."""

    def array_operand(self, node, hint, lineno):
        """An atom, or a tuple/list/slice of atoms (indexes, shapes, sequences of arrays)."""
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                raise self.error(node, "starred expression", "Pass the values one by one.")
            return type(node)([self.array_operand(e, hint, lineno) for e in node.elts], ast.Load())
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if part is None else self.array_operand(part, hint, lineno)
                               for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis
                                               or isinstance(node.value, str)):
            return ast.Constant(node.value)
        return self.atom(node, hint, lineno)

    def array_args(self, value):
        """Step arguments: the local names read (free names such as ``np.newaxis`` are not)."""
        return [n for n in read_names(value) if not self._is_free_name(n)]

    def _is_free_name(self, name):
        return name.id not in self.locals and name.id not in self.temps \
            and name.id not in self.version.values()

    def _free_array_method(self, func):
        """Whether ``func`` is ``X.dot``, ``data.X.sum``...: a method with an array rule called
        on an array held outside the function (a global, a closure cell, an attribute)."""
        if not (isinstance(func, ast.Attribute) and self.is_free(func)
                and rules.lookup(Method(func.attr)) is not None):
            return False
        return isinstance(self.resolve(func.value), np.ndarray)

    def is_method_call(self, node):
        return isinstance(node.func, ast.Attribute) and (
            not self.is_free(node.func) or self._free_array_method(node.func))

    def array_subscript(self, node, into):
        """``x[i]``: a read of an element, a slice, a mask or a gather."""
        if not isinstance(node.ctx, ast.Load):
            raise self.error(node, "assignment to an element", "Build the array with np.where "
                             "or np.concatenate instead.")
        base = self.atom(node.value, into.hint, into.lineno)
        index = self.array_operand(node.slice, into.hint, into.lineno)
        value = ast.Subscript(base, index, ast.Load())
        return into.emit(value, self.array_args(value), rules.lookup(Syntax("array getitem")))

    def array_attribute(self, node, into):
        """``x.T``, and ``x.shape``, ``x.ndim``... which are constants."""
        rule = rules.lookup(Attribute(node.attr))
        if rule is not None:
            base = self.atom(node.value, into.hint, into.lineno)
            value = ast.Attribute(base, node.attr, ast.Load())
            if isinstance(rule, rules.Nondifferentiable):
                return into.emit(value, [base], None, differentiable=False)
            return into.emit(value, [base], rule)
        if any(node.attr in fields for fields in rules.TUPLE_FIELDS.values()):
            base = self.atom(node.value, into.hint, into.lineno)   # res.eigenvalues: entries.py
            return into.emit(ast.Attribute(base, node.attr, ast.Load()), [base], None)
        record = records.refusal(self.parsed, node)      # v = Vec(a, b), then v.x
        if record is not None:
            raise self.error(node, *record)
        raise self.error(node, f"attribute `{ast.unparse(node)}` of a local value",
                         "Pass the value in as an argument, or compute it with a function "
                         "(arrays: .T, .shape, .ndim, .size and .dtype are supported).")

    def _made_generator(self, node):
        """Whether ``node`` is a local name assigned a new random generator
        (``np.random.default_rng(0)``, ``random.Random(1)``)."""
        return isinstance(node, ast.Name) and any(
            isinstance(a.value, ast.Call) and getattr(self.resolve(a.value.func), "__name__", "")
            in ("default_rng", "RandomState", "Generator", "Random")
            and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
            for a in self.parsed.of(ast.Assign))

    def array_method_call(self, node, into):
        """``x.sum(axis=0)``, ``W.dot(X)``, ``x.reshape(3, 4)``...: the row ``Method(name)``."""
        name = node.func.attr
        rule = rules.lookup(Method(name))
        if rule is None:
            what = ast.unparse(node.func)
            passed = object_parameters.refusal(self.parsed, node.func)     # model.loss(x)
            if passed is not None:
                raise self.error(node.func, *passed)
            record = records.refusal(self.parsed, node.func)     # v = Vec(a, b), v.norm()
            if record is not None:
                raise self.error(node.func, *record)
            if self._made_generator(node.func.value):            # r = default_rng(0)
                raise self.error(
                    node.func, f"method call `{what}(...)` of a random generator made in "
                    f"{self.node.name}", "Make the generator once, outside the function "
                    "(`RNG = np.random.default_rng(0)` at module level), and draw from it "
                    "(`RNG.normal(size=3)`: outside loops, evaluated once), or pass the "
                    "noise in as an argument.")
            raise self.error(
                node.func, f"method call `{what}(...)`",
                f"Call functions of modules (math.sin(x), np.sum(x)) rather than methods of values; "
                f"the array methods s2sdiff knows are {', '.join(sorted(ARRAY_METHODS))}.")
        base = self.atom(node.func.value, into.hint, into.lineno)
        value = self._call_value(node, ast.Attribute(base, name, ast.Load()), into)
        value.keywords = [k for k in value.keywords if not _is_none_out(k)]
        if isinstance(rule, rules.Nondifferentiable):      # x.all(): a constant
            return into.emit(value, self.array_args(value), None, differentiable=False)
        self._bind_or_fail(node, rule, [base, *value.args], value.keywords)
        return into.emit(value, self.array_args(value), rule)

    def split_part(self, node):
        """Whether ``node`` is a part of np.split or its kin, ``np.split(x, 2)[0]``."""
        if not (isinstance(node.value, ast.Call) and _int_literal(node.slice) is not None
                and self.is_free(node.value.func)):
            return False
        callee = self.resolve(node.value.func)
        return any(callee is f for f in split_rules.PARTED)

    def array_split_part(self, node, into):
        """``np.split(x, 2)[0]``: one step, the row of ``np.split`` with ``part=0``."""
        call = node.value
        callee = self.callee(call.func)
        value = self._call_value(call, copy_load(call.func), into)
        rule = rules.lookup(Function(callee))
        self._bind_or_fail(call, rule, value.args, value.keywords + [
            ast.keyword("part", node.slice)])
        value = ast.Subscript(value, ast.Constant(_int_literal(node.slice)), ast.Load())
        return into.emit(value, self.array_args(value), rule, callee)

    def array_call(self, node, into):
        """``np.sum(x, axis=0)``, ``np.concatenate([a, b])``, ``np.zeros((3, 4))``, ``np.exp(x)``."""
        callee = self.callee(node.func)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(arg)
        if any(k.arg is None for k in node.keywords):
            raise self.error(node, "`**` in a call", "Pass keyword arguments by name.")
        self.refuse_out(node)
        value = self._call_value(node, copy_load(node.func), into)
        value.keywords = [k for k in value.keywords if not _is_none_out(k)]
        args = self.array_args(value)
        rule = rules.lookup(Function(callee, len(node.args)))
        if any(callee is f for f in split_rules.PARTED) or any(
                k.arg == "out" for k in value.keywords):
            rule = None   # a list of parts, or a write into out= (activity.py, aliases.py)
        if isinstance(rule, rules.Nondifferentiable):
            return into.emit(value, args, None, callee, differentiable=False)
        if isinstance(rule, rules.ArrayRule):
            self._bind_or_fail(node, rule, value.args, value.keywords)
            return into.emit(value, args, rule, callee)
        if rule is not None:              # elementwise: the scalar row, position by position
            if value.keywords:
                raise self.error(node, f"keyword arguments to {rule.name}",
                                 "Pass the arguments by position.")
            value.args = [self._as_array(node, a, into) if is_display(a) else a
                          for a in value.args]
            if rule.arity not in (None, len(value.args)):
                raise self.error(node, f"{rule.name} with {len(value.args)} arguments",
                                 f"Call it with {rule.arity} arguments.")
            return into.emit(value, list(value.args), rule, callee)
        return into.emit(value, args, None, callee)   # no rule: an error if it is ever active

    def _as_array(self, node, display, into):
        """``np.exp([x, y])``: the list as a step of its own, ``t = np.asarray([x, y])``, so
        that the elementwise row applies to an array (``np`` as the user spelled it)."""
        module = node.func.value if isinstance(node.func, ast.Attribute) else None
        if module is None or self.resolve(module) is not np:
            raise self.error(node, f"a list or tuple passed to `{ast.unparse(node.func)}`",
                             "Make it an array first: np.array([...]).")
        call = ast.Call(ast.Attribute(copy_load(module), "asarray", ast.Load()), [display], [])
        name = self.temp_name(call, into.hint)
        self.body.append(Step(name, call, self.array_args(call),
                              rules.lookup(Function(np.asarray)), 0, into.lineno, np.asarray))
        return ast.Name(name, ast.Load())

    def _call_value(self, node, func, into):
        args = [self.array_operand(a, into.hint, into.lineno) for a in node.args]
        keywords = [ast.keyword(k.arg, self.array_operand(k.value, into.hint, into.lineno))
                    for k in node.keywords]
        return ast.Call(func, args, keywords)

    def _bind_or_fail(self, node, rule, args, keywords):
        try:
            inspect.signature(rule.signature).bind(*args, **{k.arg: k.value for k in keywords})
        except TypeError as error:
            signature = inspect.signature(rule.signature)
            extra = [f"`{k.arg}=`" for k in keywords if k.arg not in signature.parameters]
            spelled = rule.name.replace("numpy.", "np.", 1)
            hint = f"s2sdiff differentiates {spelled}{signature}: write the call with those " \
                f"arguments (NumPy's other options as separate steps before or after it)."
            if rule.name == "numpy.where" and len(args) == 1 and not keywords:
                hint = "Index with the mask itself, `x[cond]`, or use np.where(cond, x, y)."
            what = f"the argument{'s' * (len(extra) > 1)} {', '.join(extra)} of {spelled}" \
                if extra else f"this call of {spelled} ({error})"
            raise self.error(node, what, hint) from None


def _is_none_out(keyword):
    """``out=None``, NumPy's default, which every row accepts (another ``out`` is refused)."""
    return keyword.arg == "out" and isinstance(keyword.value, ast.Constant) \
        and keyword.value.value is None


def _int_literal(node):
    """The int a literal index (``1``, ``-1``) stands for, or None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node, sign = node.operand, -1
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None
