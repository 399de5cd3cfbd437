"""Differential fuzzing of s2sdiff on random programs of four families.

    python -m tools.fuzz N [--seed S] [--start K] [--size full|small] [--show K]
                           [--keep DIR] [--sympy-every M] [--verify-every M]
                           [--forward-every M] [--extra-every M] [--coverage]

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
