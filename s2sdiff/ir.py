"""The SSA program every pass after ``normalize`` reads, its validator and text form.

A ``Program``'s body is a list of items, each one of:

    step     ::= NAME = atom                      (copy)
               | NAME = atom BINOP atom           (+ - * / ** % // @ and bit operators)
               | NAME = UNARYOP atom              (- + not ~)
               | NAME = atom CMPOP atom ...       (comparison, a constant for AD)
               | NAME = callee(atom, ..., kw=atom)
               | NAME = c / (1 + exp(-atom))      (the sigmoid gate of seed 002)
               | NAME = [atom, ...] | (atom, ...) | NAME[index]      (lists, tuples)
               | NAME[index] = atom | NAME.append(atom)            (mutation, in place)
               | NAME = ieee(OP, atom, ...)       (the IEEE version of generated code)
    passive  ::= assert ... | print(...)          (run in the forward sweep, not differentiated)
    if       ::= if atom: items else: items
    loop     ::= for target in iterable: items | while test: items
    jump     ::= break | continue                 (always the last item of its block)
    output   ::= atom | atom, atom, ...           (what the function returns)
    atom     ::= NAME | CONSTANT | free.dotted.name

``validate`` checks these shapes and the single-assignment rules ``normalize`` states;
``format_program`` prints a program one step per line, with its number in the forward
sweep:

>>> x, y = ast.Name("x"), ast.Name("y")
>>> program = Program(None, "f", ["x", "y"], [
...     Step("xty", ast.BinOp(x, ast.Mult(), y), [x, y], None, 1, 2)], [ast.Name("xty")], None)
>>> print(format_program(program))
xty = x * y  # (1)
return xty
"""

import ast
import copy
from dataclasses import dataclass, field

from . import rules
from .build import unparse
from .errors import NotScalarError
from .names import Namer
from .parse import Parsed
from .syntax import nodes_of


@dataclass
class Step:
    """``target = value``: one primitive over atoms."""
    target: str
    value: ast.expr
    args: list                # atoms, in the order the rule's partials come
    rule: object              # rules.Rule, or None for a constant / unknown call
    number: int
    lineno: int
    callee: object = None     # the called object, for calls
    differentiable: bool = True   # False: piecewise constant (comparison, floor, ...)
    custom: object = None     # the custom_vjp / custom_jvp wrapper called (rule is None)
    store: ast.stmt = None    # a mutation (v[i] = e, v.append(e)): its statement; target is v
    saved: str = None         # a[idx] = e on an array: the name holding the overwritten values
    augmented: bool = False   # ``v += e`` on a name: in place when ``v`` holds a list or array
    call: ast.Call = None     # an entry of a tuple-valued call (rules.Entry): that call

    @property
    def mutates(self):
        return self.store is not None

    @property
    def statement(self):
        if self.store is not None:
            return self.store
        return ast.Assign([ast.Name(self.target, ast.Store())], self.value, lineno=self.lineno)


@dataclass
class Passive:
    """A statement run in the forward sweep only (``assert``, ``print``)."""
    stmt: ast.stmt
    lineno: int


@dataclass
class If:
    """``if test: body else: orelse``; ``test`` is an atom.  A name assigned in both arms
    (or in one arm and before the ``if``) has one SSA name after it, assigned in each arm
    that falls through (a copy where the arm did not compute it last)."""
    test: ast.expr
    body: list
    orelse: list
    lineno: int


@dataclass
class Loop:
    """``for target in iterable: body`` or ``while test: body``.

    ``carried`` are the SSA names of user variables the body assigns: each holds the
    value at the start of an iteration, is read there, and is assigned again only at the
    end of the body (or just before a ``break``/``continue``), never read after that in
    the same iteration.  The body's other names are assigned at most once per iteration.
    """
    kind: str                 # "for" or "while"
    target: ast.expr          # for: a Name or Tuple of Names (SSA names); while: None
    iterable: ast.expr        # for: an atom or range/enumerate/zip/reversed of atoms
    test: ast.expr            # while: an atom or a comparison of atoms; None: while True
    body: list
    carried: list
    lineno: int
    exits: bool = False       # the body contains a break of this loop
    unbound: list = field(default_factory=list)   # carried names without a value before it


