"""Differential fuzzing of s2sdiff on random programs of four families.

    python -m tests.fuzz N [--seed S] [--size full|small] [--show K] [--keep DIR]
                           [--sympy-every M] [--verify-every M] [--forward-every M]
                           [--extra-every M] [--coverage]

generates ``N`` programs (program ``k`` depends only on ``(S, size, k)``, so any one of
them is reproduced alone with ``--show k``), writes them as plain ``def`` functions into
one temporary module file per batch of ``BATCH``, imports the module (so ``inspect``
reads real source, as for a user's file) and checks every program against oracles that
share no code with s2sdiff's rule table.  Each program belongs to one family, drawn from
``(S, size, k)`` alone: ``PATTERN_SHARE`` (20 %) of the programs are pattern programs (by
a draw of their own), the others are shared as ``FAMILIES`` says (45 % straight, 40 %
control, 15 % array); a program ``k`` of the first three families is the same as before
the pattern family existed (and a straight-line program ``k`` the same as before the
control and array families existed).

**straight** -- straight-line scalar programs:

* **smooth** programs (no ``abs``/``fabs``/``min``/``max``/``%``/``floor``...): the
  forward function runs on SymPy symbols, ``sympy.diff`` is taken and evaluated at the
  sample point with 30 digits; the generated gradient must agree to ``RTOL`` (the fast
  path, every ``--sympy-every``-th program).  Every ``--verify-every``-th smooth program
  also goes through the full ``s2sdiff.verify`` (symbolic simplification, slower);
* **every** program: central differences of the forward function evaluated in mpmath
  at 50 digits, at two step sizes; both must agree with the generated gradient.  For a
  piecewise program this is the oracle; points where a branch switch is within reach
  (``|u|`` small in ``abs(u)``, the top two arguments of ``max``/``min`` close but not
  tied by construction (see *ties* below), ``x / y``
  near an integer in ``x % y``, the argument of ``floor``... near its jump) are skipped
  and counted; they are found by running an instrumented copy of the program at the
  point and at a slightly moved point (operations on constants never switch);
* forward mode against reverse mode (every ``--forward-every``-th program):
  ``derivative(f)`` equals ``grad(f)``; ``jvp(f, point, t)`` returns exactly
  ``f(*point)`` and ``<grad, t>``;
* the API (every ``--extra-every``-th program): ``value_and_grad`` returns exactly the
  value and the gradient, ``grad(f, wrt=p)`` its entry, ``grad(f)`` the cached object.

Straight programs use every scalar row of ``s2sdiff.rules.RULES`` (``--coverage`` counts the
rows by normalising the programs; a row added later gets a generic template), and
reassignment of parameters and locals, augmented assignment (``+= -= *= /= **=``), tuple
unpacking and swaps, chained and annotated assignment, constants, module globals,
functions imported by name, the sigmoid gate, deep nesting and repeated subexpressions,
with names that look like the temporaries and adjoints s2sdiff makes (``xpy``, ``sigx``,
``dx``, ``x_2``).  Arguments are kept in safe domains (``log(1.5 + u*u)``,
``asin(tanh(u) * 0.9)``...) and each statement is evaluated at the sample point while the
program is generated (values stay below ``VALUE_LIMIT``), so every program evaluates.

**control** -- the same expressions inside control flow (``ControlGenerator``):
``if``/``elif``/``else`` and conditional expressions whose conditions compare active
values, constants (``SCALE > 1``) or loop counters, joined by ``and``/``or``/``not``
(and a few chained comparisons); a name assigned on one side only and read only under
the same condition; ``return`` inside branches and loops; ``for`` over ``range`` with 1
to 3 arguments (0 trips included, ``reversed(range(...))``, a range bounded by an outer
counter), over list and tuple displays, a local list, ``enumerate`` and ``zip``;
``while`` loops with a counter and often an active condition (``while n < 3 and s <
2.0``, the counter incremented first), ``break``/``continue`` under conditions, nested
loops, loop-carried updates of parameters and locals, accumulators initialised before
the loop; calls of helper functions defined next to the program (positional, keyword,
default and keyword-only arguments; sometimes a recursive helper with an int depth);
local lists (displays, ``v[i]`` reads with constant and loop indices, ``v[i] = ...``,
``v[i] += ...``, ``v.append(...)``, ``for i in range(len(v))``); the output is a float.
Values are not tracked while generating: the finished program is run at the point under
a tracer that rejects any local float beyond ``VALUE_LIMIT``, and regenerated (from the
same random stream, so still deterministic) if it raises or runs away.  Oracles:

* central differences at two step sizes in mpmath, as for piecewise straight programs
  (helpers are rebound to compute in mpmath too).  Branch decisions and trip counts are
  comparisons, so the instrumented copy also reports every comparison (``a < b`` becomes
  a call that records ``a - b`` and the outcome, in helpers too): the point is skipped
  when an active comparison (its operands move with the parameters) is within
  ``KINK_MARGIN`` of switching, or when the run at the moved point takes another path
  (a different sequence of outcomes: a branch or a trip count changes);
* forward mode against reverse mode as above, for programs without lists (forward mode
  does not support lists);
* the API checks as above.

**array** -- straight-line NumPy programs (``ArrayGenerator``): parameters are float64
arrays of small shapes or Python floats, in sets that broadcast (``(3, 1)`` with
``(4,)``, a float with a matrix, ``(1, 3)`` with ``(2, 1)``...) or multiply (``(4, 3)``
and ``(3, 2)``); statements use elementwise NumPy functions, ``+ - * / **``, ``@``,
``np.sum``/``np.mean``/``np.prod``/``.sum()`` with ``axis`` and ``keepdims``, indexing, slicing and
``.T``; the output is a scalar reduction.  Every subexpression is evaluated while
generating, so shapes always fit.  The operations are analytic, so the oracle is the
complex step, exact to rounding: ``d f / d p[k] = Im f(p + i h e_k) / h`` with ``h =
1e-30``, one run per input element; the gradient must agree to ``RTOL``, and each entry
must have exactly its input's shape and dtype (an ndarray of the input's dtype for an
array, a float for a float).  The API checks as above; no forward mode (arrays are reverse mode only).
``ARRAY_REFUSALS`` of the array programs put array code inside an ``if`` or a ``for``:
s2sdiff refuses that with an ``UnsupportedError`` (when the code is specialised, on the
first call), counted as *refused*, not as a finding (if it is ever supported, the
program is checked like the others).

**patterns** -- each program exercises one construct that once broke s2sdiff (issue
13), one entry of ``PATTERNS``; scalar ones are judged like control programs (central
differences with kink margins, forward mode without lists), NumPy ones like array
programs (complex steps, shapes, dtypes):

* *loop variables reused*: control programs whose ``for`` loops draw their variable from
  ``i``/``j``, so sibling loops, nested loops (``for i`` inside ``for i``) and loops in
  the branches of successive ``if`` statements share it; sometimes read after the loop;
* *free data: globals / closure*: arrays, a float and a list kept in module globals or in
  a factory function that the program is defined in (``def fz_factory(): C = np.array(..)
  ; def fz(x): ...``), in every operand position: either side of ``@``, ``*``, ``+``,
  ``-`` (with broadcasting), ``np.dot``, ``.dot``, ``.T``, ``np.concatenate``
  sequences, ``C[0]``/``C[1:]``, a free index array ``x[IDX]``;
* *free scalars: globals / closure*: control programs reading a free float and a free
  list (``coef[1]``, ``for c in coef``);
* *np.array displays*: ``np.array([u, 2.0, v])``, nested ``np.array([[u, v], [w, u]])``,
  repeated entries, tuples, and lists passed to NumPy (``np.sum([u, v])``,
  ``np.mean``, ``np.prod``), the entries active scalars (float parameters, ``x[0]``);
* *repeated indices*: ``x[[0, 0, 2]]``, ``x[np.array([1, 0, 1])]``, repeated rows,
  columns and index pairs;
* *ties: scalar / NumPy*: ties by construction, ``max(u, u)``, ``min(u, u, v)``,
  ``max(u, u * 1.0)``, ``np.maximum(a, a)``, ``np.max(s + 0.0 * x)``,
  ``np.max(np.array([u, u, v]))``, ``np.max(np.concatenate((x, x)))``.  The convention
  is the even split at exact ties, so the derivative is that of the tied expression:
  central differences and complex steps judge it.  A ``max``/``min`` with an exact tie
  is a kink only if the tie breaks when one parameter moves alone (``Margins.ties``,
  ``Checker._tie_holds``); near ties (not exact) are not generated and otherwise skipped;
* *aliases: lists / views*: ``b = a`` (or ``c = a; b = c``) for a list, then
  ``b[0] = ..``, ``b[1] += ..``, ``b.append``, ``b.insert``, ``b.pop()``,
  ``b.extend``, a swap, or a helper that writes into its list argument; a view of a
  fresh array (``y[1:]``, ``y[::2]``, ``y.ravel()``, ``y.reshape(..)``, ``y.T``, a row,
  a column, the name itself) written in place (``v *= c``, ``v += e``, ``v[0] = e``,
  ``v[:] = ..``); copies (``list(a)``, ``a[:]``, ``y.copy()``, ``y.flatten()``) as
  controls.  The exact gradient or an ``S2SDiffError`` when the gradient is generated
  (*refused*; for code specialised on its first call, raised by that call but not by a
  generated line) are both right;
* *helpers: scalar / NumPy*: control programs with at least one helper call; NumPy
  programs calling ``def fz_h0(a, b=0.5)`` helpers (refused today: counted as refused);
* *ints and bools: scalar / NumPy*: ``x * (x > 0.5)`` (masks away from switching),
  ``True * x``, ``x * False + y``, an int accumulator ``k = 0; k += u``, an int name,
  ``len``, ``x * np.arange(n)``, ``np.sum(x) * x.shape[0]``, ``x.size``, int arrays
  and int literals; some NumPy programs take a float32 array (compared to ``rtol
  1e-4``).  Every gradient has its input's dtype (a ``dtype`` mismatch otherwise) and
  Python floats give floats (non-float gradients are counted).

A finding is a *mismatch* (a number that disagrees with an oracle: kind ``reverse``,
``forward``, ``api``, ``shape``, ``dtype``, ``generator``, or ``mutation``: the gradient
call wrote into an argument array) or an *error* (an exception where the forward code
runs).  Findings of known s2sdiff bugs are recognised by ``KNOWN_BUGS`` and labelled.
An exception in an oracle or in the generator is a *fuzzer error*: reported, and the run
goes on.  The summary counts the outcomes per family and per pattern.  The exit status
is non-zero on any mismatch, on any exception other than an ``S2SDiffError`` raised when
a derivative is generated, and on any fuzzer error.
"""

import argparse
import ast
import builtins
import collections
import contextlib
import importlib.util
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import types
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy

from s2sdiff import (InternalError, S2SDiffError, UnsupportedError, derivative, grad, jvp, rules, value_and_grad,
                     verify)
from s2sdiff.rules import Function, Operator, Syntax

RTOL = 1e-9                 # generated gradient vs an oracle: |g - r| <= RTOL * (|r| + SCALE)
VALUE_LIMIT = 1e3           # every intermediate value of a program stays below this
KINK_MARGIN = 1e-6          # closer than this to a branch switch: no finite differences
FD_STEPS = (1e-12, 1e-16)   # relative steps of the two central differences: with 50
                            # digits rounding costs ~1e-34, truncation ~1e-24 |f'''|
FD_DPS = 50                 # digits for the finite differences
SYMPY_DPS = 30              # digits for the SymPy derivative at the point
BATCH = 250                 # programs per temporary module

MODULE_HEADER = '''"""Random programs generated by tests/fuzz.py (seed {seed}, batch {batch})."""
import math
import numpy as np
from math import exp, log, sin, sqrt, tanh

SCALE = 1.25
OFFSET = -0.5
'''
MODULE_GLOBALS = {"SCALE": 1.25, "OFFSET": -0.5}
IMPORTED = {"exp": math.exp, "log": math.log, "sin": math.sin, "sqrt": math.sqrt,
            "tanh": math.tanh}

PARAM_NAMES = ["x", "y", "z", "w", "a", "b", "u", "v", "x1", "x2", "en", "d", "p", "q"]
LOCAL_NAMES = ["t", "s", "r", "h", "g", "k", "m", "t1", "t2", "xpy", "xty", "expx", "sigx",
               "negx", "xsqr", "invy", "dx", "d_x", "dt", "dt1", "x_2", "y_2", "out", "num",
               "den", "f1", "tmp", "sinx", "xpy_2"]


# --------------------------------------------------------------------------------------
# the generator

