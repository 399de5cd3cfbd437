"""The public entry points: ``grad``, ``value_and_grad``, ``derivative``, ``jvp`` and
``vjp`` (the Jacobians, ``hessian`` and ``hvp`` are in ``jacobians.py``).

Each reads its options (``wrt`` through ``resolve_wrt``, into parameter names) and asks
``pipeline.generate`` for the generated function of its kind, made once per (function,
options) and cached; what a wrapper adds is the calling convention (JAX's for ``jvp`` and
``vjp``, the Jacobian's layout) around the generated function.  With array arguments (or
NumPy code) the Jacobians, ``hessian`` and ``hvp`` run generated jvp or vjp code once per
entry (``array_jacobians``).  Every wrapper but ``jvp``, ``vjp`` and ``hvp`` may be used
bare (``@grad``), with options (``@grad(wrt=0)``) or as a call.
"""

import copy
import functools
import inspect
import types
from typing import Any, Callable, Concatenate, Literal, Sequence, overload

import numpy as np

from . import aliases, argument_aliases, backends, pipeline, trees
from .methods import for_bound_method
from .nested_transforms import forward_first, is_dispatcher, per_specialization
from .output_leaves import reads_as_lists
from .reverse import schedules
from .errors import ArgumentError, S2SDiffError, UnsupportedError
from .tree_calls import TreeCall, reads_trees, snapshot
from .typing import (Backend, Checkpoint, GeneratedFunction, P, Primals, Pullback, Transform,
                     Wrt)


def _decorator(transform: Callable[Concatenate[Callable[..., Any], P], GeneratedFunction[...]]
               ) -> Transform[P]:
    """Let ``transform(f, **options)`` be used bare, with options, or as a call."""
    @functools.wraps(transform)
    def entry(f: Callable[..., Any] | None = None, /, **options: Any) -> Any:
        if f is None:
            return lambda g: entry(g, **options)
        return transform(f, **options)  # type: ignore[call-arg]  # P: keywords only
    return entry  # type: ignore[return-value]  # matches typing.Transform


def resolve_wrt(func: Callable[..., Any], wrt: Wrt) -> tuple[list[str], bool]:
    """(parameter names to differentiate, whether a single gradient is returned)."""
    original = getattr(func, "__s2sdiff_origin__", func)
    params = _parameter_names(func) if _named_parameters(func) else _parameter_names(original)
    if wrt is None:         # nor is one whose default is data: a function, a string, None
        params = [p for p in params if not _data_default(original, p)]
        return params, len(params) == 1
    if isinstance(wrt, (int, str)):
        return [_parameter(original, params, wrt)], True
    if isinstance(wrt, (tuple, list)):
        names = [_parameter(original, params, w) for w in wrt]
        if len(set(names)) != len(names):
            raise S2SDiffError(f"wrt={wrt!r} names a parameter twice", construct="wrt")
        return names, False
    raise S2SDiffError(f"wrt must be None, an int, a name, or a tuple of them; got {wrt!r}",
                       construct="wrt")


def _data_default(func: Callable[..., Any], name: str) -> bool:
    """Whether the default of ``func``'s parameter ``name`` says it holds data: a function
    (``act=np.tanh``), a string (a mode), None (``axis=None``, an optional array) or a
    bool (a flag, ``normalize=False``)."""
    try:
        default = inspect.signature(func).parameters[name].default
    except (TypeError, ValueError, KeyError):
        return False
    return (callable(default) and not isinstance(default, type)) or isinstance(default, str) \
        or default is None or isinstance(default, bool)


