"""``pop``, ``insert`` and ``copy`` of lists, in code that calls no NumPy function, written
as the new lists they leave (before ``list_idioms.py``, whose comprehensions the
normaliser then writes as loops):

* ``v = ys.pop()``, ``ys.pop(0)``, ``ys.pop(i)`` (``i`` an integer literal) are
  ``v = ys[i]`` (the entry, or Python's ``IndexError``), then ``ys`` bound to a new list of
  the other entries, in order: ``[e for e in ys[:-1]]``, ``[e for e in ys[1:]]``, or the
  entries before ``i`` and those after it;
* ``ys.insert(i, v)`` (``i`` an integer literal, of any sign) is ``ys`` bound to a new
  list of the entries before ``i``, ``v``, then the others: ``ys[:i] + [v] + ys[i:]``,
  which is ``list.insert`` for every ``i`` (slices clamp as ``insert`` does);
* ``ys = xs.copy()`` of a name is ``ys = [e for e in xs]`` (it read as an array method,
  which made the function NumPy code), when ``ys`` is a list the function owns (below)
  and is never returned or passed whole, and neither is read as an array (``a[i, j]``,
  an array attribute such as ``.shape``): an array argument then gives what it gave.

A new list is the list the method leaves only when no other name holds it, so ``pop``
and ``insert`` are rewritten only for a list the function owns: a local name (not a
parameter, not global), every binding of which is a new list (a display, a comprehension,
``list(...)``, ``sorted(...)``, ``+``/``*`` of lists, ``.copy()``), and which is read
only by subscripts, its own methods, ``len``/``sum``/``min``/``max``/``math``
functions and the like, as a loop's sequence, as a test, or in ``return``; a ``pop`` or
``insert`` in a loop over the list itself is left alone.  The call must be evaluated
first in its statement: the statement (an assignment, ``return`` or expression) holds
no other call of a method of the list, reads the list nowhere else before it, and the call is
not in a branch of ``a if c else b``, an ``and``/``or``, a comprehension or a lambda.
What is not rewritten stays as it is, and is refused where it is normalised.

>>> import ast
>>> from s2sdiff.parse import parse
>>> def f(xs):
...     ys = list(xs)
...     v = ys.pop()
...     return v * sum(ys)
>>> print("\\n".join(ast.unparse(s) for s in rewrite(parse(f)).node.body[1:3]))
popped = ys[-1]
ys = [e for e in ys[:-1]]
"""

import ast
import copy
import dataclasses

import numpy as np

from ..syntax import Unused, parents_and_parameters, rewrite_inner_blocks
from ..trees import uses_numpy

_CONDITIONAL = (ast.IfExp, ast.BoolOp, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                ast.GeneratorExp)
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)
_READERS = {"len", "sum", "min", "max", "sorted", "list", "tuple", "any", "all", "enumerate",
            "reversed", "zip", "print"}
_OWN_METHODS = {"append", "extend", "insert", "pop", "index", "count", "copy"}
_ARRAY_ONLY = set(dir(np.ndarray)) - set(dir(list))


