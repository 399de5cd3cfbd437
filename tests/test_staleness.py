"""Issue 13: the gradient follows the code that runs; loop variables reused by sibling
loops; the internal-error firewall; argument errors that point at the function.

1. A helper rebound after the first ``grad`` (a module attribute, a dotted name, a
   closure cell, an alias of a library function) is differentiated again: the gradient is
   the new helper's.  A source file edited after import is refused (``SourceError``).
2. Loop variables and loop-local names reused by sibling loops, nested loops and loops in
   different branches, read after the loop or not, in reverse and forward mode.
3. An exception from inside s2sdiff while generating is an ``InternalError`` naming the
   function and the line; the user's own exceptions pass through.
4. ``ArgumentError`` carries the function's file and line; a list built inside the
   function and passed to a helper is blamed on the helper call.

Every value is checked against central differences or a closed form worked out by hand.
"""

import importlib.util
import math
import sys
import textwrap
import uuid
import warnings

import numpy as np
import pytest

from s2sdiff import (S2SDiffError, SourceError, derivative, grad, jacobian, jvp,
                     value_and_grad, vjp)


def central(f, args, k, h=1e-6):
    """d f / d args[k] by central differences."""
    up, down = list(args), list(args)
    up[k] += h
    down[k] -= h
    return (f(*up) - f(*down)) / (2 * h)


def load_source(tmp_path, source, name=None):
    """Write ``source`` to a fresh module file and import it."""
    name = name or f"s2sdiff_stale_{uuid.uuid4().hex[:10]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
    return module


# 1a. rebound helpers ------------------------------------------------------------------

HELPERS = """
    import math

    def square(x):
        return x * x

    def cube(x):
        return x * x * x

    def twice(x):
        return 2.0 * helper(x)

    helper = square
    act = math.tanh

    def f(x):
        return helper(x) + 1.0

    def g(x, y):
        return helper(x) * y

    def through(x):
        return twice(x) + x

    def aliased(x):
        return act(x) * 3.0
"""


def test_rebound_module_helper_is_differentiated_again(tmp_path):
    """The issue's reproducer: the forward calls the new helper, so must the gradient.
    d(x**3 + 1)/dx at 3 is 27 (the old helper's derivative was 6)."""
    m = load_source(tmp_path, HELPERS)
    gradient = grad(m.f)
    assert gradient(3.0) == 6.0
    m.helper = m.cube
    assert gradient(3.0) == 27.0                 # the function obtained before the rebinding
    assert grad(m.f)(3.0) == 27.0                # and grad(f) asked again
    m.helper = m.square
    assert gradient(3.0) == 6.0                  # rebound back: the first code is right again


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "derivative", "vjp", "jvp",
                                       "jacobian"])
def test_rebound_helper_every_transform(tmp_path, transform):
    """g(x, y) = helper(x) * y: with helper = cube, dg/dx = 3 x**2 y = 54 at (3, 2), dg/dy
    = x**3 = 27; every transform generated before the rebinding gives these."""
    m = load_source(tmp_path, HELPERS)
    if transform == "grad":
        run = grad(m.g)
    elif transform == "value_and_grad":
        run = value_and_grad(m.g)
    elif transform == "derivative":
        run = derivative(m.g)
    elif transform == "vjp":
        pullback = vjp(m.g)
        def run(x, y):
            return pullback(x, y, 1.0)
    elif transform == "jvp":
        tangents = jvp(m.g)
        def run(x, y):
            return (tangents(x, y, 1.0, 0.0)[1], tangents(x, y, 0.0, 1.0)[1])
    else:
        run = jacobian(m.g)
    run(3.0, 2.0)
    m.helper = m.cube
    result = run(3.0, 2.0)
    if transform == "value_and_grad":
        value, result = result
        assert value == 54.0
    assert tuple(np.ravel(result)) == (54.0, 27.0)


def test_rebound_helper_of_a_helper(tmp_path):
    """through(x) = twice(x) + x = 2 helper(x) + x: the pullback of twice follows helper.
    With cube: 6 x**2 + 1 = 55 at 3."""
    m = load_source(tmp_path, HELPERS)
    gradient = grad(m.through)
    assert gradient(3.0) == 13.0
    m.helper = m.cube
    assert gradient(3.0) == 55.0
    assert central(m.through, [3.0], 0) == pytest.approx(55.0)


