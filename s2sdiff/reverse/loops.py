"""Loops in reverse: what an iteration pushes, recomputes and reverses.

``sweeps.Sweeps.plan`` builds, for each loop, the reverse body, then asks this module
for the rest of the loop's ``Plan``:

* ``prune`` keeps, of the body's forward statements, those the reverse body reads (the
  recomputation: values computed inside an iteration are never stored);
* the values pushed per iteration are the carried names the reverse and the
  recomputation read (``Snapshot`` for a list or array the loop writes into), nothing
  else: a loop whose reverse reads nothing pushes nothing;
* ``reverse_head`` runs the loop backwards: over ``reversed(range(n))`` or ``reversed(xs)``
  when the iterable can be replayed (``replayable``), else ``range(trips)`` with the loop
  targets popped from the tape.

Everything here is a function of the program and the listing; nothing is stateful.
"""

import ast
import copy
from dataclasses import dataclass

from .. import extrema, purity, sorting
from ..activity import scatter_pairs
from ..listing import Block, Line, walk_lines
from ..ir import Loop, Step, store_names, walk_items, walk_steps
from ..rules import Structural, Syntax


@dataclass
class Plan:
    reverse_body: list
    recompute: list
    pushed: list              # carried names (and loop targets) pushed per iteration
    counter: str              # the trip counter's name, or None: the reverse reverses the iterable
    elements_written: set     # loop elements whose adjoint the reverse body always writes
    adjoints: list            # adjoints from outside the loop the reverse body accumulates
    unwritten_carried: list   # carried names whose adjoint the body does not write
    sequences: list           # (element, sequence) pairs scattered into the sequence's adjoint


@dataclass(frozen=True)
class Snapshot:
    """A list or array the loop mutates: pushed as a copy, restored in place
    (``v[:] = ...``); a list the function only ever appends to pushes its length instead
    (``length``, the name it is popped into), restored by ``del v[n:]`` (``truncations``):
    a copy per step would make the tape grow with the square of the steps."""
    name: str
    array: bool = False
    length: str = None


def pack(names, ctx=None):
    ctx = ctx or ast.Load()

    def one(name):
        if isinstance(name, Snapshot) and name.length is not None:
            if isinstance(ctx, ast.Load):
                return ast.Call(ast.Name("len", ast.Load()), [ast.Name(name.name, ast.Load())], [])
            return ast.Name(name.length, ast.Store())
        if isinstance(name, Snapshot):
            if isinstance(ctx, ast.Load) and name.array:
                return ast.Call(ast.Attribute(ast.Name(name.name, ast.Load()), "copy",
                                              ast.Load()), [], [])
            if isinstance(ctx, ast.Load):
                return ast.Call(ast.Name("list", ast.Load()), [ast.Name(name.name, ast.Load())], [])
            return ast.Subscript(ast.Name(name.name, ast.Load()), ast.Slice(), ast.Store())
        return ast.Name(name, ctx)
    if len(names) == 1:
        return one(names[0])
    return ast.Tuple([one(n) for n in names], ctx)


def truncations(names):
    """``del v[n:]`` for each list of ``names`` pushed by its length (``Snapshot.length``),
    after the pop that set ``n``: the list as it was when the step started."""
    return [Line(ast.Delete([ast.Subscript(ast.Name(n.name, ast.Load()), ast.Slice(
        ast.Name(n.length, ast.Load())), ast.Del())]))
        for n in names if isinstance(n, Snapshot) and n.length is not None]


def appended_only(program):
    """Names of lists the function changes only by ``v.append(e)``."""
    mutations = {}
    for step in walk_steps(program.body):
        if step.mutates:
            mutations.setdefault(step.target, set()).add(
                isinstance(step.rule, Structural) and step.rule.key == Syntax("append"))
    return {name for name, appends in mutations.items() if appends == {True}}


def replayable(loop, replayable):
    """Whether the reverse loop can run over the iterable again, backwards: a ``range``
    or a name (``reversed(xs)`` raises for an iterator the forward loop used up, rather
    than running zero times) of a parameter or of a list or tuple the function built
    (``replayable``).  Other loops count their trips and push their targets."""
    it = loop.iterable
    return (isinstance(it, ast.Name) and it.id in replayable) or (
        isinstance(it, ast.Call) and getattr(it.func, "id", None) == "range")


