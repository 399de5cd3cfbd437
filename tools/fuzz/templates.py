"""One expression template per row of the rule table (and the piecewise-constant calls).

``TEMPLATES`` maps a rule key (or "piecewise constant": the calls of ``NONDIFF_CALLS``)
to ``(smooth, builder, weight)``: a builder gets the generator and the depth left and
returns source text; piecewise builders mark the program piecewise.  A row added to
``s2sdiff.rules.RULES`` after this file was written gets a generic template (its
smoothness unknown, so finite differences judge it).
"""

import ast
import builtins
import math

from s2sdiff import rules
from s2sdiff.rules import Function, Operator, Syntax


TEMPLATES = {}


def template(key, smooth=True, weight=1.0):
    def register(builder):
        TEMPLATES[key] = (smooth, builder, weight)
        return builder
    return register


NONDIFF_CALLS = ["math.floor", "math.ceil", "math.trunc", "round", "int"]


def _pick(g, *forms):
    return g.rng.choice(forms)


@template(Operator(ast.Add), weight=4)
def _(g, d):
    return f"({g.sub(d)} + {g.sub(d)})"


@template(Operator(ast.Sub), weight=3)
def _(g, d):
    left, right = g.sub(d), g.sub(d)
    while right == left:                 # u - u is exactly 0: a singular point of atan2...
        right = g.sub(d)
    return f"({left} - {right})"


@template(Operator(ast.Mult), weight=4)
def _(g, d):
    return f"({g.sub(d)} * {g.sub(d)})"


@template(Operator(ast.Div), weight=3)
def _(g, d):
    r = g.rng.random()
    if r < 0.6:
        return f"({g.sub(d)} / {g.positive(d - 1)})"
    if r < 0.8:
        return f"({g.constant()} / {g.positive(d - 1)})"
    return f"({g.sub(d)} / {g.rng.choice(['2', '3.0', '-1.5', '0.25', 'SCALE'])})"


@template(Operator(ast.Pow), weight=3)
def _(g, d):
    r = g.rng.random()
    if r < 0.35:
        return f"({g.sub(d)} ** {g.rng.choice(['2', '3', '2.0', '1', '-2'])})"
    if r < 0.55:
        return f"({g.positive(d - 1)} ** {g.rng.choice(['0.5', '-1', '1.5', '-0.5', '2.5'])})"
    if r < 0.8:
        return f"({g.positive(d - 1)} ** {g.bounded(d - 1)})"
    return f"({g.rng.choice(['2.0', '0.5', '3', 'math.e'])} ** {g.bounded(d - 1)})"


@template(Operator(ast.Mod), smooth=False, weight=2)
def _(g, d):
    g.piecewise_used()
    divisor = g.rng.choice(["1.5", "0.7", "2", "2.5", "(-1.5)", None])
    return f"({g.sub(d)} % {divisor or g.positive(d - 1)})"


@template(Operator(ast.USub), weight=1.5)
def _(g, d):
    return f"(-{g.sub(d)})"


@template(Operator(ast.UAdd), weight=0.5)
def _(g, d):
    return f"(+{g.sub(d)})"


@template(Syntax("sigmoid"))
def _(g, d):
    a = g.sub(d)
    return _pick(g, f"(1.0 / (1 + math.exp(-{a})))", f"(1 / (math.exp(-{a}) + 1))",
                 f"(1.0 / (1 + exp(-{a})))")


def _wide(g, d, scale):
    """A raw expression (its value is checked) or a bounded one scaled up."""
    if g.rng.random() < 0.5:
        return g.sub(d)
    return f"{g.bounded(d - 1)} * {scale}"


@template(Function(math.exp))
def _(g, d):
    return _pick(g, "math.exp", "exp") + f"({_wide(g, d, 3)})"


@template(Function(math.expm1))
def _(g, d):
    return f"math.expm1({_wide(g, d, 2)})"


@template(Function(math.log))
def _(g, d):
    return _pick(g, "math.log", "log") + f"({g.positive(d - 1)})"


@template(Function(math.log, arity=2))
def _(g, d):
    base = g.rng.choice(["2", "10", "0.5", None])
    return f"math.log({g.positive(d - 1)}, {base or g.positive(d - 1, low=0.7)})"


@template(Function(math.log1p))
def _(g, d):
    if g.rng.random() < 0.5:
        return f"math.log1p({g.bounded(d - 1)} * 0.9)"
    return f"math.log1p({g.positive(d - 1)})"


@template(Function(math.log2))
def _(g, d):
    return f"math.log2({g.positive(d - 1)})"


