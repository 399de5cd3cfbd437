"""Calls of methods of ``self`` inside a bound method: ``grad(model.loss)`` where ``loss``
calls ``self.predict(w, x)``.

Which function ``self.predict`` is depends on the instance's class (a subclass may
override it), so a bound method is generated per class: ``specialised(func, cls)`` is
a copy of ``func`` (same code, globals, closure) that knows ``cls``, made once per
(function, class) and cached weakly; the pipeline's cache keys on it.  Then:

* ``rewrite(parsed)`` (first step of ``normalize``) turns each ``self.m(a, b)`` of a
  specialised function, ``self`` its first parameter never reassigned, into
  ``type(self).m(self, a, b)`` (a staticmethod: ``type(self).m(a, b)``; ``super().m(a)``:
  ``super(C, type(self)).m(self, a)``, ``C`` the class defining the method): an ordinary
  call of the user's function ``m`` with the instance as a passive argument, which scalar
  code differentiates through ``m``'s generated pullback or jvp and NumPy code inlines
  (``helpers.py``), both as for any helper; the instance is recorded as an object
  (``opaque``), never a number;
* ``resolve`` gives what such a call calls: ``specialised(m, cls)``, so that ``m``'s own
  calls of methods of ``self`` resolve for the same class (chains, overrides in
  subclasses), or a staticmethod's function;
* the generated code checks on entry that ``type(self).m`` is still the function it was
  generated from (``emit.guarded_calls``, with ``unspecialised``) and, for instances that
  have a ``__dict__``, that no instance attribute ``m`` shadows it (``shadow_tests``);
  when a check fails the code is generated again (a method rebound in the class) or,
  when the instance itself no longer matches (an attribute shadowing the method, its
  class changed), ``check_instance`` refuses with an ``UnsupportedError``;
* refused when generated, at the line of the call (``unresolved``, ``check_read``): a
  classmethod, a property or another descriptor called, a method whose source cannot be
  read, ``super()`` with other arguments than ``(C, self)``, a class whose
  ``__getattribute__`` is written in Python, a property read whose getter writes, and
  ``self.m(...)`` in a function that is not differentiated as a bound method;
* ``self.l1.forward(x)``, a method of an object held in an attribute, is resolved the
  same way for the classes of the attributes of the instance at hand, which the key of
  ``specialised`` includes (``attribute_methods.py``): ``type(self.l1).forward(self.l1, x)``.
"""

import ast
import builtins
import inspect
import linecache
import types
import weakref

from . import defaults, objects, rules
from .attribute_methods import attributes_of, chain_of, check_shadowing, class_tests, \
    classes, key_for, label, matches, plain_getattribute, refusal, source_function, taken_from, \
    sub_key, unrolled, writes as _writes
from .attribute_methods import is_method as _is_method, load, mangled as _mangled, refuse_unusual
from .errors import UnsupportedError
from .rules import Method

_variants = weakref.WeakKeyDictionary()     # function -> {class -> specialised function}


def specialised(func, cls, attributes=()):
    """``func`` for instances of ``cls`` whose attributes are ``attributes``
    (``attribute_methods.py``): a copy of it that ``class_of`` maps to ``cls``."""
    per_class = _variants.setdefault(func, weakref.WeakKeyDictionary())
    per_key = per_class.setdefault(cls, {})
    variant = per_key.get(attributes)
    if not defaults.current(variant, func):       # new, or the method's defaults replaced
        variant = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                     func.__defaults__, func.__closure__)
        variant.__kwdefaults__ = func.__kwdefaults__
        variant.__qualname__, variant.__module__ = func.__qualname__, func.__module__
        variant.__doc__ = func.__doc__
        variant.__dict__.update(func.__dict__)       # generated code's __s2sdiff_origin__...
        variant.__s2sdiff_class__ = weakref.ref(cls)
        variant.__s2sdiff_unspecialised__ = weakref.ref(func)
        variant.__s2sdiff_attributes__ = attributes
        per_key[attributes] = variant
    return variant


def for_bound_method(method):
    """The function to generate for the bound method ``method``: its function specialised
    on the instance's class (the code is the same for every class when the method calls
    no other method of ``self``); a classmethod's function as it is."""
    func, instance = method.__func__, method.__self__
    if isinstance(instance, type):
        return func
    attributes = key_for(func, instance) if source_function(func) is func \
        else attributes_of(func)
    return specialised(func, type(instance), attributes)


