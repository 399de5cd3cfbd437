"""Control flow, calls and lists (issue 3): the ``CONTROL_CASES`` of tests/functions.py.

Without s2sdiff (these pass whatever the state of the implementation):

* the corpus has the shape the tests rely on and uses every construct issue 3 lists;
* every hand-worked closed form matches central differences of the function itself;
* every point is away from branch switches and trip-count changes (central differences
  at a tiny and at a larger step agree);
* list-taking functions give the same value on NumPy arrays, as ``check_grad`` feeds them.

With s2sdiff, for every case:

* ``grad`` matches the closed form (relative 1e-9) where there is one, and central
  differences (``check_grad``) everywhere;
* ``value_and_grad`` returns exactly ``f``'s value and ``grad``'s gradient;
* the generated source is deterministic, within a process and across processes;
* the tape holds only what the reverse sweep needs: none in straight-line code or in a
  loop whose iterations need nothing stored, one push per iteration in the recurrence
  ``s = s * 0.99 + math.sin(s) * y``.

Conventions (see the header of the control-flow section of tests/functions.py): ``wrt``
is None (every parameter) or a tuple of parameter names; the closed form returns the
gradient for those in parameter order; a list parameter's gradient is a sequence of the
same length (a list, a tuple or a 1-d array are all accepted here).
"""

import ast
import inspect
import math
import pathlib
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import functions as corpus
from s2sdiff import derivative, grad, jvp, value_and_grad
from s2sdiff.check import check_grad

CASES = corpus.CONTROL_CASES
EPS = float(np.finfo(float).eps)
CLOSED_FORM_RTOL = 1e-9          # generated gradient vs closed form


# helpers ------------------------------------------------------------------------------

def params_of(f):
    return list(inspect.signature(f).parameters)


def differentiated(case):
    """Names of the differentiated parameters, in parameter order."""
    return list(case.wrt) if case.wrt is not None else params_of(case.func)


def as_tuple(result, case):
    """``grad(case.func, wrt=case.wrt)(...)`` as a tuple with one entry per name."""
    n = len(differentiated(case))
    if case.wrt is None and n == 1:
        assert not isinstance(result, tuple), f"one-parameter gradient returned a tuple {result!r}"
        return (result,)
    assert isinstance(result, tuple) and len(result) == n, result
    return result


def is_list_param(value):
    return isinstance(value, list)


def fresh(f):
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


def params(selection=CASES):
    return [pytest.param(case, id=case.name) for case in selection]


