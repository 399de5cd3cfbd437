"""What an array rule's vector-Jacobian product is written against.

``RuleContext`` is the ``c`` of ``rules.ArrayRule`` rows' vjps: the step's operands, their
kinds and shapes, the adjoint ``g`` of the output, and helpers that undo broadcasting
(``sum_to``), spread a reduction's adjoint back (``spread``, ``variance_back``), split a
join's adjoint into its pieces (``split_back``), and scatter an index (``scatter_back``,
``take_back``).
``ArrayNamespace`` is the ``m`` of the scalar rows over arrays (``m.cos`` is ``np.cos``);
both modes use ``array_namespace``, ``partial_arguments`` and ``partials_may_raise`` to
apply scalar rows elementwise.
"""

import ast
import copy
import inspect
import re

import numpy as np

from . import rules, runtime
from .build import Expr, Namespace, as_node, unparse
from .errors import UnsupportedError
from .ir import atom_key, is_display, read_names
from .kinds import node_kind
from .joins import JoinBacks, held_list
from .linalg_rules import bound_constant
from .listing import Line, assign


class ArrayNamespace:
    """The scalar rows' ``m`` over arrays: ``m.sign`` is ``np.sign``, ``m.where`` is
    ``np.where``; indicators are comparisons (a boolean array multiplies like 0/1)."""

    def __init__(self, recording):
        self.ns = recording

    @property
    def alias(self):
        return self.ns.alias

    def indicator(self, condition, nan=None):
        """The comparison, or with ``nan=v`` ``np.where(v == v, condition, v)``: a NaN
        maximum gives NaN partials, as the scalar rows do, not a silent 0."""
        if nan is None:
            return condition
        return self.ns.__getattr__("where")(Namespace.not_nan(nan), condition, nan)

    def tied_share(self, out, xs, i):
        """``Namespace.tied_share`` elementwise: ``np.where(out == out, np.where(x == y,
        0.5, x == out), out)`` for ``np.maximum(x, y)`` (the cheapest form measured)."""
        where = self.ns.__getattr__("where")
        x, others = xs[i], xs[:i] + xs[i + 1:]
        if len(others) == 1:
            share = where(Namespace.equal(x, others[0]), 0.5, Namespace.equal(x, out))
        else:
            share = Namespace.equal(x, out) / sum(Namespace.equal(v, out) for v in xs)
        return where(Namespace.not_nan(out), share, out)

    def is_zero(self, x):
        return Namespace.is_zero(x)

    def module(self, module):
        """The namespace of another module (``scipy.special``) for the same code."""
        return self.ns.module(module)

    def unless_zero(self, y, value):
        """``np.where(y != 0, value, 0.0)`` (a literal ``y`` decides at once, as for scalars):
        d(x ** 0)/dx is 0, where ``0 * x ** -1`` is NaN at x = 0."""
        node = as_node(y)
        if isinstance(node, ast.Constant) or (isinstance(node, ast.UnaryOp)
                                              and isinstance(node.operand, ast.Constant)):
            return Namespace.unless_zero(y, value)
        nonzero = Expr(ast.Compare(node, [ast.NotEq()], [ast.Constant(0)]))
        return self.ns.__getattr__("where")(nonzero, value, 0.0)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.ns.__getattr__(name)


def broadcast(*shapes):
    return tuple(np.broadcast_shapes(*shapes))