def test_rebound_alias_of_a_library_function(tmp_path):
    """act = math.tanh rebound to math.sin: d(3 sin x)/dx = 3 cos x."""
    m = load_source(tmp_path, HELPERS)
    gradient = grad(m.aliased)
    assert gradient(0.5) == pytest.approx(3.0 * (1.0 - math.tanh(0.5) ** 2))
    m.act = math.sin
    assert gradient(0.5) == pytest.approx(3.0 * math.cos(0.5), rel=1e-15)


def test_rebound_helper_spelled_through_its_module(tmp_path):
    """``helpers.square(x)`` where the user rebinds ``helpers.square`` afterwards."""
    helpers = load_source(tmp_path, HELPERS)
    m = load_source(tmp_path, f"""
        import {helpers.__name__} as helpers

        def f(x):
            return helpers.square(x) * 2.0
    """)
    gradient = grad(m.f)
    assert gradient(2.0) == 8.0
    helpers.square = helpers.cube
    assert gradient(2.0) == 24.0
    assert central(m.f, [2.0], 0) == pytest.approx(24.0)


def test_rebound_closure_cell(tmp_path):
    """A helper held in a closure cell that the enclosing function rebinds."""
    m = load_source(tmp_path, """
        def make(square, cube):
            h = square

            def f(x):
                return h(x) - x

            def use_cube():
                nonlocal h
                h = cube
            return f, use_cube
    """)
    f, use_cube = m.make(lambda x: x * x, lambda x: x * x * x)
    m2 = load_source(tmp_path, HELPERS)
    f, use_cube = m.make(m2.square, m2.cube)
    gradient = grad(f)
    assert gradient(2.0) == 3.0
    use_cube()
    assert gradient(2.0) == 11.0
    assert central(f, [2.0], 0) == pytest.approx(11.0)


def test_rebound_recursive_function(tmp_path):
    """A recursive function rebound to another: the new one's derivative."""
    m = load_source(tmp_path, HELPERS + """
    def power(x, n):
        if n == 0:
            return 1.0
        return x * power(x, n - 1)

    def other(x, n):
        return 5.0 * x

    def uses_power(x):
        return power(x, 3)
    """)
    gradient = grad(m.uses_power)
    assert gradient(2.0) == 12.0
    m.power = m.other
    assert gradient(2.0) == 5.0


def test_rebound_alias_in_numpy_code(tmp_path):
    """NumPy code, specialised per argument kind, follows the rebinding too:
    act = np.tanh rebound to np.sin."""
    m = load_source(tmp_path, """
        import numpy as np

        act = np.tanh

        def f(x):
            return np.sum(act(x))
    """)
    gradient = grad(m.f)
    x = np.array([0.1, 0.2, 0.3])
    assert np.allclose(gradient(x), 1.0 - np.tanh(x) ** 2, rtol=1e-15)
    m.act = np.sin
    assert np.allclose(gradient(x), np.cos(x), rtol=1e-15)


def test_helper_through_a_global_dict_is_refused_clearly(tmp_path):
    """``HELPERS["h"](x)``: the callee is data, not a name; a clear error, not a stale
    derivative."""
    m = load_source(tmp_path, """
        def square(x):
            return x * x

        TABLE = {"h": square}

        def f(x):
            return TABLE["h"](x) + 1.0
    """)
    with pytest.raises(S2SDiffError) as info:
        grad(m.f)
    assert info.value.lineno == 8
    assert 'TABLE["h"]' in str(info.value) or "TABLE['h']" in str(info.value)


def test_a_name_giving_a_new_function_each_time_is_refused(tmp_path):
    """A property that makes a new function at each read: never the same callee twice,
    so regenerating cannot settle; a clear error instead of endless regeneration."""
    m = load_source(tmp_path, """
        class Helpers:
            @property
            def square(self):
                def square(x):
                    return x * x
                return square

        helpers = Helpers()

        def f(x):
            return helpers.square(x) + 1.0
    """)
    with pytest.raises(S2SDiffError) as info:
        grad(m.f)(3.0)
    assert "a different object each time its name is read" in str(info.value)
    assert info.value.lineno == 11


def test_rebinding_check_is_in_the_source_and_only_where_needed(tmp_path):
    """The check is one line of the generated source, for code that calls helpers only."""
    m = load_source(tmp_path, HELPERS + """
    def plain(x):
        return math.sin(x) * x
    """)
    assert "helper is not helper_differentiated" in grad(m.f).source
    assert "generate_again" not in grad(m.plain).source