@dataclass
class Jump:
    """``break`` or ``continue``: always the last item of its block."""
    kind: str
    lineno: int


def walk_items(items):
    """Every item of ``items`` and of their nested blocks, in forward (textual) order.
    Each list is read when the walk reaches it, as a recursive walk would (one generator
    and a stack, not one generator per block).  Items are told apart by their class
    (``If``, ``Loop``: nothing subclasses them), the cheapest test per item."""
    stack = [iter(items)]
    while stack:
        top = stack[-1]
        if top.__class__ is tuple:      # an ``if`` whose body is walked: now its orelse
            stack[-1] = iter(top[0].orelse)
            continue
        for item in top:
            yield item
            cls = item.__class__
            if cls is If:
                stack.append((item,))
                stack.append(iter(item.body))
                break
            if cls is Loop:
                stack.append(iter(item.body))
                break
        else:
            stack.pop()


def walk_steps(items):
    """Every ``Step`` in ``items`` and their nested blocks, in forward order (read as
    ``walk_items`` reads them; one generator, not a filter over ``walk_items``)."""
    stack = [iter(items)]
    while stack:
        top = stack[-1]
        if top.__class__ is tuple:
            stack[-1] = iter(top[0].orelse)
            continue
        for item in top:
            cls = item.__class__
            if cls is Step:
                yield item
            elif cls is If:
                stack.append((item,))
                stack.append(iter(item.body))
                break
            elif cls is Loop:
                stack.append(iter(item.body))
                break
        else:
            stack.pop()


def has_control_flow(items):
    return any(isinstance(item, (If, Loop)) for item in items)


