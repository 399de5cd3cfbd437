"""THE rule table: every differentiable primitive and its local partial derivatives.

One row per primitive::

    defrule(key, forward, partials)

* ``key`` is what the normaliser finds in user code: an ``ast`` operator class for
  ``+ - * / ** %`` and unary ``-``/``+``, the function object for calls (``math.exp``,
  ``abs``), ``(function, n_args)`` where the arity changes the rule, or ``"sigmoid"``
  for the fused gate ``1 / (1 + exp(-u))`` of seed 002.
* ``forward(m, *args)`` states the primitive with the namespace ``m``; it is used only
  to check the row against ``sympy.diff``.
* ``partials(m, out, *args)`` returns one local partial per argument; ``out`` is the
  primitive's own forward value, so ``exp`` reuses it.  Reverse mode multiplies each
  partial by the output's adjoint, forward mode by the argument's tangent: both modes
  read this one table.

``m`` is ``build.Namespace`` when generating code (``m.cos(x)`` becomes ``math.cos(x)``,
or ``np.cos(x)`` for NumPy code) and a SymPy namespace when checking.  ``domain`` says
where the automatic SymPy test samples the row.  Adding a primitive touches only this
file; ``tests/test_rules.py`` checks every row against SymPy without new test code.

Domain boundaries.  Partials are written for speed on Python floats, where some raise at
points the forward survives: ``0.5 / out`` for ``sqrt`` at 0, ``x ** (y - 1)`` at 0 or when
it overflows, ``log x`` in d(x ** y)/dy at x < 0, ``1 / sqrt((1 - x)(1 + x))`` at +-1.  No
row tests for them: a gradient that raises ``ZeroDivisionError``, ``OverflowError`` or
``ValueError`` (scalar code; in NumPy code, a partial of Python numbers:
``array_context.partials_may_raise``) runs again as its IEEE version (``api.IEEERetry``),
whose partials spell each ``/``, ``**``, ``//``, ``%`` and ``math`` call ``ieee(...)``
(``runtime.ieee``): the same value where Python computes one, the inf or NaN of NumPy and
JAX where it raises (d sqrt(x)/dx at 0 is inf, d(x ** y)/dy at x < 0 is NaN).  An error of
the forward itself is re-raised as the user's own.  A second derivative of generated code
differentiates, in its own IEEE version, the IEEE version of that code (its ``ieee(...)``
calls are the primitives they spell: ``normalize``), so ``hessian(sqrt)`` at 0 is -inf.
NumPy rows on arrays and NumPy scalars are IEEE already (with
NumPy's RuntimeWarnings).  A zero adjoint times an infinite partial on a path the output
does not depend on is NaN (0 * inf), as in JAX and PyTorch.

``NONDIFFERENTIABLE`` lists functions whose output is piecewise constant (``floor``,
``round``, ``len``, comparisons): their results are treated as constants, exactly like
JAX does; so is ``stop_gradient`` (the identity, whose result JAX treats as a constant).
A call to anything else with an active argument is a generation-time error, except a call
of a ``custom_vjp``/``custom_jvp`` wrapper, whose rule the user defines (``custom.py``).
"""

import ast
import builtins
from ast import Constant
import inspect
import math
from dataclasses import dataclass

from .build import Expr
from .custom import stop_gradient


@dataclass(frozen=True)
class Rule:
    key: object
    forward: object
    partials: object
    domain: tuple = (-2.0, 2.0)
    raises: object = False       # partials may raise where the forward does not (see above)

    @property
    def name(self):
        return rule_name(self.key)

    @property
    def arity(self):
        """Number of arguments, or None for a variadic primitive."""
        params = list(inspect.signature(self.forward).parameters.values())[1:]
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            return None
        return len(params)


RULES = {}
NONDIFFERENTIABLE = set()


def defrule(key, forward, partials, domain=(-2.0, 2.0), raises=False):
    """``raises``: whether the partials may raise on Python floats at a point where the
    forward does not; True, or a predicate of the step's argument nodes."""
    RULES[key] = Rule(key, forward, partials, domain, raises)


def partials_raise(rule, args):
    """Whether the partials of ``rule`` applied to the argument nodes ``args`` may raise
    where the forward does not (then the gradient gets its IEEE retry, api.IEEERetry)."""
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


