"""Everyday spellings of lists written as the comprehensions they equal, before the
normaliser runs (``comprehensions.py`` then writes those as loops):

* ``[0.0] * n`` and ``n * [0.0]`` (one number in the display) are
  ``[0.0 for _ in range(n)]``: a new list of ``n`` entries (none when ``n <= 0``);
  ``[x, 2 * x] * n`` (entries of names, numbers and arithmetic, in code without NumPy) is
  ``[e for _ in range(n) for e in [x, 2 * x]]``;
* ``list(xs)`` is ``[e for e in xs]``, a new list of the same entries (``list(xs[1:])``,
  ``list(reversed(xs))`` too), in code that calls no NumPy function (NumPy code reads ``list(x)`` of an array
  as its rows, which the normaliser handles or refuses itself);
* ``sum(xs, start=s)`` is ``sum(xs, s)``; ``statistics.mean(xs)`` (``fmean``) is
  ``math.fsum(xs) / len(xs)`` (``sum`` without ``math``) and ``math.dist(p, q)`` is
  ``math.sqrt(sum((p[i] - q[i]) ** 2 for i in range(max(len(p), len(q)))))``, in code
  without NumPy, of names or displays (``mean``'s value may differ in its last bit:
  ``statistics`` rounds the exact mean once);
* ``ys = [0.0] + xs`` (a list display or comprehension among the operands of ``+``, in
  code without NumPy) is ``joined = [0.0]``, then ``for e in xs: joined.append(e)``, then
  ``ys = joined``; ``ys.extend(zs)`` is ``for e in zs: ys.append(e)`` (in NumPy code
  too: no array has ``extend``), and so is ``ys += [a, b]`` where ``ys`` only ever holds
  lists (``numpy_of_lists.built_lists``: an array's ``+=`` adds);
* ``m = [[a, 1.0], [2.0, a * a]]`` (rows that are list displays, not all literals) is
  ``m = []``, then ``m.append([a, 1.0])``, ``m.append([2.0, a * a])``: a list of new
  rows, which the normaliser follows as it follows appends (``nested_lists.py``).

Only the builtins: a function that binds ``list``, ``range`` or ``sum`` itself (a
parameter too), or reads
them from its module rebound, is left as it is.  The comprehension's variable is a name
the function does not use.

>>> import ast
>>> from s2sdiff.parse import parse
>>> def f(xs):
...     ys = [0.0] * len(xs)
...     return sum(list(xs), start=1.0) + ys[0]
>>> print(ast.unparse(rewrite(parse(f)).node.body[0]))
ys = [0.0 for _ in range(len(xs))]
"""

import ast
import builtins
import copy
import dataclasses
import math
import statistics

from ..syntax import Unused
from .numpy_of_lists import built_lists
from ..trees import uses_numpy


def rewrite(parsed):
    """``parsed`` with these spellings rewritten (module docstring), or ``parsed`` itself."""
    found = _found(parsed)
    if not found:
        return parsed
    node = copy.deepcopy(parsed.node)
    rewriter = _Rewrite(found, Unused(node), parsed)
    rewriter.lists = built_lists(parsed) if "extend" in found else set()
    node.body = [rewriter.visit(stmt) for stmt in node.body]
    if "join" in found or "extend" in found or "rows" in found:
        node.body = rewriter.joins(node.body)
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _builtin(parsed, name):
    args = parsed.node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    return name not in parsed.stored() and name not in params \
        and parsed.lookup(name, None) is getattr(builtins, name)


def _found(parsed):
    """The spellings to rewrite that the function has, by kind."""
    found = set()
    numpy = uses_numpy(parsed)
    if _builtin(parsed, "range") and any(_repeated(b, not numpy) is not None
                                         for b in parsed.of(ast.BinOp)):
        found.add("repeat" if numpy else "repeat entries")
    calls = parsed.of(ast.Call)
    names = {c.func.id for c in calls if isinstance(c.func, ast.Name)}
    if "list" in names and _builtin(parsed, "list") and not numpy:
        found.add("list")
    if "sum" in names and _builtin(parsed, "sum"):
        found.add("sum")
    if not numpy and any(_joined(a.value) for a in parsed.of(ast.Assign)):
        found.add("join")
    if any(_extended(e) for e in parsed.of(ast.Expr)) or any(   # no array has .extend
            _list_display(a) for a in parsed.of(ast.AugAssign)):
        found.add("extend")
    if any(_rows(a) for a in parsed.of(ast.Assign)):
        found.add("rows")
    if not numpy and _builtin(parsed, "sum") and _builtin(parsed, "len") \
            and any(_library(parsed, c) for c in calls):
        found.add("library")
    return found


