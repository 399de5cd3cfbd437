"""SciPy's rows of the rule table: ``scipy.special`` and the densities of ``scipy.stats``.

``rules.py`` imports this module once the process has imported SciPy (an optional
extra); nothing here runs without it.  Three kinds of rows, all read by both modes:

* the elementwise ufuncs of ``scipy.special`` (``expit``, ``erfinv``, ``gammaln``, the
  Bessel functions...) are ``Partials`` rows like NumPy's: tests/test_rules.py checks them
  against SymPy and tests/test_array_rules.py against central differences;
* the functions of ``scipy.stats`` distributions (``norm.logpdf(x, loc=mu, scale=s)``)
  and the ``scipy.special`` functions with a constant order (``polygamma(n, x)``,
  ``jv(v, x)``) are elementwise too, but take keywords and constants: ``Elementwise``
  rows, array rows whose vector-Jacobian products and tangents are built from one
  ``partials(m, out, *args)`` per function (one per parameter, None for a constant).
  Each also has a scalar form (``SCALAR_FORMS``, some parameters fixed to keep SymPy
  inside the function's domain) that tests/test_scipy.py checks against SymPy;
* ``logsumexp``, ``softmax``, ``log_softmax``, ``multivariate_normal`` and ``dirichlet``
  are array rows written out.

A parameter whose partial has no closed form (the shape ``a`` of ``gamma.cdf``) is a
constant of its row: differentiating it is a generation-time error that says so, never
a numerical derivative.
"""

import ast
import copy
import functools
import inspect
import operator
import types
from dataclasses import dataclass, field

import numpy as np
import scipy.special as _sp
import scipy.stats as _st
import sympy

from . import rules, runtime
from .array_context import ArrayNamespace, attribute_node
from .build import Expr, as_node
from .errors import UnsupportedError
from .ir import atom_key
from .kinds import node_kind
from .listing import Line, assign
from .modules import _IEEE
from .rules import (Array, ArrayRule, Function, Key, Partials, Sample, defrule, defvjp,
                    SPELLINGS)
from .symbolic import SYMPY

POSITIVE = (0.1, 3.0)
LOG_SQRT_2PI = 0.9189385332046727        # log(sqrt(2 pi))
INV_SQRT_2PI = 0.3989422804014327        # 1 / sqrt(2 pi)
SQRT_PI_2 = 0.886226925452758            # sqrt(pi) / 2
TWO_SQRT_PI = 1.1283791670955126         # 2 / sqrt(pi)


@dataclass(frozen=True)
class _Within(Array):
    domain: tuple = (-2.0, 2.0)


def Within(shape, domain):
    """A random argument of a ``Sample`` of ``shape`` drawn uniformly from ``domain`` (a
    positive scale, a probability)."""
    return _Within(shape, float, domain=tuple(domain))


# --- scipy.special spelled in SymPy (the checks) and in generated code -------------------

def _bessel(kind, order):
    return lambda x: kind(order, x)


_SYMPY_SPECIAL = types.SimpleNamespace(
    expit=lambda x: 1 / (1 + sympy.exp(-x)), logit=lambda p: sympy.log(p / (1 - p)),
    erf=sympy.erf, erfc=sympy.erfc, erfinv=sympy.erfinv, erfcinv=lambda y: sympy.erfinv(1 - y),
    gammaln=sympy.loggamma, gamma=sympy.gamma, digamma=sympy.digamma,
    polygamma=sympy.polygamma, xlogy=lambda x, y: x * sympy.log(y),
    xlog1py=lambda x, y: x * sympy.log(1 + y),
    j0=_bessel(sympy.besselj, 0), j1=_bessel(sympy.besselj, 1), jv=sympy.besselj,
    y0=_bessel(sympy.bessely, 0), y1=_bessel(sympy.bessely, 1), yv=sympy.bessely,
    yn=sympy.bessely, i0=_bessel(sympy.besseli, 0), i1=_bessel(sympy.besseli, 1),
    iv=sympy.besseli,
    i0e=lambda x: sympy.exp(-sympy.Abs(x)) * sympy.besseli(0, x),
    i1e=lambda x: sympy.exp(-sympy.Abs(x)) * sympy.besseli(1, x),
    ive=lambda v, x: sympy.exp(-sympy.Abs(x)) * sympy.besseli(v, x),
    betaln=lambda a, b: sympy.loggamma(a) + sympy.loggamma(b) - sympy.loggamma(a + b),
    beta=lambda a, b: sympy.gamma(a) * sympy.gamma(b) / sympy.gamma(a + b),
    gammainc=lambda a, x: sympy.lowergamma(a, x) / sympy.gamma(a),
    gammaincc=lambda a, x: sympy.uppergamma(a, x) / sympy.gamma(a),
    betainc=lambda a, b, x: sympy.betainc_regularized(a, b, 0, x),
    sign=sympy.sign, abs=sympy.Abs,
)


def _special(m):
    """``scipy.special`` for the namespace ``m``: SymPy's stand-ins when checking, else the
    module as generated code names it (``special.digamma(x)``)."""
    return _SYMPY_SPECIAL if m is SYMPY else m.module(_sp)


def _sign(m, x):
    return sympy.sign(x) if m is SYMPY else m.sign(x)


def _spell(function, spelling):
    SPELLINGS[function] = spelling
    return function


# --- elementwise ufuncs: Partials rows --------------------------------------------------

def _ufunc(name, forward, partials, domain=(-2.0, 2.0)):
    function = _spell(getattr(_sp, name), f"scipy.special.{name}")
    defrule(Function(function), forward, partials, domain)


