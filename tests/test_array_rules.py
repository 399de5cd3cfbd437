"""Every NumPy row of the rule table against central differences, from the row alone.

For each row (``rules.is_numpy_row``) a function calling the primitive once is written
from the row's key and its ``sample`` (an elementwise row's sample is its arguments,
broadcasting, drawn from its ``domain``), and differentiated in both modes: the pullback
of a random cotangent (``vjp``) against central differences of ``<cotangent, f>``, the
tangent along a random direction (``jvp``) against the central difference along it, and
the two against each other (``<v, J u> = <J^T v, u>``).  A new row is checked without
new test code.
"""

import ast
import dataclasses
import itertools
import linecache
import sys

import numpy as np
import pytest

import s2sdiff.runtime
from s2sdiff import jvp, rules, vjp
from s2sdiff.errors import UnsupportedError
from s2sdiff.normalize import normalize
from s2sdiff.parse import parse
from s2sdiff.rules import (Array, ArrayRule, Attribute, Entry, Function, Method, Operator,
                           Partials, Sample, Syntax)

try:                     # SciPy's rows are registered once SciPy is imported (rules.py)
    import scipy.special  # noqa: F401
except ImportError:
    pass
rules.load_optional_rows()
ROWS = [rule for rule in rules.RULES.values() if rules.is_numpy_row(rule)]
STEP = 1e-6                 # relative step of the central differences
RTOL, ATOL = 1e-6, 1e-8
_NUMBERED = itertools.count()


def sample_of(rule):
    """The row's sample; for an elementwise row, (2, 3) and (3,) arrays that broadcast."""
    if isinstance(rule, ArrayRule):
        return rule.sample
    return Sample(*(Array((2, 3) if i == 0 else (3,)) for i in range(rule.arity)))


class RowCall:
    """A function ``row_<k>(x0, x1, ...)`` calling the row once: the sample's float arrays
    are its parameters (``primals``), masks are globals, anything else a literal."""

    def __init__(self, rule, seed=0):
        self.rule, self.rng = rule, np.random.default_rng(seed)
        self.domain = rule.domain if isinstance(rule, Partials) else None
        self.params, self.primals, self.constants = [], [], {}
        sample = sample_of(rule)
        args = [self.node(a) for a in sample.args]
        keywords = [ast.keyword(k, self.node(v)) for k, v in sample.keywords.items()]
        expression = _called(rule.key, args, keywords)
        name = f"row_{next(_NUMBERED)}"
        self.source = (f"def {name}({', '.join(self.params)}):\n"
                       f"    return {ast.unparse(expression)}\n")
        filename = f"<numpy row {rule.name} {name}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True),
                                     filename)
        namespace = {**_NAMESPACE, **self.constants}
        exec(compile(self.source, filename, "exec"), namespace)
        self.function = namespace[name]

    def node(self, value):
        if isinstance(value, Array) and value.dtype in (bool, int):
            name = f"mask{len(self.constants)}"
            self.constants[name] = self.rng.random(value.shape) < 0.5 if value.dtype is bool \
                else self.rng.integers(0, 2, value.shape)      # indices valid on any axis
            return ast.Name(name, ast.Load())
        if isinstance(value, Array):
            self.params.append(f"x{len(self.params)}")
            self.primals.append(self.random(value.shape, getattr(value, "domain", None),
                                            getattr(value, "draw", "normal")))
            return ast.Name(self.params[-1], ast.Load())
        if isinstance(value, (list, tuple)):
            return (ast.List if isinstance(value, list) else ast.Tuple)(
                [self.node(v) for v in value], ast.Load())
        if isinstance(value, slice):
            return ast.Slice(*(None if v is None else self.node(v)
                               for v in (value.start, value.stop, value.step)))
        return ast.Constant(value)

    def random(self, shape, domain=None, draw="normal"):
        """Values in the argument's domain (``scipy_rules.Within``) or the row's (an
        elementwise row's), else standard normal (or symmetric positive definite matrices,
        ``draw="positive definite"``)."""
        if draw == "positive definite":
            factor = self.rng.normal(size=shape)
            return factor @ np.swapaxes(factor, -1, -2) + shape[-1] * np.eye(shape[-1])
        domain = domain or self.domain
        if domain is None:
            value = self.rng.normal(size=shape)
        else:
            value = self.rng.uniform(*domain, size=shape)
        return float(value) if shape == () else value

    def like(self, value):
        """A random direction (a tangent, a cotangent) of ``value``'s shape."""
        return float(self.rng.normal()) if np.ndim(value) == 0 else \
            self.rng.normal(size=np.shape(value))


