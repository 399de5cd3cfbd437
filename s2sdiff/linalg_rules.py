"""Rows of the rule table for ``np.linalg``, registered when this module is imported
(``normalize/entries.py`` does, so the package does).

``inv``, ``pinv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh``, ``eigvalsh``,
``svd`` (``compute_uv=False`` too), ``qr``, ``matrix_power`` and ``norm`` with every
``ord`` NumPy takes, over stacks of matrices where NumPy takes them, in both modes from
one row each.  A tuple-valued function (``slogdet``, ``eigh``, ``svd``, ``qr``) has one
``rules.Entry`` row per entry of its tuple, found by ``normalize/entries.py`` however the
user reads it (``w, v = np.linalg.eigh(a)``, ``res[1]``, ``res.eigenvalues``); slogdet's
sign is a constant.

``inv``, ``det``, ``slogdet`` and ``solve`` write their derivatives with NumPy calls that
have rows themselves (``np.linalg.inv``, ``@``, ``np.swapaxes``), so generated gradients
can be differentiated again (``hessian``); the decompositions call the products of
``linalg_runtime.py``.  What is not exact is refused when the derivative is generated:
``svd`` and ``qr`` vectors of non-square matrices with ``full_matrices=True`` or
``mode="complete"``, ``qr`` of a wide matrix, ``pinv(hermitian=True)``,
``svd(hermitian=True)``, ``np.linalg.eig``/``eigvals`` (non-symmetric matrices; use
``eigh``).  Repeated eigenvalues or singular values make eigenvector and singular-vector
derivatives infinite or NaN, as in JAX: the functions are not differentiable there.
"""

import ast
import copy

import numpy as np

from . import linalg_runtime as runtime
from .build import Expr, as_node
from .errors import UnsupportedError
from .listing import Line, assign
from .rules import (TUPLE_FIELDS, Array, Entry, Function, Sample, defvjp, lookup,
                    nondifferentiable)

linalg = np.linalg


class _Fields(tuple):
    """The entries' names; ``one_array(call)``: the call returns one array instead."""
    one_array = None


