"""Turn a ``Listing`` into Python source and a live function.

Guarantees:

* the source is produced by ``build.unparse`` (``ast.unparse``'s text, written faster
  for the nodes generated code is made of), one statement per line, with the tag
  ``# (k)`` aligned in one column, and is byte-identical for the same listing;
* the function is compiled from exactly that text, registered in ``linecache`` and
  written to a file named after its content (``sources.register``), so
  ``inspect.getsource``, Python's default traceback and ``pdb`` show the generated lines;
* it runs in the user's module globals (read live, never written) and shares the user
  function's closure cells; names the code needs that the user's module does not bind
  (``math`` when the user imported ``from math import sin``) are bound in a closure of
  the generated function alone;
* a ``TypeError`` raised while it runs is re-examined: if an argument is not a real
  number the error names that parameter (the ``try`` costs nothing until it raises);
  parameters that could pass through without a ``TypeError`` (only arithmetic, no math
  function) get an explicit type test first (``unchecked_parameters``);
* a gradient whose partials may raise where the forward does not (``0.5 / sqrt(x)`` at 0,
  ``log(x)`` in ``d(x ** y)/dy`` at x < 0: ``rules.partials_raise``; in NumPy code only
  partials of Python numbers, ``array_context.partials_may_raise``) has a second
  clause, ``except (ArithmeticError, ValueError)``, that hands its arguments to
  ``listing.retry`` (``pipeline.IEEERetry``), the IEEE version of the gradient: where the
  forward finished, the gradient finishes with IEEE's inf or NaN; where the forward raises,
  its error is re-raised (the clause costs nothing until something raises);
* the functions whose derivative the code took from the object a name held when it was
  generated (``guarded_calls``: the user's helpers, aliases such as ``act = math.tanh``)
  are checked on entry, one ``is not`` each: if a name was rebound
  since, the code generates itself again for what the name holds now (``renew``) and
  returns that; code that calls no such function has no check;
* ``render(..., standalone=True)`` gives the same function without that ``try`` (no
  reference to s2sdiff's argument checker) and without the checks, for ``eject``;
  ``listing.listing_of(generated)`` returns what a built function was rendered from.
"""

import ast
import functools
import linecache
import numbers
import re
import sys
import types

from . import sources
from .build import unparse, unparser
from .errors import ArgumentError
from .generated_origin import located
from .ir import walk_steps
from .listing import Block, Comment, Line, built_with, program_of, register
from .rules import Syntax
from .scalar_inputs import NUMBERS_ONLY, array_argument, indexed_parameters, \
    sequence_parameters, truth_tested, unchecked_parameters
from . import syntax
from . import defaults, methods, module_numbers, objects, tree_keys

INDENT = "    "
TAG_COLUMN_LIMIT = 60
CHECK_ARGUMENTS = "check_arguments"
RENEW = "generate_again"


