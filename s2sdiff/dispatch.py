"""The specialising dispatcher of NumPy code.

``grad(f)`` of an array program returns a dispatcher whose only work per call is to
compute the key of its arguments (each argument's shape and dtype, or its type for a
number, and the shapes of free data the function reads) and look it up; the first call
with a new key runs ``specialise``: kinds inference (``kinds.infer``) on those arguments
and generation of code that knows them.  The dispatcher takes the user's parameter
names: arguments by position, by name, keyword-only and left to their defaults are bound
as the user's function binds them, then passed to the specialised code by position.
"""

import ast
import inspect
import re
import threading
import traceback
from typing import Any, Callable, Sequence

import numpy as np

from . import activity, aliases, defaults, rules, sources, syntax
from .errors import ArgumentError, InternalError, S2SDiffError, UnsupportedError
from .kinds import NOT_SCALAR_HINT, infer
from .libraries import is_array_like, only_array_api
from .numpy_definitions import refusal_parts
from .scalar_inputs import refuse_arrays_in_numpy_code
from .trees import FLAT_ONLY
from .typing import Dispatcher


def dispatcher(func: Callable[..., Any], name: str, params: Sequence[str],
               specialise: Callable[..., Any], free: Sequence[str] = (), parsed: Any = None,
               parameter_reads: Sequence[str] = (), flat: bool = False,
               missing: Callable[..., Any] | None = None) -> Dispatcher[...]:
    """``name(*args)``: the code generated for the arguments' kinds, made on first use.

    The key is each argument's ``(shape, dtype)`` for arrays and its type otherwise, then
    the same of each free data value ``free`` (keys of ``free_data`` and ``free_entries``,
    read through ``parsed``'s globals and closure cells as the function reads them); the
    only per-call cost is computing it and one dictionary lookup.  ``parameter_reads``:
    attributes of parameters the function reads as data (``self.w``), keyed the same way.
    ``flat``: ``params`` are the leaves of tree parameters (``trees.flatten``), each
    passed by position.  ``missing(args, error)``: what a call whose key reads an
    attribute the argument lacks returns (``self.l1.W`` of a model whose ``l1`` is now of
    another class, ``attribute_methods.py``); without it the ``AttributeError`` stands.
    """
    table = {}
    lock = threading.Lock()
    ndarray = np.ndarray
    n = len(params)
    signature = inspect.signature(func) if not flat else inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params])
    live = [None, None]            # the signature with the defaults the function has now

    def make(args):
        with lock:
            key = _key(args)
            if key not in table:
                try:
                    table[key] = specialise(args)
                except InternalError:
                    raise                    # its cause is the report
                except S2SDiffError as error:
                    raise error.with_traceback(None) from None
                dispatch.source = table[key].source
            return table[key]

    reads = [(list(params).index(steps[0]), steps[1:])
             for steps in map(_steps, parameter_reads)]

    def _key(args):
        return tuple([(a.shape, a.dtype) if type(a) is ndarray else _argument_key(a)
                      for a in args]) + free_key() + tuple(
            [_read_key(args[index], attributes) for index, attributes in reads])

    def positional(args, kwargs):
        """Every parameter's value in order (keywords and defaults bound), then the rest."""
        if not kwargs and len(args) >= n:
            return args
        try:
            bound = (signature if flat else defaults.signature(func, live)).bind(
                *args[:n], **kwargs)
        except TypeError as error:
            raise TypeError(f"{name}(): {error}") from None
        bound.apply_defaults()
        return tuple(bound.arguments.values()) + args[n:]

    def slow(*args, **kwargs):
        args = positional(args, kwargs)
        try:
            key = _key(args)
        except (AttributeError, LookupError, TypeError) as error:    # self.layers[2]
            if missing is None:
                raise
            return missing(args, error)
        generated = table.get(key)
        if generated is None:
            generated = make(args)
        return generated(*args)

    parameters = list(signature.parameters.values())[:n]
    required = next((i for i, p in enumerate(parameters) if p.default is not p.empty
                     or p.kind is p.KEYWORD_ONLY), n)
    free_key, free_parts, free_names = _free_key(free, parsed)
    free_parts = list(free_parts) + [
        f"(s2sdiff_v.shape, s2sdiff_v.dtype) if type(s2sdiff_v := {key}) is s2sdiff_ndarray "
        f"else s2sdiff_other(s2sdiff_v)" for key in parameter_reads]
    dispatch = _fast_path(params, table, slow, required, free_parts, free_names,
                          missing is not None)

    by_data: dict[Any, Any] = {}

    def specialise_again(shapes, *args):
        """The code for ``args`` whose values of data-dependent shape (``X[mask]``,
        ``data_shapes.py``) have ``shapes`` (up to the first that differed from the code
        that calls this), generated once per such shapes."""
        args = positional(args, {})
        key = (_key(args), tuple(tuple(s) for s in shapes))
        generated = by_data.get(key)
        if generated is None:
            with lock:
                try:
                    generated = by_data[key] = specialise(args)
                except InternalError:
                    raise
                except S2SDiffError as error:
                    raise error.with_traceback(None) from None
        return generated(*args)

    def specialize(*args, **kwargs):
        """The generated function for arguments of these kinds (with ``.source``), and of
        these data shapes where some depend on the data (``X[mask]``, ``np.stack(hs)``):
        the code a Hessian differentiates again must be the one these values run."""
        args = positional(args, kwargs)
        try:
            generated = table[_key(args)]
        except (KeyError, TypeError):
            return make(args)
        if not getattr(generated, "__s2sdiff_data_shapes__", None):
            return generated
        with lock:
            generated = specialise(args)
            key = (_key(args), generated.__s2sdiff_data_shapes__)
            return by_data.setdefault(key, generated)

    dispatch.__name__ = dispatch.__qualname__ = name
    dispatch.specialize = specialize
    dispatch.specialise_again = specialise_again
    dispatch.specializations = table
    dispatch._repr_markdown_ = lambda: sources.markdown(dispatch.source)    # Jupyter
    dispatch.source = (f"# {name} is generated for the shapes and dtypes of its arguments when "
                       f"it is first called;\n# {name}.specialize(*args).source shows the code.\n")
    return dispatch