@dataclass
class Program:
    index: int
    name: str
    params: list
    body: list                 # source lines of the body, unindented
    point: tuple
    tangent: tuple
    value: float               # the value the generator computed at ``point``
    piecewise: bool
    features: set = field(default_factory=set)
    family: str = "straight"   # straight, control or array (see the module docstring)
    helpers: list = field(default_factory=list)    # source texts of helper functions
    expect_refusal: bool = False    # a clear S2SDiffError when the gradient is generated
                                    # is an accepted outcome (array code in control flow,
                                    # aliases, helpers in NumPy code): counted as refused
    lists: bool = False        # uses lists (no forward mode)
    pattern: str = None        # of the pattern family: its entry of PATTERNS
    arrays: bool = False       # a NumPy program: judged by complex steps
    prelude: list = field(default_factory=list)    # module-level definitions (free data)
    closure: list = field(default_factory=list)    # the body of a factory around the program
    rtol: float = RTOL         # looser for float32 inputs

    @property
    def source(self):
        lines = [f"def {self.name}({', '.join(self.params)}):"]
        lines += [f"    {line}" for line in self.body]
        if self.closure:        # defined inside a factory that closes over free data
            lines = ([f"def {self.name}_factory():"] + [f"    {line}" for line in self.closure]
                     + [f"    {line}" for line in lines]
                     + [f"    return {self.name}", "", "", f"{self.name} = {self.name}_factory()"])
        main = "\n".join(lines) + "\n"
        return "".join(h + "\n\n" for h in self.prelude + self.helpers) + main


class _Rejected(Exception):
    """The statement being built cannot be evaluated at the sample point."""


# Templates: rule key (or "piecewise constant": the calls of NONDIFF_CALLS) -> (smooth,
# builder, weight).  A builder gets the generator and the depth left and returns source
# text; piecewise builders mark the program piecewise.
TEMPLATES = {}


def template(key, smooth=True, weight=1.0):
    def register(builder):
        TEMPLATES[key] = (smooth, builder, weight)
        return builder
    return register


# Program sizes: "full" for the command line, "small" for the CI test (each generated
# derivative costs time roughly in proportion to the program's SSA steps).
SIZES = {
    "full": {"statements": [1, 2, 3, 4, 5, 6, 8, 10], "depth": [1, 2, 2, 3], "deep": [5, 6, 7],
             "control": [2, 3, 4, 5, 6], "body": [1, 2, 2, 3], "levels": [1, 2, 2, 3]},
    "small": {"statements": [1, 2, 2, 3, 3, 4], "depth": [1, 1, 2, 2, 3], "deep": [4, 5],
              "control": [1, 2, 2, 3], "body": [1, 1, 2], "levels": [1, 1, 2]},
}

NONDIFF_CALLS = ["math.floor", "math.ceil", "math.trunc", "round", "int"]


class Generator:
    """Builds one random program; see the module docstring."""

    def __init__(self, rng, index, name, smooth, size="full"):
        self.size = SIZES[size]
        self.rng = rng
        self.index = index
        self.name = name
        self.smooth = smooth
        self.piecewise = False
        self.features = set()
        n = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
        self.params = rng.sample(PARAM_NAMES, n)
        self.point = tuple(self._coordinate() for _ in self.params)
        self.env = dict(zip(self.params, self.point))
        self.order = list(self.params)          # names by last assignment, oldest first
        self.unread = set(self.params)
        self.history = []                       # expression texts, for repetition
        self.body = []
        self.namespace = {"math": math, **IMPORTED, **MODULE_GLOBALS,
                          "__builtins__": builtins}

    def _coordinate(self):
        r = self.rng.random()
        if r < 0.15:
            return round(self.rng.uniform(-2.5, 2.5), 1)
        if r < 0.25:
            return self.rng.uniform(-12.0, 12.0)
        return self.rng.uniform(-2.5, 2.5)

    # expressions -----------------------------------------------------------------

    def sub(self, depth):
        """Any expression of at most ``depth`` levels of operations."""
        if depth <= 0 or self.rng.random() < 0.2:
            return self.leaf()
        keys = [k for k, (smooth, _, _) in TEMPLATES.items() if smooth or not self.smooth]
        weights = [TEMPLATES[k][2] for k in keys]
        key = self.rng.choices(keys, weights)[0]
        return TEMPLATES[key][1](self, depth - 1)

    def leaf(self):
        if self.rng.random() < 0.18:
            return self.constant()
        return self.variable()

    def variable(self):
        names = self.order
        weights = [1.0 + 3.0 * i / len(names) for i in range(len(names))]   # recent ones
        return self.rng.choices(names, weights)[0]

    def constant(self):
        return self.rng.choice(["2", "3", "0.5", "1.5", "2.5", "0.25", "1e-3", "10.0",
                                "-1.5", "-2", "0.1", "math.pi", "math.e", "SCALE", "OFFSET"])

    def positive(self, depth, low=0.0):
        """An expression > ``low`` + 0.4 whatever its operands."""
        a = self.sub(depth)
        plus = f" + {low}" if low else ""
        forms = [f"({1.5 + low} + {a} * {a})", f"({1.5 + low} + {a} ** 2)",
                 f"({2.0 + low} + math.sin({a}))", f"(math.exp(math.sin({a})){plus})",
                 f"(math.cosh(math.tanh({a})) + {0.5 + low})",
                 f"({1 + low} + 1.0 / (1 + math.exp(-{a})))"]
        if not self.smooth:
            forms += [f"({0.5 + low} + abs({a}))", f"max({a}, {low + 0.5})"]
        text = self.rng.choice(forms)
        self._mark(text)
        return text

    def bounded(self, depth):
        """An expression in (-1, 1)."""
        a = self.sub(depth)
        forms = [f"math.tanh({a})", f"math.sin({a})", f"math.cos({a})", f"math.erf({a})",
                 f"tanh({a})", f"({a} / (1 + {a} * {a}))", f"(1.0 / (1 + math.exp(-{a})))"]
        if not self.smooth:
            forms += [f"max(min({a}, 0.9), -0.9)"]
        text = self.rng.choice(forms)
        self._mark(text)
        return text

    def _mark(self, text):
        if not self.smooth and any(p in text for p in ("abs(", "max(", "min(")):
            self.piecewise = True

    def piecewise_used(self):
        self.piecewise = True

    # statements ------------------------------------------------------------------

    def evaluate(self, text, env=None):
        try:
            value = eval(text, self.namespace, dict(self.env if env is None else env))
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            raise _Rejected from None
        if type(value) not in (int, float) or not math.isfinite(value) \
                or abs(value) > VALUE_LIMIT:
            raise _Rejected
        if value == 0 and type(value) is float and any(p in text for p in self.env):
            raise _Rejected         # an exact cancellation: singular points live there
        return value

    def fresh_local(self):
        free = [n for n in LOCAL_NAMES + [self.name] if n not in self.env]
        return self.rng.choice(free) if free else None

    def statement(self):
        kinds = ["new", "reassign_param", "reassign_local", "augmented", "unpack", "swap",
                 "constant", "chain", "annotated", "deep", "repeat"]
        weights = [30, 10, 8, 15, 6, 5, 4, 3, 2, 4, 6]
        for _ in range(15):
            kind = self.rng.choices(kinds, weights)[0]
            saved = (self.piecewise, set(self.features))
            try:
                line, bindings = getattr(self, "_" + kind)()
            except _Rejected:
                self.piecewise, self.features = saved
                continue
            self._commit(line, bindings)
            return
        # nothing evaluable: a plain statement that always is
        name = self.fresh_local() or self.variable()
        source = self.variable()
        self._commit(f"{name} = {source} * 0.5", [(name, self.env[source] * 0.5)])

    def _commit(self, line, bindings):
        self.body.append(line)
        tree = ast.parse(line)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self.unread.discard(node.id)
        for name, value in bindings:
            self.env[name] = value
            if name in self.order:
                self.order.remove(name)
            self.order.append(name)
            self.unread.add(name)

    def _depth(self):
        return self.rng.choice(self.size["depth"])

    def _expression(self, depth=None):
        text = self.sub(self._depth() if depth is None else depth)
        if len(text) < 200:
            self.history.append(text)
        return text

    def _new(self):
        name = self.fresh_local()
        if name is None:
            return self._reassign_local()
        text = self._expression()
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _reassign_param(self):
        name = self.rng.choice(self.params)
        text = self._expression()
        if name not in text:
            text = f"({name} + {text})" if self.rng.random() < 0.7 else text
        self.features.add("reassign")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _reassign_local(self):
        names = [n for n in self.env if n not in self.params]
        if not names:
            return self._reassign_param()
        name = self.rng.choice(names)
        text = self._expression()
        self.features.add("reassign")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _augmented(self):
        name = self.variable()
        op = self.rng.choice(["+=", "-=", "*=", "/=", "**="])
        if op == "/=":
            text = self.positive(self._depth() - 1)
        elif op == "**=":
            text = self.rng.choice(["2", "3", "2", "1", "2.0"])
        else:
            text = self._expression()
        self.features.add("augmented")
        value = self.evaluate(f"({name}) {op[:-1]} ({text})")
        return f"{name} {op} {text}", [(name, value)]

    def _unpack(self):
        n = self.rng.choice([2, 2, 3])
        targets = []
        for _ in range(n):
            if self.rng.random() < 0.5:
                candidate = self.fresh_local()
            else:
                candidate = self.variable()
            if candidate is None or candidate in targets:
                raise _Rejected
            targets.append(candidate)
        texts = [self._expression(self.rng.choice([0, 1, 2])) for _ in targets]
        values = [self.evaluate(t) for t in texts]
        self.features.add("unpack")
        return f"{', '.join(targets)} = {', '.join(texts)}", list(zip(targets, values))

    def _swap(self):
        if len(self.env) < 2:
            raise _Rejected
        n = 3 if len(self.env) >= 3 and self.rng.random() < 0.3 else 2
        names = self.rng.sample(list(self.env), n)
        rotated = names[1:] + names[:1]
        self.features.add("swap")
        return (f"{', '.join(names)} = {', '.join(rotated)}",
                [(a, self.env[b]) for a, b in zip(names, rotated)])

    def _constant(self):
        name = self.fresh_local()
        if name is None:
            raise _Rejected
        forms = [self.constant(), f"{self.constant()} * {self.constant()}",
                 f"math.sqrt({self.rng.choice(['2', '3.0', 'SCALE'])})"]
        if not self.smooth:
            forms.append(f"{self.rng.choice(NONDIFF_CALLS)}({self.variable()})")
        text = self.rng.choice(forms)
        if any(text.startswith(c) for c in NONDIFF_CALLS):
            self.piecewise_used()
        self.features.add("constant")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _chain(self):
        first, second = self.fresh_local(), self.fresh_local()
        if first is None or second is None or first == second:
            raise _Rejected
        text = self._expression()
        value = self.evaluate(text)
        self.features.add("chain")
        return f"{first} = {second} = {text}", [(second, value), (first, value)]

    def _annotated(self):
        name = self.fresh_local()
        if name is None:
            raise _Rejected
        text = self._expression()
        self.features.add("annotated")
        return f"{name}: float = {text}", [(name, self.evaluate(text))]

    def _deep(self):
        name = self.fresh_local() or self.variable()
        text = self.sub(self.rng.choice(self.size["deep"]))
        self.features.add("deep")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _repeat(self):
        if not self.history:
            raise _Rejected
        previous = self.rng.choice(self.history)
        name = self.fresh_local() or self.variable()
        text = self.rng.choice([previous, f"({previous} * {previous})",
                                f"({previous} + math.sin({previous}))"])
        self.features.add("repeat")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def returned(self):
        """``return`` of an expression that gathers the values nobody read yet."""
        for _ in range(10):
            live = [n for n in self.order if n in self.unread]
            self.rng.shuffle(live)
            parts = live[:3] or [self.variable()]
            text = parts[0]
            for part in parts[1:]:
                text = f"({text} {self.rng.choice(['+', '-', '*'])} {part})"
            r = self.rng.random()
            if r < 0.3:
                text = f"({text} + {self.sub(2)})"
            elif r < 0.4:
                text = f"math.sin({text})"
            try:
                return text, self.evaluate(text)
            except _Rejected:
                continue
        name = self.variable()
        return name, self.env[name]

    def build(self):
        for _ in range(self.rng.choice(self.size["statements"])):
            self.statement()
        text, value = self.returned()
        if self.rng.random() < 0.3 and self.body:
            # return through a named result, as the seed's ``f = num * invden``
            target = self.fresh_local() or self.name
            self.body.append(f"{target} = {text}")
            text = target
        self.body.append(f"return {text}")
        tangent = tuple(round(self.rng.uniform(-1, 1), 3) for _ in self.params)
        return Program(self.index, self.name, self.params, self.body, self.point, tangent,
                       value, self.piecewise, self.features)


# ----- templates: one per rule of the table (and the piecewise-constant calls) ----------

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


# ----- the control-flow family -----------------------------------------------------------

INT_NAMES = ["i", "j", "n", "ii", "jj", "kk", "it", "cnt", "step"]
ITEM_NAMES = ["e", "el", "item", "xi", "wi", "ai", "bi", "ci"]
LIST_NAMES = ["vs", "buf", "acc", "ys", "ws", "lst", "arr", "cs"]
HELPER_PARAMS = ["a", "b", "c", "p", "q", "u"]
CONTROL_ATTEMPTS = 30       # regenerations of a control program whose values run away


class _Block(Exception):
    """No statement of the requested kind fits here."""


