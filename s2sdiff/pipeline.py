"""Generation and its cache: the pipeline every public wrapper (``api.py``) runs.

The driver, ``_build``, reads top to bottom; each step hands the next:

1. ``parse``: the user's function -> ``Parsed``, its AST with the lines of the real file,
   its globals and closure cells resolved;
2. ``normalize``: ``Parsed`` -> ``Program``, SSA with one primitive per assignment,
   validated against the grammar of ``ir.py``;
3. ``aliases.check``: ``Program`` -> nothing new; refuses writes in place another name
   would miss;
4. ``activity.analyze``: ``Program`` and the parameters to differentiate -> ``Activity``,
   the varied and useful names (a call without a rule on an active value fails here);
5. ``reverse`` or ``forward`` (``_differentiate``, by the kind of function asked for):
   ``Program`` and ``Activity`` -> a naive ``Listing`` of statements;
6. ``optimize``: the ``Listing``, folded and without dead code, in place; in reverse
   mode then ``liveness.prune_forward``: no forward value the gradient does not read;
7. ``emit.compile_listing``: ``Listing`` -> the generated function, with ``.source``.

NumPy code (``ir.is_array_program``, and any code ``vjp`` is given arrays for) stops
after step 2 and gets a dispatcher (``_array_dispatcher``): at the first call with new
argument kinds (shapes, dtypes), ``dispatch.specialiser`` infers them (``kinds.infer``)
and runs step 3 with them, then ``_array_dispatcher``'s ``generate`` runs steps 4 to 7
for those kinds, with ``optimize.prune_forward`` and ``optimize.no_writes_through_aliases``
after step 6.
A user function called by differentiated code goes through the same pipeline: ``reverse``
and ``forward`` are given ``pullback_of`` and ``jvp_of`` for it.

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
import contextlib
import gc
import threading
import types
import weakref

from . import activity, aliases, argument_aliases, aux, backends, custom, data_shapes, \
    defaults, dispatch, ir, none_arguments, object_parameters, objects, tree_flatten, \
    tree_helpers, tree_keys, trees
from .emit import Later, compile_listing, guarded_calls
from .listing import release, retry_of
from .errors import ArgumentError, InternalError, NotScalarError, S2SDiffError, \
    UnsupportedError, firewall
from .forward import forward
from .forward.arrays import forward_refused
from .free_entries import free_entries
from .kinds import free_data
from .normalize import normalize
from .methods import check_instance, instance_variant
from .optimize import no_writes_through_aliases, optimize as optimize_pass, prune_forward
from .parse import parse
from .reverse import reverse
from .reverse.checkpoint import apply as checkpoint_loops, refuse_unsupported as refuse_unchecked
from .reverse.schedules import Report
from .scalar_inputs import no_writes_into_parameters, sequence_parameters

# the kinds of generated function: grad, value_and_grad, derivative, jvp, vjp, vjp_arrays
# (vjp of code without NumPy calls given arrays), jacfwd, jacrev, pullback, pullback_tuple
SCALAR_KINDS = ("grad", "value_and_grad", "derivative", "pullback")   # the others allow tuples
FORWARD_KINDS = ("derivative", "jacfwd", "jvp")                       # the others: reverse mode
COTANGENT_KINDS = ("vjp", "vjp_arrays", "jacrev", "pullback", "pullback_tuple")
_LISTING_NAMES = {"pullback_tuple": "pullback", "vjp_arrays": "vjp"}   # kind -> name prefix
_cache = weakref.WeakKeyDictionary()       # user function -> {options: generated}, weakly
_recent = collections.OrderedDict()        # id -> generated: the RECENT last used, kept alive
RECENT = 256
_lock = threading.RLock()
_pending = {}                              # (id(function), options) -> Later, while generating
_renewing = threading.local()              # how deep generated code is regenerating itself
_handoff = threading.local()               # .parsed: (function, Parsed) for _build to reuse
_paused = [0, False]                       # generations under way, whether gc was enabled
_paused_lock = threading.Lock()            # held only to count them (never while generating)


@contextlib.contextmanager
def collection_paused():
    """Generation allocates millions of small objects (syntax trees, steps) that live
    until it ends; meanwhile CPython's cyclic collector would traverse every object of
    the process again and again (about 40% of the time of a long function, once NumPy and
    SciPy are imported).  It is paused while generating and resumes after, where it
    collects what generation left once."""
    with _paused_lock:
        if _paused[0] == 0:
            _paused[1] = gc.isenabled()
            gc.disable()
        _paused[0] += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused[0] -= 1
            if _paused[0] == 0 and _paused[1]:
                gc.enable()


def generate(func, kind, wrt_names, single, optimize=True, explain=False, stale=None,
             layout=(), backend="python", checkpoint=None, has_aux=False):
    """The generated function of ``kind`` for ``func`` and the parameters ``wrt_names``
    (``single``: one gradient returned alone), from the cache or built now; ``stale``: a
    function generated before that must not be returned again (``Renewal``); ``layout``:
    ``(parameter, structure)`` of the tree parameters, for the function of their leaves
    (``trees.flatten``); ``backend``: what runs it (``backends.py``), part of the key;
    ``checkpoint``: a loop checkpointing schedule (``reverse.schedules.spec``), in the key;
    ``has_aux``: the function returns ``(output, aux)`` (``aux.py``), in the key."""
    options = (kind, tuple(wrt_names), single, bool(optimize), bool(explain), layout)
    if has_aux:
        options += ("has_aux",)
    if backend != "python":
        options += (backend,)
    if checkpoint is not None:
        options += (("checkpoint",) + checkpoint,)
    with _lock, collection_paused():
        try:
            per_function = _cache.setdefault(func, weakref.WeakValueDictionary())
        except TypeError:
            per_function = {}      # not weak-referenceable: parse() will reject it
        generated = per_function.get(options)
        if generated is not None and (generated is stale or defaults.changed(
                getattr(generated, "__s2sdiff_defaults__", None))):
            del per_function[options]
        elif generated is not None:
            return _remember(generated)
        key = (id(func), options)
        if key in _pending:              # a recursive call: bound once it is built
            return _pending[key]
        later = _pending[key] = Later()
        if kind == "pullback_tuple":     # a recursive call seeds one cotangent per output
            later.__s2sdiff_outputs__ = True
        try:
            if backend != "python":        # the Python code, then compiled by the backend
                python = generate(func, kind, wrt_names, single, optimize, explain,
                                  layout=layout, has_aux=has_aux)
                with firewall(func):
                    compiled = backends.compile_for(python, backend, kind)
                per_function[options] = compiled
                return _remember(compiled)
            with firewall(func):
                return _build(func, kind, wrt_names, single, optimize, explain, options,
                              per_function, layout=layout, checkpoint=checkpoint,
                              has_aux=has_aux)
        finally:
            _pending.pop(key).resolve(per_function.get(options))


def generate_for_trees(func, kind, wrt_names, single, optimize=True, explain=False,
                       checkpoint=None, has_aux=False, follow_objects=True):
    """What ``grad``/``value_and_grad`` return for ``func``: a ``trees.TreeDispatcher``
    when its body reads a parameter as a tree (``trees.candidates``), the generated
    function otherwise; cached like ``generate``'s."""
    origin = getattr(func, "__s2sdiff_origin__", None)
    tree_params, parsed, objects = (), None, {}
    if origin is None and isinstance(func, types.FunctionType):
        with firewall(func), collection_paused():
            try:
                parsed = parse(func)
            except S2SDiffError:
                parsed = None                # generate() raises it where it belongs
            if parsed is not None and follow_objects:
                objects = object_parameters.called(parsed, wrt_names)
            if parsed is not None and not objects:
                tree_params = sorted(tree_helpers.tree_parameters(parsed, wrt_names))
    if objects:             # model.loss(x), model a parameter: per class (object_parameters)
        options = (kind, tuple(wrt_names), single, optimize, explain, checkpoint, has_aux)
        return _remember(object_parameters.dispatcher(_cache.setdefault(
            func, weakref.WeakValueDictionary()), func, kind, objects, options, lambda variant:
            generate_for_trees(variant, *options[:5], checkpoint, has_aux, False)))
    if not tree_params:
        _handoff.parsed = (func, parsed)
        try:
            return generate(func, kind, wrt_names, single, optimize, explain,
                            checkpoint=checkpoint, has_aux=has_aux)
        finally:
            _handoff.parsed = None
    options = ("trees", kind, tuple(wrt_names), single, bool(optimize), bool(explain),
               checkpoint) + (("has_aux",) if has_aux else ())
    with _lock:
        per_function = _cache.setdefault(func, weakref.WeakValueDictionary())
        dispatcher = per_function.get(options)
        if dispatcher is None:
            dispatcher = per_function[options] = trees.TreeDispatcher(
                func, parsed, kind, wrt_names, single, tree_params,
                lambda: generate(func, kind, wrt_names, single, optimize, explain,
                                 checkpoint=checkpoint, has_aux=has_aux),
                lambda layout, flat: generate(func, kind, flat, False, optimize, explain,
                                              layout=layout, checkpoint=checkpoint,
                                              has_aux=has_aux), has_aux=has_aux)
        return _remember(dispatcher)


