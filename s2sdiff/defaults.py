"""Default values generated code depends on, checked like the helpers it calls.

A parameter left to its default gets, in generated code, the value Python binds from the
generated function's own ``__defaults__``, the user's when the code was generated; a call
of a user's helper that leaves parameters to their defaults has those values written into
the code (``normalize``).  Assigning ``f.__defaults__`` or ``f.__kwdefaults__`` replaces
those objects, so each is compared by identity with the one the code was generated with:

* the cache (``pipeline.generate``) gives code only while its function's defaults are
  those it was generated with (``changed``), and generates it again otherwise;
* generated code checks on entry, with the rebound helpers (``emit.guarded_calls``), the
  defaults of each helper it calls that has defaults (one ``is not`` each); a changed one
  generates the code again for the helper as it is now, as a rebound helper does;
* generated code with the user's signature and defaults checks, for each parameter with a
  default, whether it holds the default it was generated with (``is``) and, only then,
  whether the user's defaults were replaced since: a call that leaves out a parameter whose
  default changed raises ``ArgumentError`` (once Python has bound the old default, which
  arguments were passed cannot be known), one passing it is answered as before;
* dispatchers (NumPy code, trees) bind defaults themselves, from ``signature``: the
  function's defaults as they are at the call.
"""

import ast
import inspect
import linecache
import numbers
import types
from typing import NamedTuple

from .errors import ArgumentError

_LINKS = ("__s2sdiff_unspecialised__", "__s2sdiff_plain__")    # a copy's user function


def current(copy, func):
    """Whether ``copy`` (of ``func``) still has ``func``'s defaults."""
    return copy is not None and copy.__defaults__ is func.__defaults__ \
        and copy.__kwdefaults__ is func.__kwdefaults__


def root(func):
    """The user's function of which ``func`` is a copy (``methods.specialised``,
    ``object_parameters.variant``), or ``func``."""
    for link in _LINKS:
        ref = getattr(func, link, None)
        found = ref() if ref is not None else None
        if found is not None and found is not func:
            return root(found)
    return func


def seen(func):
    """``(function, __defaults__, __kwdefaults__)``: the user's function whose defaults
    code generated from ``func`` binds, and those defaults now (for generated code, those
    it was generated with: a second derivative checks the user's function)."""
    recorded = getattr(func, "__s2sdiff_defaults__", None)
    if recorded is not None:
        return recorded
    user = root(func)
    if not isinstance(user, types.FunctionType):
        return None
    return user, getattr(user, "__defaults__", None), getattr(user, "__kwdefaults__", None)


def changed(recorded):
    """Whether the defaults ``recorded`` (``seen``) were replaced since."""
    return recorded is not None and (recorded[0].__defaults__ is not recorded[1]
                                     or recorded[0].__kwdefaults__ is not recorded[2])


def signature(func, cached):
    """``inspect.signature(func)`` with the defaults the user's function has now:
    ``cached`` (a list ``[signature, recorded]``) again unless they were replaced."""
    if cached[0] is None or changed(cached[1]):
        cached[1] = seen(func)
        cached[0] = inspect.signature(root(func))
    return cached[0]


def private(values):
    """``values`` (a function's ``__defaults__``) with each float a new object of the same
    value: an argument that is one of them was left to its default (a float literal of the
    same value elsewhere in the module is the same object as the default)."""
    return values if values is None else tuple(
        float.fromhex(v.hex()) if type(v) is float and v == v else v for v in values)


