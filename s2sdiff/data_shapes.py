"""Values whose shape depends on the data, not on the arguments' shapes, in NumPy code.

NumPy code is generated for the kinds (shapes, dtypes) of its arguments, from a run on
the first call's values (``kinds.infer``).  ``X[X[:, 0] > 0]`` keeps as many rows as the
mask has ``True`` entries, and ``np.nonzero``, ``np.flatnonzero``, ``np.argwhere``,
``np.unique``, ``np.extract``, ``np.compress``, ``np.bincount`` and ``np.where`` with one
argument return as many entries as the data calls for, and a join of a list the function
built (``np.stack(hs)``) has as many as the appends that ran: code generated for one count
would fold that count into what follows (``np.mean``'s ``1 / n``, an adjoint's
broadcast) and be wrong for another.  ``guard`` therefore follows each such value in
the forward sweep with a test of its shape against the one the code was generated for;
on a mismatch the code returns ``specialise_again(shapes, *args)``: the dispatcher's
code for these arguments and these data shapes, generated once per shapes seen
(``dispatch.py``).

The guard reads::

    # the shape of X[m1_2] depends on the data: code is made per shape
    if m1_3.shape != (1, 2):
        return specialise_again([m1_3.shape], X)
"""

import ast

import numpy as np

from .ir import walk_steps
from .joins import held_list
from .listing import Block, Comment, Line, assign
from .liveness import stores

AGAIN = "specialise_again"
_COUNTED = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract, np.compress,
            np.bincount}
_JOINS = {np.stack, np.array, np.asarray, np.concatenate, np.vstack, np.hstack,
          np.column_stack, np.dstack}


def dependent_steps(program):
    """``[(target, shape, its expression)]`` of the steps of ``program`` (with ``kinds``)
    whose value's shape depends on the data, in program order."""
    kinds = program.kinds or {}
    found = []
    for step in walk_steps(program.body):
        kind = kinds.get(step.target)
        if kind is None or not kind.array or step.mutates:
            continue
        if _masks(step, kinds) or _counts(step) or _joins_list(step, kinds):
            found.append((step.target, tuple(kind.shape), ast.unparse(step.value)))
    return found


def _masks(step, kinds):
    """``x[mask]``, ``x[mask, j]``: an index holding a boolean array."""
    if not isinstance(step.value, ast.Subscript):
        return False
    return any(isinstance(n, ast.Name) and n.id in kinds and kinds[n.id].array
               and kinds[n.id].dtype == "b" for n in ast.walk(step.value.slice))


def _joins_list(step, kinds):
    """``np.stack(hs)``, ``np.array(hs)``...: a join of a list the function built, as long
    as the appends that ran (a ``while`` loop's, a branch's)."""
    return step.callee in _JOINS and bool(step.args) and held_list(kinds, step.args[0])


def _counts(step):
    callee = step.callee
    call = step.call if step.call is not None else step.value
    if callee is np.where:
        return isinstance(call, ast.Call) and len(call.args) == 1
    return callee in _COUNTED


def guard(listing, shapes, params, again=AGAIN, fresh=None):
    """Insert after the forward statement of each ``(target, shape, _)`` of ``shapes`` the
    test of its shape; ``params``: the generated function's parameters, passed on to
    ``again`` (the name the dispatcher's ``specialise_again`` is bound to) as the caller
    gave them: a parameter the function rebinds (``while x < 5.0: x = 1.5 * x``) is kept
    first under a name of its own (``fresh``), ``x_argument = x``."""
    stored = _stored(listing.body, set())
    kept = {p: fresh(f"{p}_argument") for p in params if p in stored and fresh is not None}
    listing.body[0:0] = [Line(assign(name, ast.Name(p, ast.Load()))) for p, name in kept.items()]
    params = [kept.get(p, p) for p in params]
    for k, (target, shape, spelled) in enumerate(shapes):
        seen = [ast.Constant(s) for _, s, _ in shapes[:k]]
        observed = ast.Attribute(ast.Name(target, ast.Load()), "shape", ast.Load())
        test = ast.Compare(observed, [ast.NotEq()], [ast.Constant(shape)])
        back = ast.Return(ast.Call(ast.Name(again, ast.Load()),
                                    [ast.List(seen + [observed], ast.Load())]
                                    + [ast.Name(p, ast.Load()) for p in params], []))
        check = Block(ast.If(test, [], []), [Line(back)], [])
        note = Comment(f"the shape of {spelled} depends on the data: code is made per shape")
        _insert_after(listing.body, target, [note, check])


def _stored(items, out):
    """The names the statements of ``items`` (blocks' heads included) bind."""
    for item in items:
        if isinstance(item, Line):
            stores(item.stmt, out)
        elif isinstance(item, Block):
            stores(item.head, out)
            _stored(item.body, out)
            _stored(item.orelse, out)
    return out


def _insert_after(items, target, new):
    for i, item in enumerate(items):
        if isinstance(item, Line) and isinstance(item.stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == target for t in item.stmt.targets):
            items[i + 1:i + 1] = new
            return True
        if isinstance(item, Block) and (_insert_after(item.body, target, new)
                                        or _insert_after(item.orelse, target, new)):
            return True
    return False