# 1b. source edited after import -------------------------------------------------------

def test_source_edited_after_import_is_refused(tmp_path):
    """The file says 3.5 x**2, the running code 1.0 x**2: the gradient would follow the
    file (7.0 at 1.0 instead of 2.0); a SourceError says so instead."""
    m = load_source(tmp_path, """
        def f(x):
            return x * x
    """)
    path = tmp_path / (m.__name__ + ".py")
    path.write_text(path.read_text().replace("x * x", "3.5 * x * x"))
    with pytest.raises(SourceError) as info:
        grad(m.f)
    message = str(info.value)
    assert "does not match the code that runs" in message
    assert info.value.lineno == 2 and path.name in message
    assert "reload" in message


def test_source_with_lines_added_above_still_works(tmp_path):
    """Moving the function down (a comment added above it) keeps its code: not refused
    when the definition is found again at its old line... the running code's line
    numbers differ from the file's, which is legitimate."""
    m = load_source(tmp_path, """
        import math


        def f(x):
            return math.sin(x) * x
    """)
    path = tmp_path / (m.__name__ + ".py")
    text = path.read_text().replace("import math\n", "import math  # a comment\n")
    path.write_text(text)
    assert grad(m.f)(0.5) == pytest.approx(math.sin(0.5) + 0.5 * math.cos(0.5))


def test_exec_and_linecache_functions_still_work():
    """A function defined by exec with its source registered in linecache (as IPython and
    Jupyter do) is differentiated."""
    import linecache
    source = "def f(x):\n    return x ** 3\n"
    filename = f"<cell-{uuid.uuid4().hex[:8]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    assert grad(namespace["f"])(2.0) == 12.0


def test_decorated_and_nested_functions_match_their_source(tmp_path):
    """Decorators, closures, nested defaults and docstrings are no mismatch."""
    m = load_source(tmp_path, """
        import functools
        import math

        def register(f):
            return f

        @register
        def decorated(x, k=2.0):
            '''A docstring.'''
            return math.exp(k * x)

        def outer(scale):
            def inner(x):
                return scale * x * x
            return inner
    """)
    assert grad(m.decorated, wrt="x")(0.5) == pytest.approx(2.0 * math.exp(1.0))
    assert grad(m.outer(3.0))(2.0) == 12.0


def test_methods_lambdas_and_future_imports_match_their_source(tmp_path):
    """A static method calling a private (mangled) name through its class, a lambda, a
    recursive closure and ``from __future__ import annotations`` are no mismatch."""
    m = load_source(tmp_path, """
        from __future__ import annotations
        import math

        square_sin = lambda x: x * x + math.sin(x)

        class Model:
            @staticmethod
            def __scale(x):
                return x * 2.0

            @staticmethod
            def loss(x: float) -> float:
                return Model.__scale(x) * x

        def maker(a):
            def power(x, n):
                if n == 0:
                    return x
                return a * power(x, n - 1)
            return power
    """)
    assert grad(m.square_sin)(0.5) == pytest.approx(1.0 + math.cos(0.5))
    from s2sdiff.parse import parse
    assert parse(m.Model.loss).node.name == "loss"      # private names are mangled alike
    assert grad(m.Model._Model__scale)(1.5) == 2.0
    assert grad(m.maker(2.0), wrt="x")(1.0, 3) == 8.0


# 2. loop variables reused by sibling loops ------------------------------------------------

def issue_loops(x, y):
    if y > x:
        x = x * 2.0
    else:
        for i in range(2):
            y = y - 1.0
    if y > x:
        x = x * x
    else:
        for i in range(1):
            y = math.tanh(x)
    return x


def issue_loops_more(x, y):
    if y > x:
        x = x * 2.0
    else:
        for i in range(2):
            t = y * i
            y = y - 1.0 + t * x
            x = x + y
    if y > x:
        x = x * x
    else:
        for i in range(1):
            t = math.tanh(x) + i
            y = t * y
            x = x * y
    return x + y


def sibling_loops(x, y):
    s = 0.0
    for i in range(3):
        t = x * i
        s = s + t * t
    for i in range(2):
        t = s * x
        s = s + math.sin(t)
    return s * y


def nested_loops(x, y):
    s = x
    for i in range(2):
        for j in range(2):
            s = s * y + i * j
    for i in range(2):
        for j in range(3):
            s = math.sin(s) + j
    return s


def read_after_loop(x, y):
    s = x
    for i in range(3):
        s = s * y
    return s * i