class ControlGenerator(Generator):
    """Builds one random program with branches, loops, calls and lists.

    Expressions come from the straight-line templates; ``order`` holds the float names
    that are definitely assigned at the current line (a name assigned in one branch only,
    or in a loop body, leaves scope after the statement), ``ints`` the int names (loop
    counters) and ``lists`` the local lists with a lower bound of their length.  Values are
    not tracked while generating: the finished program is run at the point, and one whose
    values leave (-VALUE_LIMIT, VALUE_LIMIT) or that raises is generated again.
    """

    def __init__(self, rng, index, name, size="full", params=None, helper=False):
        super().__init__(rng, index, name, smooth=rng.random() < 0.7, size=size)
        if params is not None:
            self.params = list(params)
            self.order = list(params)
            self.unread = set(params)
            self.point = ()
        self.helper = helper
        self.ints = []
        self.lists = {}
        self.loops = 0              # loops made so far
        self.loop_level = 0         # loops around the current line
        self.level = 0              # compound statements around the current line
        self.helper_calls = []      # (name, positional, defaults, keyword-only)
        self.helper_sources = []
        self.uses_lists = not helper and rng.random() < 0.35
        self.max_level = rng.choice(self.size["levels"])
        self.max_loops = rng.choice([1, 2, 2, 3])
        self.taken = set(self.params) | {name}
        self.size_name = size
        self.index_vars = set()     # (list, int name) of the loops over range(len(list))
        self.made_list = False
        # hooks of the pattern family (off: the random stream is the control family's)
        self.reuse = False          # for-loop variables drawn from REUSED_LOOP_NAMES
        self.loop_vars = set()      # for-loop variables used so far
        self.branches = 0           # if statements around the current line
        self.min_helpers = 0
        self.top = None             # statements at the top level (None: drawn)
        self.prelude, self.closure_lines = [], []

    # names ----------------------------------------------------------------------

    def fresh_from(self, names):
        free = [n for n in names if n not in self.taken]
        if not free:
            raise _Block
        name = self.rng.choice(free)
        self.taken.add(name)
        return name

    def fresh_local(self):
        free = [n for n in LOCAL_NAMES if n not in self.taken]
        if not free:
            return None
        name = self.rng.choice(free)
        self.taken.add(name)
        return name

    def float_locals(self):
        return [n for n in self.order if n not in self.params]

    def leaf(self):
        r = self.rng.random()
        if r < 0.08 and self.ints:
            self.features.add("int operand")
            return self.rng.choice(self.ints)
        if r < 0.2 and self.lists:
            return self.list_read()
        return super().leaf()

    def list_read(self):
        name = self.rng.choice(list(self.lists))
        index = self.list_index(name)
        self.features.add("list read")
        return f"{name}[{index}]"

    def list_index(self, name):
        n = self.lists[name]
        loops = [i for i in self.ints if (name, i) in self.index_vars]
        if loops and self.rng.random() < 0.6:
            return self.rng.choice(loops)
        return str(self.rng.randrange(-n, n))

    # reading and writing --------------------------------------------------------

    def expr(self, depth=None):
        text = self.sub(self._depth() if depth is None else depth)
        self.read(text)
        return text

    def read(self, text):
        for node in ast.walk(ast.parse(text.strip())):
            if isinstance(node, ast.Name):
                self.unread.discard(node.id)

    def bind(self, name):
        if name in self.order:
            self.order.remove(name)
        self.order.append(name)
        self.unread.add(name)

    def scope(self):
        return (list(self.order), list(self.ints), dict(self.lists))

    def restore(self, saved):
        self.order, self.ints, self.lists = list(saved[0]), list(saved[1]), dict(saved[2])

    # conditions -----------------------------------------------------------------

    def condition(self, nested=0):
        r = self.rng.random()
        if nested < 2 and r < 0.22:
            op = self.rng.choice(["and", "or"])
            self.features.add(op)
            left, right = self.condition(nested + 1), self.condition(nested + 1)
            return f"({left} {op} {right})"
        if nested < 2 and r < 0.3:
            self.features.add("not")
            return f"not {self.comparison()}"
        return self.comparison()

    def comparison(self):
        op = self.rng.choice(["<", ">", "<=", ">="])
        r = self.rng.random()
        if r < 0.15 and self.ints:
            i = self.rng.choice(self.ints)
            self.features.add("int condition")
            return self.rng.choice([f"{i} {op} {self.rng.randrange(0, 4)}", f"{i} % 2 == 0",
                                    f"{i} != 1"])
        if r < 0.22:
            self.features.add("constant condition")
            return self.rng.choice(["SCALE > 1", "OFFSET < 0", "SCALE < OFFSET", "2 > 3",
                                    "math.pi > 3"])
        self.features.add("active condition")
        left = self.expr(self.rng.choice([0, 0, 1, 1, 2]))
        if self.rng.random() < 0.5:
            right = self.rng.choice(["0", "0.5", "1.0", "-0.5", "2.0", "-1", "SCALE"])
        else:
            right = self.expr(self.rng.choice([0, 0, 1]))
        if right == left:
            right = "0.25"
        if self.rng.random() < 0.06:
            self.features.add("chained comparison")
            return f"-2.0 < {left} {op.replace('>', '<')} {right}"
        return f"{left} {op} {right}"

    # statements -----------------------------------------------------------------

    def block(self, count, indent):
        """``count`` statements at ``indent``; returns (lines, falls_through)."""
        lines = []
        for _ in range(count):
            made, falls = self.cstatement(indent)
            lines += made
            if not falls:
                return lines, False
        return lines, True

    def cstatement(self, indent):
        kinds = {"simple": 12, "ifexp": 1.5}
        if self.level < self.max_level:
            kinds.update({"if": 4, "one_sided": 0.6})
            if self.loops < self.max_loops:
                kinds.update({"for_range": 3, "for_list": 1.2, "for_enumerate": 0.8,
                              "for_zip": 0.8, "while": 1.5})
        if self.loop_level:
            kinds.update({"break": 1.5, "continue": 1.2})
        kinds["return"] = 0.8
        if self.uses_lists:
            kinds.update({"list_new": 2 if not self.lists else 0.5})
            if self.lists:
                kinds.update({"list_set": 3, "list_aug": 3, "list_append": 2.5})
                if self.level < self.max_level and self.loops < self.max_loops:
                    kinds["for_indices"] = 1.5
        if self.helper_calls:
            kinds["call"] = 3
        if self.reuse:
            for kind, factor in (("for_range", 3.0), ("for_enumerate", 1.5), ("if", 2.0)):
                if kind in kinds:
                    kinds[kind] *= factor
            if self.level == 0:         # loops and branches at the top, in sequence
                kinds["simple"] = 3
        names = list(kinds)
        for _ in range(10):
            kind = self.rng.choices(names, [kinds[k] for k in names])[0]
            saved = self.scope()
            try:
                lines, falls = getattr(self, "_c_" + kind)(indent)
            except _Block:
                self.restore(saved)
                continue
            return lines, falls
        return self._c_simple(indent)

    def _line(self, indent, text):
        return "    " * indent + text

    def _assignment(self):
        """(target, text) of one assignment, loop-safe when inside a loop."""
        r = self.rng.random()
        locals_ = self.float_locals()
        if self.loop_level and r < 0.5:
            # a loop-carried update that stays bounded over a few trips
            name = self.rng.choice(self.order)
            self.read(name)
            self.features.add("loop-carried")
            form = self.rng.choice([
                f"{name} = {name} * {self.rng.choice(['0.5', '0.9', '-0.7'])} + {self.bounded(1)}",
                f"{name} += {self.bounded(1)} * {self.rng.choice(['0.5', '2', 'SCALE'])}",
                f"{name} = {self.bounded(2)} + {name} / {self.positive(0)}",
                f"{name} -= {self.expr(1)} * 0.25",
            ])
            self.read(form.split("=", 1)[1])
            return form, name
        if r < 0.4 or not locals_:
            name = self.fresh_local()
            if name is None:
                name = self.rng.choice(self.order)
            return f"{name} = {self.expr()}", name
        if r < 0.6:
            name = self.rng.choice(self.params if not self.helper else self.order)
            self.features.add("reassign")
            text = self.expr()
            if name not in text and self.rng.random() < 0.7:
                text = f"({name} + {text})"
                self.read(name)
            return f"{name} = {text}", name
        if r < 0.8:
            name = self.rng.choice(self.order)
            op = self.rng.choice(["+=", "-=", "*=", "/="])
            text = self.positive(1) if op == "/=" else self.expr()
            self.read(name + " + " + text)
            self.features.add("augmented")
            return f"{name} {op} {text}", name
        name = self.rng.choice(locals_)
        self.features.add("reassign")
        return f"{name} = {self.expr()}", name

    def _c_simple(self, indent):
        line, name = self._assignment()
        self.bind(name)
        return [self._line(indent, line)], True

    def _c_ifexp(self, indent):
        name = self.fresh_local() or self.rng.choice(self.order)
        a, c, b = self.expr(), self.condition(), self.expr()
        self.features.add("conditional expression")
        self.bind(name)
        return [self._line(indent, f"{name} = {a} if {c} else {b}")], True

    def _c_if(self, indent):
        before = self.scope()
        self.level += 1
        self.branches += 1
        heads = [f"if {self.condition()}:"]
        for _ in range(self.rng.choice([0, 0, 0, 1, 1, 2])):
            heads.append(f"elif {self.condition()}:")
            self.features.add("elif")
        if self.rng.random() < 0.55:
            heads.append("else:")
            self.features.add("else")
        lines, through = [], []
        for head in heads:
            self.restore(before)
            body, falls = self.block(self.rng.choice(self.size["body"]), indent + 1)
            lines += [self._line(indent, head)] + body
            if falls:
                through.append(self.scope())
        self.level -= 1
        self.branches -= 1
        if heads[-1] != "else:":
            through.append(before)
        self.features.add("if")
        if not through:                 # every branch returns: drop the last jump
            raise _Block
        self.restore(before)
        common = set.intersection(*(set(s[0]) for s in through))
        for name in through[0][0]:
            if name in common and name not in before[0]:
                self.order.append(name)
        if len(through) < len(heads) + (heads[-1] != "else:"):
            self.features.add("branch jumps")
        return lines, True

    def _c_one_sided(self, indent):
        """A name assigned on one side only, and read only under the same condition."""
        cond = self.condition()
        name = self.fresh_local()
        if name is None:
            raise _Block
        inner = self.expr()
        target = self.rng.choice(self.order)
        later = self.expr(1)
        self.read(target)
        self.features.add("one-sided")
        # nothing between the two ifs assigns a name the condition reads
        lines = [self._line(indent, f"if {cond}:"),
                 self._line(indent + 1, f"{name} = {inner}"),
                 self._line(indent, f"if {cond}:"),
                 self._line(indent + 1, f"{target} = {target} + {name} * {later}")]
        self.bind(target)
        return lines, True

    def _loop_body(self, indent, header, pre=(), bound=()):
        """Lines of a loop with ``header``; ``bound`` are the (name, kind) it binds."""
        before = self.scope()
        self.loops += 1
        self.level += 1
        self.loop_level += 1
        for name, kind in bound:
            if kind == "int":
                self.ints.append(name)
            else:
                self.bind(name)
        body, _ = self.block(self.rng.choice(self.size["body"]), indent + 1)
        self.loop_level -= 1
        self.level -= 1
        self.restore(before)
        return list(pre) + [self._line(indent, header)] + body, True

    def _accumulator(self, indent):
        """Sometimes an accumulator initialised before the loop."""
        if self.rng.random() < 0.5:
            return []
        name = self.fresh_local()
        if name is None:
            return []
        self.bind(name)
        self.features.add("accumulator")
        return [self._line(indent, f"{name} = {self.rng.choice(['0.0', '1.0', '0'])}")]

    def loop_var(self):
        """The variable of a for loop: a fresh int name, or in reuse mode one of
        REUSED_LOOP_NAMES, reused by sibling loops, nested loops and loops in branches."""
        if not self.reuse:
            return self.fresh_from(INT_NAMES)
        name = self.rng.choice(REUSED_LOOP_NAMES)
        if name in self.ints:
            self.features.add("reused by a nested loop")
        elif name in self.loop_vars:
            self.features.add("reused by a sibling loop")
        if self.branches:
            self.features.add("loop in a branch")
        self.loop_vars.add(name)
        return name

    def _c_for_range(self, indent):
        var = self.loop_var()
        r = self.rng.random()
        outer = [i for i in self.ints]
        if r < 0.3:
            args = f"{self.rng.randrange(0, 5)}"
        elif r < 0.55:
            a = self.rng.randrange(0, 4)
            args = f"{a}, {a + self.rng.randrange(-1, 4)}"
        elif r < 0.75:
            a, step = self.rng.randrange(0, 6), self.rng.choice([1, 2, -1, -2])
            args = f"{a}, {a + step * self.rng.randrange(0, 4)}, {step}"
        elif r < 0.88 and outer:
            args = f"{self.rng.choice(outer)} + {self.rng.randrange(0, 2)}"
            self.features.add("dependent range")
        else:
            args = f"{self.rng.randrange(0, 4)}"
        iterator = f"range({args})"
        if self.rng.random() < 0.1:
            iterator = f"reversed({iterator})"
            self.features.add("reversed")
        self.features.add("for range")
        if self.loop_level:
            self.features.add("nested loop")
        pre = self._accumulator(indent)
        lines = self._loop_body(indent, f"for {var} in {iterator}:", pre, [(var, "int")])
        if self.reuse and self.rng.random() < 0.25:
            self.ints.append(var)       # read after the loop (unbound after 0 trips: redrawn)
            self.features.add("loop variable read after the loop")
        return lines

    def _display(self, n=None):
        n = n or self.rng.choice([1, 2, 3, 3, 4])
        return [self.expr(self.rng.choice([0, 0, 1, 1, 2])) for _ in range(n)]

    def _c_for_list(self, indent):
        item = self.fresh_from(ITEM_NAMES)
        r = self.rng.random()
        if r < 0.2 and self.lists:
            name = self.rng.choice(list(self.lists))
            iterable = name
            self.read(name)
            self.features.add("for over a list variable")
        elif r < 0.5:
            iterable = f"({', '.join(self._display())},)"
            self.features.add("for over a tuple")
        else:
            iterable = f"[{', '.join(self._display())}]"
            self.features.add("for over a list display")
        if self.loop_level:
            self.features.add("nested loop")
        pre = self._accumulator(indent)
        hidden = self.lists.pop(iterable, None)     # no append to the list being iterated
        lines = self._loop_body(indent, f"for {item} in {iterable}:", pre, [(item, "float")])
        if hidden is not None:
            self.lists[iterable] = hidden
        return lines

    def _c_for_enumerate(self, indent):
        var, item = self.loop_var(), self.fresh_from(ITEM_NAMES)
        start = ""          # enumerate(..., start=k) is refused (see the report of issue 7)
        self.features.add("enumerate")
        pre = self._accumulator(indent)
        return self._loop_body(indent, f"for {var}, {item} in enumerate([{', '.join(self._display())}]{start}):",
                               pre, [(var, "int"), (item, "float")])

    def _c_for_zip(self, indent):
        a, b = self.fresh_from(ITEM_NAMES), self.fresh_from(ITEM_NAMES)
        first = self._display(self.rng.choice([2, 3]))
        second = self._display(self.rng.choice([2, 3]))
        self.features.add("zip")
        pre = self._accumulator(indent)
        return self._loop_body(indent, f"for {a}, {b} in zip([{', '.join(first)}], ({', '.join(second)},)):",
                               pre, [(a, "float"), (b, "float")])

    def _c_while(self, indent):
        counter = self.fresh_from(INT_NAMES)
        bound = self.rng.randrange(1, 6)
        cond = f"{counter} < {bound}"
        if self.rng.random() < 0.7:
            cond += f" and {self.comparison()}"
            self.features.add("active while")
        self.features.add("while")
        pre = [self._line(indent, f"{counter} = 0")] + self._accumulator(indent)
        before = self.scope()
        self.ints.append(counter)
        lines, falls = self._loop_body(indent, f"while {cond}:", pre)
        # the counter goes first in the body, so that continue cannot skip it
        lines.insert(len(pre) + 1, self._line(indent + 1, f"{counter} += 1"))
        self.restore(before)
        self.ints.append(counter)
        return lines, falls

    def _c_for_indices(self, indent):
        name = self.rng.choice(list(self.lists))
        var = self.fresh_from(INT_NAMES)
        self.index_vars.add((name, var))
        self.features.add("for over indices")
        return self._loop_body(indent, f"for {var} in range(len({name})):", (), [(var, "int")])

    def _jump(self, indent, word):
        cond = self.condition()
        lines = [self._line(indent, f"if {cond}:")]
        if self.rng.random() < 0.3:
            line, name = self._assignment()
            lines.append(self._line(indent + 1, line))
        lines.append(self._line(indent + 1, word))
        self.features.add(word.split()[0] + (" in loop" if self.loop_level and word.startswith("return") else ""))
        return lines, True

    def _c_break(self, indent):
        return self._jump(indent, "break")

    def _c_continue(self, indent):
        return self._jump(indent, "continue")

    def _c_return(self, indent):
        if self.level == 0 and self.rng.random() < 0.5:
            raise _Block         # a return at the top level ends the program: rarely
        saved = self.scope()
        text = self.returned_text()
        self.restore(saved)
        return self._jump(indent, f"return {text}")

    def _c_list_new(self, indent):
        name = self.fresh_from(LIST_NAMES)
        items = self._display(self.rng.choice([1, 2, 3, 4]))
        self.lists[name] = len(items)
        self.made_list = True
        self.features.add("list display")
        return [self._line(indent, f"{name} = [{', '.join(items)}]")], True

    def _c_list_set(self, indent):
        name = self.rng.choice(list(self.lists))
        index = self.list_index(name)
        self.features.add("list set")
        return [self._line(indent, f"{name}[{index}] = {self.expr()}")], True

    def _c_list_aug(self, indent):
        name = self.rng.choice(list(self.lists))
        index = self.list_index(name)
        op = self.rng.choice(["+=", "+=", "-=", "*="])
        text = self.bounded(1) if op == "*=" else self.expr(1)
        self.features.add("list augmented")
        return [self._line(indent, f"{name}[{index}] {op} {text}")], True

    def _c_list_append(self, indent):
        name = self.rng.choice(list(self.lists))
        self.features.add("append")
        return [self._line(indent, f"{name}.append({self.expr()})")], True

    def _c_call(self, indent):
        name, positional, defaults, keyword = self.rng.choice(self.helper_calls)
        args = [self.expr(self.rng.choice([0, 1, 1, 2])) for _ in positional]
        texts = list(args)
        if self.rng.random() < 0.25 and len(positional) > 1:
            texts = [f"{p}={a}" for p, a in zip(positional, args)]
            self.rng.shuffle(texts)
            self.features.add("keyword arguments")
        for p, _ in defaults + keyword:
            if self.rng.random() < 0.4:
                texts.append(f"{p}={self.expr(self.rng.choice([0, 1]))}")
                self.features.add("keyword arguments")
        if name.endswith("_rec"):
            texts = [args[0], str(self.rng.randrange(0, 4))]
            self.features.add("recursion")
        target = self.fresh_local() or self.rng.choice(self.order)
        call = f"{name}({', '.join(texts)})"
        self.features.add("call")
        if self.rng.random() < 0.3:
            call = f"{self.expr(0)} * {call}"
        self.bind(target)
        return [self._line(indent, f"{target} = {call}")], True

    # helpers --------------------------------------------------------------------

    def make_helpers(self):
        count = max(self.min_helpers, self.rng.choices([0, 1, 2], [60, 28, 12])[0])
        for k in range(count):
            n = self.rng.choice([1, 2, 2, 3])
            positional = self.rng.sample(HELPER_PARAMS, n)
            rest = [p for p in HELPER_PARAMS if p not in positional]
            defaults, keyword = [], []
            if self.rng.random() < 0.4:
                defaults.append((rest.pop(), self.rng.choice(["0.5", "2.0", "-1.0"])))
            if self.rng.random() < 0.25:
                keyword.append((rest.pop(), self.rng.choice(["1.5", "0.25"])))
            name = f"{self.name}_h{k}"
            sub = ControlGenerator(self.rng, self.index, name, self.size_name, helper=True,
                                   params=positional + [p for p, _ in defaults + keyword])
            sub.max_level, sub.max_loops = 1, self.rng.choice([0, 1])
            body, falls = sub.block(self.rng.choice([1, 2, 3]), 1)
            text, _ = sub.returned_text(), None
            signature = positional + [f"{p}={v}" for p, v in defaults]
            if keyword:
                signature += ["*"] + [f"{p}={v}" for p, v in keyword]
            lines = [f"def {name}({', '.join(signature)}):"] + body
            if falls:
                lines.append(f"    return {text}")
            self.helper_sources.append("\n".join(lines))
            self.helper_calls.append((name, positional, defaults, keyword))
            self.features.add("helper")
            self.features |= {f for f in sub.features if f in ("if", "for range", "while")}
        if self.rng.random() < 0.12:
            name = f"{self.name}_rec"
            sub = ControlGenerator(self.rng, self.index, name, self.size_name, helper=True,
                                   params=["a"])
            base, step = sub.expr(1), sub.bounded(1)
            extra = sub.expr(1)
            lines = [f"def {name}(a, depth):", "    if depth <= 0:", f"        return {base}",
                     f"    return {name}({step}, depth - 1) * {self.rng.choice(['0.5', '-0.8', '1.0'])}"
                     f" + {extra}"]
            self.helper_sources.append("\n".join(lines))
            self.helper_calls.append((name, ["a", "depth"], [], []))

    # the program ----------------------------------------------------------------

    def returned_text(self):
        live = [n for n in self.order if n in self.unread]
        self.rng.shuffle(live)
        parts = live[:3] or [self.rng.choice(self.order)]
        if self.lists and self.rng.random() < 0.5:
            parts.append(self.list_read())
        text = parts[0]
        for part in parts[1:]:
            text = f"({text} {self.rng.choice(['+', '-', '*'])} {part})"
        if self.rng.random() < 0.3:
            text = f"({text} + {self.sub(1)})"
        elif self.rng.random() < 0.15:
            text = f"math.sin({text})"
        elif self.rng.random() < 0.1:
            text = f"({text} if {self.condition()} else {self.sub(1)})"
        self.read(text)
        return text

    def build_control(self):
        self.make_helpers()
        lines = []
        if self.uses_lists:         # a list from the start, so that the list statements fire
            lines, _ = self._c_list_new(0)
        more, falls = self.block(self.top or self.rng.choice(self.size["control"]), 0)
        lines += more
        if falls:
            lines.append(f"return {self.returned_text()}")
        self.features.add("control")
        if self.made_list:
            self.features.add("lists")
        tangent = tuple(round(self.rng.uniform(-1, 1), 3) for _ in self.params)
        program = Program(self.index, self.name, self.params, lines, self.point, tangent,
                          None, True, self.features, family="control",
                          helpers=self.helper_sources, prelude=list(self.prelude),
                          closure=list(self.closure_lines))
        program.lists = self.made_list
        return program


