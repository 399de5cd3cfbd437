"""More rows of the rule table (with ``shape_rules.py``): the parts of ``np.split`` and its
kin, ``np.gradient`` along one axis, ``np.cross``, the piecewise-constant functions
autograd lists, and what s2sdiff leaves out on purpose with the reason it gives
(complex functions, a split's list of parts: ``no_rule_hint``, read by activity.py).

Importing this module registers these rows and ``shape_rules``'s (the normaliser imports
it, so the package does).
"""

import ast
import math

import numpy as np

from .build import Expr
from .listing import Line, assign
from .rules import RULES, Array, Function, Sample, _constant, defvjp, nondifferentiable
from . import grid_rules  # noqa: F401  (importing it registers its rows)
from .shape_rules import _slice_node

# --- the parts of np.split and its kin -----------------------------------------------------
# ``a, b = np.split(x, 2)`` is rewritten (normalize/comprehensions.py) into one step per part,
# ``a = np.split(x, 2)[0]``, whose row has the part's position as the keyword ``part``
# (array_context.bind): the part is a slice of ``x`` along the axis, so its adjoint is
# added into that slice (``dx[2:4] += db``); its tangent is the same part of the tangent.

def _split_axis(function):
    def axis(c):
        nd = c.ndim("ary")
        if function is np.hsplit:
            return 1 if nd > 1 else 0
        if function is np.vsplit:
            return 0
        if function is np.dsplit:
            return 2
        return c.static("axis", 0) % nd
    return axis


def split_bounds(length, sections, i):
    """``(start, stop)`` of part ``i`` of an axis of ``length`` split by ``sections`` (a
    number of parts or a list of cut points), as ``np.array_split`` cuts it.
    >>> [split_bounds(7, 3, i) for i in range(3)]
    [(0, 3), (3, 5), (5, 7)]
    >>> split_bounds(7, [2, 5], 2)
    (5, 7)
    """
    if isinstance(sections, (list, tuple)):
        points = [0] + list(sections) + [length]
    else:
        each, extra = divmod(length, sections)
        points = [0]
        for k in range(sections):
            points.append(points[-1] + each + (1 if k < extra else 0))
    return points[i], points[i + 1]


def _split_back(function):
    axis_of = _split_axis(function)

    def vjp(c):
        sections, part = c.static("indices_or_sections"), c.static("part")
        axis = axis_of(c)
        length = c.shape("ary")[axis]
        count = len(sections) + 1 if isinstance(sections, (list, tuple)) else sections
        start, stop = split_bounds(length, sections, part % count)
        start, stop = slice(start, stop).indices(length)[:2]
        index = [ast.Slice() for _ in range(axis)] + [_slice_node(slice(start, stop))]
        return c.scatter_back(index[0] if len(index) == 1 else ast.Tuple(index, ast.Load()),
                              operand="ary")
    return vjp


SPLITS = (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit)
# Calls whose result is a list of arrays, taken apart one step per part: ``a, b = f(...)``
# is ``a = f(...)[0]``, ``b = f(...)[1]`` (np.meshgrid's parts: grid_rules.py).
GRIDS = (np.meshgrid,)
PARTED = SPLITS + GRIDS
for _f, _sample in ((np.split, Sample(Array((4, 3)), 2, part=1)),
                    (np.array_split, Sample(Array((2, 5)), 3, axis=1, part=2)),
                    (np.hsplit, Sample(Array((2, 6)), [1, 4], part=1)),
                    (np.vsplit, Sample(Array((4, 2)), 2, part=0)),
                    (np.dsplit, Sample(Array((2, 1, 4)), [3], part=-1))):
    _signature = (lambda ary, indices_or_sections, axis=0, *, part: None) \
        if _f in (np.split, np.array_split) else \
        (lambda ary, indices_or_sections, *, part: None)
    defvjp(Function(_f), _signature, ary=_split_back(_f), sample=_sample)


# Piecewise-constant functions (integer or boolean results, as autograd lists them): their
# results are constants, as np.floor's are.
nondifferentiable(*(f for f in (
    np.floor_divide, np.fix, np.trunc, np.around, np.argpartition, np.argwhere,
    np.flatnonzero, np.count_nonzero, np.searchsorted, np.digitize, np.logical_xor,
    np.isneginf, np.isposinf, np.allclose, np.isclose, np.array_equal, np.array_equiv,
    np.greater_equal, np.less_equal, np.iscomplex, np.iscomplexobj, np.isreal,
    np.isscalar, np.result_type, np.signbit) if Function(f) not in RULES))


# --- what stays out, said clearly --------------------------------------------------------

_COMPLEX = ("s2sdiff differentiates real functions: complex numbers are not supported",
            "Keep the computation real (write |z|^2 as re^2 + im^2 of real arrays); of a "
            "real array, np.real is the array itself and np.imag is zero.")
NO_RULE_HINTS = {f: _COMPLEX for f in (np.real, np.imag, np.conj, np.angle, np.real_if_close)}
NO_RULE_HINTS.update({f: ("its result is a list of arrays",
                          f"Unpack the parts, `a, b = np.{f.__name__}(x, 2)`, or index the "
                          f"call, `np.{f.__name__}(x, 2)[0]`.") for f in SPLITS})
NO_RULE_HINTS[np.meshgrid] = ("its result is a list of arrays",
                              "Unpack the parts, `X, Y = np.meshgrid(x, y)`, or index the call, "
                              "`np.meshgrid(x, y)[0]`.")

