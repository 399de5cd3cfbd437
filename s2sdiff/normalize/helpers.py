"""Calls of the user's own Python functions in NumPy code, inlined before SSA.

``inline_helpers(parsed)`` returns ``parsed`` with every call of a user's helper (a
function defined in the user's files, not a library's, without a rule of its own)
replaced by the helper's body, when the caller is NumPy code, the helper reaches NumPy
code, or the call passes a function (``rk4_step(decay, y, t, h)``); other scalar code keeps
calling helpers through their generated pullbacks (``reverse``).  After this pass:

* ``y = h(a, b)`` became the helper's statements, hoisted before the statement that made
  the call, then the statement with the call replaced by the helper's returned expression;
  a helper with several returns, ``if`` or loops has its exits made canonical first
  (``control.canonical_body``), so its control flow runs in the caller as written;
* the helper's locals are renamed after it (``sigmoid_z``, ``logsumexp_m``), fresh in
  the caller; an argument that is a name or a literal is substituted for its parameter
  (when the helper never assigns that parameter), any other is evaluated once into the
  parameter's new name; defaults are filled in as literals, or as cells holding them;
* free names of the helper mean in the caller what they meant in the helper: a module
  the caller sees under the same name stays as written (``np``), a global of the
  helper's own module is read through that module (``helpers.SCALE``, live), a closure
  variable through the same cell, and a function passed for a parameter (``act=relu``,
  ``act=np.tanh``) or bound to a parameter's default is called under the caller's name
  for it, so helpers passed around are inlined in turn;
* helpers called by helpers are inlined too; a recursive helper is refused, as are calls
  in a ``while`` condition, in an arm of ``x if c else y`` or after the first operand of
  ``and``/``or`` (Python might not evaluate them there), in a lambda not bound to a
  name, and helpers that ``yield``, write globals, nonlocals or attributes, or use
  ``try``, ``with`` or ``async`` (at the helper's line); a ``return`` inside a helper's
  loop is a ``break`` with a flag, as in the caller (``control.canonical_body``);
* ``parsed.returns`` says what a name holding a helper's returned value holds (``the
  value `shrink` returns``), for messages;
* ``parsed.inlined`` lists ``(spelling, function)`` for each helper inlined, spelled as
  the generated code can read it, so that the generated code checks on entry that the
  name still holds that function and generates again otherwise (``emit.guarded_calls``).

Inlined statements carry the line of the call, and their own (``s2sdiff_at``): an error
names the helper's line and the call's; the generated code uses the helper's names.

>>> import numpy as np
>>> def sigmoid(z):
...     return 1 / (1 + np.exp(-z))
>>> def f(w, X):
...     return np.sum(sigmoid(X @ w))
>>> from s2sdiff.parse import parse
>>> print(ast.unparse(inline_helpers(parse(f)).node))
def f(w, X):
    sigmoid_z = X @ w
    return np.sum(1 / (1 + np.exp(-sigmoid_z)))
"""

import ast
import copy
import dataclasses
import inspect
import sys
import types

import numpy as np

from .. import numpy_definitions, control
from ..names import Namer
from ..parse import parse
from ..syntax import bound_names as _bound_names
from .inline_folds import fold_none_tests, hashable, with_origin
from .helper_refusals import unsupported_in_helper
from ..user_functions import is_helper
from .statements import Normalizer
from .. import methods

_LITERALS = (type(None), bool, int, float, complex, str)