@template(Function(math.log10))
def _(g, d):
    return f"math.log10({g.positive(d - 1)})"


@template(Function(math.sqrt))
def _(g, d):
    return _pick(g, "math.sqrt", "sqrt") + f"({g.positive(d - 1)})"


def _plain(name, *spellings):
    @template(Function(getattr(math, name)))
    def _(g, d):
        return g.rng.choice(spellings or (f"math.{name}",)) + f"({g.sub(d)})"


_plain("sin", "math.sin", "sin")
_plain("cos")
_plain("atan")
_plain("tanh", "math.tanh", "tanh")
_plain("erf")
_plain("erfc")
_plain("asinh")


@template(Function(math.sinh))
def _(g, d):
    return f"math.sinh({_wide(g, d, 3)})"


@template(Function(math.cosh))
def _(g, d):
    return f"math.cosh({_wide(g, d, 3)})"


@template(Function(math.tan))
def _(g, d):
    return f"math.tan({g.bounded(d - 1)} * 1.4)"


def _unit(name):
    @template(Function(getattr(math, name)))
    def _(g, d):
        return f"math.{name}({g.bounded(d - 1)} * 0.9)"


_unit("asin")
_unit("acos")
_unit("atanh")


@template(Function(math.acosh))
def _(g, d):
    return f"math.acosh({g.positive(d - 1, low=0.6)})"


@template(Function(math.atan2))
def _(g, d):
    if g.rng.random() < 0.5:
        return f"math.atan2({g.sub(d)}, {g.positive(d - 1)})"
    return f"math.atan2({g.sub(d)}, {g.sub(d)})"


@template(Function(math.pow))
def _(g, d):
    if g.rng.random() < 0.4:
        return f"math.pow({g.sub(d)}, {g.rng.choice(['2', '3', '2.0'])})"
    return f"math.pow({g.positive(d - 1)}, {g.bounded(d - 1)} * 2)"


@template(Function(builtins.pow))
def _(g, d):
    if g.rng.random() < 0.4:
        return f"pow({g.sub(d)}, {g.rng.choice(['2', '3'])})"
    return f"pow({g.positive(d - 1)}, {g.bounded(d - 1)})"


@template(Function(math.hypot))
def _(g, d):
    n = g.rng.choice([2, 2, 3])
    args = [g.sub(d) for _ in range(n)]
    if g.rng.random() < 0.5:
        args[-1] = g.rng.choice(["0.5", "1.0", "SCALE"])     # keeps away from the cone tip
    return f"math.hypot({', '.join(args)})"


@template(Function(builtins.float), weight=0.5)
def _(g, d):
    return f"float({g.sub(d)})"


@template(Function(math.fabs), smooth=False)
def _(g, d):
    g.piecewise_used()
    return f"math.fabs({g.sub(d)})"


@template(Function(builtins.abs), smooth=False)
def _(g, d):
    g.piecewise_used()
    return f"abs({g.sub(d)})"


def _extremum(which):
    @template(Function(getattr(builtins, which)), smooth=False)
    def _(g, d):
        g.piecewise_used()
        args = [g.sub(d) for _ in range(g.rng.choice([2, 2, 3]))]
        if g.rng.random() < 0.3:
            args[-1] = g.constant()
        return f"{which}({', '.join(args)})"


_extremum("max")
_extremum("min")


@template("piecewise constant", smooth=False, weight=0.7)
def _(g, d):
    g.piecewise_used()
    call = g.rng.choice(NONDIFF_CALLS)
    return f"({g.sub(d)} * {call}({g.sub(d)}))"


def _generic(rule):
    """A template for a rule added to the table after this file was written."""
    if not (isinstance(rule, rules.Partials) and isinstance(rule.key, Function)):
        return None
    func = rule.key.function
    module = getattr(func, "__module__", None)
    if module not in ("math", "builtins") or not hasattr(func, "__name__"):
        return None
    spelled = f"math.{func.__name__}" if module == "math" else func.__name__
    n = rule.key.arity or rule.arity or 2
    low, high = rule.domain

    def build(g, d):
        g.piecewise_used()          # unknown smoothness: finite differences judge it
        mid, half = (low + high) / 2, (high - low) / 2 * 0.9
        args = [f"({mid} + {half} * {g.bounded(d - 1)})" for _ in range(n)]
        return f"{spelled}({', '.join(args)})"
    return build


for _key, _rule in rules.RULES.items():
    if _key not in TEMPLATES:
        _builder = _generic(_rule)
        if _builder is not None:
            TEMPLATES[_key] = (False, _builder, 1.0)
