"""Expressions into steps: one primitive per assignment, operands atoms.

``Expressions.expression`` emits the steps computing an expression into a name: it
dispatches on the node's class to ``expression_<Class>`` (``expression_BinOp``...), and a
call to the handler of what it calls (NumPy, a method of an array, ``runtime.ieee``, a
function); NumPy syntax is handled by ``arrays.ArraySyntax``.  Afterwards each step's
value is one primitive over atoms (names, numbers, free dotted names), its ``args`` are
the atoms the rule differentiates, and temporaries are named after what they compute
(``names.suggest_name``) or numbered after their target.
"""

import ast
import copy
import inspect
import keyword
import math
import types

import numpy as np

from .. import custom, extrema, object_parameters, rules, runtime, sorting
from ..ir import Step
from ..names import is_one, suggest_name
from ..rules import Function, Operator, Syntax

# runtime.py's functions generated code calls whose own derivative s2sdiff does not have:
# a call without a row (activity.py says so), not a function of the user's to inline.
_HELPERS_WITHOUT_ROWS = (runtime.trigamma,)
from .. import methods
from . import records, tuple_entries
from .in_place import in_place_refusal
from ..user_functions import is_library


_NONDIFF_OPS = (ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
                ast.Not, ast.Invert)
_IEEE_OPERATORS = {"/": ast.Div, "**": ast.Pow, "%": ast.Mod, "//": ast.FloorDiv}
_UNRESOLVED = object()       # what ``resolve`` gives for what no free name denotes


_TRANSFORMS = ("s2sdiff.api", "s2sdiff.jacobians", "s2sdiff.check", "s2sdiff.eject",
               "s2sdiff.finite_differences")
_OWN_TRANSFORMS_HINT = ("s2sdiff does not differentiate its own transforms: take second "
                        "derivatives with s2sdiff.hessian(f), s2sdiff.hvp(f, primals, "
                        "tangents) or grad(grad(f)).")

FUNCTION_LOOP_HINT = (
    "s2sdiff follows a call it can name when the code is generated: a loop over functions "
    "is unrolled when its sequence is a list or tuple of functions written in the loop "
    "(`for f in [math.sin, math.cos]: x = f(x)`) or a local name bound once to one and "
    "not changed (`fs = [math.sin, math.cos]`, then `for f in fs` or "
    "`reduce(lambda acc, f: f(acc), fs, x)`); a module-level sequence: write its "
    "functions in the loop. In a method, `for layer in self.layers: h = layer(h)` (or "
    "`layer.forward(h)`) is unrolled; or keep the layers' parameters in a list of arrays "
    "and loop over those (`for W in self.weights: h = np.tanh(h @ W)`).")

class Destination:
    """Where an expression's value goes: ``target`` (None: a temporary named after the
    value), the ``hint`` its operands' temporaries are named after, its source line."""
    __slots__ = ("normalizer", "target", "hint", "lineno")

    def __init__(self, normalizer, target, hint, lineno):
        self.normalizer, self.target, self.lineno = normalizer, target, lineno
        self.hint = target or hint

    def emit(self, value, args, rule, callee=None, differentiable=True, custom_rule=None):
        """Append the step computing ``value``; the name it assigns."""
        normalizer = self.normalizer
        name = self.target or normalizer.temp_name(value, self.hint)
        number = 0            # numbered in forward order at the end (Normalizer.run)
        normalizer.body.append(Step(name, value, args, rule, number, self.lineno, callee,
                                    differentiable, custom_rule))
        return name


