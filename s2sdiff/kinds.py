"""Argument kinds and shape inference for NumPy code.

A function whose SSA program uses array syntax (``ir.is_array_program``) is generated
per *argument kind*: each argument's shape and dtype for arrays, its type for numbers.
``infer`` runs the forward program once on the arguments and records the ``Kind`` of
every SSA value (``program.kinds``), the kinds of data held outside the function under
their dotted text (``data.X``), and refuses at generation time what the kinds show is
not exact (a value changing kind across loop iterations or branches, a list indexed or
written in NumPy code, a NumPy call returning a non-number).  Ints and bools are
constants (``constant_names``, which ``activity.analyze`` takes out of the varied names).
"""

import ast
import functools

import numpy as np

from . import rules, syntax
from .build import unparse
from .errors import UnsupportedError, user_code
from .kind_errors import NumberStart, describe, kind_error, number_start
from .libraries import is_array_like
from .purity import draws_undone
from .ir import (If, Jump, Loop, Passive, Step, atom_key, has_control_flow, is_display,
                 store_names, walk_items, walk_steps)


class Kind:
    """What generation needs to know of a value: shape and dtype kind (``"S"`` for a list
    or tuple, ``"O"`` for other objects), whether it is an ndarray, and for small
    non-array values (ints, tuples...) the value itself."""
    __slots__ = ("shape", "dtype", "array", "value", "exact")

    def __init__(self, shape, dtype, array, value=None, exact=None):
        self.shape, self.dtype, self.array, self.value = shape, dtype, array, value
        self.exact = exact     # np.dtype of an array or NumPy scalar; the type of a number

    @property
    def real(self):
        return self.dtype in "f"

    def __repr__(self):
        return f"Kind({self.shape}, {self.dtype!r}, array={self.array})"


def foreign_array(values):
    """The type of the first array of another library among ``values`` (None if none):
    generated code then spells what NumPy would do eagerly in that library's terms."""
    return next((type(v) for v in values if is_array_like(v)), None)


def kind_of(value):
    if isinstance(value, np.ndarray):
        return Kind(value.shape, value.dtype.kind, True, exact=value.dtype)
    if is_array_like(value):
        if value.shape == ():     # as NumPy's scalars: what NumPy code makes of it is the same
            return Kind((), value.dtype.kind, False, exact=value.dtype)
        return Kind(tuple(value.shape), value.dtype.kind, True, exact=value.dtype)
    exact = value.dtype if isinstance(value, np.generic) else type(value)
    if isinstance(value, (bool, np.bool_)):
        return Kind((), "b", False, value, exact)
    if isinstance(value, (int, np.integer)):
        return Kind((), "i", False, value, exact)
    if isinstance(value, (float, np.floating)):
        return Kind((), "f", False, exact=exact)
    small = value if isinstance(value, (tuple, type(None), str, slice)) else None
    return Kind(None, "S" if isinstance(value, (list, tuple)) else "O", False, small)


def node_kind(kinds, node):
    """The ``Kind`` of an operand: an atom's (``kinds``, free values included), a
    literal's, or a display's (``[x, y]`` where NumPy takes an array is
    ``np.array([x, y])``); None when it cannot be told."""
    key = atom_key(node)
    if key is not None:
        return kinds.get(key)
    if is_display(node):
        return _display_kind(kinds, node)
    try:
        return kind_of(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError):
        return None


_DTYPES = {"b": bool, "i": np.int64, "u": np.uint64, "f": np.float64}


def _display_kind(kinds, node):
    """The kind of ``np.array(display)``: worked out on zeros of its elements' kinds."""
    def zeros(element):
        if is_display(element):
            return [zeros(e) for e in element.elts]
        kind = node_kind(kinds, element)
        if kind is None or kind.shape is None or kind.dtype not in _DTYPES:
            raise LookupError
        return np.zeros(kind.shape, dtype=_DTYPES[kind.dtype])
    try:
        return kind_of(np.asarray(zeros(node)))
    except (LookupError, ValueError):
        return None


