"""The public entry points and the pipeline they run.

    parse -> normalize -> activity -> reverse (or forward) -> optimize -> emit

Each generated function is made once per (function, options) and cached; the user's
function object is never modified.  ``grad(f)`` returns the generated function itself,
so calling it costs exactly what the generated code costs.

The cache cannot keep a generated function only while its user function lives: the
generated function refers to the user's (``__s2sdiff_origin__``, which ``@grad`` needs),
and a cache entry outside the user's function would then keep both alive forever.  So
the cache refers to generated functions weakly, and keeps the ``RECENT`` last used ones
alive: ``grad(f)(x)`` in a loop generates once, and differentiating new closures in a
loop holds at most ``RECENT`` of them.

Generated code that calls the user's functions checks on entry that their names still
hold the functions it was generated for; if one was rebound it calls its ``Renewal``,
which generates the code again for the function as it is now (and replaces the stale
entry of the cache).  Any exception but an ``S2SDiffError`` escaping generation, here or
at the first call of NumPy code with new argument kinds, is an ``InternalError``.
"""

import ast
import collections
import copy
import functools
import inspect

import numpy as np
import threading
import weakref

from . import dispatch
from . import ir

from .kinds import drop_constants, free_data
from . import activity as activity_pass
from . import aliases, custom
from .emit import Later, build
from .errors import (ArgumentError, InternalError, NotScalarError, S2SDiffError,
                     UnsupportedError, firewall)
from .forward import forward
from .forward.arrays import forward_refused
from .normalize import normalize
from .optimize import no_writes_through_aliases, optimize as optimize_pass, prune_forward
from .parse import parse
from .reverse import reverse

SCALAR_KINDS = ("grad", "value_and_grad", "derivative", "pullback")   # the others allow tuples
_cache = weakref.WeakKeyDictionary()       # user function -> {options: generated}, weakly
_recent = collections.OrderedDict()        # id -> generated: the RECENT last used, kept alive
RECENT = 256
_lock = threading.RLock()
_pending = {}                              # (id(function), options) -> Later, while generating
_LISTING_NAMES = {"pullback_tuple": "pullback", "vjp_arrays": "vjp"}   # kind -> name prefix
_renewing = threading.local()              # how deep generated code is regenerating itself


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
    if wrt is None:
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


def _generate(func, kind, wrt, optimize, differentiate=reverse, explain=False):
    wrt_names, single = resolve_wrt(func, wrt)
    return _cached(func, kind, wrt_names, single, optimize, differentiate, explain)


def _cached(func, kind, wrt_names, single, optimize, differentiate, explain, stale=None):
    """The generated function for these options, from the cache or built now; ``stale``:
    a function generated before that must not be returned again (``Renewal``)."""
    options = (kind, tuple(wrt_names), single, bool(optimize), bool(explain))
    with _lock:
        try:
            per_function = _cache.setdefault(func, weakref.WeakValueDictionary())
        except TypeError:
            per_function = {}      # not weak-referenceable: parse() will reject it
        generated = per_function.get(options)
        if generated is not None and generated is stale:
            del per_function[options]
        elif generated is not None:
            return _remember(generated)
        key = (id(func), options)
        if key in _pending:              # a recursive call: bound once it is built
            return _pending[key]
        _pending[key] = Later()
        try:
            with firewall(func):
                return _build(func, kind, wrt_names, single, optimize, differentiate, explain,
                              options, per_function)
        finally:
            _pending.pop(key).resolve(per_function.get(options))


