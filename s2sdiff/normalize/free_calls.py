"""Calls on values the function reads from its module or a closure, written as what they
read or call now (before the normaliser runs):

* ``G.get(key)`` and ``G.get(key, default)`` of a dict (``SCALE = {"a": 2.0}``), with a
  constant key: ``G[key]`` when ``G`` has the key, else ``default`` (``None`` without
  one); the entry itself is read when the code runs, as ``G["a"]`` is.  A default that
  is not a literal or a name is left alone (Python evaluates it whether the key is there
  or not);
* a call of a ``functools.partial`` that binds keywords only (``rate =
  functools.partial(arrhenius, A=1e7)``, then ``rate(T)``): the call it makes,
  ``rate.func(T, A=rate.keywords['A'])``, whose arguments are read when the code runs
  and whose ``rate.func`` (a Python function) the normaliser calls as it calls any.  A
  partial of anything else (``np.dot``), or binding positional arguments (a tuple of the
  module, which generated code does not index), is left alone and refused where it is
  called on differentiated values.

What the code was built with (the dict's keys, the partial itself) is checked on entry
(``Parsed.baked``, ``tree_keys.baked_tests``), and the code is generated again when it
changed.  A name the function assigns or takes as a parameter is left alone (the tree
rewrite reads ``params.get``).

>>> import functools
>>> from s2sdiff.parse import parse
>>> SCALE = {"a": 2.0}
>>> def scaled(x, a, b=1.0):
...     return a * x + b
>>> twice = functools.partial(scaled, a=2.0)
>>> def f(x):
...     return x * SCALE.get("a", 1.0) + x * SCALE.get("z", 0.5) + twice(x)
>>> rewritten = rewrite(parse(f))
>>> print(ast.unparse(rewritten.node.body[0]))
return x * SCALE['a'] + x * 0.5 + twice.func(x, a=twice.keywords['a'])
>>> sorted(rewritten.baked)
['SCALE', 'twice']
"""

import ast
import copy
import dataclasses
import functools
import types

from .. import tree_keys


def rewrite(parsed):
    """``parsed`` with these calls rewritten (module docstring), or ``parsed`` itself."""
    if not any(_got(c, parsed) or _partial(c, parsed) is not None
               for c in parsed.of(ast.Call)):
        return parsed
    node = copy.deepcopy(parsed.node)
    baked = dict(parsed.baked)
    node = _Calls(parsed, baked).visit(node)
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node, baked=baked)


def _held(parsed, name):
    """What the free ``name`` holds now, or None when the function assigns it or takes it
    as a parameter."""
    args = parsed.node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if name in params or name in parsed.stored():
        return None
    return parsed.lookup(name, None)


def _got(call, parsed):
    """Whether ``call`` is ``G.get(k)`` or ``G.get(k, d)`` of a dict, as the module
    docstring says."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "get" and not call.keywords
            and 1 <= len(call.args) <= 2 and isinstance(func.value, ast.Name)):
        return False
    key, *default = call.args
    if not (isinstance(key, ast.Constant) and type(key.value) in (str, int)):
        return False
    if default and not isinstance(default[0], (ast.Constant, ast.Name)):
        return False
    return type(_held(parsed, func.value.id)) is dict


def _partial(call, parsed):
    """The partial ``call`` calls (a free name holding one of a Python function, binding
    keywords only), or None."""
    func = call.func
    if not isinstance(func, ast.Name) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    held = _held(parsed, func.id)
    if type(held) is not functools.partial or not isinstance(held.func, types.FunctionType) \
            or held.args:
        return None
    return held


class _Calls(ast.NodeTransformer):
    def __init__(self, parsed, baked):
        self.parsed, self.baked = parsed, baked

    def visit_Call(self, node):
        self.generic_visit(node)
        if _got(node, self.parsed):
            return ast.copy_location(self._entry(node), node)
        held = _partial(node, self.parsed)
        if held is None:
            return node
        name = node.func.id
        self.baked[name] = (held, held)        # checked on entry: the same partial
        given = {k.arg for k in node.keywords}
        keywords = [ast.keyword(k, ast.Subscript(     # rate.keywords['A']
            ast.Attribute(ast.Name(name, ast.Load()), "keywords", ast.Load()),
            ast.Constant(k), ast.Load())) for k in held.keywords if k not in given]
        call = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "func", ast.Load()),
                        node.args, keywords + node.keywords)
        return ast.copy_location(call, node)

    def _entry(self, node):
        """``G[key]``, or the default when ``G`` has no ``key`` now."""
        name, (key, *default) = node.func.value.id, node.args
        held = self.parsed.lookup(name)
        tree_keys.record(self.baked, name, held)
        if key.value in held:
            return ast.Subscript(ast.Name(name, ast.Load()), ast.Constant(key.value), ast.Load())
        return default[0] if default else ast.Constant(None)