def pullback_of(func, wrt):
    """The generated pullback of ``func`` for the parameters ``wrt``: ``pullback_f(x, y,
    df)`` returns ``dx`` (a tuple when ``wrt`` has several).  Generated code that calls
    ``func`` calls it in its reverse sweep: a user function is differentiated once per
    set of differentiated parameters, by transformation like the caller."""
    try:
        return generate(func, "pullback", wrt, False)
    except NotScalarError:         # a function returning a tuple: one cotangent per entry
        return generate(func, "pullback_tuple", wrt, False)


def jvp_of(func, wrt):
    """The generated jvp of ``func`` along the parameters ``wrt`` (tangents appended to
    its parameters), for a call of ``func`` in other generated forward-mode code."""
    return generate(func, "jvp", wrt, False)


def _build(func, kind, wrt_names, single, optimize, explain, options, per_function,
           ieee=False, layout=(), checkpoint=None, has_aux=False, keep=False):
    """The pipeline (see the module docstring); the result is cached in ``per_function``.
    Its listing is released (``listing.release``) unless ``keep``: what ``listing_of`` builds
    again when asked."""
    with _lock:
        try:
            handed, _handoff.parsed = getattr(_handoff, "parsed", None), None
            if handed is not None and handed[0] is func and handed[1] is not None \
                    and not ieee:
                parsed = handed[1]        # generate_for_trees parsed it just now, unchanged
            else:
                parsed = parse(_ieee_version(func) if ieee else func)
            source = tree_flatten.flatten(parsed, layout) if layout else parsed
            spec = None
            if has_aux:               # `return out, aux`: out the output, aux passed through
                source, spec = aux.split(source)
            program = aux.detach(normalize(source), spec)
            array_program = ir.is_array_program(program)
            if not array_program:          # NumPy code: per argument kinds (dispatch.py)
                aliases.check(program)
            program.ieee = ieee
            if kind in SCALAR_KINDS:
                program.require_scalar(kind)
            if checkpoint is not None:        # no loop, a loop in a branch: refused here
                refuse_unchecked(program, ())
            if array_program or kind == "vjp_arrays":
                generated = _array_dispatcher(func, program, kind, wrt_names, single, optimize,
                                              explain, layout, checkpoint)
                per_function[options] = generated
                return _remember(generated)
            refuse_opaque_wrt(program, wrt_names)
            facts = activity.analyze(program, wrt_names)
            listing = _differentiate(program, facts, kind, single)
        except InternalError:
            raise                    # its cause is the report
        except S2SDiffError as error:
            raise error.with_traceback(None) from None   # the user's line matters, not ours
        if optimize:
            optimize_pass(listing)
            if kind not in FORWARD_KINDS and not ieee:    # the retry keeps the forward's errors
                prune_forward(listing, safe=True)
        no_writes_into_parameters(listing)       # a 0-d array argument is mutable
        argument_aliases.guard(listing)          # loss(a, a), loss writing into one
        report = checkpoint_loops(listing, checkpoint) if checkpoint is not None else None
        listing.explain = explain
        if kind in ("grad", "value_and_grad", "derivative"):
            listing.scalar_output = kind      # an array argument must not make it an array
        if program.partials_raise and not ieee:
            _with_retry(listing, program, lambda args: _build(
                func, kind, wrt_names, single, optimize, explain, None, {}, ieee=True,
                layout=layout, checkpoint=checkpoint, has_aux=has_aux))
        renewal = listing.renew = Renewal(func, kind, wrt_names, single, optimize, explain,
                                          layout, checkpoint, has_aux)
        generated = compile_listing(listing)
        if report is not None:
            generated.checkpoint_report = report
        generated.__s2sdiff_repeated_guards__ = getattr(listing, "repeated_guards", {})
        renewal.stale = weakref.ref(generated)
        _describe(generated, func, program)
        generated.__s2sdiff_made__ = (kind, tuple(wrt_names), single)   # grad(grad(f))
        per_function[options] = generated
        if keep:
            return generated

        def rebuild():
            with _lock, collection_paused(), firewall(func):
                return _build(func, kind, wrt_names, single, optimize, explain, None, {}, ieee,
                              layout, checkpoint, has_aux, keep=True)
        release(generated, rebuild)
        return _remember(generated)