class Renewal:
    """What generated code calls, with its arguments, when a function it calls was
    rebound since it was generated (``emit.guarded_calls``): the code generated again for
    the function as it is now, kept for the next calls, called with those arguments."""

    def __init__(self, func, kind, wrt_names, single, optimize, differentiate, explain):
        self.options = (func, kind, wrt_names, single, optimize, differentiate, explain)
        self.stale = lambda: None          # the function this renews, weakly: set once built
        self.fresh = None

    def __call__(self, *args, **kwargs):
        fresh = self.fresh
        if fresh is None:
            with _lock:
                if self.fresh is None:
                    self.fresh = _cached(*self.options, stale=self.stale())
                fresh = self.fresh
        depth = getattr(_renewing, "depth", 0)
        if depth > 8:                  # each read of the name gives another function
            func = self.options[0]
            code = func.__code__
            raise UnsupportedError(
                f"a function that {func.__name__} calls is a different object each time its "
                f"name is read, so its derivative cannot be generated once", construct="call",
                filename=code.co_filename, lineno=code.co_firstlineno,
                hint="Bind the helper to a name once (at module level) and call it by that name.")
        _renewing.depth = depth + 1
        try:
            return fresh(*args, **kwargs)
        finally:
            _renewing.depth = depth


def _build(func, kind, wrt_names, single, optimize, differentiate, explain, options, per_function,
           ieee=False):
    with _lock:
        try:
            program = normalize(parse(_ieee_version(func) if ieee else func))
            if not ir.is_array_program(program):    # NumPy code: per argument kinds (dispatch.py)
                aliases.check(program)
            program.ieee = ieee
            if kind in SCALAR_KINDS:
                program.require_scalar(kind)
            if ir.is_array_program(program) or kind == "vjp_arrays":
                generated = _array_dispatcher(func, program, kind, wrt_names, single, optimize,
                                              differentiate, explain)
                per_function[options] = generated
                return _remember(generated)
            facts = activity_pass.analyze(program, wrt_names)
            listing = differentiate(program, facts, with_value=(kind == "value_and_grad"),
                                    single=single,
                                    name=f"{_LISTING_NAMES.get(kind, kind)}_{program.name}")
        except InternalError:
            raise                    # its cause is the report
        except S2SDiffError as error:
            raise error.with_traceback(None) from None   # the user's line matters, not ours
        if optimize:
            optimize_pass(listing)
        listing.explain = explain
        if kind in ("grad", "value_and_grad", "derivative"):
            listing.scalar_output = kind      # an array argument must not make it an array
        if program.partials_raise and not ieee:
            _with_retry(listing, program, lambda args: _build(
                func, kind, wrt_names, single, optimize, differentiate, explain, None, {},
                ieee=True))
        renewal = listing.renew = Renewal(func, kind, wrt_names, single, optimize,
                                          differentiate, explain)
        generated = build(listing)
        renewal.stale = weakref.ref(generated)
        generated.__s2sdiff_origin__ = func
        generated.__s2sdiff_outputs__ = len(program.outputs) if program.returns_tuple else None
        generated.__s2sdiff_custom__ = custom_rules(program)
        per_function[options] = generated
        return _remember(generated)


def _with_retry(listing, program, build_ieee):
    """Give ``listing`` its IEEE retry: ``build_ieee(args)`` builds the IEEE version."""
    listing.retry = (program.namer.fresh("ieee_" + listing.name), program.namer.fresh("error"))
    func = program.parsed.func

    def build_behind_firewall(args):       # generation, at the first call that raises
        with firewall(func):
            return build_ieee(args)
    listing.injected[listing.retry[0]] = IEEERetry(build_behind_firewall)


def _ieee_version(func):
    """The IEEE version of ``func`` if it is generated code with one (its partials spelled
    ``ieee(...)``), else ``func``: the IEEE version of a second derivative differentiates
    it, so a gradient that is infinite (d sqrt(x)/dx at 0) is differentiated to inf/NaN."""
    from .emit import listing_of
    try:
        listing = listing_of(func)[0]
    except (KeyError, TypeError):
        return func
    if not listing.retry:
        return func
    retry = listing.injected[listing.retry[0]]
    if retry.generated is None:
        retry.generated = retry.build(())
    return retry.generated


