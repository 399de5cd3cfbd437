"""Checkpointing schedules for the reverse of a long loop, and their costs.

``grad(f, checkpoint=...)`` (``checkpoint.py`` writes the code) replaces a loop's tape,
one entry per step, by snapshots of the loop's state taken every so often and steps run
again from them.  This module is the part that does not depend on the program:

* ``spec(value)`` validates the public option: ``None``, ``"sqrt"``,
  ``("binomial", snapshots)`` or ``("binomial", snapshots, tape)``;
* ``sqrt_segment(n)``: the segment length ``ceil(sqrt(n))`` of ``"sqrt"``;
* ``Revolve(n, snapshots, tape=1)``: Griewank's binomial schedule (revolve), as the
  actions the generated driver walks; it stores at most ``snapshots`` states and the
  tape of at most ``tape`` steps; with ``tape=1`` it runs ``revolve_advances(n,
  snapshots)`` untaped steps, the known minimum, and with ``tape=k`` the same schedule
  over blocks of ``k`` steps (fewer actions to walk, for cheap steps);
* ``Report``: what a schedule costs for ``n`` steps (``g.checkpoint_report``).

Everything here is plain integer arithmetic; nothing is stateful but a ``Revolve``.
"""

import functools
import math
from dataclasses import dataclass

from ..errors import S2SDiffError


def spec(value):
    """The checkpoint option as a hashable key: None, ``("sqrt",)`` or ``("binomial", s)``;
    an ``S2SDiffError`` naming the option for anything else."""
    if value is None:
        return None
    if isinstance(value, str) and value == "sqrt":
        return ("sqrt",)
    if isinstance(value, str) and value == "binomial":
        raise S2SDiffError(
            'checkpoint="binomial" needs a snapshot count: checkpoint=("binomial", 20)',
            construct="checkpoint")
    if isinstance(value, tuple) and len(value) in (2, 3) and value[0] == "binomial":
        for what, count in zip(("snapshot count", "tape length"), value[1:]):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise S2SDiffError(
                    f"checkpoint={value!r}: the {what} must be an int of at least 1",
                    construct="checkpoint")
        return ("binomial", value[1], value[2] if len(value) == 3 else 1)
    raise S2SDiffError(
        f'checkpoint must be None, "sqrt", ("binomial", snapshots) or ("binomial", '
        f'snapshots, tape steps); got {value!r}', construct="checkpoint")


def sqrt_segment(n):
    """``ceil(sqrt(n))`` steps per segment (1 for an empty loop)."""
    return math.isqrt(n - 1) + 1 if n > 1 else 1


def _beta(s, r):
    """``C(s + r, s)``: the most steps ``s`` snapshots reverse with ``r`` runs of each."""
    return math.comb(s + r, s) if r >= 0 else 0


def _repetitions(n, s):
    r = 0
    while _beta(s, r) < n:
        r += 1
    return r


def revolve_advances(n, s):
    """The fewest untaped steps that reverse ``n`` steps with ``s`` snapshots (Griewank and
    Walther): ``r*n - C(s + r, s + 1)`` where ``C(s + r - 1, s) < n <= C(s + r, s)``, and
    ``n*(n - 1)/2`` for one snapshot.  Each step is also run once taped."""
    if n <= 1:
        return 0
    if s == 1:
        return n * (n - 1) // 2
    r = _repetitions(n, s)
    return r * n - _beta(s + 1, r - 1)


@functools.lru_cache(maxsize=4096)         # short stretches recur all along a long loop
def _split(n, s):
    """Where the optimal schedule for ``n`` steps and ``s`` snapshots takes its next
    snapshot, counted from its first step (the smallest optimal distance)."""
    r = _repetitions(n, s)
    return max(_beta(s, r - 2), n - _beta(s - 1, r), 1)


