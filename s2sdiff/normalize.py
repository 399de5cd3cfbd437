"""Split a function body into SSA form: one primitive per assignment.

After this pass the body of a ``Program`` has the shapes listed in ``ir.py`` and:

* outside blocks every NAME is assigned exactly once (static single assignment); a user
  variable keeps its name at its first assignment and later ones get ``x_2``, ``x_3``...;
* inside a block a name is assigned at most once per execution of the block, except:
  a name assigned in both arms of an ``if`` (or in one arm and before it) is assigned in
  each arm that falls through, by the step computing it or by a copy; a loop's
  ``carried`` names hold the values an iteration starts from, are read there and are
  assigned only at the end of the body (or just before a jump), never read after that
  in the same iteration (``s = s + t`` writes the carried ``s`` itself when it can); a
  ``for`` target read after the loop (not a ``range`` index) is carried under a name of
  its own, so the last element gets its adjoint;
* a name that nothing reads after an ``if`` (a loop variable of one arm, say) is merged
  by no copy, and its next assignment gets a new name: sibling loops may reuse a loop
  variable; ``Program.unbound`` lists the names a copy reads on a path where they may be
  unbound (the user's code never reads them there), which generated code binds first;
* ``return`` appears once, at the end (``control.py`` rewrote the others), so the
  outputs are the SSA names reaching it; a loop that may stop early is marked ``exits``;
* temporaries get short names derived from their expression (``xpy`` for ``x + y``,
  ``expx`` for ``exp(x)``) or numbered after their target (``f1``, ``f2``);
* ``callee`` is a free name or dotted free name, resolved to the object it calls; a call
  of the user's own Python function gets the rule ``rules.CALL`` and its arguments in
  parameter order, defaults filled in;
* each step records its rule (``None`` for constants and unknown calls), its number
  ``(k)`` in the forward sweep and the user's source line; a call of a ``custom_vjp`` or
  ``custom_jvp`` wrapper (``custom.py``) records the wrapper as ``custom`` instead of a rule.

``ir.validate`` checks these shapes; any other construct raises ``UnsupportedError`` with
the file, line and source line.

>>> import math
>>> from s2sdiff.ir import format_program
>>> from s2sdiff.parse import parse
>>> def f(x, y):
...     return math.sin(x * y) + x
>>> print(format_program(normalize(parse(f))))
xty = x * y  # (1)
sinxty = math.sin(xty)  # (2)
f = sinxty + x  # (3)
return f
"""

import ast
import copy
import inspect
import keyword
import types

from . import aliases, array_syntax, control, custom, ir, rules, runtime
from .build import Expr, Namespace
from .errors import NotScalarError
from .ir import (If, Jump, Loop, Passive, Program, Step, assigned_names, copied_unbound, item_loads,
                 store_names, validate, walk_items, walk_steps)
from .names import Namer


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
    ast.Set: ("set display", "Sets cannot be differentiated."),
    ast.Dict: ("dict display", "Dicts cannot be differentiated."),
    ast.JoinedStr: ("f-string", "Strings cannot be differentiated: build them outside the function."),
    ast.Starred: ("starred expression", "Pass arguments one by one."),
    ast.Slice: ("slice", "Index one element at a time: `v[i]`."),
}
for _name, _hint in (("Match", "`match` statement"), ("TryStar", "`try`/`except*` statement")):
    if hasattr(ast, _name):
        _CONSTRUCTS[getattr(ast, _name)] = (_hint, "Rewrite it without this statement.")

_GENERIC_HINT = "Rewrite it as assignments of arithmetic and calls of math functions."

_SYMBOL = {ast.Add: "p", ast.Sub: "m", ast.Mult: "t"}
_NONDIFF_OPS = (ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
                ast.Not, ast.Invert)


