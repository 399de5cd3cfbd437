"""``continue`` and ``break`` in a loop over a tree that the tree rewrite unrolls
(``tree_flatten._Flattener.visit_For``): weight decay on the weights only,

    for k in params:
        if not k.startswith("w"):
            continue
        t = t + np.sum(params[k] ** 2)

Each copy of the body has its key as a constant, so an ``if`` on the key (``test_value``:
comparisons, ``in``, ``startswith``...) is decided per copy: the copy is the statements
before the ``continue`` or ``break`` it reaches, and a ``break`` ends the unrolling (the
loop's ``else`` runs when no copy reached one).  The guarantee: the statements kept are
those Python runs for that key; a jump that a test decides only when the code runs
(on a value, not a key) is refused at its line, never guessed.
"""

import ast

_NESTED = (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
           ast.ClassDef, ast.Lambda)

HINT = ("A `continue` or `break` in a loop over a tree is followed when an `if` on the "
        "loop's key decides it (`if not k.startswith(\"w\"): continue`); otherwise put the "
        "rest of the body under an `if` instead.")


def jumps(node):
    """The ``continue`` and ``break`` statements of ``node`` that belong to the loop around
    it (not to a loop or function inside it)."""
    if isinstance(node, (ast.Continue, ast.Break)):
        return [node]
    found = []
    for field, value in ast.iter_fields(node):
        if isinstance(node, _NESTED) and field == "body":
            continue                  # an inner loop's own jumps; its `else` is ours
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                found += jumps(child)
    return found


def straight(flattener, body):
    """``(statements, jump)``: the statements of ``body`` (one copy, its key a constant)
    that run before the ``continue`` or ``break`` it reaches (``jump``: ``ast.Continue``,
    ``ast.Break`` or None); ``if``s that hold one are decided by ``flattener.test_value``,
    else refused."""
    out = []
    for stmt in body:
        if isinstance(stmt, (ast.Continue, ast.Break)):
            return out, type(stmt)
        if not jumps(stmt):
            out.append(stmt)
            continue
        value = flattener.test_value(stmt.test) if isinstance(stmt, ast.If) else None
        if value is None:
            jump = jumps(stmt)[0]
            word = "continue" if isinstance(jump, ast.Continue) else "break"
            written = next((n for n in ast.walk(flattener.parsed.node) if type(n) is type(stmt)
                            and (n.lineno, n.col_offset) == (stmt.lineno, stmt.col_offset)),
                           stmt)       # as the user wrote it: params[k], not params['w1']
            raise flattener.refuse(jump, _what(written, word), HINT)
        inner, jump = straight(flattener, stmt.body if value else stmt.orelse)
        out += inner
        if jump is not None:
            return out, jump
    return out, None


def _what(stmt, word):
    if isinstance(stmt, ast.If):
        return (f"the `{word}` in a loop over a tree depends on the test "
                f"`{ast.unparse(stmt.test)}`, which s2sdiff cannot decide when the code is "
                f"generated (a test of the loop's key it can)")
    return f"the `{word}` inside a `{type(stmt).__name__.lower()}` statement in a loop over a tree"