def render(listing, signature, checker=CHECK_ARGUMENTS, standalone=False, real="float",
           guards=(), renew=RENEW, unchecked=None, sequences=None):
    """The source text of ``listing`` as a function with parameters ``signature``.

    ``checker`` is the name the argument checker is bound to in the generated code;
    ``standalone=True`` leaves out the ``try``/``except TypeError`` that calls it;
    ``real`` is the name the builtin ``float`` goes by (the function may shadow it);
    ``guards``: ``(spelling, name)`` pairs, a called function as the code spells it and
    the name the object it was generated for is bound to; ``renew`` is called with the
    arguments when one differs; ``unchecked``: ``unchecked_parameters(listing.origin)``,
    and ``sequences``: ``sequence_parameters(listing.origin)``, if found already.
    """
    program = listing.origin
    lines = [f"def {listing.name}({ast.unparse(signature)}):"]
    lines += [f"{INDENT}# {text}" for text in listing.header]
    if guards and not standalone:
        test = " or ".join(unparse(spelling) if name is None else  # a test (methods.py)
                           f"{unparse(spelling)} is not {name}" for spelling, name in guards)
        names = [a.arg for a in signature.posonlyargs + signature.args]
        names += [f"{a.arg}={a.arg}" for a in signature.kwonlyargs]
        lines.append(f"{INDENT}# {defaults.comment(guards)}")
        lines.append(f"{INDENT}if {test}:")
        lines.append(f"{INDENT * 2}return {renew}({', '.join(names)})")
    body = [*listing.body, Line(ast.Return(listing.returns))]
    if standalone:                  # the run-time checks of the arguments' kinds go too
        body = [item for item in body if not getattr(item, "check", False)]
    inner = INDENT if standalone else INDENT * 2
    rows = _rows(body, inner)        # (indent, text, tag, note); tag None for comments/heads
    width = max([len(indent) + len(text) for indent, text, tag, _ in rows if tag is not None],
                default=0)
    column = min(width, TAG_COLUMN_LIMIT + len(inner)) + 2
    if not standalone:
        lines.append(f"{INDENT}try:")
        if unchecked is None:
            unchecked = unchecked_parameters(program)
        if unchecked:
            types_ = " is ".join(f"type({p})" for p in unchecked)
            lines.append(f"{inner}# nothing below rejects a non-real {', '.join(unchecked)}")
            lines.append(f"{inner}if not ({types_} is {real}):")
            keywords = ", ".join(f"{p}={p}" for p in unchecked)
            lines.append(f"{inner}{INDENT}{checker}({program.name!r}, {keywords})")
        for p in getattr(program, "none_tested_wrt", ()):    # differentiated: not None
            lines.append(f"{inner}if {p} is None:")
            lines.append(f"{inner}{INDENT}{checker}({program.name!r}, {p}={p})")
    explain, append = listing.explain, lines.append
    for indent, text, tag, note in rows:
        if tag is None:
            append(indent + text)
        elif explain and note:
            append(f"{indent}{text.ljust(column - 2 - len(indent))}  # ({tag}) {note}")
        else:
            append(f"{indent}{text.ljust(column - 2 - len(indent))}  # ({tag})")
    if standalone:
        return "\n".join(lines) + "\n"
    names = [a.arg for a in signature.posonlyargs + signature.args + signature.kwonlyargs
             if a.arg not in program.opaque_params]      # objects and functions: not reals
    params = ", ".join(f"{p}={p}" for p in names)
    found = sequence_parameters(program) if sequences is None else sequences
    sequences = [p for p in names if p in found]
    if sequences:             # these may be lists, tuples or arrays of reals
        params = f"{tuple(sequences)!r}, {params}"
    # an array reaching an `if` raises ValueError: the checker names it (no retry takes it)
    tested = not listing.retry and program.kinds is None and any(
        p not in unchecked for p in truth_tested(program))
    lines.append(f"{INDENT}except {'(TypeError, ValueError)' if tested else 'TypeError'}:")
    lines.append(f"{inner}{checker}({program.name!r}, {params})")
    lines.append(f"{inner}raise")
    if listing.retry:
        retry, error = listing.retry
        positional = [a.arg for a in signature.posonlyargs + signature.args]
        passed = [error] + positional + [f"{a.arg}={a.arg}" for a in signature.kwonlyargs]
        lines.append(f"{INDENT}except (ArithmeticError, ValueError) as {error}:")
        lines.append(f"{inner}return {retry}({', '.join(passed)})")
    return "\n".join(lines) + "\n"


def _rows(items, indent, text=None):
    """The rendered lines of ``items``: comments, statements and compound heads.
    ``text``: ``build.unparser()``, one writer for every statement."""
    text = text or unparser()
    rows = []
    append = rows.append
    if items and not any(isinstance(item, (Line, Block)) for item in items):
        items = [*items, Line(ast.Pass())]
    deeper = indent + INDENT
    for item in items:
        cls = item.__class__
        if cls is Line:
            stmt = item.stmt
            written = _statement_text(stmt, text) if stmt.__class__ is ast.Return else text(stmt)
            append((indent, written, item.tag, item.note))
        elif cls is Comment:
            append((indent, f"# {item.text}", None, None))
        else:
            append((indent, _head_text(item.head, text), None, None))
            rows += _rows(item.body, deeper, text) or [(deeper, "pass", None, None)]
            orelse = item.orelse
            while len(orelse) == 1 and isinstance(orelse[0], Block) \
                    and isinstance(orelse[0].head, ast.If):      # else: if ... -> elif ...
                append((indent, "el" + _head_text(orelse[0].head, text), None, None))
                rows += _rows(orelse[0].body, deeper, text) or [(deeper, "pass", None, None)]
                orelse = orelse[0].orelse
            if orelse:
                append((indent, "else:", None, None))
                rows += _rows(orelse, deeper, text)
    return rows


