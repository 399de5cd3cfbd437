"""``G.get(key)`` and ``G.get(key, default)`` of a dict the function reads from its module
or a closure (``SCALE = {"a": 2.0}``), with a constant key, written as the read it is now:
``G[key]`` when ``G`` has the key, else ``default`` (``None`` without one).

The entry itself is read when the code runs, as ``G["a"]`` is.  Which keys ``G`` has is
built into the code: it checks on entry that ``G`` is still that dict with those keys
(``Parsed.baked``, ``tree_keys.baked_tests``), and is generated again when not.  A
default that is not a literal or a name is left alone (Python evaluates it whether the
key is there or not), as is a name the function assigns or takes as a parameter (the
tree rewrite reads ``params.get``).

>>> from s2sdiff.parse import parse
>>> SCALE = {"a": 2.0}
>>> def f(x):
...     return x * SCALE.get("a", 1.0) + x * SCALE.get("z", 0.5)
>>> rewritten = rewrite(parse(f))
>>> print(ast.unparse(rewritten.node.body[0]))
return x * SCALE['a'] + x * 0.5
>>> sorted(rewritten.baked)
['SCALE']
"""

import ast
import copy
import dataclasses

from .. import tree_keys


def rewrite(parsed):
    """``parsed`` with these reads rewritten (module docstring), or ``parsed`` itself."""
    calls = [c for c in parsed.of(ast.Call) if _candidate(c, parsed)]
    if not calls:
        return parsed
    node = copy.deepcopy(parsed.node)
    baked = dict(parsed.baked)
    node = _Reads(parsed, baked).visit(node)
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node, baked=baked)


def _candidate(call, parsed):
    """Whether ``call`` is ``G.get(k)`` or ``G.get(k, d)`` as the module docstring says."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "get" and not call.keywords
            and 1 <= len(call.args) <= 2 and isinstance(func.value, ast.Name)):
        return False
    key, *default = call.args
    if not (isinstance(key, ast.Constant) and type(key.value) in (str, int)):
        return False
    if default and not isinstance(default[0], (ast.Constant, ast.Name)):
        return False
    name = func.value.id
    args = parsed.node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if name in params or name in parsed.stored():
        return False
    return type(parsed.lookup(name, None)) is dict


class _Reads(ast.NodeTransformer):
    def __init__(self, parsed, baked):
        self.parsed, self.baked = parsed, baked

    def visit_Call(self, node):
        self.generic_visit(node)
        if not _candidate(node, self.parsed):
            return node
        name, (key, *default) = node.func.value.id, node.args
        held = self.parsed.lookup(name)
        tree_keys.record(self.baked, name, held)
        if key.value in held:
            read = ast.Subscript(ast.Name(name, ast.Load()), ast.Constant(key.value), ast.Load())
        else:
            read = default[0] if default else ast.Constant(None)
        return ast.copy_location(read, node)
