"""``if``, ``for``, ``while``, ``break`` and ``continue`` into blocks (``ir.If``, ``ir.Loop``,
``ir.Jump``) that keep the SSA invariants listed in ``normalize/__init__.py``: the names
assigned in both arms of an ``if`` merged into one, a loop's carried names assigned at the
end of its body (or just before a jump), loop targets read after the loop carried.
"""

import ast
import bisect
import copy

from .. import rules
from ..build import Expr, Namespace
from ..ir import If, Jump, Loop, Passive, Step, item_loads, nodes_of, store_names, walk_items, \
    walk_steps
from ..rules import Syntax
from .expressions import copy_load


PRELUDE_TEST = "while_test"      # the name a computed `while` condition is assigned to
_ABSENT = object()


class Versions(dict):
    """The normalizer's ``version``: user name -> its current SSA name, with a log of the
    writes since a ``mark`` to ``undo`` them, so that an ``if`` costs what its arms wrote,
    not the number of names in the function.  ``order`` keeps each name's position as a
    dict copied at each ``if`` would have it (``undo`` puts a name popped back where it was)."""

    def __init__(self):
        super().__init__()
        self.log, self.order, self.count = [], {}, 0

    def __setitem__(self, user, name):
        self.log.append((user, dict.get(self, user, _ABSENT), self.order.get(user)))
        if user not in self.order:
            self.order[user] = self.count = self.count + 1
        dict.__setitem__(self, user, name)

    def pop(self, user, *default):
        if user in self:
            self.log.append((user, dict.__getitem__(self, user), self.order.pop(user)))
        return dict.pop(self, user, *default)

    def mark(self):
        return len(self.log)

    def since(self, mark):
        """``{user: (its name at mark or _ABSENT, its position then)}`` of the users written
        since ``mark``."""
        first = {}
        for user, old, position in self.log[mark:]:
            first.setdefault(user, (old, position))
        return first

    def state(self, users):
        """``{user: (its name or _ABSENT, its position)}`` now."""
        return {u: (dict.get(self, u, _ABSENT), self.order.get(u)) for u in users}

    def undo(self, mark):
        log = self.log
        while len(log) > mark:
            user, old, position = log.pop()
            self._put(user, old, position)

    def restore(self, state):
        """Set each user of ``state`` (from ``state``) back to its name and position."""
        for user, (name, position) in state.items():
            self.log.append((user, dict.get(self, user, _ABSENT), self.order.get(user)))
            self._put(user, name, position)

    def _put(self, user, name, position):
        """``user`` holding ``name`` at ``position`` (or absent), unlogged."""
        if name is _ABSENT:
            dict.pop(self, user, None)
            self.order.pop(user, None)
        else:
            dict.__setitem__(self, user, name)
            self.order[user] = position


