"""Checkpointing: the reverse of a long loop without a tape entry per step.

``grad(f, checkpoint="sqrt")`` or ``checkpoint=("binomial", s)`` rewrites, after
``optimize``, each loop at the top level of ``f``'s body that pushes values on the tape.
The loop's own generated code is kept as it is, in three forms: its forward body without
the push (``untaped``), its forward body with it (``taped``), and its reverse body.  Only
the driving loops around them change:

* ``"sqrt"``: the forward sweep runs the loop in segments of ``k = ceil(sqrt(n))`` steps
  and stores the loop's state (its carried names) in ``snapshots`` at the start of each;
  the reverse sweep takes the segments last to first: it restores the segment's snapshot,
  runs the segment again taped, then its reverse sweep.  At most ``ceil(n/k)`` snapshots
  and ``k`` steps of tape are held at once; each step runs once more than with the tape.
* ``("binomial", s)``: a driver walks the actions of ``schedules.Revolve`` (store,
  advance, restore, drop, reverse), at most ``s`` snapshots and one step of tape, with
  the fewest steps run again that ``s`` snapshots allow; ``("binomial", s, k)``: the
  same over blocks of ``k`` steps, each reversed from a tape of ``k`` steps.

Guarantees: the gradient is the plain tape's (each step's reverse body runs from the same
state, in the same order); loops the schedule cannot drive are refused at generation time
(``UnsupportedError`` with the loop's line): a ``while`` loop, a ``for`` loop over anything
but ``range(...)``, a loop with ``break`` or ``return``, a loop that writes into a list or
array in place, a loop inside a branch; and ``checkpoint=`` on a function without a loop.
A loop that stores nothing per step is left as it is.
"""

import ast
import copy

from .. import purity
from ..build import unparse
from ..ir import If, Loop, walk_items, walk_steps
from ..listing import Block, Comment, Line
from .schedules import Report, Revolve, sqrt_segment


def apply(listing, spec):
    """Rewrite ``listing`` (reverse mode, optimised) in place for the checkpoint ``spec``
    (``schedules.spec``); returns its ``schedules.Report``."""
    program = listing.origin
    refuse_unsupported(program, listing.loops)
    report = Report(*spec)
    rewritten = []
    for loop, plan, blocks in listing.loops:
        if plan is None or not plan.pushed or "forward" not in blocks \
                or "reverse" not in blocks:
            continue                       # stores nothing per step: nothing to bound
        _Rewrite(listing, loop, blocks, report).run()
        rewritten.append(loop)
    for loop in rewritten:
        listing.header.append(f"checkpoint={_spelled(report)} on the loop of line "
                              f"{loop.lineno}: {report.formula()}")
    if not rewritten:
        listing.header.append(f"checkpoint={_spelled(report)}: no loop stores values per "
                              f"step, nothing to checkpoint")
    return report


def _spelled(report):
    if report.schedule == "sqrt":
        return '"sqrt"'
    tape = f", {report.tape}" if report.tape > 1 else ""
    return f'("binomial", {report.limit}{tape})'


