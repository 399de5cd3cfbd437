"""``has_aux=True`` (JAX's convention): the function returns a pair ``(output, aux)``;
the output is differentiated, ``aux`` is returned as the forward computed it.

``split(parsed)`` rewrites the function before normalisation so that its output is the
first entry alone and ``aux`` is ordinary forward code:

* every ``return out, aux`` (``return (out, aux)``, ``return [out, aux]``), wherever it
  is, must be a display of exactly two entries; anything else is an ``S2SDiffError`` at
  that line;
* ``aux`` is a number, an array, or nested tuple / list / dict displays (constant keys)
  of those: each leaf is assigned to a readable name (``mae = np.mean(...)``, the dict's
  key, else ``aux``, ``aux_0``...) where the function returned, and the function then
  returns ``out, <leaves>``; the structure must be the same at every ``return``; a leaf
  that is the same constant at every ``return`` (``None``, a string) stays a constant,
  one that is another such constant at another ``return`` (``"pos"``, ``"neg"``) is an
  index into them (``("pos", "neg")[aux]``);
* after ``normalize``, ``detach(program, spec)`` makes ``out`` the program's single
  output and keeps the leaves' SSA names in ``program.aux``;
* ``reverse`` returns ``returned(...)``: ``(gradients, aux)``, or ``((value, aux),
  gradients)`` for ``value_and_grad``, with ``aux`` rebuilt as a display of the leaves;
  ``kept(...)`` first copies the leaves the reverse sweep would change (loop variables,
  lists and arrays written in place).

So ``aux`` is computed once, by the forward sweep, and never differentiated; the
optimiser keeps it because the final ``return`` reads it.
"""

import ast
import copy
import dataclasses

from . import control
from .errors import NotScalarError
from .ir import Loop, all_targets, walk_items
from .names import Namer

_PAIR_HINT = ("With has_aux=True the function must end every path with `return output, aux`: "
              "the scalar to differentiate, then any value to pass through (a number, an "
              "array, or a tuple, list or dict of those).")


@dataclasses.dataclass
class Spec:
    """What ``split`` found: the aux's structure (``_Leaf``, ``_Const``, or
    ``(kind, keys, children)``), its leaves' names in the rewritten function, in order;
    after ``detach``, ``atoms``: the program's atoms for them."""
    structure: object
    leaves: list
    outputs: int = 1           # ``return (a, b), aux`` (vjp): the outputs ``a, b``
    atoms: list = None


@dataclasses.dataclass(frozen=True)
class _Leaf:
    index: int


@dataclasses.dataclass(frozen=True)
class _Const:
    value: object


@dataclasses.dataclass(frozen=True)
class _Choice:
    """A leaf that is one of several constants that are not numbers, depending on the
    return (``return loss, "pos"`` / ``return loss, "neg"``): its name holds the index
    into ``values`` (a number, which the normaliser takes), the aux the constant."""
    values: tuple
    index: int = None


