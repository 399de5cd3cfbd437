"""The sweeps of a program with blocks (branches, loops, calls, lists): ``Sweeps``.

``reverse`` runs ``Sweeps.forward`` for the forward sweep and ``Sweeps.backward`` for
the reverse sweep of any program with control flow, scalar or NumPy; every contribution
to an adjoint is written through one ``adjoints.Adjoints`` into the statement list each
method is given, and NumPy steps go to ``arrays.Backprop``.
"""

import ast
import copy
import inspect

from .. import custom, extrema, purity, sorting
from ..build import Expr, unparse, unparser
from ..emit import Later
from ..ir import If, Loop, Step, store_names, walk_items, walk_steps
from ..listing import Block, Comment, Line, assign, copy_items
from ..modules import ModuleAliases
from ..primal import loop_head, loop_unbound_line, primal_lines, step_line
from ..rules import Structural, Syntax
from ..runtime import zeros_like
from . import loops
from .adjoints import Adjoints, Explanation
from .arrays import Backprop


_ARRAY_SETITEM = Syntax("array setitem")


class Sweeps:
    """The forward and reverse sweeps of a program with blocks.

    Invariants of the code it writes:

    * at every point of the reverse sweep each name holds the value it held at the
      matching point of the forward sweep: straight-line code is in SSA form, so nothing
      is overwritten there; a loop pushes on ``tape``, at the start of each iteration,
      the carried values the reverse of that iteration reads (and nothing else), and the
      reverse of the iteration pops them, then recomputes from them the body's values it
      reads (``_recompute``), so values computed inside a loop are never stored;
    * branch decisions are not stored: the condition is a name that keeps its value;
    * only ``self.adjoints`` changes which adjoints hold a value at the current point
      of the reverse sweep, and their shapes (``adjoints.py``): the sweeps ask it
      (``holds``) and keep only its read-only snapshots; a branch where only one arm
      writes an adjoint gets ``d = 0.0`` before it, and each arm starts from the same
      snapshot.
    """

    def __init__(self, program, activity, listing, pullback_of):
        self.program = program
        self.activity = activity
        self.listing = listing
        self.modules = ModuleAliases(program)
        self.residuals = {}
        self.tape = program.namer.fresh("tape")
        self.tape_used = False
        self.plans = {}
        self.blocks = {}             # id(loop) -> {"forward": Block, "reverse": Block}
        self.pullback_of = pullback_of    # (func, wrt) -> its generated pullback
        self.pullbacks = {}          # name -> generated pullback of a called user function
        self.read_in_loops = {a.id for loop in walk_items(program.body) if isinstance(loop, Loop)
                              for s in walk_steps(loop.body) for a in s.args
                              if isinstance(a, ast.Name)}
        self.kinds = program.kinds
        self.text = unparser()       # the text of each step backpropagated, for its comment
        self.adjoints = Adjoints(program, listing, self.modules, plain=True)
        self.adjoints.sequences |= self._passed_sequences()
        self.arrays = None
        if self.kinds is not None:        # NumPy code with blocks: arrays.Backprop, plainly
            self.arrays = Backprop(program, activity, self.adjoints, self.modules)
        self.replayable = set(program.params) | {
            s.target for s in walk_steps(program.body)
            if isinstance(s.rule, Structural) and s.rule.key == Syntax("display")}
        for item in walk_steps(program.body):
            if custom.is_vjp(item) and self.active(item) and loops.inside_block(program.body, item):
                raise program.parsed.error(
                    ast.Expr(item.value, lineno=item.lineno),
                    f"s2sdiff cannot differentiate {program.name}: a custom_vjp function "
                    f"called inside a branch or loop", construct="custom_vjp in a block",
                    hint="Call it outside the branch or loop, or give it a custom_jvp rule.")

    def active(self, step):
        return active_step(step, self.activity)

    # the forward sweep ------------------------------------------------------------

    def forward(self, items, taping):
        """The forward statements of ``items`` (``primal.py``); ``taping``: loops push what
        their reverse reads (the forward sweep proper, and a recomputation inside a reverse
        loop)."""
        return primal_lines(items, lambda step: [forward_step(step, self.activity, self.residuals,
                                                              self.program.namer)],
                            lambda loop: self.forward_loop(loop, taping))

    def forward_loop(self, loop, taping):
        plan = self.plan(loop) if taping else None
        body = self.forward(loop.body, taping=False)
        before = []
        if plan is not None and plan.counter:
            before.append(Line(assign(plan.counter, ast.Constant(0))))
            body.insert(0, Line(ast.AugAssign(ast.Name(plan.counter, ast.Store()), ast.Add(),
                                              ast.Constant(1), lineno=0)))
        # unassigned until an iteration assigns it: copies must not raise, reads must
        before += [loop_unbound_line(self.program, name, self.modules) for name in loop.unbound]
        if plan is not None and plan.pushed:
            self.tape_used = True
            pushed = loops.pack(plan.pushed)
            body.insert(1 if plan.counter else 0, Line(ast.Expr(ast.Call(
                ast.Attribute(ast.Name(self.tape, ast.Load()), "append", ast.Load()),
                [pushed], []))))
        block = self.blocks.setdefault(id(loop), {})["forward"] = Block(loop_head(loop), body)
        return before + [block]

    # planning a loop's reverse ------------------------------------------------------

    def _snapshot(self, name, appended):
        """How a list or array ``name`` the loop mutates is pushed (``loops.Snapshot``)."""
        if self.kinds and name in self.kinds and self.kinds[name].array:
            return loops.Snapshot(name, True)
        if name in appended:
            return loops.Snapshot(name, length=self.program.namer.fresh(f"{name}_length"))
        return loops.Snapshot(name)

    def plan(self, loop):
        """What the reverse of ``loop`` needs: its reverse body, the recomputation, the
        values to push per iteration and whether iterations must be counted."""
        if id(loop) in self.plans:
            return self.plans[id(loop)]
        local = loops.local_names(loop)
        outside = {self.adjoints.name(n) for n in self._adjoint_candidates(loop) if n not in local}
        with self.adjoints.assuming(outside):
            if self.arrays is not None:       # written before the loop by then, full-shaped
                for name in outside:
                    primal = self.adjoints.name.primal(name)
                    if primal in self.kinds and self.kinds[primal].array:
                        self.adjoints.fresh_zero(name, primal)
            reverse_body = self.backward(loop.body)
            unwritten_carried = [c for c in loop.carried if self.adjoints.name(c) in outside
                                 and not self.adjoints.holds(self.adjoints.name(c))
                                 and self._has_adjoint(c)]
            elements_written = {e for e, _ in self._active_sequences(loop)
                                if self.adjoints.holds(self.adjoints.name(e))}
        touched = loops.adjoints_in(reverse_body, outside)       # adjoint names all
        counter = None
        exits = loop.exits or loop.kind == "while" or not loops.replayable(loop, self.replayable)
        reverse_reads = loops.loads(reverse_body)
        if reverse_body or unwritten_carried:
            if exits:
                counter = self.program.namer.fresh("trips")
            recompute = loops.prune(loops.without_carried_writes(self.forward(loop.body, taping=True),
                                                       loop.carried), reverse_reads)
            loops.refuse_redrawn(self.program, loop, recompute)
        else:
            recompute = []
        recomputed_reads = set(loops.loads(recompute))
        reads = set(reverse_reads) | recomputed_reads
        entry = list(loop.carried) + (store_names(loop.target) if exits else [])
        mutated = [s.target for s in walk_steps(loop.body) if s.mutates and s.target not in local]
        appended = loops.appended_only(self.program) if mutated else set()
        pushed = [n for n in entry if n in reads] + [
            self._snapshot(n, appended) for n in dict.fromkeys(mutated)
            if n in recomputed_reads or n in self.read_in_loops]
        sequences = self._active_sequences(loop)
        plan = loops.Plan(reverse_body, recompute, pushed, counter, elements_written,
                     self.adjoints.name.in_order(touched)
                     + [self.adjoints.name(c) for c in unwritten_carried],
                     unwritten_carried, sequences)
        self.plans[id(loop)] = plan
        return plan

    def _adjoint_candidates(self, loop):
        names = []
        for step in walk_steps(loop.body):
            names += [a.id for a in step.args if isinstance(a, ast.Name)]
        for item in walk_items(loop.body):
            if isinstance(item, Loop) and isinstance(item.iterable, (ast.Name, ast.Call)):
                names += [n.id for n in ast.walk(item.iterable) if isinstance(n, ast.Name)]
        names += list(loop.carried)
        names += [n.id for n in ast.walk(loop.iterable) if isinstance(n, ast.Name)] \
            if loop.iterable is not None else []
        return [n for n in dict.fromkeys(names) if self._has_adjoint(n)]

    def _has_adjoint(self, name):
        return name in self.activity.varied and name in self.activity.useful

    def _active_sequences(self, loop):
        """(element name, sequence name) for each loop element whose sequence is active."""
        pairs = loops.elements(loop)
        if pairs is None:
            return []
        return [(e, q) for e, q in pairs if self._has_adjoint(q)]

    # the reverse sweep ------------------------------------------------------------

    def backward(self, items):
        out = []
        varied, useful = self.activity.varied, self.activity.useful
        for item in reversed(items):
            cls = item.__class__
            if cls is Step and item.rule is not None and item.rule.key == _ARRAY_SETITEM:
                self.arrays.set_item(item, self.active(item), out)
            elif cls is Step:
                # active_step, then Activity.is_active of each argument, spelled out
                if item.target in varied and item.target in useful and (
                        item.store is not None or any(
                            a.__class__ is ast.Name and a.id in varied and a.id in useful
                            for a in item.args)):
                    self.backprop(item, out)
                elif not item.mutates:
                    self.adjoints.forget(self.adjoints.name.get(item.target))
                elif item.saved is not None and item.rule.key == Syntax("setitem"):
                    _restore(item, item.args[1], out)
                elif item.rule.key == Syntax("append"):
                    _unappend(item, out)
            elif cls is If:
                out += self.backward_if(item)
            elif cls is Loop:
                out += self.backward_loop(item)
        return out

    def backward_if(self, item):
        before = self.adjoints.snapshot()
        # Both arms run again from the adjoints either of them wrote until they agree: an
        # adjoint may be written only once another exists (dw once dws does), so this can
        # take more than two rounds; `start` grows every round, so it ends.
        shapes = self.adjoints.shape_snapshot() if self.arrays is not None else None
        while True:
            start = self.adjoints.snapshot()
            then = self.backward(item.body)
            after_then = self.adjoints.snapshot()
            self.adjoints.restore(start)
            then_shapes = self._reset_shapes(shapes)
            orelse = self.backward(item.orelse)
            after_else = self.adjoints.snapshot()
            else_shapes = self._reset_shapes(shapes)
            one_sided = sorted(((after_then ^ after_else) - start))
            if not one_sided:
                break
            self.adjoints.restore(start | set(one_sided))
        if self.arrays is not None:
            self._same_shapes([(then, then_shapes, after_then), (orelse, else_shapes, after_else)])
        # an adjoint one arm consumed (the arm assigns its name: a loop's carried name
        # before `continue`) and the other kept must be zero after the first arm (so
        # that both arms leave it holding a value, as merge_arms records)
        for arm, after, other in ((then, after_then, after_else), (orelse, after_else, after_then)):
            for name in sorted((other - after) & start):
                arm.append(Line(assign(name, self.adjoints.zero(self.adjoints.name.primal(name)))))
        self.adjoints.merge_arms(after_then, after_else)
        if not then and not orelse:
            return []
        inits = [Line(assign(d, self.adjoints.zero(self.adjoints.name.primal(d)))) for d in sorted(start - before)]
        head = ast.If(item.test, [], [])
        if not then:
            head = ast.If(ast.UnaryOp(ast.Not(), copy.deepcopy(item.test)), [], [])
            then, orelse = orelse, []
        return inits + [Block(head, then, orelse)]

    def _reset_shapes(self, shapes):
        """The adjoints' shapes an arm left (arrays.Backprop), reset to ``shapes``."""
        if self.arrays is None:
            return None
        left = self.adjoints.shape_snapshot()
        self.adjoints.restore_shapes(shapes)
        return left

    def _same_shapes(self, arms):
        """An adjoint that leaves the arms of an ``if`` with different shapes (a lazy
        ``dy = 1.0`` in one, a full array in the other) gets its full shape in every arm,
        so that the code after the ``if`` knows its shape."""
        names = sorted({n for _, shapes, _ in arms for n in shapes})
        merged = dict(arms[0][1])
        for name in names:
            if len({shapes.get(name) for _, shapes, _ in arms}) == 1 \
                    or name not in self.listing.derivative_names:
                continue
            primal = self.adjoints.name.primal(name)
            kind = self.kinds.get(primal)
            if kind is None or kind.shape is None:
                continue
            full = tuple(kind.shape)
            for out, shapes, written in arms:
                # no shape: the arm did not write it, it holds the zero made before the
                # `if` (full-shaped for an array: ``Adjoints.zero``)
                if name in written and shapes.get(name) not in (None, full):
                    self.adjoints.restore_shapes(shapes)      # as that arm left them
                    self.adjoints.materialize(primal, full, out)
            merged[name] = full
        self.adjoints.restore_shapes(merged)

    def backward_loop(self, loop):
        plan = self.plan(loop)
        if not plan.reverse_body and not plan.unwritten_carried:
            return []
        out = []
        for name in plan.adjoints:
            primal = self.adjoints.name.primal(name)
            if not self.adjoints.holds(name):
                out.append(Line(assign(name, self.adjoints.zero(primal))))
                self.adjoints.mark_held(name)
            elif self.arrays is not None and primal in self.kinds and self.kinds[primal].array:
                # the loop adds into it in place: a full-shaped array of its own first
                full = ast.BinOp(ast.Name(name, ast.Load()), ast.Add(), self.adjoints.zero(primal))
                out.append(Line(assign(name, full)))
        body = []
        if plan.pushed:
            body.append(Line(ast.Assign([loops.pack(plan.pushed, ast.Store())], ast.Call(
                ast.Attribute(ast.Name(self.tape, ast.Load()), "pop", ast.Load()), [], []),
                lineno=0)))
            body += loops.truncations(plan.pushed)
        body += plan.recompute
        body += copy_items(plan.reverse_body)
        for carried in plan.unwritten_carried:
            body.append(Line(assign(self.adjoints.name(carried), self.adjoints.zero(carried))))
        index = None
        if plan.sequences:
            index = self.program.namer.fresh("k")
            for element, sequence in plan.sequences:
                if self._has_adjoint(element) and element in plan.elements_written:
                    body.append(Line(ast.AugAssign(
                        ast.Subscript(ast.Name(self.adjoints.name(sequence), ast.Load()),
                                      ast.Name(index, ast.Load()), ast.Store()),
                        ast.Add(), ast.Name(self.adjoints.name(element), ast.Load()), lineno=0)))
            for _, sequence in plan.sequences:
                if not self.adjoints.holds(self.adjoints.name(sequence)):
                    out.append(Line(assign(self.adjoints.name(sequence), self.adjoints.zero(sequence))))
                    self.adjoints.mark_held(self.adjoints.name(sequence))
                elif self.arrays is not None and getattr(self.kinds.get(sequence), "array", False):
                    # `dx[k] += dv` needs all of dx, its own (not `dx = 1.0` of np.sum(x))
                    self.adjoints.materialize(sequence, self.kinds[sequence].shape, out, True)
        out.append(Block(loops.reverse_head(loop, plan, index), body))
        self.blocks.setdefault(id(loop), {})["reverse"] = out[-1]
        return out

    def backprop(self, step, out):
        adjoints = self.adjoints
        d_name = adjoints.name(step.target)
        if not adjoints.holds(d_name) and step.store is None:
            return        # nothing after it on this path reads the value: its adjoint is 0
        if step.rule is None and step.custom is None and not step.differentiable:
            adjoints.forget(d_name)
            return        # `c = a < b` in one arm, `c = a + b` in the other: a constant here
        out.append(Comment(f"backprop {statement_text(step, self.text)}"))
        d_target = Expr.name(d_name)
        if step.custom is not None:          # the user's rule, called visibly (custom.py)
            backprop_custom(step, self.activity, d_target, self.residuals.get(step.target),
                            adjoints, out, self.program.namer)
            adjoints.forget(d_name)
            return
        if isinstance(step.rule, Structural):
            self.backprop_structure(step, d_target, out)
            return
        if self.arrays is not None:
            before = len(out)
            own = self.arrays.step(step, out)
            if len(out) == before and not own:   # nothing to write (X.T of a Gram product)
                out.pop()
            self.adjoints.forget(self.adjoints.name(step.target))
            if own:                # s = s + t: the new s's adjoint gives the old s's
                atom, total, shape, explanation = own[0]
                for _, value, _, _ in own[1:]:
                    total = ast.BinOp(total, ast.Add(), value)
                self.adjoints.write(atom, Expr(total), out, step.number, explanation,
                                    shape if len(own) == 1 else None)
            return
        partials = self.modules.partials(step, self.modules.namespace_for(step))
        own = []                   # s = s * y in a loop: the new s's adjoint feeds the old s's
        varied, useful = self.activity.varied, self.activity.useful
        for atom, partial in zip(step.args, partials):
            if atom.__class__ is not ast.Name or atom.id not in varied or atom.id not in useful:
                continue           # not active (Activity.is_active)
            if atom.id == step.target:
                own.append(partial)
                continue
            adjoints.write(atom, partial * d_target, out, step.number,
                           Explanation(step, atom, partial))
        adjoints.forget(d_name)
        if own:
            total = own[0] * d_target
            for partial in own[1:]:
                total = total + partial * d_target
            self.adjoints.write(step.args[[a.id if isinstance(a, ast.Name) else None
                                           for a in step.args].index(step.target)],
                                total, out, step.number,
                                Explanation(step, ast.Name(step.target), own[0]))