def static_index(index, kinds, selected=False):
    """The index ``index`` (atoms, slices) with names replaced by their known values, for
    working out the shape it selects; an array index is replaced by zeros of its shape
    (a boolean mask by True values when ``selected``)."""
    def value(node):
        if atom_key(node) is not None:
            kind = kinds.get(atom_key(node))
            if kind is not None and kind.array and kind.dtype == "b" and selected:
                return np.ones(kind.shape, dtype=bool)
            if kind is not None and kind.array:
                return np.zeros(kind.shape, dtype=bool if kind.dtype == "b" else int)
            return kind.value if kind is not None and kind.value is not None else 0
        if isinstance(node, ast.Slice):
            return slice(*(None if p is None else value(p) for p in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return tuple(value(e) for e in node.elts)
        if isinstance(node, ast.List):
            return [value(e) for e in node.elts]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            return -node.operand.value
        return 0
    return value(index)


def assigned_shape(index, kinds, shape, element_shape):
    """The shape ``a[index]`` selects in ``a[index] = e`` (``a`` of ``shape``), for the
    reverse sweep to sum ``da[index]`` to ``e``'s shape.  A boolean mask selects as many
    entries as it holds True values, which only the data tells: when ``e`` has one entry
    per selected entry NumPy makes that count ``e``'s first dimension; when ``e`` is
    broadcast along it, a count other than 1 stands for any (the sum over it is then
    right for every count, 0 and 1 included)."""
    masks = [n for n in ast.walk(index) if atom_key(n) is not None
             and kinds.get(atom_key(n)) is not None and kinds[atom_key(n)].array
             and kinds[atom_key(n)].dtype == "b"]
    if not masks:
        return np.empty(shape)[static_index(index, kinds)].shape
    every = np.empty(shape)[static_index(index, kinds, selected=True)].shape
    if len(element_shape) == len(every) and element_shape[:1] != (1,) and element_shape:
        return (element_shape[0],) + every[1:]
    return (2,) + every[1:]


def distinct_index(index, kinds, shape):
    """Whether ``index`` selects each position of an array of ``shape`` at most once: a
    basic index, or one whose integer lists are literals that select distinct positions."""
    if basic_index(index, kinds):
        return True
    for node in ast.walk(index):
        if isinstance(node, ast.Name) and not basic_index(node, kinds):
            return False
    try:
        positions = np.arange(int(np.prod(shape))).reshape(shape)[static_index(index, kinds)]
    except (IndexError, TypeError, ValueError):
        return False
    return np.unique(positions).size == np.size(positions)


def strip_leading_ones(shape, to):
    """``shape`` without leading 1s beyond ``to``'s rank."""
    while len(shape) > len(to) and shape and shape[0] == 1:
        shape = shape[1:]
    return tuple(shape)


def axis_node(axes):
    return ast.Constant(axes[0]) if len(axes) == 1 else ast.Tuple(
        [ast.Constant(a) for a in axes], ast.Load())


def attribute_node(name, attribute):
    return ast.Attribute(ast.Name(name, ast.Load()), attribute, ast.Load())


class RuleContext(JoinBacks):
    """What an ``ArrayRule``'s vjp sees (the ``c`` of ``rules.py``)."""

    def __init__(self, backprop, step, d_target, lines):
        self.backprop, self.step, self.d_target = backprop, step, d_target
        self.adjoints = backprop.adjoints
        self.lines = lines        # the reverse sweep's statements, which rules add to
        self.np = ArrayNamespace(backprop.np)
        self.rule = step.rule
        self.bound = bind(step)
        self.result_shape = None
        self.reduced = "a"        # the reduced argument of a reduction

    @property
    def g(self):
        self.adjoints.materialize(self.step.target, self.out_shape, self.lines)
        return Expr.name(self.d_target)

    @property
    def g_lazy(self):
        return Expr.name(self.d_target)

    @property
    def out(self):
        return Expr.name(self.step.target)

    @property
    def out_shape(self):
        return self.backprop.shape(self.step.target)

    def arg(self, name):
        """The argument's expression; a display (``[x, y]``) or a list held outside the
        function (``LIST``) as the array NumPy reads."""
        node = copy.deepcopy(self.bound[name])
        sequence = array_like(node_kind(self.backprop.kinds, node)) and not node_kind(
            self.backprop.kinds, node).array
        return self.np.asarray(Expr(node)) if is_display(node) or sequence else Expr(node)

    def kind(self, name):
        return self.kind_of(self.bound[name])

    def kind_of(self, node):
        kind = node_kind(self.backprop.kinds, node)
        if kind is not None and kind.dtype == "S":
            self.refuse_sequence(node)
        if kind is None or kind.shape is None:
            self.refuse(f"{self.rule.name} of `{self.backprop.program.spelled(node)}`, whose shape s2sdiff cannot "
                        f"tell", "Pass an array, or build it with np.array.")
        return kind

    def refuse_sequence(self, node):
        line = self.backprop.program.parsed.source_line(self.step.lineno)
        what = f"the list or tuple `{unparse(node)}`" if re.search(
            rf"\b{re.escape(unparse(node))}\b", line) else "a list"   # `items`: a comprehension's
        self.refuse(f"{self.rule.name} of {what} built in the function",
                    "Write its elements in the call (np.array([a, b]), np.stack([a, b]), "
                    "np.stack([f(r) for r in X]): a comprehension in np.array or np.stack), "
                    "or preallocate an array with np.zeros and assign into it.")

    def shape(self, name):
        return self.kind(name).shape

    def ndim(self, name):
        return len(self.shape(name))

    def static(self, name, default=None):
        node = self.bound.get(name)
        if node is None:
            return default
        try:
            return ast.literal_eval(node)
        except ValueError:
            pass
        value = self._known(node)
        if value is not None:
            return value
        self.refuse(f"{self.rule.name} with a `{name}` that is not a constant",
                    f"Write `{name}` as a literal.")

    def _known(self, node):
        """The value ``node`` has in every call of this code, or None: a literal, a name
        whose kind holds its value (``k // 2`` of a shape), a tuple or list of those
        (``np.pad(x, (k // 2, k // 2))``), a temporary bound to ``-np.inf``."""
        if isinstance(node, (ast.Tuple, ast.List)):
            values = [self._known(e) for e in node.elts]
            return None if None in values else tuple(values) if isinstance(
                node, ast.Tuple) else values
        try:
            return ast.literal_eval(node)
        except ValueError:
            pass
        kind = self.backprop.kinds.get(atom_key(node))
        if kind is not None and kind.value is not None:
            return kind.value
        return bound_constant(self.backprop.program, self.backprop.kinds, node)

    def refuse(self, what, hint):
        program = self.backprop.program
        raise program.parsed.error(ast.Expr(self.step.value, lineno=self.step.lineno),
                                   f"s2sdiff cannot differentiate {program.name}: {what}",
                                   construct=self.rule.name, hint=hint, cls=UnsupportedError)

    # helpers used by the rows of rules.py
    def sum_to(self, value, shape, name):
        node, self.result_shape = self.backprop.sum_to(as_node(value), shape, self.shape(name))
        return Expr(node)

    def out_shape_of_matmul(self, name):
        """The shape of ``g @ swapaxes(b)`` (``name="a"``) or ``swapaxes(a) @ g`` (``"b"``)
        in a batched product: the output's batch axes, then the operand's own last axes."""
        own = self.shape(name)
        if len(own) == 1:                # a vector: its one axis after the batch axes
            return self.out_shape[:-1] + own
        return self.out_shape[:-2] + own[-2:] if len(self.out_shape) >= 2 else own

    def raveled(self, name):
        return self.arg(name) if self.ndim(name) == 1 else self.np.ravel(self.arg(name))

    def reshaped(self, value, name):
        if shape_of(value, self) == self.shape(name):
            return value
        if not self.kind(name).array:        # a number, whose one element ``value`` holds
            return self.np.sum(value)
        node = self.bound[name]
        shape = ast.Attribute(copy.deepcopy(node), "shape", ast.Load()) \
            if atom_key(node) is not None else ast.Constant(self.shape(name))
        if shape_of(value, self) in ((), None):      # the adjoint of a 0-d output: a float
            return self.np.reshape(value, Expr(shape))
        return Expr(ast.Call(ast.Attribute(as_node(value), "reshape", ast.Load()), [shape], []))

    def transposed_back(self):
        axes = self.static("axes")
        if axes is None or axes == ():
            return self.g.T
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]                                  # x.transpose((1, 0))
        nd = len(axes)
        inverse = tuple(int(i) for i in np.argsort([a % nd for a in axes]))   # -1: the last
        return self.np.transpose(self.g, Expr(ast.Constant(inverse)))

    def _axes(self):
        axis = self.static("axis")
        nd = self.ndim(self.reduced)
        if axis is None:
            return None
        axes = axis if isinstance(axis, tuple) else (axis,)
        return tuple(sorted(a % nd for a in axes))

    def reduced_size(self):
        axes = self._axes()
        shape = self.shape(self.reduced)
        return int(np.prod(shape if axes is None else [shape[a] for a in axes]))

    def _expanded(self, value):
        """``value`` (shaped like the output) with the reduced axes put back as 1s."""
        axes = self._axes()
        if axes is None or self.static("keepdims", False) or self.ndim(self.reduced) == 0:
            return value
        return self.np.expand_dims(value, Expr(axis_node(list(axes))))

    def spread(self, value, keep_out=False):
        if self._axes() is None and not keep_out:
            self.result_shape = self.adjoints.ashape[self.d_target]   # lazy: broadcasts later
            return value
        if not keep_out:
            self.adjoints.materialize(self.step.target, self.out_shape, self.lines)
        result = self._expanded(value)
        self.result_shape = self._expanded_shape() if not keep_out else None
        return result

    def _expanded_shape(self):
        axes = self._axes()
        shape = self.shape(self.reduced)
        return tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))

    def prod_of_others(self):
        """``prod_of_others(a, axis)`` (runtime.py): d np.prod(a, axis) / da, exact at zeros."""
        return Expr(prod_of_others_call(self.backprop.modules, self.bound))

    def cumprod_back(self):
        """``cumprod_back(a, g, axis)`` (runtime.py): np.cumprod's adjoint, exact at zeros."""
        return Expr(runtime_call(self.backprop.modules, runtime.cumprod_back, self.bound,
                                 as_node(self.g)))

    def others_product_back(self):
        """``prod_of_others_tangent(a, g, axis)`` (runtime.py): prod_of_others's adjoint."""
        return Expr(runtime_call(self.backprop.modules, runtime.prod_of_others_tangent,
                                 self.bound, as_node(self.g)))

    def spread_to_extrema(self):
        """The adjoint of a max/min reduction, shared evenly by the entries of each reduced
        slice that equal its extremum: ``tied = a == out`` (a line of its own), then
        ``tied * (g / tied.sum(axis, keepdims=True))``; NaN where the extremum is NaN
        (no entry equals it: 0 / 0)."""
        g = self._expanded(self.g)
        tied = Namespace.equal(self.arg("a"), self._expanded(self.out))
        if self.ndim(self.reduced) == 0:
            return Expr(ast.BinOp(tied.node, ast.Mult(), as_node(g)))
        name = self.backprop.program.namer.fresh("tied")
        self.lines.append(Line(assign(name, tied.node), self.step.number))
        axes = self._axes()
        keywords = [] if axes is None else [ast.keyword("axis", axis_node(list(axes))),
                                            ast.keyword("keepdims", ast.Constant(True))]
        count = ast.Call(attribute_node(name, "sum"), [], keywords)
        return Expr.name(name) * Expr(ast.BinOp(as_node(g), ast.Div(), count))

    def variance_back(self, std):
        """``np.var``'s adjoint, ``g * 2 (a - mean) / (N - ddof)`` with the reduced axes put
        back; ``np.std``'s (``std``), ``g * (a - mean) / ((N - ddof) out)``."""
        count = self.reduced_size() - self.static("ddof", 0)
        a, axes = self.arg("a"), self._axes()
        kept = {"keepdims": True} if axes is None else {"axis": Expr(axis_node(list(axes))),
                                                          "keepdims": True}
        deviation = a - self.np.mean(a, **kept)
        g = self._expanded(self.g)
        if std:
            return deviation * (g / (self._expanded(self.out) * count))
        return deviation * (g * (2.0 / count))

    def clip_back(self):
        """clip as ``minimum(maximum(a, low), high)`` (JAX's definition): 1 inside the
        bounds, 0 outside, and at a bound the ``maximum``/``minimum`` rows' tie share 1/2
        (1/4 where low == high == a): ``np.where(a == low, 0.5, a > low) * ... * g``."""
        return Expr(clip_factors(self.np, self.arg("a").node, self.bound, self.g.node))

    def statics(self, *names):
        """The keyword arguments ``name=value`` of those of ``names`` the call passes, as
        constants (``np.flip(g, axis=1)``)."""
        return {n: Expr(ast.Constant(self.static(n))) for n in names if n in self.bound}

    def scatter_back(self, index=None, operand="a"):
        """``dx[i] += g``, or ``np.add.at(dx, i, g)`` where integer arrays may repeat;
        ``index`` (default the step's own) is what the output read of ``operand``."""
        bp = self.backprop
        base = self.bound[operand]
        index = self.bound["index"] if index is None else index
        if _entry_of_list(base, index, bp.kinds):       # hs[-1], hs[t]: dhs[-1] += g
            self.adjoints.write(base, self.g_lazy, self.lines, self.step.number, index=index)
            return None
        self.kind(operand)           # a list built in the function is refused here
        g = self.g_lazy              # += and np.add.at broadcast it
        foreign = getattr(bp.program, "foreign", None)
        if foreign is not None and not (basic_index(index, bp.kinds) and not any(
                getattr(bp.kinds.get(n.id), "array", False) for n in ast.walk(index)
                if isinstance(n, ast.Name))):
            self.refuse(f"the gradient of `{unparse(self.step.value)}` with {foreign.__module__}."
                        f"{foreign.__name__} arrays: it adds into the positions an index array "
                        f"or mask selects (np.add.at, a masked write), which s2sdiff writes "
                        f"only for NumPy arrays (Dask arrays support neither)",
                        "Index them with ints and slices, select with a product "
                        "(np.where(mask, x, 0.0), a one-hot matrix @ x), or pass NumPy arrays.")
        name = self.adjoints.writable(base.id, self.lines, self.step.number)
        if not basic_index(index, bp.kinds):
            add_at = ast.Attribute(ast.Attribute(ast.Name(bp.np.alias, ast.Load()), "add",
                                                 ast.Load()), "at", ast.Load())
            where = copy.deepcopy(index)
            if any(isinstance(n, ast.Slice) for n in ast.walk(where)):   # np.s_[[0, 0], :]
                where = ast.Subscript(ast.Attribute(ast.Name(bp.np.alias, ast.Load()), "s_",
                                                    ast.Load()), where, ast.Load())
            stmt = ast.Expr(ast.Call(add_at, [ast.Name(name, ast.Load()), where, g.node], []))
        else:
            target = ast.Subscript(ast.Name(name, ast.Load()), copy.deepcopy(index), ast.Store())
            stmt = ast.AugAssign(target, ast.Add(), g.node)
        self.lines.append(Line(stmt, self.step.number))
        return None