def split(parsed):
    """``parsed`` rewritten so that it returns ``out, <leaves of aux>`` (see the module
    docstring), and its ``Spec``; raises ``NotScalarError`` where a return is no pair."""
    node = copy.deepcopy(parsed.node)
    namer = Namer.for_function(node)
    body = control.canonical_body(node, namer, split=False)
    name = parsed.node.name
    final = body[-1] if body else None
    if not isinstance(final, ast.Return) or final.value is None:
        raise parsed.error(final or node, f"{name} does not return a pair (output, aux)",
                           construct="has_aux return", hint=_PAIR_HINT, cls=NotScalarError)
    user_return = bool(node.body) and final is node.body[-1]   # one return, at the end
    sites = []                 # the statements where the function returns its pair
    if user_return:
        sites.append(final)
    else:
        out = final.value.id   # control.py: `out = value` at each return, `return out`
        sites = [s for s in _statements(body) if isinstance(s, ast.Assign)
                 and isinstance(s.targets[0], ast.Name) and s.targets[0].id == out]
    dicts = _dict_variables(node)
    shapes = [_shape(parsed, name, site, site.value, dicts) for site in sites]
    structure = _merge(parsed, name, sites, shapes)
    leaves = []
    _name_leaves(structure, (), leaves, namer)
    structure = _numbered(structure, iter(range(len(leaves))))
    replaced = {}
    for site, shape in zip(sites, shapes):
        loss, aux = shape
        assigns, reads = [], []
        for leaf_name, expr in zip(leaves, _leaf_exprs(aux, structure)):
            if user_return and isinstance(expr, ast.Name):
                reads.append(expr.id)          # `return loss, pred`: read pred itself
                continue
            assigns.append(_located(ast.Assign([ast.Name(leaf_name, ast.Store())], expr), site))
            reads.append(leaf_name)
        if user_return:
            if isinstance(loss, ast.Tuple) and len(loss.elts) > 1 and reads:    # vjp: outputs
                outputs = loss.elts
            else:
                outputs = [loss]
            elts = outputs + [ast.Name(r, ast.Load()) for r in reads]
            value = ast.Tuple(elts, ast.Load()) if len(elts) > 1 else loss
            replaced[id(site)] = assigns + [_located(ast.Return(value), site)]
            leaves[:] = reads
        else:
            new = copy.copy(site)
            new.value = loss
            replaced[id(site)] = [new] + assigns
    body = _replace(body, replaced)
    n_outputs = len(outputs) if user_return else 1
    if not user_return and leaves:
        body[-1] = _located(ast.Return(ast.Tuple(
            [final.value] + [ast.Name(n, ast.Load()) for n in leaves], ast.Load())), final)
    node.body = body
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node), Spec(structure, leaves, n_outputs)


def detach(program, spec):
    """``program`` (normalised from ``split``'s function) with its first output alone as
    output; the leaves' atoms go to ``program.aux`` (a copy of ``spec``)."""
    if spec is None:
        return program
    n, k = len(spec.leaves), spec.outputs
    atoms = list(program.outputs[k:]) if n else []
    if n:
        program.outputs = program.outputs[:k]
        program.returns_tuple = k > 1
    program.aux = dataclasses.replace(spec, atoms=atoms)
    return program


def kept(program, body, line, assign):
    """The aux's atoms, each copied after the forward sweep (``body += line(assign(copy,
    value))``) when the reverse sweep would change it: a name a loop assigns (restored to
    its earlier values) is copied, a list or array written in place (``v[i] = e``, whose
    old entries come back) is copied with ``list(v)`` or ``v.copy()``.  ``None`` without
    ``has_aux``."""
    aux = program.aux
    if aux is None:
        return None
    in_loops = set()
    for item in walk_items(program.body):
        if isinstance(item, Loop):
            in_loops |= all_targets([item])
    written = {s.target for s in program.steps if s.mutates or s.augmented}
    atoms = []
    for atom in aux.atoms:
        if isinstance(atom, ast.Name) and (atom.id in written or atom.id in in_loops):
            name = program.namer.fresh(f"{atom.id}_aux")
            value = ast.Name(atom.id, ast.Load())
            if atom.id in written and program.kinds is not None:
                value = ast.Call(ast.Attribute(value, "copy", ast.Load()), [], [])
            elif atom.id in written:
                value = ast.Call(ast.Name("list", ast.Load()), [value], [])
            body.append(line(assign(name, value)))
            atom = ast.Name(name, ast.Load())
        atoms.append(atom)
    return atoms


def returned(returns, atoms, program, with_value):
    """What the generated function returns with ``has_aux``: ``(returns, aux)``, or for
    ``value_and_grad`` (``returns`` is ``(value, gradients)``) ``((value, aux),
    gradients)``; ``returns`` itself when ``atoms`` is ``None``."""
    if atoms is None:
        return returns
    aux = _display(program.aux.structure, atoms)
    if with_value:
        value, gradients = returns.elts
        return ast.Tuple([ast.Tuple([value, aux], ast.Load()), gradients], ast.Load())
    return ast.Tuple([returns, aux], ast.Load())


