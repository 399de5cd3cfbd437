"""Which of the user's functions return new values: never one of their arguments or a
view of one (``aliases`` lets a name bound from such a call be read after writes into
what the call was given)."""

import ast
import types

from .errors import S2SDiffError
from .parse import parse


def returns_new_values(func):
    """Whether each ``return`` of the user's function ``func`` returns the result of an
    operator (``sum(g) * 2.0``), a literal, a call in ``_NEW_VALUE_CALLS``, a local
    name every assignment of which is one of those, or a tuple or list display of them
    (``return m, m * m``): never one of its arguments or a view of one."""
    if not isinstance(func, types.FunctionType):
        return False
    try:
        node = parse(func).node
    except S2SDiffError:
        return False
    assigned = {}                  # name -> the values of its plain assignments, or None
    plain = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and isinstance(n.targets[0], ast.Name):
            plain.add(id(n.targets[0]))
            values = assigned.setdefault(n.targets[0].id, [])
            if values is not None:
                values.append(n.value)
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and id(n) not in plain:
            assigned[n.id] = None          # bound otherwise (a loop, +=, unpacking)
    for n in ast.walk(node.args):
        if isinstance(n, ast.arg):
            assigned[n.arg] = None
    returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return)]
    return bool(returns) and all(_new(v, assigned, set()) for v in returns)


def _new(value, assigned, seen):
    if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Compare)) \
            or _new_value_call(value):
        return True
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(_new(e, assigned, seen) for e in value.elts)
    if isinstance(value, ast.Name) and value.id not in seen and assigned.get(value.id):
        seen.add(value.id)
        return all(_new(v, assigned, seen) for v in assigned[value.id])
    return False


# calls that return a new value, never their argument (a reduction, a math function)
_NEW_VALUE_CALLS = {"sum", "len", "abs", "float", "mean", "prod", "dot", "vdot", "inner",
                    "trace", "norm", "det", "fsum", "exp", "log", "sqrt", "tanh", "sin", "cos"}


def _new_value_call(node):
    """``sum(g)``, ``np.sum(g)``, ``math.exp(s)``...: a call in ``_NEW_VALUE_CALLS``."""
    func = getattr(node, "func", None)
    name = func.id if isinstance(func, ast.Name) else func.attr \
        if isinstance(func, ast.Attribute) else None
    return isinstance(node, ast.Call) and name in _NEW_VALUE_CALLS
