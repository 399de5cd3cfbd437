"""What statements read, and the forward statements nobody reads.

``Memo`` keeps the names of each statement for ``optimize``'s passes until a pass changes
the statement, so that each round costs in proportion to what changed.

``prune_forward`` runs after ``optimize`` in reverse mode (``grad``, the pullbacks of
``vjp``, ``jacrev``; forward mode keeps its sweep): it leaves out the forward statements
whose values neither the reverse sweep nor the returned values read.  ``value_and_grad``
returns the value, so what the value needs stays; a loop or branch is kept whole with
what it reads.

The decision on errors (issue 18): in scalar code a statement nobody reads is left out
only if it cannot raise: ``+``, ``-``, ``*``, unary ``-``, comparisons, of literals and of
names bound on every path (not assigned in a loop or branch, which may not run).  A call
(``math.log(x1)`` raises for x1 <= 0), ``/``, ``**``, ``%``, indexing stays and raises as
the user's code does: the gradient never returns a number where the function raises.
A statement that can raise whose rule states where (``rules.Partials.fails``) becomes a
guard that raises the same error and costs a type test and a comparison elsewhere:
``grad`` of ``math.log(x1) + x1 * x2 - math.sin(x2)`` keeps
``if type(x1) is not float or x1 <= 0.0: math.log(x1)`` and drops the product, the sum
and the output (anything but a float runs the call, which refuses what the function
refuses: a string, an array of one or more dimensions).  ``math.sin(x2)`` would become
``if math.isinf(x2): math.sin(x2)`` (``math.isinf`` refuses the same values as
``math.sin``, so it needs no type test), but the reverse sweep's first statement that can
raise, ``dx2 = -math.cos(x2)``, raises the same error on the same values: a guard just
before such a call goes (``_without_repeated_guard``).  (Adding an int too large
for a float to a float raises OverflowError; such ints do not occur as differentiated
values.)  NumPy code (``safe=False``) drops any statement nobody reads: its primitives
return inf or NaN with a RuntimeWarning rather than raise.
"""

import ast

from .build import Expr, Namespace, as_node
from .listing import Block, Line, walk_lines
from .rules import as_key, lookup

_SAFE_OPERATORS = (ast.Add, ast.Sub, ast.Mult)


def _cannot_raise(node, unbound):
    """Whether evaluating ``node`` cannot raise on numbers (see the module docstring)."""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float, bool)
    if isinstance(node, ast.Name):
        return node.id not in unbound
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _SAFE_OPERATORS) and _cannot_raise(node.left, unbound) \
            and _cannot_raise(node.right, unbound)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.USub, ast.UAdd)) and _cannot_raise(node.operand, unbound)
    if isinstance(node, ast.Compare):
        return all(_cannot_raise(n, unbound) for n in [node.left] + node.comparators)
    return False