_ufunc("expit", lambda m, x: _special(m).expit(x),
       lambda m, out, x: (out * _special(m).expit(-x),))        # 1 - out, without cancelling
_ufunc("logit", lambda m, p: _special(m).logit(p),
       lambda m, out, p: (1 / p + 1 / (1 - p),), domain=(0.05, 0.95))
_ufunc("erf", lambda m, x: _special(m).erf(x),
       lambda m, out, x: (TWO_SQRT_PI * m.exp(-x * x),))
_ufunc("erfc", lambda m, x: _special(m).erfc(x),
       lambda m, out, x: (-TWO_SQRT_PI * m.exp(-x * x),))
_ufunc("erfinv", lambda m, y: _special(m).erfinv(y),
       lambda m, out, y: (SQRT_PI_2 * m.exp(out * out),), domain=(-0.9, 0.9))
_ufunc("erfcinv", lambda m, y: _special(m).erfcinv(y),
       lambda m, out, y: (-SQRT_PI_2 * m.exp(out * out),), domain=(0.1, 1.9))
_ufunc("gammaln", lambda m, x: _special(m).gammaln(x),
       lambda m, out, x: (_special(m).digamma(x),), domain=POSITIVE)
_ufunc("gamma", lambda m, x: _special(m).gamma(x),
       lambda m, out, x: (out * _special(m).digamma(x),), domain=POSITIVE)
_ufunc("digamma", lambda m, x: _special(m).digamma(x),
       lambda m, out, x: (_special(m).polygamma(1, x),), domain=POSITIVE)
_ufunc("xlogy", lambda m, x, y: _special(m).xlogy(x, y),
       lambda m, out, x, y: (m.log(y), x / y), domain=POSITIVE)
_ufunc("xlog1py", lambda m, x, y: _special(m).xlog1py(x, y),
       lambda m, out, x, y: (m.log1p(y), x / (1 + y)), domain=POSITIVE)
_ufunc("entr", lambda m, x: -x * m.log(x),
       lambda m, out, x: (-m.log(x) - 1,), domain=POSITIVE)
_ufunc("betaln", lambda m, a, b: _special(m).betaln(a, b),
       lambda m, out, a, b: (_special(m).digamma(a) - _special(m).digamma(a + b),
                             _special(m).digamma(b) - _special(m).digamma(a + b)),
       domain=POSITIVE)
_ufunc("beta", lambda m, a, b: _special(m).beta(a, b),
       lambda m, out, a, b: (out * (_special(m).digamma(a) - _special(m).digamma(a + b)),
                             out * (_special(m).digamma(b) - _special(m).digamma(a + b))),
       domain=POSITIVE)
# Bessel functions: J0' = -J1, J1' = (J0 - J2) / 2 (no 1/x, so finite at 0), likewise Y;
# I0' = I1, I1' = (I0 + I2) / 2; the scaled I0e = exp(-|x|) I0 adds -sign(x) out.
_ufunc("j0", lambda m, x: _special(m).j0(x), lambda m, out, x: (-_special(m).j1(x),))
_ufunc("j1", lambda m, x: _special(m).j1(x),
       lambda m, out, x: ((_special(m).j0(x) - _special(m).jv(2, x)) / 2,))
_ufunc("y0", lambda m, x: _special(m).y0(x), lambda m, out, x: (-_special(m).y1(x),),
       domain=POSITIVE)
_ufunc("y1", lambda m, x: _special(m).y1(x),
       lambda m, out, x: ((_special(m).y0(x) - _special(m).yv(2, x)) / 2,), domain=POSITIVE)
_ufunc("i0", lambda m, x: _special(m).i0(x), lambda m, out, x: (_special(m).i1(x),))
_ufunc("i1", lambda m, x: _special(m).i1(x),
       lambda m, out, x: ((_special(m).i0(x) + _special(m).iv(2, x)) / 2,))
_ufunc("i0e", lambda m, x: _special(m).i0e(x),
       lambda m, out, x: (_special(m).i1e(x) - _sign(m, x) * out,))
_ufunc("i1e", lambda m, x: _special(m).i1e(x),
       lambda m, out, x: ((_special(m).i0e(x) + _special(m).ive(2, x)) / 2
                          - _sign(m, x) * out,))


# --- elementwise rows with keywords and constants ---------------------------------------

@dataclass(frozen=True)
class ScalarForm(Key):
    """The key of an ``Elementwise`` row's scalar form: checked, never looked up."""
    label: str

    @property
    def name(self):
        return self.label


@dataclass(frozen=True)
class Elementwise(ArrayRule):
    """An elementwise function whose call binds keywords and defaults (``signature``):
    ``partials(m, out, *args)`` gives one partial per parameter in signature order (None
    for a constant, whose ``constant_hints`` entry says why).  Its vjps and tangent are
    built from them (``_vjp``, ``_jvp``); ``forward(m, *args)`` is the function in SymPy."""
    forward: object = None
    partials: object = None
    defaults: dict = field(default_factory=dict)
    constant_hints: dict = field(default_factory=dict)


SCALAR_FORMS = []
"""``Partials`` rows of the ``Elementwise`` rows' scalar forms, for the SymPy check."""


def _arguments(row, bound, argument):
    """The row's arguments in signature order: ``argument(name)`` for those the call
    passes, the defaults (numbers) for the others."""
    return [argument(p) if p in bound else row.defaults[p]
            for p in inspect.signature(row.signature).parameters]


def _vjp(index, name):
    def vjp(c):
        row = c.rule
        m = getattr(c, "_scipy_lines", None)
        if m is None:
            m = c._scipy_lines = _Lines(c)
        partial = row.partials(m, c.out, *_arguments(row, c.bound, c.arg))[index]
        partial = _ieee(c.backprop.modules, c.step, c.bound, c.np.alias, partial)
        return c.sum_to(partial * c.g, c.out_shape, name)
    return vjp


