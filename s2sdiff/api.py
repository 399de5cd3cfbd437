"""The public entry points: ``grad``, ``value_and_grad``, ``derivative``, ``jvp``,
``vjp``, ``jacfwd``, ``jacrev``, ``jacobian``, ``hessian`` and ``hvp``.

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

import numpy as np

from . import aliases, array_jacobians, backends, custom, pipeline, trees
from .reverse import schedules
from .emit import listing_of
from .errors import ArgumentError, S2SDiffError, UnsupportedError, firewall
from .ir import has_control_flow, is_array_program
from .normalize import normalize
from .parse import parse
from .rules import Structural
from .tree_calls import TreeCall, reads_trees


def _decorator(transform):
    """Let ``transform(f, **options)`` be used bare, with options, or as a call."""
    @functools.wraps(transform)
    def entry(f=None, /, **options):
        if f is None:
            return lambda g: entry(g, **options)
        return transform(f, **options)
    return entry


def resolve_wrt(func, wrt):
    """(parameter names to differentiate, whether a single gradient is returned)."""
    original = getattr(func, "__s2sdiff_origin__", func)
    params = _parameter_names(func) if _named_parameters(func) else _parameter_names(original)
    if wrt is None:         # a parameter whose default is a function is not differentiated
        params = [p for p in params if not _function_default(original, p)]
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


def _function_default(func, name):
    try:
        default = inspect.signature(func).parameters[name].default
    except (TypeError, ValueError, KeyError):
        return False
    return callable(default) and not isinstance(default, type)


def _named_parameters(func):
    """Whether ``func``'s own signature names its parameters (a generated jvp has its
    tangents too; an array dispatcher takes ``*args``)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    return not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in signature.parameters.values())