def entry_tests(program, guards, injected, func, signature, renewal, values=None):
    """The tests generated code runs on entry (``(test, None)`` guards, ``emit.render``)
    for the defaults it depends on: those of the helpers it calls (``guards``: ``(spelling,
    name)``, ``injected[name]`` the helper) and, for code with ``signature``'s defaults
    (the user's parameters, ``func``'s defaults, bound from ``values``; ``func`` False
    for other code), its own; the names they read go into ``injected``, and ``renewal``
    learns which parameters have which defaults (``Own``)."""
    tests, namer = [], program.namer

    def bind(base, value):
        name = namer.fresh(base)
        injected[name] = value
        return ast.Name(name, ast.Load())

    def replaced(held, label, attribute, value):
        return ast.Compare(ast.Attribute(held, attribute, ast.Load()), [ast.IsNot()],
                           [bind(f"{label}_{attribute.strip('_')}", value)])

    for _, name in guards:
        callee = injected.get(name) if name is not None else None
        if isinstance(callee, types.FunctionType):
            label = callee.__name__ if callee.__name__.isidentifier() else "helper"
            tests += [replaced(ast.Name(name, ast.Load()), label, attribute, value)
                      for attribute, value in (("__defaults__", callee.__defaults__),
                                               ("__kwdefaults__", callee.__kwdefaults__))
                      if value is not None]
    own = func and _own_defaults(func, signature, values)
    recorded = seen(func) if own else None
    if recorded is not None and program.kinds is None:   # NumPy code: its dispatcher binds
        held = bind(f"{program.name}_function", recorded[0])
        for attribute, group, stored in (("__defaults__", own[0], recorded[1]),
                                         ("__kwdefaults__", own[1], recorded[2])):
            if group:
                left = [ast.Compare(ast.Name(p, ast.Load()), [ast.Is()],
                                    [bind(f"{p}_default", value)]) for p, value in group]
                tests.append(ast.BoolOp(ast.And(), [
                    left[0] if len(left) == 1 else ast.BoolOp(ast.Or(), left),
                    replaced(held, program.name, attribute, stored)]))
        renewal.own = Own(recorded, [a.arg for a in signature.posonlyargs + signature.args],
                          dict(own[0] + own[1]), {p for p, _ in own[0]},
                          *((program.name, True) if recorded[0] is root(func)
                            else (recorded[0].__name__, False)))
    return [(test, None) for test in tests]


class Own(NamedTuple):
    """What ``refuse_stale`` needs of code that binds its own defaults."""
    recorded: tuple            # seen(): the user's function and its defaults then
    positional: list           # the parameters passed by position to the renewal
    stale: dict                # parameter -> the default object the code binds
    private: set               # those whose object no caller holds (private floats)
    name: str                  # the user's function, as messages name it
    direct: bool               # the code is its derivative (not a derivative's derivative)


def _own_defaults(func, signature, values):
    """``([(parameter, default)], [(keyword-only parameter, default)])`` that code with
    ``signature``, ``values`` for ``func``'s defaults, and ``func``'s keyword-only ones
    binds, or None."""
    positional = [a.arg for a in signature.posonlyargs + signature.args]
    values = values or ()
    pairs = list(zip(positional[len(positional) - len(values):], values))
    keywords = list((func.__kwdefaults__ or {}).items())
    return (pairs, keywords) if pairs or keywords else None


def refuse_stale(own, kind, args, kwargs):
    """Raise ``ArgumentError`` when a call (``args``: the positional parameters in order,
    ``kwargs``: the keyword-only ones) leaves out a parameter whose default was replaced
    by another value since the code was generated (``own``: ``entry_tests``'s record)."""
    values = {**dict(zip(own.positional, args)), **kwargs}
    user, name = own.recorded[0], own.name
    now = inspect.signature(user).parameters
    for param, old in own.stale.items():
        if param not in values or values[param] is not old or param not in now \
                or _same(now[param].default, old):
            continue
        again = f"Call {kind}({name}) again" if own.direct and kind in (
            "grad", "value_and_grad", "derivative") else f"Differentiate {name} again"
        how = "this call leaves it to its default" if param in own.private and type(old) is \
            float else "it holds that old default in this call (left out, or that object passed)"
        error = ArgumentError(
            f"the default of `{param}` in {name} changed from {old!r} to "
            f"{now[param].default!r} after this derivative was generated, and {how}",
            construct="changed default", hint=f"{again}: that gives the derivative with the "
            f"new default (or pass `{param}` explicitly).")
        error.function_name = name
        code = user.__code__
        raise error.at(code.co_filename, code.co_firstlineno, _line(code))


def _same(new, old):
    """Whether a replaced default holds the same number (or string, None) as before."""
    if new is old:
        return True
    plain = (numbers.Number, str, type(None))
    return type(new) is type(old) and isinstance(new, plain) and bool(new == old)


def _line(code):
    return linecache.getline(code.co_filename, code.co_firstlineno).rstrip("\n") or None


def without_tests(stmt):
    """``stmt``, or for the entry test of generated code (``if ...: return
    generate_again(...)``) the same without the tests of defaults (None if nothing is
    left): a backend's compiled code is entered through a function that binds them; and
    without the tests of numbers read from outside (``type(D) is not float``), which a
    backend compiles as constants, as ejected modules do."""
    if not (isinstance(stmt, ast.If) and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Return)):
        return stmt
    test = stmt.test
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) \
        else [test]
    kept = [t for t in tests if not _of_defaults(t) and not _of_numbers(t)]
    if len(kept) == len(tests):
        return stmt
    if not kept:
        return None
    return ast.If(kept[0] if len(kept) == 1 else ast.BoolOp(ast.Or(), kept), stmt.body, [])


