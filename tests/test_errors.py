"""The error catalogue for straight-line scalar code.

1. every construct outside the scope fails when the gradient is generated, with the
   file, the exact line, that line's text, the construct and a hint (tests/unsupported.py);
2. functions whose source cannot be read fail with ``SourceError``;
3. bad arguments to a generated gradient, and bad ``wrt``, name the problem;
4. a seeded random generator of small functions never makes ``grad`` leak an internal
   exception, and what it accepts agrees with finite differences.

Known bugs in files this suite does not own are pinned by ``xfail(strict=True)`` tests:
when one is fixed the test starts passing and strict mode asks for the mark to go.
"""

import functools
import importlib.util
import math
import os
import pathlib
import random
import re
import statistics
import sys
import warnings

import pytest

from s2sdiff import (ArgumentError, NotScalarError, S2SDiffError, SourceError,
                     UnsupportedError, grad)
from s2sdiff.check import check_grad

HERE = pathlib.Path(__file__).resolve().parent
UNSUPPORTED = HERE / "unsupported.py"
UNSUPPORTED_PY311 = HERE / "unsupported_py311.py"


def load_module(path, name):
    """Import the file at ``path`` as a fresh module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # SyntaxWarnings of generated code
        spec.loader.exec_module(module)
    return module


U = load_module(UNSUPPORTED, "s2sdiff_tests_unsupported")


def line_of(path, function_name, snippet):
    """(line number, text) of the line of ``function_name`` containing ``snippet``.

    The body is searched first, then the ``def`` line (for parameters and ``async``).
    """
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines)
                 if re.match(rf"\s*(async\s+)?def {function_name}\(", line))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip()
                and len(lines[i]) - len(lines[i].lstrip()) <= indent), len(lines))
    for i in [*range(start + 1, end), start]:
        if snippet in lines[i]:
            return i + 1, lines[i]
    raise LookupError(f"{snippet!r} is not in {function_name} in {path.name}")


# 1. unsupported constructs ------------------------------------------------------

# (function in tests/unsupported.py, text on the offending line, error, word in construct)
CATALOGUE = [
    ("uses_with", "with contextlib", UnsupportedError, "with"),
    ("uses_try", "try:", UnsupportedError, "try"),
    ("uses_raise", "raise ValueError", UnsupportedError, "raise"),
    ("defines_class", "class Box", UnsupportedError, "class"),
    ("defines_function", "def inner", UnsupportedError, "nested function `inner` with"),
    ("lambda_in_body", "lambda t", UnsupportedError, "lambda"),
    ("uses_global", "global GLOBAL_COUNTER", UnsupportedError, "global"),
    ("uses_nonlocal", "nonlocal cell", UnsupportedError, "nonlocal"),
    ("uses_del", "del y", UnsupportedError, "del"),
    ("deletes_subscript", "del y[0]", UnsupportedError, "del"),
    ("imports_inside", "import math as m", UnsupportedError, "import"),
    ("imports_from_inside", "from math import sin", UnsupportedError, "import"),
    ("uses_match", "match x", UnsupportedError, "match"),
    ("list_comprehension", "[t * y for t", UnsupportedError, "in a `while` condition"),
    ("set_comprehension", "{t * x for t", UnsupportedError, "set comprehension"),
    ("dict_comprehension", "{t: t * x for t", UnsupportedError, "dict comprehension"),
    ("max_with_key", "max((t * 2.0 for t", UnsupportedError,
     "max with a `key=` lambda that reads the local variable `xs`"),
    ("yields", "yield x", UnsupportedError, "yield"),
    ("yields_value", "yield x", UnsupportedError, "yield"),
    ("yields_from", "yield from", UnsupportedError, "yield from"),
    # inside an async def, `await` and `async with` are not reached: the function is async
    ("awaits", "async def awaits", UnsupportedError, "async"),
    ("async_with", "async def async_with", UnsupportedError, "async"),
    ("walrus", ":=", UnsupportedError, ":="),
    ("loop_over_reversed_input", "enumerate(reversed(xs))", UnsupportedError, "sequence"),
    ("array_function_without_rule", "np.nanpercentile(x, 50.0)", UnsupportedError, "nanpercentile"),
    ("attribute_assignment", "box.value = x", UnsupportedError, "attribute"),
    ("global_subscript_assignment", "GLOBAL_LIST[0] = x", UnsupportedError, "global"),
    ("global_augmented_subscript_assignment", "GLOBAL_LIST[0] += x", UnsupportedError, "global"),
    ("list_display", "return y", NotScalarError, "return"),
    ("dict_display", '{"x": x}', UnsupportedError, "dict"),
    ("set_display", "{x}", UnsupportedError, "set"),
    ("f_string", 'f"{x}"', UnsupportedError, "f-string"),
    ("starred_call", "math.hypot(*x)", UnsupportedError, "starred"),
    ("double_starred_call", "helper(**x)", UnsupportedError, "**"),
    ("with_args", "*rest", UnsupportedError, "variadic"),
    ("with_kwargs", "**options", UnsupportedError, "variadic"),
    ("method_call", "x.conjugate()", UnsupportedError, "conjugate"),
    ("attribute_of_local", "x.real", UnsupportedError, "x.real"),
    ("calls_helper", "variadic_helper(x)", UnsupportedError, "*args"),
    ("calls_undefined", "not_defined_anywhere(x)", UnsupportedError, "call"),
    ("calls_local", "abs(x)", UnsupportedError, "local variable"),
    ("discards_call", "math.sin(x)", UnsupportedError, "discarded"),
    ("calls_a_lambda_in_place", "return (lambda t: t * t)(x)", UnsupportedError, "lambda"),
    ("reads_before_assignment", "y = x + z", UnsupportedError, "unbound"),
    ("string_constant", '"abc"', UnsupportedError, "'abc'"),
    ("complex_constant", "1j", UnsupportedError, "1j"),
    ("none_constant", "y = None", UnsupportedError, "None"),
    ("nested_list_write", "m[1][0] = m[0][1] * 3.0", UnsupportedError, "nested list"),
    ("multi_line", "+ {x}", UnsupportedError, "set"),
    ("returns_tuple", "return x * y, x + y", NotScalarError, "return"),
    ("returns_list", "return [x, x]", NotScalarError, "return"),
    ("returns_nothing", "def returns_nothing", NotScalarError, "return"),
    ("returns_bare", "return", NotScalarError, "return"),
    ("returns_none", "return None", NotScalarError, "return"),
]


def catalogue_cases():
    cases = [pytest.param(UNSUPPORTED, U, *row, id=row[0]) for row in CATALOGUE]
    cases.append(pytest.param(
        UNSUPPORTED_PY311, None, "uses_try_star", "try:", UnsupportedError, "except*",
        id="uses_try_star", marks=pytest.mark.skipif(sys.version_info < (3, 11),
                                                     reason="except* needs Python 3.11")))
    return cases


@pytest.mark.parametrize("path, module, name, snippet, error, construct", catalogue_cases())
def test_unsupported_construct_points_at_its_line(path, module, name, snippet, error, construct):
    module = module or load_module(path, "s2sdiff_tests_" + path.stem)
    lineno, text = line_of(path, name, snippet)
    with pytest.raises(S2SDiffError) as info:
        grad(getattr(module, name))
    err = info.value
    assert type(err) is error, f"{type(err).__name__}: {err}"
    assert err.filename == str(path)
    assert err.lineno == lineno, f"error at line {err.lineno}, construct on line {lineno}: {err}"
    assert err.source_line.strip() == text.strip()
    assert err.construct and construct.lower() in err.construct.lower(), err.construct
    assert err.hint and err.hint.strip() not in err.message
    message = str(err)
    for part in (path.name, f"line {lineno}", text.strip(), err.hint):
        assert part in message, f"{part!r} missing from:\n{message}"


def test_the_catalogue_covers_every_function_in_the_module():
    names = {name for name, value in vars(U).items()
             if callable(value) and getattr(value, "__module__", None) == U.__name__
             and not name.startswith("_")}
    listed = {row[0] for row in CATALOGUE}
    assert names - listed == {"helper", "variadic_helper", "calls_helper_on_constant",
                              "calls_helper_on_other"}


def test_returning_a_tuple_points_to_vjp_and_jacobian():
    with pytest.raises(NotScalarError) as info:
        grad(U.returns_tuple)
    assert isinstance(info.value, ValueError)
    assert "vjp" in str(info.value) and "jacobian" in str(info.value)


def test_a_user_function_is_fine_on_values_that_do_not_depend_on_the_inputs():
    gradient = grad(U.calls_helper_on_constant)
    assert gradient(1.5) == U.helper(2.0)
    check_grad(U.calls_helper_on_constant, 1.5)
    # helper(y) is a constant when only x is differentiated; differentiated when y is
    assert grad(U.calls_helper_on_other, wrt="x")(1.5, 3.0) == U.helper(3.0)
    assert grad(U.calls_helper_on_other, wrt="y")(1.5, 3.0) == 2.0 * 1.5      # d(2y * x)/dy
    assert "pullback_helper(y, dc)" in grad(U.calls_helper_on_other, wrt="y").source


# 2. functions without readable source ---------------------------------------------

def _exec_defined(source, name, filename="<string>"):
    namespace = {"math": math}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


class _Scale:
    def __call__(self, x):
        return 2.0 * x


def _wrapping(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@_wrapping
def _decorated(x):
    return 2.0 * x


SOURCELESS = [
    pytest.param(math.sin, "builtin", id="builtin math.sin"),
    pytest.param(abs, "builtin", id="builtin abs"),
    pytest.param(_exec_defined("def g(x):\n    return x * 2.0\n", "g"), "exec", id="exec def"),
    pytest.param(_exec_defined("h = lambda x: x * 3.0\n", "h"), "exec", id="exec lambda"),
    pytest.param(_exec_defined("k = lambda x: math.sin(x)\n", "k", "<stdin>"), "interactive",
                 id="REPL lambda"),
    # a partial of a Python function is differentiated (test_partial_transforms.py)
    pytest.param(functools.partial(math.hypot, 2.0), "partial", id="functools.partial"),
    pytest.param(_Scale(), "_Scale", id="callable instance"),
    pytest.param(_decorated, "__wrapped__", id="functools.wraps decorator"),
]


@pytest.mark.parametrize("func, mentioned", SOURCELESS)
def test_unreadable_source_raises_source_error(func, mentioned):
    with pytest.raises(SourceError) as info:
        grad(func)
    err = info.value
    assert err.construct and err.hint
    assert mentioned in str(err), str(err)


@functools.lru_cache(maxsize=None)
def _cached_square(x):
    return x * x


def _calls_cached(x):
    return _cached_square(x) + x


def _calls_the_wrapped_function(x):
    return _cached_square.__wrapped__(x) + x


def test_a_cached_helper_is_refused_naming_the_function_it_wraps():
    with pytest.raises(UnsupportedError) as info:
        grad(_calls_cached)
    err = info.value
    assert err.source_line.strip() == "return _cached_square(x) + x"
    assert "`_cached_square.__wrapped__(...)`" in err.hint and "lru_cache" in err.hint
    assert grad(_calls_the_wrapped_function)(3.0) == 7.0       # d(x * x + x)/dx
    with pytest.raises(SourceError, match=r"`_cached_square.__wrapped__`"):
        grad(_cached_square)
    assert grad(_cached_square.__wrapped__)(3.0) == 6.0


def _statistics_mean(xs):
    return statistics.median(xs) ** 2


class _Util:
    @staticmethod
    def square(x):
        return x * x

    @classmethod
    def cube(cls, x):
        return x * cls.square(x)


def _calls_a_classmethod(x):
    return _Util.square(x) + _Util.cube(x)


def test_library_and_class_functions_are_refused_at_the_users_line():
    """statistics.mean was inlined as the user's own function and refused inside
    statistics.py; a classmethod was called a function of the standard library.
    (statistics.mean itself is written as a sum now, list_idioms.py: median here.)"""
    with pytest.raises(UnsupportedError) as info:
        grad(_statistics_mean)
    assert info.value.source_line.strip() == "return statistics.median(xs) ** 2"
    assert "not those of the standard library" in info.value.hint
    with pytest.raises(UnsupportedError) as info:
        grad(_calls_a_classmethod)
    assert "`_Util.cube`" in str(info.value) and "classmethod" in info.value.hint


def _helper_with_a_local_method(x):
    y = x * 2.0
    return y.conjugate() + 1.0


def _calls_the_helper(x):
    return _helper_with_a_local_method(x) ** 2


def test_an_error_inside_an_inlined_helper_names_its_line_and_the_call():
    with pytest.raises(UnsupportedError) as info:
        grad(_calls_the_helper)
    err = info.value
    assert err.source_line.strip() == "return y.conjugate() + 1.0"
    assert err.lineno == _helper_with_a_local_method.__code__.co_firstlineno + 2
    call = _calls_the_helper.__code__.co_firstlineno + 1
    assert f"(in `_helper_with_a_local_method`, called at line {call} of test_errors.py)" \
        in str(err)


# 3. bad arguments and bad wrt --------------------------------------------------------

def seed_f(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    return f


def triple(x):
    return x * 3


def shift(x, y):
    return x + y


def exp_times(x, y):
    return math.exp(x) * y


BAD_VALUES = {"str": "a", "None": None, "complex": 1j, "list": [1.0]}

BAD_ARGUMENTS = [
    pytest.param(seed_f, position, value, id=f"seed_f-{'xy'[position]}-{kind}")
    for kind, value in BAD_VALUES.items() for position in (0, 1)
] + [
    pytest.param(triple, 0, None, id="triple-None"),
    pytest.param(shift, 1, "a", id="shift-str"),
    # values that arithmetic accepts ('a' * 3, 1j + 2.0): caught by the explicit type test
    pytest.param(triple, 0, "a", id="triple-str"),
    pytest.param(triple, 0, 1j, id="triple-complex"),
    pytest.param(triple, 0, [1.0], id="triple-list"),
    pytest.param(shift, 0, 1j, id="shift-complex"),
    pytest.param(exp_times, 1, 1j, id="exp_times-complex"),
]


@pytest.mark.parametrize("func, position, value", BAD_ARGUMENTS)
def test_a_bad_argument_is_named(func, position, value):
    names = func.__code__.co_varnames[:func.__code__.co_argcount]
    args = [0.5] * len(names)
    args[position] = value
    with pytest.raises(ArgumentError) as info:
        grad(func)(*args)
    assert isinstance(info.value, TypeError) and isinstance(info.value, S2SDiffError)
    assert repr(names[position]) in str(info.value)
    assert type(value).__name__ in str(info.value)


def test_a_missing_argument_is_named():
    with pytest.raises(TypeError, match="'y'"):
        grad(seed_f)(1.0)


@pytest.mark.parametrize("wrt, named", [
    (2, "out of range"), (-3, "out of range"), ([0, 9], "wrt=9"), ("z", "'z'"),
    (("x", "x"), "twice"), ((0, "x"), "twice"), (1.5, "1.5"), (True, "True"),
    ({"x"}, "{'x'}"), ((None,), "None"),
])
def test_bad_wrt_is_named(wrt, named):
    with pytest.raises(S2SDiffError) as info:
        grad(seed_f, wrt=wrt)
    assert named in str(info.value)
    assert info.value.construct == "wrt"


# regressions for errors fixed in normalize/ and parse.py --------------------------

def duplicate_targets(x, y):
    a, a = x, y
    return a * 2.0


def swap(x, y):
    x, y = y, x
    return x * y * y


def test_a_name_repeated_in_tuple_unpacking_keeps_the_last_value():
    assert grad(duplicate_targets)(1.0, 3.0) == (0.0, 2.0)
    check_grad(swap, 1.5, -0.5)


def write_module(directory, source, name):
    path = directory / f"{name}.py"
    path.write_text(source)
    return path, load_module(path, f"s2sdiff_tests_{name}")


@pytest.mark.parametrize("kind, expression", [
    pytest.param("return", "-" * 1200 + "x", id="return 1200 unary minus"),
    pytest.param("return", " + ".join(["x"] * 1200), id="return 1200-term sum"),
    pytest.param("assignment", " * ".join(["x"] * 1500), id="assign 1500-term product"),
    pytest.param("print", " + ".join(["x"] * 2000), id="print 2000-term sum"),
    # shallow enough to rename, too deep for the ast.unparse that emit would run
    pytest.param("print", " + ".join(["x"] * 350), id="print 350-term sum"),
])
def test_too_deeply_nested_expression_is_unsupported(tmp_path, kind, expression):
    statement = {"return": f"return {expression}", "assignment": f"y = {expression}",
                 "print": f"print({expression})"}[kind]
    source = f"def deep(x):\n    {statement}\n    return x\n"
    path, module = write_module(tmp_path, source, f"deep_{kind}")
    with pytest.raises(UnsupportedError) as info:
        grad(module.deep)
    assert info.value.lineno == 2 and "nested" in str(info.value) and info.value.hint


# bugs found by this suite outside normalize/parse (fixed upstream since) ------------

def with_assert(x):
    assert x > 0
    return x * 2.0


def test_an_assert_statement_is_kept_and_differentiated_through():
    # was: AttributeError from optimize._fold_statement (ast.Assert has no .value)
    gradient = grad(with_assert)
    assert gradient(1.5) == 2.0
    with pytest.raises(AssertionError):
        gradient(-1.5)


def zero_to_the(y):
    return 0.0 ** y


def zero_base(x, y):
    b = x - x
    return b ** y


def test_zero_base_power_has_zero_exponent_derivative():
    # was: ValueError from math.log(0) in the exponent's partial out * log(x)
    assert grad(zero_to_the)(1.5) == 0.0
    assert grad(zero_base)(1.0, 1.5) == (0.0, 0.0)


def with_default(x, q=2.0):
    return x * q


def test_check_grad_with_a_defaulted_parameter():
    # was: IndexError in check_grad, which differentiated q although args omit it
    report = check_grad(with_default, 1.5)
    assert [row[0] for row in report.rows] == ["x"]


def test_folding_huge_literals_does_not_leak_value_error(tmp_path):
    # was: ValueError (int max str digits) from optimize folding 9...9 * 9...9
    big = "9" * 2500
    path, module = write_module(tmp_path, f"def big(x):\n    y = {big} * {big}\n"
                                          f"    return x * y\n", "huge_literals")
    try:
        grad(module.big)
    except S2SDiffError:
        pass                 # rejecting it is fine too; any other exception is a bug


# bugs in files this suite does not own -----------------------------------------------

def min_of_same(x):
    return min(x, x)


def test_min_of_a_value_with_itself_is_the_identity():
    # At a tie the two arguments share the adjoint evenly: min(x, x) = x differentiates to 1.
    assert grad(min_of_same)(1.5) == 1.0


# 4. random programs ------------------------------------------------------------------

PRELUDE = '''\
import math
import math as m
from math import sin, exp as e_


def helper(t):
    return t * 2.0


GLOBAL = 3.0

'''

# Locals that look like adjoints (dx, dxpy), like generated temporaries (xpy, sinx, t1,
# x_2), or that shadow modules and builtins (math, abs, float, check_arguments).
LOCALS = ["x", "y", "z", "dx", "dy", "d", "dd", "data", "delta", "dxpy", "xpy", "sinx",
          "out", "t", "t1", "x_2", "dx_2", "abs", "math", "exp", "sin", "float", "max",
          "check_arguments", "helper", "f", "f1"]
PARAMS = ["x", "y", "z", "dx", "d", "math", "abs", "t", "dxpy", "exp", "data", "out", "f"]
FUNCTION_NAMES = ["f", "g", "loss", "dx", "d", "grad_f", "math", "exp", "xpy", "_"]
CALLS1 = ["math.sin", "math.cos", "math.exp", "math.log", "math.sqrt", "math.tanh",
          "math.atan", "math.fabs", "math.floor", "math.expm1", "math.log1p", "abs",
          "float", "int", "round", "m.sin", "sin", "e_", "math.erf", "math.sinh",
          "math.asinh", "math.log2", "math.isnan", "helper"]
CALLS2 = ["math.atan2", "math.hypot", "math.pow", "pow", "max", "min", "math.log"]
BINOPS = ["+", "-", "*", "/", "**", "%", "//", "+", "-", "*", "*", "/"]
REAL_CONSTANTS = ["1", "2", "0", "1.0", "0.5", "2.0", "3", "1e-3", "True", "False",
                  "0x10", "1_0", "math.pi", "math.e", "GLOBAL"]
HUGE_CONSTANTS = ["10**20", "123456789012345678901234567890", "2**64", "1e300", "10**400"]
ODD_CONSTANTS = ["None", "'str'", "b'x'", "1j", "...", "float('nan')"]
UNSUPPORTED_EXPRESSIONS = [
    "({a} if {b} > 0 else {c})", "({a} and {b})", "({a} or {b})", "[{a}, {b}]",
    "{a}[0]", "(lambda q: q)({a})", "[q * {a} for q in (1, 2)]", "{{{a}}}",
    "f'{{{a}}}'", "{a}.real", "{a}.conjugate()", "(w := {a})", "sum(q for q in ({a},))",
    "{{'k': {a}}}", "({a}, {b})", "{a}[1:2]", "max(*({a}, {b}))", "helper(**{{'t': {a}}})",
    "undefined_function({a})", "math.nosuchfunction({a})", "GLOBAL({a})",
    "math.sin(x={a})", "math.log({a}, {b}, 2)", "max({a})", "max()", "float()",
    "round({a}, ndigits=2)", "{a} @ {b}", "not {a}", "~{a}", "({a} & {b})", "({a} << 2)",
    "{a} < {b} < {c}", "{a} is {b}", "{a} in {b}", "helper({a})",
]
UNSUPPORTED_STATEMENTS = [
    ["if {a}:", "    pass"], ["for q in range(2):", "    {t} = {a}"], ["while False:", "    pass"],
    ["with open(__file__):", "    pass"], ["try:", "    pass", "except Exception:", "    pass"],
    ["del {t}"], ["import os"], ["raise ValueError()"], ["def inner(q):", "    return q"],
    ["class K:", "    pass"], ["{t}[0] = {a}"], ["{t}.attr = {a}"], ["x, *rest = {a}, {b}"],
    ["match {a}:", "    case _:", "        pass"], ["{t}, q = {a}"], ["math.sin({a})"],
    ["helper({a})"], ["yield {a}"], ["{t}[0] += {a}"], ["lambda: {a}"],
]


class ProgramGenerator:
    """A random small function; ``wild`` ones mix in everything s2sdiff rejects."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.wild = self.rng.random() < 0.4
        self.huge = False          # huge constants make finite differences meaningless

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)

    def leaf(self, names):
        if names and self.chance(0.7):
            return self.pick(names)
        if self.wild and self.chance(0.2):
            return self.pick(LOCALS + ODD_CONSTANTS)      # maybe unbound, maybe odd
        if self.chance(0.08):
            self.huge = True
            return self.pick(HUGE_CONSTANTS)
        return self.pick(REAL_CONSTANTS)

    def expression(self, names, depth):
        if depth <= 0 or self.chance(0.25):
            return self.leaf(names)
        sub = lambda: self.expression(names, depth - 1)  # noqa: E731
        kind = self.rng.random()
        if kind < 0.4:
            return f"({sub()} {self.pick(BINOPS)} {sub()})"
        if kind < 0.5:
            return f"{self.pick(['-', '+', '-'])}{sub()}"
        if kind < 0.7:
            return f"{self.pick(CALLS1)}({sub()})"
        if kind < 0.8:
            return f"{self.pick(CALLS2)}({sub()}, {sub()})"
        if kind < 0.85:
            gate = self.pick(["1 / (1 + math.exp(-{a}))", "1.0 / (math.exp(-{a}) + 1)"])
            return gate.format(a=sub())
        if kind < 0.9:
            return f"({sub()} {self.pick(['<', '>=', '==', '!='])} {sub()})"
        if kind < 0.93:
            return self.deep(names)
        if self.wild:
            return self.pick(UNSUPPORTED_EXPRESSIONS).format(a=sub(), b=sub(), c=sub())
        return sub()

    def deep(self, names):
        """A narrow, deeply nested expression: moderately deep, or far too deep."""
        n = self.pick([8, 15, 25, 600, 1000])
        leaf = self.pick(names) if names else "1.0"
        return self.pick([
            "-" * n + leaf,
            "math.sin(" * min(n, 150) + leaf + ")" * min(n, 150),
            " * ".join([leaf] * n) if n > 100 else "(" * n + leaf + " + 1)" * n,
        ])

    def statement(self, names):
        """Lines of one statement; the names it assigns are added to ``names``."""
        expr = lambda: self.expression(names, self.rng.randint(0, 3))  # noqa: E731
        target = self.pick(names) if names and self.chance(0.3) else self.pick(LOCALS)
        other = self.pick(LOCALS)
        kind = self.rng.random()
        if self.wild and kind < 0.2:
            return [line.format(a=expr(), b=expr(), t=target)
                    for line in self.pick(UNSUPPORTED_STATEMENTS)]
        assigned = [target]
        if kind < 0.5:
            line = f"{target} = {expr()}"
        elif kind < 0.62:
            line = f"{target} {self.pick(['+', '-', '*', '/'])}= {expr()}"
        elif kind < 0.7:
            line, assigned = f"{target}, {other} = {expr()}, {expr()}", [target, other]
        elif kind < 0.74:
            line, assigned = f"{target} = {other} = {expr()}", [target, other]
        elif kind < 0.78:
            line = f"{target}: float = {expr()}"
        elif kind < 0.86:
            line, assigned = self.pick(["pass", "'''a string statement'''", "...",
                                        f"print({expr()})", f"print({expr()}, sep='')",
                                        f"assert {expr()} is not None"]), []
        elif kind < 0.93:
            line = self.pick(["abs = 3", "math = 2.0", "exp = 1.5", "sin = 1.5",
                              "float = 2", "max = 4.0"])
            assigned = [line.split()[0]]
        else:
            line, assigned = f"return {expr()}", []
        names += assigned
        return [line]

    def function(self):
        """(positional parameter names, function name, source of the def)."""
        params = self.rng.sample(PARAMS, self.rng.randint(1, 3))
        names = list(params)
        lines = ['"""Docstring."""'] if self.chance(0.1) else []
        for _ in range(self.rng.randint(0, 5)):
            lines += self.statement(names)
        ending = self.rng.random()
        if ending < 0.9 or not self.wild:
            lines.append(f"return {self.expression(names, self.rng.randint(0, 4))}")
        elif ending < 0.95:
            lines.append(f"return {self.expression(names, 2)}, {self.expression(names, 2)}")
        else:
            lines.append(self.pick(["return", "return None", "pass"]))
        signature = ", ".join(params)
        if self.wild and self.chance(0.1):
            signature += self.pick([", *args", ", **kw", ", *, k=2.0"])
        if self.chance(0.05):
            params.append("q")
            signature += ", q=1.0"
        body = "\n".join("    " + line for line in lines)
        name = self.pick(FUNCTION_NAMES)
        return params, name, f"def {name}({signature}):\n{body}\n"

    def wrt(self, params):
        choice = self.rng.random()
        if choice < 0.7:
            return None
        if choice < 0.8:
            return self.pick(params)
        if choice < 0.9:
            return self.rng.randrange(len(params))
        return tuple(self.rng.sample(params, self.rng.randint(1, len(params))))


