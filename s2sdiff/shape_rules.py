"""Rows of the rule table for the rest of NumPy that autograd differentiates: ufunc
aliases of the operators and ``math`` rows, ``einsum`` with any subscripts, diagonals
and triangles, rotations, padding, appending, choosing, partial sorts, gathers along an
axis, the parts of ``np.split`` and its kin, and the array methods ``.astype`` and
``.item``.

The rows are ordinary ``Partials`` and ``ArrayRule`` rows of ``rules.RULES``, read by
both modes and checked by tests/test_array_rules.py from their ``sample`` like every
other NumPy row.  They register themselves when this module is imported, which
``split_rules`` (imported by the normaliser, so by the package) does; ``rules.py`` cannot
import it back (the import graph has no cycles).  Every adjoint is vectorised: slices,
``np.einsum``, ``np.bincount`` and ``np.add.at``, no Python loop over entries.
"""

import ast
import builtins
import copy
import math
import string

import numpy as np

from .build import Expr
from .ir import is_display, leaves
from .rules import (RULES, Array, Function, Method, Operator, Sample, _constant, _elementwise,
                    _take_back,
                    _trace_back, defrule, defvjp)

# --- elementwise: ufunc aliases of rows the table has -----------------------------------
# (np.true_divide is np.divide, np.mod is np.remainder: one row each.)
for _f, _key in ((np.add, Operator(ast.Add)), (np.subtract, Operator(ast.Sub)),
                 (np.multiply, Operator(ast.Mult)), (np.divide, Operator(ast.Div)),
                 (np.remainder, Operator(ast.Mod)), (np.float_power, Operator(ast.Pow)),
                 (np.fabs, Function(builtins.abs)), (np.arcsin, Function(math.asin)),
                 (np.arccos, Function(math.acos)), (np.arcsinh, Function(math.asinh)),
                 (np.arccosh, Function(math.acosh)), (np.arctanh, Function(math.atanh)),
                 (np.arctan2, Function(math.atan2)), (np.fmax, Function(builtins.max)),
                 (np.fmin, Function(builtins.min))):
    if Function(_f) not in RULES:
        _elementwise(_f, _key, forward=(lambda m, x, y: m.max(x, y)) if _f is np.fmax else
                     (lambda m, x, y: m.min(x, y)) if _f is np.fmin else None)
# np.fmax / np.fmin share np.maximum's partials: where one argument is NaN the other is the
# result and takes the whole adjoint (x == out), where both are, the partials are NaN.
defrule(Function(np.hypot), lambda m, x, y: m.hypot(x, y),
        lambda m, out, x, y: (x / out, y / out), domain=(0.1, 3.0))
# cbrt(x) = x ** (1/3): d/dx = 1 / (3 out ** 2), inf at 0 (as NumPy's own arithmetic).
defrule(Function(np.cbrt), lambda m, x: x ** (1 / 3),
        lambda m, out, x: (1 / (3 * out * out),), domain=(0.1, 3.0))


def _masked_tangent(name, mask):
    """A jvp: the operand's tangent where ``mask(t, a)`` holds, else 0."""
    def jvp(t):
        a, tangent = t._whole(name)
        where = t.np.__getattr__("where")         # np.where, not Namespace's conditional
        return where(mask(t, Expr(a)), Expr(tangent), 0.0).node
    return jvp


# np.nan_to_num: the identity where x is finite; NaN and +-inf are replaced by constants.
defvjp(Function(np.nan_to_num), lambda x, copy=True, nan=0.0, posinf=None, neginf=None: None,
       x=lambda c: c.np.where(c.np.isfinite(c.arg("x")), c.g, 0.0),
       jvp=_masked_tangent("x", lambda t, a: t.np.isfinite(a)),
       sample=Sample(Array((2, 3)), nan=1.0))


# --- einsum -----------------------------------------------------------------------------
# Subscripts are made explicit first (implicit output, ellipsis as letters, a size-1 axis
# that broadcasts against a longer one given a letter of its own); the adjoint of one
# operand is then the einsum of the output's adjoint with the other operands into that
# operand's letters.  A letter repeated in the operand (a diagonal, 'ii->i') becomes new
# letters tied to it by np.eye; a letter that only that operand has (summed over, 'ij->i')
# is spread back by np.ones.