class IEEERetry:
    """What a gradient whose partials may raise (``rules.partials_raise``; in NumPy code
    ``array_context.partials_may_raise``) calls when it raises ZeroDivisionError, OverflowError or
    ValueError (``except (ArithmeticError, ValueError)``, free until it raises): the same
    gradient generated again with those partials spelled ``ieee(...)``
    (``runtime.ieee``), built on first use (``build(args)``) and run once more from the
    start.  Where the forward itself raises (``math.log(-1.0)`` in the user's code) it
    raises again, and the first error is re-raised as it was; otherwise the partials that
    raised give IEEE's inf or NaN, as NumPy and JAX do (``d sqrt(x)/dx`` at 0 is inf).  The
    function's own code runs twice on this path (a ``print`` in it prints twice)."""

    def __init__(self, build):
        self.build = build
        self.generated = None

    def __call__(self, error, *args, **kwargs):
        if self.generated is None:
            self.generated = self.build(args)
        try:
            return self.generated(*args, **kwargs)
        except (ArithmeticError, ValueError):
            raise error from None           # the forward raised: the user's own error


def _remember(generated):
    """Keep ``generated`` alive as one of the ``RECENT`` last used; return it."""
    _recent[id(generated)] = generated
    _recent.move_to_end(id(generated))
    while len(_recent) > RECENT:
        _recent.popitem(last=False)
    return generated


def pullback_of(func, wrt):
    """The generated pullback of ``func`` for the parameters ``wrt``: ``pullback_f(x, y,
    df)`` returns ``dx`` (a tuple when ``wrt`` has several).  Generated code that calls
    ``func`` calls it in its reverse sweep: a user function is differentiated once per
    set of differentiated parameters, by transformation like the caller."""
    differentiate = functools.partial(reverse, cotangents=True, bare=True)
    try:
        return _generate(func, "pullback", tuple(wrt), True, differentiate=differentiate)
    except NotScalarError:         # a function returning a tuple: one cotangent per entry
        return _generate(func, "pullback_tuple", tuple(wrt), True,
                         differentiate=differentiate)


def jvp_of(func, wrt):
    """The generated jvp of ``func`` along the parameters ``wrt`` (tangents appended to
    its parameters), for a call of ``func`` in other generated forward-mode code."""
    return _generate(func, "jvp", tuple(wrt), True,
                     differentiate=functools.partial(forward, jvp=True, jvp_of=jvp_of))
