"""Comprehensions, reductions over iterables and unpacking, rewritten into the loops,
lists and indexing the normalizer already differentiates, before it runs.

``desugar(parsed)`` gives a ``Parsed`` whose function has none of these left (or
``parsed`` itself when it had none), with the same values on every path:

* ``[e for v in xs if c]`` and ``(e for v in xs)`` become a list built by a ``for`` loop
  and ``append`` just before the statement reading them (several ``for`` clauses nest);
  a comprehension's loop variable is renamed (``v_2``) when the function uses that name
  elsewhere, so it neither leaks nor clobbers a variable of the user's;
* ``sum(...)`` becomes a loop accumulating into a variable; ``max``/``min`` of one
  iterable whose length is known here (a display, a comprehension over one) become the
  call with the elements as arguments, whose rule splits ties evenly, of another one
  ``max(xs)`` of a name (``s2sdiff/extrema.py``, the same ties); ``for c in
  zip(*rows)`` loops over the columns, ``a, b = zip(*rows)`` builds one list per name
  after checking the rows' width (rows that are a tree are written out before, by
  ``tree_flatten``); ``for v in reversed(xs)`` and ``enumerate(reversed(xs))`` loop
  over indices (``headers.py``);
* ``np.array([f(r) for r in X])`` and ``np.stack([...])`` (one ``for``) become a loop
  writing each row into an array preallocated after the first row (its shape checked
  for each row, an empty comprehension refused when it runs), copied; with ``if``
  clauses refused (``filtered.py``: the number of rows would depend on the data);
* ``[*xs, y]`` becomes a list built by ``append``; ``np.array([*a, b])`` (or
  ``np.stack``) ``np.concatenate([a, np.array([b])])``; ``f(*[a, b])`` ``f(a, b)``;
  ``h(*args)`` of the user's function of positional parameters ``h(args[0], args[1])``
  after checking ``len(args)``;
* a dict of keys known here (``{k: v * 2 for k, v in zip("ab", [x, y])}``) read only at
  those keys becomes one variable per key (``dicts.py``);
* ``a, b = v`` (a list, tuple, 1-D array or ``X.shape``), ``first, *rest = v``: an
  ``assert`` of the length, then ``a = v[0]``... (``rest`` a list of the others); a
  nested target (``a, (b, c) = g(x)``) unpacks again each entry it gets.

A comprehension evaluated only on some paths (in an arm of ``a if c else b``, after
``and``/``or``, in a ``while`` condition) is refused with ``UnsupportedError``; other
dicts and set comprehensions are refused by the normalizer.
"""

import ast
import collections
import copy
import dataclasses
import math
import types

from .. import custom, rules, split_rules
from ..ir import assigned_names
from ..names import Namer
from . import dicts, filtered, headers
from .numpy_of_lists import array_of_list, as_list_comprehension
from .substitute import Substitute
from . import sequences
from .sequences import _COMPREHENSIONS, _start_and_operator, _unrollable, _where


_BLOCK_FIELDS = ("body", "orelse")


def desugar(parsed):
    """``parsed`` with its comprehensions, reductions and unpackings rewritten (see the
    module docstring), or ``parsed`` itself when it has none."""
    if not any(_rewritable(node) for cls in _MAYBE_REWRITABLE for node in parsed.of(cls)):
        return parsed
    node = copy.copy(parsed.node)
    if parsed.of(ast.Dict, ast.DictComp):
        try:
            node = copy.deepcopy(parsed.node)
        except RecursionError:
            raise _too_deep(parsed, node) from None
        node.body = dicts.scalarize(node, Namer.for_function(node))
    desugarer, body = _Desugarer(parsed, node), []
    for stmt in node.body:
        try:
            body.extend(ast.fix_missing_locations(new)
                        for new in desugarer.statement(copy.deepcopy(stmt)))
        except RecursionError:
            raise _too_deep(parsed, stmt) from None
    node.body = body
    return dataclasses.replace(parsed, node=node)