def _letters(spec):
    used = set(spec)
    return iter([c for c in string.ascii_letters if c not in used])


def explicit_einsum(spec, shapes):
    """``(inputs, output, sizes)``: each operand's letters, the output's, and each
    letter's length, for ``np.einsum(spec, *operands)`` with operands of ``shapes``.
    >>> explicit_einsum('ij,jk', [(2, 3), (3, 4)])[:2]
    ([['i', 'j'], ['j', 'k']], ['i', 'k'])
    >>> explicit_einsum('...i,i', [(2, 5, 3), (3,)])[:2]
    ([['a', 'b', 'i'], ['i']], ['a', 'b'])
    >>> explicit_einsum('ii', [(3, 3)])[:2]
    ([['i', 'i']], [])
    """
    spec = spec.replace(" ", "")
    fresh = _letters(spec)
    ins, _, out = spec.partition("->")
    explicit_out = "->" in spec
    subs = ins.split(",")
    if len(subs) != len(shapes):
        raise ValueError(f"{len(subs)} operands in {spec!r}, {len(shapes)} given")
    ranks = [len(s) - (len(sub) - 3 if "..." in sub else len(sub)) for sub, s in
             zip(subs, shapes)]
    ellipsis = [next(fresh) for _ in range(max([r for r, sub in zip(ranks, subs)
                                                if "..." in sub], default=0))]
    inputs = []
    for sub, rank in zip(subs, ranks):
        head, dots, tail = sub.partition("...")
        inputs.append(list(head) + (ellipsis[len(ellipsis) - rank:] if dots else []) + list(tail))
    if explicit_out:
        head, dots, tail = out.partition("...")
        output = list(head) + (ellipsis if dots else []) + list(tail)
    else:
        counts = {}
        for labels in inputs:
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        output = ellipsis + sorted(k for k, n in counts.items() if n == 1 and k not in ellipsis)
    sizes = {}
    for labels, shape in zip(inputs, shapes):
        for label, n in zip(labels, shape):
            sizes[label] = max(sizes.get(label, 1), n)
    for labels, shape in zip(inputs, shapes):     # broadcast axes: a letter of their own
        for i, (label, n) in enumerate(zip(labels, shape)):
            if n == 1 and sizes[label] > 1:
                labels[i] = next(fresh)
                sizes[labels[i]] = 1
    return inputs, output, sizes


def _einsum_operands(c):
    node = c.bound["operands"]
    nodes = node.elts if isinstance(node, ast.Tuple) and len(c.step.value.args) > 2 else [node]
    return nodes


def _operand(c, node):
    expr = Expr(copy.deepcopy(node))
    return c.np.asarray(expr) if is_display(node) else expr


def _einsum_back(c):
    spec = c.static("subscripts")
    if not isinstance(spec, str):
        c.refuse("np.einsum with operands in the interleaved form", "Write the subscripts "
                 "as a string: np.einsum('ij,jk->ik', a, b).")
    nodes = _einsum_operands(c)
    shapes = [tuple(c.kind_of(n).shape) for n in nodes]
    inputs, output, sizes = explicit_einsum(spec, shapes)
    used = set("".join("".join(labels) for labels in inputs) + "".join(output))
    fresh = iter([x for x in string.ascii_letters if x not in used])
    pieces = []
    for k, node in enumerate(nodes):
        subs, operands = ["".join(output)], [c.g]
        for j, other in enumerate(nodes):
            if j != k:
                subs.append("".join(inputs[j]))
                operands.append(_operand(c, other))
        target, seen = [], set()
        for label in inputs[k]:
            if label in seen:                          # a diagonal: tied by np.eye
                new = next(fresh)
                subs.append(label + new)
                operands.append(c.np.eye(_constant(sizes[label])))
                label = new
            seen.add(label)
            target.append(label)
        present = set("".join(subs))
        for label in target:
            if label not in present:                   # summed by this operand alone
                subs.append(label)
                operands.append(c.np.ones(_constant(sizes[label])))
                present.add(label)
        keywords = {"optimize": _constant(True)} if len(operands) > 2 else {}
        pieces.append(c.np.einsum(_constant(",".join(subs) + "->" + "".join(target)),
                                  *operands, **keywords))
    return pieces if len(nodes) > 1 else pieces[0]


