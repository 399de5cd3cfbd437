"""Small rewrites of a helper's body as it is inlined (``helpers.py``), and the mark of
its statements' own lines (``with_origin``).

``fold_none_tests``: ``if b is not None:`` where the argument is a literal (``b=None``
left to its default, or a number): the arm Python takes, the other dropped, so that code
for a value not passed (``np.diff(None)``) is not generated; any other such test is
``True`` or ``False`` (``assert axis is None`` with ``axis=0``: ``assert False``).

>>> import ast
>>> print(ast.unparse(fold_none_tests(ast.parse("if None is not None:\\n    y = f(x)\\nelse:\\n    y = x").body)[0]))
y = x
"""

import ast


def fold_none_tests(stmts):
    return _NoneTests().fold(stmts)


def with_origin(stmt, filename, helper):
    """``stmt``, a copy of a statement of ``helper`` (in ``filename``), each node marked
    ``s2sdiff_at = (filename, helper, line)`` before it takes the line of the call: errors
    name the helper's own line (``parse.Parsed.error``).  Nodes inlined earlier keep
    theirs."""
    for sub in ast.walk(stmt):
        if "lineno" in sub._attributes and not hasattr(sub, "s2sdiff_at"):
            sub.s2sdiff_at = (filename, helper, getattr(sub, "lineno", None))
    return stmt


class _NoneTests(ast.NodeTransformer):
    """Literal ``is None`` / ``is not None`` tests become ``True``/``False``; an ``if``
    on one keeps the arm Python takes."""

    def fold(self, stmts):
        out = []
        for stmt in stmts:
            new = self.visit(stmt)
            out.extend(new if isinstance(new, list) else [new])
        return out

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)) \
                and isinstance(node.left, ast.Constant) \
                and isinstance(node.comparators[0], ast.Constant) \
                and node.comparators[0].value is None:
            same = node.left.value is None
            return ast.copy_location(ast.Constant(same == isinstance(node.ops[0], ast.Is)), node)
        return node

    def visit_If(self, node):
        node.test = self.visit(node.test)
        if isinstance(node.test, ast.Constant) and isinstance(node.test.value, bool):
            return self.fold(node.body if node.test.value else node.orelse) or [ast.Pass()]
        node.body, node.orelse = self.fold(node.body), self.fold(node.orelse)
        return node


def hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
