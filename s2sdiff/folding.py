"""Literal arithmetic and identities folded in an expression (``optimize`` applies it to
every derivative statement; ``reverse`` and ``forward`` to the partials they build).

Folded: literal arithmetic and comparisons (``2 - 1`` is ``1``, ``-(1.0)`` is ``-1.0``,
``a if 2.0 != 0 else b`` is ``a``); ``x * 1``, ``1 * x``, ``x / 1``, ``x + 0``,
``x - 0``, ``x ** 1``, ``--x``; ``x * -1`` becomes ``-x`` and ``a + -b * c`` becomes
``a - b * c``.  Nothing that could change a type, a shape or hide a NaN or an error:
``0 * x`` stays, ``(x > 0) * 1.0`` stays a float, ``1 / 0`` stays.

>>> print(ast.unparse(fold(ast.parse("2 * xpy ** (2 - 1) * 1.0", mode="eval").body)))
2 * xpy
"""

import ast
import math


def _number(node):
    """The value of a numeric literal node, else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _is(node, value):
    number = _number(node)
    return number is not None and number == value


class _Fold:
    """One bottom-up pass of the rewrites (``fold`` repeats it): each node's children
    first, replaced in place, then the node itself; ``changed`` when any node was
    replaced.  What an ``ast.NodeTransformer`` with ``visit_UnaryOp``... would do, without
    its per-node dispatch (the folder runs on every derivative statement)."""

    def __init__(self, integral=frozenset()):
        self.integral = integral
        self.changed = False

    def visit(self, node):
        cls = node.__class__
        if cls is _Name or cls is _Constant:
            return node
        fields = _CHILD_FIELDS.get(cls) or _child_fields(cls)
        visit = self.visit
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        value[i] = visit(item)
            elif isinstance(value, ast.AST):
                setattr(node, field, visit(value))
        rewrite = _REWRITES.get(cls)
        if rewrite is None:
            return node
        new = rewrite(self, node)
        if new is not node:
            self.changed = True
        return new

    def _keeps_type(self, kept, one):
        """Dropping ``* one`` (or ``* -1``) keeps the type: ``(x > 0) * 1.0`` stays a float."""
        return not (_integral(kept, self.integral) and isinstance(one.value, float))

    def visit_UnaryOp(self, node):
        operand = node.operand
        if isinstance(node.op, ast.UAdd) and _number(operand) is not None:
            return operand
        if isinstance(node.op, ast.USub):
            if _number(operand) is not None:
                return ast.Constant(-operand.value)
            if isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.USub):
                return operand.operand
        return node

    def visit_Compare(self, node):
        values = [_number(node.left)] + [_number(c) for c in node.comparators]
        if len(node.ops) == 1 and None not in values and type(node.ops[0]) in _COMPARISONS:
            return ast.Constant(_COMPARISONS[type(node.ops[0])](*values))
        return node

    def visit_IfExp(self, node):
        if isinstance(node.test, ast.Constant) and isinstance(node.test.value, bool):
            return node.body if node.test.value else node.orelse
        return node

    def visit_BinOp(self, node):
        left, right, op = node.left, node.right, node.op
        folded = _fold_literals(left, op, right)
        if folded is not None:
            return folded
        if isinstance(op, ast.Mult):
            if _is(right, 1) and self._keeps_type(left, right):
                return left
            if _is(left, 1) and self._keeps_type(right, left):
                return right
            if _is(right, -1) and self._keeps_type(left, right):
                return _negate(left)
            if _is(left, -1) and self._keeps_type(right, left):
                return _negate(right)
        if isinstance(op, ast.Div):
            if _is(right, 1):
                return left
            if _is(right, -1):
                return _negate(left)
        if isinstance(op, ast.Add):
            if _is(right, 0):
                return left
            if _is(left, 0):
                return right
            positive = _without_sign(right)
            if positive is not None:
                return ast.BinOp(left, ast.Sub(), positive)
        if isinstance(op, ast.Sub):
            if _is(right, 0):
                return left
            if _is(left, 0):
                return _negate(right)
            positive = _without_sign(right)
            if positive is not None:
                return ast.BinOp(left, ast.Add(), positive)
        if isinstance(op, ast.Pow) and _is(right, 1):
            return left
        return node


_Name, _Constant, _Assign = ast.Name, ast.Constant, ast.Assign
_REWRITES = {ast.UnaryOp: _Fold.visit_UnaryOp, ast.Compare: _Fold.visit_Compare,
             ast.IfExp: _Fold.visit_IfExp, ast.BinOp: _Fold.visit_BinOp}
# fields whose nodes the rewrites never replace: operators and contexts (no children)
_OPERATOR_FIELDS = {"ctx", "op", "ops"}
_CHILD_FIELDS = {}


def _child_fields(cls):
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _OPERATOR_FIELDS)
    return fields


def _integral(node, names=frozenset()):
    """Whether ``node`` may be a bool or int however the inputs are typed."""
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.Call):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if func in _SELECTING_FUNCTIONS:       # max(x, 3) may return the int 3
            return any(_integral(a, names) for a in node.args)
        return func in _INTEGER_FUNCTIONS
    if isinstance(node, ast.IfExp):
        return _integral(node.body, names) or _integral(node.orelse, names)
    if isinstance(node, ast.Constant):
        return type(node.value) in (bool, int)
    if isinstance(node, (ast.List, ast.Tuple)):   # a display: may it hold an int?
        return any(_integral(e, names) for e in node.elts)
    if isinstance(node, ast.Subscript):           # an element of a list that may hold ints
        return _integral(node.value, names)
    if isinstance(node, ast.UnaryOp):
        return _integral(node.operand, names)
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Div):
        return _integral(node.left, names) and _integral(node.right, names)
    return False


_INTEGER_FUNCTIONS = {"floor", "ceil", "trunc", "round", "int", "len"}
_SELECTING_FUNCTIONS = {"max", "min", "abs"}


def _is_negation(node):
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)


def _without_sign(node):
    """``e`` if ``node`` is ``-e``, or a product or quotient led by a negation or a
    negative literal (``-a / b * c`` gives ``a / b * c``); otherwise None."""
    if _is_negation(node):
        return node.operand
    number = _number(node)
    if number is not None and number < 0:
        return ast.Constant(-number)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        left = _without_sign(node.left)
        if left is not None:
            return ast.BinOp(left, node.op, node.right)
    return None


def _negate(node):
    if _number(node) is not None:
        return ast.Constant(-node.value)
    if _is_negation(node):
        return node.operand
    return ast.UnaryOp(ast.USub(), node)


_COMPARISONS = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
                ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
                ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b}

_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
               ast.Pow: lambda a, b: a ** b}


def _fold_literals(left, op, right):
    a, b = _number(left), _number(right)
    if a is None or b is None or type(op) not in _ARITHMETIC:
        return None
    if isinstance(op, ast.Div) and b == 0:
        return None                                  # keep the ZeroDivisionError
    if isinstance(op, ast.Pow) and (abs(b) > 4 or (a == 0 and b < 0)):
        return None
    try:
        value = _ARITHMETIC[type(op)](a, b)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, int) and abs(value) > 2 ** 53:
        return None                                  # keep huge integer arithmetic as written
    if isinstance(value, float) and value == int(value) and type(a) is int and type(b) is int \
            and not isinstance(op, ast.Div):
        value = int(value)
    return ast.Constant(value)


def fold(expr, integral=frozenset()):
    """``expr`` with literal arithmetic and identities folded, to a fixed point.

    ``integral`` names values that may be ints or bools, for which ``* 1.0`` must stay.
    """
    return _fold(expr, integral)[0]


def _fold(expr, integral):
    """``fold``, and whether anything was folded (every rewrite returns a new node)."""
    folded = False
    while True:
        folder = _Fold(integral)
        expr = folder.visit(expr)
        if not folder.changed:
            return expr, folded
        folded = True