class _Row:
    """What a row's derivative reads, in either mode: ``RuleContext`` (reverse, ``c``) or
    ``RowTangents`` (forward, ``t``)."""

    def __init__(self, context):
        self.context = context
        self.reverse = hasattr(context, "backprop")
        self.modules = context.backprop.modules if self.reverse else context.modules
        self.kinds = context.backprop.kinds if self.reverse else context.kinds
        self.program = self.modules.program
        self.step, self.bound = context.step, context.bound
        self.ns = context.np.ns if self.reverse else context.np

    @property
    def g(self):
        return self.context.g

    @property
    def out(self):
        return Expr.name(self.step.target)

    def shape(self, name):
        return tuple(self.context.shape(name))

    def ndim(self, name):
        return len(self.shape(name))

    def arg(self, name):
        """The argument; a list display (``np.linalg.norm([x, y])``) as the array NumPy
        makes of it."""
        if self.reverse:
            return self.context.arg(name)
        node = copy.deepcopy(self.bound[name])
        return self.np("asarray", Expr(node)) if _is_display(node) else Expr(node)

    def tangent(self, name):
        """The operand's tangent (forward mode), or None for a constant."""
        if _is_display(self.bound[name]):
            return Expr(self.context._whole(name)[1])
        node = self.context.tangent_of(self.bound[name])
        return None if node is None else Expr(node)

    def static(self, name, default=None):
        node = self.bound.get(name)
        if node is None:
            return default
        try:
            return ast.literal_eval(node)
        except ValueError:
            pass
        value = _free_value(self.program, node)
        if value is not _MISSING:
            return value
        kind = self.kinds.get(_atom_key(node))
        if kind is not None and kind.value is not None:
            return kind.value
        bound = bound_constant(self.program, self.kinds, node)
        if bound is not None:                   # -np.inf, float("inf"): bound to a temporary
            return bound
        self.refuse(f"{self.step.rule.name} with a `{name}` that is not a constant",
                    f"Write `{name}` as a literal.")

    def refuse(self, what, hint):
        program = self.program
        raise program.parsed.error(ast.Expr(self.step.value, lineno=self.step.lineno),
                                   f"s2sdiff cannot differentiate {program.name}: {what}",
                                   construct=self.step.rule.name, hint=hint,
                                   cls=UnsupportedError)

    def np(self, dotted, *args, **keywords):
        """``np.<dotted>(*args, **keywords)`` with the alias the generated code uses."""
        self.ns.used = True
        func = ast.Name(self.ns.alias, ast.Load())
        for part in dotted.split("."):
            func = ast.Attribute(func, part, ast.Load())
        return Expr(ast.Call(func, [as_node(a) for a in args],
                             [ast.keyword(k, as_node(v)) for k, v in keywords.items()]))

    def helper(self, function, *args, **keywords):
        """A call of a function of ``linalg_runtime``."""
        name = self.modules.helper(function)
        return Expr(ast.Call(ast.Name(name, ast.Load()), [as_node(a) for a in args],
                             [ast.keyword(k, as_node(v)) for k, v in keywords.items()]))

    def passed(self, *names):
        """The keyword arguments of ``names`` the call passes, as written."""
        return {n: Expr(copy.deepcopy(self.bound[n])) for n in names if n in self.bound}

    def piece(self, index):
        """Entry ``index`` of the tuple an ``Entry`` step reads (``res[1]``)."""
        tuple_name = self.step.value.value.id
        return Expr(ast.Subscript(ast.Name(tuple_name, ast.Load()), ast.Constant(index),
                                  ast.Load()))

    def mT(self, x, ndim):
        """The matrix transpose: ``x.T`` of a matrix, ``np.swapaxes(x, -1, -2)`` of a stack."""
        return x.T if ndim == 2 else self.np("swapaxes", x, -1, -2)

    @staticmethod
    def index(x, *items):
        """``x[items]``: ``...`` for Ellipsis, ``None`` for a new axis, ``:``, ints."""
        nodes = [ast.Slice() if i == slice(None) else ast.Constant(i) for i in items]
        index = nodes[0] if len(nodes) == 1 else ast.Tuple(nodes, ast.Load())
        return Expr(ast.Subscript(as_node(x), index, ast.Load()))


_MISSING = object()


def _is_display(node):
    return isinstance(node, (ast.List, ast.Tuple))


def bound_constant(program, kinds, node):
    """The value of ``node``, a name bound once to a number (``float("inf")``) or to
    ``-c`` with ``c`` a literal or a number the kinds know (``-np.inf``), which the
    normalizer binds to temporaries; else None."""
    if not isinstance(node, ast.Name):
        return None
    steps = [s for s in program.steps if s.target == node.id]
    value = steps[0].value if len(steps) == 1 else None
    if isinstance(value, ast.Constant) and type(value.value) in (int, float):
        return value.value
    if not (isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)):
        return None
    operand = value.operand
    kind = kinds.get(_atom_key(operand))
    known = operand.value if isinstance(operand, ast.Constant) else \
        kind.value if kind is not None else None
    if known is None:
        found = _free_value(program, operand)
        known = None if found is _MISSING else found
    return -known if type(known) in (int, float) else None