def _einsum_jvp(t):
    """The sum over operands of the einsum with that one operand replaced by its tangent
    (einsum is linear in each operand alone; an operand passed twice counts twice)."""
    node = t.bound["operands"]
    atoms = node.elts if isinstance(node, ast.Tuple) and len(t.step.value.args) > 2 else [node]
    terms = []
    for atom in atoms:
        for _, leaf in leaves(atom):
            tangent = t.tangent_of(leaf)
            if tangent is not None:
                terms.append(t._replaced({id(leaf): tangent}))
    total = terms[0]
    for term in terms[1:]:
        total = ast.BinOp(total, ast.Add(), term)
    return total


defvjp(Function(np.einsum), lambda subscripts, *operands, out=None, optimize=False: None,
       operands=_einsum_back, jvp=_einsum_jvp,
       sample=Sample("ij,jk->ik", Array((2, 3)), Array((3, 4))))


# --- diagonals and triangles ------------------------------------------------------------

def _diagonal_back(c, offset, axis1, axis2):
    """The adjoint of ``np.diagonal(a, offset, axis1, axis2)``: ``g`` (whose last axis is
    the diagonal) times ``np.eye(m, n, offset)``, padded to the rows (offset >= 0) or the
    columns it runs along, and the two axes moved back."""
    shape = tuple(c.shape("a"))
    nd = len(shape)
    axis1, axis2 = axis1 % nd, axis2 % nd
    m, n = shape[axis1], shape[axis2]
    length = c.out_shape[-1]
    g = c.g
    along = m if offset >= 0 else n
    if length < along:
        widths = tuple((0, 0) for _ in c.out_shape[:-1]) + ((0, along - length),)
        g = c.np.pad(g, _constant(widths))
    index = (Ellipsis, slice(None), None) if offset >= 0 else (Ellipsis, None, slice(None))
    spread = Expr(ast.Subscript(g.node, _index_node(index), ast.Load()))
    value = c.np.eye(_constant(m), _constant(n), _constant(offset)) * spread
    if (axis1, axis2) == (nd - 2, nd - 1):
        return value
    return c.np.moveaxis(value, _constant((-2, -1)), _constant((axis1, axis2)))


def _method(value, name, *args, **keywords):
    """``value.name(*args, **keywords)``."""
    return Expr(ast.Call(ast.Attribute(value.node, name, ast.Load()), [a.node for a in args],
                         [ast.keyword(k, v.node) for k, v in keywords.items()]))


def _index_node(index):
    def one(i):
        if i is Ellipsis:
            return ast.Constant(Ellipsis)
        if i is None:
            return ast.Constant(None)
        return ast.Slice()
    return ast.Tuple([one(i) for i in index], ast.Load())


def _diag_back(c):
    k = c.static("k", 0)
    if c.ndim("v") == 1:
        return c.np.diag(c.g, **({"k": _constant(k)} if k else {}))
    if c.ndim("v") != 2:
        c.refuse("np.diag of an array with more than 2 dimensions", "Use np.diagonal.")
    return _diagonal_back(_Renamed(c, "v"), k, 0, 1)


class _Renamed:
    """A RuleContext whose operand ``name`` is read as ``a``."""

    def __init__(self, c, name):
        self._c, self._name = c, name

    def shape(self, name):
        return self._c.shape(self._name if name == "a" else name)

    def __getattr__(self, attribute):
        return getattr(self._c, attribute)


defvjp(Function(np.diag), lambda v, k=0: None, v=_diag_back,
       sample=Sample(Array((3, 4)), k=1))
_DIAGONAL = lambda a, offset=0, axis1=0, axis2=1: None  # noqa: E731
_DIAGONAL_BACK = dict(a=lambda c: _diagonal_back(c, c.static("offset", 0), c.static("axis1", 0),
                                                 c.static("axis2", 1)))
defvjp(Function(np.diagonal), _DIAGONAL, **_DIAGONAL_BACK,
       sample=Sample(Array((2, 4, 3)), -1, 2, 1))
