"""Arguments that are one object: refused where the function writes into one of them.

The SSA program follows each parameter as its own value, and a write in place into a
parameter (``x *= 2.0`` on an array, ``xs[0] = v``, ``xs.append(v)``) as a new version of
that parameter alone (``aliases.check`` proves no other name of the function sees it).
A caller can still pass one array for two parameters, ``loss(a, a)``, or two views of
one buffer, ``loss(a[:3], a[1:])``: in Python the other parameter sees the write, in the
generated code it does not.  ``guard`` puts at the top of such a function's derivative
one call, ``distinct_arguments(x, y)``, that raises ``ArgumentError`` when an argument
written into in place is another argument, or shares memory with it.  A function that
writes into no parameter gets no call and pays nothing.
"""

import ast
import numbers

import numpy as np

from .errors import ArgumentError
from .listing import Line

CALL = "distinct_arguments"
_IMMUTABLE = (numbers.Number, str, bytes, tuple, frozenset)


def guard(listing):
    """Prepend ``distinct_arguments(<written>, <others>)`` to ``listing`` when its program
    writes into a parameter in place (``program.written_in_place``, set by
    ``aliases.check``), and bind what it calls; otherwise leave the listing as it is."""
    program = listing.origin
    written = [p for p in program.params if p in program.written_in_place]
    kinds = program.kinds
    others = [p for p in program.params if p not in written and (
        kinds is None or p not in kinds or kinds[p].array
        or (kinds[p].shape is None and kinds[p].value is None))]
    if not written or len(written) + len(others) < 2:
        return
    name = program.namer.fresh(CALL)
    params = written + others
    call = ast.Call(ast.Name(name, ast.Load()), [ast.Name(p, ast.Load()) for p in params], [])
    listing.body.insert(0, Line(ast.Expr(call), check=True))     # not in ejected modules
    listing.injected = {**listing.injected, name: _checker(program, written, params)}


def _checker(program, written, params):
    """The function the generated call runs: each argument written into against every
    other argument."""
    steps = {p: program.written_in_place[p] for p in written}

    def distinct_arguments(*values):
        for i, p in enumerate(written):
            for j, q in enumerate(params):
                if j != i and overlap(values[i], values[j]):
                    raise _refusal(program, steps[p], p, q)
    distinct_arguments.s2sdiff_passive = True     # kept as it is in code generated from it
    return distinct_arguments


def overlap(a, b):
    """Whether a write into ``a`` in place changes ``b``: the same mutable object, or two
    NumPy arrays sharing memory (a view of the other, two views of one buffer)."""
    if a is b:
        return not isinstance(a, _IMMUTABLE)
    return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
            and np.may_share_memory(a, b) and np.shares_memory(a, b))


def refuse_shared(name, params, values, written):
    """Raise ``ArgumentError`` when the argument in ``values`` of a parameter in ``written``
    (those ``name`` writes into in place) overlaps another argument: for the entry points
    that copy the arguments before the generated code sees them (``api.vjp``)."""
    for i, p in enumerate(params[:len(values)]):
        if p in written:
            for j, q in enumerate(params[:len(values)]):
                if j != i and overlap(values[i], values[j]):
                    message, hint = _words(name, p, q)
                    raise ArgumentError(message.replace(" here,", ","),
                                        construct=CONSTRUCT, hint=hint)


CONSTRUCT = "aliased arguments"


def _refusal(program, step, written, other):
    message, hint = _words(program.name, written, other, getattr(step, "augmented", False))
    return program.parsed.error(step, message, construct=CONSTRUCT, cls=ArgumentError,
                                hint=hint)


def _words(user, written, other, augmented=False):
    inside = f"`{written} = {written} * 2.0` instead of `{written} *= 2.0`" if augmented \
        else f"`{written} = {written}.copy()` first, `list({written})` for a list"
    return (f"{user} writes into its argument `{written}` in place here, and `{other}` was "
            f"given the same object (or an array sharing its memory): in Python `{other}` "
            f"sees the write, and s2sdiff follows each parameter as its own value",
            f"Pass a copy for one of them (`{user}(a, a.copy())`), or have {user} write "
            f"into a copy of `{written}` ({inside}).")
