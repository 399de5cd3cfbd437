"""Calls that write into an argument or the object they are bound to, refused where the
normalizer resolves a callee (``Expressions.callee``): the SSA program follows values,
so such a write would be lost, and with it part of the value and of the derivative.

* a method that writes in place, bound to a list, dict, set or array the function reads
  from its module or a closure: ``LOG.append(x)``, ``A.fill(x)``, ``CACHE.update(...)``;
* NumPy's functions that write into their first argument (``argument_writes``'
  ``NUMPY_IN_PLACE``: ``np.fill_diagonal``, ``np.copyto``, ``np.put``...).

(A method of a local list or array is refused where it is resolved, and the writes of
the user's own functions by ``aliases``.)
"""

import ast

import numpy as np

from ..argument_writes import MUTATORS, NUMPY_IN_PLACE

_CONTAINERS = (list, dict, set, bytearray, np.ndarray)

def in_place_refusal(callee, func):
    """(construct, hint) when calling ``callee`` (spelled ``func``) writes in place into
    an argument or the data it is bound to (see the module docstring); else None."""
    owner = getattr(callee, "__self__", None)
    if isinstance(owner, _CONTAINERS) and getattr(callee, "__name__", None) in MUTATORS:
        what = ast.unparse(func)
        data = ast.unparse(func.value) if isinstance(func, ast.Attribute) else "its object"
        return (f"`{what}(...)`, which writes into `{data}` (data the function reads, not "
                f"its own) in place",
                f"Build a new value inside the function (`log = {data} + [x]` for a list, "
                f"`np.full(shape, x)` for an array) and return it, or keep the state outside "
                f"the differentiated function.")
    try:
        rewrite = NUMPY_IN_PLACE.get(callee)
    except TypeError:                    # unhashable
        return None
    if rewrite is None:
        return None
    return (f"`{ast.unparse(func)}(...)`, which writes into its first argument in place",
            f"Compute the new array as a value: {rewrite}.")