def _limited_values(frame, event, arg):
    """A tracer: every float in a local variable stays below VALUE_LIMIT."""
    for value in list(frame.f_locals.values()) + ([arg] if event == "return" else []):
        items = value if type(value) is list else (value,)
        for v in items:
            if type(v) is float and not (abs(v) < VALUE_LIMIT) or type(v) is complex:
                raise _Rejected
    return _limited_values


def run_program(program, limited=False):
    """Execute ``program`` at its point in a namespace like the module's; its value."""
    namespace = {"math": math, "np": np, **IMPORTED, **MODULE_GLOBALS, "__builtins__": builtins}
    exec(compile(program.source, f"<fuzz {program.name}>", "exec"), namespace)
    func = namespace[program.name]
    if not limited:
        return func(*program.point)
    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: _limited_values)
    try:
        return func(*program.point)
    finally:
        sys.settrace(previous)


def generate_control(rng, index, size, make=None):
    """A control program; ``make()`` builds its generator (the pattern family's variants)."""
    for attempt in range(CONTROL_ATTEMPTS):
        g = make() if make else ControlGenerator(rng, index, f"fz{index}", size)
        try:
            program = g.build_control()
            value = run_program(program, limited=True)
        except (_Rejected, ArithmeticError, ValueError, TypeError, RecursionError, IndexError,
                NameError):     # TypeError: a negative base ** 0.5 is complex
            continue
        if type(value) is float and math.isfinite(value) and abs(value) < VALUE_LIMIT:
            program.value = run_program(program)
            return program
    raise AssertionError(f"no control program for index {index} in {CONTROL_ATTEMPTS} attempts")


# ----- the NumPy family ------------------------------------------------------------------

ARRAY_PARAM_NAMES = ["X", "W", "A", "B", "x", "y", "s", "b", "v", "M"]
ARRAY_LOCAL_NAMES = ["H", "Z", "t", "r", "h", "P", "q", "e", "m", "D", "z1", "xw"]
SHAPE_SETS = [
    [(3, 1), (4,)], [(), (2, 3)], [(2, 3), ()], [(3,), (3,)], [(2, 3), (3,)],
    [(4, 3), (3, 2)], [(2, 3), (2, 3), (3,)], [(1, 3), (2, 1)], [(4,)], [(3, 3)],
    [(2, 4), (4,), ()], [(3,), (2, 3), (2, 1)], [(5,), ()], [(2, 2), (2,), (2, 2)],
]
ARRAY_UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.tanh({}))",
               "np.log(1.5 + {0} * {0})", "np.sqrt(2.0 + {0} ** 2)", "np.log1p({0} * {0})",
               "np.arctan({})", "np.square({})", "np.exp({} * 0.5)", "(-{})",
               "(1.0 / (1.0 + np.exp(-{})))", "np.sinh({} / 4)", "np.cosh({} / 3)",
               "np.expm1({} * 0.5)"]
ARRAY_REFUSALS = 0.06       # share of array programs with array code in a branch or loop