# differentiated in code without NumPy only (sorting.py, extrema.py)
NO_RULE_HINTS[sorted] = (
    "sorted is differentiated in code without NumPy only (this function calls NumPy or "
    "indexes with slices)", "Use np.sort(x) of an array (np.sort(x)[::-1] for the reverse "
    "order), or sort a list of numbers in a function that indexes it with integers only.")
NO_RULE_HINTS[math.fsum] = (
    "math.fsum is differentiated in code without NumPy only (this function calls NumPy or "
    "indexes with slices)", "Use np.sum(x) of an array, or math.fsum of a list of numbers "
    "in a function without NumPy.")


def no_rule_hint(callee):
    """``(why, what to do)`` for a NumPy function s2sdiff leaves out on purpose, or None."""
    try:
        hint = NO_RULE_HINTS.get(callee)
    except TypeError:
        return None
    module = getattr(callee, "__module__", None) or ""
    if hint is None and module.startswith("numpy.fft"):
        return _COMPLEX[0] + " (np.fft)", _COMPLEX[1]
    return hint


# --- np.gradient -------------------------------------------------------------------------
# Linear along one axis: central differences inside, one-sided (edge_order 1 or 2) at the
# ends.  Its adjoint adds each output entry's adjoint, times its coefficients, into the
# entries it read: a few slice updates of a zero array (``dfx[2:] += dy[1:-1] / 2.0``).

def _gradient_back(c):
    shape = tuple(c.shape("f"))
    if c.out_shape is None or (len(shape) > 1 and "axis" not in c.bound):
        c.refuse("np.gradient of an array of several dimensions without an axis (a list "
                 "of arrays)", "Call it once per axis: np.gradient(f, axis=0).")
    axis = c.static("axis", 0)
    if not isinstance(axis, int):
        c.refuse("np.gradient with several axes (a list of arrays)",
                 "Call it once per axis: np.gradient(f, axis=0).")
    axis %= len(shape)
    spacing = c.static("varargs", 1.0) if "varargs" in c.bound else 1.0
    if isinstance(spacing, tuple) and len(spacing) == 1:
        spacing = spacing[0]
    if isinstance(spacing, bool) or not isinstance(spacing, (int, float)):
        c.refuse("np.gradient with coordinate arrays or several spacings",
                 "Pass one spacing as a number: np.gradient(f, 0.5, axis=0).")
    order = c.static("edge_order", 1)
    n, h = shape[axis], float(spacing)
    g = c.g
    name = c.backprop.program.namer.fresh(f"{c.d_target}_{c.bound['f'].id}"
                                          if isinstance(c.bound["f"], ast.Name) else "dgrad")

    def along(start, stop):
        index = [ast.Slice() for _ in range(axis)] + [_slice_node(slice(start, stop))]
        return index[0] if len(index) == 1 else ast.Tuple(index, ast.Load())

    def add(into, read, factor):
        value = ast.BinOp(ast.Subscript(g.node, along(*read), ast.Load()), ast.Mult(),
                          ast.Constant(factor))
        c.lines.append(Line(ast.AugAssign(ast.Subscript(ast.Name(name, ast.Load()),
                                                        along(*into), ast.Store()),
                                          ast.Add(), value), c.step.number))
    c.lines.append(Line(assign(name, c.np.zeros(_constant(shape)).node), c.step.number))
    if n > 2:
        add((2, n), (1, n - 1), 0.5 / h)
        add((0, n - 2), (1, n - 1), -0.5 / h)
    if order == 1:
        coefficients = (-1 / h, 1 / h, 0.0)
    else:
        coefficients = (-1.5 / h, 2 / h, -0.5 / h)
    for k, a in enumerate(coefficients):
        if a:
            add((k, k + 1), (0, 1), a)
            add((n - 1 - k, n - k), (n - 1, n), -a)
    return Expr.name(name)


defvjp(Function(np.gradient), lambda f, *varargs, axis=None, edge_order=1: None,
       f=_gradient_back, sample=Sample(Array((3, 5)), 0.5, axis=1, edge_order=2))


# np.cross of 3-vectors along ``axis`` (the last by default): <g, a x b> = <a, b x g>
# = <b, g x a>, summed over the axes broadcasting added.
def _cross(operand):
    def vjp(c):
        if any(k in c.bound for k in ("axisa", "axisb", "axisc")):
            c.refuse("np.cross with axisa, axisb or axisc", "Use axis=, or move the axes first.")
        axis = c.static("axis", -1)
        if c.shape("a")[axis] != 3 or c.shape("b")[axis] != 3:
            c.refuse("np.cross of 2-vectors", "Append a zero third entry to both vectors.")
        keywords = {"axis": _constant(axis)} if "axis" in c.bound else {}
        a, b = c.arg("a"), c.arg("b")
        value = c.np.cross(b, c.g, **keywords) if operand == "a" else \
            c.np.cross(c.g, a, **keywords)
        return c.sum_to(value, c.out_shape, operand)
    return vjp


defvjp(Function(np.cross), lambda a, b, axisa=-1, axisb=-1, axisc=-1, axis=None: None,
       a=_cross("a"), b=_cross("b"), jvp=lambda t: t.product_rule(),
       sample=Sample(Array((2, 3)), Array((3,))))
