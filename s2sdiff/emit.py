"""Turn a ``Listing`` into Python source and a live function.

Guarantees:

* the source is produced by ``ast.unparse``, one statement per line, with the tag
  ``# (k)`` aligned in one column, and is byte-identical for the same listing;
* the function is compiled from exactly that text, registered in ``linecache`` under a
  name derived from its content, so ``inspect.getsource``, tracebacks and ``pdb`` show
  the generated lines;
* it runs in the user's module globals (read live, never written) and shares the user
  function's closure cells; names the code needs that the user's module does not bind
  (``math`` when the user imported ``from math import sin``) are bound in a closure of
  the generated function alone;
* a ``TypeError`` raised while it runs is re-examined: if an argument is not a real
  number the error names that parameter (the ``try`` costs nothing until it raises);
  parameters that could pass through without a ``TypeError`` (only arithmetic, no math
  function) get an explicit type test first (``unchecked_parameters``);
* ``render(..., standalone=True)`` gives the same function without that ``try`` (no
  reference to s2sdiff's argument checker), for ``eject``; ``listing_of(generated)``
  returns what a built function was rendered from.
"""

import ast
import hashlib
import linecache
import numbers
import types
import weakref

from .build import unparse
from .errors import ArgumentError
from .listing import Comment, Line

INDENT = "    "
TAG_COLUMN_LIMIT = 60
CHECK_ARGUMENTS = "check_arguments"
_rendered = weakref.WeakKeyDictionary()    # built function -> (listing, signature)


def render(listing, signature, checker=CHECK_ARGUMENTS, standalone=False, real="float"):
    """The source text of ``listing`` as a function with parameters ``signature``.

    ``checker`` is the name the argument checker is bound to in the generated code;
    ``standalone=True`` leaves out the ``try``/``except TypeError`` that calls it;
    ``real`` is the name the builtin ``float`` goes by (the function may shadow it).
    """
    program = listing.origin
    lines = [f"def {listing.name}({ast.unparse(signature)}):"]
    lines += [f"{INDENT}# {text}" for text in listing.header]
    body = [*listing.body, Line(ast.Return(listing.returns))]
    statements = [(item, _statement_text(item.stmt)) for item in body if isinstance(item, Line)]
    width = max((len(text) for item, text in statements if item.tag is not None), default=0)
    column = min(width, TAG_COLUMN_LIMIT) + 2
    inner = INDENT if standalone else INDENT * 2
    if not standalone:
        lines.append(f"{INDENT}try:")
        unchecked = unchecked_parameters(program)
        if unchecked:
            types_ = " is ".join(f"type({p})" for p in unchecked)
            lines.append(f"{inner}# nothing below rejects a non-real {', '.join(unchecked)}")
            lines.append(f"{inner}if not ({types_} is {real}):")
            keywords = ", ".join(f"{p}={p}" for p in unchecked)
            lines.append(f"{inner}{INDENT}{checker}({program.name!r}, {keywords})")
    texts = dict((id(item), text) for item, text in statements)
    for item in body:
        if isinstance(item, Comment):
            lines.append(f"{inner}# {item.text}")
            continue
        text = texts[id(item)]
        if item.tag is not None:
            text = f"{text.ljust(column - 2)}  # ({item.tag})"
            if listing.explain and item.note:
                text += f" {item.note}"
        lines.append(inner + text)
    if standalone:
        return "\n".join(lines) + "\n"
    names = [a.arg for a in signature.posonlyargs + signature.args + signature.kwonlyargs]
    params = ", ".join(f"{p}={p}" for p in names)
    lines.append(f"{INDENT}except TypeError:")
    lines.append(f"{inner}{checker}({program.name!r}, {params})")
    lines.append(f"{inner}raise")
    return "\n".join(lines) + "\n"


def unchecked_parameters(program):
    """Parameters a non-real value could pass through without any ``TypeError``.

    ``math.exp("a")`` and ``math.exp(1j)`` raise, and the ``except`` clause then names the
    argument; ``"a" * 3`` and ``1j + 2.0`` do not.  A parameter is checked by the code
    itself when it reaches a ``math`` function (or ``float``, or the sigmoid gate) through
    arithmetic alone, which keeps a string, a complex number or a list what it is.  The
    others need an explicit type test, which costs a few nanoseconds only where needed.
    """
    if getattr(program, "kinds", None) is not None:
        return []              # arrays.py checked the arguments when it specialised
    sources = {p: {p} for p in program.params}
    checked, used = set(), set()
    for step in program.steps:
        names = [a.id for a in step.args if isinstance(a, ast.Name)]
        used.update(names)
        reached = set().union(*(sources.get(n, set()) for n in names))
        if _rejects_non_reals(step):
            checked |= reached
        elif isinstance(step.value, (ast.BinOp, ast.UnaryOp, ast.Name)):
            sources[step.target] = reached
    return [p for p in program.params if p in used and p not in checked]