class Expressions:
    """The normalizer's handlers of expressions (mixed into ``Normalizer``)."""

    def expression(self, node, target, lineno, hint=None):
        """Emit the steps computing ``node`` into ``target`` (a new temporary if None).

        Returns the name assigned.
        """
        return self.handler(node)(node, Destination(self, target, hint, lineno))

    def atom(self, node, hint, lineno, output=False):
        """An atom for ``node``, emitting steps for any computation it needs."""
        if isinstance(node, ast.Name):
            return self.load(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
                and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
            value = node.operand.value                  # -2 is a literal, not a step
            return ast.Constant(-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, bool)) or isinstance(node.value, complex):
                hint = ("Use real numbers." if not isinstance(node.value, str) else
                        "Strings cannot be differentiated (a key is unrolled away only in "
                        "a loop over a dict's keys or items whose variables are not read "
                        "after it nor rebound, with no break or continue); write each key "
                        "at its read (params[\"w\"]) or loop over params.values().")
                raise self.error(node, f"constant {node.value!r}", hint)
            return ast.Constant(node.value)
        if isinstance(node, ast.Attribute) and self.is_free(node):
            return copy_load(node)
        target = self.namer.fresh(hint) if output else None
        # the handler directly, not through ``expression``: two frames per level of
        # nesting, so that as deep an expression fits in the recursion limit as before
        name = self.handler(node)(node, Destination(self, target, hint, lineno))
        return ast.Name(name, ast.Load())

    def handler(self, node):
        """The method emitting the steps of ``node``: ``expression_<its class>``, and for a
        call the handler of what it calls."""
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in self.local_functions:
                return self.local_function_call       # def sq(u): ... inside (callables.py)
            return self.call_handler(node)
        return getattr(self, f"expression_{type(node).__name__}", self.unsupported)

    def call_handler(self, node):
        """The handler of a call: by what it calls (a method, NumPy, ``ieee``, a function)."""
        if methods.instance_call(node.func) or methods.unresolved(self.parsed, node.func):
            return self.function_call             # type(self).m(self, x) (methods.py)
        if self.is_method_call(node):
            return self.array_method_call         # x.sum(axis=0), W.dot(X)
        callee = self.resolve(node.func)
        if rules.is_array_call(callee) and custom.rule_of(callee) is None:
            return self.array_call                # np.sum(x)...
        if callee is runtime.ieee and node.args and not node.keywords:
            return self.ieee_call
        if callee is runtime.Unbound:
            return self.unbound_call
        return self.function_call

    def index_trick(self, node):
        """``np.r_[a, b]`` as ``np.concatenate((np.atleast_1d(a), np.atleast_1d(b)))``
        and ``np.c_[a, b]`` as ``np.column_stack((a, b))``, when no entry is a slice or a
        string (which make ranges and directives), else None."""
        if not isinstance(node.value, ast.Attribute) or not self.is_free(node.value) \
                or not isinstance(node.ctx, ast.Load):
            return None                     # (r_ imported alone: left as it is)
        trick = self.resolve(node.value)
        if trick is not np.r_ and trick is not np.c_:
            return None
        entries = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if any(isinstance(e, (ast.Slice, ast.Starred)) or isinstance(e, ast.Constant)
               and isinstance(e.value, str) for e in entries):
            return None
        module = node.value.value           # np
        if trick is np.c_:
            call = ast.Call(ast.Attribute(module, "column_stack", ast.Load()),
                            [ast.Tuple(list(entries), ast.Load())], [])
        else:
            call = ast.Call(ast.Attribute(module, "concatenate", ast.Load()), [ast.Tuple(
                [ast.Call(ast.Attribute(module, "atleast_1d", ast.Load()), [e], [])
                 for e in entries], ast.Load())], [])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def refuse_out(self, node):
        """An error for ``out=`` (not None) in the call ``node``: a write in place."""
        out = next((k.value for k in node.keywords if k.arg == "out"
                    and not (isinstance(k.value, ast.Constant) and k.value.value is None)), None)
        if out is not None:                                  # np.exp(y, out=y)
            raise self.error(node, f"`out=` in `{ast.unparse(node)}`, which writes into "
                             f"`{ast.unparse(out)}` in place", "Assign the result to a new "
                             "name instead: `y = np.exp(x)`, not `np.exp(x, out=y)`.")

    def unsupported(self, node, into):
        raise self.error(node)

    def temp_name(self, node, hint):
        suggestion = suggest_name(node)
        if suggestion and len(suggestion) <= 8 and suggestion.isidentifier() \
                and suggestion not in self.namer.taken and not keyword.iskeyword(suggestion):
            name = self.namer.reserve(suggestion)
        else:
            base = hint if len(hint) <= 6 else "t"
            base = self.base_names.get(base, base)
            name = self.namer.numbered(base + "_" if base[-1].isdigit() else base)
        self.temps.add(name)
        return name

    def load(self, node):
        name = node.id
        if name in self.local_functions:
            raise self.error(node, f"the nested function `{name}` used as a value",
                             f"Call `{name}` directly, or define it at module level.")
        if name in self.locals and name not in self.version:
            raise self.parsed.error(
                node, f"{self.node.name} reads `{name}` before assigning it",
                construct="unbound local", hint="Assign the variable before using it.")
        return ast.Name(self.version.get(name, name), ast.Load())

    def is_free(self, node):
        """Whether ``node`` is a name or dotted name read from outside the function: not a
        local, nor a temporary or SSA name the normalizer made (``z1.T``, an inlined
        function's parameter bound to an expression's value)."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id not in self.locals \
            and node.id not in self.temps and node.id not in self.user_names

    # one handler per class of expression -------------------------------------------

    def expression_Name(self, node, into):
        atom = self.atom(node, into.hint, into.lineno)
        return into.emit(atom, [atom], rules.lookup(Syntax("copy")))

    expression_Constant = expression_Name

    def expression_Attribute(self, node, into):
        if self.is_free(node):
            return self.expression_Name(node, into)
        if self.parameter_root(node) is not None:
            return self.parameter_attribute(node, into)    # cfg.lr (callables.py)
        return self.array_attribute(node, into)        # x.T, x.shape (arrays.py)

    def expression_BinOp(self, node, into):
        gate = self._sigmoid_argument(node)
        if gate is not None:
            u = self.atom(gate, into.hint, into.lineno)
            return into.emit(_with_sigmoid_argument(node, u), [u],
                             rules.lookup(Syntax("sigmoid")))
        left = self.atom(node.left, into.hint, into.lineno)
        right = self.atom(node.right, into.hint, into.lineno)
        value = ast.BinOp(left, node.op, right)
        if isinstance(node.op, _NONDIFF_OPS):
            return into.emit(value, [left, right], None, differentiable=False)
        return into.emit(value, [left, right], rules.lookup(Operator(type(node.op))))

    def expression_UnaryOp(self, node, into):
        operand = self.atom(node.operand, into.hint, into.lineno)
        value = ast.UnaryOp(node.op, operand)
        if isinstance(node.op, _NONDIFF_OPS):
            return into.emit(value, [operand], None, differentiable=False)
        return into.emit(value, [operand], rules.lookup(Operator(type(node.op))))

    def expression_Compare(self, node, into):
        """``a < b``; a string or ``None`` compared (``mode == "mean"``, ``kind in ("l1",
        "abs")``, ``b is None``) is a literal, and a parameter compared with one holds data,
        not a real (``opaque_params``)."""
        data = [_data_literal(n) for n in [node.left, *node.comparators]]
        left, *rest = [d if d is not None else self.atom(n, into.hint, into.lineno)
                       for d, n in zip(data, [node.left, *node.comparators])]
        operands = [left, *rest]
        if any(d is not None for d in data):
            for a in operands:
                if isinstance(a, ast.Name) and a.id in self.param_names:
                    self.opaque_params.setdefault(a.id, node)
        return into.emit(ast.Compare(left, node.ops, rest), [left, *rest], None,
                         differentiable=False)

    def expression_Tuple(self, node, into):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise self.error(node)
        elements = [self.atom(e, into.hint, into.lineno) for e in node.elts]
        name = into.emit(type(node)(elements, ast.Load()), elements,
                         rules.lookup(Syntax("display")))
        if self.array_code and type(node) is ast.Tuple and name == into.target:
            tuple_entries.note(self, name, elements)      # a, b = h(x): tuple_entries.py
        return name

    expression_List = expression_Tuple

    def expression_Subscript(self, node, into):
        joined = self.index_trick(node)                 # np.r_[a, b], np.c_[a, b]
        if joined is not None:
            return self.handler(joined)(joined, into)
        if self.split_part(node):                       # np.split(x, 2)[0] (arrays.py)
            return self.array_split_part(node, into)
        if self.array_code and (entry := tuple_entries.entry(self, node)) is not None:
            return into.emit(copy.deepcopy(entry), [entry], rules.lookup(Syntax("copy")))
        if self.array_code:                             # x[1:, ::-1], x[mask]... (arrays.py)
            return self.array_subscript(node, into)
        sequence = self.atom(node.value, into.hint, into.lineno)
        if not isinstance(sequence, ast.Name):
            raise self.error(node, "indexing a constant", "Index a variable.")
        index = self.index(node.slice, into.lineno)
        return into.emit(ast.Subscript(sequence, index, ast.Load()), [sequence, index],
                         rules.lookup(Syntax("getitem")))

    def expression_IfExp(self, node, into):
        """``a if c else b`` as an ``if`` statement assigning one name in both arms."""
        name = into.target or self.temp_name(node, into.hint or "t")
        where = dict(lineno=into.lineno, col_offset=getattr(node, "col_offset", 0))
        arms = [[ast.Assign([ast.Name(name, ast.Store(), **where)], value, **where)]
                for value in (node.body, node.orelse)]
        self.if_statement(ast.If(node.test, arms[0], arms[1], **where), synthetic=True)
        self.version.pop(name, None)
        return name

    def expression_BoolOp(self, node, into):
        """``a and b`` is ``b if a else a`` and ``a or b`` is ``a if a else b``, with ``a``
        evaluated once and ``b`` only when Python would."""
        lineno = into.lineno
        where = dict(lineno=lineno, col_offset=getattr(node, "col_offset", 0))
        left = node.values[0]
        for i, right in enumerate(node.values[1:]):
            first = self.atom(left, "c", lineno)
            first_node = ast.Name(first.id, ast.Load(), **where) if isinstance(first, ast.Name) \
                else first
            if isinstance(node.op, ast.And):
                choice = ast.IfExp(first_node, right, first_node, **where)
            else:
                choice = ast.IfExp(first_node, first_node, right, **where)
            last = i == len(node.values) - 2
            choice_into = Destination(self, into.target if last else None, into.hint or "c", lineno)
            left = ast.Name(self.expression_IfExp(choice, choice_into), ast.Load(), **where)
        return left.id

    # calls ---------------------------------------------------------------------------

    def function_call(self, node, into):
        """A call of a math function, a built-in, a custom rule or the user's function."""
        hint, lineno = into.hint, into.lineno
        callee = self.callee(node.func)
        if getattr(callee, "__module__", None) in _TRANSFORMS:       # grad(jvp(f, ...))
            name = ast.unparse(node.func)
            raise self.error(node, f"call of s2sdiff's `{name}` inside the function",
                             _OWN_TRANSFORMS_HINT)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(arg)
        if any(k.arg is None for k in node.keywords):
            raise self.error(node, "`**` in a call", "Pass keyword arguments by name.")
        self.refuse_out(node)
        if callee is float and len(node.args) == 1 and not node.keywords \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            try:                                    # float("inf"): the number
                number = float(node.args[0].value)
            except ValueError:
                number = None
            if number is not None:
                return self.expression_Constant(ast.copy_location(ast.Constant(number), node), into)
        if callee is len and len(node.args) == 1 and not node.keywords \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            # len(key) of a dict's key, unrolled to its literal: a literal too
            return self.expression_Constant(
                ast.copy_location(ast.Constant(len(node.args[0].value)), node), into)
        args = [self.atom(a, hint, lineno) for a in node.args]
        if callee is sorted and not self.array_code:         # sorted(xs): sorting.py
            return sorting.step(self, node, args, node.keywords, into)
        if callee is math.fsum and not self.array_code:      # math.fsum(xs): extrema.py
            return extrema.fsum_step(self, node, args, node.keywords, into)
        if callee is runtime.argsort:      # its permutation, in generated code: a constant
            return sorting.order_step(self, node, args, into)
        if callee in extrema.KEYS and node.keywords and args:    # max(xs, key=abs)
            if len(args) > 1:                                    # max(a, b, key=abs)
                args = [ast.Name(self.atom(ast.List(args, ast.Load()), "items", lineno).id,
                                 ast.Load())]
            return extrema.step(self, node, callee, args, node.keywords, into)
        own = getattr(callee, "__module__", None) == runtime.__name__   # cumprod_tangent(...,
        keywords = [ast.keyword(k.arg, copy.deepcopy(k.value) if own and isinstance(  # axis=None)
            k.value, ast.Constant) and k.value.value is None else self.atom(k.value, hint, lineno))
            for k in node.keywords]
        value = ast.Call(copy_load(node.func), args, keywords)
        rule = rules.lookup(Function(callee, len(args)))
        if callee in extrema.KEYS and len(args) == 1:        # max(xs): extrema.py
            return extrema.step(self, node, callee, args, keywords, into)
        if getattr(callee, "__module__", None) == "s2sdiff.linalg_runtime" \
                or callee in _HELPERS_WITHOUT_ROWS:
            # a derivative of np.linalg in generated code, differentiated again: no rule
            return into.emit(value, args + [k.value for k in keywords], None, callee)
        if rule is None and custom.rule_of(callee) is None and isinstance(callee, types.FunctionType) \
                and not is_library(callee) and not self._part_of_custom_rule(node.func):
            return into.emit(value, self.bind(node, callee, args, keywords),
                             rules.lookup(Syntax("call")), callee)
        if custom.rule_of(callee) is not None:
            if keywords:
                raise self.error(node, f"keyword arguments to the {callee.kind} function "
                                 f"`{ast.unparse(node.func)}`", "Pass the arguments by position.")
            return into.emit(value, args, None, callee, custom_rule=callee)
        if isinstance(rule, rules.Nondifferentiable):
            return into.emit(value, args + [k.value for k in keywords], None, callee,
                             differentiable=False)
        if rule is not None and keywords:
            raise self.error(node, f"keyword arguments to {rule.name}",
                             "Pass the arguments by position.")
        if rule is not None and rule.arity not in (None, len(args)):
            raise self.error(node, f"{rule.name} with {len(args)} arguments",
                             f"Call it with {rule.arity} arguments.")
        if rule is not None and rule.arity is None and len(args) < 2:
            raise self.error(node, f"{rule.name} of a single iterable",
                             "Pass the values as separate arguments: max(a, b, c).")
        return into.emit(value, args + [k.value for k in keywords], rule, callee)

    def ieee_call(self, node, into):
        """``ieee('/', a, b)`` or ``ieee(math.sqrt, a)`` in the IEEE version of generated
        code (``runtime.ieee``; ``hessian`` differentiates it where a gradient is
        infinite): the primitive's rule, its forward kept as the IEEE call."""
        operation, *operands = node.args
        if isinstance(operation, ast.Constant) and operation.value in _IEEE_OPERATORS:
            key, callee = Operator(_IEEE_OPERATORS[operation.value]), None
        else:
            callee = self.callee(operation)
            key = Function(callee, len(operands))
        rule = rules.lookup(key)
        constant = key == Operator(ast.FloorDiv) or isinstance(rule, rules.Nondifferentiable)
        if rule is None and not constant:
            raise self.error(node)
        args = [self.atom(a, into.hint, into.lineno) for a in operands]
        return into.emit(ast.Call(copy_load(node.func), [copy_load(operation), *args], []), args,
                         None if constant else rule, callee, differentiable=not constant)

    def unbound_call(self, node, into):
        """``Unbound('y')`` in generated code (``hessian`` differentiates it): a constant
        that raises where it is read, kept as it is."""
        return into.emit(ast.Call(copy_load(node.func), copy.deepcopy(node.args), []), [], None,
                         runtime.Unbound, differentiable=False)

    def _part_of_custom_rule(self, func):
        """``f.fwd``, ``f.bwd``, ``f.jvp``...: the user's rule, never differentiated."""
        return isinstance(func, ast.Attribute) and \
            custom.rule_of(self.resolve(func.value)) is not None

    def is_user_function(self, func):
        callee = self.resolve(func)
        return isinstance(callee, types.FunctionType) and custom.rule_of(callee) is None \
            and rules.lookup(Function(callee)) is None

    def bind(self, node, callee, args, keywords):
        """The arguments of a call of the user's ``callee`` in parameter order, defaults
        filled in as literals: what its generated pullback is called with."""
        name = ast.unparse(node.func)
        try:
            signature = inspect.signature(callee)
        except (TypeError, ValueError):
            raise self.error(node, f"call of `{name}`, whose signature cannot be read") from None
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
            if hasattr(callee, "__s2sdiff_origin__"):    # generated for each argument kind
                origin = callee.__s2sdiff_origin__
                owner = getattr(origin, "__qualname__", "").rpartition(".")[0]
                raise self.error(
                    node, f"call of `{name}`, a derivative s2sdiff generates for the shapes "
                          f"of its arguments at its first call (NumPy code)",
                    f"A method of an object of your module (`{owner}.{origin.__name__}`) is "
                    f"differentiated twice only as a function: write it as "
                    f"`def {origin.__name__}(..., data)` called with the object's data."
                    if owner and "<locals>" not in owner else
                    "Differentiate the original function to second order instead: "
                    "s2sdiff.hessian(f) or s2sdiff.hvp(f, primals, tangents).")
            raise self.error(node, f"call of `{name}`, which takes *args or **kwargs",
                             f"Give `{name}` named parameters.")
        try:
            bound = signature.bind(*args, **{k.arg: k.value for k in keywords})
        except TypeError as error:
            raise self.error(node, f"call of `{name}` that does not match its signature "
                             f"({error})", "Pass the arguments its parameters name.") from None
        bound.apply_defaults()
        values = []
        for parameter, value in bound.arguments.items():
            if not isinstance(value, ast.AST):
                if not (value is None or isinstance(value, (bool, int, float))):
                    raise self.error(node, f"call of `{name}` using the default "
                                     f"{parameter}={value!r}", f"Pass `{parameter}` explicitly.")
                value = ast.Constant(value)
            values.append(value)
        return values

    def callee(self, func):
        value = self.resolve(func)
        if value is _UNRESOLVED:
            what = ast.unparse(func)
            if self.is_free(func):
                raise self.parsed.error(
                    func, f"s2sdiff cannot resolve `{what}` called in {self.node.name}",
                    construct="call", hint=f"Define `{what}` before differentiating {self.node.name}.")
            passed = object_parameters.refusal(self.parsed, func)   # model(x), model.loss(x)
            if passed is not None and methods.unresolved(self.parsed, func) is None:
                raise self.error(func, *passed)
            loop = next((loop for loop in self.parsed.of(ast.For) if isinstance(func, ast.Name)
                         and any(isinstance(n, ast.Name) and n.id == what
                                 for n in ast.walk(loop.target))), None)
            if loop is not None:
                what, reduced = getattr(loop, "s2sdiff_reduce", (what, None))
                raise self.error(func, f"call of `{what}`, a loop variable over functions "
                                 f"or objects" + (f" (of `{reduced}`)" if reduced else ""),
                                 FUNCTION_LOOP_HINT)
            if isinstance(func, ast.Name):
                raise self.error(func, f"call of the local variable `{what}`",
                                 f"Call a function defined outside {self.node.name}, and do not "
                                 f"assign to `{what}` inside it. A function made by a factory "
                                 f"of your module (`{what} = make(a)`) is inlined when the "
                                 f"factory has no defaults and only defines and returns it.")
            if isinstance(func, ast.Lambda):
                raise self.error(func, "call of a lambda where it is written",
                                 "Bind it to a name first (`square = lambda t: t * t`, then "
                                 "`square(x)`), which s2sdiff inlines, or write its body inline.")
            made_by = self.resolve(func.func) if isinstance(func, ast.Call) else None
            if getattr(made_by, "__module__", None) in _TRANSFORMS:     # grad(sq)(z) inside
                raise self.error(func, f"call of s2sdiff's `{what}` inside the function",
                                 _OWN_TRANSFORMS_HINT)
            if not isinstance(func, ast.Attribute):
                raise self.error(func, f"call of the value of `{what}`",
                                 "Call a function by its name (math.sin(x), a function you "
                                 "defined), not a value computed in the expression.")
            method = methods.unresolved(self.parsed, func)    # self.m(x) (methods.py)
            if method is not None:
                raise self.error(func, *method)
            record = records.refusal(self.parsed, func)     # v = Vec(a, b), v.norm()
            if record is not None:
                raise self.error(func, *record)
            raise self.error(func, f"method call `{what}(...)`",
                             "Call functions of modules (math.sin(x)) rather than methods of values.")
        refusal = in_place_refusal(value, func)
        if refusal is not None:
            raise self.error(func, *refusal)
        return value

    def resolve(self, func):
        """The object the free name or dotted free name ``func`` denotes, or ``_UNRESOLVED``."""
        method = methods.resolve(self.parsed, func)       # type(self).m (methods.py)
        if method is not None:
            self.opaque_params.setdefault(methods.instance_call(func), func)
            return method
        if isinstance(func, ast.Name) and self.function_parameter(func.id) is not None:
            self.opaque_params.setdefault(func.id, func)
            return self.function_parameter(func.id)     # f=np.tanh (callables.py)
        if not self.is_free(func):
            return _UNRESOLVED
        parts = []
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        try:
            value = self.parsed.lookup(func.id)
            for attr in reversed(parts):
                value = getattr(value, attr)
        except (NameError, AttributeError):
            return _UNRESOLVED
        return value

    def _sigmoid_argument(self, node):
        """``u`` if ``node`` is ``1 / (1 + exp(-u))`` (either order of the sum), else None."""
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                and is_one(node.left) and isinstance(node.right, ast.BinOp)
                and isinstance(node.right.op, ast.Add)):
            return None
        one, call = node.right.left, node.right.right
        if not is_one(one):
            one, call = call, one
        if not (is_one(one) and isinstance(call, ast.Call) and len(call.args) == 1
                and not call.keywords and isinstance(call.args[0], ast.UnaryOp)
                and isinstance(call.args[0].op, ast.USub)):
            return None
        if self.resolve(call.func) not in rules.EXP_FUNCTIONS:
            return None
        return call.args[0].operand