class ControlFlow:
    """The normalizer's handlers of blocks (mixed into ``Normalizer``)."""

    def nested(self, stmts):
        """Normalise ``stmts`` into a new block: (items, whether it ends in a jump)."""
        outer, self.body = self.body, []
        self.open_blocks.append(outer)
        frame = [stmts, 0]
        self.frames.append(frame)
        try:
            for i, stmt in enumerate(stmts):
                frame[1] = i
                self.statement(stmt)
            items = self.body
        finally:
            self.body = outer
            self.open_blocks.pop()
            self.frames.pop()
        return items, bool(items) and _terminates(items[-1])

    def _live_after(self, name):
        """Whether the user's ``name`` may be read after the current statement before it
        is assigned again: by the rest of its block, of the enclosing blocks, or by a
        further iteration of an enclosing loop."""
        names = self.mentions()
        for frame in reversed(self.frames):
            if isinstance(frame, ast.stmt):           # the end of a loop's body
                if _upward_exposed([frame], name, False, names=names)[0]:
                    return True
                continue
            stmts, index = frame
            exposed, assigned = _upward_exposed(stmts, name, False, index + 1, names)
            if exposed:
                return True
            if assigned:
                return False
        return False

    def if_statement(self, stmt, synthetic=False):
        """``synthetic``: an ``if`` the pass wrote (``a if c else b``), assigning its
        own names only."""
        test = self.atom(stmt.test, "c", stmt.lineno)
        versions = self.version
        mark = versions.mark()
        then, then_jumps = self.nested(stmt.body)
        then_before = versions.since(mark)
        then_state = versions.state(then_before)
        versions.undo(mark)
        orelse, else_jumps = self.nested(stmt.orelse)
        before = {**then_before, **versions.since(mark)}    # each user an arm wrote, before
        else_state = versions.state(before)
        versions.undo(mark)
        then_state = {**before, **then_state}
        arms = [(then, then_state)] * (not then_jumps) + [(orelse, else_state)] * (not else_jumps)
        if len(arms) == 1:
            versions.restore(arms[0][1])
        elif len(arms) == 2:
            # the users whose version an arm changed, in the order of the arms' dicts
            changed = {u for u in before if then_state[u][0] != before[u][0]
                       or else_state[u][0] != before[u][0]}
            in_then = sorted((then_state[u][1], u) for u in changed
                             if then_state[u][0] is not _ABSENT)
            users = [u for _, u in in_then] + [u for _, u in sorted(
                (else_state[u][1], u) for u in changed
                if else_state[u][0] is not _ABSENT and then_state[u][0] is _ABSENT)]
            for user in users:
                names = [None if state[user][0] is _ABSENT else state[user][0]
                         for _, state in arms]
                if names[0] != names[1] and not synthetic and not self._live_after(user):
                    versions.pop(user, None)     # nothing reads it again: no copy, and
                    self.retired.add(user)       # the next assignment gets a new name
                    continue
                if names[0] == names[1] or None in names:
                    versions[user] = names[0] or names[1]
                    continue
                old = before[user][0]
                created = [n != old for n in names]
                phi = names[0] if created[0] else names[1] if created[1] else self.fresh_version(user)
                for (items, _), name, new in zip(arms, names, created):
                    if name == phi:
                        continue
                    if new and _renamable(items, name) and not _has_jump(items):
                        _rename(items, name, phi)
                    else:
                        _append_fallthrough(items, self._copy_step(phi, name, stmt.lineno))
                versions[user] = phi
        self.body.append(If(test, then, orelse, stmt.lineno))

    statement_If = if_statement

    def _copy_step(self, target, source, lineno):
        atom = ast.Name(source, ast.Load())
        return Step(target, atom, [atom], rules.lookup(Syntax("copy")), 0, lineno)

    def loop(self, stmt):
        if stmt.orelse:
            raise self.error(stmt, f"`{'for' if isinstance(stmt, ast.For) else 'while'}` ... "
                             f"`else` clause", "Use a flag variable set before `break`.")
        target = iterable = test = None
        if isinstance(stmt, ast.For):
            iterable = self.iterable(stmt.iter, stmt.lineno)
        carried, unbound = {}, []
        for user in _assigned_in(stmt.body, exclude=_target_names(stmt)):
            before = self.version.get(user)
            if before is None and self._local_to_body(user, stmt):
                continue            # assigned before read in every iteration, dead after
            if before is None:
                carried[user] = self.new_version(user)
                unbound.append(carried[user])
            elif self._reusable(before):
                carried[user] = before
            else:
                carried[user] = self.fresh_version(user)
                self.body.append(self._copy_step(carried[user], before, stmt.lineno))
            self.version[user] = carried[user]
        if isinstance(stmt, ast.For):
            before = {user: self.version.get(user) for user in _target_names(stmt)}
            target = self.loop_target(stmt.target)
            self._carry_targets(stmt, carried, unbound, before)
        body_stmts = list(stmt.body)
        if isinstance(stmt, ast.While):
            test, prelude = self.loop_test(stmt.test, stmt.lineno)
            if prelude is not None:       # while <computed>: → while True: <steps>; if not c: break
                body_stmts = prelude + [ast.If(
                    ast.Name(PRELUDE_TEST, ast.Load()), body_stmts,
                    [ast.Break(lineno=stmt.lineno, col_offset=stmt.col_offset)],
                    lineno=stmt.lineno, col_offset=stmt.col_offset)]
        self.loops.append(carried)
        self.frames.append(stmt)
        try:
            body, _ = self.nested(body_stmts)
        finally:
            self.loops.pop()
            self.frames.pop()
        exits = _has_break(body)
        if not (body and _terminates(body[-1])):
            self._carry(carried, body, allow_rename=not _has_jump(body))
        for user, name in carried.items():
            self.version[user] = name
        self.body.append(Loop("for" if isinstance(stmt, ast.For) else "while", target, iterable,
                              test, body, list(carried.values()), stmt.lineno, exits,
                              [c for c in carried.values() if c in unbound]))

    statement_For = statement_While = loop

    def _carry_targets(self, stmt, carried, unbound, before):
        """A loop target read after the loop (``for v in xs: ...`` then ``v * s``) is
        carried under a name of its own, assigned the target's value at the end of each
        iteration: the reverse sweep then gives the last element its adjoint, and a loop
        that runs no trip leaves the value from before it, as in Python."""
        for user in _target_names(stmt):
            if user in carried or not self._live_after(user):
                continue
            previous = before.get(user)
            carried[user] = self.fresh_version(user)
            if previous is None:
                unbound.append(carried[user])
            else:
                self.body.append(self._copy_step(carried[user], previous, stmt.lineno))

    def _carry(self, carried, items, allow_rename=False):
        """Assign each carried name its current version at the end of ``items``: the
        step computing that version writes the carried name itself when nothing after it
        in the body reads either name (``s = s + t`` rather than ``s_2 = s + t; s = s_2``),
        else a copy is appended."""
        for user, phi in carried.items():
            current = self.version.get(user)
            if current is None or current == phi:
                continue
            index = next((i for i, item in enumerate(items)
                          if isinstance(item, Step) and item.target == current), None)
            if allow_rename and index is not None and _renamable(items, current) \
                    and current not in self.targets \
                    and not _reads_name(items[index + 1:], current) \
                    and not _reads_name(items[index + 1:], phi) \
                    and not _partials_read_output(items[index]) \
                    and not (self.array_code and phi in _arg_names(items[index])):
                _rename(items, current, phi)
            else:
                last = items[-1] if items else None
                _append_fallthrough(items, self._copy_step(phi, current,
                                                           getattr(last, "lineno", 0) or 0))

    def mentions(self):
        """The ``Mentions`` of the user's statements, made once per normalisation."""
        if getattr(self, "_mentions", None) is None:
            self._mentions = Mentions()
        return self._mentions

    def _local_to_body(self, name, loop):
        """Whether each iteration of ``loop`` assigns ``name`` before reading it and
        nothing after the loop reads it: then it carries nothing between iterations."""
        exposed, _ = _upward_exposed(loop.body, name, False, names=self.mentions())
        return not exposed and not self._live_after(name)

    def _reusable(self, name):
        """Whether a loop may assign ``name`` itself: nothing before reads it in the
        reverse sweep (it is no argument of an earlier step, and its own step's partials
        do not read it), so the value the loop leaves in it harms no one.  The blocks are
        searched from the end back to the step assigning ``name`` at the top of one of
        them: nothing before that step reads it (SSA), unless an enclosing loop carries it."""
        carried = any(name in loop.values() for loop in self.loops)
        for top in (item for block in reversed([*self.open_blocks, self.body])
                    for item in reversed(block)):
            for step in walk_steps([top]):
                if any(getattr(a, "id", None) == name for a in step.args):
                    return False
                if step.target == name and _partials_read_output(step):
                    return False
            if _reads_name([top], name, steps=False):
                return False
            if isinstance(top, Step) and top.target == name and not carried:
                return True
        return True

    def jump(self, stmt):
        if not self.loops:
            raise self.error(stmt, "`break` or `continue` outside a loop")
        carried = self.loops[-1]
        self._carry(carried, self.body)
        self.body.append(Jump("break" if isinstance(stmt, ast.Break) else "continue", stmt.lineno))

    statement_Break = statement_Continue = jump

    def iterable(self, node, lineno, nested=False):
        """An atom, or calls of range/enumerate/zip/reversed (nested) on atoms."""
        if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
            callee = self.resolve(node.func)
            if node.keywords and not (callee is enumerate and [k.arg for k in node.keywords]
                                      == ["start"]):
                callee = None
            if callee in (range, enumerate, zip, reversed):
                args = [self.iterable(a, lineno, nested=True) if isinstance(a, ast.Call)
                        and self.resolve(a.func) in (enumerate, zip, reversed)
                        else self.atom(a, "n", lineno) for a in node.args]
                if callee is reversed and not (len(args) == 1):
                    raise self.error(node, "reversed() with several arguments")
                keywords = [ast.keyword(k.arg, self.atom(k.value, "n", lineno))
                            for k in node.keywords]
                return ast.Call(copy_load(node.func), args, keywords)
        return self.atom(node, "seq", lineno)

    def loop_target(self, node):
        if isinstance(node, ast.Name):
            name = self.new_version(node.id)
            self.targets.add(name)
            self.version[node.id] = name
            return ast.Name(name, ast.Store())
        if isinstance(node, (ast.Tuple, ast.List)) and all(
                isinstance(e, (ast.Name, ast.Tuple, ast.List)) for e in node.elts):
            return ast.Tuple([self.loop_target(e) for e in node.elts], ast.Store())
        raise self.error(node, "loop target that is not a name or a tuple of names",
                         "Loop over names: `for i, x in enumerate(xs)`.")

    def loop_test(self, node, lineno):
        """(test, None) when ``node`` is a name or a comparison of names and numbers, which
        the ``while`` can test itself; else (None, statements computing it first)."""
        simple = isinstance(node, (ast.Name, ast.Constant)) or (
            isinstance(node, ast.Compare) and all(
                isinstance(n, (ast.Name, ast.Constant)) for n in [node.left, *node.comparators]))
        if simple:
            if isinstance(node, ast.Compare):
                return ast.Compare(self.atom(node.left, "c", lineno), node.ops,
                                   [self.atom(c, "c", lineno) for c in node.comparators]), None
            return self.atom(node, "c", lineno), None
        self.namer.reserve(PRELUDE_TEST)
        assign = ast.Assign([ast.Name(PRELUDE_TEST, ast.Store())], node, lineno=lineno,
                            col_offset=getattr(node, "col_offset", 0))
        return None, [assign]