class Memo:
    """What the passes know of each statement (the names it reads, the names in it, the
    name it assigns, whether folding leaves it as it is), kept until a pass changes the
    statement: each round of ``optimize`` then costs in proportion to what changed, not
    to the listing.  ``entry(stmt)`` is ``[stmt, reads, names, settled, literal, written,
    bases]``: ``settled`` once folding has nothing to do on it, ``literal`` whether its
    value holds something folding may act on (``scan``), ``written`` the name it assigns
    or None, ``bases`` the names it subscripts.  A pass that changes a statement in place calls
    ``forget``; ``optimize`` leaves its ``Memo`` to ``prune_forward`` (``listing._memo``),
    which runs right after it."""

    def __init__(self):
        self.entries = {}           # id(stmt) -> the entry
        self.touched = []           # Lines whose statement a pass changed (to fold again)
        self.removed = set()        # id of each Line a pass removed (optimize makes no Line:
                                    # no id is reused while it runs)

    def take_touched(self):
        """The Lines changed since the last call, once each, those removed left out."""
        touched, self.touched = self.touched, []
        seen = set(self.removed)
        out = []
        for line in touched:
            if id(line) not in seen:
                seen.add(id(line))
                out.append(line)
        return out

    def entry(self, stmt):
        entry = self.entries.get(id(stmt))
        if entry is not None and entry[0] is stmt:
            return entry
        targets = getattr(stmt, "targets", None)
        if stmt.__class__ is _Assign and len(targets) == 1 \
                and targets[0].__class__ is _Name:  # d = e, most statements: no field loop
            loads, names, bases = set(), set(), set()
            literal = scan(stmt.value, loads, names, bases)
            names.add(targets[0].id)
            entry = self.entries[id(stmt)] = [stmt, loads, names, False, literal,
                                              targets[0].id, bases]
        else:
            loads, names, bases = set(), set(), set()
            value = getattr(stmt, "value", None)
            literal = scan(value, loads, names, bases) if isinstance(value, AST) else False
            for field in _fields(stmt.__class__):
                if field != "value":
                    child = getattr(stmt, field, None)
                    if child.__class__ is list:
                        for c in child:
                            if c.__class__ is _Name:     # the target of ``d = e``: no walk
                                names.add(c.id)
                                if c.ctx.__class__ is _Load:
                                    loads.add(c.id)
                            elif isinstance(c, AST):
                                scan(c, loads, names, bases)
                    elif child.__class__ is _Name:
                        names.add(child.id)
                        if child.ctx.__class__ is _Load:
                            loads.add(child.id)
                    elif isinstance(child, AST):
                        scan(child, loads, names, bases)
            entry = self.entries[id(stmt)] = [stmt, _augmented(stmt, loads), names, False,
                                              literal, written(stmt), bases]
        return entry

    def reads(self, stmt):
        return self.entry(stmt)[1]

    def names(self, stmt):
        return self.entry(stmt)[2]

    def has_literal(self, stmt):
        """Whether ``stmt.value`` holds something folding may act on (``scan``)."""
        return self.entry(stmt)[4]

    def forget(self, stmt):
        self.entries.pop(id(stmt), None)


def written(stmt):
    """The name ``stmt`` assigns (``d`` of ``d = e``, ``d += e``), or None."""
    target = stmt.targets[0] if stmt.__class__ is ast.Assign else getattr(stmt, "target", None)
    return target.id if target.__class__ is ast.Name else None


def _augmented(stmt, loads):
    """``loads`` with what an augmented assignment's target reads (``d`` of ``d += e``,
    every name of ``d[i] += e``)."""
    if stmt.__class__ is ast.AugAssign:
        target = stmt.target
        if target.__class__ is ast.Name:
            loads.add(target.id)
        elif target.__class__ is ast.Subscript:
            scan(target, loads, loads)
    return loads


def reads(stmt):
    """The names ``stmt`` reads (an augmented target too)."""
    loads = set()
    scan(stmt, loads, set())
    return _augmented(stmt, loads)


def nodes(node):
    """Every node under ``node``, in no particular order: ``ast.walk`` without its
    generators (a third of the cost of ``optimize`` on long functions)."""
    out, todo = [], [node]
    AST = ast.AST
    while todo:
        node = todo.pop()
        out.append(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, AST))
    return out


AST = ast.AST
_Name, _Load, _Store, _Constant, _UnaryOp, _Subscript, _Assign = (
    ast.Name, ast.Load, ast.Store, ast.Constant, ast.UnaryOp, ast.Subscript, ast.Assign)
_Compare, _IfExp, _BinOp = ast.Compare, ast.IfExp, ast.BinOp
# fields that never hold a name, a literal or a unary operation (operators, contexts, strings)
_LEAF_FIELDS = {"ctx", "op", "ops", "id", "attr", "arg", "kind", "type_comment", "name",
                "module", "names", "level", "conversion", "is_async", "simple"}
_FIELDS = {ast.Constant: ()}


def _fields(cls):
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in _LEAF_FIELDS)
    return fields


