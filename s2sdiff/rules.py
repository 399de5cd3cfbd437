"""THE rule table: every primitive the normaliser makes a step of, and how both modes
differentiate it.

One table, ``RULES: dict[Key, Rule]``, read through ``lookup(key)``.  A ``Key`` says what
the normaliser found in user code, and its ``name`` is how messages call it:

* ``Operator(ast.Add)``: an operator, ``+ - * / ** % @`` and unary ``-``/``+``
  (``+``, ``unary -``);
* ``Function(math.exp)``: a call of that function object (``math.exp``, ``abs``,
  ``numpy.sum``); ``Function(math.log, arity=2)`` where the number of arguments changes
  the row (``math.log with 2 arguments``): a call with 2 arguments finds it first;
* ``Entry(numpy.linalg.eigh, 1)``: entry 1 of the tuple a call returns (``w, v = ...``);
* ``Method("dot")`` and ``Attribute("T")``: ``W.dot(X)`` and ``x.T`` on an array
  (``.dot``, ``.T``);
* ``Syntax("sigmoid")``, ``Syntax("setitem")``...: a form the normaliser recognises or
  builds itself (the fused gate ``1 / (1 + exp(-u))`` of seed 002, a copy ``a = b``, list
  displays, indexing, element assignment, ``append``, a call of the user's own function).

A row is one of four kinds of ``Rule``:

* ``Partials``, ``defrule(key, forward, partials)``: a primitive with one local partial
  per argument, which reverse mode multiplies by the output's adjoint and forward mode
  by the argument's tangent; NumPy applies them elementwise (below);
* ``ArrayRule``, ``defvjp(key, signature, sample=..., jvp=..., **vjps)``: linear
  algebra, reductions, shape changes and indexing of arrays, one vector-Jacobian product
  per differentiable argument and a tangent rule (below);
* ``Structural``: a primitive that moves values rather than computes them, or a call of
  the user's function, whose derivative is generated code of its own: ``reverse`` and
  ``forward`` write their derivatives out;
* ``Nondifferentiable``: a function or attribute whose result is piecewise constant
  (``floor``, ``round``, ``len``, ``x.shape``): a constant, exactly as JAX treats it (the
  normaliser's step for it has no rule and is not differentiable); so is
  ``stop_gradient`` (the identity, whose result JAX treats as a constant).  A call to
  a function without a row on an active argument is a generation-time error, except a
  call of a ``custom_vjp``/``custom_jvp`` wrapper, whose rule the user defines
  (``custom.py``).

A ``Partials`` row: ``forward(m, *args)`` states the primitive with the namespace ``m``;
it is used only to check the row against ``sympy.diff``.  ``partials(m, out, *args)``
returns one local partial per argument; ``out`` is the primitive's own forward value, so
``exp`` reuses it.  ``m`` is ``build.Namespace`` when generating code (``m.cos(x)`` becomes
``math.cos(x)``, or ``np.cos(x)`` for NumPy code) and a SymPy namespace when checking.
``domain`` says where the automatic SymPy test samples the row.  Adding a primitive
touches only this file: ``tests/test_rules.py`` checks every ``Partials`` row against
SymPy, and ``tests/test_array_rules.py`` every NumPy row (``is_numpy_row``) against
central differences, without new test code.

Domain boundaries.  Partials are written for speed on Python floats, where some raise at
points the forward survives: ``0.5 / out`` for ``sqrt`` at 0, ``x ** (y - 1)`` at 0 or when
it overflows, ``log x`` in d(x ** y)/dy at x < 0, ``1 / sqrt((1 - x)(1 + x))`` at +-1.  No
row tests for them: a gradient that raises ``ZeroDivisionError``, ``OverflowError`` or
``ValueError`` (scalar code; in NumPy code, a partial of Python numbers:
``array_context.partials_may_raise``) runs again as its IEEE version (``pipeline.IEEERetry``),
whose partials spell each ``/``, ``**``, ``//``, ``%`` and ``math`` call ``ieee(...)``
(``runtime.ieee``): the same value where Python computes one, the inf or NaN of NumPy and
JAX where it raises (d sqrt(x)/dx at 0 is inf, d(x ** y)/dy at x < 0 is NaN).  An error of
the forward itself is re-raised as the user's own.  A second derivative of generated code
differentiates, in its own IEEE version, the IEEE version of that code (its ``ieee(...)``
calls are the primitives they spell: ``normalize``), so ``hessian(sqrt)`` at 0 is -inf.
NumPy rows on arrays and NumPy scalars are IEEE already (with
NumPy's RuntimeWarnings).  A zero adjoint times an infinite partial on a path the output
does not depend on is NaN (0 * inf), as in JAX and PyTorch.

Where the forward raises.  ``fails(m, *args)`` is a comparison that holds at every point
where the forward raises on Python numbers (``x <= 0.0`` for ``log``: float literals,
which CPython compares with a float faster than ints): a gradient that does not read
``log(x1)`` keeps only ``if x1 <= 0.0: math.log(x1)``, which raises what the user's code
raises and costs one comparison where it does not.  The condition may hold
where the forward succeeds (``log(nan)``): the guarded call then runs and returns.
"""

import ast
import builtins
import copy
from ast import Constant
import inspect
import math
import weakref
from dataclasses import dataclass

import numpy as _np

from . import runtime
from .build import Expr
from .custom import stop_gradient


# --- keys -----------------------------------------------------------------------------

class Key:
    """What a row is for (frozen, hashable); ``name`` is how messages call it."""
    __slots__ = ()

    @property
    def name(self):
        raise NotImplementedError


_OPERATOR_NAMES = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
                   ast.Mod: "%", ast.USub: "unary -", ast.UAdd: "unary +", ast.MatMult: "@"}


@dataclass(frozen=True)
class Operator(Key):
    """An operator, by its ``ast`` class: ``Operator(ast.Add)`` is ``x + y``."""
    operator: type

    @property
    def name(self):
        return _OPERATOR_NAMES.get(self.operator, self.operator.__name__)


@dataclass(frozen=True)
class Function(Key):
    """A call of ``function``; with ``arity``, a call with that many arguments (a row for
    an arity takes precedence over the function's own, ``lookup``)."""
    function: object
    arity: int = None

    @property
    def name(self):
        f = self.function
        module = getattr(f, "__module__", None)
        spelled = _spelling(f)
        if spelled is not None:
            base = spelled
        elif module in (None, "builtins") or not hasattr(f, "__name__"):
            base = getattr(f, "__name__", str(f))
        else:
            base = f"{module}.{f.__name__}"
        return base if self.arity is None else f"{base} with {self.arity} arguments"


@dataclass(frozen=True)
class Method(Key):
    """A method call on an array: ``Method("sum")`` is ``x.sum(...)``."""
    method: str

    @property
    def name(self):
        return f".{self.method}"


@dataclass(frozen=True)
class Attribute(Key):
    """An attribute of an array: ``Attribute("T")`` is ``x.T``."""
    attribute: str

    @property
    def name(self):
        return f".{self.attribute}"


_SYNTAX_NAMES = {
    "sigmoid": "sigmoid",                        # 1 / (1 + exp(-u)), fused (seed 002)
    "copy": "copy",                              # a = b, tuple unpacking
    "display": "a list display",                 # [a, b] and (a, b)
    "getitem": "indexing",                       # xs[i] of a list or tuple
    "setitem": "element assignment",             # v[i] = e on a list
    "append": "list.append",                     # v.append(e)
    "call": "a call of a Python function",       # the user's own function
    "array getitem": "indexing",                 # x[i] of an array
    "array setitem": "assignment into an array", # a[idx] = e on an array, in place
    "max of a list": "max of a list",            # max(xs), xs of any length (extrema.py)
    "min of a list": "min of a list",            # min(xs)
    "sorted": "sorted of a list",                # sorted(xs), key=, reverse= (sorting.py)
    "fsum of a list": "math.fsum of a list",     # math.fsum(xs) (extrema.py)
}


@dataclass(frozen=True)
class Syntax(Key):
    """A form the normaliser recognises or builds: ``Syntax("setitem")`` is ``v[i] = e``."""
    form: str

    def __post_init__(self):
        if self.form not in _SYNTAX_NAMES:
            raise ValueError(f"no syntactic form {self.form!r}; the forms are "
                             f"{', '.join(_SYNTAX_NAMES)}")

    @property
    def name(self):
        return _SYNTAX_NAMES[self.form]