@dataclass
class Program:
    parsed: Parsed
    name: str
    params: list
    body: list
    outputs: list                                 # atoms returned, in order
    namer: Namer
    temps: set = field(default_factory=set)       # names the pass introduced
    returns_tuple: bool = False                   # `return a, b` rather than `return a`
    return_stmt: ast.stmt = None
    ieee: bool = False                            # partials spelled with runtime.ieee (pipeline)
    partials_raise: bool = False                  # some partial may raise (modules.partials)
    user_names: dict = field(default_factory=dict)  # SSA version -> the user's name
    unbound: list = field(default_factory=list)   # copied where they may be unbound
    kinds: dict = None                            # NumPy code: name -> Kind, set by kinds.infer
    opaque_params: dict = field(default_factory=dict)   # objects and functions: param -> node
    parameter_reads: list = field(default_factory=list)  # attributes of params read ("cfg.lr")
    inlined: tuple = ()          # (spelling, function) of the helpers inlined (normalize/helpers.py)
    aux: object = None           # has_aux: aux.Spec, the aux returned beside the gradient
    reads_arrays: bool = False   # a global, closure or attribute array: NumPy code
    written_in_place: dict = field(default_factory=dict)  # param -> a step writing into it
    array_reason: ast.AST = None  # the user's node that makes it NumPy code, for messages
    free_numbers: tuple = None    # (kinds, module_numbers.free_numbers of them): its cache

    @property
    def steps(self):
        """Every step, nested ones included, in forward order."""
        return list(walk_steps(self.body))

    @property
    def output(self):
        """The single output of a scalar function (see ``require_scalar``)."""
        return self.outputs[0]

    def spelled(self, node):
        """``node`` (an atom or a step's value) as the user wrote it, for messages: a name
        the normalizer introduced is written out as the expression it holds (``x * 2.0 +
        y`` for ``f1_2``, four levels deep), a version of a user's name as that name."""
        defined = {s.target: s.value for s in walk_steps(self.body)}
        program = self

        class Spell(ast.NodeTransformer):
            def __init__(self, depth):
                self.depth = depth

            def visit_Name(self, name):
                if self.depth and name.id in program.temps and name.id in defined:
                    return Spell(self.depth - 1).visit(copy.deepcopy(defined[name.id]))
                return ast.Name(program.user_names.get(name.id, name.id), ast.Load())
        return ast.unparse(Spell(4).visit(copy.deepcopy(node)))

    def require_scalar(self, transform):
        """Raise ``NotScalarError`` unless the function returns one value."""
        output = self.outputs[0]
        if not self.returns_tuple and isinstance(output, ast.Name) and any(
                s.target == output.id and isinstance(s.rule, rules.Structural)
                and (s.rule.key == rules.Syntax("display") or s.mutates) for s in self.steps):
            raise self.not_scalar(
                transform, f"the list or tuple `{output.id}`",
                "Return a number computed from it, or use s2sdiff.vjp for a "
                "vector-Jacobian product of a function returning several values.")
        if self.returns_tuple:
            raise self.not_scalar(
                transform, f"a tuple of {len(self.outputs)} values",
                "Use s2sdiff.vjp(f, *args) for a vector-Jacobian product, s2sdiff.jvp for "
                "a Jacobian-vector product, or s2sdiff.jacobian(f) for the whole Jacobian.")

    def complex_value(self, name, value, lineno=None):
        """The ``UnsupportedError`` for the step assigning ``name`` (at ``lineno``) the
        complex ``value`` from real arguments (``(-8.0) ** (1 / 3)``)."""
        step = next((s for s in self.steps if s.target == name
                     and lineno in (None, s.lineno)), None)
        what = f"`{unparse(step.value)}`" if step is not None else f"`{name}`"
        return self.parsed.error(
            ast.Pass(lineno=lineno or (step.lineno if step else self.parsed.node.lineno)),
            f"s2sdiff cannot differentiate {self.name} here: {what} is the complex number "
            f"{value!r:.60}; s2sdiff differentiates real functions", construct="complex value",
            hint="A negative number to a fractional power is complex in Python: keep the "
                 "base positive (abs(x) ** y), or use math.pow, which raises for it.")

    def has_blocks_or_calls(self):
        """Whether the program has branches, loops or calls (steps without partials)."""
        return has_control_flow(self.body) or any(
            isinstance(s.rule, rules.Structural) for s in self.steps)

    def not_scalar(self, transform, returned, hint, lineno=None):
        """The ``NotScalarError`` for ``transform`` of a function returning ``returned``, at
        the line that returned it (``lineno``) if known; otherwise at the last ``return``,
        saying so when there are several."""
        return self.not_scalar_error(lineno)(transform, returned, hint)

    def not_scalar_error(self, lineno=None):
        """``not_scalar`` with the place found now: a function of ``(transform, returned,
        hint)`` that holds neither the program nor its trees (generated code keeps it)."""
        which = ""
        if lineno is None:
            lineno = getattr(self.return_stmt, "lineno", self.parsed.node.lineno)
            returns = sum(isinstance(n, ast.Return) for n in own_nodes(self.parsed.node))
            if returns > 1:
                which = f" (at one of its {returns} return statements; the last is shown)"
        filename, name, line = self.parsed.filename, self.name, self.parsed.source_line(lineno)

        def error(transform, returned, hint):
            return NotScalarError(
                f"{transform} needs a scalar output, but {name} returns {returned}{which}",
                filename=filename, lineno=lineno, source_line=line,
                construct="non-scalar return", hint=hint)
        return error


