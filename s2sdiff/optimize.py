"""Clean a generated listing without changing what it computes.

Repeated to a fixed point:

* literal arithmetic and comparisons are folded (``2 - 1`` is ``1``, ``-(1.0)`` is
  ``-1.0``, ``a if 2.0 != 0 else b`` is ``a``; ``folding.py``);
* identities that hold for every float and array go: ``x * 1``, ``1 * x``, ``x / 1``,
  ``x + 0``, ``x - 0``, ``x ** 1``, ``--x``; ``x * -1`` becomes ``-x``, ``a + -b * c``
  becomes ``a - b * c`` and ``d += -e`` becomes ``d -= e``;
* a derivative assigned once from a literal is substituted into its uses, and so is a
  derivative that merely copies another name, unless it is the derivative of a user
  variable (``dsigx = dden`` stays: the user will look for ``dsigx``);
* derivative assignments nobody reads are removed, and so are comments left heading
  an empty block.

Nothing that could change a shape or hide a NaN is folded: ``0 * x`` stays, and the
forward sweep is never rewritten.

The forward statements nobody reads go in ``liveness.prune_forward``, after ``optimize``.

>>> import ast
>>> print(ast.unparse(fold(ast.parse("2 * xpy ** (2 - 1) * 1.0", mode="eval").body)))
2 * xpy
"""

import ast

from .custom import stop_gradient
from .rules import Syntax
from .folding import (_CHILD_FIELDS, _Assign, _Name, _child_fields, _fold, _integral, _number,
                      _without_sign, fold)  # noqa: F401  (others import fold from here)
from .listing import Block, Comment, Line, assign, copy_tree, walk_lines
from .module_numbers import free_numbers
from .liveness import Memo as _Memo, prune_forward, scan, written as _written  # noqa: F401
# (pipeline imports prune_forward here)


def optimize(listing):
    """Optimise ``listing`` in place (see the module docstring) and return it."""
    protected = _names_in(listing.returns)
    derivatives = listing.derivative_names
    integral = _integral_names(listing.origin)
    memo = _Memo()
    entry = memo.entry
    lines = walk_lines(listing.body)
    # The four steps run in turn until each has run on the listing as it is and changed
    # nothing.  A step that changed nothing on a listing changes nothing on it again, and
    # so does ``_propagate`` right after its own pass (substitutions go forward within
    # it), which saves a second pass over the whole listing.
    quiet = 0
    entries = memo.entries
    while True:
        folded = False
        for line in lines:
            stmt = line.stmt
            known = entries.get(id(stmt))       # entry(stmt), inlined: every line, each round
            if known is None or known[0] is not stmt:
                known = entry(stmt)
            if known[3]:
                continue            # folded already
            if known[5] not in derivatives:
                known[3] = True     # the forward sweep is the user's code: left as written
                continue
            new, changed = _fold_statement(stmt, integral, memo)
            if changed:
                memo.forget(stmt)
                line.stmt = new
                memo.touched.append(line)
                folded = True
            else:
                known[3] = True
        quiet = 0 if folded else quiet + 1
        if quiet == 4:
            break
        quiet = 1 if _propagate(listing, derivatives, protected, memo, integral) else quiet + 1
        if quiet == 4:
            break
        quiet = 0 if _propagate_in_blocks(listing, derivatives, protected, memo) else quiet + 1
        if quiet == 4:
            break
        quiet = 0 if _remove_dead(listing, derivatives, protected, memo) else quiet + 1
        if quiet == 4:
            break
        lines = memo.take_touched()     # the next round folds only the lines changed since
    listing.body = _drop_empty_comments(listing.body)
    listing._memo = memo            # for prune_forward, which runs next (pipeline.py)
    return listing


def _names_in(node):
    """Every name in ``node``."""
    names = set()
    scan(node, names, names)
    return names


def _in_blocks(body, memo):
    """Names read or written inside blocks: left alone by propagation."""
    names = set()
    entry = memo.entry
    for item in body:
        if item.__class__ is Block:
            scan(item.head, names, names)
            for line in walk_lines((item,)):
                stmt = line.stmt
                known = entry(stmt)
                names |= known[2]
    return names