def _terminates(item):
    """Whether control never falls through ``item``: a jump, or an ``if`` whose arms
    both end in one."""
    if isinstance(item, Jump):
        return True
    if isinstance(item, If):
        return bool(item.body) and bool(item.orelse) and _terminates(item.body[-1]) \
            and _terminates(item.orelse[-1])
    return False


def _has_jump(items, kinds=("break", "continue")):
    """A jump of the loop owning ``items`` (not of a loop nested in them)."""
    for item in items:
        if isinstance(item, Jump) and item.kind in kinds:
            return True
        if isinstance(item, If) and (_has_jump(item.body, kinds) or _has_jump(item.orelse, kinds)):
            return True
    return False


def _append_fallthrough(items, step):
    """Append ``step`` where control falls through the end of ``items``: into the arms of
    a final ``if`` that may jump (each arm that does not end in a jump), so that a
    statement runs only on the paths that reach it, in the reverse sweep too."""
    last = items[-1] if items else None
    if isinstance(last, Jump):
        return
    if isinstance(last, If) and _has_jump([last]):
        _append_fallthrough(last.body, step)
        _append_fallthrough(last.orelse, copy.copy(step))
        return
    items.append(step)


def _arg_names(step):
    return [a.id for a in step.args if isinstance(a, ast.Name)]