def normalize(parsed):
    """The ``Program`` of ``parsed``: its body in SSA form (see the module docstring).

    A program that is not NumPy code is checked for writes through aliases here
    (``aliases.check``); NumPy code is checked when the argument kinds are known."""
    program = _Normalizer(parsed).run()
    if not ir.is_array_program(program):
        aliases.check(program)
    return program


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
        self.locals = assigned_names(self.node)
        self.loops = []            # the carried names of each enclosing loop, innermost last
        self.open_blocks = []      # the blocks being built around the current one
        self.base_names = {}       # SSA version -> the user's name (x_2 -> x), for temps
        self.user_names = {}       # every SSA version -> the user's name, for messages
        self.frames = []           # [statements, index] of each block being normalised, or
                                   # a loop statement: what may run after the current one
        self.retired = set()       # user names whose version was dropped where dead
        self.targets = set()       # SSA names bound by loop heads
        self.array_code = self._uses_array_features()

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
        body = control.canonical_body(self.node, self.namer)
        self.canonical = body
        frame = [body, 0]
        self.frames.append(frame)
        for i, stmt in enumerate(body):
            frame[1] = i
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
        self.frames.pop()
        if output is None:
            raise self.parsed.error(
                self.node, f"{self.node.name} does not return a value", construct="missing return",
                hint="End the function with `return <scalar>`.", cls=NotScalarError)
        _renumber(self.body)
        program = Program(self.parsed, self.node.name, params, self.body, output,
                          self.namer, self.temps, self.returns_tuple, self.return_stmt)
        program.user_names = self.user_names
        program.unbound = copied_unbound(self.body, set(params))
        validate(program)
        return program

    # control flow ---------------------------------------------------------------

    def nested(self, stmts):
        """Normalise ``stmts`` into a new block: (items, whether it ends in a jump)."""
        outer, self.body = self.body, []
        self.open_blocks.append(outer)
        frame = [stmts, 0]
        self.frames.append(frame)
        try:
            for i, stmt in enumerate(stmts):
                frame[1] = i
                self.statement(stmt)
            items = self.body
        finally:
            self.body = outer
            self.open_blocks.pop()
            self.frames.pop()
        return items, bool(items) and _terminates(items[-1])

    def _live_after(self, name):
        """Whether the user's ``name`` may be read after the current statement before it
        is assigned again: by the rest of its block, of the enclosing blocks, or by a
        further iteration of an enclosing loop."""
        for frame in reversed(self.frames):
            if isinstance(frame, ast.stmt):           # the end of a loop's body
                if _upward_exposed([frame], name, False)[0]:
                    return True
                continue
            stmts, index = frame
            exposed, assigned = _upward_exposed(stmts[index + 1:], name, False)
            if exposed:
                return True
            if assigned:
                return False
        return False

    def if_statement(self, stmt, synthetic=False):
        """``synthetic``: an ``if`` the pass wrote (``a if c else b``), assigning its
        own names only."""
        test = self.atom(stmt.test, "c", stmt.lineno)
        before = dict(self.version)
        then, then_jumps = self.nested(stmt.body)
        then_versions, self.version = self.version, dict(before)
        orelse, else_jumps = self.nested(stmt.orelse)
        else_versions = self.version
        arms = [(then, then_versions)] * (not then_jumps) + [(orelse, else_versions)] * (not else_jumps)
        merged = dict(before)
        if len(arms) == 1:
            merged = dict(arms[0][1])
        elif len(arms) == 2:
            users = list(dict.fromkeys([*then_versions, *else_versions]))
            for user in users:
                names = [versions.get(user) for _, versions in arms]
                if names[0] != names[1] and not synthetic and not self._live_after(user):
                    merged.pop(user, None)       # nothing reads it again: no copy, and
                    self.retired.add(user)       # the next assignment gets a new name
                    continue
                if names[0] == names[1] or None in names:
                    merged[user] = names[0] or names[1]
                    continue
                created = [n != before.get(user) for n in names]
                phi = names[0] if created[0] else names[1] if created[1] else self._fresh_version(user)
                for (items, _), name, new in zip(arms, names, created):
                    if name == phi:
                        continue
                    if new and _renamable(items, name) and not _has_jump(items):
                        _rename(items, name, phi)
                    else:
                        _append_fallthrough(items, self._copy_step(phi, name, stmt.lineno))
                merged[user] = phi
        self.version = merged
        self.body.append(If(test, then, orelse, stmt.lineno))

    def _copy_step(self, target, source, lineno):
        atom = ast.Name(source, ast.Load())
        return Step(target, atom, [atom], rules.RULES["copy"], 0, lineno)

    def loop(self, stmt):
        if stmt.orelse:
            raise self.error(stmt, f"`{'for' if isinstance(stmt, ast.For) else 'while'}` ... "
                             f"`else` clause", "Use a flag variable set before `break`.")
        target = iterable = test = None
        if isinstance(stmt, ast.For):
            iterable = self.iterable(stmt.iter, stmt.lineno)
        carried, unbound = {}, []
        for user in _assigned_in(stmt.body, exclude=_target_names(stmt)):
            before = self.version.get(user)
            if before is None and self._local_to_body(user, stmt):
                continue            # assigned before read in every iteration, dead after
            if before is None:
                carried[user] = self._new_version(user)
                unbound.append(carried[user])
            elif self._reusable(before):
                carried[user] = before
            else:
                carried[user] = self._fresh_version(user)
                self.body.append(self._copy_step(carried[user], before, stmt.lineno))
            self.version[user] = carried[user]
        if isinstance(stmt, ast.For):
            before = dict(self.version)
            target = self.loop_target(stmt.target)
            self._carry_targets(stmt, carried, unbound, before)
        body_stmts = list(stmt.body)
        if isinstance(stmt, ast.While):
            test, prelude = self.loop_test(stmt.test, stmt.lineno)
            if prelude is not None:       # while <computed>: → while True: <steps>; if not c: break
                body_stmts = prelude + [ast.If(
                    ast.Name(PRELUDE_TEST, ast.Load()), body_stmts,
                    [ast.Break(lineno=stmt.lineno, col_offset=stmt.col_offset)],
                    lineno=stmt.lineno, col_offset=stmt.col_offset)]
        self.loops.append(carried)
        self.frames.append(stmt)
        try:
            body, _ = self.nested(body_stmts)
        finally:
            self.loops.pop()
            self.frames.pop()
        exits = _has_break(body)
        if not (body and _terminates(body[-1])):
            self._carry(carried, body, allow_rename=not _has_jump(body))
        for user, name in carried.items():
            self.version[user] = name
        self.body.append(Loop("for" if isinstance(stmt, ast.For) else "while", target, iterable,
                              test, body, list(carried.values()), stmt.lineno, exits,
                              [c for c in carried.values() if c in unbound]))

    def _carry_targets(self, stmt, carried, unbound, before):
        """A loop target read after the loop (``for v in xs: ...`` then ``v * s``) is
        carried under a name of its own, assigned the target's value at the end of each
        iteration: the reverse sweep then gives the last element its adjoint, and a loop
        that runs no trip leaves the value from before it, as in Python."""
        for user in _target_names(stmt):
            if user in carried or not self._live_after(user):
                continue
            previous = before.get(user)
            carried[user] = self._fresh_version(user)
            if previous is None:
                unbound.append(carried[user])
            else:
                self.body.append(self._copy_step(carried[user], previous, stmt.lineno))

    def _carry(self, carried, items, allow_rename=False):
        """Assign each carried name its current version at the end of ``items``: the
        step computing that version writes the carried name itself when nothing after it
        in the body reads either name (``s = s + t`` rather than ``s_2 = s + t; s = s_2``),
        else a copy is appended."""
        for user, phi in carried.items():
            current = self.version.get(user)
            if current is None or current == phi:
                continue
            index = next((i for i, item in enumerate(items)
                          if isinstance(item, Step) and item.target == current), None)
            if allow_rename and index is not None and _renamable(items, current) \
                    and current not in self.targets \
                    and not _reads_name(items[index + 1:], current) \
                    and not _reads_name(items[index + 1:], phi) \
                    and not _partials_read_output(items[index]) \
                    and not (self.array_code and phi in _arg_names(items[index])):
                _rename(items, current, phi)
            else:
                last = items[-1] if items else None
                _append_fallthrough(items, self._copy_step(phi, current,
                                                           getattr(last, "lineno", 0) or 0))

    def _local_to_body(self, name, loop):
        """Whether each iteration of ``loop`` assigns ``name`` before reading it and
        nothing after the loop reads it: then it carries nothing between iterations."""
        exposed, _ = _upward_exposed(loop.body, name, False)
        return not exposed and not self._live_after(name)

    def _reusable(self, name):
        """Whether a loop may assign ``name`` itself: nothing before reads it in the
        reverse sweep (it is no argument of an earlier step, and its own step's partials
        do not read it), so the value the loop leaves in it harms no one."""
        everything = [item for block in [*self.open_blocks, self.body] for item in block]
        for step in walk_steps(everything):
            if any(getattr(a, "id", None) == name for a in step.args):
                return False
            if step.target == name and _partials_read_output(step):
                return False
        return not _reads_name(everything, name, steps=False)

    def jump(self, stmt):
        if not self.loops:
            raise self.error(stmt, "`break` or `continue` outside a loop")
        carried = self.loops[-1]
        self._carry(carried, self.body)
        self.body.append(Jump("break" if isinstance(stmt, ast.Break) else "continue", stmt.lineno))

    def iterable(self, node, lineno, nested=False):
        """An atom, or calls of range/enumerate/zip/reversed (nested) on atoms."""
        if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
            callee = self._callee_or_none(node.func)
            if node.keywords and not (callee is enumerate and [k.arg for k in node.keywords]
                                      == ["start"]):
                callee = None
            if callee in (range, enumerate, zip, reversed):
                args = [self.iterable(a, lineno, nested=True) if isinstance(a, ast.Call)
                        and self._callee_or_none(a.func) in (enumerate, zip, reversed)
                        else self.atom(a, "n", lineno) for a in node.args]
                if callee is reversed and not (len(args) == 1):
                    raise self.error(node, "reversed() with several arguments")
                keywords = [ast.keyword(k.arg, self.atom(k.value, "n", lineno))
                            for k in node.keywords]
                return ast.Call(_copy_load(node.func), args, keywords)
        return self.atom(node, "seq", lineno)

    def loop_target(self, node):
        if isinstance(node, ast.Name):
            name = self._new_version(node.id)
            self.targets.add(name)
            self.version[node.id] = name
            return ast.Name(name, ast.Store())
        if isinstance(node, (ast.Tuple, ast.List)) and all(
                isinstance(e, (ast.Name, ast.Tuple, ast.List)) for e in node.elts):
            return ast.Tuple([self.loop_target(e) for e in node.elts], ast.Store())
        raise self.error(node, "loop target that is not a name or a tuple of names",
                         "Loop over names: `for i, x in enumerate(xs)`.")

    def loop_test(self, node, lineno):
        """(test, None) when ``node`` is a name or a comparison of names and numbers, which
        the ``while`` can test itself; else (None, statements computing it first)."""
        simple = isinstance(node, (ast.Name, ast.Constant)) or (
            isinstance(node, ast.Compare) and all(
                isinstance(n, (ast.Name, ast.Constant)) for n in [node.left, *node.comparators]))
        if simple:
            if isinstance(node, ast.Compare):
                return ast.Compare(self.atom(node.left, "c", lineno), node.ops,
                                   [self.atom(c, "c", lineno) for c in node.comparators]), None
            return self.atom(node, "c", lineno), None
        self.namer.reserve(PRELUDE_TEST)
        assign = ast.Assign([ast.Name(PRELUDE_TEST, ast.Store())], node, lineno=lineno,
                            col_offset=getattr(node, "col_offset", 0))
        return None, [assign]

    def statement(self, stmt):
        if isinstance(stmt, ast.Assign):
            value = stmt.value
            first, *others = stmt.targets
            self.assign(first, value, stmt)
            for other in others:        # a = b = value: later targets copy the first
                self.assign(other, ast.Name(self._target_atom(first, stmt).id, ast.Load()), stmt)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Subscript):
            where = dict(lineno=stmt.lineno, col_offset=stmt.col_offset)
            read = ast.Subscript(stmt.target.value, stmt.target.slice, ast.Load(), **where)
            self.assign(stmt.target, ast.BinOp(read, stmt.op, stmt.value, **where), stmt)
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name):
                raise self.error(stmt.target, "augmented assignment to an element or attribute",
                                 "Assign to a plain variable.")
            load = ast.Name(stmt.target.id, ast.Load(), lineno=stmt.lineno, col_offset=stmt.col_offset)
            value = ast.BinOp(load, stmt.op, stmt.value, lineno=stmt.lineno, col_offset=stmt.col_offset)
            self.assign(stmt.target, value, stmt)
            new = self.version[stmt.target.id]
            step = next(s for s in reversed(self.body) if isinstance(s, Step) and s.target == new)
            step.augmented = True      # aliases.py: in place on a list or an array
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, stmt.value, stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.If):
            self.if_statement(stmt)
        elif isinstance(stmt, (ast.For, ast.While)):
            self.loop(stmt)
        elif isinstance(stmt, (ast.Break, ast.Continue)):
            self.jump(stmt)
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
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                    and call.func.attr == "append" and isinstance(call.func.value, ast.Name) \
                    and not self._is_free(call.func.value):
                if len(call.args) != 1 or call.keywords:
                    raise self.error(call, "append with other than one argument")
                self.append(call.func.value, call.args[0], stmt)
                return
            raise self.error(stmt, "expression statement whose result is discarded",
                             "Assign the result to a variable; s2sdiff cannot follow side effects.")
        else:
            raise self.error(stmt)

    def passive(self, stmt):
        for node in ast.walk(stmt):
            if type(node) in _CONSTRUCTS and not isinstance(node, ast.JoinedStr):
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
            if isinstance(value, ast.Call) and all(isinstance(t, ast.Name) for t in target.elts) \
                    and self._is_user_function(value.func):
                # a, b = g(x): the call's tuple, then its entries
                whole = self.atom(value, "t", stmt.lineno)
                for i, sub_target in enumerate(target.elts):
                    entry = ast.Subscript(ast.Name(whole.id, ast.Load()), ast.Constant(i),
                                          ast.Load(), lineno=stmt.lineno, col_offset=0)
                    self.assign(sub_target, entry, stmt)
                return
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
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                and not self._is_free(target.value):
            self.set_item(target, value, stmt)
        elif isinstance(target, ast.Attribute):
            raise self.error(target, f"assignment to the attribute `{ast.unparse(target)}`",
                             "s2sdiff differentiates functions of numbers, lists and arrays: "
                             "return the new value instead of storing it on an object.")
        else:
            raise self.error(target, "assignment to an element of a global or attribute"
                             if isinstance(target, ast.Subscript) else None,
                             "Assign to a local list or a new variable.")

    def set_item(self, target, value, stmt):
        """``v[i] = e``: ``v`` is mutated in place, the step's target is ``v`` itself."""
        if self.array_code:
            return self.set_array_item(target, value, stmt)
        sequence = self.load(target.value)
        index = self.index(target.slice, stmt.lineno)
        element = self.atom(value, sequence.id, stmt.lineno)
        # the overwritten element, put back by the reverse sweep: a loop before this
        # statement recomputes from the list's contents
        saved = self.namer.fresh(f"{sequence.id}_saved")
        self.temps.add(saved)
        self.body.append(Step(saved, ast.Subscript(ast.Name(sequence.id, ast.Load()),
                                                   copy.deepcopy(index), ast.Load()),
                              [sequence], None, 0, stmt.lineno, differentiable=False))
        store = ast.Assign([ast.Subscript(ast.Name(sequence.id, ast.Load()), index, ast.Store())],
                           element, lineno=stmt.lineno)
        self.body.append(Step(sequence.id, ast.Subscript(sequence, index, ast.Load()),
                              [sequence, index, element], rules.SETITEM, 0, stmt.lineno,
                              store=store, saved=saved))

    def set_array_item(self, target, value, stmt):
        """``a[idx] = e`` on an array: the overwritten elements are saved first
        (``a_saved = a[idx].copy()``), for the reverse sweep to put them back."""
        array = self.load(target.value)
        index = array_syntax.operand(self, target.slice, array.id, stmt.lineno)
        element = self.atom(value, array.id, stmt.lineno)
        saved = self.namer.fresh(f"{array.id}_saved")
        self.temps.add(saved)
        read = ast.Subscript(ast.Name(array.id, ast.Load()), copy.deepcopy(index), ast.Load())
        copied = ast.Call(ast.Attribute(read, "copy", ast.Load()), [], [])
        self.body.append(Step(saved, copied, [array], None, 0, stmt.lineno, differentiable=False))
        store = ast.Assign([ast.Subscript(ast.Name(array.id, ast.Load()), copy.deepcopy(index),
                                          ast.Store())], element, lineno=stmt.lineno)
        index_names = [n for n in ir.read_names(index) if n.id in self.version.values()
                       or n.id in self.temps]
        self.body.append(Step(array.id, ast.Subscript(array, index, ast.Load()),
                              [array, element, *index_names], rules.ARRAY_SETITEM, 0,
                              stmt.lineno, store=store, saved=saved))

    def append(self, name_node, value, stmt):
        sequence = self.load(name_node)
        element = self.atom(value, sequence.id, stmt.lineno)
        call = ast.Call(ast.Attribute(ast.Name(sequence.id, ast.Load()), "append", ast.Load()),
                        [element], [])
        self.body.append(Step(sequence.id, call, [sequence, element], rules.APPEND, 0,
                              stmt.lineno, store=ast.Expr(call, lineno=stmt.lineno)))

    def index(self, node, lineno):
        if isinstance(node, ast.Slice) or (isinstance(node, ast.Tuple)):
            raise self.error(node, "slicing a list" if isinstance(node, ast.Slice) else
                             "indexing with a tuple", "Index one element at a time: `v[i]`.")
        return self.atom(node, "i", lineno)

    def _target_atom(self, target, stmt):
        if not isinstance(target, ast.Name):
            raise self.error(target, "chained assignment to several targets", "Assign one name at a time.")
        return ast.Name(self.version[target.id], ast.Load())

    def _new_version(self, user_name):
        if user_name in self.version or user_name in self.retired:
            name = self._fresh_version(user_name)
            self.base_names[name] = user_name
            return name
        self.namer.reserve(user_name)
        return user_name

    def _fresh_version(self, user_name):
        """A new SSA version of the user's name (``x_2``), noted in ``user_names``."""
        name = self.namer.fresh(user_name)
        self.user_names[name] = self.user_names.get(user_name, user_name)
        return name

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
            number = 0            # numbered in forward order at the end (_renumber)
            self.body.append(Step(name, value, args, rule, number, lineno, callee, differentiable,
                                  custom_rule))
            emitted.append(name)

        if isinstance(node, ast.IfExp):
            return self.conditional(node, target, lineno, hint)
        if isinstance(node, ast.BoolOp):
            return self.boolean(node, target, lineno, hint)
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
        elif isinstance(node, ast.Subscript) and self.array_code:   # x[1:, ::-1], x[mask]...
            array_syntax.subscript(self, node, emit, hint, lineno)
        elif isinstance(node, ast.Call) and array_syntax.is_method_call(self, node):
            array_syntax.method_call(self, node, emit, hint, lineno)     # x.sum(axis=0), W.dot(X)
        elif isinstance(node, ast.Call) and rules.is_array_call(self._callee_or_none(node.func)) \
                and custom.rule_of(self._callee_or_none(node.func)) is None:
            array_syntax.call(self, node, self.callee(node.func), emit, hint, lineno)   # np.sum(x)...
        elif isinstance(node, ast.Call) and self._callee_or_none(node.func) is runtime.ieee \
                and node.args and not node.keywords:
            self.ieee_call(node, emit, hint, lineno)
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
            if rule is None and custom.rule_of(callee) is None and isinstance(callee, types.FunctionType) \
                    and not self._part_of_custom_rule(node.func):
                emit(value, self.bind(node, callee, args, keywords), rules.CALL, callee)
                return emitted[0]
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
        elif isinstance(node, (ast.List, ast.Tuple)) and not any(
                isinstance(e, ast.Starred) for e in node.elts):
            elements = [self.atom(e, hint, lineno) for e in node.elts]
            emit(type(node)(elements, ast.Load()), elements, rules.DISPLAY)
        elif isinstance(node, ast.Subscript):
            sequence = self.atom(node.value, hint, lineno)
            if not isinstance(sequence, ast.Name):
                raise self.error(node, "indexing a constant", "Index a variable.")
            index = self.index(node.slice, lineno)
            emit(ast.Subscript(sequence, index, ast.Load()), [sequence, index], rules.GETITEM)
        elif isinstance(node, ast.Attribute):
            array_syntax.attribute(self, node, emit, hint, lineno)        # x.T, x.shape (array_syntax.py)
        else:
            raise self.error(node)
        return emitted[0]

    def ieee_call(self, node, emit, hint, lineno):
        """``ieee('/', a, b)`` or ``ieee(math.sqrt, a)`` in the IEEE version of generated
        code (``runtime.ieee``; ``hessian`` differentiates it where a gradient is
        infinite): the primitive's rule, its forward kept as the IEEE call."""
        operation, *operands = node.args
        if isinstance(operation, ast.Constant) and operation.value in _IEEE_OPERATORS:
            key, callee = _IEEE_OPERATORS[operation.value], None
        else:
            key = callee = self.callee(operation)
        rule = _hashable_lookup(key, len(operands))
        if rule is None and key is not ast.FloorDiv:
            raise self.error(node)
        args = [self.atom(a, hint, lineno) for a in operands]
        emit(ast.Call(_copy_load(node.func), [_copy_load(operation), *args], []), args, rule,
             callee, differentiable=rule is not None)

    def conditional(self, node, target, lineno, hint):
        """``a if c else b`` as an ``if`` statement assigning one name in both arms."""
        name = target or self._temp_name(node, hint or "t")
        where = dict(lineno=lineno, col_offset=getattr(node, "col_offset", 0))
        arms = [[ast.Assign([ast.Name(name, ast.Store(), **where)], value, **where)]
                for value in (node.body, node.orelse)]
        self.if_statement(ast.If(node.test, arms[0], arms[1], **where), synthetic=True)
        self.version.pop(name, None)
        return name

    def boolean(self, node, target, lineno, hint):
        """``a and b`` is ``b if a else a`` and ``a or b`` is ``a if a else b``, with ``a``
        evaluated once and ``b`` only when Python would."""
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
            left = ast.Name(self.conditional(choice, target if last else None, lineno,
                                             hint or "c"), ast.Load(), **where)
        return left.id

    def _uses_array_features(self):
        """Whether the function is NumPy code (array_syntax.py handles its indexing): it calls
        NumPy, uses ``@``, ``.T`` or methods of local values, or indexes with slices,
        tuples, masks or ``None``.  Otherwise ``v[i]`` is indexing of a list or tuple."""
        appends = {id(n.func) for n in ast.walk(self.node) if isinstance(n, ast.Call)
                   and isinstance(n.func, ast.Attribute) and n.func.attr == "append"}
        for node in ast.walk(self.node):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                return True
            if isinstance(node, ast.Attribute) and not self._is_free(node) \
                    and id(node) not in appends:
                return True
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) \
                    and self._is_free(node.func) \
                    and rules.is_array_call(self._callee_or_none(node.func)):
                return True
            if isinstance(node, ast.Subscript) and not isinstance(
                    node.slice, (ast.Name, ast.Constant, ast.UnaryOp, ast.BinOp)):
                return True
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and not isinstance(node.slice.value, int):
                return True
        return False

    def _part_of_custom_rule(self, func):
        """``f.fwd``, ``f.bwd``, ``f.jvp``...: the user's rule, never differentiated."""
        return isinstance(func, ast.Attribute) and \
            custom.rule_of(self._callee_or_none(func.value)) is not None

    def _is_user_function(self, func):
        callee = self._callee_or_none(func)
        return isinstance(callee, types.FunctionType) and custom.rule_of(callee) is None \
            and _hashable_lookup(callee, 0) is None

    def bind(self, node, callee, args, keywords):
        """The arguments of a call of the user's ``callee`` in parameter order, defaults
        filled in as literals: what its generated pullback is called with."""
        name = ast.unparse(node.func)
        try:
            signature = inspect.signature(callee)
        except (TypeError, ValueError):
            raise self.error(node, f"call of `{name}`, whose signature cannot be read") from None
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
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
PRELUDE_TEST = "while_test"      # the name a computed `while` condition is assigned to


