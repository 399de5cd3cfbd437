"""Objects passed as parameters that are not differentiated: ``grad(f, wrt="x")(x,
model)`` where ``f`` calls ``model.loss(x)`` or ``model(x)``.

Which function ``model.loss`` is depends on the class of the argument, known only at a
call.  So ``grad`` returns a ``Dispatcher`` (``pipeline.generate_for_trees``) when the
function calls methods of parameters left out of ``wrt`` (``called``); at a call it
generates the code for a copy of the function that knows the classes of those arguments
(``variant``: the key ``((param, class, ((method, attributes), ...)), ...)``, made once per
key), and ``objects.rewrite`` resolves ``model.loss(x)`` in it as for an object read
from the module: ``type(model).loss(model, x)``, checked on entry
(``type(model) is not Affine``...).  When a check fails the code's ``Renewal`` calls the
code for the classes of the arguments at hand (``other_variant``).  The object's
attributes are data read at each call.  A differentiated parameter whose methods are
called is refused at generation (``objects.unresolved_parameter``: make its class a
dataclass, a tree s2sdiff differentiates leaf by leaf).
"""

import ast
import inspect
import random
import re
import threading
import types
import weakref

import numpy as np

from . import defaults, sources
from .attribute_methods import key_for, plain_getattribute
from .rules import RULES, Method, lookup
from .user_functions import is_helper

_variants = weakref.WeakKeyDictionary()     # function -> {key: variant}
_lock = threading.Lock()


def called(parsed, wrt_names):
    """``{param: method names}`` of the parameters not in ``wrt_names``, never assigned,
    without a function as default, whose methods ``parsed``'s function calls
    (``model.loss(x)``, not an array method such as ``x.sum()``) or that it calls
    (``model(x)``: ``__call__``)."""
    args = parsed.node.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if all(p in wrt_names for p in params):
        return {}                             # no parameter left out: nothing to look for
    stored = parsed.stored()
    try:
        signature = inspect.signature(parsed.func)
    except (TypeError, ValueError):
        return {}
    found = {}
    for sub in parsed.of(ast.Call):
        func = sub.func
        if isinstance(func, ast.Name):
            owner, name = func.id, "__call__"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner, name = func.value.id, func.attr
        else:
            continue
        if owner not in params or owner in wrt_names or owner in stored:
            continue
        if func.__class__ is ast.Attribute and lookup(Method(name)) is not None:
            continue                          # an array method: x.sum()
        default = signature.parameters[owner].default
        if default is not inspect.Parameter.empty and callable(default):
            continue                          # f=np.tanh: callables.py
        found.setdefault(owner, set()).add(name)
    return found


def key(func, methods, values):
    """The key of the objects ``values`` (``{param: value}``) for the ``methods`` called
    on them (``called``): ``((param, class, ((method, attributes), ...)), ...)`` for each
    argument of the user's class whose class defines those methods, else None."""
    entries = []
    for param in sorted(methods):
        obj = values.get(param)
        cls = type(obj)
        if obj is None or isinstance(obj, (type, types.ModuleType)) \
                or not plain_getattribute(cls):
            continue
        per_method = []
        for name in sorted(methods[param]):
            found = inspect.getattr_static(cls, name, None)
            function = found.__func__ if isinstance(found, staticmethod) else found
            own = getattr(obj, "__dict__", None)
            if not is_helper(function) or isinstance(own, dict) and name in own:
                break                         # not the user's, or an instance attribute
            per_method.append((name, key_for(found, obj) if found is function else ()))
        else:
            entries.append((param, cls, tuple(per_method)))
    return tuple(entries) or None


def variant(func, entries):
    """A copy of ``func`` that ``objects.rewrite`` reads the classes ``entries`` from
    (``__s2sdiff_objects__``), made once per key."""
    per_key = _variants.setdefault(func, {})
    copy = per_key.get(entries)
    if not defaults.current(copy, func):          # new, or the function's defaults replaced
        copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                  func.__defaults__, func.__closure__)
        copy.__kwdefaults__ = func.__kwdefaults__
        copy.__qualname__, copy.__module__ = func.__qualname__, func.__module__
        copy.__doc__ = func.__doc__
        copy.__s2sdiff_objects__ = entries
        copy.__s2sdiff_plain__ = weakref.ref(func)
        per_key[entries] = copy
    return copy


def bound_values(func, args, kwargs):
    """``{param: value}`` of a call of ``func`` (defaults applied), or None when the
    arguments do not match its parameters."""
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    return bound.arguments


def other_variant(func, args, kwargs):
    """For ``Renewal``: the variant of the user's function for the classes of the
    arguments at hand when ``func`` is a variant for other classes, else None."""
    entries = getattr(func, "__s2sdiff_objects__", None)
    plain = getattr(func, "__s2sdiff_plain__", None)
    values = bound_values(func, args, kwargs) if entries is not None else None
    if values is None or plain is None or plain() is None:
        return None
    methods = {param: {name for name, _ in per_method} for param, _, per_method in entries}
    new = key(plain(), methods, values)
    if new is None:
        return plain()               # not such objects: generated as written (or refused)
    return variant(plain(), new) if new != entries else None