# folding ------------------------------------------------------------------------

def _integral_names(program):
    """Names that may hold ints or bools: results of comparisons, floor, len... (not of
    ``stop_gradient``, which returns its argument unchanged), and names one assignment of
    which is integer arithmetic on those and int literals (``n = 0``, ``n = n + 1``): a
    name set to ``0`` in one branch and to a float in another holds an int on one path.
    A list may hold ints when one of its elements is built or set from such a value."""
    steps = program.steps           # with v[i] = e and v.append(e), whose target is v
    integral = {s.target for s in steps if not s.differentiable and s.callee is not stop_gradient}
    changed = True
    while changed:
        changed = False
        for s in steps:
            if s.target not in integral and _integral(s.value, integral):
                integral.add(s.target)
                changed = True
    kinds = program.kinds     # NumPy code: the dtypes seen (kinds.py)
    if kinds:
        integral |= {n for n, k in kinds.items() if k.dtype in "biu"}
    # an int read from the module (K = 3), checked on entry (objects.number_tests)
    ints = {read for read, kind in free_numbers(program).items() if kind is int}
    if ints:
        integral |= ints | {s.target for s in steps if s.value is not None and isinstance(
            s.value, (ast.Subscript, ast.Attribute)) and ast.unparse(s.value) in ints}  # LST[0]
    return frozenset(integral)


def _fold_statement(stmt, integral, memo):
    """The statement folded (its value in place), and whether anything changed; ``memo``
    forgets it when it changed."""
    if not memo.has_literal(stmt):
        return stmt, False          # every rule needs a literal or a sign to act on
    value = stmt.value
    if value.__class__ is ast.BinOp and value.op.__class__ is ast.Mult \
            and value.right.__class__ is _Name and value.left.__class__ is ast.Constant \
            and value.left.value.__class__ is int and value.left.value in (1, -1):
        # `1 * d`, `-1 * d` (a third of the reverse sweep): what _fold gives, in one step
        stmt.value = value.right if value.left.value == 1 else ast.UnaryOp(ast.USub(), value.right)
        folded = True
    else:
        stmt.value, folded = _fold(value, integral)
    if folded:
        memo.forget(stmt)
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
        positive = _without_sign(stmt.value)
        if positive is not None:
            memo.forget(stmt)
            return ast.AugAssign(stmt.target, ast.Sub(), positive, lineno=0), True
    return stmt, folded


# propagation and dead code ---------------------------------------------------------

def _propagate(listing, derivatives, protected, memo, integral=None):
    """Substitute derivatives assigned once from a literal or a copyable name; one pass,
    each folded once substituted into (a literal it becomes goes on in the same pass).
    Only straight-line code outside blocks: a name a loop or branch touches stays."""
    blocked = _in_blocks(listing.body, memo)
    entry = memo.entry
    lines, writes, last_write = [], {}, {}
    for item in listing.body:
        if item.__class__ is Line:
            known = entry(item.stmt)
            name = known[5]
            writes[name] = writes.get(name, 0) + 1
            last_write[name] = len(lines)
            lines.append((item, known))     # still its entry when the loop below gets to it
    substitutions, removed = {}, set()
    kept = listing.kept
    for index, (line, known) in enumerate(lines):
        stmt = line.stmt
        if substitutions and not substitutions.keys().isdisjoint(known[1]):
            _substitute(stmt, substitutions)
            memo.forget(stmt)
            memo.touched.append(line)
            folded = False
            if integral is not None and known[5] in derivatives:
                line.stmt, folded = _fold_statement(stmt, integral, memo)
            stmt = line.stmt
            known = entry(stmt)
            known[3] = not folded and integral is not None   # folding it again changes nothing
        name = known[5]
        if not (stmt.__class__ is ast.Assign and name in derivatives and writes[name] == 1
                and name not in protected and name not in blocked):
            continue
        value = stmt.value
        if isinstance(value, ast.Name) and value.id in blocked:
            continue
        literal = _number(value) is not None
        copy = (isinstance(value, ast.Name) and name not in kept
                and last_write.get(value.id, -1) < index)
        if literal or copy:
            substitutions[name] = value
            removed.add(id(line))
    _remove(listing, removed, memo)
    return bool(removed)


