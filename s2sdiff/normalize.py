"""Split a function body into SSA form: one primitive per assignment.

After this pass the body of a ``Program`` is a list of ``Step``s and ``Passive``s:

    step     ::= NAME = atom                      (copy)
               | NAME = atom BINOP atom           (+ - * / ** % // @ and bit operators)
               | NAME = UNARYOP atom              (- + not ~)
               | NAME = atom CMPOP atom ...       (comparison, a constant for AD)
               | NAME = callee(atom, ..., kw=atom)
               | NAME = c / (1 + exp(-atom))      (the sigmoid gate of seed 002)
    passive  ::= assert ... | print(...)          (run in the forward sweep, not differentiated)
    output   ::= atom | atom, atom, ...           (what the function returns)
    atom     ::= NAME | CONSTANT | free.dotted.name

* every NAME is assigned exactly once (static single assignment); a user variable keeps
  its name at its first assignment and later assignments get ``x_2``, ``x_3``...;
* temporaries get short names derived from their expression (``xpy`` for ``x + y``,
  ``expx`` for ``exp(x)``) or numbered after their target (``f1``, ``f2``);
* ``callee`` is a free name or dotted free name, resolved to the object it calls;
* each step records its rule (``None`` for constants and unknown calls), its number
  ``(k)`` in the forward sweep and the user's source line; a call of a ``custom_vjp`` or
  ``custom_jvp`` wrapper (``custom.py``) records the wrapper as ``custom`` instead of a rule.

``validate`` checks these shapes; any other construct raises ``UnsupportedError`` with
the file, line and source line.

>>> import math
>>> def f(x, y):
...     return math.sin(x * y) + x
>>> print(format_program(normalize(parse(f))))
xty = x * y  # (1)
sinxty = math.sin(xty)  # (2)
f = sinxty + x  # (3)
return f
"""

import ast
from dataclasses import dataclass, field

from . import arrays, custom, rules
from .build import unparse
from .errors import NotScalarError, UnsupportedError
from .names import Namer
from .parse import Parsed, parse  # noqa: F401  (parse is used by the doctest)


@dataclass
class Step:
    """``target = value``: one primitive over atoms."""
    target: str
    value: ast.expr
    args: list                # atoms, in the order the rule's partials come
    rule: object              # rules.Rule, or None for a constant / unknown call
    number: int
    lineno: int
    callee: object = None     # the called object, for calls
    differentiable: bool = True   # False: piecewise constant (comparison, floor, ...)
    custom: object = None     # the custom_vjp / custom_jvp wrapper called (rule is None)

    @property
    def statement(self):
        return ast.Assign([ast.Name(self.target, ast.Store())], self.value, lineno=self.lineno)


@dataclass
class Passive:
    """A statement run in the forward sweep only (``assert``, ``print``)."""
    stmt: ast.stmt
    lineno: int


@dataclass
class Program:
    parsed: Parsed
    name: str
    params: list
    body: list
    outputs: list                                 # atoms returned, in order
    namer: Namer
    temps: set = field(default_factory=set)       # names the pass introduced
    returns_tuple: bool = False                   # `return a, b` rather than `return a`
    return_stmt: ast.stmt = None

    @property
    def steps(self):
        return [s for s in self.body if isinstance(s, Step)]

    @property
    def output(self):
        """The single output of a scalar function (see ``require_scalar``)."""
        return self.outputs[0]

    def require_scalar(self, transform):
        """Raise ``NotScalarError`` unless the function returns one value."""
        if self.returns_tuple:
            raise self.parsed.error(
                self.return_stmt, f"{transform} needs a scalar output, but {self.name} returns "
                f"a tuple of {len(self.outputs)} values", construct="non-scalar return",
                cls=NotScalarError,
                hint="Use s2sdiff.vjp(f, *args) for a vector-Jacobian product, s2sdiff.jvp for "
                     "a Jacobian-vector product, or s2sdiff.jacobian(f) for the whole Jacobian.")