def _named_parameters(func: Callable[..., Any]) -> bool:
    """Whether ``func``'s own signature names its parameters (a generated jvp has its
    tangents too; an array dispatcher takes ``*args``)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    return not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in signature.parameters.values())


def _parameter_names(func: Callable[..., Any]) -> list[str]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    return [p.name for p in signature.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _parameter(func: Callable[..., Any], params: list[str], key: int | str) -> str:
    name = getattr(func, "__name__", "the function")
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise S2SDiffError(f"wrt entries must be ints or parameter names, got {key!r}", construct="wrt")
    if isinstance(key, int):
        if not -len(params) <= key < len(params):
            raise S2SDiffError(f"wrt={key} is out of range: {name} has {len(params)} "
                               f"parameters ({', '.join(params)})", construct="wrt")
        return params[key]
    if key not in params:
        raise S2SDiffError(f"wrt={key!r} is not a parameter of {name} "
                           f"(parameters: {', '.join(params)})", construct="wrt")
    return key


def _generate(func: Callable[..., Any], kind: str, wrt: Wrt, optimize: bool, explain: bool = False,
              backend: Backend = "python", checkpoint: Checkpoint = None,
              has_aux: bool = False) -> Any:
    """``pipeline.generate`` for the public spelling of ``wrt``; a bound method
    (``grad(model.loss)``) is generated for its function and bound to its instance, which
    is data (``wrt`` counts the parameters after ``self``); ``grad``,
    ``value_and_grad`` and ``derivative`` take tree parameters (``pipeline.generate_for_trees``); ``backend``
    (``backends.py``) other than ``"python"``: the generated code compiled by it;
    ``checkpoint``: the loop checkpointing schedule (``reverse/schedules.py``); ``has_aux``:
    ``func`` returns ``(output, aux)`` (``aux.py``)."""
    checkpoint = schedules.spec(checkpoint)
    if has_aux is not False:
        _check_has_aux(has_aux, backend, checkpoint)
    if checkpoint is not None and backend != "python":     # before the backend's own checks
        raise S2SDiffError(f"checkpoint= runs with the default backend only, not "
                           f"backend={backend!r}", construct="checkpoint")
    backends.check(backend)
    if kind in ("grad", "value_and_grad", "derivative") and is_partial(func):
        return of_partial(func, lambda f, names: _generate(
            f, kind, names, optimize, explain, backend, checkpoint, has_aux), wrt)
    if kind in ("grad", "value_and_grad", "derivative") and is_dispatcher(func):
        return per_specialization(func, lambda code: _generate(      # grad(grad(np_tanh))
            forward_first(code, derivative), kind, wrt, optimize, explain, backend,
            checkpoint, has_aux))
    if kind in ("grad", "value_and_grad", "derivative"):
        func = forward_first(func, derivative)       # grad(grad(f)) of a loop: no tape
    wrt_names, single = resolve_wrt(func, wrt)
    if inspect.ismethod(func) and isinstance(func.__func__, types.FunctionType):
        if kind in ("grad", "value_and_grad", "derivative") and backend == "python":
            generated = pipeline.generate_for_trees(     # loss(self, params, x): params["W"]
                for_bound_method(func), kind, wrt_names, single, optimize, explain,
                checkpoint=checkpoint, has_aux=has_aux, follow_objects=False)
        else:
            generated = pipeline.generate(for_bound_method(func), kind, wrt_names, single,
                                          optimize, explain, backend=backend,
                                          checkpoint=checkpoint, has_aux=has_aux)
        return types.MethodType(generated, func.__self__)
    if backend != "python":
        try:
            return pipeline.generate(func, kind, wrt_names, single, optimize, explain,
                                     backend=backend)
        except S2SDiffError as refusal:
            if not reads_trees(func, wrt_names):
                raise
            raise UnsupportedError(        # the construct is the default backend's tree code
                f"backend={backend!r} differentiates numbers and arrays, not trees: "
                f"{_name(func)} reads a parameter as a tree (dict, list, tuple or dataclass), "
                f"which only the default backend takes apart ({refusal.message})",
                construct=f"tree parameter under backend={backend!r}",
                filename=refusal.filename, lineno=refusal.lineno,
                source_line=refusal.source_line,
                hint="Drop backend= (the default backend takes trees), or pass the leaves "
                     "as separate parameters.") from None
    if kind in ("grad", "value_and_grad", "derivative"):
        return pipeline.generate_for_trees(func, kind, wrt_names, single, optimize, explain,
                                           checkpoint=checkpoint, has_aux=has_aux)
    return pipeline.generate(func, kind, wrt_names, single, optimize, explain,
                             checkpoint=checkpoint, has_aux=has_aux)


def is_partial(f: Any) -> bool:
    """Whether ``f`` is a ``functools.partial`` of a Python function (``of_partial``)."""
    return isinstance(f, functools.partial) and isinstance(f.func, types.FunctionType)


def of_partial(bound: Any, generate: Callable[..., Any], wrt: Wrt) -> Any:
    """``grad`` (``value_and_grad``, ``derivative``, the Jacobians, ``hessian``) of
    ``functools.partial(f, *args, **keywords)``: the code ``generate(f, wrt)`` makes for
    ``f`` with respect to the partial's parameters ``wrt`` names (ints count the partial's
    own parameters; by default those it leaves unbound whose default is not data), called
    with the bound arguments: ``functools.partial(generated, *args, **keywords)``, with
    the generated ``.source``."""
    f = bound.func
    if wrt is None:
        names = [p for p in _parameter_names(f)[len(bound.args):]
                 if p not in bound.keywords and not _data_default(f, p)]
        if not names:
            raise S2SDiffError(f"{bound!r} binds every parameter of {f.__name__}: there is "
                               f"nothing to differentiate", construct="wrt",
                               hint="Name the parameter with wrt=.")
        spec: Wrt = names[0] if len(names) == 1 else tuple(names)
    else:
        names, single = resolve_wrt(bound, wrt)
        spec = names[0] if single else tuple(names)
    generated = generate(f, spec)
    result = functools.partial(generated, *bound.args, **bound.keywords)
    if hasattr(generated, "source"):
        result.source = generated.source  # type: ignore[attr-defined]
    return result


def _refuse_partial(f: Any, transform: str) -> None:
    """``jvp`` and ``vjp`` take primals per parameter of ``f``: a partial's are not its
    function's."""
    if isinstance(f, functools.partial):
        name = getattr(f.func, "__name__", "f")
        raise UnsupportedError(
            f"{transform} of a functools.partial ({f!r}) is not supported",
            construct="functools.partial",
            hint=f"grad, value_and_grad, derivative, the Jacobians and hessian take it; for "
                 f"{transform}, write the function it stands for (`def g(x): return "
                 f"{name}(x, ...)` with the bound values).")