def _free_kind(value):
    """The kind of a value held outside the function, or None if it is no data: an
    array, a number, or a list or tuple of numbers or arrays (shaped as NumPy reads it)."""
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return kind_of(value)
    if isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            array = None
        if array is None or array.dtype.kind not in _DTYPES:
            return kind_of(value)
        return Kind(array.shape, array.dtype.kind, False,
                    value if isinstance(value, tuple) else None)
    return None


def _free_kinds(program, kinds):
    """Add the kinds of the free values the program reads (module globals, closure cells
    and their attributes: ``X``, ``data.X``, ``X.T``), resolved as ``parse`` resolves them,
    keyed by ``atom_key``."""
    for key, value in _free_values(program, kinds).items():
        kinds[key] = _free_kind(value)
    return kinds


def free_data(program):
    """The keys of the free data the program reads, outermost only (``X`` for ``X.T``;
    ``data.X``): what the dispatcher adds to its key, since the code generated for one
    shape of ``X`` is wrong for another."""
    values = _free_values(program, {})
    return [key for key in values if not any(
        ".".join(key.split(".")[:i]) in values for i in range(1, key.count(".") + 1))]


def read_nodes(program):
    """``(local, nodes)``: the names ``program`` binds (parameters, temporaries, targets,
    loop variables) and the expressions it evaluates (values, stores, tests, iterables,
    outputs), in its order."""
    local = set(program.params) | set(program.temps)
    nodes = []
    for item in walk_items(program.body):
        if isinstance(item, Step):
            local.add(item.target)
            nodes += [item.value] + ([item.store] if item.store is not None else [])
        elif isinstance(item, If):
            nodes.append(item.test)
        elif isinstance(item, Loop):
            local.update(item.carried, store_names(item.target))
            nodes += [n for n in (item.iterable, item.test) if n is not None]
    return local, nodes + list(program.outputs)


def _free_values(program, kinds):
    """``atom_key -> value`` for the free data (arrays, numbers, lists and tuples of
    them) the program reads, except the keys already in ``kinds``."""
    found = {}
    local, nodes = read_nodes(program)
    for node in (sub for root in nodes for sub in ast.walk(root)):
        key = atom_key(node)
        if key is None or key in kinds or key in found or key.split(".")[0] in local:
            continue
        root, *attributes = key.split(".")
        value = program.parsed.lookup(root, None)
        try:
            for attribute in attributes:
                value = getattr(value, attribute)
        except Exception:           # a property that raises: not data s2sdiff reads
            continue
        if _free_kind(value) is not None:
            found[key] = value
    return found


def infer(program, args, scalar=None):
    """The ``Kind`` of every name of ``program``, by running its steps once on ``args``;
    ``scalar``: the transform (``"grad"``) for which an output that is an array on a path
    the run did not take is a ``NotScalarError``.  The random generators the steps draw
    from are put back as they were (``purity.draws_undone``).  A sum started as a number
    literal that then holds floats or arrays starts as one (``kind_errors.py``)."""
    while True:
        try:
            with draws_undone(program):
                return _infer(program, args, scalar)
        except NumberStart as start:
            for step in walk_steps(program.body):
                start.rewrite(step)