def entries(value):
    """A gradient entry as a list of floats (one for a float parameter)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    array = np.asarray(value, dtype=float)
    assert array.ndim == 1, f"expected a float or a 1-d sequence, got {value!r}"
    return [float(v) for v in array]


def assert_close(got, expected, rtol, atol, what):
    g, e = entries(got), entries(expected)
    assert len(g) == len(e), f"{what}: {len(g)} components, expected {len(e)} ({got!r} vs {expected!r})"
    for k, (a, b) in enumerate(zip(g, e)):
        label = what if len(e) == 1 and not isinstance(expected, (list, tuple)) else f"{what}[{k}]"
        assert abs(a - b) <= atol + rtol * abs(b), f"{label}: got {a!r}, expected {b!r}"


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


# central differences of the original function (plain Python, no s2sdiff) -------------

def partial(f, point, index, element, step):
    """Central difference of f at ``point`` along parameter ``index`` (list ``element``)."""
    def at(offset):
        moved = list(point)
        if element is None:
            moved[index] = point[index] + offset
        else:
            values = list(point[index])
            values[element] += offset
            moved[index] = values
        return f(*moved)

    return (at(step) - at(-step)) / (2 * step)


def numeric_gradient(case, relative_step=None):
    """Central differences with respect to ``differentiated(case)``, shaped like a closed
    form: a float per float parameter, a list per list parameter.  The step is
    EPS**(1/3) * max(1, |v|), or ``relative_step * max(1, |v|)``."""
    names = params_of(case.func)
    out = []
    for name in differentiated(case):
        index = names.index(name)
        value = case.point[index]

        def step(v):
            return (relative_step or EPS ** (1 / 3)) * max(1.0, abs(v))

        if is_list_param(value):
            out.append([partial(case.func, case.point, index, k, step(v))
                        for k, v in enumerate(value)])
        else:
            out.append(partial(case.func, case.point, index, None, step(value)))
    return tuple(out)


# the corpus itself (no s2sdiff) -------------------------------------------------------

def test_control_corpus_shape():
    names = [case.name for case in CASES]
    assert len(CASES) >= 60
    assert len(set(names)) == len(names), "case names must be unique (they are test ids)"
    assert not set(names) & {case.name for case in corpus.CASES}, "control cases are not in CASES"
    assert sum(case.gradient is not None for case in CASES) >= 25
    for case in CASES:
        names_ = params_of(case.func)
        assert len(case.point) == len(names_), case.name
        if case.wrt is not None:
            assert isinstance(case.wrt, tuple) and case.wrt, case.name
            assert list(case.wrt) == [n for n in names_ if n in case.wrt], \
                f"{case.name}: wrt must list parameter names in parameter order"
        for name, value in zip(names_, case.point):
            if type(value) is int:
                assert case.wrt is not None and name not in case.wrt, \
                    f"{case.name}: int parameter {name} must be left out of wrt"
            elif is_list_param(value):
                assert all(type(v) is float for v in value), f"{case.name}: {name}"
            else:
                assert type(value) is float, f"{case.name}: {name} is {type(value).__name__}"
        value = case.func(*case.point)
        assert type(value) is float and math.isfinite(value), case.name


def _calls_named(func):
    return {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(func))))
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))}


def test_control_corpus_covers_issue_3():
    """Every construct of issue 3 occurs in some case's function (helpers included)."""
    funcs = {case.func for case in CASES}
    for case in CASES:             # the module-level helpers they call
        for name in _calls_named(case.func):
            helper = getattr(corpus, name, None)
            if isinstance(helper, types.FunctionType):
                funcs.add(helper)
    seen = set()
    for func in funcs:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
        for node in ast.walk(tree):
            kind = type(node).__name__
            seen.add(kind)
            if isinstance(node, ast.If) and node.orelse:
                seen.add("If-else" if not isinstance(node.orelse[0], ast.If) else "If-elif")
            if isinstance(node, ast.BoolOp):
                seen.add(type(node.op).__name__)
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                seen.add("Not")
            if isinstance(node, (ast.For, ast.While)):
                inner = [n for n in ast.walk(node) if n is not node]
                if any(isinstance(n, (ast.For, ast.While)) for n in inner):
                    seen.add("nested loop")
                if any(isinstance(n, ast.Return) for n in inner):
                    seen.add("return in loop")
                if any(isinstance(n, ast.Break) for n in inner if
                       any(isinstance(m, (ast.For, ast.While)) and n in ast.walk(m) for m in inner)):
                    seen.add("break in nested loop")
            if isinstance(node, ast.If) and any(isinstance(n, ast.Return) for n in node.body):
                seen.add("return in branch")
            if isinstance(node, ast.For) and isinstance(node.iter, ast.Call) \
                    and isinstance(node.iter.func, ast.Name):
                called = node.iter.func.id
                if called == "range":
                    seen.add(f"range/{len(node.iter.args)}")
                    if len(node.iter.args) == 3 and isinstance(node.iter.args[2], ast.UnaryOp):
                        seen.add("range negative step")
                else:
                    seen.add(called)
            if isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)):
                seen.add(f"for over {type(node.iter).__name__}")
            if isinstance(node, ast.For) and isinstance(node.iter, ast.Name):
                seen.add("for over a parameter")
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                seen.add("element assignment")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "append":
                seen.add("append")
            if isinstance(node, ast.Call) and any(k.arg for k in node.keywords):
                seen.add("keyword arguments")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == func.__name__:
                seen.add("recursion")
            if isinstance(node, ast.AugAssign):
                seen.add("augmented")
        if func.__defaults__:
            seen.add("defaults")
    required = {"If-else", "If-elif", "IfExp", "And", "Or", "Not", "return in branch",
                "return in loop", "range/1", "range/2", "range/3", "range negative step",
                "for over a parameter", "for over Tuple", "for over List", "enumerate", "zip",
                "While", "Break", "Continue", "nested loop", "break in nested loop",
                "element assignment", "append", "Subscript", "keyword arguments", "defaults",
                "recursion", "augmented"}
    assert not required - seen, f"no control case uses {sorted(required - seen)}"
    assert "_square" in _calls_named(corpus._square_plus_affine)      # helper calls helper
    assert corpus.power_rec in {c.func for c in CASES}
    depth = next(c for c in CASES if c.func is corpus.power_rec).point[1]
    assert depth == 20


