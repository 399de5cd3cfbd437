"""An entry of a list of lists written in place, ``m[i][j] = v`` (or ``m[i][j] += v``), in
code that calls no NumPy function, written as a new row (before ``list_idioms.py``)::

    new = v                     # new = m[i][j] + v
    jn = j % len(m[i])          # (a literal j >= 0 is used as it is)
    old = m[i][j]               # Python's IndexError (for ``=``; ``+=`` reads it anyway)
    row = [new if k == jn else e for k, e in enumerate(m[i])]
    m[i] = row

which leaves ``m`` holding the rows Python's write leaves, when nothing else holds a row
of ``m``: ``m`` is a local name (not a parameter, not global) whose every binding is a list
of new rows (``[[0.0] * n for _ in range(n)]``, a table of numbers, ``[]``),
whose rows are only new lists (``m.append([...])``, ``m[i] = [...]``: a display, a
comprehension, ``[0.0] * n``; never a name, which would hold the row too), and whose
rows are read only through an entry (``m[i][j]``), ``len``/``sum``/``min``/``max``, a
loop over the row's entries, or a loop over ``m`` in a comprehension or a ``for`` whose
variable is read only there and only so (``r[j]``, ``sum(r)``), a ``for`` whose body
writes no entry of ``m``.  ``i`` is evaluated twice: no call in it.  The rows' reads then
see the write just as in Python: through ``m``.  Anything else is left as it is, and
refused where it is normalised ("assignment to an element of a nested list").  The
writes into each new row are over when ``m`` holds it (``alias_passes._rows_safe``).

>>> import ast
>>> from s2sdiff.parse import parse
>>> def f(x):
...     m = [[0.0] * 2 for _ in range(2)]
...     m[1][0] = x
...     return m[1][0] * x
>>> print("\\n".join(ast.unparse(s) for s in rewrite(parse(f)).node.body[1:5]))
new = x
old = m[1][0]
row = [new if k == 0 else e for k, e in enumerate(m[1])]
m[1] = row
"""

import ast
import copy
import dataclasses

from ..syntax import Unused, parents_and_parameters, rewrite_inner_blocks
from ..trees import uses_numpy

_READERS = {"len", "sum", "min", "max", "sorted", "list", "tuple", "any", "all", "print"}