def class_of(func):
    """The class ``func`` is specialised on (code generated from a specialised function:
    that function's), or None."""
    ref = getattr(func, "__s2sdiff_class__", None)
    if ref is not None:
        return ref()
    origin = getattr(func, "__s2sdiff_origin__", None)
    return class_of(origin) if origin is not None and origin is not func else None


def unspecialised(func):
    """The function ``func`` was specialised from (what ``type(self).m`` reads), or ``func``."""
    ref = getattr(func, "__s2sdiff_unspecialised__", None)
    return ref() if ref is not None else func


def _names(code):
    """The attribute and global names ``code`` and the code nested in it read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _called(cls, code):
    """The names of the methods of ``cls`` that ``code`` may call, directly or through
    other methods of ``cls``."""
    found, todo = set(), [code]
    while todo:
        for name in _names(todo.pop()):
            method = inspect.getattr_static(cls, name, None)
            if name not in found and _is_method(method):
                found.add(name)
                inner = method.__func__ if isinstance(method, (staticmethod, classmethod)) \
                    else method.fget if isinstance(method, property) else method
                if isinstance(inner, types.FunctionType):
                    todo.append(inner.__code__)
    return found


def _instance_name(parsed):
    """The name of the first parameter of a specialised function, if never reassigned
    (found once per tree)."""
    known = getattr(parsed.node, "s2sdiff_instance", False)
    if known is not False:
        return known
    args = parsed.node.args
    positional = args.posonlyargs + args.args
    name = positional[0].arg if positional else None
    for node in ast.walk(parsed.node) if name is not None else ():
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            name = None
            break
    parsed.node.s2sdiff_instance = name
    return name


def rewrite(parsed):
    """``parsed`` with ``self.m(...)`` written ``type(self).m(self, ...)`` (see the module
    docstring); ``parsed`` itself when its function is not specialised on a class."""
    cls = class_of(parsed.func)
    me = _instance_name(parsed) if cls is not None else None
    objects.rewrite(parsed, cls, me)        # AFFINE.loss(x), AFFINE(x), self(x) (objects.py)
    if me is None:
        return parsed
    unrolled(parsed, me)                # for layer in self.layers: layer.forward(h)
    _Rewriter(parsed, cls, me).visit(parsed.node)
    parsed.forget_nodes()
    first = (parsed.node.args.posonlyargs + parsed.node.args.args)[0]
    parsed.opaque = {me: first, **parsed.opaque}     # the instance: an object, not a number
    return parsed


def _defining_class(func):
    """The class whose body defines ``func``, found by its qualified name, or None."""
    parts = func.__qualname__.split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    value = func.__globals__.get(parts[0])
    for part in parts[1:-1]:
        value = getattr(value, part, None)
    return value if isinstance(value, type) else None


def _spelling(me, name, path=()):
    call = ast.Call(ast.Name("type", ast.Load()), [load(me, path)], [])
    call.s2sdiff_instance = me          # made here: resolve() trusts only these
    return ast.Attribute(call, name, ast.Load())


class _Rewriter(ast.NodeTransformer):
    def __init__(self, parsed, cls, me):
        self.parsed, self.cls, self.me = parsed, cls, me

    def written(self, node):
        """Whether ``node`` is ``type(self).m(self, ...)`` or ``super(C, type(self)).m(self,
        ...)`` as written (in code generated from a method, say), or such a call of a
        staticmethod without ``self``."""
        func = node.func
        if not isinstance(func, ast.Attribute):
            return False
        found = _lookup(self.parsed, self.cls, self.me, func)
        if isinstance(found, staticmethod):
            return True
        target = _receiver(self.parsed, self.cls, self.me, func.value)
        if isinstance(found, types.FunctionType) and node.args and target and target[1]:
            return _same_object(self.parsed, node.args[0], load(self.me, target[1]))
        return isinstance(found, types.FunctionType) and bool(node.args) \
            and isinstance(node.args[0], ast.Name) and node.args[0].id == self.me

    def refuse(self, node, what, hint):
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {self.parsed.node.name}: {what} is not supported",
            construct=what, hint=hint)

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return node
        if self.written(node):
            func.value.s2sdiff_instance = self.me
            return node
        name, cls, path = _mangled(func.attr, self.parsed.func), self.cls, ()
        chain = chain_of(func.value, self.me)
        if chain:                                   # self.l1.forward(x) (attribute_methods)
            path = tuple(_mangled(part, self.parsed.func) for part in chain)
            cls = classes(self.parsed.func).get(path)
            found = inspect.getattr_static(cls, name, None) if cls is not None else None
            if not _is_method(found):
                return node         # an array method, or refused (unresolved)
            defining, call = None, f"`{ast.unparse(func)}(...)`"
            if not plain_getattribute(cls):
                raise self.refuse(node, f"method call {call} of a {cls.__qualname__}, which "
                                  f"defines __getattribute__", "Use a class without a custom "
                                  "__getattribute__, or call a module-level function.")
        elif _is_call_of(func.value, "super"):
            defining = self.super_class(node, func.value)
            found = _after(cls, defining, name)
            call = f"`{ast.unparse(func)}(...)`"
            if not _is_method(found):
                raise self.refuse(node, f"call {call} of what is not a method s2sdiff can read",
                                  f"Call a method defined in a base class of {cls.__qualname__}.")
        elif isinstance(func.value, ast.Name) and func.value.id == self.me:
            defining = None
            found = inspect.getattr_static(cls, name, None)
            call = f"`{self.me}.{func.attr}(...)`"
            if not _is_method(found):
                return node         # not a method of the class: the normalizer's own error
            if not isinstance(inspect.getattr_static(cls, "__getattribute__", None),
                              types.WrapperDescriptorType):      # written in Python
                raise self.refuse(node, f"method call {call} on a class that defines "
                                  f"__getattribute__", f"Define `{name}` as a plain method "
                                  f"without a custom __getattribute__, or call a module-level "
                                  f"function.")
        else:
            return node
        if isinstance(found, property):
            raise self.refuse(node, f"call of the property {call}",
                              "Read the property into a variable first, or make it a method.")
        refuse_unusual(self.refuse, self.parsed, node, found, call, name)
        function = found.__func__ if isinstance(found, staticmethod) else found
        if not linecache.getlines(function.__code__.co_filename):
            raise self.refuse(node, f"method call {call}, whose source cannot be read",
                              f"Define `{name}` in a file (or a notebook cell), not with "
                              f"exec() or at the interactive prompt.")
        args = list(node.args)
        if isinstance(found, types.FunctionType):
            args.insert(0, load(self.me, path))
        spelling = _spelling(self.me, name, path) if defining is None else \
            self.super_spelling(defining, name)
        return ast.fix_missing_locations(ast.copy_location(
            ast.Call(spelling, args, node.keywords), node))

    def super_class(self, node, call):
        """The class ``super()`` or ``super(C, self)`` starts after."""
        defining = None
        if self.parsed.lookup("super", None) is super:
            if not call.args and not call.keywords and "__class__" in self.parsed.closure:
                try:
                    defining = self.parsed.closure["__class__"].cell_contents
                except ValueError:
                    pass
            elif len(call.args) == 2 and not call.keywords \
                    and all(isinstance(a, ast.Name) for a in call.args) \
                    and call.args[1].id == self.me:
                defining = self.parsed.lookup(call.args[0].id, None)
        if not isinstance(defining, type) or defining not in self.cls.__mro__:
            raise self.refuse(node, f"`{ast.unparse(call)}` other than super() or "
                              f"super(C, {self.me})", f"Call `super().{node.func.attr}(...)` "
                              f"inside a method of the class.")
        return defining

    def super_spelling(self, defining, name):
        """``super(C, type(self)).m``: what ``super().m`` finds, without binding it."""
        label = defining.__name__ if defining.__name__.isidentifier() else "base"
        if self.parsed.lookup(label, None) is not defining:
            used = {n.id for n in ast.walk(self.parsed.node) if isinstance(n, ast.Name)}
            label = f"{label}_class"
            while label in used or self.parsed.lookup(label, None) is not None:
                label += "_"
            self.parsed.closure[label] = types.CellType(defining)
        call = ast.Call(ast.Name("super", ast.Load()), [
            ast.Name(label, ast.Load()),
            ast.Call(ast.Name("type", ast.Load()), [ast.Name(self.me, ast.Load())], [])], [])
        call.s2sdiff_instance = self.me
        return ast.Attribute(call, name, ast.Load())


def _is_call_of(node, builtin):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == builtin


def _after(cls, defining, name):
    """What ``super(defining, cls).name`` finds, read statically, or None."""
    mro = cls.__mro__
    for klass in mro[mro.index(defining) + 1:]:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _type_target(parsed, cls, me, owner):
    """``(class, path)`` of ``type(me)`` (``owner``; path ``()``) or ``type(me.l1)``
    (the class of ``me.l1`` the function is specialised on), else None."""
    if _is_call_of(owner, "type") and len(owner.args) == 1 and not owner.keywords \
            and parsed.lookup("type", None) is type:
        path = chain_of(owner.args[0], me)
        if path == ():
            return cls, ()
        if path and classes(parsed.func).get(path) is not None:
            return classes(parsed.func)[path], path
    return None


def _same_object(parsed, arg, chain):
    """Whether ``arg`` is the chain ``self.l1`` (``chain``), or a name assigned once, from
    that chain (generated code hoists it: ``h1 = self.l1``)."""
    text = ast.unparse(chain)
    if ast.unparse(arg) == text:
        return True
    if not isinstance(arg, ast.Name):
        return False
    stores = [n for n in ast.walk(parsed.node) if isinstance(n, ast.Name)
              and n.id == arg.id and not isinstance(n.ctx, ast.Load)]
    values = [n.value for n in ast.walk(parsed.node) if isinstance(n, ast.Assign)
              and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
              and n.targets[0].id == arg.id]
    return len(stores) == 1 and len(values) == 1 and ast.unparse(values[0]) == text


def _lookup(parsed, cls, me, func):
    """What ``type(me).m``, ``type(me.l1).m`` or ``super(C, type(me)).m`` (``func``)
    reads from the class, statically; None for other expressions."""
    owner = func.value
    target = _type_target(parsed, cls, me, owner)
    if target is not None:
        return inspect.getattr_static(target[0], func.attr, None)
    target = _receiver(parsed, cls, me, owner)
    if target is not None:                  # super(C, type(me)) or super(C, type(me.l1))
        defining = parsed.lookup(owner.args[0].id, None)
        if isinstance(defining, type) and defining in target[0].__mro__:
            return _after(target[0], defining, func.attr)
    return None


def _receiver(parsed, cls, me, owner):
    """``(class, path)`` of the instance of ``type(me.path)`` or ``super(C, type(me.path))``
    (``owner``), else None."""
    if _is_call_of(owner, "super") and len(owner.args) == 2 and not owner.keywords \
            and isinstance(owner.args[0], ast.Name) and parsed.lookup("super", None) is super:
        owner = owner.args[1]
    elif _is_call_of(owner, "super"):
        return None
    return _type_target(parsed, cls, me, owner)


def instance_call(func):
    """The instance name of a ``type(self).m`` (or ``type(self.l1).m``) that ``rewrite``
    made, else None: the name the chain starts from (helpers inlined may rename it)."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        made = getattr(func.value, "s2sdiff_instance", None)
        args = func.value.args
        if made is not None and args and _is_call_of(args[-1], "type") and args[-1].args:
            args = args[-1].args            # super(C, type(self))
        root = args[0] if made is not None and args else None
        while isinstance(root, ast.Attribute):
            root = root.value
        return root.id if isinstance(root, ast.Name) else made
    return None