@pytest.mark.parametrize("case", params([c for c in CASES if c.gradient]))
def test_closed_forms_match_central_differences(case):
    """The hand-worked closed forms against the ORIGINAL function; no s2sdiff involved."""
    expected = case.gradient(*case.point)
    assert isinstance(expected, tuple) and len(expected) == len(differentiated(case))
    numeric = numeric_gradient(case)
    for name, e, n in zip(differentiated(case), expected, numeric):
        assert_close(e, n, rtol=1e-6, atol=1e-8, what=f"{case.name}: closed form d/d{name}")


@pytest.mark.parametrize("case", params())
def test_points_are_away_from_switches(case):
    """A branch switch or a change of trip count within 1e-4 (relative) of the point
    would make a difference over that step disagree with one over a tiny step."""
    tiny = numeric_gradient(case)
    wide = numeric_gradient(case, relative_step=1e-4)
    for name, t, w in zip(differentiated(case), tiny, wide):
        assert_close(w, t, rtol=1e-4, atol=1e-4, what=f"{case.name}: d/d{name} over a 1e-4 step")


@pytest.mark.parametrize("case", params([c for c in CASES if any(map(is_list_param, c.point))]))
def test_list_functions_accept_arrays(case):
    """check_grad perturbs a list parameter as a NumPy array: the value must not change."""
    arrays = [np.array(v, dtype=float) if is_list_param(v) else v for v in case.point]
    assert float(case.func(*arrays)) == pytest.approx(case.func(*case.point), rel=1e-15)


# the generated gradients --------------------------------------------------------------

@pytest.mark.parametrize("case", params([c for c in CASES if c.gradient]))
def test_grad_matches_closed_form(case):
    generated = as_tuple(grad(case.func, wrt=case.wrt)(*case.point), case)
    expected = case.gradient(*case.point)
    for name, g, e in zip(differentiated(case), generated, expected):
        assert_close(g, e, rtol=CLOSED_FORM_RTOL, atol=1e-300,
                     what=f"{case.name}: d/d{name}")


@pytest.mark.parametrize("case", params())
def test_check_grad(case):
    report = check_grad(case.func, *case.point, wrt=case.wrt)
    expected_rows = sum(len(v) if is_list_param(v) else 1
                        for name, v in zip(params_of(case.func), case.point)
                        if name in differentiated(case))
    assert len(report.rows) == expected_rows


@pytest.mark.parametrize("case", params())
def test_value_and_grad(case):
    f, point = case.func, case.point
    value, gradient = value_and_grad(f, wrt=case.wrt)(*point)
    expected = f(*point)
    assert type(value) is type(expected) and value == expected
    reference = as_tuple(grad(f, wrt=case.wrt)(*point), case)
    assert same(as_tuple(gradient, case), reference)


@pytest.mark.parametrize("case", params())
def test_generated_source_is_deterministic(case):
    source = grad(case.func, wrt=case.wrt).source
    assert grad(fresh(case.func), wrt=case.wrt).source == source
    assert grad(fresh(case.func), wrt=case.wrt, optimize=False).source == \
        grad(fresh(case.func), wrt=case.wrt, optimize=False).source