def _differentiate(program, facts, kind, single):
    """The ``Listing`` of ``kind``: forward mode for ``FORWARD_KINDS`` (``jvp`` with its
    tangents as parameters), reverse mode otherwise (cotangents as parameters for
    ``COTANGENT_KINDS``; a pullback returns a single gradient alone)."""
    name = f"{_LISTING_NAMES.get(kind, kind)}_{program.name}"
    program.namer.reserve(name)      # a callee of the same name (a layer's forward): another
    with_value = kind == "value_and_grad"
    if kind in FORWARD_KINDS:
        return forward(program, facts, jvp=kind == "jvp", with_value=with_value,
                       single=single, name=name, jvp_of=jvp_of)
    return reverse(program, facts, with_value=with_value, single=single, name=name,
                   cotangents=kind in COTANGENT_KINDS,
                   bare=kind in ("pullback", "pullback_tuple"), pullback_of=pullback_of)


def _describe(generated, func, program):
    """What the public wrappers read of a generated function (or dispatcher)."""
    generated.__s2sdiff_origin__ = func
    generated.__s2sdiff_defaults__ = defaults.seen(func)    # the cache's, a derivative's
    generated.__s2sdiff_outputs__ = len(program.outputs) if program.returns_tuple else None
    sequences = sequence_parameters(program)    # read as lists (output_leaves.reads_as_lists)
    generated.__s2sdiff_lists__ = None if ir.is_array_program(program) else tuple(
        p in sequences for p in program.params)
    generated.__s2sdiff_custom__ = custom_rules(program)
    generated.__s2sdiff_fails__ = {s.target: s.rule for s in program.steps if s.store is None
                                   and getattr(s.rule, "fails", None) is not None}