def _with_sigmoid_argument(gate, atom):
    """The gate ``c / (1 + exp(-u))`` with ``u`` replaced by ``atom``, sum order kept."""
    total = gate.right
    call = total.right if isinstance(total.right, ast.Call) else total.left
    new_call = ast.Call(copy_load(call.func), [ast.UnaryOp(ast.USub(), atom)], [])
    one = ast.Constant((total.left if call is total.right else total.right).value)
    pair = (one, new_call) if call is total.right else (new_call, one)
    return ast.BinOp(ast.Constant(gate.left.value), ast.Div(), ast.BinOp(pair[0], ast.Add(), pair[1]))


def copy_load(node):
    """A fresh load of a name or dotted name (other nodes as they are)."""
    if isinstance(node, ast.Name):
        return ast.Name(node.id, ast.Load())
    if isinstance(node, ast.Attribute):
        return ast.Attribute(copy_load(node.value), node.attr, ast.Load())
    return node


def _data_literal(node):
    """``node`` itself if it is a string or ``None`` literal, or a display of literals
    with one of them; else None."""
    def literal(n):
        return isinstance(n, ast.Constant) and (n.value is None or isinstance(n.value, str))
    if literal(node):
        return copy.deepcopy(node)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts \
            and all(isinstance(e, ast.Constant) for e in node.elts) \
            and any(literal(e) for e in node.elts):
        return ast.Constant(tuple(e.value for e in node.elts))     # an atom: one constant
    return None