_CONSTRUCTS = {
    ast.With: ("`with` statement", "Open the resource outside the differentiated function and pass values in."),
    ast.AsyncWith: ("`async with` statement", "Differentiate a plain synchronous function."),
    ast.Try: ("`try` statement", "Handle errors outside the differentiated function."),
    ast.Raise: ("`raise` statement", "Check arguments outside the differentiated function."),
    ast.ClassDef: ("class definition", "Define classes at module level; differentiate functions of numbers."),
    ast.FunctionDef: ("nested function definition", "Define the helper outside the differentiated function."),
    ast.AsyncFunctionDef: ("async function definition", "Differentiate a plain synchronous function."),
    ast.Global: ("`global` statement", "Pass the value in as an argument and return the result."),
    ast.Nonlocal: ("`nonlocal` statement", "Pass the value in as an argument and return the result."),
    ast.Delete: ("`del` statement", "Remove the `del`; names go out of scope when the function returns."),
    ast.Import: ("`import` inside the function", "Import at module level."),
    ast.ImportFrom: ("`import` inside the function", "Import at module level."),
    ast.If: ("`if` statement", "Control flow is not supported yet: write the branch with min, max or abs."),
    ast.For: ("`for` loop", "Loops are not supported yet: unroll the loop."),
    ast.While: ("`while` loop", "Loops are not supported yet: unroll the loop."),
    ast.AsyncFor: ("`async for` loop", "Differentiate a plain synchronous function."),
    ast.Lambda: ("lambda expression", "Define the function with def outside the differentiated function."),
    ast.ListComp: ("list comprehension", "Comprehensions are not supported: write the arithmetic out."),
    ast.SetComp: ("set comprehension", "Comprehensions are not supported: write the arithmetic out."),
    ast.DictComp: ("dict comprehension", "Comprehensions are not supported: write the arithmetic out."),
    ast.GeneratorExp: ("generator expression", "Comprehensions are not supported: write the arithmetic out."),
    ast.Yield: ("`yield`", "Generators cannot be differentiated: return a value."),
    ast.YieldFrom: ("`yield from`", "Generators cannot be differentiated: return a value."),
    ast.Await: ("`await`", "Differentiate a plain synchronous function."),
    ast.NamedExpr: ("assignment expression (:=)", "Assign with a separate `=` statement."),
    ast.IfExp: ("conditional expression", "Control flow is not supported yet: write the choice with min, max or abs."),
    ast.BoolOp: ("`and`/`or` expression", "Boolean logic is not supported yet: compute the value without it."),
    ast.Subscript: ("indexing", "Indexing is not supported yet: pass the elements as separate arguments."),
    ast.List: ("list display", "Lists are not supported yet: use separate variables."),
    ast.Tuple: ("tuple", "Tuples are supported only for unpacking: `a, b = x, y`."),
    ast.Set: ("set display", "Sets cannot be differentiated."),
    ast.Dict: ("dict display", "Dicts cannot be differentiated."),
    ast.JoinedStr: ("f-string", "Strings cannot be differentiated: build them outside the function."),
    ast.Starred: ("starred expression", "Pass arguments one by one."),
    ast.Slice: ("slice", "Slicing is not supported yet."),
}
for _name, _hint in (("Match", "`match` statement"), ("TryStar", "`try`/`except*` statement")):
    if hasattr(ast, _name):
        _CONSTRUCTS[getattr(ast, _name)] = (_hint, "Rewrite it without this statement.")

_GENERIC_HINT = "Rewrite it as assignments of arithmetic and calls of math functions."

_SYMBOL = {ast.Add: "p", ast.Sub: "m", ast.Mult: "t"}
_NONDIFF_OPS = (ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
                ast.Not, ast.Invert)


def normalize(parsed):
    """The ``Program`` of ``parsed``: its body in SSA form (see the module docstring)."""
    return _Normalizer(parsed).run()