def inline_helpers(parsed, force=None):
    """``parsed`` with its helpers inlined (see the module docstring), or ``parsed``
    itself when it calls none that need it.  ``force(call)``: inline only the calls for
    which it holds, in scalar code too (helpers given trees, ``tree_helpers.py``)."""
    func = parsed.func
    if hasattr(func, "__s2sdiff_origin__"):
        return parsed
    calls = parsed.of(ast.Call)         # of the walk the other scans share
    if not calls:
        return parsed
    inliner = _Inliner(parsed)
    inliner.force = force
    known = {}
    if not any(inliner.wanted_call(n, known) for n in calls):    # wanted()
        return parsed
    try:
        node = copy.deepcopy(parsed.node)
        node.body = inliner.block(node.body, stack=())
    except RecursionError:
        raise parsed.error(parsed.node, f"s2sdiff cannot differentiate {parsed.node.name}: "
                                        f"expression nested this deeply is not supported",
                           construct="expression nested this deeply",
                           hint="Split it into several assignments.") from None
    ast.fix_missing_locations(node)
    closure = dict(parsed.closure)
    closure.update(inliner.cells)
    result = dataclasses.replace(parsed, node=node, closure=closure)
    result.inlined = tuple(parsed.inlined) + tuple(inliner.inlined)   # earlier passes' too
    result.opaque = {**parsed.opaque, **inliner.opaque}
    result.returns = {**parsed.returns, **inliner.returns}
    return result


