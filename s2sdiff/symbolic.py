"""SymPy stand-ins for ``math`` and the builtins, used only to check derivatives.

``SYMPY`` plays ``m`` in the rule table and ``math`` in user and generated code when
``verify`` runs them on symbols.  ``for_sympy(value)`` maps what a function's globals
hold (the ``math`` module, ``math.exp``, ``max``, ``stop_gradient``...) to its SymPy
counterpart.
"""

import ast
import builtins
import math
import types

import sympy

from . import runtime
from .custom import stop_gradient


def _log(x, base=None):
    return sympy.log(x) if base is None else sympy.log(x) / sympy.log(base)


def _indicator(condition, nan=None):
    if isinstance(condition, (bool, int)):
        return int(condition)
    return sympy.Piecewise((1, condition), (0, True))


def _tied_share(out, xs, i):
    count = sum(_indicator(sympy.Eq(v, out)) for v in xs)
    return sympy.Piecewise((1 / count, sympy.Eq(xs[i], out)), (0, True))


SYMPY = types.SimpleNamespace(
    exp=sympy.exp, sqrt=sympy.sqrt, sin=sympy.sin, cos=sympy.cos, tan=sympy.tan,
    asin=sympy.asin, acos=sympy.acos, atan=sympy.atan, atan2=sympy.atan2,
    sinh=sympy.sinh, cosh=sympy.cosh, tanh=sympy.tanh,
    asinh=sympy.asinh, acosh=sympy.acosh, atanh=sympy.atanh,
    erf=sympy.erf, erfc=sympy.erfc, floor=sympy.floor, ceil=sympy.ceiling,
    fabs=sympy.Abs, abs=sympy.Abs, sign=sympy.sign, pi=sympy.pi, e=sympy.E, inf=sympy.oo,
    log=_log, indicator=_indicator, tied_share=_tied_share, unless_zero=lambda y, value: value,   # 0 * x**-1 is 0
    where=lambda condition, a, b: sympy.Piecewise((a, condition), (b, True)),
    is_zero=lambda x: _indicator(sympy.Eq(x, 0)),
    trunc=lambda x: sympy.sign(x) * sympy.floor(sympy.Abs(x)),
    log1p=lambda x: sympy.log(1 + x),
    expm1=lambda x: sympy.exp(x) - 1,
    log2=lambda x: sympy.log(x) / sympy.log(2),
    log10=lambda x: sympy.log(x) / sympy.log(10),
    hypot=lambda *xs: sympy.sqrt(sum(x ** 2 for x in xs)),
    pow=lambda x, y: x ** y,
    mod=lambda x, y: x - y * sympy.floor(x / y),
    max=lambda *xs: sympy.Max(*xs),
    min=lambda *xs: sympy.Min(*xs),
    prod=lambda xs, start=1: sympy.Mul(start, *xs),
    fsum=lambda xs: sympy.Add(*xs),
    gamma=sympy.gamma, lgamma=sympy.loggamma, digamma=sympy.digamma,
    trigamma=lambda x: sympy.polygamma(1, x),
    fmod=lambda x, y: x - y * sympy.Piecewise((sympy.floor(x / y), x / y >= 0),
                                              (sympy.ceiling(x / y), True)),
    equal=sympy.Eq, copysign=lambda x, y: sympy.Abs(x) * sympy.sign(y),
    degrees=lambda x: x * 180 / sympy.pi, radians=lambda x: x * sympy.pi / 180,
)
"""``math`` spelled with SymPy."""

_BUILTINS = {builtins.abs: sympy.Abs, builtins.max: sympy.Max, builtins.min: sympy.Min,
             builtins.pow: SYMPY.pow, builtins.float: lambda x: x,
             builtins.round: lambda x, digits=None: sympy.floor(x + sympy.S.Half),
             builtins.int: SYMPY.trunc}


class StopGradient(sympy.Function):
    """``stop_gradient`` for SymPy: the identity on numbers, with derivative 0."""

    @classmethod
    def eval(cls, x):
        if x.is_number:
            return x
        return None

    def fdiff(self, argindex=1):
        return sympy.S.Zero


