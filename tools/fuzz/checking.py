"""Judging one program against the oracles: ``Checker.check`` returns an ``Outcome``.

A finding is a *mismatch* (a number an oracle disagrees with, beyond rounding in an
ill-conditioned program) or an *error* (an exception where the forward code runs); an
``S2SDiffError`` when the gradient is generated is a *generation error*, or *refused*
where a refusal is right; an exception of an oracle is an *oracle crash* (the fuzzer's
bug, not s2sdiff's).  ``KNOWN_BUGS`` labels the findings of known s2sdiff bugs.
"""

import math
import re
import traceback
import types
from dataclasses import dataclass, field

import mpmath
import numpy as np

from s2sdiff import (InternalError, S2SDiffError, UnsupportedError, derivative, grad, jvp,
                     value_and_grad, verify)
from s2sdiff.sources import is_generated
from s2sdiff.symbolic import sympy_globals

from .oracles import (FD_DPS, FD_STEPS, KINK_MARGIN, MP_MATH, SYMPY_SECONDS, VERIFY_SECONDS,
                      Margins, OracleTimeout, central_differences, closest_switch,
                      complex_step, margin_function, mp_namespace, sympy_gradient, time_limit)
from .programs import RTOL, Program


def error_of(generated, reference, scale=1.0):
    """|generated - reference| in units of RTOL * (|reference| + scale)."""
    if isinstance(generated, float) and math.isnan(generated):
        return math.inf
    return abs(generated - reference) / (RTOL * (abs(reference) + scale))


@dataclass
class Outcome:
    program: Program
    status: str = "ok"           # ok, mismatch, error, generation-error, singular, skipped
    kind: str = None             # of a mismatch: reverse, forward, api, generator
    phase: str = None            # of an error: the call that raised
    where: str = None            # of an error: the generated line that raised
    detail: str = ""
    known: str = None            # the KNOWN_BUGS entry that explains the finding
    oracles: list = field(default_factory=list)    # which oracles judged it
    kink: str = None             # the closest branch switch, when finite differences skipped
    nonfloat: str = None         # a gradient entry of another type than float (right value)
    oracle_errors: list = field(default_factory=list)   # an oracle could not judge
    ill_conditioned: list = field(default_factory=list)  # float rounding, exact code agrees


@dataclass(frozen=True)
class Known:
    """A bug of s2sdiff that the fuzzer finds, and how to recognise its findings."""
    name: str
    statuses: tuple              # the outcome statuses it produces
    kinds: tuple                 # of a mismatch: the kinds it produces (any for an error)
    where: str                   # what ``pattern`` is searched in: "line" (the generated
                                 # line that raised), "detail" (the finding's message),
                                 # "grad" or "derivative" (the source)
    pattern: str
    description: str
    test: str                    # the strict-xfail test that pins it
    detail: str = ""             # and a pattern the finding's message must match


KNOWN_BUGS = []       # none open: the last (a tanh partial that overflowed) was fixed


def explain(outcome, func):
    """The KNOWN_BUGS entry that explains a finding, or None."""
    for bug in KNOWN_BUGS:
        if outcome.status not in bug.statuses:
            continue
        if outcome.status == "mismatch" and outcome.kind not in bug.kinds:
            continue
        if bug.detail and not re.search(bug.detail, outcome.detail or ""):
            continue
        if bug.where == "line":
            text = outcome.where or ""
        elif bug.where == "detail":
            text = outcome.detail or ""
        else:
            try:
                text = (grad if bug.where == "grad" else derivative)(func).source
            except S2SDiffError:
                continue
        if re.search(bug.pattern, text):
            return bug.name
    return None


def as_tuple(result, n):
    return tuple(result) if n > 1 else (result,)


def _from_generated_code(error):
    """Whether a generated function (not only the dispatcher that specialises code on its
    first call) is on the traceback of ``error``."""
    return any(is_generated(frame.filename) and frame.filename != "<s2sdiff dispatcher>"
               for frame in traceback.extract_tb(error.__traceback__))