def reverse_head(loop, plan, index):
    """``for i in reversed(range(n)):`` when the loop ran over all of its iterable;
    ``for _ in range(trips):`` when it may have stopped early (its values come off the
    tape); with an index ``k`` where a sequence's adjoint is scattered into."""
    if plan.counter:
        target = ast.Name(index or "_", ast.Store())
        trips = ast.Call(ast.Name("range", ast.Load()), [ast.Name(plan.counter, ast.Load())], [])
        if index:
            trips = ast.Call(ast.Name("reversed", ast.Load()), [trips], [])
        return ast.For(target, trips, [], [], lineno=0)
    iterable = copy.deepcopy(loop.iterable)
    target = copy.deepcopy(loop.target)
    if index:
        iterable = ast.Call(ast.Name("enumerate", ast.Load()), [iterable], [])
        target = ast.Tuple([ast.Name(index, ast.Store()), target], ast.Store())
    if isinstance(iterable, ast.Call) and getattr(iterable.func, "id", None) == "reversed" \
            and not index:
        return ast.For(target, iterable.args[0], [], [], lineno=0)
    if not (isinstance(iterable, ast.Name) or (isinstance(iterable, ast.Call) and getattr(
            iterable.func, "id", None) == "range")):
        iterable = ast.Call(ast.Name("list", ast.Load()), [iterable], [])
    return ast.For(target, ast.Call(ast.Name("reversed", ast.Load()), [iterable], []), [], [],
                   lineno=0)


def elements(loop):
    """(element name, sequence name) pairs of a ``for`` loop over whole entries, or None."""
    if loop.kind != "for":
        return None
    return scatter_pairs(loop)


def sequences(program):
    """Names iterated over, indexed or measured (``len(ys)``): their adjoints are
    sequences, not numbers (a list whose entries never reach the output has zeros)."""
    names = set()
    for item in walk_items(program.body):
        if isinstance(item, Loop):
            for _, sequence in elements(item) or []:
                names.add(sequence)
        if isinstance(item, Step) and item.callee is len and len(item.args) == 1 \
                and isinstance(item.args[0], ast.Name):
            names.add(item.args[0].id)
        if isinstance(item, Step) and isinstance(item.rule, Structural):
            if item.rule.key in (Syntax("display"), sorting.KEY) or item.mutates:
                names.add(item.target)
            if item.rule.key == sorting.KEY:
                names.add(item.args[0].id)
            elif (item.rule.key == Syntax("getitem") or item.rule.key in extrema.FORMS) \
                    and isinstance(item.args[0], ast.Name):
                names.add(item.args[0].id)
    return _through_copies(names, program)


def _through_copies(names, program):
    """``names`` and the names copied from or into one of them (``t = t_2``, the merge of
    a tuple after a loop): a copy's adjoint is its source's, a sequence too."""
    pairs = [(s.target, s.args[0].id) for s in walk_steps(program.body)
             if getattr(s.rule, "key", None) == Syntax("copy") and isinstance(s.args[0], ast.Name)]
    grown = True
    while grown:
        grown = False
        for target, source in pairs:
            if (target in names) != (source in names):
                names |= {target, source}
                grown = True
    return names


def inside_block(body, step):
    return not any(item is step for item in body)


def local_names(loop):
    """Names whose values live for one iteration of ``loop``: defined in its body (but not
    carried) or bound by its header."""
    names = {s.target for s in walk_steps(loop.body) if not s.mutates} \
        | set(store_names(loop.target))
    for item in walk_items(loop.body):
        if isinstance(item, Loop):
            names |= set(item.carried) | set(store_names(item.target))
    return names - set(loop.carried)


def loads(items):
    """The names the statements of ``items`` read (an ``AugAssign``'s target too), once per
    reading; in no particular order (callers take their set)."""
    names = []
    for item in items:
        if isinstance(item, Line):
            node = item.stmt
        elif isinstance(item, Block):
            node = item.head
            names += loads(item.body) + loads(item.orelse)
        else:
            continue
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        names += [n.id for n in name_nodes(node) if n.ctx.__class__ is ast.Load]
    return names