def _entry_of_list(base, index, kinds):
    """``hs[i]``, one entry (an int) of a list the function built (kind "S")."""
    if not held_list(kinds, base):
        return False
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand
    if isinstance(index, ast.Constant):
        return type(index.value) is int
    return isinstance(index, ast.Name) and getattr(kinds.get(index.id), "dtype", None) == "i" \
        and kinds[index.id].shape == ()


def basic_index(index, kinds):
    """Whether ``index`` selects each element at most once: ints, slices, ``None``,
    ``...`` and boolean masks.  Anything else (a list, an integer array, a name held
    outside the function) may repeat a position, and is scattered with ``np.add.at``."""
    if isinstance(index, ast.Tuple):
        return all(basic_index(e, kinds) for e in index.elts)
    if isinstance(index, ast.Slice):
        return True
    if isinstance(index, ast.Constant):
        return index.value is None or index.value is Ellipsis or type(index.value) in (int, bool)
    if isinstance(index, ast.UnaryOp) and isinstance(index.operand, ast.Constant):
        return type(index.operand.value) is int
    if isinstance(index, ast.Attribute):
        return index.attr == "newaxis"
    if isinstance(index, ast.Name):
        kind = kinds.get(index.id)
        return kind is not None and (kind.dtype == "b" or (kind.dtype == "i" and kind.shape == ()))
    return False


