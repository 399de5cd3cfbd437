"""The walks generation repeats, written for speed, visit what the plain ones visit in
the same order: ``ir.nodes_of`` is ``list(ast.walk(node))``; ``ir.walk_items`` (one
stack) yields the items a recursive walk of nested blocks yields."""
import ast
import pathlib
import random

import pytest

from s2sdiff import ir
from s2sdiff.ir import If, Loop, nodes_of, walk_items


def test_nodes_of_is_ast_walk_on_the_package_source():
    package = pathlib.Path(ir.__file__).parent
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        walked, found = list(ast.walk(tree)), nodes_of(tree)
        assert len(walked) == len(found) and all(a is b for a, b in zip(walked, found)), path


def _recursive(items):
    for item in items:
        yield item
        if isinstance(item, If):
            yield from _recursive(item.body)
            yield from _recursive(item.orelse)
        elif isinstance(item, Loop):
            yield from _recursive(item.body)


def _blocks(rng, depth):
    items = []
    for _ in range(rng.randrange(5)):
        roll = rng.random()
        if depth and roll < 0.3:
            items.append(If(None, _blocks(rng, depth - 1), _blocks(rng, depth - 1), 0))
        elif depth and roll < 0.5:
            items.append(Loop("for", None, None, None, _blocks(rng, depth - 1), [], 0))
        else:
            items.append(object())
    return items


@pytest.mark.parametrize("seed", range(4))
def test_walk_items_yields_what_a_recursive_walk_yields(seed):
    rng = random.Random(seed)
    for _ in range(500):
        items = _blocks(rng, 4)
        expected, found = list(_recursive(items)), list(walk_items(items))
        assert len(expected) == len(found) and all(a is b for a, b in zip(expected, found))


def test_walk_items_reads_each_list_when_it_reaches_it():
    inner = If(None, [], [], 0)
    outer = [inner, "after"]
    seen = []
    for item in walk_items(outer):
        seen.append(item)
        if item is inner:                   # a block filled while the walk is at its head
            inner.body.append("in body")
            inner.orelse.append("in orelse")
    assert seen == [inner, "in body", "in orelse", "after"]
