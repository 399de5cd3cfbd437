"""Every function of the shared corpus (tests/functions.py) through every oracle.

* finite differences (central and Richardson) agree with the generated gradient;
* ``verify`` (SymPy) agrees, each within a time limit, its duration recorded;
* hand-worked closed forms agree to 1e-12 relative;
* ``value_and_grad`` returns exactly ``f``'s value and ``grad``'s gradient;
* the ``wrt`` conventions of DESIGN.md agree with each other;
* a float input gets a float gradient;
* a deliberately wrong rule is caught by both ``check_grad`` and ``verify``;
* ``grad`` leaves the user's function and module untouched;
* the corpus uses every row of the rule table.

Failures caused by known s2sdiff bugs are ``xfail(strict=True)`` with the bug described
in ``KNOWN_BUGS``; when a bug is fixed the strict xfail turns into a failure, and the
entry should be removed.
"""

import ast
import builtins
import inspect
import math
import pathlib
import sys
import textwrap
import time
import types

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import functions as corpus                                      # noqa: E402
from s2sdiff import grad, value_and_grad                         # noqa: E402
from s2sdiff import rules                                        # noqa: E402
from s2sdiff.rules import Function, Operator, Syntax             # noqa: E402
from s2sdiff.check import check_grad, verify                     # noqa: E402
from tools.fuzz.oracles import time_limit                      # noqa: E402
from s2sdiff.normalize import normalize                          # noqa: E402
from s2sdiff.parse import parse                                  # noqa: E402

CASES = corpus.CASES
VERIFY_TIME_LIMIT = 15.0          # seconds; the slowest passing verify takes about 3 s


# known bugs ---------------------------------------------------------------------------

KNOWN_BUGS = {}


def cases(kind, selection=CASES):
    """``selection`` as pytest params, known bugs of this ``kind`` marked xfail(strict)."""
    params = []
    for case in selection:
        reason = KNOWN_BUGS.get((kind, case.name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


# helpers ------------------------------------------------------------------------------

def params_of(f):
    return list(inspect.signature(f).parameters)


def as_tuple(result, n):
    if n == 1:
        assert not isinstance(result, tuple), f"one-parameter gradient returned a tuple {result!r}"
        return (result,)
    assert isinstance(result, tuple) and len(result) == n, result
    return result


def same(a, b):
    """Bit-for-bit the same float (NaN equal to NaN), or equal non-floats."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def fresh(f):
    """A new function object with f's code, globals and closure: nothing cached for it."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


# the corpus itself --------------------------------------------------------------------

def test_corpus_shape():
    names = [case.name for case in CASES]
    assert len(CASES) >= 45
    assert len(set(names)) == len(names), "case names must be unique (they are test ids)"
    assert sum(case.gradient is not None for case in CASES) >= 10
    for case in CASES:
        n = len(params_of(case.func))
        assert 1 <= n <= 4, case.name
        assert len(case.point) == n, case.name
        assert all(type(v) is float for v in case.point), case.name
        value = case.func(*case.point)
        assert isinstance(value, (int, float)) and math.isfinite(value), case.name


def _resolve(func, node):
    """The object a call's callee names, resolved as the function would at call time."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    closure = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    if node.id in closure:
        value = closure[node.id].cell_contents
    elif node.id in func.__globals__:
        value = func.__globals__[node.id]
    else:
        value = getattr(builtins, node.id, None)
    for attr in reversed(parts):
        value = getattr(value, attr, None)
    return value


def _is_one(node):
    return isinstance(node, ast.Constant) and node.value == 1


def _is_sigmoid(node):
    """``1 / (1 + exp(-u))`` or ``1 / (exp(-u) + 1)``, the fused gate of seed 002."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _is_one(node.left)
            and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Add)):
        return None
    for one, call in ((node.right.left, node.right.right), (node.right.right, node.right.left)):
        if _is_one(one) and isinstance(call, ast.Call) and len(call.args) == 1 \
                and isinstance(call.args[0], ast.UnaryOp) and isinstance(call.args[0].op, ast.USub):
            return call
    return None