def _too_deep(parsed, node):
    return parsed.error(node, f"s2sdiff cannot differentiate {parsed.node.name}: expression "
                              f"nested this deeply is not supported",
                        construct="expression nested this deeply",
                        hint="Split it into several assignments.")


# the classes of the nodes ``_rewritable`` may accept: ``desugar`` looks at these only
_MAYBE_REWRITABLE = (*_COMPREHENSIONS, ast.Dict, ast.DictComp, ast.For, ast.Call, ast.List,
                     ast.Tuple, ast.Assign)
_ALWAYS_REWRITTEN = frozenset((*_COMPREHENSIONS, ast.Dict, ast.DictComp))


def _rewritable(node):
    """Whether ``desugar`` rewrites ``node``, of a class of ``_MAYBE_REWRITABLE``."""
    cls = node.__class__
    if cls in _ALWAYS_REWRITTEN:
        return True
    if cls is ast.For:
        return bool(headers.candidate(node.iter)) or headers.unpacks(node.target, node.iter)
    if cls is ast.Call:             # sum(...), max, min, zip, prod, f(*xs)
        return getattr(node.func, "id", None) in ("sum", "max", "min", "zip", "prod") or getattr(
            node.func, "attr", None) == "prod" or any(isinstance(a, ast.Starred) for a in node.args)
    if cls is ast.List or cls is ast.Tuple:
        return isinstance(node.ctx, ast.Load) and any(isinstance(e, ast.Starred) for e in node.elts)
    if cls is ast.Assign:
        for t in node.targets:           # an unpacking: starred, or of other than a display
            if isinstance(t, (ast.Tuple, ast.List)) and (
                    any(isinstance(e, (ast.Starred, ast.Tuple, ast.List)) for e in t.elts)
                    or not isinstance(node.value, (ast.Tuple, ast.List))):
                return True
    return False


