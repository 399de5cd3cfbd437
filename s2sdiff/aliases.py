"""Writes through aliases: refuse what the SSA program would get wrong.

The SSA program (``normalize``) models a write into a list or an array in place
(``v[i] = e``, ``v.append(e)``, and ``v += e``, ``v *= e``... on a list or an array) as a
change of the one name ``v``.  Python changes the object: every other name bound to it
(``b = a``, ``b, c = a, x``, a loop target over a list of lists, an element read out of a
list that holds it), every NumPy view of it (basic slices ``y[a:b]``, ``y[:, 0]``,
``y[None]``, ``.T``, ``.ravel()``, ``.reshape``, ``np.transpose``, ``np.asarray``...) and
every list holding it sees the write.  ``check`` runs a small points-to analysis over the
SSA program (flow-insensitive, so conservative: a name "may reach" every object any of
its assignments may bind, through element reads, views and user helpers' results) and
guarantees, when it returns, that:

* for every write in place, no name other than the written one (and, for ``v += e``,
  its new SSA version) that may reach the written storage is read after the write;
  inside a loop every read anywhere in the loop, its header included, counts as after;
  a call of the user's function that returns new values, bound after the write (and its
  loop) from those versions alone, may be read (``total = h(ys)`` after appends to ``ys``);
* no write reaches data the function did not create or receive as an argument
  (globals, closure variables), which the generated forward sweep would modify;
* no call writes into its operands: an ``out=`` argument, or a call of one of the
  user's own functions that writes into a list or array it is passed;
* ``+`` and ``*`` never join or repeat lists (the rule table's ``+`` adds numbers).

So a program that passes computes, in its SSA form, what Python computes; anything else
raises ``UnsupportedError`` at generation time, naming the write, its line, and the alias
that would miss it.  Without argument kinds (code that is not NumPy code, checked by the
driver right after ``normalize``), a parameter counts as a list or array when the function
indexes, iterates or writes into it; NumPy code is checked again per argument kinds
(``dispatch.specialiser``), where every name's kind is known from the run that inferred it.
"""

import ast
import inspect
import threading
import types
import weakref

import numpy as np

from . import runtime
from .rules import ArrayRule, Syntax
from .errors import S2SDiffError
from .ir import If, Loop, Passive, Step, store_names, walk_steps
from .liveness import loads_in_order, stores
from .normalize import normalize
from .normalize.entries import entry_index
from .parse import parse
from .scalar_inputs import refuse_lists_of_lists
from .alias_messages import Messages, copy_hint as _copy_hint
from .alias_passes import EachPass
from .argument_writes import syntactic_writes as _syntactic_writes
from .user_functions import is_helper
from .new_values import returns_new_values as _returns_new_values
from .views import EVERY_ARGUMENT, shares_storage

_MUTABLE_TYPES = (list, dict, set, bytearray, np.ndarray)
# the forms ``_step`` tests, made once (it runs for every step in every round)
_SETITEM, _COPY, _DISPLAY, _GETITEM, _ARRAY_GETITEM, _CALL, _APPEND, _ARRAY_SETITEM = (
    Syntax(form) for form in ("setitem", "copy", "display", "getitem", "array getitem", "call",
                              "append", "array setitem"))
_RUNTIME = runtime.__name__    # its helpers (a derivative's, in generated code) return new arrays


def _the(label):
    """``the global list `X``` or ``an element of `X```: a label with its article."""
    return label if label.startswith("an ") else f"the {label}"
_local = threading.local()
_lock = threading.Lock()
_summaries = weakref.WeakKeyDictionary()      # user function -> the parameters it writes


def check(program, kinds=None):
    """Raise ``UnsupportedError`` unless ``program`` is exact under writes through
    aliases (the module docstring lists what is guaranteed).  ``kinds``: the
    ``Kind`` of each name, when known."""
    if any(map(_may_write, walk_steps(program.body))):
        analysis = _Analysis(program, kinds)
        analysis.run()
        program.written_in_place = analysis.written_params   # argument_aliases.guard
    if kinds is None:                   # scalar code (NumPy code: lists of arrays are kinds')
        refuse_lists_of_lists(program)