def rules_used_by(func):
    """Rule-table keys ``func`` uses, found by walking its AST and resolving its calls."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign, ast.UnaryOp)):
            used.add(Operator(type(node.op)))
        if isinstance(node, ast.Call):
            callee = _resolve(func, node.func)
            if Function(callee, len(node.args)) in rules.RULES:
                used.add(Function(callee, len(node.args)))
            elif Function(callee) in rules.RULES:
                used.add(Function(callee))
        if isinstance(node, ast.BinOp):
            call = _is_sigmoid(node)
            if call is not None and _resolve(func, call.func) in rules.EXP_FUNCTIONS:
                used.add(Syntax("sigmoid"))
        if isinstance(node, ast.Assign):
            plain = (ast.Name, ast.Constant)
            if isinstance(node.value, plain) or len(node.targets) > 1 or (
                    isinstance(node.value, ast.Tuple) and any(isinstance(e, plain) for e in node.value.elts)):
                used.add(Syntax("copy"))
    return used & set(rules.RULES)


def _unused_scalar_rows(used):
    """The names of the scalar ``Partials`` rows whose keys are not in ``used``."""
    return [rule.name for key, rule in rules.RULES.items() if isinstance(rule, rules.Partials)
            and not rules.is_numpy_row(rule) and key not in used and not _of_runtime(key)]


def _of_runtime(key):
    """A row of s2sdiff's own helper that generated code calls (runtime.digamma, math.gamma's
    partial), differentiated again by hessians of the corpus (gamma_functions), not written
    by users."""
    return getattr(getattr(key, "function", None), "__module__", None) == "s2sdiff.runtime"


def test_corpus_covers_every_rule():
    used = set().union(*(rules_used_by(case.func) for case in CASES))
    missing = _unused_scalar_rows(used)
    assert not missing, f"no corpus function uses {missing}"


def test_pipeline_applies_every_rule():
    """The same coverage as the normaliser sees it (the rules the steps actually carry)."""
    used = {step.rule.key for case in CASES for step in normalize(parse(case.func)).steps
            if step.rule is not None}
    missing = _unused_scalar_rows(used)
    assert not missing, f"no corpus function makes a step with {missing}"


# oracles ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["central", "richardson"])
@pytest.mark.parametrize("case", cases("check_grad"))
def test_check_grad(case, method):
    report = check_grad(case.func, *case.point, method=method)
    assert len(report.rows) == len(case.point)


@pytest.mark.parametrize("case", cases("verify"))
def test_verify(case, record_property):
    start = time.perf_counter()
    with time_limit(VERIFY_TIME_LIMIT, f"verify({case.name})"):
        report = verify(case.func)
    record_property("verify_seconds", round(time.perf_counter() - start, 3))
    assert [row[0] for row in report.rows] == params_of(case.func)


@pytest.mark.parametrize("case", cases("closed_form", [c for c in CASES if c.gradient]))
def test_closed_form(case):
    n = len(case.point)
    generated = as_tuple(grad(case.func)(*case.point), n)
    expected = case.gradient(*case.point)
    assert len(expected) == n
    for name, g, e in zip(params_of(case.func), generated, expected):
        if e == 0:
            assert g == 0, f"d/d{name}: generated {g!r}, closed form 0"
        else:
            assert abs(g - e) <= 1e-12 * abs(e), f"d/d{name}: generated {g!r}, closed form {e!r}"


# API conventions ----------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("value_and_grad"))
def test_value_and_grad(case):
    f, point = case.func, case.point
    value, gradient = value_and_grad(f)(*point)
    expected = f(*point)
    assert type(value) is type(expected) and value == expected
    n = len(point)
    reference = as_tuple(grad(f)(*point), n)
    assert all(map(same, as_tuple(gradient, n), reference))
    for i, name in enumerate(params_of(f)):
        value_i, gradient_i = value_and_grad(f, wrt=name)(*point)
        assert value_i == expected and same(gradient_i, reference[i])


@pytest.mark.parametrize("case", cases("wrt"))
def test_wrt_conventions(case):
    f, point = case.func, case.point
    names = params_of(f)
    n = len(names)
    full = as_tuple(grad(f)(*point), n)
    assert all(map(same, as_tuple(grad(f, wrt=None)(*point), n), full))
    for i, name in enumerate(names):
        for wrt in (i, name, i - n):
            alone = grad(f, wrt=wrt)(*point)
            assert not isinstance(alone, tuple), f"wrt={wrt!r} returned a tuple"
            assert same(alone, full[i]), f"wrt={wrt!r}: {alone!r} != {full[i]!r}"
        one = grad(f, wrt=[name])(*point)
        assert isinstance(one, tuple) and len(one) == 1 and same(one[0], full[i])
        one = grad(f, wrt=(i,))(*point)
        assert isinstance(one, tuple) and len(one) == 1 and same(one[0], full[i])
    order = list(reversed(range(n)))
    mixed = tuple(names[j] if k % 2 else j - n * (k % 3 == 2) for k, j in enumerate(order))
    for wrt in (tuple(order), tuple(names[j] for j in order), mixed, list(mixed)):
        result = grad(f, wrt=wrt)(*point)
        assert isinstance(result, tuple) and len(result) == n, wrt
        assert all(same(r, full[j]) for r, j in zip(result, order)), wrt
    if n >= 2:
        in_order = grad(f, wrt=tuple(names))(*point)
        assert all(map(same, in_order, full))


@pytest.mark.parametrize("case", cases("float_type"))
def test_gradient_of_float_is_float(case):
    n = len(case.point)
    for name, g in zip(params_of(case.func), as_tuple(grad(case.func)(*case.point), n)):
        assert type(g) is float, f"d/d{name} is {type(g).__name__} {g!r}"
    value, gradient = value_and_grad(case.func)(*case.point)
    assert all(type(g) is float for g in as_tuple(gradient, n))


# a wrong rule is caught ---------------------------------------------------------------

def _wrong(key, partials):
    right = rules.RULES[key]
    return rules.Partials(key, right.forward, partials, right.domain)


def test_wrong_sin_rule_is_caught(monkeypatch):
    monkeypatch.setitem(rules.RULES, Function(math.sin),
                        _wrong(Function(math.sin), lambda m, out, x: (-m.cos(x),)))
    case = next(c for c in CASES if c.func is corpus.temp_name_collisions)
    f = fresh(case.func)
    assert "-math.cos(x)" in grad(f).source      # the wrong rule is in use
    for method in ("central", "richardson"):
        with pytest.raises(AssertionError, match=r"temp_name_collisions at x:"):
            check_grad(f, *case.point, method=method)
    with pytest.raises(AssertionError, match=r"verify\(temp_name_collisions\): d/dx differs"):
        verify(f)
    # the component the wrong rule does not touch still passes both oracles
    check_grad(f, *case.point, wrt="y")
    verify(f, wrt="y")


def test_wrong_mult_rule_is_caught(monkeypatch):
    monkeypatch.setitem(rules.RULES, Operator(ast.Mult),
                        _wrong(Operator(ast.Mult), lambda m, out, x, y: (x, y)))  # swapped
    case = next(c for c in CASES if c.func is corpus.integer_literals)
    f = fresh(case.func)
    assert grad(f)(*case.point) != 2.0
    for method in ("central", "richardson"):
        with pytest.raises(AssertionError, match=r"integer_literals at x:"):
            check_grad(f, *case.point, method=method)
    with pytest.raises(AssertionError, match=r"verify\(integer_literals\): d/dx differs"):
        verify(f)


def test_wrong_rule_does_not_leak_into_cached_functions(monkeypatch):
    case = next(c for c in CASES if c.func is corpus.trig)
    right = grad(case.func)(*case.point)
    with monkeypatch.context() as patch:
        patch.setitem(rules.RULES, Function(math.sin),
                      _wrong(Function(math.sin), lambda m, out, x: (-m.cos(x),)))
        assert grad(fresh(case.func))(*case.point) != right
    assert grad(fresh(case.func))(*case.point) == right
    check_grad(case.func, *case.point)


# the user's function is left alone ----------------------------------------------------

def _snapshot(f):
    cells = tuple(c.cell_contents for c in f.__closure__ or ())
    return dict(code=f.__code__, co_code=f.__code__.co_code, dict=dict(f.__dict__),
                defaults=f.__defaults__, kwdefaults=f.__kwdefaults__, name=f.__name__,
                qualname=f.__qualname__, module=f.__module__,
                annotations=dict(f.__annotations__), cells=cells,
                globals=dict(f.__globals__))


def _assert_unchanged(before, f):
    after = _snapshot(f)
    assert after["code"] is before["code"] and after["co_code"] == before["co_code"]
    for key in ("dict", "defaults", "kwdefaults", "name", "qualname", "module", "annotations"):
        assert after[key] == before[key], key
    assert len(after["cells"]) == len(before["cells"])
    assert all(a is b for a, b in zip(after["cells"], before["cells"]))
    assert after["globals"].keys() == before["globals"].keys(), \
        set(after["globals"]) ^ set(before["globals"])
    changed = [k for k in before["globals"] if after["globals"][k] is not before["globals"][k]]
    assert not changed, f"module globals rebound: {changed}"


@pytest.mark.parametrize("case", cases("unmodified"))
def test_user_function_not_modified(case):
    f = case.func
    before = _snapshot(f)
    expected = f(*case.point)
    # optimize=False and a fresh copy force generation even if grad(f) is cached
    grad(f, optimize=False)(*case.point)
    grad(f)(*case.point)
    value_and_grad(f, wrt=0)(*case.point)
    copy = fresh(f)
    grad(copy)(*case.point)
    _assert_unchanged(before, f)
    assert not copy.__dict__
    assert f(*case.point) == expected