def _parameter_names(func):
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    return [p.name for p in signature.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _parameter(func, params, key):
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


def _generate(func, kind, wrt, optimize, explain=False, backend="python", checkpoint=None):
    """``pipeline.generate`` for the public spelling of ``wrt``; a bound method
    (``grad(model.loss)``) is generated for its function and bound to its instance, which
    is data (``wrt`` counts the parameters after ``self``); ``grad`` and
    ``value_and_grad`` take tree parameters (``pipeline.generate_for_trees``); ``backend``
    (``backends.py``) other than ``"python"``: the generated code compiled by it;
    ``checkpoint``: the loop checkpointing schedule (``reverse/schedules.py``)."""
    backends.check(backend)
    checkpoint = schedules.spec(checkpoint)
    if checkpoint is not None and backend != "python":
        raise S2SDiffError(f"checkpoint= runs with the default backend only, not "
                           f"backend={backend!r}", construct="checkpoint")
    wrt_names, single = resolve_wrt(func, wrt)
    if inspect.ismethod(func) and isinstance(func.__func__, types.FunctionType):
        generated = pipeline.generate(func.__func__, kind, wrt_names, single, optimize, explain,
                                      backend=backend, checkpoint=checkpoint)
        return types.MethodType(generated, func.__self__)
    if backend != "python":
        return pipeline.generate(func, kind, wrt_names, single, optimize, explain,
                                 backend=backend)
    if kind in ("grad", "value_and_grad"):
        return pipeline.generate_for_trees(func, kind, wrt_names, single, optimize, explain,
                                           checkpoint=checkpoint)
    return pipeline.generate(func, kind, wrt_names, single, optimize, explain,
                             checkpoint=checkpoint)


@_decorator
def grad(f, *, wrt=None, optimize=True, explain=False, backend="python", checkpoint=None):
    """Reverse-mode gradient of a scalar function, as generated Python code.

    ``wrt=None``: every parameter (a one-parameter function gets its gradient alone,
    otherwise a tuple in parameter order); an int or a name: that gradient alone; a
    tuple or list: a tuple in that order.  The result has ``.source``.  With
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
    """
    return _generate(f, "grad", wrt, optimize, explain=explain, backend=backend,
                     checkpoint=checkpoint)


@_decorator
def value_and_grad(f, *, wrt=None, optimize=True, explain=False, backend="python",
                   checkpoint=None):
    """Like ``grad``, but the generated function returns ``(value, gradients)``;
    ``checkpoint`` as for ``grad``."""
    return _generate(f, "value_and_grad", wrt, optimize, explain=explain, backend=backend,
                     checkpoint=checkpoint)


@_decorator
def derivative(f, *, wrt=None, optimize=True, backend="python"):
    """Forward-mode derivative(s) of a scalar function, returned like ``grad`` returns them.

    The generated code runs one tangent sweep per requested parameter ``p``, interleaved
    after each forward step: the tangent of ``v`` along ``p`` is ``dv_dp``.
    """
    return _generate(f, "derivative", wrt, optimize, backend=backend)


def jvp(f, primals=None, tangents=None, *, backend="python"):
    """``(f(*primals), J @ tangents)`` by forward mode, JAX's convention.

    ``primals`` and ``tangents`` are tuples or lists with one value per parameter of
    ``f``.  The generated function, ``jvp_f(x, y, x_dot, y_dot)`` returning ``(f, f_dot)``,
    is made once per function; ``jvp(f)`` alone returns it (with ``.source``).
    """
    generated = _generate(f, "jvp", None, True, backend=backend)
    if primals is None and tangents is None:
        return generated
    tree = _check_per_parameter("jvp", f, primals, tangents)
    if tree is not None:
        return tree.jvp(tangents)
    return generated(*primals, *tangents)


def hvp(f, primals, tangents):
    """``H @ tangents``, the Hessian-vector product of the scalar function ``f`` at
    ``primals``, without building the Hessian: reverse mode over ``f``'s generated jvp (the
    gradient of ``f_dot = <grad f, tangents>``, the tangents held fixed).

    ``primals`` and ``tangents`` are tuples or lists with one value per parameter of ``f``,
    as in ``jvp``; the product is returned like ``grad`` returns gradients (alone for a
    one-parameter function, else a tuple in parameter order).
    """
    names, single = resolve_wrt(f, None)
    tree = _check_per_parameter("hvp", f, primals, tangents)
    if tree is not None:
        return tree.hvp(tangents, _name(f), single)
    params = _parameter_names(getattr(f, "__s2sdiff_origin__", f))
    generated = _generate(f, "jvp", tuple(names), True)
    _refuse_custom("hvp", f, generated)
    positions = [params.index(n) for n in names]
    product = array_jacobians.hessian_products(generated, tuple(primals), names, positions,
                                               _name(f))([tangents[p] for p in positions])
    return product[0] if single else tuple(product)


def _name(f):
    return getattr(getattr(f, "__s2sdiff_origin__", f), "__name__", "the function")


def _check_per_parameter(transform, f, primals, tangents):
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


def vjp(f, *primals, backend="python", checkpoint=None):
    """``(f(*primals), pullback)`` by reverse mode, JAX's convention.

    ``pullback(cotangent)`` returns a tuple with one gradient per parameter of ``f``; for
    a function returning a tuple, ``cotangent`` is a tuple with one entry per output.  The
    generated code, ``vjp_f(x, y, df)``, takes the cotangents as extra parameters in place
    of the output adjoint ``df = 1.0`` of ``grad``; ``vjp(f)`` alone returns it.
    ``checkpoint`` as for ``grad``: the pullback runs the checkpointed loops.
    """
    if primals:
        original = getattr(f, "__s2sdiff_origin__", f)
        tree = TreeCall.of(f, _parameter_names(original), _every_parameter(original, primals),
                           resolve_wrt(f, None)[0])
        if tree is not None:
            if checkpoint is not None:
                raise S2SDiffError("vjp(..., checkpoint=...) takes arrays and numbers, not "
                                   "trees: use grad(f, checkpoint=...)", construct="checkpoint")
            return tree.vjp(_call(original, primals))
    _refuse_trees("vjp", f, primals)
    arrays_given = any(isinstance(p, np.ndarray) and p.ndim > 0 for p in primals)
    # arrays given to code without NumPy calls (`x * y`) still broadcast: specialise on
    # their shapes like NumPy code, so each gradient is summed back to its input's shape
    generated = _generate(f, "vjp_arrays" if arrays_given else "vjp", None, True,
                          backend=backend, checkpoint=checkpoint)
    if not primals:
        return generated
    original = getattr(f, "__s2sdiff_origin__", f)
    outputs = generated.__s2sdiff_outputs__
    primals = _every_parameter(original, primals)
    written = aliases.writes_arguments(original) if inspect.isfunction(original) else ()
    if written:      # f writes into an argument: the pullback must see the primals given
        params = _parameter_names(original)
        value = _call(original, [copy.deepcopy(p) if i < len(params) and params[i] in written
                                 else p for i, p in enumerate(primals)])
    else:
        value = _call(original, primals)

    def pullback(cotangent):
        cotangents = tuple(cotangent) if outputs is not None else (cotangent,)
        if outputs is not None and len(cotangents) != outputs:
            raise ArgumentError(f"pullback: the cotangent has {len(cotangents)} entries, but "
                                f"{original.__name__} returns {outputs} values", construct="cotangent")
        return generated(*primals, *cotangents)

    return value, pullback


def _refuse_trees(transform, f, values):
    """An ``ArgumentError`` if one of ``values`` is a tree (``trees.structure``)."""
    for value in values:
        if trees.structure(value) is not None:
            name = getattr(getattr(f, "__s2sdiff_origin__", f), "__name__", "the function")
            raise ArgumentError(f"{transform}({name}, ...) was given a tree "
                                f"({type(value).__name__}): {trees.FLAT_ONLY}",
                                construct="tree argument")


def _every_parameter(func, primals):
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
        raise ArgumentError(f"vjp: {func.__name__} has {len(parameters)} parameters "
                            f"({', '.join(p.name for p in parameters)}); "
                            f"no value for {', '.join(p.name for p in missing)}",
                            construct="primals")
    return tuple(primals) + tuple(p.default for p in parameters[len(primals):])


def _call(func, values):
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


def _jacobian_layout(f, columns):
    """``columns(*args)`` -> nested tuples; shaped as ``out_shape + in_shape``, where a
    tuple output adds an axis and so does a tuple ``wrt`` (or ``wrt=None`` with several
    parameters), mirroring ``grad``'s conventions."""
    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args, **kwargs):
        return np.array(columns(*args, **kwargs), dtype=float)[()]
    return jacobian_at