@dataclass(frozen=True)
class Entry(Key):
    """Entry ``index`` of the tuple that ``function`` returns: ``sign, logdet =
    np.linalg.slogdet(a)`` reads ``Entry(np.linalg.slogdet, 0)`` and ``(..., 1)``, as does
    ``np.linalg.slogdet(a).logabsdet`` (``normalize/entries.py``).  Its row sees the call's
    arguments; ``TUPLE_FIELDS`` names the entries of each such function."""
    function: object
    index: int

    @property
    def name(self):
        return f"{Function(self.function).name}(...)[{self.index}]"


# function -> the names of the entries of the tuple it returns (NumPy's namedtuple fields).
# The np.linalg rows (inv, solve, det, slogdet, eigh, svd, qr, norm...) are in
# linalg_rules.py, which registers them when imported (by normalize/entries.py, so by the
# package: rules.py cannot import it back, the import graph has no cycles).
TUPLE_FIELDS = {}


def as_key(key):
    """``key``, with a plain function taken as ``Function(key)`` and an ``ast`` operator
    class as ``Operator(key)`` (``defrule(math.sin, ...)``)."""
    if isinstance(key, Key):
        return key
    if isinstance(key, type) and issubclass(key, (ast.operator, ast.unaryop)):
        return Operator(key)
    if callable(key):
        return Function(key)
    raise TypeError(f"a rule's key is a Key (Operator, Function, Method, Attribute, Syntax) "
                    f"or a function, got {key!r}")


# --- rows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A row of the table: its ``key``, and how its kind (the subclass) is differentiated."""
    key: Key

    arity = None          # number of arguments, or None for any (a Partials row says)

    @property
    def name(self):
        return self.key.name


@dataclass(frozen=True)
class Partials(Rule):
    """Local partials, one per argument (module docstring)."""
    forward: object
    partials: object
    domain: tuple = (-2.0, 2.0)
    raises: object = False       # partials may raise where the forward does not (see above)
    fails: object = None         # a condition true wherever the forward raises (see above)

    @property
    def arity(self):
        """Number of arguments, or None for a variadic primitive."""
        return _arity(self.forward)


_arities = weakref.WeakKeyDictionary()     # a rule's forward -> its arity


def _arity(forward):
    """``Partials.arity`` of the rule whose forward is ``forward`` (its signature read
    once: normalizing asks for every call)."""
    known = _arities.get(forward)
    if known is None:
        params = list(inspect.signature(forward).parameters.values())[1:]
        known = -1 if any(p.kind is p.VAR_POSITIONAL for p in params) else len(params)
        _arities[forward] = known
    return None if known == -1 else known


@dataclass(frozen=True)
class ArrayRule(Rule):
    """An array primitive (below): ``signature`` names the call's arguments, ``vjps`` one
    vector-Jacobian product per differentiable argument, ``jvp`` its tangent (None: linear
    in the operands together), ``sample`` a call to check it at."""
    signature: object
    vjps: dict
    sample: object
    jvp: object = None

    @property
    def operands(self):
        return tuple(self.vjps)


@dataclass(frozen=True)
class Structural(Rule):
    """A primitive without partials (module docstring): ``reverse`` and ``forward`` write
    its derivative out by the form of its key."""


@dataclass(frozen=True)
class Nondifferentiable(Rule):
    """A piecewise-constant function or attribute: its result is a constant."""


RULES = {}


def _add(rule):
    if rule.key in RULES:
        raise ValueError(f"the rule table has a row for {rule.name} already")
    RULES[rule.key] = rule


def lookup(key):
    """The row for ``key``, or None.  ``Function(f, arity=n)``, a call with ``n``
    arguments, finds the row for that arity, else ``Function(f)``'s; an unhashable
    function has no row."""
    load_optional_rows()
    try:
        row = RULES.get(key)
        if row is None and isinstance(key, Function) and key.arity is not None:
            row = RULES.get(Function(key.function))
    except TypeError:
        return None
    return row


def defrule(key, forward, partials, domain=(-2.0, 2.0), raises=False, fails=None):
    """A ``Partials`` row for ``key`` (a ``Key``; a plain function is ``Function(f)``).
    ``raises``: whether the partials may raise on Python floats at a point where the
    forward does not; True, or a predicate of the step's argument nodes.  ``fails(m,
    *args)``: a cheap condition that holds wherever the forward raises on Python numbers
    (it may hold elsewhere too); a forward statement nobody reads then becomes the guard
    ``if <fails>: <the statement's expression>`` (``liveness.prune_forward``)."""
    _add(Partials(as_key(key), forward, partials, domain, raises, fails))


def nondifferentiable(*keys):
    for key in keys:
        _add(Nondifferentiable(as_key(key)))


def partials_raise(rule, args):
    """Whether the partials of ``rule`` applied to the argument nodes ``args`` may raise
    where the forward does not (then the gradient gets its IEEE retry, pipeline.IEEERetry)."""
    raises = getattr(rule, "raises", False)
    return bool(raises(*args) if callable(raises) else raises)


def _exponent_may_raise(x, y):
    """Whether ``x ** y``'s partials may raise where ``x ** y`` does not.  ``y * x ** (y - 1)``
    cannot when ``y`` is a literal 0 or at least 1 (``|x| ** (y - 1) <= max(1, |x| ** y)``),
    nor ``x ** y * log x`` when ``x`` is a positive literal; otherwise d/dx raises at x = 0
    or overflows, and d/dy's ``log x`` raises at x < 0."""
    base, exponent = _literal(x), _literal(y)
    return not (exponent is not None and (exponent == 0 or exponent >= 1)
                or base is not None and base > 0)


