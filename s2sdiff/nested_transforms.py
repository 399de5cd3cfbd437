"""A transform of a function s2sdiff generated for NumPy code: ``grad(grad(f))``.

``grad`` of NumPy code returns a dispatcher whose code is generated for the shapes and
dtypes of its arguments when it is first called (``dispatch.py``): before a call there is
no source to differentiate.  ``per_specialization(dispatcher, transform)`` is a function
that, called, asks the dispatcher for its code at those arguments (which has its source)
and calls ``transform`` of that code, made once per code: ``grad(grad(np_tanh))(0.4)``
is the second derivative, as for code on numbers, whose ``grad`` is a plain function.
``.specialize(*args)`` gives the code that runs for ``args`` (``.source`` to read it).

``forward_first(gradient, derivative)``: a gradient of code on numbers with loops,
branches or calls pops a tape in its reverse sweep, which s2sdiff does not differentiate
again; the same derivative in forward mode (``derivative(f, wrt=x)``) has none, so
``grad(grad(f))`` differentiates that one, as ``hessian`` does.
"""

import functools
import threading

from .errors import S2SDiffError
from .listing import has_blocks_or_calls


def is_dispatcher(func):
    """Whether ``func`` is the dispatcher s2sdiff made for NumPy code."""
    return callable(getattr(func, "specialize", None)) \
        and isinstance(getattr(func, "specializations", None), dict)


def per_specialization(dispatcher, transform):
    """``transform`` of the code ``dispatcher`` runs for each call's arguments (module
    docstring); ``transform(code)`` is made once per code."""
    made = {}                   # id(code) -> (code, transform(code)): the code kept alive
    lock = threading.Lock()

    def specialize(*args, **kwargs):
        code = dispatcher.specialize(*args, **kwargs)
        found = made.get(id(code))
        if found is None or found[0] is not code:
            with lock:
                found = made[id(code)] = (code, transform(code))
        outer = found[1]
        return outer.specialize(*args, **kwargs) if is_dispatcher(outer) else outer

    @functools.wraps(dispatcher)
    def nested(*args, **kwargs):
        return specialize(*args, **kwargs)(*args, **kwargs)

    nested.specialize = specialize
    nested.source = (f"# generated for the code {dispatcher.__name__} runs for the shapes and "
                     f"dtypes of the arguments, when first called;\n# "
                     f"{nested.__name__}.specialize(*args).source shows it.\n")
    return nested


def forward_first(gradient, derivative):
    """``derivative(f, wrt=x)`` for ``gradient``, ``grad(f, wrt=x)`` of code on numbers
    with one parameter differentiated and loops, branches or calls (module docstring);
    else ``gradient`` itself (and where forward mode refuses ``f``)."""
    made = getattr(gradient, "__s2sdiff_made__", None)
    if made is None or made[0] != "grad" or not made[2] or len(made[1]) != 1 \
            or not has_blocks_or_calls(gradient):
        return gradient
    try:
        return derivative(gradient.__s2sdiff_origin__, wrt=made[1][0])
    except S2SDiffError:
        return gradient