def _for_trees(f, wrt, at_trees, plain):
    """What a Jacobian or Hessian transform returns for ``f`` when it reads a parameter as
    a tree (``tree_calls.reads_trees``): at each call, ``at_trees(tree, values)`` when
    tree arguments are given, else the function ``plain()`` makes.  ``plain()`` runs now,
    so its errors come at generation as elsewhere, unless it is refused: ``f`` may read
    the parameter in a way only a tree allows (``params.W``); then its refusal comes at a
    call without trees."""
    names, _ = resolve_wrt(f, wrt)
    try:
        made, refusal = plain(), None
    except S2SDiffError as error:
        made, refusal = None, error

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def transform_at(*args, **kwargs):
        params, values = _bound_values(f, args, kwargs)
        tree = TreeCall.of(f, params, values, names)
        if tree is not None:
            return at_trees(tree, values)
        if made is None:
            raise refusal
        return made(*args, **kwargs)

    transform_at.source = made.source if made is not None else (
        "# code is generated for the structure of the tree arguments at each new "
        "structure\n")
    return transform_at


def _array_call(generated, args, kwargs):
    """Whether a Jacobian of ``generated``'s function at these arguments is assembled per
    entry (``array_jacobians``): NumPy code, or an array argument."""
    return hasattr(generated, "specialize") or any(
        isinstance(a, np.ndarray) and a.ndim > 0 for a in (*args, *kwargs.values()))


def _bound_values(f, args, kwargs):
    """(parameter names, one value per parameter in order, keyword-only ones and defaults
    included: generated code takes them all by position)."""
    original = getattr(f, "__s2sdiff_origin__", f)
    signature = inspect.signature(f if _named_parameters(f) else original)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise ArgumentError(f"{_name(f)}(): {error}", construct="arguments") from None
    bound.apply_defaults()
    return list(bound.arguments), tuple(bound.arguments.values())