defvjp(Method("diagonal"), _DIAGONAL, **_DIAGONAL_BACK, sample=Sample(Array((3, 4)), 1))
defvjp(Method("trace"), lambda a, offset=0: None, a=_trace_back,
       sample=Sample(Array((3, 4)), -1))
def _triangle_back(c, f):
    """``np.triu(g, k)``; a vector ``m`` was broadcast to the rows of a square matrix
    first (as NumPy does): its adjoint sums those rows."""
    back = getattr(c.np, f.__name__)(c.g, **c.statics("k"))
    return c.np.sum(back, axis=Expr(ast.Constant(0))) if c.ndim("m") == 1 else back


for _f, _sample in ((np.tril, Sample(Array((3, 4)), -1)), (np.triu, Sample(Array((2, 3, 3)), k=1))):
    defvjp(Function(_f), lambda m, k=0: None, m=lambda c, f=_f: _triangle_back(c, f),
           sample=_sample)


# --- reorderings and padding -------------------------------------------------------------

def _rot90_back(c):
    k = c.static("k", 1)
    keywords = {"axes": _constant(tuple(c.static("axes")))} if "axes" in c.bound else {}
    return c.np.rot90(c.g, _constant(-k), **keywords)


defvjp(Function(np.rot90), lambda m, k=1, axes=(0, 1): None, m=_rot90_back,
       sample=Sample(Array((2, 3, 4)), 3, axes=(2, 0)))


def _rollaxis_back(c):
    nd = c.ndim("a")
    order = list(range(nd))
    axis, start = c.static("axis") % nd, c.static("start", 0)
    start = start % (nd + 1) if start < 0 else start
    moved = order.pop(axis)
    order.insert(start - 1 if start > axis else start, moved)   # np.rollaxis's own rule
    inverse = tuple(int(i) for i in np.argsort(order))
    if inverse == tuple(range(nd)):
        return c.g
    return c.np.transpose(c.g, _constant(inverse))


defvjp(Function(np.rollaxis), lambda a, axis, start=0: None, a=_rollaxis_back,
       sample=Sample(Array((2, 3, 4)), 2, 1))

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad_back(c):
    """constant: the adjoint of the original entries, a slice of ``g``; edge, reflect,
    symmetric and wrap copy entries: each copy's adjoint summed back into its entry by
    ``np.bincount`` over the padded array of entry numbers."""
    mode = c.static("mode", "constant")
    if mode not in _PAD_MODES:
        c.refuse(f"np.pad with mode={mode!r}", f"Use one of the modes {', '.join(_PAD_MODES)}.")
    if c.static("reflect_type", "even") != "even":    # 2 * edge - mirrored: not a copy
        c.refuse("np.pad with reflect_type='odd'", "Pad with reflect_type='even' (the "
                 "default); forward mode (jvp, jacfwd) differentiates the odd reflection.")
    shape = tuple(c.shape("array"))
    widths = np.broadcast_to(np.asarray(c.static("pad_width"), dtype=int), (len(shape), 2))
    if mode == "constant":
        parts = [ast.Slice(ast.Constant(int(before)), ast.Constant(int(before) + n))
                 for (before, _), n in zip(widths, shape)]
        index = parts[0] if len(parts) == 1 else ast.Tuple(parts, ast.Load())
        return Expr(ast.Subscript(c.g.node, index, ast.Load()))
    size = int(np.prod(shape))
    numbers = c.np.pad(_method(c.np.arange(_constant(size)), "reshape", _constant(shape)),
                       _constant(tuple(tuple(int(w) for w in pair) for pair in widths)),
                       mode=_constant(mode))
    counted = c.np.bincount(_method(numbers, "ravel"), weights=_method(c.g, "ravel"),
                            minlength=_constant(size))
    return _method(counted, "reshape", _constant(shape))