def for_sympy(value):
    """The SymPy counterpart of a value found in a function's namespace."""
    if value is math:
        return SYMPY
    if value is stop_gradient:
        return StopGradient
    if value is runtime.digamma:                 # generated code's (math.gamma's partial)
        return sympy.digamma
    if value is runtime.trigamma:
        return SYMPY.trigamma
    if isinstance(value, types.ModuleType) and getattr(value, "stop_gradient", None) is stop_gradient:
        return types.SimpleNamespace(**{**vars(value), "stop_gradient": StopGradient})
    if getattr(value, "__module__", None) == "math" or (
            callable(value) and getattr(math, getattr(value, "__name__", ""), None) is value):
        return getattr(SYMPY, value.__name__, value)
    try:
        return _BUILTINS.get(value, value)
    except TypeError:
        return value


def sympy_globals(namespace):
    """A copy of ``namespace`` with every math-like value replaced for SymPy."""
    result = {name: for_sympy(value) for name, value in namespace.items()}
    for builtin, replacement in _BUILTINS.items():
        result.setdefault(builtin.__name__, replacement)
    return result


def derivative(expr, symbol):
    """``sympy.diff`` with the derivative of floor and ceiling taken as 0 (almost everywhere).

    ``a % b`` is rewritten as ``a - b*floor(a/b)`` first: SymPy leaves the derivative of
    ``Mod`` unevaluated.
    """
    expr = sympy.sympify(expr).replace(sympy.Mod, lambda a, b: a - b * sympy.floor(a / b))
    result = sympy.diff(expr, symbol)
    return result.replace(
        lambda e: isinstance(e, (sympy.Subs, sympy.Derivative)) and e.has(sympy.floor, sympy.ceiling),
        lambda e: sympy.S.Zero).doit()


class IndicatorCompares(ast.NodeTransformer):
    """Make generated code run on SymPy symbols: each comparison used as a number becomes
    ``indicator(sympy.Lt(...))`` (or ``Eq``...) and each ``a if c else b`` becomes ``where(c, a, b)``."""

    def __init__(self, indicator_name, where_name):
        self.indicator_name = indicator_name
        self.where_name = where_name

    def visit_Compare(self, node):
        if _compares_data(node):       # mode == "l2", b is None: Python's comparison of data
            return node
        self.generic_visit(node)       # ``x == out`` as sympy.Eq: == on SymPy compares structure
        return ast.Call(ast.Name(self.indicator_name, ast.Load()), [_Relational().visit(node)], [])

    def visit_IfExp(self, node):
        test = node.test
        if not isinstance(test, (ast.Compare, ast.BoolOp, ast.UnaryOp)):   # `if n`: n != 0
            test = ast.Compare(test, [ast.NotEq()], [ast.Constant(0)])
        test = _Relational().visit(test)
        return ast.Call(ast.Name(self.where_name, ast.Load()),
                        [test, self.visit(node.body), self.visit(node.orelse)], [])


def _compares_data(node):
    """A comparison with a string, ``None`` or a tuple literal: of data, not of numbers."""
    return any(isinstance(n, ast.Constant) and (n.value is None or isinstance(n.value, (str, tuple)))
               for n in [node.left, *node.comparators])


_RELATIONS = {ast.Lt: "Lt", ast.LtE: "Le", ast.Gt: "Gt", ast.GtE: "Ge", ast.Eq: "Eq",
              ast.NotEq: "Ne"}


class _Relational(ast.NodeTransformer):
    """``a != b`` as ``sympy.Ne(a, b)``: Python's operators on SymPy objects compare structure."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in _RELATIONS:
            return node
        func = ast.Attribute(ast.Name("sympy", ast.Load()), _RELATIONS[type(node.ops[0])], ast.Load())
        return ast.Call(func, [node.left, node.comparators[0]], [])


def larger_than(expr, limit):
    """Whether ``expr`` (a SymPy expression or number) has more than ``limit`` nodes,
    counted until that many: its tree, not its graph (SymPy's own walks see the tree)."""
    if not isinstance(expr, sympy.Basic):
        return False
    for count, _ in enumerate(sympy.preorder_traversal(expr)):
        if count >= limit:
            return True
    return False