def _head_text(head, text=unparse):
    """``if c:``, ``for i in range(n):``, ``while x > 1.0:``."""
    if isinstance(head, ast.If):
        return f"if {text(head.test)}:"
    if isinstance(head, ast.For):
        target = head.target
        names = ", ".join(text(e) for e in target.elts) if isinstance(target, ast.Tuple) \
            else text(target)
        return f"for {names} in {text(head.iter)}:"
    return f"while {text(head.test)}:"


class Later:
    """A generated function not built yet (a function that calls itself): the closure
    cells of code calling it are filled in by ``resolve`` once it exists."""

    def __init__(self):
        self.cells = []

    def resolve(self, generated):
        for cell in self.cells:
            cell.cell_contents = generated
        self.cells = []


def _statement_text(stmt, text=unparse):
    if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Tuple) and stmt.value.elts:
        elements = [text(e) for e in stmt.value.elts]
        return "return " + ", ".join(elements) + ("," if len(elements) == 1 else "")
    return text(stmt)


def guarded_calls(program):
    """``(spelling, callee)`` of each call whose derivative depends on what its name held
    when the code was generated, in order of first call: a call of the user's function
    (its generated pullback or jvp) or of a function under another name (``act =
    math.tanh``; not ``math.tanh`` itself nor ``from math import tanh``), or of a parameter
    whose default is a function (``f(x)`` with ``f=np.tanh``).  A custom rule
    needs no check: the code reads its ``fwd``/``bwd`` (or ``jvp``) through the name."""
    found = {}
    for step in walk_steps(program.body):
        if step.callee is None:                 # an operator, a constant: no call
            continue
        func = getattr(step.value, "func", None) if isinstance(step.value, ast.Call) else None
        if not isinstance(func, (ast.Name, ast.Attribute)):
            continue
        if methods.instance_call(func):         # type(self).m: what it was generated from
            func = methods.guard_spelling(program.parsed, func)     # type(self.l1).m: C.m
            found.setdefault(ast.unparse(func), (func, methods.unspecialised(step.callee)))
            continue
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            continue
        if step.custom is not None:
            continue
        if root.id in program.opaque_params:      # f(x), f a parameter: f is its default
            found.setdefault(ast.unparse(func), (func, step.callee))
            continue
        if step.rule is None or step.rule.key != Syntax("call"):
            if isinstance(program.parsed.lookup(root.id, None), types.ModuleType):
                continue
            spelled = func.attr if isinstance(func, ast.Attribute) else func.id
            if spelled == getattr(step.callee, "__name__", None):
                continue
        found.setdefault(ast.unparse(func), (func, step.callee))
    for func, callee in program.inlined:          # helpers inlined (normalize/helpers.py)
        func = methods.guard_spelling(program.parsed, func)
        found.setdefault(ast.unparse(func), (func, methods.unspecialised(callee)))
    return list(found.values())