def _has_break(items):
    return _has_jump(items, ("break",))


def _reads_name(items, name, steps=True):
    return any(name in item_loads(item) for item in walk_items(items)
               if steps or not isinstance(item, Step))


def _renamable(items, name):
    """Whether ``name`` is defined in ``items`` by steps only (not as a loop's carried
    name or target), so every occurrence there can be renamed."""
    for item in walk_items(items):
        if isinstance(item, Loop) and (name in item.carried or name in store_names(item.target)):
            return False
    return True


class _RenameName(ast.NodeTransformer):
    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit_Name(self, node):
        if node.id == self.old:
            return ast.Name(self.new, node.ctx)
        return node


def _rename(items, old, new):
    """Rename ``old`` to ``new`` everywhere in ``items`` (both are SSA names)."""
    renamer = _RenameName(old, new)
    for item in walk_items(items):
        if isinstance(item, Step):
            if item.target == old:
                item.target = new
            item.value = renamer.visit(item.value)
            item.args = [renamer.visit(a) for a in item.args]
            if item.store is not None:
                item.store = renamer.visit(item.store)
        elif isinstance(item, Passive):
            item.stmt = renamer.visit(item.stmt)
        elif isinstance(item, If):
            item.test = renamer.visit(item.test)
        elif isinstance(item, Loop):
            item.carried = [new if c == old else c for c in item.carried]
            item.unbound = [new if c == old else c for c in item.unbound]
            for attr in ("iterable", "test", "target"):
                if getattr(item, attr) is not None:
                    setattr(item, attr, renamer.visit(getattr(item, attr)))


def _partials_read_output(step):
    """Whether the reverse sweep of ``step`` reads the step's own value (``exp``)."""
    if isinstance(step.rule, rules.Structural):
        return False
    if step.rule is None:
        return step.custom is not None or step.callee is not None
    try:
        partials = step.rule.partials(Namespace("m"), Expr.name(step.target), *map(Expr, step.args))
    except Exception:          # a rule that cannot be built symbolically: assume it does
        return True
    return any(isinstance(n, ast.Name) and n.id == step.target
               for p in partials for n in ast.walk(getattr(p, "node", ast.Constant(0))))