class Dispatcher:
    """What ``grad``, ``value_and_grad`` and ``derivative`` return for a function calling
    methods of parameters that are not differentiated: the code generated for the
    classes of those arguments at the first call with them (``specialize``)."""

    def __init__(self, func, kind, methods, generate):
        self.__s2sdiff_origin__ = func
        self.__s2sdiff_outputs__ = None
        self.__s2sdiff_custom__ = ()
        self.__name__ = self.__qualname__ = re.sub(r"\W", "", f"{kind}_{func.__name__}")
        self.__wrapped__ = func                # inspect.signature: the user's parameters
        self.methods, self._generate, self.latest = methods, generate, None

    def _repr_markdown_(self):
        return sources.markdown(self.source)

    @property
    def source(self):
        if self.latest is None:
            return (f"# {self.__name__} is generated for the classes of the objects it is "
                    f"given when it is first called;\n# {self.__name__}.specialize(*args)"
                    f".source shows the code.\n")
        return self.latest.source

    def specialize(self, *args, **kwargs):
        """The generated function for arguments of these classes (with ``.source``)."""
        func = self.__s2sdiff_origin__
        values = bound_values(func, args, kwargs)
        if values is None:
            raise TypeError(f"{self.__name__}(): the arguments do not match the parameters "
                            f"of {func.__name__}")
        entries = key(func, self.methods, values)
        self.latest = self._generate(func if entries is None else variant(func, entries))
        return self.latest

    def __call__(self, *args, **kwargs):
        latest = self.latest         # checks the classes on entry, follows others
        if latest is None:
            latest = self.specialize(*args, **kwargs)
        return latest(*args, **kwargs)


def dispatcher(cache, func, kind, methods, options, generate):
    """The ``Dispatcher`` of ``func`` for ``options`` (the pipeline's), from ``cache`` (the
    pipeline's, for ``func``) or made now."""
    with _lock:
        found = cache.get(("objects",) + options)
        if found is None:
            found = cache[("objects",) + options] = Dispatcher(func, kind, methods, generate)
        return found


def _array_method_hint(param, method):
    """What to write instead of ``param.method()`` on an array, a method without a row."""
    known = ", ".join(sorted(k.method for k in RULES if isinstance(k, Method)))
    if method in ("tolist", "tobytes"):
        instead = (f"index the array itself instead of converting it: `{param}[i]`, "
                   f"`for v in {param}`, or NumPy functions of the whole array "
                   f"(np.sum({param} ** 2))")
    else:
        instead = f"call the NumPy function instead (np.{method}({param}, ...) where NumPy has one)"
    return (f"If `{param}` is a NumPy array: s2sdiff has no rule for the array method "
            f"`.{method}()`; {instead}.  The array methods s2sdiff knows are {known}.")


_DICT_METHODS = frozenset(("get", "items", "keys", "values", "pop", "popitem", "setdefault",
                           "update", "copy"))


def refusal(parsed, func):
    """``(construct, hint)`` for ``model.loss(...)`` or ``model(...)`` (``func``), ``model``
    a parameter of ``parsed``'s function, that nothing resolved; else None."""
    owner = func.value if isinstance(func, ast.Attribute) else func
    args = parsed.node.args
    if not isinstance(owner, ast.Name) or owner.id not in [
            a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]:
        return None
    what, param = ast.unparse(func), owner.id
    if owner is func:
        return f"call of the parameter `{param}`", (
            f"Give `{param}` a function as its default ({param}=np.tanh: the function "
            f"passed is followed), or pass an object of a class defined in your files "
            f"whose `__call__` s2sdiff follows when `{param}` is not differentiated (left "
            f"out of wrt=), with grad, value_and_grad, derivative, the Jacobians and hessian.")
    construct = f"method call `{what}(...)` of the parameter `{param}`"
    if hasattr(np.ndarray, func.attr) and lookup(Method(func.attr)) is None:   # x.tolist()
        return construct, _array_method_hint(param, func.attr)
    if any(hasattr(cls, func.attr) for cls in (np.random.Generator, random.Random)):
        return construct, (                 # rng.normal(...), rng passed in
            f"If `{param}` is a random generator: s2sdiff does not follow a generator passed "
            f"as an argument.  Draw the numbers outside and pass them in (`noise = "
            f"{param}.{func.attr}(...)`, then the function of `noise`), or draw from a "
            f"module-level generator (`RNG = np.random.default_rng(0)`, then "
            f"`RNG.{func.attr}(...)`), whose draws outside loops are evaluated once.")
    if func.attr in _DICT_METHODS and not hasattr(np.ndarray, func.attr):   # scale.get(name)
        return construct, (
            f"If `{param}` is a dict: s2sdiff reads a dict parameter leaf by leaf when the "
            f"keys it reads are known when the code is generated: `{param}.get(\"w\", 1.0)`, "
            f"`{param}[k]` or `{param}.get(k, 1.0)` with `k` the variable of a loop over a "
            f"dict's keys or items or over a tuple of keys, `{param}.items()`, `.keys()`, "
            f"`.values()`.  For a key computed otherwise, read the value before the call "
            f"and pass it as an argument; methods that change the dict are not supported.")
    return construct, (
        f"s2sdiff follows `{what}(...)` when `{param}` is not differentiated (left out of "
        f"wrt=, its attributes are then data) and holds an object of a class defined in "
        f"your files, with grad, value_and_grad, derivative, the Jacobians and hessian.  "
        f"To differentiate with respect to its fields, make its class a @dataclass: "
        f"s2sdiff differentiates a "
        f"dataclass parameter as a tree, leaf by leaf, and follows its methods.")
