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

``NONDIFFERENTIABLE`` lists functions whose output is piecewise constant (``floor``,
``round``, ``len``, comparisons): their results are treated as constants, exactly like
JAX does; so is ``stop_gradient`` (the identity, whose result JAX treats as a constant).
A call to anything else with an active argument is a generation-time error, except a call
of a ``custom_vjp``/``custom_jvp`` wrapper, whose rule the user defines (``custom.py``).
"""

import ast
import builtins
import inspect
import math
from dataclasses import dataclass

from .custom import stop_gradient


@dataclass(frozen=True)
class Rule:
    key: object
    forward: object
    partials: object
    domain: tuple = (-2.0, 2.0)

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


def defrule(key, forward, partials, domain=(-2.0, 2.0)):
    RULES[key] = Rule(key, forward, partials, domain)


def lookup(key, n_args):
    """The rule for ``key`` called with ``n_args`` arguments, or None."""
    return RULES.get((key, n_args)) or RULES.get(key)


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
defrule(ast.Div,  lambda m, x, y: x / y,  lambda m, out, x, y: (1 / y, -x / y ** 2))
# d(x**y)/dy = x**y log x, taken as 0 at x = 0 (its limit for y > 0) without a branch:
# log(x + (x == 0)) is log x, or log 1 = 0 where log x would raise.
defrule(ast.Pow,  lambda m, x, y: x ** y,
        lambda m, out, x, y: (y * x ** (y - 1), out * m.log(x + m.is_zero(x))),
        domain=POSITIVE)
defrule(ast.Mod,  lambda m, x, y: m.mod(x, y), lambda m, out, x, y: (1, -m.floor(x / y)),
        domain=POSITIVE)
defrule(ast.USub, lambda m, x: -x, lambda m, out, x: (-1,))
defrule(ast.UAdd, lambda m, x: +x, lambda m, out, x: (1,))

# The sigmoid gate of seed 002: 1 / (1 + exp(-u)) is one primitive whose partial reuses out.
defrule("sigmoid", lambda m, x: 1 / (1 + m.exp(-x)), lambda m, out, x: ((1 - out) * out,))

# math and builtins.
defrule(math.exp,   lambda m, x: m.exp(x),   lambda m, out, x: (out,))
defrule(math.expm1, lambda m, x: m.expm1(x), lambda m, out, x: (m.exp(x),))
defrule(math.log,   lambda m, x: m.log(x),   lambda m, out, x: (1 / x,), domain=POSITIVE)
defrule((math.log, 2), lambda m, x, b: m.log(x, b),
        lambda m, out, x, b: (1 / (x * m.log(b)), -out / (b * m.log(b))), domain=(1.5, 3.0))
defrule(math.log1p, lambda m, x: m.log1p(x), lambda m, out, x: (1 / (1 + x),), domain=POSITIVE)
defrule(math.log2,  lambda m, x: m.log2(x),  lambda m, out, x: (1 / (x * 0.6931471805599453),),
        domain=POSITIVE)                                                    # ln 2
defrule(math.log10, lambda m, x: m.log10(x), lambda m, out, x: (1 / (x * 2.302585092994046),),
        domain=POSITIVE)                                                    # ln 10
defrule(math.sqrt,  lambda m, x: m.sqrt(x),  lambda m, out, x: (0.5 / out,), domain=POSITIVE)
defrule(math.sin,   lambda m, x: m.sin(x),   lambda m, out, x: (m.cos(x),))
defrule(math.cos,   lambda m, x: m.cos(x),   lambda m, out, x: (-m.sin(x),))
defrule(math.tan,   lambda m, x: m.tan(x),   lambda m, out, x: (1 + out ** 2,), domain=(-1.2, 1.2))
# (1 - x) * (1 + x) rather than 1 - x ** 2: no cancellation near |x| = 1.
defrule(math.asin,  lambda m, x: m.asin(x),  lambda m, out, x: (1 / m.sqrt((1 - x) * (1 + x)),), domain=UNIT)
defrule(math.acos,  lambda m, x: m.acos(x),  lambda m, out, x: (-1 / m.sqrt((1 - x) * (1 + x)),), domain=UNIT)
defrule(math.atan,  lambda m, x: m.atan(x),  lambda m, out, x: (1 / (1 + x ** 2),))
defrule(math.atan2, lambda m, y, x: m.atan2(y, x),
        lambda m, out, y, x: (x / (x ** 2 + y ** 2), -y / (x ** 2 + y ** 2)))
defrule(math.sinh,  lambda m, x: m.sinh(x),  lambda m, out, x: (m.cosh(x),))
defrule(math.cosh,  lambda m, x: m.cosh(x),  lambda m, out, x: (m.sinh(x),))
defrule(math.tanh,  lambda m, x: m.tanh(x),  lambda m, out, x: (1 / m.cosh(x) ** 2,))
defrule(math.asinh, lambda m, x: m.asinh(x), lambda m, out, x: (1 / m.sqrt(x ** 2 + 1),))
defrule(math.acosh, lambda m, x: m.acosh(x), lambda m, out, x: (1 / m.sqrt((x - 1) * (x + 1)),),
        domain=(1.1, 3.0))
defrule(math.atanh, lambda m, x: m.atanh(x), lambda m, out, x: (1 / ((1 - x) * (1 + x)),), domain=UNIT)
defrule(math.erf,   lambda m, x: m.erf(x),   lambda m, out, x: (1.1283791670955126 * m.exp(-x ** 2),))
defrule(math.erfc,  lambda m, x: m.erfc(x),  lambda m, out, x: (-1.1283791670955126 * m.exp(-x ** 2),))
defrule(math.pow,   lambda m, x, y: x ** y,  RULES[ast.Pow].partials, domain=POSITIVE)
defrule(builtins.pow, lambda m, x, y: x ** y, RULES[ast.Pow].partials, domain=POSITIVE)
defrule(math.hypot, lambda m, *xs: m.hypot(*xs), lambda m, out, *xs: tuple(x / out for x in xs))
defrule(math.fabs,  lambda m, x: m.fabs(x),  lambda m, out, x: (m.sign(x),))
defrule(builtins.abs, lambda m, x: m.fabs(x), lambda m, out, x: (m.sign(x),))
defrule(builtins.float, lambda m, x: x, lambda m, out, x: (1,))
# Seed 002's convention for max: d max(x, y)/dx = 1(x >= y); at a tie every maximal
# argument receives the full adjoint.  min mirrors it.
defrule(builtins.max, lambda m, *xs: m.max(*xs),
        lambda m, out, *xs: tuple(m.indicator(x >= out) for x in xs))
defrule(builtins.min, lambda m, *xs: m.min(*xs),
        lambda m, out, *xs: tuple(m.indicator(x <= out) for x in xs))

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
                "append": "list.append", "call": "a call of a Python function"}[self.key]

    arity = None


DISPLAY, GETITEM, SETITEM, APPEND = (Structural(k) for k in ("display", "getitem", "setitem", "append"))
CALL = Structural("call")      # a call of the user's own function: differentiated by transformation