def lookup(key, n_args):
    """The rule for ``key`` called with ``n_args`` arguments, or None."""
    return RULES.get((key, n_args)) or RULES.get(key) or ARRAY_RULES.get(key)


def rule_name(key):
    if isinstance(key, tuple):
        return f"{rule_name(key[0])} with {key[1]} arguments"
    if isinstance(key, type) and issubclass(key, ast.AST):
        return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
                ast.Mod: "%", ast.USub: "unary -", ast.UAdd: "unary +"}.get(key, key.__name__)
    module = getattr(key, "__module__", None)
    if module in (None, "builtins") or not hasattr(key, "__name__"):
        return getattr(key, "__name__", str(key))
    return f"{module}.{key.__name__}"


POSITIVE = (0.1, 3.0)
UNIT = (-0.9, 0.9)

# Operators.
defrule(ast.Add,  lambda m, x, y: x + y,  lambda m, out, x, y: (1, 1))
defrule(ast.Sub,  lambda m, x, y: x - y,  lambda m, out, x, y: (1, -1))
defrule(ast.Mult, lambda m, x, y: x * y,  lambda m, out, x, y: (y, x))
# -x / y / y rather than -x / y ** 2: y ** 2 overflows (and raises) for |y| > 1e154.
defrule(ast.Div,  lambda m, x, y: x / y,  lambda m, out, x, y: (1 / y, -x / y / y))
# d(x**y)/dx is 0 where y = 0 (x ** 0 is 1 even at x = 0, where 0 * x ** -1 raises).
# d(x**y)/dy = x**y log x, taken as 0 at x = 0 (its limit for y > 0) without a branch:
# log(x + (x == 0)) is log x, or log 1 = 0 where log x would raise.
defrule(ast.Pow,  lambda m, x, y: x ** y,
        lambda m, out, x, y: (m.unless_zero(y, y * x ** (y - 1)), out * m.log(x + m.is_zero(x))),
        domain=POSITIVE, raises=_exponent_may_raise)