def _infer(program, args, scalar):
    parsed = program.parsed
    env = dict(parsed.func.__globals__)
    env.update({n: c.cell_contents for n, c in parsed.closure.items()})
    env.update(zip(program.params, [a.copy() if isinstance(a, np.ndarray) or is_array_like(a)
                                    else a for a in args]))
    kinds = {p: kind_of(a) for p, a in zip(program.params, args)}
    program.foreign = foreign_array(list(args) + list(_free_values(program, {}).values()))
    program.assigned_at = {}      # name -> the line of its last assignment in the run
    env[_SEQUENCE_CHECK] = functools.partial(_no_list_item_assignment, program)
    saving = {s.saved for s in program.steps
              if s.rule is not None and s.rule.key == rules.Syntax("array setitem")}
    if has_control_flow(program.body):
        return _free_kinds(program, _infer_blocks(program, env, kinds, saving, scalar))
    for step in program.body:
        if _is_assert(step):                  # the run fails where the function fails
            with user_code():
                exec(_compiled([unparse(step.stmt)], [step.stmt.lineno], parsed.filename), env)
            continue
        if not isinstance(step, Step):
            continue
        text = _inferred(step, saving).splitlines()
        code = _compiled(text, [step.lineno] * len(text), parsed.filename)
        with user_code():
            exec(code, env)
        if _is_complex(env[step.target]):
            raise program.complex_value(step.target, env[step.target], step.lineno)
        kinds[step.target] = kind_of(env[step.target])
        program.assigned_at[step.target] = step.lineno
    return _free_kinds(program, kinds)


def _infer_blocks(program, env, kinds, saving, scalar):
    """``infer`` for a program with branches and loops: its forward code runs once,
    recording the kind of every assignment and the arms (of ``if``s, loop bodies) it
    entered; a name whose shape or dtype changes from one assignment to the next (an
    array growing in a loop) cannot be specialised.  The steps the run did not reach are
    checked by ``_infer_untaken``."""
    lines, where = [f"def {_INFER}({', '.join(program.params)}):"], [program.parsed.node.lineno]
    arms, chains = _arms(program.body)

    def add(text, lineno):
        lines.append(text)
        where.append(lineno)

    def emit(items, indent):
        for item in items:
            if isinstance(item, Step):
                for line in _inferred(item, saving).splitlines():
                    add(indent + line, item.lineno)
                add(f"{indent}{_RECORD}({item.target!r}, {item.target}, {item.lineno}, "
                    f"{chains[id(item)][0]})", item.lineno)
            elif isinstance(item, If):
                add(f"{indent}if {unparse(item.test)}:", item.lineno)
                add(f"{indent}    {_ENTER}({arms[id(item), 'body']})", item.lineno)
                emit(item.body, indent + "    ")
                add(f"{indent}else:", item.lineno)
                add(f"{indent}    {_ENTER}({arms[id(item), 'orelse']})", item.lineno)
                emit(item.orelse, indent + "    ")
            elif isinstance(item, Loop):
                head = (f"for {unparse(item.target)} in {unparse(item.iterable)}:"
                        if item.kind == "for" else
                        f"while {unparse(item.test) if item.test is not None else 'True'}:")
                add(indent + head, item.lineno)
                add(f"{indent}    {_ENTER}({arms[id(item), 'body']})", item.lineno)
                for name in store_names(item.target):
                    add(f"{indent}    {_RECORD}({name!r}, {name}, {item.lineno})", item.lineno)
                emit(item.body, indent + "    ")
            elif isinstance(item, Jump):
                add(indent + item.kind, item.lineno)
            elif _is_assert(item):
                add(indent + unparse(item.stmt), item.stmt.lineno)
    emit(program.body, "    ")

    def record(name, value, lineno, index=None):
        if _is_complex(value):
            raise program.complex_value(name, value, lineno)
        kind = kind_of(value)
        known = kinds.get(name)
        if known is not None and _differ(known, kind, name in program.params):
            start = number_start(program, name, known, kind)
            if start is not None:
                raise start                      # total = 0, then floats: 0.0 (infer)
            raise kind_error(program, name, known, kind, lineno)
        kinds[name] = kind
        program.assigned_at[name] = lineno
        values[name] = value
        if index is not None:
            reached.add(index)
    values, entered, reached = {}, set(), set()
    namespace = dict(env)
    namespace[_RECORD], namespace[_ENTER] = record, entered.add
    exec(_compiled(lines, where, program.parsed.filename), namespace)
    with user_code():
        namespace[_INFER](*[env[p] for p in program.params])
    _infer_untaken(program, env, kinds, values, chains, entered, reached, scalar)
    return kinds


