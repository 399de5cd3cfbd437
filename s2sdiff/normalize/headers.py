"""Loop headers rewritten into those the normalizer differentiates (``comprehensions.py``
calls ``loop`` for ``for`` statements and comprehension clauses):

* ``for v in reversed(xs): body`` becomes ``for i in reversed(range(len(xs))): v = xs[i];
  body``;
* ``for i, v in enumerate(reversed(xs)): body`` becomes ``for i in range(len(xs)):
  v = xs[-1 - i]; body`` (with ``start=s``, a literal integer or a name,
  ``for i in range(s, s + len(xs))`` and ``xs[s - 1 - i]``);
* ``for a, b in zip(xs[:-1], xs[1:]): body`` (slices of names with integer literal bounds,
  and names) becomes ``for i in range(len(xs) - 1): a = xs[i]; b = xs[i + 1]; body``,
  over the fewest entries a slice has (``min(...)``), as ``zip`` stops; ``for v in
  xs[1:]`` (and ``sum(xs[1:])``, a comprehension over it) ``for i in range(1, len(xs)):
  v = xs[i]``, over the indices Python's slice takes (``_span``: steps, negative bounds,
  bounds ``i + 3`` of any sign): pure-Python code that slices a list stays code on lists;
* ``for w, b in layers`` binds each entry whole, then unpacks it: ``for layers_entry in
  layers: w, b = layers_entry`` (a tuple inside ``enumerate``'s or ``zip``'s target too:
  ``for i, (w, b) in enumerate(layers)``);
* ``for p in enumerate(xs)`` (or ``zip(xs, ys)``), one name bound to each tuple, becomes
  ``for p_0, p_1 in enumerate(xs): p = (p_0, p_1)``, whose elements the normalizer
  follows (the tuple itself has no adjoint layout in a loop header).

The normalizer differentiates indexing for any ``xs`` (a list of any length, a tuple,
the rows of an array or a tree of arrays).  The element is read before the body runs, as
Python binds it; a body that assigns ``xs`` itself (or the start's name) is left as it is
and refused by the normalizer, since the index loop would read the new list.
"""

import ast

from .. import syntax


def candidate(iterable):
    """Whether ``iterable`` is spelled ``reversed(...)``, ``enumerate(...)``, ``zip(...)``
    or ``xs[lo:hi]``."""
    def named(node, name):
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == name and node.args
    return named(iterable, "reversed") or named(iterable, "enumerate") \
        or named(iterable, "zip") or _sliced(iterable)