def _free_key(free, parsed):
    """``(free_key, source, names)``: a function giving the free values' part of the key,
    the same as a source expression, and the names that expression reads (all prefixed
    ``s2sdiff_``: the dispatcher's parameters are the user's names)."""
    names, parts = {"s2sdiff_ndarray": np.ndarray, "s2sdiff_other": _value_key}, []
    for key in free:
        root = _ROOT.match(key).group()      # X, data.X, CFG['scale'] (free_entries)
        if root in parsed.closure:
            names[f"s2sdiff_cell{len(parts)}"] = parsed.closure[root]
            read = f"s2sdiff_cell{len(parts)}.cell_contents"
        elif root in parsed.globals:
            names["s2sdiff_globals"] = parsed.globals
            read = f"s2sdiff_globals.get({root!r})"
        else:
            continue
        read += key[len(root):]
        parts.append(f"(s2sdiff_v.shape, s2sdiff_v.dtype) if type(s2sdiff_v := {read}) is "
                     f"s2sdiff_ndarray else s2sdiff_other(s2sdiff_v)")
    namespace = dict(names)
    source = "".join(f"{part}, " for part in parts)
    exec(syntax.compile(f"def free_key():\n    return ({source})\n", "<s2sdiff dispatcher>",
                 "exec"), namespace)
    return namespace["free_key"], parts, names


_ROOT = re.compile(r"\w+")


def _steps(key):
    """``["self", "layers", 0, "W"]`` for the read ``"self.layers[0].W"``."""
    node, steps = ast.parse(key, mode="eval").body, []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        steps.append(node.attr if isinstance(node, ast.Attribute) else node.slice.value)
        node = node.value
    return [node.id] + steps[::-1]


def _read_key(value, attributes):
    """The key of the attribute chain ``attributes`` of the argument ``value`` (an int:
    an index into a list, ``attribute_methods.unrolled``)."""
    for attribute in attributes:
        value = getattr(value, attribute) if isinstance(attribute, str) else value[attribute]
    return (value.shape, value.dtype) if type(value) is np.ndarray else _value_key(value)