def guard_spelling(parsed, func):
    """How the entry check spells a called ``type(self.l1).forward``: ``Dense.forward``
    (the class of ``self.l1`` is checked before it); other spellings as they are."""
    me = instance_call(func)
    target = _type_target(parsed, class_of(parsed.func), me, func.value) if me else None
    if target is None or not target[1]:
        return func
    return ast.Attribute(ast.Name(label(parsed, target[0]), ast.Load()), func.attr, ast.Load())


def resolve(parsed, func):
    """What ``type(self).m`` or ``super(C, type(self)).m`` (made by ``rewrite``, ``self``
    the instance parameter of ``parsed``'s specialised function) calls: ``m`` specialised
    on the class, or a staticmethod's function; None for anything else."""
    me, cls = instance_call(func), class_of(parsed.func)
    if me is not None and (cls is None or me != _instance_name(parsed)):
        found = objects.resolve(parsed, func)    # type(AFFINE).m: an outside object's
        return found and (found[0] if found[1] is None else specialised(*found))
    if me is None or cls is None or me != _instance_name(parsed):
        return None
    found = _lookup(parsed, cls, me, func)
    if isinstance(found, staticmethod):
        return found.__func__
    if isinstance(found, types.FunctionType):
        attributes = attributes_of(parsed.func)
        target = _receiver(parsed, cls, me, func.value)
        if target is not None and target[1]:         # type(self.l1).forward
            return specialised(found, target[0], sub_key(attributes, target[1]))
        return specialised(found, cls, attributes)
    return None


