"""Oracles that check derivatives, shipped as library code.

* ``check_grad`` (``finite_differences.py``): the generated gradient against finite differences, central
  ``D0(h)`` or Richardson's ``(4 D0(h) - D0(2h)) / 3`` (seed 002);
* ``verify``: the generated gradient evaluated on SymPy symbols against ``sympy.diff``
  of the forward function (``stop_gradient`` is a SymPy function whose derivative is 0;
  a function calling a custom_vjp/custom_jvp rule is refused: use ``check_grad``);
* ``check_rule``: one row of the rule table against ``sympy.diff``;
* ``check_grad_function`` and ``verify_function``: the first two for any function that
  claims to compute the gradient (an ejected module's, a hand-written one).

Each raises ``AssertionError`` naming the worst component on a mismatch and returns a
report otherwise.
"""

import ast
import contextlib
import inspect
import linecache
import os
import random
import textwrap
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import sympy

from .api import grad, jvp, resolve_wrt, vjp
from .user_functions import is_helper
from .listing import listing_of
from .errors import S2SDiffError
from .symbolic import (SYMPY, IndicatorCompares, derivative, for_sympy, larger_than,
                       sympy_globals)
from . import syntax
from .rules import Partials
from .finite_differences import (  # noqa: F401  (the public names live here too)
    GradCheck, check_grad, check_grad_function, _positional_names)
from .typing import Wrt

# Generated code carries float literals (ln 2, 2/sqrt(pi), the seed 1.0), exact only to
# about 1e-16; a wrong partial is off by far more than this.
NUMERIC_TOLERANCE = 1e-12
VERIFY_SIZE_LIMIT = 60000     # nodes: trees of unrolled loops grow exponentially in SymPy


# symbolic ---------------------------------------------------------------------

@dataclass
class Verification:
    function: str
    rows: list[tuple[str, Any, Any, str]] = field(default_factory=list)
    # (parameter, generated, reference, how)

    def __str__(self) -> str:
        lines = [f"verify({self.function}): {len(self.rows)} partial derivatives agree with sympy.diff"]
        for name, generated, reference, how in self.rows:
            lines.append(f"  d/d{name}: {reference}   [{how}]")
        return "\n".join(lines)


def verify(f: Callable[..., Any], wrt: Wrt = None, samples: int = 12,
           seed: int = 0) -> Verification:
    """Check the generated gradient of ``f`` against ``sympy.diff``; return the report.

    The generated code runs on real SymPy symbols; each component must simplify to the
    derivative SymPy computes from the forward function.  When simplification is
    inconclusive (piecewise functions, float constants such as 2/sqrt(pi)) the two are
    evaluated with 30 digits at ``samples`` random points and must agree to
    ``NUMERIC_TOLERANCE`` (float literals in generated code are exact only to 1e-16), and the report says so.
    """
    return _verify(f, None, wrt, samples, seed)


def verify_function(f: Callable[..., Any], gradient: Callable[..., Any], wrt: Wrt = None,
                    samples: int = 12, seed: int = 0) -> Verification:
    """``verify`` for a given ``gradient`` function instead of ``grad(f, wrt=wrt)``.

    ``gradient`` must return what ``grad(f, wrt=wrt)`` returns; its source (``.source``,
    or the file it was defined in) is run on SymPy symbols like generated code is.
    """
    return _verify(f, gradient, wrt, samples, seed)