def _library(parsed, call):
    """``"mean"`` for ``statistics.mean(xs)`` (``fmean`` too), ``"dist"`` for
    ``math.dist(p, q)``, of names or displays of plain entries; else None."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id not in parsed.stored():
        found = getattr(parsed.lookup(func.value.id, None), func.attr, None)
    elif isinstance(func, ast.Name) and func.id not in parsed.stored():
        found = parsed.lookup(func.id, None)
    else:
        return None
    displays = [isinstance(a, (ast.List, ast.Tuple))
                and not any(isinstance(e, ast.Starred) for e in a.elts) for a in call.args]
    plain = [isinstance(a, ast.Name) or shown for a, shown in zip(call.args, displays)]
    if call.keywords or not all(plain):
        return None
    if found in (statistics.mean, statistics.fmean) and len(call.args) == 1:
        return "mean"
    if found is math.dist and len(call.args) == 2:
        if all(displays):       # written out (displays of two lengths: Python's ValueError)
            return "dist" if len(call.args[0].elts) == len(call.args[1].elts) else None
        if all(_plain(e) for a, shown in zip(call.args, displays) if shown for e in a.elts):
            return "dist"       # indexed in a loop: a display's entries evaluated again
    return None


def _extended(stmt):
    """``(name, iterable)`` of the statement ``name.extend(iterable)``; else None."""
    call = stmt.value
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
            and call.func.attr == "extend" and isinstance(call.func.value, ast.Name) \
            and len(call.args) == 1 and not call.keywords \
            and not isinstance(call.args[0], ast.Starred):
        return call.func.value.id, call.args[0]
    return None


def _list_display(stmt):
    """``(name, display)`` of ``name += [a, b]`` (a list comprehension too); else None."""
    if isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name) \
            and isinstance(stmt.value, (ast.List, ast.ListComp)):
        return stmt.target.id, stmt.value
    return None


def _rows(stmt):
    """The rows of ``m = [[a, 1.0], [2.0, a * a]]`` (one name bound to a display of list
    displays, not all of literals, that does not read the name); else None."""
    value = stmt.value
    if not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and isinstance(value, ast.List) and value.elts
            and all(isinstance(r, ast.List) and not any(isinstance(e, ast.Starred)
                                                         for e in r.elts) for r in value.elts)):
        return None
    name = stmt.targets[0].id
    nodes = list(ast.walk(value))
    if all(isinstance(n, (ast.List, ast.Constant, ast.Load, ast.UnaryOp, ast.USub))
           for n in nodes) or any(isinstance(n, ast.Name) and n.id == name for n in nodes):
        return None                     # a table of literals is data
    return value.elts


def _joined(node):
    """The operands of ``a + b + ...`` when one of them is a list display or a list
    comprehension (so the sum joins lists); else None."""
    operands = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        operands.insert(0, node.right)
        node = node.left
    operands.insert(0, node)
    if len(operands) > 1 and any(isinstance(o, (ast.List, ast.ListComp)) for o in operands):
        return operands
    return None


def _repeated(node, entries=True):
    """``(number, count)`` of ``[number] * count`` or ``count * [number]``, ``(display,
    count)`` of ``[x, 2 * x] * count`` (entries that read names and numbers alone, which
    give the same values however often they are evaluated); else None."""
    if not isinstance(node.op, ast.Mult):
        return None
    for display, count in ((node.left, node.right), (node.right, node.left)):
        if isinstance(display, ast.List) and len(display.elts) == 1:
            element = display.elts[0]
            if isinstance(element, ast.UnaryOp) and isinstance(element.op, ast.USub):
                element = element.operand
            if isinstance(element, ast.Constant) and type(element.value) in (int, float):
                return display.elts[0], count
        if entries and isinstance(display, ast.List) and display.elts \
                and not isinstance(count, (ast.List, ast.ListComp)) \
                and all(_plain(e) for e in display.elts):
            return display, count
    return None


def _plain(node):
    """An expression of names, numbers and arithmetic (``x``, ``2 * x``, ``xs[0]``)."""
    if isinstance(node, ast.Name) or isinstance(node, ast.Constant) \
            and type(node.value) in (int, float):
        return True
    if isinstance(node, ast.UnaryOp):
        return _plain(node.operand)
    if isinstance(node, ast.BinOp):
        return _plain(node.left) and _plain(node.right)
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
        and _plain(node.slice)


def _copied(node):
    """Whether ``list(node)`` copies a sequence the function holds: ``xs``, ``xs[1:]``,
    ``reversed(xs)`` (not ``list(zip(...))``, whose normaliser reads it whole)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "reversed" and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    return isinstance(node, (ast.Name, ast.Subscript))