def _check_has_aux(has_aux: Any, backend: Backend, checkpoint: Any) -> None:
    if not isinstance(has_aux, bool):
        raise S2SDiffError(f"has_aux must be True or False, got {has_aux!r}",
                           construct="has_aux")
    if has_aux and backend != "python":
        raise S2SDiffError(f"has_aux=True runs with the default backend only, not "
                           f"backend={backend!r}", construct="has_aux",
                           hint="Drop backend=, or return the loss alone.")
    if has_aux and checkpoint is not None:
        raise S2SDiffError("has_aux=True does not combine with checkpoint=",
                           construct="has_aux", hint="Drop checkpoint=, or return the loss alone.")


@_decorator
def grad(f: Callable[..., Any], *, wrt: Wrt = None, optimize: bool = True, explain: bool = False,
         backend: Backend = "python", checkpoint: Checkpoint = None,
         has_aux: bool = False) -> GeneratedFunction[...]:
    """Reverse-mode gradient of a scalar function, as generated Python code.

    ``wrt=None``: every parameter but those whose default is data (a function, a string
    or None: ``act=np.tanh``, ``mode="mean"``, ``axis=None``), a gradient alone for one
    such parameter, otherwise a tuple in parameter order; an int or a name: that gradient
    alone; a tuple or list: a tuple in that order.  ``f`` may be a ``functools.partial``
    (``of_partial``): ``wrt`` then counts its parameters.  The result has ``.source``.  With
    ``explain=True`` every reverse statement also says which local partial it applies and
    the line of your source it comes from.  ``backend``: ``"python"`` (the generated
    Python runs as it is), ``"numba"`` (scalar and loop code compiled by ``numba.njit``)
    or ``"jax"`` (NumPy code run as ``jax.numpy`` under ``jax.jit``); see ``backends.py``.

    ``checkpoint``: how the loops at the top level of ``f`` keep what their reverse
    needs.  ``None``: a tape, one entry per step.  ``"sqrt"``: a snapshot of the loop's
    state every ``ceil(sqrt(n))`` steps, each segment run again taped during the reverse
    sweep (every step runs once more).  ``("binomial", s)``: at most ``s`` snapshots,
    placed by Griewank's revolve schedule, with the fewest steps run again that ``s``
    allows; ``("binomial", s, k)``: the same over blocks of ``k`` steps, each reversed
    from a tape of ``k`` steps.  The gradient is the tape's; the schedule is in ``.source``,
    its cost in ``.checkpoint_report``.  A loop the schedule cannot drive (``while``, not
    over ``range``, ``break``, writes in place, inside a branch) and a function without a
    loop are refused when the code is generated.

    ``has_aux=True`` (JAX's convention): ``f`` returns a pair ``(output, aux)``, with
    ``output`` a scalar; the generated function returns ``(gradients, aux)``, ``aux`` as the
    forward sweep computed it (once), never differentiated.  A number, an array, or tuple,
    list and dict displays of those (constant keys) at every ``return``.
    """
    return _generate(f, "grad", wrt, optimize, explain=explain, backend=backend,
                     checkpoint=checkpoint, has_aux=has_aux)