def _sliced(node):
    """Whether ``node`` is a slice ``xs[lo:hi:step]`` of a name, the step an integer
    literal, the bounds integer literals or, for a positive step, names plus literals
    (``xs[1:]``, ``xs[::-1]``, ``xs[1::2]``, ``xs[i:i + 3]``)."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Slice)):
        return False
    step = _bound(node.slice.step)
    if step is None or type(step) is int and step > 0:
        return False not in (_bound(node.slice.lower, True), _bound(node.slice.upper, True))
    return type(step) is int and step < 0 and False not in (_bound(node.slice.lower),
                                                            _bound(node.slice.upper))


def _parts(node):
    """``(name, lo, hi, step)`` of a name (``(xs, None, None, None)``) or a ``_sliced``
    slice of one."""
    if isinstance(node, ast.Name):
        return node.id, None, None, None
    bounds = node.slice
    return (node.value.id, _bound(bounds.lower, True), _bound(bounds.upper, True),
            _bound(bounds.step))


def reversed_name(desugarer, iterable):
    """Whether ``iterable`` is ``reversed(xs)`` of a name ``xs``."""
    return isinstance(iterable, ast.Call) and desugarer.resolve(iterable.func) is reversed \
        and len(iterable.args) == 1 and isinstance(iterable.args[0], ast.Name) \
        and not iterable.keywords


def unpacks(target, iterable):
    """Whether ``for target in iterable`` unpacks each entry of a name (``for w, b in
    layers``) or has a tuple, or a name bound to a tuple of ``zip``, inside its target
    (``for i, (w, b) in enumerate(layers)``, ``for i, pair in enumerate(zip(xs, ys))``)."""
    if not isinstance(target, (ast.Tuple, ast.List)):
        return False
    return isinstance(iterable, ast.Name) or bool(_rebound_parts(target, iterable))


def _sequences(target, iterable):
    """The sequence each part of a target over ``enumerate(...)`` or ``zip(...)`` takes
    its entries from (None for the index ``enumerate`` counts)."""
    func = getattr(iterable.func, "id", None) if isinstance(iterable, ast.Call) else None
    if func == "enumerate" and len(iterable.args) == 1 and len(target.elts) == 2:
        return [None, iterable.args[0]]
    if func == "zip" and len(iterable.args) == len(target.elts) and not any(
            isinstance(a, ast.Starred) for a in iterable.args):
        return list(iterable.args)
    return []


def _zipped(node):
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("zip", "enumerate")


def _rebound_parts(target, iterable):
    """The positions of the target's parts that ``_entries_whole`` rebinds: a tuple over
    a sequence that is not ``zip``/``enumerate`` (which the normalizer unpacks itself),
    a name over one that is."""
    return [k for k, (part, sequence) in enumerate(zip(target.elts, _sequences(
        target, iterable))) if sequence is not None and (
        isinstance(part, (ast.Tuple, ast.List)) and not _zipped(sequence)
        or isinstance(part, ast.Name) and _zipped(sequence))]


def _entries_whole(desugarer, target, iterable, body, where):
    """``(target, body)`` for ``unpacks``: ``for w, b in layers`` is ``for layers_entry in
    layers: w, b = layers_entry``, ``for i, (w, b) in enumerate(layers)`` is ``for i, entry
    in enumerate(layers): w, b = entry`` (what Python does; the normalizer follows an
    entry read whole and an unpacking), and ``for i, pair in enumerate(zip(xs, ys))`` is
    ``for i, (pair_0, pair_1) in ...: pair = (pair_0, pair_1)`` (the tuple zip makes,
    whose entries the normalizer follows when the target names them)."""
    if isinstance(iterable, ast.Name):
        name = desugarer.namer.fresh(f"{iterable.id}_entry")
        unpack = [ast.Assign([target], ast.Name(name, ast.Load()), **where)]
        return ast.Name(name, ast.Store()), unpack + body
    parts, sequences, first = list(target.elts), _sequences(target, iterable), []
    for k in _rebound_parts(target, iterable):
        part = parts[k]
        if isinstance(part, ast.Name):
            inner = sequences[k]
            count = 2 if inner.func.id == "enumerate" else len(inner.args)
            names = [desugarer.namer.fresh(f"{part.id}_{j}") for j in range(count)]
            first.append(ast.Assign([ast.Name(part.id, ast.Store())], ast.Tuple(
                [ast.Name(n, ast.Load()) for n in names], ast.Load()), **where))
            parts[k] = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
        else:
            name = desugarer.namer.fresh("entry")
            first.append(ast.Assign([part], ast.Name(name, ast.Load()), **where))
            parts[k] = ast.Name(name, ast.Store())
    return ast.Tuple(parts, ast.Store()), first + body


def loop(desugarer, target, iterable, body, where):
    """``for target in iterable: body`` over indices (module docstring), or None when
    ``iterable`` is not one of the two forms; a target that unpacks each entry binds it
    whole first (``_entries_whole``)."""
    if unpacks(target, iterable):
        target, body = _entries_whole(desugarer, target, iterable, body, where)
        return loop(desugarer, target, iterable, body, where) \
            or ast.For(target, iterable, body, [], **where)
    if reversed_name(desugarer, iterable):
        sequence = iterable.args[0].id
        index = desugarer.namer.fresh("i")
        indices = syntax.parse(f"reversed(range(len({sequence})))", mode="eval").body
        read = ast.Subscript(ast.Name(sequence, ast.Load()), ast.Name(index, ast.Load()),
                             ast.Load())
        body = [ast.Assign([target], read, **where)] + body
        return ast.For(ast.Name(index, ast.Store()), indices, body, [], **where)
    if isinstance(target, ast.Name) and isinstance(iterable, ast.Call) and not any(
            isinstance(a, ast.Starred) for a in iterable.args) and (
            (desugarer.resolve(iterable.func) is zip and not iterable.keywords)
            or (desugarer.resolve(iterable.func) is enumerate and len(iterable.args) == 1)):
        count = 2 if desugarer.resolve(iterable.func) is enumerate else len(iterable.args)
        names = [desugarer.namer.fresh(f"{target.id}_{k}") for k in range(count)]
        pack = ast.Assign([ast.Name(target.id, ast.Store())],
                          ast.Tuple([ast.Name(n, ast.Load()) for n in names], ast.Load()), **where)
        pair = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
        return loop(desugarer, pair, iterable, [pack] + body, where) \
            or ast.For(pair, iterable, [pack] + body, [], **where)
    zipped = _zipped_slices(desugarer, iterable, target, body, where)
    if zipped is not None:
        return zipped
    start = _enumerated(desugarer, iterable, target)
    if start is None:
        return None
    sequence = iterable.args[0].args[0].id
    written = {n.id for s in body for n in ast.walk(s)
               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if sequence in written or (start.isidentifier() and start in written):
        return None
    index, element = target.elts
    if start == "0":
        indices, position = f"range(len({sequence}))", f"-1 - {index.id}"
    else:
        indices = f"range({start}, {start} + len({sequence}))"
        position = f"{start} - 1 - {index.id}"
    read = syntax.parse(f"{sequence}[{position}]", mode="eval").body
    head = syntax.parse(indices, mode="eval").body
    return ast.For(ast.Name(index.id, ast.Store()), head,
                   [ast.Assign([element], read, **where)] + body, [], **where)


def _span(name, lo, hi, step=None):
    """The first index, the index it stops before and the number of entries (it may be
    negative: ``max(0, n)`` is the length) of ``name[lo:hi:step]``, as source text, as
    Python clamps the bounds: ``range(start, stop, step)`` gives its indices."""
    length, step = f"len({name})", step or 1
    if step < 0:                      # from the end: the last index n - 1, down to -1
        start = f"{length} - 1" if lo is None else f"min({lo}, {length} - 1)" if lo >= 0 \
            else f"{length} - {-lo}"
        stop = "-1" if hi is None else f"min({hi}, {length} - 1)" if hi >= 0 \
            else f"max({length} - {-hi}, -1)"
        entries = length if lo is None and hi is None else f"{start} + 1" if hi is None \
            else f"{start} - {stop}"
        return start, stop, entries if step == -1 \
            else f"({entries} + {-step - 1}) // {-step}"
    def clamped(bound):               # i + 3, of any sign, as Python clamps it
        return f"min(max({bound} + {length} * ({bound} < 0), 0), {length})"
    start = clamped(lo) if isinstance(lo, str) else "0" if not lo else str(lo) if lo > 0 \
        else f"max({length} - {-lo}, 0)"
    stop = clamped(hi) if isinstance(hi, str) else length if hi is None \
        else f"min({hi}, {length})" if hi >= 0 else f"{length} - {-hi}"
    count = stop if start == "0" else f"{stop} - {start}"
    return start, stop, count if step == 1 else f"({count} + {step - 1}) // {step}"


def _read(name, start, step, index):
    """``name[i]``, ``name[i + 2]``, ``name[len(name) - 1 - i]``, ``name[2 * i + 1]``... as
    source text: the entry the loop's ``index`` reads."""
    step = step or 1
    offset = index if abs(step) == 1 else f"{abs(step)} * {index}"
    if step < 0:
        return f"{name}[{start} - {offset}]"
    return f"{name}[{offset}]" if start == "0" else f"{name}[{offset} + {start}]"