def _pad_jvp(t):
    """The tangent padded the same way (the modes s2sdiff differentiates are linear), with
    zeros where the padding is a constant."""
    mode = t.bound.get("mode")
    if mode is not None and not (isinstance(mode, ast.Constant) and mode.value in _PAD_MODES):
        t.refuse(f"np.pad with mode={ast.unparse(mode)}",
                 f"Use one of the modes {', '.join(_PAD_MODES)}, written as a literal.")
    _, tangent = t._whole("array")
    keywords = {k: Expr(copy.deepcopy(t.bound[k])) for k in ("pad_width", "mode", "reflect_type")
                if k in t.bound}
    pad_width = keywords.pop("pad_width")
    return t.np.pad(Expr(tangent), pad_width, **keywords).node


defvjp(Function(np.pad), lambda array, pad_width, mode="constant", constant_values=0,
       reflect_type="even": None,
       array=_pad_back, jvp=_pad_jvp, sample=Sample(Array((2, 3)), ((1, 0), (2, 1)),
                                                     constant_values=0.5))


# --- joining, choosing ------------------------------------------------------------------

def _append_back(operand):
    def vjp(c):
        axis = c.static("axis")
        own = tuple(c.shape("arr"))
        if axis is None:
            size = int(np.prod(own))
            flat = c.np.ravel(c.g)
            part = slice(0, size) if operand == "arr" else slice(size, None)
            piece = Expr(ast.Subscript(flat.node, _slice_node(part), ast.Load()))
            return c.reshaped(piece, operand)
        axis %= len(c.out_shape)
        cut = own[axis]
        part = slice(0, cut) if operand == "arr" else slice(cut, None)
        index = ast.Tuple([ast.Slice() for _ in range(axis)] + [_slice_node(part)], ast.Load())
        return Expr(ast.Subscript(c.g.node, index, ast.Load()))
    return vjp


def _slice_node(s):
    return ast.Slice(None if s.start is None else ast.Constant(s.start),
                     None if s.stop is None else ast.Constant(s.stop))


defvjp(Function(np.append), lambda arr, values, axis=None: None,
       arr=_append_back("arr"), values=_append_back("values"),
       sample=Sample(Array((2, 3)), Array((2, 2)), axis=1))


def _chosen(c, name, function, chosen, **keywords):
    """One piece per entry of the display ``name``: ``function`` with ``g`` in that entry's
    place and 0.0 in the others' (so the first true condition, or the index, picks it as
    the forward did), summed to the entry's shape."""
    node = c.bound[name]
    if not is_display(node):
        c.refuse_sequence(node)
    pieces = []
    for i, element in enumerate(node.elts):
        entries = [c.g if j == i else _constant(0.0) for j in range(len(node.elts))]
        value = function(chosen, ast.List([e.node for e in entries], ast.Load()), keywords)
        pieces.append(_summed_to(c, value, element))
    return pieces


def _summed_to(c, value, element):
    shape = tuple(c.kind_of(element).shape)
    node, shape_after = c.backprop.sum_to(value.node, c.out_shape, shape)
    return Expr(node)


def _select_call(c):
    def call(conditions, choices, keywords):
        return c.np.select(conditions, Expr(choices), **keywords)
    return call


def _select_back(c):
    conditions = Expr(copy.deepcopy(c.bound["condlist"]))
    return _chosen(c, "choicelist", _select_call(c), conditions)


def _select_default_back(c):
    conditions = Expr(copy.deepcopy(c.bound["condlist"]))
    count = len(c.bound["condlist"].elts) if is_display(c.bound["condlist"]) else \
        c.shape("condlist")[0]
    value = c.np.select(conditions, Expr(ast.List([ast.Constant(0.0)] * count, ast.Load())),
                        c.g)
    return _summed_to(c, value, c.bound["default"])


defvjp(Function(np.select), lambda condlist, choicelist, default=0: None,
       choicelist=_select_back, default=_select_default_back,
       sample=Sample([Array((2, 3), bool), Array((3,), bool)], [Array((2, 3)), Array((3,))],
                     Array((2, 1))))


def _choose_back(c):
    index = Expr(copy.deepcopy(c.bound["a"]))
    keywords = {"mode": _constant(c.static("mode"))} if "mode" in c.bound else {}

    def call(a, choices, keywords):
        return c.np.choose(a, Expr(choices), **keywords)
    return _chosen(c, "choices", call, index, **keywords)