def scan(node, loads, names, bases=None):
    """Add the ids of the ``Name`` nodes under ``node`` to ``names``, those read (``Load``)
    to ``loads`` too, and to ``bases`` (if given) the names subscripted (``v`` of
    ``v[i]``); return whether something folding may act on occurs (``folding.py``): a
    unary operation, a comparison, a conditional expression, an operation on two literals,
    a literal that is not a number or is 0, 1 or negative (``0.25 * d`` has none).  The
    one walk every pass asks its questions of (``ast.walk`` costs several times more)."""
    literal = False
    todo = [node]
    pop, push = todo.pop, todo.append
    while todo:
        node = pop()
        cls = node.__class__
        if cls is _Name:
            names.add(node.id)
            if getattr(node, "ctx", None).__class__ is _Load:
                loads.add(node.id)
            continue
        if cls is _Constant:
            value = node.value
            if value.__class__ is not float and value.__class__ is not int or value <= 0 \
                    or value == 1:
                literal = True
            continue
        if cls is _UnaryOp or cls is _Compare or cls is _IfExp:
            literal = True
        elif cls is _BinOp:
            if node.left.__class__ is _Constant and node.right.__class__ is _Constant:
                literal = True
        elif cls is _Subscript and bases is not None and node.value.__class__ is _Name:
            bases.add(node.value.id)
        fields = _FIELDS.get(cls) or _fields(cls)
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for v in value:
                    if isinstance(v, AST):
                        push(v)
            elif isinstance(value, AST):
                push(value)
    return literal


def loads_in_order(node, out):
    """Append to ``out`` the id of each ``Name`` read (``Load``) under ``node``, in the
    order of ``ast.walk`` (breadth first), repeats included."""
    todo = [node]
    for node in todo:                  # grows as it goes: breadth first
        cls = node.__class__
        if cls is _Name:
            if getattr(node, "ctx", None).__class__ is _Load:
                out.append(node.id)
            continue
        for field in _FIELDS.get(cls) or _fields(cls):
            value = getattr(node, field, None)
            if value.__class__ is list:
                todo.extend(v for v in value if isinstance(v, AST))
            elif isinstance(value, AST):
                todo.append(value)
    return out


def stores(node, out):
    """Add to ``out`` the id of each ``Name`` bound (``Store``) under ``node``."""
    todo = [node]
    pop, push = todo.pop, todo.append
    while todo:
        node = pop()
        cls = node.__class__
        if cls is _Name:
            if getattr(node, "ctx", None).__class__ is _Store:
                out.add(node.id)
            continue
        for field in _FIELDS.get(cls) or _fields(cls):
            value = getattr(node, field, None)
            if value.__class__ is list:
                for v in value:
                    if isinstance(v, AST):
                        push(v)
            elif isinstance(value, AST):
                push(value)
    return out


def prune_forward(listing, safe=False):
    """Drop forward statements whose value nothing later reads; with ``safe`` (scalar
    code) only those that cannot raise (``_cannot_raise``)."""
    derivatives = listing.derivative_names
    memo = listing.__dict__.pop("_memo", None)     # optimize's, if it ran just before
    entries = memo.entries if memo is not None else {}
    read = set()
    scan(listing.returns, read, read)
    unbound = {line.stmt.targets[0].id for item in listing.body if isinstance(item, Block)
               for line in walk_lines([item]) if isinstance(line.stmt, ast.Assign)
               and isinstance(line.stmt.targets[0], ast.Name)}     # may be unbound after it
    steps = {s.target: s for s in listing.origin.steps if s.store is None} if safe else {}
    shadowed = set(listing.origin.params) | set(steps)
    kept = []
    for item in reversed(listing.body):
        if item.__class__ is not Line and isinstance(item, Block):
            # kept whole; everything it reads is read
            for line in walk_lines([item]):
                known = entries.get(id(line.stmt))
                if known is not None and known[0] is line.stmt:
                    read |= known[2]
                else:
                    scan(line.stmt, read, read)
            for head in _heads(item):       # `for i in range(n)` of nested loops too
                scan(head, read, read)
        elif item.__class__ is Line:
            stmt = item.stmt
            target = stmt.targets[0].id if stmt.__class__ is _Assign and \
                stmt.targets[0].__class__ is _Name else None
            if target is not None and target not in derivatives and target not in read:
                if not safe or _cannot_raise(stmt.value, unbound):
                    continue
                guard = _guard(stmt.value, steps.get(target), unbound, shadowed)
                if guard is not None:
                    item = Block(guard, [Line(ast.Expr(stmt.value), item.tag, item.note)])
                    stmt = item.body[0].stmt
            known = entries.get(id(stmt))
            if known is not None and known[0] is stmt and not (
                    stmt.__class__ is ast.AugAssign and stmt.target.__class__ is not _Name):
                read |= known[1]        # what it loads (and ``d`` of ``d += e``) and what
                read |= known[6]        # it subscripts: what scanning it gives
            else:
                scan(stmt, read, set(), read)
                if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                    read.add(stmt.target.id)
        kept.append(item)
    listing.repeated_guards = {}
    listing.body = _without_repeated_guard(list(reversed(kept)), listing, shadowed, unbound)