def _generated_line(error):
    """The line of generated code an exception was raised on, if any."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if is_generated(frame.filename):
            return (frame.line or "").strip()
    return None


class Checker:
    """Runs every check of the package docstring on the programs of one module."""

    def __init__(self, module, *, sympy_every=1, verify_every=50, forward_every=1, extra_every=5,
                 sympy_seconds=SYMPY_SECONDS):
        self.module = module
        self.namespace = vars(module)
        self.mp_namespace = mp_namespace(self.namespace)
        self.sympy_namespace = None
        self.verify_every = verify_every
        self.extra_every = extra_every
        self.sympy_every = sympy_every
        self.sympy_seconds = sympy_seconds
        self.forward_every = forward_every

    def check(self, program):
        outcome = self.outcome = Outcome(program)
        func = getattr(self.module, program.name)
        self.phase = "forward function"
        try:
            if program.arrays:
                self._check_array(program, func, outcome)
            else:
                self._check(program, func, outcome)
        except _Mismatch as mismatch:
            outcome.status, outcome.kind, outcome.detail = "mismatch", mismatch.kind, str(mismatch)
        except InternalError as error:       # a bug of s2sdiff, never a refusal
            outcome.status, outcome.detail = "error", f"{type(error).__name__}: {error}"
        except S2SDiffError as error:
            outcome.status = "generation-error" if self.phase.startswith("generating") else "error"
            if program.expect_refusal and self.phase.endswith("grad") \
                    and (isinstance(error, UnsupportedError) or program.pattern) \
                    and (program.arrays or self.phase.startswith("generating")
                         or not _from_generated_code(error)):
                # expected (code that may be NumPy code, arrays or a list slice, is
                # generated for the argument kinds of its first call, hence "running grad"
                # too, when the error does not come from a generated line)
                outcome.status = "refused"
            outcome.phase = self.phase
            outcome.detail = f"{type(error).__name__}: {error}"
        except Exception as error:          # noqa: BLE001 - every other exception is a finding
            outcome.status, outcome.phase = "error", self.phase
            outcome.where = _generated_line(error)
            outcome.detail = f"{type(error).__name__}: {error}"
            if self.phase == "oracles" and outcome.where is None:
                outcome.status = "oracle-crash"     # a bug of the fuzzer, not of s2sdiff
                return outcome
            if isinstance(error, (ArithmeticError, ValueError)) and outcome.where \
                    and not program.arrays \
                    and self.phase.startswith("running") and self._singular(program, func):
                outcome.status = "singular"
        if outcome.status in ("mismatch", "error"):
            outcome.known = explain(outcome, func)
        return outcome

    def _singular(self, program, func):
        """Whether the derivative does not exist at the point (atan2 at (0, 0), sqrt at 0,
        hypot(u, u) at u = 0): a one-sided difference quotient, forward or backward, computed
        with FD_DPS digits, is not finite or differs from the other side or from the same
        side at the other step.  An exception is then the right answer (the forward code
        runs, its derivative does not exist); where the function is smooth it is a finding.
        """
        mp_func = types.FunctionType(func.__code__, self.mp_namespace, None, None,
                                     func.__closure__)
        try:
            with mpmath.workdps(FD_DPS):
                args = [mpmath.mpf(p) for p in program.point]
                at = mpmath.mpf(mp_func(*args))
                for i in range(len(args)):
                    sides = []
                    for step in FD_STEPS:
                        h = mpmath.mpf(step) * max(1, abs(args[i]))
                        for sign in (1, -1):
                            moved = list(args)
                            moved[i] += sign * h
                            sides.append((mpmath.mpf(mp_func(*moved)) - at) / (sign * h))
                    if not all(mpmath.isfinite(d) for d in sides):
                        return True
                    low, high = min(sides), max(sides)
                    if high - low > 1e-6 * (abs(low) + abs(high) + 1):
                        return True
        except (ArithmeticError, ValueError):
            return True
        except TypeError as error:   # a complex value nearby: a negative base ** an
            if "mpc" in str(error) or "complex" in str(error):   # exponent that is an
                return True              # integer only after rounding to floats
            raise
        return False

    def _tie_holds(self, program, point, run):
        """None when every exact tie of ``run`` holds with each parameter moved alone (the
        tied arguments are the same function along every axis, so the central differences
        judge the even split); else (0, "inexact tie")."""
        for i in range(len(point)):
            moved = Margins()
            args = list(point)
            args[i] += 1e-7 * max(1.0, abs(args[i]))
            try:
                margin_function(program, self.namespace, moved)(*args)
            except (ArithmeticError, ValueError):
                return (0.0, "raises-nearby")
            if moved.ties != run.ties or moved.path != run.path:
                return (0.0, "inexact-tie")
        return None

    def _make(self, what, make):
        self.phase = f"generating {what}"
        made = make()
        self.phase = f"running {what}"
        return made

    def _check(self, program, func, outcome):
        n = len(program.params)
        point = program.point
        value = func(*point)
        if value != program.value:
            raise _Mismatch("generator", f"generator bug: f{point} = {value!r}, the generator "
                                         f"computed {program.value!r}")

        gradient = self._make("grad", lambda: grad(func))
        g = as_tuple(gradient(*point), n)
        if any(type(v) is not float for v in g):
            outcome.nonfloat = f"gradient {g!r} at float arguments has a non-float entry"
            g = tuple(float(v) for v in g)
        scale = max([1.0] + [abs(v) for v in g])
        self.phase = "oracles"

        # oracle 1: sympy.diff (smooth programs)
        if not program.piecewise and self.sympy_every and program.index % self.sympy_every == 0:
            if self.sympy_namespace is None:
                self.sympy_namespace = sympy_globals(self.namespace)
            try:
                reference = sympy_gradient(func, self.sympy_namespace, program.params, point,
                                           self.sympy_seconds)
            except (ValueError, TypeError, ArithmeticError, RecursionError,
                    OracleTimeout) as error:
                outcome.oracle_errors.append(f"sympy: {type(error).__name__}: {error}")
            else:
                self._compare("reverse", "sympy.diff", g, reference, program, scale,
                              exact=lambda: (self.in_mp(gradient, point, n), reference))
                outcome.oracles.append("sympy")
        if not program.piecewise and self.verify_every and program.index % self.verify_every == 0:
            self.phase = "s2sdiff.verify"
            try:
                with time_limit(VERIFY_SECONDS):
                    verify(func)
            except AssertionError as error:
                raise _Mismatch("reverse", f"s2sdiff.verify: {error}") from None
            except OracleTimeout as error:
                outcome.oracle_errors.append(f"verify: OracleTimeout: {error}")
            else:
                outcome.oracles.append("verify")
            self.phase = "oracles"

        # oracle 2: high-precision central differences at two step sizes
        closest = (math.inf, None)
        if program.piecewise:
            run, moved = Margins(), Margins()
            margin_function(program, self.namespace, run)(*point)
            try:
                margin_function(program, self.namespace, moved)(
                    *(p + 1e-7 * max(1.0, abs(p)) for p in point))
            except (ArithmeticError, ValueError):
                closest = (0.0, "raises-nearby")
            else:
                closest = closest_switch(run, moved)
            if run.ties and closest[0] >= KINK_MARGIN:
                closest = self._tie_holds(program, point, run) or closest
        if closest[0] < KINK_MARGIN:
            outcome.kink = f"{closest[1]} at {closest[0]:.2g}"
        else:
            mp_func = types.FunctionType(func.__code__, self.mp_namespace, None, None,
                                         func.__closure__)
            differences = [[float(central_differences(mp_func, point, i, step))
                            for i in range(n)] for step in FD_STEPS]
            if any(error_of(a, b, scale) > 1e-3 for a, b in zip(*differences)):
                # the two steps disagree: the function is not smooth at this scale here
                outcome.oracle_errors.append(f"fd: the steps {FD_STEPS} disagree: "
                                             f"{differences[0]} vs {differences[1]}")
            else:
                for step, reference in zip(FD_STEPS, differences):
                    self._compare("reverse", f"central difference (h={step:g})", g,
                                  reference, program, scale,
                                  exact=lambda: (self.in_mp(gradient, point, n), reference))
                outcome.oracles.append("fd")
        if not outcome.oracles:
            outcome.status = "skipped"

        # forward mode against reverse mode (skipped near kinks too: the tie
        # convention is the same in both modes, and it is what they must agree on)
        if self.forward_every and program.index % self.forward_every == 0 and not program.lists:
            forward_func = self._make("derivative", lambda: derivative(func))
            d = as_tuple(forward_func(*point), n)
            self._compare("forward", "derivative (forward mode)", g, d, program, scale,
                          exact=lambda: (self.in_mp(gradient, point, n),
                                         self.in_mp(forward_func, point, n)))
            jvp_func = self._make("jvp", lambda: jvp(func))
            out, tangent_out = jvp_func(*point, *program.tangent)
            if not _same(out, value):
                raise _Mismatch("forward", f"jvp value {out!r} != f{point} = {value!r}")
            expected = math.fsum(a * b for a, b in zip(g, program.tangent))

            def exact_jvp():
                g_mp = self.in_mp(gradient, point, n)
                t_mp = self.in_mp(jvp_func, point + program.tangent, 2)[1]
                return (t_mp,), (math.fsum(a * b for a, b in zip(g_mp, program.tangent)),)
            self._compare("forward", "jvp", (tangent_out,), (expected,), program, scale,
                          exact=exact_jvp)

        self._check_api(program, func, point, value, g, gradient, lambda oracle, a, b, names:
                        self._compare("api", oracle, a, b, program, scale))

    def _check_array(self, program, func, outcome):
        """A NumPy program: gradient shapes and kinds, the complex-step oracle, the API."""
        n = len(program.params)
        point = program.point
        value = func(*point)
        if not _same(value, program.value):
            raise _Mismatch("generator", f"generator bug: f(...) = {value!r}, the generator "
                                         f"computed {program.value!r}")
        pristine = tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in point)
        gradient = self._make("grad", lambda: grad(func))
        g = as_tuple(gradient(*point), n)
        self.phase = "oracles"
        for name, arg, before in zip(program.params, point, pristine):
            if isinstance(arg, np.ndarray) and not np.array_equal(arg, before):
                raise _Mismatch("mutation", f"the gradient call changed the argument {name}: "
                                            f"{before!r} became {arg!r}")
        point = pristine
        for name, arg, entry in zip(program.params, point, g):
            if isinstance(arg, np.ndarray):
                right = isinstance(entry, np.ndarray) and entry.shape == arg.shape
                if right and entry.dtype != arg.dtype:
                    raise _Mismatch("dtype", f"d/d{name}: dtype {entry.dtype} for an argument "
                                             f"of dtype {arg.dtype}: {entry!r}")
            else:
                right = isinstance(entry, float) and np.ndim(entry) == 0
            if not right:
                raise _Mismatch("shape", f"d/d{name}: {type(entry).__name__} of shape "
                                         f"{np.shape(entry)} for an argument of shape "
                                         f"{np.shape(arg)} ({type(arg).__name__})")
        flat = np.concatenate([np.ravel(np.asarray(e, dtype=float)) for e in g])
        scale = max(1.0, float(np.max(np.abs(flat))))
        reference = complex_step(func, point)
        try:
            self._compare_arrays("reverse", "complex step", g, reference, program, scale)
        except _Mismatch as mismatch:
            if not self._rounding_moves(gradient, point, g, program, scale):
                raise
            outcome.ill_conditioned.append(f"complex step: {mismatch}")
        outcome.oracles.append("complex step")
        self._check_api(program, func, point, value, g, gradient, lambda oracle, a, b, names:
                        self._compare_arrays("api", oracle, a, b, program, scale, names))

    def _check_api(self, program, func, point, value, g, gradient, compare):
        """Every ``extra_every``-th program: value_and_grad and grad(wrt=one) agree with
        grad, and grad(f) is the cached object; ``compare(oracle, ours, theirs, names)``."""
        if not (self.extra_every and program.index % self.extra_every == 0):
            return
        n = len(program.params)
        v, g2 = self._make("value_and_grad", lambda: value_and_grad(func))(*point)
        if not _same(v, value):
            raise _Mismatch("api", f"value_and_grad value {v!r} != f(...) = {value!r}")
        compare("value_and_grad", g, as_tuple(g2, n), None)
        i = program.index % n
        name = program.params[i]
        single = self._make(f"grad(wrt={name!r})", lambda: grad(func, wrt=name))(*point)
        compare(f"grad(wrt={name!r})", (g[i],), (single,), [name])
        if grad(func) is not gradient:
            raise _Mismatch("api", "grad(f) is not the cached function object")

    def _rounding_moves(self, gradient, point, g, program, scale):
        """Whether moving the arrays of ``point`` by a few ulps (a relative 1e-15) moves the
        generated gradient beyond the tolerance: then no oracle computing in floats (the
        complex step's complex arithmetic rounds differently) can judge it, as for
        ``sin(expm1(t))`` with ``expm1(t)`` ~ 1e15; the program is ill-conditioned there."""
        for factor in (1 + 1e-15, 1 - 1e-15):
            moved = tuple(a * factor if isinstance(a, np.ndarray) else a for a in point)
            try:
                self._compare_arrays("rounding", "moved", g,
                                     as_tuple(gradient(*moved), len(program.params)),
                                     program, scale)
            except _Mismatch:
                return True
        return False

    def _compare_arrays(self, kind, oracle, generated, reference, program, scale, names=None):
        for name, gv, rv in zip(names or program.params, generated, reference):
            gv, rv = np.asarray(gv, dtype=float), np.asarray(rv, dtype=float)
            if gv.shape != rv.shape:
                raise _Mismatch(kind, f"d/d{name}: shape {gv.shape}, {oracle} {rv.shape}")
            errors = np.abs(gv - rv) / (program.rtol * (np.abs(rv) + scale))
            if not np.all(errors <= 1):          # NaN fails too
                raise _Mismatch(kind, f"d/d{name}: generated\n{gv!r}\n  {oracle}\n{rv!r}")

    def _compare(self, kind, oracle, generated, reference, program, scale, exact=None):
        """Raise _Mismatch unless ``generated`` agrees with ``reference``.

        ``exact()`` gives the same two sides computed by running the generated code in
        mpmath at FD_DPS digits: when those agree, the float discrepancy is rounding in
        an ill-conditioned program (cos(cosh(t)) with cosh(t) ~ 1e10), not a wrong
        derivative; it is counted, not reported as a mismatch.
        """
        for name, gv, rv in zip(program.params, generated, reference):
            if error_of(gv, rv, scale) > 1:
                break
        else:
            return
        message = (f"d/d{name}: generated {gv!r}, {oracle} {rv!r}\n"
                   f"  gradient {tuple(generated)!r}\n  {oracle:>8} {tuple(reference)!r}")
        if exact is not None:
            try:
                generated_mp, reference_mp = exact()
            except Exception:               # noqa: BLE001 - then the float verdict stands
                generated_mp = None
            if generated_mp is not None and all(
                    error_of(a, b, scale) <= 1 for a, b in zip(generated_mp, reference_mp)):
                self.outcome.ill_conditioned.append(f"{oracle}: {message}")
                return
            if generated_mp is not None:
                message += f"\n  the generated code run in mpmath gives {tuple(generated_mp)!r}"
        raise _Mismatch(kind, message)

    def in_mp(self, generated, args, n):
        """``generated(*args)`` run with mpmath at FD_DPS digits, as a tuple of n floats."""
        cells = []
        code = generated.__code__
        for name, cell in zip(code.co_freevars, generated.__closure__ or ()):
            value = cell.cell_contents
            if name.startswith("check_arguments"):
                value = _ignore_arguments
            elif value is math:
                value = MP_MATH
            cells.append(types.CellType(value))
        runnable = types.FunctionType(code, self.mp_namespace, code.co_name, None,
                                      tuple(cells) or None)
        with mpmath.workdps(FD_DPS):
            result = runnable(*(mpmath.mpf(a) for a in args))
        return tuple(float(v) for v in as_tuple(result, n))


def _ignore_arguments(*args, **kwargs):
    """check_arguments for a run on mpmath numbers, which are not numbers.Real."""


class _Mismatch(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def _same(a, b):
    return a == b or (isinstance(a, float) and isinstance(b, float)
                      and math.isnan(a) and math.isnan(b))