def _literal(node):
    """The number a literal node (``2.0``, ``-0.5``) stands for, or None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node, sign = node.operand, -1
    if isinstance(node, Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


POSITIVE = (0.1, 3.0)
UNIT = (-0.9, 0.9)

# Operators.
defrule(Operator(ast.Add),  lambda m, x, y: x + y,  lambda m, out, x, y: (1, 1))
defrule(Operator(ast.Sub),  lambda m, x, y: x - y,  lambda m, out, x, y: (1, -1))
defrule(Operator(ast.Mult), lambda m, x, y: x * y,  lambda m, out, x, y: (y, x))
# -x / y / y rather than -x / y ** 2: y ** 2 overflows (and raises) for |y| > 1e154.
defrule(Operator(ast.Div),  lambda m, x, y: x / y,  lambda m, out, x, y: (1 / y, -x / y / y),
        fails=lambda m, x, y: m.equal(y, 0.0))
# d(x**y)/dx is 0 where y = 0 (x ** 0 is 1 even at x = 0, where 0 * x ** -1 raises).
# d(x**y)/dy = x**y log x, taken as 0 at x = 0 (its limit for y > 0) without a branch:
# log(x + (x == 0)) is log x, or log 1 = 0 where log x would raise.
_POW_PARTIALS = lambda m, out, x, y: (m.unless_zero(y, y * x ** (y - 1)),  # noqa: E731
                                      out * m.log(x + m.is_zero(x)))
defrule(Operator(ast.Pow),  lambda m, x, y: x ** y, _POW_PARTIALS,
        domain=POSITIVE, raises=_exponent_may_raise)
# x // y is the quotient % rounds with (x == x // y * y + x % y), and nan rather than an
# error at inf and nan.
defrule(Operator(ast.Mod),  lambda m, x, y: m.mod(x, y), lambda m, out, x, y: (1, -(x // y)),
        domain=POSITIVE)
defrule(Operator(ast.USub), lambda m, x: -x, lambda m, out, x: (-1,))
defrule(Operator(ast.UAdd), lambda m, x: +x, lambda m, out, x: (1,))

# The sigmoid gate of seed 002: 1 / (1 + exp(-u)) is one primitive whose partial reuses out.
# Seed 002's out * (1 - out), except where out nears 1 and 1 - out loses its digits (0.0
# above x = 37): there 1 - out is written exp(-x) * out (with e = exp(-x), 1 - 1 / (1 + e)
# is e / (1 + e) exactly).  The switch at out = 3/4 is where the two forms' worst errors
# cross, about 2 units in the last place each (measured against mpmath).
defrule(Syntax("sigmoid"), lambda m, x: 1 / (1 + m.exp(-x)),
        lambda m, out, x: (out * m.where(out < 0.75, 1 - out, m.exp(-x) * out),))

# math and builtins.
defrule(Function(math.exp),   lambda m, x: m.exp(x),   lambda m, out, x: (out,))
defrule(Function(math.expm1), lambda m, x: m.expm1(x), lambda m, out, x: (m.exp(x),))
defrule(Function(math.log),   lambda m, x: m.log(x),   lambda m, out, x: (1 / x,), domain=POSITIVE,
        fails=lambda m, x: x <= 0.0)
defrule(Function(math.log, arity=2), lambda m, x, b: m.log(x, b),
        lambda m, out, x, b: (1 / x / m.log(b), -out / b / m.log(b)), domain=(1.5, 3.0))
defrule(Function(math.log1p), lambda m, x: m.log1p(x), lambda m, out, x: (1 / (1 + x),),
        domain=POSITIVE, fails=lambda m, x: x <= -1.0)
defrule(Function(math.log2),  lambda m, x: m.log2(x),  lambda m, out, x: (1.4426950408889634 / x,),
        domain=POSITIVE, fails=lambda m, x: x <= 0.0)                                                    # 1 / ln 2
defrule(Function(math.log10), lambda m, x: m.log10(x), lambda m, out, x: (0.4342944819032518 / x,),
        domain=POSITIVE, fails=lambda m, x: x <= 0.0)                                                    # 1 / ln 10
defrule(Function(math.sqrt),  lambda m, x: m.sqrt(x),  lambda m, out, x: (0.5 / out,),
        domain=POSITIVE, raises=True, fails=lambda m, x: x < 0.0)             # at 0
# sin, cos and tan raise at +-inf (and on ints too large for a float, as isinf does).
defrule(Function(math.sin),   lambda m, x: m.sin(x),   lambda m, out, x: (m.cos(x),),
        fails=lambda m, x: m.isinf(x))
defrule(Function(math.cos),   lambda m, x: m.cos(x),   lambda m, out, x: (-m.sin(x),),
        fails=lambda m, x: m.isinf(x))
defrule(Function(math.tan),   lambda m, x: m.tan(x),   lambda m, out, x: (1 + out ** 2,),
        domain=(-1.2, 1.2), fails=lambda m, x: m.isinf(x))
# (1 - x) * (1 + x) rather than 1 - x ** 2: no cancellation near |x| = 1.
defrule(Function(math.asin),  lambda m, x: m.asin(x),
        lambda m, out, x: (1 / m.sqrt((1 - x) * (1 + x)),), domain=UNIT, raises=True,  # at +-1
        fails=lambda m, x: m.abs(x) > 1.0)
defrule(Function(math.acos),  lambda m, x: m.acos(x),
        lambda m, out, x: (-1 / m.sqrt((1 - x) * (1 + x)),), domain=UNIT, raises=True,
        fails=lambda m, x: m.abs(x) > 1.0)
# 1 / hypot(1, x) squared, not 1 / (1 + x * x): x * x overflows above 1.3e154.
defrule(Function(math.atan),  lambda m, x: m.atan(x),  lambda m, out, x: ((1 / m.hypot(1, x)) ** 2,))
defrule(Function(math.atan2), lambda m, y, x: m.atan2(y, x),
        lambda m, out, y, x: (x / m.hypot(y, x) / m.hypot(y, x), -y / m.hypot(y, x) / m.hypot(y, x)),
        raises=True)                                                        # at (0, 0)
defrule(Function(math.sinh),  lambda m, x: m.sinh(x),  lambda m, out, x: (m.cosh(x),))
defrule(Function(math.cosh),  lambda m, x: m.cosh(x),  lambda m, out, x: (m.sinh(x),))
# sech(x) ** 2 as cosh(x) ** -2: exact where tanh(x) rounds to +-1 (unlike 1 - out ** 2),
# and it underflows where 1 / cosh(x) ** 2 raises OverflowError (|x| > 355); cosh itself
# overflows only above 710, where the derivative is 0.0 in floats.
defrule(Function(math.tanh),  lambda m, x: m.tanh(x),
        lambda m, out, x: (m.where(m.abs(x) > 710, 0.0, m.cosh(x) ** -2),))
defrule(Function(math.asinh), lambda m, x: m.asinh(x), lambda m, out, x: (1 / m.hypot(x, 1),))
# Two square roots: (x - 1) * (x + 1) overflows above 1.3e154, where the partial is 1 / x.
defrule(Function(math.acosh), lambda m, x: m.acosh(x),
        lambda m, out, x: (1 / m.sqrt(x - 1) / m.sqrt(x + 1),), domain=(1.1, 3.0),
        raises=True, fails=lambda m, x: x < 1.0)                              # at 1
defrule(Function(math.atanh), lambda m, x: m.atanh(x), lambda m, out, x: (1 / ((1 - x) * (1 + x)),),
        domain=UNIT, fails=lambda m, x: m.abs(x) >= 1.0)
# x * x, not x ** 2: float ** raises OverflowError where * gives inf (and exp(-inf) is 0).
defrule(Function(math.erf),   lambda m, x: m.erf(x),
        lambda m, out, x: (1.1283791670955126 * m.exp(-x * x),))
defrule(Function(math.erfc),  lambda m, x: m.erfc(x),
        lambda m, out, x: (-1.1283791670955126 * m.exp(-x * x),))
defrule(Function(math.pow),   lambda m, x, y: x ** y,  _POW_PARTIALS, domain=POSITIVE,
        raises=_exponent_may_raise)
defrule(Function(builtins.pow), lambda m, x, y: x ** y, _POW_PARTIALS, domain=POSITIVE,
        raises=_exponent_may_raise)
defrule(Function(math.hypot), lambda m, *xs: m.hypot(*xs),
        lambda m, out, *xs: tuple(x / out for x in xs), raises=True)       # at 0
# Gamma and its logarithm: d log|Gamma(x)|/dx is digamma(x), which generated code calls as
# s2sdiff's own ``digamma`` (runtime.py; ``math`` has none, SciPy is optional).
defrule(Function(math.gamma), lambda m, x: m.gamma(x),
        lambda m, out, x: (out * m.digamma(x),), domain=POSITIVE)
defrule(Function(math.lgamma), lambda m, x: m.lgamma(x),
        lambda m, out, x: (m.digamma(x),), domain=POSITIVE)
defrule(Function(runtime.digamma), lambda m, x: m.digamma(x),     # second derivatives
        lambda m, out, x: (m.trigamma(x),), domain=POSITIVE)
# fmod(x, y) = x - n y with n = trunc(x / y) locally constant: d/dy = -n, written
# -(x - out) / y, the quotient fmod truncated to (not trunc(x / y): 0.5 / 0.1 rounds to 5.0
# where fmod(0.5, 0.1) takes n = 4), to rounding.
defrule(Function(math.fmod), lambda m, x, y: m.fmod(x, y),
        lambda m, out, x, y: (1, -(x - out) / y), domain=POSITIVE)
defrule(Function(math.degrees), lambda m, x: x * 57.29577951308232,        # 180 / pi
        lambda m, out, x: (57.29577951308232,))
defrule(Function(math.radians), lambda m, x: x * 0.017453292519943295,     # pi / 180
        lambda m, out, x: (0.017453292519943295,))
# copysign(x, y) = |x| with y's sign: d/dx = sign(x) copysign(1, y); piecewise constant in y.
defrule(Function(math.copysign), lambda m, x, y: m.copysign(x, y),
        lambda m, out, x, y: (m.sign(x) * m.copysign(1.0, y), 0))
defrule(Function(math.fabs),  lambda m, x: m.fabs(x),  lambda m, out, x: (m.sign(x),))
defrule(Function(builtins.abs), lambda m, x: m.fabs(x), lambda m, out, x: (m.sign(x),))
defrule(Function(builtins.float), lambda m, x: x, lambda m, out, x: (1,))
# max and min: seed 002's indicator 1(x >= y), except at exact ties, where the k arguments
# equal to the result share the adjoint evenly (1/k each, as JAX, autograd and PyTorch do):
# max(x, x) differentiates to 1, max(x, 3.0) to 1/2 at x = 3.  Each share is a valid
# subgradient.  Both rows read the same ``m.tied_share`` (equality with ``out``).  A NaN
# result gives NaN partials.
defrule(Function(builtins.max), lambda m, *xs: m.max(*xs),
        lambda m, out, *xs: tuple(m.tied_share(out, xs, i) for i in range(len(xs))))
defrule(Function(builtins.min), lambda m, *xs: m.min(*xs),
        lambda m, out, *xs: tuple(m.tied_share(out, xs, i) for i in range(len(xs))))

nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    builtins.round, builtins.int, builtins.bool, builtins.len, builtins.print,
    builtins.range, builtins.isinstance, builtins.type, builtins.any, builtins.all,
    stop_gradient,
)

# A plain copy ``a = b`` (tuple unpacking, reassigned names) is the identity primitive.
defrule(Syntax("copy"), lambda m, x: x, lambda m, out, x: (1,))

# Functions that make ``1 / (1 + f(-u))`` the sigmoid gate.
EXP_FUNCTIONS = [math.exp]


# --- structure: building and reading sequences, calls ----------------------------------
# ``[a, b]`` and ``(a, b)``, ``xs[i]``, ``v[i] = e`` and ``v.append(e)`` on lists, whose
# derivatives ``reverse`` and ``forward`` write out element by element; a call of the
# user's own Python function, differentiated by transformation; ``a[idx] = e`` on an array,
# in place (``reverse/arrays.py``); ``max(xs)``/``min(xs)`` of a list of any length, whose
# derivative ``extrema.py`` writes with the partials of the ``max(a, b, c)`` row above
# (``math.fsum(xs)`` too, partial 1 per entry); ``sorted(xs)``, the permutation
# (``sorting.py``).
for _form in ("display", "getitem", "setitem", "append", "call", "array setitem",
              "max of a list", "min of a list", "sorted", "fsum of a list"):
    _add(Structural(Syntax(_form)))


# ----------------------------------------------------------------------------------------
# Arrays (NumPy).  Two kinds of rows:
#
# * elementwise NumPy functions are ``Partials`` rows (local partials, checked against
#   SymPy by tests/test_rules.py like every other row); reverse mode multiplies each
#   partial by the adjoint and sums over broadcast axes (``reverse/arrays.py``);
# * linear algebra, reductions, shape changes and indexing are ``ArrayRule`` rows, in the
#   manner of autograd's ``defvjp``: one vector-Jacobian product per differentiable
#   argument, ``vjp(c)`` where ``c`` (``array_context.RuleContext``) gives the adjoint
#   ``c.g``, the output ``c.out``, the arguments ``c.arg("a")``, static values
#   ``c.static("axis")``, shapes ``c.shape("a")`` and the NumPy namespace ``c.np``.
#   ``signature`` is a stub whose parameters name the call's arguments; ``operands`` are
#   the differentiable ones (the others must not depend on the differentiated inputs).
#   Forward mode reads ``jvp(t)`` (``forward.arrays.RowTangents``): None for a row linear
#   in its operands together (its tangent is the row with each operand replaced by its
#   tangent), ``t.product_rule()`` for one linear in each operand alone (``a @ b``), and
#   the derivative written out for the others.  ``sample`` is a call to check the row at
#   (tests/test_array_rules.py, against central differences): its arguments as the call
#   takes them, ``Array(shape)`` for a random input, anything else a literal.
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Array:
    """A random argument of a ``Sample``: floats of ``shape`` (a Python float for ``()``),
    differentiated; ``dtype=bool``, a constant mask; ``dtype=int``, constant indices 0 or 1."""
    shape: tuple
    dtype: type = float
    draw: str = "normal"      # or "positive definite": symmetric, for np.linalg.cholesky


class Sample:
    """The arguments of a call of an array row, positional and keyword, that
    tests/test_array_rules.py checks it at (the receiver first for a method)."""

    def __init__(self, *args, **keywords):
        self.args, self.keywords = args, keywords

    def __repr__(self):
        return f"Sample{(*self.args, *(f'{k}={v!r}' for k, v in self.keywords.items()))}"


def defvjp(key, signature, *, sample, jvp=None, **vjps):
    _add(ArrayRule(as_key(key), signature, vjps, sample, jvp))


def _constant(value):
    """A literal in generated code (an axis, a shape)."""
    return Expr(Constant(value))


def _elementwise(np_function, scalar_key, forward=None, partials=None, domain=None):
    row = RULES[scalar_key]
    defrule(Function(np_function), forward or row.forward, partials or row.partials,
            domain or row.domain, row.raises)


for _f, _k in ((_np.exp, math.exp), (_np.log, math.log), (_np.log1p, math.log1p),
               (_np.sqrt, math.sqrt), (_np.sin, math.sin), (_np.cos, math.cos),
               (_np.tan, math.tan), (_np.sinh, math.sinh), (_np.cosh, math.cosh),
               (_np.expm1, math.expm1), (_np.arctan, math.atan), (_np.log2, math.log2),
               (_np.log10, math.log10)):
    _elementwise(_f, Function(_k))
# sech(x) ** 2 = (1 - |out|)(1 + |out|) = exp(-2|x|)(1 + |out|) ** 2: exact where out rounds
# to +-1 (unlike 1 - out ** 2), never overflows (cosh does above 710, with a warning), and
# one exp costs less than np.cosh.
_elementwise(_np.tanh, Function(math.tanh),
             partials=lambda m, out, x: (m.exp(-2 * m.abs(x)) * (1 + m.abs(out)) ** 2,))
_elementwise(_np.abs, Function(builtins.abs))
_elementwise(_np.power, Operator(ast.Pow))
_elementwise(_np.maximum, Function(builtins.max), forward=lambda m, x, y: m.max(x, y))
_elementwise(_np.minimum, Function(builtins.min), forward=lambda m, x, y: m.min(x, y))
defrule(Function(_np.square), lambda m, x: x ** 2, lambda m, out, x: (2 * x,))
defrule(Function(_np.negative), lambda m, x: -x, lambda m, out, x: (-1,))
defrule(Function(_np.reciprocal), lambda m, x: 1 / x, lambda m, out, x: (-out ** 2,),
        domain=POSITIVE)
# log(e^x + e^y) and log2(2^x + 2^y): partials e^(x - out) and 2^(x - out), which never
# overflow (x - out <= 0).  Their forwards here are only for the SymPy check.
defrule(Function(_np.logaddexp), lambda m, x, y: m.log(m.exp(x) + m.exp(y)),
        lambda m, out, x, y: (m.exp(x - out), m.exp(y - out)))
defrule(Function(_np.logaddexp2), lambda m, x, y: m.log(2 ** x + 2 ** y) / m.log(2),
        lambda m, out, x, y: (2 ** (x - out), 2 ** (y - out)))
defrule(Function(_np.exp2), lambda m, x: 2 ** x,
        lambda m, out, x: (0.6931471805599453 * out,))                      # ln 2
# sinc(x) = sin(pi x) / (pi x): (cos(pi x) - sinc(x)) / x, 0 at x = 0 (its limit), where
# the division is by 1 instead.
defrule(Function(_np.sinc), lambda m, x: m.sin(3.141592653589793 * x) / (3.141592653589793 * x),
        lambda m, out, x: (m.unless_zero(x, (m.cos(3.141592653589793 * x) - out)
                                         / (x + m.is_zero(x))),))
for _f in (_np.deg2rad, _np.radians):
    defrule(Function(_f), lambda m, x: x * 0.017453292519943295,          # pi / 180
            lambda m, out, x: (0.017453292519943295,))
for _f in (_np.rad2deg, _np.degrees):
    defrule(Function(_f), lambda m, x: x * 57.29577951308232,             # 180 / pi
            lambda m, out, x: (57.29577951308232,))
EXP_FUNCTIONS.append(_np.exp)

# Constructors whose values do not depend on the values of their arguments.  np.arange
# (whose length depends on them), np.linspace, np.full and np.full_like are not here:
# the last three have rows below, np.arange fails if its arguments are differentiated.
nondifferentiable(
    _np.zeros, _np.ones, _np.eye, _np.identity, _np.zeros_like,
    _np.ones_like, _np.empty, _np.empty_like, _np.shape, _np.ndim,
    _np.size, _np.argmax, _np.argmin, _np.argsort, _np.floor, _np.ceil, _np.round,
    _np.rint, _np.sign, _np.isnan, _np.isinf, _np.isfinite, _np.all, _np.any,
    _np.logical_and, _np.logical_or, _np.logical_not, _np.greater, _np.less,
    _np.equal, _np.not_equal, _np.tri, _np.triu_indices, _np.tril_indices, _np.nonzero,
)
# The zero adjoint or tangent of a sequence in generated code (runtime.py), which
# second derivatives differentiate again: zeros whatever the values.
nondifferentiable(runtime.zeros_like)
# Boolean reductions: x.all(), x.any() as np.all(x), np.any(x) (a test's value); indices
# and roundings as methods, x.argmax(), x.argsort(), x.round(1), as their functions.
nondifferentiable(Method("all"), Method("any"), Method("argmax"), Method("argmin"),
                  Method("argsort"), Method("round"), Method("nonzero"))
# Attributes whose values do not depend on the array's values (x.shape, x.ndim...).
nondifferentiable(*(Attribute(a) for a in ("shape", "ndim", "size", "dtype", "itemsize",
                                           "nbytes")))


def _einsum(c, spec, *operands):
    return c.np.einsum(Expr(Constant(spec)), *operands)


def _gram(c):
    """Whether the step is ``X.T @ X`` of a matrix ``X`` (``a`` bound to a step
    ``XT = X.T``, ``b`` to ``X``): its adjoint ``X @ (g + g.T)`` is one product where the
    two operands' rules would make two (``dXT = g @ X.T``, then ``dX += XT.T @ g``)."""
    a, b = c.bound.get("a"), c.bound.get("b")
    if not (isinstance(a, ast.Name) and isinstance(b, ast.Name)) or c.ndim("b") != 2:
        return False
    program = c.backprop.program
    found = [s for s in program.steps if s.target == a.id]
    return len(found) == 1 and isinstance(found[0].value, ast.Attribute) \
        and found[0].value.attr == "T" and isinstance(found[0].value.value, ast.Name) \
        and found[0].value.value.id == b.id


