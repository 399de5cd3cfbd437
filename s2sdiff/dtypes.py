"""Static dtypes of an array program's values, from the argument kinds alone.

``static_dtypes(body, kinds)`` follows NumPy's promotion rules over the SSA body with
representative values, so that the reverse sweep converts a gradient to its parameter's
dtype only where it cannot show the gradient already has it (``UNKNOWN`` otherwise).
"""

import ast

import numpy as np

from .listing import Block, Line
from . import syntax


UNKNOWN = object()


_SAME_AS_FIRST = {"reshape", "transpose", "swapaxes", "expand_dims", "broadcast_to", "ravel",
                  "copy", "squeeze", "flatten", "atleast_1d", "atleast_2d", "atleast_3d",
                  "zeros_like", "empty_like", "ones_like", "T", "sign", "abs", "negative",
                  "flip", "diagonal", "cumsum", "sum", "max", "min", "amax", "amin", "prod",
                  "array", "asarray", "cumprod", "diff", "fliplr", "flipud", "roll", "moveaxis",
                  "repeat", "tile", "sort", "take"}


_PROMOTING = {"outer", "dot", "matmul", "inner", "maximum", "minimum", "multiply", "add",
              "subtract", "kron", "where", "tensordot"}


_FLOATING = {"exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh",
             "expm1", "arctan", "log2", "log10", "mean", "square", "reciprocal", "norm",
             "var", "std", "exp2", "deg2rad", "radians", "rad2deg", "degrees"}


_UFUNCS = {"sign", "abs", "negative", "maximum", "minimum", "multiply", "add", "subtract",
           "exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh",
           "expm1", "arctan", "log2", "log10", "square", "reciprocal", "exp2", "deg2rad",
           "radians", "rad2deg", "degrees"}


_REDUCTIONS = {"sum", "prod", "max", "min", "amax", "amin", "mean", "norm", "var", "std"}


def _representative(kind):
    exact = kind.exact
    if isinstance(exact, np.dtype):
        return np.ones(kind.shape if kind.shape == () else 1, exact) if kind.array \
            else exact.type(1)
    if exact in (float, int, bool):
        return exact(1)
    if isinstance(kind.value, tuple) and all(type(v) is int for v in kind.value):
        return kind.value              # a shape: ints
    return UNKNOWN


