"""Calls whose value differs from one call to the next (random draws, clocks, ``next``:
``draws.py`` tells them apart), refused where generated code would evaluate them again.

Generated reverse-mode code may evaluate a forward statement again: a loop's reverse
recomputes the values of an iteration from what it pushed (``reverse/loops.py``), and
``checkpoint=`` re-runs whole segments of steps (``reverse/checkpoint.py``).  A call that
draws a new random number each time would then differ from the forward's value and the
gradient would silently belong to other draws, so such a call where it would be
evaluated again is refused (``refuse_redrawn``), and so is a call of a helper of yours
that makes one.  A draw outside a loop is evaluated once
and stays allowed: its gradient is the gradient for that draw.

>>> import random, math, numpy as np
>>> [draws_anew(f) for f in (random.gauss, np.random.normal, np.random.default_rng(0).normal,
...                           math.sin, np.sum, len)]
[True, True, True, False, False, False]
"""

import ast
import contextlib
import random
import types
import weakref

import numpy as np

from .draws import _STATEFUL, draws_anew
from .errors import S2SDiffError, UnsupportedError
from .normalize.helpers import _bound_names, _resolve_in, is_helper
from .parse import parse

def calls_a_draw(callee, seen=()):
    """Whether ``callee`` draws anew, or is the user's helper (``normalize.helpers``) that
    calls one, directly or through its own helpers."""
    if draws_anew(callee):
        return True
    if isinstance(callee, types.MethodType):             # MODEL.loss: its function
        callee = callee.__func__
    elif isinstance(callee, type):                       # State(...): its methods may run
        return any(calls_a_draw(m, seen) for m in vars(callee).values()
                   if isinstance(m, types.FunctionType) and is_helper(m))
    elif callable(callee) and not isinstance(callee, types.FunctionType):
        callee = getattr(type(callee), "__call__", None)     # MODEL(x): its __call__
    if not is_helper(callee) or callee in seen:
        return False
    try:
        parsed = parse(callee)
    except S2SDiffError:
        return False
    local = _bound_names(parsed.node)
    return any(isinstance(n, ast.Call)
               and calls_a_draw(_resolve_in(parsed, n.func, local), seen + (callee,))
               for n in ast.walk(parsed.node))


def refuse_redrawn(program, steps, why, hint):
    """An ``UnsupportedError`` at the first of ``steps`` that calls a ``draws_anew``
    function; ``why``: where the code would evaluate it again."""
    for step in steps:
        if step.callee is not None and calls_a_draw(step.callee):
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: `{_spelled(step.value)}` "
                f"gives a new value at each call, and {why}",
                construct="random draw evaluated again", hint=hint)


def _spelled(value):
    """A call as the message quotes it: its function and ``(...)`` (its arguments are the
    normalizer's temporaries), anything else as it is."""
    return f"{ast.unparse(value.func)}(...)" if isinstance(value, ast.Call) \
        else ast.unparse(value)


@contextlib.contextmanager
def draws_undone(program):
    """Run the block (kinds inference runs the function's steps once, ``kinds.infer``) and
    put every random generator ``program`` draws from back in the state it had: the
    generators its steps call methods of, NumPy's global one and Python's ``random``.
    Generating code then leaves the user's draws where they were."""
    callees = [s.callee for s in program.steps if s.callee is not None and draws_anew(s.callee)]
    if not callees:
        yield
        return
    kept = [(owner, _state(owner)) for owner in dict.fromkeys(
        getattr(c, "__self__", None) for c in callees) if isinstance(owner, _STATEFUL)]
    kept += [(np.random.mtrand._rand, np.random.get_state()), (random._inst, random.getstate())]
    try:
        yield
    finally:
        for owner, state in kept:
            _restore(owner, state)


def _state(owner):
    if isinstance(owner, np.random.Generator):
        return owner.bit_generator.state
    if isinstance(owner, np.random.BitGenerator):
        return owner.state
    return owner.get_state() if isinstance(owner, np.random.RandomState) else owner.getstate()