class _Normalizer:
    def __init__(self, parsed):
        self.parsed = parsed
        self.node = parsed.node
        self.namer = Namer.for_function(self.node)
        self.body = []
        self.temps = set()
        self.version = {}          # user name -> its current SSA name
        self.returns_tuple = False
        self.return_stmt = None
        self.locals = _assigned_names(self.node)

    def error(self, node, what=None, hint=None):
        construct, default_hint = _CONSTRUCTS.get(type(node), (type(node).__name__, _GENERIC_HINT))
        construct = what or construct
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {self.node.name}: {construct} is not supported",
            construct=construct, hint=hint or default_hint)

    # statements -----------------------------------------------------------------

    def run(self):
        args = self.node.args
        if args.vararg or args.kwarg:
            star = args.vararg or args.kwarg
            raise self.parsed.error(
                star, f"s2sdiff cannot differentiate {self.node.name}: *args/**kwargs parameters are not supported",
                construct="variadic parameters", hint="Name every parameter.")
        params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        for p in params:
            self.version[p] = p
        output = None
        for i, stmt in enumerate(self.node.body):
            if i == 0 and _is_docstring(stmt):
                continue
            try:
                if isinstance(stmt, ast.Return):
                    output = self.returned(stmt)
                    break
                self.statement(stmt)
            except RecursionError:
                raise self.error(stmt, "expression nested this deeply",
                                 "Split it into several assignments.") from None
        if output is None:
            raise self.parsed.error(
                self.node, f"{self.node.name} does not return a value", construct="missing return",
                hint="End the function with `return <scalar>`.", cls=NotScalarError)
        program = Program(self.parsed, self.node.name, params, self.body, output,
                          self.namer, self.temps, self.returns_tuple, self.return_stmt)
        validate(program)
        return program

    def statement(self, stmt):
        if isinstance(stmt, ast.Assign):
            value = stmt.value
            first, *others = stmt.targets
            self.assign(first, value, stmt)
            for other in others:        # a = b = value: later targets copy the first
                self.assign(other, ast.Name(self._target_atom(first, stmt).id, ast.Load()), stmt)
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name):
                raise self.error(stmt.target, "augmented assignment to an element or attribute",
                                 "Assign to a plain variable.")
            load = ast.Name(stmt.target.id, ast.Load(), lineno=stmt.lineno, col_offset=stmt.col_offset)
            value = ast.BinOp(load, stmt.op, stmt.value, lineno=stmt.lineno, col_offset=stmt.col_offset)
            self.assign(stmt.target, value, stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, stmt.value, stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.Assert):
            self.passive(stmt)
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant):
                return                  # a bare string or ... is a comment
            call = stmt.value
            if isinstance(call, (ast.Yield, ast.YieldFrom, ast.Await)):
                raise self.error(call)
            if isinstance(call, ast.Call) and self._callee_or_none(call.func) is print:
                self.passive(stmt)
                return
            raise self.error(stmt, "expression statement whose result is discarded",
                             "Assign the result to a variable; s2sdiff cannot follow side effects.")
        else:
            raise self.error(stmt)

    def passive(self, stmt):
        for node in ast.walk(stmt):
            if type(node) in _CONSTRUCTS and not isinstance(node, (ast.JoinedStr, ast.Tuple)):
                raise self.error(node)
        renamed = _Rename(self).visit(stmt)
        ast.unparse(renamed)        # emit unparses it: a RecursionError must happen here
        self.body.append(Passive(renamed, stmt.lineno))

    def assign(self, target, value, stmt):
        if isinstance(target, ast.Name):
            name = self._new_version(target.id)
            self.expression(value, name, stmt.lineno)
            self.version[target.id] = name
        elif isinstance(target, (ast.Tuple, ast.List)):
            if any(isinstance(t, ast.Starred) for t in target.elts):
                raise self.error(target, "starred assignment", "Unpack into named variables.")
            if not (isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)):
                raise self.error(target, "tuple unpacking of a value that is not a tuple display",
                                 "Unpack only `a, b = x, y` with as many values as names.")
            # Evaluate every value with the old versions first, then bind the new ones.
            bound = []
            for sub_target, sub_value in zip(target.elts, value.elts):
                if isinstance(sub_target, ast.Name):
                    if any(user == sub_target.id for user, _ in bound):   # a, a = x, y
                        name = self.namer.fresh(sub_target.id)
                    else:
                        name = self._new_version(sub_target.id)
                    self.expression(sub_value, name, stmt.lineno)
                    bound.append((sub_target.id, name))
                else:
                    atom = self.atom(sub_value, sub_target.id if isinstance(sub_target, ast.Name) else "t",
                                     stmt.lineno)
                    bound.append((sub_target, atom))
            for user, new in bound:
                if isinstance(user, str):
                    self.version[user] = new
                else:
                    self.assign(user, new, stmt)
        else:
            raise self.error(target, "assignment to an element or attribute" if isinstance(
                target, (ast.Subscript, ast.Attribute)) else None,
                "Mutation is not supported yet: assign to a new variable.")

    def _target_atom(self, target, stmt):
        if not isinstance(target, ast.Name):
            raise self.error(target, "chained assignment to several targets", "Assign one name at a time.")
        return ast.Name(self.version[target.id], ast.Load())

    def _new_version(self, user_name):
        if user_name in self.version:
            return self.namer.fresh(user_name)
        self.namer.reserve(user_name)
        return user_name

    def returned(self, stmt):
        value = stmt.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            raise self.parsed.error(stmt, f"{self.node.name} returns None", construct="return",
                                    hint="Return a scalar.", cls=NotScalarError)
        self.return_stmt = stmt
        hint = self.node.name if self.node.name.isidentifier() else "out"
        if isinstance(value, (ast.Tuple, ast.List)):
            if not value.elts or any(isinstance(e, ast.Starred) for e in value.elts):
                raise self.error(value, "an empty or starred tuple return",
                                 "Return the values one by one: `return a, b`.")
            self.returns_tuple = True
            return [self.atom(element, f"{hint}{i}", stmt.lineno, output=True)
                    for i, element in enumerate(value.elts)]
        return [self.atom(value, hint, stmt.lineno, output=True)]

    # expressions ----------------------------------------------------------------

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
                raise self.error(node, f"constant {node.value!r}", "Use real numbers.")
            return ast.Constant(node.value)
        if isinstance(node, ast.Attribute) and self._is_free(node):
            return _copy_load(node)
        if output:
            name = self.namer.fresh(hint)
            self.expression(node, name, lineno)
        else:
            name = self.expression(node, None, lineno, hint)
        return ast.Name(name, ast.Load())

    def _temp_name(self, node, hint):
        suggestion = _suggest_name(node)
        if suggestion and len(suggestion) <= 8 and suggestion.isidentifier() \
                and suggestion not in self.namer.taken:
            name = self.namer.reserve(suggestion)
        else:
            base = hint if len(hint) <= 6 else "t"
            name = self.namer.numbered(base + "_" if base[-1].isdigit() else base)
        self.temps.add(name)
        return name

    def load(self, node):
        name = node.id
        if name in self.locals and name not in self.version:
            raise self.parsed.error(
                node, f"{self.node.name} reads `{name}` before assigning it",
                construct="unbound local", hint="Assign the variable before using it.")
        return ast.Name(self.version.get(name, name), ast.Load())

    def _is_free(self, node):
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id not in self.locals

    def expression(self, node, target, lineno, hint=None):
        """Emit the steps computing ``node`` into ``target`` (a new temporary if None).

        Returns the name assigned.
        """
        hint = target or hint
        emitted = []

        def emit(value, args, rule, callee=None, differentiable=True, custom_rule=None):
            name = target or self._temp_name(value, hint)
            number = sum(isinstance(s, Step) for s in self.body) + 1
            self.body.append(Step(name, value, args, rule, number, lineno, callee, differentiable,
                                  custom_rule))
            emitted.append(name)

        gate = self._sigmoid_argument(node)
        if gate is not None:
            u = self.atom(gate, hint, lineno)
            emit(_with_sigmoid_argument(node, u), [u], rules.RULES["sigmoid"])
        elif isinstance(node, (ast.Name, ast.Constant)) or (
                isinstance(node, ast.Attribute) and self._is_free(node)):
            atom = self.atom(node, hint, lineno)
            emit(atom, [atom], rules.RULES["copy"])
        elif isinstance(node, ast.BinOp):
            left = self.atom(node.left, hint, lineno)
            right = self.atom(node.right, hint, lineno)
            value = ast.BinOp(left, node.op, right)
            if isinstance(node.op, _NONDIFF_OPS):
                emit(value, [left, right], None, differentiable=False)
            else:
                emit(value, [left, right], rules.lookup(type(node.op), 2))
        elif isinstance(node, ast.UnaryOp):
            operand = self.atom(node.operand, hint, lineno)
            value = ast.UnaryOp(node.op, operand)
            if isinstance(node.op, _NONDIFF_OPS):
                emit(value, [operand], None, differentiable=False)
            else:
                emit(value, [operand], rules.lookup(type(node.op), 1))
        elif isinstance(node, ast.Compare):
            left = self.atom(node.left, hint, lineno)
            rest = [self.atom(c, hint, lineno) for c in node.comparators]
            emit(ast.Compare(left, node.ops, rest), [left, *rest], None, differentiable=False)
        elif isinstance(node, ast.Subscript):            # arrays.py: x[i], x[1:, ::-1], x[mask]
            arrays.subscript(self, node, emit, hint, lineno)
        elif isinstance(node, ast.Call) and arrays.is_method_call(self, node):
            arrays.method_call(self, node, emit, hint, lineno)     # x.sum(axis=0), W.dot(X)
        elif isinstance(node, ast.Call) and arrays.handles_call(self._callee_or_none(node.func)) \
                and custom.rule_of(self._callee_or_none(node.func)) is None:
            arrays.call(self, node, self.callee(node.func), emit, hint, lineno)   # np.sum(x)...
        elif isinstance(node, ast.Call):
            callee = self.callee(node.func)
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    raise self.error(arg)
            if any(k.arg is None for k in node.keywords):
                raise self.error(node, "`**` in a call", "Pass keyword arguments by name.")
            args = [self.atom(a, hint, lineno) for a in node.args]
            keywords = [ast.keyword(k.arg, self.atom(k.value, hint, lineno)) for k in node.keywords]
            value = ast.Call(_copy_load(node.func), args, keywords)
            rule = _hashable_lookup(callee, len(args))
            if custom.rule_of(callee) is not None:
                if keywords:
                    raise self.error(node, f"keyword arguments to the {callee.kind} function "
                                     f"`{ast.unparse(node.func)}`", "Pass the arguments by position.")
                emit(value, args, None, callee, custom_rule=callee)
                return emitted[0]
            if rule is rules.NONDIFFERENTIABLE_RULE:
                emit(value, args + [k.value for k in keywords], None, callee, differentiable=False)
                return emitted[0]
            if rule is not None and keywords:
                raise self.error(node, f"keyword arguments to {rule.name}",
                                 "Pass the arguments by position.")
            if rule is not None and rule.arity not in (None, len(args)):
                raise self.error(node, f"{rule.name} with {len(args)} arguments",
                                 f"Call it with {rule.arity} arguments.")
            if rule is not None and rule.arity is None and len(args) < 2:
                raise self.error(node, f"{rule.name} of a single iterable",
                                 "Pass the values as separate arguments: max(a, b, c).")
            emit(value, args + [k.value for k in keywords], rule, callee)
        elif isinstance(node, ast.Attribute):
            arrays.attribute(self, node, emit, hint, lineno)        # x.T, x.shape (arrays.py)
        else:
            raise self.error(node)
        return emitted[0]

    def callee(self, func):
        value = self._callee_or_none(func)
        if value is _UNRESOLVED:
            what = ast.unparse(func)
            if self._is_free(func):
                raise self.parsed.error(
                    func, f"s2sdiff cannot resolve `{what}` called in {self.node.name}",
                    construct="call", hint=f"Define `{what}` before differentiating {self.node.name}.")
            if isinstance(func, ast.Name):
                raise self.error(func, f"call of the local variable `{what}`",
                                 f"Call a function defined outside {self.node.name}, and do not "
                                 f"assign to `{what}` inside it.")
            raise self.error(func, f"method call `{what}(...)`",
                             "Call functions of modules (math.sin(x)) rather than methods of values.")
        return value

    def _callee_or_none(self, func):
        if not self._is_free(func):
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
                and _is_one(node.left) and isinstance(node.right, ast.BinOp)
                and isinstance(node.right.op, ast.Add)):
            return None
        one, call = node.right.left, node.right.right
        if not _is_one(one):
            one, call = call, one
        if not (_is_one(one) and isinstance(call, ast.Call) and len(call.args) == 1
                and not call.keywords and isinstance(call.args[0], ast.UnaryOp)
                and isinstance(call.args[0].op, ast.USub)):
            return None
        if self._callee_or_none(call.func) not in rules.EXP_FUNCTIONS:
            return None
        return call.args[0].operand