def _backprop_structure(self, step, d_target, out):
    """Adjoints of moving values: an element's adjoint is the sequence adjoint's entry."""
    key = step.rule.key
    d_name = d_target.node.id
    if key == Syntax("getitem"):
        sequence, index = step.args
        if self.activity.is_active(sequence):
            self.adjoints.write(sequence, d_target, out, step.number,
                                f"indexing, line {step.lineno}", index=index)
        self.adjoints.forget(d_name)
    elif key == Syntax("display"):
        if self.adjoints.holds(d_name):
            for i, element in enumerate(step.args):
                if self.activity.is_active(element):
                    self.adjoints.write(element, Expr(ast.Subscript(
                        ast.Name(d_name, ast.Load()), ast.Constant(i), ast.Load())), out, step.number)
        self.adjoints.forget(d_name)
    elif key == Syntax("setitem"):
        _, index, element = step.args
        if not self.adjoints.holds(d_name):
            _restore(step, index, out)
            return                    # nothing read the sequence after this assignment
        entry = ast.Subscript(ast.Name(d_name, ast.Load()), copy.deepcopy(index), ast.Load())
        if self.activity.is_active(element):
            self.adjoints.write(element, Expr(entry), out, step.number)
        zero = ast.Constant(0.0)
        if isinstance(element, ast.Name) and element.id in self.adjoints.sequences \
                and step.saved is not None:      # a row of a list of lists: its zeros,
            zero = ast.Subscript(ast.Call(     # which add entry by entry, as zeros_like's rows
                ast.Name(self.adjoints.modules.helper(zeros_like), ast.Load()),
                [ast.List([ast.Name(step.saved, ast.Load())], ast.Load())], []),
                ast.Constant(0), ast.Load())
        out.append(Line(ast.Assign([ast.Subscript(ast.Name(d_name, ast.Load()),
                                                  copy.deepcopy(index), ast.Store())],
                                   zero, lineno=0), step.number,
                        "the overwritten element no longer reaches the output"))
        _restore(step, index, out)
    elif key == Syntax("call"):
        self.backprop_call(step, d_target, out)
    elif key in extrema.FORMS:
        extrema.backprop(self, step, d_target, out)
    elif key == sorting.KEY:
        sorting.backprop(self, step, d_target, out)
    elif key == Syntax("append"):
        _, element = step.args
        if not self.adjoints.holds(d_name):
            out.append(Line(assign(d_name, self.adjoints.zero(step.target))))
            self.adjoints.mark_held(d_name)
        popped = ast.Call(ast.Attribute(ast.Name(d_name, ast.Load()), "pop", ast.Load()), [], [])
        if self.activity.is_active(element):
            self.adjoints.write(element, Expr(popped), out, step.number)
        else:
            out.append(Line(ast.Expr(popped), step.number))
        _unappend(step, out)