def name_nodes(node):
    """The ``Name`` nodes in the tree ``node`` (``node`` itself included), in no particular
    order: what ``nodes_of`` finds of them, faster for the nodes statements of generated code
    are made of (their other children, operators and contexts, are not visited)."""
    found, todo = [], [node]
    pop, push = todo.pop, todo.append
    while todo:
        node = pop()
        cls = node.__class__
        if cls is ast.Name:
            found.append(node)
        elif cls is ast.Constant:
            continue
        elif cls is ast.BinOp:
            push(node.left)
            push(node.right)
        elif cls is ast.Assign or cls is ast.AugAssign:
            todo += node.targets if cls is ast.Assign else [node.target]
            push(node.value)
        elif cls is ast.Call:
            push(node.func)
            todo += node.args
            todo += [k.value for k in node.keywords]
        elif cls is ast.Attribute or cls is ast.UnaryOp:
            push(node.value if cls is ast.Attribute else node.operand)
        else:
            todo += [n for n in ast.iter_child_nodes(node)
                     if not isinstance(n, (ast.expr_context, ast.operator, ast.unaryop,
                                           ast.cmpop, ast.boolop))]
    return found


def stores(stmt):
    """Names ``stmt`` assigns or mutates (``v[i] = e`` and ``v.append(e)`` mutate ``v``)."""
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
        return [stmt.targets[0].value.id]
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "append" \
            and isinstance(stmt.value.func.value, ast.Name):
        return [stmt.value.func.value.id]
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
        if len(targets) == 1 and targets[0].__class__ is ast.Name:     # the common case
            return [targets[0].id] if targets[0].ctx.__class__ is ast.Store else []
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)]
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def adjoints_in(items, derivatives):
    found = set()
    for line in walk_lines(items):
        for n in name_nodes(line.stmt):
            if n.id in derivatives:
                found.add(n.id)
    return found


def without_carried_writes(items, carried):
    """``items`` without the statements that assign carried names (they would overwrite
    the iteration's starting values the reverse reads) and without jumps."""
    out = []
    for item in items:
        if isinstance(item, Line):
            if isinstance(item.stmt, (ast.Break, ast.Continue)):
                continue
            if set(stores(item.stmt)) & set(carried):
                continue
            out.append(item)
        elif isinstance(item, Block):
            if isinstance(item.head, ast.If):
                out.append(Block(item.head, without_carried_writes(item.body, carried),
                                 without_carried_writes(item.orelse, carried)))
            else:
                out.append(item)
        else:
            out.append(item)
    return out


def refuse_redrawn(program, loop, recompute):
    """An error if the recomputation calls a random draw (``purity.py``): recomputed, it
    would differ from the forward's."""
    tags = {line.tag for line in walk_lines(recompute)}
    purity.refuse_redrawn(
        program, [s for s in walk_steps(loop.body) if s.number in tags],
        "the reverse sweep of its loop computes the iteration's values again",
        "Draw the numbers before the loop (`noise = rng.normal(size=n)`) and read "
        "`noise[i]` in it, or pass them in as an argument.")


def prune(items, live):
    """The statements of ``items`` needed to compute the names in ``live`` (dead code
    removed, last to first); loops are kept whole or dropped."""
    live = set(live)
    kept = []
    for item in reversed(items):
        if isinstance(item, Line):
            written = stores(item.stmt)
            if written and set(written) & live:
                kept.append(item)
                live -= set(written)
                live |= set(loads([item]))
        elif isinstance(item, Block) and isinstance(item.head, ast.If):
            body = prune(item.body, live)
            orelse = prune(item.orelse, live)
            if body or orelse:
                kept.append(Block(item.head, body or [Line(ast.Pass())], orelse))
                live |= set(loads([item]))
        elif isinstance(item, Block):
            defined = {n for line in walk_lines([item]) for n in stores(line.stmt)}
            if isinstance(item.head, ast.For):     # the target keeps its last value after
                defined |= {n.id for n in ast.walk(item.head.target) if isinstance(n, ast.Name)}
            pushes = any(isinstance(line.stmt, ast.Expr) for line in walk_lines([item]))
            if pushes or defined & live:
                kept.append(item)
                live |= set(loads([item]))
    kept.reverse()
    return kept