def compile_listing(listing):
    """Compile ``listing`` into a function with ``.source``; see the module docstring.
    ``listing.renew(*args, **kwargs)`` is what the code returns when a function it calls
    was rebound (``guarded_calls``); without it there are no such checks."""
    program = listing.origin
    parsed = program.parsed
    func = parsed.func
    checker = program.namer.fresh(CHECK_ARGUMENTS)
    injected = dict(listing.injected)
    real = "float"
    if real in program.namer.taken:          # the function uses the name: bind our own
        real = program.namer.fresh("float")
        injected[real] = float
    guards, renewer, renew = [], RENEW, listing.renew
    own = listing.signature is None        # the user's parameters, and their defaults
    signature = defaults.signature_of(parsed.node, func) if own else listing.signature
    values = defaults.private(func.__defaults__) if own else None    # bound by the code
    if renew is not None:
        for spelling, callee in guarded_calls(program):
            base = spelling.attr if isinstance(spelling, ast.Attribute) else spelling.id
            base = base.strip("_") if base.endswith("__") else base     # __call__: call
            name = program.namer.fresh(f"{base}_differentiated")
            injected[name] = callee
            guards.append((spelling, name))
        guards = objects.entry_tests(parsed, guards) + guards   # type(AFFINE) is not Affine
        guards += methods.shadow_tests(program, guards)     # 'm' in self.__dict__
        guards += module_numbers.number_tests(program, real)  # type(D) is not float
        guards += tree_keys.baked_tests(program, injected)    # LAYERS: the keys unrolled
        guards += defaults.entry_tests(program, guards, injected, own and func, signature,
                                        renew, values)
        if guards:
            renewer = program.namer.fresh(RENEW)
            injected[renewer] = renew
    sequences = sequence_parameters(program)         # for the checks, the checker, the retry
    unchecked = unchecked_parameters(program, sequences)    # for the type test and the checker
    source = render(listing, signature, checker, real=real, guards=guards, renew=renewer,
                    unchecked=unchecked, sequences=sequences)
    filename = sources.register(listing.name, source)
    injected[checker] = _checker(listing, filename, unchecked, sequences)
    if listing.retry and program.kinds is None:     # where the retry fails too
        refuse = argument_checker(program, filename).refuse_arrays
        params = [a.arg for a in signature.posonlyargs + signature.args]
        own_name = program.name            # (`name` is rebound below: not that)
        injected[listing.retry[0]].refuse_arrays = lambda error, args, kwargs: refuse(
            error, own_name, sequences, {**dict(zip(params, args)), **kwargs})

    outer_params = list(injected) + [n for n in parsed.closure if n not in injected]
    inner = _define(source, filename, listing.name, outer_params,
                    [injected.get(n) for n in outer_params], func.__globals__)
    cells = dict(zip(inner.__code__.co_freevars, inner.__closure__ or ()))
    cells.update({n: c for n, c in parsed.closure.items() if n not in injected})
    closure = tuple(cells[n] for n in inner.__code__.co_freevars) or None
    result = types.FunctionType(inner.__code__, func.__globals__, listing.name,
                                values, closure)
    result.__kwdefaults__ = func.__kwdefaults__ if own else None
    result.__module__ = func.__module__
    result.__qualname__ = listing.name
    result.__doc__ = "\n".join(listing.header)
    result.source = source
    result.__s2sdiff_sequences__ = listing.sequences    # reverse: its list parameters
    result.__s2sdiff_list_output__ = getattr(listing, "list_output", False)   # `return ys`
    result._repr_markdown_ = functools.partial(sources.markdown, source)     # Jupyter
    for name, value in injected.items():
        if isinstance(value, Later):
            value.cells.append(cells[name])
    register(result, listing, signature)
    if guards:                 # parse.current: code made from this code checks these too
        result.__s2sdiff_checks__ = tuple(guarded_calls(program))
        result.__s2sdiff_renewal__ = renew
    return result


FACTORY = "s2sdiff_factory"


def _define(source, filename, name, outer, values, globals_):
    """The function ``name`` defined by ``source``, nested in one with parameters ``outer``
    (its free variables, whose cells hold ``values``), compiled under ``filename``.
    The text compiled is ``def s2sdiff_factory(<outer>):``, a line `` \\`` and ``source``
    unchanged: the backslash continues the factory's indented line onto the ``def`` of
    ``source``, so the text is parsed once, every line of ``source`` keeps its columns (the
    carets of a traceback); the line numbers, two more than in ``source``, are moved back."""
    text = f"def {FACTORY}({', '.join(outer)}):\n \\\n{source} return {name}\n"
    try:
        code = syntax.compile(text, filename, "exec")
    except SyntaxError:
        syntax.compile(source, filename, "exec")    # the error at its line of ``source``
        raise
    namespace = {}
    exec(code, globals_, namespace)
    inner = namespace[FACTORY](*values)
    inner.__code__ = _moved(inner.__code__, -2)
    return inner


def _moved(code, lines):
    """``code`` and the code objects nested in it with their line numbers moved by
    ``lines`` (a code object's line table counts from its ``co_firstlineno``)."""
    consts = tuple(_moved(c, lines) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)


def _is_real(value, sequence=False):
    if sequence and isinstance(value, (list, tuple)):
        return all(_is_real(v) for v in value)
    if isinstance(value, bool):
        return True
    if isinstance(value, numbers.Real):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "") in "biuf"