def _without_repeated_guard(body, listing, shadowed, unbound):
    """``body`` without a guard ``if m.isinf(x): m.sin(x)`` after which, before anything
    else that can raise, a function of the same module with the same ``fails`` condition
    is called on the same argument (``dx = -math.cos(x)``): that call raises the same
    error on the same values in Python, so the guard would only repeat it.  Only the last
    guard can qualify: any other is followed by a guard.  ``listing.repeated_guards`` maps
    that statement's ``repeating_call`` to the guarded expression's text, for backends
    whose calls do not raise (numba: ``math.cos(inf)`` is NaN)."""
    for i, item in enumerate(body):
        if isinstance(item, Block) and isinstance(item.head, ast.If) and not item.orelse \
                and len(item.body) == 1 and isinstance(item.body[0], Line) \
                and isinstance(item.body[0].stmt, ast.Expr) \
                and _converts_like(item.head.test, item.body[0].stmt.value):
            statement = _repeated(item.head.test, body, i + 1, listing.origin, shadowed,
                                  unbound)
            if statement is not None:
                guarded = item.body[0].stmt.value
                listing.repeated_guards[repeating_call(statement)] = ast.unparse(guarded)
                return body[:i] + body[i + 1:]
    return body


def _repeated(condition, body, start, program, shadowed, unbound):
    """The first statement of ``body[start:]`` that can raise if it calls a function whose
    ``fails`` condition is ``condition``, first thing (see ``_without_repeated_guard``),
    else None."""
    for index in range(start, len(body)):
        following = body[index]
        if isinstance(following, Block):
            return None
        if not isinstance(following, Line):
            continue                    # a comment
        stmt = following.stmt
        if not isinstance(stmt, (ast.Assign, ast.AugAssign)) or any(
                not isinstance(t, ast.Name) or t.id in unbound
                for t in getattr(stmt, "targets", [getattr(stmt, "target", None)])):
            return None
        call = _first_call(stmt.value, unbound)
        if call is not None:
            break
        if not _cannot_raise(stmt.value, unbound):
            return None
    else:
        return None
    if not _converts_like(condition, call):
        return None
    function = getattr(program.parsed.lookup(call.func.value.id, None), call.func.attr, None)
    rule = lookup(as_key(function)) if callable(function) else None
    found = fails_condition(call, rule, shadowed)
    return stmt if found is not None and ast.dump(found) == ast.dump(condition) else None


def repeating_call(stmt):
    """``(target, text of _first_call)`` of an assignment (``('dx', 'math.cos(x)')``), the
    same for ``d += e`` and ``d = d + e``; None when it calls nothing first."""
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
    value = getattr(stmt, "value", None)
    call = _first_call(value, ()) if isinstance(target, ast.Name) and value is not None else None
    return (target.id, ast.unparse(call)) if call is not None else None


