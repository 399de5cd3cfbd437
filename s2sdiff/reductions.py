"""``functools.reduce(f, xs)`` written as the loop it runs, when the function is parsed
(``parse.parse``: what finds tree parameters, inlines helpers and normalises reads the
loop).

``y = reduce(f, xs)`` (``functools.reduce`` or ``reduce`` imported from it) becomes, just
before the statement holding the call::

    acc = xs[0]                 # acc = init, with an initial value
    for item in xs[1:]:         # for item in xs:
        acc = f(acc, item)

and the call becomes ``acc``; ``xs`` not a name is bound to one first, so it is evaluated
once, and a display (``reduce(np.matmul, [A, B, C])``, whose entries may differ in
shape) is unrolled: ``acc = A``, ``acc = np.matmul(acc, B)``...  ``f`` a lambda is written
as its body (``acc = acc * item`` for ``lambda a, b: a * b``), and so is ``operator.mul``
(``add``, ``sub``, ``truediv``, ``pow``, ``matmul``); another name (your function,
``np.dot``, a lambda bound to a name) is called.  The loop then differentiates as any
loop does.

A call inside a branch of ``a if c else b``, an operand of ``and``/``or``, a
comprehension or a lambda (where Python may not evaluate it) is left as it is (and refused
where it is normalised).  Python raises ``TypeError`` for an empty ``xs`` without an
initial value; the loop raises ``IndexError``.

>>> import ast, functools
>>> from s2sdiff.parse import parse
>>> def product(xs):
...     return functools.reduce(lambda a, b: a * b, xs)
>>> print(ast.unparse(rewrite(parse(product)).node))
def product(xs):
    acc = xs[0]
    for item in xs[1:]:
        acc = acc * item
    return acc
"""

import ast
import copy
import dataclasses
import functools
import operator

from .syntax import Unused, rewrite_inner_blocks

_CONDITIONAL = (ast.IfExp, ast.BoolOp, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                ast.GeneratorExp)
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)
_OPERATORS = ((operator.add, ast.Add), (operator.sub, ast.Sub), (operator.mul, ast.Mult),
              (operator.truediv, ast.Div), (operator.pow, ast.Pow), (operator.matmul, ast.MatMult))


def rewrite(parsed):
    """``parsed`` with its ``reduce`` calls written as loops, or ``parsed`` itself."""
    calls = [c for c in parsed.of(ast.Call) if getattr(c.func, "attr", None) == "reduce"
             or getattr(c.func, "id", None) == "reduce"]     # spelled so, then resolved
    calls = [c for c in calls if _is_reduce(parsed, c)]
    if not calls:
        return parsed
    node = copy.deepcopy(parsed.node)
    node.body = _Loops(parsed, Unused(node)).block(node.body)
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _is_reduce(parsed, call):
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        found = getattr(parsed.lookup(func.value.id, None), func.attr, None) \
            if func.value.id not in parsed.stored() else None
    elif isinstance(func, ast.Name) and func.id not in parsed.stored():
        found = parsed.lookup(func.id, None)
    else:
        return False
    return found is functools.reduce and len(call.args) in (2, 3) and not call.keywords \
        and not any(isinstance(a, ast.Starred) for a in call.args)


