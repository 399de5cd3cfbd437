"""Statements into steps: the ``Normalizer`` and its handlers of statements.

``Normalizer.run`` normalises a function's body statement by statement: ``statement``
dispatches on the statement's class to ``statement_<Class>`` (``statement_Assign``...;
blocks are ``control_flow.ControlFlow``'s, expressions ``expressions.Expressions``'s and
NumPy syntax ``arrays.ArraySyntax``'s), then numbers the steps and validates the program
(``ir.validate``).  Anything it cannot normalise raises ``UnsupportedError`` naming the
construct, the line and a hint.
"""

import ast
import copy
import inspect
import types

from .. import control, ir, rules, runtime
from . import entries, tuple_entries
from ..errors import NotScalarError
from ..numpy_definitions import refusal_parts
from ..ir import Passive, Program, Step, copied_unbound, validate, walk_steps
from ..libraries import is_array_of_entries
from ..module_numbers import constant_read
from ..names import Namer
from ..rules import Syntax
from .arrays import ArraySyntax
from .callables import Callables
from .control_flow import ControlFlow, Versions
from .expressions import Expressions


_CONSTRUCTS = {
    ast.With: ("`with` statement", "Open the resource outside the differentiated function and pass values in."),
    ast.AsyncWith: ("`async with` statement", "Differentiate a plain synchronous function."),
    ast.Try: ("`try` statement", "Handle errors outside the differentiated function."),
    ast.Raise: ("`raise` statement that always runs", "Raise inside an `if` (`if s <= 0: raise ValueError(...)`) or outside the differentiated function."),
    ast.ClassDef: ("class definition", "Define classes at module level; differentiate functions of numbers."),
    ast.AsyncFunctionDef: ("async function definition", "Differentiate a plain synchronous function."),
    ast.Global: ("`global` statement", "Pass the value in as an argument and return the result."),
    ast.Nonlocal: ("`nonlocal` statement", "Pass the value in as an argument and return the result."),
    ast.Delete: ("`del` statement", "Remove the `del`; names go out of scope when the function returns."),
    ast.Import: ("`import` inside the function", "Import at module level."),
    ast.ImportFrom: ("`import` inside the function", "Import at module level."),
    ast.AsyncFor: ("`async for` loop", "Differentiate a plain synchronous function."),
    ast.Lambda: ("lambda expression", "Bind the lambda to a name and call it (`sq = lambda u: u * u`), or define the function with def."),
    ast.ListComp: ("list comprehension here", "Compute the comprehension into a variable first."),
    ast.SetComp: ("set comprehension", "Sets cannot be differentiated: build a list with a list comprehension."),
    ast.DictComp: ("dict comprehension here", 'Assign a dict once, with keys written in the source, and read it only at those keys: `d["a"]`.'),
    ast.GeneratorExp: ("generator expression here", "Compute it into a list variable first."),
    ast.Yield: ("`yield`", "Generators cannot be differentiated: return a value."),
    ast.YieldFrom: ("`yield from`", "Generators cannot be differentiated: return a value."),
    ast.Await: ("`await`", "Differentiate a plain synchronous function."),
    ast.NamedExpr: ("assignment expression (:=)", "Assign with a separate `=` statement."),
    ast.Set: ("set display", "Sets cannot be differentiated."),
    ast.Dict: ("dict display here", 'Assign a dict once, with keys written in the source, and read it only at those keys: `d["a"]`.'),
    ast.JoinedStr: ("f-string", "Strings cannot be differentiated: build them outside the function."),
    ast.Starred: ("starred expression", "Pass arguments one by one."),
    ast.Slice: ("slice", "Index one element at a time: `v[i]`."),
}
for _name, _hint in (("Match", "`match` statement"), ("TryStar", "`try`/`except*` statement")):
    if hasattr(ast, _name):
        _CONSTRUCTS[getattr(ast, _name)] = (_hint, "Rewrite it without this statement.")

_GENERIC_HINT = "Rewrite it as assignments of arithmetic and calls of math functions."


# NumPy functions that write into their first argument and return None
_NUMPY_IN_PLACE = {"fill_diagonal", "copyto", "put", "place", "putmask", "put_along_axis",
                   "shuffle"}