def _of_numbers(test):
    """Whether ``test`` is one ``module_numbers.number_tests`` writes."""
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Call) \
        and isinstance(test.left.func, ast.Name) and test.left.func.id == "type" \
        and isinstance(test.ops[0], ast.IsNot) and isinstance(test.comparators[0], ast.Name) \
        and test.comparators[0].id.rstrip("_0123456789") in ("float", "int")


def _of_defaults(test):
    """Whether ``test`` is one ``entry_tests`` writes."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        test = test.values[-1]
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Attribute) \
        and test.left.attr in ("__defaults__", "__kwdefaults__")


def comment(guards):
    """The comment above the entry tests ``guards``."""
    numbers = [s for s, name in guards if getattr(s, "s2sdiff_number", False)]
    if any("__defaults__" in ast.unparse(s) or "__kwdefaults__" in ast.unparse(s)
           for s, name in guards if name is None):
        what = "a function called below or a default was replaced"
    else:
        what = "a function called below was rebound"
    if numbers:
        names = ", ".join(ast.unparse(s.left.args[0]) for s in numbers)
        what = f"the type of {names} changed" if len(numbers) == len(guards) \
            else f"{what}, or the type of {names} changed,"
    keys = [s.s2sdiff_keys for s, name in guards if getattr(s, "s2sdiff_keys", None)]
    if keys:                                # for k in LAYERS (tree_keys.py)
        held = f"{', '.join(keys)} changed (the keys unrolled below)"
        what = held if len(keys) == len(guards) else f"{what}, or {held},"
    return f"if {what} since this code was generated, generate it again"


def with_passed_functions(func, args, kwargs):
    """``(copy of func, key)``: ``func`` with the functions passed for its function-valued
    parameters as their defaults, when one differs from its default; else None."""
    try:
        signature = inspect.signature(func)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    passed = {name: value for name, value in bound.arguments.items()
              if is_function(signature.parameters[name].default)
              and value is not signature.parameters[name].default}
    if not passed:
        return None
    defaults = [passed.get(p.name, p.default) for p in signature.parameters.values()
                if p.default is not p.empty and p.kind is not p.KEYWORD_ONLY]
    keywords = {p.name: passed.get(p.name, p.default) for p in signature.parameters.values()
                if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}
    variant = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                 tuple(defaults) or None, func.__closure__)
    variant.__kwdefaults__ = keywords or None
    variant.__qualname__, variant.__module__ = func.__qualname__, func.__module__
    return variant, tuple((name, id(value)) for name, value in passed.items())


def is_function(default):
    """Whether a parameter's default is a function the code may call (not a class)."""
    return callable(default) and not isinstance(default, type)


def signature_of(node, func):
    """The user's parameters without annotations; defaults written as ``func`` has them
    now when each is a literal (the source's text while it has the same value)."""
    args = ast.arguments(
        posonlyargs=[ast.arg(a.arg) for a in node.args.posonlyargs],
        args=[ast.arg(a.arg) for a in node.args.args],
        vararg=None, kwonlyargs=[ast.arg(a.arg) for a in node.args.kwonlyargs],
        kw_defaults=[None] * len(node.args.kwonlyargs), kwarg=None, defaults=[])
    values = list(func.__defaults__ or ())
    keywords = func.__kwdefaults__ or {}
    texts = [_literal(d, v) for d, v in zip(node.args.defaults[-len(values):] if values
                                             else [], values)]
    if len(node.args.defaults) != len(values):
        texts = [_literal(None, v) for v in values]
    kw_texts = [_literal(d, keywords[a.arg]) if a.arg in keywords else None
                for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults)]
    if None not in texts and all(t is not None for a, t in zip(node.args.kwonlyargs, kw_texts)
                                 if a.arg in keywords):
        args.defaults, args.kw_defaults = texts, kw_texts
    return args


def _literal(node, value):
    """``node`` if it is a literal of ``value``, else ``value`` as a constant if it is a
    number, string, bool or None, else None."""
    if node is not None:
        try:
            if _same(ast.literal_eval(node), value):
                return node
        except ValueError:
            pass
    if isinstance(value, (numbers.Number, str, type(None))) and not isinstance(value, complex) \
            and type(value).__module__ == "builtins":
        return ast.Constant(value)
    return None