def _checker(listing, filename, unchecked, sequences):
    """``argument_checker(program, filename)``; for a transform that needs a scalar output
    (grad), one that also refuses an array (``x.ndim > 0``) passed for a parameter that
    reaches the output through arithmetic alone (``unchecked_parameters``): code without
    NumPy calls is generated for numbers, and ``x * 2.0`` of an array is an array.  Only
    the type test that such a parameter already has calls it: numbers pay nothing.
    ``sequences``: ``sequence_parameters(program)``."""
    program = listing.origin
    checker = argument_checker(program, filename)
    if listing.scalar_output is None or program.kinds is not None:
        return checker
    reached = _reaching_output(program) if unchecked else set()
    reaching = [p for p in unchecked if p in reached]
    others = [p for p in unchecked if p not in reaching and p not in sequences]
    if not reaching and not others:
        return checker
    transform = listing.scalar_output
    alternative = "s2sdiff.jvp for a Jacobian-vector product" if transform == "derivative" \
        else "s2sdiff.vjp(f, *args) for a vector-Jacobian product"
    not_scalar = program.not_scalar_error()      # the program itself is not kept
    indexed = [p for p in reaching if p in indexed_parameters(program)]    # p = xs * w; p[0]

    def check_scalar_output(function_name, sequences=(), /, **arguments):
        for name in reaching:
            shape = getattr(arguments.get(name), "shape", ())
            if isinstance(shape, tuple) and len(shape) > 0 and name not in indexed:
                raise not_scalar(transform, f"an array when `{name}` is an array of shape {shape}",
                                 f"Reduce it (np.sum, np.mean), or use {alternative}, or "
                                 f"s2sdiff.jacobian(f) for the whole Jacobian.")
        # the others only decide branches (`if x > 0`): NumPy refuses more than one number
        error = array_argument(function_name, {n: arguments.get(n) for n in others + indexed
                                               if getattr(arguments.get(n), "size", 1) > 1},
                               what=NUMBERS_ONLY if indexed else None)
        if error is not None:
            raise error.at(*checker.where)
        return checker(function_name, sequences, **arguments)
    return check_scalar_output


def _reaching_output(program):
    """The parameters the output depends on through differentiable steps (comparisons,
    ``len``... stop a dependence); steps in loops are gone over until nothing changes."""
    sources = {p: {p} for p in program.params}
    changed = True
    while changed:
        changed = False
        for step in program.steps:
            if not step.differentiable:
                continue
            reached = set().union(*(sources.get(a.id, set()) for a in step.args
                                    if isinstance(a, ast.Name)))
            if not reached <= sources.setdefault(step.target, set()):
                sources[step.target] |= reached
                changed = True
    return set().union(*(sources.get(n.id, set()) for o in program.outputs
                         for n in ast.walk(o) if isinstance(n, ast.Name)))


# what the checks generated code runs raise (argument_aliases, reverse._numbers_only_check)
RUN_TIME_REFUSALS = frozenset(("aliased arguments", "array attribute"))


def argument_checker(program, filename):
    """``check_arguments`` for the code generated from ``program`` (compiled as
    ``filename``): its errors carry the file and ``def`` line of the user's function, and an
    ``ArgumentError`` of a function it calls, about a value the user's function built (a
    list passed to a helper), is blamed on that call and its line."""
    where, lines, rename = located(program)      # generated code differentiated again: the user's
    numbers = program.kinds is None          # code generated for numbers (the program is not kept)

    def checker(function_name, sequences=(), /, **arguments):
        inner = sys.exc_info()[1]          # what the generated code is handling
        function_name, sequences, arguments = rename(function_name, sequences, arguments)
        if isinstance(inner, ArgumentError) and inner.construct in RUN_TIME_REFUSALS:
            return                         # the code's own check of its arguments: complete
        check_arguments(function_name, sequences, where, **arguments)
        if isinstance(inner, ArgumentError) and inner.function_name not in (None, function_name):
            raise _blame_call(inner, function_name, filename, lines, where) from inner
        if inner is not None and numbers:
            refuse_arrays(inner, function_name, sequences, arguments)

    def refuse_arrays(inner, function_name, sequences, arguments):
        """Raise the error for an array passed where the code failed on it (``inner``:
        what it raised), at the user's line that raised, if there is one."""
        lineno = _line_of(inner, filename, lines) or where[1]
        error = array_argument(function_name, arguments, sequences,
                               f"line {lineno} raised {type(inner).__name__}: {inner}")
        if error is None:
            return
        raise error.at(where[0], lineno, linecache.getline(where[0], lineno).rstrip("\n")) \
            from None
    checker.where = where
    checker.refuse_arrays = refuse_arrays
    return checker