class _Loops:
    def __init__(self, parsed, names):
        self.parsed, self.fresh = parsed, names.fresh

    def block(self, statements):
        out = []
        for stmt in statements:
            rewrite_inner_blocks(stmt, self.block)
            before = []
            if isinstance(stmt, _SIMPLE) and stmt.value is not None:
                stmt.value = self.expression(stmt.value, before)
            out += before + [stmt]
        return out

    def expression(self, node, before):
        """``node`` with each reduce call it evaluates for sure replaced by its loop's
        accumulator, the loops appended to ``before`` (inner calls first)."""
        if isinstance(node, _CONDITIONAL):
            return node
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, field, self.expression(value, before))
            elif isinstance(value, list):
                setattr(node, field, [self.expression(v, before) if isinstance(v, ast.expr)
                                      else v for v in value])
        if isinstance(node, ast.Call) and _is_reduce(self.parsed, node):
            return self.loop(node, before)
        return node

    def loop(self, call, before):
        function, sequence = call.args[0], call.args[1]
        where = dict(lineno=call.lineno, col_offset=call.col_offset)
        function = self.operator(function)
        if isinstance(sequence, (ast.List, ast.Tuple)) and sequence.elts and not any(
                isinstance(e, ast.Starred) for e in sequence.elts):
            entries = list(sequence.elts)          # reduce(np.matmul, [A, B, C]): unrolled
            if len(call.args) == 3:
                entries.insert(0, call.args[2])
            acc = self.fresh("acc")
            before.append(ast.Assign([ast.Name(acc, ast.Store())], entries[0], **where))
            for entry in entries[1:]:
                before.append(ast.Assign([ast.Name(acc, ast.Store())], _applied(
                    function, ast.Name(acc, ast.Load()), entry), **where))
            return ast.Name(acc, ast.Load(), **where)
        if not isinstance(sequence, ast.Name):
            held = self.fresh("items")
            before.append(ast.Assign([ast.Name(held, ast.Store())], sequence, **where))
            sequence = ast.Name(held, ast.Load())
        acc, item = self.fresh("acc"), self.fresh("item")
        if len(call.args) == 3:
            start, iterated = call.args[2], sequence
        else:
            start = ast.Subscript(copy.deepcopy(sequence), ast.Constant(0), ast.Load())
            iterated = ast.Subscript(copy.deepcopy(sequence),
                                     ast.Slice(ast.Constant(1), None, None), ast.Load())
        step = _applied(function, ast.Name(acc, ast.Load()), ast.Name(item, ast.Load()))
        before.append(ast.Assign([ast.Name(acc, ast.Store())], start, **where))
        loop = ast.For(ast.Name(item, ast.Store()), iterated,
                       [ast.Assign([ast.Name(acc, ast.Store())], step, **where)], [], **where)
        if isinstance(function, ast.Lambda) and len(function.args.args) == 2:
            loop.s2sdiff_reduce = (function.args.args[1].arg, ast.unparse(call))   # messages
        before.append(loop)
        return ast.Name(acc, ast.Load(), **where)

    def operator(self, function):
        """``operator.mul`` (``add``, ``sub``, ``truediv``, ``pow``, ``matmul``) as the
        operator it is (a lambda of it); anything else as it is."""
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) \
                and function.value.id not in self.parsed.stored():
            found = getattr(self.parsed.lookup(function.value.id, None), function.attr, None)
        elif isinstance(function, ast.Name) and function.id not in self.parsed.stored():
            found = self.parsed.lookup(function.id, None)
        else:
            return function
        op = next((o for f, o in _OPERATORS if f is found), None)
        if op is None:
            return function
        return ast.Lambda(ast.arguments([], [ast.arg("a"), ast.arg("b")], None, [], [], None, []),
                          ast.BinOp(ast.Name("a", ast.Load()), op(), ast.Name("b", ast.Load())))


def _applied(function, left, right):
    """``function(left, right)``; a two-parameter lambda written out as its body."""
    args = function.args if isinstance(function, ast.Lambda) else None
    if args is not None and len(args.args) == 2 and not (
            args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults):
        names = {args.args[0].arg: left, args.args[1].arg: right}

        class Put(ast.NodeTransformer):
            def visit_Name(self, node):
                if node.id in names and isinstance(node.ctx, ast.Load):
                    return copy.deepcopy(names[node.id])
                return node

            def visit_Lambda(self, node):
                return node             # its own parameters: left as they are
        return Put().visit(copy.deepcopy(function.body))
    return ast.Call(function, [left, right], [])