def _verify(f: Callable[..., Any], gradient: Callable[..., Any] | None, wrt: Wrt, samples: int,
            seed: int) -> Verification:
    f = getattr(f, "__s2sdiff_origin__", f)
    names, single = resolve_wrt(f, wrt)
    params = list(_positional_names(f))
    defaults = _string_defaults(f)             # a mode (kind="l2"): its default, not a symbol
    symbols = [defaults[p] if p in defaults else sympy.Symbol(p, real=True) for p in params]
    generated_func = gradient or grad(f, wrt=wrt)
    if gradient is None:
        _numbers_only(f, generated_func)
    rules = getattr(generated_func, "__s2sdiff_custom__", ())
    if rules:
        shown = ", ".join(f"`{r}`" for r in rules)
        raise S2SDiffError(
            f"verify({f.__name__}) cannot check {f.__name__}: it calls the custom rule {shown}, "
            f"and SymPy cannot see inside a rule you wrote",
            construct="verify of a custom rule",
            hint=f"Check it numerically instead: check_grad({f.__name__}, *args) compares the "
                 f"generated gradient, custom rules included, with finite differences.")
    forward_function: Callable[..., Any] = _on_symbols(f, f.__code__)
    generated_function: Callable[..., Any] = _generated_on_symbols(generated_func)
    if inspect.ismethod(f):                 # a bound method: its instance is data
        forward_function = types.MethodType(forward_function, f.__self__)
    if inspect.ismethod(generated_func):
        generated_function = types.MethodType(generated_function, generated_func.__self__)
    with _branches_refused(f):
        forward = forward_function(*symbols)
        generated = generated_function(*symbols)
    generated = (generated,) if single else generated
    report = Verification(f.__name__)
    rng = random.Random(seed)
    too_large = larger_than(forward, VERIFY_SIZE_LIMIT)
    for name, value in zip(names, generated):
        symbol = symbols[params.index(name)]
        reference = None if too_large else derivative(forward, symbol)
        if reference is None or larger_than(value, VERIFY_SIZE_LIMIT) \
                or larger_than(reference, VERIFY_SIZE_LIMIT):
            raise S2SDiffError(
                f"verify({f.__name__}): d/d{name} is an expression of more than "
                f"{VERIFY_SIZE_LIMIT} terms (a loop of many steps written out), too large for "
                f"SymPy to compare in reasonable time",
                construct="verify of a large expression",
                hint=f"Check it numerically instead: check_grad({f.__name__}, *args) compares "
                     f"the generated gradient with finite differences at a point.")
        how = _compare(sympy.sympify(value), reference, symbols, rng, samples, f.__name__, name)
        report.rows.append((name, value, reference, how))
    return report


@contextlib.contextmanager
def _branches_refused(f: Callable[..., Any]) -> Iterator[None]:
    """``f`` or its gradient run on SymPy symbols: what SymPy cannot run (an ``if`` on a
    value of the parameters, a parameter used as a list or a loop count) is an
    ``S2SDiffError`` at the user's line instead of SymPy's or Python's TypeError."""
    try:
        yield
    except (S2SDiffError, AssertionError):
        raise
    except Exception as error:
        frames = [t for t in traceback.extract_tb(error.__traceback__)
                  if not t.filename.startswith(_PACKAGE)
                  and not t.filename.startswith(_SYMPY)]
        where = frames[-1] if frames else None
        if "truth value of Relational" in str(error):
            what = "it branches on a value computed from its parameters, and SymPy's " \
                   "symbols have no value to branch on"
        else:
            what = f"SymPy symbols cannot go through it ({type(error).__name__}: {error})"
        raise S2SDiffError(
            f"verify({f.__name__}) cannot check {f.__name__}: {what}",
            construct="branch in verify" if what.startswith("it branches") else
            "code verify cannot run on symbols",
            filename=where.filename if where else None, lineno=where.lineno if where else None,
            source_line=where.line if where else None,
            hint=f"verify checks functions of real numbers; check this one numerically"
                 f"{' on each side of its branches' if what.startswith('it branches') else ''}"
                 f": check_grad({f.__name__}, *args).") from None


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SYMPY = os.path.dirname(os.path.abspath(sympy.__file__)) + os.sep