def holds(func, spelling, callee):
    """Whether ``type(self).m`` or ``super(C, type(self)).m`` (``spelling``) still reads
    ``callee`` from the class ``func`` is specialised on (``parse.current``)."""
    cls, me = class_of(func), instance_call(spelling)
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    if objects.marked(spelling) is not None:        # type(AFFINE).m (objects.py)
        return objects.holds(_Names(func, cells), func, spelling, callee)
    if cls is None or me is None:
        return False
    found = _lookup(_Names(func, cells), cls, me, spelling)
    if isinstance(found, staticmethod):
        found = found.__func__
    return found is not None and found is callee


class _Names:
    """``Parsed.lookup`` for a function that is not parsed."""

    def __init__(self, func, cells):
        self.func, self.cells = func, cells

    def lookup(self, name, default=None):
        try:
            if name in self.cells:
                return self.cells[name].cell_contents
        except ValueError:
            return default
        if name in self.func.__globals__:
            return self.func.__globals__[name]
        return getattr(builtins, name, default)


def shadow_tests(program, guards):
    """``'m' in self.__dict__`` for each guarded ``type(self).m`` (``guards``: the
    ``(spelling, name)`` pairs of ``emit``), when the class's instances have a ``__dict__``:
    an instance attribute ``m`` would be what ``self.m`` calls."""
    cls = class_of(program.parsed.func)
    me = _instance_name(program.parsed) if cls is not None else None
    attributes = class_tests(program.parsed, me, attributes_of(program.parsed.func)) \
        if me is not None else []
    if cls is None or not getattr(cls, "__dictoffset__", 0):
        return attributes
    tests = attributes
    for spelling, _ in guards:
        me = instance_call(spelling)
        if me is not None and _is_call_of(spelling.value, "type"):      # not super()
            test = ast.Compare(ast.Constant(spelling.attr), [ast.In()],
                               [ast.Attribute(ast.Name(me, ast.Load()), "__dict__", ast.Load())])
            tests.append((test, None))
    return tests