def _may_write(step):
    """Whether the analysis has anything to check on ``step`` (code without such a step
    skips it): a write in place (``xs[i] = v``, ``xs.append(v)``, ``v += e``), ``out=``, a
    user's function (it may write into its arguments), a list display (``a + [x]``)."""
    if step.mutates or step.augmented or step.value.__class__ is ast.Call and step.value.keywords:
        return True
    key = getattr(step.rule, "key", None)
    return key == _DISPLAY or key == _CALL and isinstance(step.callee, types.FunctionType)


def writes_arguments(func, augmented=False):
    """The parameters of the user's function ``func`` whose list or array it may write
    into (directly, through an alias, or by passing it on), in order.  ``augmented``:
    also those it may write into by ``v += e`` (in place when the caller passes an
    array, a new value when a number; the summary does not know which)."""
    with _lock:
        if func in _summaries:
            return _summaries[func][augmented]
    active = _local.__dict__.setdefault("active", set())
    key = func.__code__
    if key in active:                   # recursion: what the body writes is found there
        return ()
    active.add(key)
    try:
        program = normalize(parse(func))
        analysis = _Analysis(program, None, summary=True)
        analysis.run()
        written = tuple(p for p in program.params if analysis.written_params.get(p))
        loose = tuple(p for p in program.params
                      if p in written or p in analysis.augmented_params)
    except S2SDiffError:                 # no SSA program (it returns nothing): its syntax
        try:                             # (a library's: its own generation reports it)
            stores, changes = _syntactic_writes(parse(func).node) if is_helper(func) \
                else ((), ())
        except S2SDiffError:
            stores = changes = ()        # no source: its own generation reports it
        written = tuple(p for p in _parameters(func) if p in stores)
        loose = tuple(p for p in _parameters(func) if p in stores or p in changes)
    finally:
        active.discard(key)
    with _lock:
        _summaries[func] = (written, loose)
    return _summaries[func][augmented]


def _parameters(func):
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return []


def _assigned_names(func):
    """``ir.assigned_names`` (the parameters and every name bound), by a faster walk."""
    return stores(func, {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)})


def _item_loads(item):                 # ir.item_loads (the same names, in the same order), faster
    out = []
    if isinstance(item, Step):
        loads_in_order(item.value, out)
        if item.store is not None:
            loads_in_order(item.store, out)
    elif isinstance(item, Passive):
        loads_in_order(item.stmt, out)
    elif isinstance(item, If):
        loads_in_order(item.test, out)
    elif isinstance(item, Loop):
        for node in (item.iterable, item.test):
            if node is not None:
                loads_in_order(node, out)
    return out


class _Object:
    """Storage a name may hold: an argument, a global, or what a step allocates."""
    __slots__ = ("label", "kind", "where", "mutable", "contents", "view_of", "free", "param")

    def __init__(self, label, kind, where, mutable=False, free=False, param=None):
        self.label, self.kind, self.where, self.mutable = label, kind, where, mutable
        self.contents = set()            # objects stored in it (elements of a list...)
        self.view_of = None              # an element that may be a view of this object
        self.free, self.param = free, param

    def __repr__(self):
        return f"<{self.label}>"