def _array_dispatcher(func, program, kind, wrt_names, single, optimize, differentiate, explain):
    """NumPy code is generated per argument kind (shapes, dtypes) on first use (dispatch.py, kinds.py)."""
    forward_mode = getattr(differentiate, "func", None) is forward
    by_columns = forward_mode and not getattr(differentiate, "keywords", {}).get("jvp")
    activity_pass.analyze(program, wrt_names)      # a missing rule fails here, not at a call
    renewal = Renewal(func, kind, wrt_names, single, optimize, differentiate, explain)

    def generate(program, real_wrt, ieee=False):
        if by_columns and any(program.kinds[p].array for p in wrt_names):
            raise forward_refused(program)
        program.ieee = ieee
        try:
            facts = activity_pass.analyze(program, real_wrt)
            facts.wrt = list(wrt_names)
            drop_constants(program, facts)
            listing = differentiate(program, facts, with_value=(kind == "value_and_grad"),
                                    single=single,
                                    name=f"{_LISTING_NAMES.get(kind, kind)}_{program.name}")
        except InternalError:
            raise                    # its cause is the report
        except S2SDiffError as error:
            raise error.with_traceback(None) from None
        if optimize:
            optimize_pass(listing)
            prune_forward(listing)
        no_writes_through_aliases(listing)
        listing.explain = explain
        if listing.signature is None and program.parsed.node.args.kwonlyargs:
            # the dispatcher binds keywords and defaults, then passes all by position
            listing.signature = ast.arguments(
                posonlyargs=[], args=[ast.arg(p) for p in program.params], vararg=None,
                kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        if program.partials_raise and not ieee:     # a scalar partial of Python numbers
            _with_retry(listing, program, lambda args: specialise(args, ieee=True))
        listing.renew = renewal
        generated = build(listing)
        generated.__s2sdiff_origin__ = func
        return generated

    parsed = program.parsed
    specialise_kinds = dispatch.specialiser(func, lambda: normalize(parsed), kind, wrt_names,
                                          single, generate)

    def specialise(args, ieee=False):     # generation, at the first call with these kinds
        try:
            with firewall(func):
                return specialise_kinds(args, ieee=ieee)
        except ArgumentError as error:          # about the function's own parameters
            line = parsed.node.lineno
            raise error.at(parsed.filename, line, parsed.source_line(line))
    result = dispatch.dispatcher(func, f"{_LISTING_NAMES.get(kind, kind)}_{program.name}",
                               program.params, specialise, free_data(program), parsed)
    renewal.stale = weakref.ref(result)
    result.__s2sdiff_origin__ = func
    result.__s2sdiff_outputs__ = len(program.outputs) if program.returns_tuple else None
    result.__s2sdiff_custom__ = custom_rules(program)
    return result


def custom_rules(program):
    """The custom_vjp/custom_jvp functions ``program`` calls, as the user spelled them."""
    names = []
    for step in program.steps:
        if step.custom is not None and custom.spelled(step) not in names:
            names.append(custom.spelled(step))
    return tuple(names)


@_decorator
def grad(f, *, wrt=None, optimize=True, explain=False):
    """Reverse-mode gradient of a scalar function, as generated Python code.

    ``wrt=None``: every parameter (a one-parameter function gets its gradient alone,
    otherwise a tuple in parameter order); an int or a name: that gradient alone; a
    tuple or list: a tuple in that order.  The result has ``.source``.  With
    ``explain=True`` every reverse statement also says which local partial it applies and
    the line of your source it comes from.
    """
    return _generate(f, "grad", wrt, optimize, explain=explain)


@_decorator
def value_and_grad(f, *, wrt=None, optimize=True, explain=False):
    """Like ``grad``, but the generated function returns ``(value, gradients)``."""
    return _generate(f, "value_and_grad", wrt, optimize, explain=explain)


@_decorator
def derivative(f, *, wrt=None, optimize=True):
    """Forward-mode derivative(s) of a scalar function, returned like ``grad`` returns them.

    The generated code runs one tangent sweep per requested parameter ``p``, interleaved
    after each forward step: the tangent of ``v`` along ``p`` is ``dv_dp``.
    """
    return _generate(f, "derivative", wrt, optimize,
                     differentiate=functools.partial(forward, jvp_of=jvp_of))


def jvp(f, primals=None, tangents=None):
    """``(f(*primals), J @ tangents)`` by forward mode, JAX's convention.

    ``primals`` and ``tangents`` are tuples or lists with one value per parameter of
    ``f``.  The generated function, ``jvp_f(x, y, x_dot, y_dot)`` returning ``(f, f_dot)``,
    is made once per function; ``jvp(f)`` alone returns it (with ``.source``).
    """
    generated = _generate(f, "jvp", None, True,
                          differentiate=functools.partial(forward, jvp=True, jvp_of=jvp_of))
    if primals is None and tangents is None:
        return generated
    original = getattr(f, "__s2sdiff_origin__", f)
    name = getattr(original, "__name__", "the function")
    params = _parameter_names(original)
    for what, values in (("primals", primals), ("tangents", tangents)):
        if not isinstance(values, (tuple, list)):
            raise ArgumentError(f"jvp: {what} must be a tuple or list with one value per "
                                f"parameter of {name} ({', '.join(params)}), got "
                                f"{type(values).__name__}", construct=what)
        if len(values) != len(params):
            raise ArgumentError(f"jvp: {what} has length {len(values)}, but {name} has "
                                f"{len(params)} parameters ({', '.join(params)})", construct=what)
    return generated(*primals, *tangents)


def vjp(f, *primals):
    """``(f(*primals), pullback)`` by reverse mode, JAX's convention.

    ``pullback(cotangent)`` returns a tuple with one gradient per parameter of ``f``; for
    a function returning a tuple, ``cotangent`` is a tuple with one entry per output.  The
    generated code, ``vjp_f(x, y, df)``, takes the cotangents as extra parameters in place
    of the seed ``df = 1.0`` of ``grad``; ``vjp(f)`` alone returns it.
    """
    arrays_given = any(isinstance(p, np.ndarray) and p.ndim > 0 for p in primals)
    # arrays given to code without NumPy calls (`x * y`) still broadcast: specialise on
    # their shapes like NumPy code, so each gradient is summed back to its input's shape
    generated = _generate(f, "vjp_arrays" if arrays_given else "vjp", None, True,
                          differentiate=functools.partial(reverse, cotangents=True))
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


@_decorator
def jacfwd(f, *, wrt=None):
    """The Jacobian by columns: one forward-mode tangent sweep per input, all in one
    generated function (``derivative``'s, extended to tuple outputs)."""
    generated = _generate(f, "jacfwd", wrt, True,
                          differentiate=functools.partial(forward, jvp_of=jvp_of))
    result = _jacobian_layout(f, generated)
    result.source = generated.source
    return result


@_decorator
def jacrev(f, *, wrt=None):
    """The Jacobian by rows: one reverse sweep (a ``vjp`` pullback) per output."""
    names, single = resolve_wrt(f, wrt)
    generated = _generate(f, "jacrev", wrt, True,
                          differentiate=functools.partial(reverse, cotangents=True))
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

    result = _jacobian_layout(f, rows)
    result.source = generated.source
    return result


@_decorator
def jacobian(f, *, wrt=None, mode="auto"):
    """The Jacobian of ``f``: ``mode="forward"`` (``jacfwd``, by columns),
    ``"reverse"`` (``jacrev``, by rows) or ``"auto"``: forward when there are no more
    inputs than outputs, reverse otherwise, since a column costs about one forward sweep
    and a row one reverse sweep (seed 001)."""
    if mode not in ("auto", "forward", "reverse"):
        raise S2SDiffError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}",
                           construct="mode")
    if mode == "auto":
        names, _ = resolve_wrt(f, wrt)
        with firewall(f):
            program = normalize(parse(getattr(f, "__s2sdiff_origin__", f)))
        mode = "forward" if len(names) <= len(program.outputs) else "reverse"
        if any(custom.is_vjp(step) for step in program.steps):
            mode = "reverse"            # a custom_vjp rule defines reverse mode only
    return (jacfwd if mode == "forward" else jacrev)(f, wrt=wrt)


