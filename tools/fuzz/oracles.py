"""The oracles, which share no code with s2sdiff's rule table: mpmath central
differences (with the instrumented runs that find how close a point is to a branch
switch), ``sympy.diff`` under a time limit, and complex steps for NumPy programs.
"""

import ast
import contextlib
import math
import signal
import threading
import types

import mpmath
import numpy as np
import sympy

from .programs import IMPORTED


KINK_MARGIN = 1e-6          # closer than this to a branch switch: no finite differences
FD_STEPS = (1e-12, 1e-16)   # relative steps of the two central differences: with 50
                            # digits rounding costs ~1e-34, truncation ~1e-24 |f'''|
FD_DPS = 50                 # digits for the finite differences
SYMPY_DPS = 30              # digits for the SymPy derivative at the point


class _MPMath:
    """``math`` spelled with mpmath, at the current mpmath precision."""

    pi = property(lambda self: mpmath.mp.pi)
    e = property(lambda self: mpmath.mp.e)

    @staticmethod
    def log(x, base=None):
        return mpmath.log(x) if base is None else mpmath.log(x, base)

    @staticmethod
    def log2(x):
        return mpmath.log(x, 2)

    @staticmethod
    def hypot(*xs):
        return mpmath.sqrt(sum(mpmath.mpf(x) ** 2 for x in xs))

    @staticmethod
    def trunc(x):
        return int(x)

    @staticmethod
    def pow(x, y):
        return mpmath.power(x, y)

    @staticmethod
    def lgamma(x):
        return mpmath.log(abs(mpmath.gamma(x)))

    @staticmethod
    def fmod(x, y):              # C's, with x's sign (mpmath.fmod(-2.3, 0.9) is 0.4)
        return x - y * int(x / y)

    @staticmethod
    def copysign(x, y):
        return abs(x) if math.copysign(1.0, float(y)) > 0 else -abs(x)

    floor = staticmethod(math.floor)
    ceil = staticmethod(lambda x: int(mpmath.ceil(x)))

    def __getattr__(self, name):
        return getattr(mpmath, name)


MP_MATH = _MPMath()


def mp_namespace(namespace):
    """``namespace`` (a module's globals) with math and float meaning their mpmath versions."""
    result = dict(namespace)
    for name, value in namespace.items():
        if value is math:
            result[name] = MP_MATH
        elif getattr(value, "__module__", None) == "math" \
                or any(value is f for f in IMPORTED.values()):
            result[name] = getattr(MP_MATH, value.__name__)
    result["float"] = lambda x: x
    for name, value in namespace.items():
        # the module's own functions (helpers of control programs) compute in mpmath too
        if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
            twin = types.FunctionType(value.__code__, result, value.__name__,
                                      value.__defaults__, value.__closure__)
            twin.__kwdefaults__ = value.__kwdefaults__
            result[name] = twin
    return result


class Margins:
    """Records how close a run comes to a branch switch of a piecewise operation.

    Each note keeps the arguments, so that two runs (at the point and at a point moved
    slightly along every parameter) tell operations on constants, which never switch,
    from operations on values that depend on the parameters.
    """

    def __init__(self):
        self.notes = []            # (what, margin, arguments)
        self.path = []             # the outcome of every comparison, in order
        self.ties = []             # (what, positions) of every max/min with an exact tie

    def note(self, what, margin, args):
        self.notes.append((what, abs(margin), args))

    def abs(self, x):
        self.note("abs", x, (x,))
        return abs(x)

    def fabs(self, x):
        self.note("fabs", x, (x,))
        return math.fabs(x)

    def extremum(self, which, xs):
        """An exact tie (``max(u, u)``) is no kink when it holds at every nearby point (the
        tied arguments are the same function: checked by moving each parameter alone);
        the margin is then the gap to the first argument that is not tied."""
        values = sorted(xs, reverse=(which == "max"))
        rest = [v for v in values if v != values[0]]
        self.note(which, values[0] - rest[0] if rest else math.inf, tuple(xs))
        if len(rest) < len(values) - 1:
            self.ties.append((which, tuple(i for i, x in enumerate(xs) if x == values[0])))

    def integral(self, what, x, half=False):
        shifted = x - 0.5 if half else x
        self.note(what, shifted - round(shifted), (x,))

    def mod(self, x, y):
        r = x % y
        self.note("%", min(abs(r), abs(abs(y) - abs(r))), (x, y))
        return r

    COMPARISONS = {"Lt": lambda a, b: a < b, "Gt": lambda a, b: a > b,
                   "LtE": lambda a, b: a <= b, "GtE": lambda a, b: a >= b,
                   "Eq": lambda a, b: a == b, "NotEq": lambda a, b: a != b}

    def compare(self, a, b, op):
        """A branch decision (if, elif, while, conditional expression, and/or operand)."""
        result = self.COMPARISONS[op](a, b)
        self.path.append(result)
        self.note("comparison", a - b, (a, b))
        return result


def closest_switch(run, moved):
    """(margin, what) of the closest branch switch among the operations whose arguments
    differ between the two runs; (inf, None) if there is none.  Runs that take different
    paths (a comparison, hence a branch or a trip count, changes) give (0, "path")."""
    if run.path != moved.path or len(run.notes) != len(moved.notes):
        return (0.0, "path")
    if run.ties != moved.ties:
        return (0.0, "tie")
    closest = (math.inf, None)
    for (what, margin, args), (_, _, moved_args) in zip(run.notes, moved.notes):
        if args != moved_args and margin < closest[0]:
            closest = (margin, what)
    return closest