class _Rewrite(ast.NodeTransformer):
    def __init__(self, found, names, parsed=None):
        self.found, self.fresh, self.parsed = found, names.fresh, parsed

    def library(self, kind, node):
        """``sum(xs) / len(xs)`` (``math.fsum`` when ``math`` is there); ``sqrt(sum((p[i]
        - q[i]) ** 2 for i in range(max(len(p), len(q)))))``: an ``IndexError`` where
        ``math.dist`` raises ``ValueError`` (lengths that differ)."""
        has_math = "math" not in self.parsed.stored() \
            and self.parsed.lookup("math", None) is math
        if kind == "mean":
            xs = node.args[0]
            total = ast.Call(ast.Attribute(ast.Name("math", ast.Load()), "fsum", ast.Load())
                             if has_math else ast.Name("sum", ast.Load()), [xs], [])
            count = ast.Constant(len(xs.elts)) if isinstance(xs, (ast.List, ast.Tuple)) \
                else ast.Call(ast.Name("len", ast.Load()), [copy.deepcopy(xs)], [])
            return ast.BinOp(total, ast.Div(), count)     # a display is evaluated once
        p, q = node.args
        if isinstance(p, (ast.List, ast.Tuple)) and isinstance(q, (ast.List, ast.Tuple)):
            squares = [ast.BinOp(ast.BinOp(a, ast.Sub(), b), ast.Pow(), ast.Constant(2))
                       for a, b in zip(p.elts, q.elts)]
            total = squares[0] if squares else ast.Constant(0.0)
            for square in squares[1:]:
                total = ast.BinOp(total, ast.Add(), square)
            if has_math:
                return ast.Call(ast.Attribute(ast.Name("math", ast.Load()), "sqrt", ast.Load()),
                                [total], [])
            return ast.BinOp(total, ast.Pow(), ast.Constant(0.5))
        i = self.fresh("i")

        def entry(v):
            return ast.Subscript(copy.deepcopy(v), ast.Name(i, ast.Load()), ast.Load())
        square = ast.BinOp(ast.BinOp(entry(p), ast.Sub(), entry(q)), ast.Pow(), ast.Constant(2))
        length = ast.Call(ast.Name("max", ast.Load()), [
            ast.Call(ast.Name("len", ast.Load()), [copy.deepcopy(v)], []) for v in (p, q)], [])
        loop = ast.comprehension(ast.Name(i, ast.Store()), ast.Call(
            ast.Name("range", ast.Load()), [length], []), [], 0)
        total = ast.Call(ast.Name("sum", ast.Load()), [ast.GeneratorExp(square, [loop])], [])
        if has_math:
            return ast.Call(ast.Attribute(ast.Name("math", ast.Load()), "sqrt", ast.Load()),
                            [total], [])
        return ast.BinOp(total, ast.Pow(), ast.Constant(0.5))

    def comprehension(self, element, target, iterable, node):
        loop = ast.comprehension(ast.Name(target, ast.Store()), iterable, [], 0)
        return ast.copy_location(ast.ListComp(element, [loop]), node)

    def joins(self, statements):
        """``ys = [0.0] + xs`` (one target) as ``joined = [0.0]``, ``for e in xs:
        joined.append(e)``, ``ys = joined``: every operand is read before ``ys`` is
        bound, as in Python; in nested blocks too."""
        out = []
        for stmt in statements:
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(stmt, field, self.joins(inner))
            extended = _extended(stmt) if isinstance(stmt, ast.Expr) else None
            if isinstance(stmt, ast.AugAssign) and (augmented := _list_display(stmt)) \
                    and augmented[0] in self.lists:
                extended = augmented       # xs += [v] of a list: xs.extend([v])
            if extended is not None:       # ys.extend(zs): for e in zs: ys.append(e)
                out.append(self.appends(extended[0], extended[1], stmt))
                continue
            rows = _rows(stmt) if "rows" in self.found and isinstance(stmt, ast.Assign) else None
            if rows is not None:      # m = [[a, 1.0], [2.0, a * a]]: m = [], each row appended
                name = stmt.targets[0].id
                out.append(ast.copy_location(ast.Assign(
                    [ast.Name(name, ast.Store())], ast.List([], ast.Load())), stmt))
                out += [ast.copy_location(ast.Expr(ast.Call(ast.Attribute(
                    ast.Name(name, ast.Load()), "append", ast.Load()), [row], [])), stmt)
                    for row in rows]
                continue
            operands = _joined(stmt.value) if "join" in self.found and isinstance(stmt, ast.Assign) \
                and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) else None
            if operands is None:
                out.append(stmt)
                continue
            joined = self.fresh("joined")
            first = operands[0]
            if not isinstance(first, (ast.List, ast.ListComp)):
                entry = self.fresh("e")
                first = self.comprehension(ast.Name(entry, ast.Load()), entry, first, stmt)
            out.append(ast.copy_location(ast.Assign([ast.Name(joined, ast.Store())], first),
                                         stmt))
            for operand in operands[1:]:
                out.append(self.appends(joined, operand, stmt))
            out.append(ast.copy_location(ast.Assign(stmt.targets, ast.Name(joined, ast.Load())),
                                         stmt))
        return out

    def appends(self, name, iterable, stmt):
        """``for e in iterable: name.append(e)``, at ``stmt``'s line."""
        entry = self.fresh("e")
        append = ast.Expr(ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append",
                                                 ast.Load()), [ast.Name(entry, ast.Load())], []))
        return ast.copy_location(ast.For(ast.Name(entry, ast.Store()), iterable,
                                         [ast.copy_location(append, stmt)], []), stmt)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        pair = _repeated(node, "repeat entries" in self.found) \
            if "repeat" in self.found or "repeat entries" in self.found else None
        if pair is None:
            return node
        number, count = pair
        iterable = ast.Call(ast.Name("range", ast.Load()), [count], [])
        if isinstance(number, ast.List):       # [x, 2 * x] * n: each entry, n times
            entry = self.fresh("e")
            loops = [ast.comprehension(ast.Name(self.fresh("_"), ast.Store()), iterable, [], 0),
                     ast.comprehension(ast.Name(entry, ast.Store()), number, [], 0)]
            return ast.copy_location(ast.ListComp(ast.Name(entry, ast.Load()), loops), node)
        return self.comprehension(number, self.fresh("_"), iterable, node)

    def visit_Call(self, node):
        self.generic_visit(node)
        library = _library(self.parsed, node) if "library" in self.found else None
        if library is not None:
            return ast.copy_location(self.library(library, node), node)
        func = node.func.id if isinstance(node.func, ast.Name) else None
        if func == "list" and "list" in self.found and len(node.args) == 1 \
                and not node.keywords and _copied(node.args[0]):
            entry = self.fresh("e")
            return self.comprehension(ast.Name(entry, ast.Load()), entry, node.args[0], node)
        if func == "sum" and "sum" in self.found and len(node.args) == 1 \
                and [k.arg for k in node.keywords] == ["start"]:
            return ast.copy_location(
                ast.Call(node.func, [node.args[0], node.keywords[0].value], []), node)
        return node