# s2sdiff: the row of s2sdiff.runtime.prod_of_others, np.prod's derivative
_NAMESPACE = {"np": np, "s2sdiff": s2sdiff,
              **({"scipy": sys.modules["scipy"]} if "scipy" in sys.modules else {})}


def _called(key, args, keywords):
    """The expression applying the row ``key`` to ``args`` and ``keywords``."""
    if isinstance(key, Function):
        spelled = rules.SPELLINGS.get(key.function) or (
            key.function.__module__.replace("numpy", "np", 1) + "." + key.function.__name__)
        assert eval(spelled, _NAMESPACE) == key.function, f"{key.name} is not {spelled}"
        part = [k.value for k in keywords if k.arg == "part"]    # np.split(x, 2)[part]
        call = ast.Call(ast.parse(spelled, mode="eval").body, args,
                        [k for k in keywords if k.arg != "part"])
        return ast.Subscript(call, part[0], ast.Load()) if part else call
    if isinstance(key, Method):
        return ast.Call(ast.Attribute(args[0], key.method, ast.Load()), args[1:], keywords)
    if isinstance(key, Attribute):
        return ast.Attribute(args[0], key.attribute, ast.Load())
    if isinstance(key, Operator):
        return ast.BinOp(args[0], key.operator(), args[1])
    if isinstance(key, Entry):            # np.linalg.eigh(x0)[1]
        return ast.Subscript(_called(Function(key.function), args, keywords),
                             ast.Constant(key.index), ast.Load())
    if key == Syntax("array getitem"):
        return ast.Subscript(args[0], args[1], ast.Load())
    raise AssertionError(f"no way to call the row {key!r}")


def _precision(out):
    """The relative step of the central differences and the tolerances (relative,
    absolute, and of forward against reverse) for an output like ``out``: float32 (the
    np.float32 row) rounds at 6e-8, so a larger step and looser tolerances."""
    if np.asarray(out).dtype == np.float32:
        return 1e-2, 1e-4, 1e-5, 1e-6
    return STEP, RTOL, ATOL, 1e-12


def _central(f, primals, i, direction, step=STEP):
    """(f(.., x_i + h d, ..) - f(.., x_i - h d, ..)) / 2h."""
    h = step * max(1.0, float(np.max(np.abs(primals[i]))))
    plus, minus = list(primals), list(primals)
    plus[i] = primals[i] + h * direction
    minus[i] = primals[i] - h * direction
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * h)


def _unit(value, position):
    """The direction of one entry of ``value`` (1.0 for a number)."""
    if np.ndim(value) == 0:
        return 1.0
    e = np.zeros(np.shape(value))
    e[position] = 1.0
    return e


@pytest.mark.parametrize("rule", ROWS, ids=lambda r: r.name)
def test_the_sample_calls_the_row(rule):
    call = RowCall(rule)
    keys = {step.rule.key for step in normalize(parse(call.function)).steps
            if step.rule is not None}
    assert rule.key in keys, call.source


@pytest.mark.parametrize("rule", ROWS, ids=lambda r: r.name)
def test_vjp_against_central_differences(rule):
    call = RowCall(rule)
    f, primals = call.function, call.primals
    out, pullback = vjp(f, *primals)
    np.testing.assert_allclose(out, f(*primals), rtol=1e-15, err_msg=call.source)
    cotangent = call.like(out)
    gradients = pullback(cotangent)
    step, rtol, atol, _ = _precision(out)
    assert len(gradients) == len(primals)
    for i, (primal, gradient) in enumerate(zip(primals, gradients)):
        assert np.shape(gradient) == np.shape(primal), call.source
        numeric = np.zeros(np.shape(primal))
        for position in np.ndindex(np.shape(primal)):
            numeric[position] = np.sum(cotangent * _central(f, primals, i, _unit(primal, position),
                                                            step))
        np.testing.assert_allclose(gradient, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"d/d{call.params[i]} of\n{call.source}")


