"""Parameters that are trees (JAX's pytrees): nested dicts, lists, tuples, namedtuples and
dataclasses whose leaves are floats or float arrays.

Code is specialised on a tree's structure, as NumPy code is on shapes:

* ``structure(value)`` is the hashable structure of an argument (container types, keys,
  field names, lengths, and of each leaf whether it is differentiated), or ``None`` for
  a value that is not a tree: a number, an array, or a list or tuple of plain numbers
  (those stay sequence parameters, with their gradient list);
* ``flatten(parsed, layout)`` rewrites the function before normalisation: each tree
  parameter becomes one parameter per leaf (``params["W"]`` is read as ``params_W``), or
  raises an ``S2SDiffError`` at the read it cannot resolve statically (a computed key,
  the whole tree passed on, a write into it; a loop over a list or tuple is unrolled);
* ``dispatcher`` is what ``grad``/``value_and_grad``/``derivative`` return for a function that reads a
  parameter as a tree: at each call it computes the structures of those arguments; for
  new ones it generates, once, an entry (readable source) that reads the leaves into
  locals, calls the code generated for the flat function, and returns each gradient in
  the structure of its argument.
  ``vjp``, ``jvp``, the Jacobians, ``hessian`` and ``hvp`` call the same flat function
  through ``tree_calls``.

Leaf rules: a Python float, a NumPy floating scalar or an array of floats is
differentiated; an int, a bool or an array of ints is a constant read by the code, with
``None`` in the gradient; ``None`` and strings are constants built into the code, with
``None`` in the gradient; an empty container gets an empty container.
"""

import ast
import dataclasses
import inspect
import re
import threading
from typing import Any, Callable

import numpy as np

from . import defaults, sources
from .errors import ArgumentError, S2SDiffError
from . import syntax
from .libraries import is_array_like
from .typing import GeneratedFunction

FLAT_ONLY = ("a tree (dict, list, tuple, namedtuple or dataclass of arrays) is differentiated "
             "when the function reads its leaves with constant keys (params[\"W\"], "
             "params[0], params.W), unpacks it (W, b = params) or loops over it "
             "(for W, b in params); lists and tuples of arrays so only in NumPy code")
# attributes an array parameter has: reading them does not make the parameter a tree
ARRAY_ATTRIBUTES = frozenset(n for n in dir(np.ndarray) if not n.startswith("_"))
DIFFERENTIATED, CONSTANT = "differentiated", "constant"


def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def _is_plain_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        or isinstance(value, bool)


def _leaf(value):
    """The structure of a leaf: differentiated, a constant parameter, or a built-in value."""
    if isinstance(value, (float, np.floating)):
        return (DIFFERENTIATED,)
    if isinstance(value, np.ndarray) or is_array_like(value):     # NumPy's, Dask's...
        return (DIFFERENTIATED,) if value.dtype.kind == "f" else (CONSTANT,)
    if isinstance(value, (bool, int, np.integer)):
        return (CONSTANT,)
    if value is None or isinstance(value, str):
        return ("value", value)
    raise ArgumentError(f"a tree leaf must be a float, a float array, an int, a bool, None or "
                        f"a string, got {type(value).__name__} {value!r:.60}",
                        construct="tree leaf")


_LEAVES = {float: (DIFFERENTIATED,), int: (CONSTANT,), bool: (CONSTANT,),
           type(None): ("value", None)}
_REALS = (float, int, bool)