def check_instance(func, args):
    """Refuse, before code specialised on a class is generated again (``pipeline.Renewal``),
    an instance that it does not describe: of another class, or with an attribute that
    shadows a method the code calls (``self.m`` would call the attribute)."""
    cls = class_of(func)
    if cls is None or not args:
        return
    instance = args[0]
    code = func.__code__
    where = dict(filename=code.co_filename, lineno=code.co_firstlineno)
    if type(instance) is not cls:
        raise UnsupportedError(
            f"the code generated for {func.__qualname__} was generated for instances of "
            f"{cls.__qualname__}, and was called with an instance of "
            f"{type(instance).__qualname__} (its class was changed after the gradient was made)",
            construct="class of the instance changed",
            hint="Differentiate the bound method of the instance as it is now: grad(obj.method).",
            **where)
    called = _called(cls, code)
    shadowing = sorted(n for n in getattr(instance, "__dict__", {}) if n in called)
    if shadowing:
        name = shadowing[0]
        raise UnsupportedError(
            f"{func.__qualname__} calls `self.{name}`, and this {cls.__qualname__} instance "
            f"has an attribute `{name}` that shadows the method {cls.__qualname__}.{name}: "
            f"s2sdiff differentiates methods defined in the class",
            construct="instance attribute shadowing a method",
            hint=f"Delete the instance attribute (del obj.{name}), or define the new "
                 f"behaviour as a method of a subclass.", **where)
    if matches(attributes_of(func), instance):
        check_shadowing(func, attributes_of(func), instance, where)