def _backprop_call(self, step, d_target, out):
    """``t = g(x, y)``: ``dx += pullback_g(x, y, dt)``, the pullback generated from ``g``."""
    params = list(inspect.signature(step.callee).parameters)
    active = [self.activity.is_active(a) for a in step.args]
    wrt = [p for p, a in zip(params, active) if a]
    if not wrt:
        self.adjoints.forget(d_target.node.id)
        return
    purity.refuse_drawing_helper(self.program, step, "pullback")
    pullback = self.pullback_of(step.callee, wrt)
    name = next((n for n, f in self.pullbacks.items() if f is pullback), None)
    if name is None:
        base = getattr(step.callee, "__name__", "f")
        name = self.program.namer.fresh(f"pullback_{base}" if base.isidentifier() else "pullback")
        if name == self.listing.name and not isinstance(pullback, Later):
            name = self.program.namer.fresh(name)   # another pullback of this function
        self.pullbacks[name] = pullback
    seed = copy.deepcopy(d_target.node)
    if getattr(pullback, "__s2sdiff_outputs__", None):       # one cotangent per entry
        seed = ast.Starred(seed, ast.Load())
    call = ast.Call(ast.Name(name, ast.Load()), [copy.deepcopy(a) for a in step.args] + [seed], [])
    note = f"generated pullback of {ast.unparse(step.value.func)}, line {step.lineno}"
    self.adjoints.forget(d_target.node.id)
    atoms = [a for a, is_active in zip(step.args, active) if is_active]
    if len(atoms) == 1:
        self.adjoints.write(atoms[0], Expr(call), out, step.number, note)
        return
    names, later = [], []
    for atom in atoms:
        adjoint = self.adjoints.name(atom.id)
        if not self.adjoints.holds(adjoint) and adjoint not in names:
            names.append(adjoint)
        else:
            names.append(self.program.namer.fresh(adjoint + "_c"))
            later.append((atom, names[-1]))
    out.append(Line(ast.Assign([ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())],
                               call, lineno=0), step.number, note))
    self.adjoints.mark_held(*(n for n in names if n not in [m for _, m in later]))
    for atom, value in later:
        self.adjoints.write(atom, Expr.name(value), out, step.number, note)


