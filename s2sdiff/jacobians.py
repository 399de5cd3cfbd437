"""The Jacobians and second derivatives: ``jacfwd`` (by columns, forward mode),
``jacrev`` (by rows, reverse mode), ``jacobian`` (the cheaper of the two), ``hessian``
(forward mode over generated reverse code) and ``hvp``.

Each asks ``api._generate`` for generated jvp or vjp code and lays the results out as
JAX does: a block ``out.shape + in.shape`` per output and input, a tuple output or a
tuple ``wrt`` adding an axis.  With array arguments (or NumPy code) the generated code
runs once per entry (``array_jacobians``); tree parameters give trees of blocks
(``tree_calls``).
"""

import functools
import inspect
import types
from typing import Any, Callable

import numpy as np

from . import array_jacobians, custom, object_parameters
from .api import (_call, _check_per_parameter, _decorator, _generate, _name,
                  _named_parameters, _parameter_names, _same_shapes, derivative, grad,
                  is_partial, of_partial, resolve_wrt)
from .listing import has_blocks_or_calls
from .methods import for_bound_method
from .errors import ArgumentError, S2SDiffError, UnsupportedError, firewall
from .ir import is_array_program
from .normalize import normalize
from .output_leaves import NODES, leaves, nested, reads_as_lists, rebuilt, transposed, unit_cotangents
from .nested_transforms import is_dispatcher, per_specialization
from .parse import parse
from .purity import refuse_draws_per_sweep, refuse_drawing_objects
from .tree_calls import TreeCall, reads_trees
from .typing import GeneratedFunction, JacobianMode, Primals, Wrt


def hvp(f: Callable[..., Any], primals: Primals, tangents: Primals) -> Any:
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
    _same_shapes("hvp: the tangent of", [primals[p] for p in positions],
                 [tangents[p] for p in positions], names)
    product = array_jacobians.hessian_products(generated, tuple(primals), names, positions,
                                               _name(f))([tangents[p] for p in positions])
    return product[0] if single else tuple(product)


def _jacobian_layout(f: Callable[..., Any], columns: Callable[..., Any]) -> Callable[..., Any]:
    """``columns(*args)`` -> nested tuples; shaped as ``out_shape + in_shape``, where a
    tuple output adds an axis and so does a tuple ``wrt`` (or ``wrt=None`` with several
    parameters), mirroring ``grad``'s conventions."""
    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args: Any, **kwargs: Any) -> Any:
        return _stacked(columns(*args, **kwargs), _table_dtype(args, kwargs))
    return jacobian_at


def _stacked(blocks: Any, dtype: Any = float) -> Any:
    """``blocks`` as one float array; blocks of different shapes (the gradient of a list
    parameter beside a number's) as nested tuples of arrays, as NumPy code lays them out."""
    try:
        return np.array(blocks, dtype=dtype)[()]
    except ValueError:                      # ragged: np.array cannot stack them
        return tuple(_stacked(block, dtype) for block in blocks)


def _table_dtype(args: Any, kwargs: Any) -> Any:
    """The dtype of a Jacobian of code on numbers: float64, but the NumPy float scalars'
    own (float32) when every real argument is one, as their gradients have it."""
    values = [*args, *kwargs.values()]
    dtypes = [v.dtype for v in values if isinstance(v, np.floating)]
    if not dtypes or any(type(v) is float for v in values):
        return float
    return np.result_type(*dtypes)


def _for_trees(f: Callable[..., Any], wrt: Wrt,
               at_trees: Callable[[TreeCall, tuple[Any, ...]], Any],
               plain: Callable[[], Any]) -> Any:
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
    def transform_at(*args: Any, **kwargs: Any) -> Any:
        params, values = _bound_values(f, args, kwargs)
        tree = TreeCall.of(f, params, values, names)
        if tree is not None:
            return at_trees(tree, values)
        if made is None:
            raise refusal  # type: ignore[misc]  # set when nothing was made
        return made(*args, **kwargs)

    transform_at.source = made.source if made is not None else (  # type: ignore[attr-defined]
        "# code is generated for the structure of the tree arguments at each new "
        "structure\n")
    return transform_at


