"""Results that share storage with an argument: NumPy views and calls that may return
their argument itself (``aliases`` follows writes through them)."""

import ast

import numpy as np

from .rules import Attribute, Function, Method

# Results that share storage with their first argument (NumPy views, or the object itself).
VIEWS = {Attribute("T"), Function(np.transpose), Method("transpose"), Function(np.reshape),
         Method("reshape"), Function(np.ravel), Method("ravel"), Function(np.squeeze),
         Method("squeeze"), Function(np.expand_dims), Function(np.atleast_1d),
         Function(np.atleast_2d), Function(np.atleast_3d), Function(np.asarray),
         Function(np.asanyarray), Function(np.swapaxes), Function(np.moveaxis),
         Function(np.broadcast_to), Method("view"), Method("swapaxes"), Function(np.diagonal),
         Method("diagonal"), Function(np.flip), Function(np.fliplr), Function(np.flipud),
         Function(np.diag), Function(np.rot90), Function(np.rollaxis), Function(np.split),
         Function(np.array_split), Function(np.hsplit), Function(np.vsplit),
         Function(np.dsplit), Function(np.ascontiguousarray), Function(np.asfortranarray)}
VIEW_FUNCTIONS = [k for k in VIEWS if isinstance(k, Function)]
# np.meshgrid(x, y, copy=False): each part is a view of its own argument, so the result
# shares storage with every argument.
EVERY_ARGUMENT = {Function(np.meshgrid)}


def shares_storage(step, key):
    """Whether the result of ``step`` (its rule's ``key``) may share storage with its
    first argument: a view, a call without a row of a function that returns views
    (``np.ascontiguousarray``), ``x.astype(t, copy=False)`` or ``np.array(x, copy=...)``
    (the argument itself when no conversion is needed)."""
    value = step.value
    if key in EVERY_ARGUMENT and value.__class__ is ast.Subscript:     # a part of the result
        value = value.value
    if value.__class__ is not ast.Call:
        return key in VIEWS
    if key is None and step.callee is not None and any(
            step.callee is k.function for k in VIEW_FUNCTIONS):
        return True
    attribute = value.func.attr if isinstance(value.func, ast.Attribute) else None
    if key in VIEWS or attribute in {"view", "squeeze", "swapaxes"}:
        return True
    if key == Function(np.array) or attribute == "astype" or key in EVERY_ARGUMENT:
        return any(k.arg == "copy" and not (isinstance(k.value, ast.Constant)
                                            and k.value.value is True) for k in value.keywords)
    return False