def refuse_unsupported(program, top_loops):
    """An ``UnsupportedError`` for a function without loops, a loop in a branch, or a top
    level loop that stores values per step and that the schedule cannot drive."""
    loops = [item for item in walk_items(program.body) if isinstance(item, Loop)]
    if not loops:
        raise _error(program, program.parsed.node, "it has no loop to checkpoint",
                     "checkpoint= on a function without a loop",
                     "Leave out checkpoint=: without a loop the gradient keeps no tape.")
    for item in program.body:
        if isinstance(item, If):
            for inner in walk_items(item.body + item.orelse):
                if isinstance(inner, Loop):
                    raise _error(program, inner, "checkpoint= drives loops at the top "
                                 "level of the function, and this loop is inside a branch",
                                 "checkpointed loop inside a branch",
                                 "Move the loop out of the if (compute both cases, or put "
                                 "the branch inside the loop), or leave out checkpoint=.")
    for loop, plan, _ in top_loops:
        purity.refuse_redrawn(program, walk_steps(loop.body),
                              "checkpoint= runs the loop's steps again from its snapshots",
                              "Draw the numbers before the loop (`noise = rng.normal(size=n)`) "
                              "and read `noise[i]` in it, or leave out checkpoint=.")
        if plan is None or not plan.pushed:
            continue
        if loop.kind != "for" or not _is_range(loop.iterable):
            what = "a while loop" if loop.kind == "while" else "a for loop over " \
                f"`{program.spelled(loop.iterable)}`"
            raise _error(program, loop, f"checkpoint= needs the number of steps before the "
                         f"loop starts, and this is {what}",
                         f"checkpointed {loop.kind} loop",
                         "Write the loop as `for i in range(n):` (index the sequence inside "
                         "it), or leave out checkpoint=.")
        if loop.exits or plan.counter:
            raise _error(program, loop, "checkpoint= needs a loop that runs all of its "
                         "steps, and this one may stop early (break or return)",
                         "checkpointed loop with break",
                         "Run every step and keep the state unchanged in the steps after "
                         "the stop (x = x if done else new_x), or leave out checkpoint=.")
        written = [s.target for s in walk_steps(loop.body) if s.mutates]
        if written:
            raise _error(program, loop, f"checkpoint= restores the loop's state from "
                         f"snapshots of its names, and this loop writes into "
                         f"`{program.user_names.get(written[0], written[0])}` in place",
                         "checkpointed loop writing in place",
                         "Rebind the state each step (x = x + ..., np.concatenate, "
                         "np.where) instead of writing into it, or leave out checkpoint=.")