def _restore(owner, state):
    if isinstance(owner, np.random.Generator):
        owner.bit_generator.state = state
    elif isinstance(owner, np.random.BitGenerator):
        owner.state = state
    elif isinstance(owner, np.random.RandomState):
        owner.set_state(state)
    else:
        owner.setstate(state)


def refuse_draws_per_sweep(func, transform):
    """An ``UnsupportedError`` at the first call in ``func`` (the user's function) that
    draws anew, directly or through a helper of yours: ``transform`` (a Jacobian by
    columns or rows, a Hessian) runs the function once per column or row, and each run
    would draw other numbers, so the result would belong to no single draw."""
    func = getattr(func, "__func__", func)          # a bound method: its function
    if not isinstance(func, types.FunctionType) or hasattr(func, "__s2sdiff_origin__"):
        return
    try:
        parsed = parse(func)
    except S2SDiffError:
        return                          # refused with its reason when it is generated
    local = _bound_names(parsed.node)
    # every call, and every other name of a function of yours (`for f in [np.tanh, noisy]`,
    # `act=noisy`), which the code may call under another name
    named = [n for n in parsed.of(ast.Name) if isinstance(n.ctx, ast.Load)
             and n.id not in local and is_helper(parsed.lookup(n.id, None))]
    for node in parsed.of(ast.Call) + named:
        if calls_a_draw(_resolve_in(parsed, node.func if isinstance(node, ast.Call) else node,
                                    local)):
            raise parsed.error(
                node, f"s2sdiff cannot compute the {transform} of {parsed.node.name}: "
                f"`{ast.unparse(node)}` draws random numbers or reads a state that changes "
                f"(itself, or through your helpers or its methods), and the {transform} runs "
                f"{parsed.node.name} once per column or row, each with other draws",
                construct="random draw in a Jacobian or Hessian",
                hint="Draw the numbers once, outside the function, and pass them in (or read "
                     "them from a module-level array); grad, vjp and hvp evaluate a draw "
                     "outside loops once.")


def refuse_drawing_helper(program, step, derivative):
    """An ``UnsupportedError`` when ``step`` calls a helper of yours that draws (directly or
    through its own helpers): the ``derivative`` generated from it (its pullback) runs it
    again, which draws other numbers than the forward's call drew.  (Forward mode calls
    the helper's jvp alone, once: no second run.)"""
    if step.callee is None or draws_anew(step.callee) or not calls_a_draw(step.callee):
        return                        # a draw itself: its value is a constant, read once
    name = getattr(step.callee, "__name__", "the function")
    raise program.parsed.error(
        ast.Expr(step.value, lineno=step.lineno),
        f"s2sdiff cannot differentiate {program.name}: `{name}(...)` draws random numbers "
        f"or reads a state that changes (`next`), itself or through its helpers, and the "
        f"{derivative} s2sdiff generates from "
        f"`{name}` runs it again, with other draws", construct="random draw evaluated again",
        hint="Draw the numbers in the function you differentiate, outside loops (`noise = "
             "random.gauss(0.0, 1.0)`), and pass them to the helper.")


_DRAWING_CLASSES = weakref.WeakKeyDictionary()      # class -> whether its methods draw


def refuse_drawing_objects(func, transform, values):
    """An ``UnsupportedError`` when one of ``values`` (``func``'s arguments by name) is an
    object of a class of yours whose methods draw: ``transform`` (a Jacobian, a Hessian)
    runs ``func`` once per column or row, each with other draws."""
    for name, value in values.items():
        cls = type(value)
        if cls.__module__ == "builtins" or isinstance(value, np.ndarray):
            continue
        if cls not in _DRAWING_CLASSES:                 # found once per class
            _DRAWING_CLASSES[cls] = calls_a_draw(cls)
        if _DRAWING_CLASSES[cls]:
            raise UnsupportedError(
                f"s2sdiff cannot compute {transform} of {func.__name__}: the argument {name!r} "
                f"is a {cls.__name__}, whose methods draw random numbers or read a state "
                f"that changes, and {transform} runs {func.__name__} once per column or row, "
                f"each with other draws", construct="random draw in a Jacobian or Hessian",
                hint="Draw the numbers once, outside the function, and pass them in; grad, "
                     "vjp and hvp run the function once.")
