"""Backends: where the generated source runs.

``"python"`` (the default) runs the generated function as it is.  ``"numba"`` compiles
the generated scalar and loop code with ``numba.njit`` in nopython mode; ``"jax"`` runs
the generated code of NumPy functions with ``jax.numpy`` in place of NumPy under
``jax.jit``.  Each non-default backend rewrites the generated source first (``.source``
of the result is exactly the text that is compiled): the argument checks move out of
the compiled body into a thin entry that calls them only when compilation refuses the
arguments; numba's loop tape becomes a preallocated array where the trip count is known
(a typed list otherwise); JAX's in-place writes become ``x = x.at[i].set(v)`` / ``.add``.

Guarantees: code a backend cannot compile fails with an ``UnsupportedError`` naming the
generated line (at generation, or at the first call with new argument types, when the
compiler sees the types), never with a silent fallback to Python.  A backend whose
package is missing, or an unknown name, is a clear ``S2SDiffError`` at ``grad(...)``.
"""

import importlib

from ..errors import S2SDiffError
from .jax_backend import compile_jax
from .numba_backend import compile_numba

# name -> (module to import, extra to install); None: nothing to import
BACKENDS = {"python": None, "numba": ("numba", "numba"), "jax": ("jax", "jax")}


def check(backend):
    """Raise a clear ``S2SDiffError`` if ``backend`` is unknown or not installed."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise S2SDiffError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; "
                           f"got {backend!r}", construct="backend")
    needed = BACKENDS[backend]
    if needed is None:
        return
    module, extra = needed
    try:
        importlib.import_module(module)
    except ImportError:
        raise S2SDiffError(f"backend={backend!r} needs the {module} package, which is not "
                           f"installed", construct="backend",
                           hint=f'Install it with: pip install "s2sdiff[{extra}]"') from None


def compile_for(generated, backend, kind):
    """``generated`` (a generated function or NumPy dispatcher) run by ``backend``."""
    if backend == "python":
        return generated
    if backend == "numba":
        return compile_numba(generated, kind)
    return compile_jax(generated, kind)