def _numbers_only(f: Callable[..., Any], generated: Callable[..., Any]) -> None:
    """Raise a clear ``S2SDiffError`` if ``generated`` is not code of numbers (NumPy
    code and trees are generated per argument kind, at their first call)."""
    try:
        listing_of(getattr(generated, "__func__", generated))
    except (KeyError, TypeError):
        code = getattr(f, "__code__", None) or getattr(f, "__func__").__code__
        raise S2SDiffError(
            f"verify({f.__name__}) cannot check {f.__name__}: it is NumPy code or reads "
            f"its parameters as trees, and its gradient is generated for the shapes of "
            f"the arguments it is called with, not for SymPy symbols",
            construct="verify of NumPy code", filename=code.co_filename,
            lineno=code.co_firstlineno,
            source_line=linecache.getline(code.co_filename, code.co_firstlineno),
            hint=f"Check it numerically instead: check_grad({f.__name__}, *args).") from None


def _string_defaults(f: Callable[..., Any]) -> dict[str, str]:
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if isinstance(p.default, str)}


def _on_symbols(func: Callable[..., Any], code: types.CodeType,
                extra: dict[str, Any] | None = None) -> types.FunctionType:
    """``func`` rebuilt so that math functions and builtins mean their SymPy versions, and
    the helpers of yours it calls are rebuilt so too."""
    namespace = sympy_globals(func.__globals__)
    namespace.update(extra or {})
    rebuilt: dict[str, Callable[..., Any]] = {}
    for name in code.co_names:
        value = namespace.get(name)
        if is_helper(value) and value is not func:
            rebuilt[name] = _on_symbols(value, value.__code__)
        elif _is_generated(value):          # a gradient made by s2sdiff, called by f
            rebuilt[name] = _generated_on_symbols(value)
    namespace.update(rebuilt)
    cells = tuple(types.CellType(for_sympy(c.cell_contents)) for c in func.__closure__ or ())
    rebuilt_func = types.FunctionType(code, namespace, func.__name__, func.__defaults__,
                                      cells or None)
    rebuilt_func.__kwdefaults__ = func.__kwdefaults__
    return rebuilt_func


def _is_generated(value: Any) -> bool:
    """Whether ``value`` is code s2sdiff generated for numbers (it has its ``.source``)."""
    return isinstance(value, types.FunctionType) and hasattr(value, "source") \
        and hasattr(value, "__s2sdiff_origin__")


def _generated_on_symbols(generated: Callable[..., Any],
                          made: dict[Any, Any] | None = None) -> Callable[..., Any]:
    """``generated`` run on SymPy symbols: its guards and checks left out, and the
    generated code it calls (the pullback of a helper of yours) run on symbols too."""
    made = {} if made is None else made
    if generated in made:
        return made[generated]
    source = getattr(generated, "source", None) or textwrap.dedent(inspect.getsource(generated))
    tree = _Unguarded().visit(syntax.parse(source))
    tree = ast.fix_missing_locations(
        IndicatorCompares("s2sdiff_indicator", "s2sdiff_where").visit(tree))
    free = dict(zip(generated.__code__.co_freevars, generated.__closure__ or ()))
    namespace = sympy_globals(generated.__globals__)
    scope: dict[str, Any] = {}
    made[generated] = lambda *args: scope[generated.__name__](*args)     # recursion
    for name, cell in free.items():
        value = cell.cell_contents
        if name.startswith("check_arguments"):
            namespace[name] = lambda *a, **k: None
        elif _is_generated(value):
            namespace[name] = _generated_on_symbols(value, made)
        else:
            namespace[name] = for_sympy(value)
    for name in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}:
        if is_helper(namespace.get(name)):          # the forward's call of a helper of yours
            namespace[name] = _on_symbols(namespace[name], namespace[name].__code__)
        elif _is_generated(namespace.get(name)) and name not in free:   # a gradient it calls
            namespace[name] = _generated_on_symbols(namespace[name], made)
    namespace["s2sdiff_indicator"] = SYMPY.indicator
    namespace["s2sdiff_where"] = SYMPY.where
    namespace["sympy"] = sympy
    exec(syntax.compile(tree, f"<verify {generated.__name__}>", "exec"), namespace, scope)
    return scope[generated.__name__]