def _length(arg):
    """``len(arg)`` of a name or a slice of one (``_sliced``) as source text, without
    slicing (a slice makes the function NumPy code)."""
    if isinstance(arg, ast.Name):
        return f"len({arg.id})"
    _, _, count = _span(*_parts(arg))
    return count if count == f"len({arg.value.id})" else f"max({count}, 0)"


def strict_zip(desugarer, loop):
    """``for t in zip(xs, ys[1:], strict=True): body`` (names and ``_sliced`` slices) as
    ``if len(ys) - 1 < len(xs): raise ValueError(...)`` (and ``>``) then the loop without
    ``strict``; else None.  Python raises the same error, after the shorter is used up."""
    iterable = loop.iter
    if not (isinstance(iterable, ast.Call) and desugarer.resolve(iterable.func) is zip
            and len(iterable.args) >= 2 and [k.arg for k in iterable.keywords] == ["strict"]
            and isinstance(iterable.keywords[0].value, ast.Constant)
            and all(isinstance(a, ast.Name) or _sliced(a) for a in iterable.args)):
        return None
    plain = ast.copy_location(ast.For(loop.target, ast.Call(iterable.func, iterable.args, []),
                                      loop.body, loop.orelse), loop)
    if iterable.keywords[0].value.value is not True:
        return [plain]
    first = _length(iterable.args[0])
    checks = []
    for k, arg in enumerate(iterable.args[1:], start=2):
        before = "argument 1" if k == 2 else f"arguments 1-{k - 1}"
        source = "\n".join(f"if {_length(arg)} {op} {first}:\n    raise ValueError("
                            f"'zip() argument {k} is {word} than {before}')"
                            for op, word in (("<", "shorter"), (">", "longer")))
        checks += [ast.copy_location(s, loop) for s in syntax.parse(source).body]
    ast.fix_missing_locations(ast.Module(checks, []))
    return checks + [plain]