def _unappend(step, out):
    """``v.pop()``: the list is as long as it was before ``v.append(e)`` again, for the
    reverse sweep of earlier statements (a loop over ``v`` sees the elements it saw)."""
    container = step.statement.value.func.value
    out.append(Line(ast.Expr(ast.Call(ast.Attribute(copy.deepcopy(container), "pop", ast.Load()),
                                      [], [])), step.number))


def _restore(step, index, out):
    """``v[i] = v_saved``: the list holds what it held before the assignment again."""
    container = step.store.targets[0].value
    out.append(Line(ast.Assign([ast.Subscript(copy.deepcopy(container), copy.deepcopy(index),
                                              ast.Store())],
                               ast.Name(step.saved, ast.Load()), lineno=0), step.number))


def _passed_sequences(self):
    """Names passed to a user function whose pullback returns their adjoint as a list
    (the function indexes or iterates that parameter): theirs is then a list too, added
    entry by entry (``+=`` would join two lists) and zero as ``zeros_like``."""
    names = set()
    for step in walk_steps(self.program.body):
        if not (isinstance(step.rule, Structural) and step.rule.key == Syntax("call")) \
                or not active_step(step, self.activity):
            continue
        active = [isinstance(a, ast.Name) and self.activity.is_active(a) for a in step.args]
        if not any(active):
            continue
        params = list(inspect.signature(step.callee).parameters)
        pullback = self.pullback_of(step.callee, [p for p, a in zip(params, active) if a])
        # none known of NumPy code (a dispatcher) or of a recursive call (not built yet)
        taken = getattr(pullback, "__s2sdiff_sequences__", ())
        names.update(a.id for p, a, is_active in zip(params, step.args, active)
                     if is_active and p in taken)
    return names