@_decorator
def _has_blocks_or_calls(generated):
    from .emit import listing_of
    from .ir import has_control_flow
    from .rules import Structural
    program = listing_of(generated)[0].origin
    return has_control_flow(program.body) or any(
        isinstance(s.rule, Structural) for s in program.steps)


def hessian(f, *, wrt=None):
    """Second derivatives by differentiating generated code again: forward mode (by
    columns) over the reverse-mode gradient, ``jacfwd(grad(f, wrt), wrt)``; for a function
    with branches, loops or calls, over the forward-mode ``derivative(f, wrt)``.  A function
    that calls a custom rule has none here: s2sdiff never differentiates a rule's code."""
    gradient = grad(f, wrt=wrt)
    if hasattr(gradient, "specialize"):       # NumPy code: generated per argument shapes
        raise UnsupportedError(
            f"hessian({getattr(f, '__name__', 'f')}): second derivatives of NumPy code are "
            f"not supported yet", construct="hessian of array code",
            hint="Use jvp on grad's specialised code, or s2sdiff.check on finite differences "
                 "of grad(f).")
    if not gradient.__s2sdiff_custom__:
        if _has_blocks_or_calls(gradient):
            # the reverse sweep of a loop has a tape and a recomputation that are not worth
            # differentiating again: forward over forward, derivative by columns
            gradient = derivative(f, wrt=wrt)
        return jacfwd(gradient, wrt=wrt)
    name = getattr(f, "__name__", "the function")
    rules = ", ".join(f"`{r}`" for r in gradient.__s2sdiff_custom__)
    raise UnsupportedError(
        f"hessian({name}): {name} calls the custom rule {rules}; its second derivatives "
        f"would differentiate the rule's own code, which s2sdiff never does",
        construct="hessian of a custom rule",
        hint="Check second derivatives numerically on grad(f), or differentiate a version "
             "of the function written without the custom rule.")