def shape_of(value, context):
    node = as_node(value)
    if isinstance(node, ast.Name) and node.id in context.adjoints.ashape:
        return context.adjoints.ashape[node.id]
    return None


def bind(step):
    """The rule's parameter names bound to the step's argument nodes."""
    value = step.value if step.call is None else step.call   # an Entry: the call's arguments
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call):
        # a part of np.split and its kin, np.split(x, 2)[0] (split_rules.py)
        pos = list(value.value.args)
        kw = {k.arg: k.value for k in value.value.keywords}
        kw["part"] = value.slice
    elif isinstance(value, ast.BinOp):
        pos, kw = [value.left, value.right], {}
    elif isinstance(value, ast.Attribute):
        pos, kw = [value.value], {}
    elif isinstance(value, ast.Subscript):
        pos, kw = [value.value, value.slice], {}
    elif isinstance(step.rule.key, rules.Method):
        pos, kw = [value.func.value, *value.args], {k.arg: k.value for k in value.keywords}
    else:
        pos, kw = list(value.args), {k.arg: k.value for k in value.keywords}
    bound = inspect.signature(step.rule.signature).bind(*pos, **kw)
    result = {}
    for name, node in bound.arguments.items():
        param = inspect.signature(step.rule.signature).parameters[name]
        if param.kind is param.VAR_POSITIONAL:
            if not node:
                continue
            node = node[0] if len(node) == 1 else ast.Tuple(list(node), ast.Load())
        result[name] = node
    if "newshape" not in result and "shape" in result \
            and step.rule.key == rules.Function(np.reshape):
        result["newshape"] = result["shape"]
    return result


