"""The rewrites of ``comprehensions.desugar`` for sequences built or spread in one
expression: ``a, b = zip(*rows)``, ``[*xs, y]``, ``np.array([*a, b])``,
``np.array([f(r) for r in X])`` and ``h(*args)`` (see that module's docstring)."""

import ast
import math
import copy
import inspect

from .. import syntax
from .substitute import Substitute

_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp)


def columns(desugarer, loop):
    """``for c in zip(*rows): body`` as ``for j in range(width): c = [row[j] for row in
    rows]; body``, ``width`` the length of the shortest row: the statements."""
    where, out = _where(loop), []
    rows = loop.iter.args[0].value
    if not isinstance(rows, ast.Name):
        name = desugarer.namer.fresh("rows")
        out.append(ast.Assign([ast.Name(name, ast.Store())], rows, **where))
        rows = ast.Name(name, ast.Load())
    width, row, j = (desugarer.namer.fresh(n) for n in ("width", "row", "j"))
    source = (f"{width} = len({rows.id}[0]) if len({rows.id}) > 0 else 0\n"
              f"for {row} in {rows.id}:\n"
              f"    {width} = min({width}, len({row}))\n"
              f"for {j} in range({width}):\n"
              f"    _ = [{row}[{j}] for {row} in {rows.id}]\n")
    head, shortest, loop_columns = (_relocated(stmt, where)
                                    for stmt in syntax.parse(source).body)
    loop_columns.body[0].targets = [loop.target]
    loop_columns.body.extend(loop.body)
    return out + [head, shortest, loop_columns]


def paired(desugarer, target, value, where):
    """``(a, b), c = (x * y, y), math.exp(x)``: a nested target given a display of as many
    values, none starred, as ``unpacked = x * y, y``, ``unpacked_2 = math.exp(x)`` (every
    value computed before any name is bound, as Python does), then ``(a, b) = unpacked``
    and ``c = unpacked_2``: the statements; else None."""
    if not (isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)):
        return None
    names = [desugarer.namer.fresh("unpacked") for _ in value.elts]
    return [ast.Assign([ast.Name(n, ast.Store())], v, **where) for n, v in zip(names, value.elts)
            ] + [ast.Assign([t], ast.Name(n, ast.Load()), **where)
                 for t, n in zip(target.elts, names)]


def unzipped(desugarer, target, call, stmt):
    """``a, b = zip(*rows)`` as ``a = [row[0] for row in rows]``, ``b = [row[1] for
    row in rows]`` after checking that the shortest row has 2 entries (lists where
    Python gives tuples): the statements."""
    where, out = _where(stmt), []
    rows = call.args[0].value
    if not isinstance(rows, ast.Name):
        name = desugarer.namer.fresh("rows")
        out.append(ast.Assign([ast.Name(name, ast.Store())], rows, **where))
        rows = ast.Name(name, ast.Load())
    width, row, shortest = (desugarer.namer.fresh(n) for n in ("width", "row", "shortest"))
    count = len(target.elts)
    source = (f"{width} = len({rows.id}[0]) if len({rows.id}) > 0 else 0\n"
              f"for {row} in {rows.id}:\n"
              f"    {width} = min({width}, len({row}))\n"
              f"{shortest} = {width}\n"     # an assert reading a reassigned name is not safe
              f"assert {shortest} == {count}, '{count} values to unpack'\n")
    out += [_relocated(s, where) for s in syntax.parse(source).body]
    for index, element in enumerate(target.elts):
        column = syntax.parse(f"[{row}[{index}] for {row} in {rows.id}]", mode="eval").body
        out.append(_relocated(ast.Assign([element], column), where))
    return out


