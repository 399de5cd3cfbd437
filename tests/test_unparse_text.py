"""``build.unparse`` writes the nodes of generated code itself (``build._Text``): the same
text as Python's unparser to the character, on random trees of every node it writes
(shared subtrees included: a node written twice takes the precedence its last parent gave
it, as in ``ast.unparse``), and on every statement and expression of s2sdiff's own source."""
import ast
import pathlib
import random

import pytest

from s2sdiff import build


def _written(node):
    writer = build._Text()
    writer.statement(node)
    return "".join(writer.out)


class _Trees:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.shared = []

    def constant(self):
        return ast.Constant(self.rng.choice(
            [0, 1, 2, -1, 2.5, -0.5, 1e309, float("nan"), True, None, "s", 1j, -2.0, ...]))

    def expression(self, depth):
        rng = self.rng
        if depth <= 0 or rng.random() < 0.2:
            if self.shared and rng.random() < 0.3:
                return rng.choice(self.shared)
            return ast.Name(rng.choice("abxy"), ast.Load()) if rng.random() < 0.5 \
                else self.constant()
        e = lambda: self.expression(depth - 1)     # noqa: E731
        kind = rng.randrange(13)
        if kind == 0:
            node = ast.BinOp(e(), rng.choice(list(build._BINOP_TEXT))(), e())
        elif kind == 1:
            node = ast.UnaryOp(rng.choice(list(build._UNARY_TEXT))(), e())
        elif kind == 2:
            func = rng.choice([ast.Name("f", ast.Load()),
                               ast.Attribute(ast.Name("m", ast.Load()), "g", ast.Load()), e()])
            node = ast.Call(func, [e() for _ in range(rng.randrange(3))],
                            [ast.keyword(rng.choice(["k", None]), e())
                             for _ in range(rng.randrange(2))])
        elif kind == 3:
            node = ast.Attribute(e(), "T", ast.Load())
        elif kind == 4:
            index = rng.choice([e(), ast.Tuple([e() for _ in range(rng.randrange(3))], ast.Load()),
                                ast.Slice(rng.choice([None, e()]), rng.choice([None, e()]),
                                          rng.choice([None, e()]))])
            node = ast.Subscript(e(), index, ast.Load())
        elif kind == 5:
            n = rng.randrange(1, 3)
            node = ast.Compare(e(), [rng.choice(list(build._COMPARE_TEXT))() for _ in range(n)],
                               [e() for _ in range(n)])
        elif kind == 6:
            node = ast.IfExp(e(), e(), e())
        elif kind == 7:
            node = ast.BoolOp(rng.choice([ast.And(), ast.Or()]),
                              [e() for _ in range(rng.randrange(2, 4))])
        elif kind == 8:
            node = ast.Tuple([e() for _ in range(rng.randrange(3))], ast.Load())
        elif kind == 9:
            node = ast.List([e() for _ in range(rng.randrange(3))], ast.Load())
        elif kind == 10:
            node = ast.Lambda(ast.arguments([], [ast.arg("u")], None, [], [], None, []), e())
        elif kind == 11:
            node = ast.Starred(e(), ast.Load())
        else:
            node = ast.BinOp(self.constant(), ast.Pow(), e())
        if rng.random() < 0.2:
            self.shared.append(node)
        return node

    def statement(self):
        rng, value = self.rng, self.expression(4)
        kind = rng.randrange(5)
        if kind == 0:
            target = rng.choice([ast.Name("t", ast.Store()), ast.Tuple(
                [ast.Name("a", ast.Store()), ast.Name("b", ast.Store())], ast.Store())])
            return ast.Assign([target], value, lineno=1)
        if kind == 1:
            return ast.AugAssign(ast.Name("t", ast.Store()),
                                 rng.choice(list(build._BINOP_TEXT))(), value)
        if kind == 2:
            return ast.Return(value)
        if kind == 3:
            return ast.Expr(value)
        return value


@pytest.mark.parametrize("seed", range(8))
def test_random_trees_are_written_as_ast_unparse_writes_them(seed):
    trees, written = _Trees(seed), 0
    for _ in range(1500):
        node = trees.statement()
        try:
            text = _written(node)
        except build._Other:
            continue
        assert text == build._unparse(node), ast.dump(node)
        written += 1
    assert written > 300            # most trees are written by _Text itself


def test_shared_node_takes_the_precedence_its_last_parent_gave():
    total = ast.BinOp(ast.Name("a", ast.Load()), ast.Add(), ast.Name("b", ast.Load()))
    call = ast.Call(ast.Name("f", ast.Load()), [total], [])
    node = ast.BinOp(ast.BinOp(total, ast.Mult(), ast.Name("c", ast.Load())), ast.Add(), call)
    assert _written(node) == build._unparse(node) == "(a + b) * c + f((a + b))"


def test_negative_literal_base_keeps_its_parentheses():
    node = ast.BinOp(ast.Constant(-2.0), ast.Pow(), ast.Name("x", ast.Load()))
    assert build.unparse(node) == "(-2.0) ** x"
    assert eval(build.unparse(node), {"x": 2}) == 4.0      # not -(2.0 ** x)


def test_every_node_of_the_package_source_is_written_as_ast_writes_it():
    package = pathlib.Path(build.__file__).parent
    written = 0
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.stmt, ast.expr)):
                try:
                    text = _written(node)
                except build._Other:
                    continue
                assert text == build._unparse(node), (path, node.lineno)
                written += 1
    assert written > 10000