def instance_variant(func, args):
    """The function to generate for the instance ``args[0]`` when the classes of its
    attributes differ from those ``func`` is specialised on (``attribute_methods.py``),
    else None; refused for code generated from generated code (a second derivative)."""
    attributes = attributes_of(func)
    if not attributes or not args or matches(attributes, args[0]):
        return None
    origin = unspecialised(func)
    if source_function(origin) is not origin or class_of(func) is not type(args[0]):
        user = unspecialised(source_function(origin))
        code = user.__code__
        raise UnsupportedError(
            f"the code generated from {user.__qualname__} (a derivative of a derivative) "
            f"was generated for attributes of other classes than those of this instance "
            f"(an attribute was rebound since)", construct="class of an attribute changed",
            hint=f"Differentiate the bound method of the instance as it is now again "
                 f"(hessian(obj.{user.__name__})).",
            filename=code.co_filename, lineno=code.co_firstlineno)
    return specialised(origin, type(args[0]), key_for(origin, args[0]))


def unresolved(parsed, func):
    """``(construct, hint)`` for ``p.m(...)`` that no rewrite resolved, ``p`` a parameter
    of ``parsed``'s function; else None."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Attribute, ast.Subscript)):
        return _attribute_method(parsed, func)         # self.l1.m(...), self.layers[0].m(...)
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    args = parsed.node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    owner, name = func.value.id, func.attr
    if not positional or owner != positional[0]:
        me = _instance_name(parsed) if class_of(parsed.func) is not None else None
        return taken_from(parsed, func, me) if me is not None and owner != me \
            and rules.lookup(Method(name)) is None else None
    call = f"method call `{owner}.{name}(...)`"
    cls = class_of(parsed.func)
    if cls is None:
        owner_class = _defining_class(parsed.func)
        if owner_class is None or not _is_method(inspect.getattr_static(
                owner_class, _mangled(name, parsed.func), None)):
            return None              # not a method of the class defining the function
        return call, (f"Differentiate the bound method (grad(obj.{parsed.node.name}), the "
                      f"method called on `{owner}` inside it): s2sdiff resolves "
                      f"`{owner}.{name}` for the class of the instance; or call a "
                      f"module-level function.")
    if _instance_name(parsed) is None:
        return call, f"Do not assign to `{owner}` inside {parsed.node.name}."
    found = inspect.getattr_static(cls, _mangled(name, parsed.func), None)
    if found is not None:
        return (f"call of `{owner}.{name}`, a {type(found).__name__} of {cls.__qualname__} "
                f"rather than a method s2sdiff can read",
                f"Define `{name}` as a plain method (def {name}(self, ...)) without a "
                f"decorator, or call a module-level function.")
    return (f"call of `{owner}.{name}`, which is not a method of {cls.__qualname__} "
            f"(an instance attribute?)",
            f"Define `{name}` as a method of {cls.__qualname__}, or call a module-level "
            f"function (a function parameter with a default, act=np.tanh, works too).")


def _attribute_method(parsed, func):
    """``(construct, hint)`` for ``self.layer.forward(...)`` in a function specialised on a
    class (not an array method such as ``self.W.sum()``), else None."""
    me = _instance_name(parsed) if class_of(parsed.func) is not None else None
    if me is None or not chain_of(func.value, me) or rules.lookup(Method(func.attr)) is not None:
        return None
    return refusal(parsed, func, me, class_of(parsed.func))


def check_read(parsed, node):
    """Refuse ``self.p`` (``node``, a read of an attribute of the instance of a function
    specialised on a class) when ``p`` is a property whose getter writes: the generated
    code may read it more often than the method does (the reverse sweep recomputes)."""
    cls = class_of(parsed.func)
    me = _instance_name(parsed) if cls is not None else None
    chain = chain_of(node, me) if me is not None else None
    for k, part in enumerate(chain or ()):         # self.p, then self.l1.p (attributes)
        if not isinstance(part, str):
            continue                                # self.layers[0]: an index
        owner = cls if k == 0 else classes(parsed.func).get(
            tuple(_mangled(p, parsed.func) for p in chain[:k]))
        found = inspect.getattr_static(owner, _mangled(part, parsed.func), None) \
            if owner is not None else None
        if not isinstance(found, property) or not isinstance(found.fget, types.FunctionType):
            continue
        writes, read = _writes(found.fget), ".".join((me,) + chain[:k + 1])
        if writes:
            raise parsed.error(
                node, f"s2sdiff cannot differentiate {parsed.node.name}: the property "
                      f"`{read}` {writes}, and generated code may read it more often "
                      f"than {parsed.node.name} does", construct="property with side effects",
                hint=f"Read `{read}` once before calling the gradient and pass the "
                     f"value as a parameter, or make the property free of side effects.")