def _per_class(transform: Callable[..., Any], f: Callable[..., Any], wrt: Wrt,
               **options: Any) -> Any:
    """When ``f`` calls methods of parameters left out of ``wrt`` (``model.predict(x)``,
    ``object_parameters.called``): a function that, at each call, applies ``transform``
    to the copy of ``f`` made for the classes of the objects given
    (``object_parameters.variant``, made and transformed once per classes), as ``grad``
    does; else None.  An object of a class not defined in the user's files gets ``f``
    itself, whose refusal names the call."""
    if not isinstance(f, types.FunctionType) or hasattr(f, "__s2sdiff_objects__"):
        return None
    names, _ = resolve_wrt(f, wrt)
    with firewall(f):
        try:
            methods = object_parameters.called(parse(f), names)
        except S2SDiffError:
            return None                 # the transform itself reports it
    if not methods:
        return None
    made: dict[Any, Any] = {}

    @functools.wraps(f)
    def transform_at(*args: Any, **kwargs: Any) -> Any:
        values = object_parameters.bound_values(f, args, kwargs)
        refuse_drawing_objects(f, transform.__name__, values or {})     # p(x) draws per run
        entries = None if values is None else object_parameters.key(f, methods, values)
        code = made.get(entries)
        if code is None:
            # no class of yours among the objects: a copy that knows none, refused at the
            # call (f itself would come back here)
            target = object_parameters.variant(f, () if entries is None else entries)
            code = made[entries] = transform(target, wrt=wrt, **options)
            transform_at.source = code.source  # type: ignore[attr-defined]
        return code(*args, **kwargs)

    transform_at.source = (  # type: ignore[attr-defined]
        f"# code is generated for the classes of the objects {f.__name__} is given, at "
        f"the first call with them\n")
    return transform_at