def _blame_call(inner, function_name, filename, lines, where):
    """The ``ArgumentError`` for a call, at a line of ``function_name``, that passed a
    value the callee cannot take."""
    lineno = _line_of(inner, filename, lines) or where[1]
    source_line = linecache.getline(where[0], lineno).rstrip("\n")
    error = ArgumentError(
        f"{function_name} calls {inner.function_name} at line {lineno} with a value "
        f"{inner.function_name} cannot take: {inner.message}", filename=where[0],
        lineno=lineno, source_line=source_line, construct="argument",
        hint=f"Pass {inner.function_name} what it takes where {function_name} calls it.")
    error.function_name = function_name
    return error


def _line_of(error, filename, lines):
    """The user's line (``lines``: tag -> line) of the innermost line of the generated
    ``filename`` that ``error`` went through, or None."""
    trace, lineno = error.__traceback__, None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == filename:
            match = re.search(r"# \((\d+)\)", linecache.getline(filename, trace.tb_lineno))
            lineno = lines.get(int(match.group(1))) if match else None
        trace = trace.tb_next
    return lineno


def check_arguments(function_name, sequences=(), where=None, /, **arguments):
    """Raise an ``ArgumentError`` naming the first argument that is not a real number (or,
    for the parameters named in ``sequences``, a list, tuple or array of reals);
    ``where``: the function's ``(filename, def line, its text)``."""
    filename, lineno, source_line = where or (None, None, None)
    for name, value in arguments.items():
        if not _is_real(value, name in sequences):
            kind = type(value).__name__
            hint = "complex numbers are not supported" if isinstance(value, complex) else \
                "pass a real number (int, float or a NumPy real)"
            if name in sequences:
                hint = "pass a list, tuple or array of real numbers"
            if value is None:
                hint = ("pass a number; None is data only in a parameter left out of wrt= "
                        "(as wrt=None leaves out one whose default is None) that the code "
                        "computes nothing with")
            if isinstance(value, dict) and name in sequences:
                hint = ("the code reads it as a list (iterating it, indexing it with a "
                        "variable); a dict is differentiated as a tree when its function "
                        "reads it by constant keys or through .items() and .values()")
            elif isinstance(value, dict) or hasattr(value, "__dataclass_fields__") \
                    or hasattr(type(value), "_fields"):
                hint = ("vjp, jvp, derivative, jacobian and hessian take flat parameters for "
                        "now; grad and value_and_grad take trees (read their leaves with "
                        "constant keys)")
            error = ArgumentError(
                f"argument {name!r} of {function_name} must be "
                f"{'a sequence of real numbers' if name in sequences else 'a real number'}, got {kind} "
                f"{value!r:.60}: {hint}", construct="argument", filename=filename,
                lineno=lineno, source_line=source_line)
            error.function_name = function_name
            raise error
    if sys.exc_info()[0] is not None:       # the handler of a TypeError in generated code
        _refuse_complex(sys._getframe(1))


def _refuse_complex(frame):
    """Raise ``UnsupportedError`` at the step whose value is complex in ``frame``, the
    generated function's: from real arguments, Python makes ``(-8.0) ** (1 / 3)`` a complex
    number, which the forward may carry on with (``abs`` of it) but no partial can
    compare.  Runs only when generated code raised a ``TypeError``."""
    for _ in range(3):                      # check_arguments may be called by a wrapper
        if frame is None or sources.is_generated(frame.f_code.co_filename):
            break
        frame = frame.f_back
    generated = frame and built_with(frame.f_code)
    if generated is None:
        return
    program = program_of(generated)
    steps = {s.target: s for s in program.steps}
    for name, value in frame.f_locals.items():
        if name in steps and _is_complex(value):
            raise program.complex_value(name, value, steps[name].lineno)


def _is_complex(value):
    return isinstance(value, complex) or getattr(getattr(value, "dtype", None), "kind", "") == "c"