def _display(structure, atoms):
    if isinstance(structure, _Leaf):
        return copy.deepcopy(atoms[structure.index])
    if isinstance(structure, _Const):
        return ast.Constant(structure.value)
    if isinstance(structure, _Choice):
        return ast.Subscript(ast.Constant(structure.values),
                             copy.deepcopy(atoms[structure.index]), ast.Load())
    kind, keys, children = structure
    values = [_display(child, atoms) for child in children]
    if kind == "dict":
        return ast.Dict([ast.Constant(k) for k in keys], values)
    return (ast.List if kind == "list" else ast.Tuple)(values, ast.Load())


def _statements(body):
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.For, ast.While)):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)


def _replace(body, replaced):
    out = []
    for stmt in body:
        if id(stmt) in replaced:
            out += replaced[id(stmt)]
            continue
        if isinstance(stmt, (ast.If, ast.For, ast.While)):
            stmt = copy.copy(stmt)
            stmt.body = _replace(stmt.body, replaced)
            stmt.orelse = _replace(stmt.orelse, replaced)
        out.append(stmt)
    return out


def _located(new, site):
    return ast.copy_location(new, site)


def _dict_variables(node):
    """Names assigned once, to a dict display with constant keys: ``metrics = {...}`` then
    ``return loss, metrics`` returns ``{"k": metrics["k"], ...}``, which
    ``normalize/dicts.py`` reads key by key."""
    stores = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            stores[n.id] = stores.get(n.id, 0) + 1
    found = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and isinstance(n.targets[0], ast.Name) and stores[n.targets[0].id] == 1 \
                and isinstance(n.value, ast.Dict) and n.value.keys and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, (str, int))
                    for k in n.value.keys):
            found[n.targets[0].id] = [k.value for k in n.value.keys]
    return found


def _shape(parsed, name, site, value, dicts):
    """``(output, aux structure)`` of one returned pair, the leaves holding expressions."""
    if not isinstance(value, (ast.Tuple, ast.List)) or len(value.elts) != 2 \
            or any(isinstance(e, ast.Starred) for e in value.elts):
        what = (f"a tuple of {len(value.elts)} values" if isinstance(value, (ast.Tuple, ast.List))
                else f"`{ast.unparse(value)}`, not a pair (output, aux)")
        raise parsed.error(site, f"has_aux=True: {name} returns {what}",
                           construct="has_aux return", hint=_PAIR_HINT, cls=NotScalarError)
    return value.elts[0], _aux_shape(parsed, name, value.elts[1], dicts)


def _aux_shape(parsed, name, expr, dicts):
    if isinstance(expr, ast.Name) and expr.id in dicts:       # a dict built before
        keys = dicts[expr.id]
        expr = ast.copy_location(ast.Dict(
            [ast.Constant(k) for k in keys],
            [ast.Subscript(ast.Name(expr.id, ast.Load()), ast.Constant(k), ast.Load())
             for k in keys]), expr)
    if isinstance(expr, ast.Dict):
        if not all(isinstance(k, ast.Constant) and isinstance(k.value, (str, int))
                   for k in expr.keys):
            raise parsed.error(expr, f"has_aux=True: the aux of {name} is a dict whose keys "
                               f"are not all constant strings or ints", construct="aux dict",
                               hint="Spell the aux dict with constant keys: "
                                    "`{\"mae\": mae, \"pred\": pred}`.")
        keys = tuple(k.value for k in expr.keys)
        return ("dict", keys, tuple(_aux_shape(parsed, name, v, dicts) for v in expr.values))
    if isinstance(expr, (ast.Tuple, ast.List)):
        if any(isinstance(e, ast.Starred) for e in expr.elts):
            raise parsed.error(expr, f"has_aux=True: the aux of {name} unpacks a sequence "
                               f"(`*`)", construct="aux starred",
                               hint="List the aux values one by one.")
        kind = "tuple" if isinstance(expr, ast.Tuple) else "list"
        return (kind, len(expr.elts), tuple(_aux_shape(parsed, name, e, dicts)
                                            for e in expr.elts))
    return expr                                     # a leaf: any expression