@_decorator
def jacfwd(f, *, wrt=None):
    """The Jacobian by columns: one forward-mode tangent sweep per input, all in one
    generated function (``derivative``'s, extended to tuple outputs); with array arguments
    or NumPy code, the generated jvp run once per entry of each input with a unit tangent,
    each block shaped ``out.shape + in.shape`` (``array_jacobians.by_columns``); tree
    parameters give trees of blocks (``tree_calls``)."""
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.jacfwd(single),
                          lambda: _jacfwd(f, wrt, names, single))
    return _jacfwd(f, wrt, names, single)


def _jacfwd(f, wrt, names, single):
    generated = _generate(f, "jacfwd", wrt, True)
    by_columns = _jacobian_layout(f, generated)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args, **kwargs):
        if not _array_call(generated, args, kwargs):
            return by_columns(*args, **kwargs)
        params, values = _bound_values(f, args, kwargs)
        jvp_code = _generate(f, "jvp", tuple(names), True)
        return array_jacobians.by_columns(jvp_code, values, [params.index(n) for n in names],
                                          generated.__s2sdiff_outputs__ is not None, single)

    jacobian_at.source = generated.source
    return jacobian_at


@_decorator
def jacrev(f, *, wrt=None):
    """The Jacobian by rows: one reverse sweep (a ``vjp`` pullback) per output; with array
    arguments or NumPy code, one per entry of each output with a unit cotangent
    (``array_jacobians.by_rows``); tree parameters give trees of blocks."""
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.jacrev(
            _call(f, array_jacobians.copies(values)), single),
            lambda: _jacrev(f, wrt, names, single))
    return _jacrev(f, wrt, names, single)


def _jacrev(f, wrt, names, single):
    generated = _generate(f, "jacrev", wrt, True)
    outputs = generated.__s2sdiff_outputs__

    def rows(*args):
        if outputs is None:
            row = generated(*args, 1.0)
            return row[0] if single else row
        table = []
        for i in range(outputs):
            row = generated(*args, *[1.0 if j == i else 0.0 for j in range(outputs)])
            table.append(row[0] if single else row)
        return table

    by_rows = _jacobian_layout(f, rows)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args, **kwargs):
        if not _array_call(generated, args, kwargs):
            return by_rows(*args, **kwargs)
        params, values = _bound_values(f, args, kwargs)
        pullback = _generate(f, "vjp_arrays", tuple(names), True)
        return array_jacobians.by_rows(pullback, values, [params.index(n) for n in names],
                                       _call(f, array_jacobians.copies(values)),
                                       outputs is not None, single)

    jacobian_at.source = generated.source
    return jacobian_at


@_decorator
def jacobian(f, *, wrt=None, mode="auto"):
    """The Jacobian of ``f``: ``mode="forward"`` (``jacfwd``, by columns),
    ``"reverse"`` (``jacrev``, by rows) or ``"auto"``: forward when there are no more
    inputs than outputs, reverse otherwise, since a column costs about one forward sweep
    and a row one reverse sweep; counted in entries for NumPy code, at each
    call.  ``auto`` never picks a mode that cannot run: when the code for one mode is
    refused (forward mode over a list, a ``custom_vjp`` rule), it takes the other."""
    if mode not in ("auto", "forward", "reverse"):
        raise S2SDiffError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}",
                           construct="mode")
    if mode != "auto":
        return (jacfwd if mode == "forward" else jacrev)(f, wrt=wrt)
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.jacobian(
            lambda: _call(f, array_jacobians.copies(values)), single),
            lambda: _jacobian_auto(f, wrt, names))
    return _jacobian_auto(f, wrt, names)


def _jacobian_auto(f, wrt, names):
    with firewall(f):
        program = normalize(parse(getattr(f, "__s2sdiff_origin__", f)))
    if any(custom.is_vjp(step) for step in program.steps):
        return jacrev(f, wrt=wrt)       # a custom_vjp rule defines reverse mode only
    if is_array_program(program):
        return _jacobian_by_sizes(f, wrt, names, program.returns_tuple)
    preferred, other = (jacfwd, jacrev) if len(names) <= len(program.outputs) \
        else (jacrev, jacfwd)
    return _runnable(lambda mode: mode(f, wrt=wrt), preferred, other)


