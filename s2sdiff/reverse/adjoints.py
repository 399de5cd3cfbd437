"""The adjoints of the reverse sweep, and the one way a contribution is written to one.

``Adjoints.write`` appends to the list of statements it is given; every step of the
reverse sweep (scalar, NumPy, lists, calls, custom rules) writes through it, so that:

* the first contribution to an adjoint that holds nothing at this point of the sweep is
  assigned (``dx = c``), later ones accumulated (``dx += c``);
* a list's adjoint is added entry by entry (``add_sequences``), and a contribution to
  one element goes to ``dv[i] += c``;
* in NumPy code (``program.kinds``) an adjoint may stay *lazy*, of a shape that
  broadcasts to its value's (``ashape``), until ``materialize`` gives it the full shape;
  a contribution is added in place only into an array the sweep allocated itself
  (``owned``), and rebinds (``dx = dx + c``) an adjoint that may be a view or an alias
  of another array (``aliases``); ``plain`` (branches and loops) never adds in place
  and never substitutes literal seeds.

Only ``Adjoints`` changes which adjoints hold a value at the current point of the
reverse sweep: the set is private, and the sweeps ask ``holds`` and say what happened
through named methods (``mark_held`` for a statement written outside ``write``,
``forget`` once a step's adjoint is consumed, ``snapshot``/``restore``/``merge_arms``
around the arms of an ``if``, ``assuming`` while planning a loop's reverse body).
``snapshot`` is a frozenset: no other object holds a reference to the mutable set.
Likewise an ``if``'s arms start from the same adjoint shapes through ``shape_snapshot``
(read-only) and ``restore_shapes``, never by swapping ``ashape`` for another dict.
"""

import ast
import contextlib
import copy
import types

import numpy as np

from ..array_context import attribute_node, broadcast
from ..build import Expr, as_node, unparse
from ..ir import Loop, atom_key, walk_items
from ..joins import held_list
from ..kinds import integral_names
from ..listing import Comment, Line, accumulate, assign
from ..names import AdjointNames
from ..optimize import fold, fresh_array
from ..primal import unassigned_foreign_array
from ..runtime import add_sequences, zeros_like
from .loops import sequences