def array_namespace(modules, kinds, step):
    """The namespace the scalar rows' partials use for ``step``: NumPy's when an argument
    is an array (``m.cos`` is ``np.cos``), else the step's own module."""
    names = [kinds.get(atom_key(a)) for a in step.args]
    if rules.is_array_call(step.callee) or any(array_like(k) for k in names):
        return ArrayNamespace(modules.namespace(np))
    return modules.namespace_for(step)


def array_like(kind):
    """Whether NumPy reads a value of ``kind`` as an array of one or more entries: an
    array, or a list or tuple of numbers held outside the function (``w * LIST`` is
    ``w * np.asarray(LIST)`` in the partials, ``partial_arguments``)."""
    return kind is not None and (kind.array or kind.shape not in (None, ()))


def partials_may_raise(kinds, step, m):
    """Whether the partials of ``step``, built with ``m`` (``array_namespace``), may raise
    where its forward does not (then the gradient gets its IEEE retry, ``pipeline.IEEERetry``):
    a row that may (``rules.partials_raise``) on numbers with ``math``'s functions, and a
    NumPy function of Python numbers only, whose partials (``1 / x`` for ``np.log``) are
    Python arithmetic.  NumPy arithmetic on arrays and NumPy scalars never raises."""
    if not isinstance(m, ArrayNamespace):
        return rules.partials_raise(step.rule, step.args)
    for atom in step.args:
        kind = node_kind(kinds, atom)
        if kind is None or kind.array or kind.exact not in (float, int, bool):
            return False
    return True