def _runnable(attempt, preferred, other):
    """``attempt(preferred)``, or ``attempt(other)`` when the first is refused
    (``UnsupportedError``); the first refusal if both are."""
    try:
        return attempt(preferred)
    except UnsupportedError as refusal:
        first = refusal
    try:
        return attempt(other)
    except UnsupportedError:
        raise first from None


def _jacobian_by_sizes(f, wrt, names, returns_tuple):
    """``jacobian(f, mode="auto")`` of NumPy code: at each call, forward mode when the
    differentiated inputs have no more entries than the outputs, else reverse mode (either
    one alone when the other's code is refused)."""
    made, refusal = {}, None
    for mode in (jacfwd, jacrev):
        try:
            made[mode] = mode(f, wrt=wrt)
        except UnsupportedError as error:
            refusal = refusal or error
    if not made:
        raise refusal

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args, **kwargs):
        params, values = _bound_values(f, args, kwargs)
        outputs = _call(f, array_jacobians.copies(values))
        inputs = sum(np.size(values[params.index(n)]) for n in names)
        entries = sum(np.size(o) for o in (outputs if returns_tuple else [outputs]))
        order = [jacfwd, jacrev] if inputs <= entries else [jacrev, jacfwd]
        modes = [made[m] for m in order if m in made]
        if len(modes) == 1:
            return modes[0](*args, **kwargs)
        return _runnable(lambda mode: mode(*args, **kwargs), *modes)

    jacobian_at.source = next(iter(made.values())).source
    return jacobian_at


def _has_blocks_or_calls(generated):
    """Whether the program ``generated`` was made from has branches, loops or calls."""
    program = listing_of(generated)[0].origin
    return has_control_flow(program.body) or any(
        isinstance(s.rule, Structural) for s in program.steps)


@_decorator
def hessian(f, *, wrt=None):
    """Second derivatives by differentiating generated code again: forward mode (by
    columns) over the reverse-mode gradient, ``jacfwd(grad(f, wrt), wrt)``; for a function
    with branches, loops or calls, over the forward-mode ``derivative(f, wrt)``.  NumPy
    code: one ``hvp`` per entry (reverse mode over the generated jvp), each block shaped
    ``in.shape + in.shape``.  A function that calls a custom rule has none here: s2sdiff
    never differentiates a rule's code."""
    gradient = grad(f, wrt=wrt)
    _refuse_custom("hessian", f, gradient)
    if hasattr(gradient, "specialize"):       # NumPy code: generated per argument shapes
        return _hessian_by_entries(f, wrt)
    if _has_blocks_or_calls(gradient):
        # the reverse sweep of a loop has a tape and a recomputation that are not worth
        # differentiating again: forward over forward, derivative by columns
        gradient = derivative(f, wrt=wrt)
    return jacfwd(gradient, wrt=wrt)


def _hessian_by_entries(f, wrt):
    """The Hessian of NumPy code, one Hessian-vector product per entry of each input."""
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.hessian(_name(f), single),
                          lambda: _hessian_at_entries(f, names, single))
    return _hessian_at_entries(f, names, single)


def _hessian_at_entries(f, names, single):
    jvp_code = _generate(f, "jvp", tuple(names), True)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def hessian_at(*args, **kwargs):
        params, values = _bound_values(f, args, kwargs)
        return array_jacobians.hessian_by_columns(
            jvp_code, values, names, [params.index(n) for n in names], single, _name(f))

    hessian_at.source = jvp_code.source
    return hessian_at


def _refuse_custom(transform, f, generated):
    """An ``UnsupportedError`` if ``generated``'s function calls a custom rule: its second
    derivatives would differentiate the rule's own code."""
    rules = getattr(generated, "__s2sdiff_custom__", ())
    if not rules:
        return
    name = _name(f)
    spelled = ", ".join(f"`{r}`" for r in rules)
    raise UnsupportedError(
        f"{transform}({name}): {name} calls the custom rule {spelled}; its second derivatives "
        f"would differentiate the rule's own code, which s2sdiff never does",
        construct=f"{transform} of a custom rule",
        hint="Check second derivatives numerically on grad(f), or differentiate a version "
             "of the function written without the custom rule.")