def read_after_loops_in_branches(x, y):
    s = x
    if y > 0:
        for i in range(3):
            s = s * x
        s = s + i * x
    else:
        for i in range(2):
            s = s + x
        s = s * i * x
    return s


def loops_in_branches_of_a_loop(x, y):
    s = x
    for k in range(3):
        if k % 2 == 0:
            for i in range(2):
                s = s * 0.5 + y
        else:
            for i in range(k):
                s = math.sin(s) * x
    return s


def sibling_whiles(x, y):
    n = 0
    s = x
    while n < 3:
        s = s * y
        n = n + 1
    n = 0
    while n < 2:
        s = s + math.cos(s)
        n += 1
    return s


def maybe_unbound_copy(x, n):
    s = x
    if n > 0:
        for i in range(n):
            s = s * x
    if n > 1:
        for i in range(n):
            s = s + x
    if n > 0:
        s = s * i
    return s


def maybe_unbound_read(x, n):
    s = x
    if n > 0:
        for i in range(n):
            s = s * x
    if n > 0:
        s = s * i * x
    return s


def reused_elements(x, y):
    xs = [y, 0.5 * y, y * y]
    s = x
    for v in xs:
        s = s * v + x
    for v in xs:
        s = s + math.sin(v * s)
    return s * v


def reused_after_break(x, y):
    s = x
    for i in range(5):
        s = s * y
        if s > 3.0:
            break
    for i in range(2):
        s = s + x * i
    return s + i


def inner_loop_runs_no_iteration(x, y):
    """Fuzzer, program 1784: the inner loop reuses i and runs no iteration, so i keeps
    the outer loop's value, read after both loops."""
    s = x
    for i in range(3):
        for i in range(0, -1):
            s = s * y
        s = s * x + math.sin(y)
    for j in range(3):
        if i % 2 == 0:
            continue
        s = s * y
    return s * i


def inner_loop_reuses_i(x, y):
    s = x
    k = 0
    for i in range(3):
        for i in range(k):
            s = s * y
        k = k + 1
        s = s + i * x
    return s * i + y


def one_arm_names(x, mode):
    if mode == 1:
        scale = 2.0 * x
    if mode == 2:
        scale = 3.0 * x
    return x * scale


LOOP_CASES = [
    (issue_loops, (1.0, 3.0)), (issue_loops, (2.0, 1.0)), (issue_loops, (0.5, 3.0)),
    (issue_loops_more, (1.0, 3.0)), (issue_loops_more, (2.0, 1.0)), (issue_loops_more, (0.7, 0.2)),
    (sibling_loops, (0.7, 1.3)), (nested_loops, (0.7, 1.1)), (read_after_loop, (0.7, 1.2)),
    (read_after_loops_in_branches, (0.7, 1.0)), (read_after_loops_in_branches, (0.7, -1.0)),
    (loops_in_branches_of_a_loop, (0.7, 0.4)), (sibling_whiles, (0.7, 1.1)),
    (reused_elements, (0.7, 0.3)), (reused_after_break, (0.7, 1.1)),
    (reused_after_break, (2.0, 1.9)), (inner_loop_runs_no_iteration, (0.7, 1.3)),
    (inner_loop_reuses_i, (0.7, 1.3)),
]