def _is_assert(item):
    """``assert`` or ``raise``: the inference run fails where the function fails."""
    return isinstance(item, Passive) and isinstance(item.stmt, (ast.Assert, ast.Raise))


def _is_complex(value):
    return isinstance(value, (complex, np.complexfloating)) or (
        (isinstance(value, np.ndarray) or is_array_like(value)) and value.dtype.kind == "c")


def _compiled(lines, linenos, filename):
    """The code of the source ``lines``, each numbered as the user's line it runs
    (``linenos``): an exception the user's forward raises there is shown at its line."""
    tree = syntax.parse("\n".join(lines) + "\n")
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is not None:
            node.lineno = node.end_lineno = linenos[node.lineno - 1]
            node.col_offset, node.end_col_offset = 0, 10 ** 4    # the whole line
    return syntax.compile(tree, filename, "exec")


def _arms(items):
    """``(arms, chains)``: a number for each arm (``(id(item), "body" | "orelse")`` of
    each ``if`` and loop), and for each step ``id(step) -> (index, chain)``, its index in
    forward order and the arms enclosing it, outermost first, as ``(arm, item)``."""
    arms, chains = {}, {}

    def walk(items, chain):
        for item in items:
            if isinstance(item, Step):
                chains[id(item)] = (len(chains), chain)
            elif isinstance(item, (If, Loop)):
                for which in ("body", "orelse") if isinstance(item, If) else ("body",):
                    arms[id(item), which] = arm = len(arms)
                    walk(getattr(item, which), chain + ((arm, item),))
    walk(items, ())
    return arms, chains


def _differ(a, b, parameter=False):
    """Whether two kinds of one name need different generated code; a ``parameter`` (whose
    first kind is its argument's) may go from an int to a float (``x = x * 1.5`` in a loop
    called with ``x = 2``)."""
    if parameter and not (a.array or b.array) and a.shape == b.shape == () and \
            {a.dtype, b.dtype} <= {"i", "f"}:
        return False
    return (a.shape, a.dtype, a.array) != (b.shape, b.dtype, b.array)


def _infer_untaken(program, env, kinds, values, chains, entered, reached, scalar):
    """The kinds of the steps that the run did not reach (a branch it did not take, a
    loop it ran no times): they run once each, in order, on the values the run left; a
    step that fails, mutates or calls the user's own functions stays unknown.  A name
    whose kind there differs from its kind on the path the run took (``y = np.sum(x)``
    in one arm, ``y = x * 3.0`` in the other) is refused: the code generated for one kind
    is wrong for the other.  Arms the run could not have entered for these argument
    kinds (their condition depends only on shapes: ``if x.ndim == 1``, ``for i in
    range(len(x))``) are not checked."""
    import warnings
    scope = {**env, **values}
    fixed = _shape_conditions(program)
    seen = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for step in walk_steps(program.body):
            index, chain = chains[id(step)]
            if index in reached or step.mutates or step.custom is not None \
                    or getattr(step.rule, "key", None) == rules.Syntax("call"):
                continue
            outer = next((item for arm, item in chain if arm not in entered), None)
            try:
                exec(_compiled([unparse(step.statement)], [step.lineno],
                               program.parsed.filename), scope)
            except Exception:        # noqa: BLE001 (a path not taken may well fail)
                continue
            kind = kind_of(scope[step.target])
            known = kinds.get(step.target)
            lineno = step.lineno
            if isinstance(step.value, ast.Name) and step.value.id in seen:
                lineno = seen[step.value.id]     # a copy (`y = y_2`): where y_2 was made
            if known is not None and _differ(known, kind, step.target in program.params) \
                    and id(outer) not in fixed:
                first = program.assigned_at.get(step.target, seen.get(
                    step.target, program.parsed.node.lineno))     # a parameter: its `def`
                if scalar and step.target == getattr(program.output, "id", None) and (
                        kind.shape != () or known.shape != ()):
                    raise program.not_scalar(
                        scalar, f"{describe(kind if kind.shape != () else known)} on one "
                        "of its paths", NOT_SCALAR_HINT,
                        lineno if kind.shape != () else first)
                start = number_start(program, step.target, known, kind)
                if start is not None:
                    raise start
                raise kind_error(program, step.target, known, kind, lineno, paths=first)
            if known is None:
                kinds[step.target] = kind
                seen[step.target] = lineno