class _ModToCall(ast.NodeTransformer):
    """``x % y`` and every comparison become calls that report their margins."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        operands = [node.left] + node.comparators
        calls = [ast.Call(ast.Name("__margins_compare", ast.Load()),
                          [a, b, ast.Constant(type(op).__name__)], [])
                 for a, b, op in zip(operands, operands[1:], node.ops)]
        return calls[0] if len(calls) == 1 else ast.BoolOp(ast.And(), calls)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mod):
            return ast.Call(ast.Name("__margins_mod", ast.Load()), [node.left, node.right], [])
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mod):
            raise AssertionError("the generator never writes %=")
        return node


def margin_function(program, module_namespace, margins):
    """``program`` compiled so that every piecewise operation reports its margin."""
    tree = ast.fix_missing_locations(_ModToCall().visit(ast.parse(program.source)))
    instrumented_math = types.SimpleNamespace(**{n: getattr(math, n) for n in dir(math)
                                                 if not n.startswith("_")})
    instrumented_math.fabs = margins.fabs
    instrumented_math.floor = lambda x: (margins.integral("floor", x), math.floor(x))[1]
    instrumented_math.ceil = lambda x: (margins.integral("ceil", x), math.ceil(x))[1]
    instrumented_math.trunc = lambda x: (margins.integral("trunc", x), math.trunc(x))[1]
    namespace = dict(module_namespace)
    namespace.update({
        "math": instrumented_math, "abs": margins.abs, "__margins_mod": margins.mod,
        "max": lambda *xs: (margins.extremum("max", xs), max(*xs))[1],
        "min": lambda *xs: (margins.extremum("min", xs), min(*xs))[1],
        "round": lambda x: (margins.integral("round", x, half=True), round(x))[1],
        "int": lambda x: (margins.integral("int", x), int(x))[1],
        "__margins_compare": margins.compare,
    })
    # helpers and the program in one namespace: the helpers report their margins too
    exec(compile(tree, f"<margins {program.name}>", "exec"), namespace)
    return namespace[program.name]


def central_differences(mp_func, point, index, relative_step):
    """d f / d point[index] by a central difference computed with FD_DPS digits."""
    with mpmath.workdps(FD_DPS):
        args = [mpmath.mpf(p) for p in point]
        h = mpmath.mpf(relative_step) * max(1, abs(args[index]))
        plus, minus = list(args), list(args)
        plus[index] += h
        minus[index] -= h
        return (mpmath.mpf(mp_func(*plus)) - mpmath.mpf(mp_func(*minus))) / (2 * h)


class OracleTimeout(TimeoutError):
    """SymPy (or anything run under ``time_limit``) took longer than allowed."""


SYMPY_SECONDS = 5.0
VERIFY_SECONDS = 20.0


@contextlib.contextmanager
def time_limit(seconds, what="the oracle"):
    """Raise OracleTimeout after ``seconds`` (main thread with SIGALRM only; else no limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise OracleTimeout(f"{what} did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except OracleTimeout:
        sympy.core.cache.clear_cache()       # SymPy was interrupted mid-computation
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def sympy_gradient(func, sympy_namespace, params, point, seconds=SYMPY_SECONDS):
    """``sympy.diff`` of the forward function at ``point``, one entry per parameter.

    SymPy's automatic evaluation on real symbols can take a minute on an unlucky
    five-line program (assumption queries), hence the time limit.  (Building the
    expression unevaluated is fast, but ``sympy.diff`` of an unevaluated tree is wrong:
    d/dd sin((d - pi) + c) comes out as cos(c).)
    """
    symbols = [sympy.Symbol(p, real=True) for p in params]
    with time_limit(seconds):
        expr = sympy.sympify(types.FunctionType(func.__code__, sympy_namespace)(*symbols))
        subs = {s: sympy.Float(p, SYMPY_DPS) for s, p in zip(symbols, point)}
        result = []
        for symbol in symbols:
            # xreplace with 30-digit Floats evaluates as it substitutes: far faster than
            # evalf(subs=...) on large expressions, and still 30 digits
            value = sympy.N(sympy.diff(expr, symbol).xreplace(subs), SYMPY_DPS)
            if not value.is_real or not value.is_finite:
                raise ValueError(f"sympy.diff is {value} at the point")
            result.append(float(value))
    return result


COMPLEX_STEP = 1e-30


def complex_step(func, point):
    """The gradient of a NumPy program by complex steps: d f / d p[k] = Im f(p + i h e_k) / h
    to rounding (no cancellation), for programs of analytic operations only."""
    result = []
    # every argument complex, so that an array made from one argument and written in place
    # with values of another (``y = X * 1.0; y[0] = s``) keeps the step
    point = [np.array(a, dtype=complex) if np.ndim(a) else np.complex128(a) for a in point]
    for i, arg in enumerate(point):
        if np.ndim(arg) == 0:
            args = list(point)
            args[i] = np.complex128(complex(arg.real, COMPLEX_STEP))   # has .sum() like float64
            result.append(float(np.imag(func(*args))) / COMPLEX_STEP)
            continue
        entry = np.zeros(np.shape(arg))
        for where in np.ndindex(*np.shape(arg)):
            moved = np.array(arg)
            moved[where] += 1j * COMPLEX_STEP
            args = list(point)
            args[i] = moved
            entry[where] = float(np.imag(func(*args))) / COMPLEX_STEP
        result.append(entry)
    return result