defvjp(Function(np.choose), lambda a, choices, out=None, mode="raise": None,
       choices=_choose_back, sample=Sample([[0, 2, 1], [1, 1, 0]],
                                           [Array((3,)), Array((2, 3)), Array((2, 1))]))


# --- partial sorts and gathers along an axis ---------------------------------------------

def _partition_back(c):
    """The adjoint of each position goes back to the entry partitioned there: ``g``
    gathered by the inverse of ``np.argpartition``'s permutation (the one np.partition
    applies)."""
    kth = Expr(copy.deepcopy(c.bound["kth"]))
    if "axis" in c.bound and c.static("axis") is None:
        order = c.np.argpartition(c.np.ravel(c.arg("a")), kth)
        return c.reshaped(Expr(ast.Subscript(c.g.node, c.np.argsort(order).node, ast.Load())),
                          "a")
    axis = _constant(c.static("axis", -1))
    order = c.np.argpartition(c.arg("a"), kth, axis=axis)
    return c.np.take_along_axis(c.g, c.np.argsort(order, axis=axis), axis=axis)


def _partition_jvp(t):
    a, tangent = t._whole("a")
    kth = Expr(copy.deepcopy(t.bound["kth"]))
    axis = t.bound.get("axis", ast.Constant(-1))
    if isinstance(axis, ast.Constant) and axis.value is None:
        order = t.np.argpartition(t.np.ravel(Expr(copy.deepcopy(a))), kth)
        return ast.Subscript(t.np.ravel(Expr(tangent)).node, order.node, ast.Load())
    order = t.np.argpartition(Expr(copy.deepcopy(a)), kth, axis=Expr(copy.deepcopy(axis)))
    return t.np.take_along_axis(Expr(tangent), order, axis=Expr(copy.deepcopy(axis))).node


defvjp(Function(np.partition), lambda a, kth, axis=-1, kind="introselect", order=None: None,
       a=_partition_back, jvp=_partition_jvp, sample=Sample(Array((3, 5)), 2, axis=1))


def _take_along_axis_back(c):
    """``np.add.at`` into the entries gathered: along ``axis`` by ``indices``, along the
    others by ``np.arange`` shaped to broadcast against it."""
    indices = copy.deepcopy(c.bound["indices"])
    axis = c.static("axis", -1)
    shape = tuple(c.shape("a"))
    if axis is None:
        return c.scatter_back(c.np.unravel_index(Expr(indices), _constant(shape)).node)
    axis %= len(shape)
    index = []
    for j, n in enumerate(shape):
        if j == axis:
            index.append(indices)
        else:
            along = tuple(n if i == j else 1 for i in range(len(shape)))
            index.append(_method(c.np.arange(_constant(n)), "reshape", _constant(along)).node)
    return c.scatter_back(ast.Tuple(index, ast.Load()))


defvjp(Function(np.take_along_axis), lambda a, indices, axis=-1: None, a=_take_along_axis_back,
       sample=Sample(Array((3, 4)), Array((3, 2), int), axis=1))
defvjp(Method("take"), lambda a, indices, axis=None: None, a=_take_back,
       sample=Sample(Array((4,)), [3, 3, 0]))


# --- methods ------------------------------------------------------------------------------

# .astype to a float dtype is the identity (the gradient gets the argument's dtype back at
# the end); to an integer or bool dtype its result is a constant (kinds.py), to a complex
# one it is refused (kinds.py).
defvjp(Method("astype"), lambda a, dtype, order="K", casting="unsafe", subok=True, copy=True: None,
       a=lambda c: c.g, sample=Sample(Array((2, 3)), "float64"))


def _item_back(c):
    if not c.kind("a").array:
        return c.g
    shape = tuple(c.shape("a"))
    where = c.static("args") if "args" in c.bound else None
    if where is None:
        position = (0,) * len(shape)
    elif isinstance(where, tuple):
        position = where if len(where) == len(shape) else np.unravel_index(where[0], shape)
    else:
        position = np.unravel_index(where, shape)
    index = ast.Tuple([ast.Constant(int(i)) for i in position], ast.Load()) if position \
        else ast.Tuple([], ast.Load())
    return c.scatter_back(index)


defvjp(Method("item"), lambda a, *args: None, a=_item_back, sample=Sample(Array((2, 3)), 4))