def _array_call(generated: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a Jacobian of ``generated``'s function at these arguments is assembled per
    entry (``array_jacobians``): NumPy code, or an array argument."""
    return hasattr(generated, "specialize") or any(
        isinstance(a, np.ndarray) and a.ndim > 0 for a in (*args, *kwargs.values()))


def _bound_values(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
                  ) -> tuple[list[str], tuple[Any, ...]]:
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
def jacfwd(f: Callable[..., Any], *, wrt: Wrt = None) -> GeneratedFunction[...]:
    """The Jacobian by columns: one forward-mode tangent sweep per input, all in one
    generated function (``derivative``'s, extended to tuple outputs); with array arguments
    or NumPy code, the generated jvp run once per entry of each input with a unit tangent,
    each block shaped ``out.shape + in.shape`` (``array_jacobians.by_columns``); tree
    parameters give trees of blocks (``tree_calls``)."""
    if is_partial(f):                      # functools.partial(f, A=...)
        return of_partial(f, lambda g, names: jacfwd(g, wrt=names), wrt)
    if is_dispatcher(f):                    # jacfwd(grad(f)) of NumPy code
        return per_specialization(f, lambda code: jacfwd(code, wrt=wrt))
    refuse_draws_per_sweep(f, "Jacobian")
    per_class = _per_class(jacfwd, f, wrt)
    if per_class is not None:
        return per_class
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.jacfwd(single),
                          lambda: _jacfwd(f, wrt, names, single))
    return _jacfwd(f, wrt, names, single)


def _jacfwd(f: Callable[..., Any], wrt: Wrt, names: list[str], single: bool) -> Any:
    try:
        generated = _generate(f, "jacfwd", wrt, True)
    except UnsupportedError as refusal:
        if refusal.construct != "forward mode over a list parameter":
            raise
        return _columns_at_arrays(f, names, single, refusal)
    outputs = generated.__s2sdiff_outputs__

    def columns(*args: Any, **kwargs: Any) -> Any:
        table = generated(*args, **kwargs)
        if outputs is None or single:
            return table
        # a nested entry's tangents (one per input, each shaped like the entry): per leaf
        return tuple(transposed(entry) if any(isinstance(c, NODES) for c in entry) else entry
                     for entry in table)

    by_columns = _jacobian_layout(f, columns)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args: Any, **kwargs: Any) -> Any:
        if not _array_call(generated, args, kwargs):
            return by_columns(*args, **kwargs)
        params, values = _bound_values(f, args, kwargs)
        jvp_code = _generate(f, "jvp", tuple(names), True)
        return array_jacobians.by_columns(jvp_code, values, [params.index(n) for n in names],
                                          outputs is not None, single)

    jacobian_at.source = generated.source  # type: ignore[attr-defined]
    return jacobian_at


def _columns_at_arrays(f: Callable[..., Any], names: list[str], single: bool,
                       refusal: UnsupportedError) -> Any:
    """``jacfwd`` of code without NumPy calls that reads a parameter as a list: refused
    for lists (one derivative per element, ``refusal``), but at 1-D arrays it runs as at
    lists (``output_leaves.reads_as_lists``), and its generated jvp, run once per entry
    with a unit tangent, gives the columns.  ``refusal`` (kept as
    ``__s2sdiff_refusal__``, for ``jacobian`` and ``hessian`` to take the other way)
    at other arguments."""
    jvp_code = _generate(f, "jvp", tuple(names), True)
    name = _name(f)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args: Any, **kwargs: Any) -> Any:
        params, values = _bound_values(f, args, kwargs)
        positions = [params.index(n) for n in names]
        if any(isinstance(values[p], (list, tuple)) for p in positions) or not any(
                isinstance(values[p], np.ndarray) and values[p].ndim > 0 for p in positions):
            raise refusal
        bound = (f.__self__,) if inspect.ismethod(f) else ()   # S.energy: self first
        if not reads_as_lists(jvp_code, bound + values,
                              _call(f, array_jacobians.copies(values))):
            raise UnsupportedError(
                f"jacfwd({name}): {name} calls no NumPy function, so its code is generated "
                f"for numbers and lists of numbers; it reads an array as a list when the "
                f"array is 1-D and {name} returns numbers, not at these arguments",
                construct="array for code on lists", filename=refusal.filename,
                lineno=refusal.lineno, source_line=refusal.source_line,
                hint="Make it NumPy code by building its outputs with NumPy "
                     "(`return np.stack([x[0] * x[1], x[1] ** 2])`).")
        return array_jacobians.by_columns(jvp_code, values, positions,
                                          jvp_code.__s2sdiff_outputs__ is not None, single)

    jacobian_at.source = jvp_code.source  # type: ignore[attr-defined]
    jacobian_at.__s2sdiff_refusal__ = refusal  # type: ignore[attr-defined]
    return jacobian_at


@_decorator
def jacrev(f: Callable[..., Any], *, wrt: Wrt = None) -> GeneratedFunction[...]:
    """The Jacobian by rows: one reverse sweep (a ``vjp`` pullback) per output; with array
    arguments or NumPy code, one per entry of each output with a unit cotangent
    (``array_jacobians.by_rows``); tree parameters give trees of blocks."""
    if is_partial(f):                      # functools.partial(f, A=...)
        return of_partial(f, lambda g, names: jacrev(g, wrt=names), wrt)
    if is_dispatcher(f):                    # jacrev(grad(f)) of NumPy code
        return per_specialization(f, lambda code: jacrev(code, wrt=wrt))
    refuse_draws_per_sweep(f, "Jacobian")
    per_class = _per_class(jacrev, f, wrt)
    if per_class is not None:
        return per_class
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.jacrev(
            _call(f, array_jacobians.copies(values)), single),
            lambda: _jacrev(f, wrt, names, single))
    return _jacrev(f, wrt, names, single)


def _jacrev(f: Callable[..., Any], wrt: Wrt, names: list[str], single: bool) -> Any:
    generated = _generate(f, "jacrev", wrt, True)
    outputs = generated.__s2sdiff_outputs__

    every = len(inspect.signature(getattr(f, "__s2sdiff_origin__", f)).parameters)

    def rows(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != every:
            args = _bound_values(f, args, kwargs)[1]   # keywords and defaults, by position
        if outputs is None and getattr(generated, "__s2sdiff_list_output__", False):
            size = len(f(*args))    # `return ys`: one row per entry, a unit cotangent list
            rows = (generated(*args, [1.0 if j == i else 0.0 for j in range(size)])
                    for i in range(size))
            return [row[0] if single else row for row in rows]
        if outputs is None:
            row = generated(*args, 1.0)
            return row[0] if single else row
        value = _call(f, array_jacobians.copies(args))
        if nested(value):       # `return a, (b, c)`: a row per leaf, in that structure
            return rebuilt(value, [(lambda row: row[0] if single else row)(
                generated(*args, *cotangent)) for cotangent in unit_cotangents(value)])
        table = []
        for i in range(outputs):
            row = generated(*args, *[1.0 if j == i else 0.0 for j in range(outputs)])
            table.append(row[0] if single else row)
        return table

    by_rows = _jacobian_layout(f, rows)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args: Any, **kwargs: Any) -> Any:
        if not _array_call(generated, args, kwargs):
            return by_rows(*args, **kwargs)
        params, values = _bound_values(f, args, kwargs)
        value = _call(f, array_jacobians.copies(values))
        # code without NumPy calls at 1-D arrays it reads as lists runs as at lists
        pullback = generated if reads_as_lists(generated, values, value) else _generate(
            f, "vjp_arrays", tuple(names), True)
        return array_jacobians.by_rows(pullback, values, [params.index(n) for n in names],
                                       value, outputs is not None, single)

    jacobian_at.source = generated.source  # type: ignore[attr-defined]
    return jacobian_at


@_decorator
def jacobian(f: Callable[..., Any], *, wrt: Wrt = None,
             mode: JacobianMode = "auto") -> GeneratedFunction[...]:
    """The Jacobian of ``f``: ``mode="forward"`` (``jacfwd``, by columns),
    ``"reverse"`` (``jacrev``, by rows) or ``"auto"``: forward when there are no more
    inputs than outputs, reverse otherwise, since a column costs about one forward sweep
    and a row one reverse sweep; counted in entries for NumPy code, at each
    call.  ``auto`` never picks a mode that cannot run: when the code for one mode is
    refused (forward mode over a list, a ``custom_vjp`` rule), it takes the other."""
    if is_partial(f):
        return of_partial(f, lambda g, names: jacobian(g, wrt=names, mode=mode), wrt)
    if mode not in ("auto", "forward", "reverse"):
        raise S2SDiffError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}",
                           construct="mode")
    if mode != "auto":
        return (jacfwd if mode == "forward" else jacrev)(f, wrt=wrt)
    if is_dispatcher(f):                    # jacobian(grad(f)) of NumPy code
        return per_specialization(f, lambda code: jacobian(code, wrt=wrt))
    refuse_draws_per_sweep(f, "Jacobian")
    per_class = _per_class(jacobian, f, wrt)
    if per_class is not None:
        return per_class
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.jacobian(
            lambda: _call(f, array_jacobians.copies(values)), single),
            lambda: _jacobian_auto(f, wrt, names))
    return _jacobian_auto(f, wrt, names)


def _jacobian_auto(f: Callable[..., Any], wrt: Wrt, names: list[str]) -> Any:
    with firewall(f):            # a bound method: its function's program (self is data),
        if inspect.ismethod(f) and isinstance(f.__func__, types.FunctionType):
            source = for_bound_method(f)     # specialised on its class, as grad reads it
        else:
            source = getattr(f, "__s2sdiff_origin__", getattr(f, "__func__", f))
        program = normalize(parse(source))
    if any(custom.is_vjp(step) for step in program.steps):
        return jacrev(f, wrt=wrt)       # a custom_vjp rule defines reverse mode only
    if is_array_program(program):
        return _jacobian_by_sizes(f, wrt, names, program.returns_tuple)
    if len(names) > len(program.outputs):
        return _runnable(lambda mode: mode(f, wrt=wrt), jacrev, jacfwd)
    forward = _runnable(lambda mode: mode(f, wrt=wrt), jacfwd, jacrev)
    return _reverse_for_lists(f, wrt, names, forward)


def _reverse_for_lists(f: Callable[..., Any], wrt: Wrt, names: list[str],
                       forward: Any) -> Any:
    """``forward``, but ``jacrev`` at a call that passes a list or tuple for a parameter
    of ``names``: scalar code that hands it on to a helper is only known to take a list
    when called (forward mode refuses lists: one derivative per element)."""
    reverse: list[Any] = []

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args: Any, **kwargs: Any) -> Any:
        params, values = _bound_values(f, args, kwargs)
        if any(isinstance(values[params.index(n)], (list, tuple)) for n in names):
            if not reverse:
                reverse.append(jacrev(f, wrt=wrt))
            return reverse[0](*args, **kwargs)
        return forward(*args, **kwargs)

    jacobian_at.source = forward.source  # type: ignore[attr-defined]
    return jacobian_at


def _runnable(attempt: Callable[[Any], Any], preferred: Any, other: Any) -> Any:
    """``attempt(preferred)``, or ``attempt(other)`` when the first is refused
    (``UnsupportedError``); the first refusal if both are."""
    deferred = None          # made, but refusing some arguments (_columns_at_arrays)
    try:
        made = attempt(preferred)
        first = getattr(made, "__s2sdiff_refusal__", None)
        if first is None:
            return made
        deferred = made
    except UnsupportedError as refusal:
        first = refusal
    try:
        return attempt(other)
    except UnsupportedError:
        if deferred is not None:
            return deferred
        raise first from None


def _jacobian_by_sizes(f: Callable[..., Any], wrt: Wrt, names: list[str],
                       returns_tuple: bool) -> Any:
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
        raise refusal  # type: ignore[misc]  # set when nothing was made

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def jacobian_at(*args: Any, **kwargs: Any) -> Any:
        params, values = _bound_values(f, args, kwargs)
        outputs = _call(f, array_jacobians.copies(values))
        inputs = sum(np.size(values[params.index(n)]) for n in names)
        entries = sum(np.size(o) for o in (leaves(outputs, None, (tuple,)) if returns_tuple
                                           else [outputs]))   # nested tuples: their leaves
        order = [jacfwd, jacrev] if inputs <= entries else [jacrev, jacfwd]
        modes = [made[m] for m in order if m in made]
        if len(modes) == 1:
            return modes[0](*args, **kwargs)
        return _runnable(lambda mode: mode(*args, **kwargs), *modes)

    jacobian_at.source = next(iter(made.values())).source  # type: ignore[attr-defined]
    return jacobian_at


def _has_blocks_or_calls(generated: GeneratedFunction[...]) -> bool:
    """Whether the program ``generated`` was made from has branches, loops or calls."""
    return has_blocks_or_calls(getattr(generated, "__func__", generated))   # bound: its function


@_decorator
def hessian(f: Callable[..., Any], *, wrt: Wrt = None) -> GeneratedFunction[...]:
    """Second derivatives by differentiating generated code again: forward mode (by
    columns) over the reverse-mode gradient, ``jacfwd(grad(f, wrt), wrt)``; for a function
    with branches, loops or calls, over the forward-mode ``derivative(f, wrt)``.  NumPy
    code, and a list parameter (which forward mode takes as a tangent list): one ``hvp`` per entry (reverse mode over the generated jvp), each block shaped
    ``in.shape + in.shape``; so too a call passing a list, tuple or array for a parameter
    that scalar code hands on to a helper (``_entries_for_sequences``).  A function that calls a custom rule has none here: s2sdiff
    never differentiates a rule's code."""
    if is_partial(f):                      # functools.partial(f, A=...)
        return of_partial(f, lambda g, names: hessian(g, wrt=names), wrt)
    if is_dispatcher(f):                    # hessian(grad(f)) of NumPy code
        return per_specialization(f, lambda code: hessian(code, wrt=wrt))
    refuse_draws_per_sweep(f, "Hessian")
    per_class = _per_class(hessian, f, wrt)
    if per_class is not None:
        return per_class
    gradient = grad(f, wrt=wrt)
    _refuse_custom("hessian", f, gradient)
    if hasattr(gradient, "specialize"):       # NumPy code: generated per argument shapes
        return _hessian_by_entries(f, wrt)
    try:
        if _has_blocks_or_calls(gradient):
            # the reverse sweep of a loop has a tape and a recomputation that are not worth
            # differentiating again: forward over forward, derivative by columns
            gradient = derivative(f, wrt=wrt)
        made = jacfwd(gradient, wrt=wrt)
        refused = getattr(made, "__s2sdiff_refusal__", None)
        if refused is not None:
            raise refused                       # lists: the Hessian by entries, below
        return _entries_for_sequences(f, wrt, made)
    except UnsupportedError as refusal:
        if refusal.construct != "forward mode over a list parameter":
            raise
    return _hessian_by_entries(f, wrt)      # a list parameter: one hvp per entry


def _entries_for_sequences(f: Callable[..., Any], wrt: Wrt, made: Any) -> Any:
    """``made`` (forward mode over generated code), but one hvp per entry
    (``_hessian_by_entries``) at a call that passes a list, tuple or array for a
    differentiated parameter: scalar code that only hands it on to a helper
    (``ys = scale(xs)``) is only known to take a sequence when called, and ``made`` would
    take it as one number."""
    names, _ = resolve_wrt(f, wrt)
    entries: list[Any] = []

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def hessian_at(*args: Any, **kwargs: Any) -> Any:
        params, values = _bound_values(f, args, kwargs)
        if any(isinstance(v, (list, tuple)) or (isinstance(v, np.ndarray) and v.ndim > 0)
               for v in (values[params.index(n)] for n in names)):
            if not entries:
                entries.append(_hessian_by_entries(f, wrt))
            return entries[0](*args, **kwargs)
        return made(*args, **kwargs)

    hessian_at.source = made.source  # type: ignore[attr-defined]
    return hessian_at


def _hessian_by_entries(f: Callable[..., Any], wrt: Wrt) -> Any:
    """The Hessian of NumPy code, one Hessian-vector product per entry of each input."""
    names, single = resolve_wrt(f, wrt)
    if reads_trees(f, names):
        return _for_trees(f, wrt, lambda tree, values: tree.hessian(_name(f), single),
                          lambda: _hessian_at_entries(f, names, single))
    return _hessian_at_entries(f, names, single)


def _hessian_at_entries(f: Callable[..., Any], names: list[str], single: bool) -> Any:
    jvp_code = _generate(f, "jvp", tuple(names), True)

    @functools.wraps(getattr(f, "__s2sdiff_origin__", f))
    def hessian_at(*args: Any, **kwargs: Any) -> Any:
        params, values = _bound_values(f, args, kwargs)
        return array_jacobians.hessian_by_columns(
            jvp_code, values, names, [params.index(n) for n in names], single, _name(f))

    hessian_at.source = jvp_code.source  # type: ignore[attr-defined]
    return hessian_at


def _refuse_custom(transform: str, f: Callable[..., Any], generated: Any) -> None:
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