def _enumerated(desugarer, iterable, target):
    """The start of ``enumerate(reversed(xs)[, start])`` as source text (``"0"`` when
    omitted) when ``iterable`` is that, ``xs`` a name, the start a literal integer or a
    name, and ``target`` a pair whose index is a name; else None."""
    if not (isinstance(iterable, ast.Call) and desugarer.resolve(iterable.func) is enumerate
            and 1 <= len(iterable.args) <= 2 and reversed_name(desugarer, iterable.args[0])
            and isinstance(target, ast.Tuple) and len(target.elts) == 2
            and isinstance(target.elts[0], ast.Name)):
        return None
    starts = iterable.args[1:] + [k.value for k in iterable.keywords]
    if any(k.arg != "start" for k in iterable.keywords) or len(starts) > 1:
        return None
    if not starts:
        return "0"
    start = starts[0]
    if isinstance(start, ast.Constant) and type(start.value) is int:
        return str(start.value)
    if isinstance(start, ast.Name):
        return start.id
    return None


def _bound(node, variable=False):
    """A slice bound: None, an integer literal (``-1`` too); with ``variable``, the source
    text of names and integer literals added or subtracted (``i + 3``); else False."""
    if node is None:
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _bound(node.operand)
        return -inner if type(inner) is int else False
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if variable and all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.Add, ast.Sub,
                                       ast.Load, ast.UnaryOp, ast.USub)) for n in ast.walk(node)) \
            and all(type(n.value) is int for n in ast.walk(node) if isinstance(n, ast.Constant)):
        return f"({ast.unparse(node)})"
    return False


def _zipped_slices(desugarer, iterable, target, body, where):
    """A slice ``xs[lo:hi:step]`` (``_sliced``), or ``zip`` of names and such slices, one
    slice at least, looped over with a tuple of as many targets: the index loop (module
    docstring), or None.  Left as it is where the body assigns or writes into a sliced
    name (the slices are copies, the index loop would read the new entries)."""
    if _sliced(iterable):                               # for v in xs[1:]: one slice
        arguments, targets = [iterable], [target]
    elif isinstance(iterable, ast.Call) and desugarer.resolve(iterable.func) is zip \
            and iterable.args and not iterable.keywords \
            and isinstance(target, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(iterable.args):
        arguments, targets = iterable.args, target.elts
    else:
        return None
    if not all(isinstance(a, ast.Name) or _sliced(a) for a in arguments):
        return None
    parts = [_parts(a) for a in arguments]
    if all(lo is None and hi is None and step is None for _, lo, hi, step in parts):
        return None
    written = {n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name)
               and isinstance(n.ctx, ast.Store)} | {
        n.value.id for s in body for n in ast.walk(s) if isinstance(n, ast.Subscript)
        and isinstance(n.ctx, (ast.Store, ast.Del)) and isinstance(n.value, ast.Name)}
    bounds = {n.id for a in arguments if isinstance(a, ast.Subscript)
              for n in ast.walk(a.slice) if isinstance(n, ast.Name)}
    if written & ({name for name, _, _, _ in parts} | bounds):
        return None               # the slice is taken once, before the loop; the reads each time
    index = desugarer.namer.fresh("i")
    if len(parts) == 1:                       # for i in range(1, len(xs)): v = xs[i]
        name, lo, hi, step = parts[0]
        start, stop, _ = _span(name, lo, hi, step)
        bounds = [stop] if start == "0" and (step or 1) == 1 else [start, stop] \
            + [str(step)] * ((step or 1) != 1)
        head = syntax.parse(f"range({', '.join(bounds)})", mode="eval").body
        read = syntax.parse(f"{name}[{index}]", mode="eval").body
        return ast.For(ast.Name(index, ast.Store()), head,
                       [ast.Assign([targets[0]], read, **where)] + body, [], **where)
    counts, reads = [], []
    for name, lo, hi, step in parts:
        start, _, count = _span(name, lo, hi, step)
        if count not in counts:
            counts.append(count)
        reads.append(_read(name, start, step, index))
    head = f"range({counts[0]})" if len(counts) == 1 else f"range(min({', '.join(counts)}))"
    elements = [ast.Assign([element], syntax.parse(read, mode="eval").body, **where)
                for element, read in zip(targets, reads)]
    return ast.For(ast.Name(index, ast.Store()), syntax.parse(head, mode="eval").body,
                   elements + body, [], **where)