def rewrite(parsed):
    """``parsed`` with these writes rewritten (module docstring), or ``parsed`` itself."""
    writes = [t for t in parsed.of(ast.Subscript) if isinstance(t.ctx, ast.Store)
              and isinstance(t.value, ast.Subscript) and isinstance(t.value.value, ast.Name)]
    if not writes or uses_numpy(parsed):
        return parsed
    node = copy.deepcopy(parsed.node)
    rows = _Rows(node)
    names = {t.value.value.id for t in writes}
    owned = {name for name in names if rows.owned(name)}
    if not owned:
        return parsed
    rewriter = _Rewrite(owned, Unused(node))
    node.body = rewriter.block(node.body)
    if not rewriter.changed:
        return parsed
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _entry_write(stmt):
    """``(name, i, j)`` of ``name[i][j] = v`` or ``name[i][j] op= v``; else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AugAssign):
        target = stmt.target
    else:
        return None
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Subscript) \
            and isinstance(target.value.value, ast.Name) \
            and not isinstance(target.value.slice, ast.Slice) \
            and not isinstance(target.slice, ast.Slice) \
            and not any(isinstance(n, (ast.Call, ast.NamedExpr))
                        for n in ast.walk(target.value.slice)):
        return target.value.value.id, target.value.slice, target.slice
    return None


def _new_row(node):
    """Whether ``node`` makes a new list each time it runs, holding no list of a name."""
    if isinstance(node, ast.List):
        return not any(isinstance(e, (ast.List, ast.ListComp, ast.Starred)) for e in node.elts)
    if isinstance(node, ast.ListComp):
        return not isinstance(node.elt, (ast.List, ast.ListComp))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return any(isinstance(s, ast.List) and len(s.elts) == 1
                   and isinstance(s.elts[0], ast.Constant) for s in (node.left, node.right))
    return False


def _new_rows(node):
    """Whether ``node`` makes a new list of new rows each time it runs."""
    if isinstance(node, ast.ListComp):
        return _new_row(node.elt)
    if isinstance(node, ast.List):      # a table of numbers (rows of variables are refused)
        return all(isinstance(e, ast.List) and all(
            isinstance(c, ast.Constant) or isinstance(c, ast.UnaryOp)
            and isinstance(c.operand, ast.Constant) for c in e.elts) for e in node.elts)
    return False


class _Rows:
    def __init__(self, func):
        self.func = func
        self.parents, self.params = parents_and_parameters(func)

    def owned(self, name):
        if name in self.params or not any(
                isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                for n in ast.walk(self.func)):
            return False                                # a parameter, a global list
        for node in ast.walk(self.func):
            if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
                return False
            if isinstance(node, ast.arg) and node.arg == name:
                return False
            if isinstance(node, ast.Name) and node.id == name and not self._fine(node, name):
                return False
        return True

    def _fine(self, node, name):
        parent = self.parents.get(node)
        if isinstance(node.ctx, ast.Store):
            return isinstance(parent, ast.Assign) and parent.targets == [node] \
                and _new_rows(parent.value)
        if not isinstance(node.ctx, ast.Load):
            return False
        if isinstance(parent, ast.Attribute):          # m.append(new row)
            call = self.parents.get(parent)
            return parent.attr == "append" and isinstance(call, ast.Call) \
                and call.func is parent and len(call.args) == 1 and _new_row(call.args[0])
        if isinstance(parent, ast.Call) and node in parent.args:
            return isinstance(parent.func, ast.Name) and parent.func.id == "len"
        if isinstance(parent, ast.comprehension) and parent.iter is node:
            comprehension = self.parents.get(parent)    # its variable does not outlive it
            return isinstance(parent.target, ast.Name) and all(
                self._row_use(n, name) for n in ast.walk(comprehension)
                if isinstance(n, ast.Name) and n.id == parent.target.id
                and isinstance(n.ctx, ast.Load))
        if isinstance(parent, ast.For) and parent.iter is node:
            return isinstance(parent.target, ast.Name) and self._contained(parent, name)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return self._row_use(parent, name)
        return isinstance(parent, (ast.If, ast.While)) and parent.test is node

    def _row_use(self, row, name):
        """Whether the read ``m[i]`` of a row (or a loop variable over the rows) keeps no
        name bound to it."""
        parent = self.parents.get(row)
        if isinstance(row, ast.Subscript) and isinstance(row.slice, ast.Slice):
            return False
        if isinstance(row, ast.Name):
            if isinstance(parent, ast.Subscript) and parent.value is row:
                return not isinstance(parent.ctx, ast.Store) \
                    and not isinstance(parent.slice, ast.Slice)          # r[j]
        elif isinstance(row.ctx, ast.Store):       # m[i] = a new row
            return isinstance(parent, ast.Assign) and parent.targets == [row] \
                and _new_row(parent.value)
        if isinstance(parent, ast.Subscript) and parent.value is row:
            return not isinstance(parent.slice, ast.Slice)          # m[i][j]
        if isinstance(parent, ast.Call) and row in parent.args:
            func = parent.func
            return (isinstance(func, ast.Name) and func.id in _READERS) or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in ("math", "statistics"))
        if isinstance(parent, ast.comprehension) and parent.iter is row:
            return True
        if isinstance(parent, ast.For) and parent.iter is row:
            return True                               # its entries: numbers
        return False

    def _contained(self, loop, name):
        """``for r in m``: ``r`` bound only here and read only in the body, which writes
        no entry of ``m``."""
        targets = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
        inside = {id(n) for s in loop.body for n in ast.walk(s)} | {
            id(n) for n in ast.walk(loop.target)}
        for c in ast.walk(self.func):          # a comprehension's own variable of that name
            if isinstance(c, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)) \
                    and targets & {n.id for g in c.generators for n in ast.walk(g.target)
                                   if isinstance(n, ast.Name)}:
                inside |= {id(n) for n in ast.walk(c)}
        for n in ast.walk(self.func):
            if isinstance(n, ast.Name) and n.id in targets and id(n) not in inside:
                return False
        if not all(self._row_use(n, name) for s in loop.body for n in ast.walk(s)
                   if isinstance(n, ast.Name) and n.id in targets
                   and isinstance(n.ctx, ast.Load)):
            return False                              # the row kept: r[j], sum(r) only
        return not any((_entry_write(s) or (None,))[0] == name
                       for b in loop.body for s in ast.walk(b))


class _Rewrite:
    def __init__(self, owned, names):
        self.owned, self.fresh = owned, names.fresh
        self.changed = False

    def block(self, statements):
        out = []
        for stmt in statements:
            rewrite_inner_blocks(stmt, self.block)
            write = _entry_write(stmt)
            if write is None or write[0] not in self.owned:
                out.append(stmt)
                continue
            self.changed = True
            name, i, j = write
            new, row = self.fresh("new"), self.fresh("row")
            k, entry = self.fresh("k"), self.fresh("e")

            def read_row():
                return ast.Subscript(ast.Name(name, ast.Load()), copy.deepcopy(i), ast.Load())
            entry_read = ast.Subscript(read_row(), copy.deepcopy(j), ast.Load())
            value = stmt.value if isinstance(stmt, ast.Assign) \
                else ast.BinOp(entry_read, stmt.op, stmt.value)
            new_stmts = [ast.Assign([ast.Name(new, ast.Store())], value)]
            index = copy.deepcopy(j)
            if not (isinstance(j, ast.Constant) and type(j.value) is int and j.value >= 0):
                index = self.fresh("j")            # the position j names: j % len(m[i])
                new_stmts.append(ast.Assign([ast.Name(index, ast.Store())], ast.BinOp(
                    copy.deepcopy(j), ast.Mod(),
                    ast.Call(ast.Name("len", ast.Load()), [read_row()], []))))
                index = ast.Name(index, ast.Load())
            if isinstance(stmt, ast.Assign):      # Python's IndexError, as m[i][j] = v
                new_stmts.append(ast.Assign([ast.Name(self.fresh("old"), ast.Store())],
                                            copy.deepcopy(entry_read)))
            chosen = ast.IfExp(ast.Compare(ast.Name(k, ast.Load()), [ast.Eq()], [index]),
                               ast.Name(new, ast.Load()), ast.Name(entry, ast.Load()))
            loop = ast.comprehension(
                ast.Tuple([ast.Name(k, ast.Store()), ast.Name(entry, ast.Store())], ast.Store()),
                ast.Call(ast.Name("enumerate", ast.Load()), [read_row()], []), [], 0)
            new_stmts.append(ast.Assign([ast.Name(row, ast.Store())],
                                        ast.ListComp(chosen, [loop])))
            new_stmts.append(ast.Assign([ast.Subscript(ast.Name(name, ast.Load()),
                                                       copy.deepcopy(i), ast.Store())],
                                        ast.Name(row, ast.Load())))
            new = new_stmts
            for s in new:
                for n in ast.walk(s):
                    if "lineno" in n._attributes:
                        ast.copy_location(n, stmt)
            out += new
        return out