def _propagate_in_blocks(listing, derivatives, protected, memo):
    """Inside a branch or loop body: ``da = db`` read only by the statements after it in
    the same body, before ``db`` changes, is substituted (``dtanh = ds`` in a loop)."""
    if not any(isinstance(item, Block) for item in listing.body):
        return False
    writes, reads = {}, {}          # plain dicts: Counter.update costs an ABC test a call
    entry = memo.entry
    for line in walk_lines(listing.body):
        known = entry(line.stmt)
        writes[known[5]] = writes.get(known[5], 0) + 1
        for name in known[1]:
            reads[name] = reads.get(name, 0) + 1
    changed = False
    for item in listing.body:
        if isinstance(item, Block):
            for block in _blocks_in(item):
                changed |= _propagate_body(block, derivatives, protected, listing.kept,
                                           writes, reads, memo)
    return changed


def _blocks_in(block):
    yield block.body
    yield block.orelse
    for item in block.body + block.orelse:
        if isinstance(item, Block):
            yield from _blocks_in(item)


def _propagate_body(body, derivatives, protected, kept, writes, reads, memo):
    """Every substitution of ``_propagate_in_blocks`` in ``body``, in order; ``writes`` and
    ``reads`` (statements writing, reading each name) are kept up to date."""
    changed = False
    i = 0
    while i < len(body):
        item = body[i]
        i += 1
        if not isinstance(item, Line):
            continue
        stmt = item.stmt
        name = _written(stmt)
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
                and name in derivatives and name not in kept and name not in protected
                and writes.get(name) == 1):
            continue
        source = stmt.value.id
        wanted = reads.get(name, 0)
        uses = []
        for j in range(i, len(body)):
            if len(uses) == wanted:
                break
            if isinstance(body[j], Line) and name in memo.reads(body[j].stmt):
                uses.append(j)
        if len(uses) != wanted or any(
                isinstance(body[j].stmt, ast.AugAssign)
                and _written(body[j].stmt) == name for j in uses):
            continue                     # read elsewhere (a nested block, another path)
        last = uses[-1] if uses else i - 1
        # the last use may itself assign the source: it reads before it writes
        if any(source in _written_anywhere(body[j]) for j in range(i, last)):
            continue
        for j in uses:
            use = body[j].stmt
            if source not in memo.reads(use):
                reads[source] = reads.get(source, 0) + 1
            _substitute(use, {name: stmt.value})
            memo.forget(use)
            memo.touched.append(body[j])
        reads[name] = 0
        reads[source] = reads.get(source, 0) - 1
        writes[name] = 0
        i -= 1
        memo.removed.add(id(body[i]))
        del body[i]
        changed = True
    return changed


def _written_anywhere(item):
    if isinstance(item, Line):
        return {_written(item.stmt)}
    return {_written(line.stmt) for line in walk_lines([item])}


def _substitute(node, substitutions):
    """Replace, in place, each name ``node`` reads that ``substitutions`` maps by a copy of
    its value (``node`` itself is never a name: it is a statement or an expression)."""
    for field in _CHILD_FIELDS.get(node.__class__) or _child_fields(node.__class__):
        value = getattr(node, field, None)
        if value.__class__ is list:
            for i, item in enumerate(value):
                if item.__class__ is _Name:
                    value[i] = _substituted(item, substitutions)
                elif isinstance(item, ast.AST):
                    _substitute(item, substitutions)
        elif value.__class__ is _Name:
            setattr(node, field, _substituted(value, substitutions))
        elif isinstance(value, ast.AST):
            _substitute(value, substitutions)


def _substituted(name, substitutions):
    if name.id in substitutions and isinstance(name.ctx, ast.Load):
        return ast.copy_location(copy_tree(substitutions[name.id]), name)
    return name


def _remove(listing, ids, memo):
    if ids:
        memo.removed |= ids
        listing.body = _without(listing.body, ids)