def partial_arguments(modules, kinds, step):
    """The step's arguments as a scalar row's partials read them; a list or tuple held
    outside the function (``w * LIST``) as the array NumPy makes of it, ``np.asarray(LIST)``
    (a list times a number would repeat the list)."""
    arguments = []
    for atom in step.args:
        kind = kinds.get(atom_key(atom))
        if array_like(kind) and not kind.array:
            arguments.append(modules.namespace(np).asarray(Expr(copy.deepcopy(atom))))
        else:
            arguments.append(Expr(atom))
    return arguments


def refuse_varied_options(program, step, is_active):
    """Refuse an ``ArrayRule`` step whose argument other than its differentiated operands
    (``a_min`` of ``np.clip``, an ``axis``) depends on the differentiated inputs
    (``is_active``): only the operands are differentiated, in both modes."""
    for name, node in bind(step).items():
        if name not in step.rule.operands and any(is_active(a) for a in read_names(node)):
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: {step.rule.name} whose "
                f"`{name}` argument depends on the differentiated inputs",
                construct=step.rule.name, cls=UnsupportedError,
                hint=getattr(step.rule, "constant_hints", {}).get(name) or
                "Only the array arguments are differentiated; compute that argument "
                "from constants.")


def clip_factors(np_namespace, a, bound, value):
    """``value`` times the derivative of ``np.clip(a, low, high)`` (``bound`` holds the
    call's arguments by name): one factor per bound that is not None,
    ``np.where(a == low, 0.5, a > low)`` and ``np.where(a == high, 0.5, a < high)``."""
    low = bound.get("a_min", bound.get("min"))
    high = bound.get("a_max", bound.get("max"))
    result = value
    for limit, op in ((high, ast.Lt()), (low, ast.Gt())):
        if limit is None or (isinstance(limit, ast.Constant) and limit.value is None):
            continue
        tie = ast.Compare(copy.deepcopy(a), [ast.Eq()], [copy.deepcopy(limit)])
        inside = ast.Compare(copy.deepcopy(a), [op], [copy.deepcopy(limit)])
        factor = np_namespace.where(Expr(tie), Expr(ast.Constant(0.5)), Expr(inside)).node
        result = ast.BinOp(factor, ast.Mult(), result)
    return result


def runtime_call(modules, function, bound, *operands):
    """``function(a, *operands, axis)`` of runtime.py, ``a`` and ``axis`` as bound."""
    args = [copy.deepcopy(bound["a"]), *operands]
    keywords = [ast.keyword("axis", copy.deepcopy(bound["axis"]))] if "axis" in bound else []
    return ast.Call(ast.Name(modules.helper(function), ast.Load()), args, keywords)


def prod_of_others_call(modules, bound):
    args = [copy.deepcopy(bound["a"])]
    if "axis" in bound:
        args.append(copy.deepcopy(bound["axis"]))
    return ast.Call(ast.Name(modules.helper(runtime.prod_of_others), ast.Load()), args, [])