@pytest.mark.parametrize("rule", ROWS, ids=lambda r: r.name)
def test_jvp_against_central_differences_and_the_vjp(rule):
    call = RowCall(rule)
    f, primals = call.function, call.primals
    tangents = [call.like(p) for p in primals]
    out, tangent_out = jvp(f, primals, tangents)
    np.testing.assert_allclose(out, f(*primals), rtol=1e-15, err_msg=call.source)
    assert np.shape(tangent_out) == np.shape(out), call.source
    step, rtol, atol, agree = _precision(out)
    numeric = sum(_central(f, primals, i, t, step) for i, t in enumerate(tangents))
    np.testing.assert_allclose(tangent_out, numeric, rtol=rtol, atol=atol, err_msg=call.source)
    cotangent = call.like(out)
    gradients = vjp(f, *primals)[1](cotangent)
    forward = np.sum(cotangent * tangent_out)
    reverse = sum(np.sum(g * t) for g, t in zip(gradients, tangents))
    assert forward == pytest.approx(reverse, rel=agree, abs=1e-14), call.source


def _replaced(monkeypatch, key, **changes):
    monkeypatch.setitem(rules.RULES, key, dataclasses.replace(rules.RULES[key], **changes))


def test_a_wrong_vjp_is_caught(monkeypatch):
    _replaced(monkeypatch, Function(np.sum), vjps={"a": lambda c: c.spread(c.g_lazy * 2.0)})
    with pytest.raises(AssertionError, match="d/dx0"):
        test_vjp_against_central_differences(rules.RULES[Function(np.sum)])


def test_a_wrong_jvp_is_caught(monkeypatch):
    _replaced(monkeypatch, Function(np.max), jvp=None)       # max taken for a linear row
    with pytest.raises(AssertionError):
        test_jvp_against_central_differences_and_the_vjp(rules.RULES[Function(np.max)])


def test_every_array_rule_has_a_sample():
    """``defvjp`` takes ``sample`` by keyword, without a default: a row cannot lack one."""
    assert all(isinstance(r.sample, Sample) for r in ROWS if isinstance(r, ArrayRule))


def _write_through_flip(x):
    y = x * 1.0
    z = np.flip(y)
    z[0] = 5.0
    return np.sum(y * y)


def _write_through_fliplr(x):
    y = x * 1.0
    z = np.fliplr(y)
    z[0] = 5.0
    return np.sum(y * y)


def _write_through_flipud(x):
    y = x * 1.0
    z = np.flipud(y)
    z[0] = 5.0
    return np.sum(y * y)


def _write_through_moveaxis(x):
    y = x * 1.0
    z = np.moveaxis(y, 0, 1)
    z[0] = 5.0
    return np.sum(y * y)


@pytest.mark.parametrize("f", [_write_through_flip, _write_through_fliplr,
                               _write_through_flipud, _write_through_moveaxis])
def test_a_write_through_a_view_made_by_a_row_is_refused(f):
    """np.flip and its kin return views (views.VIEWS): a write into one would change
    ``y`` behind the gradient's back, so it is refused, not differentiated wrongly."""
    with pytest.raises(UnsupportedError, match="writes in place into storage that `y`"):
        vjp(f, np.ones((2, 2)))[1](1.0)       # the pullback specialises to the arguments


def _write_through_broadcast(x):
    b = np.broadcast_to(x, (3, 3))
    b[0] = 1.0
    return np.sum(b)


def test_a_write_through_broadcast_to_stays_refused():
    """np.broadcast_to's view is read-only: the write raises NumPy's own error."""
    with pytest.raises(ValueError, match="read-only"):
        vjp(_write_through_broadcast, np.ones(3))


def test_sort_gives_tied_entries_the_gradients_of_the_positions_they_fill():
    def weighted_sort(x):
        return np.sum(np.sort(x) * np.array([1.0, 2.0, 3.0]))
    x = np.array([1.0, 1.0, 0.0])
    np.testing.assert_array_equal(vjp(weighted_sort, x)[1](1.0)[0], [2.0, 3.0, 1.0])
    assert jvp(weighted_sort, (x,), (np.array([1.0, 0.0, 0.0]),))[1] == 2.0
