"""A loop over a constant sequence of functions, unrolled before the normaliser runs:

    for f in [math.sin, math.cos, math.exp]:      # or fs, bound once to that display
        x = f(x)

is ``x = math.sin(x)``, ``x = math.cos(x)``, ``x = math.exp(x)``: the body once per
entry, the entry written where the body reads the loop variable, so each call names the
function it calls (``functools.reduce(lambda acc, f: f(acc), fs, x)`` is such a loop
once ``reductions.py`` wrote it).  The sequence is a list or tuple display, or a local
name bound once, in the function's body before the loop, to one and never changed (no
method call on it, no write into it, not passed anywhere but to loops); some entry is a
function (a name or an attribute that resolves to something callable, or a lambda, which
is bound to a name first) and none is a number.  The loop has one name as its target, no ``else``, no ``break`` or
``continue``; its body does not assign the variable, and nothing after the loop reads
it.  Any other loop is left as it is.

>>> import ast, math
>>> from s2sdiff.parse import parse
>>> def f(x):
...     for g in [math.sin, math.exp]:
...         x = g(x) * 2.0
...     return x
>>> print(ast.unparse(rewrite(parse(f)).node))
def f(x):
    x = math.sin(x) * 2.0
    x = math.exp(x) * 2.0
    return x
"""

import ast
import copy
import dataclasses

from ..syntax import Unused

_FUNCTION_BODIES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def rewrite(parsed):
    """``parsed`` with these loops unrolled (module docstring), or ``parsed`` itself."""
    loops = [f for f in parsed.of(ast.For) if isinstance(f.target, ast.Name)]
    if not loops or not any(_called(f) for f in loops):
        return parsed
    node = copy.deepcopy(parsed.node)
    unroll = _Unroll(parsed, node)
    node.body = unroll.block(node.body)
    if not unroll.changed:
        return parsed
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}
    node.body = [s for s in node.body if not any(     # fs = [...]: no longer read
        s is d and name not in read for name, d in unroll.displays.items())]
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _called(loop):
    """Whether the body calls the loop variable."""
    name = loop.target.id
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
               for s in loop.body for n in ast.walk(s))


class _Unroll:
    def __init__(self, parsed, func):
        self.parsed, self.func = parsed, func
        self.changed = False
        self.displays = self._displays()
        self.fresh = Unused(func).fresh

    def _displays(self):
        """``{name: display}`` of the names bound once, at the top of the function's body,
        to a display of entries, and read only as a loop's sequence."""
        bound = {}
        for stmt in self.func.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, (ast.List, ast.Tuple)):
                bound.setdefault(stmt.targets[0].id, []).append(stmt)
        iterated = {id(n.iter) for n in ast.walk(self.func)
                    if isinstance(n, (ast.For, ast.comprehension))}
        displays = {}
        for name, stmts in bound.items():
            uses = [n for n in ast.walk(self.func) if isinstance(n, ast.Name) and n.id == name]
            stores = [n for n in uses if not isinstance(n.ctx, ast.Load)]
            if len(stmts) == 1 and len(stores) == 1 and stores[0] is stmts[0].targets[0] \
                    and all(id(n) in iterated for n in uses if isinstance(n.ctx, ast.Load)) \
                    and not any(isinstance(a, ast.arg) and a.arg == name
                                for a in ast.walk(self.func)):
                displays[name] = stmts[0]
        return displays

    def block(self, statements, seen=()):
        out = []
        seen = set(seen)
        for stmt in statements:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) \
                        and not isinstance(stmt, _FUNCTION_BODIES):
                    setattr(stmt, field, self.block(inner, seen))
            for handler in getattr(stmt, "handlers", ()):
                handler.body = self.block(handler.body, seen)
            entries = self.entries(stmt, seen) if isinstance(stmt, ast.For) else None
            if entries is None:
                out.append(stmt)
            else:
                self.changed = True
                for entry in entries:
                    if isinstance(entry, ast.Lambda):    # bound to a name, which is inlined
                        named = self.fresh(stmt.target.id)
                        out.append(ast.copy_location(
                            ast.Assign([ast.Name(named, ast.Store())], entry), stmt))
                        entry = ast.Name(named, ast.Load())
                    body = [_Put(stmt.target.id, entry).visit(copy.deepcopy(s))
                            for s in stmt.body]
                    out += body
            if isinstance(stmt, ast.Assign) and any(stmt is d for d in self.displays.values()):
                seen.add(stmt.targets[0].id)
        return out

    def entries(self, loop, seen):
        """The entries to unroll ``loop`` over; None to leave it."""
        iterable = loop.iter
        if isinstance(iterable, ast.Name) and iterable.id in self.displays \
                and iterable.id in seen:
            iterable = self.displays[iterable.id].value
        if not isinstance(iterable, (ast.List, ast.Tuple)) or not iterable.elts \
                or loop.orelse or not isinstance(loop.target, ast.Name) or not _called(loop):
            return None
        kinds = [self.kind(e) for e in iterable.elts]
        if "number" in kinds or "function" not in kinds:
            return None
        name = loop.target.id
        for s in loop.body:
            for n in ast.walk(s):
                if isinstance(n, (ast.Break, ast.Continue)) or isinstance(n, ast.Name) \
                        and n.id == name and not isinstance(n.ctx, ast.Load):
                    return None
        inside = {id(n) for n in ast.walk(loop)}
        if any(isinstance(n, ast.Name) and n.id == name and id(n) not in inside
               for n in ast.walk(self.func)):
            return None                        # the variable is read after (or before)
        return [e for e in iterable.elts]

    def kind(self, entry):
        if isinstance(entry, ast.Lambda):
            return "function"
        if isinstance(entry, ast.Constant) or isinstance(entry, ast.UnaryOp):
            return "number"
        value = self.resolve(entry)
        if value is None:
            return "other"
        if isinstance(value, (int, float, complex)):
            return "number"
        return "function" if callable(value) else "other"

    def resolve(self, entry):
        stored = self.parsed.stored()
        if isinstance(entry, ast.Name):
            return None if entry.id in stored else self.parsed.lookup(entry.id, None)
        if isinstance(entry, ast.Attribute):
            base = self.resolve(entry.value)
            return None if base is None else getattr(base, entry.attr, None)
        return None


class _Put(ast.NodeTransformer):
    def __init__(self, name, entry):
        self.name, self.entry = name, entry

    def visit_Name(self, node):
        if node.id == self.name and isinstance(node.ctx, ast.Load):
            return ast.copy_location(copy.deepcopy(self.entry), node)
        return node