class Revolve:
    """Binomial checkpointing of ``n`` steps with at most ``snapshots`` stored states and
    the tape of at most ``tape`` steps.

    The actions are ``(action, start, stop)`` tuples:

    * ``("store", a, a)``: push the current state (the state before step ``a``);
    * ``("advance", a, b)``: run steps ``a .. b-1`` without a tape;
    * ``("restore", a, a)``: the state becomes the newest snapshot (that of step ``a``);
    * ``("drop", a, a)``: pop the newest snapshot;
    * ``("reverse", a, b)``: run steps ``a .. b-1`` taped, then their reverse sweep.

    ``forward`` holds the actions before the first reverse (stores and advances up to step
    ``last``, ``n - 1`` with ``tape=1``); the forward sweep runs them, then steps ``last``
    to ``n - 1`` taped, so the loop ends in its final state.  ``reverse`` iterates,
    lazily, over the rest, which the reverse sweep runs after reversing those steps.  The
    steps ``a .. b-1`` with ``b - a <= tape`` are reversed from one tape; longer stretches
    are split where revolve splits their count of ``tape``-step blocks.  Each ``Revolve``
    is walked once.
    """

    def __init__(self, n, snapshots, tape=1):
        if snapshots < 1 or tape < 1:
            raise ValueError("binomial checkpointing needs a snapshot and a step of tape")
        self.n, self.snapshots, self.tape = n, snapshots, tape
        actions = self._actions()
        self.forward = []
        self.last = 0
        for action in actions:
            if action[0] == "reverse":
                self.last = action[1]          # (last, n): the forward sweep's last steps
                break
            self.forward.append(action)
        self.reverse = actions

    def _actions(self):
        """Every action, in order (an explicit stack: no recursion limit)."""
        n = self.n
        if n == 0:
            return
        leaf = self.tape                       # the most steps reversed from one tape
        current = None                         # the step whose state is current, if known
        pending = [("drop", 0, 0), ("treeverse", 0, n, self.snapshots), ("store", 0, 0)]
        while pending:
            task = pending.pop()
            kind, a = task[0], task[1]
            if kind == "restore":
                if current != a:
                    current = a
                    yield task
            elif kind == "treeverse":         # reverse steps a..b-1; a's state is stored
                b, s = task[2], task[3]
                if b - a <= leaf:
                    pending += [("reverse", a, b), ("restore", a, a)]
                elif s == 1:                   # one snapshot: from a to each leaf in turn
                    pending.append(("sequential", a, b))
                else:                          # in leaves: the last one may be shorter
                    m = a + leaf * _split(-(-(b - a) // leaf), s)
                    if b - m <= leaf:          # reversed at once: no snapshot of m needed
                        pending += [("treeverse", a, m, s), ("reverse", m, b),
                                    ("advance", a, m), ("restore", a, a)]
                    else:
                        pending += [("treeverse", a, m, s), ("drop", m, m),
                                    ("treeverse", m, b, s - 1), ("store", m, m),
                                    ("advance", a, m), ("restore", a, a)]
            elif kind == "sequential":        # reverse the last leaf, then the others
                b = task[2]
                c = a + leaf * ((b - a - 1) // leaf)
                if c > a:
                    pending.append(("sequential", a, c))
                pending.append(("reverse", c, b))
                if c > a:
                    pending.append(("advance", a, c))
                pending.append(("restore", a, a))
            else:
                if kind == "advance":
                    current = task[2]
                elif kind == "store":
                    current = a
                elif kind == "reverse":
                    current = None             # the tape's pops left the state half restored
                yield task


@dataclass(frozen=True)
class Report:
    """What a checkpointed gradient costs on a loop of ``n`` steps, against the plain
    tape (which stores one state per step and runs each step once, taped).  The steps
    counted are runs of the loop's body; a snapshot is one copy of the loop's state."""
    schedule: str              # "sqrt" or "binomial"
    limit: int = None          # binomial: the most snapshots stored at once
    tape: int = 1              # binomial: the most steps reversed from one tape

    def snapshots(self, n):
        """The most snapshots stored at once."""
        if self.schedule == "sqrt":
            return -(-n // sqrt_segment(n)) if n else 0
        return min(self.limit, n)

    def tape_steps(self, n):
        """The most steps whose tape is kept at once."""
        return min(sqrt_segment(n), n) if self.schedule == "sqrt" else min(n, self.tape)

    def recomputed(self, n):
        """Steps run untaped on top of the plain tape's ``n`` taped steps (with a tape
        of several steps: counted by walking the schedule)."""
        if self.schedule == "sqrt":
            return n
        if self.tape == 1:
            return revolve_advances(n, self.limit)
        schedule = Revolve(n, self.limit, self.tape)
        return sum(b - a for kind, a, b in schedule.forward + list(schedule.reverse)
                   if kind == "advance")

    def formula(self):
        if self.schedule == "sqrt":
            return "ceil(n/k) snapshots, a tape of k = ceil(sqrt(n)) steps, n steps run again"
        s = self.limit
        if self.tape > 1:
            return (f"at most {s} snapshots, a tape of {self.tape} steps, revolve over "
                    f"blocks of {self.tape} steps")
        return (f"at most {s} snapshots, a tape of 1 step, r*n - C({s}+r, {s}+1) steps run "
                f"again, where C({s}+r-1, {s}) < n <= C({s}+r, {s})")

    def __str__(self):
        return f"checkpoint {self.schedule}: {self.formula()}"