@_decorator
def value_and_grad(f: Callable[..., Any], *, wrt: Wrt = None, optimize: bool = True,
                   explain: bool = False, backend: Backend = "python",
                   checkpoint: Checkpoint = None, has_aux: bool = False) -> GeneratedFunction[...]:
    """Like ``grad``, but the generated function returns ``(value, gradients)``;
    ``checkpoint`` as for ``grad``; with ``has_aux=True``, ``((value, aux), gradients)``."""
    return _generate(f, "value_and_grad", wrt, optimize, explain=explain, backend=backend,
                     checkpoint=checkpoint, has_aux=has_aux)


@_decorator
def derivative(f: Callable[..., Any], *, wrt: Wrt = None, optimize: bool = True,
               backend: Backend = "python") -> GeneratedFunction[...]:
    """Forward-mode derivative(s) of a scalar function, returned like ``grad`` returns them.

    The generated code runs one tangent sweep per requested parameter ``p``, interleaved
    after each forward step: the tangent of ``v`` along ``p`` is ``dv_dp``.
    """
    return _generate(f, "derivative", wrt, optimize, backend=backend)


@overload
def jvp(f: Callable[..., Any], primals: None = None, tangents: None = None, *,
        backend: Backend = "python") -> GeneratedFunction[...]: ...
@overload
def jvp(f: Callable[..., Any], primals: Primals, tangents: Primals, *,
        backend: Backend = "python") -> tuple[Any, Any]: ...