class _Unguarded(ast.NodeTransformer):
    """Without the guards ``if x <= 0.0: math.log(x)`` (``liveness.prune_forward``): they
    only raise where the function raises, and SymPy's symbols have no sign to test."""

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        if len(node.body) == 1 and isinstance(node.body[0], ast.Expr) and not node.orelse \
                and isinstance(node.body[0].value, (ast.Call, ast.BinOp)):
            return ast.Pass()
        if len(node.body) == 1 and isinstance(node.body[0], ast.Return) and not node.orelse \
                and isinstance(node.body[0].value, ast.Call) \
                and getattr(node.body[0].value.func, "id", "").startswith("generate_again"):
            return ast.Pass()                 # the rebinding check: the code as it is
        return node


def _compare(generated: Any, reference: Any, symbols: list[Any], rng: random.Random, samples: int,
             function: str, name: str) -> str:
    if _simplifies_to_zero(generated - reference):
        return "simplified to 0"
    checked = 0
    for _ in range(samples * 20):
        if checked == samples:
            break
        point = {s: sympy.Rational(rng.randint(-3000, 3000), 1000) for s in symbols}
        g = _evaluate(generated, point)
        r = _evaluate(reference, point)
        if g is None or r is None:
            continue
        checked += 1
        if abs(g - r) > NUMERIC_TOLERANCE * max(1, abs(r)):
            raise AssertionError(
                f"verify({function}): d/d{name} differs from sympy.diff at "
                f"{ {str(k): float(v) for k, v in point.items()} }: generated {float(g)!r}, "
                f"sympy {float(r)!r}\n  generated: {generated}\n  sympy:     {reference}")
    if checked < 3:
        raise AssertionError(f"verify({function}): d/d{name} could not be compared: the "
                             f"derivative is not real at the sample points")
    return f"equal to {NUMERIC_TOLERANCE:.0e} at {checked} random points"


def _evaluate(expr: Any, point: dict[Any, Any]) -> Any:
    try:
        value = sympy.N(expr.subs(point), 30)
    except (TypeError, ValueError, ZeroDivisionError, RecursionError):
        return None
    if not value.is_real or not value.is_finite:
        return None
    return value


def check_rule(rule: Partials, samples: int = 8, seed: int = 0) -> list[str]:
    """Check one row of the rule table against ``sympy.diff``; return how it agreed."""
    n = rule.arity or 3
    symbols = sympy.symbols(f"x0:{n}", real=True)
    forward = rule.forward(SYMPY, *symbols)  # type: ignore[operator]
    partials = rule.partials(SYMPY, forward, *symbols)  # type: ignore[operator]
    rng = random.Random(seed)
    results = []
    for symbol, partial in zip(symbols, partials):
        reference = derivative(forward, symbol)
        low, high = rule.domain
        points = []
        for _ in range(samples):
            points.append({s: sympy.Rational(round(rng.uniform(low, high) * 1000), 1000)
                           for s in symbols})
        how = _compare_at(sympy.sympify(partial), reference, points, rule.name, str(symbol))
        results.append(how)
    return results


_PIECEWISE = (sympy.Piecewise, sympy.Heaviside, sympy.sign, sympy.Max, sympy.Min, sympy.Abs,
              sympy.DiracDelta, sympy.floor, sympy.Subs, sympy.Derivative)