def dtype_of(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype
    return np.dtype(type(value)) if type(value) in (float, int, bool) else None


def static_dtypes(body, kinds):
    """Representatives of the names ``body`` assigns (forward names keep their kinds'),
    at its end; a name that holds different dtypes on different paths is ``UNKNOWN``."""
    forward = {n: _representative(k) for n, k in kinds.items()}
    return _run(body, dict(forward), forward)


def _run(items, env, forward):
    for item in items:
        if isinstance(item, Line):
            _apply(item.stmt, env)
        elif isinstance(item, Block):
            if isinstance(item.head, ast.If):
                env = _merge(_run(item.body, dict(env), forward),
                             _run(item.orelse, dict(env), forward))
            else:                         # a loop: its body runs any number of times
                head = dict(env)
                if isinstance(item.head, ast.For):
                    for n in ast.walk(item.head.target):
                        if isinstance(n, ast.Name):
                            head[n.id] = forward.get(n.id, UNKNOWN)
                once = _merge(head, _run(item.body, dict(head), forward))
                env = _merge(once, _run(item.body, dict(once), forward))
                env = _run(item.orelse, env, forward)
        env.update(forward)
    return env


def _merge(a, b):
    merged = {}
    for name in a.keys() | b.keys():
        x, y = a.get(name, UNKNOWN), b.get(name, UNKNOWN)
        same = x is not UNKNOWN and y is not UNKNOWN and dtype_of(x) == dtype_of(y)
        merged[name] = (y if isinstance(y, np.ndarray) else x) if same else UNKNOWN
    return merged


def _apply(stmt, env):
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
        env[stmt.targets[0].id] = _evaluate(stmt.value, env)
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
        if not isinstance(env.get(name), np.ndarray):     # in place, an array keeps its dtype
            env[name] = _evaluate(ast.BinOp(ast.Name(name, ast.Load()), stmt.op, stmt.value), env)
    elif isinstance(stmt, (ast.Assign, ast.AugAssign)):
        for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
            if not isinstance(target, ast.Subscript):        # d[i] = ... keeps d's dtype
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        env[n.id] = UNKNOWN


def _evaluate(node, env):
    """The representative of ``node``'s value, or ``UNKNOWN``."""
    try:
        return _represent(node, env)
    except Exception:                    # noqa: BLE001 -- anything unforeseen: not known
        return UNKNOWN


def _represent(node, env):
    if isinstance(node, ast.Constant):
        if type(node.value) in (int, float, bool):
            return node.value
        raise ValueError(node.value)
    if isinstance(node, ast.Name):
        value = env.get(node.id, UNKNOWN)
        if value is UNKNOWN:
            raise KeyError(node.id)
        return value
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
        names = {}

        def bound(sub):
            key = f"v{len(names)}"
            names[key] = _represent(sub, env)
            return ast.Name(key, ast.Load())
        if isinstance(node, ast.BinOp):
            expr = ast.BinOp(bound(node.left), node.op, bound(node.right))
        elif isinstance(node, ast.UnaryOp):
            expr = ast.UnaryOp(node.op, bound(node.operand))
        else:
            expr = ast.Compare(bound(node.left), node.ops, [bound(c) for c in node.comparators])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return np.ones(1, np.result_type(*names.values()))
        return eval(syntax.compile(ast.fix_missing_locations(ast.Expression(expr)), "<dtype>", "eval"),
                    {}, names)
    if isinstance(node, ast.Subscript):
        base = _represent(node.value, env)
        if isinstance(base, tuple):
            return 1                     # an entry of a shape
        return base if isinstance(base, np.ndarray) else base
    if isinstance(node, ast.Attribute):
        if node.attr in ("T", "real"):
            return _represent(node.value, env)
        if node.attr == "shape":
            return (1,)
        raise ValueError(node.attr)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        method = isinstance(func, ast.Attribute) and not (
            isinstance(func.value, ast.Name) and env.get(func.value.id, UNKNOWN) is UNKNOWN
            and func.value.id not in env)
        args = ([func.value] if method else []) + list(node.args)
        keywords = {k.arg: k.value for k in node.keywords}
        if "dtype" in keywords:
            dtype = keywords["dtype"]
            if isinstance(dtype, ast.Attribute) and dtype.attr == "dtype":
                return np.ones(1, dtype_of(_represent(dtype.value, env)))
            raise ValueError("dtype")
        if name == "astype" and method:
            raise ValueError("astype")
        if name in ("zeros", "ones", "empty", "linspace", "eye"):
            return np.ones(1)
        if name in ("full", "full_like") and len(args) >= 2:
            fill = _represent(args[1], env)
            if name == "full_like":
                return np.ones(1, dtype_of(_represent(args[0], env)))
            return np.ones(1, np.asarray(fill).dtype)   # np.full(shape, 1.0): float64
        if name in ("concatenate", "stack") and args and isinstance(args[0], (ast.List, ast.Tuple)):
            return np.ones(1, np.result_type(*[_represent(e, env) for e in args[0].elts]))
        values = [_represent(a, env) for a in args if not isinstance(a, (ast.Tuple, ast.List))
                  and not (isinstance(a, ast.Constant) and type(a.value) not in (int, float, bool))]
        if not values or name not in _SAME_AS_FIRST | _PROMOTING | _FLOATING | {"einsum"}:
            raise ValueError(ast.dump(node))
        dtype = None
        if name in _SAME_AS_FIRST:
            dtype = np.asarray(values[0]).dtype
            if name in ("sum", "prod", "cumsum", "cumprod") and dtype.kind in "bi":
                dtype = np.dtype(np.int64)
        elif name == "einsum":          # its Python numbers become float64 arrays first
            dtype = np.result_type(*[np.asarray(v) for v in values])
        elif name in _PROMOTING:
            dtype = np.result_type(*(values[1:] if name == "where" else values))
        else:
            dtype = np.asarray(values[0]).dtype
            dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        numbers = not any(isinstance(v, np.ndarray) and v.ndim for v in values)
        if numbers and name in _UFUNCS and not method or name in _REDUCTIONS and not (
                {"axis", "keepdims"} & keywords.keys() or len(args) > 1):
            return dtype.type(1)         # a NumPy scalar, not an array
        return np.ones(() if numbers else 1, dtype)
    raise ValueError(ast.dump(node))