def _shape_conditions(program):
    """The ids of the ``if``s and ``for`` loops whose arm taken depends only on the
    arguments' kinds: their test (iterable) is computed from constants and the
    ``.shape``, ``.ndim``, ``.size``, ``.dtype``, ``len`` or type of parameters, free data
    and names assigned once outside blocks."""
    steady = set(program.params) | {i.target for i in program.body if isinstance(i, Step)}
    steps = {}
    for step in walk_items(program.body):
        if isinstance(step, Step):
            steps.setdefault(step.target, []).append(step)
    derived = set(steps)
    changed = True
    while changed:            # the names every assignment of which is shape-derived
        changed = False
        for name in list(derived):
            if not all(not s.mutates and _shape_only(program, s.value, derived, steady)
                       for s in steps[name]):
                derived.discard(name)
                changed = True
    fixed = set()
    for item in walk_items(program.body):
        if isinstance(item, If) and _shape_only(program, item.test, derived, steady):
            fixed.add(id(item))
        elif isinstance(item, Loop) and item.kind == "for" and _shape_only(
                program, item.iterable, derived, steady):
            fixed.add(id(item))
    return fixed


_SHAPE_CALLS = {len, np.ndim, np.shape, np.size, isinstance, type, np.isscalar}


_PURE_CALLS = {range, int, float, bool, min, max, abs, round}


def _shape_only(program, node, derived, steady):
    """Whether ``node`` is computed only from constants, ``derived`` names and the
    kinds of ``steady`` names (``x.shape``, ``len(x)``, ``x.ndim == 1``)."""
    def resolve(node):
        key = atom_key(node)
        if key is None:
            return None
        root, *attributes = key.split(".")
        if root in steady or root in derived or root in program.temps:
            return None
        value = program.parsed.lookup(root, None)
        for attribute in attributes:
            value = getattr(value, attribute, None)
        return value

    def kind_only(node):         # an operand whose shape and dtype are fixed
        if isinstance(node, ast.Name) and node.id in steady:
            return True
        return atom_key(node) is not None and resolve(node) is not None

    def ok(node):
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            if node.id in derived:
                return True
            value = resolve(node)
            return isinstance(value, (int, bool, float, type, tuple)) and not isinstance(
                value, np.ndarray)
        if isinstance(node, ast.Attribute) and isinstance(rules.lookup(rules.Attribute(node.attr)),
                                                          rules.Nondifferentiable):
            return kind_only(node.value)
        if isinstance(node, ast.Attribute):
            return atom_key(node) is not None and isinstance(resolve(node), (int, float, type))
        if isinstance(node, ast.Call):
            try:
                callee = resolve(node.func)
                shape_call = callee in _SHAPE_CALLS
                pure = callee in _PURE_CALLS
            except TypeError:        # an unhashable callee
                return False
            if node.keywords:
                return False
            if shape_call:
                return bool(node.args) and kind_only(node.args[0]) and all(
                    ok(a) or isinstance(a, (ast.Name, ast.Attribute)) for a in node.args[1:])
            return pure and all(ok(a) for a in node.args)
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Subscript,
                             ast.Tuple, ast.Slice, ast.IfExp)):
            return all(ok(child) for child in ast.iter_child_nodes(node)
                       if not isinstance(child, (ast.operator, ast.unaryop, ast.cmpop,
                                                 ast.boolop, ast.expr_context)))
        return False
    return ok(node)


_INFER, _RECORD, _ENTER = "s2sdiff_infer", "s2sdiff_record", "s2sdiff_enter"
_SEQUENCE_CHECK = "s2sdiff_no_list"