class _Lines(ArrayNamespace):
    """The ``m`` of an ``Elementwise`` row's vjps: NumPy's, with ``m.named(hint, value)``
    giving a value the partials of several operands share (``z = (x - loc) / scale``) a
    line and a name of its own in the reverse sweep, once per step."""

    def __init__(self, c):
        super().__init__(c.np.ns)
        self.c, self.names = c, {}

    def named(self, hint, value):
        key = ast.dump(value.node)
        if key not in self.names:
            c = self.c
            value = _ieee(c.backprop.modules, c.step, c.bound, c.np.alias, value)
            self.names[key] = _named(c, hint, value)
        return self.names[key]


def _named_in(m, hint, value):
    """``value``, named in the reverse sweep where ``m`` can (``_Lines``)."""
    return m.named(hint, value) if isinstance(m, _Lines) and isinstance(value, Expr) else value


def _ieee(modules, step, bound, alias, partial):
    """``partial``, spelled with ``ieee(...)`` in the IEEE version of the gradient where
    the call's arguments are all Python numbers: their arithmetic raises
    (ZeroDivisionError at scale 0) where NumPy's gives inf or NaN, as the forward does
    (``pipeline.IEEERetry``, as for the scalar rows)."""
    program = modules.program
    for node in bound.values():
        for atom in ast.walk(node):
            if atom_key(atom) is not None:
                kind = node_kind(program.kinds, atom)
                if kind is None or kind.array or kind.exact not in (float, int, bool):
                    return partial
    program.partials_raise = True
    if not getattr(program, "ieee", False):
        return partial
    return Expr(_Operators(modules.helper(runtime.ieee), alias).visit(copy.deepcopy(partial.node)))


class _Operators(_IEEE):
    """``a / b`` as ``ieee('/', a, b)``; NumPy's functions, which do not raise, as they are."""

    def visit_Call(self, node):
        self.generic_visit(node)
        return node


def _jvp(t):
    row, step = t.step.rule, t.step
    m = ArrayNamespace(t.np)
    arguments = _arguments(row, t.bound, lambda p: Expr(t._whole(p)[0]))
    partials = [None if p is None else _ieee(t.modules, step, t.bound, t.np.alias, p)
                for p in row.partials(m, Expr.name(step.target), *arguments)]
    terms = []
    for parameter, partial in zip(inspect.signature(row.signature).parameters, partials):
        if parameter not in t.operands:
            continue
        _, tangent = t._whole(parameter)
        if tangent is not None:
            terms.append(partial * Expr(tangent))
    if not terms:
        return t.np.zeros_like(Expr.name(step.target)).node
    value = functools.reduce(operator.add, terms)
    # a tangent has its value's shape: spread it where its terms do not read every argument
    read = {n.id for n in ast.walk(value.node) if isinstance(n, ast.Name)}
    arguments = {a.id for node in t.bound.values() for a in ast.walk(node)
                 if isinstance(a, ast.Name)}
    if step.target in read or arguments <= read:
        return value.node
    return t.np.full(Expr(attribute_node(step.target, "shape")), value).node


def elementwise(function, spelling, signature, forward, partials, sample, scalar,
                hints=None, constants=None):
    """The ``Elementwise`` row of ``function`` (``spelling`` in messages), and its scalar
    form: ``scalar`` maps each parameter fixed in it to its value (the others are SymPy
    symbols drawn from ``scalar["domain"]``)."""
    _spell(function, spelling)
    parameters = inspect.signature(signature).parameters
    defaults = {p: v.default for p, v in parameters.items() if v.default is not v.empty}
    if constants is None:          # the parameters whose partial is None
        probe = partials(SYMPY, sympy.Symbol("out"), *sympy.symbols(f"p0:{len(parameters)}"))
        constants = [p for p, d in zip(parameters, probe) if d is None]
    operands = [p for p in parameters if p not in constants]
    hints = hints or {}
    vjps = {p: _vjp(list(parameters).index(p), p) for p in operands}
    row = Elementwise(Function(function), signature, vjps, sample, _jvp, forward, partials,
                      defaults, hints)
    rules._add(row)
    _scalar_form(row, spelling, scalar, list(parameters), operands)