def _terminates(item):
    """Whether control never falls through ``item``: a jump, or an ``if`` whose arms
    both end in one."""
    if isinstance(item, Jump):
        return True
    if isinstance(item, If):
        return bool(item.body) and bool(item.orelse) and _terminates(item.body[-1]) \
            and _terminates(item.orelse[-1])
    return False


def _has_jump(items, kinds=("break", "continue")):
    """A jump of the loop owning ``items`` (not of a loop nested in them)."""
    for item in items:
        if isinstance(item, Jump) and item.kind in kinds:
            return True
        if isinstance(item, If) and (_has_jump(item.body, kinds) or _has_jump(item.orelse, kinds)):
            return True
    return False


def _append_fallthrough(items, step):
    """Append ``step`` where control falls through the end of ``items``: into the arms of
    a final ``if`` that may jump (each arm that does not end in a jump), so that a
    statement runs only on the paths that reach it, in the reverse sweep too."""
    last = items[-1] if items else None
    if isinstance(last, Jump):
        return
    if isinstance(last, If) and _has_jump([last]):
        _append_fallthrough(last.body, step)
        _append_fallthrough(last.orelse, copy.copy(step))
        return
    items.append(step)


def _arg_names(step):
    return [a.id for a in step.args if isinstance(a, ast.Name)]