def _node(value):
    """The structure of ``value`` as a tree (a leaf's when it is not a container)."""
    kind = type(value)
    leaf = _LEAVES.get(kind)
    if leaf is not None:
        return leaf
    if kind is np.ndarray:
        return (DIFFERENTIATED,) if value.dtype.kind == "f" else (CONSTANT,)
    if kind is dict:
        return (dict, tuple(value), tuple(map(_node, value.values())))
    if kind is list or kind is tuple:
        return (kind, len(value), tuple(map(_node, value)))
    if isinstance(value, dict):
        return (dict, tuple(value), tuple(_node(v) for v in value.values()))
    if _is_namedtuple(value):
        return (type(value), type(value)._fields, tuple(_node(v) for v in value))
    if isinstance(value, (list, tuple)):
        return (type(value), len(value), tuple(_node(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        if any(not f.init for f in fields):
            raise ArgumentError(f"the dataclass {type(value).__name__} has a field that its "
                                f"constructor does not take, so its gradient cannot be built",
                                construct="tree")
        names = tuple(f.name for f in fields)
        return (type(value), names, tuple(_node(getattr(value, n)) for n in names))
    return _leaf(value)


def structure(value: Any) -> tuple[Any, ...] | None:
    """The structure of the argument ``value`` if it is a tree, else ``None``."""
    kind = type(value)
    if kind is list or kind is tuple:
        if all(type(v) in _REALS for v in value) \
                or all(_is_plain_real(v) for v in value):
            return None             # a sequence parameter, as before trees
        return _node(value)
    if kind is dict:
        return _node(value)
    if isinstance(value, (dict, list, tuple)) or (
            dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return _node(value)
    return None


def _is_leaf(node):
    return isinstance(node[0], str)


def _children(node):
    """``(key, child)`` pairs of a container: keys for dicts, field names, indices."""
    kind, keys, children = node
    if isinstance(keys, int):
        return list(enumerate(children))
    return list(zip(keys, children))


def leaves(name, node, taken):
    """``[(path, local name, leaf)]`` of the tree parameter ``name``, in order; local
    names are ``name`` and the keys joined by ``_``, made unique against ``taken``."""
    found = []

    def walk(node, path):
        if _is_leaf(node):
            base = "_".join([name] + [re.sub(r"\W", "_", str(k)) for k in path])
            local = base
            suffix = 1
            while local in taken:
                local = f"{base}_{suffix}"
                suffix += 1
            taken.add(local)
            found.append((path, local, node))
            return
        for key, child in _children(node):
            walk(child, path + (key,))
    walk(node, ())
    return found


def candidates(parsed, wrt_names, sequences=False):
    """The parameters of ``parsed``'s function that its body reads as trees: with a
    string key (``p["W"]``) or an attribute an array does not have (``p.W``, not called:
    ``p.exp(x)`` is a method), anywhere in
    a chain of reads (``p[0]["W"]``), or whose ``items()``, ``values()`` or ``keys()`` it
    calls.  A parameter only unpacked (``W, b = p``) or indexed
    by numbers is not one: it stays a sequence parameter, refused or not as before, unless
    ``sequences`` (NumPy code, where a list of arrays is a tree: ``uses_numpy``), when
    reading ``p[0]`` or ``p[i]`` (``i`` a loop's over ``range``), unpacking ``W, b = p``
    and ``for W, b in p`` make it one too (an array passed for it stays an array).  Nor
    is a parameter outside ``wrt_names`` read only by attributes: that is data
    (``cfg.lr``, ``self.w``), read as constants.  A parameter in ``wrt_names`` that the
    function calls, ``net(X)`` (an Equinox-style model whose class defines ``__call__``),
    is one unless its default is a function (``act=np.tanh``, followed as a function).
    Only the kinds of node these reads are made of are looked at (``Parsed.of``)."""
    node = parsed.node
    params = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    calls = parsed.of(ast.Call)
    called = {id(call.func) for call in calls if not (          # a method called is not a
        isinstance(call.func, ast.Subscript) and isinstance(call.func.slice, ast.Constant)
        and isinstance(call.func.slice.value, str))}             # read; p["layer"](x) is
    functions = _function_defaults(parsed.func)
    found = {call.func.id for call in calls if isinstance(call.func, ast.Name)
             and call.func.id in wrt_names and call.func.id not in functions}   # net(X)
    counters = {loop.target.id for loop in parsed.of(ast.For)        # for i in range(...)
                if isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Call)
                and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"} \
        if sequences else ()
    for cls in (ast.Subscript, ast.Attribute):
        for sub in parsed.of(cls):
            if not isinstance(sub.ctx, ast.Load) or id(sub) in called:
                continue
            keyed = cls is ast.Subscript and isinstance(sub.slice, ast.Constant) \
                and isinstance(sub.slice.value, str)
            if keyed or cls is ast.Attribute and sub.attr not in ARRAY_ATTRIBUTES:
                root = sub.value
                while isinstance(root, (ast.Subscript, ast.Attribute)):
                    root = root.value
                if isinstance(root, ast.Name) and (keyed or root.id in wrt_names):
                    found.add(root.id)
            if sequences and cls is ast.Subscript and isinstance(sub.value, ast.Name) and (
                    isinstance(_constant(sub.slice), int) or isinstance(sub.slice, ast.Name)
                    and sub.slice.id in counters):
                found.add(sub.value.id)     # p[0]; p[i] in `for i in range(len(ps))`
    for sub in calls:
        if isinstance(sub.func, ast.Name) and sub.func.id == "zip" and len(sub.args) == 1 \
                and isinstance(sub.args[0], ast.Starred) \
                and isinstance(sub.args[0].value, ast.Name):
            found.add(sub.args[0].value.id)         # zip(*pairs): a list of tuples
        if isinstance(sub.func, ast.Attribute) \
                and sub.func.attr in ("items", "values", "keys") and not sub.args \
                and not sub.keywords and isinstance(sub.func.value, ast.Name) \
                and sub.func.value.id in params:
            found.add(sub.func.value.id)            # params.items(): a dict
    if not sequences:
        return found & params
    for cls in (ast.For, ast.comprehension, ast.Starred, ast.Call):
        for sub in parsed.of(cls):
            for iterated in _iterated(sub):
                while isinstance(iterated, ast.Subscript) \
                        and isinstance(iterated.slice, ast.Slice):
                    iterated = iterated.value
                if isinstance(iterated, ast.Name):
                    found.add(iterated.id)
    for sub in parsed.of(ast.Assign):           # W, b = p
        if isinstance(sub.value, ast.Name) and any(isinstance(t, (ast.Tuple, ast.List))
                                                   for t in sub.targets):
            found.add(sub.value.id)
    for sub in parsed.of(ast.For):              # for W, b in p
        if isinstance(sub.iter, ast.Name):
            found.add(sub.iter.id)
    return found & params


def _iterated(node):
    """What ``node`` iterates or unpacks with ``*``: a loop's or a comprehension's
    sequence, ``*s``, the arguments of ``reversed``/``zip``/``enumerate``/``list``/``tuple``."""
    if isinstance(node, ast.For):
        return [node.iter]
    if isinstance(node, ast.comprehension):
        return [node.iter]
    if isinstance(node, ast.Starred):
        return [node.value]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "reversed", "zip", "enumerate", "list", "tuple"):
        return [a.value if isinstance(a, ast.Starred) else a for a in node.args]
    return []


def uses_numpy(parsed):
    """Whether the function of ``parsed`` names NumPy (the module or one of its
    functions) in its body."""
    names = parsed.globals
    for name in dict.fromkeys([n.id for n in parsed.of(ast.Name)]):    # each name once
        if name in names:
            value = names[name]
            module = getattr(value, "__name__", "") if isinstance(value, type(np)) \
                else getattr(value, "__module__", None) or ""
            if module == "numpy" or module.startswith("numpy."):
                return True
    return False


def _function_defaults(func):
    """The parameters of ``func`` whose default is a function (``defaults.is_function``)."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in parameters if p.default is not p.empty
            and defaults.is_function(p.default)}


_NOT_CONSTANT = object()


_INDEX_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                     ast.Mult: lambda a, b: a * b}


def _constant(node):
    """The value of a literal key or index, ``-1`` and integer arithmetic of literals
    (``i - 1`` once a loop over ``range`` made ``i`` a constant) included."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int):
        return -node.operand.value
    if isinstance(node, ast.BinOp) and type(node.op) in _INDEX_ARITHMETIC:
        left, right = _constant(node.left), _constant(node.right)
        if type(left) is int and type(right) is int:
            return _INDEX_ARITHMETIC[type(node.op)](left, right)
    return _NOT_CONSTANT


def local_names(node, layout):
    """``{parameter: [(path, local, leaf)]}`` for the tree parameters of ``layout``."""
    taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    taken |= {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    return {name: leaves(name, tree, taken) for name, tree in layout}


def flat_wrt(layout, locals_, wrt_names):
    """The flat parameters to differentiate: the differentiated leaves of each tree."""
    trees = dict(layout)
    flat = []
    for name in wrt_names:
        if name in trees:
            flat += [local for _, local, leaf in locals_[name] if leaf == (DIFFERENTIATED,)]
        else:
            flat.append(name)
    return flat


def _read(name, path, tree):
    """The source that reads the leaf at ``path`` of the tree parameter ``name``."""
    text = name
    for key in path:
        kind = tree[0]
        if kind is dict or isinstance(tree[1], int):
            text += f"[{key!r}]"
        else:
            text += f".{key}"
        tree = dict(_children(tree))[key]
    return text


def _quoted(text):
    return text if '"' in text else text.replace("'", '"')     # params["W"], as written


def _rebuild(tree, path, adjoints, classes):
    """The source that builds the gradient of ``tree`` from the leaves' ``adjoints``."""
    if _is_leaf(tree):
        return adjoints.get(path, "None")
    kind, keys, _ = tree
    parts = [(key, _rebuild(child, path + (key,), adjoints, classes))
             for key, child in _children(tree)]
    if kind is dict:
        return "{" + ", ".join(f"{key!r}: {text}" for key, text in parts) + "}"
    if kind is list:
        return "[" + ", ".join(text for _, text in parts) + "]"
    if kind is tuple:
        return "(" + ", ".join(text for _, text in parts) + ("," if len(parts) == 1 else "") + ")"
    spelled = classes.setdefault(kind, _fresh(kind.__name__, set(classes.values())))
    return f"{spelled}(" + ", ".join(f"{key}={text}" for key, text in parts) + ")"


def _fresh(base, taken):
    name = base if base.isidentifier() else "tree_type"
    suffix = 1
    while name in taken:
        name = f"{base}_{suffix}"
        suffix += 1
    return name


def entry_source(name, leaves_name, params, layout, locals_, kind, wrt_names, single,
                 flat_wrt_names, guarded=None, has_aux=False):
    """The entry of ``kind`` (``"grad"``, ``"value_and_grad"`` or ``"derivative"``) for
    the tree parameters of ``layout``, and the classes its source names: it reads the
    leaves into locals, calls ``leaves_name`` and returns each gradient in its argument's
    structure.  ``guarded``: ``(parameters, structures)`` of the key: the source is then
    of a copy that first checks that its arguments have those structures (types, keys,
    lengths, leaf kinds) and returns ``tree_fallback(...)`` of them if not; the classes
    then include the constants the checks read.  ``has_aux``: the flat function returns
    ``aux`` too (``aux.py``), which the entry passes on as JAX does."""
    trees = dict(layout)
    taken = set(params) | {leaves_name} | {local for found in locals_.values()
                                          for _, local, _ in found}
    lines = [f"def {name}({', '.join(params)}):"]
    fallback = f"        return tree_fallback({', '.join(params)})"
    names, leaf_checks = {}, []
    if guarded is not None:
        containers = []
        for param, node in zip(*guarded):
            paths = {path: local for path, local, _ in locals_.get(param, ())}
            more, leaf = _guards(param, node, names, paths)
            containers += more
            leaf_checks += leaf
        lines += [f"    if not ({' and '.join(containers)}):", fallback]
    for param in params:
        if param in trees:
            lines.append(f"    # {param} is a tree: the code below reads its leaves")
            lines += [f"    {local} = {_read(param, path, trees[param])}"
                      for path, local, leaf in locals_[param] if leaf[0] != "value"]
    if leaf_checks:
        lines += [f"    if not ({' and '.join(leaf_checks)}):", fallback]
    adjoint = {n: _fresh(f"d{n}", taken) for n in flat_wrt_names}
    taken |= set(adjoint.values())
    arguments = []
    for param in params:
        arguments += [local for _, local, leaf in locals_[param] if leaf[0] != "value"] \
            if param in trees else [param]
    received = ", ".join(adjoint[n] for n in flat_wrt_names) + (
        "," if len(flat_wrt_names) == 1 else "")
    call = f"{leaves_name}({', '.join(arguments)})"
    aux = _fresh("aux", taken | {"value"}) if has_aux else None
    if kind == "value_and_grad":
        value = _fresh("value", taken)
        pair = f"({value}, {aux})" if has_aux else value
        lines.append(f"    {pair}, ({received}) = {call}")
    elif has_aux:
        lines.append(f"    ({received}), {aux} = {call}")
    else:
        lines.append(f"    {received} = {call}" if flat_wrt_names else f"    {call}")
    classes = {}
    gradients = []
    for param in wrt_names:
        if param in trees:
            by_path = {path: adjoint[local] for path, local, _ in locals_[param]
                       if local in adjoint}
            gradients.append(_rebuild(trees[param], (), by_path, classes))
        else:
            gradients.append(adjoint[param])
    returned = gradients[0] if single else "(" + ", ".join(gradients) + \
        ("," if len(gradients) == 1 else "") + ")"
    if kind == "value_and_grad":
        returned = f"({value}, {aux}), {returned}" if has_aux else f"{value}, {returned}"
    elif has_aux:
        returned = f"{returned}, {aux}"
    lines.append(f"    return {returned}")
    constants = {spelled: cls for cls, spelled in classes.items()}
    if guarded is not None:
        constants.update({spelled: what[1] if isinstance(what, tuple) else what
                          for what, spelled in names.items()})
        constants["tree_ndarray"] = np.ndarray
    return "\n".join(lines) + "\n", constants


def _guards(expr, node, names, locals_=None, path=()):
    """``(containers, leaves)``: conditions (source) under which the value read by
    ``expr`` has the structure ``node``: the containers' first (so that the leaves can be
    read), then the leaves' (read from their locals, ``locals_``: path -> name).
    ``names``: the constants the conditions read -> their spelling (filled in)."""
    if node is None:                       # not a tree: an array or a float
        return [f"(type({expr}) is tree_ndarray or type({expr}) is float)"], []
    if _is_leaf(node):
        local = (locals_ or {}).get(path, expr)
        if node == (DIFFERENTIATED,):
            return [], [f"(type({local}) is tree_ndarray and {local}.dtype.kind == 'f' "
                        f"or type({local}) is float)"]
        if node == (CONSTANT,):
            return [], [f"(type({local}) is int or type({local}) is bool or type({local}) "
                        f"is tree_ndarray and {local}.dtype.kind != 'f')"]
        value = node[1]
        return [], [f"{expr} is None" if value is None
                    else f"(type({expr}) is str and {expr} == {value!r})"]
    kind, keys, _ = node
    spelled = names.setdefault(kind, f"tree_type_{len(names)}")
    containers = [f"type({expr}) is {spelled}"]
    keyed = issubclass(kind, dict)
    if keyed:
        plain = all(type(k) in (str, int) for k in keys)
        spelled_keys = repr(keys) if plain else names.setdefault(
            ("keys", keys), f"tree_keys_{len(names)}")
        containers.append(f"tuple({expr}) == {spelled_keys}")
    elif isinstance(keys, int):
        containers.append(f"len({expr}) == {keys}")
    leaves = []
    for key, child in _children(node):
        inner = f"{expr}[{key!r}]" if keyed or isinstance(keys, int) else f"{expr}.{key}"
        more, leaf = _guards(inner, child, names, locals_, path + (key,))
        containers += more
        leaves += leaf
    return containers, leaves


class TreeDispatcher:
    """What ``grad``, ``value_and_grad`` and ``derivative`` return for a function that
    reads parameters as trees: code generated per structure of those arguments
    (``structure``), made once.  Arguments that are not trees go to the code generated as
    before (``plain()``).  A call goes first to the checked copy of the latest entry
    (``entry_source(..., guarded=...)``), which tests the structure inline (types, keys,
    lengths, leaf kinds) instead of computing it, and falls back to ``_call`` on a miss."""

    def __init__(self, func: Callable[..., Any], parsed: Any, kind: str, wrt_names: list[str],
                 single: bool, tree_params: list[str], plain: Callable[[], Any],
                 generate_leaves: Callable[..., Any], has_aux: bool = False) -> None:
        self.__s2sdiff_origin__ = func
        self.__s2sdiff_outputs__ = None
        self.__s2sdiff_custom__ = ()
        # a lambda is named after its binding (parse.py): the entry's source defines it
        named = parsed.node.name if parsed is not None else func.__name__
        self.__name__ = self.__qualname__ = re.sub(r"\W", "", f"{kind}_{named}")
        self.__wrapped__ = func                # inspect.signature: the user's parameters
        self.parsed, self.kind, self.wrt_names, self.single = parsed, kind, wrt_names, single
        self.signature = inspect.signature(func)
        self.live = [None, None]       # the signature with the function's defaults now
        self.params = list(self.signature.parameters)
        self.tree_indices = [self.params.index(p) for p in tree_params]
        self.plain, self.generate_leaves = plain, generate_leaves
        self.has_aux = has_aux
        self.table: dict[Any, Any] = {}
        self.lock = threading.Lock()
        self.latest = self.fast = None
        self.plain_called = False

    def _repr_markdown_(self) -> str:
        """Jupyter shows the source, highlighted."""
        return sources.markdown(self.source)

    @property
    def source(self) -> str:
        if self.latest is None and self.plain_called:
            return self.plain().source            # the latest call had no tree argument
        if self.latest is None:
            return (f"# {self.__name__} is generated for the structure of its tree arguments "
                    f"when it is first called;\n# {self.__name__}.specialize(*args).source "
                    f"shows the code.\n")
        return self.latest.entry_source + "\n" + getattr(self.latest.leaves, "source", "")

    def specialize(self, *args: Any, **kwargs: Any) -> GeneratedFunction[...]:
        """The generated entry for arguments of these structures (with ``.source``)."""
        values = self._bound(args, kwargs)
        key = tuple(structure(values[i]) for i in self.tree_indices)
        if not any(key):
            plain = self.plain()
            return plain.specialize(*args, **kwargs) if hasattr(plain, "specialize") else plain
        return self._entry(values, key)

    def _bound(self, args, kwargs):
        try:
            bound = defaults.signature(self.__wrapped__, self.live).bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self.__name__}(): {error}") from None
        bound.apply_defaults()
        return list(bound.arguments.values())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fast = self.fast          # the entry of the latest structures, checking them
        try:
            if fast is not None and not kwargs and len(args) == len(self.params):
                return fast(*args)
            return self._call(*args, **kwargs)
        except S2SDiffError as error:        # about loss_leaves: the user's loss
            name = getattr(self.__wrapped__, "__name__", "")
            error.renamed(f"{name}_leaves", name)
            for local, spelled in getattr(self.latest, "spellings", {}).items():
                error.renamed(local, spelled)      # params_W: params["W"]
            raise

    def _call(self, *args, **kwargs):
        values = args if not kwargs and len(args) == len(self.params) \
            else self._bound(args, kwargs)
        key = tuple(structure(values[i]) for i in self.tree_indices)
        if not any(key):
            self.fast, self.latest, self.plain_called = None, None, True
            return self.plain()(*args, **kwargs)
        entry = self.table.get(key)
        if entry is None:
            entry = self._entry(values, key)
        self.latest, self.fast, self.plain_called = entry, entry.fast, False
        return entry(*values)

    def _entry(self, values, key):
        if not any(key):
            return self.plain()
        with self.lock:
            if key not in self.table:
                self.table[key] = self._build(key)
            return self.table[key]

    def _build(self, key):
        layout = tuple((self.params[i], tree) for i, tree in zip(self.tree_indices, key)
                       if tree is not None)
        locals_ = local_names(self.parsed.node, layout)
        flat_names = flat_wrt(layout, locals_, self.wrt_names)
        leaves_function = self.generate_leaves(layout, flat_names)
        leaves_name = f"{self.__name__}_leaves"
        source, classes = entry_source(self.__name__, leaves_name, self.params, layout, locals_,
                                       self.kind, self.wrt_names, self.single, flat_names,
                                       has_aux=self.has_aux)
        filename = sources.register(f"{self.__name__}_entry", source)
        namespace = {leaves_name: leaves_function, **classes}
        exec(syntax.compile(source, filename, "exec"), namespace)
        entry = namespace[self.__name__]
        entry.leaves = leaves_function
        entry.spellings = {local: _quoted(_read(name, path, tree)) for name, tree in layout
                           for path, local, _ in locals_[name]}
        entry.entry_source = entry.source = source
        # the same entry checking the structures first, which calls skip computing
        key_params = [self.params[i] for i in self.tree_indices]
        fast, constants = entry_source(self.__name__, leaves_name, self.params, layout,
                                       locals_, self.kind, self.wrt_names, self.single,
                                       flat_names, guarded=(key_params, key),
                                       has_aux=self.has_aux)
        namespace = {leaves_name: leaves_function, "tree_fallback": self._call, **constants}
        exec(syntax.compile(fast, sources.register(f"{self.__name__}_checked", fast), "exec"),
             namespace)
        entry.fast = namespace[self.__name__]
        entry.fast_source = fast
        return entry