_UNRESOLVED = object()


def _hashable_lookup(callee, n_args):
    """The rule for ``callee``, ``NONDIFFERENTIABLE_RULE``, or None if it has none."""
    try:
        if callee in rules.NONDIFFERENTIABLE:
            return rules.NONDIFFERENTIABLE_RULE
        return rules.lookup(callee, n_args)
    except TypeError:           # an unhashable callee has no rule
        return None


def _with_sigmoid_argument(gate, atom):
    """The gate ``c / (1 + exp(-u))`` with ``u`` replaced by ``atom``, sum order kept."""
    total = gate.right
    call = total.right if isinstance(total.right, ast.Call) else total.left
    new_call = ast.Call(_copy_load(call.func), [ast.UnaryOp(ast.USub(), atom)], [])
    one = ast.Constant((total.left if call is total.right else total.right).value)
    pair = (one, new_call) if call is total.right else (new_call, one)
    return ast.BinOp(ast.Constant(gate.left.value), ast.Div(), ast.BinOp(pair[0], ast.Add(), pair[1]))


class _Rename(ast.NodeTransformer):
    """Point loads of user variables at their current SSA names."""

    def __init__(self, normalizer):
        self.normalizer = normalizer

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            return ast.copy_location(self.normalizer.load(node), node)
        return node


