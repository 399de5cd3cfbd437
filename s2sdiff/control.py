"""Put the function's exits in a canonical place before SSA: one return, at the end.

After ``canonical_body``:

* the body ends with ``return <atom-or-expression>`` and contains no other ``return``:
  a ``return e`` elsewhere becomes ``<out> = e`` (``<out>`` is named after the function)
  and the final statement is ``return <out>``;
* ``break`` and ``continue`` (and the assignment that replaced a ``return``) end the
  block they are in: the statements that followed an ``if`` whose arm may leave are moved
  into the arms that may fall through, so nothing in a block follows a jump;
* a loop containing a ``return`` sets a flag ``<out>_returned`` before its ``break``;
  the statements after such a loop run under ``if not <out>_returned:`` (and a loop
  nested in it passes the ``break`` on);
* when every ``return`` gives a tuple (or every one a list) display of the same length,
  each entry gets a name of its own, ``<out>_0 = a; <out>_1 = b``, and the function ends
  with ``return (<out>_0, <out>_1)`` (unless ``split=False``): no name holds the tuple, so
  the derivative's adjoints stay numbers and arrays, one per entry.

A function whose only ``return`` is its last statement is left exactly as written.

>>> import ast
>>> tree = ast.parse('''
... def f(x):
...     if x > 0:
...         return x
...     y = -x
...     return y * 2
... ''').body[0]
>>> from s2sdiff.names import Namer
>>> print(ast.unparse(canonical_body(tree, Namer.for_function(tree))))
if x > 0:
    f = x
else:
    y = -x
    f = y * 2
return f
"""

import ast
import copy


def canonical_body(func, namer, split=True):
    """The body of ``func`` with its exits in canonical form (see the module docstring)."""
    body = list(func.body)
    if not _needs_rewrite(body):
        return body
    hint = func.name if func.name.isidentifier() else "out"
    out = namer.fresh(hint)
    display = _same_displays(body) if split else None
    entries = None if display is None else \
        [namer.fresh(f"{out}_{i}") for i in range(len(display.elts))]
    rewriter = _Rewriter(out, namer, entries)
    rewritten = rewriter.block(body, loop=None)
    last = body[-1] if body else func
    where = dict(lineno=getattr(last, "lineno", 1), col_offset=0,
                 end_lineno=getattr(last, "end_lineno", 1), end_col_offset=0)
    value = ast.Name(out, ast.Load(), **where) if entries is None else \
        type(display)([ast.Name(e, ast.Load(), **where) for e in entries], ast.Load(), **where)
    return rewritten + [ast.Return(value, **where)]


def _same_displays(body):
    """The first returned display when every ``return`` of ``body`` gives a tuple (or every
    one a list) display of the same length without ``*``; else None."""
    values = [n.value for stmt in body for n in _walk_statements(stmt) if isinstance(n, ast.Return)]
    first = values[0]
    if not isinstance(first, (ast.Tuple, ast.List)) or not all(
            type(v) is type(first) and len(v.elts) == len(first.elts)
            and not any(isinstance(e, ast.Starred) for e in v.elts) for v in values):
        return None
    return first


def _needs_rewrite(body):
    returns = [n for stmt in body for n in _walk_statements(stmt) if isinstance(n, ast.Return)]
    if not returns:
        return False
    top_level_last = isinstance(body[-1], ast.Return)
    return not (top_level_last and len(returns) == 1) or _jumps_need_moving(body)


def _jumps_need_moving(body):
    """Whether some ``if`` containing a jump is followed by statements in its block."""
    for stmt in body:
        for node in _walk_statements(stmt):
            for block in _blocks(node):
                for i, inner in enumerate(block[:-1]):
                    if isinstance(inner, ast.If) and _may_jump(inner):
                        return True
    return False


def _walk_statements(stmt):
    """``stmt`` and every statement nested in it."""
    yield stmt
    for block in _blocks(stmt):
        for inner in block:
            yield from _walk_statements(inner)


def _blocks(stmt):
    if isinstance(stmt, (ast.If, ast.For, ast.While)):
        return [stmt.body, stmt.orelse]
    return []


def _may_jump(stmt, in_loop=False):
    """Whether ``stmt`` may leave its block: a return anywhere, or a break/continue that
    belongs to an enclosing loop (not to a loop nested in ``stmt``)."""
    if isinstance(stmt, ast.Return):
        return True
    if isinstance(stmt, (ast.Break, ast.Continue)):
        return not in_loop
    if isinstance(stmt, ast.If):
        return any(_may_jump(s, in_loop) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, (ast.For, ast.While)):
        return any(_may_jump(s, True) for s in stmt.body + stmt.orelse)
    return False


def _returns_inside(stmt):
    return any(isinstance(n, ast.Return) for n in _walk_statements(stmt))


class _Rewriter:
    def __init__(self, out, namer, entries=None):
        self.out = out
        self.namer = namer
        self.entries = entries      # the names of the returned display's entries, or None
        self.flag = None

    def returned(self, stmt):
        """The assignments replacing ``stmt``, a ``return``."""
        if self.entries is None:
            return [_assign(self.out, stmt.value or ast.Constant(None), stmt)]
        return [_assign(e, v, stmt) for e, v in zip(self.entries, stmt.value.elts)]

    def block(self, stmts, loop):
        """``stmts`` rewritten; ``loop`` is the innermost enclosing loop's flag state."""
        result = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1:]
            if isinstance(stmt, ast.Return):
                result += self.returned(stmt)
                if loop is not None:
                    result.append(_assign(self.flag, ast.Constant(True), stmt))
                    result.append(ast.Break(lineno=stmt.lineno, col_offset=stmt.col_offset))
                return result
            if isinstance(stmt, (ast.Break, ast.Continue)):
                result.append(stmt)
                return result
            if isinstance(stmt, ast.If) and _may_jump(stmt):
                new = copy.copy(stmt)
                new.body = self.block(stmt.body + _copied(rest), loop)
                new.orelse = self.block(stmt.orelse + _copied(rest), loop)
                result.append(new)
                return result
            if isinstance(stmt, (ast.For, ast.While)):
                new = copy.copy(stmt)
                returns = _returns_inside(stmt)
                if returns and self.flag is None:
                    self.flag = self.namer.fresh(f"{self.out}_returned")
                if returns:
                    result.append(_assign(self.flag, ast.Constant(False), stmt))
                new.body = self.block(stmt.body, loop=True)
                result.append(new)
                if returns:
                    after = self.block(rest, loop)
                    where = dict(lineno=stmt.lineno, col_offset=stmt.col_offset)
                    test = ast.Name(self.flag, ast.Load(), **where)
                    if loop is not None:        # pass the return on to the enclosing loop
                        result.append(ast.If(test, [ast.Break(**where)], after, **where))
                    elif after:
                        result.append(ast.If(ast.UnaryOp(ast.Not(), test, **where), after, [],
                                             **where))
                    return result
                continue
            if isinstance(stmt, ast.If):
                new = copy.copy(stmt)
                new.body = self.block(stmt.body, loop)
                new.orelse = self.block(stmt.orelse, loop)
                result.append(new)
                continue
            result.append(stmt)
        return result


def _assign(name, value, stmt):
    return ast.Assign([ast.Name(name, ast.Store(), lineno=stmt.lineno, col_offset=stmt.col_offset)],
                      value, lineno=stmt.lineno, col_offset=stmt.col_offset,
                      end_lineno=getattr(stmt, "end_lineno", stmt.lineno),
                      end_col_offset=getattr(stmt, "end_col_offset", 0))


def _copied(stmts):
    return [copy.deepcopy(s) for s in stmts]