def _atom_key(node):
    """An atom's key in the kinds (``ir.atom_key``, not imported: ``ir`` imports the
    rule table): its name, or a free dotted name's text."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _atom_key(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _free_value(program, node):
    """The value of a free name or dotted name (``np.inf``, a closure's ``order``), or
    ``_MISSING``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in program.params:
        return _MISSING
    value = program.parsed.lookup(node.id, _MISSING)
    for part in reversed(parts):
        value = getattr(value, part, _MISSING)
    return value if value is None or isinstance(value, (int, float, str, tuple)) else _MISSING


def _row(key, signature, sample, jvp, **vjps):
    """``defvjp`` with derivatives written against ``_Row`` in both modes."""
    defvjp(key, signature, sample=sample,
           jvp=lambda t: as_node(jvp(_Row(t))),
           **{name: (lambda c, f=f: f(_Row(c))) for name, f in vjps.items()})


# --- inv, det, slogdet, solve: derivatives that are NumPy code with rows of their own -------

def _inv_vjp(r):
    out_t = r.mT(r.out, r.ndim("a"))
    return -(out_t @ (r.g @ out_t))


def _inv_jvp(r):
    return -(r.out @ (r.tangent("a") @ r.out))


def _inverse_transposed(r):
    return r.mT(r.np("linalg.inv", r.arg("a")), r.ndim("a"))


def _scalar_times_matrix(r, scale):
    return scale * _inverse_transposed(r) if r.ndim("a") == 2 else \
        r.index(scale, Ellipsis, None, None) * _inverse_transposed(r)


def _trace_of_solve(r):
    """``tr(a^-1 da)``, the tangent of log |det a|."""
    solved = r.np("linalg.solve", r.arg("a"), r.tangent("a"))
    if r.ndim("a") == 2:
        return r.np("trace", solved)
    return r.np("trace", solved, axis1=-2, axis2=-1)


_row(Function(linalg.inv), lambda a: None, Sample(Array((3, 3))), _inv_jvp, a=_inv_vjp)
_row(Function(linalg.det), lambda a: None, Sample(Array((2, 3, 3))),
     lambda r: r.out * _trace_of_solve(r),
     a=lambda r: _scalar_times_matrix(r, r.g * r.out))
TUPLE_FIELDS[linalg.slogdet] = _Fields(("sign", "logabsdet"))
nondifferentiable(Entry(linalg.slogdet, 0))
_row(Entry(linalg.slogdet, 1), lambda a: None, Sample(Array((3, 3))), _trace_of_solve,
     a=lambda r: _scalar_times_matrix(r, r.g))


def _solve_vectors(r):
    """Whether ``b`` is a vector (NumPy 2: only when ``b.ndim == 1``)."""
    return r.ndim("b") == 1


def _solved_adjoint(r):
    """``solve(a^T, g)``, the adjoint of ``b`` before its broadcast axes are summed; one
    line both operands' adjoints read."""
    cached = getattr(r.context, "solved_adjoint", None)
    if cached is not None:
        return cached
    a_t = r.mT(r.arg("a"), r.ndim("a"))
    if _solve_vectors(r) and r.ndim("a") > 2:
        value = r.index(r.np("linalg.solve", a_t, r.index(r.g, Ellipsis, None)), Ellipsis, 0)
    else:
        value = r.np("linalg.solve", a_t, r.g)
    name = r.program.namer.fresh(f"{r.context.d_target}_solved")
    r.context.lines.append(Line(assign(name, value.node), r.step.number))
    r.context.solved_adjoint = Expr.name(name)
    return r.context.solved_adjoint


def _solve_vjp_b(r):
    return r.context.sum_to(_solved_adjoint(r), r.context.out_shape, "b")


def _solve_vjp_a(r):
    solved, x, nd = _solved_adjoint(r), r.out, r.ndim("a")
    if _solve_vectors(r):
        value = -r.np("outer", solved, x) if nd == 2 and len(r.context.out_shape) == 1 else \
            -(r.index(solved, Ellipsis, slice(None), None)
              * r.index(x, Ellipsis, None, slice(None)))
        shape = r.context.out_shape + r.shape("a")[-1:]
    else:
        value = -(solved @ r.mT(x, len(r.context.out_shape)))
        shape = r.context.out_shape[:-1] + r.shape("a")[-1:]
    return r.context.sum_to(value, shape, "a")


def _solve_jvp(r):
    da, db, x, a = r.tangent("a"), r.tangent("b"), r.out, r.arg("a")
    batched_vector = _solve_vectors(r) and len(r.kinds[r.step.target].shape) > 1
    rhs = db
    if da is not None:
        moved = r.index(da @ r.index(x, Ellipsis, None), Ellipsis, 0) if batched_vector \
            else da @ x
        rhs = -moved if rhs is None else rhs - moved
    if batched_vector:
        return r.index(r.np("linalg.solve", a, r.index(rhs, Ellipsis, None)), Ellipsis, 0)
    return r.np("linalg.solve", a, rhs)


_row(Function(linalg.solve), lambda a, b: None, Sample(Array((2, 3, 3)), Array((3, 2))),
     _solve_jvp, a=_solve_vjp_a, b=_solve_vjp_b)


# --- the decompositions and the rest: linalg_runtime.py -----------------------------------

def _pinv_checked(r):
    if r.static("hermitian", False):
        r.refuse("np.linalg.pinv with hermitian=True (it reads one triangle of a)",
                 "Call np.linalg.pinv(a) without hermitian=True.")
    return r


_row(Function(linalg.pinv), lambda a, rcond=None, hermitian=False, *, rtol=None: None,
     Sample(Array((3, 4))),
     lambda r: _pinv_checked(r).helper(runtime.pinv_jvp, r.arg("a"), r.out, r.tangent("a")),
     a=lambda r: _pinv_checked(r).helper(runtime.pinv_vjp, r.arg("a"), r.out, r.g))


def _upper(r):
    return {"upper": Expr(ast.Constant(True))} if r.static("upper", False) else {}


_row(Function(linalg.cholesky), lambda a, /, *, upper=False: None,
     Sample(Array((2, 3, 3), draw="positive definite")),
     lambda r: r.helper(runtime.cholesky_jvp, r.out, r.tangent("a"), **_upper(r)),
     a=lambda r: r.helper(runtime.cholesky_vjp, r.out, r.g, **_upper(r)))


def _matrix_power_n(r):
    n = r.static("n")
    if type(n) is not int:
        r.refuse(f"np.linalg.matrix_power with n={n!r}", "Pass an integer power.")
    return Expr(ast.Constant(n))


_row(Function(linalg.matrix_power), lambda a, n: None, Sample(Array((3, 3)), 3),
     lambda r: r.helper(runtime.matrix_power_jvp, r.arg("a"), _matrix_power_n(r),
                        r.tangent("a")),
     a=lambda r: r.helper(runtime.matrix_power_vjp, r.arg("a"), _matrix_power_n(r), r.g))

# eigh and eigvalsh read the lower triangle (UPLO="L") or the upper one.
TUPLE_FIELDS[linalg.eigh] = _Fields(("eigenvalues", "eigenvectors"))
_EIGH = lambda a, UPLO="L": None  # noqa: E731
for _index, _vjp, _jvp in ((0, runtime.eigenvalues_vjp, runtime.eigenvalues_jvp),
                           (1, runtime.eigenvectors_vjp, runtime.eigenvectors_jvp)):
    _row(Entry(linalg.eigh, _index), _EIGH, Sample(Array((2, 3, 3)) if _index else Array((3, 3))),
         lambda r, f=_jvp: r.helper(f, r.piece(0), r.piece(1), r.tangent("a"), *_uplo(r)),
         a=lambda r, f=_vjp: r.helper(f, r.piece(0), r.piece(1), r.g, *_uplo(r)))


def _uplo(r):
    return [r.arg("UPLO")] if "UPLO" in r.bound else []


_row(Function(linalg.eigvalsh), _EIGH, Sample(Array((3, 3)), "U"),
     lambda r: r.helper(runtime.eigvalsh_jvp, r.arg("a"), r.out, r.tangent("a"), *_uplo(r)),
     a=lambda r: r.helper(runtime.eigvalsh_vjp, r.arg("a"), r.out, r.g, *_uplo(r)))


# svd: u, s, vh (reduced with full_matrices=False); s alone with compute_uv=False.
def _svd_one_array(call):
    for keyword in call.keywords:
        if keyword.arg == "compute_uv":
            return isinstance(keyword.value, ast.Constant) and keyword.value.value is False
    return len(call.args) > 2 and isinstance(call.args[2], ast.Constant) \
        and call.args[2].value is False


TUPLE_FIELDS[linalg.svd] = _Fields(("U", "S", "Vh"))
TUPLE_FIELDS[linalg.svd].one_array = _svd_one_array
_SVD = lambda a, full_matrices=True, compute_uv=True, hermitian=False: None  # noqa: E731


def _svd_checked(r, vectors):
    if r.static("hermitian", False):
        r.refuse("np.linalg.svd with hermitian=True (it reads one triangle of a)",
                 "Call np.linalg.svd(a) without hermitian=True, or np.linalg.eigh.")
    rows, columns = r.shape("a")[-2:]
    if vectors and rows != columns and r.static("full_matrices", True):
        r.refuse("the singular vectors of a non-square matrix with full_matrices=True "
                 "(the extra columns are not determined by a)",
                 "Pass full_matrices=False.")
    return r


for _index, _vjp, _jvp, _shape in (
        (0, runtime.left_singular_vectors_vjp, runtime.left_singular_vectors_jvp, (4, 3)),
        (1, runtime.singular_values_vjp, runtime.singular_values_jvp, (2, 3, 4)),
        (2, runtime.right_singular_vectors_vjp, runtime.right_singular_vectors_jvp, (3, 4))):
    _row(Entry(linalg.svd, _index), _SVD,
         Sample(Array(_shape), full_matrices=False) if _index != 1 else Sample(Array(_shape)),
         lambda r, f=_jvp, i=_index: _svd_checked(r, i != 1).helper(
             f, r.piece(0), r.piece(1), r.piece(2), r.tangent("a")),
         a=lambda r, f=_vjp, i=_index: _svd_checked(r, i != 1).helper(
             f, r.piece(0), r.piece(1), r.piece(2), r.g))
_row(Function(linalg.svd), _SVD, Sample(Array((3, 2)), compute_uv=False),
     lambda r: _svd_checked(r, False).helper(runtime.svd_values_jvp, r.arg("a"), r.out,
                                             r.tangent("a")),
     a=lambda r: _svd_checked(r, False).helper(runtime.svd_values_vjp, r.arg("a"), r.out, r.g))


# qr: q, r of a tall or square matrix (mode="reduced").
TUPLE_FIELDS[linalg.qr] = _Fields(("Q", "R"))
TUPLE_FIELDS[linalg.qr].one_array = lambda call: any(
    k.arg == "mode" and isinstance(k.value, ast.Constant) and k.value.value == "r"
    for k in call.keywords) or (len(call.args) > 1 and isinstance(call.args[1], ast.Constant)
                                and call.args[1].value == "r")


def _qr_checked(r):
    mode = r.static("mode", "reduced")
    rows, columns = r.shape("a")[-2:]
    if mode not in ("reduced", "complete") or (mode == "complete" and rows != columns):
        r.refuse(f"np.linalg.qr with mode={mode!r}", "Use the default mode='reduced'.")
    if rows < columns:
        r.refuse(f"np.linalg.qr of a wide matrix ({rows} x {columns}: its q and r are not "
                 f"differentiable functions of a)",
                 "Factor the transpose, or a matrix with at least as many rows as columns.")
    return r


for _index, _vjp, _jvp, _shape in ((0, runtime.qr_q_vjp, runtime.qr_q_jvp, (4, 3)),
                                   (1, runtime.qr_r_vjp, runtime.qr_r_jvp, (2, 3, 3))):
    _row(Entry(linalg.qr, _index), lambda a, mode="reduced": None, Sample(Array(_shape)),
         lambda r, f=_jvp: _qr_checked(r).helper(f, r.piece(0), r.piece(1), r.tangent("a")),
         a=lambda r, f=_vjp: _qr_checked(r).helper(f, r.piece(0), r.piece(1), r.g))


# norm: the 2-norm and Frobenius norm as NumPy code (x * g / out, the reduced axes put
# back); every other ord by linalg_runtime.norm_vjp.
_VECTOR_ORDS = "any real number, np.inf or -np.inf"
_MATRIX_ORDS = (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)


def _norm_case(r):
    """``"two"`` for the 2-norm of entries (the default, ``'fro'``, ``ord=2`` of vectors),
    else ``"vector"`` or ``"matrix"``."""
    order, axis, nd = r.static("ord"), r.static("axis"), r.ndim("x")
    matrix = (isinstance(axis, tuple) and len(axis) == 2) or (axis is None and order is not None
                                                               and nd == 2)
    if order is None or order == "fro" or (order == 2 and not matrix):
        return "two"
    if matrix:
        if order not in _MATRIX_ORDS:
            r.refuse(f"np.linalg.norm of matrices with ord={order!r}",
                     "Use one of None, 'fro', 'nuc', np.inf, -np.inf, 1, -1, 2, -2.")
        return "matrix"
    if isinstance(order, str) or isinstance(order, bool):
        r.refuse(f"np.linalg.norm of vectors with ord={order!r}", f"Use {_VECTOR_ORDS}.")
    return "vector"


def _norm_axes(r):
    """The reduced axes as a constant (None: all), and ``keepdims``."""
    axis = r.static("axis")
    if isinstance(axis, (tuple, list)):
        axis = tuple(a % r.ndim("x") for a in axis)
    elif axis is not None:
        axis = axis % r.ndim("x")
    return axis, bool(r.static("keepdims", False))


def _norm_vjp(r):
    if _norm_case(r) == "two":                 # x * (g / out), the reduced axes put back
        axis, keepdims = _norm_axes(r)
        scale = r.g / r.out
        if axis is not None and not keepdims:
            scale = r.np("expand_dims", scale, Expr(ast.Constant(axis)))
        return r.arg("x") * scale
    return r.helper(runtime.norm_vjp, r.arg("x"), r.out, r.g, **_norm_options(r))


def _norm_options(r):
    axis, keepdims = _norm_axes(r)
    options = {"ord": Expr(copy.deepcopy(r.bound["ord"]))} if "ord" in r.bound else {}
    if axis is not None:
        options["axis"] = Expr(ast.Constant(axis))
    if keepdims:
        options["keepdims"] = Expr(ast.Constant(True))
    return options


def _norm_jvp(r):
    if _norm_case(r) == "two":                 # sum(x * dx) / out along the axes
        axis, keepdims = _norm_axes(r)
        options = {} if axis is None else {"axis": Expr(ast.Constant(axis))}
        if keepdims:
            options["keepdims"] = Expr(ast.Constant(True))
        return r.np("sum", r.arg("x") * r.tangent("x"), **options) / r.out
    return r.helper(runtime.norm_jvp, r.arg("x"), r.out, r.tangent("x"), **_norm_options(r))


_row(Function(linalg.norm), lambda x, ord=None, axis=None, keepdims=False: None,
     Sample(Array((3, 4)), axis=1), _norm_jvp, x=_norm_vjp)

assert lookup(Function(linalg.norm)) is not None


_GENERAL = ("np.linalg.{} of a general matrix (complex eigenvalues and eigenvectors; s2sdiff "
            "differentiates real functions) has no rule: for a symmetric matrix use "
            "np.linalg.{}, whose derivative is exact.")
_HINTS = {linalg.eig: _GENERAL.format("eig", "eigh"),
          linalg.eigvals: _GENERAL.format("eigvals", "eigvalsh")}
_SECOND = ("Second derivatives through np.linalg decompositions (cholesky, eigh, eigvalsh, "
           "svd, qr), pinv, matrix_power and norms other than the 2-norm are not supported; "
           "those through inv, det, slogdet and solve are.")


def hint_for(callee):
    """What to do instead of a call without a rule of ``np.linalg`` (activity.py), or None:
    ``eig`` of a general matrix, or a derivative of ``linalg_runtime`` differentiated again."""
    if getattr(callee, "__module__", None) == runtime.__name__:
        return _SECOND
    try:
        return _HINTS.get(callee)
    except TypeError:
        return None
