"""Which of the user's functions return new values: never one of their arguments or a
view of one (``aliases`` lets a name bound from such a call be read after writes into
what the call was given)."""

import ast
import types

from .errors import S2SDiffError
from .parse import parse


def returns_new_values(func):
    """Whether each ``return`` of the user's function ``func`` returns the result of an
    operator (``sum(g) * 2.0``), a literal or a call in ``_NEW_VALUE_CALLS``: never one
    of its arguments or a view of one."""
    if not isinstance(func, types.FunctionType):
        return False
    try:
        node = parse(func).node
    except S2SDiffError:
        return False
    returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(v, (ast.BinOp, ast.UnaryOp, ast.Constant,
                                                ast.Compare)) or _new_value_call(v)
                                 for v in returns)


# calls that return a new value, never their argument (a reduction, a math function)
_NEW_VALUE_CALLS = {"sum", "len", "abs", "float", "mean", "prod", "dot", "vdot", "inner",
                    "trace", "norm", "det", "fsum", "exp", "log", "sqrt", "tanh", "sin", "cos"}


def _new_value_call(node):
    """``sum(g)``, ``np.sum(g)``, ``math.exp(s)``...: a call in ``_NEW_VALUE_CALLS``."""
    func = getattr(node, "func", None)
    name = func.id if isinstance(func, ast.Name) else func.attr \
        if isinstance(func, ast.Attribute) else None
    return isinstance(node, ast.Call) and name in _NEW_VALUE_CALLS