class Adjoints:
    """Which adjoints hold a value, their names, and for NumPy code their shapes."""

    def __init__(self, program, listing, modules, plain=False):
        self.name = AdjointNames(program, listing)     # ``dv`` for ``v``
        self.modules = modules
        self.kinds = program.kinds
        self.plain = plain    # inside branches and loops: no literal seeds, no += in place
        self.sequences = sequences(program)
        self.foreign = getattr(program, "foreign", None)   # another library's arrays
        self.program = program
        self.maybe_unbound = set(program.unbound).union(*(
            item.unbound for item in walk_items(program.body) if isinstance(item, Loop)))
        self._held = set()    # adjoint names that hold a value at this point of the sweep
        self.ashape = {}      # adjoint name -> its shape (broadcasts to the value's)
        self.owned = {}       # adjoint name -> holds a fresh array of its full shape
        self.literals = {}    # adjoint name -> literal value (the seed 1.0)
        self.aliases = {}     # adjoint name -> arrays it may be a view of (not owned)
        if self.kinds is not None:
            self.integral = integral_names(self.kinds)    # `m * 1.0` keeps its 1.0: a float
            self.np = modules.namespace(np)

    # which adjoints hold a value at this point of the reverse sweep ------------------

    def holds(self, name):
        """The adjoint ``name`` holds a value here: a contribution to it accumulates."""
        return name in self._held

    def mark_held(self, *names):
        """``names`` were assigned by a statement written outside ``write`` (a zero before
        a loop, a tuple of cotangents, a cotangent parameter): they hold a value from here."""
        self._held.update(names)

    def forget(self, name):
        """The adjoint ``name`` holds nothing before this point: the step assigning its
        primal was backpropagated (``None``, a name without an adjoint: nothing to do)."""
        self._held.discard(name)

    def snapshot(self):
        """The adjoints that hold a value here, frozen (to compare, or to ``restore``)."""
        return frozenset(self._held)

    def restore(self, snapshot):
        """Exactly the adjoints of ``snapshot`` hold a value again (an arm of an ``if``
        starts from the state before it)."""
        self._held = set(snapshot)

    def merge_arms(self, after_then, after_else):
        """After both arms of an ``if`` (in the reverse sweep), what either arm left
        holding a value: the sweep has written a zero into the arm that consumed one."""
        self._held = set(after_then) | set(after_else)

    @contextlib.contextmanager
    def assuming(self, held):
        """Within the block exactly ``held`` hold a value (planning a loop's reverse body
        as if those were written before it); afterwards the state is as before the block."""
        saved = self._held
        self._held = set(held)
        try:
            yield
        finally:
            self._held = saved

    def shape_snapshot(self):
        """The adjoints' shapes here (NumPy code), a read-only copy to ``restore_shapes``."""
        return types.MappingProxyType(dict(self.ashape))

    def restore_shapes(self, shapes):
        """The adjoints have the shapes of ``shapes`` (a ``shape_snapshot``) again."""
        self.ashape = dict(shapes)

    # writing contributions ---------------------------------------------------------

    def write(self, atom, value, out, tag=None, note=None, shape=None, index=None):
        """Add ``value`` to the adjoint of ``atom`` (assign it if it holds nothing yet);
        ``index``: to element ``index`` of a sequence's adjoint; ``shape``: the value's
        shape in NumPy code, when the caller knows it."""
        target = self.name(atom.id)
        if index is not None:
            if target not in self._held:
                out.append(Line(assign(target, self.zero(atom.id))))
                self._held.add(target)
            element = ast.Subscript(ast.Name(target, ast.Load()), copy.deepcopy(index), ast.Store())
            out.append(Line(ast.AugAssign(element, ast.Add(), as_node(value), lineno=0), tag, note))
        elif self.kinds is not None and not held_list(self.kinds, atom):
            out.append(Line(self._add_array(atom, target, value, shape), tag, note))
        elif target in self._held and (atom.id in self.sequences or self.kinds is not None):
            # a list (in NumPy code, one the function built): entry by entry
            add = ast.Name(self.modules.helper(add_sequences), ast.Load())
            out.append(Line(assign(target, ast.Call(add, [ast.Name(target, ast.Load()),
                                                          as_node(value)], [])), tag, note))
        else:
            make = accumulate if target in self._held else assign
            self._held.add(target)
            out.append(Line(make(target, as_node(value)), tag, note))

    def _add_array(self, atom, target, value, shape):
        """The statement adding ``value`` to ``target``, the adjoint of ``atom``, in NumPy code."""
        value = self.folded(value)
        if shape is None:
            shape = self.expression_shape(value)
        kind = self.kinds.get(atom.id)
        if target not in self._held:
            self._held.add(target)
            self.ashape[target], self.owned[target] = shape, fresh_array(value)
            if not self.owned[target]:          # may share memory with these arrays
                self.aliases[target] = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
                if self.plain:                  # and they with it: no writing in place
                    for name in self.aliases[target]:
                        self.owned[name] = False
            if isinstance(value, ast.Constant) and not self.plain:
                self.literals[target] = value
            return assign(target, value)
        if kind is None or not kind.array:
            self.literals.pop(target, None)        # it holds more than the literal now
            return accumulate(target, value)       # numbers are immutable: += rebinds
        if self.owned.get(target) and not self.plain \
                and broadcast(self.ashape[target], shape) == self.ashape[target]:
            return accumulate(target, value)       # in place, into an array we allocated
        self.literals.pop(target, None)
        self.ashape[target] = broadcast(self.ashape.get(target, kind.shape), shape)
        self.owned[target] = True
        return assign(target, ast.BinOp(ast.Name(target, ast.Load()), ast.Add(), value))

    def folded(self, value):
        """``value`` with the literal adjoints put in (the seed ``1.0`` for ``dy``), folded."""
        return fold(_Substitute(self.literals).visit(copy.deepcopy(as_node(value))), self.integral)

    def unreached(self, param, out):
        """``dp = 0.0`` (of ``p``'s shape) for a parameter that does not reach the output."""
        out.append(Comment(f"{param} does not reach the output"))
        self.write(ast.Name(param), Expr(self.zero(param)), out)

    def zero(self, name):
        """The zero adjoint of ``name``; a NumPy array's is then full-shaped and owned."""
        kind = self.kinds.get(name) if self.kinds else None
        if kind is not None and kind.array:
            self.fresh_zero(self.name(name), name)
            if self.foreign is not None and name in self.maybe_unbound:
                raise unassigned_foreign_array(self.program, name)
            if self.foreign is not None:        # zeros in the library of the arguments
                return self.np.zeros_like(Expr.name(name), dtype=self.float64()).node
            if name in self.maybe_unbound:      # Unbound until a loop assigns it: its shape
                return self.np.zeros(Expr(ast.Constant(tuple(kind.shape)))).node
            return self.np.zeros(Expr(attribute_node(name, "shape"))).node
        if name in self.sequences:
            zeros = self.modules.helper(zeros_like)
            return ast.Call(ast.Name(zeros, ast.Load()), [ast.Name(name, ast.Load())], [])
        return ast.Constant(0.0)

    def float64(self):
        return Expr(ast.Attribute(ast.Name(self.np.alias, ast.Load()), "float64", ast.Load()))

    def fresh_zero(self, name, primal):
        """``name = np.zeros(primal.shape)`` was written: a full-shaped array of our own."""
        self.ashape[name], self.owned[name] = self.kinds[primal].shape, True
        self.literals.pop(name, None)

    def expression_shape(self, node):
        shapes = []
        todo = [node]
        while todo:
            sub = todo.pop()
            key = atom_key(sub)
            if key in self.ashape:
                shapes.append(self.ashape[key])
            elif key in self.kinds and self.kinds[key].shape is not None:
                shapes.append(self.kinds[key].shape)     # X.T: not X's shape as well
            else:
                todo.extend(ast.iter_child_nodes(sub))
        return broadcast(*shapes) if shapes else ()

    def materialize(self, atom_name, target_shape, out, writable=False):
        """Make the adjoint of ``atom_name`` hold its full shape (a view unless ``writable``)."""
        name = self.name(atom_name)
        self.literals.pop(name, None)
        if self.ashape[name] != tuple(target_shape):
            view = self.np.broadcast_to(Expr.name(name), Expr(attribute_node(atom_name, "shape")))
            exact = self.kinds[atom_name].exact
            dtype = {} if exact == np.float64 or exact.kind != "f" else \
                {"dtype": Expr(attribute_node(atom_name, "dtype"))}     # float32 stays float32
            value = self.np.full(Expr(attribute_node(atom_name, "shape")), Expr.name(name), **dtype) \
                if writable else view
            if writable and self.foreign is not None:
                # np.full would make a NumPy array of a lazy value: zeros of its library
                value = self.np.zeros_like(Expr.name(atom_name), dtype=dtype.get(
                    "dtype", self.float64())) + Expr.name(name)
            out.append(Line(assign(name, value.node)))
            self.ashape[name], self.owned[name] = tuple(target_shape), writable
        elif writable and not self.owned[name]:
            out.append(Line(assign(name, ast.Call(
                ast.Attribute(ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
            self.owned[name] = True

    def writable(self, primal, out, tag=None):
        """The adjoint of ``primal`` as a full-shaped array of its own, to add into in
        place: ``np.zeros_like(primal)`` when it holds nothing yet."""
        name = self.name(primal)
        shape = self.kinds[primal].shape
        if name not in self._held:
            self._held.add(name)
            out.append(Line(assign(name, self.np.zeros_like(Expr.name(primal)).node), tag))
            self.ashape[name], self.owned[name] = shape, True
        else:
            self.materialize(primal, shape, out, writable=True)
        return name


class _Substitute(ast.NodeTransformer):
    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        if node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        return node


class Explanation:
    """``d(1.0 / den)/dden = -1.0 / den / den, line 14``: the local partial and its source,
    written out only when explain mode renders it (most listings never do)."""

    def __init__(self, step, atom, partial):
        self.step, self.atom, self.partial = step, atom, partial

    def __str__(self):
        value = unparse(self.step.value)
        partial = unparse(fold(copy.deepcopy(as_node(self.partial))))
        return f"d({value})/d{self.atom.id} = {partial}, line {self.step.lineno}"