def _argument_key(value):
    """The key of an argument that is not an ndarray: its type, and the shape and dtype of
    another library's array (``kinds.is_array_like``).  The fast path keys such an array
    on its type alone, which no entry has: it takes the slow path, keyed here.  An int or
    a bool is keyed on its value too, and so is a list or tuple of numbers: generation
    reads them (``np.zeros(n)``, ``x[:n]``, ``np.array(edges)``), as ``jax.jit`` does
    its static arguments."""
    if is_array_like(value):
        return type(value), tuple(value.shape), value.dtype
    kind = type(value)
    if kind is int or kind is bool:
        return kind, value
    if isinstance(value, np.integer):
        return kind, int(value)
    if (kind is list or kind is tuple) and _numbers_only(value):
        return kind, _frozen(value)
    return kind


def _frozen(value):
    return tuple(_frozen(v) if isinstance(v, (list, tuple)) else (type(v), v) for v in value)


def _value_key(value):
    """The key of a free value that is not an ndarray: ``_argument_key``'s, and a list's
    length."""
    if isinstance(value, (list, tuple)) and not _numbers_only(value):
        return type(value), len(value)
    return _argument_key(value)


def _fast_path(params, table, slow, required=None, free_parts=(), free_names=None,
               attributes=False):
    """``f(a, b)``: look the kinds of exactly the user's arguments up inline (no ``*args``
    packing, no loop), under the user's parameter names, so that passing them by name
    takes this path too; anything else (other keywords, defaults, the cotangents of a vjp)
    goes through ``slow``.  Parameters from ``required`` on may be left out (they have
    defaults, or are keyword-only).  Every other name in it starts with ``s2sdiff_``.
    ``attributes``: the key reads attributes an argument may lack (``dispatcher``'s
    ``missing``), and ``slow`` takes such a call."""
    names = list(params)
    required = len(names) if required is None else required
    key = ", ".join([f"({a}.shape, {a}.dtype) if type({a}) is s2sdiff_ndarray else "
                     f"(type({a}), {a}) if type({a}) is int or type({a}) is bool else type({a})"
                     for a in names] + list(free_parts))
    optional = names[required:]
    heads = names[:required] + [f"{a}=s2sdiff_missing" for a in optional]
    # with more positional arguments every optional one was given too; without, those
    # given are passed on by name (some before them may be missing)
    given = ", ".join(names[:required] + [
        "**{s2sdiff_k: s2sdiff_v for s2sdiff_k, s2sdiff_v in ("
        + "".join(f"({a!r}, {a}), " for a in optional)
        + ") if s2sdiff_v is not s2sdiff_missing}"] * bool(optional))
    test = "".join(f" or {a} is s2sdiff_missing" for a in optional)
    source = (f"def dispatch({', '.join(heads)}, *s2sdiff_more, **s2sdiff_kwargs):\n"
              + (f"    if s2sdiff_more:\n"
                 f"        return s2sdiff_slow({', '.join(names)}, *s2sdiff_more, "
                 f"**s2sdiff_kwargs)\n" if optional else "") +
              f"    if s2sdiff_more or s2sdiff_kwargs{test}:\n"
              f"        return s2sdiff_slow({given}, "
              f"{'' if optional else '*s2sdiff_more, '}**s2sdiff_kwargs)\n"
              + (f"    try:\n"
                 f"        s2sdiff_generated = s2sdiff_get(({key},))\n"
                 f"    except (AttributeError, LookupError, TypeError):\n"
                 f"        return s2sdiff_slow({', '.join(names)})\n" if attributes else
                 f"    s2sdiff_generated = s2sdiff_get(({key},))\n") +
              f"    if s2sdiff_generated is None:\n"
              f"        return s2sdiff_slow({', '.join(names)})\n"
              f"    return s2sdiff_generated({', '.join(names)})\n")
    if not names:
        source = ("def dispatch(*s2sdiff_more, **s2sdiff_kwargs):\n"
                  "    return s2sdiff_slow(*s2sdiff_more, **s2sdiff_kwargs)\n")
    namespace = {"s2sdiff_ndarray": np.ndarray, "s2sdiff_get": table.get,
                 "s2sdiff_slow": slow, "s2sdiff_missing": _MISSING, **(free_names or {})}
    exec(syntax.compile(source, "<s2sdiff dispatcher>", "exec"), namespace)
    return namespace["dispatch"]


_MISSING = object()     # an argument left to its default (the dispatcher's fast path)