def _assigned_in(stmts, exclude=()):
    """User names assigned in ``stmts`` (nested blocks included), in order of first
    assignment; loop targets of nested loops count."""
    names = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                    and node.id not in names and node.id not in exclude:
                names.append(node.id)
    return names


class Mentions:
    """The names the user's statements read and assign, found once per node, and for each
    list of statements the positions of those that mention each name: the normaliser asks
    whether a name is read later for every loop and branch, so ``_upward_exposed`` visits
    only the statements that mention it.  The user's statements are not changed while
    normalising; each node and list is kept here so that its id is not reused."""

    def __init__(self):
        self.nodes = {}          # id(node) -> (node, names read, names assigned)
        self.lists = {}          # id(list) -> (list, {name: positions mentioning it})
        self.suffixes = {}       # (id(list), name, k) -> _upward_exposed from its k-th mention

    def of(self, node):
        entry = self.nodes.get(id(node))
        if entry is None:
            loads, stores = set(), set()
            for n in nodes_of(node):
                if isinstance(n, ast.Name):
                    if isinstance(n.ctx, ast.Load):
                        loads.add(n.id)
                    elif isinstance(n.ctx, ast.Store):
                        stores.add(n.id)
            entry = self.nodes[id(node)] = (node, loads, stores)
        return entry

    def reads(self, node, name):
        return name in self.of(node)[1]

    def stores(self, node, name):
        return name in self.of(node)[2]

    def positions(self, stmts, name, start):
        """``(positions, k)``: the positions of the statements of ``stmts`` mentioning
        ``name``, and the index in them of the first at ``start`` or after."""
        entry = self.lists.get(id(stmts))
        if entry is None:
            where = {}
            for i, stmt in enumerate(stmts):
                _, loads, stores = self.of(stmt)
                for n in loads | stores:
                    where.setdefault(n, []).append(i)
            entry = self.lists[id(stmts)] = (stmts, where)
        found = entry[1].get(name, ())
        return found, bisect.bisect_left(found, start)


def _upward_exposed(stmts, name, assigned, start=0, names=None):
    """(whether ``stmts[start:]`` may read ``name`` before assigning it, whether it is
    assigned on every path through them), given whether it is assigned on entry; a
    statement that does not mention ``name`` changes neither (``names``: a ``Mentions``).
    Once assigned, nothing later can read it first.  The answer from each mention on is
    kept (``Mentions.suffixes``): a name mentioned by every loop of a long function but
    never assigned on every path (``for k in range(3)``) is asked about after each loop."""
    if assigned:
        return False, True
    if names is None:
        names = Mentions()
    if len(stmts) - start <= 4:
        for i in range(start, len(stmts)):
            result = _exposed_by(stmts[i], name, names)
            if result is not None:
                return result
        return False, False
    found, first = names.positions(stmts, name, start)
    memo, visited, result = names.suffixes, [], (False, False)
    for k in range(first, len(found)):
        known = memo.get((id(stmts), name, k))
        if known is not None:
            result = known
            break
        visited.append(k)
        outcome = _exposed_by(stmts[found[k]], name, names)
        if outcome is not None:
            result = outcome
            break
    for k in visited:               # each was reached not yet assigned: the same answer
        memo[id(stmts), name, k] = result
    return result


def _exposed_by(stmt, name, names):
    """``_upward_exposed``'s answer once ``stmt`` ran, ``name`` not assigned before it:
    ``(True, False)`` if it may read it first, ``(False, True)`` if it assigns it on every
    path, None when neither (the statements after it decide)."""
    if isinstance(stmt, ast.If):
        if names.reads(stmt.test, name):
            return True, False
        exposed_then, then = _upward_exposed(stmt.body, name, False, names=names)
        exposed_else, orelse = _upward_exposed(stmt.orelse, name, False, names=names)
        if exposed_then or exposed_else:
            return True, False
        return (False, True) if then and orelse else None
    if isinstance(stmt, (ast.For, ast.While)):
        head = stmt.iter if isinstance(stmt, ast.For) else stmt.test
        if names.reads(head, name):
            return True, False
        inner = isinstance(stmt, ast.For) and names.stores(stmt.target, name)
        exposed, _ = _upward_exposed(stmt.body, name, inner, names=names)
        return (True, False) if exposed else None
    if names.reads(stmt, name) or (isinstance(stmt, ast.AugAssign)
                                   and names.stores(stmt.target, name)):
        return True, False
    return (False, True) if names.stores(stmt, name) else None


def _target_names(stmt):
    if isinstance(stmt, ast.For):
        return [n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)]
    return []