def _array_dispatcher(func, program, kind, wrt_names, single, optimize, explain, layout=(),
                      checkpoint=None):
    """NumPy code is generated per argument kind (shapes, dtypes) on first use (dispatch.py,
    kinds.py): steps 4 to 7 of the pipeline run in ``generate`` for each new kind."""
    refuse_opaque_wrt(program, wrt_names)
    activity.analyze(program, wrt_names)      # a missing rule fails here, not at a call
    renewal = Renewal(func, kind, wrt_names, single, optimize, explain, layout, checkpoint,
                      program.aux is not None)

    def generate(program, ieee=False):
        if kind in ("derivative", "jacfwd") and any(program.kinds[p].array for p in wrt_names):
            raise forward_refused(program)     # by columns: one derivative per element
        program.ieee = ieee
        try:
            facts = activity.analyze(program, wrt_names, kinds=program.kinds)
            listing = _differentiate(program, facts, kind, single)
        except InternalError:
            raise                    # its cause is the report
        except S2SDiffError as error:
            raise error.with_traceback(None) from None
        if optimize:
            optimize_pass(listing)
            prune_forward(listing)
        no_writes_through_aliases(listing)
        argument_aliases.guard(listing)
        if checkpoint is not None:
            checkpoint_loops(listing, checkpoint)
        listing.explain = explain
        if listing.signature is None and program.parsed.node.args.kwonlyargs:
            # the dispatcher binds keywords and defaults, then passes all by position
            listing.signature = ast.arguments(
                posonlyargs=[], args=[ast.arg(p) for p in program.params], vararg=None,
                kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        if program.partials_raise and not ieee:     # a scalar partial of Python numbers
            _with_retry(listing, program, lambda args: specialise(args, ieee=True))
        shapes = data_shapes.dependent_steps(program)
        if shapes:                  # X[mask]: code per shape the data gives it
            again = program.namer.fresh(data_shapes.AGAIN)
            params = [a.arg for a in listing.signature.args] if listing.signature \
                else list(program.params)
            data_shapes.guard(listing, shapes, params, again, program.namer.fresh)
            listing.injected[again] = lambda seen, *args: dispatched[0].specialise_again(
                seen, *args)
        listing.renew = renewal
        generated = compile_listing(listing)
        generated.__s2sdiff_origin__ = func
        generated.__s2sdiff_made__ = (kind, tuple(wrt_names), single)   # grad(grad(f))
        generated.__s2sdiff_data_shapes__ = tuple(shape for _, shape, _ in shapes)
        return generated

    parsed = program.parsed
    dispatched = []                 # the dispatcher, once made: its specialise_again
    spec = program.aux
    def parsed_program(args=()):     # specialised on the data parameters given None
        nones = none_arguments.given_none(parsed, wrt_names, args)
        return aux.detach(normalize(none_arguments.read_as_none(parsed, nones)), spec)
    specialise_kinds = dispatch.specialiser(parsed_program, kind, wrt_names, generate)

    def specialise(args, ieee=False):     # generation, at the first call with these kinds
        try:
            with firewall(func), collection_paused():
                return specialise_kinds(args, ieee=ieee)
        except ArgumentError as error:          # about the function's own parameters
            line = parsed.node.lineno
            raise error.at(parsed.filename, line, parsed.source_line(line))
    result = dispatch.dispatcher(func, f"{_LISTING_NAMES.get(kind, kind)}_{program.name}",
                                 program.params, specialise,
                                 free_data(program) + free_entries(program), parsed,
                                 program.parameter_reads, flat=bool(layout),
                                 missing=_other_attributes(func, renewal, program))
    dispatched.append(result)
    renewal.stale = weakref.ref(result)
    _describe(result, func, program)
    if checkpoint is not None:
        result.checkpoint_report = Report(*checkpoint)
    return result


def _other_attributes(func, renewal, program):
    """``missing`` of the dispatcher: an instance whose attributes are of other classes, an
    object of another class (``objects.changed``), a dict read by ``G.get(key)`` or keys
    of a loop that changed (``tree_keys.changed``) go to ``renewal``; else the user's."""
    def missing(args, error):
        if instance_variant(func, args) is None and not objects.changed(
                program.parsed, guarded_calls(program)) and not tree_keys.changed(program.parsed):
            raise error
        return renewal(*args)
    return missing


def refuse_opaque_wrt(program, wrt_names):
    """Raise ``UnsupportedError`` if a differentiated parameter is read as an object (an
    attribute, ``cfg.lr``), called (``f=np.tanh``) or compared with a string or None
    (``mode == "mean"``): its reads are constants."""
    program.none_tested_wrt = tuple(p for p in wrt_names if p in program.opaque_params
                                    and _tests_none(program.opaque_params[p]))
    for param in wrt_names:
        node = program.opaque_params.get(param)
        if node is None or _tests_none(node):    # b is not None: an optional array,
            continue                             # refused when None (emit, dispatch)
        if isinstance(node, ast.Attribute):
            what = f"`{ast.unparse(node)}` reads an attribute of the differentiated parameter `{param}`"
            hint = (f"Leave `{param}` out of wrt= (its attributes are then data), or pass its "
                    f"fields as parameters and differentiate those.")
            construct = f"attribute `{ast.unparse(node)}` of a differentiated parameter"
        elif isinstance(node, ast.Compare):
            what = (f"the differentiated parameter `{param}` is compared with a string or "
                    f"None (`{ast.unparse(node)}`)")
            hint = f"Leave `{param}` out of wrt=: it holds data (a mode, an option), not a number."
            construct = "differentiated parameter compared with a string or None"
        else:
            what = f"the differentiated parameter `{param}` is called as a function"
            hint = f"Leave `{param}` out of wrt=: a function has no gradient."
            construct = "call of a differentiated parameter"
        raise program.parsed.error(node, f"s2sdiff cannot differentiate {program.name}: {what}",
                                   construct=construct, hint=hint)


def _tests_none(node):
    return isinstance(node, ast.Compare) and not any(
        isinstance(c, ast.Constant) and isinstance(c.value, str)
        for c in [node.left, *node.comparators])


def custom_rules(program):
    """The custom_vjp/custom_jvp functions ``program`` calls, as the user spelled them."""
    names = []
    for step in program.steps:
        if step.custom is not None and custom.spelled(step) not in names:
            names.append(custom.spelled(step))
    return tuple(names)


class Renewal:
    """What generated code calls, with its arguments, when a function it calls was
    rebound since it was generated (``emit.guarded_calls``): the code generated again for
    the function as it is now, kept for the next calls, called with those arguments.  When
    the arguments pass another function for a parameter whose default is a function
    (``act=math.tanh``), the code generated for a copy of the function with that default
    instead, kept per function passed."""

    def __init__(self, func, kind, wrt_names, single, optimize, explain, layout=(),
                 checkpoint=None, has_aux=False):
        self.options = (func, kind, wrt_names, single, optimize, explain)
        self.layout, self.checkpoint, self.has_aux = layout, checkpoint, has_aux
        self.stale = lambda: None          # the function this renews, weakly: set once built
        self.fresh = None
        self.own = None                    # its defaults, for defaults.refuse_stale

    def current(self):
        """The code generated again for the function as it is now (made once)."""
        if self.fresh is None:
            with _lock:
                if self.fresh is None:
                    self.fresh = generate(*self.options, stale=self.stale(),
                                          layout=self.layout, checkpoint=self.checkpoint,
                                          has_aux=self.has_aux)
        return self.fresh

    def __call__(self, *args, **kwargs):
        if self.own is not None:          # a default left out that was replaced: refused
            defaults.refuse_stale(self.own, self.options[1], args, kwargs)
        check_instance(self.options[0], args)     # a method's instance (methods.py)
        other = instance_variant(self.options[0], args) or object_parameters.other_variant(
            self.options[0], args, kwargs)    # its attributes' classes, objects passed changed
        if other is not None:
            return generate(other, *self.options[1:], layout=self.layout,
                            checkpoint=self.checkpoint, has_aux=self.has_aux)(*args, **kwargs)
        variant = defaults.with_passed_functions(self.options[0], args, kwargs)
        if variant is not None:
            return self._variant(variant)(*args, **kwargs)
        fresh = self.current()
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


    def _variant(self, variant):
        """The code generated for ``variant`` (the function with other functions for its
        defaults), kept for the next calls with the same functions."""
        func, defaults = variant
        with _lock:
            if not hasattr(self, "variants"):
                self.variants = {}
            known = self.variants.get(defaults)
            if known is None:
                known = self.variants[defaults] = (func, generate(
                    func, *self.options[1:], checkpoint=self.checkpoint,
                    has_aux=self.has_aux))
                while len(self.variants) > RECENT:
                    self.variants.pop(next(iter(self.variants)))
            return known[1]


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
    try:
        found = retry_of(func)
    except (KeyError, TypeError):
        return func
    if found is None:
        return func
    retry = found[1]
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
        self.refuse_arrays = None     # code for numbers: emit.argument_checker's

    def __call__(self, error, *args, **kwargs):
        if self.generated is None:
            self.generated = self.build(args)
        try:
            return self.generated(*args, **kwargs)
        except NotScalarError:          # an array output at arrays: grad's own refusal
            raise
        except (ArithmeticError, ValueError):
            if self.refuse_arrays is not None:      # an array where numbers go: say so
                self.refuse_arrays(error, args, kwargs)
            raise error from None           # the forward raised: the user's own error


def _remember(generated):
    """Keep ``generated`` alive as one of the ``RECENT`` last used; return it."""
    _recent[id(generated)] = generated
    _recent.move_to_end(id(generated))
    while len(_recent) > RECENT:
        _recent.popitem(last=False)
    return generated
