"""Reverse mode: the forward sweep followed by the reverse sweep, seed-002 style.

Given a ``Program`` in SSA form and its ``Activity``, ``reverse`` produces a ``Listing``:

* the forward sweep: every step of the program, in order, tagged ``(k)``;
* ``d<out> = 1.0``, the seed of the output's adjoint; with ``cotangents=True`` (``vjp``)
  the seeds are instead extra parameters, one per output, named like the outputs'
  adjoints, and every requested gradient is returned in a tuple;
* for each active step, last to first: a ``# backprop <step>`` comment, then for each
  active argument ``a`` one statement ``da = partial * d<target>`` the first time ``da``
  is written and ``da += partial * d<target>`` after that, tagged with the step's ``(k)``;
  the partials come from the rule table;
* ``dp = 0.0`` for a requested parameter that does not reach the output;
* a return of the requested gradients (and the value, for ``value_and_grad``).

The listing is deliberately naive (``1 * dden``, ``dxpy = 2 * xpy ** (2 - 1) * ...``);
``optimize`` folds it.  The adjoint of ``v`` is named ``dv`` unless that name is taken.
"""

import ast
import copy

from .build import Expr, as_node
from .listing import Comment, Line, Listing, accumulate, assign, header
from .modules import ModuleAliases
from .optimize import fold


def reverse(program, activity, *, with_value=False, single=False, name=None, cotangents=False):
    """The gradient ``Listing`` of ``program`` for the parameters in ``activity.wrt``."""
    modules = ModuleAliases(program)
    listing = Listing(name=name or f"grad_{program.name}", origin=program,
                      header=header(program, activity, "vector-Jacobian product" if cotangents else
                                    "value and gradient" if with_value else "gradient"),
                      body=[], returns=None)
    adjoint = _AdjointNames(program, listing)
    for item in program.body:
        listing.body.append(Line(item.statement, item.number) if hasattr(item, "target")
                            else Line(item.stmt))
    written = set()

    def write(atom, value, tag, note=None):
        target = adjoint(atom.id)
        make = accumulate if target in written else assign
        written.add(target)
        listing.body.append(Line(make(target, value.node), tag, note))

    if cotangents:
        seeds = _seed_parameters(program, activity, adjoint, written)
        listing.signature = ast.arguments(
            posonlyargs=[], args=[ast.arg(p) for p in program.params + seeds], vararg=None,
            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        for output, seed in zip(program.outputs, seeds):
            if activity.is_active(output) and adjoint(output.id) != seed:
                write(output, Expr.name(seed), None)
    elif activity.is_active(program.output):
        listing.body.append(Comment("reverse sweep: the output's adjoint starts at 1"))
        write(program.output, Expr(ast.Constant(1.0)), None)
    for step in reversed(program.steps):
        if not (step.target in activity.varied and step.target in activity.useful):
            continue
        listing.body.append(Comment(f"backprop {ast.unparse(step.statement)}"))
        m = modules.namespace_for(step)
        partials = step.rule.partials(m, Expr.name(step.target), *map(Expr, step.args))
        d_target = Expr.name(adjoint(step.target))
        for atom, partial in zip(step.args, partials):
            if activity.is_active(atom):
                write(atom, partial * d_target, step.number, _explain(step, atom, partial))
    for param in activity.wrt:
        if adjoint(param) not in written:
            listing.body.append(Comment(f"{param} does not reach the output"))
            write(ast.Name(param), Expr(ast.Constant(0.0)), None)
    grads = [ast.Name(adjoint(p), ast.Load()) for p in activity.wrt]
    result = grads[0] if single and not cotangents else ast.Tuple(grads, ast.Load())
    listing.returns = ast.Tuple([program.output, result], ast.Load()) if with_value else result
    listing.injected = modules.injected()
    return listing


def _seed_parameters(program, activity, adjoint, written):
    """One cotangent parameter per output: the output's adjoint name itself the first time
    an active output appears (so no copy is needed), a fresh ``d<out>`` otherwise."""
    seeds = []
    for i, output in enumerate(program.outputs):
        if activity.is_active(output) and adjoint(output.id) not in written:
            seeds.append(adjoint(output.id))
            written.add(seeds[-1])
        else:
            base = output.id if isinstance(output, ast.Name) else f"out{i}"
            seeds.append(program.namer.fresh("d" + base))
    return seeds


def _explain(step, atom, partial):
    """``d(1.0 / den)/dden = -1.0 / den ** 2, line 14``: the local partial and its source."""
    value = ast.unparse(step.value)
    return (f"d({value})/d{atom.id} = {ast.unparse(fold(copy.deepcopy(as_node(partial))))}, "
            f"line {step.lineno}")


class _AdjointNames:
    """``dv`` for ``v``; ``d_v`` (then ``d_v_2``...) when ``dv`` is taken."""

    def __init__(self, program, listing):
        self.namer = program.namer
        self.listing = listing
        self.user_names = {p for p in program.params} | {
            s.target for s in program.steps if s.target not in program.temps}

    def __call__(self, name):
        names = self.listing.adjoints
        if name not in names:
            preferred = "d" + name
            if preferred in self.namer.taken:
                preferred = self.namer.fresh("d_" + name)
            names[name] = self.namer.reserve(preferred)
            if name in self.user_names:
                self.listing.kept.add(names[name])
        return names[name]