def _simplifies_to_zero(difference: Any) -> bool:
    """Whether SymPy proves ``difference`` is 0; False when it is not worth trying.

    A ``Piecewise`` that stable forms write (the sigmoid's ``1 - out if out < 0.75 else ...``) is
    0 when each of its pieces is.  Other piecewise functions and float constants that are
    not short rationals (such as 1/ln 2 written as a float) make ``simplify`` slow and
    inconclusive, so those are left to the numerical comparison.
    """
    if difference.has(sympy.Piecewise):
        folded = sympy.piecewise_fold(difference)
        if isinstance(folded, sympy.Piecewise) and len(folded.args) <= 8:
            return all(_simplifies_to_zero(piece) for piece, _ in folded.args)
    if difference.has(*_PIECEWISE):
        return False
    if sympy.expand(difference) == 0:      # cheap, and enough when both sides use the same
        return True                        # functions of the same arguments
    if larger_than(difference, 2000):      # simplify would take minutes: compare at points
        return False
    rational = sympy.nsimplify(difference, rational=True)
    if any(r.q > 1000 for r in rational.atoms(sympy.Rational)):
        return False
    if sympy.simplify(rational) == 0:
        return True
    # hyperbolic identities (1/cosh(x)**2 = 1 - tanh(x)**2) simplify in exponential form
    return rational.has(sympy.sinh, sympy.cosh, sympy.tanh) and sympy.simplify(rational.rewrite(sympy.exp)) == 0


def _compare_at(generated: Any, reference: Any, points: list[dict[Any, Any]], function: str,
                name: str) -> str:
    if _simplifies_to_zero(generated - reference):
        return "simplified to 0"
    for point in points:
        g, r = _evaluate(generated, point), _evaluate(reference, point)
        if g is None or r is None or abs(g - r) > NUMERIC_TOLERANCE * max(1, abs(r)):
            raise AssertionError(f"rule {function}: partial d/d{name} is {generated}, "
                                 f"sympy.diff gives {reference}; they differ at {point}")
    return f"equal at {len(points)} points"




def dot_product_test(f: Callable[..., Any], *args: Any, trials: int = 3, seed: int = 0,
                     rtol: float = 1e-12) -> float:
    """Check forward mode against reverse mode at ``args`` (numbers, arrays, lists of
    numbers): for random tangents ``u`` shaped like the arguments and cotangents ``v``
    shaped like the outputs, ``<v, J u>`` from ``jvp`` must equal ``<J^T v, u>`` from
    ``vjp``.

    Returns the largest relative difference seen; raises ``AssertionError`` past ``rtol``.
    """
    f = getattr(f, "__s2sdiff_origin__", f)
    rng = random.Random(seed)
    value, pullback = vjp(f, *args)
    outputs = vjp(f).__s2sdiff_outputs__  # type: ignore[attr-defined]
    values = tuple(value) if outputs else (value,)
    worst = 0.0
    for _ in range(trials):
        u = [_random_like(a, rng) for a in args]
        v = [_random_like(o, rng) for o in values]
        _, tangent_out = jvp(f, args, u)
        tangent_out = tangent_out if outputs else (tangent_out,)
        forward_value = sum(_inner(vi, ti) for vi, ti in zip(v, tangent_out))
        gradients = pullback(tuple(v) if outputs else v[0])
        reverse_value = sum(_inner(gi, ui) for gi, ui in zip(gradients, u))
        scale = max(abs(forward_value), abs(reverse_value), 1e-300)
        difference = abs(forward_value - reverse_value) / scale
        worst = max(worst, difference)
        if difference > rtol:
            raise AssertionError(
                f"dot-product test failed for {f.__name__} at {args}: <v, J u> = "
                f"{forward_value!r} by forward mode, <J^T v, u> = {reverse_value!r} by "
                f"reverse mode (u = {u}, v = {v})")
    return worst


def _random_like(value: Any, rng: random.Random) -> Any:
    """Uniform draws in [-1, 1) with the structure of ``value`` (a number, an array, a
    list or tuple of those)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_random_like(v, rng) for v in value)
    shape = getattr(value, "shape", ())
    if shape:
        return np.array([rng.uniform(-1, 1) for _ in range(int(np.prod(shape)))]
                        ).reshape(shape)
    return rng.uniform(-1, 1)


def _inner(a: Any, b: Any) -> float:
    """The sum of the products of the entries of ``a`` and ``b`` (same structure)."""
    if isinstance(a, (list, tuple)):
        return sum(_inner(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float)))