@pytest.mark.parametrize("f, args", LOOP_CASES,
                         ids=[f"{f.__name__}-{a}" for f, a in LOOP_CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_reused_loop_variables(f, args, mode):
    transform = grad if mode == "reverse" else derivative
    got = transform(f)(*args)
    for k in range(2):
        assert got[k] == pytest.approx(central(f, args, k), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("f", [maybe_unbound_copy, maybe_unbound_read])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_loop_variable_unbound_on_some_paths(f, n, mode):
    """``i`` is bound only when a loop ran; the copies that join the branches must not
    raise where the user's code never reads ``i``."""
    transform = grad if mode == "reverse" else derivative
    got = transform(f, wrt="x")(0.7, n)
    assert got == pytest.approx(central(f, [0.7, n], 0), rel=1e-6)


def test_issue_loops_closed_form():
    """At (0.5, 3): x becomes 1, then 1 * 1: the output is (2x)**2, derivative 8x = 4;
    at (2, 1): the else arms run, the output is x, derivative 1 and 0."""
    assert grad(issue_loops)(0.5, 3.0) == (4.0, 0.0)
    assert grad(issue_loops)(2.0, 1.0) == (1.0, 0.0)
    assert derivative(issue_loops)(0.5, 3.0) == (4.0, 0.0)


@pytest.mark.parametrize("mode", [1, 2])
def test_names_assigned_in_one_arm_each(mode):
    """x * scale with scale = 2x or 3x: 4x or 6x."""
    expected = {1: 4.0, 2: 6.0}[mode] * 0.7
    assert grad(one_arm_names, wrt="x")(0.7, mode) == pytest.approx(expected)
    assert derivative(one_arm_names, wrt="x")(0.7, mode) == pytest.approx(expected)


# 3. the internal-error firewall ---------------------------------------------------------

from s2sdiff import InternalError  # noqa: E402
from s2sdiff.errors import INTERNAL_ERRORS  # noqa: E402


def firewall_target(x, y):
    t = x * y
    u = math.sin(t)
    return u + x


def firewall_caller(x):
    return firewall_target(x, 2.0) * 3.0


def divides(x, y):
    return x / y


def injected(source, **names):
    """The function ``broken`` of ``source``, compiled outside this file: a failure
    injected into a pass must not look like the user's own computation (this file)."""
    namespace = dict(names)
    exec(compile(textwrap.dedent(source), "<injected failure>", "exec"), namespace)
    return namespace["broken"]


@pytest.mark.internal_error
def test_internal_error_in_a_pass_is_wrapped(monkeypatch):
    """A KeyError from inside a pass becomes an InternalError naming the function and a
    line of it, with the original chained."""
    import s2sdiff.pipeline as pipeline

    broken = injected("""
        def broken(listing):
            raise KeyError("xpy")
    """)
    monkeypatch.setattr(pipeline, "optimize_pass", broken)
    with pytest.raises(InternalError) as info:
        grad(firewall_target)
    error = info.value
    assert isinstance(error, S2SDiffError)
    assert isinstance(error.__cause__, KeyError)
    assert str(error).startswith("internal error while differentiating firewall_target, line ")
    assert "KeyError: 'xpy'" in str(error) and "please report" in str(error)
    first = firewall_target.__code__.co_firstlineno
    assert first <= error.lineno <= first + 3
    assert error.filename == __file__


@pytest.mark.internal_error
def test_internal_error_names_the_line_being_worked_on(monkeypatch):
    """The line reported is the user's line the failing pass was processing."""
    import s2sdiff.reverse.sweeps as sweeps_module
    real = sweeps_module.Sweeps.backprop

    broken = injected("""
        def broken(self, step, out):
            if step.callee is math.sin:
                raise AttributeError("'NoneType' object has no attribute 'partials'")
            return real(self, step, out)
    """, real=real, math=math)
    monkeypatch.setattr(sweeps_module.Sweeps, "backprop", broken)
    with pytest.raises(InternalError) as info:
        grad(firewall_target)
    assert info.value.lineno == firewall_target.__code__.co_firstlineno + 2   # u = math.sin(t)
    assert "u = math.sin(t)" in str(info.value)


@pytest.mark.internal_error
def test_internal_error_in_a_called_function_names_it(monkeypatch):
    """Generating the pullback of a helper (recursion through pullback_of) fails: the
    error names the helper, and passes through the caller's firewall unchanged."""
    import s2sdiff.pipeline as pipeline
    real = pipeline.normalize

    broken = injected("""
        def broken(parsed):
            if parsed.func is target:
                raise IndexError("list index out of range")
            return real(parsed)
    """, real=real, target=firewall_target)
    monkeypatch.setattr(pipeline, "normalize", broken)
    with pytest.raises(InternalError) as info:
        grad(firewall_caller)
    assert "while differentiating firewall_target" in str(info.value)
    assert isinstance(info.value.__cause__, IndexError)


@pytest.mark.internal_error
def test_internal_error_in_numpy_specialisation_is_wrapped(monkeypatch):
    """NumPy code is generated at the first call per argument kind: also behind the
    firewall."""
    import s2sdiff.pipeline as pipeline

    broken = injected("""
        def broken(listing):
            raise ValueError("malformed node or string")
    """)
    monkeypatch.setattr(pipeline, "prune_forward", broken)
    gradient = grad(lambda_free_numpy)
    with pytest.raises(InternalError) as info:
        gradient(np.array([1.0, 2.0]))
    assert "while differentiating lambda_free_numpy" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def lambda_free_numpy(x):
    return np.sum(np.sin(x) * x)


def users_log_in_numpy_code(x, s):
    return np.sum(x) * math.log(s)


def test_the_users_own_exceptions_at_specialisation_are_not_wrapped():
    """NumPy code runs the user's steps once to learn their kinds: math.log(0.0) there is
    the user's ValueError, as calling the function would raise it."""
    before = len(INTERNAL_ERRORS)
    with pytest.raises(ValueError, match="math domain error"):
        grad(users_log_in_numpy_code)(np.array([1.0, 2.0]), 0.0)
    assert len(INTERNAL_ERRORS) == before


def test_the_users_own_exceptions_are_not_wrapped():
    """A ZeroDivisionError of the user's own computation, when the generated code runs,
    is the user's: not an InternalError, and the firewall is not reached."""
    before = len(INTERNAL_ERRORS)
    gradient = grad(divides)
    with pytest.raises(ZeroDivisionError):
        gradient(1.0, 0.0)
    assert len(INTERNAL_ERRORS) == before


def test_the_firewall_fixture_fails_a_test_that_reaches_it(tmp_path):
    """The conftest fixture turns any test that reaches the firewall into an error."""
    import pathlib
    import subprocess
    here = pathlib.Path(__file__).parent
    (tmp_path / "conftest.py").write_text((here / "conftest.py").read_text())
    (tmp_path / "user_code.py").write_text("def f(x):\n    return x * x\n")
    (tmp_path / "test_reach.py").write_text(textwrap.dedent("""
        import pytest
        import s2sdiff.pipeline as pipeline
        from s2sdiff import InternalError, grad
        from user_code import f

        def test_reaches(monkeypatch):
            monkeypatch.setattr(pipeline, "optimize_pass", lambda listing: {}["boom"])
            with pytest.raises(InternalError):
                grad(f)
    """))
    root = str(here.parent)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                            env={**__import__("os").environ, "PYTHONPATH": root})
    assert "1 passed, 1 error" in result.stdout, result.stdout
    assert "reached its internal-error firewall" in result.stdout


# 4. argument errors point at the function -------------------------------------------------

from s2sdiff import ArgumentError, UnsupportedError  # noqa: E402


def scalar_code(x, y):
    return x * y + 1.0


def numpy_code(x):
    return np.sum(np.sin(x))


def rows_total(rows):
    s = 0.0
    for r in rows:
        for v in r:
            s = s + v * v
    return s


def builds_nested_list(x, y):
    t = x * 2.0
    return rows_total([[x, y], [y, t]])


def test_argument_error_has_the_file_and_def_line():
    with pytest.raises(ArgumentError) as info:
        grad(scalar_code)("a", 2.0)
    assert info.value.filename == __file__
    assert info.value.lineno == scalar_code.__code__.co_firstlineno
    assert "argument 'x' of scalar_code" in str(info.value)
    assert "def scalar_code(x, y):" in str(info.value)


def test_argument_error_of_numpy_code_has_the_file_and_def_line():
    with pytest.raises(ArgumentError) as info:
        grad(numpy_code)(np.array(["a"]))
    assert info.value.filename == __file__
    assert info.value.lineno == numpy_code.__code__.co_firstlineno
    assert "argument 'x' of numpy_code" in str(info.value)


def test_a_list_of_lists_built_inside_is_refused_at_its_line():
    """The user passed two floats; the nested list built by builds_nested_list has no
    adjoint layout in scalar code: refused when the gradient is generated, at that line
    (it once reached the helper's argument check and, elsewhere, a bare TypeError)."""
    with pytest.raises(UnsupportedError) as info:
        grad(builds_nested_list)
    error = info.value
    assert error.lineno == builds_nested_list.__code__.co_firstlineno + 2
    assert error.filename == __file__ and error.construct == "a list of lists"
    assert "return rows_total([[x, y], [y, t]])" in str(error)


@pytest.mark.internal_error
def test_internal_error_while_drawing_the_graph_is_wrapped(monkeypatch):
    """``graph`` generates too: an exception of s2sdiff's own there is an InternalError."""
    graph_module = sys.modules["s2sdiff.graph"]     # s2sdiff.graph is the function

    broken = injected("""
        def broken(program, wrt, kinds=None):
            raise KeyError("xpy")
    """)
    monkeypatch.setattr(graph_module.activity_pass, "analyze", broken)
    with pytest.raises(InternalError) as info:
        graph_module.graph(firewall_target, 0.5, 2.0)
    assert "while differentiating firewall_target" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)