def _merge(parsed, name, sites, shapes):
    """The structure shared by every return's aux (leaves ``_Leaf(None)`` or ``_Const``);
    an error at the first return whose structure differs."""
    def skeleton(aux):
        if isinstance(aux, tuple):
            return (aux[0], aux[1], tuple(skeleton(c) for c in aux[2]))
        return _Const(aux.value) if isinstance(aux, ast.Constant) else _Leaf(None)

    def merge(a, b):
        if isinstance(a, tuple) and isinstance(b, tuple) and a[:2] == b[:2]:
            return (a[0], a[1], tuple(merge(x, y) for x, y in zip(a[2], b[2])))
        if isinstance(a, tuple) or isinstance(b, tuple):
            return None
        if a == b and isinstance(a, _Const) and type(a.value) is type(b.value):
            return a
        choices = [c.values if isinstance(c, _Choice) else (c.value,) for c in (a, b)
                   if isinstance(c, (_Const, _Choice))]
        if len(choices) == 2 and not any(_is_number(v) for c in choices for v in c):
            return _Choice(tuple(dict.fromkeys(choices[0] + choices[1])))
        return _Leaf(None)

    merged = skeleton(shapes[0][1])
    for site, shape in zip(sites[1:], shapes[1:]):
        new = merge(merged, skeleton(shape[1]))
        if new is None or _has_none(new):
            raise parsed.error(site, f"has_aux=True: {name} returns an aux of another "
                               f"structure here than at line {sites[0].lineno}",
                               construct="has_aux return",
                               hint="Return the aux with the same structure (the same tuple "
                                    "lengths and dict keys) at every return.")
        merged = new
    return merged


def _is_number(value):
    return type(value) in (int, float, complex, bool)


def _has_none(structure):
    return isinstance(structure, tuple) and any(c is None or _has_none(c) for c in structure[2])


def _name_leaves(structure, path, leaves, namer):
    """Append a fresh, readable name for each expression leaf, in order."""
    if isinstance(structure, tuple):
        for i, child in enumerate(structure[2]):
            key = structure[1][i] if structure[0] == "dict" else i
            _name_leaves(child, path + (key,), leaves, namer)
    elif isinstance(structure, (_Leaf, _Choice)):
        parts = [str(p) for p in path]
        if parts and isinstance(path[0], str) and all(p.isidentifier() or p.isdigit()
                                                      for p in parts):
            base = "_".join(parts)
            if base in namer.taken:            # not `h_2`, which reads as a version of h
                base = f"aux_{base}"
        else:
            base = "_".join(["aux"] + [p if p.isidentifier() or p.isdigit() else "k"
                                       for p in parts])
        leaves.append(namer.fresh(base))


def _numbered(structure, counter):
    if isinstance(structure, tuple):
        return (structure[0], structure[1],
                tuple(_numbered(c, counter) for c in structure[2]))
    if isinstance(structure, _Leaf):
        return _Leaf(next(counter))
    if isinstance(structure, _Choice):
        return _Choice(structure.values, next(counter))
    return structure


def _leaf_exprs(aux, structure):
    """The expressions of ``aux`` (one return's) at the leaves of ``structure``, in order."""
    if isinstance(structure, tuple):
        for child_aux, child in zip(aux[2], structure[2]):
            yield from _leaf_exprs(child_aux, child)
    elif isinstance(structure, _Leaf):
        yield aux
    elif isinstance(structure, _Choice):         # the index of this return's constant
        yield ast.copy_location(ast.Constant(structure.values.index(aux.value)), aux)