# S2SDIFF_ERRORS_SEED=1 S2SDIFF_ERRORS_PROGRAMS=2000 pytest tests/test_errors.py -k random
PROGRAMS = int(os.environ.get("S2SDIFF_ERRORS_PROGRAMS", 800))
FUZZ_SEED = int(os.environ.get("S2SDIFF_ERRORS_SEED", 20240601))


def _smooth_near(f, point, indices):
    """Whether central differences at three step sizes agree (no jump or kink near)."""
    for i in indices:
        estimates = []
        for h in (1e-3, 1e-4, 1e-5):
            step = h * max(1.0, abs(point[i]))
            plus, minus = list(point), list(point)
            plus[i] += step
            minus[i] -= step
            try:
                estimates.append((f(*plus) - f(*minus)) / (2 * step))
            except (ArithmeticError, ValueError, TypeError):
                return False
        if max(estimates) - min(estimates) > 1e-3 * (1 + max(map(abs, estimates))):
            return False
    return True


def _real(value):
    """``value`` as a float if it is a moderate real number, else None."""
    if not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def _check_against_finite_differences(f, gradient, point, wrt, params):
    """'checked', 'raises' (f and its gradient both raise the same error here),
    'inconclusive' (no derivative to compare here), or a failure message."""
    try:
        value = _real(f(*point))
    except Exception as failure:   # the user's function fails here: nothing to compare
        try:
            gradient(*point)
        except type(failure):
            return "raises"        # max(x) of a number: the gradient fails as f does
        except Exception:          # noqa: BLE001  (a different failure is not judged)
            pass
        return "inconclusive"
    if value is None or abs(value) > 1e8:
        return "inconclusive"
    try:
        result = gradient(*point)
    except (ArithmeticError, ValueError):
        return "inconclusive"      # e.g. sqrt at 0: the derivative is infinite here
    except UnsupportedError as error:
        if error.construct == "complex value":
            return "inconclusive"  # (-x) ** 0.5 is complex: a real function no more
        raise
    components = result if isinstance(result, tuple) else (result,)
    if all(isinstance(c, (int, float)) for c in components) and not all(
            math.isfinite(c) for c in components):
        return "inconclusive"      # the IEEE retry: inf, or NaN from 0 * inf, as JAX gives
    components = [_real(c) for c in components]
    if None in components:
        return f"the gradient is not a finite real number: {result!r}"
    if any(abs(c) > 1e6 for c in components):
        return "inconclusive"      # finite differences cannot resolve it
    try:
        check_grad(f, *point, wrt=wrt)
        return "checked"
    except AssertionError as mismatch:
        first = str(mismatch)
    except (ArithmeticError, ValueError):
        return "inconclusive"      # a step of the finite difference left the domain
    try:                           # not just the O(h^2) error of central differences?
        check_grad(f, *point, wrt=wrt, method="richardson", rtol=1e-5)
        return "checked"
    except (AssertionError, ArithmeticError, ValueError):
        pass
    names = [wrt] if isinstance(wrt, (str, int)) else (wrt or params)
    indices = [n if isinstance(n, int) else params.index(n) for n in names]
    return "inconclusive" if not _smooth_near(f, point, indices) else first