def _assigned_names(func):
    names = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def _copy_load(node):
    if isinstance(node, ast.Name):
        return ast.Name(node.id, ast.Load())
    if isinstance(node, ast.Attribute):
        return ast.Attribute(_copy_load(node.value), node.attr, ast.Load())
    return node


def _leaf(node):
    """A name short and plain enough to build other names from."""
    if isinstance(node, ast.Name) and node.id.isalpha() and len(node.id) <= 5:
        return node.id
    return None


def _suggest_name(node):
    """A readable name for a temporary computing ``node``, or None."""
    if isinstance(node, ast.BinOp):
        left, right = _leaf(node.left), _leaf(node.right)
        if type(node.op) in _SYMBOL and left and right:
            return left + _SYMBOL[type(node.op)] + right
        if isinstance(node.op, ast.Div) and _is_one(node.left) and right:
            return "inv" + right
        if isinstance(node.op, ast.Div) and _is_one(node.left) and isinstance(node.right, ast.BinOp):
            call = [n for n in (node.right.left, node.right.right) if isinstance(n, ast.Call)]
            if call and isinstance(call[0].args[0], ast.UnaryOp):
                argument = _leaf(call[0].args[0].operand)     # the sigmoid gate
                return "sig" + argument if argument else None
        if isinstance(node.op, ast.Pow) and left and isinstance(node.right, ast.Constant) \
                and node.right.value in (2, 3):
            return left + ("sqr" if node.right.value == 2 else "cube")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _leaf(node.operand):
        return "neg" + _leaf(node.operand)
    if arrays.suggest_name(node):
        return arrays.suggest_name(node)
    if isinstance(node, ast.Call) and len(node.args) == 1 and _leaf(node.args[0]):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else _leaf(node.func)
        if func:
            return func + _leaf(node.args[0])
    return None