# x // y is the quotient % rounds with (x == x // y * y + x % y), and nan rather than an
# error at inf and nan.
defrule(ast.Mod,  lambda m, x, y: m.mod(x, y), lambda m, out, x, y: (1, -(x // y)),
        domain=POSITIVE)
defrule(ast.USub, lambda m, x: -x, lambda m, out, x: (-1,))
defrule(ast.UAdd, lambda m, x: +x, lambda m, out, x: (1,))

# The sigmoid gate of seed 002: 1 / (1 + exp(-u)) is one primitive whose partial reuses out.
# Seed 002's out * (1 - out), except where out nears 1 and 1 - out loses its digits (0.0
# above x = 37): there 1 - out is written exp(-x) * out (with e = exp(-x), 1 - 1 / (1 + e)
# is e / (1 + e) exactly).  The switch at out = 3/4 is where the two forms' worst errors
# cross, about 2 units in the last place each (measured against mpmath).
defrule("sigmoid", lambda m, x: 1 / (1 + m.exp(-x)),
        lambda m, out, x: (out * m.where(out < 0.75, 1 - out, m.exp(-x) * out),))

# math and builtins.
defrule(math.exp,   lambda m, x: m.exp(x),   lambda m, out, x: (out,))
defrule(math.expm1, lambda m, x: m.expm1(x), lambda m, out, x: (m.exp(x),))
defrule(math.log,   lambda m, x: m.log(x),   lambda m, out, x: (1 / x,), domain=POSITIVE)
defrule((math.log, 2), lambda m, x, b: m.log(x, b),
        lambda m, out, x, b: (1 / x / m.log(b), -out / b / m.log(b)), domain=(1.5, 3.0))
defrule(math.log1p, lambda m, x: m.log1p(x), lambda m, out, x: (1 / (1 + x),), domain=POSITIVE)
defrule(math.log2,  lambda m, x: m.log2(x),  lambda m, out, x: (1.4426950408889634 / x,),
        domain=POSITIVE)                                                    # 1 / ln 2
defrule(math.log10, lambda m, x: m.log10(x), lambda m, out, x: (0.4342944819032518 / x,),
        domain=POSITIVE)                                                    # 1 / ln 10
defrule(math.sqrt,  lambda m, x: m.sqrt(x),  lambda m, out, x: (0.5 / out,), domain=POSITIVE,
        raises=True)                                                        # at 0
defrule(math.sin,   lambda m, x: m.sin(x),   lambda m, out, x: (m.cos(x),))
defrule(math.cos,   lambda m, x: m.cos(x),   lambda m, out, x: (-m.sin(x),))
defrule(math.tan,   lambda m, x: m.tan(x),   lambda m, out, x: (1 + out ** 2,), domain=(-1.2, 1.2))
# (1 - x) * (1 + x) rather than 1 - x ** 2: no cancellation near |x| = 1.
defrule(math.asin,  lambda m, x: m.asin(x),  lambda m, out, x: (1 / m.sqrt((1 - x) * (1 + x)),),
        domain=UNIT, raises=True)                                           # at +-1
defrule(math.acos,  lambda m, x: m.acos(x),  lambda m, out, x: (-1 / m.sqrt((1 - x) * (1 + x)),),
        domain=UNIT, raises=True)
# 1 / hypot(1, x) squared, not 1 / (1 + x * x): x * x overflows above 1.3e154.
defrule(math.atan,  lambda m, x: m.atan(x),  lambda m, out, x: ((1 / m.hypot(1, x)) ** 2,))
defrule(math.atan2, lambda m, y, x: m.atan2(y, x),
        lambda m, out, y, x: (x / m.hypot(y, x) / m.hypot(y, x), -y / m.hypot(y, x) / m.hypot(y, x)),
        raises=True)                                                        # at (0, 0)
defrule(math.sinh,  lambda m, x: m.sinh(x),  lambda m, out, x: (m.cosh(x),))
defrule(math.cosh,  lambda m, x: m.cosh(x),  lambda m, out, x: (m.sinh(x),))
# sech(x) ** 2 as cosh(x) ** -2: exact where tanh(x) rounds to +-1 (unlike 1 - out ** 2),
# and it underflows where 1 / cosh(x) ** 2 raises OverflowError (|x| > 355); cosh itself
# overflows only above 710, where the derivative is 0.0 in floats.
defrule(math.tanh,  lambda m, x: m.tanh(x),
        lambda m, out, x: (m.where(m.abs(x) > 710, 0.0, m.cosh(x) ** -2),))
defrule(math.asinh, lambda m, x: m.asinh(x), lambda m, out, x: (1 / m.hypot(x, 1),))
# Two square roots: (x - 1) * (x + 1) overflows above 1.3e154, where the partial is 1 / x.
defrule(math.acosh, lambda m, x: m.acosh(x), lambda m, out, x: (1 / m.sqrt(x - 1) / m.sqrt(x + 1),),
        domain=(1.1, 3.0), raises=True)                                     # at 1
defrule(math.atanh, lambda m, x: m.atanh(x), lambda m, out, x: (1 / ((1 - x) * (1 + x)),), domain=UNIT)
# x * x, not x ** 2: float ** raises OverflowError where * gives inf (and exp(-inf) is 0).
defrule(math.erf,   lambda m, x: m.erf(x),   lambda m, out, x: (1.1283791670955126 * m.exp(-x * x),))
defrule(math.erfc,  lambda m, x: m.erfc(x),  lambda m, out, x: (-1.1283791670955126 * m.exp(-x * x),))
defrule(math.pow,   lambda m, x, y: x ** y,  RULES[ast.Pow].partials, domain=POSITIVE,
        raises=_exponent_may_raise)
defrule(builtins.pow, lambda m, x, y: x ** y, RULES[ast.Pow].partials, domain=POSITIVE,
        raises=_exponent_may_raise)
defrule(math.hypot, lambda m, *xs: m.hypot(*xs), lambda m, out, *xs: tuple(x / out for x in xs),
        raises=True)                                                        # at 0
defrule(math.fabs,  lambda m, x: m.fabs(x),  lambda m, out, x: (m.sign(x),))
defrule(builtins.abs, lambda m, x: m.fabs(x), lambda m, out, x: (m.sign(x),))
defrule(builtins.float, lambda m, x: x, lambda m, out, x: (1,))
# max and min: seed 002's indicator 1(x >= y), except at exact ties, where the k arguments
# equal to the result share the adjoint evenly (1/k each, as JAX, autograd and PyTorch do):
# max(x, x) differentiates to 1, max(x, 3.0) to 1/2 at x = 3.  Each share is a valid
# subgradient.  Both rows read the same ``m.tied_share`` (equality with ``out``).  A NaN
# result gives NaN partials.
defrule(builtins.max, lambda m, *xs: m.max(*xs),
        lambda m, out, *xs: tuple(m.tied_share(out, xs, i) for i in range(len(xs))))
defrule(builtins.min, lambda m, *xs: m.min(*xs),
        lambda m, out, *xs: tuple(m.tied_share(out, xs, i) for i in range(len(xs))))

NONDIFFERENTIABLE_RULE = "nondifferentiable"
NONDIFFERENTIABLE.update({
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    builtins.round, builtins.int, builtins.bool, builtins.len, builtins.print,
    builtins.range, builtins.isinstance, builtins.type,
    stop_gradient,
})

# A plain copy ``a = b`` (tuple unpacking, reassigned names) is the identity primitive.
defrule("copy", lambda m, x: x, lambda m, out, x: (1,))

# Functions that make ``1 / (1 + f(-u))`` the sigmoid gate.
EXP_FUNCTIONS = [math.exp]


# --- structure: building and reading sequences ----------------------------------------

@dataclass(frozen=True)
class Structural:
    """A primitive without a row of partials.  Most move values rather than compute them:
    ``[a, b]`` and ``(a, b)`` (key ``"display"``), ``xs[i]`` (``"getitem"``),
    ``v[i] = e`` (``"setitem"``) and ``v.append(e)`` (``"append"``), whose adjoints are
    written out element by element by ``reverse`` and ``forward``; ``"call"`` is a call of
    the user's own Python function, whose derivative is generated code of its own."""
    key: str

    @property
    def name(self):
        return {"display": "a list display", "getitem": "indexing", "setitem": "element assignment",
                "append": "list.append", "call": "a call of a Python function",
                "array setitem": "assignment into an array"}[self.key]

    arity = None


# ----------------------------------------------------------------------------------------
# Arrays (NumPy).  Two kinds of rows:
#
# * elementwise NumPy functions are ordinary rows above (local partials, checked against
#   SymPy by tests/test_rules.py like every other row); reverse mode multiplies each
#   partial by the adjoint and sums over broadcast axes (``reverse/arrays.py``);
# * linear algebra, reductions, shape changes and indexing are ``ArrayRule`` rows in
#   ``ARRAY_RULES``, in the manner of autograd's ``defvjp``: one vector-Jacobian product
#   per differentiable argument, ``vjp(c)`` where ``c`` (``array_context.RuleContext``) gives the
#   adjoint ``c.g``, the output ``c.out``, the arguments ``c.arg("a")``, static values
#   ``c.static("axis")``, shapes ``c.shape("a")`` and the NumPy namespace ``c.np``.
#   ``signature`` is a stub whose parameters name the call's arguments; ``operands`` are
#   the differentiable ones (the others must not depend on the differentiated inputs).
# ----------------------------------------------------------------------------------------

import numpy as _np  # noqa: E402


@dataclass(frozen=True)
class ArrayRule:
    key: object
    signature: object
    vjps: dict
    label: str = None

    @property
    def name(self):
        return self.label or rule_name(self.key)

    @property
    def operands(self):
        return tuple(self.vjps)

    arity = None


DISPLAY, GETITEM, SETITEM, APPEND = (Structural(k) for k in ("display", "getitem", "setitem", "append"))
CALL = Structural("call")      # a call of the user's own function: differentiated by transformation
ARRAY_SETITEM = Structural("array setitem")   # a[idx] = e on an array, in place (reverse/arrays.py)


ARRAY_RULES = {}


def defvjp(key, signature, label=None, **vjps):
    ARRAY_RULES[key] = ArrayRule(key, signature, vjps, label)


def _elementwise(np_function, scalar_key, forward=None, partials=None, domain=None):
    row = RULES[scalar_key]
    defrule(np_function, forward or row.forward, partials or row.partials, domain or row.domain,
            row.raises)


for _f, _k in ((_np.exp, math.exp), (_np.log, math.log), (_np.log1p, math.log1p),
               (_np.sqrt, math.sqrt), (_np.sin, math.sin), (_np.cos, math.cos),
               (_np.tan, math.tan), (_np.sinh, math.sinh), (_np.cosh, math.cosh),
               (_np.expm1, math.expm1), (_np.arctan, math.atan), (_np.log2, math.log2),
               (_np.log10, math.log10)):
    _elementwise(_f, _k)
# sech(x) ** 2 = (1 - |out|)(1 + |out|) = exp(-2|x|)(1 + |out|) ** 2: exact where out rounds
# to +-1 (unlike 1 - out ** 2), never overflows (cosh does above 710, with a warning), and
# one exp costs less than np.cosh.
_elementwise(_np.tanh, math.tanh,
             partials=lambda m, out, x: (m.exp(-2 * m.abs(x)) * (1 + m.abs(out)) ** 2,))
_elementwise(_np.abs, builtins.abs)
_elementwise(_np.power, ast.Pow)
_elementwise(_np.maximum, builtins.max, forward=lambda m, x, y: m.max(x, y))
_elementwise(_np.minimum, builtins.min, forward=lambda m, x, y: m.min(x, y))
defrule(_np.square, lambda m, x: x ** 2, lambda m, out, x: (2 * x,))
defrule(_np.negative, lambda m, x: -x, lambda m, out, x: (-1,))
defrule(_np.reciprocal, lambda m, x: 1 / x, lambda m, out, x: (-out ** 2,), domain=POSITIVE)
EXP_FUNCTIONS.append(_np.exp)

# Constructors whose values do not depend on the values of their arguments.  np.arange
# (whose length depends on them), np.linspace, np.full and np.full_like are not here:
# the last three have rows below, np.arange fails if its arguments are differentiated.
NONDIFFERENTIABLE.update({
    _np.zeros, _np.ones, _np.eye, _np.identity, _np.zeros_like,
    _np.ones_like, _np.empty, _np.empty_like, _np.shape, _np.ndim,
    _np.size, _np.argmax, _np.argmin, _np.argsort, _np.floor, _np.ceil, _np.round,
    _np.rint, _np.sign, _np.isnan, _np.isinf, _np.isfinite, _np.all, _np.any,
    _np.logical_and, _np.logical_or, _np.logical_not, _np.greater, _np.less,
    _np.equal, _np.not_equal, _np.tri, _np.triu_indices, _np.tril_indices, _np.nonzero,
})


def _einsum(c, spec, *operands):
    return c.np.einsum(Expr(Constant(spec)), *operands)


def _matmul_a(c):
    a, b, g = c.ndim("a"), c.ndim("b"), c.g
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
        if max(c.ndim("a"), c.ndim("b")) > 2:
            c.refuse("np.dot of arrays with more than 2 dimensions", "Use @ (np.matmul).")
        return matmul(c)
    return vjp


_MATMUL = dict(a=_matmul_a, b=_matmul_b)
_DOT = dict(a=_dot("a", "b", _matmul_a), b=_dot("b", "a", _matmul_b))
defvjp(ast.MatMult, lambda a, b: None, label="@", **_MATMUL)
defvjp(_np.matmul, lambda a, b: None, **_MATMUL)
defvjp(_np.dot, lambda a, b: None, **_DOT)
defvjp("method dot", lambda a, b: None, label=".dot", **_DOT)
defvjp(_np.outer, lambda a, b: None,
       a=lambda c: c.reshaped(c.g @ c.raveled("b"), "a"),
       b=lambda c: c.reshaped(c.raveled("a") @ c.g, "b"))
defvjp(_np.trace, lambda a: None, a=lambda c: c.g_lazy * c.np.eye(*c.shape("a")))
defvjp(_np.inner, lambda a, b: None,
       a=lambda c: c.g * c.arg("b") if c.ndim("a") == 1 == c.ndim("b") else c.refuse(
           "np.inner of arrays that are not vectors", "Use @."),
       b=lambda c: c.g * c.arg("a"))

# Shape changes: the adjoint goes back through the inverse change (views, no copies).
defvjp("attribute T", lambda a: None, label=".T", a=lambda c: c.g.T)
defvjp(_np.transpose, lambda a, axes=None: None, a=lambda c: c.transposed_back())
defvjp("method transpose", lambda a, *axes: None, label=".transpose",
       a=lambda c: c.transposed_back())
defvjp(_np.reshape, lambda a, newshape=None, order="C", shape=None: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp("method reshape", lambda a, *shape, order="C": None, label=".reshape",
       a=lambda c: c.reshaped(c.g, "a"))
defvjp(_np.ravel, lambda a: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp("method ravel", lambda a: None, label=".ravel", a=lambda c: c.reshaped(c.g, "a"))
defvjp("method flatten", lambda a: None, label=".flatten", a=lambda c: c.reshaped(c.g, "a"))
defvjp(_np.squeeze, lambda a, axis=None: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp(_np.expand_dims, lambda a, axis: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp(_np.atleast_1d, lambda a: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp(_np.atleast_2d, lambda a: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp(_np.atleast_3d, lambda a: None, a=lambda c: c.reshaped(c.g, "a"))
defvjp("method copy", lambda a: None, label=".copy", a=lambda c: c.g)
defvjp(_np.copy, lambda a: None, a=lambda c: c.g)
defvjp(_np.array, lambda a, dtype=None: None, a=lambda c: c.g)
defvjp(_np.asarray, lambda a, dtype=None: None, a=lambda c: c.g)
defvjp(_np.concatenate, lambda arrays, axis=0: None, arrays=lambda c: c.split_back(stacked=False))
defvjp(_np.stack, lambda arrays, axis=0: None, arrays=lambda c: c.split_back(stacked=True))

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


defvjp(_np.linspace, lambda start, stop, num=50, endpoint=True, retstep=False, dtype=None,
       axis=0: None, start=_linspace("start"), stop=_linspace("stop"))
defvjp(_np.full, lambda shape, fill_value, dtype=None, order="C": None, fill_value=_fill)
defvjp(_np.full_like, lambda a, fill_value, dtype=None, order="K", subok=True, shape=None: None,
       a=lambda c: None, fill_value=_fill)   # a gives the shape (and dtype) only

# Reductions, with axis and keepdims: the adjoint is spread back over the reduced axes.
_REDUCE = lambda a, axis=None, keepdims=False: None  # noqa: E731
for _key, _vjp in ((_np.sum, lambda c: c.spread(c.g_lazy)),
                   (_np.mean, lambda c: c.spread(c.g_lazy / c.reduced_size())),
                   (_np.max, lambda c: c.spread_to_extrema()),
                   (_np.min, lambda c: c.spread_to_extrema()),
                   (_np.prod, lambda c: c.spread(c.g, keep_out=True) * c.prod_of_others())):
    defvjp(_key, _REDUCE, a=_vjp)
    defvjp(f"method {_key.__name__}", _REDUCE, label=f".{_key.__name__}", a=_vjp)
defvjp(_np.amax, _REDUCE, a=lambda c: c.spread_to_extrema())
defvjp(_np.amin, _REDUCE, a=lambda c: c.spread_to_extrema())
defvjp(_np.linalg.norm, lambda x, ord=None, axis=None, keepdims=False: None,
       x=lambda c: c.norm_back())

# Elementwise choices whose condition or bounds are constants.
defvjp(_np.where, lambda condition, x, y: None,
       x=lambda c: c.sum_to(c.np.where(c.arg("condition"), c.g, 0.0), c.out_shape, "x"),
       y=lambda c: c.sum_to(c.np.where(c.arg("condition"), 0.0, c.g), c.out_shape, "y"))
defvjp(_np.clip, lambda a, a_min, a_max: None, a=lambda c: c.clip_back())
defvjp("method clip", lambda a, min=None, max=None: None, label=".clip", a=lambda c: c.clip_back())

# Indexing reads x[i]: scattered back into a zero array of x's shape (reverse/arrays.py).
defvjp("index", lambda a, index: None, label="indexing", a=lambda c: c.scatter_back())

# Methods whose result does not depend on the values (x.shape, x.ndim, len(x)...).
CONSTANT_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}


def is_array_row(key):
    """Whether the row is one of the NumPy rows above (covered by tests/test_arrays.py)."""
    return type(key) is _np.ufunc or getattr(key, "__module__", "").startswith("numpy")


def is_array_call(callee):
    """Whether a call of ``callee`` is an array call (a NumPy function or an array rule)."""
    try:
        if callee in ARRAY_RULES:
            return True
    except TypeError:
        return False
    module = getattr(callee, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.") or type(callee) is _np.ufunc