Sweeps._passed_sequences = _passed_sequences
Sweeps.backprop_structure = _backprop_structure
Sweeps.backprop_call = _backprop_call


def statement_text(step, text=unparse):
    """``unparse(step.statement)``, without building the statement of an assignment: its
    text is the target, `` = `` and the text of its value; ``text``: ``unparse``, or a
    writer of ``build.unparser``."""
    if step.store is not None:
        return text(step.store)
    return f"{step.target} = {text(step.value)}"


def active_step(step, activity):
    return step.target in activity.varied and step.target in activity.useful


def forward_step(step, activity, residuals, namer):
    """The forward statement of ``step``: the step itself, or for a custom_vjp call on an
    active value ``t, t_res = f.fwd(...)``, its residuals' name recorded in ``residuals``."""
    if custom.is_vjp(step) and active_step(step, activity):
        residuals[step.target] = namer.fresh(f"{step.target}_res")
        return Line(custom.vjp_forward(step, residuals[step.target]), step.number)
    return step_line(step)


def backprop_custom(step, activity, d_target, residual, adjoints, out, namer):
    """The reverse statements of a call of a custom rule (see ``custom.py``), appended to ``out``.

    custom_jvp: one contribution per active argument, written like any other.
    custom_vjp: one ``f.bwd(residuals, d<target>)`` call; with one active argument its
    cotangent is written like any other (``dx = f.bwd(t_res, dt)[0]``), with several they
    are unpacked, straight into ``dx`` when it is written first and into ``dx_c`` (then
    ``dx += dx_c``) when it already holds a contribution; other positions go to ``_``.
    """
    active = [activity.is_active(atom) for atom in step.args]
    member = "bwd" if custom.is_vjp(step) else "jvps" if custom.uses_jvps(step) else "jvp"
    note = f"custom rule {custom.spelled(step)}.{member}, line {step.lineno}"
    if not custom.is_vjp(step):
        seeds = [copy.deepcopy(d_target.node) if a else None for a in active]
        for atom, term in zip(step.args, custom.linear_terms(step, seeds)):
            if term is not None:
                adjoints.write(atom, Expr(term), out, step.number, note)
        return
    cotangents = custom.vjp_backward(step, residual, d_target.node)
    if sum(active) == 1:
        i = active.index(True)
        adjoints.write(step.args[i], Expr(ast.Subscript(cotangents, ast.Constant(i), ast.Load())),
                       out, step.number, note)
        return
    names, direct, later = [], set(), []
    for atom, is_active in zip(step.args, active):
        if not is_active:
            names.append(namer.discard())
        elif not adjoints.holds(adjoints.name(atom.id)) \
                and adjoints.name(atom.id) not in direct:
            names.append(adjoints.name(atom.id))
            direct.add(names[-1])
        else:
            names.append(namer.fresh(adjoints.name(atom.id) + "_c"))
            later.append((atom, names[-1]))
    out.append(Line(custom.unpack(names, cotangents), step.number, note))
    adjoints.mark_held(*direct)
    for atom, name in later:
        adjoints.write(atom, Expr.name(name), out, step.number, note)