class Rewrites:
    """The methods of ``comprehensions._Hoister`` for these sequences, and for ``and``,
    ``or`` and ``a if c else b`` whose later operands need statements (a comprehension,
    ``sum`` of one): ``t = a`` then ``if t: t = b`` (``or``: ``if not t``), or an ``if``
    statement assigning ``t`` in each arm, so that each runs only where Python runs it."""

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])
        if not any(self._needs_statements(v) for v in node.values[1:]):
            return node
        where = _where(self.stmt)
        name = self.desugarer.namer.fresh("both" if isinstance(node.op, ast.And) else "either")
        self.before.append(ast.Assign([ast.Name(name, ast.Store())], node.values[0], **where))
        for value in node.values[1:]:
            test = ast.Name(name, ast.Load())
            if isinstance(node.op, ast.Or):
                test = ast.UnaryOp(ast.Not(), test)
            self.before.append(ast.If(test, self._assigned(name, value), [], **where))
        return ast.Name(name, ast.Load())

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        if not (self._needs_statements(node.body) or self._needs_statements(node.orelse)):
            return node
        returned = isinstance(self.stmt, ast.Return) and self.stmt.value is node
        name = self.desugarer.namer.fresh(self.desugarer.function.name if returned else "chosen")
        self.before.append(ast.If(node.test, self._assigned(name, node.body),
                                  self._assigned(name, node.orelse), **_where(self.stmt)))
        return ast.Name(name, ast.Load())

    def _assigned(self, name, value):
        """The statements computing ``value`` into ``name``, what it needs first."""
        before = []
        rewritten = type(self)(self.desugarer, before, self.stmt).visit(value)
        return before + [ast.Assign([ast.Name(name, ast.Store())], rewritten,
                                    **_where(self.stmt))]

    def _needs_statements(self, node):
        desugarer = self.desugarer
        return any(isinstance(n, _COMPREHENSIONS) or (isinstance(n, ast.Call) and (
            desugarer._reduced(n) is not None
            or (desugarer.resolve(n.func) in (max, min) and len(n.args) == 1)))
            for n in ast.walk(node))

    def visit_List(self, node):
        """``[*xs, y]``: a list built by appending the entries of ``xs``, then ``y``."""
        if not isinstance(node.ctx, ast.Load) or not any(
                isinstance(e, ast.Starred) for e in node.elts):
            return self.generic_visit(node)
        desugarer, where = self.desugarer, _where(self.stmt)
        name, self.into = self.into or desugarer.namer.fresh("items"), None
        self.before.append(ast.Assign([ast.Name(name, ast.Store())], ast.List([], ast.Load()),
                                      **where))

        def append(element):
            call = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append", ast.Load()),
                            [element], [])
            return ast.Expr(call, **where)
        for element in node.elts:
            if isinstance(element, ast.Starred):
                items = self.visit(element.value)
                item = desugarer.namer.fresh("item")
                loop = ast.For(ast.Name(item, ast.Store()), items,
                               [append(ast.Name(item, ast.Load()))], [], **where)
                self.before.extend(desugarer.block([loop]))
            else:
                self.before.append(append(self.visit(element)))
        return ast.Name(name, ast.Load())

    visit_Tuple = visit_List

    def stacked(self, node):
        """``np.array([*a, b, c])`` (or ``np.stack``) as ``np.concatenate([a,
        np.array([b, c])])``: the entries of ``a`` stacked with ``b`` and ``c``."""
        elements = node.args[0].elts
        parts, run = [], []
        for element in elements:
            if isinstance(element, ast.Starred):
                if run:
                    parts.append(ast.Call(copy.deepcopy(node.func), [ast.List(run, ast.Load())],
                                          []))
                    run = []
                parts.append(element.value)
            else:
                run.append(element)
        if run:
            parts.append(ast.Call(copy.deepcopy(node.func), [ast.List(run, ast.Load())], []))
        numpy = node.func.value
        concatenate = ast.Attribute(copy.deepcopy(numpy), "concatenate", ast.Load())
        return self.visit(ast.Call(concatenate, [ast.List(parts, ast.Load())], []))

    def rows(self, node):
        """``np.array([f(r) for r in X])`` (or ``np.stack``) as a loop writing each row
        into a preallocated array (zeros shaped after the first row, its dtype promoted
        to float), checking that the rows have one shape and that there is one; the
        expression is a copy of that array."""
        desugarer, where = self.desugarer, _where(self.stmt)
        comprehension = node.args[0]
        generator = comprehension.generators[0]
        names = {n: desugarer.namer.fresh(n) for n in ("rows", "count", "first", "shape",
                                                       "stacked", "i", "row", "row_shape")}
        desugarer.parsed.written[names["stacked"]] = ast.unparse(node)
        sequence = self.visit(generator.iter)
        if not isinstance(sequence, ast.Name):
            self.before.append(ast.Assign([ast.Name(names["rows"], ast.Store())], sequence,
                                          **where))
            sequence = ast.Name(names["rows"], ast.Load())
        target = desugarer.namer.fresh(generator.target.id)
        desugarer.parsed.written[target] = generator.target.id
        element = Substitute({generator.target.id: ast.Name(target, ast.Load())}).visit(
            copy.deepcopy(comprehension.elt))
        numpy = ast.unparse(node.func.value)
        call = ast.unparse(node.func)
        count, first, shape, out, i, row, row_shape = (names[n] for n in (
            "count", "first", "shape", "stacked", "i", "row", "row_shape"))
        rows = sequence.id
        # the checks read new names only: an assert reading a reassigned name is not safe
        source = (f"{count} = len({rows})\n"
                  f"assert {count} > 0, '{call} of an empty comprehension: s2sdiff "
                  f"shapes the result after its first row'\n"
                  f"{target} = {rows}[0]\n"
                  f"{first} = ELEMENT\n"
                  f"{shape} = {numpy}.shape({first})\n"
                  f"{out} = {numpy}.zeros(({count},) + {shape}, "
                  f"dtype={numpy}.result_type({first}, 0.0))\n"
                  f"{out}[0] = {first}\n"
                  f"for {i} in range(1, {count}):\n"
                  f"    {target} = {rows}[{i}]\n"
                  f"    {row} = ELEMENT\n"
                  f"    {row_shape} = {numpy}.shape({row})\n"
                  f"    assert {row_shape} == {shape}, '{call} of rows of different "
                  f"shapes'\n"
                  f"    {out}[{i}] = {row}\n")
        statements = syntax.parse(source).body
        statements[3].value = copy.deepcopy(element)
        statements[-1].body[1].value = copy.deepcopy(element)
        self.before.extend(desugarer.block([_relocated(s, where) for s in statements]))
        # a copy: the loop's reverse sweep restores `stacked` in place, which views of the
        # result must not see
        return ast.Call(ast.Attribute(ast.Name(out, ast.Load()), "copy", ast.Load()), [], [])

    def spread(self, node):
        """``h(a, *args)`` of the user's function ``h`` of positional parameters without
        defaults: ``h(a, args[0], args[1])`` after checking ``len(args)``."""
        desugarer, where = self.desugarer, _where(self.stmt)
        callee = desugarer.resolve(node.func)
        *fixed, starred = node.args
        params = list(inspect.signature(callee).parameters.values())
        count = len(params) - len(fixed)
        sequence = self.visit(starred.value)
        if not isinstance(sequence, ast.Name):
            name = desugarer.namer.fresh("args")
            self.before.append(ast.Assign([ast.Name(name, ast.Store())], sequence, **where))
            sequence = ast.Name(name, ast.Load())
        length = desugarer.namer.fresh("count")
        self.before.append(ast.Assign([ast.Name(length, ast.Store())], ast.Call(
            ast.Name("len", ast.Load()), [copy.deepcopy(sequence)], []), **where))
        self.before.append(ast.Assert(ast.Compare(ast.Name(length, ast.Load()), [ast.Eq()],
                                                  [ast.Constant(count)]),
                                      ast.Constant(f"{callee.__name__}() takes {len(params)} "
                                                   f"arguments"), **where))
        node.args = [self.visit(a) for a in fixed] + [
            ast.Subscript(copy.deepcopy(sequence), ast.Constant(i), ast.Load())
            for i in range(count)]
        return node

    def _spreadable(self, node):
        if node.keywords or not node.args or not isinstance(node.args[-1], ast.Starred) \
                or any(isinstance(a, ast.Starred) for a in node.args[:-1]):
            return False
        callee = self.desugarer.resolve(node.func)
        if not self.desugarer._calls_user_function(node):
            return False
        try:
            params = list(inspect.signature(callee).parameters.values())
        except (TypeError, ValueError):
            return False
        return all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is
                   inspect.Parameter.empty for p in params) and len(params) >= len(node.args) - 1