def _inferred(step, saving):
    """The source ``infer`` runs for ``step``: its statement, after a check that an
    element assignment (``a[i] = e``, whose first step saves ``a[i].copy()``: a step of
    ``saving``, the saved names) writes into an array, not a list."""
    text = unparse(step.statement)
    if step.target in saving:
        array = step.args[0].id
        text = f"{_SEQUENCE_CHECK}({array!r}, {array}, {step.lineno})\n{text}"
    return text


def _no_list_item_assignment(program, name, value, lineno):
    """Refuse ``a[i] = e`` on a list or tuple in NumPy code (``infer`` runs this first)."""
    if isinstance(value, (list, tuple)):
        user = program.user_names.get(name, name)
        raise program.parsed.error(
            ast.Pass(lineno=lineno), f"s2sdiff cannot differentiate {program.name}: "
            f"assignment to an element of the list `{user}` in NumPy code",
            construct="list element assignment in NumPy code", cls=UnsupportedError,
            hint="Build the list with its final elements (`[a * a, b]`, or np.stack([...]) "
                 "in the call), or preallocate an array with np.zeros and assign into it.")


def integral_names(kinds):
    """The names that hold ints or bools (arrays or numbers)."""
    return frozenset(n for n, k in kinds.items() if k.dtype in "biu")


NOT_SCALAR_HINT = ("Reduce it (np.sum, np.mean) or use s2sdiff.vjp(f, *args) for a "
                    "vector-Jacobian product.")


def constant_names(program, kinds, varied):
    """The names of ``program`` that are constants by their ``kinds`` although they may be
    ``varied``: ints and bools (piecewise constant where they come from floats:
    comparisons, rounding), and values that are not numbers or arrays (tuples, None),
    except the result of a differentiable NumPy call on varied values, which is refused:
    it would silently be a constant."""
    for step in program.steps:
        kind = kinds.get(step.target)
        if kind is not None and kind.shape is None and step.target in varied \
                and step.differentiable and step.rule is not None \
                and not isinstance(step.rule, rules.Structural) \
                and not (kind.dtype == "S" and step.rule.key == rules.Syntax("copy")) and any(
                    isinstance(a, ast.Name) and a.id in varied for a in step.args):
            sequence = kind.dtype == "S"
            returned = "list or tuple" if sequence else type(kind.value).__name__ \
                if kind.value is not None else "value"
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: `{unparse(step.value)}` returns "
                f"a {returned}, not a number or an array", construct=step.rule.name,
                cls=UnsupportedError,
                hint="Write the elements where NumPy takes them (np.array([a, b]), "
                     "np.stack([a, b])) and work on that array." if sequence else
                     "Call it so that it returns an array (without retstep=True or similar "
                     "options).")
    return {n for n, k in kinds.items()      # lists ("S") may vary: refused at use
            if k.dtype in "biu" or (k.shape is None and k.dtype != "S")}


def format_kinds(kinds):
    """``kinds`` as text, one ``name: kind`` line per name, sorted, for pass-level tests:
    ``array (3, 2) float64``; a number's type (``float``, ``float32``...), with its value
    for ints and bools (``int = 3``); ``sequence`` (a list or tuple, with its shape and
    dtype kind when NumPy reads it as an array of numbers) or ``object``, with the value
    kept for small ones (``tuple = (3, 4)``)."""
    lines = []
    for name in sorted(kinds):
        kind = kinds[name]
        if kind is None:
            text = "unknown"
        elif kind.array:
            text = f"array {kind.shape} {kind.exact}"
        elif kind.shape == ():
            text = getattr(kind.exact, "__name__", str(kind.exact))
        else:
            text = "sequence" if kind.dtype == "S" or kind.shape is not None else "object"
            if kind.shape is not None:
                text += f" {kind.shape} {kind.dtype}"
        if kind is not None and kind.value is not None:
            value = kind.value.item() if isinstance(kind.value, np.generic) else kind.value
            text += f" = {value!r}"
        lines.append(f"{name}: {text}")
    return "\n".join(lines)