def _matmul_a(c):
    a, b, g = c.ndim("a"), c.ndim("b"), c.g
    if a == 2 and b == 2 and _gram(c):
        return None                      # X.T @ X: operand b adds both (_matmul_b)
    if a == 1 and b == 1:
        return g * c.arg("b")
    if a == 1 and b > 2:                 # (k,) @ (..., k, m): summed over the batch
        return c.sum_to(_einsum(c, "...km,...m->...k", c.arg("b"), g),
                        c.out_shape[:-1] + c.shape("a"), "a")
    if a == 1:
        return c.arg("b") @ g
    if b == 1 and a > 2:                 # (..., n, k) @ (k,)
        return c.sum_to(_einsum(c, "...n,k->...nk", g, c.arg("b")),
                        c.out_shape + c.shape("b"), "a")
    if b == 1:
        return c.np.outer(g, c.arg("b"))
    if a == 2 and b == 2:
        return g @ c.arg("b").T
    return c.sum_to(g @ c.np.swapaxes(c.arg("b"), -1, -2), c.out_shape_of_matmul("a"), "a")


def _matmul_b(c):
    a, b, g = c.ndim("a"), c.ndim("b"), c.g
    if a == 2 and b == 2 and _gram(c):
        return c.arg("b") @ (g + g.T)
    if a == 1 and b == 1:
        return g * c.arg("a")
    if b == 1:
        return c.arg("a").T @ g if a == 2 else c.sum_to(
            _einsum(c, "...nk,...n->...k", c.arg("a"), g), c.out_shape[:-1] + c.shape("b"), "b")
    if a == 1 and b > 2:                 # (k,) @ (..., k, m)
        return c.sum_to(_einsum(c, "k,...m->...km", c.arg("a"), g),
                        c.out_shape[:-1] + c.shape("a") + c.out_shape[-1:], "b")
    if a == 1:
        return c.np.outer(c.arg("a"), g)
    if a == 2 and b == 2:
        return c.arg("a").T @ g
    return c.sum_to(c.np.swapaxes(c.arg("a"), -1, -2) @ g, c.out_shape_of_matmul("b"), "b")