class _Inliner:
    def __init__(self, parsed):
        self.parsed = parsed
        self.name = parsed.node.name
        self._namer = None          # made when a helper is inlined (``namer``)
        self.locals = _bound_names(parsed.node, parsed)
        self.cells = {}             # new free name -> cell
        self.inlined = []           # (spelling, function)
        self.returns = {}           # new name -> what it holds, for messages
        self.opaque = {}            # caller's parameter called as a function -> its node
        self.handles = {}           # id(globals dict) -> the caller's name for that module
        self._arrays = {}           # function -> whether it reaches NumPy code
        self._array_caller = None
        self.params = _param_names(parsed.node)
        self.force = None           # inline_helpers' ``force``

    @property
    def namer(self):
        """The caller's names, found only once a helper is inlined (most functions call
        none: a walk of the function less)."""
        if self._namer is None:
            self._namer = Namer.for_function(self.parsed.node)
        return self._namer

    # deciding -----------------------------------------------------------------------

    @property
    def array_caller(self):
        if self._array_caller is None:
            self._array_caller = _is_array_code(self.parsed)
        return self._array_caller

    def wanted(self, node):
        """Whether ``node`` calls a helper this pass inlines."""
        return any(isinstance(n, ast.Call) and self.helper_of(n.func, n) is not None
                   for n in ast.walk(node))

    def wanted_call(self, call, known):
        """``helper_of(call.func, call) is not None``, before any inlining; without
        ``force``, the same for every call of a dotted name (``math.sin``): found once,
        in ``known`` (dotted name -> the answer).  Inlining binds new names: then the
        answer may change."""
        spelling, root = [], call.func
        while root.__class__ is ast.Attribute:
            spelling.append(root.attr)
            root = root.value
        if self.force is not None or root.__class__ is not ast.Name:
            return self.helper_of(call.func, call) is not None
        key = (root.id, *spelling)
        if key not in known:
            known[key] = self.helper_of(call.func, call) is not None
        return known[key]

    def helper_of(self, func, call=None):
        """The helper the call of ``func`` inlines, or None; in NumPy code, a NumPy
        function s2sdiff differentiates through its definition (``numpy_definitions``)."""
        value = self.resolve(func)
        if self.force is None and (value in numpy_definitions.OWN or hashable(value)
                                   and value in numpy_definitions.DEFINITIONS):
            definition = numpy_definitions.DEFINITIONS.get(value, value)
            return definition if self.array_caller or self.reaches_arrays(value, ()) else None
        if not is_helper(value):
            return None
        if self.force is not None:
            return value if call is not None and self.force(call) else None
        if self.array_caller or self.reaches_arrays(value, ()):
            return value
        if call is not None and any(self.passes_function(a) for a in call.args):
            return value          # rk4(decay, y): inlined, the callee calls `decay`
        return None

    def passes_function(self, arg):
        """Whether the argument ``arg`` is the name of a function (``decay``, ``math.exp``),
        which a helper's pullback could not call: the helper is inlined instead."""
        if not isinstance(arg, (ast.Name, ast.Attribute)):
            return False
        value = self.resolve(arg)
        return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, np.ufunc))

    def reaches_arrays(self, func, seen):
        """Whether ``func`` or a helper it calls is NumPy code."""
        if func in self._arrays:
            return self._arrays[func]
        if func in seen:
            return False
        try:
            parsed = parse(func)
        except Exception:          # unreadable: the call stays, and is refused later
            return False
        found = _is_array_code(parsed)
        if not found:
            for node in ast.walk(parsed.node):
                if isinstance(node, ast.Call):
                    callee = _resolve_in(parsed, node.func, _bound_names(parsed.node))
                    if is_helper(callee) and self.reaches_arrays(callee, seen + (func,)):
                        found = True
                        break
        self._arrays[func] = found
        return found

    def resolve(self, func):
        """The object the caller's free name or dotted name ``func`` denotes (a parameter
        whose default is a function: that default), or None."""
        method = methods.resolve(self.parsed, func)     # type(self).m (methods.py)
        if method is not None:
            return method
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        if isinstance(func, ast.Name) and func.id in self.params:
            default = self.function_default(func.id)
            return default
        if root.id in self.locals:
            return None
        return _resolve_in(self.parsed, func, set())

    def function_default(self, name):
        if name in self.locals - set(self.params):
            return None
        if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in ast.walk(self.parsed.node)):
            return None
        try:
            default = inspect.signature(self.parsed.func).parameters[name].default
        except (TypeError, ValueError, KeyError):
            return None
        return default if is_helper(default) else None

    # rewriting ----------------------------------------------------------------------

    def error(self, node, what, hint):
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {self.name}: {what} is not supported",
            construct=what, hint=hint)

    def block(self, stmts, stack):
        """The statements ``stmts`` with the helper calls in them inlined."""
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt, stack))
        return out

    def statement(self, stmt, stack):
        hoisted = []
        expressions = _Expressions(self, hoisted, stack, stmt)
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            if stmt.value is not None:
                if isinstance(stmt.value, ast.Lambda) and isinstance(stmt, ast.Assign) \
                        and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                        and self.calls_helper(stmt.value.body):
                    return self.statement(_as_def(stmt), stack)
                stmt.value = expressions.visit(stmt.value)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                expressions.visit(target)
        elif isinstance(stmt, (ast.Expr, ast.Return)):
            if stmt.value is not None:
                stmt.value = expressions.visit(stmt.value)
        elif isinstance(stmt, ast.If):
            stmt.test = expressions.visit(stmt.test)
            stmt.body = self.block(stmt.body, stack)
            stmt.orelse = self.block(stmt.orelse, stack)
        elif isinstance(stmt, ast.For):
            stmt.iter = expressions.visit(stmt.iter)
            stmt.body = self.block(stmt.body, stack)
            stmt.orelse = self.block(stmt.orelse, stack)
        elif isinstance(stmt, ast.While):
            if self.calls_helper(stmt.test):
                raise self.error(stmt.test, "a call of your function in a `while` condition",
                                 "Compute the condition into a variable before the loop and "
                                 "again at the end of its body, and test that variable.")
            stmt.body = self.block(stmt.body, stack)
            stmt.orelse = self.block(stmt.orelse, stack)
        elif isinstance(stmt, ast.FunctionDef):
            stmt.body = self.block(stmt.body, stack)
        return hoisted + [stmt]

    def calls_helper(self, node):
        return any(isinstance(n, ast.Call) and self.helper_of(n.func, n) is not None
                   for n in ast.walk(node))

    def inline(self, call, helper, hoisted, stack, where):
        """The expression replacing ``call`` (of ``helper``); its statements go to
        ``hoisted``."""
        if helper in stack:
            chain = " -> ".join(f.__name__ for f in stack + (helper,))
            raise self.error(where, f"recursive call of your function `{helper.__name__}` "
                             f"({chain}) from NumPy code",
                             f"Write `{helper.__name__}` with a loop instead of recursion, or "
                             f"call it from code without NumPy calls.")
        parsed = methods.rewrite(parse(helper))     # a method's self.m(x) (methods.py)
        node = parsed.node
        label = node.name if node.name.isidentifier() else "helper"
        label = label.strip("_") or "helper" if label.endswith("__") else label  # __call__
        what = f"your function `{label}`"
        args = node.args
        if args.vararg or args.kwarg:
            raise self.error(where, f"a call of {what}, which takes *args or **kwargs",
                             f"Give `{label}` named parameters.")
        if any(isinstance(a, ast.Starred) for a in call.args) \
                or any(k.arg is None for k in call.keywords):
            raise self.error(where, f"`*` or `**` in a call of {what}",
                             "Pass the arguments one by one.")
        for sub in ast.walk(node):
            problem = unsupported_in_helper(sub)
            if problem is not None:
                raise parsed.error(
                    sub, f"s2sdiff cannot differentiate {self.name}: it calls {what}, "
                         f"which uses {problem[0]}", construct=problem[0], hint=problem[1])
        try:
            bound = inspect.signature(helper).bind(
                *call.args, **{k.arg: k.value for k in call.keywords})
        except TypeError as error:
            raise self.error(where, *numpy_definitions.call_refusal(helper, error, what)) from None
        bound.apply_defaults()
        body = control.canonical_body(node, Namer.for_function(node))
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]                         # its docstring
        locals_ = _bound_names(node) | {n.id for s in body for n in ast.walk(s)
                                        if isinstance(n, ast.Name)
                                        and isinstance(n.ctx, ast.Store)}
        assigned = {n.id for s in body for n in ast.walk(s)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        mapping, prelude = {}, []
        for param, value in bound.arguments.items():
            if isinstance(value, ast.AST):
                if param not in assigned and (
                        isinstance(value, ast.Constant) or _is_dotted(value)):
                    mapping[param] = value
                    continue
                new = self.namer.fresh(f"{label}_{param}")
                self.locals.add(new)
                prelude.append(ast.Assign([ast.Name(new, ast.Store())], value))
                mapping[param] = ast.Name(new, ast.Load())
            elif isinstance(value, _LITERALS) and param not in assigned:
                mapping[param] = ast.Constant(value)
            else:
                new = self.namer.fresh(f"{label}_{param}")
                self.cells[new] = types.CellType(value)
                if param in assigned:
                    fresh = self.namer.fresh(f"{label}_{param}")
                    prelude.append(ast.Assign([ast.Name(fresh, ast.Store())],
                                              ast.Name(new, ast.Load())))
                    new = fresh
                mapping[param] = ast.Name(new, ast.Load())
        free = {n.id for s in body for n in ast.walk(s)
                if isinstance(n, ast.Name) and n.id not in mapping and n.id not in locals_}
        for name in sorted(free):
            mapping[name] = self.free_name(parsed, name, label, where)
        for name in sorted(locals_ - set(mapping)):
            base = "out" if name == node.name else name
            entry = name[len(node.name) + 1:]
            if name.startswith(f"{node.name}_returned"):     # canonical_body's flag
                base = entry
            elif entry.isdigit() and name.startswith(f"{node.name}_"):
                base = f"out_{entry}"                        # an entry of its display
            mapping[name] = ast.Name(self.namer.fresh(f"{label}_{base}"), ast.Load())
            if base.startswith("out") and base != name:
                self.returns[mapping[name].id] = f"the value `{label}` returns" \
                    if base == "out" else f"entry {entry} of the tuple `{label}` returns"
            elif not name.startswith(f"{node.name}_"):       # the helper's own local
                self.returns[mapping[name].id] = f"`{name}` in `{label}`"
            self.locals.add(mapping[name].id)
        renamed = fold_none_tests([_Rename(mapping).visit(with_origin(
            copy.deepcopy(s), parsed.filename, node.name)) for s in body])
        for stmt in prelude + renamed:
            for sub in ast.walk(stmt):
                if "lineno" in sub._attributes:
                    sub.lineno = sub.end_lineno = where.lineno
                    sub.col_offset, sub.end_col_offset = 0, 0
        if renamed and isinstance(renamed[-1], ast.Return) and renamed[-1].value is not None:
            *statements, last = renamed
            value = last.value
        else:                       # no `return` at the end: the call's value is None
            statements, value = renamed, ast.Constant(None)
        inner = stack + (helper,)
        hoisted.extend(prelude)
        hoisted.extend(self.block(statements, inner))
        expressions = _Expressions(self, hoisted, inner, where)
        if helper not in numpy_definitions.OWN:      # NumPy's: not the user's to rebind
            self.inlined.append((self.spelling(call.func), helper))
        return expressions.visit(value)

    def spelling(self, func):
        """``func`` as the generated code reads it (a parameter of the caller whose
        default is the helper: the parameter)."""
        if isinstance(func, ast.Name) and func.id in self.params:
            self.opaque.setdefault(func.id, func)
        return _load(func)

    def free_name(self, parsed, name, label, where):
        """The caller's expression for the helper's free ``name``."""
        helper = parsed.func
        if name in parsed.closure:
            new = self.namer.fresh(f"{label}_{name}")
            self.cells[new] = parsed.closure[name]
            return ast.Name(new, ast.Load())
        try:
            value = parsed.lookup(name)
        except NameError:
            raise parsed.error(where, f"s2sdiff cannot differentiate {self.name}: your "
                                      f"function `{label}` reads `{name}`, which is not "
                                      f"defined", construct="undefined name",
                               hint=f"Define `{name}` before differentiating.") from None
        same_module = helper.__globals__ is self.parsed.func.__globals__
        visible = name not in self.locals and name not in self.namer_new_names() and \
            self.parsed.lookup(name, _Missing) is value
        if visible and (same_module or isinstance(value, types.ModuleType)
                        or name not in helper.__globals__):
            self.namer.reserve(name)
            return ast.Name(name, ast.Load())
        if isinstance(value, types.ModuleType):       # `onp` there, `np` here
            for alias, other in self.parsed.func.__globals__.items():
                if other is value and alias not in self.locals and alias.isidentifier():
                    return ast.Name(self.namer.reserve(alias), ast.Load())
        if name not in helper.__globals__:          # a builtin the caller shadows
            new = self.namer.fresh(f"{label}_{name}")
            self.cells[new] = types.CellType(value)
            return ast.Name(new, ast.Load())
        return ast.Attribute(ast.Name(self.module_handle(helper), ast.Load()), name, ast.Load())

    def namer_new_names(self):
        return self.cells.keys()

    def module_handle(self, helper):
        """The caller's name for the module of ``helper``, read live."""
        key = id(helper.__globals__)
        if key not in self.handles:
            module = sys.modules.get(helper.__module__)
            if module is None or module.__dict__ is not helper.__globals__:
                module = _Namespace(helper.__globals__)
            for name, value in self.parsed.func.__globals__.items():
                if value is module and name not in self.locals and name.isidentifier():
                    self.handles[key] = self.namer.reserve(name)
                    break
            else:
                short = (helper.__module__ or "helpers").split(".")[-1].strip("_") or "helpers"
                new = self.namer.fresh(short if short.isidentifier() else "helpers")
                self.cells[new] = types.CellType(module)
                self.handles[key] = new
        return self.handles[key]


class _Missing:
    pass


class _Namespace:
    """A module's globals read as attributes (live), for code run without a module."""

    def __init__(self, namespace):
        self.__dict__ = namespace


class _Expressions(ast.NodeTransformer):
    """Inlines the helper calls of one expression, innermost first, left to right."""

    def __init__(self, inliner, hoisted, stack, stmt):
        self.inliner, self.hoisted, self.stack, self.stmt = inliner, hoisted, stack, stmt

    def visit_Call(self, node):
        self.generic_visit(node)
        helper = self.inliner.helper_of(node.func, node)
        if helper is None:
            return node
        return self.inliner.inline(node, helper, self.hoisted, self.stack, self.stmt)

    def visit_IfExp(self, node):
        """``f(a) if c else g(b)`` calling helpers: an ``if`` statement assigning a new
        name in each arm, each helper inlined in its arm (run only where Python runs it)."""
        node.test = self.visit(node.test)
        if not (self.inliner.calls_helper(node.body) or self.inliner.calls_helper(node.orelse)):
            return node
        returned = isinstance(self.stmt, ast.Return) and self.stmt.value is node
        name = self._fresh(self.inliner.name if returned else "chosen")   # the output's name
        self._hoist(ast.If(node.test, [self._assign(name, node.body)],
                           [self._assign(name, node.orelse)]))
        return ast.Name(name, ast.Load())

    def visit_BoolOp(self, node):
        """``a and h(b)``: ``t = a`` then ``if t: t = h(b)`` (``or``: ``if not t``)."""
        node.values[0] = self.visit(node.values[0])
        if not any(self.inliner.calls_helper(v) for v in node.values[1:]):
            return node
        name = self._fresh("both" if isinstance(node.op, ast.And) else "either")
        self.hoisted.append(self._assign(name, node.values[0]))
        for value in node.values[1:]:
            test = ast.Name(name, ast.Load())
            if isinstance(node.op, ast.Or):
                test = ast.UnaryOp(ast.Not(), test)
            self._hoist(ast.If(test, [self._assign(name, value)], []))
        return ast.Name(name, ast.Load())

    def _fresh(self, base):
        name = self.inliner.namer.fresh(base)
        self.inliner.locals.add(name)
        return name

    def _assign(self, name, value):
        return ast.Assign([ast.Name(name, ast.Store())], value, lineno=self.stmt.lineno,
                          col_offset=0)

    def _hoist(self, stmt):
        ast.copy_location(stmt, self.stmt)
        self.hoisted.extend(self.inliner.statement(stmt, self.stack))

    def visit_Lambda(self, node):
        self._scope(node)
        return node

    def _scope(self, node):
        if self.inliner.calls_helper(node):
            raise self.inliner.error(node, "a call of your function inside a lambda or "
                                     "comprehension here",
                                     "Bind the lambda to a name with `def`, or write the "
                                     "comprehension as a loop.")
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scope


class _Rename(ast.NodeTransformer):
    """Every name and parameter of a helper to its name in the caller."""

    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        new = self.mapping.get(node.id)
        if new is None:
            return node
        if isinstance(node.ctx, ast.Load):
            return copy.deepcopy(new)
        return ast.Name(new.id, node.ctx)

    def visit_arg(self, node):
        new = self.mapping.get(node.arg)
        if isinstance(new, ast.Name):
            node.arg = new.id
        return node

    def visit_FunctionDef(self, node):
        new = self.mapping.get(node.name)
        if isinstance(new, ast.Name):
            node.name = new.id
        self.generic_visit(node)
        return node


def _as_def(stmt):
    """``name = lambda args: e`` as ``def name(args): return e``."""
    lam = stmt.value
    body = ast.copy_location(ast.Return(lam.body), stmt)
    node = ast.FunctionDef(stmt.targets[0].id, lam.args, [body], [], None, None)
    return ast.fix_missing_locations(ast.copy_location(node, stmt))


def _is_dotted(node):
    while isinstance(node, ast.Attribute) or getattr(node, "s2sdiff_element", False):
        node = node.value
    return isinstance(node, ast.Name)


def _load(node):
    return copy.deepcopy(node)


def _param_names(node):
    args = node.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def _resolve_in(parsed, func, local):
    """The object a free dotted name denotes for ``parsed``'s function, or None."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id in local:
        return None
    try:
        value = parsed.lookup(func.id)
        for attr in reversed(parts):
            value = getattr(value, attr)
    except (NameError, AttributeError):
        return None
    return value


def _is_array_code(parsed):
    try:
        return Normalizer(parsed).array_code
    except Exception:
        return False