def _is_one(node):
    return isinstance(node, ast.Constant) and node.value == 1 and not isinstance(node.value, bool)


def validate(program):
    """Check that ``program`` has the shapes listed in the module docstring."""
    defined = set(program.params)
    for item in program.body:
        if isinstance(item, Passive):
            continue
        assert isinstance(item, Step), item
        assert item.target.isidentifier() and item.target not in defined, item.target
        for arg in item.args:
            _check_atom(arg, defined, program)
        defined.add(item.target)
    for output in program.outputs:
        _check_atom(output, defined, program)


def _check_atom(atom, defined, program):
    if isinstance(atom, ast.Constant):
        return
    if isinstance(atom, ast.Attribute):
        while isinstance(atom, ast.Attribute):
            atom = atom.value
        assert isinstance(atom, ast.Name) and atom.id not in defined, ast.dump(atom)
        return
    assert isinstance(atom, ast.Name), ast.dump(atom)
    assert atom.id in defined or atom.id not in _assigned_names(program.parsed.node), atom.id


def format_program(program):
    """The SSA body as text, one step per line with its number."""
    lines = []
    for item in program.body:
        if isinstance(item, Step):
            lines.append(f"{unparse(item.statement)}  # ({item.number})")
        else:
            lines.append(ast.unparse(item.stmt))
    lines.append("return " + ", ".join(ast.unparse(o) for o in program.outputs))
    return "\n".join(lines)