def _is_range(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == "range"


def _error(program, node, why, construct, hint):
    return program.parsed.error(node, f"s2sdiff cannot checkpoint {program.name}: {why}",
                                construct=construct, hint=hint)


def _stmt(text):
    return ast.parse(text).body[0]


def _head(text):
    """The head of ``text``, a compound statement written with ``pass`` as its body."""
    return _stmt(text + "\n    pass")


class _Rewrite:
    """The rewrite of one loop: its forward block and its reverse block replaced by the
    schedule's driving loops around the loop's own generated bodies."""

    def __init__(self, listing, loop, blocks, report):
        self.listing, self.loop, self.report = listing, loop, report
        self.forward, self.backward = blocks["forward"], blocks["reverse"]
        namer = listing.origin.namer
        self.steps, self.snapshots, self.start = (namer.fresh(n) for n in
                                                  ("steps", "snapshots", "start"))
        self.namer = namer
        self.target = unparse(self.forward.head.target)
        self.state = ", ".join(loop.carried)
        self.packed = self.state if len(loop.carried) == 1 else f"({self.state})"
        self.taped = self.forward.body
        self.untaped = [item for item in self.taped if not _is_push(item, listing.tape)]
        reverse_iter = self.backward.head.iter
        if not (isinstance(reverse_iter, ast.Call) and getattr(reverse_iter.func, "id", None)
                == "reversed" and unparse(self.backward.head.target) == self.target):
            raise AssertionError("checkpoint: a range loop's reverse runs over reversed(range)")

    def run(self):
        if self.report.schedule == "sqrt":
            forward, backward = self._sqrt()
        else:
            forward, backward = self._binomial()
        _replace(self.listing.body, self.forward, forward)
        _replace(self.listing.body, self.backward, backward)

    def _loop(self, steps, body):
        return Block(_head(f"for {self.target} in {steps}:"), copy.deepcopy(body))

    def _store(self):
        return Line(_stmt(f"{self.snapshots}.append({self.packed})"))

    def _segment(self, steps):
        """The steps ``steps`` run again taped, then their reverse sweep."""
        return [self._loop(steps, self.taped),
                self._loop(f"reversed({steps})", self.backward.body)]

    def _sqrt(self):
        segment = self.namer.fresh("segment")
        helper = self._inject("sqrt_segment", sqrt_segment)
        segments = f"range(0, len({self.steps}), {segment})"
        piece = f"{self.steps}[{self.start}:{self.start} + {segment}]"
        forward = [
            Comment(f"sqrt checkpointing: no tape, a snapshot of ({self.state}) every "
                    f"{segment} = ceil(sqrt(n)) steps"),
            Line(_stmt(f"{self.steps} = {unparse(self.loop.iterable)}")),
            Line(_stmt(f"{segment} = {helper}(len({self.steps}))")),
            Line(_stmt(f"{self.snapshots} = []")),
            Block(_head(f"for {self.start} in {segments}:"),
                  [self._store(), self._loop(piece, self.untaped)])]
        backward = [
            Comment("sqrt checkpointing: each segment, last to first, run again taped from "
                    "its snapshot, then reversed"),
            Block(_head(f"for {self.start} in reversed({segments}):"),
                  [Line(_stmt(f"{self.state} = {self.snapshots}.pop()"))]
                  + self._segment(piece))]
        return forward, backward

    def _binomial(self):
        schedule, action, stop = (self.namer.fresh(n) for n in ("schedule", "action", "stop"))
        helper = self._inject("revolve", Revolve)
        limit, tape = self.report.limit, self.report.tape
        piece = f"{self.steps}[{self.start}:{stop}]"
        last = f"{self.steps}[{schedule}.last:]"
        walk = f"for {action}, {self.start}, {stop} in {schedule}.%s:"
        advance = self._loop(piece, self.untaped)
        forward = [
            Comment(f"binomial checkpointing (revolve): at most {limit} snapshots of "
                    f"({self.state}), a tape of {tape} step{'s' * (tape > 1)}"),
            Line(_stmt(f"{self.steps} = {unparse(self.loop.iterable)}")),
            Line(_stmt(f"{schedule} = {helper}(len({self.steps}), {limit}"
                       + (f", {tape})" if tape > 1 else ")"))),
            Line(_stmt(f"{self.snapshots} = []")),
            Block(_head(walk % "forward"), [
                Block(_head(f"if {action} == 'store':"), [self._store()],
                      [Comment("'advance': steps start..stop-1, untaped"), advance])]),
            Comment("the last steps, taped: the reverse sweep starts with them"),
            self._loop(last, self.taped)]
        arms = [("advance", [copy.deepcopy(advance)]), ("store", [self._store()]),
                ("restore", [Line(_stmt(f"{self.state} = {self.snapshots}[-1]"))]),
                ("drop", [Line(_stmt(f"{self.snapshots}.pop()"))])]
        chain = [Comment("'reverse': steps start..stop-1 run again taped, then reversed")] \
            + self._segment(piece)
        for name, body in reversed(arms):
            chain = [Block(_head(f"if {action} == {name!r}:"), body, chain)]
        backward = [
            self._loop(f"reversed({last})", self.backward.body),
            Comment("binomial checkpointing: the rest of the schedule"),
            Block(_head(walk % "reverse"), chain)]
        return forward, backward

    def _inject(self, base, value):
        for name, bound in self.listing.injected.items():
            if bound is value:
                return name
        name = self.namer.fresh(base)
        self.listing.injected[name] = value
        return name


def _is_push(item, tape):
    """Whether ``item`` is ``tape.append(...)``."""
    if not isinstance(item, Line) or not isinstance(item.stmt, ast.Expr):
        return False
    call = item.stmt.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
        and call.func.attr == "append" and isinstance(call.func.value, ast.Name) \
        and call.func.value.id == tape


def _replace(body, block, items):
    for k, item in enumerate(body):
        if item is block:
            body[k:k + 1] = items
            return
    raise AssertionError("checkpoint: a top-level loop's block is not at the top level")