def _rejects_non_reals(step):
    if step.rule is not None and step.rule.key == "sigmoid":
        return True
    return getattr(step.callee, "__module__", None) == "math" or step.callee is float


def listing_of(generated):
    """``(listing, signature)`` that the function ``generated`` was rendered from."""
    return _rendered[generated]


def _statement_text(stmt):
    if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Tuple) and stmt.value.elts:
        elements = [unparse(e) for e in stmt.value.elts]
        return "return " + ", ".join(elements) + ("," if len(elements) == 1 else "")
    return unparse(stmt)


def signature_of(node):
    """The user's parameters without annotations; defaults kept if all are literals."""
    args = ast.arguments(
        posonlyargs=[ast.arg(a.arg) for a in node.args.posonlyargs],
        args=[ast.arg(a.arg) for a in node.args.args],
        vararg=None, kwonlyargs=[ast.arg(a.arg) for a in node.args.kwonlyargs],
        kw_defaults=[], kwarg=None, defaults=[])
    defaults = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    if all(_is_literal(d) for d in defaults):
        args.defaults = list(node.args.defaults)
        args.kw_defaults = list(node.args.kw_defaults)
    else:
        args.kw_defaults = [None] * len(args.kwonlyargs)
    return args


def _is_literal(node):
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return False


def build(listing):
    """Compile ``listing`` into a function with ``.source``; see the module docstring."""
    program = listing.origin
    parsed = program.parsed
    func = parsed.func
    checker = program.namer.fresh(CHECK_ARGUMENTS)
    injected = {**listing.injected, checker: check_arguments}
    real = "float"
    if real in program.namer.taken:          # the function uses the name: bind our own
        real = program.namer.fresh("float")
        injected[real] = float
    own = listing.signature is None        # the user's parameters, and their defaults
    signature = signature_of(parsed.node) if own else listing.signature
    source = render(listing, signature, checker, real=real)
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<s2sdiff {listing.name} {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

    tree = ast.parse(source, filename)
    outer_params = list(injected) + [n for n in parsed.closure if n not in injected]
    factory = ast.FunctionDef(
        name="s2sdiff_factory",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in outer_params], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[tree.body[0], ast.Return(ast.Name(listing.name, ast.Load()))],
        decorator_list=[], returns=None, type_comment=None, lineno=1, col_offset=0)
    module = ast.Module([factory], type_ignores=[])
    ast.fix_missing_locations(module)
    namespace = {}
    exec(compile(module, filename, "exec"), func.__globals__, namespace)
    values = [injected.get(n) for n in outer_params]
    inner = namespace["s2sdiff_factory"](*values)
    cells = dict(zip(inner.__code__.co_freevars, inner.__closure__ or ()))
    cells.update({n: c for n, c in parsed.closure.items() if n not in injected})
    closure = tuple(cells[n] for n in inner.__code__.co_freevars) or None
    result = types.FunctionType(inner.__code__, func.__globals__, listing.name,
                                func.__defaults__ if own else None, closure)
    result.__kwdefaults__ = func.__kwdefaults__ if own else None
    result.__module__ = func.__module__
    result.__qualname__ = listing.name
    result.__doc__ = "\n".join(listing.header)
    result.source = source
    _rendered[result] = (listing, signature)
    return result


def _is_real(value):
    if isinstance(value, bool):
        return True
    if isinstance(value, numbers.Real):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "") in "biuf"


def check_arguments(function_name, /, **arguments):
    """Raise an ``ArgumentError`` naming the first argument that is not a real number."""
    for name, value in arguments.items():
        if not _is_real(value):
            kind = type(value).__name__
            hint = "complex numbers are not supported" if isinstance(value, complex) else \
                "pass a real number (int, float or a NumPy real)"
            raise ArgumentError(
                f"argument {name!r} of {function_name} must be a real number, got {kind} "
                f"{value!r:.60}: {hint}", construct="argument")