def _dot(operand, other, matmul):
    def vjp(c):
        if c.ndim("a") == 0 or c.ndim("b") == 0:     # np.dot with a scalar multiplies
            return c.sum_to(c.g * c.arg(other), c.out_shape, operand)
        if max(c.ndim("a"), c.ndim("b")) > 2:        # a sum over a's last axis and b's
            return _tensordot(operand)(_DotAxes(c))  # second-to-last: a tensordot
        return matmul(c)
    return vjp


class _DotAxes:
    """``c`` with the ``axes`` of the tensordot that ``np.dot(a, b)`` of N-d arrays is."""

    def __init__(self, c):
        self._c = c

    def static(self, name, default=None):
        if name == "axes":
            return [self._c.ndim("a") - 1], [max(self._c.ndim("b") - 2, 0)]
        return self._c.static(name, default)

    def __getattr__(self, attribute):
        return getattr(self._c, attribute)


def _product_rule(t):
    return t.product_rule()


_MATMUL = dict(a=_matmul_a, b=_matmul_b)
_DOT = dict(a=_dot("a", "b", _matmul_a), b=_dot("b", "a", _matmul_b))
_BINARY = lambda a, b: None  # noqa: E731
defvjp(Operator(ast.MatMult), _BINARY, jvp=_product_rule, **_MATMUL,
       sample=Sample(Array((2, 3)), Array((3, 4))))
defvjp(Function(_np.matmul), _BINARY, jvp=_product_rule, **_MATMUL,
       sample=Sample(Array((2, 3, 4)), Array((4,))))
defvjp(Function(_np.dot), _BINARY, jvp=_product_rule, **_DOT,
       sample=Sample(Array((3, 4)), Array((4, 2))))
defvjp(Method("dot"), _BINARY, jvp=_product_rule, **_DOT,
       sample=Sample(Array((3,)), Array((3, 2))))
defvjp(Function(_np.outer), _BINARY, jvp=_product_rule,
       a=lambda c: c.reshaped(c.g @ c.raveled("b"), "a"),
       b=lambda c: c.reshaped(c.raveled("a") @ c.g, "b"),
       sample=Sample(Array((3,)), Array((2, 2))))
def _trace_back(c):
    """The adjoint of ``np.trace(a, offset)`` (summed over the first two axes): the identity
    shifted by ``offset`` in those axes, times ``g`` (the trace of each trailing index)."""
    shape = c.shape("a")
    eye = c.np.eye(shape[0], shape[1], **({"k": c.arg("offset")} if "offset" in c.bound
                                          else {}))
    if len(shape) > 2:
        eye = c.np.reshape(eye, Expr(Constant(shape[:2] + (1,) * (len(shape) - 2))))
    return c.g_lazy * eye


defvjp(Function(_np.trace), lambda a, offset=0: None, a=_trace_back,
       sample=Sample(Array((3, 4, 2)), 1))