class Normalizer(ControlFlow, Expressions, ArraySyntax, Callables):
    """Normalises one parsed function: ``Normalizer(parsed).run()`` is its ``Program``."""

    def __init__(self, parsed):
        self.parsed = parsed
        self.node = parsed.node
        # one walk of the function for the scans below (``ast.walk``'s order, which
        # ``_uses_array_features`` relies on): its names, stores and array features
        nodes = parsed.nodes()
        parsed.forget_nodes()      # normalizing may change the tree
        self.namer = Namer(_names(nodes))        # Namer.for_function(self.node)
        self.body = []
        self.temps = set()
        self.tuple_displays = {}   # a name bound once to a tuple display -> its atoms
        self.version = Versions()  # user name -> its current SSA name
        self.returns_tuple = False
        self.return_stmt = None
        stores = {n.id for n in nodes
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.locals = stores | {a.arg for a in ast.walk(self.node.args)   # assigned_names
                                if isinstance(a, ast.arg)}
        self.loops = []            # the carried names of each enclosing loop, innermost last
        self.open_blocks = []      # the blocks being built around the current one
        self.base_names = {}       # SSA version -> the user's name (x_2 -> x), for temps
        self.user_names = dict(parsed.written)  # every SSA version -> the user's name
                                   # (or what a pass's name stands for), for messages
        self.frames = []           # [statements, index] of each block being normalised, or
                                   # a loop statement: what may run after the current one
        self.retired = set()       # user names whose version was dropped where dead
        self.targets = set()       # SSA names bound by loop heads
        self.init_callables(stores)
        self.opaque_params.update(parsed.opaque)      # act(x), act=relu inlined (helpers.py)
        self.reads_arrays = False  # an array the function does not take (ir.is_array_program)
        self.array_reason = None   # the node that makes it NumPy code, for messages
        self.array_code = self._uses_array_features(nodes)

    def error(self, node, what=None, hint=None):
        construct, default_hint = _CONSTRUCTS.get(type(node), (type(node).__name__, _GENERIC_HINT))
        construct = what or construct
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {self.node.name}: {construct} is not supported",
            construct=construct, hint=hint or default_hint)

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
        self.body = tuple_entries.drop_unread(self.body, self.tuple_displays)
        _renumber(self.body)
        program = Program(self.parsed, self.node.name, params, self.body, output,
                          self.namer, self.temps, self.returns_tuple, self.return_stmt)
        program.user_names = self.user_names
        program.reads_arrays = self.reads_arrays
        program.array_reason = self.array_reason
        program.opaque_params = self.opaque_params
        program.parameter_reads = self.parameter_reads
        program.inlined = self.parsed.inlined
        program.unbound = copied_unbound(self.body, set(params))
        entries.resolve(program)
        validate(program)
        return program

    # one handler per class of statement ------------------------------------------------

    def statement(self, stmt):
        handler = getattr(self, f"statement_{type(stmt).__name__}", None)
        if handler is None:
            raise self.error(stmt)
        handler(stmt)

    def statement_Assign(self, stmt):
        first, *others = stmt.targets
        self.assign(first, stmt.value, stmt)
        for other in others:        # a = b = value: later targets copy the first
            self.assign(other, ast.Name(self._target_atom(first, stmt).id, ast.Load()), stmt)

    def statement_AugAssign(self, stmt):
        if isinstance(stmt.target, ast.Subscript):
            where = dict(lineno=stmt.lineno, col_offset=stmt.col_offset)
            read = ast.Subscript(stmt.target.value, stmt.target.slice, ast.Load(), **where)
            self.assign(stmt.target, ast.BinOp(read, stmt.op, stmt.value, **where), stmt)
            return
        if not isinstance(stmt.target, ast.Name):
            raise self.error(stmt.target, "augmented assignment to an element or attribute",
                             "Assign to a plain variable.")
        load = ast.Name(stmt.target.id, ast.Load(), lineno=stmt.lineno, col_offset=stmt.col_offset)
        value = ast.BinOp(load, stmt.op, stmt.value, lineno=stmt.lineno, col_offset=stmt.col_offset)
        self.assign(stmt.target, value, stmt)
        new = self.version[stmt.target.id]
        step = next(s for s in reversed(self.body) if isinstance(s, Step) and s.target == new)
        step.augmented = True      # aliases.py: in place on a list or an array

    def statement_AnnAssign(self, stmt):
        if stmt.value is not None:
            self.assign(stmt.target, stmt.value, stmt)

    def statement_Pass(self, stmt):
        pass

    def statement_Expr(self, stmt):
        if isinstance(stmt.value, ast.Constant):
            return                  # a bare string or ... is a comment
        call = stmt.value
        if isinstance(call, (ast.Yield, ast.YieldFrom, ast.Await)):
            raise self.error(call)
        called = self.resolve(call.func) if isinstance(call, ast.Call) else None
        if called in (print, runtime.Unbound.check) or self.is_guarded_primitive(call) \
                or getattr(called, "s2sdiff_passive", False):     # argument_aliases' check
            self.passive(stmt)
            return
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and call.func.attr == "append" and isinstance(call.func.value, ast.Name) \
                and not self.is_free(call.func.value):
            if len(call.args) != 1 or call.keywords:
                raise self.error(call, "append with other than one argument")
            self.append(call.func.value, call.args[0], stmt)
            return
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and call.func.attr == "at" and call.args \
                and type(self.resolve(call.func.value)).__name__ == "ufunc":
            out = ast.unparse(call.args[0])
            raise self.error(stmt, f"`{ast.unparse(call.func)}(...)`, which writes into `{out}` "
                             f"in place", f"Build the result as a new array: for `np.add.at({out}, "
                             f"idx, w)` with a one-dimensional `{out}`, `{out} = {out} + "
                             f"np.bincount(idx, weights=w, minlength={out}.size)`.")
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and call.func.attr == "sort" and not self.is_free(call.func):
            target = ast.unparse(call.func.value)
            words = "".join(f", {ast.unparse(k)}" for k in call.keywords)
            raise self.error(stmt, f"sorting in place (`{target}.sort()`)",
                             f"Sort into a new list, `{target} = sorted({target}{words})`, or "
                             f"`{target} = np.sort({target})` for an array.")
        if isinstance(call, ast.Call):
            self.refuse_out(call)                       # np.multiply(x, 2.0, out=y)
        if isinstance(call, ast.Call) and call.args \
                and (getattr(called, "__module__", None) or "").startswith("numpy") \
                and getattr(called, "__name__", None) in _NUMPY_IN_PLACE:
            out = ast.unparse(call.args[0])          # np.fill_diagonal(B, 0.0): None
            example = (f"`{out} = {out} * (1 - np.eye(n))` or `{out} = {out} - "
                       f"np.diag(np.diag({out}))`, plus the new diagonal"
                       if called.__name__ == "fill_diagonal" else
                       f"`{out} = np.where(mask, values, {out})`, or `np.concatenate`")
            raise self.error(stmt, f"`{ast.unparse(call.func)}(...)`, which writes into "
                             f"`{out}` in place", f"Build the result as a new array "
                             f"({example}).")
        raise self.error(stmt, "expression statement whose result is discarded",
                         "s2sdiff follows values, not side effects: use the result "
                         "(`y = f(x)`), and have functions return new values rather than "
                         "write into their arguments or into data outside the function.")

    def is_guarded_primitive(self, value):
        """``math.log(x)`` or ``x / y`` alone: the body of a guard of generated code
        (``if x <= 0.0: math.log(x)``, ``liveness.prune_forward``), there to raise where the
        forward raises; its value is discarded, so it is passive.  In the user's own
        code such a statement is refused (its result is lost: a likely slip)."""
        if not hasattr(self.parsed.func, "__s2sdiff_origin__"):
            return False
        if isinstance(value, ast.BinOp):
            key = rules.Operator(type(value.op))
        elif isinstance(value, ast.Call) and not value.keywords:
            key = rules.Function(self.resolve(value.func))
        else:
            return False
        return getattr(rules.lookup(key), "fails", None) is not None

    def passive(self, stmt):
        """``assert``, ``raise`` and ``print(...)``: kept as they are, reading the current
        versions (the forward sweep raises where the function raises)."""
        for node in ast.walk(stmt):
            if type(node) in _CONSTRUCTS and not isinstance(node, ast.JoinedStr) \
                    and node is not stmt:
                raise self.error(node)
        renamed = _Rename(self).visit(copy.deepcopy(stmt))    # the parsed tree is normalised again per kind
        ast.unparse(renamed)        # emit unparses it: a RecursionError must happen here
        self.body.append(Passive(renamed, stmt.lineno))

    statement_Assert = passive

    def statement_Raise(self, stmt):
        """``raise`` inside an ``if`` or a loop (an argument check) is passive; one that
        always runs is refused: the function has no derivative anywhere."""
        if len(self.frames) <= 1:
            refusal = _definition_refusal(stmt)     # a NumPy definition's (axis=0 given)
            if refusal is not None:
                raise self.error(stmt, *refusal)
            raise self.error(stmt)
        self.passive(stmt)

    def assign(self, target, value, stmt):
        if isinstance(target, ast.Name) and isinstance(value, ast.Lambda):
            self.define_local_function(target.id, value.args,
                                       [ast.Return(value.body, lineno=value.lineno)], stmt)
        elif isinstance(target, ast.Name):
            name = self.new_version(target.id)
            self.expression(value, name, stmt.lineno)
            self.version[target.id] = name
        elif isinstance(target, (ast.Tuple, ast.List)):
            if any(isinstance(t, ast.Starred) for t in target.elts):
                raise self.error(target, "starred assignment", "Unpack into named variables.")
            if isinstance(value, ast.Call) and all(isinstance(t, ast.Name) for t in target.elts) \
                    and self.is_user_function(value.func):
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
                        name = self.new_version(sub_target.id)
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
                and not self.is_free(target.value):
            self.set_item(target, value, stmt)
        elif isinstance(target, ast.Attribute):
            raise self.error(target, f"assignment to the attribute `{ast.unparse(target)}`",
                             "s2sdiff differentiates functions of numbers, lists and arrays: "
                             "return the new value instead of storing it on an object.")
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Subscript):
            raise self.error(target, f"assignment to an element of a nested list "
                                     f"`{ast.unparse(target)}`",
                             "Keep the rows as lists of their own (`row1[0] = ...`), or use "
                             "a NumPy array and write `m[1, 0] = ...`.")
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
            raise self.error(target, *_attribute_element(target))
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
                              [sequence, index, element], rules.lookup(Syntax("setitem")), 0,
                              stmt.lineno, store=store, saved=saved))

    def set_array_item(self, target, value, stmt):
        """``a[idx] = e`` on an array: the overwritten elements are saved first
        (``a_saved = a[idx].copy()``), for the reverse sweep to put them back."""
        array = self.load(target.value)
        index = self.array_operand(target.slice, array.id, stmt.lineno)
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
                              [array, element, *index_names],
                              rules.lookup(Syntax("array setitem")), 0, stmt.lineno,
                              store=store, saved=saved))

    def append(self, name_node, value, stmt):
        sequence = self.load(name_node)
        element = self.atom(value, sequence.id, stmt.lineno)
        call = ast.Call(ast.Attribute(ast.Name(sequence.id, ast.Load()), "append", ast.Load()),
                        [element], [])
        self.body.append(Step(sequence.id, call, [sequence, element],
                              rules.lookup(Syntax("append")), 0, stmt.lineno,
                              store=ast.Expr(call, lineno=stmt.lineno)))

    def index(self, node, lineno):
        if isinstance(node, ast.Slice) or (isinstance(node, ast.Tuple)):
            raise self.error(node, "slicing a list" if isinstance(node, ast.Slice) else
                             "indexing with a tuple", "Index one element at a time: `v[i]`.")
        return self.atom(node, "i", lineno)

    def _target_atom(self, target, stmt):
        if not isinstance(target, ast.Name):
            raise self.error(target, "chained assignment to several targets", "Assign one name at a time.")
        return ast.Name(self.version[target.id], ast.Load())

    def new_version(self, user_name):
        if user_name in self.version or user_name in self.retired:
            name = self.fresh_version(user_name)
            self.base_names[name] = user_name
            return name
        self.namer.reserve(user_name)
        return user_name

    def fresh_version(self, user_name):
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

    def _free_array(self, node, known):
        """Whether the free name or dotted name ``node`` holds an array of one dimension or
        more (``libraries.is_array_of_entries``); ``known``: the answers so far, by
        spelling."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        key = (node.id, *reversed(parts))
        if key not in known:
            value = self.parsed.lookup(node.id, None)
            for attr in key[1:]:             # no property runs: an instance's own attributes
                value = getattr(value, attr, None) if isinstance(value, types.ModuleType) \
                    else inspect.getattr_static(value, attr, None)
            known[key] = is_array_of_entries(value)
        return known[key]

    def _uses_array_features(self, nodes):
        """Whether the function is NumPy code (``arrays.py`` handles its indexing): it calls
        NumPy, uses ``@``, ``.T`` or methods of local values, or indexes with slices,
        tuples, masks or ``None``, or reads an array it does not take as a parameter (a
        global, a closure variable, an attribute of one: ``XS * w``, which NumPy code
        differentiates with its broadcasting).  Otherwise ``v[i]`` is indexing of a list
        or tuple.  ``nodes``: the function's, in ``ast.walk``'s order."""
        appends = set()      # ast.walk visits a call before its function: one walk
        data = {}            # free name or dotted name -> whether it holds an array
        names = set()        # the names read so far (the answer depends on the name only)
        for node in nodes:
            cls = node.__class__
            if cls not in _ARRAY_FEATURE_CLASSES:
                continue
            if cls is ast.Name:
                if node.id in names or node.ctx.__class__ is not ast.Load:
                    continue
                names.add(node.id)
            if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) \
                    and self.is_free(node) and self._free_array(node, data):
                self.reads_arrays = True
                return self._because(node)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "append":
                appends.add(id(node.func))
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                return self._because(node)
            if isinstance(node, ast.Attribute) and not self.is_free(node) \
                    and id(node) not in appends and self.parameter_root(node) is None:
                return self._because(node)
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) \
                    and self.is_free(node.func) \
                    and rules.is_array_call(self.resolve(node.func)):
                return self._because(node)
            if isinstance(node, ast.Subscript) and not isinstance(
                    node.slice, (ast.Name, ast.Constant, ast.UnaryOp, ast.BinOp)):
                return self._because(node)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and not isinstance(node.slice.value, int):
                return self._because(node)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.ctx, ast.Load) and self.is_free(node.value) \
                    and is_array_of_entries(constant_read(self.parsed, node)):
                self.reads_arrays = True             # LST[0], an array in a global list
                return self._because(node)
        return False

    def _because(self, node):
        """True, noting ``node`` as what makes the function NumPy code (for messages)."""
        self.array_reason = node
        return True


_ARRAY_FEATURE_CLASSES = frozenset((ast.Call, ast.BinOp, ast.Attribute, ast.Subscript,
                                    ast.Name))


class _Rename(ast.NodeTransformer):
    """Point loads of user variables at their current SSA names."""

    def __init__(self, normalizer):
        self.normalizer = normalizer

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            return ast.copy_location(self.normalizer.load(node), node)
        return node


def _names(nodes):
    """The names and parameter names among ``nodes`` (``Namer.for_function``'s)."""
    names = set()
    for n in nodes:
        cls = n.__class__
        if cls is ast.Name:
            names.add(n.id)
        elif cls is ast.arg:
            names.add(n.arg)
    return names


def _definition_refusal(stmt):
    """(construct, hint) of ``raise NotImplementedError("np.median: s2sdiff takes ...")``,
    a use of NumPy that ``numpy_definitions`` does not cover; else None."""
    exc = stmt.exc
    if not (isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name)
            and exc.func.id == "NotImplementedError" and len(exc.args) == 1
            and isinstance(exc.args[0], ast.Constant) and isinstance(exc.args[0].value, str)):
        return None
    return refusal_parts(exc.args[0].value)


def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def _renumber(items, counter=None):
    """Number the steps 1, 2, 3... in forward order."""
    counter = counter if counter is not None else [0]
    for step in walk_steps(items):
        counter[0] += 1
        step.number = counter[0]


def _attribute_element(target):
    """(construct, hint) for ``v.attr[i] = e``: a view of an array (``B.T[0] = ...``) or an
    attribute of an object (``self.w[0] = ...``)."""
    written, owner = ast.unparse(target), ast.unparse(target.value.value)
    attribute = target.value.attr
    if attribute in ("T", "mT", "flat", "real"):
        return (f"assignment into `{written}`, an element of `{owner}.{attribute}` (a view "
                f"of `{owner}`)",
                f"Write into `{owner}` itself (for a matrix, `{owner}.T[i] = v` is "
                f"`{owner}[:, i] = v`), or build the new values in an array of their own.")
    return (f"assignment to an element of the attribute `{owner}.{attribute}`",
            "s2sdiff differentiates functions of numbers, lists and arrays: copy the "
            "attribute into a local variable (`w = obj.w.copy()`), write into that, and "
            "return it.")
