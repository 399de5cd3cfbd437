"""s2sdiff: source-to-source automatic differentiation for Python.

``grad(f)`` reads ``f``'s source, splits it into one primitive per assignment and
returns a generated Python function that runs the forward sweep and then the reverse
sweep in the style of hand-written staged backpropagation; ``derivative(f)`` and ``jvp``
generate forward mode, each step followed by its tangent.  The ``.source`` of a generated
function is the product: read it, step through it, ship it.
"""

from .api import derivative, grad, jvp, value_and_grad, vjp
from .jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from .check import check_grad, verify
from .custom import custom_jvp, custom_vjp, stop_gradient
from .errors import (ArgumentError, InternalError, NotScalarError, S2SDiffError, SourceError,
                     UnsupportedError)
from .graph import graph
from . import optional  # noqa: F401  (registers SciPy's rows once SciPy is imported)

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "derivative", "jacobian", "jacfwd", "jacrev",
           "hessian", "hvp", "check_grad", "verify", "S2SDiffError",
           "UnsupportedError", "SourceError", "NotScalarError", "ArgumentError", "InternalError",
           "graph",
           "custom_vjp", "custom_jvp", "stop_gradient"]
__version__ = "0.1.0"
