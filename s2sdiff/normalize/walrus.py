"""Assignment expressions (``:=``) as the assignments they make, before the normaliser runs.

* ``if (y := e) > 0:`` (and ``elif``): ``y = e`` just before the ``if`` (for an ``elif``,
  first in the ``else`` block, so it runs only where the test is evaluated);
* ``while (n := e) > 0:``: ``n = e`` before the loop, at the end of its body and before
  each ``continue`` of the loop, where the test is evaluated again;
* ``:=`` in any other statement (``x = (y := a * 2) + y``, ``return``, a ``for``'s
  iterable): ``y = e`` just before the statement.

The assignments keep the order in which Python evaluates the ``:=`` (inner ones first).
Refused, with what to write instead, where moving the assignment first would change what
the statement computes: a ``:=`` that may not run (a branch of ``a if c else b``, an
operand of ``and``/``or`` after the first, a comprehension), one whose name the statement
reads before it (``x + (x := 2)``), one in an assignment's target.
"""

import ast
import copy
import dataclasses

_SCOPES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_JUMPS = (ast.Break, ast.Continue, ast.Return, ast.Raise)
_HINT = "Assign the value with `=` in a statement of its own before this one."


def hoist(parsed):
    """``parsed`` with its ``:=`` written as assignments (module docstring), or ``parsed``
    itself when it has none."""
    if not parsed.of(ast.NamedExpr):
        return parsed
    node = copy.deepcopy(parsed.node)
    node.body = _Hoister(parsed).block(node.body)
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _has_walrus(node):
    return any(isinstance(n, ast.NamedExpr) for n in ast.walk(node))


class _Hoister:
    def __init__(self, parsed):
        self.parsed = parsed

    def refuse(self, node, where, hint=_HINT):
        name = self.parsed.node.name
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {name}: an assignment expression (:=) "
                  f"{where} is not supported", construct="assignment expression (:=)",
            hint=hint)

    def block(self, statements):
        out = []
        for stmt in statements:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stmt.body = self.block(stmt.body)      # its own scope; its header as it is
            return [stmt]
        if isinstance(stmt, ast.While):
            before, stmt.test = self.expression(stmt.test)
            stmt.body = self.block(stmt.body)
            if before:
                stmt.body = _before_continue(stmt.body, before)
                if not (stmt.body and isinstance(stmt.body[-1], _JUMPS)):
                    stmt.body = stmt.body + copy.deepcopy(before)
            stmt.orelse = self.block(stmt.orelse)
            return before + [stmt]
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(_has_walrus(t) for t in targets):
                raise self.refuse(stmt, "in the target of an assignment")
            read = {stmt.target.id} if isinstance(stmt, ast.AugAssign) \
                and isinstance(stmt.target, ast.Name) else set()   # x += ... reads x first
            before = []
            if stmt.value is not None:
                before, stmt.value = self.expression(stmt.value, read)
            return before + [stmt]
        before = []
        for field, value in ast.iter_fields(stmt):
            if isinstance(value, ast.expr):
                hoisted, new = self.expression(value)
                before += hoisted
                setattr(stmt, field, new)
            elif isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(stmt, field, self.block(value))
            elif isinstance(value, list) and any(isinstance(v, ast.AST) and _has_walrus(v)
                                                 for v in value):
                hoisted, new = self.expression(ast.Tuple(value, ast.Load()))
                before += hoisted
                setattr(stmt, field, new.elts)
        return before + [stmt]

    def expression(self, node, read=()):
        """``(assignments, node)``: the assignments of the ``:=`` in ``node``, in the order
        Python makes them, and ``node`` reading their names instead."""
        if not _has_walrus(node):
            return [], node
        extractor = _Extractor(self, set(read))
        node = extractor.visit(node)
        return extractor.assignments, node


class _Extractor(ast.NodeTransformer):
    """Visits an expression in evaluation order (``ast``'s field order is Python's for
    the forms allowed), replacing each ``:=`` by its name."""

    def __init__(self, hoister, read):
        self.hoister, self.read, self.assignments, self.inside = hoister, read, [], 0

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and not self.inside:
            self.read.add(node.id)
        return node

    def visit_NamedExpr(self, node):
        self.inside += 1
        value = self.visit(node.value)
        self.inside -= 1
        name = node.target.id
        if name in self.read:
            raise self.hoister.refuse(node, f"whose name `{name}` the expression reads before "
                                            f"it")
        assign = ast.Assign([ast.Name(name, ast.Store())], value)
        self.assignments.append(ast.copy_location(assign, node))
        return ast.copy_location(ast.Name(name, ast.Load()), node)

    def visit_BoolOp(self, node):
        if any(_has_walrus(v) for v in node.values[1:]):
            op = "and" if isinstance(node.op, ast.And) else "or"
            raise self.hoister.refuse(node, f"after the first operand of `{op}` (it may not "
                                            f"run)")
        return self.generic_visit(node)

    def visit_IfExp(self, node):
        if _has_walrus(node.body) or _has_walrus(node.orelse):
            raise self.hoister.refuse(node, "in a branch of a conditional expression (it may "
                                            "not run)")
        return self.generic_visit(node)

    def visit_Lambda(self, node):
        return node                              # its own scope (refused where it matters)

    def generic_visit(self, node):
        if isinstance(node, _SCOPES) and _has_walrus(node):
            raise self.hoister.refuse(node, "in a comprehension",
                                      "Write the loop out, with `=` assignments.")
        return super().generic_visit(node)


def _before_continue(statements, assignments):
    """``statements`` with a copy of ``assignments`` before each ``continue`` of their
    loop (not of loops nested in it, whose ``else`` blocks are the loop's still)."""
    out = []
    for stmt in statements:
        if isinstance(stmt, ast.Continue):
            out.extend(copy.deepcopy(assignments))
        elif isinstance(stmt, (ast.For, ast.While)):
            stmt.orelse = _before_continue(stmt.orelse, assignments)
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field, value in ast.iter_fields(stmt):
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    setattr(stmt, field, _before_continue(value, assignments))
        out.append(stmt)
    return out
