"""A call of a ``functools.partial`` the function reads from its module or a closure
(``rate = functools.partial(arrhenius, A=1e7)``, then ``rate(T)``), written as the call
it makes: ``rate.func(T, A=rate.keywords['A'])``.  The partial's arguments are read when
the code runs, as any data from the module is; ``rate.func`` is the user's function,
which the normalizer calls as it calls any.  The code checks on entry that ``rate``
still holds that partial (``Parsed.baked``, ``tree_keys.baked_tests``), and is generated
again when not.  A partial of anything but a Python function (``np.dot``), one that
binds positional arguments (``partial(f, 2.0)``: a tuple of the module, which generated
code does not index) and one the function assigns or takes as a parameter are left
alone, and refused where they are called on differentiated values.

>>> import functools
>>> from s2sdiff.parse import parse
>>> def scaled(x, a, b=1.0):
...     return a * x + b
>>> twice = functools.partial(scaled, a=2.0)
>>> def f(x):
...     return twice(x) * x
>>> print(ast.unparse(rewrite(parse(f)).node.body[0]))
return twice.func(x, a=twice.keywords['a']) * x
"""

import ast
import copy
import dataclasses
import functools
import types


def rewrite(parsed):
    """``parsed`` with these calls rewritten (module docstring), or ``parsed`` itself."""
    if not any(_partial(c, parsed) is not None for c in parsed.of(ast.Call)):
        return parsed
    node = copy.deepcopy(parsed.node)
    baked = dict(parsed.baked)
    node = _Calls(parsed, baked).visit(node)
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node, baked=baked)


def _partial(call, parsed):
    """The partial ``call`` calls (a free name holding one of a Python function), or None."""
    func = call.func
    if not isinstance(func, ast.Name) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    args = parsed.node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if func.id in params or func.id in parsed.stored():
        return None
    held = parsed.lookup(func.id, None)
    if type(held) is not functools.partial or not isinstance(held.func, types.FunctionType) \
            or held.args:
        return None
    return held


class _Calls(ast.NodeTransformer):
    def __init__(self, parsed, baked):
        self.parsed, self.baked = parsed, baked

    def visit_Call(self, node):
        self.generic_visit(node)
        held = _partial(node, self.parsed)
        if held is None:
            return node
        name = node.func.id
        self.baked[name] = (held, held)        # checked on entry: the same partial

        def read(field, key):           # rate.keywords['A']
            return ast.Subscript(ast.Attribute(ast.Name(name, ast.Load()), field, ast.Load()),
                                 ast.Constant(key), ast.Load())
        given = {k.arg for k in node.keywords}
        keywords = [ast.keyword(k, read("keywords", k)) for k in held.keywords if k not in given]
        call = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "func", ast.Load()),
                        node.args, keywords + node.keywords)
        return ast.copy_location(call, node)
