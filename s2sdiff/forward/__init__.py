"""Forward mode: every step followed by its tangent, from the same rule table.

Given a ``Program`` in SSA form and its ``Activity``, ``forward`` produces a ``Listing``:

* every step of the program, in order, tagged ``(k)``, each followed, for each direction,
  by one statement ``t(target) = p1 * t(a1) + p2 * t(a2) + ...`` tagged with the same
  ``(k)``; the partials ``p_i`` come from the rule table, the very ones reverse mode
  reads, and ``t(a)`` is the tangent of the argument ``a`` in that direction;
* a name has a tangent in a direction only if it is active there (varied by the
  direction's parameters and reaching the output); an argument without a tangent
  contributes no term, so no ``0 * x`` is ever written (nor folded away);
* a return of the outputs' tangents (for a function returning a tuple, one row per
  output: the Jacobian); an output that does not depend on a direction returns the
  literal ``0.0`` there.

Directions:

* ``jvp=True``: one direction, chosen by the caller.  The tangent of ``v`` is ``v_dot``;
  the tangents of the parameters ``activity.wrt`` are extra parameters ``p_dot`` after
  the user's, and the listing returns ``(out, out_dot)``;
* otherwise one direction per parameter ``p`` of ``activity.wrt`` (one column of the
  Jacobian), all interleaved after each step.  The tangent of ``v`` along ``p`` is
  ``dv_dp``, seeded by ``dp_dp = 1.0``; the derivatives are returned like ``reverse``
  returns gradients (``single``, ``with_value``).

A call of a ``custom_jvp`` wrapper gets its tangents from the user's rule, called visibly
(``calls.custom_tangents``); a ``custom_vjp`` wrapper on an active value is an error.  A
call of the user's function ``g`` calls its generated jvp, which the caller's
``jvp_of(g, wrt)`` gives (the pipeline, run again on the callee); the listing's
``injected`` binds it.
A local partial that several directions need and that is more than a name or a number
is computed once, into ``d<target>_d<arg>`` (``dinvden_dden = -1.0 / den / den``).
A tangent name the function already uses gets ``_2``, ``_3``... (``names.TangentNames``).
The listing is naive (``1 * x_dot``, ``dxpy_dx = 1 * dx_dx``); ``optimize`` folds it.

The package: this module drives the pass (the directions, their seeds, the returned
tangents); ``sweep.py`` writes the program's statements (``primal.py``, as reverse mode
does), each step followed by its tangents; ``calls.py`` the tangents of lists, calls of
the user's functions and custom rules; ``arrays.py`` the tangents of NumPy rows.
"""

import ast

from ..activity import analyze
from ..scalar_inputs import sequence_parameters
from ..listing import Line, Listing, assign, header
from ..names import TangentNames
from ..primal import bound_checks
from .sweep import Sweep


def forward(program, activity, *, jvp_of, jvp=False, with_value=False, single=False,
            name=None):
    """The forward-mode ``Listing`` of ``program`` along ``activity.wrt``; ``jvp_of(func,
    wrt)`` is the generated jvp of a user's function the program calls."""
    kinds = program.kinds     # NumPy code, specialised on shapes
    what = ("value and Jacobian-vector product" if jvp else
            "Jacobian (by columns, forward mode)" if program.returns_tuple else
            "forward-mode derivative")
    listing = Listing(name=name or f"{'jvp' if jvp else 'derivative'}_{program.name}",
                      origin=program, header=header(program, activity, what), body=[],
                      returns=None)
    tangent = TangentNames(program, listing)
    if jvp:
        directions = [(None, activity)]
        params = program.params + [tangent(p, None) for p in activity.wrt]
        written_into = {s.target for s in program.steps if s.mutates}
        for p in activity.wrt:
            if p in written_into and kinds and kinds[p].array:   # never the caller's array
                listing.body.append(Line(assign(tangent(p, None), ast.Call(ast.Attribute(
                    ast.Name(tangent(p, None), ast.Load()), "copy", ast.Load()), [], []))))
        listing.signature = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params],
                                          vararg=None, kwonlyargs=[], kw_defaults=[],
                                          kwarg=None, defaults=[])
    else:
        sequences = sequence_parameters(program)
        for p in activity.wrt:
            if p in sequences:
                raise program.parsed.error(
                    program.parsed.node, f"s2sdiff cannot differentiate {program.name} in forward "
                    f"mode with respect to the list `{p}`: one derivative per element",
                    construct="forward mode over a list parameter",
                    hint=f"Use grad or jacrev (reverse mode), or jvp with a tangent list for {p}.")
        directions = [(p, analyze(program, [p], program.kinds)) for p in activity.wrt]
        for p, _ in directions:
            listing.body.append(Line(assign(tangent(p, p), ast.Constant(1.0))))
    sweep = Sweep(program, directions, tangent, jvp_of, listing.name)
    for direction, facts in directions:
        # a parameter a loop reassigns from another one varies along it from then on; a
        # list parameter appended to (xs.append(x * x)) has a list of zeros as tangent
        seeded = activity.wrt if direction is None else [direction]
        for p in program.params:
            if p not in seeded and facts.is_active(ast.Name(p)):
                zero = ast.Constant(0.0) if program.kinds else sweep.zero_of(p)
                listing.body.append(Line(assign(tangent(p, direction), zero)))

    # copied on paths where the user never reads it
    listing.body += sweep.unbound_lines(program.unbound)
    listing.body += sweep.lines(program.body)
    listing.body += bound_checks(program, sweep.modules)

    def tangent_of(output, direction, facts):
        if facts.is_active(output):
            return ast.Name(tangent(output.id, direction), ast.Load())
        return ast.Constant(0.0)

    def packed(values):
        return ast.Tuple(values, ast.Load()) if program.returns_tuple else values[0]

    if jvp:
        facts = directions[0][1]
        listing.returns = ast.Tuple([packed(program.outputs),
                                     packed([tangent_of(o, None, facts) for o in program.outputs])],
                                    ast.Load())
    else:
        rows = []
        for output in program.outputs:     # one row of the Jacobian per output
            row = [tangent_of(output, d, facts) for d, facts in directions]
            rows.append(row[0] if single else ast.Tuple(row, ast.Load()))
        result = packed(rows)
        listing.returns = ast.Tuple([program.output, result], ast.Load()) if with_value else result
    listing.injected = {**sweep.modules.injected(), **sweep.callees.injected}
    return listing