def _has_break(items):
    return _has_jump(items, ("break",))


def _reads_name(items, name, steps=True):
    return any(name in item_loads(item) for item in walk_items(items)
               if steps or not isinstance(item, Step))


def _renamable(items, name):
    """Whether ``name`` is defined in ``items`` by steps only (not as a loop's carried
    name or target), so every occurrence there can be renamed."""
    for item in walk_items(items):
        if isinstance(item, Loop) and (name in item.carried or name in store_names(item.target)):
            return False
    return True


class _RenameName(ast.NodeTransformer):
    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit_Name(self, node):
        if node.id == self.old:
            return ast.Name(self.new, node.ctx)
        return node


def _rename(items, old, new):
    """Rename ``old`` to ``new`` everywhere in ``items`` (both are SSA names)."""
    renamer = _RenameName(old, new)
    for item in walk_items(items):
        if isinstance(item, Step):
            if item.target == old:
                item.target = new
            item.value = renamer.visit(item.value)
            item.args = [renamer.visit(a) for a in item.args]
            if item.store is not None:
                item.store = renamer.visit(item.store)
        elif isinstance(item, Passive):
            item.stmt = renamer.visit(item.stmt)
        elif isinstance(item, If):
            item.test = renamer.visit(item.test)
        elif isinstance(item, Loop):
            item.carried = [new if c == old else c for c in item.carried]
            item.unbound = [new if c == old else c for c in item.unbound]
            for attr in ("iterable", "test", "target"):
                if getattr(item, attr) is not None:
                    setattr(item, attr, renamer.visit(getattr(item, attr)))