def stacks(desugarer, node, comprehension=False):
    """Whether ``node`` is ``np.array([*a, b])`` or ``np.stack([...])`` of a display with
    ``*`` entries (``comprehension``: of a comprehension with one ``for`` over a sequence
    and no ``if``, not unrolled), nothing else passed."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.attr in ("array", "stack") and len(node.args) == 1 and not node.keywords):
        return False
    argument = node.args[0]
    if comprehension:
        if not isinstance(argument, _COMPREHENSIONS) or _unrollable(argument) \
                or len(argument.generators) != 1 or argument.generators[0].ifs \
                or argument.generators[0].is_async \
                or not isinstance(argument.generators[0].target, ast.Name):
            return False
    elif not (isinstance(argument, (ast.List, ast.Tuple))
              and any(isinstance(e, ast.Starred) for e in argument.elts)):
        return False
    module = desugarer.resolve(func.value)
    return module is not None and getattr(module, "__name__", None) == "numpy"


def _unrollable(node):
    """``[e for v in [a, b]]``: one clause over a display, no condition, a name target."""
    if len(node.generators) != 1:
        return False
    generator = node.generators[0]
    return not generator.ifs and isinstance(generator.target, ast.Name) and \
        isinstance(generator.iter, (ast.List, ast.Tuple)) and \
        not any(isinstance(e, ast.Starred) for e in generator.iter.elts) and \
        all(isinstance(e, (ast.Name, ast.Constant)) for e in generator.iter.elts)


def _where(stmt):
    return dict(lineno=stmt.lineno, col_offset=getattr(stmt, "col_offset", 0))


def _relocated(stmt, where):
    for node in ast.walk(stmt):
        if isinstance(node, (ast.stmt, ast.expr)):
            node.lineno, node.col_offset = where["lineno"], where["col_offset"]
            node.end_lineno, node.end_col_offset = where["lineno"], where["col_offset"]
    return stmt


def _start_and_operator(desugarer, call):
    """``sum``: its start (0.0 if none) and ``+``; ``math.prod``: its start (1) and ``*``."""
    if desugarer.resolve(call.func) is math.prod:
        start = next((k.value for k in call.keywords if k.arg == "start"), ast.Constant(1))
        return start, ast.Mult()
    return (call.args[1] if len(call.args) == 2 else ast.Constant(0.0)), ast.Add()
