"""Functions made by a factory of the module and called inside the differentiated one
(before the helpers are inlined): ``rhs = make_rhs(alpha)``, then ``rhs(y)``.

A factory is a function of the same module, without defaults or a closure of its own,
whose body (a docstring aside) is ``def inner(...): ...`` then ``return inner``, or
``return lambda ...: ...``.  The statement ``rhs = make_rhs(alpha)``, at the top level of
the function, becomes what the call makes: each of the factory's parameters bound once to
its argument, under a fresh name (``rhs_alpha = alpha``: Python evaluates the arguments
once, at the call), then ``def rhs(...)``, the inner function reading those names, which
the normaliser inlines at each call as it does a function defined in place
(``normalize/callables.py``).  The factory is listed in ``Parsed.inlined``: the generated
code checks that its name still holds it and generates again when it is rebound.

Anything else is left as it is, and refused where ``rhs`` is called: a factory with
defaults, ``*args``, more statements, an inner function that rebinds one of the
factory's parameters or reads a global that the differentiated function assigns.

>>> import math
>>> from s2sdiff.parse import parse
>>> def make_rhs(alpha):
...     def rhs(y):
...         return -alpha * y + math.sin(y)
...     return rhs
>>> def integrate(alpha, y):
...     f = make_rhs(alpha)
...     return y + 0.1 * f(y)
>>> print(ast.unparse(rewrite(parse(integrate)).node))
def integrate(alpha, y):
    f_alpha = alpha
<BLANKLINE>
    def f(y):
        return -f_alpha * y + math.sin(y)
    return y + 0.1 * f(y)
"""

import ast
import copy
import dataclasses
import types

from ..errors import S2SDiffError
from ..names import Namer
from ..parse import parse
from ..syntax import bound_names
from .substitute import Substitute


def rewrite(parsed):
    """``parsed`` with its factory calls written as what they make, or ``parsed`` itself."""
    node = parsed.node
    found = [(i, made) for i, stmt in enumerate(node.body)
             if (made := _made(parsed, stmt)) is not None]
    if not found:
        return parsed
    node = copy.deepcopy(node)
    trees = [node] + [inner for _, (_, inner, _) in found]    # fresh names clash with none
    namer = Namer(bound_names(node) | {n.id for tree in trees for n in ast.walk(tree)
                                       if isinstance(n, ast.Name)})
    inlined = list(parsed.inlined)
    for i, (factory, inner, bound) in reversed(found):
        stmt = node.body[i]
        name = stmt.targets[0].id
        fresh = {p: namer.fresh(f"{name}_{p}") for p in bound}
        statements = [ast.copy_location(ast.Assign([ast.Name(fresh[p], ast.Store())], value), stmt)
                      for p, value in bound.items()]
        inner = Substitute({p: ast.Name(f, ast.Load()) for p, f in fresh.items()}).visit(
            copy.deepcopy(inner))      # it binds none of them (_made)
        inner.name = name
        statements.append(ast.copy_location(inner, stmt))
        for new in statements:
            ast.fix_missing_locations(new)
            for sub in ast.walk(new):       # errors point at the user's call
                if hasattr(sub, "lineno"):
                    sub.lineno, sub.end_lineno = stmt.lineno, stmt.end_lineno
        node.body[i:i + 1] = statements
        inlined.append((ast.Name(stmt.value.func.id, ast.Load()), factory))
    return dataclasses.replace(parsed, node=node, inlined=tuple(inlined))


def _made(parsed, stmt):
    """``(factory, inner def, {parameter: argument})`` of ``name = factory(args)``, else None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)):
        return None
    call = stmt.value
    factory = parsed.lookup(call.func.id, None) if call.func.id not in parsed.stored() else None
    if not isinstance(factory, types.FunctionType) or factory.__closure__ \
            or factory.__globals__ is not parsed.func.__globals__ or factory.__defaults__ \
            or factory.__kwdefaults__ or factory is parsed.func:
        return None
    inner = _inner(factory)
    code = factory.__code__
    params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    if inner is None or code.co_flags & (0x04 | 0x08) or any(
            isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords) or len(call.args) > code.co_argcount:
        return None
    bound = dict(zip(params, call.args))
    for keyword in call.keywords:
        if keyword.arg not in params or keyword.arg in bound:
            return None
        bound[keyword.arg] = keyword.value
    if sorted(bound) != sorted(params):
        return None
    own = bound_names(inner) | {a.arg for a in ast.walk(inner.args) if isinstance(a, ast.arg)}
    reads = {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)}
    if own & set(params) or (reads - own - set(params)) & set(parsed.stored()):
        return None
    return factory, inner, {p: bound[p] for p in params}


def _inner(factory):
    """The ``def`` (a lambda as one) a factory's body makes and returns, or None."""
    if not any(isinstance(c, types.CodeType) for c in factory.__code__.co_consts):
        return None           # it defines no function: a helper (most calls)
    try:
        node = parse(factory).node
    except S2SDiffError:      # no readable source: left alone, refused where it is called
        return None
    body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) \
        and isinstance(node.body[0].value, ast.Constant) else node.body
    if len(body) == 1 and isinstance(body[0], ast.Return) \
            and isinstance(body[0].value, ast.Lambda):
        lam = body[0].value
        return ast.FunctionDef("made", lam.args, [ast.Return(lam.body)], [], None, None)
    if len(body) == 2 and isinstance(body[0], ast.FunctionDef) and not body[0].decorator_list \
            and isinstance(body[1], ast.Return) and isinstance(body[1].value, ast.Name) \
            and body[1].value.id == body[0].name:
        return body[0]
    return None