def rewrite(parsed):
    """``parsed`` with these methods rewritten (module docstring), or ``parsed`` itself."""
    calls = [c for c in parsed.of(ast.Call) if isinstance(c.func, ast.Attribute)
             and c.func.attr in ("pop", "insert", "copy") and isinstance(c.func.value, ast.Name)]
    if not calls or uses_numpy(parsed):
        return parsed
    node = copy.deepcopy(parsed.node)
    rewriter = _Rewrite(node, Unused(node))
    node.body = rewriter.block(node.body)
    if not rewriter.changed:
        if rewriter.refused:
            raise _refusal(parsed, *rewriter.refused[0])
        return parsed
    if rewriter.refused:
        raise _refusal(parsed, *rewriter.refused[0])
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _refusal(parsed, call, why):
    """The error for ``call``, a ``pop`` or ``insert`` of a list the function builds that
    was not rewritten: why, and the new list to bind instead."""
    name, method = call.func.value.id, call.func.attr
    index = _integer(call.args[0]) if call.args else -1
    if method == "pop":
        i = "i" if index is None else index
        kept = (f"[e for e in {name}[:-1]]" if index == -1 else
                f"[e for e in {name}[1:]]" if index == 0 else
                f"[e for e in {name}[:{i}]] + [e for e in {name}[{i} + 1:]]")
        rewrite = f"`v = {name}[{i}]`, then `{name} = {kept}`"
    else:
        i = "i" if index is None else index
        value = ast.unparse(call.args[1]) if len(call.args) == 2 else "v"
        rewrite = (f"`{name} = [{value}] + {name}`" if index == 0 else
                   f"`{name} = [e for e in {name}[:{i}]] + [{value}] + [e for e in {name}[{i}:]]`")
    construct = f"{name}.{method}(...)"
    return parsed.error(
        call, f"s2sdiff cannot differentiate {parsed.node.name}: `{construct}` {why} is not "
        f"supported", construct=construct,
        hint=f"s2sdiff writes `{construct}` as a new list bound to `{name}` when no other "
        f"name holds the list, the index is a number written in the call, and the call is "
        f"the first thing its statement runs; bind the new list yourself: {rewrite}.")


def _method_call(node, names=("pop", "insert")):
    """``(name, method)`` of ``name.method(...)``; else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in names and isinstance(node.func.value, ast.Name):
        return node.func.value.id, node.func.attr
    return None


def _integer(node):
    """The value of an integer literal (``-1`` included); else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _integer(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _fresh_list(value):
    if isinstance(value, (ast.List, ast.ListComp, ast.BinOp)):
        return True
    if isinstance(value, ast.Call):
        if isinstance(value.func, ast.Name):
            return value.func.id in ("list", "sorted")
        return isinstance(value.func, ast.Attribute) and value.func.attr == "copy"
    return False


class _Owned:
    """Which local lists no other name can hold (module docstring)."""

    def __init__(self, func, strict=False):
        self.func, self.strict = func, strict       # strict: never read whole by return
        self.parents, self.params = parents_and_parameters(func)
        self.memo = {}

    def __call__(self, name):
        if name not in self.memo:
            self.memo[name] = name not in self.params and self._owned(name)
        return self.memo[name]

    def _owned(self, name):
        if not any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                   for n in ast.walk(self.func)):
            return False                             # a global or closure list
        for node in ast.walk(self.func):
            if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
                return False
            if isinstance(node, ast.arg) and node.arg == name:
                return False                         # a lambda's or an inner function's
            if isinstance(node, ast.Name) and node.id == name and not self._fine(node):
                return False
            if isinstance(node, (ast.For, ast.While)) and any(
                    isinstance(n, ast.Name) and n.id == name
                    for n in ast.walk(node.iter if isinstance(node, ast.For) else node.test)) \
                    and isinstance(node, ast.For) and any(
                        _method_call(n) and _method_call(n)[0] == name
                        for s in node.body + node.orelse for n in ast.walk(s)):
                return False                         # changed while a loop runs over it
        return True

    def _fine(self, name):
        parent = self.parents.get(name)
        if isinstance(name.ctx, ast.Del):
            return False
        if isinstance(name.ctx, ast.Store):
            return (isinstance(parent, ast.Assign) and parent.targets == [name]
                    and _fresh_list(parent.value)) or (
                isinstance(parent, ast.AugAssign) and isinstance(parent.op, ast.Add))
        if isinstance(parent, ast.Subscript) and parent.value is name:
            return True
        if isinstance(parent, ast.Attribute):
            return parent.attr in _OWN_METHODS \
                and isinstance(self.parents.get(parent), ast.Call) \
                and self.parents[parent].func is parent
        if isinstance(parent, ast.Call) and name in parent.args:
            func = parent.func
            return (isinstance(func, ast.Name) and func.id in _READERS) or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in ("math", "statistics"))
        if isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is name:
            return True
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is name:
            return True
        if isinstance(parent, (ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Starred)):
            return True
        node = parent
        while node is not None and not isinstance(node, ast.stmt):
            node = self.parents.get(node)
        return isinstance(node, ast.Return) and not self.strict