class ArrayGenerator:
    """Builds one straight-line NumPy program, evaluating every subexpression at the
    point (so shapes are known and broadcasting always works)."""

    shape_sets = SHAPE_SETS
    refusals = ARRAY_REFUSALS

    def __init__(self, rng, index, name, size):
        self.rng, self.index, self.name = rng, index, name
        shapes = rng.choice(self.shape_sets)
        self.params = rng.sample(ARRAY_PARAM_NAMES, len(shapes))
        self.point = tuple(self._value(shape) for shape in shapes)
        self.env = dict(zip(self.params, self.point))
        self.namespace = {"np": np, **MODULE_GLOBALS, "__builtins__": builtins}
        self.body = []
        self.features = {"array"}
        self.statements = rng.choice([1, 2, 3, 3, 4] if size == "small" else [2, 3, 4, 5, 6])

    def _value(self, shape):
        if shape == ():
            return round(self.rng.uniform(-2, 2), 6)
        count = int(np.prod(shape))
        return np.array([round(self.rng.uniform(-2, 2), 6) for _ in range(count)]).reshape(shape)

    def evaluate(self, text):
        with np.errstate(all="raise"):
            try:
                value = eval(text, self.namespace, dict(self.env))
            except (ArithmeticError, ValueError, TypeError, IndexError, AttributeError):
                raise _Rejected from None
        if np.iscomplexobj(value) or isinstance(value, complex) or np.size(value) == 0 \
                or not np.all(np.isfinite(value)) \
                or np.max(np.abs(value)) > VALUE_LIMIT:
            raise _Rejected
        return value

    def leaf(self):
        if self.rng.random() < 0.12:
            return self.rng.choice(["2.0", "0.5", "-1.5", "SCALE"])
        return self.rng.choice(list(self.env))

    def expr(self, depth):
        """(text, value) of a random array expression of at most ``depth`` levels."""
        for _ in range(12):
            try:
                text = self._expr(depth)
                return text, self.evaluate(text)
            except _Rejected:
                continue
        name = self.rng.choice(list(self.env))
        return name, self.env[name]

    def _expr(self, depth):
        if depth <= 0 or self.rng.random() < 0.2:
            return self.leaf()
        r = self.rng.random()
        if r < 0.3:
            self.features.add("elementwise")
            return self.rng.choice(ARRAY_UNARY).format(self._expr(depth - 1))
        if r < 0.6:
            op = self.rng.choice(["+", "-", "*", "/", "**"])
            left = self._expr(depth - 1)
            if op == "/":
                right = f"(1.5 + {self._expr(depth - 1)} ** 2)"
            elif op == "**":
                self.features.add("power")
                if self.rng.random() < 0.5:
                    return f"({left} ** {self.rng.choice(['2', '3', '2.0'])})"
                return f"((1.5 + {left} ** 2) ** {self.rng.choice(['0.5', '-1', '1.5'])})"
            else:
                right = self._expr(depth - 1)
            text = f"({left} {op} {right})"
            shapes = {np.shape(self.evaluate(left)), np.shape(self.evaluate(right))}
            if len(shapes) > 1:
                self.features.add("broadcasting")
            return text
        if r < 0.72:
            left = self._expr(depth - 1)
            a = np.shape(self.evaluate(left))
            partners = [n for n, v in self.env.items() if np.ndim(v) >= 1 and len(a) >= 1
                        and (np.shape(v)[0] == a[-1])]
            if not partners:
                raise _Rejected
            self.features.add("matmul")
            return f"({left} @ {self.rng.choice(partners)})"
        if r < 0.87:
            inner = self._expr(depth - 1)
            nd = np.ndim(self.evaluate(inner))
            if nd == 0:
                raise _Rejected
            which = self.rng.choice(["np.sum", "np.mean", "sum-method", "np.prod"])
            axis = self.rng.choice([None, None] + list(range(-nd, nd)))
            keep = self.rng.random() < 0.35
            args = (f", axis={axis}" if axis is not None else "") + (", keepdims=True" if keep else "")
            self.features.add("reduction" + (" axis" if axis is not None else "") + (" keepdims" if keep else ""))
            if which == "sum-method":
                return f"{inner}.sum({args[2:]})" if args else f"{inner}.sum()"
            return f"{which}({inner}{args})"
        inner = self._expr(depth - 1)
        shape = np.shape(self.evaluate(inner))
        if not shape:
            raise _Rejected
        self.features.add("indexing")
        forms = ["[0]", "[-1]", "[1:]", "[::2]", "[:-1]"]
        if len(shape) == 2:
            forms += ["[:, 0]", "[0, -1]", "[1:, :]", "[:, ::-1]", ".T"]
        form = self.rng.choice(forms)
        if form == ".T":
            self.features.add("transpose")
        if not inner.isidentifier() and not inner.startswith("("):
            inner = f"({inner})"
        return f"{inner}{form}"

    def build(self):
        locals_ = [n for n in ARRAY_LOCAL_NAMES if n not in self.params]
        self.rng.shuffle(locals_)
        for k in range(self.statements):
            name = locals_[k] if self.rng.random() < 0.8 else self.rng.choice(list(self.env))
            text, value = self.expr(self.rng.choice([1, 2, 2, 3]))
            self.body.append(f"{name} = {text}")
            self.env[name] = value
        refuse = self.rng.random() < self.refusals
        if refuse:
            name = self.rng.choice([n for n in self.env if np.ndim(self.env[n])] or list(self.env))
            if self.rng.random() < 0.5:
                self.body += ["if SCALE > 1:",
                              f"    {name} = {name} * 0.5 + np.sin({name})"]
            else:
                self.body += ["for k in range(2):", f"    {name} = {name} * 0.5 + np.sin({name})"]
            self.env[name] = self.evaluate(f"{name} * 0.5 + np.sin({name})")   # SCALE > 1
            if self.body[-2].startswith("for"):
                self.env[name] = self.evaluate(f"{name} * 0.5 + np.sin({name})")
            self.features.add("array in control flow")
        for _ in range(12):
            names = self.rng.sample(list(self.env), min(len(self.env), self.rng.choice([1, 2, 3])))
            text = " * ".join(names) if self.rng.random() < 0.6 else " + ".join(names)
            final = self.rng.choice(["np.sum({})", "np.sum({})", "np.mean({})", "({}).sum()"])
            text = final.format(text)
            if self.rng.random() < 0.3:
                extra, _ = self.expr(1)
                text = f"{text} + np.sum({extra})"
            try:
                value = self.evaluate(text)
            except _Rejected:
                continue
            break
        else:
            text = "np.sum(" + self.params[0] + ")"
            value = self.evaluate(text)
        self.body.append(f"return {text}")
        tangent = tuple(round(self.rng.uniform(-1, 1), 3) for _ in self.params)
        return Program(self.index, self.name, self.params, self.body, self.point, tangent,
                       value, True, self.features, family="array", expect_refusal=refuse,
                       arrays=True)


# ----- the pattern family ----------------------------------------------------------------
#
# Each program of this family exercises one construct that once broke s2sdiff (issue 13);
# PATTERNS lists them with their shares and builders.  Scalar programs go through the
# control family's oracles (central differences, kink margins, forward mode), NumPy
# programs through the array family's (complex steps, shapes, dtypes).

PATTERN_SHARE = 0.2         # drawn apart from FAMILIES: program k of another family is the
                            # same as before the pattern family existed
PATTERN_ATTEMPTS = 30
REUSED_LOOP_NAMES = ["i", "i", "j"]     # i twice: more reuse
TIE_GAP = 1e-6              # an inexact tie (a near tie) closer than this is not generated


def _parenthesized(text):
    return text if text.isidentifier() else f"({text})"