def _first_call(node, unbound):
    """The call of a module's function (``math.cos(x)``) on names or literals that ``node``
    evaluates before anything else that can raise, or None."""
    while True:
        if isinstance(node, ast.Call):
            plain = isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            if plain and not node.keywords and all(_cannot_raise(a, unbound) for a in node.args):
                return node
            return None
        if isinstance(node, ast.UnaryOp):
            node = node.operand
        elif isinstance(node, ast.BinOp):
            node = node.right if _cannot_raise(node.left, unbound) else node.left
        else:
            return None


def _heads(block):
    """The heads of ``block`` and of every block nested in it."""
    yield block.head
    for item in block.body + block.orelse:
        if isinstance(item, Block):
            yield from _heads(item)


class _NoGuard(Exception):
    """The condition needs a module the statement does not name."""


class _GuardNamespace(Namespace):
    """``m`` for a ``fails`` condition: the module the guarded call names (``math`` in
    ``math.log(x)``), or none, and then a condition that needs one is not built."""

    def __init__(self, alias, shadowed):
        super().__init__(alias)
        self.shadowed = shadowed

    def __getattr__(self, name):
        if self.alias is None and not name.startswith("__"):
            raise _NoGuard(name)
        return super().__getattr__(name)

    def abs(self, x):
        if "abs" in self.shadowed:          # the function binds ``abs`` itself
            raise _NoGuard("abs")
        return Namespace.abs(x)


def _guard(value, step, unbound, shadowed):
    """``if type(x) is not float or <fails>:`` for a statement ``value`` of ``step`` whose
    rule says where it raises (``rules.Partials.fails``), on arguments that cannot raise;
    else None.  Anything but a float runs the call, so a value the function would refuse
    (a string, a list, an array of one or more dimensions: ``TypeError``) is refused too,
    and the ``except TypeError`` of the generated code names it.  A condition that is a
    call of the guarded call's own module (``math.isinf(x)`` for ``math.sin(x)``) converts
    its argument as the call does, raising the same error on the same values, so it needs
    no type test: ``if math.isinf(x): math.sin(x)``."""
    rule = getattr(step, "rule", None)
    condition = fails_condition(value, rule, shadowed)
    args = _arguments(value)
    if condition is None or not all(_cannot_raise(a, unbound) for a in args):
        return None
    if _converts_like(condition, value):
        return ast.If(condition, [], [])
    if "type" in shadowed or "float" in shadowed:
        return None
    names = list(dict.fromkeys(a.id for a in args if isinstance(a, ast.Name)))
    not_floats = [ast.Compare(ast.Call(ast.Name("type", ast.Load()), [ast.Name(n, ast.Load())], []),
                              [ast.IsNot()], [ast.Name("float", ast.Load())]) for n in names]
    test = ast.BoolOp(ast.Or(), not_floats + [condition]) if not_floats else condition
    return ast.If(test, [], [])


def _converts_like(condition, value):
    """Whether ``condition`` is a call of the module ``value`` calls (``math.isinf(x)``
    and ``math.sin(x)``): both convert their argument to a float the same way."""
    def module(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name):
            return node.func.value.id
        return None
    return module(condition) is not None and module(condition) == module(value)


def fails_condition(value, rule, shadowed=()):
    """The condition ``rule.fails`` states for ``value``, a call of the rule's function
    (``math.log(x1)``: ``x1 <= 0.0``) or its operator (``a / b``: ``b == 0.0``), or None when
    the rule states none or the condition needs a module the call does not name."""
    fails = getattr(rule, "fails", None)
    args = _arguments(value)
    if fails is None or args is None or len(args) != rule.arity:
        return None
    alias = None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
            and isinstance(value.func.value, ast.Name) and value.func.value.id not in shadowed:
        alias = value.func.value.id
    try:
        return as_node(fails(_GuardNamespace(alias, shadowed), *(Expr(a) for a in args)))
    except _NoGuard:
        return None


def _arguments(value):
    if isinstance(value, ast.Call) and not value.keywords:
        return value.args
    if isinstance(value, ast.BinOp):
        return [value.left, value.right]
    return None