class _Rewrite:
    def __init__(self, func, names):
        self.func, self.fresh = func, names.fresh
        self.owned = _Owned(func)
        self.copy_owned = _Owned(func, strict=True)
        self.changed = False
        self.refused = []               # (call, why) of a list the function builds
        self.built = {}                 # name: whether every binding is a new list
        for n in ast.walk(func):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                parent = self.owned.parents.get(n)
                fresh = isinstance(parent, ast.Assign) and parent.targets == [n] \
                    and _fresh_list(parent.value)
                self.built[n.id] = self.built.get(n.id, True) and fresh
        self.array_reads = {n.value.id for n in ast.walk(func)
                            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                            and isinstance(n.slice, ast.Tuple)}
        self.array_reads |= {n.value.id for n in ast.walk(func)
                             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                             and n.attr in _ARRAY_ONLY}

    def block(self, statements):
        out = []
        for stmt in statements:
            rewrite_inner_blocks(stmt, self.block)
            self.copies(stmt)
            out += self.statement(stmt)
        return out

    def copies(self, stmt):
        """``ys = xs.copy()`` as ``ys = [e for e in xs]`` when ``ys`` is read only in ways
        a list and an array (of numbers) give the same for: its entries, ``len``, ``sum``,
        loops (``_Owned``, strict: never returned or passed whole), so an array argument
        gives what it gave."""
        value = getattr(stmt, "value", None)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) \
                and _method_call(value, ("copy",)) and not value.args and not value.keywords \
                and value.func.value.id not in self.array_reads \
                and stmt.targets[0].id not in self.array_reads \
                and self.copy_owned(stmt.targets[0].id):
            stmt.value = self.copied(value)

    def copied(self, call):
        self.changed = True
        entry = self.fresh("e")
        loop = ast.comprehension(ast.Name(entry, ast.Store()), call.func.value, [], 0)
        return ast.copy_location(ast.ListComp(ast.Name(entry, ast.Load()), [loop]), call)

    def statement(self, stmt):
        if not isinstance(stmt, _SIMPLE):
            return [stmt]
        calls = [n for n in ast.walk(stmt) if _method_call(n)]
        if len(calls) != 1:
            return [stmt]
        call = calls[0]
        name, method = _method_call(call)
        why = None
        if not self.owned(name):
            why = "on a list that another name may also hold (or the function loops over)"
        elif self._conditional(stmt, call):
            why = "in a branch, an `and`/`or`, a comprehension or a lambda"
        elif self._read_before(stmt, call, name):
            why = f"in a statement that also reads `{name}`"
        elif call.keywords or (call.args and _integer(call.args[0]) is None):
            why = "with an index that is not a number written in the call"
        if why is not None:
            if self.built.get(name) and name not in self.owned.params:
                self.refused.append((call, why))
            return [stmt]
        if method == "insert" and isinstance(stmt, ast.Expr) and stmt.value is call \
                and len(call.args) == 2 and _integer(call.args[0]) is not None:
            self.changed = True
            return self.inserted(name, _integer(call.args[0]), call.args[1], stmt)
        if method == "pop" and len(call.args) <= 1 and (
                not call.args or _integer(call.args[0]) is not None):
            self.changed = True
            return self.popped(name, _integer(call.args[0]) if call.args else -1, call, stmt)
        return [stmt]

    def _conditional(self, stmt, call):
        for node in ast.walk(stmt):
            if isinstance(node, _CONDITIONAL) and any(n is call for n in ast.walk(node)):
                return True
        return False

    def _read_before(self, stmt, call, name):
        """Whether ``stmt`` reads ``name`` other than in ``call``'s receiver before the call
        runs: anywhere in its value (its targets are bound after)."""
        parts = [stmt.value] if stmt.value is not None else []
        if isinstance(stmt, ast.AugAssign):
            parts.append(stmt.target)
        inside = {id(n) for n in ast.walk(call)}
        return any(isinstance(n, ast.Name) and n.id == name and id(n) not in inside
                   for part in parts for n in ast.walk(part))

    def _at(self, node, stmt):
        for n in ast.walk(node):
            if "lineno" in n._attributes:
                ast.copy_location(n, stmt)
        return node

    def comprehension(self, name, lower, upper, stmt):
        entry = self.fresh("e")
        part = ast.Name(name, ast.Load())
        if upper is not None or (lower is not None and _integer(lower) != 0):
            part = ast.Subscript(part, ast.Slice(lower, upper), ast.Load())   # ys[0:] is ys
        loop = ast.comprehension(ast.Name(entry, ast.Store()), part, [], 0)
        return self._at(ast.ListComp(ast.Name(entry, ast.Load()), [loop]), stmt)

    def joined(self, name, parts, stmt):
        """``kept = parts[0]``, then each later part's entries appended (a list display's
        one by one), then ``name = kept``."""
        kept = self.fresh("kept")
        out = [ast.Assign([ast.Name(kept, ast.Store())], parts[0])]
        for part in parts[1:]:
            append = ast.Attribute(ast.Name(kept, ast.Load()), "append", ast.Load())
            if isinstance(part, ast.List):
                out += [ast.Expr(ast.Call(append, [e], [])) for e in part.elts]
                continue
            entry = self.fresh("e")
            body = ast.Expr(ast.Call(copy.deepcopy(append), [ast.Name(entry, ast.Load())], []))
            out.append(ast.For(ast.Name(entry, ast.Store()), part.generators[0].iter, [body], []))
        out.append(ast.Assign([ast.Name(name, ast.Store())], ast.Name(kept, ast.Load())))
        return [self._at(s, stmt) for s in out]

    def inserted(self, name, index, value, stmt):
        after = self.comprehension(name, ast.Constant(index), None, stmt)
        if index == 0:                  # ys[:0] is empty (and reads as an array's slice)
            return self.joined(name, [ast.List([value], ast.Load()), after], stmt)
        before = self.comprehension(name, None, ast.Constant(index), stmt)
        return self.joined(name, [before, ast.List([value], ast.Load()), after], stmt)

    def popped(self, name, index, call, stmt):
        popped = self.fresh("popped")
        out = [self._at(ast.Assign([ast.Name(popped, ast.Store())], ast.Subscript(
            ast.Name(name, ast.Load()), ast.Constant(index), ast.Load())), stmt)]
        if index == -1:
            out.append(self._at(ast.Assign([ast.Name(name, ast.Store())],
                                           self.comprehension(name, None, ast.Constant(-1),
                                                              stmt)), stmt))
        elif index == 0:
            out.append(self._at(ast.Assign([ast.Name(name, ast.Store())],
                                           self.comprehension(name, ast.Constant(1), None,
                                                              stmt)), stmt))
        else:
            out += self.joined(name, [self.comprehension(name, None, ast.Constant(index), stmt),
                                      self.comprehension(name, ast.Constant(index + 1), None,
                                                         stmt)], stmt)
        if isinstance(stmt, ast.Expr) and stmt.value is call:
            return out                               # ys.pop(): the entry is not used
        replace = _Replace(call, ast.copy_location(ast.Name(popped, ast.Load()), call))
        return out + [replace.visit(stmt)]


class _Replace(ast.NodeTransformer):
    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit(self, node):
        if node is self.old:
            return self.new
        return super().visit(node)