def specialiser(parsed_program, kind, wrt_names, generate):
    """``specialise(args)``: check the arguments, infer kinds (``program.kinds``), check
    the aliases with them, refuse integer arrays given for ``wrt_names`` where their
    gradient would silently be zero, then ``generate(program, ieee)``."""
    def specialise(args, ieee=False):
        program = parsed_program(args)
        for param, value in zip(program.params, args):
            if param not in wrt_names and (value is None or _numbers_only(value) or (
                    isinstance(value, np.ndarray) and value.size == 0
                    and value.dtype.kind in "biuf")):
                continue          # data: axis=None, edges = [(0, 1), (1, 2)], np.zeros((0, 3))
            if param not in program.opaque_params or (value is None and param in wrt_names):
                check_argument(program.name, param, value,   # not objects nor functions
                               program.array_reason or _array_step(program))
        scalar = kind if kind in ("grad", "value_and_grad") else None
        try:
            kinds = infer(program, args[:len(program.params)], scalar)
        except (TypeError, ValueError) as error:      # an array where Python needs a number
            refusal = refuse_arrays_in_numpy_code(program, args, error)
            if refusal is None:
                raise
            raise refusal from None
        except NotImplementedError as error:          # np.cov(m) of a one-dimensional m
            parts = refusal_parts(str(error))
            if parts is None:
                raise
            raise _definition_refusal(program, error, *parts) from None
        output = kinds.get(program.output.id) if isinstance(program.output, ast.Name) else None
        if scalar and output is not None and output.shape not in ((), None):
            raise program.not_scalar(kind, f"an array of shape {output.shape}",
                                     NOT_SCALAR_HINT, program.assigned_at.get(program.output.id))
        program.kinds = kinds
        aliases.check(program, kinds)
        integers = [p for p in wrt_names if kinds[p].dtype in "iu"]    # arrays and numbers
        for param in integers:
            _refuse_active_integers(parsed_program(args), args, param)
        return generate(program, ieee)
    return specialise


def _definition_refusal(program, error, construct, hint):
    """The ``UnsupportedError`` of a use of NumPy that ``numpy_definitions`` does not cover,
    found when the forward ran on these arguments: at the user's line (the inference code
    is numbered by it)."""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f.lineno for f in frames if f.filename == program.parsed.filename]
    return program.parsed.error(
        ast.Pass(lineno=lines[-1] if lines else program.parsed.node.lineno),
        f"s2sdiff cannot differentiate {program.name}: {construct} is not supported",
        construct=construct, hint=hint, cls=UnsupportedError)


def check_argument(function_name, name, value, reason=None):
    """An ``ArgumentError`` naming the parameter for a value arrays code cannot take;
    ``reason``: the user's node that makes the function NumPy code, if known."""
    problem = None
    if value is None:
        raise ArgumentError(
            f"argument {name!r} of {function_name} is None, but it is differentiated: None "
            f"is data, not a number. Pass a number or an array for it, or leave {name!r} out "
            f"of wrt= to read None as data (wrt=None leaves out a parameter whose default is "
            f"None)", construct="argument")
    if is_array_like(value) and not all(isinstance(n, (int, np.integer)) for n in value.shape):
        problem = (f"{type(value).__name__} of unknown shape {value.shape} (generated code is "
                   f"specialised to shapes: compute its chunk sizes first, as Dask's "
                   f"x.compute_chunk_sizes() does)")
    elif only_array_api(value):
        problem = (f"{type(value).__module__}.{type(value).__name__}, an Array API array "
                   f"without NumPy's protocols (__array_function__, __array_ufunc__): "
                   f"generated code calls NumPy functions on it; pass a NumPy array or "
                   f"one of a library that implements them (Dask, CuPy)")
    elif isinstance(value, np.ndarray) or is_array_like(value):
        if value.dtype.kind not in "biuf":
            problem = f"an array of dtype {value.dtype}"
        elif value.size == 0:
            problem = f"an empty array of shape {value.shape}"
    elif isinstance(value, complex) or not isinstance(value, (int, float, np.number, bool)):
        problem = f"{type(value).__name__} {value!r:.60}"
    if problem and _numbers_only(value):       # a list of numbers, differentiated
        raise ArgumentError(
            f"argument {name!r} of {function_name} is a {type(value).__name__} of numbers, "
            f"which NumPy code differentiates as an array: pass np.array({name}) (its "
            f"gradient is then an array), or leave {name!r} out of wrt= to read it as data"
            + _numpy_because(function_name, reason), construct="argument")
    if problem:
        tree = isinstance(value, (dict, list, tuple)) or hasattr(value, "__dataclass_fields__")
        raise ArgumentError(
            f"argument {name!r} of {function_name} must be a real number or a non-empty "
            f"array of real numbers, got {problem}" + (f" ({FLAT_ONLY})" if tree else ""),
            construct="argument")


