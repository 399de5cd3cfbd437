"""``for ... else`` and ``while ... else`` as a flag, before anything else sees the loop.

The ``else`` clause of a loop runs when the loop ends without ``break``.  After
``rewrite`` no loop has one::

    for v in xs:                       no_break = True
        if v > t:                      for v in xs:
            break              ->          if v > t:
    else:                                      no_break = False
        v = t                                  break
                                       if no_break:
                                           v = t

(a loop without a ``break`` of its own runs its ``else`` always: the clause simply
follows it).  A ``break`` belongs to the innermost loop around it; inner loops are
rewritten first, so a ``break`` in an inner loop's ``else`` is the outer loop's.  A
``return`` inside the loop leaves before the clause, as in Python (``control.py`` then
runs the statements after the loop only when it did not return).  The flag is a bool,
a constant for both modes: the derivative is that of the path the loop took.
"""

import ast
import copy
import dataclasses

from ..names import Namer

_BLOCKS = ("body", "orelse", "finalbody")


def rewrite(parsed):
    """``parsed`` with its loops' ``else`` clauses rewritten, or ``parsed`` itself when
    no loop has one."""
    if not any(n.orelse for n in (*parsed.of(ast.For), *parsed.of(ast.While))):
        return parsed
    node = copy.deepcopy(parsed.node)
    namer = Namer.for_function(node)
    node.body = _block(node.body, namer)
    return dataclasses.replace(parsed, node=ast.fix_missing_locations(node))


def _block(stmts, namer):
    out = []
    for stmt in stmts:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(stmt)          # a nested function's loops are its own
            continue
        for field in _BLOCKS:
            if isinstance(getattr(stmt, field, None), list) and not (
                    field == "orelse" and isinstance(stmt, (ast.For, ast.While))):
                setattr(stmt, field, _block(getattr(stmt, field), namer))
        for handler in getattr(stmt, "handlers", []):
            handler.body = _block(handler.body, namer)
        for case in getattr(stmt, "cases", []):
            case.body = _block(case.body, namer)
        if isinstance(stmt, (ast.For, ast.While)) and stmt.orelse:
            out.extend(_loop(stmt, namer))
        else:
            out.append(stmt)
    return out


def _loop(loop, namer):
    """The statements replacing ``loop``, whose body is rewritten already."""
    orelse, loop.orelse = _block(loop.orelse, namer), []
    where = {"lineno": loop.lineno, "col_offset": loop.col_offset}
    breaks = _own_breaks(loop.body)
    if not breaks:
        return [loop, *orelse]
    flag = namer.fresh("no_break")

    def assign(value):
        return ast.Assign([ast.Name(flag, ast.Store())], ast.Constant(value), **where)
    for parent, field, index in sorted(breaks, key=lambda b: -b[2]):  # later ones first
        block = getattr(parent, field)
        block.insert(index, assign(False))
    test = ast.If(ast.Name(flag, ast.Load()), orelse, [], lineno=orelse[0].lineno,
                  col_offset=loop.col_offset)
    return [assign(True), loop, test]


def _own_breaks(body):
    """``(parent, field, index)`` of each ``break`` of the loop whose body is ``body``
    (not those of loops nested in it), ``parent`` the node whose list ``field`` holds it."""
    found = []
    holder = ast.Module(body=body, type_ignores=[])
    todo = [holder]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for index, stmt in enumerate(block):
                if isinstance(stmt, ast.Break):
                    found.append((node, field, index))
                elif not isinstance(stmt, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef,
                                           ast.AsyncFunctionDef, ast.ClassDef)):
                    todo.append(stmt)
        todo.extend(getattr(node, "handlers", []))
        todo.extend(getattr(node, "cases", []))
    return found