def _without(items, ids):
    kept = []
    for item in items:
        if id(item) in ids:
            continue
        if isinstance(item, Block):
            item.body = _without(item.body, ids)
            item.orelse = _without(item.orelse, ids)
        kept.append(item)
    return kept


def _remove_dead(listing, derivatives, protected, memo):
    """Remove derivative assignments nobody reads afterwards (and ``d = d``).  Inside a
    block "afterwards" may wrap around a loop, so there a line goes only if its name is
    read nowhere."""
    read_anywhere = None                # computed at the first block
    read_later = set(protected)
    entry, entries = memo.entry, memo.entries
    dead = set()
    for item in reversed(listing.body):
        if item.__class__ is Line:          # most items: entry(stmt) inlined
            stmt = item.stmt
            known = entries.get(id(stmt))
            if known is None or known[0] is not stmt:
                known = entry(stmt)
            if (known[5] in derivatives and known[5] not in read_later) or (
                    stmt.__class__ is _Assign and stmt.value.__class__ is _Name
                    and _is_self_copy(stmt)):
                dead.add(id(item))
                continue
            read_later.update(known[1])
            continue
        if isinstance(item, Block):
            if read_anywhere is None:
                read_anywhere = set(protected)
                for line in walk_lines(listing.body):
                    stmt = line.stmt
                    known = entry(stmt)
                    read_anywhere |= known[1]
                for other in listing.body:
                    if isinstance(other, Block):
                        scan(other.head, read_anywhere, read_anywhere)
            for line in walk_lines((item,)):
                stmt = line.stmt
                known = entry(stmt)
                name = known[5]
                if name in derivatives and name not in read_anywhere:
                    dead.add(id(line))
                elif stmt.__class__ is _Assign and _is_self_copy(stmt):
                    dead.add(id(line))
                read_later |= known[1]
            scan(item.head, read_later, read_later)
    _remove(listing, dead, memo)
    return bool(dead)


def _is_self_copy(stmt):
    return stmt.__class__ is ast.Assign and stmt.value.__class__ is _Name \
        and stmt.targets[0].__class__ is _Name and stmt.targets[0].id == stmt.value.id


def _drop_empty_comments(body):
    kept = []
    for i, item in enumerate(body):
        if isinstance(item, Block):
            item.body = _drop_empty_comments(item.body)
            item.orelse = _drop_empty_comments(item.orelse)
        if isinstance(item, Comment) and item.text.startswith(("backprop", "reverse sweep")):
            following = body[i + 1] if i + 1 < len(body) else None
            if not isinstance(following, (Line, Block)):
                continue
        kept.append(item)
    return kept


ARRAY_SETITEM = Syntax("array setitem")
VIEWS = {"T", "reshape", "broadcast_to", "transpose", "expand_dims", "swapaxes", "ravel",
         "moveaxis", "flip", "fliplr", "flipud", "squeeze",
         "diag", "diagonal",       # of a 2-D array: a read-only view of its diagonal
         "asarray", "asanyarray", "ascontiguousarray", "atleast_1d", "atleast_2d",
         "atleast_3d", "real", "imag", "view"}     # the array itself, or a view of it


def fresh_array(node):
    """Whether ``node`` evaluates to a newly allocated array (never a view or an alias)."""
    if isinstance(node, (ast.Name, ast.Subscript, ast.Constant)):
        return False
    if isinstance(node, ast.Attribute):
        return False
    if isinstance(node, ast.Call):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        return func not in VIEWS
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return fresh_array(node.operand)
    return True


def _adds_at(stmt):
    """The name ``np.add.at(name, ...)`` writes into, or None."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func, args = stmt.value.func, stmt.value.args
        if isinstance(func, ast.Attribute) and func.attr == "at" \
                and isinstance(func.value, ast.Attribute) and func.value.attr == "add" \
                and args and isinstance(args[0], ast.Name):
            return args[0].id
    return None


def _is_copy_of(value, name):
    """Whether ``value`` is ``name.copy()``."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and value.func.attr == "copy" and isinstance(value.func.value, ast.Name) \
        and value.func.value.id == name and not value.args