def _full_cotangent(c, correlate):
    """``g`` of ``np.convolve(a, v, mode)`` (``correlate``: ``np.correlate``) placed where
    its entries sit in the ``"full"`` output, zeros around: both are slices of it."""
    (n,), (m,) = c.shape("a"), c.shape("v")
    mode = c.static("mode", "valid" if correlate else "full")
    length = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[mode]
    offset = {"full": 0, "valid": min(n, m) - 1,
              "same": n // 2 if correlate and n < m else (min(n, m) - 1) // 2}[mode]
    if length == n + m - 1:
        return c.g
    return c.np.pad(c.g, _constant((offset, n + m - 1 - offset - length)))


# np.convolve(a, v) is the "full" sum over a[i] v[k - i], np.correlate(a, v) that of
# a[i] flip(v)[k - i]; "same" and "valid" slice it.  Each operand's cotangent correlates
# the full cotangent with the other operand ("valid": one entry per entry of the operand).
def _correlated(c, correlate, other):
    """``np.correlate(full cotangent, other operand, "valid")``."""
    return c.np.correlate(_full_cotangent(c, correlate), other, _constant("valid"))


defvjp(Function(_np.convolve), lambda a, v, mode="full": None, jvp=_product_rule,
       a=lambda c: _correlated(c, False, c.arg("v")),
       v=lambda c: _correlated(c, False, c.arg("a")),
       sample=Sample(Array((5,)), Array((3,)), mode="same"))
defvjp(Function(_np.correlate), lambda a, v, mode="valid": None, jvp=_product_rule,
       a=lambda c: _correlated(c, True, c.np.flip(c.arg("v"))),
       v=lambda c: c.np.flip(_correlated(c, True, c.arg("a"))),
       sample=Sample(Array((3,)), Array((5,)), mode="same"))


def _inner(operand, other):
    """``np.inner(a, b)``'s adjoint for ``operand``: the output's axes are ``a``'s but the
    last, then ``b``'s but the last; ``g`` contracted with the other operand over the
    other's, which leaves ``operand``'s free axes then the shared last axis."""
    def vjp(c):
        if c.ndim("a") == 0 or c.ndim("b") == 0:     # a number multiplies
            return c.sum_to(c.g * c.arg(other), c.out_shape, operand)
        if c.ndim("a") == 1 == c.ndim("b"):
            return c.g * c.arg(other)
        free_a, free_b = c.ndim("a") - 1, c.ndim("b") - 1
        own = range(free_a) if operand == "a" else range(free_a, free_a + free_b)
        contracted = [i for i in range(free_a + free_b) if i not in own]
        return c.np.tensordot(c.g, c.arg(other), axes=_constant(
            (contracted, list(range(len(contracted))))))
    return vjp


defvjp(Function(_np.inner), _BINARY, jvp=_product_rule, a=_inner("a", "b"), b=_inner("b", "a"),
       sample=Sample(Array((2, 3)), Array((4, 3))))


def _kron(operand):
    """``np.kron(a, b)``'s adjoint for ``operand``: ``g`` split into (a entry, b entry)
    pairs of axes, contracted with the other operand (both taken to the same rank)."""
    def vjp(c):
        a, b = tuple(c.shape("a")), tuple(c.shape("b"))
        d = max(len(a), len(b))
        a, b = (1,) * (d - len(a)) + a, (1,) * (d - len(b)) + b
        split = c.np.reshape(c.g, _constant(tuple(n for pair in zip(a, b) for n in pair)))
        other = c.np.reshape(c.arg("b" if operand == "a" else "a"), _constant(
            b if operand == "a" else a))
        own, others = tuple(range(0, 2 * d, 2)), tuple(range(1, 2 * d, 2))
        if operand == "a":
            value = c.np.tensordot(split, other, axes=_constant((others, tuple(range(d)))))
        else:
            value = c.np.tensordot(other, split, axes=_constant((tuple(range(d)), own)))
        return c.reshaped(value, operand)
    return vjp


def _tensordot_axes(c):
    """The contracted axes of ``np.tensordot(a, b, axes)``, as two lists of nonnegative
    axes of ``a`` and of ``b``."""
    axes, na, nb = c.static("axes", 2), c.ndim("a"), c.ndim("b")
    if isinstance(axes, int):
        return list(range(na - axes, na)), list(range(axes))
    first, second = axes
    first = [first] if isinstance(first, int) else list(first)
    second = [second] if isinstance(second, int) else list(second)
    return [i % na for i in first], [i % nb for i in second]


def _tensordot(operand):
    """``np.tensordot(a, b, axes)``'s adjoint for ``operand``: ``g`` contracted with the
    other operand over the other's free axes, then the axes put in ``operand``'s order.
    The output's axes are ``a``'s free axes, then ``b``'s."""
    def vjp(c):
        on_a, on_b = _tensordot_axes(c)
        free_a = [i for i in range(c.ndim("a")) if i not in on_a]
        free_b = [i for i in range(c.ndim("b")) if i not in on_b]
        if operand == "a":
            g_axes = list(range(len(free_a), len(free_a) + len(free_b)))
            value = c.np.tensordot(c.g, c.arg("b"), axes=_constant((g_axes, free_b)))
            order = free_a + [on_a[on_b.index(j)] for j in sorted(on_b)]
        else:
            value = c.np.tensordot(c.arg("a"), c.g,
                                   axes=_constant((free_a, list(range(len(free_a))))))
            order = [on_b[on_a.index(i)] for i in sorted(on_a)] + free_b
        if order == sorted(order):
            return value
        return c.np.transpose(value, _constant(tuple(int(i) for i in _np.argsort(order))))
    return vjp


defvjp(Function(_np.kron), _BINARY, jvp=_product_rule, a=_kron("a"), b=_kron("b"),
       sample=Sample(Array((2, 3)), Array((3, 2))))
defvjp(Function(_np.tensordot), lambda a, b, axes=2: None, jvp=_product_rule,
       a=_tensordot("a"), b=_tensordot("b"),
       sample=Sample(Array((2, 3, 4)), Array((4, 3, 2)), axes=([1, 2], [1, 0])))

# Shape changes: the adjoint goes back through the inverse change (views, no copies).
_RESHAPED = dict(a=lambda c: c.reshaped(c.g, "a"))


def _reshape_back(c):
    """``g`` given ``a``'s shape in the order the reshape read ``a`` (``order="F"``: the
    same order back); ``order="A"`` depends on the memory layout, unknown here: refused."""
    order = c.static("order", "C")
    if order == "C":
        return c.reshaped(c.g, "a")
    if order != "F":
        c.refuse(f"{c.rule.name} with order={order!r}", "Pass order=\"C\" or order=\"F\": "
                 "which one \"A\" means depends on how the array is stored.")
    return c.np.reshape(c.g, Expr(Constant(tuple(c.shape("a")))), order=Expr(Constant("F")))


def _reshape_jvp(t):
    """The tangent reshaped the same way; ``order="A"`` is refused as in reverse mode (the
    tangent need not be stored as the value is)."""
    order = t.bound.get("order")
    if order is not None and not (isinstance(order, Constant) and order.value in ("C", "F")):
        t.refuse(f"{t.step.rule.name} with order={ast.unparse(order)}",
                 "Pass order=\"C\" or order=\"F\" as a literal.")
    return t.linear()
defvjp(Attribute("T"), lambda a: None, a=lambda c: c.g.T, sample=Sample(Array((2, 3))))
defvjp(Function(_np.transpose), lambda a, axes=None: None, a=lambda c: c.transposed_back(),
       sample=Sample(Array((2, 3, 4)), (2, 0, 1)))
defvjp(Method("transpose"), lambda a, *axes: None, a=lambda c: c.transposed_back(),
       sample=Sample(Array((2, 3, 4)), 1, 2, 0))
defvjp(Function(_np.reshape), lambda a, newshape=None, order="C", shape=None: None,
       a=_reshape_back, jvp=_reshape_jvp, sample=Sample(Array((3, 4)), (2, 6), order="F"))
defvjp(Method("reshape"), lambda a, *shape, order="C": None, a=_reshape_back,
       jvp=_reshape_jvp, sample=Sample(Array((3, 4)), 6, 2))
defvjp(Function(_np.ravel), lambda a, order="C": None, a=_reshape_back, jvp=_reshape_jvp,
       sample=Sample(Array((3, 2)), order="F"))
defvjp(Method("ravel"), lambda a, order="C": None, a=_reshape_back, jvp=_reshape_jvp,
       sample=Sample(Array((3, 2))))
defvjp(Method("flatten"), lambda a, order="C": None, a=_reshape_back, jvp=_reshape_jvp,
       sample=Sample(Array((2, 3)), "F"))
defvjp(Function(_np.squeeze), lambda a, axis=None: None, **_RESHAPED,
       sample=Sample(Array((3, 1))))
defvjp(Function(_np.expand_dims), lambda a, axis: None, **_RESHAPED,
       sample=Sample(Array((3,)), 0))
defvjp(Function(_np.atleast_1d), lambda a: None, **_RESHAPED, sample=Sample(Array(())))
defvjp(Function(_np.atleast_2d), lambda a: None, **_RESHAPED, sample=Sample(Array((3,))))
defvjp(Function(_np.atleast_3d), lambda a: None, **_RESHAPED, sample=Sample(Array((2, 3))))
defvjp(Method("copy"), lambda a: None, a=lambda c: c.g, sample=Sample(Array((3,))))
defvjp(Function(_np.copy), lambda a: None, a=lambda c: c.g, sample=Sample(Array((3,))))
# np.array(x, copy=False) (or None) may return x itself: an alias (views.py).
defvjp(Function(_np.array), lambda a, dtype=None, *, copy=True: None, a=lambda c: c.list_or_g(),
       sample=Sample(Array((3,))))
defvjp(Function(_np.asarray), lambda a, dtype=None: None, a=lambda c: c.list_or_g(),
       sample=Sample(Array((2, 2))))
# np.float64(x) and np.float32(x): conversions, the identity's derivative; a float32
# tangent stays float32 (the row is linear: ``np.float32(x_dot)``), and a gradient takes
# its parameter's dtype at the end, as every gradient does (dtypes.py).
defvjp(Function(_np.float64), lambda x: None, x=lambda c: c.g, sample=Sample(Array((3,))))
defvjp(Function(_np.float32), lambda x: None, x=lambda c: c.g, sample=Sample(Array((3,))))
defvjp(Function(_np.concatenate), lambda arrays, axis=0: None,
       arrays=lambda c: c.split_back(stacked=False, form="concatenate"),
       sample=Sample([Array((2, 3)), Array((2, 2))], axis=1))
defvjp(Function(_np.stack), lambda arrays, axis=0: None,
       arrays=lambda c: c.split_back(stacked=True, form="stack"),
       sample=Sample([Array((3,)), Array((3,))]))

def _negated(value):
    """``-value``, of a number or a tuple of them (``np.roll``'s shift)."""
    return tuple(-v for v in value) if isinstance(value, (tuple, list)) else -value


def _cumsum_back(c, value):
    """The adjoint of ``np.cumsum(a, axis)`` for the output adjoint ``value``: its sums
    from the end, ``np.flip(np.cumsum(np.flip(value, axis), axis), axis)``, of the
    flattened array when ``axis`` is None (then given ``a``'s shape)."""
    axis = c.statics("axis") if c.static("axis") is not None else {}   # axis=None: flat
    back = c.np.flip(c.np.cumsum(c.np.flip(value, **axis), **axis), **axis)
    return back if axis or c.ndim("a") == 1 else c.reshaped(back, "a")


def _diff_back(c):
    """The adjoint of ``np.diff(a, n, axis)``: ``-np.diff(g, axis, prepend=0, append=0)``,
    n times (``prepend`` and ``append`` of the call itself are not taken)."""
    n, axis = c.static("n", 1), c.static("axis", -1)
    if not (type(n) is int and n >= 0):
        c.refuse(f"np.diff with n={n!r}", "Pass a nonnegative integer n.")
    value = c.g
    for _ in range(n):
        value = c.np.diff(value, axis=_constant(axis), prepend=_constant(0.0),
                          append=_constant(0.0))
    return -value if n % 2 else value


def _repeat_back(c):
    """``np.repeat(a, r, axis)``'s adjoint: ``g`` with each run of ``r`` copies summed."""
    repeats, axis, shape = c.static("repeats"), c.static("axis"), c.shape("a")
    if type(repeats) is not int:
        c.refuse(f"{c.rule.name} with repeats {repeats!r}",
                 "Repeat every entry the same number of times (an integer).")
    if axis is None:
        grouped = c.np.reshape(c.g, _constant((int(_np.prod(shape)), repeats)))
        return c.reshaped(c.np.sum(grouped, axis=_constant(1)), "a")
    axis %= len(shape)
    grouped = c.np.reshape(c.g, _constant(shape[:axis] + (shape[axis], repeats)
                                          + shape[axis + 1:]))
    return c.np.sum(grouped, axis=_constant(axis + 1))


def _tile_back(c):
    """``np.tile(A, reps)``'s adjoint: each axis of ``g`` split into (tile, entry) and the
    tiles summed."""
    reps, shape = c.static("reps"), tuple(c.shape("A"))
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    d = max(len(shape), len(reps))
    own = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + reps
    split = tuple(n for pair in zip(reps, own) for n in pair)
    summed = c.np.sum(c.np.reshape(c.g, _constant(split)),
                      axis=_constant(tuple(range(0, 2 * d, 2))))
    return summed if own == shape else c.reshaped(summed, "A")


defvjp(Method("squeeze"), lambda a, axis=None: None, **_RESHAPED,
       sample=Sample(Array((1, 3, 1)), axis=0))
defvjp(Function(_np.broadcast_to), lambda array, shape: None,
       array=lambda c: c.sum_to(c.g, c.out_shape, "array"),
       sample=Sample(Array((3, 1)), (2, 3, 4)))
# Reorderings: the adjoint goes back through the inverse reordering.
defvjp(Function(_np.flip), lambda m, axis=None: None,
       m=lambda c: c.np.flip(c.g, **c.statics("axis")), sample=Sample(Array((2, 3)), axis=1))
defvjp(Function(_np.fliplr), lambda m: None, m=lambda c: c.np.fliplr(c.g),
       sample=Sample(Array((2, 3))))
defvjp(Function(_np.flipud), lambda m: None, m=lambda c: c.np.flipud(c.g),
       sample=Sample(Array((3, 2))))
defvjp(Function(_np.roll), lambda a, shift, axis=None: None,
       a=lambda c: c.np.roll(c.g, Expr(Constant(_negated(c.static("shift")))),
                                  **c.statics("axis")),
       sample=Sample(Array((3, 4)), (1, -2), axis=(0, 1)))
defvjp(Function(_np.moveaxis), lambda a, source, destination: None,
       a=lambda c: c.np.moveaxis(c.g, c.arg("destination"), c.arg("source")),
       sample=Sample(Array((2, 3, 4)), 0, -1))
_SWAPPED = dict(a=lambda c: c.np.swapaxes(c.g, c.arg("axis1"), c.arg("axis2")))
defvjp(Function(_np.swapaxes), lambda a, axis1, axis2: None, **_SWAPPED,
       sample=Sample(Array((2, 3, 4)), 0, 2))
defvjp(Method("swapaxes"), lambda a, axis1, axis2: None, **_SWAPPED,
       sample=Sample(Array((2, 3)), 1, 0))
# Repetitions: the adjoint of each copy is summed back into its entry.
defvjp(Function(_np.repeat), lambda a, repeats, axis=None: None, a=_repeat_back,
       sample=Sample(Array((2, 3)), 2, axis=1))
defvjp(Method("repeat"), lambda a, repeats, axis=None: None, a=_repeat_back,
       sample=Sample(Array((3,)), 3))
defvjp(Function(_np.tile), lambda A, reps: None, A=_tile_back,
       sample=Sample(Array((2, 3)), (2, 1, 2)))
# Joins of a list or tuple written in the call, each entry's piece of the adjoint split
# back and given its own shape (hstack of vectors joins along axis 0, vstack makes a
# vector a row, column_stack a column, dstack a vector (1, n, 1) and a matrix (m, n, 1)).
defvjp(Function(_np.hstack), lambda tup: None,
       tup=lambda c: c.split_back(False, "tup", lambda s: _np.atleast_1d(_np.zeros(s)).shape,
                                  axis=0 if c.out_shape and len(c.out_shape) == 1 else 1,
                                  form="hstack"),
       sample=Sample([Array((2, 3)), Array((2, 1))]))
defvjp(Function(_np.vstack), lambda tup: None,
       tup=lambda c: c.split_back(False, "tup", lambda s: _np.atleast_2d(_np.zeros(s)).shape,
                                  axis=0, form="vstack"),
       sample=Sample([Array((3,)), Array((2, 3))]))
defvjp(Function(_np.column_stack), lambda tup: None,
       tup=lambda c: c.split_back(False, "tup", lambda s: s if len(s) > 1 else s + (1,),
                                  axis=1, form="column_stack"),
       sample=Sample([Array((3,)), Array((3, 2))]))
defvjp(Function(_np.dstack), lambda tup: None,
       tup=lambda c: c.split_back(False, "tup", lambda s: _np.atleast_3d(_np.zeros(s)).shape,
                                  axis=2, form="dstack"),
       sample=Sample([Array((2,)), Array((1, 2, 2))]))
# Cumulative sums and products, and differences, along axis (None: of the flattened array).
# cumprod's adjoint and tangent (runtime.py) are exact where entries are 0.
_CUMULATIVE = lambda a, axis=None, dtype=None: None  # noqa: E731
for _key, _sample in ((Function(_np.cumsum), Sample(Array((3, 4)), axis=1)),
                      (Method("cumsum"), Sample(Array((2, 3))))):
    defvjp(_key, _CUMULATIVE, a=lambda c: _cumsum_back(c, c.g), sample=_sample)
for _key, _sample in ((Function(_np.cumprod), Sample(Array((3, 4)), axis=0)),
                      (Method("cumprod"), Sample(Array((4,))))):
    defvjp(_key, _CUMULATIVE, a=lambda c: c.cumprod_back(),
           jvp=lambda t: t.cumulative_product(), sample=_sample)
defvjp(Function(_np.diff), lambda a, n=1, axis=-1: None, a=_diff_back,
       sample=Sample(Array((3, 5)), 2, axis=1))


# Constructors filled from numbers: np.linspace(a, b, n)[i] = a + (b - a) * t[i] with
# t = np.linspace(0.0, 1.0, n) (NumPy sets the last entry to b exactly: t = 1 there).  An
# integer dtype makes them piecewise constant: such results are constants (kinds.py).
def _linspace(operand):
    def vjp(c):
        if c.static("retstep", False) or c.shape("start") != () or c.shape("stop") != ():
            c.refuse("np.linspace with retstep or with array end points",
                     "Call it with numbers: np.linspace(a, b, n).")
        t = c.np.linspace(Expr(Constant(0.0)), Expr(Constant(1.0)),
                          c.arg("num") if "num" in c.bound else Expr(Constant(50)),
                          **({"endpoint": c.arg("endpoint")} if "endpoint" in c.bound else {}))
        return c.np.sum(c.g * (t if operand == "stop" else 1.0 - t))
    return vjp


def _fill(c):
    return c.sum_to(c.g, c.out_shape, "fill_value")


defvjp(Function(_np.linspace), lambda start, stop, num=50, endpoint=True, retstep=False,
       dtype=None, axis=0: None, start=_linspace("start"), stop=_linspace("stop"),
       sample=Sample(Array(()), Array(()), 5))
defvjp(Function(_np.full), lambda shape, fill_value, dtype=None, order="C": None,
       fill_value=_fill, sample=Sample((2, 3), Array(())))
defvjp(Function(_np.full_like), lambda a, fill_value, dtype=None, order="K", subok=True,
       shape=None: None,
       a=lambda c: None, fill_value=_fill,   # a gives the shape (and dtype) only
       sample=Sample(Array((2, 3)), Array(())))

# Reductions, with axis and keepdims: the adjoint is spread back over the reduced axes.
# Each function's row and its method's (np.sum(x), x.sum()) are the same. keepdims is
# keyword-only: NumPy's third positional parameter is dtype (sum) or out (max), not taken.
_REDUCE = lambda a, axis=None, *, keepdims=False, dtype=None: None  # noqa: E731
for _function, _vjp, _jvp, _sample in (
        (_np.sum, lambda c: c.spread(c.g_lazy), None, Sample(Array((3, 4)), axis=0)),
        (_np.mean, lambda c: c.spread(c.g_lazy / c.reduced_size()), None,
         Sample(Array((3, 4)), axis=1, keepdims=True)),
        (_np.max, lambda c: c.spread_to_extrema(), lambda t: t.extrema(),
         Sample(Array((3, 4)), axis=1)),
        (_np.min, lambda c: c.spread_to_extrema(), lambda t: t.extrema(), Sample(Array((3, 4)))),
        (_np.prod, lambda c: c.spread(c.g, keep_out=True) * c.prod_of_others(),
         lambda t: t.product(), Sample(Array((3, 4)), axis=0))):
    defvjp(Function(_function), _REDUCE, a=_vjp, jvp=_jvp, sample=_sample)
    defvjp(Method(_function.__name__), _REDUCE, a=_vjp, jvp=_jvp, sample=_sample)
# prod_of_others (runtime.py), np.prod's derivative in generated code, which second
# derivatives differentiate again: its Jacobian, np.prod's Hessian, is symmetric, so its
# tangent and its adjoint are one function, prod_of_others_tangent (exact at zeros).
defvjp(Function(runtime.prod_of_others), lambda a, axis=None: None,
       a=lambda c: c.others_product_back(), jvp=lambda t: t.others_product(),
       sample=Sample(Array((3, 4)), 0))
defvjp(Function(_np.amax), _REDUCE, a=lambda c: c.spread_to_extrema(),
       jvp=lambda t: t.extrema(), sample=Sample(Array((3, 4)), axis=0))
defvjp(Function(_np.amin), _REDUCE, a=lambda c: c.spread_to_extrema(),
       jvp=lambda t: t.extrema(), sample=Sample(Array((3, 4)), axis=-1, keepdims=True))
# Variance and standard deviation, with axis, ddof and keepdims (dtype, out and where are
# not taken: ddof is keyword-only, as NumPy's third positional parameter is dtype).
# d var / da = 2 (a - mean) / (N - ddof); d std / da = (a - mean) / ((N - ddof) std), inf or
# NaN where std is 0 (as in JAX).
_SPREAD = lambda a, axis=None, *, ddof=0, keepdims=False, dtype=None: None  # noqa: E731
for _function, _std, _sample, _method_sample in (
        (_np.var, False, Sample(Array((3, 4)), axis=1, ddof=1), Sample(Array((2, 3)))),
        (_np.std, True, Sample(Array((3, 4)), axis=0, keepdims=True),
         Sample(Array((4,)), ddof=1))):
    for _key, _s in ((Function(_function), _sample), (Method(_function.__name__), _method_sample)):
        defvjp(_key, _SPREAD, a=lambda c, std=_std: c.variance_back(std),
               jvp=lambda t, std=_std: t.variance(std), sample=_s)

# Elementwise choices whose condition or bounds are constants.
defvjp(Function(_np.where), lambda condition, x, y: None,
       x=lambda c: c.sum_to(c.np.where(c.arg("condition"), c.g, 0.0), c.out_shape, "x"),
       y=lambda c: c.sum_to(c.np.where(c.arg("condition"), 0.0, c.g), c.out_shape, "y"),
       sample=Sample(Array((3,), bool), Array((3,)), Array((2, 3))))
defvjp(Function(_np.clip), lambda a, a_min, a_max: None, a=lambda c: c.clip_back(),
       jvp=lambda t: t.clipped(), sample=Sample(Array((2, 4)), -0.5, 0.5))
defvjp(Method("clip"), lambda a, min=None, max=None: None, a=lambda c: c.clip_back(),
       jvp=lambda t: t.clipped(), sample=Sample(Array((5,)), -0.3, None))

# Indexing reads x[i]: scattered back into a zero array of x's shape (reverse/arrays.py).
defvjp(Syntax("array getitem"), lambda a, index: None, a=lambda c: c.scatter_back(),
       sample=Sample(Array((4, 3)), (slice(1, None), [0, 2, 2])))

# np.sort: the adjoint of each sorted position goes back to the entry sorted there, by
# the inverse of the stable argsort (``take_along_axis`` by the ranks).  At ties the
# function has no derivative; each tied entry then gets the adjoint of one of the
# positions the tied values fill (the earlier entry the earlier position), as JAX does.
defvjp(Function(_np.sort), lambda a, axis=-1, kind=None: None, a=lambda c: _sort_back(c),
       jvp=lambda t: t.sorted_like(), sample=Sample(Array((3, 4)), axis=0))
# np.bincount(x, weights=w): the sum of the weights at each index; back, each weight
# reads its index's cotangent (the output's length depends on the data: data_shapes.py).
defvjp(Function(_np.bincount), lambda x, weights=None, minlength=0: None,
       weights=lambda c: Expr(ast.Subscript(c.g.node, c.arg("x").node, ast.Load())),
       sample=Sample([0, 2, 2, 1], weights=Array((4,)), minlength=4))


def _take_back(c):
    """``np.take(a, indices, axis)``'s adjoint: ``g`` scattered back by the index
    ``a[..., indices]`` (``axis``) or ``a[np.unravel_index(indices, a.shape)]`` (no
    axis), repeated indices accumulating (``np.add.at``)."""
    axis, indices = c.static("axis"), copy.deepcopy(c.bound["indices"])
    if axis is None and c.ndim("a") > 1:
        shape = tuple(c.shape("a"))
        try:
            negative = bool(_np.any(_np.asarray(ast.literal_eval(indices)) < 0))
        except ValueError:
            negative = True                      # a name: maybe
        flat = c.np.mod(Expr(indices), int(_np.prod(shape))) if negative else Expr(indices)
        return c.scatter_back(c.np.unravel_index(flat, Expr(ast.Constant(shape))).node)
    if axis is None or axis % c.ndim("a") == 0:
        return c.scatter_back(indices)
    slices = [ast.Slice() for _ in range(axis % c.ndim("a"))]
    return c.scatter_back(ast.Tuple(slices + [indices], ast.Load()))


# np.take: scattered back with np.add.at, so a repeated index accumulates.
defvjp(Function(_np.take), lambda a, indices, axis=None: None, a=_take_back,
       sample=Sample(Array((3, 4)), [2, 0, 2], axis=1))


def _sort_back(c):
    if "axis" in c.bound and c.static("axis") is None:     # the flattened array, sorted
        ranks = c.np.argsort(c.np.argsort(c.np.ravel(c.arg("a")), kind=_constant("stable")),
                             kind=_constant("stable"))
        return c.reshaped(Expr(ast.Subscript(c.g.node, ranks.node, ast.Load())), "a")
    axis = _constant(c.static("axis", -1))
    ranks = c.np.argsort(c.np.argsort(c.arg("a"), axis=axis, kind=_constant("stable")),
                         axis=axis, kind=_constant("stable"))
    return c.np.take_along_axis(c.g, ranks, axis=axis)


def _is_numpy(function):
    module = getattr(function, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.") or type(function) is _np.ufunc


def is_numpy_row(rule):
    """Whether ``rule`` is one of the NumPy rows above: an ``ArrayRule``, or the partials of
    a NumPy function (tests/test_array_rules.py checks each)."""
    return isinstance(rule, ArrayRule) or isinstance(rule, Partials) and isinstance(
        rule.key, Function) and _is_numpy(rule.key.function)


def is_array_call(callee):
    """Whether a call of ``callee`` is an array call (a NumPy function or an array rule)."""
    try:
        hash(callee)
    except TypeError:
        return False
    return isinstance(lookup(Function(callee)), ArrayRule) or _is_numpy(callee)


# --- optional families ----------------------------------------------------------------
# SciPy's rows (scipy_rules.py) are registered once the user's code has imported SciPy:
# importing scipy.stats for every user would double the time ``import s2sdiff`` takes.
# ``SPELLINGS`` says how messages (and tests) spell a function whose ``__module__`` does
# not (``scipy.special.expit``, ``scipy.stats.norm.logpdf``).
SPELLINGS = {}


def _spelling(function):
    try:
        return SPELLINGS.get(function)
    except TypeError:
        return None


# Loaders of the optional families (optional.py appends them; this module imports none
# of them: the import graph has no cycles), each registering its rows once.
OPTIONAL_LOADERS = []


def load_optional_rows():
    """Register the rows of the optional families whose library the process has imported."""
    for load in OPTIONAL_LOADERS:
        load()