def jvp(f: Callable[..., Any], primals: Any = None, tangents: Any = None, *,
        backend: Backend = "python") -> GeneratedFunction[...] | tuple[Any, Any]:
    """``(f(*primals), J @ tangents)`` by forward mode, JAX's convention.

    ``primals`` and ``tangents`` are tuples or lists with one value per parameter of
    ``f``; trailing parameters with defaults may be left out of both (as ``vjp`` and
    ``f(*primals)`` leave them), which then hold their defaults, constants along the
    tangent (``jvp(log_softmax, (x,), (u,))`` for ``log_softmax(x, axis=None)``).  The
    generated function, ``jvp_f(x, y, x_dot, y_dot)`` returning ``(f, f_dot)``, is made
    once per function; ``jvp(f)`` alone returns it (with ``.source``).
    """
    _refuse_partial(f, "jvp")
    if primals is None and tangents is None:
        return _generate(f, "jvp", None, True, backend=backend)
    primals, tangents = _with_defaults(f, primals, tangents)
    tree = _check_per_parameter("jvp", f, primals, tangents)
    if tree is not None:          # the code of the leaves: the plain code may be refused
        return tree.jvp(tangents)
    generated = _generate(f, "jvp", None, True, backend=backend)
    names, _ = resolve_wrt(f, None)        # a function, string or None default: no tangent
    params = _parameter_names(getattr(f, "__s2sdiff_origin__", f))
    if len(names) < len(params) and len(tangents) == len(params):
        tangents = [t for p, t in zip(params, tangents) if p in names]
    primal_of = dict(zip(params, primals))
    _same_shapes("jvp: the tangent of", [primal_of.get(n) for n in names], tangents, names)
    return _owned(generated(*primals, *tangents), tangents)


