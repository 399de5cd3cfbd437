"""Parameters given None as data in NumPy code (``axis=None``, ``ord=None``,
``weights=None`` left to their defaults or passed), as JAX reads a None argument.

The dispatcher (``dispatch.py``) keys a call on each argument's type, so the code it
generates for a call passing None for a parameter is only ever called with None there.
``read_as_none`` specialises the function on that: each read of such a parameter that
is not differentiated becomes the literal ``None``, as a helper's ``None`` argument is
when it is inlined (``normalize/helpers.py``), and ``if p is None:`` / ``is not None``
tests then keep the arm Python takes (``normalize/inline_folds.py``): the code of the
other arm (``np.multiply(a, weights)``) is never generated.  A parameter the function
assigns (``if w is None: w = np.ones(3)``) or that a nested function or comprehension
binds again keeps its name: the code reads it as written.
"""

import ast
import copy
import dataclasses

from .normalize.inline_folds import fold_none_tests


def given_none(parsed, wrt_names, args):
    """The parameters of ``parsed`` (in order, as the dispatcher passes them) that
    ``args`` gives None and that are not differentiated."""
    spec = parsed.node.args
    params = [a.arg for a in spec.posonlyargs + spec.args + spec.kwonlyargs]
    return tuple(p for p, value in zip(params, args) if value is None and p not in wrt_names)


def read_as_none(parsed, names):
    """``parsed`` with the reads of the parameters ``names`` replaced by ``None`` where
    they still hold the argument, and the tests that makes literal folded; ``parsed``
    itself when no read can be replaced."""
    node = parsed.node
    own = {id(a) for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    shadowed = {n.arg for n in parsed.of(ast.arg) if id(n) not in own}    # lambda axis: ...
    names = {p for p in names if p not in shadowed}
    if not names:
        return parsed
    node = copy.deepcopy(node)
    node.body = fold_none_tests(_block(node.body, names))
    return dataclasses.replace(parsed, node=ast.fix_missing_locations(node))


def _block(stmts, names):
    """``stmts`` with the reads of ``names`` replaced while no earlier statement may have
    assigned them: in order, an ``if`` testing one (``if w is None: w = np.ones(n)``)
    read in its test and in each arm up to its assignment there; a statement that
    assigns one (a loop that does, too) reads the others only, and from then on it is
    read as written."""
    out = []
    for stmt in stmts:
        stored = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                  and not isinstance(n.ctx, ast.Load)} & names
        if isinstance(stmt, ast.If):
            stmt.test = _NoneReads(names).visit(stmt.test)
            stmt.body, stmt.orelse = _block(stmt.body, names), _block(stmt.orelse, names)
        else:
            stmt = _NoneReads(names - stored).visit(stmt)
        out.append(stmt)
        names = names - stored
    return out


class _NoneReads(ast.NodeTransformer):
    """Each read of ``names`` becomes ``None``; ``a if p is None else b`` then the arm
    Python takes (``fold_none_tests`` folds statements)."""

    def __init__(self, names):
        self.names = names

    def visit(self, node):
        return super().visit(node) if self.names else node

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            return ast.copy_location(ast.Constant(None), node)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        test = fold_none_tests([ast.Expr(node.test)])[0].value
        if isinstance(test, ast.Constant) and isinstance(test.value, bool):
            return node.body if test.value else node.orelse
        return node