def _scalar_form(row, spelling, scalar, parameters, operands):
    scalar = dict(scalar)
    domain = scalar.pop("domain", (0.5, 2.0))
    free = [p for p in parameters if p not in scalar and p in operands]

    def full(args):
        values = dict(zip(free, args))
        return [values.get(p, scalar.get(p, row.defaults.get(p))) for p in parameters]

    def forward(m, *args):
        return row.forward(m, *full(args))

    def partials(m, out, *args):
        every = row.partials(m, out, *full(args))
        return tuple(every[parameters.index(p)] for p in free)

    params = [inspect.Parameter("m", inspect.Parameter.POSITIONAL_ONLY)] + [
        inspect.Parameter(f"x{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(len(free))]
    forward.__signature__ = inspect.Signature(params)
    fixed = ", ".join(f"{k}={v}" for k, v in scalar.items())
    label = f"{spelling} in {', '.join(free)}" + (f" ({fixed})" if fixed else "")
    SCALAR_FORMS.append(Partials(ScalarForm(label), forward, partials, domain))


def _standard(x, loc, scale):
    """``(x - loc) / scale``, without ``- 0.0`` or ``/ 1.0`` for the defaults."""
    z = x if _is(loc, 0) else x - loc
    return z if _is(scale, 1) else z / scale


def _per_scale(value, scale):
    return value if _is(scale, 1) else value / scale


def _neg(value):
    """``-value``, with ``-(-u / s)`` written ``u / s`` (generated code is read)."""
    if isinstance(value, Expr):
        node = value.node
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return Expr(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)) \
                and isinstance(node.left, ast.UnaryOp) and isinstance(node.left.op, ast.USub):
            return Expr(ast.BinOp(node.left.operand, node.op, node.right))
    return -value


def _signed(sign, value):
    return value if sign > 0 else -value


def _is(value, number):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == number


def _log_scale(m, scale):
    return 0 if _is(scale, 1) else m.log(scale)


# Location-scale families: with z = (x - loc) / scale, d/dx = f'(z) / scale,
# d/dloc = -d/dx and d/dscale = -z d/dx.  ``_family`` gives every function of the family
# (logpdf, pdf, cdf, logcdf, sf, logsf) from its standardised log density ``logpdf(m, z,
# *shapes)`` (without the -log scale), its derivative in z and in each shape, and its cdf
# in SymPy; the cdf's partials in the shapes have no closed form.
def _family(name, shapes, log_density, d_log_density, cdf, sample, cdf_sample, scalar,
            scalar_cdf):
    distribution = getattr(_st, name)
    shape_params = [inspect.Parameter(s, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                    for s in shapes]
    signature = lambda: None  # noqa: E731
    signature.__signature__ = inspect.Signature(
        [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + shape_params + [
            inspect.Parameter("loc", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=0.0),
            inspect.Parameter("scale", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1.0)])

    def logpdf(m, x, *rest):
        *shape_values, loc, scale = rest
        return log_density(m, _standard(x, loc, scale), *shape_values) - _log_scale(m, scale)

    def local(m, x, rest):
        *shape_values, loc, scale = rest
        z = _named_in(m, "z", _standard(x, loc, scale))
        dz, *dshapes = d_log_density(m, z, *shape_values)
        dx = _per_scale(dz, scale)
        return z, dx, dshapes, loc, scale

    def logpdf_partials(m, out, x, *rest):
        z, dx, dshapes, loc, scale = local(m, x, rest)
        return (dx, *dshapes, _neg(dx), _per_scale(-1, scale) - z * dx)

    def pdf_partials(m, out, x, *rest):
        return tuple(out * p for p in logpdf_partials(m, out, x, *rest))

    def cdf_partials(sign, log):
        def partials(m, out, x, *rest):
            *shape_values, loc, scale = rest
            z = _named_in(m, "z", _standard(x, loc, scale))
            log_pdf = log_density(m, z, *shape_values) - _log_scale(m, scale)
            dx = _named_in(m, "dx_" + method_name(log, sign),
                           _signed(sign, m.exp(log_pdf - out if log else log_pdf)))
            return (dx, *(None for _ in shapes), _neg(dx), _neg(z * dx))
        return partials

    def method_name(log, sign):
        return ("log" if log else "") + ("cdf" if sign > 0 else "sf")

    def cdf_of(m, x, *rest):
        *shape_values, loc, scale = rest
        return cdf(m, _standard(x, loc, scale), *shape_values)

    hints = {s: (f"The derivative of the {name} distribution's cdf with respect to "
                 f"`{s}` has no closed form, and s2sdiff does not differentiate "
                 f"numerically; keep `{s}` constant (or wrap it in stop_gradient).")
             for s in shapes}
    forms = {
        "logpdf": (logpdf, logpdf_partials, scalar),
        "pdf": (lambda m, *a: m.exp(logpdf(m, *a)), pdf_partials, scalar),
        "cdf": (cdf_of, cdf_partials(1, False), scalar_cdf),
        "logcdf": (lambda m, *a: m.log(cdf_of(m, *a)), cdf_partials(1, True), scalar_cdf),
        "sf": (lambda m, *a: 1 - cdf_of(m, *a), cdf_partials(-1, False), scalar_cdf),
        "logsf": (lambda m, *a: m.log(1 - cdf_of(m, *a)), cdf_partials(-1, True), scalar_cdf),
    }
    for method, (forward, partials, fixed) in forms.items():
        elementwise(getattr(distribution, method), f"scipy.stats.{name}.{method}", signature,
                    forward, partials, sample if "pdf" in method else cdf_sample, fixed,
                    hints if method not in ("logpdf", "pdf") else None)


def _norm_cdf(m, z):
    return (1 + m.erf(z / sympy.sqrt(2))) / 2


_family("norm", [],
        lambda m, z: -z * z / 2 - LOG_SQRT_2PI,
        lambda m, z: (-z,),
        _norm_cdf,
        Sample(Array((2, 3)), loc=Array((3,)), scale=Within((), (0.5, 2.0))),
        Sample(Array((3,)), Array((2, 1)), Within((), (0.5, 2.0))),
        {"domain": (0.5, 2.0)}, {"domain": (0.5, 2.0)})


def _t_log_density(m, z, df):
    s = _special(m)
    return (s.gammaln((df + 1) / 2) - s.gammaln(df / 2) - m.log(df * np.pi) / 2
            - (df + 1) / 2 * m.log1p(z * z / df))


def _t_d_log_density(m, z, df):
    s = _special(m)
    q = df + z * z
    return (-(df + 1) * z / q,
            (s.digamma((df + 1) / 2) - s.digamma(df / 2) - 1 / df - m.log1p(z * z / df)
             + (df + 1) * z * z / (df * q)) / 2)


def _t_cdf(m, z, df):
    return (sympy.Rational(1, 2) + z * sympy.gamma((df + 1) / 2)
            * sympy.hyper([sympy.Rational(1, 2), (df + 1) / 2], [sympy.Rational(3, 2)],
                          -z * z / df) / (sympy.sqrt(sympy.pi * df) * sympy.gamma(df / 2)))


_family("t", ["df"], _t_log_density, _t_d_log_density, _t_cdf,
        Sample(Array((2, 3)), Within((3,), (1.0, 5.0)), loc=Array(()),
               scale=Within((2, 1), (0.5, 2.0))),
        Sample(Array((2, 3)), 3.5, loc=Array((3,)), scale=Within((), (0.5, 2.0))),
        {"domain": (0.5, 2.0)}, {"domain": (0.5, 2.0), "df": 3})


def _gamma_log_density(m, y, a):
    return (a - 1) * m.log(y) - y - _special(m).gammaln(a)


def _gamma_d_log_density(m, y, a):
    return ((a - 1) / y - 1, m.log(y) - _special(m).digamma(a))


_family("gamma", ["a"], _gamma_log_density, _gamma_d_log_density,
        lambda m, y, a: _SYMPY_SPECIAL.gammainc(a, y),
        Sample(Within((2, 3), (3.0, 5.0)), Within((3,), (1.0, 4.0)), loc=Within((), (0.0, 1.0)),
               scale=Within((), (0.5, 2.0))),
        Sample(Within((2, 3), (2.0, 4.0)), 2.5, Within((), (0.0, 1.0)),
               scale=Within((3,), (1.0, 2.0))),
        {"domain": (0.5, 2.0), "loc": -1.0}, {"domain": (0.5, 2.0), "loc": -1.0,
                                               "a": sympy.Rational(5, 2)})


def _beta_log_density(m, y, a, b):
    return (a - 1) * m.log(y) + (b - 1) * m.log1p(-y) - _special(m).betaln(a, b)


def _beta_d_log_density(m, y, a, b):
    s = _special(m)
    return ((a - 1) / y - (b - 1) / (1 - y),
            m.log(y) - s.digamma(a) + s.digamma(a + b),
            m.log1p(-y) - s.digamma(b) + s.digamma(a + b))


_family("beta", ["a", "b"], _beta_log_density, _beta_d_log_density,
        lambda m, y, a, b: _SYMPY_SPECIAL.betainc(a, b, y),
        Sample(Within((2, 3), (0.2, 0.8)), Within((3,), (1.0, 3.0)), Within((), (1.0, 3.0))),
        Sample(Within((2, 3), (0.3, 0.7)), 1.5, b=2.5, loc=Within((), (-0.2, 0.0)),
               scale=Within((), (1.0, 1.2))),
        {"domain": (0.1, 3.0), "loc": 0.0, "scale": 4.0},
        {"domain": (0.1, 3.0), "loc": 0.0, "scale": 4.0, "a": sympy.Rational(3, 2),
         "b": sympy.Rational(5, 2)})


def _chi2_log_density(m, y, df):
    return ((df / 2 - 1) * m.log(y) - y / 2 - df / 2 * m.log(2.0)
            - _special(m).gammaln(df / 2))


def _chi2_d_log_density(m, y, df):
    return ((df / 2 - 1) / y - 0.5,
            (m.log(y) - m.log(2.0) - _special(m).digamma(df / 2)) / 2)


_family("chi2", ["df"], _chi2_log_density, _chi2_d_log_density,
        lambda m, y, df: _SYMPY_SPECIAL.gammainc(df / 2, y / 2),
        Sample(Within((2, 3), (1.0, 4.0)), Within((3,), (1.0, 5.0)), scale=Within((), (0.5, 2.0))),
        Sample(Within((3,), (1.0, 4.0)), 3, scale=Within((2, 1), (0.5, 2.0))),
        {"domain": (0.5, 2.0), "loc": -1.0},
        {"domain": (0.5, 2.0), "loc": -1.0, "df": 3})


# Poisson: the count k (and loc) are data; d logpmf / dmu = (k - loc) / mu - 1.
def _poisson_signature(k, mu, loc=0):
    pass


def _poisson_logpmf(m, k, mu, loc):
    k = k if _is(loc, 0) else k - loc
    return _special(m).xlogy(k, mu) - mu - _special(m).gammaln(k + 1)


def _poisson_d(m, k, mu, loc):
    return (k if _is(loc, 0) else k - loc) / mu - 1


elementwise(_st.poisson.logpmf, "scipy.stats.poisson.logpmf", _poisson_signature,
            _poisson_logpmf, lambda m, out, k, mu, loc: (None, _poisson_d(m, k, mu, loc), None),
            Sample((2, 0, 5), Within((2, 3), (0.5, 3.0))), {"k": 3, "domain": POSITIVE})
elementwise(_st.poisson.pmf, "scipy.stats.poisson.pmf", _poisson_signature,
            lambda m, k, mu, loc: m.exp(_poisson_logpmf(m, k, mu, loc)),
            lambda m, out, k, mu, loc: (None, out * _poisson_d(m, k, mu, loc), None),
            Sample((2, 0, 5), Within((3,), (0.5, 3.0)), loc=1), {"k": 3, "domain": POSITIVE})


# --- constant orders: polygamma(n, x), jv(v, x), yn, iv, ive ------------------------------

def _order_row(name, partial, scalar_order, domain=(0.5, 2.0)):
    function = getattr(_sp, name)

    def signature(n, x):
        pass

    def forward(m, n, x):
        return getattr(_special(m), name)(n, x)

    hint = {"n": f"The derivative of scipy.special.{name} with respect to its order is not "
                 "taken; keep the order constant."}
    elementwise(function, f"scipy.special.{name}", signature, forward,
                lambda m, out, n, x: (None, partial(m, _special(m), out, n, x)),
                Sample(scalar_order, Within((2, 3), domain)),
                {"n": scalar_order, "domain": domain}, hint)


_order_row("polygamma", lambda m, s, out, n, x: s.polygamma(n + 1, x), 1)
_order_row("jv", lambda m, s, out, n, x: (s.jv(n - 1, x) - s.jv(n + 1, x)) / 2, 1.5)
_order_row("yn", lambda m, s, out, n, x: (s.yn(n - 1, x) - s.yn(n + 1, x)) / 2, 2)
_order_row("yv", lambda m, s, out, n, x: (s.yv(n - 1, x) - s.yv(n + 1, x)) / 2, 1.5)
_order_row("iv", lambda m, s, out, n, x: (s.iv(n - 1, x) + s.iv(n + 1, x)) / 2, 1.5)
_order_row("ive", lambda m, s, out, n, x: (s.ive(n - 1, x) + s.ive(n + 1, x)) / 2
           - _sign(m, x) * out, 1, (-2.0, 2.0))


# --- logsumexp, softmax, log_softmax ------------------------------------------------------

def _axis(bound):
    """``axis=...`` as the call passes it (nothing for all axes)."""
    axis = bound.get("axis")
    if axis is None or isinstance(axis, ast.Constant) and axis.value is None:
        return {}
    return {"axis": Expr(copy.deepcopy(axis))}


def _kept_sum(ns, value, bound):
    """``np.sum(value, axis, keepdims=True)``: a sum that broadcasts against ``value``."""
    return ns.sum(value, **_axis(bound), keepdims=Expr(ast.Constant(True)))


def _logsumexp_checked(c):
    if c.static("return_sign", False):
        c.refuse("scipy.special.logsumexp with return_sign=True",
                 "Differentiate logsumexp without return_sign (b > 0).")
    if "b" in c.bound and tuple(np.broadcast_shapes(c.shape("a"), c.shape("b"))) \
            != tuple(c.shape("a")):
        c.refuse("scipy.special.logsumexp whose b has more entries than a",
                 "Give b the shape of a (or one that broadcasts to it).")
    c.reduced = "a"
    return c.np.exp(c.arg("a") - c._expanded(c.out)) * c._expanded(c.g)


def _logsumexp_a(c):
    weighted = _logsumexp_checked(c)
    return weighted * c.arg("b") if "b" in c.bound else weighted


def _logsumexp_b(c):
    return c.sum_to(_logsumexp_checked(c), c.shape("a"), "b")


def _logsumexp_jvp(t):
    a, a_dot = t._whole("a")
    weights = t.np.exp(Expr(copy.deepcopy(a)) - Expr(t._expanded_output()))
    terms = []
    if a_dot is not None:
        terms.append(Expr(a_dot) * Expr(copy.deepcopy(t.bound["b"])) if "b" in t.bound
                     else Expr(a_dot))
    if "b" in t.operands:
        _, b_dot = t._whole("b")
        if b_dot is not None:
            terms.append(Expr(b_dot))
    return t._summed((weights * functools.reduce(operator.add, terms)).node)


defvjp(_spell(_sp.logsumexp, "scipy.special.logsumexp"),
       lambda a, axis=None, b=None, keepdims=False, return_sign=False: None,
       a=_logsumexp_a, b=_logsumexp_b, jvp=_logsumexp_jvp,
       sample=Sample(Array((2, 3)), axis=1, b=Within((3,), (0.5, 2.0)), keepdims=True))


def _softmax_vjp(c):
    out, g = c.out, c.g
    return out * (g - _kept_sum(c.np, g * out, c.bound))


def _softmax_jvp(t):
    _, x_dot = t._whole("x")
    out = Expr.name(t.step.target)
    return (out * (Expr(x_dot) - _kept_sum(t.np, out * Expr(x_dot), t.bound))).node


def _log_softmax_vjp(c):
    return c.g - c.np.exp(c.out) * _kept_sum(c.np, c.g, c.bound)


def _log_softmax_jvp(t):
    _, x_dot = t._whole("x")
    out = Expr.name(t.step.target)
    return (Expr(x_dot) - _kept_sum(t.np, t.np.exp(out) * Expr(x_dot), t.bound)).node


defvjp(_spell(_sp.softmax, "scipy.special.softmax"), lambda x, axis=None: None,
       x=_softmax_vjp, jvp=_softmax_jvp, sample=Sample(Array((2, 3)), axis=0))
defvjp(_spell(_sp.log_softmax, "scipy.special.log_softmax"), lambda x, axis=None: None,
       x=_log_softmax_vjp, jvp=_log_softmax_jvp, sample=Sample(Array((2, 3)), axis=-1))


# --- multivariate_normal and dirichlet ----------------------------------------------------
# Both work in either context: ``c`` of a vjp (RuleContext) or ``t`` of a tangent
# (RowTangents), whose shapes come from the program's kinds.

def _shape_in(ctx, name):
    kind = node_kind(ctx.modules.program.kinds, ctx.bound[name]) if hasattr(ctx, "modules") \
        else ctx.kind(name)
    return None if kind is None or kind.shape is None else tuple(kind.shape)


def _refuse_in(ctx, what, hint):
    if not hasattr(ctx, "modules"):
        ctx.refuse(what, hint)
    step, program = ctx.step, ctx.modules.program
    raise program.parsed.error(ast.Expr(step.value, lineno=step.lineno),
                               f"s2sdiff cannot differentiate {program.name}: {what}",
                               construct=step.rule.name, hint=hint, cls=UnsupportedError)


def _value(ctx, name):
    return ctx.arg(name) if hasattr(ctx, "arg") else Expr(ctx._whole(name)[0])


def _mvn_shapes(ctx):
    """``(d, points)``: the dimension and whether ``x`` holds several points (a 2-D
    ``x``), after refusing what scipy reads otherwise than these rows do."""
    hint = ("Pass x of shape (d,) or (n, d), mean of shape (d,) and cov a (d, d) matrix "
            "with d >= 2, without allow_singular.")
    name = ctx.step.rule.name
    cov = _shape_in(ctx, "cov") if "cov" in ctx.bound else None
    x = _shape_in(ctx, "x")
    if cov is None or len(cov) != 2 or cov[0] != cov[1] or cov[0] < 2 \
            or x is None or len(x) not in (1, 2) or x[-1] != cov[0]:
        _refuse_in(ctx, f"{name} of these shapes (x {x}, cov {cov})", hint)
    singular = ctx.bound.get("allow_singular")
    if singular is not None and not (isinstance(singular, ast.Constant)
                                     and singular.value is False):
        _refuse_in(ctx, f"{name} with allow_singular", hint)
    if "mean" in ctx.bound:
        mean = _shape_in(ctx, "mean")
        if mean is not None and mean != (cov[0],):
            _refuse_in(ctx, f"{name} with a mean of shape {mean}", hint)
    return cov[0], len(x) == 2


def _has_mean(ctx):
    mean = ctx.bound.get("mean")
    return mean is not None and not (isinstance(mean, ast.Constant) and mean.value is None)


def _linalg(ns, function, *args):
    """``np.linalg.<function>(*args)``, ``np`` as the generated code names NumPy."""
    recording = ns.ns if isinstance(ns, ArrayNamespace) else ns
    recording.used = True
    func = ast.Attribute(ast.Attribute(ast.Name(recording.alias, ast.Load()), "linalg",
                                       ast.Load()), function, ast.Load())
    return Expr(ast.Call(func, [as_node(a) for a in args], []))


def _symmetric(ns, cov):
    """The matrix scipy reads from ``cov``: its lower triangle, mirrored."""
    return ns.tril(cov) + ns.tril(cov, Expr(ast.Constant(-1))).T


def _named(c, hint, value):
    """``value`` assigned to a fresh name in the reverse sweep (shared by the operands)."""
    name = c.backprop.program.namer.fresh(hint)
    c.lines.append(Line(assign(name, value.node), c.step.number))
    return Expr.name(name)


def _mvn_common(c, pdf):
    """Lines shared by the operands: the symmetric covariance, the solved residuals
    ``s = cov^-1 (x - mean)`` and the weights ``g`` (times the density for pdf)."""
    cached = getattr(c, "_mvn", None)
    if cached is not None:
        return cached
    d, points = _mvn_shapes(c)
    cov = _named(c, "cov_sym", _symmetric(c.np, c.arg("cov")))
    residual = c.arg("x") - c.arg("mean") if _has_mean(c) else c.arg("x")
    solved = _named(c, "solved", _linalg(c.np, "solve", cov, residual.T).T if points
                    else _linalg(c.np, "solve", cov, residual))
    weights = c.g * c.out if pdf else c.g
    if points and tuple(c.out_shape) != (_shape_in(c, "x")[0],):     # one point, squeezed
        weights = c.np.reshape(weights, Expr(ast.Constant((_shape_in(c, "x")[0],))))
    c._mvn = (cov, solved, weights, points)
    return c._mvn


def _mvn_x(pdf):
    def vjp(c):
        cov, solved, weights, points = _mvn_common(c, pdf)
        return -solved * (_column(weights) if points else weights)
    return vjp


def _column(value):
    return Expr(ast.Subscript(value.node, ast.Tuple([ast.Slice(), ast.Constant(None)],
                                                    ast.Load()), ast.Load()))


def _mvn_mean(pdf):
    def vjp(c):
        cov, solved, weights, points = _mvn_common(c, pdf)
        return solved.T @ weights if points else solved * weights
    return vjp


def _mvn_cov(pdf):
    def vjp(c):
        cov, solved, weights, points = _mvn_common(c, pdf)
        inverse = _linalg(c.np, "inv", cov)
        if points:
            grad = 0.5 * ((solved.T * weights) @ solved - c.np.sum(weights) * inverse)
        else:
            grad = 0.5 * weights * (c.np.outer(solved, solved) - inverse)
        grad = _named(c, "dcov_sym", grad)
        # scipy reads the lower triangle: an entry below the diagonal stands for two
        return c.np.tril(grad + grad.T) - c.np.diag(c.np.diag(grad))
    return vjp


def _mvn_jvp(pdf):
    def jvp(t):
        d, points = _mvn_shapes(t)
        ns = ArrayNamespace(t.np)
        cov = _symmetric(ns, _value(t, "cov"))
        x = _value(t, "x")
        residual = x - _value(t, "mean") if _has_mean(t) else x
        solved = _linalg(ns, "solve", cov, residual.T).T if points \
            else _linalg(ns, "solve", cov, residual)
        terms = []
        _, x_dot = t._whole("x")
        if x_dot is not None:
            terms.append(-ns.sum(solved * Expr(x_dot), axis=Expr(ast.Constant(-1))))
        if "mean" in t.operands and _has_mean(t):
            _, mean_dot = t._whole("mean")
            if mean_dot is not None:
                terms.append(ns.sum(solved * Expr(mean_dot), axis=Expr(ast.Constant(-1))))
        _, cov_dot = t._whole("cov")
        if cov_dot is not None:
            change = _symmetric(ns, Expr(cov_dot))
            spec = "...i,ij,...j->..."
            terms.append(0.5 * (ns.einsum(Expr(ast.Constant(spec)), solved, change, solved)
                                - ns.trace(_linalg(ns, "solve", cov, change))))
        value = functools.reduce(operator.add, terms)
        out = Expr.name(t.step.target)
        value = ns.reshape(value, ns.shape(out)) if points else value
        return (out * value).node if pdf else value.node
    return jvp


_MVN_SIGNATURE = lambda x, mean=None, cov=1, allow_singular=False: None  # noqa: E731
_MVN_COV = ((2.0, 0.3, -0.2), (0.3, 1.5, 0.4), (-0.2, 0.4, 1.0))
for _method, _pdf, _sample in (
        ("logpdf", False, Sample(Array((4, 3)), Array((3,)),
                                 Array((3, 3), draw="positive definite"))),
        ("pdf", True, Sample(Array((3,)), mean=Array((3,)), cov=_MVN_COV))):
    defvjp(_spell(getattr(_st.multivariate_normal, _method),
                  f"scipy.stats.multivariate_normal.{_method}"),
           _MVN_SIGNATURE, x=_mvn_x(_pdf), mean=_mvn_mean(_pdf), cov=_mvn_cov(_pdf),
           jvp=_mvn_jvp(_pdf), sample=_sample)


# Dirichlet: x holds the components along its first axis (k or (k, n)); the k - 1
# component form (the last implied) is refused.
def _dirichlet_shapes(ctx):
    x, alpha = _shape_in(ctx, "x"), _shape_in(ctx, "alpha")
    if x is None or alpha is None or len(alpha) != 1 or len(x) not in (1, 2) \
            or x[0] != alpha[0]:
        _refuse_in(ctx, f"{ctx.step.rule.name} of these shapes (x {x}, alpha {alpha})",
                   "Pass alpha of shape (k,) and x of shape (k,) or (k, n), with all k "
                   "components.")
    return len(x) == 2


def _dirichlet_x(pdf):
    def vjp(c):
        points = _dirichlet_shapes(c)
        alpha, weights = c.arg("alpha"), (c.g * c.out if pdf else c.g)
        return ((_column(alpha - 1) if points else alpha - 1) / c.arg("x")) * weights
    return vjp


def _dirichlet_alpha(pdf):
    def vjp(c):
        points = _dirichlet_shapes(c)
        s, alpha = _special(c.np), c.arg("alpha")
        weights = c.g * c.out if pdf else c.g
        shift = s.digamma(alpha) - s.digamma(c.np.sum(alpha))
        if points:
            return c.np.log(c.arg("x")) @ weights - shift * c.np.sum(weights)
        return (c.np.log(c.arg("x")) - shift) * weights
    return vjp


def _dirichlet_jvp(pdf):
    def jvp(t):
        points = _dirichlet_shapes(t)
        ns = ArrayNamespace(t.np)
        s, alpha, x = _special(ns), _value(t, "alpha"), _value(t, "x")
        terms = []
        _, x_dot = t._whole("x")
        if x_dot is not None:
            terms.append(ns.sum((_column(alpha - 1) if points else alpha - 1) / x * Expr(x_dot),
                                axis=Expr(ast.Constant(0))))
        _, alpha_dot = t._whole("alpha")
        if alpha_dot is not None:
            shift = s.digamma(alpha) - s.digamma(ns.sum(alpha))
            if points:
                terms.append(Expr(alpha_dot) @ ns.log(x) - ns.sum(shift * Expr(alpha_dot)))
            else:
                terms.append(ns.sum((ns.log(x) - shift) * Expr(alpha_dot)))
        value = functools.reduce(operator.add, terms)
        return (Expr.name(t.step.target) * value).node if pdf else value.node
    return jvp


for _method, _pdf, _sample in (
        ("logpdf", False, Sample(((0.2, 0.5), (0.3, 0.1), (0.5, 0.4)), Within((3,), (0.5, 3.0)))),
        ("pdf", True, Sample((0.2, 0.3, 0.5), Within((3,), (0.5, 3.0))))):
    defvjp(_spell(getattr(_st.dirichlet, _method), f"scipy.stats.dirichlet.{_method}"),
           lambda x, alpha: None, x=_dirichlet_x(_pdf), alpha=_dirichlet_alpha(_pdf),
           jvp=_dirichlet_jvp(_pdf), sample=_sample)


# multigammaln(a, d) = d (d - 1) / 4 log(pi) + sum_j gammaln(a - j / 2), j < d: elementwise
# in a, its partial sum_j digamma(a - j / 2) (the dimension d is a constant integer).
def _multigammaln_partial(m, a, d):
    s = _special(m)
    if m is SYMPY:
        return sum(s.digamma(a - sympy.Rational(j, 2)) for j in range(int(d)))
    steps = m.arange(d) / 2.0
    shifted = m.expand_dims(a, Expr(ast.Constant(-1))) - steps
    return m.sum(s.digamma(shifted), axis=Expr(ast.Constant(-1)))


def _multigammaln_signature(a, d):
    pass


elementwise(_sp.multigammaln, "scipy.special.multigammaln", _multigammaln_signature,
            lambda m, a, d: (d * (d - 1) / 4 * m.log(sympy.pi)
                             + sum(sympy.loggamma(a - sympy.Rational(j, 2)) for j in range(d))),
            lambda m, out, a, d: (_multigammaln_partial(m, a, d), None),
            Sample(Within((2, 3), (2.0, 4.0)), 3), {"d": 3, "domain": (2.0, 4.0)},
            {"d": "The dimension of scipy.special.multigammaln is an integer; keep it "
                  "constant."}, constants=["d"])