def _restores(listing):
    """The forward names of a listing that restores entries of arrays written in place
    (``a[i] = e``, whose reverse ends with ``a[i] = a_saved``), other than parameters; an
    empty set when it restores none."""
    program = listing.origin
    if not any(getattr(s.rule, "key", None) == ARRAY_SETITEM for s in program.steps):
        return set()
    return {s.target for s in program.steps} - set(program.params)


def no_writes_through_aliases(listing):
    """After ``optimize`` (which may fold ``1.0 * s`` to ``s``): an adjoint that is ever
    bound to another array itself or a view of it (``ds = s``) is never written in place:
    ``ds += t`` becomes ``ds = ds + t``, and ``ds[i] += t`` first copies ``ds``.  Nothing
    the caller passed in, and no forward value, is ever modified.  In a listing that
    restores entries written in place (``a[i] = a_saved``), an adjoint is never bound to a
    forward array: ``dw = z.copy()``, not ``dw = z`` (``z`` may view ``a``)."""
    derivatives = listing.derivative_names
    restores = _restores(listing)
    aliased = set()
    for line in walk_lines(listing.body):
        stmt = line.stmt
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id in derivatives and not fresh_array(stmt.value) \
                and not isinstance(stmt.value, ast.Constant):
            if restores and any(n.id in restores for n in ast.walk(stmt.value)
                                if isinstance(n, ast.Name)):
                # `dw = z` of a forward array that a restore `a[i] = a_saved` may change
                # (z a view or a copy of a): its own copy
                stmt.value = ast.Call(ast.Attribute(stmt.value, "copy", ast.Load()), [], [])
                continue
            aliased.add(stmt.targets[0].id)
    if not aliased:
        return

    def rewrite(items):
        out, owned = [], set()          # names holding an array of their own here

        def copied(name):
            if name not in owned:
                out.append(Line(assign(name, ast.Call(ast.Attribute(
                    ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
                owned.add(name)
        for item in items:
            if isinstance(item, Block):
                item.body, item.orelse = rewrite(item.body)[0], rewrite(item.orelse)[0]
                owned.clear()           # a loop may run again, a branch may not run
            elif isinstance(item, Line) and isinstance(item.stmt, ast.AugAssign):
                target = item.stmt.target
                if isinstance(target, ast.Name) and target.id in aliased:
                    item.stmt = assign(target.id, ast.BinOp(ast.Name(target.id, ast.Load()),
                                                            item.stmt.op, item.stmt.value))
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                        and target.value.id in aliased:
                    copied(target.value.id)
            elif isinstance(item, Line) and isinstance(item.stmt, ast.Assign) \
                    and isinstance(item.stmt.targets[0], ast.Subscript) \
                    and isinstance(item.stmt.targets[0].value, ast.Name) \
                    and item.stmt.targets[0].value.id in aliased:
                copied(item.stmt.targets[0].value.id)
            elif isinstance(item, Line) and _adds_at(item.stmt) in aliased:
                copied(_adds_at(item.stmt))             # np.add.at(d, i, g) writes into d
            out.append(item)
            if isinstance(item, Line) and isinstance(item.stmt, ast.Assign) \
                    and isinstance(item.stmt.targets[0], ast.Name):
                name = item.stmt.targets[0].id      # bound again: its own array or not
                if _is_copy_of(item.stmt.value, name) or isinstance(
                        item.stmt.value, (ast.BinOp, ast.UnaryOp)):
                    owned.add(name)
                else:
                    owned.discard(name)
        return out, owned
    listing.body, owned_at_end = rewrite(listing.body)
    returned = [n.id for n in ast.walk(listing.returns) if isinstance(n, ast.Name)]
    kinds = listing.origin.kinds or {}
    primal_of = {d: p for p, d in listing.adjoints.items()}
    for name in returned:              # a gradient is an array of its own, never an input
        kind = kinds.get(primal_of.get(name))
        if name in aliased and name in derivatives and kind is not None and kind.array \
                and name not in owned_at_end:
            listing.body.append(Line(assign(name, ast.Call(ast.Attribute(
                ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