def _literal(value):
    """Source text of a free datum: a float, a list of floats, an ndarray."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    return repr(value)


def _free_definitions(program, free, placement):
    """Put the free data ``free`` (name -> value) in module globals or in a closure."""
    lines = [f"{name} = {_literal(value)}" for name, value in free.items()]
    if placement == "closure":
        program.closure = lines
    else:
        program.prelude = ["\n".join(lines)]


class PatternArrays(ArrayGenerator):
    """An array program whose expressions, with probability ``share`` at each level, take
    one of the pattern's forms (``forms(depth)`` gives (feature, text) candidates; the
    first that evaluates at the point is kept)."""

    refusals = 0.0
    share = 0.4

    def __init__(self, rng, index, name, size):
        super().__init__(rng, index, name, size)
        self.used = False
        self.form_texts = []

    def _expr(self, depth):
        if depth > 0 and self.rng.random() < self.share:
            self.first = []
            candidates = self.forms(depth)
            self.rng.shuffle(candidates)
            for feature, text in self.first + candidates:
                try:
                    self.check_form(text)
                except _Rejected:
                    continue
                self.features.add(feature)
                self.used = True
                self.form_texts.append(text)
                return text
        return super()._expr(depth)

    def check_form(self, text):
        self.evaluate(text)

    def operand(self, depth, ndim=0):
        """(text, value) of a subexpression with at least ``ndim`` dimensions."""
        for _ in range(6):
            text = self._expr(depth - 1) if depth > 1 else self.leaf()
            try:
                value = self.evaluate(text)
            except _Rejected:
                continue
            if np.ndim(value) >= ndim:
                return text, value
        names = [n for n, v in self.env.items() if np.ndim(v) >= ndim]
        if not names:
            raise _Rejected
        name = self.rng.choice(names)
        return name, self.env[name]

    def scalar(self):
        """An active scalar expression: a float parameter, an entry, a sum..."""
        options = []
        for name, value in self.env.items():
            if np.ndim(value) == 0:
                options += [name, name]
            elif np.ndim(value) == 1:
                options += [f"{name}[0]", f"{name}[-1]", f"np.sum({name})"]
            else:
                options += [f"{name}[0, -1]", f"{name}[-1, 0]"]
        base = self.rng.choice(options)
        r = self.rng.random()
        if r < 0.25:
            return f"({base} * {self.rng.choice(['2.0', '0.5', '-1.5'])})"
        if r < 0.45:
            return self.rng.choice(ARRAY_UNARY).format(base)
        return base

    def finish(self, pattern, **extra):
        """The program, its return extended so that every name a pattern form assigned
        reaches the output."""
        program = self.build()
        if not self.used:
            raise _Rejected
        returned = program.body[-1][len("return "):]
        targets = [line.split(" = ")[0] for line in program.body[:-1]
                   if " = " in line and any(t in line for t in self.form_texts)]
        missing = [t for t in dict.fromkeys(targets)
                   if not any(n.id == t for n in ast.walk(ast.parse(returned))
                              if isinstance(n, ast.Name))]
        if missing:
            returned += "".join(f" + np.sum({t})" for t in missing)
            program.value = self.evaluate(returned)
            program.body[-1] = f"return {returned}"
        program.family, program.pattern = "patterns", pattern
        for key, value in extra.items():
            setattr(program, key, value)
        return program


DISPLAY_SHAPE_SETS = [[(), (3,)], [(), ()], [(2, 3), ()], [(3,), (3,)], [(), (2, 2)], [(4,)],
                      [(2, 3)], [(), (), (2,)]]


class FreeData(PatternArrays):
    """Arrays, lists and floats in module globals or a closure, in every operand position."""

    def __init__(self, rng, index, name, size, placement):
        super().__init__(rng, index, name, size)
        self.placement = placement
        shapes = [np.shape(v) for v in self.point if np.ndim(v)] or [(3,)]
        prefix = f"FZ{index}_" if placement == "global" else ""
        self.free, self.partners = {}, {}   # free matrix -> (side, params it multiplies)
        for k in range(rng.choice([1, 2, 2, 3])):
            shape = rng.choice(shapes)
            kind = rng.choice(["same", "same", "right", "left", "index", "list", "float"])
            if kind == "same":
                value = self._value(shape)
            elif kind == "right":
                value = self._value(rng.choice([(shape[-1],), (shape[-1], 2)]))
            elif kind == "left":
                value = self._value((2, shape[0]))
            elif kind == "index":
                first = rng.randrange(shape[0])
                value = np.array([first, rng.randrange(shape[0]), first])
            elif kind == "list":
                value = [round(rng.uniform(-2, 2), 3) for _ in range(shape[-1])]
            else:
                value = round(rng.uniform(-2, 2), 3)
            name = f"{prefix}{['C', 'K', 'Q'][k]}" if kind != "index" else f"{prefix}IDX{k}"
            self.free[name] = value
            if kind in ("right", "left"):
                self.partners[name] = (kind, [p for p, v in self.env.items()
                                              if np.shape(v) == shape])
        self.namespace.update(self.free)

    def leaf(self):
        if self.rng.random() < 0.15:
            name = self.rng.choice(list(self.free))
            if not isinstance(self.free[name], np.ndarray) or self.free[name].dtype.kind == "f":
                self.used = True
                return name
        return super().leaf()

    def forms(self, depth):
        e, value = self.operand(depth)
        pe = _parenthesized(e)
        result = []
        for f, (side, partners) in self.partners.items():
            if partners and self.rng.random() < 0.6:      # a product that fits, first
                p = self.rng.choice(ARRAY_UNARY + ["{}"] * 4).format(self.rng.choice(partners))
                if side == "right":
                    first = [("free @ right", f"({p} @ {f})"), ("np.dot free", f"np.dot({p}, {f})"),
                             ("free .dot", f"{_parenthesized(p)}.dot({f})")]
                else:
                    first = [("free @ left", f"({f} @ {p})"), ("np.dot free", f"np.dot({f}, {p})"),
                             ("free .dot", f"{f}.dot({p})"), ("free .T", f"({p}.T @ {f}.T)")]
                self.rng.shuffle(first)
                self.first = first
        for f, v in self.free.items():
            if isinstance(v, np.ndarray) and v.dtype.kind in "iu":
                if np.ndim(value):
                    result += [("free index array", f"{pe}[{f}]")]
                continue
            if not isinstance(v, np.ndarray):
                result += [(f"free {type(v).__name__} operand", text) for text in
                           (f"({f} * {e})", f"({e} - {f})", f"({e} + {f})")]
                continue
            result += [("free @ left", f"({f} @ {e})"), ("free @ right", f"({e} @ {f})"),
                       ("free * or +", f"({f} * {e})"), ("free * or +", f"({e} + {f})"),
                       ("free * or +", f"({f} - {e})"), ("np.dot free", f"np.dot({f}, {e})"),
                       ("np.dot free", f"np.dot({e}, {f})"), ("free .dot", f"{f}.dot({e})"),
                       ("free .dot", f"{pe}.dot({f})"), ("free .T", f"({e} @ {f}.T)"),
                       ("free .T", f"({f}.T @ {e})"), ("free .T", f"({f}.T * {e})"),
                       ("concatenate free", f"np.concatenate(({f}, {e}, {f}))"),
                       ("concatenate free", f"np.concatenate([{e}, {f}])"),
                       ("free indexed", f"({f}[0] * {e})"), ("free indexed", f"({e} + {f}[-1])"),
                       ("free indexed", f"({e} * {f}[1:])"),
                       ("free * or +", f"({e} / (1.5 + {f} ** 2))")]
        return result

    def build_pattern(self, pattern):
        program = self.finish(pattern)
        _free_definitions(program, self.free, self.placement)
        return program


class ArrayDisplays(PatternArrays):
    """``np.array`` displays of active values, flat and nested, and lists of active values
    passed to NumPy functions."""

    shape_sets = DISPLAY_SHAPE_SETS

    def forms(self, depth):
        s = [self.scalar() for _ in range(6)]
        c = self.rng.choice(["2.0", "-0.5", "SCALE"])
        return [("flat np.array display", f"np.array([{s[0]}, {s[1]}, {s[2]}])"),
                ("flat np.array display", f"np.array([{s[0]}, {c}, {s[1]}])"),
                ("repeated entries in a display", f"np.array([{s[0]}, {s[0]}])"),
                ("nested np.array display", f"np.array([[{s[0]}, {s[1]}, {s[2]}], "
                                            f"[{s[3]}, {s[4]}, {s[5]}]])"),
                ("nested np.array display", f"np.array([[{s[0]}, {c}], [{s[1]}, {s[0]}]])"),
                ("np.array of a tuple", f"np.array(({s[0]}, {s[1]}))"),
                ("list passed to NumPy", f"np.sum([{s[0]}, {s[1]}])"),
                ("list passed to NumPy", f"np.mean([{s[0]}, {s[1]}, {s[2]}])"),
                ("list passed to NumPy", f"np.prod([{s[0]}, {s[1]}])"),
                ("list passed to NumPy", f"np.sum(np.array([{s[0]}, {s[1]}]) * {s[2]})")]

    def build_pattern(self, pattern):
        return self.finish(pattern)


class RepeatedIndices(PatternArrays):
    """Fancy indexing with repeated positions, ``x[[0, 0, 2]]``."""

    def forms(self, depth):
        e, value = self.operand(depth, ndim=1)
        pe = _parenthesized(e)
        shape = np.shape(value)
        a, b = (self.rng.randrange(-shape[0], shape[0]) for _ in range(2))
        result = [("repeated index list", f"{pe}[[{a}, {a}, {b}]]"),
                  ("repeated index array", f"{pe}[np.array([{b}, {a}, {b}])]"),
                  ("repeated index list", f"{pe}[[{a}, {a}]]")]
        if len(shape) == 2:
            c, d = (self.rng.randrange(-shape[1], shape[1]) for _ in range(2))
            result += [("repeated rows", f"{pe}[[{a}, {a}], :]"),
                       ("repeated columns", f"{pe}[:, [{c}, {c}, {d}]]"),
                       ("repeated index pairs", f"{pe}[[{a}, {a}, {b}], [{c}, {c}, {d}]]")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern)


def _tie_gap_ok(values):
    """Exact ties are fine; the top value and the next distinct one must be apart."""
    flat = sorted(set(np.ravel(np.real(values)).tolist()), reverse=True)
    if len(flat) < 2:
        return True
    low = sorted(flat)
    return all(abs(p - q) > TIE_GAP * (1 + abs(p)) for p, q in ((flat[0], flat[1]), (low[0], low[1])))


class ArrayTies(PatternArrays):
    """Ties by construction: ``np.maximum(a, a)``, ``np.max(x[0] + 0.0 * x)`` (every entry
    is the same function), ``np.max(np.array([u, u, v]))``, min likewise."""

    shape_sets = DISPLAY_SHAPE_SETS

    def check_form(self, text):
        self.evaluate(text)
        if text.startswith(("np.max(", "np.min(", "np.amax(", "np.amin(")):
            inner = text[text.index("(") + 1:-1]
            if not _tie_gap_ok(self.evaluate(inner)):
                raise _Rejected

    def forms(self, depth):
        e, value = self.operand(depth)
        s, t = self.scalar(), self.scalar()
        result = [("np.maximum(a, a)", f"np.maximum({e}, {e})"),
                  ("np.maximum(a, a)", f"np.minimum({e}, {e} * 1.0)"),
                  ("reduction over identical entries", f"np.max(np.array([{s}, {s}, {t}]))"),
                  ("reduction over identical entries", f"np.min(np.array([{t}, {s}, {s}]))"),
                  ("reduction over identical entries", f"np.amax(np.array([{s}, {t}, {s}]))")]
        if np.ndim(value) >= 1:
            result += [("reduction over a constant-shaped array", f"np.max({s} + 0.0 * {e})"),
                       ("reduction over a constant-shaped array", f"np.min({e} * 0.0 + {s})"),
                       ("reduction over a constant-shaped array", f"np.max({e} * 0.0 + 1.5)")]
        if np.ndim(value) == 1:
            result += [("reduction of a doubled array", f"np.max(np.concatenate(({e}, {e})))"),
                       ("reduction of a doubled array", f"np.amin(np.concatenate(({e}, {e})))")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern)


class ArrayHelpers(PatternArrays):
    """User functions called from NumPy code (refused today: counted, not failed)."""

    def __init__(self, rng, index, name, size):
        super().__init__(rng, index, name, size)
        self.helper_sources, self.helpers = [], []
        for k in range(rng.choice([1, 1, 2])):
            helper = f"{name}_h{k}"
            unary = rng.choice(ARRAY_UNARY)
            if rng.random() < 0.5:
                source = f"def {helper}(a):\n    return {unary.format('a')} * 2.0 + a"
                arity = 1
            else:
                source = (f"def {helper}(a, b=0.5):\n    t = a * b\n"
                          f"    return {unary.format('t')} + a")
                arity = 2
            exec(source, self.namespace)
            self.helper_sources.append(source)
            self.helpers.append((helper, arity))

    def forms(self, depth):
        e, _ = self.operand(depth)
        s = self.scalar()
        result = []
        for helper, arity in self.helpers:
            result.append(("NumPy helper call", f"{helper}({e})"))
            if arity == 2:
                result += [("NumPy helper call", f"{helper}({e}, {s})"),
                           ("NumPy helper call", f"{helper}({e}, b={s})")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern, helpers=self.helper_sources, expect_refusal=True)


class ArrayIntsBools(PatternArrays):
    """Ints and bools mixed into float code; sometimes a float32 parameter (its gradient
    must stay float32)."""

    def __init__(self, rng, index, name, size):
        super().__init__(rng, index, name, size)
        arrays = [i for i, v in enumerate(self.point) if np.ndim(v)]
        self.float32 = bool(arrays) and rng.random() < 0.3
        if self.float32:
            k = rng.choice(arrays)
            self.point = tuple(v.astype(np.float32) if i == k else v
                               for i, v in enumerate(self.point))
            self.env = dict(zip(self.params, self.point))
            self.features.add("float32 input")

    def check_form(self, text):
        self.evaluate(text)
        if text in self.masks:              # the mask must not switch nearby
            inner, threshold = self.masks[text]
            if np.min(np.abs(np.real(self.evaluate(inner)) - threshold)) < TIE_GAP:
                raise _Rejected

    def forms(self, depth):
        e, value = self.operand(depth)
        pe = _parenthesized(e)
        self.masks = {f"({e} * ({e} > 0.5))": (e, 0.5), f"(({e} <= -0.5) * {e})": (e, -0.5),
                      f"(np.sum({e} > 0.5) * {e})": (e, 0.5)}
        result = [("bool mask", f"({e} * ({e} > 0.5))"),
                  ("bool mask", f"(({e} <= -0.5) * {e})"),
                  ("bool literal", f"(True * {e})"), ("bool literal", f"({e} * False + {e})"),
                  ("int literal", f"({e} * 2 + 1)"),
                  ("int count", f"(np.sum({e} > 0.5) * {e})")]
        if np.ndim(value) >= 1:
            n = np.shape(value)[-1]
            result += [("int array", f"({e} * np.arange({n}))"),
                       ("int array", f"({e} + np.ones({np.shape(value)}, dtype=int))"),
                       ("shape or size", f"(np.sum({e}) * {pe}.shape[0])"),
                       ("shape or size", f"({e} * len({pe}))"),
                       ("shape or size", f"({e} * {pe}.size)"),
                       ("bool array", f"({e} * (np.arange({n}) % 2 == 0))")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern, rtol=1e-4 if self.float32 else RTOL)


class ViewAliases(ArrayGenerator):
    """A view of a fresh array (a slice, ``.ravel()``, ``.reshape``, ``.T``, the name
    itself) written in place, then the array read; copies as controls."""

    shape_sets = [s for s in SHAPE_SETS if any(len(x) for x in s)]

    def build_pattern(self, pattern):
        rng = self.rng
        text, value = self.expr(rng.choice([1, 1, 2]))
        if np.ndim(value) == 0:
            name = rng.choice([n for n, v in self.env.items() if np.ndim(v)])
            text, value = f"np.sin({name})", self.evaluate(f"np.sin({name})")
        base = rng.choice(["y", "H", "Z"])
        fresh = rng.choice([f"{_parenthesized(text)} * 1.0", f"{_parenthesized(text)} + 0.0",
                            f"np.tanh({text})"])
        shape = np.shape(value)
        n = int(np.prod(shape))
        views = [("slice view", f"{base}[1:]"), ("slice view", f"{base}[::2]"),
                 ("slice view", f"{base}[0:2]"), ("ravel view", f"{base}.ravel()"),
                 ("reshape view", f"{base}.reshape(-1)"), ("reshape view", f"{base}.reshape(1, {n})"),
                 ("name alias", base), ("full slice view", f"{base}[:]"),
                 ("copy (no alias)", f"{base}.copy()"), ("copy (no alias)", f"{base}.flatten()"),
                 ("copy (no alias)", f"np.array({base})"), ("copy (no alias)", f"{base}[[0, 0]]")]
        if len(shape) == 2:
            views += [("row view", f"{base}[0]"), ("column view", f"{base}[:, 0]"),
                      ("transpose view", f"{base}.T"), ("reshape view", f"{base}.reshape({shape[1]}, {shape[0]})")]
        view_feature, view = rng.choice(views)
        s = ArrayDisplays.scalar(self)
        writes = [("*= on a view", "v *= 3.0"), ("*= on a view", f"v *= {s}"),
                  ("+= on a view", f"v += {s}"), ("-= on a view", "v -= np.sin(v)"),
                  ("item set on a view", f"v[0] = {s}"), ("item set on a view", "v[-1] += 2.5"),
                  ("slice set on a view", "v[:] = np.tanh(v)"), ("/= on a view", "v /= 2.0")]
        write_feature, write = rng.choice(writes)
        lines = [f"{base} = {fresh}", f"v = {view}", write]
        if rng.random() < 0.3:
            lines.append(rng.choice([f"{base} *= 0.5", f"{base}[0] = {s} * 2.0"]))
            write_feature += ", then the base"
        final = rng.choice([f"np.sum({base} * {base})", f"np.sum(np.sin({base})) + np.sum(v * v)",
                            f"np.sum({base}) * 2.0 + np.sum(v)"])
        env = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in self.env.items()}
        with np.errstate(all="raise"):
            try:
                for line in lines:
                    exec(line, self.namespace, env)
                result = eval(final, self.namespace, env)
            except (ArithmeticError, ValueError, TypeError, IndexError, AttributeError):
                raise _Rejected from None
        if not np.isfinite(result) or abs(result) > VALUE_LIMIT:
            raise _Rejected
        self.features |= {"view alias", view_feature, write_feature}
        tangent = tuple(round(rng.uniform(-1, 1), 3) for _ in self.params)
        return Program(self.index, self.name, self.params, lines + [f"return {final}"],
                       self.point, tangent, result, True, self.features, family="patterns",
                       pattern=pattern, arrays=True, expect_refusal=True)


class ScalarTies(Generator):
    """Straight-line scalar programs with ties by construction: ``max(u, u)``,
    ``max(x, x, y)``, ``min(u, u * 1.0)``."""

    def statement(self):
        if self.rng.random() < 0.5:
            for _ in range(10):
                try:
                    line, bindings = self._tie()
                except _Rejected:
                    continue
                self._commit(line, bindings)
                return
        super().statement()

    def _tie(self):
        name = self.fresh_local() or self.variable()
        a = self.variable() if self.rng.random() < 0.5 else self._expression(self.rng.choice([1, 2]))
        b = self.sub(1)
        va, vb = self.evaluate(a), self.evaluate(b)
        if abs(va - vb) < TIE_GAP * (1 + abs(va)):
            raise _Rejected
        which = self.rng.choice(["max", "min"])
        forms = [("tie of two", f"{which}({a}, {a})"), ("tie and another", f"{which}({a}, {a}, {b})"),
                 ("tie and another", f"{which}({b}, {a}, {a})"),
                 ("tie of equal expressions", f"{which}({a}, {a} * 1.0)"),
                 ("tie inside an expression", f"({b} + {which}({a}, {a}) * 0.5)")]
        feature, text = self.rng.choice(forms)
        self.features.add(feature)
        self.piecewise_used()
        return f"{name} = {text}", [(name, self.evaluate(text))]


class ScalarIntsBools(Generator):
    """Straight-line scalar programs with ints and bools mixed in: ``x * (x > 0.5)``,
    ``True * x``, an int accumulator ``k = 0`` then ``k += u``."""

    def statement(self):
        if self.rng.random() < 0.5:
            for _ in range(10):
                try:
                    lines = self._mixed()
                except _Rejected:
                    continue
                for line, bindings in lines:
                    self._commit(line, bindings)
                return
        super().statement()

    def _mixed(self):
        name = self.fresh_local()
        if name is None:
            raise _Rejected
        a, b = self._expression(1), self.sub(1)
        va = self.evaluate(a)
        kind = self.rng.choice(["mask", "mask", "bool", "accumulator", "int name", "len"])
        self.features.add({"mask": "bool mask", "bool": "bool literal", "accumulator":
                           "int accumulator", "int name": "int variable", "len": "len"}[kind])
        self.piecewise_used()
        if kind == "mask":
            c = self.rng.choice(["0.5", "0", "-1.0"])
            if abs(va - float(c)) < TIE_GAP:
                raise _Rejected
            text = self.rng.choice([f"({b} + {a} * ({a} > {c}))", f"({b} + ({a} <= {c}) * 2.5)",
                                    f"({b} * ({a} > {c}) + {a})"])
            return [(f"{name} = {text}", [(name, self.evaluate(text))])]
        if kind == "bool":
            text = self.rng.choice([f"(True * {a})", f"({a} * False + {b})", f"({b} + True)"])
            return [(f"{name} = {text}", [(name, self.evaluate(text))])]
        if kind == "accumulator":
            op = self.rng.choice(["+=", "-="])
            value = self.evaluate(f"0 {op[0]} ({a})")
            return [(f"{name} = 0", [(name, 0)]), (f"{name} {op} {a}", [(name, value)])]
        if kind == "int name":
            k = self.rng.choice([2, 3, -1])
            text = f"{a} * {name}"
            target = self.fresh_local()
            if target is None:
                raise _Rejected
            return [(f"{name} = {k}", [(name, k)]),
                    (f"{target} = {text}", [(target, self.evaluate(f"({a}) * {k}"))])]
        text = f"{a} * len([{a}, {b}])"
        return [(f"{name} = {text}", [(name, self.evaluate(text))])]


class FreeScalars(ControlGenerator):
    """Control programs that read floats and lists kept in module globals or a closure."""

    def __init__(self, rng, index, name, size, placement):
        super().__init__(rng, index, name, size)
        prefix = f"FZ{index}_" if placement == "global" else ""
        self.free = {f"{prefix}{'K' if prefix else 'k0'}": round(rng.uniform(-2, 2), 3),
                     f"{prefix}{'COEF' if prefix else 'coef'}":
                         [round(rng.uniform(-2, 2), 3) for _ in range(rng.choice([2, 3]))]}
        lines = [f"{n} = {v!r}" for n, v in self.free.items()]
        if placement == "closure":
            self.closure_lines = lines
        else:
            self.prelude = ["\n".join(lines)]
        self.namespace.update(self.free)
        self.used_free = False

    def leaf(self):
        if self.rng.random() < 0.15:
            name = self.rng.choice(list(self.free))
            value = self.free[name]
            self.used_free = True
            if isinstance(value, list):
                self.features.add("free list read")
                return f"{name}[{self.rng.randrange(-len(value), len(value))}]"
            self.features.add("free float")
            return name
        return super().leaf()

    def _c_for_list(self, indent):
        if self.rng.random() < 0.5:
            item = self.fresh_from(ITEM_NAMES)
            name = [n for n, v in self.free.items() if isinstance(v, list)][0]
            self.used_free = True
            self.features.add("for over a free list")
            pre = self._accumulator(indent)
            return self._loop_body(indent, f"for {item} in {name}:", pre, [(item, "float")])
        return super()._c_for_list(indent)

    def build_control(self):
        program = super().build_control()
        if not self.used_free:
            raise _Rejected
        program.lists = True        # forward mode is not asked about lists
        return program


def _scalar_program(program, pattern, **extra):
    program.family, program.pattern, program.piecewise = "patterns", pattern, True
    for key, value in extra.items():
        setattr(program, key, value)
    return program


def _p_loop_variables(rng, index, size, pattern):
    def make():
        g = ControlGenerator(rng, index, f"fz{index}", size)
        g.reuse = True
        g.taken |= set(REUSED_LOOP_NAMES)       # not for while counters or list indices
        g.max_level, g.max_loops = 2, rng.choice([3, 4])
        g.top = rng.choice([2, 3, 4])
        return g
    return _scalar_program(generate_control(rng, index, size, make), pattern)


def _p_free_scalars(rng, index, size, pattern):
    placement = "global" if pattern.endswith("globals") else "closure"
    program = generate_control(rng, index, size,
                               lambda: FreeScalars(rng, index, f"fz{index}", size, placement))
    return _scalar_program(program, pattern)


def _p_scalar_helpers(rng, index, size, pattern):
    def make():
        g = ControlGenerator(rng, index, f"fz{index}", size)
        g.min_helpers = 1
        return g
    for _ in range(PATTERN_ATTEMPTS):
        program = generate_control(rng, index, size, make)
        if "call" in program.features:
            return _scalar_program(program, pattern)
    raise _Rejected


def _p_straight(cls):
    def build(rng, index, size, pattern):
        g = cls(rng, index, f"fz{index}", rng.random() < 0.5, size)
        program = g.build()
        return _scalar_program(program, pattern)
    return build


ALIAS_MUTATIONS = ["{b}[0] = {e}", "{b}[1] += {e}", "{b}.append({e})", "{b}[-1] *= 0.5",
                   "{b}[0], {b}[1] = {b}[1], {b}[0]", "{b}.insert(0, {e})", "{b}.pop()",
                   "{b}.extend([{e}, {e}])"]


def _p_list_aliases(rng, index, size, pattern):
    """``b = a`` for a list, then ``b[0] = ...``/``b.append(...)``; a helper that writes
    into its list argument; copies (``list(a)``, ``a[:]``, ``a.copy()``) as controls."""
    for _ in range(PATTERN_ATTEMPTS):
        g = Generator(rng, index, f"fz{index}", True, size)
        e = lambda: g.sub(rng.choice([0, 1, 1, 2]))     # noqa: E731
        items = [e() for _ in range(rng.choice([2, 3]))]
        kind = rng.choice(["name", "name", "chain", "through the original", "helper", "copy"])
        lines, helpers, helper_read = [f"a = [{', '.join(items)}]"], [], ""
        if kind == "helper":
            helper = f"fz{index}_h0"
            write = rng.choice(["v[0] = v[0] * c", "v.append(c)", "v[-1] += c"])
            helpers.append(f"def {helper}(v, c):\n    {write}\n    return c")
            lines.append(f"t = {helper}(a, {e()})")
            feature = "list written by a helper"
            helper_read = " + t"
        else:
            if kind == "copy":
                lines.append(f"b = {rng.choice(['list(a)', 'a[:]', 'a.copy()'])}")
            elif kind == "chain":
                lines += ["c = a", "b = c"]
            else:
                lines.append("b = a")
            target = "a" if kind == "through the original" else "b"
            mutation = rng.choice(ALIAS_MUTATIONS)
            lines.append(mutation.format(b=target, e=e()))
            feature = f"list alias: {kind}" if kind != "copy" else "list copy (no alias)"
        reads = rng.choice(["a[0] + a[1] * 2.0", "a[-1] * a[0]"]) + helper_read
        if kind not in ("helper",) and rng.random() < 0.4:
            reads += " + b[0]"
        if rng.random() < 0.4:
            lines += ["s = 0.0", "for el in a:", f"    s = s + el * {rng.choice(['0.5', '1.5'])}"]
            reads += " + s"
        lines.append(f"return {reads}")
        program = Program(index, f"fz{index}", g.params, lines, g.point,
                          tuple(round(rng.uniform(-1, 1), 3) for _ in g.params), None, True,
                          {"list alias", feature}, helpers=helpers, lists=True)
        try:
            value = run_program(program, limited=True)
        except (_Rejected, ArithmeticError, ValueError, TypeError, IndexError, NameError,
                RecursionError):
            continue
        if type(value) is float and math.isfinite(value) and abs(value) < VALUE_LIMIT:
            program.value = run_program(program)
            return _scalar_program(program, pattern, expect_refusal=True)
    raise _Rejected


def _p_arrays(cls, *args):
    def build(rng, index, size, pattern):
        return cls(rng, index, f"fz{index}", size, *args).build_pattern(pattern)
    return build


PATTERNS = [    # name, share, builder(rng, index, size, name) -> Program
    ("loop variables reused", 3.0, _p_loop_variables),
    ("free data: globals", 1.5, _p_arrays(FreeData, "global")),
    ("free data: closure", 1.5, _p_arrays(FreeData, "closure")),
    ("free scalars: globals", 0.75, _p_free_scalars),
    ("free scalars: closure", 0.75, _p_free_scalars),
    ("np.array displays", 2.0, _p_arrays(ArrayDisplays)),
    ("repeated indices", 1.0, _p_arrays(RepeatedIndices)),
    ("ties: scalar", 1.5, _p_straight(ScalarTies)),
    ("ties: NumPy", 1.5, _p_arrays(ArrayTies)),
    ("aliases: lists", 1.5, _p_list_aliases),
    ("aliases: views", 2.0, _p_arrays(ViewAliases)),
    ("helpers: scalar", 1.0, _p_scalar_helpers),
    ("helpers: NumPy", 1.0, _p_arrays(ArrayHelpers)),
    ("ints and bools: scalar", 1.0, _p_straight(ScalarIntsBools)),
    ("ints and bools: NumPy", 1.5, _p_arrays(ArrayIntsBools)),
]


def generate_pattern(rng, index, size):
    name, _, build = rng.choices(PATTERNS, [share for _, share, _ in PATTERNS])[0]
    for _ in range(PATTERN_ATTEMPTS):
        try:
            return build(rng, index, size, name)
        except _Rejected:
            continue
    raise AssertionError(f"no {name} program for index {index} in {PATTERN_ATTEMPTS} attempts")


FAMILIES = (("straight", 0.45), ("control", 0.40), ("array", 0.15))


def family_of(seed, index, size="full"):
    """The family of program ``index``: patterns, straight, control or array."""
    if random.Random(f"s2sdiff-fuzz-pattern:{seed}:{size}:{index}").random() < PATTERN_SHARE:
        return "patterns"
    r = random.Random(f"s2sdiff-fuzz-family:{seed}:{size}:{index}").random()
    for family, share in FAMILIES:
        if r < share:
            return family
        r -= share
    return FAMILIES[-1][0]


def generate(seed, index, size="full"):
    """Program ``index`` of the run with ``seed``; the same arguments always give the same."""
    family = family_of(seed, index, size)
    if family == "patterns":
        return generate_pattern(random.Random(f"s2sdiff-fuzz-patterns:{seed}:{size}:{index}"),
                                index, size)
    if family == "control":
        return generate_control(random.Random(f"s2sdiff-fuzz-control:{seed}:{size}:{index}"),
                                index, size)
    if family == "array":
        rng = random.Random(f"s2sdiff-fuzz-array:{seed}:{size}:{index}")
        return ArrayGenerator(rng, index, f"fz{index}", size).build()
    rng = random.Random(f"s2sdiff-fuzz:{seed}:{size}:{index}")
    smooth = rng.random() < 0.5
    return Generator(rng, index, f"fz{index}", smooth, size).build()


def write_module(programs, directory, seed, batch):
    """Write ``programs`` into one module file and import it; return the module."""
    name = f"fuzz_s{seed}_b{batch}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as handle:
        handle.write(MODULE_HEADER.format(seed=seed, batch=batch))
        for program in programs:
            handle.write("\n\n" + program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------
# oracles

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


class OracleTimeout(Exception):
    """SymPy took longer than SYMPY_SECONDS."""


SYMPY_SECONDS = 5.0
VERIFY_SECONDS = 20.0


@contextlib.contextmanager
def time_limit(seconds):
    """Raise OracleTimeout after ``seconds`` (main thread with SIGALRM only; else no limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise OracleTimeout(f"no answer within {seconds} s")

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


# --------------------------------------------------------------------------------------
# checking

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
    import re
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
    import traceback
    return any(frame.filename.startswith("<s2sdiff") and frame.filename != "<s2sdiff dispatcher>"
               for frame in traceback.extract_tb(error.__traceback__))


def _generated_line(error):
    """The line of generated code an exception was raised on, if any."""
    import traceback
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith("<s2sdiff"):
            return (frame.line or "").strip()
    return None


class Checker:
    """Runs every check of the module docstring on the programs of one module."""

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
                from s2sdiff.symbolic import sympy_globals
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

        if self.extra_every and program.index % self.extra_every == 0:
            v, g2 = self._make("value_and_grad", lambda: value_and_grad(func))(*point)
            if not _same(v, value):
                raise _Mismatch("api", f"value_and_grad value {v!r} != f{point} = {value!r}")
            self._compare("api", "value_and_grad", g, as_tuple(g2, n), program, scale)
            i = program.index % n
            name = program.params[i]
            single = self._make(f"grad(wrt={name!r})", lambda: grad(func, wrt=name))(*point)
            self._compare("api", f"grad(wrt={name!r})", (g[i],), (single,), program, scale)
            if grad(func) is not gradient:
                raise _Mismatch("api", "grad(f) is not the cached function object")

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
        self._compare_arrays("reverse", "complex step", g, reference, program, scale)
        outcome.oracles.append("complex step")
        if self.extra_every and program.index % self.extra_every == 0:
            v, g2 = self._make("value_and_grad", lambda: value_and_grad(func))(*point)
            if not _same(v, value):
                raise _Mismatch("api", f"value_and_grad value {v!r} != f(...) = {value!r}")
            self._compare_arrays("api", "value_and_grad", g, as_tuple(g2, n), program, scale)
            i = program.index % n
            name = program.params[i]
            single = self._make(f"grad(wrt={name!r})", lambda: grad(func, wrt=name))(*point)
            self._compare_arrays("api", f"grad(wrt={name!r})", (g[i],), (single,), program,
                                 scale, names=[name])
            if grad(func) is not gradient:
                raise _Mismatch("api", "grad(f) is not the cached function object")

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


class _Mismatch(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def _same(a, b):
    return a == b or (isinstance(a, float) and isinstance(b, float)
                      and math.isnan(a) and math.isnan(b))


# --------------------------------------------------------------------------------------
# running

@dataclass
class Summary:
    programs: int = 0
    smooth: int = 0
    piecewise: int = 0
    mismatches: list = field(default_factory=list)
    errors: list = field(default_factory=list)              # not S2SDiffError at generation
    generation_errors: list = field(default_factory=list)   # S2SDiffError at generation
    skipped_near_kinks: int = 0
    nonfloat: list = field(default_factory=list)           # right value, type not float
    oracle_errors: list = field(default_factory=list)
    ill_conditioned: list = field(default_factory=list)
    singular: list = field(default_factory=list)            # an exception, no derivative
    refused: list = field(default_factory=list)             # expected generation errors
    families: dict = field(default_factory=dict)            # family -> Counter of statuses
    patterns: dict = field(default_factory=dict)            # pattern -> Counter of statuses
    fuzzer_errors: list = field(default_factory=list)       # the fuzzer's own failures
    kinks: collections.Counter = field(default_factory=collections.Counter)
    oracles: collections.Counter = field(default_factory=collections.Counter)
    features: collections.Counter = field(default_factory=collections.Counter)
    statements: int = 0
    seconds: float = 0.0
    rules: collections.Counter = None

    @property
    def failed(self):
        return bool(self.mismatches or self.errors or self.fuzzer_errors)

    def add(self, outcome):
        program = outcome.program
        if program.pattern:
            counts = self.patterns.setdefault(program.pattern, collections.Counter())
            counts[outcome.status] += 1
            if outcome.nonfloat:
                counts["non-float"] += 1
        if outcome.status in ("oracle-crash", "fuzzer-error"):
            self.programs += 1
            self.families.setdefault(program.family, collections.Counter())[outcome.status] += 1
            self.fuzzer_errors.append(outcome)
            return
        self.programs += 1
        self.statements += len(program.body)
        self.families.setdefault(program.family, collections.Counter())[outcome.status] += 1
        self.piecewise += program.piecewise
        self.smooth += not program.piecewise
        self.features.update(program.features)
        self.oracles.update(outcome.oracles)
        if outcome.kink:
            self.skipped_near_kinks += 1
            self.kinks[outcome.kink.split()[0]] += 1
        if outcome.nonfloat:
            self.nonfloat.append(outcome)
        if outcome.oracle_errors:
            self.oracle_errors.append(outcome)
        if outcome.ill_conditioned:
            self.ill_conditioned.append(outcome)
        if outcome.status == "mismatch":
            self.mismatches.append(outcome)
        elif outcome.status == "error":
            self.errors.append(outcome)
        elif outcome.status == "generation-error":
            self.generation_errors.append(outcome)
        elif outcome.status == "singular":
            self.singular.append(outcome)
        elif outcome.status == "refused":
            self.refused.append(outcome)

    def unexplained(self):
        """Mismatches and errors that no KNOWN_BUGS entry explains."""
        return [o for o in self.mismatches + self.errors if o.known is None]

    def report(self):
        def counts(outcomes, key):
            found = collections.Counter(key(o) for o in outcomes)
            return ", ".join(f"{k} {v}" for k, v in sorted(found.items()))

        mismatches = counts(self.mismatches, lambda o: f"{o.kind}" + (f" [known: {o.known}]"
                                                                     if o.known else ""))
        by_type = counts(self.errors, lambda o: f"{o.detail.split(':')[0]} in {o.phase}" + (
            f" [known: {o.known}]" if o.known else ""))
        generation = counts(self.generation_errors, lambda o: o.detail.split(":")[0])
        singular = counts(self.singular, lambda o: o.detail.split(":")[0])
        families = "; ".join(
            f"{family} {sum(c.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")"
            for family, c in sorted(self.families.items()))
        def pattern_line(name, c):
            order = ["ok", "skipped", "refused", "mismatch", "error", "generation-error",
                     "singular", "non-float", "oracle-crash", "fuzzer-error"]
            shown = ", ".join(f"{k} {c[k]}" for k in order if c[k])
            return f"  {name + ':':<28}{sum(c[k] for k in order if k != 'non-float'):>5}  {shown}"

        lines = [
            f"programs:            {self.programs} ({self.smooth} smooth, {self.piecewise} "
            f"piecewise; {self.statements} statements)",
            f"families:            {families}",
            f"mismatches:          {len(self.mismatches)} {mismatches}".rstrip(),
            f"errors:              {len(self.errors)} {by_type}".rstrip(),
            f"  unexplained:       {len(self.unexplained())} (mismatches and errors no "
            f"KNOWN_BUGS entry explains)",
            f"generation errors:   {len(self.generation_errors)} {generation}".rstrip(),
            f"singular points:     {len(self.singular)} {singular} (an exception where the "
            f"derivative does not exist: right)".replace("  (", " ("),
            f"refused (expected):  {len(self.refused)} (a clear S2SDiffError where accepted: "
            f"array code in control flow, aliases, helpers in NumPy code)",
            f"fuzzer errors:       {len(self.fuzzer_errors)} (an oracle or the generator raised)",
            f"non-float gradients: {len(self.nonfloat)} (value right, type int)",
            f"oracle failures:     {len(self.oracle_errors)} (the oracle could not judge; "
            f"finite differences did)",
            f"ill-conditioned:     {len(self.ill_conditioned)} (float result off, the "
            f"generated code run in mpmath agrees)",
            f"skipped near kinks:  {self.skipped_near_kinks} (finite differences only) "
            f"{dict(sorted(self.kinks.items())) if self.kinks else ''}".rstrip(),
            f"judged by:           " + ", ".join(f"{k} {v}" for k, v in sorted(self.oracles.items())),
            f"features:            " + ", ".join(f"{k} {v}" for k, v in sorted(self.features.items())),
        ]
        if self.patterns:
            lines.append("patterns:            (programs: outcomes; non-float: right value, "
                         "int or bool type)")
            lines += [pattern_line(name, c) for name, c in sorted(self.patterns.items())]
        if self.rules is not None:
            rows = [r for r in rules.RULES.values() if isinstance(r, rules.Partials)]
            missing = [r.name for r in rows if not self.rules[r.key]]
            lines.append(f"rule-table rows used: {len(rows) - len(missing)}/{len(rows)}"
                         + (f" (unused: {', '.join(missing)})" if missing else ""))
        lines.append(f"time:                {self.seconds:.1f} s "
                     f"({1000 * self.seconds / max(1, self.programs):.1f} ms per program)")
        return "\n".join(lines)


def rule_keys(func):
    """The rule-table keys a function's normalised steps use."""
    from s2sdiff.normalize import normalize
    from s2sdiff.parse import parse
    return {step.rule.key for step in normalize(parse(func)).steps if step.rule is not None}


def run(count, seed=0, *, start=0, batch=BATCH, size="full", sympy_every=1, verify_every=50,
        forward_every=1, extra_every=5, sympy_seconds=SYMPY_SECONDS, coverage=False, keep=None,
        on_outcome=None, families=None):
    """Generate and check programs ``start`` ... ``start + count - 1`` (only those of the
    given ``families`` when not None); return the ``Summary``."""
    summary = Summary(rules=collections.Counter() if coverage else None)
    began = time.perf_counter()
    directory = keep or tempfile.mkdtemp(prefix="s2sdiff-fuzz-")
    try:
        for first in range(start, start + count, batch):
            indices = range(first, min(first + batch, start + count))
            programs = []
            for k in indices:
                if families is not None and family_of(seed, k, size) not in families:
                    continue
                try:
                    programs.append(generate(seed, k, size))
                except Exception as error:      # noqa: BLE001 - reported, the run goes on
                    failed = Program(k, f"fz{k}", [], [], (), (), None, True,
                                     family=family_of(seed, k, size))
                    summary.add(Outcome(failed, status="fuzzer-error", phase="generator",
                                        detail=f"{type(error).__name__}: {error}"))
            if not programs:
                continue
            try:
                module = write_module(programs, directory, seed, first // batch)
                checker = Checker(module, sympy_every=sympy_every, verify_every=verify_every,
                                  forward_every=forward_every, extra_every=extra_every,
                                  sympy_seconds=sympy_seconds)
            except Exception as error:          # noqa: BLE001 - reported, the run goes on
                for program in programs:
                    summary.add(Outcome(program, status="fuzzer-error", phase="module",
                                        detail=f"{type(error).__name__}: {error}"))
                continue
            for program in programs:
                try:
                    outcome = checker.check(program)
                except Exception as error:      # noqa: BLE001 - reported, the run goes on
                    outcome = Outcome(program, status="fuzzer-error", phase="checker",
                                      detail=f"{type(error).__name__}: {error}")
                summary.add(outcome)
                if coverage and program.family == "straight":
                    summary.rules.update(rule_keys(getattr(module, program.name)))
                if on_outcome is not None:
                    on_outcome(outcome)
            sys.modules.pop(module.__name__, None)
    finally:
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    summary.seconds = time.perf_counter() - began
    return summary


def describe(outcome):
    program = outcome.program
    status = outcome.status + (f" ({outcome.kind})" if outcome.kind else "") + (
        f" in {outcome.phase}" if outcome.phase else "") + (
        f" [known bug: {outcome.known}]" if outcome.known else "")
    lines = [f"--- program {program.index} ({program.family}, "
             + (f"{program.pattern}, " if program.pattern else "") +
             f"{'piecewise' if program.piecewise else 'smooth'}): "
             f"{status}", program.source.rstrip(),
             f"point {program.point!r}, tangent {program.tangent!r}", outcome.detail]
    if outcome.where:
        lines.append(f"raised by the generated line: {outcome.where}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=100, help="number of programs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument("--size", choices=sorted(SIZES), default="full",
                        help="program size: full (default) or small (the CI test's)")
    parser.add_argument("--show", type=int, metavar="K",
                        help="print program K and its generated gradient, check it, and exit")
    parser.add_argument("--sympy-every", type=int, default=1, metavar="M",
                        help="sympy.diff fast path on every M-th smooth program (0: never)")
    parser.add_argument("--verify-every", type=int, default=50, metavar="M",
                        help="full s2sdiff.verify on every M-th smooth program (0: never)")
    parser.add_argument("--forward-every", type=int, default=1, metavar="M",
                        help="derivative and jvp against grad on every M-th program (0: never)")
    parser.add_argument("--extra-every", type=int, default=5, metavar="M",
                        help="value_and_grad and a wrt= variant on every M-th program")
    parser.add_argument("--coverage", action="store_true",
                        help="count the rule-table rows the programs use (normalises each)")
    parser.add_argument("--keep", metavar="DIR", help="write the modules into DIR and keep them")
    args = parser.parse_args(argv)

    if args.show is not None:
        directory = args.keep or tempfile.mkdtemp(prefix="s2sdiff-fuzz-")
        program = generate(args.seed, args.show, args.size)
        module = write_module([program], directory, args.seed, f"show{args.show}")
        print(program.source)
        outcome = Checker(module, verify_every=1, forward_every=1, extra_every=1).check(program)
        try:
            print(grad(getattr(module, program.name)).source)
        except Exception as error:          # noqa: BLE001 - shown; describe() judges it
            print(f"{type(error).__name__}: {error}")
        print(describe(outcome))
        return 0 if outcome.status in ("ok", "skipped", "singular", "generation-error",
                                       "refused") else 1

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)

    def show(outcome):
        if outcome.status in ("mismatch", "error", "oracle-crash", "fuzzer-error"):
            print(describe(outcome), file=sys.stderr)

    summary = run(args.count, args.seed, start=args.start, size=args.size,
                  sympy_every=args.sympy_every, verify_every=args.verify_every,
                  forward_every=args.forward_every, extra_every=args.extra_every,
                  coverage=args.coverage, keep=args.keep, on_outcome=show)
    print(summary.report())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