def item_loads(item):
    """Names an item reads itself (not those of its nested blocks)."""
    if isinstance(item, Step):
        nodes = [item.value] + ([item.store] if item.store is not None else [])
    elif isinstance(item, Passive):
        nodes = [item.stmt]
    elif isinstance(item, If):
        nodes = [item.test]
    elif isinstance(item, Loop):
        nodes = [n for n in (item.iterable, item.test) if n is not None]
    else:
        nodes = []
    return [n.id for node in nodes for n in nodes_of(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def store_names(target):
    """The names a loop target binds (``i`` or ``k, (i, x)``), in order."""
    if target is None:
        return []
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def own_nodes(function):
    """The nodes of ``function``'s body, not those of functions or classes defined in it."""
    todo = list(function.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))


def assigned_names(func):
    names = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    for node in nodes_of(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def validate(program):
    """Check that ``program`` has the shapes listed in the module docstring."""
    defined = _Scope(None, program.params)
    program._assigned_names = None
    _validate_block(program.body, defined, program)
    defined.update(all_targets(program.body))
    for output in program.outputs:
        _check_atom(output, defined, program)


class _Scope:
    """Names bound: a block's own, then its enclosing blocks' (a block's names are not
    copied into each block nested in it: a long function has hundreds)."""

    __slots__ = ("own", "outer")

    def __init__(self, outer, own=()):
        self.own, self.outer = set(own), outer

    def __contains__(self, name):
        scope = self
        while scope is not None:
            if name in scope.own:
                return True
            scope = scope.outer
        return False

    def add(self, name):
        self.own.add(name)

    def update(self, names):
        self.own.update(names)


def _validate_block(items, defined, program):
    for i, item in enumerate(items):
        if isinstance(item, Passive):
            continue
        if isinstance(item, Jump):
            assert i == len(items) - 1, "a jump ends its block"
            continue
        if isinstance(item, If):
            _check_atom(item.test, defined, program)
            _validate_block(item.body, _Scope(defined), program)
            _validate_block(item.orelse, _Scope(defined), program)
            defined.update(all_targets(item.body) | all_targets(item.orelse))
            continue
        if isinstance(item, Loop):
            inner = _Scope(defined, set(item.carried) | set(store_names(item.target)))
            _validate_block(item.body, inner, program)
            defined.update(inner.own | all_targets(item.body))
            continue
        assert isinstance(item, Step), item
        assert item.target.isidentifier(), item.target
        assert not item.mutates or item.target in defined, item.target
        for arg in item.args:
            _check_atom(arg, defined, program)
        defined.add(item.target)


def all_targets(items):
    """Names a step or a loop in ``items`` assigns (on some path)."""
    names = {s.target for s in walk_steps(items) if not s.mutates}
    for item in walk_items(items):
        if isinstance(item, Loop):
            names.update(item.carried, store_names(item.target))
    return names


def reached(names, edges):
    """``names`` and every name ``edges`` (name -> the names it leads to) leads to from
    them, in any number of steps (copies followed: ``state0`` of ``state = state0``)."""
    found, todo = set(names), list(names)
    while todo:
        new = [n for n in edges.get(todo.pop(), ()) if n not in found]
        found.update(new)
        todo += new
    return found


def copied_unbound(items, bound):
    """The names a copy reads where they may be unbound, in first-read order.

    A variable assigned in one arm of an ``if`` or by a loop that may not run, then
    assigned again in one arm of a later ``if``, is copied in the other arm (``i_2 = i``)
    on paths where the user's code never reads it; it may be unbound there.  The
    generated code binds these names to ``0.0`` first, as for a loop's ``unbound``.
    """
    found = []

    def visit(items, outer):
        """The names ``items`` bind on every path through them (None: they end in a
        jump); ``outer``: those bound before them."""
        bound = _Scope(outer)
        for item in items:
            if isinstance(item, Step):
                if getattr(item.rule, "key", None) == rules.Syntax("copy") \
                        and isinstance(item.args[0], ast.Name) \
                        and item.args[0].id not in bound and item.args[0].id not in found:
                    found.append(item.args[0].id)
                bound.add(item.target)
            elif isinstance(item, If):
                arms = [visit(item.body, bound), visit(item.orelse, bound)]
                arms = [arm for arm in arms if arm is not None]
                if not arms:
                    return None
                bound.update(set.intersection(*arms))
            elif isinstance(item, Loop):
                visit(item.body, _Scope(bound, set(item.carried) | set(store_names(item.target))))
                bound.update(item.carried)
            elif isinstance(item, Jump):
                return None
        return bound.own
    visit(items, _Scope(None, bound))
    assigned = all_targets(items)
    return [name for name in found if name in assigned]


def _check_atom(atom, defined, program):
    if isinstance(atom, ast.Constant):
        return
    if isinstance(atom, ast.Attribute):
        while isinstance(atom, ast.Attribute):
            atom = atom.value
        assert isinstance(atom, ast.Name) and atom.id not in defined, ast.dump(atom)
        return
    assert isinstance(atom, ast.Name), ast.dump(atom)
    if atom.id in defined:
        return
    node = program.parsed.node        # its assigned names, found once per validation
    cached = getattr(program, "_assigned_names", None)
    if cached is None or cached[0] is not node:
        cached = program._assigned_names = (node, assigned_names(node))
    assert atom.id not in cached[1], atom.id


def format_program(program):
    """The SSA body as text, one step per line with its number."""
    lines = _format_block(program.body, "")
    lines.append("return " + ", ".join(ast.unparse(o) for o in program.outputs))
    return "\n".join(lines)


def _format_block(items, indent):
    lines = []
    for item in items:
        if isinstance(item, Step):
            lines.append(f"{indent}{unparse(item.statement)}  # ({item.number})")
        elif isinstance(item, If):
            lines.append(f"{indent}if {unparse(item.test)}:")
            lines += _format_block(item.body, indent + "    ") or [indent + "    pass"]
            if item.orelse:
                lines.append(f"{indent}else:")
                lines += _format_block(item.orelse, indent + "    ")
        elif isinstance(item, Loop):
            head = (f"for {unparse(item.target)} in {unparse(item.iterable)}:" if item.kind == "for"
                    else f"while {unparse(item.test) if item.test is not None else 'True'}:")
            lines.append(f"{indent}{head}  # carries {', '.join(item.carried) or 'nothing'}")
            lines += _format_block(item.body, indent + "    ") or [indent + "    pass"]
        elif isinstance(item, Jump):
            lines.append(f"{indent}{item.kind}")
        else:
            lines.append(indent + unparse(item.stmt))
    return lines


def read_names(node):
    """The local names an operand reads, in order, once each."""
    seen = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id not in seen:
            seen.append(sub.id)
    return [ast.Name(n, ast.Load()) for n in seen]


def atom_key(node):
    """The key of an atom in ``kinds``: its name, or for a dotted free name (``data.X``,
    ``X.T``) the dotted text; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = atom_key(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def leaves(node, path=()):
    """``(path, atom)`` for every atom of a (nested) list or tuple display, in order; a
    node that is no display is its own single leaf at path ``()``."""
    if isinstance(node, (ast.List, ast.Tuple)):
        for i, element in enumerate(node.elts):
            yield from leaves(element, path + (i,))
    else:
        yield path, node


def is_display(node):
    return isinstance(node, (ast.List, ast.Tuple))


_ARRAY_SETITEM = rules.lookup(rules.Syntax("array setitem"))     # its row


def is_array_program(program):
    if program.reads_arrays:
        return True
    for step in program.steps:
        if isinstance(step.rule, rules.ArrayRule) or step.callee is not None \
                and rules.is_array_call(step.callee):
            return True
        if step.rule is _ARRAY_SETITEM:
            return True                         # ys[:] = xs: NumPy's slice assignment
        if isinstance(step.value, ast.Attribute) and isinstance(
                rules.lookup(rules.Attribute(step.value.attr)), rules.Nondifferentiable):
            return True
    return False