def _partials_read_output(step):
    """Whether the reverse sweep of ``step`` reads the step's own value (``exp``)."""
    if isinstance(step.rule, rules.Structural):
        return False
    if step.rule is None:
        return step.custom is not None or step.callee is not None
    try:
        partials = step.rule.partials(Namespace("m"), Expr.name(step.target), *map(Expr, step.args))
    except Exception:          # a rule that cannot be built symbolically: assume it does
        return True
    return any(isinstance(n, ast.Name) and n.id == step.target
               for p in partials for n in ast.walk(getattr(p, "node", ast.Constant(0))))


def _assigned_in(stmts, exclude=()):
    """User names assigned in ``stmts`` (nested blocks included), in order of first
    assignment; loop targets of nested loops count."""
    names = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                    and node.id not in names and node.id not in exclude:
                names.append(node.id)
    return names


def _upward_exposed(stmts, name, assigned):
    """(whether ``stmts`` may read ``name`` before assigning it, whether it is assigned
    on every path through them), given whether it is assigned on entry."""
    def reads(node):
        return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
                   for n in ast.walk(node))

    def stores(node):
        return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                   for n in ast.walk(node))
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            if not assigned and reads(stmt.test):
                return True, assigned
            exposed_then, then = _upward_exposed(stmt.body, name, assigned)
            exposed_else, orelse = _upward_exposed(stmt.orelse, name, assigned)
            if exposed_then or exposed_else:
                return True, assigned
            assigned = then and orelse
        elif isinstance(stmt, (ast.For, ast.While)):
            head = stmt.iter if isinstance(stmt, ast.For) else stmt.test
            if not assigned and reads(head):
                return True, assigned
            if isinstance(stmt, ast.For) and stores(stmt.target):
                inner = True
            else:
                inner = assigned
            exposed, _ = _upward_exposed(stmt.body, name, inner)
            if exposed:
                return True, assigned
        else:
            if not assigned and (reads(stmt) or (isinstance(stmt, ast.AugAssign)
                                                 and stores(stmt.target))):
                return True, assigned
            assigned = assigned or stores(stmt)
    return False, assigned


def _is_range(node):
    """``range(...)``: its targets are ints, constants for differentiation."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == "range"


def _target_names(stmt):
    if isinstance(stmt, ast.For):
        return [n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)]
    return []


def _renumber(items, counter=None):
    """Number the steps 1, 2, 3... in forward order."""
    counter = counter if counter is not None else [0]
    for step in walk_steps(items):
        counter[0] += 1
        step.number = counter[0]


_IEEE_OPERATORS = {"/": ast.Div, "**": ast.Pow, "%": ast.Mod, "//": ast.FloorDiv}


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
    if array_syntax.suggest_name(node):
        return array_syntax.suggest_name(node)
    if isinstance(node, ast.Call) and len(node.args) == 1 and _leaf(node.args[0]):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else _leaf(node.func)
        if func:
            return func + _leaf(node.args[0])
    return None


def _is_one(node):
    return isinstance(node, ast.Constant) and node.value == 1 and not isinstance(node.value, bool)