@pytest.mark.filterwarnings("ignore::SyntaxWarning")     # `1.0 is not None`
def test_random_programs_fail_only_with_s2sdiff_errors(tmp_path, capsys):
    outcomes = {"generated": 0, "rejected": 0, "checked": 0, "inconclusive": 0, "raises": 0}
    failures = []
    for i in range(PROGRAMS):
        generator = ProgramGenerator(FUZZ_SEED + i)
        params, name, function = generator.function()
        source = PRELUDE + function
        path = tmp_path / f"program_{i}.py"
        path.write_text(source)
        try:
            module = load_module(path, f"s2sdiff_fuzz_{i}")
        except Exception:
            continue                 # not valid Python, or the module fails to run
        f = getattr(module, name)
        wrt = generator.wrt(params)
        try:
            gradient = grad(f, wrt=wrt)
        except S2SDiffError as err:
            outcomes["rejected"] += 1
            if err.filename != str(path) or not (err.lineno and err.source_line
                                                  and err.construct and err.hint):
                failures.append((source, f"incomplete error: {err!r}"))
            continue
        except Exception as err:  # noqa: BLE001  (the point of the test)
            failures.append((source, f"{type(err).__name__}: {err}"))
            continue
        outcomes["generated"] += 1
        if generator.huge or f.__code__.co_kwonlyargcount:
            continue                 # huge constants; keyword-only parameters
        # max/min are judged too: exact ties split evenly (a valid derivative where the
        # function is smooth, max(x, x)); a tie that is only approximate is a kink, which
        # _smooth_near sees
        rng = random.Random(i)
        point = [rng.choice([-1, 1]) * rng.uniform(0.2, 2.0) for _ in params]
        verdict = _check_against_finite_differences(f, gradient, point, wrt, params)
        if verdict in outcomes:
            outcomes[verdict] += 1
        else:
            failures.append((source, f"at {point}, wrt={wrt!r}:\n{verdict}\n{gradient.source}"))
    capsys.readouterr()              # the programs print
    report = "\n\n".join(f"{source}\n--> {problem}" for source, problem in failures[:3])
    assert not failures, f"{len(failures)} of {PROGRAMS} programs failed:\n\n{report}"
    assert outcomes["generated"] >= PROGRAMS / 4 and outcomes["rejected"] >= PROGRAMS / 4, outcomes
    assert outcomes["checked"] >= PROGRAMS / 5, outcomes
    assert outcomes["inconclusive"] <= outcomes["checked"] / 4, outcomes


def shadows_float(x, y):
    float = 2.0
    return float * x * y


def test_the_type_test_survives_a_local_named_float():
    assert grad(shadows_float)(1.5, 2.0) == (4.0, 3.0)
    with pytest.raises(ArgumentError, match="'x'"):
        grad(shadows_float)(1j, 2.0)