class _Analysis(Messages, EachPass):
    def __init__(self, program, kinds, summary=False):
        self.If, self.Loop, self.Step = If, Loop, Step
        self.program, self.kinds, self.summary = program, kinds, summary
        self.pts = {}                    # name -> set of _Object
        self.objects = {}                # key -> _Object
        self.containers = set()          # names indexed, iterated or written into
        self.written_params = {}
        self.augmented_params = set()    # summary: written by `v += e` if given an array

    # kinds ------------------------------------------------------------------------

    def scalar(self, name):
        """Whether ``name`` is known to hold a number (kinds known and say so)."""
        if self.kinds is None or name not in self.kinds:
            return False
        kind = self.kinds[name]
        return not kind.array and kind.shape == ()

    def known_mutable(self, name):
        """True/False when kinds tell whether ``name`` holds a list or array, else None."""
        if self.kinds is None or name not in self.kinds:
            return None
        kind = self.kinds[name]
        return bool(kind.array) or (kind.shape is None and kind.value is None)

    # objects -----------------------------------------------------------------------

    def obj(self, key, kind, where, mutable=False, free=False, param=None):
        if key not in self.objects:
            self.objects[key] = _Object(key if isinstance(key, str) else kind, kind, where,
                                        mutable, free, param)
        return self.objects[key]

    def param_object(self, name):
        known = self.known_mutable(name)
        whole = self.obj(("param", name), f"argument `{name}`", self.program.parsed.node,
                         mutable=bool(known), param=name)
        element = self.obj(("param[]", name), f"an element of `{name}`",
                           self.program.parsed.node, mutable=bool(known), param=name)
        whole.contents.add(element)
        element.contents.add(element)
        element.view_of = whole
        return whole

    def free_object(self, dotted):
        try:
            value = self.program.parsed.lookup(dotted.split(".")[0])
            for attr in dotted.split(".")[1:]:
                value = getattr(value, attr)
        except (NameError, AttributeError):
            return None
        if isinstance(value, (types.ModuleType, types.FunctionType, type)) or callable(value):
            return None
        mutable = isinstance(value, _MUTABLE_TYPES)
        what = "global or closure " + ("array" if isinstance(value, np.ndarray) else
                                        type(value).__name__)
        whole = self.obj(("free", dotted), f"{what} `{dotted}`", None, mutable=mutable,
                         free=True)
        if isinstance(value, (list, tuple, dict)):
            entries = value.values() if isinstance(value, dict) else value
            element = self.obj(("free[]", dotted), f"an element of `{dotted}`", None,
                               mutable=any(isinstance(e, _MUTABLE_TYPES) or
                                           isinstance(e, (tuple, dict)) for e in entries),
                               free=True)          # numbers cannot be written into
            whole.contents.add(element)
            element.contents.add(element)
        return whole

    def atom(self, node):
        """The objects the atom ``node`` may hold."""
        if isinstance(node, ast.Name):
            if node.id in self.pts:
                return self.pts[node.id]
            if node.id in self.program.params:
                return {self.param_object(node.id)}
            if node.id not in self.locals:
                free = self.free_object(node.id)
                return {free} if free is not None else set()
            return set()
        if isinstance(node, ast.Attribute):
            parts = []
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id not in self.locals:
                free = self.free_object(".".join([node.id, *reversed(parts)]))
                return {free} if free is not None else set()
        return set()

    def reach(self, objects):
        seen, todo = set(), list(objects)
        while todo:
            o = todo.pop()
            if o not in seen:
                seen.add(o)
                todo.extend(o.contents)
        return seen

    def add(self, name, objects):
        if self.scalar(name):
            return False
        current = self.pts.setdefault(name, set())
        before = len(current)
        current |= objects
        return len(current) != before

    # the analysis ---------------------------------------------------------------------

    def run(self):
        self.locals = _assigned_names(self.program.parsed.node)
        for p in self.program.params:
            self.pts[p] = {self.param_object(p)} if not self.scalar(p) else set()
        self.order = []                  # (item, index, outermost enclosing loop span)
        self.reads = {}                  # name -> [(index, item)]
        self.defined = {}                # name -> indexes of the items binding it
        self.carried = set()             # names carried by a loop
        self._positions(self.program.body, None)
        self.end = len(self.order)
        for atom in self.program.outputs:
            for n in ast.walk(atom):
                if isinstance(n, ast.Name):
                    self.reads.setdefault(n.id, []).append((self.end, None))
        changed = True
        while changed:
            changed = self._transfer()
        self._mark_mutable()
        for item, index, loop in self.order:
            if isinstance(item, self.Step):
                self._check_step(item, index, loop)

    def _positions(self, items, loop):
        for item in items:
            index = len(self.order)
            entry = [item, index, loop]
            self.order.append(entry)
            if isinstance(item, self.Step) and not item.mutates:
                self.defined.setdefault(item.target, []).append(index)
            elif isinstance(item, self.Loop):
                self.carried.update(item.carried)
                for name in store_names(item.target):
                    self.defined.setdefault(name, []).append(index)
            for name in _item_loads(item):
                self.reads.setdefault(name, []).append((index, item))
            if isinstance(item, self.If):
                self._positions(item.body, loop)
                self._positions(item.orelse, loop)
            elif isinstance(item, self.Loop):
                span = loop or [index, None]
                self._positions(item.body, span)
                if loop is None:
                    span[1] = len(self.order) - 1

    def _iterated(self, node):
        """The names whose elements a loop's iterable yields."""
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else None
            if func == "range":
                return []
            return [n for a in node.args for n in self._iterated(a)]
        return []

    def _transfer(self):
        changed = False
        for item, _, _ in self.order:
            if isinstance(item, self.Loop) and item.kind == "for":
                sources = set()
                for name in self._iterated(item.iterable):
                    self.containers.add(name)
                    held = self.atom(ast.Name(name, ast.Load()))
                    sources |= {e for o in held for e in o.contents}
                    if self.kinds is not None and (name not in self.kinds
                                                   or self.kinds[name].array):
                        sources |= held          # the rows of an array are views of it
                for target in store_names(item.target):
                    changed |= self.add(target, sources)
            if not isinstance(item, self.Step):
                continue
            changed |= self._step(item)
        return changed

    def _step(self, step):
        rule, t, args = step.rule, step.target, step.args
        value = step.value
        key = getattr(rule, "key", None)
        syntax = key.__class__ is Syntax     # (only a Syntax equals one: spares __eq__ calls)
        if step.store is not None:           # step.mutates
            container = args[0].id
            self.containers.add(container)
            element = args[2] if syntax and key == _SETITEM else args[1]
            stored = self.atom(element) if isinstance(element, (ast.Name, ast.Attribute)) \
                else set()
            changed = False
            for o in self.atom(args[0]):
                before = len(o.contents)
                o.contents |= stored
                changed |= len(o.contents) != before
            return changed
        if step.call is not None:     # w = res[0] of res = np.linalg.eigh(a): entries.py
            return self.add(t, {self.obj(("entry", value.value.id, entry_index(step)), "array",
                                         step, mutable=True)})
        if syntax and key == _COPY or isinstance(value, (ast.Name, ast.Attribute)) \
                and not isinstance(rule, ArrayRule):
            if isinstance(value, ast.Attribute) and not isinstance(value.value, ast.Name):
                return False
            return self.add(t, self.atom(value))
        if syntax and key == _DISPLAY:
            o = self.obj(("step", t, step.lineno), "list" if isinstance(value, ast.List)
                         else "tuple", step, mutable=isinstance(value, ast.List))
            before = len(o.contents)
            for e in args:
                o.contents |= self.atom(e)
            return self.add(t, {o}) or len(o.contents) != before
        if syntax and key in (_GETITEM, _ARRAY_GETITEM):
            base = value.value                   # a local, or data held outside (X[0])
            local = isinstance(base, ast.Name) and (base.id in self.locals
                                                    or base.id in self.program.params)
            if local:
                self.containers.add(base.id)
            held = self.atom(base)
            elements = {e for o in held for e in o.contents}
            if key == _GETITEM:
                return self.add(t, elements)
            if self._fancy(value.slice):
                return self.add(t, {self.fresh(step)} | elements)
            if local and self.known_mutable(base.id) and not self.kinds[base.id].array:
                return self.add(t, elements)     # an entry of a list
            return self.add(t, held | elements)  # a view, or an entry
        if shares_storage(step, key) and not self._of_lists(args[0]):
            return self.add(t, set().union(*map(self.atom, args if key in EVERY_ARGUMENT
                                                 else args[:1])))
        if step.augmented and isinstance(args[0], ast.Name):    # v += e: v itself, in place
            return self.add(t, self.atom(args[0]) | {self.fresh(step)})
        if syntax and key == _CALL and getattr(step.callee, "__module__", None) != _RUNTIME:
            reached = self.reach(set().union(*[self.atom(a) for a in args]) if args else set())
            return self.add(t, {self.fresh(step)} | reached)
        if isinstance(value, ast.BinOp) and not self.known_mutable(t):
            o = self.fresh(step)         # a list op (refused) or an unknown kind: holds the
            before = len(o.contents)     # elements of its operands
            for a in args:
                for held in self.atom(a):
                    o.contents |= held.contents
            return self.add(t, {o}) or len(o.contents) != before
        return self.add(t, {self.fresh(step)})

    def _of_lists(self, arg):
        """Whether ``arg`` holds only lists or tuples built in the function: NumPy copies
        them into a new array (``np.asarray(hs)`` is no view)."""
        held = self.atom(arg) if isinstance(arg, ast.Name) else ()
        return bool(held) and all(o.kind in ("list", "tuple") for o in held)

    def fresh(self, step):
        known = self.known_mutable(step.target)
        return self.obj(("step", step.target, step.lineno), "array" if known else "value",
                        step, mutable=bool(known))

    def _fancy(self, index):
        """Whether an index copies (an integer array, a mask, a list): never a view."""
        for node in ast.walk(index):
            if isinstance(node, ast.List):
                return True
            if isinstance(node, ast.Name) and self.kinds is not None \
                    and node.id in self.kinds and self.kinds[node.id].array:
                return True
        return False

    def _mark_mutable(self):
        """Lists and arrays: list displays, what kinds say, and (kinds unknown) whatever a
        name indexed, iterated or written into may hold; ``+`` of lists gives a list."""
        for name in self.containers:
            known = self.known_mutable(name)
            for o in self.pts.get(name, ()):
                if known is not False and not o.free:
                    o.mutable = o.mutable or known is None or known
        for name, objects in self.pts.items():
            if self.known_mutable(name):
                for o in objects:
                    if not o.free:
                        o.mutable = True
        for step in self.program.steps:
            if isinstance(step.value, ast.BinOp) and isinstance(
                    step.value.op, (ast.Add, ast.Mult)) and not step.augmented:
                lists = [a for a in step.args if self._list(a)]
                if lists:
                    self.refuse_list_arithmetic(step, lists[0])

    def _list(self, atom):
        """Whether ``atom`` certainly holds a list built by a list display."""
        held = self.atom(atom)
        return bool(held) and all(o.kind == "list" for o in held)

    # the checks --------------------------------------------------------------------------

    def _check_step(self, step, index, loop):
        value = step.value
        if isinstance(value, ast.Call):
            for k in value.keywords:
                if k.arg == "out":
                    raise self.error(step, f"`out=` in `{ast.unparse(value)}`, which writes "
                                     f"into `{ast.unparse(k.value)}` in place",
                                     "Assign the result to a new name instead: "
                                     "`y = np.exp(x)`, not `np.exp(x, out=y)`.")
        if getattr(step.rule, "key", None) == Syntax("call") \
                and isinstance(step.callee, types.FunctionType):
            self._check_call(step)
        if step.mutates:
            written = {o for o in self.atom(step.args[0])}
            written |= {e for o in written for e in o.contents
                        if e.view_of is o and e.mutable}
            self._check_write(step, index, loop, written, {step.target}, step.args[0].id)
        elif step.augmented and isinstance(step.args[0], ast.Name):
            old = step.args[0].id
            if self.summary:
                self.augmented_params.update(o.param for o in self.atom(step.args[0])
                                             if o.param is not None)
            written = {o for o in self.atom(step.args[0]) if o.mutable}
            if isinstance(step.value, ast.BinOp) and any(   # xs *= 2, even in a loop
                    o.kind == "list" for o in self.atom(step.args[0])):
                self.refuse_list_arithmetic(step, step.args[0])
            if written:
                self._check_write(step, index, loop, written, {old, step.target}, old)

    def _check_write(self, step, index, loop, written, lineage, name):
        what = self._describe_write(step)
        lineage = self._later_versions(lineage)
        for o in written:
            if o.free:
                raise self.error(step, f"{what} writes into {_the(o.label)}, which the "
                                 f"generated code would modify for every later call",
                                 f"Copy it first into a local: `{self.user(name)} = "
                                 f"{_copy_hint(o)}`, and write into the copy.")
            if o.param is not None:
                self.written_params.setdefault(o.param, step)
        appends = getattr(step.rule, "key", None) == _APPEND
        fresh = self._bound_from(lineage, loop[1] if loop is not None else index, copies=appends)
        rows = getattr(step.rule, "key", None) == _ARRAY_SETITEM    # u_new[1:-1] = ...
        if (appends or rows) and loop is not None:
            fresh |= self.copied_each_pass(step, index, lineage, written, arrays=rows)
        for reader, uses in self.reads.items():
            if reader in lineage or reader in fresh:
                continue
            if reader in self.program.params and not self.pts.get(reader):
                continue
            objects = self.pts.get(reader)
            if objects is None:
                objects = self.atom(ast.Name(reader, ast.Load()))
            if not self.reach(objects) & written:
                continue
            # a name bound inside the loop (not carried) is bound again before each read
            around = loop is not None and not (
                reader not in self.carried and self.defined.get(reader)
                and all(loop[0] <= p <= loop[1] for p in self.defined[reader]))
            later = None
            for position, item in uses:
                if position > index or (around and loop[0] <= position <= loop[1]):
                    if later is None:
                        later = self._bound_after(reader, loop[1] if loop is not None
                                                  else index, lineage)
                    if later and all(self.sums(u) for _, u in uses):
                        break           # y[2:] += 2 after y[:2] += 1: its value is not read
                    if later and (not step.mutates or getattr(
                            step.rule, "key", None) == _ARRAY_SETITEM):
                        break   # a /= s, then a[:, None]: generated code binds a new array
                        # (a_2 = a / s), which the view reads; u[0] = 0.0 (or writes in a
                        # loop), then u[2:]: the reverse sweep restores u[0] after the
                        # view's derivatives ran, and no adjoint is bound to a forward
                        # array there (optimize.no_writes_through_aliases)
                    self.refuse_alias(step, what, name, reader, item, later=later)

    def _bound_from(self, lineage, after, copies=False):
        """Names bound only after position ``after`` by a call of the user's function that
        returns new values (``_returns_new_values``) and reads no object but through
        ``lineage`` or other such names (``total = h(ys)`` after the appends to ``ys``):
        taken for aliases of its arguments by the analysis, they are not.  With ``copies``
        (appends), also copies of ``lineage`` (``v = [f(u) for u in v]``: the reverse sweep
        pops after it reads ``v``; restored array elements could reach an adjoint)."""
        fresh = set()
        for item, _, _ in self.order[after + 1:]:
            name = getattr(item, "target", None)
            if not isinstance(item, self.Step) or item.mutates or name in lineage or any(
                    p <= after for p in self.defined.get(name, ())):
                continue
            key = getattr(item.rule, "key", None)
            if copies and key == _COPY and item.args[0].__class__ is ast.Name \
                    and (item.args[0].id in lineage or item.args[0].id in fresh):
                fresh.add(name)         # `v = items` after the appends: the written list
            elif key == _CALL and all(
                    n in lineage or n in fresh or not self.atom(ast.Name(n, ast.Load()))
                    for n in _item_loads(item)) and _returns_new_values(item.callee):
                fresh.add(name)
        return fresh

    def _check_call(self, step):
        if self.summary:
            loose = writes_arguments(step.callee, augmented=True)
            for param, arg in zip(_parameters(step.callee), step.args):
                if param in loose:
                    self.augmented_params.update(o.param for o in self.reach(self.atom(arg))
                                                 if o.param is not None)
        written = writes_arguments(step.callee)
        if not written:
            return
        for param, arg in zip(_parameters(step.callee), step.args):
            if param in written and any(o.mutable or self.kinds is None
                                        for o in self.reach(self.atom(arg))):
                if self.summary:
                    for o in self.reach(self.atom(arg)):
                        if o.param is not None:
                            self.written_params.setdefault(o.param, step)
                    continue
                callee = step.callee.__name__
                shown = ast.unparse(arg)
                raise self.error(
                    step, f"`{ast.unparse(step.value)}` lets `{callee}` write into its "
                    f"argument `{param}`, the list or array `{self.user(shown)}` here; "
                    f"s2sdiff follows values, not writes made by other functions",
                    f"Have `{callee}` build and return a new list or array (`{param} = "
                    f"{param}.copy()` first in it, or return the new values) instead of "
                    f"writing into its argument.")