def test_generated_source_is_identical_across_processes():
    chosen = ["recurrence", "nested_loop_break_active", "call_keyword_args", "power_rec",
              "list_overwrite_in_loop", "list_append_then_loop", "mixed_boolean",
              "return_in_nested_loop", "zip_list_params"]
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, "tests")
        import functions as corpus
        from s2sdiff import grad, value_and_grad
        cases = {{c.name: c for c in corpus.CONTROL_CASES}}
        for name in {chosen!r}:
            c = cases[name]
            print(grad(c.func, wrt=c.wrt).source, value_and_grad(c.func, wrt=c.wrt).source)
    """)
    cases = {c.name: c for c in corpus.CONTROL_CASES}
    here = "".join(f"{grad(c.func, wrt=c.wrt).source} {value_and_grad(c.func, wrt=c.wrt).source}\n"
                   for c in (cases[name] for name in chosen))
    outputs = {here}        # this process: a random hash seed unless PYTHONHASHSEED is set
    root = str(pathlib.Path(__file__).parent.parent)
    for seed in ("0", "12345"):
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": root}
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env=env, cwd=root)
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1


# the tape -----------------------------------------------------------------------------

def tape_operations(source):
    """(pushes, pops): the ``.append(`` and ``.pop(`` calls of a generated source."""
    calls = [node.func.attr for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]
    return calls.count("append"), calls.count("pop")


def pushes_inside_loops(source):
    """``.append(`` calls lexically inside a ``for`` or ``while`` of the generated source."""
    count = 0
    for loop in ast.walk(ast.parse(source)):
        if isinstance(loop, (ast.For, ast.While)):
            for statement in loop.body + loop.orelse:
                count += sum(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                             and n.func.attr == "append" for n in ast.walk(statement))
    return count


def loops_in(source):
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.For, ast.While))]


def has_nested_loops(source):
    """Nested generated loops would make pushes_inside_loops count a push twice."""
    loops = loops_in(source)
    return any(m is not n and m in list(ast.walk(n)) for n in loops for m in loops)


STRAIGHT_LINE = [corpus.straight_line] + [case.func for case in corpus.CASES]


@pytest.mark.parametrize("func", [pytest.param(f, id=f.__name__) for f in STRAIGHT_LINE])
def test_straight_line_source_has_no_tape(func):
    source = grad(func).source
    assert not loops_in(source), source
    assert ".append(" not in source and ".pop(" not in source, source


@pytest.mark.parametrize("func", [corpus.loop_sum_no_tape, corpus.loop_scaled_sum_no_tape],
                         ids=lambda f: f.__name__)
def test_loop_needing_nothing_stored_has_no_tape(func):
    source = grad(func).source
    assert ".append(" not in source and ".pop(" not in source, source
    assert tape_operations(source) == (0, 0), source
    case = next(c for c in CASES if c.func is func)
    assert_close(grad(func)(*case.point), case.gradient(*case.point)[0], rtol=0, atol=0,
                 what=func.__name__)


def test_recurrence_pushes_once_per_iteration():
    """``s = s * 0.99 + math.sin(s) * y``: the reverse sweep needs the old s of each
    iteration (for cos(s) and sin(s)), and nothing else: one push per iteration."""
    source = grad(corpus.recurrence).source
    assert loops_in(source) and not has_nested_loops(source), source
    assert pushes_inside_loops(source) == 1, source
    pushes, pops = tape_operations(source)
    assert pushes == 1, source
    assert pops <= 1, source
    # both partials are used: the gradient really is the recurrence's
    case = next(c for c in CASES if c.func is corpus.recurrence)
    check_grad(case.func, *case.point)


# forward mode and second derivatives over control flow ------------------------------------

def _tangents(case, rng):
    return tuple(list(rng.normal(size=len(p))) if is_list_param(p) else float(rng.normal())
                 for p in case.point)


@pytest.mark.parametrize("case", params([c for c in CASES if c.wrt is None]))
def test_jvp_matches_the_gradient(case):
    """Forward mode (same rule table, its own code for branches, loops, calls and lists)
    against reverse mode: jvp(f, x, t) is (f(x), <grad f(x), t>)."""
    from s2sdiff import jvp
    tangents = _tangents(case, np.random.default_rng(7))
    gradient = as_tuple(grad(case.func)(*case.point), case)
    expected = sum(float(np.dot(entries(g), entries(t))) for g, t in zip(gradient, tangents))
    value, tangent = jvp(case.func, tuple(case.point), tangents)
    assert value == case.func(*case.point)
    assert tangent == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", params([c for c in CASES if c.wrt is None and not any(
    is_list_param(p) for p in c.point)]))
def test_hessian_matches_differences_of_the_gradient(case):
    """hessian (forward over forward mode here) against central differences of grad."""
    from s2sdiff import hessian
    point = list(case.point)
    H = np.atleast_2d(np.array(hessian(case.func)(*point), dtype=float))
    g = grad(case.func)
    n = len(point)
    for j in range(n):
        h = 1e-6 * max(1.0, abs(point[j]))
        up, down = list(point), list(point)
        up[j] += h
        down[j] -= h
        column = (np.atleast_1d(np.array(g(*up), dtype=float))
                  - np.atleast_1d(np.array(g(*down), dtype=float))) / (2 * h)
        np.testing.assert_allclose(H.reshape(n, n)[:, j], column, rtol=2e-5, atol=2e-6)


def _min_max(u, v):
    return min(u, v), max(u, v) * u


def calls_helper_returning_a_pair(x, y):
    low, high = _min_max(x * y, y)
    return low * high + high


def test_a_helper_returning_a_tuple():
    """``a, b = g(x)``: the call's tuple, then its entries; the pullback takes one
    cotangent per entry."""
    x, y = 2.0, 0.75
    dx, dy = grad(calls_helper_returning_a_pair)(x, y)
    # u = x*y = 1.5 > v = y: low = y, high = u*u -> f = y*u^2 + u^2
    u = x * y
    assert dx == pytest.approx((2 * y * u + 2 * u) * y)
    assert dy == pytest.approx(u * u + (2 * y * u + 2 * u) * x)
    assert "dxty, dy = pullback__min_max(xty, y, *dt1)" in \
        grad(calls_helper_returning_a_pair).source


# fuzzer findings, each once a wrong gradient or a crash -----------------------------------

SCALE_ABOVE_ONE = 1.25


def return_on_first_trip(p):                 # `del` was the adjoint of `el`
    for el in (0.5, p):
        return el
    return p


def return_then_branch(q):
    t = 1.0
    for e in (q, q):
        return t
    if q > 0:
        q = q * 2.0
    return q


def local_in_untaken_branch(v):              # t is local to the body: nothing carried
    s = v + 0.5
    for it in range(2):
        if s <= 0.5:
            t = s * 2.0
            t += 1.0
            s = s + t
    return s


def return_or_reassign(d):
    r = d
    if r < 0.0:
        return r
    r = 1.5
    return r


def overwrite_then_continue(x):              # the adjoint of m accumulated once per trip
    m = 0.0
    for k in range(4):
        if k >= 0:
            m = math.sin(x)
            continue
    return m


def while_and_overwrite(b, x):
    s = b
    n = 0
    while n < 3 and s < 10.0 and SCALE_ABOVE_ONE > 1:
        n += 1
        s = math.sin(x)
    return s


def enumerate_with_start(x, y):
    s = 0.0
    for i, t in enumerate([x, y], start=1):
        s = s + t * i
    return s


def loop_over_an_iterator(xs, w):            # map(...) cannot run backwards: trips counted
    s = 1.0
    for a in map(float, xs):
        s = s * (a * w + 1.0)
    return s


def list_read_in_loop_then_updated(x):       # the update after the loop is undone first
    lst = [x + x]
    for el in [x, x]:
        x += math.sin(lst[0] - x)
    lst[0] -= 1.0
    return x


def assigned_in_some_iterations(p):          # m has no value before the loop's first trip
    a = math.cos(p) ** 2
    it = 0
    b = 0.0
    while it < 5 and (a + p) < a:
        it += 1
        if it <= 2:
            m = math.sin(a)
        if it <= 2:
            a = a + m * (b / (2.0 + math.sin(b)))
        b -= (10.0 / math.exp(math.sin(a))) * 0.25
    return math.sin(b)


def loop_over_a_list_appended_to_later(p):  # the reverse loop sees 3 elements, not 4
    ys = [p, p, p * 3]
    for wi in ys:
        p += wi * 2
    ys.append(p * 2)
    return p * ys[2]                         # 11p * 3p


def append_to_an_argument(xs, w):
    s = 0.0
    for x in xs:
        s += x * w
    xs.append(w * w)
    return s * xs[-1]                        # w ** 3 * sum(xs)


def adjoint_written_once_another_is(b, w):    # dw is written in the elif arm only once
    ws = [w, w]                                  # dws exists, which the first arm writes
    invy = 0.0
    if SCALE_ABOVE_ONE > 1:
        if SCALE_ABOVE_ONE < 0:
            return b * ws[-1]
    elif invy - w >= 0:
        ws[-2] = invy / w
    return b * b


def constant_element_updated_in_inner_loop(x, q):   # ai's tangent restarts at 0 each trip
    s = 0.0
    for e, ai in zip([q, x], (10.0, 2.0)):
        for w in [q, x]:
            ai += e * w
        s = s + ai * ai
    return s


def _constant_element_gradient(x, q):
    first, second = 10.0 + q * (q + x), 2.0 + x * (q + x)
    return (2 * first * q + 2 * second * (q + 2 * x), 2 * first * (2 * q + x) + 2 * second * x)


FINDINGS = [
    (constant_element_updated_in_inner_loop, (0.3, 0.7), _constant_element_gradient),
    (adjoint_written_once_another_is, (0.3, 2.0), lambda b, w: (0.6, 0.0)),
    (loop_over_a_list_appended_to_later, (1.5,), lambda p: (66 * p,)),
    (list_read_in_loop_then_updated, (0.3,), None),
    (assigned_in_some_iterations, (-1.70515404116039,), None),
    (enumerate_with_start, (2.0, 3.0), lambda x, y: (1.0, 2.0)),
    (loop_over_an_iterator, ([0.5, 2.0], 0.25),
     lambda xs, w: ((0.5 * 0.25 + 1.0) * 2.0 + (2.0 * 0.25 + 1.0) * 0.5,)),
    (return_on_first_trip, (0.3,), lambda p: (0.0,)),
    (return_then_branch, (0.3,), lambda q: (0.0,)),
    (local_in_untaken_branch, (0.03,), lambda v: (1.0,)),
    (local_in_untaken_branch, (-0.2,), lambda v: (3.0,)),     # one trip: s = 3s + 1
    (return_or_reassign, (-0.12,), lambda d: (1.0,)),
    (return_or_reassign, (0.12,), lambda d: (0.0,)),
    (overwrite_then_continue, (0.3,), lambda x: (math.cos(x),)),
    (while_and_overwrite, (0.5, 0.3), lambda b, x: (0.0, math.cos(x))),
]


@pytest.mark.parametrize("func, point, gradient", FINDINGS,
                         ids=[f"{f.__name__}{p}" for f, p, _ in FINDINGS])
def test_fuzzer_findings(func, point, gradient):
    wrt = tuple(i for i, p in enumerate(point) if not isinstance(p, list))
    got = grad(func, wrt=wrt)(*point)
    if gradient is not None:
        assert got == pytest.approx(gradient(*point), rel=1e-12, abs=1e-15)
    check_grad(func, *point, wrt=wrt)


def test_the_reverse_sweep_leaves_an_appended_argument_as_it_was():
    """Like an element assignment, an append is undone by the reverse sweep: the caller's
    list is as it was (the function itself grows it, so no finite differences here)."""
    xs = [0.5, 2.0]
    assert grad(append_to_an_argument, wrt="w")(xs, 1.5) == pytest.approx(3 * 1.5 ** 2 * 2.5)
    assert xs == [0.5, 2.0]


def test_forward_mode_restarts_a_constant_elements_tangent():
    point = (0.3, 0.7)
    expected = _constant_element_gradient(*point)
    assert derivative(constant_element_updated_in_inner_loop)(*point) == pytest.approx(expected)
    _, tangent = jvp(constant_element_updated_in_inner_loop, point, (1.0, 0.0))
    assert tangent == pytest.approx(expected[0])