def _with_defaults(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """``primals`` and ``tangents`` completed with the defaults of the trailing parameters
    they leave out (both of one length), each with a zero tangent; else as given."""
    original = getattr(f, "__s2sdiff_origin__", f)
    if not (isinstance(primals, (tuple, list)) and isinstance(tangents, (tuple, list))) \
            or len(primals) != len(tangents) or not inspect.isfunction(original):
        return primals, tangents
    every = _every_parameter(original, tuple(primals), "jvp")
    if len(every) == len(primals):
        return primals, tangents
    return every, tuple(tangents) + tuple(_zero_tangent(v) for v in every[len(primals):])


def _zero_tangent(value: Any) -> Any:
    """The tangent of a default held constant: zeros shaped like it, None for data."""
    if isinstance(value, (list, tuple)):
        return type(value)(_zero_tangent(v) for v in value)
    if isinstance(value, (np.ndarray, np.floating)):
        return np.zeros_like(value, dtype=value.dtype if value.dtype.kind == "f" else float)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0.0
    return None


def _same_shapes(what: str, values: Sequence[Any], given: Sequence[Any],
                 names: Sequence[str]) -> None:
    """An ``ArgumentError`` when a tangent or cotangent in ``given`` has another shape than
    the number or array it goes with in ``values`` (NumPy would broadcast it into a result
    of the wrong shape, or fail inside the generated code)."""
    for name, value, other in zip(names, values, given):
        if other is None and value is not None:
            zero = "np.zeros_like(...)" if isinstance(value, np.ndarray) else "0.0"
            raise ArgumentError(f"{what} {name} is None", construct="tangent None",
                                hint=f"Pass zeros for a value that does not matter ({zero}, "
                                     f"with its shape).")
        if isinstance(value, (np.ndarray, np.number, float, int)) \
                and isinstance(other, (np.ndarray, np.number, float, int)) \
                and np.shape(value) != np.shape(other):
            raise ArgumentError(f"{what} {name} has shape {np.shape(other)}, but {name} has "
                                f"shape {np.shape(value)}", construct="tangent shape",
                                hint="Pass one entry per entry of it, with its shape.")


def _owned(result: Any, given: Sequence[Any]) -> Any:
    """``result`` with each array in it that may share memory with an array of ``given``
    (the tangents or cotangents passed) copied: ``x[::-1]``'s tangent is a view of the
    tangent passed, which the caller may reuse for the next column of a Jacobian."""
    if isinstance(result, (tuple, list)):
        return type(result)(_owned(r, given) for r in result)
    if isinstance(result, np.ndarray) and any(
            isinstance(g, np.ndarray) and np.may_share_memory(result, g) for g in given):
        return result.copy()
    return result


def _name(f: Callable[..., Any]) -> str:
    return getattr(getattr(f, "__s2sdiff_origin__", f), "__name__", "the function")


def _check_per_parameter(transform: str, f: Callable[..., Any], primals: Any,
                         tangents: Any) -> TreeCall | None:
    """A ``TreeCall`` when ``f`` reads parameters given as trees as trees, else ``None``,
    once ``primals`` and ``tangents`` are checked to be tuples or lists with one value per
    parameter (else an ``ArgumentError``); other trees are refused."""
    original = getattr(f, "__s2sdiff_origin__", f)
    name = _name(f)
    params = _parameter_names(original)
    for what, values in (("primals", primals), ("tangents", tangents)):
        if not isinstance(values, (tuple, list)):
            raise ArgumentError(f"{transform}: {what} must be a tuple or list with one value "
                                f"per parameter of {name} ({', '.join(params)}), got "
                                f"{type(values).__name__}", construct=what)
        if len(values) != len(params):
            raise ArgumentError(f"{transform}: {what} has length {len(values)}, but {name} "
                                f"has {len(params)} parameters ({', '.join(params)})",
                                construct=what)
    tree = TreeCall.of(f, params, primals, resolve_wrt(f, None)[0])
    if tree is None:
        _refuse_trees(transform, f, tuple(primals) + tuple(tangents))
    return tree


@overload
def vjp(f: Callable[..., Any], *, backend: Backend = "python",
        checkpoint: Checkpoint = None, has_aux: bool = False) -> GeneratedFunction[...]: ...
@overload
def vjp(f: Callable[..., Any], primal: Any, /, *primals: Any, backend: Backend = "python",
        checkpoint: Checkpoint = None, has_aux: Literal[False] = False
        ) -> tuple[Any, Pullback]: ...
@overload
def vjp(f: Callable[..., Any], primal: Any, /, *primals: Any, backend: Backend = "python",
        checkpoint: Checkpoint = None, has_aux: Literal[True]) -> tuple[Any, Pullback, Any]: ...
def vjp(f: Callable[..., Any], *primals: Any, backend: Backend = "python",
        checkpoint: Checkpoint = None, has_aux: bool = False
        ) -> GeneratedFunction[...] | tuple[Any, Pullback] | tuple[Any, Pullback, Any]:
    """``(f(*primals), pullback)`` by reverse mode, JAX's convention.

    ``pullback(cotangent)`` returns a tuple with one gradient per parameter of ``f``; for
    a function returning a tuple, ``cotangent`` is a tuple with one entry per output.  The
    generated code, ``vjp_f(x, y, df)``, takes the cotangents as extra parameters in place
    of the output adjoint ``df = 1.0`` of ``grad``; ``vjp(f)`` alone returns it.
    ``checkpoint`` as for ``grad``: the pullback runs the checkpointed loops.
    ``has_aux=True`` (JAX's convention): ``f`` returns ``(output, aux)``; the result is
    ``(output, pullback, aux)``, from one call of ``f`` (numbers and arrays, not trees).
    """
    _refuse_partial(f, "vjp")
    if has_aux is not False:
        _check_has_aux(has_aux, backend, checkpoint)
    if primals:
        original = getattr(f, "__s2sdiff_origin__", f)
        tree = TreeCall.of(f, _parameter_names(original), _every_parameter(original, primals),
                           resolve_wrt(f, None)[0])
        if tree is not None:
            if has_aux:
                raise S2SDiffError("vjp(..., has_aux=True) takes arrays and numbers, not "
                                   "trees: use grad(f, has_aux=True) or "
                                   "value_and_grad(f, has_aux=True)", construct="has_aux")
            if checkpoint is not None:
                raise S2SDiffError("vjp(..., checkpoint=...) takes arrays and numbers, not "
                                   "trees: use grad(f, checkpoint=...)", construct="checkpoint")
            return tree.vjp(_call(original, primals))
    _refuse_trees("vjp", f, primals)
    arrays_given = any(isinstance(p, np.ndarray) and p.ndim > 0 for p in primals)
    # arrays given to code without NumPy calls (`x * y`) still broadcast: specialise on
    # their shapes like NumPy code, so each gradient is summed back to its input's shape
    generated = _generate(f, "vjp_arrays" if arrays_given else "vjp", None, True,
                          backend=backend, checkpoint=checkpoint, has_aux=has_aux)
    if not primals:
        return generated
    original = getattr(f, "__s2sdiff_origin__", f)
    outputs = generated.__s2sdiff_outputs__
    primals = _every_parameter(original, primals)
    written = aliases.writes_arguments(original, augmented=True) \
        if inspect.isfunction(original) else ()
    if written:      # f writes into an argument: the pullback must see the primals given
        params = _parameter_names(original)
        argument_aliases.refuse_shared(_name(original), params, primals, written)
        value = _call(original, [copy.deepcopy(p) if i < len(params) and params[i] in written
                                 else p for i, p in enumerate(primals)])
    else:
        value = _call(original, primals)
    if arrays_given and reads_as_lists(generated, primals, value[0] if has_aux else value):
        # code without NumPy calls at 1-D arrays it reads as lists (x[0] * x[1]) runs as
        # at lists: grad's code, not the per-shape code that refuses its list reads
        generated = _generate(f, "vjp", None, True, backend=backend, checkpoint=checkpoint,
                              has_aux=has_aux)
    # the pullback is f's at these primals, even if the caller writes into them later
    primals = tuple(snapshot(p) for p in primals)

    def pullback(cotangent: Any) -> Any:
        cotangents = tuple(cotangent) if outputs is not None else (cotangent,)
        if outputs is not None and len(cotangents) != outputs:
            raise ArgumentError(f"pullback: the cotangent has {len(cotangents)} entries, but "
                                f"{original.__name__} returns {outputs} values", construct="cotangent")
        results = tuple(value) if outputs is not None else (value,)
        _same_shapes("pullback: the cotangent of", results, cotangents,
                     [f"output {k}" for k in range(len(results))] if outputs is not None
                     else [f"the output of {original.__name__}"])
        return _owned(generated(*primals, *cotangents), cotangents)

    if has_aux:              # generation checked that every return is a pair
        value, aux_value = value
        return value, pullback, aux_value
    return value, pullback


def _refuse_trees(transform: str, f: Callable[..., Any], values: Sequence[Any]) -> None:
    """An ``ArgumentError`` if one of ``values`` is a tree (``trees.structure``)."""
    for value in values:
        if trees.structure(value) is not None:
            name = getattr(getattr(f, "__s2sdiff_origin__", f), "__name__", "the function")
            raise ArgumentError(f"{transform}({name}, ...) was given a tree "
                                f"({type(value).__name__}): {trees.FLAT_ONLY}",
                                construct="tree argument")


def _every_parameter(func: Callable[..., Any], primals: tuple[Any, ...],
                     transform: str = "vjp") -> tuple[Any, ...]:
    """``primals`` (one per parameter of ``func`` in order, keyword-only ones included, as
    the generated code takes them) with the defaults of those left out."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return primals
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters) \
            or len(primals) >= len(parameters):
        return primals
    missing = [p for p in parameters[len(primals):] if p.default is p.empty]
    if missing:
        raise ArgumentError(f"{transform}: {func.__name__} has {len(parameters)} parameters "
                            f"({', '.join(p.name for p in parameters)}); "
                            f"no value for {', '.join(p.name for p in missing)}",
                            construct="primals")
    return tuple(primals) + tuple(p.default for p in parameters[len(primals):])


def _call(func: Callable[..., Any], values: Sequence[Any]) -> Any:
    """``func`` called with one value per parameter in order, keyword-only ones by name."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return func(*values)
    if not any(p.kind is p.KEYWORD_ONLY for p in parameters):
        return func(*values)
    positional = [v for p, v in zip(parameters, values) if p.kind is not p.KEYWORD_ONLY]
    keywords = {p.name: v for p, v in zip(parameters, values) if p.kind is p.KEYWORD_ONLY}
    return func(*positional, **keywords)