class _Desugarer:
    def __init__(self, parsed, node):
        self.parsed = parsed
        self.function = node
        self.locals = assigned_names(node)
        self.namer = Namer.for_function(node)
        self.user_names = _names_outside_comprehensions(node)
        self.bound = set()         # loop variables of the comprehensions being rewritten
        self.stores = collections.Counter(n.id for n in ast.walk(node) if isinstance(
            n, ast.Name) and isinstance(n.ctx, ast.Store))
        self.params = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}

    def _reassigned(self, name):
        """Whether ``name`` has several SSA versions: assigned twice, or a parameter's."""
        stores = self.stores.get(name, 0)
        return stores >= 2 or (stores and name in self.params)

    def error(self, node, construct, hint):
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {self.function.name}: {construct} is not "
                  f"supported", construct=construct, hint=hint)

    def resolve(self, func):
        """What a free name (``sum``) or dotted name (``math.prod``) denotes, or None."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return getattr(self.resolve(func.value), func.attr, None)
        if isinstance(func, ast.Name) and func.id not in self.locals:
            return self.parsed.lookup(func.id, None)
        return None

    # statements -----------------------------------------------------------------------

    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        """``stmt`` rewritten, preceded by the statements its expressions need."""
        before = []
        hoister = _Hoister(self, before, stmt)
        if isinstance(stmt, ast.While):
            _refuse_inside(self, stmt.test, "a `while` condition")
        elif isinstance(stmt, ast.For) and _is_transpose(stmt.iter) \
                and self.resolve(stmt.iter.func) is zip:
            return before + self.block(sequences.columns(self, stmt))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], (ast.Tuple, ast.List)) \
                and not any(isinstance(t, ast.Starred) for t in stmt.targets[0].elts) \
                and _is_transpose(stmt.value) and self.resolve(stmt.value.func) is zip:
            return before + self.block(sequences.unzipped(self, stmt.targets[0], stmt.value,
                                                          stmt))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) \
                and (isinstance(stmt.value, (ast.List, ast.Tuple)) and any(
                    isinstance(e, ast.Starred) for e in stmt.value.elts)) \
                and not any(isinstance(n, ast.Name) and n.id == stmt.targets[0].id
                            for n in ast.walk(stmt.value)):
            hoister.into = stmt.targets[0].id   # zs = [*xs, y]: appends to zs itself
            hoister.visit(stmt.value)
            return before
        elif isinstance(stmt, ast.For) and (checked := headers.strict_zip(self, stmt)):
            return before + self.block(checked)
        elif isinstance(stmt, ast.For) and (loop := headers.loop(
                self, stmt.target, stmt.iter, stmt.body, _where(stmt))) is not None:
            loop.orelse = stmt.orelse
            return before + self.statement(loop)
        elif isinstance(stmt, (ast.If, ast.For)):
            field = "test" if isinstance(stmt, ast.If) else "iter"
            setattr(stmt, field, hoister.visit(getattr(stmt, field)))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and self._reduction_into(stmt):
            return before + self.reduction(stmt.value, stmt.targets[0].id, stmt, before)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and self._builds_into(stmt):
            self.comprehension(stmt.value, stmt, before, into=stmt.targets[0].id)
            return before
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr,
                               ast.Return, ast.Assert)):
            for field in ("value", "test", "msg"):
                if getattr(stmt, field, None) is not None:
                    setattr(stmt, field, hoister.visit(getattr(stmt, field)))
        for field in _BLOCK_FIELDS:
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and self._splits(stmt.targets[0], stmt.value):
            return before + self.block(self.split_parts(stmt.targets[0], stmt.value, stmt))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and self._needs_unpacking(stmt.targets[0], stmt.value):
            return before + self.block(self.unpack(stmt.targets[0], stmt.value, stmt))
        return before + [stmt]

    def _reduction_into(self, stmt):
        """``s = sum(...)`` not reading ``s``: the loop may accumulate into ``s`` itself."""
        value, name = stmt.value, stmt.targets[0].id
        return self._reduced(value) is not None and self.display(value.args[0]) is None \
            and not any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(value))

    def _builds_into(self, stmt):
        """``ys = [e for v in xs]`` not reading ``ys``: the loop appends to ``ys`` itself."""
        value, name = stmt.value, stmt.targets[0].id
        return isinstance(value, _COMPREHENSIONS) and not _unrollable(value) and not any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(value))

    def _reduced(self, node):
        """The ``sum`` (or ``math.prod``) call ``node`` is, if it is one over one iterable."""
        if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        callee = self.resolve(node.func)
        if callee is sum and not node.keywords and len(node.args) in (1, 2):
            return node
        if callee is math.prod and len(node.args) == 1 \
                and all(k.arg == "start" for k in node.keywords):
            return node
        return None

    # sum, max, min ----------------------------------------------------------------------

    def reduction(self, call, total, stmt, before):
        """``total = start; for v in xs: total = total + v`` (the comprehension's own
        loops when ``xs`` is one, adding its element); the statements."""
        where = _where(stmt)
        start, op = _start_and_operator(self, call)
        start = _Hoister(self, before, stmt).visit(start)
        init = ast.Assign([ast.Name(total, ast.Store())], start, **where)
        iterable = call.args[0]

        def add(element):
            value = ast.BinOp(ast.Name(total, ast.Load()), op, element)
            return [ast.Assign([ast.Name(total, ast.Store())], value, **where)]
        if isinstance(iterable, _COMPREHENSIONS):
            return [init] + self.block(self.loops(iterable, add, stmt))
        items = _Hoister(self, before, stmt).visit(iterable)
        item = self.namer.fresh("item")
        loop = ast.For(ast.Name(item, ast.Store()), items, add(ast.Name(item, ast.Load())), [],
                       **where)
        return [init] + self.block([loop])

    def extremum(self, call, stmt, before):
        """``max(e for v in [a, b])`` → ``max(items[0], items[1])``, ties split evenly by
        the rule of ``max`` with several arguments."""
        iterable, name = call.args[0], call.func.id
        if headers.candidate(iterable) and isinstance(iterable, ast.Subscript):   # xs[1:]
            entry = ast.Name(self.namer.fresh("entry"), ast.Store())
            iterable = ast.ListComp(ast.Name(entry.id, ast.Load()),
                                    [ast.comprehension(entry, iterable, [], 0)])
        length = _static_length(iterable)
        items = _Hoister(self, before, stmt).visit(iterable)
        if not length and not isinstance(items, ast.Name):     # max(xs) of a list: one
            before.append(ast.Assign([ast.Name(self.namer.fresh("items"), ast.Store())], items,
                                     **_where(stmt)))      # step (s2sdiff/extrema.py)
            items = ast.Name(before[-1].targets[0].id, ast.Load())
        if not length:
            return ast.Call(ast.Name(name, ast.Load()), [items], [])
        if isinstance(items, (ast.List, ast.Tuple)):
            elements = items.elts
        else:
            elements = [ast.Subscript(ast.Name(items.id, ast.Load()), ast.Constant(i), ast.Load())
                        for i in range(length)]
        if length == 1:
            return elements[0]
        return ast.Call(ast.Name(name, ast.Load()), elements, [])

    def display(self, node):
        """The elements of a display, or of a comprehension over a display of names
        (``[v * v for v in [x, y]]`` → ``[x * x, y * y]``); else None."""
        if isinstance(node, (ast.List, ast.Tuple)) and not any(
                isinstance(e, ast.Starred) for e in node.elts):
            return list(node.elts)
        if isinstance(node, _COMPREHENSIONS) and _unrollable(node):
            return [self._substitute(node, e) for e in node.generators[0].iter.elts]
        return None

    # comprehensions ---------------------------------------------------------------------

    def comprehension(self, node, stmt, before, into=None):
        """A list display or the name of the list ``node`` builds, with its loops
        appended to ``before``."""
        if _unrollable(node):
            return self.hoisted(ast.List(self.display(node), ast.Load()), stmt, before)
        name = into or self.namer.fresh(_list_name(node))
        where = _where(stmt)

        def append(element):
            call = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append", ast.Load()),
                            [element], [])
            return [ast.Expr(call, **where)]
        before.append(ast.Assign([ast.Name(name, ast.Store())], ast.List([], ast.Load()), **where))
        before.extend(self.block(self.loops(node, append, stmt)))
        return ast.Name(name, ast.Load())

    def hoisted(self, node, stmt, before):
        return _Hoister(self, before, stmt).visit(node)

    def _substitute(self, node, element):
        target = node.generators[0].target.id
        return Substitute({target: element}).visit(copy.deepcopy(node.elt))

    def loops(self, node, innermost, stmt):
        """The nested ``for``/``if`` statements of ``node``'s clauses, its loop variables
        renamed where needed, ``innermost(element)`` in the innermost."""
        where = _where(stmt)
        renames = {}
        for generator in node.generators:
            for target in ast.walk(generator.target):
                if isinstance(target, ast.Name) and target.id not in renames and (
                        target.id in self.user_names or target.id in self.bound):
                    renames[target.id] = self.namer.fresh(target.id)
                    self.parsed.written[renames[target.id]] = target.id    # p_2: `p`
        if any(not isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.Store, ast.Load))
               for g in node.generators for t in ast.walk(g.target)):
            raise self.error(node, "comprehension target that is not a name or a tuple of names",
                             "Loop over names: `for i, x in enumerate(xs)`.")
        renamer = Substitute({old: ast.Name(new, ast.Load()) for old, new in renames.items()})
        node = copy.deepcopy(node)
        for i, generator in enumerate(node.generators):
            if generator.is_async:
                raise self.error(node, "async comprehension", "Use a plain comprehension.")
            generator.target = Substitute.store(renamer.visit(generator.target))
            if i:
                generator.iter = renamer.visit(generator.iter)
            generator.ifs = [renamer.visit(c) for c in generator.ifs]
        element = renamer.visit(node.elt)
        names = {n.id for g in node.generators for n in ast.walk(g.target)
                 if isinstance(n, ast.Name)}
        self.bound |= names
        body = innermost(element)
        for generator in reversed(node.generators):
            for test in reversed(generator.ifs):
                body = [ast.If(test, body, [], **where)]
            body = [self._for(generator.target, generator.iter, body, where)]
        return body

    def _for(self, target, iterable, body, where):
        """``for target in iterable: body``; over ``reversed(xs)`` by index (headers.py)."""
        return headers.loop(self, target, iterable, body, where) \
            or ast.For(target, iterable, body, [], **where)

    # unpacking --------------------------------------------------------------------------

    def _needs_unpacking(self, target, value):
        """Whether ``target = value`` is an unpacking the normalizer does not do itself (it
        does ``a, b = x, y``, ``a, b = g(x)`` of the user's ``g``; not ``a, (b, c) = ...``)."""
        if not isinstance(target, (ast.Tuple, ast.List)):
            return False
        nested = any(isinstance(t, (ast.Starred, ast.Tuple, ast.List)) for t in target.elts)
        if isinstance(value, (ast.Tuple, ast.List)) and not nested:
            return False
        if isinstance(value, ast.Call) and not nested and self._calls_user_function(value):
            return False
        return True

    def _calls_user_function(self, call):
        callee = self.resolve(call.func)
        if isinstance(call.func, ast.Attribute):
            return False
        return isinstance(callee, types.FunctionType) and custom.rule_of(callee) is None \
            and rules.lookup(rules.Function(callee)) is None

    def _splits(self, target, value):
        """Whether ``target = value`` is ``a, b = np.split(x, 2)`` (or array_split, hsplit,
        vsplit, dsplit) into names or other targets, none starred."""
        if not (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Call)
                and not any(isinstance(t, ast.Starred) for t in target.elts)):
            return False
        return any(self._callee_of(value) is f for f in split_rules.PARTED)

    def _callee_of(self, call):
        """The function ``call`` calls, as far as its dotted name resolves, or None."""
        func, dotted = call.func, []
        while isinstance(func, ast.Attribute):
            dotted.append(func.attr)
            func = func.value
        callee = self.resolve(func)
        for attribute in reversed(dotted):
            callee = getattr(callee, attribute, None)
        return callee

    def split_parts(self, target, call, stmt):
        """``a, b = np.split(x, 2)`` as ``a = np.split(x, 2)[0]``, ``b = np.split(x, 2)[1]``
        (one step each: normalize/arrays.py; np.meshgrid's parts too), arrays that are not
        names computed once first, and, unless the literal sections (or meshgrid's arrays)
        give as many parts as names, ``assert len(np.split(x, 2)) == 2``."""
        where, out = _where(stmt), []
        grid = self._callee_of(call) in split_rules.GRIDS     # a part per array argument
        call = ast.Call(call.func, list(call.args), call.keywords)
        for i, arg in enumerate(call.args if grid else call.args[:1]):
            if not isinstance(arg, (ast.Name, ast.Starred)):
                call.args[i] = ast.Name(self.namer.fresh("whole"), ast.Load())
                out.append(ast.Assign([ast.Name(call.args[i].id, ast.Store())], arg, **where))
        count = len(target.elts)
        sections = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "indices_or_sections"), None)
        try:
            literal = ast.literal_eval(sections)
            parts = len(literal) + 1 if isinstance(literal, (list, tuple)) else literal
        except (ValueError, TypeError, SyntaxError):
            parts = None
        parts = len(call.args) if grid else parts
        if parts != count:
            length = ast.Call(ast.Name("len", ast.Load()), [copy.deepcopy(call)], [])
            out.append(ast.Assert(ast.Compare(length, [ast.Eq()], [ast.Constant(count)]),
                                  ast.Constant(f"{count} values to unpack"), **where))
        for i, element in enumerate(target.elts):
            read = ast.Subscript(copy.deepcopy(call), ast.Constant(i), ast.Load())
            out.append(ast.Assign([element], read, **where))
        return out

    def unpack(self, target, value, stmt):
        """``a, *rest, b = v`` as ``assert len(v) >= 2``, ``a = v[0]``, ``rest = [...]``,
        ``b = v[len(v) - 1]``: the statements."""
        where = _where(stmt)
        if (paired := sequences.paired(self, target, value, where)) is not None:
            return paired
        out = []
        reads_target = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)} & {
            n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        if not (isinstance(value, ast.Name) or _is_shape(value)) or reads_target:
            whole = self.namer.fresh("unpacked")
            out.append(ast.Assign([ast.Name(whole, ast.Store())], value, **where))
            value = ast.Name(whole, ast.Load())
        stars = [i for i, t in enumerate(target.elts) if isinstance(t, ast.Starred)]
        count = len(target.elts) - len(stars)
        length = ast.Call(ast.Name("len", ast.Load()), [copy.deepcopy(value)], [])
        size = copy.deepcopy(length)
        root = value.value if _is_shape(value) else value
        if self._reassigned(root.id):  # an assert reading a reassigned name is not safe
            size = ast.Name(self.namer.fresh("size"), ast.Load())
            out.append(ast.Assign([ast.Name(size.id, ast.Store())], copy.deepcopy(length),
                                  **where))
        check = ast.Compare(size, [ast.GtE() if stars else ast.Eq()], [ast.Constant(count)])
        message = f"{'at least ' if stars else ''}{count} values to unpack"
        out.append(ast.Assert(check, ast.Constant(message), **where))
        star = stars[0] if stars else len(target.elts)
        for i, element in enumerate(target.elts):
            if i < star:
                index = ast.Constant(i)
            elif i > star:         # counted from the end: v[len(v) - 2]
                index = ast.BinOp(copy.deepcopy(length), ast.Sub(),
                                  ast.Constant(len(target.elts) - i))
            else:
                position = self.namer.fresh("i")
                stop = ast.BinOp(copy.deepcopy(length), ast.Sub(),
                                 ast.Constant(len(target.elts) - 1 - star))
                picked = ast.ListComp(
                    ast.Subscript(copy.deepcopy(value), ast.Name(position, ast.Load()), ast.Load()),
                    [ast.comprehension(ast.Name(position, ast.Store()), ast.Call(
                        ast.Name("range", ast.Load()), [ast.Constant(star), stop], []), [], 0)])
                out.append(ast.Assign([element.value], picked, **where))
                continue
            read = ast.Subscript(copy.deepcopy(value), index, ast.Load())
            out.append(ast.Assign([element], read, **where))
        return out


class _Hoister(sequences.Rewrites, ast.NodeTransformer):
    """Rewrites one statement's expression, appending to ``before`` what it needs."""

    def __init__(self, desugarer, before, stmt):
        self.desugarer, self.before, self.stmt = desugarer, before, stmt
        self.into = None           # the name a display with `*` entries is built into

    def visit_ListComp(self, node):
        return self.desugarer.comprehension(node, self.stmt, self.before)

    visit_GeneratorExp = visit_ListComp

    def visit_Lambda(self, node):
        return node                     # refused by the normalizer, as are these two

    visit_DictComp = visit_SetComp = visit_Lambda

    def visit_Call(self, node):
        desugarer = self.desugarer
        if any(isinstance(a, ast.Starred) and isinstance(a.value, (ast.List, ast.Tuple))
               for a in node.args):            # f(*[a, b]) -> f(a, b)
            node.args = [e for a in node.args for e in (
                a.value.elts if isinstance(a, ast.Starred)
                and isinstance(a.value, (ast.List, ast.Tuple)) else [a])]
        node.args = [as_list_comprehension(desugarer, a) for a in node.args]   # list(f(v) ...)
        if (array := array_of_list(desugarer, node)) is not None:
            node.args[0] = array                        # np.sum([v ** 2 for v in x])
        if sequences.stacks(desugarer, node):
            return self.stacked(node)
        filtered.refuse(desugarer, node)                # np.array([... if c]): data's shape
        if sequences.stacks(desugarer, node, comprehension=True):
            return self.rows(node)
        if self._spreadable(node):
            return self.spread(node)
        callee = desugarer.resolve(node.func)
        simple = not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
        if callee in (sum, math.prod) and desugarer._reduced(node) is not None:
            elements = desugarer.display(node.args[0])
            if elements is not None:          # sum([a, b]) → a + b, math.prod([a, b]) → a * b
                start, op = _start_and_operator(desugarer, node)
                terms = [self.visit(e) for e in node.args[1:] + [k.value for k in node.keywords]
                         + elements] or [start]
                total = terms[0]
                for term in terms[1:]:
                    total = ast.BinOp(total, op, term)
                return total
            total = desugarer.namer.fresh("total")
            desugarer.parsed.written[total] = ast.unparse(node)     # messages say `sum(hs)`
            self.before.extend(desugarer.reduction(node, total, self.stmt, self.before))
            return ast.Name(total, ast.Load())
        if callee in (max, min) and simple and len(node.args) == 1:
            return desugarer.extremum(node, self.stmt, self.before)
        if callee is zip and _is_transpose(node):
            raise desugarer.error(node, "`zip(*rows)` of rows whose number is not known when "
                                        "the code is generated, other than unpacked "
                                        "(`a, b = zip(*rows)`) or looped over",
                                  "Unpack it into names (`xs, ys = zip(*pairs)`), loop over "
                                  "it (`for column in zip(*rows): ...`), or pass the rows as "
                                  "a list or tuple (a tree), whose length is known.")
        return self.generic_visit(node)


def _refuse_inside(desugarer, node, where):
    """Refuse what would be rewritten into statements in ``node``, which runs on some
    paths only: a comprehension, ``sum`` or ``max``/``min`` of one iterable."""
    for inner in ast.walk(node):
        reduction = isinstance(inner, ast.Call) and (
            desugarer._reduced(inner) is not None
            or (desugarer.resolve(inner.func) in (max, min) and len(inner.args) == 1))
        if isinstance(inner, _COMPREHENSIONS) or reduction:
            what = "comprehension" if not reduction else \
                f"`{ast.unparse(inner.func)}` of an iterable"
            raise desugarer.error(inner, f"{what} in {where}",
                                  "Compute it into a variable first, with an `if` statement "
                                  "where it runs on some paths only.")


def _names_outside_comprehensions(function):
    """The names the function binds or reads outside comprehensions' own scopes."""
    names = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    todo = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (*_COMPREHENSIONS, ast.SetComp, ast.DictComp)):
            todo.append(node.generators[0].iter)
            continue
        if isinstance(node, ast.Name):
            names.add(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _is_transpose(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
        node.func.id == "zip" and not node.keywords and len(node.args) == 1 and \
        isinstance(node.args[0], ast.Starred)


def _static_length(node):
    """The number of elements ``node`` yields, when its text alone tells it."""
    if isinstance(node, (ast.List, ast.Tuple)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return None
        return len(node.elts)
    if isinstance(node, _COMPREHENSIONS) and len(node.generators) == 1 \
            and not node.generators[0].ifs:
        return _static_length(node.generators[0].iter)
    return None


def _is_shape(node):
    return isinstance(node, ast.Attribute) and node.attr == "shape" and \
        isinstance(node.value, ast.Name)


def _list_name(node):
    element = node.elt
    if isinstance(element, ast.Name):
        return f"{element.id}s"
    return "items"