def _array_step(program):
    """The value of the first step that makes ``program`` NumPy code by its rule (a
    method of arrays, ``xs.copy()``), for messages; None if there is none."""
    return next((s.value for s in program.steps if isinstance(s.rule, rules.ArrayRule)), None)


def _numpy_because(function_name, reason):
    """Why ``function_name`` is NumPy code, when what makes it so is no NumPy call: a list
    slice held in a name (``zs = xs[1:]``) reads as one."""
    if isinstance(reason, ast.Call) and isinstance(reason.func, ast.Attribute) \
            and reason.func.attr == "copy":
        reason = reason.func                     # xs.copy(): a method of arrays
    if reason is None or isinstance(reason, ast.Call):
        return ""
    slice_ = isinstance(reason, ast.Subscript) and isinstance(reason.slice, ast.Slice)
    if slice_ and isinstance(reason.ctx, ast.Store):
        rewrite = ("; to keep it code on lists, assign entry by entry (`for i in "
                   "range(len(xs)): ys[i] = xs[i]`) or build a new list (`ys = list(xs)`)")
    elif slice_:
        rewrite = ("; to keep it code on lists, loop over the slice where it is read (`for z "
                   "in xs[1:]`, `sum(xs[1:])`) instead of holding it in a name")
    elif isinstance(reason, ast.Attribute) and reason.attr == "copy":
        rewrite = f"; to keep it code on lists, copy with `list({ast.unparse(reason.value)})`"
    else:
        rewrite = ""
    return (f" ({function_name} is NumPy code because of `{ast.unparse(reason)}` on line "
            f"{getattr(reason, 'lineno', '?')}{rewrite})")


def _numbers_only(value):
    """A list or tuple of Python numbers, nested (``[(0, 1), (1, 2)]``): data the code
    reads by index when it is not differentiated."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_numbers_only(v) or type(v) in (int, float, bool)
                                   for v in value)
    return False


def _refuse_active_integers(program, args, param):
    """Raise ``ArgumentError`` if the integer array passed for the differentiated
    ``param`` would be active were it a float array: its gradient would silently be zero.

    An integer array used only where NumPy needs integers (indices, counts, shapes) stays
    a constant, as JAX's integer inputs are; one that enters arithmetic reaching the
    output is refused, the way JAX and PyTorch refuse to differentiate integer inputs.
    Whether it enters arithmetic is asked of kinds inference and activity analysis run
    on the same arguments with that array as floats (an index made float fails there)."""
    index = program.params.index(param)
    as_floats = list(args)
    value = args[index]
    as_floats[index] = value.astype(float) if hasattr(value, "astype") else float(value)
    try:
        program.kinds = infer(program, as_floats[:len(program.params)])
    except Exception:           # it is used where only integers do: an index, a count
        return
    facts = activity.analyze(program, [param], kinds=program.kinds)
    if param in facts.varied and param in facts.useful:
        if isinstance(value, np.ndarray):
            what, fix = f"an array of {value.dtype}", f"an array of floats ({param}.astype(float))"
        else:
            what, fix = f"the {type(value).__name__} {value!r}", f"a float ({float(value)!r})"
        others = [p for p in program.params if p != param]
        closed = f"vjp(lambda {', '.join(others)}: {program.name}({', '.join(program.params)})" \
                 f", {', '.join(others)})"
        raise ArgumentError(
            f"argument {param!r} of {program.name} is differentiated, but it is {what} and "
            f"the output depends on it through arithmetic: its gradient would be zero. Pass "
            f"{fix}, or leave {param!r} out of wrt= (vjp differentiates every argument: "
            f"close over it, `{closed}`)", construct="argument")
