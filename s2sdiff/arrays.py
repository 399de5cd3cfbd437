"""NumPy arrays: normalisation of array syntax, specialisation on shapes, reverse mode.

A function whose SSA program uses array syntax (``@``, indexing, ``x.T``, ``x.shape``,
methods such as ``x.sum()``, or any NumPy function) is an *array program*.  Its
gradient is generated per *argument kind*: the tuple of each argument's shape and dtype
for arrays, and its type for numbers.  ``grad(f)`` returns a dispatcher whose only work
per call is to compute that key and look it up; the first call with a new key runs the
forward program once on the arguments (``infer``) to learn the shape and dtype of every
SSA value, and generates code that knows them:

* elementwise primitives reuse the scalar rows of ``rules.py`` with the ``np``
  namespace; the product ``partial * d<target>`` is summed back to the argument's shape
  (``np.sum(..., axis=0)``) only where the shapes really differ, so code for arrays of
  equal shapes is exactly the scalar listing;
* adjoints may stay *lazy*: an adjoint that broadcasts to its value's shape (the seed
  ``1.0`` spread over ``np.sum(x)``) is not materialised until a non-elementwise rule or
  a returned gradient needs the full shape; every returned gradient has exactly its
  parameter's shape (``np.full(x.shape, dx)`` when it was lazy);
* the first contribution to an adjoint is assigned; later ones accumulate in place
  (``dx += c``) when the adjoint holds a fresh array of its full shape, and rebind
  (``dx = dx + c``) when it is a view or an alias of another array, so that no array the
  code still reads (or the caller passed in) is ever modified;
* ``ARRAY_RULES`` rows (linear algebra, reductions, shape changes) give one
  vector-Jacobian product per argument; indexing is scattered back with
  ``dx[i] += g`` for basic indexes and masks and ``np.add.at(dx, i, g)`` for anything
  that may repeat a position (lists, integer arrays, names from outside the function);
  an assignment ``a[i] = e`` through such an index is refused unless its positions are
  literal and distinct (NumPy does not say which of repeated writes wins);
* integer and boolean arrays are constants: no adjoint, and a zero gradient
  (``np.zeros(p.shape)``) for such a parameter; every other gradient has its parameter's
  dtype (float32 stays float32, a number gets a float), converted at the end only where
  ``_dtypes`` cannot show it already has it;
* data held outside the function (module globals, closure cells, their attributes such as
  ``data.X``, and ``X.T``) are constant operands whose kinds ``infer`` records under
  their dotted text, resolved as ``parse`` resolves free names; the dispatcher's key
  includes their shapes, so a global rebound to another shape gets code of its own;
* a list or tuple display where NumPy takes an array (``np.array([[x, 1.0], [2.0, y]])``,
  ``np.mean([x, y])``) is the array NumPy makes of it: each element's adjoint is its
  entry of the array's adjoint (``dx = dA[0, 0]``); a list *variable* passed to NumPy
  is refused at generation time, and so are indexing a list built in the function and
  assigning into one of its elements (``infer`` sees it is a list);
* the dispatcher takes the user's parameter names: arguments by position, by name,
  keyword-only and left to their defaults are bound as the user's function binds them,
  then passed to the specialised code by position;
* scalar partials of Python numbers that may raise where the forward does not
  (``s ** 0.5`` at 0) give the specialised code its IEEE retry (``partials_may_raise``);
* forward values that neither the reverse sweep nor the result reads are not computed
  (``prune_forward``).

Forward mode (``jvp``, ``derivative``, ``jacfwd``, ``hessian``) over array programs is
not implemented yet and fails at generation time with that message.
"""

import ast
import copy
import functools
import inspect
import threading

import numpy as np

from . import aliases, rules, runtime
from .build import Expr, Namespace, as_node, unparse
from .errors import ArgumentError, InternalError, S2SDiffError, UnsupportedError, user_code
from .listing import Block, Comment, Line, accumulate, assign, walk_lines
from .optimize import fold

ARRAY_METHODS = {name[len("method "):] for name in rules.ARRAY_RULES
                 if isinstance(name, str) and name.startswith("method ")}


# normalisation ---------------------------------------------------------------------
# Called from normalize._Normalizer.expression; ``emit`` is its step emitter.

def _operand(normalizer, node, hint, lineno):
    """An atom, or a tuple/list/slice of atoms (indexes, shapes, sequences of arrays)."""
    if isinstance(node, (ast.Tuple, ast.List)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise normalizer.error(node, "starred expression", "Pass the values one by one.")
        return type(node)([_operand(normalizer, e, hint, lineno) for e in node.elts], ast.Load())
    if isinstance(node, ast.Slice):
        return ast.Slice(*(None if part is None else _operand(normalizer, part, hint, lineno)
                           for part in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis
                                           or isinstance(node.value, str)):
        return ast.Constant(node.value)
    return normalizer.atom(node, hint, lineno)


def _names(node):
    """The local names an operand reads, in order, once each."""
    seen = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id not in seen:
            seen.append(sub.id)
    return [ast.Name(n, ast.Load()) for n in seen]


def _args_of(normalizer, value):
    """Step arguments: the local names read (free names such as ``np.newaxis`` are not)."""
    return [n for n in _names(value) if not _is_free_name(normalizer, n)]


def _is_free_name(normalizer, name):
    return name.id not in normalizer.locals and name.id not in normalizer.temps \
        and name.id not in normalizer.version.values()


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


def free_array_method(normalizer, func):
    """Whether ``func`` is ``X.dot``, ``data.X.sum``...: a method with an array rule called
    on an array held outside the function (a global, a closure cell, an attribute)."""
    if not (isinstance(func, ast.Attribute) and normalizer._is_free(func)
            and f"method {func.attr}" in rules.ARRAY_RULES):
        return False
    return isinstance(normalizer._callee_or_none(func.value), np.ndarray)


def subscript(normalizer, node, emit, hint, lineno):
    """``x[i]``: a read of an element, a slice, a mask or a gather."""
    if not isinstance(node.ctx, ast.Load):
        raise normalizer.error(node, "assignment to an element", "Build the array with np.where "
                               "or np.concatenate instead.")
    base = normalizer.atom(node.value, hint, lineno)
    index = _operand(normalizer, node.slice, hint, lineno)
    value = ast.Subscript(base, index, ast.Load())
    emit(value, _args_of(normalizer, value), rules.ARRAY_RULES["index"])


def attribute(normalizer, node, emit, hint, lineno):
    """``x.T``, and ``x.shape``, ``x.ndim``... which are constants."""
    if node.attr in rules.CONSTANT_ATTRIBUTES or node.attr == "T":
        base = normalizer.atom(node.value, hint, lineno)
        value = ast.Attribute(base, node.attr, ast.Load())
        if node.attr == "T":
            emit(value, [base], rules.ARRAY_RULES["attribute T"])
        else:
            emit(value, [base], None, differentiable=False)
        return
    raise normalizer.error(node, f"attribute `{ast.unparse(node)}` of a local value",
                           "Pass the value in as an argument, or compute it with a function "
                           "(arrays: .T, .shape, .ndim, .size and .dtype are supported).")


def is_method_call(normalizer, node):
    return isinstance(node.func, ast.Attribute) and (
        not normalizer._is_free(node.func) or free_array_method(normalizer, node.func))


def method_call(normalizer, node, emit, hint, lineno):
    """``x.sum(axis=0)``, ``W.dot(X)``, ``x.reshape(3, 4)``...: the rule ``method <name>``."""
    name = node.func.attr
    rule = rules.ARRAY_RULES.get(f"method {name}")
    if rule is None:
        what = ast.unparse(node.func)
        raise normalizer.error(
            node.func, f"method call `{what}(...)`",
            f"Call functions of modules (math.sin(x), np.sum(x)) rather than methods of values; "
            f"the array methods s2sdiff knows are {', '.join(sorted(ARRAY_METHODS))}.")
    base = normalizer.atom(node.func.value, hint, lineno)
    value = _call_value(normalizer, node, ast.Attribute(base, name, ast.Load()), hint, lineno)
    _bind_or_fail(normalizer, node, rule, [base, *value.args], value.keywords)
    emit(value, _args_of(normalizer, value), rule)


def handles_call(callee):
    """Whether a call of ``callee`` is an array call (a NumPy function or an array rule)."""
    try:
        if callee in rules.ARRAY_RULES:
            return True
    except TypeError:
        return False
    module = getattr(callee, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.") or type(callee) is np.ufunc


def call(normalizer, node, callee, emit, hint, lineno):
    """``np.sum(x, axis=0)``, ``np.concatenate([a, b])``, ``np.zeros((3, 4))``, ``np.exp(x)``."""
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise normalizer.error(arg)
    if any(k.arg is None for k in node.keywords):
        raise normalizer.error(node, "`**` in a call", "Pass keyword arguments by name.")
    value = _call_value(normalizer, node, _copy_func(node.func), hint, lineno)
    args = _args_of(normalizer, value)
    try:
        rule = rules.NONDIFFERENTIABLE_RULE if callee in rules.NONDIFFERENTIABLE else \
            rules.lookup(callee, len(node.args))
    except TypeError:
        rule = None
    if rule is rules.NONDIFFERENTIABLE_RULE:
        emit(value, args, None, callee, differentiable=False)
    elif isinstance(rule, rules.ArrayRule):
        _bind_or_fail(normalizer, node, rule, value.args, value.keywords)
        emit(value, args, rule, callee)
    elif rule is not None:              # elementwise: the scalar row, position by position
        if value.keywords:
            raise normalizer.error(node, f"keyword arguments to {rule.name}",
                                   "Pass the arguments by position.")
        value.args = [_as_array(normalizer, node, a, hint, lineno) if is_display(a) else a
                      for a in value.args]
        if rule.arity not in (None, len(value.args)):
            raise normalizer.error(node, f"{rule.name} with {len(value.args)} arguments",
                                   f"Call it with {rule.arity} arguments.")
        emit(value, list(value.args), rule, callee)
    else:                               # no rule: an error if it is ever active (activity.py)
        emit(value, args, None, callee)


def _as_array(normalizer, node, display, hint, lineno):
    """``np.exp([x, y])``: the list as a step of its own, ``t = np.asarray([x, y])``, so
    that the elementwise row applies to an array (``np`` as the user spelled it)."""
    from .normalize import Step
    module = node.func.value if isinstance(node.func, ast.Attribute) else None
    if module is None or normalizer._callee_or_none(module) is not np:
        raise normalizer.error(node, f"a list or tuple passed to `{ast.unparse(node.func)}`",
                               "Make it an array first: np.array([...]).")
    call = ast.Call(ast.Attribute(_copy_func(module), "asarray", ast.Load()), [display], [])
    name = normalizer._temp_name(call, hint)
    normalizer.body.append(Step(name, call, _args_of(normalizer, call),
                                rules.ARRAY_RULES[np.asarray], 0, lineno, np.asarray))
    return ast.Name(name, ast.Load())


def _call_value(normalizer, node, func, hint, lineno):
    args = [_operand(normalizer, a, hint, lineno) for a in node.args]
    keywords = [ast.keyword(k.arg, _operand(normalizer, k.value, hint, lineno))
                for k in node.keywords]
    return ast.Call(func, args, keywords)


def _copy_func(node):
    if isinstance(node, ast.Attribute):
        return ast.Attribute(_copy_func(node.value), node.attr, ast.Load())
    return ast.Name(node.id, ast.Load())


def _bind_or_fail(normalizer, node, rule, args, keywords):
    try:
        inspect.signature(rule.signature).bind(*args, **{k.arg: k.value for k in keywords})
    except TypeError as error:
        raise normalizer.error(node, f"this call of {rule.name} ({error})",
                               "Call it with the arguments NumPy documents.") from None


def suggest_name(node):
    """A readable temporary name for array syntax: ``Xw`` for ``X @ w``, ``XT`` for ``X.T``."""
    leaf = lambda n: n.id if isinstance(n, ast.Name) and n.id.isalpha() and len(n.id) <= 4 else None  # noqa: E731
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        left, right = leaf(node.left), leaf(node.right)
        return left + right if left and right else None
    if isinstance(node, ast.Attribute) and node.attr == "T" and leaf(node.value):
        return leaf(node.value) + "T"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
            and leaf(node.func.value) and node.func.attr in ("sum", "mean", "max", "min"):
        return node.func.attr + leaf(node.func.value)
    return None


def is_array_program(program):
    for step in program.steps:
        if isinstance(step.rule, rules.ArrayRule) or handles_call(step.callee):
            return True
        if isinstance(step.value, ast.Attribute) and step.value.attr in rules.CONSTANT_ATTRIBUTES:
            return True
    return False


# argument kinds and shape inference ---------------------------------------------------

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


def kind_of(value):
    if isinstance(value, np.ndarray):
        return Kind(value.shape, value.dtype.kind, True, exact=value.dtype)
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


def _free_values(program, kinds):
    """``atom_key -> value`` for the free data (arrays, numbers, lists and tuples of
    them) the program reads, except the keys already in ``kinds``."""
    from .normalize import If, Loop, Step, store_names, walk_items
    found = {}
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
    nodes += program.outputs
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


def check_argument(function_name, name, value):
    """An ``ArgumentError`` naming the parameter for a value arrays code cannot take."""
    problem = None
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            problem = f"an array of dtype {value.dtype}"
        elif value.size == 0:
            problem = f"an empty array of shape {value.shape}"
    elif isinstance(value, complex) or not isinstance(value, (int, float, np.number, bool)):
        problem = f"{type(value).__name__} {value!r:.60}"
    if problem:
        raise ArgumentError(
            f"argument {name!r} of {function_name} must be a real number or a non-empty "
            f"array of real numbers, got {problem}", construct="argument")


def infer(program, args, scalar=None):
    """The ``Kind`` of every name of ``program``, by running its steps once on ``args``;
    ``scalar``: the transform (``"grad"``) for which an output that is an array on a path
    the run did not take is a ``NotScalarError``."""
    parsed = program.parsed
    env = dict(parsed.func.__globals__)
    env.update({n: c.cell_contents for n, c in parsed.closure.items()})
    env.update(zip(program.params, [a.copy() if isinstance(a, np.ndarray) else a for a in args]))
    kinds = {p: kind_of(a) for p, a in zip(program.params, args)}
    program.assigned_at = {}      # name -> the line of its last assignment in the run
    env[_SEQUENCE_CHECK] = functools.partial(_no_list_item_assignment, program)
    saving = {s.saved for s in program.steps if s.rule is rules.ARRAY_SETITEM}
    from .normalize import has_control_flow
    if has_control_flow(program.body):
        return _free_kinds(program, _infer_blocks(program, env, kinds, saving, scalar))
    for step in program.steps:
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
    from .normalize import If, Jump, Loop, Step, store_names
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
    emit(program.body, "    ")

    def record(name, value, lineno, index=None):
        if _is_complex(value):
            raise program.complex_value(name, value, lineno)
        kind = kind_of(value)
        known = kinds.get(name)
        if known is not None and _differ(known, kind, name in program.params):
            raise _kind_error(program, name, known, kind, lineno)
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


def _is_complex(value):
    return isinstance(value, (complex, np.complexfloating)) or (
        isinstance(value, np.ndarray) and value.dtype.kind == "c")


def _compiled(lines, linenos, filename):
    """The code of the source ``lines``, each numbered as the user's line it runs
    (``linenos``): an exception the user's forward raises there is shown at its line."""
    tree = ast.parse("\n".join(lines) + "\n")
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is not None:
            node.lineno = node.end_lineno = linenos[node.lineno - 1]
            node.col_offset, node.end_col_offset = 0, 10 ** 4    # the whole line
    return compile(tree, filename, "exec")


def _arms(items):
    """``(arms, chains)``: a number for each arm (``(id(item), "body" | "orelse")`` of
    each ``if`` and loop), and for each step ``id(step) -> (index, chain)``, its index in
    forward order and the arms enclosing it, outermost first, as ``(arm, item)``."""
    from .normalize import If, Loop, Step
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


def _kind_error(program, name, first, then, lineno, paths=None):
    """The error for a name with two kinds: ``then`` assigned at ``lineno`` after
    ``first`` in one run, or (``paths``: the line assigning ``first``) on another path."""
    user = program.user_names.get(name, name)
    if name == program.name and any(getattr(o, "id", None) == name for o in program.outputs):
        user = "the value returned"
    else:
        user = f"`{user}`"
    numbers = {first.dtype, then.dtype} <= {"i", "b", "f"} and not (first.array or then.array)
    if paths is None:
        what = f"{user} is first {_describe(first)}, then {_describe(then)}"
    else:
        what = (f"{user} is {_describe(first)} on one path (line {paths}) and "
                f"{_describe(then)} on another (line {lineno})")
    hint = ("Start it as a float (`0.0`, not `0`): ints are constants in NumPy code."
            if numbers else
            "Keep every variable's shape fixed: preallocate the result with np.zeros(final "
            "shape) and assign each piece into it (`out[i] = ...`), or write the pieces in "
            "one call (np.stack([a, b, c])).")
    if paths is not None and not numbers:
        hint = ("Give the variable the same shape on every path (np.full(x.shape, s) for "
                "a number spread over an array, or reduce the array), use different names "
                "on the two paths, or branch on shapes (`x.ndim`, `len(x)`) or outside the "
                "differentiated function.")
    return program.parsed.error(
        ast.Pass(lineno=lineno), f"s2sdiff cannot differentiate {program.name}: {what}; "
        f"generated array code is specialised to one shape per name",
        construct="a shape that changes" if paths is None else "a shape that depends on the path",
        cls=UnsupportedError, hint=hint)


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
    from .normalize import walk_steps
    scope = {**env, **values}
    fixed = _shape_conditions(program)
    seen = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for step in walk_steps(program.body):
            index, chain = chains[id(step)]
            if index in reached or step.mutates or step.rule is rules.CALL \
                    or step.custom is not None:
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
                        scalar, f"{_describe(kind if kind.shape != () else known)} on one "
                        "of its paths", _NOT_SCALAR_HINT,
                        lineno if kind.shape != () else first)
                raise _kind_error(program, step.target, known, kind, lineno, paths=first)
            if known is None:
                kinds[step.target] = kind
                seen[step.target] = lineno


def _shape_conditions(program):
    """The ids of the ``if``s and ``for`` loops whose arm taken depends only on the
    arguments' kinds: their test (iterable) is computed from constants and the
    ``.shape``, ``.ndim``, ``.size``, ``.dtype``, ``len`` or type of parameters, free data
    and names assigned once outside blocks."""
    from .normalize import If, Loop, Step, walk_items
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
        if isinstance(node, ast.Attribute) and node.attr in rules.CONSTANT_ATTRIBUTES:
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


def _describe(kind):
    if kind.array:
        return f"an array of shape {kind.shape}"
    return {"f": "a float", "i": "an int", "b": "a bool"}.get(kind.dtype, "another value")


# reverse mode -------------------------------------------------------------------------

class _ArrayNamespace:
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


def _broadcast(*shapes):
    return tuple(np.broadcast_shapes(*shapes))


_VIEWS = {"T", "reshape", "broadcast_to", "transpose", "expand_dims", "swapaxes", "ravel"}


def _fresh(node):
    """Whether ``node`` evaluates to a newly allocated array (never a view or an alias)."""
    if isinstance(node, (ast.Name, ast.Subscript, ast.Constant)):
        return False
    if isinstance(node, ast.Attribute):
        return False
    if isinstance(node, ast.Call):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        return func not in _VIEWS
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return _fresh(node.operand)
    return True


class _Substitute(ast.NodeTransformer):
    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        if node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        return node


class Backprop:
    """The reverse sweep of an array program; ``reverse`` calls ``step`` per active step."""

    def __init__(self, program, activity, listing, adjoint, modules, explain, plain=False):
        self.plain = plain    # inside branches and loops: no literal seeds, no += in place
        self.program, self.activity, self.listing = program, activity, listing
        self.adjoint, self.modules, self.explain = adjoint, modules, explain
        self.kinds = program.kinds
        self.integral = integral_names(self.kinds)    # `m * 1.0` keeps its 1.0: a float
        self.written = set()
        self.ashape = {}      # adjoint name -> its shape (broadcasts to the value's)
        self.owned = {}       # adjoint name -> holds a fresh array of its full shape
        self.literals = {}    # adjoint name -> literal value (the seed 1.0)
        self.np = self.modules.namespace(np)
        self.aliases = {}     # adjoint name -> arrays it may be a view of (not owned)

    # writing contributions
    def shape(self, name):
        return self.kinds[name].shape

    def write(self, atom, value, tag=None, note=None, shape=None):
        value = fold(_Substitute(self.literals).visit(copy.deepcopy(as_node(value))), self.integral)
        if shape is None:
            shape = self.expression_shape(value)
        target = self.adjoint(atom.id)
        kind = self.kinds.get(atom.id)
        if target not in self.written:
            self.written.add(target)
            self.ashape[target], self.owned[target] = shape, _fresh(value)
            if not self.owned[target]:          # may share memory with these arrays
                self.aliases[target] = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
                if self.plain:                  # and they with it: no writing in place
                    for name in self.aliases[target]:
                        self.owned[name] = False
            if isinstance(value, ast.Constant) and not self.plain:
                self.literals[target] = value
            line = assign(target, value)
        elif kind is None or not kind.array:
            self.literals.pop(target, None)        # it holds more than the literal now
            line = accumulate(target, value)       # numbers are immutable: += rebinds
        elif self.owned.get(target) and not self.plain \
                and _broadcast(self.ashape[target], shape) == self.ashape[target]:
            line = accumulate(target, value)       # in place, into an array we allocated
        else:
            self.literals.pop(target, None)
            line = assign(target, ast.BinOp(ast.Name(target, ast.Load()), ast.Add(), value))
            self.ashape[target] = _broadcast(self.ashape.get(target, kind.shape), shape)
            self.owned[target] = True
        self.listing.body.append(Line(line, tag, note))

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
        return _broadcast(*shapes) if shapes else ()

    def materialize(self, atom_name, target_shape, writable=False):
        """Make the adjoint of ``atom_name`` hold its full shape (a view unless ``writable``)."""
        name = self.adjoint(atom_name)
        self.literals.pop(name, None)
        if self.ashape[name] != tuple(target_shape):
            view = self.np.broadcast_to(Expr.name(name), Expr(_attr(atom_name, "shape")))
            exact = self.kinds[atom_name].exact
            dtype = {} if exact == np.float64 or exact.kind != "f" else \
                {"dtype": Expr(_attr(atom_name, "dtype"))}     # float32 stays float32
            value = self.np.full(Expr(_attr(atom_name, "shape")), Expr.name(name), **dtype) \
                if writable else view
            self.listing.body.append(Line(assign(name, value.node)))
            self.ashape[name], self.owned[name] = tuple(target_shape), writable
        elif writable and not self.owned[name]:
            self.listing.body.append(Line(assign(name, ast.Call(
                ast.Attribute(ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
            self.owned[name] = True

    # one step
    def step(self, step, note):
        d_target = self.adjoint(step.target)
        if d_target not in self.written:
            return
        self.ashape.setdefault(d_target, self.shape(step.target))   # a vjp cotangent
        self.owned.setdefault(d_target, False)
        if isinstance(step.rule, rules.ArrayRule):
            return self._array_rule(step, d_target)
        m = self._namespace_for(step)
        partials = self.modules.partials(step, m, partial_arguments(self.modules, self.kinds, step),
                                         partials_may_raise(self.kinds, step, m))
        out_shape = self.shape(step.target)
        for atom, partial in zip(step.args, partials):
            if not self.activity.is_active(atom):
                continue
            value = fold(_Substitute(self.literals).visit(
                copy.deepcopy((partial * Expr.name(d_target)).node)), self.integral)
            shape = self.expression_shape(value)
            if self.shape(atom.id) != out_shape and shape != out_shape:
                # broadcasting summed over a lazy adjoint: give it its full shape first
                self.materialize(step.target, out_shape)
                value = fold(copy.deepcopy((partial * Expr.name(d_target)).node), self.integral)
                shape = self.expression_shape(value)
            value, shape = self.sum_to(value, shape, self.shape(atom.id))
            self.write(atom, value, step.number, note(step, atom, partial), shape)

    def _namespace_for(self, step):
        return array_namespace(self.modules, self.kinds, step)

    def sum_to(self, node, shape, to):
        """``node`` (of ``shape``) summed over the axes broadcasting added to ``to``; returns
        ``(node, shape)``, the shape possibly still smaller than ``to`` (lazy)."""
        shape, to = tuple(shape), tuple(to)
        lead = max(0, len(shape) - len(to))     # leading axes ``to`` lacks: summed away
        pad = max(0, len(to) - len(shape))      # leading axes the value lacks: broadcast
        axes = list(range(lead)) + [i for i in range(lead, len(shape))
                                    if to[i - lead + pad] == 1 and shape[i] != 1]
        rest = shape[lead:]
        if not axes:
            return node, rest               # its true shape, which broadcasts to ``to``
        if not to:
            return self.np.sum(Expr(node)).node, ()
        keep = [a for a in axes if a >= lead]
        result = tuple(1 if lead + i in keep else n for i, n in enumerate(rest))
        axis = _axis_node(axes)
        call = Expr(ast.Call(ast.Attribute(ast.Name(self.np.alias, ast.Load()), "sum", ast.Load()),
                             [node], [ast.keyword("axis", axis)] +
                             ([ast.keyword("keepdims", ast.Constant(True))] if keep else [])))
        self.np.used = True
        if keep and lead:
            call = Expr(ast.Call(ast.Attribute(call.node, "reshape", ast.Load()),
                                 [ast.Constant(result)], []))
        return call.node, result

    def _array_rule(self, step, d_target):
        rule = step.rule
        context = _Context(self, step, d_target)
        for operand in rule.operands:
            bound = context.bound.get(operand)
            if bound is None or not self._reaches(bound):
                continue
            context.result_shape = None
            result = rule.vjps[operand](context)
            if isinstance(result, list):         # one contribution per element of a sequence
                for element, value in zip(bound.elts, result):
                    if self._reaches(element):
                        self._unstack(element, as_node(value), context.kind_of(element).shape,
                                      step)
                continue
            if result is None:                   # scattered (indexing) by the rule itself
                continue
            shape = context.shape(operand) if context.result_shape is None \
                else context.result_shape
            self._unstack(bound, as_node(result), shape, step)
        refuse_varied_options(self.program, step, self.activity.is_active)

    def _reaches(self, node):
        return any(self.activity.is_active(a) for _, a in leaves(node))

    def _unstack(self, node, value, shape, step):
        """Write ``value`` (of ``shape``, which broadcasts to the operand's) as the adjoint
        of the operand ``node``: an atom gets it whole; a display ``[a, [b, c]]``, which
        NumPy reads as ``np.array([a, [b, c]])``, gives each element its entry along the
        first axis (``value[0]``, ``value[1]``), or all of ``value`` where it does not
        vary along that axis (a lazy adjoint)."""
        if not is_display(node):
            if self.activity.is_active(node):
                self.write(node, value, step.number, None, tuple(shape))
            return
        full = node_kind(self.kinds, node).shape
        shape = tuple(shape)
        spans = len(shape) == len(full) and shape[0] != 1
        active = [e for e in node.elts if self._reaches(e)]
        if spans and len(active) > 1 and not _is_entry(value):
            name = self.program.namer.fresh(f"{self.adjoint(step.target)}_array")
            self.listing.body.append(Line(assign(name, value), step.number))
            self.ashape[name], self.owned[name] = shape, _fresh(value)
            value = ast.Name(name, ast.Load())
        for i, element in enumerate(node.elts):
            if not self._reaches(element):
                continue
            if len(shape) < len(full):       # the same along the first axis
                self._unstack(element, copy.deepcopy(value), shape, step)
            else:
                self._unstack(element, _entry(value, i if spans else 0), shape[1:], step)

    def set_item(self, step, active):
        """``a[idx] = e``, in reverse: ``de += da[idx]`` (summed to e's shape),
        ``da[idx] = 0.0`` (the overwritten elements no longer reach the output), then
        ``a[idx] = a_saved``, so the steps before it read the values they read forward."""
        array, element = step.args[0], step.args[1]
        index = step.store.targets[0].slice
        d_array = self.adjoint(array.id)
        if active and not _distinct_index(index, self.kinds, self.shape(array.id)):
            raise self.program.parsed.error(
                step.store, f"s2sdiff cannot differentiate {self.program.name}: the assignment "
                f"`{unparse(step.store.targets[0])} = ...` writes through an index that may "
                f"repeat a position (NumPy does not say which write wins)",
                construct="assignment through an "
                "integer-array index", cls=UnsupportedError,
                hint="Assign through slices, ints or boolean masks, or a literal list of "
                     "distinct positions; or build the array with np.where.")
        self.listing.body.append(Comment(f"backprop {unparse(step.store)}"))
        if active and d_array in self.written:
            self.materialize(array.id, self.shape(array.id), writable=True)
            entry = ast.Subscript(ast.Name(d_array, ast.Load()), copy.deepcopy(index), ast.Load())
            if self.activity.is_active(element):
                shape = np.empty(self.shape(array.id))[_static_index(index, self.kinds)].shape
                if shape != ():          # a view of d_array, which is zeroed next: copy it
                    entry = ast.Call(ast.Attribute(entry, "copy", ast.Load()), [], [])
                value, shape = self.sum_to(entry, shape, self.shape(element.id))
                if self.shape(element.id) == () and shape != ():
                    value, shape = self.np.sum(Expr(value)).node, ()
                self.write(element, value, step.number, None, shape)
            self.listing.body.append(Line(ast.Assign(
                [ast.Subscript(ast.Name(d_array, ast.Load()), copy.deepcopy(index), ast.Store())],
                ast.Constant(0.0), lineno=0), step.number))
        for name, sources in self.aliases.items():      # restoring a must not change them
            if array.id in sources and not self.owned.get(name):
                self.listing.body.append(Line(assign(name, ast.Call(
                    ast.Attribute(ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
                self.owned[name] = True
        self.listing.body.append(Line(ast.Assign(
            [ast.Subscript(ast.Name(array.id, ast.Load()), copy.deepcopy(index), ast.Store())],
            ast.Name(step.saved, ast.Load()), lineno=0), step.number))

    def fresh_zero(self, name, primal):
        """``name = np.zeros(primal.shape)`` was written: a full-shaped array of our own."""
        self.ashape[name], self.owned[name] = self.shape(primal), True
        self.literals.pop(name, None)

    def zero(self, param):
        kind = self.kinds[param]
        value = self.np.zeros(Expr(_attr(param, "shape"))).node if kind.array else ast.Constant(0.0)
        self.listing.body.append(Comment(f"{param} does not reach the output"))
        self.written.add(self.adjoint(param))
        self.listing.body.append(Line(assign(self.adjoint(param), value)))

    def finish(self, params):
        """Every returned gradient with exactly its parameter's shape, and its dtype: a
        float array's own (float32 stays float32), a float for a number.  A conversion
        is written only where ``_dtypes`` cannot show that the gradient has it already."""
        for param in params:
            kind = self.kinds[param]
            if kind.array and self.adjoint(param) in self.ashape:
                self.materialize(param, kind.shape, writable=True) \
                    if self.ashape[self.adjoint(param)] != kind.shape else None
        dtypes = _dtypes(self.listing.body, self.kinds)
        for param in params:
            kind, name = self.kinds[param], self.adjoint(param)
            if kind.array and kind.dtype != "f":
                continue                          # integer arrays: zeros, as documented
            want = kind.exact if kind.array or isinstance(kind.exact, np.dtype) and \
                kind.exact.kind == "f" else np.dtype(np.float64)
            have = dtypes.get(name, _UNKNOWN)
            if have is not _UNKNOWN and _dtype_of(have) == want and (
                    kind.array or not isinstance(have, np.ndarray)):   # never a 0-d array
                continue
            if kind.array:
                value = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "astype", ast.Load()),
                                 [_attr(param, "dtype")], [])
            else:
                value = self.np.__getattr__(want.type.__name__)(Expr.name(name)).node
            self.listing.body.append(Line(assign(name, value)))


# dtypes of the generated code's names -------------------------------------------------
# Each name gets a *representative*: a one-element array of its dtype (an array), a 0-d
# array (what np.where and np.asarray make of numbers), a NumPy scalar (both "strong" in
# NumPy's promotion), a Python number (weak), or ``_UNKNOWN``.  Arithmetic and comparisons
# run on the representatives, so NumPy itself promotes (and makes scalars of 0-d arrays);
# calls are sorted by what their result's dtype follows.  A call whose result may be an
# array where NumPy would give a scalar is represented by an array: the gradient of a
# number is then converted (``np.float64(da)``), never left a 0-d array.

_UNKNOWN = object()
_SAME_AS_FIRST = {"reshape", "transpose", "swapaxes", "expand_dims", "broadcast_to", "ravel",
                  "copy", "squeeze", "flatten", "atleast_1d", "atleast_2d", "atleast_3d",
                  "zeros_like", "empty_like", "ones_like", "T", "sign", "abs", "negative",
                  "flip", "diagonal", "cumsum", "sum", "max", "min", "amax", "amin", "prod",
                  "array", "asarray"}
_PROMOTING = {"outer", "dot", "matmul", "inner", "maximum", "minimum", "multiply", "add",
              "subtract", "kron", "where"}
_FLOATING = {"exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh",
             "expm1", "arctan", "log2", "log10", "mean", "square", "reciprocal", "norm"}
_UFUNCS = {"sign", "abs", "negative", "maximum", "minimum", "multiply", "add", "subtract",
           "exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh",
           "expm1", "arctan", "log2", "log10", "square", "reciprocal"}
_REDUCTIONS = {"sum", "prod", "max", "min", "amax", "amin", "mean", "norm"}


def _representative(kind):
    exact = kind.exact
    if isinstance(exact, np.dtype):
        return np.ones(kind.shape if kind.shape == () else 1, exact) if kind.array \
            else exact.type(1)
    if exact in (float, int, bool):
        return exact(1)
    if isinstance(kind.value, tuple) and all(type(v) is int for v in kind.value):
        return kind.value              # a shape: ints
    return _UNKNOWN


def _dtype_of(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype
    return np.dtype(type(value)) if type(value) in (float, int, bool) else None


def _dtypes(body, kinds):
    """Representatives of the names ``body`` assigns (forward names keep their kinds'),
    at its end; a name that holds different dtypes on different paths is ``_UNKNOWN``."""
    forward = {n: _representative(k) for n, k in kinds.items()}
    return _run(body, dict(forward), forward)


def _run(items, env, forward):
    for item in items:
        if isinstance(item, Line):
            _apply(item.stmt, env)
        elif isinstance(item, Block):
            if isinstance(item.head, ast.If):
                env = _merge(_run(item.body, dict(env), forward),
                             _run(item.orelse, dict(env), forward))
            else:                         # a loop: its body runs any number of times
                head = dict(env)
                if isinstance(item.head, ast.For):
                    for n in ast.walk(item.head.target):
                        if isinstance(n, ast.Name):
                            head[n.id] = forward.get(n.id, _UNKNOWN)
                once = _merge(head, _run(item.body, dict(head), forward))
                env = _merge(once, _run(item.body, dict(once), forward))
                env = _run(item.orelse, env, forward)
        env.update(forward)
    return env


def _merge(a, b):
    merged = {}
    for name in a.keys() | b.keys():
        x, y = a.get(name, _UNKNOWN), b.get(name, _UNKNOWN)
        same = x is not _UNKNOWN and y is not _UNKNOWN and _dtype_of(x) == _dtype_of(y)
        merged[name] = (y if isinstance(y, np.ndarray) else x) if same else _UNKNOWN
    return merged


def _apply(stmt, env):
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
        env[stmt.targets[0].id] = _evaluate(stmt.value, env)
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
        if not isinstance(env.get(name), np.ndarray):     # in place, an array keeps its dtype
            env[name] = _evaluate(ast.BinOp(ast.Name(name, ast.Load()), stmt.op, stmt.value), env)
    elif isinstance(stmt, (ast.Assign, ast.AugAssign)):
        for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
            if not isinstance(target, ast.Subscript):        # d[i] = ... keeps d's dtype
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        env[n.id] = _UNKNOWN


def _evaluate(node, env):
    """The representative of ``node``'s value, or ``_UNKNOWN``."""
    try:
        return _represent(node, env)
    except Exception:                    # noqa: BLE001 -- anything unforeseen: not known
        return _UNKNOWN


def _represent(node, env):
    if isinstance(node, ast.Constant):
        if type(node.value) in (int, float, bool):
            return node.value
        raise ValueError(node.value)
    if isinstance(node, ast.Name):
        value = env.get(node.id, _UNKNOWN)
        if value is _UNKNOWN:
            raise KeyError(node.id)
        return value
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
        names = {}

        def bound(sub):
            key = f"v{len(names)}"
            names[key] = _represent(sub, env)
            return ast.Name(key, ast.Load())
        if isinstance(node, ast.BinOp):
            expr = ast.BinOp(bound(node.left), node.op, bound(node.right))
        elif isinstance(node, ast.UnaryOp):
            expr = ast.UnaryOp(node.op, bound(node.operand))
        else:
            expr = ast.Compare(bound(node.left), node.ops, [bound(c) for c in node.comparators])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return np.ones(1, np.result_type(*names.values()))
        return eval(compile(ast.fix_missing_locations(ast.Expression(expr)), "<dtype>", "eval"),
                    {}, names)
    if isinstance(node, ast.Subscript):
        base = _represent(node.value, env)
        if isinstance(base, tuple):
            return 1                     # an entry of a shape
        return base if isinstance(base, np.ndarray) else base
    if isinstance(node, ast.Attribute):
        if node.attr in ("T", "real"):
            return _represent(node.value, env)
        if node.attr == "shape":
            return (1,)
        raise ValueError(node.attr)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        method = isinstance(func, ast.Attribute) and not (
            isinstance(func.value, ast.Name) and env.get(func.value.id, _UNKNOWN) is _UNKNOWN
            and func.value.id not in env)
        args = ([func.value] if method else []) + list(node.args)
        keywords = {k.arg: k.value for k in node.keywords}
        if "dtype" in keywords:
            dtype = keywords["dtype"]
            if isinstance(dtype, ast.Attribute) and dtype.attr == "dtype":
                return np.ones(1, _dtype_of(_represent(dtype.value, env)))
            raise ValueError("dtype")
        if name == "astype" and method:
            raise ValueError("astype")
        if name in ("zeros", "ones", "empty", "linspace", "eye"):
            return np.ones(1)
        if name in ("full", "full_like") and len(args) >= 2:
            fill = _represent(args[1], env)
            if name == "full_like":
                return np.ones(1, _dtype_of(_represent(args[0], env)))
            return np.ones(1, np.asarray(fill).dtype)   # np.full(shape, 1.0): float64
        if name in ("concatenate", "stack") and args and isinstance(args[0], (ast.List, ast.Tuple)):
            return np.ones(1, np.result_type(*[_represent(e, env) for e in args[0].elts]))
        values = [_represent(a, env) for a in args if not isinstance(a, (ast.Tuple, ast.List))
                  and not (isinstance(a, ast.Constant) and type(a.value) not in (int, float, bool))]
        if not values or name not in _SAME_AS_FIRST | _PROMOTING | _FLOATING | {"einsum"}:
            raise ValueError(ast.dump(node))
        dtype = None
        if name in _SAME_AS_FIRST:
            dtype = np.asarray(values[0]).dtype
            if name in ("sum", "prod", "cumsum") and dtype.kind in "bi":
                dtype = np.dtype(np.int64)
        elif name in _PROMOTING or name == "einsum":
            dtype = np.result_type(*(values[1:] if name == "where" else values))
        else:
            dtype = np.asarray(values[0]).dtype
            dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        numbers = not any(isinstance(v, np.ndarray) and v.ndim for v in values)
        if numbers and name in _UFUNCS and not method or name in _REDUCTIONS and not (
                {"axis", "keepdims"} & keywords.keys() or len(args) > 1):
            return dtype.type(1)         # a NumPy scalar, not an array
        return np.ones(() if numbers else 1, dtype)
    raise ValueError(ast.dump(node))


def _constant_index(value):
    """``[0, 1]`` for ``d[0, 1]`` (a name indexed by integer literals), else None."""
    if not (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)):
        return None
    index = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
    if all(isinstance(e, ast.Constant) and type(e.value) is int for e in index):
        return [e.value for e in index]
    return None


def _is_entry(value):
    """A name or an entry of one (``d``, ``d[0, 1]``): indexed again at no cost."""
    return isinstance(value, ast.Name) or _constant_index(value) is not None


def _entry(value, i):
    """``value[i]``; ``d[0, i]`` rather than ``d[0][i]`` for an entry of an entry."""
    index = _constant_index(value)
    if index is not None:
        return ast.Subscript(ast.Name(value.value.id, ast.Load()), ast.Tuple(
            [ast.Constant(k) for k in index + [i]], ast.Load()), ast.Load())
    return ast.Subscript(copy.deepcopy(value), ast.Constant(i), ast.Load())


def _static_index(index, kinds):
    """The index ``index`` (atoms, slices) with names replaced by their known values, for
    working out the shape it selects; an array index is replaced by zeros of its shape."""
    def value(node):
        if atom_key(node) is not None:
            kind = kinds.get(atom_key(node))
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


def _distinct_index(index, kinds, shape):
    """Whether ``index`` selects each position of an array of ``shape`` at most once: a
    basic index, or one whose integer lists are literals that select distinct positions."""
    if _basic_index(index, kinds):
        return True
    for node in ast.walk(index):
        if isinstance(node, ast.Name) and not _basic_index(node, kinds):
            return False
    try:
        positions = np.arange(int(np.prod(shape))).reshape(shape)[_static_index(index, kinds)]
    except (IndexError, TypeError, ValueError):
        return False
    return np.unique(positions).size == np.size(positions)


def _strip(shape, to):
    """``shape`` without leading 1s beyond ``to``'s rank."""
    while len(shape) > len(to) and shape and shape[0] == 1:
        shape = shape[1:]
    return tuple(shape)


def _axis_node(axes):
    return ast.Constant(axes[0]) if len(axes) == 1 else ast.Tuple(
        [ast.Constant(a) for a in axes], ast.Load())


def _attr(name, attribute):
    return ast.Attribute(ast.Name(name, ast.Load()), attribute, ast.Load())


class _Context:
    """What an ``ArrayRule``'s vjp sees (the ``c`` of ``rules.py``)."""

    def __init__(self, backprop, step, d_target):
        self.backprop, self.step, self.d_target = backprop, step, d_target
        self.np = _ArrayNamespace(backprop.np)
        self.rule = step.rule
        self.bound = _bind(step)
        self.result_shape = None
        self.reduced = "a"        # the reduced argument of a reduction

    @property
    def g(self):
        self.backprop.materialize(self.step.target, self.out_shape)
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
        sequence = _array_like(node_kind(self.backprop.kinds, node)) and not node_kind(
            self.backprop.kinds, node).array
        return self.np.asarray(Expr(node)) if is_display(node) or sequence else Expr(node)

    def kind(self, name):
        return self.kind_of(self.bound[name])

    def kind_of(self, node):
        kind = node_kind(self.backprop.kinds, node)
        if kind is not None and kind.dtype == "S":
            self.refuse_sequence(node)
        if kind is None or kind.shape is None:
            self.refuse(f"{self.rule.name} of `{unparse(node)}`, whose shape s2sdiff cannot "
                        f"tell", "Pass an array, or build it with np.array.")
        return kind

    def refuse_sequence(self, node):
        self.refuse(f"{self.rule.name} of the list or tuple `{unparse(node)}` built in the "
                    f"function", "Write its elements in the call (np.array([a, b]), "
                    "np.stack([a, b])), or preallocate an array with np.zeros and assign "
                    "into it.")

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
        kind = self.backprop.kinds.get(atom_key(node))
        if kind is not None and kind.value is not None:
            return kind.value
        self.refuse(f"{self.rule.name} with a `{name}` that is not a constant",
                    f"Write `{name}` as a literal.")

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
        if _shape_of(value, self) == self.shape(name):
            return value
        if not self.kind(name).array:        # a number, whose one element ``value`` holds
            return self.np.sum(value)
        node = self.bound[name]
        shape = ast.Attribute(copy.deepcopy(node), "shape", ast.Load()) \
            if atom_key(node) is not None else ast.Constant(self.shape(name))
        return Expr(ast.Call(ast.Attribute(as_node(value), "reshape", ast.Load()), [shape], []))

    def transposed_back(self):
        axes = self.static("axes")
        if axes is None:
            return self.g.T
        inverse = tuple(int(i) for i in np.argsort(axes))
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
        return self.np.expand_dims(value, Expr(_axis_node(list(axes))))

    def spread(self, value, keep_out=False):
        if self._axes() is None and not keep_out:
            self.result_shape = self.backprop.ashape[self.d_target]   # lazy: broadcasts later
            return value
        if not keep_out:
            self.backprop.materialize(self.step.target, self.out_shape)
        result = self._expanded(value)
        self.result_shape = self._expanded_shape() if not keep_out else None
        return result

    def _expanded_shape(self):
        axes = self._axes()
        shape = self.shape(self.reduced)
        return tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))

    def prod_of_others(self):
        """``prod_of_others(a, axis)`` (runtime.py): d np.prod(a, axis) / da, exact at zeros."""
        return Expr(_prod_of_others_call(self.backprop.modules, self.bound))

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
        self.backprop.listing.body.append(Line(assign(name, tied.node), self.step.number))
        axes = self._axes()
        keywords = [] if axes is None else [ast.keyword("axis", _axis_node(list(axes))),
                                            ast.keyword("keepdims", ast.Constant(True))]
        count = ast.Call(_attr(name, "sum"), [], keywords)
        return Expr.name(name) * Expr(ast.BinOp(as_node(g), ast.Div(), count))

    def norm_back(self):
        order = self.static("ord")
        if order not in (None, 2, "fro"):
            self.refuse(f"np.linalg.norm with ord={order!r}", "Use the 2-norm (ord=None).")
        axis = self.static("axis")
        if order == 2 and (axis is None and self.ndim("x") == 2):
            self.refuse("the spectral norm (ord=2 of a matrix)", "Use ord='fro'.")
        self.reduced = "x"
        scale = self._expanded(self.g / self.out)
        return self.arg("x") * scale

    def clip_back(self):
        a = self.arg("a")
        low = self.bound.get("a_min", self.bound.get("min"))
        high = self.bound.get("a_max", self.bound.get("max"))
        mask = None
        for bound, op in ((low, ast.GtE()), (high, ast.LtE())):
            if bound is None or (isinstance(bound, ast.Constant) and bound.value is None):
                continue
            test = ast.Compare(as_node(a), [op], [copy.deepcopy(bound)])
            mask = test if mask is None else ast.BinOp(mask, ast.BitAnd(), test)
        return self.g if mask is None else Expr(ast.BinOp(mask, ast.Mult(), as_node(self.g)))

    def split_back(self, stacked):
        axis = self.static("axis", 0)
        sequence = self.bound["arrays"]
        if not is_display(sequence):
            self.refuse_sequence(sequence)
        g = self.g
        pieces, offset = [], 0
        nd = len(self.out_shape)
        axis = axis % nd
        for element in sequence.elts:
            if stacked:
                part = ast.Constant(len(pieces))
            else:
                size = self.kind_of(element).shape[axis]
                part = ast.Slice(ast.Constant(offset), ast.Constant(offset + size))
                offset += size
            index = [ast.Slice() for _ in range(axis)] + [part]
            index = index[0] if len(index) == 1 else ast.Tuple(index, ast.Load())
            pieces.append(Expr(ast.Subscript(copy.deepcopy(g.node), index, ast.Load())))
        return pieces

    def scatter_back(self):
        """``dx[i] += g``, or ``np.add.at(dx, i, g)`` where integer arrays may repeat."""
        bp = self.backprop
        base = self.bound["a"]
        self.kind("a")               # a list built in the function is refused here
        index = self.bound["index"]
        g = self.g_lazy              # += and np.add.at broadcast it
        name = bp.adjoint(base.id)
        if name not in bp.written:
            bp.written.add(name)
            bp.listing.body.append(Line(assign(name, bp.np.zeros_like(Expr.name(base.id)).node),
                                        self.step.number))
            bp.ashape[name], bp.owned[name] = bp.shape(base.id), True
        else:
            bp.materialize(base.id, bp.shape(base.id), writable=True)
        if not _basic_index(index, bp.kinds):
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
        bp.listing.body.append(Line(stmt, self.step.number))
        return None


def _basic_index(index, kinds):
    """Whether ``index`` selects each element at most once: ints, slices, ``None``,
    ``...`` and boolean masks.  Anything else (a list, an integer array, a name held
    outside the function) may repeat a position, and is scattered with ``np.add.at``."""
    if isinstance(index, ast.Tuple):
        return all(_basic_index(e, kinds) for e in index.elts)
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


def _shape_of(value, context):
    node = as_node(value)
    if isinstance(node, ast.Name) and node.id in context.backprop.ashape:
        return context.backprop.ashape[node.id]
    return None


def _bind(step):
    """The rule's parameter names bound to the step's argument nodes."""
    value = step.value
    if isinstance(value, ast.BinOp):
        pos, kw = [value.left, value.right], {}
    elif isinstance(value, ast.Attribute):
        pos, kw = [value.value], {}
    elif isinstance(value, ast.Subscript):
        pos, kw = [value.value, value.slice], {}
    elif isinstance(step.rule.key, str) and step.rule.key.startswith("method "):
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
    if "newshape" not in result and "shape" in result and step.rule.key is np.reshape:
        result["newshape"] = result["shape"]
    return result


# pruning the forward sweep --------------------------------------------------------------

def _adds_at(stmt):
    """The name ``np.add.at(name, ...)`` writes into, or None."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func, args = stmt.value.func, stmt.value.args
        if isinstance(func, ast.Attribute) and func.attr == "at" \
                and isinstance(func.value, ast.Attribute) and func.value.attr == "add" \
                and args and isinstance(args[0], ast.Name):
            return args[0].id
    return None


def no_writes_through_aliases(listing):
    """After ``optimize`` (which may fold ``1.0 * s`` to ``s``): an adjoint that is ever
    bound to another array itself or a view of it (``ds = s``) is never written in place:
    ``ds += t`` becomes ``ds = ds + t``, and ``ds[i] += t`` first copies ``ds``.  Nothing
    the caller passed in, and no forward value, is ever modified."""
    derivatives = listing.derivative_names
    aliased = set()
    for line in walk_lines(listing.body):
        stmt = line.stmt
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id in derivatives and not _fresh(stmt.value) \
                and not isinstance(stmt.value, ast.Constant):
            aliased.add(stmt.targets[0].id)
    if not aliased:
        return

    def rewrite(items):
        out = []
        for item in items:
            if isinstance(item, Block):
                item.body, item.orelse = rewrite(item.body), rewrite(item.orelse)
            elif isinstance(item, Line) and isinstance(item.stmt, ast.AugAssign):
                target = item.stmt.target
                if isinstance(target, ast.Name) and target.id in aliased:
                    item.stmt = assign(target.id, ast.BinOp(ast.Name(target.id, ast.Load()),
                                                            item.stmt.op, item.stmt.value))
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                        and target.value.id in aliased:
                    name = target.value.id
                    out.append(Line(assign(name, ast.Call(ast.Attribute(
                        ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
            elif isinstance(item, Line) and isinstance(item.stmt, ast.Assign) \
                    and isinstance(item.stmt.targets[0], ast.Subscript) \
                    and isinstance(item.stmt.targets[0].value, ast.Name) \
                    and item.stmt.targets[0].value.id in aliased:
                name = item.stmt.targets[0].value.id
                out.append(Line(assign(name, ast.Call(ast.Attribute(
                    ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
            elif isinstance(item, Line) and _adds_at(item.stmt) in aliased:
                name = _adds_at(item.stmt)             # np.add.at(d, i, g) writes into d
                out.append(Line(assign(name, ast.Call(ast.Attribute(
                    ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))
            out.append(item)
        return out
    listing.body = rewrite(listing.body)
    returned = [n.id for n in ast.walk(listing.returns) if isinstance(n, ast.Name)]
    kinds = getattr(listing.origin, "kinds", None) or {}
    primal_of = {d: p for p, d in listing.adjoints.items()}
    for name in returned:              # a gradient is an array of its own, never an input
        kind = kinds.get(primal_of.get(name))
        if name in aliased and name in derivatives and kind is not None and kind.array:
            listing.body.append(Line(assign(name, ast.Call(ast.Attribute(
                ast.Name(name, ast.Load()), "copy", ast.Load()), [], []))))


def prune_forward(listing):
    """Drop forward statements whose value nothing later reads (array programs only)."""
    derivatives = listing.derivative_names
    read = {n.id for n in ast.walk(listing.returns) if isinstance(n, ast.Name)}
    kept = []
    for item in reversed(listing.body):
        if isinstance(item, Block):         # kept whole; everything it reads is read
            for line in walk_lines([item]):
                read.update(n.id for n in ast.walk(line.stmt) if isinstance(n, ast.Name))
            read.update(n.id for n in ast.walk(item.head) if isinstance(n, ast.Name))
        elif isinstance(item, Line):
            stmt = item.stmt
            target = stmt.targets[0].id if isinstance(stmt, ast.Assign) and isinstance(
                stmt.targets[0], ast.Name) else None
            if target is not None and target not in derivatives and target not in read:
                continue
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    read.add(node.id)
                if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                    read.add(node.value.id)
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                read.add(stmt.target.id)
        kept.append(item)
    listing.body = list(reversed(kept))


# the dispatcher -----------------------------------------------------------------------

def dispatcher(func, name, params, specialise, free=(), parsed=None):
    """``name(*args)``: the code generated for the arguments' kinds, made on first use.

    The key is each argument's ``(shape, dtype)`` for arrays and its type otherwise, then
    the same of each free data value ``free`` (keys of ``free_data``, read through
    ``parsed``'s globals and closure cells as the function reads them); the only per-call
    cost is computing it and one dictionary lookup.
    """
    table = {}
    lock = threading.Lock()
    ndarray = np.ndarray
    n = len(params)
    signature = inspect.signature(func)

    def make(args):
        with lock:
            key = _key(args)
            if key not in table:
                try:
                    table[key] = specialise(args)
                except InternalError:
                    raise                    # its cause is the report
                except S2SDiffError as error:
                    raise error.with_traceback(None) from None
                dispatch.source = table[key].source
            return table[key]

    def _key(args):
        return tuple([(a.shape, a.dtype) if type(a) is ndarray else type(a)
                      for a in args]) + free_key()

    def positional(args, kwargs):
        """Every parameter's value in order (keywords and defaults bound), then the rest."""
        if not kwargs and len(args) >= n:
            return args
        try:
            bound = signature.bind(*args[:n], **kwargs)
        except TypeError as error:
            raise TypeError(f"{name}(): {error}") from None
        bound.apply_defaults()
        return tuple(bound.arguments.values()) + args[n:]

    def slow(*args, **kwargs):
        args = positional(args, kwargs)
        generated = table.get(_key(args))
        if generated is None:
            generated = make(args)
        return generated(*args)

    parameters = list(signature.parameters.values())[:n]
    required = next((i for i, p in enumerate(parameters) if p.default is not p.empty
                     or p.kind is p.KEYWORD_ONLY), n)
    free_key, free_parts, free_names = _free_key(free, parsed)
    dispatch = _fast_path(params, table, slow, required, free_parts, free_names)

    def specialize(*args, **kwargs):
        """The generated function for arguments of these kinds (with ``.source``)."""
        args = positional(args, kwargs)
        try:
            return table[_key(args)]
        except (KeyError, TypeError):
            return make(args)

    dispatch.__name__ = dispatch.__qualname__ = name
    dispatch.specialize = specialize
    dispatch.specializations = table
    dispatch.source = (f"# {name} is generated for the shapes and dtypes of its arguments when "
                       f"it is first called;\n# {name}.specialize(*args).source shows the code.\n")
    return dispatch


def _free_key(free, parsed):
    """``(free_key, source, names)``: a function giving the free values' part of the key,
    the same as a source expression, and the names that expression reads (all prefixed
    ``s2sdiff_``: the dispatcher's parameters are the user's names)."""
    names, parts = {"s2sdiff_ndarray": np.ndarray, "s2sdiff_other": _value_key}, []
    for key in free:
        root, *attributes = key.split(".")
        if root in parsed.closure:
            names[f"s2sdiff_cell{len(parts)}"] = parsed.closure[root]
            read = f"s2sdiff_cell{len(parts)}.cell_contents"
        elif root in parsed.globals:
            names["s2sdiff_globals"] = parsed.globals
            read = f"s2sdiff_globals.get({root!r})"
        else:
            continue
        read += "".join(f".{a}" for a in attributes)
        parts.append(f"(s2sdiff_v.shape, s2sdiff_v.dtype) if type(s2sdiff_v := {read}) is "
                     f"s2sdiff_ndarray else s2sdiff_other(s2sdiff_v)")
    namespace = dict(names)
    source = "".join(f"{part}, " for part in parts)
    exec(compile(f"def free_key():\n    return ({source})\n", "<s2sdiff dispatcher>",
                 "exec"), namespace)
    return namespace["free_key"], parts, names


def _value_key(value):
    """The key of a free value that is not an array: its type (and a list's length)."""
    if isinstance(value, (list, tuple)):
        return type(value), len(value)
    return type(value)


def _fast_path(params, table, slow, required=None, free_parts=(), free_names=None):
    """``f(a, b)``: look the kinds of exactly the user's arguments up inline (no ``*args``
    packing, no loop), under the user's parameter names, so that passing them by name
    takes this path too; anything else (other keywords, defaults, the cotangents of a vjp)
    goes through ``slow``.  Parameters from ``required`` on may be left out (they have
    defaults, or are keyword-only).  Every other name in it starts with ``s2sdiff_``."""
    names = list(params)
    required = len(names) if required is None else required
    key = ", ".join([f"({a}.shape, {a}.dtype) if type({a}) is s2sdiff_ndarray else type({a})"
                     for a in names] + list(free_parts))
    optional = names[required:]
    heads = names[:required] + [f"{a}=s2sdiff_missing" for a in optional]
    # with more positional arguments every optional one was given too; without, those
    # given are passed on by name (some before them may be missing)
    given = ", ".join(names[:required] + [
        f"**{{s2sdiff_k: s2sdiff_v for s2sdiff_k, s2sdiff_v in ("
        + "".join(f"({a!r}, {a}), " for a in optional)
        + ") if s2sdiff_v is not s2sdiff_missing}"] * bool(optional))
    test = "".join(f" or {a} is s2sdiff_missing" for a in optional)
    source = (f"def dispatch({', '.join(heads)}, *s2sdiff_more, **s2sdiff_kwargs):\n"
              + (f"    if s2sdiff_more:\n"
                 f"        return s2sdiff_slow({', '.join(names)}, *s2sdiff_more, "
                 f"**s2sdiff_kwargs)\n" if optional else "") +
              f"    if s2sdiff_more or s2sdiff_kwargs{test}:\n"
              f"        return s2sdiff_slow({given}, "
              f"{'' if optional else '*s2sdiff_more, '}**s2sdiff_kwargs)\n"
              f"    s2sdiff_generated = s2sdiff_get(({key},))\n"
              f"    if s2sdiff_generated is None:\n"
              f"        return s2sdiff_slow({', '.join(names)})\n"
              f"    return s2sdiff_generated({', '.join(names)})\n")
    if not names:
        source = ("def dispatch(*s2sdiff_more, **s2sdiff_kwargs):\n"
                  "    return s2sdiff_slow(*s2sdiff_more, **s2sdiff_kwargs)\n")
    namespace = {"s2sdiff_ndarray": np.ndarray, "s2sdiff_get": table.get,
                 "s2sdiff_slow": slow, "s2sdiff_missing": _MISSING, **(free_names or {})}
    exec(compile(source, "<s2sdiff dispatcher>", "exec"), namespace)
    return namespace["dispatch"]


_MISSING = object()     # an argument left to its default (the dispatcher's fast path)


def specialiser(func, parsed_program, kind, wrt_names, single, generate):
    """``specialise(args)``: check the arguments, infer kinds, generate and build."""
    def specialise(args, ieee=False):
        program = parsed_program()
        for param, value in zip(program.params, args):
            check_argument(program.name, param, value)
        scalar = kind if kind in ("grad", "value_and_grad") else None
        kinds = infer(program, args[:len(program.params)], scalar)
        output = kinds.get(program.output.id) if isinstance(program.output, ast.Name) else None
        if scalar and output is not None and output.shape not in ((), None):
            raise program.not_scalar(kind, f"an array of shape {output.shape}",
                                     _NOT_SCALAR_HINT, program.assigned_at.get(program.output.id))
        program.kinds = kinds
        aliases.check(program, kinds)
        return generate(program, [p for p in wrt_names if kinds[p].real or not kinds[p].array],
                        ieee)
    return specialise


_NOT_SCALAR_HINT = ("Reduce it (np.sum, np.mean) or use s2sdiff.vjp(f, *args) for a "
                    "vector-Jacobian product.")


def drop_constants(program, facts):
    """Ints and bools are constants (piecewise constant where they come from floats:
    comparisons, rounding); so are values that are not numbers or arrays (tuples, None),
    except the result of a differentiable NumPy call on varied values, which is refused:
    it would silently be a constant."""
    kinds = program.kinds
    for step in program.steps:
        kind = kinds.get(step.target)
        if kind is not None and kind.shape is None and step.target in facts.varied \
                and step.differentiable and step.rule is not None \
                and not isinstance(step.rule, rules.Structural) and any(
                    isinstance(a, ast.Name) and a.id in facts.varied for a in step.args):
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
    facts.varied -= {n for n, k in kinds.items()      # lists ("S") may vary: refused at use
                     if k.dtype in "biu" or (k.shape is None and k.dtype != "S")}


def forward_refused(program):
    step = next(s for s in program.steps if isinstance(s.rule, rules.ArrayRule)
                or handles_call(s.callee) or isinstance(s.value, ast.Attribute))
    return program.parsed.error(
        ast.Expr(step.value, lineno=step.lineno),
        f"s2sdiff cannot differentiate {program.name} by columns in forward mode with "
        f"respect to an array (`{unparse(step.value)}` is NumPy code): one column per entry",
        construct="arrays in forward mode by columns", cls=UnsupportedError,
        hint="Use jvp with a tangent array, or grad, vjp or jacrev (reverse mode).")


# forward mode ----------------------------------------------------------------------------
# The tangent of an array row: the row's own expression with operands replaced by their
# tangents.  Every row but the reductions to extrema, norm, prod and clip is linear in its
# operands together (``where``, indexing, reshapes, joins) or in each one alone (products:
# ``a @ b`` gives ``a_dot @ b + a @ b_dot``); those four have their derivative written out.

_BILINEAR = {ast.MatMult, np.matmul, np.dot, "method dot", np.outer, np.inner}
_EXTREMA = {np.max, np.min, np.amax, np.amin, "method max", "method min"}
_PRODUCTS = {np.prod, "method prod"}


def zeros_of(modules, name):
    """``np.zeros(name.shape)``."""
    return modules.namespace(np).zeros(Expr(_attr(name, "shape"))).node


def array_namespace(modules, kinds, step):
    """The namespace the scalar rows' partials use for ``step``: NumPy's when an argument
    is an array (``m.cos`` is ``np.cos``), else the step's own module."""
    names = [kinds.get(atom_key(a)) for a in step.args]
    if handles_call(step.callee) or any(_array_like(k) for k in names):
        return _ArrayNamespace(modules.namespace(np))
    return modules.namespace_for(step)


def _array_like(kind):
    """Whether NumPy reads a value of ``kind`` as an array of one or more entries: an
    array, or a list or tuple of numbers held outside the function (``w * LIST`` is
    ``w * np.asarray(LIST)`` in the partials, ``partial_arguments``)."""
    return kind is not None and (kind.array or kind.shape not in (None, ()))


def partials_may_raise(kinds, step, m):
    """Whether the partials of ``step``, built with ``m`` (``array_namespace``), may raise
    where its forward does not (then the gradient gets its IEEE retry, ``api.IEEERetry``):
    a row that may (``rules.partials_raise``) on numbers with ``math``'s functions, and a
    NumPy function of Python numbers only, whose partials (``1 / x`` for ``np.log``) are
    Python arithmetic.  NumPy arithmetic on arrays and NumPy scalars never raises."""
    if not isinstance(m, _ArrayNamespace):
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
        if _array_like(kind) and not kind.array:
            arguments.append(modules.namespace(np).asarray(Expr(copy.deepcopy(atom))))
        else:
            arguments.append(Expr(atom))
    return arguments


def spread_tangent(modules, kinds, step, terms, value):
    """``value``, the tangent of an elementwise ``step`` (``terms``: its ``(partial,
    argument)`` pairs), spread to the step's shape where NumPy's broadcasting gives the
    forward value more entries than the terms have: ``np.exp(x) + C`` of a number ``x``
    and an array ``C`` has the tangent ``expx_dot`` in every entry, ``np.full(t.shape,
    expx_dot)``."""
    target = kinds.get(step.target)
    if target is None or not target.array:
        return value
    shapes = []
    for partial, atom in terms:
        for node in [atom] + list(ast.walk(as_node(partial))):
            kind = node_kind(kinds, node) if isinstance(node, (ast.Name, ast.Attribute)) \
                else None
            if isinstance(node, (ast.Name, ast.Attribute)) and atom_key(node) is not None:
                if kind is None or kind.shape is None:
                    shapes = None         # not known: spread to be sure
                    break
                shapes.append(kind.shape)
        if shapes is None:
            break
    try:
        if shapes is not None and _broadcast(*shapes) == target.shape:
            return value
    except ValueError:
        pass
    return modules.namespace(np).full(Expr(_attr(step.target, "shape")), value)


def refuse_varied_options(program, step, is_active):
    """Refuse an ``ArrayRule`` step whose argument other than its differentiated operands
    (``a_min`` of ``np.clip``, an ``axis``) depends on the differentiated inputs
    (``is_active``): only the operands are differentiated, in both modes."""
    for name, node in _bind(step).items():
        if name not in step.rule.operands and any(is_active(a) for a in _names(node)):
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: {step.rule.name} whose "
                f"`{name}` argument depends on the differentiated inputs",
                construct=step.rule.name, cls=UnsupportedError,
                hint="Only the array arguments are differentiated; compute that argument "
                     "from constants.")


def tangent_of_row(step, kinds, modules, tangent_of):
    """The tangent of an ``ArrayRule`` step as an AST expression; ``tangent_of(atom)`` is
    the atom's tangent expression, or None for a constant."""
    rule = step.rule
    np_ = modules.namespace(np)
    bound = _bind(step)
    operands = [name for name in rule.operands if name in bound]

    def replaced(replace):
        return _rebuilt(step.value, replace)

    def tangent_or_zero(atom):
        t = tangent_of(atom)
        if t is not None:
            return t
        return np_.zeros_like(Expr(copy.deepcopy(atom)), dtype=Expr(ast.Name("float", ast.Load()))).node

    def atoms_of(name):
        return [atom for _, atom in leaves(bound[name])]

    def whole(name):
        """The operand and its tangent as arrays (a display is ``np.asarray([...])``)."""
        node = bound[name]
        if not is_display(node):
            return node, tangent_of(node)
        tangents = {id(a): tangent_or_zero(a) for a in atoms_of(name)}
        return (np_.asarray(Expr(copy.deepcopy(node))).node,
                np_.asarray(Expr(_rebuilt(node, tangents))).node)

    if rule.key in _BILINEAR:
        terms = []
        for name in operands:
            if any(tangent_of(a) is not None for a in atoms_of(name)):
                terms.append(replaced({id(a): tangent_or_zero(a) for a in atoms_of(name)}))
        return functools.reduce(lambda a, b: ast.BinOp(a, ast.Add(), b), terms)
    if rule.key in _EXTREMA or rule.key in _PRODUCTS or rule.key is np.linalg.norm:
        return _nonlinear_tangent(step, bound, np_, *whole("a" if "a" in bound else "x"),
                                  modules)
    if rule.key in (np.clip, "method clip"):
        a, t = whole("a")
        low = bound.get("a_min", bound.get("min"))
        high = bound.get("a_max", bound.get("max"))
        mask = None
        for limit, op in ((low, ast.GtE()), (high, ast.LtE())):
            if limit is None or (isinstance(limit, ast.Constant) and limit.value is None):
                continue
            test = ast.Compare(copy.deepcopy(a), [op], [copy.deepcopy(limit)])
            mask = test if mask is None else ast.BinOp(mask, ast.BitAnd(), test)
        return t if mask is None else ast.BinOp(mask, ast.Mult(), t)
    replace = {id(a): tangent_or_zero(a) for name in operands for a in atoms_of(name)}
    return replaced(replace)


def _prod_of_others_call(modules, bound):
    args = [copy.deepcopy(bound["a"])]
    if "axis" in bound:
        args.append(copy.deepcopy(bound["axis"]))
    return ast.Call(ast.Name(modules.helper(runtime.prod_of_others), ast.Load()), args, [])


def _nonlinear_tangent(step, bound, np_, a, t, modules):
    """max/min (the mean of the tied entries' tangents, as reverse mode spreads), prod and
    the 2-norm along ``axis`` (or all of them), of ``a`` whose tangent is ``t``."""
    axis = bound.get("axis")
    keepdims = bound.get("keepdims")
    out = ast.Name(step.target, ast.Load())
    expanded = out
    keep = isinstance(keepdims, ast.Constant) and keepdims.value
    if axis is not None and not keep and not (isinstance(axis, ast.Constant) and axis.value is None):
        expanded = np_.expand_dims(Expr(out), Expr(copy.deepcopy(axis))).node
    if step.rule.key in _EXTREMA:
        tied = ast.Compare(copy.deepcopy(a), [ast.Eq()], [expanded])
        weighted = ast.BinOp(t, ast.Mult(), tied)
    elif step.rule.key in _PRODUCTS:
        weighted = ast.BinOp(_prod_of_others_call(modules, bound), ast.Mult(), t)
    else:
        weighted = ast.BinOp(ast.BinOp(copy.deepcopy(a), ast.Mult(), t), ast.Div(), expanded)
    keywords = []
    if axis is not None:
        keywords.append(ast.keyword("axis", copy.deepcopy(axis)))
    if keepdims is not None:
        keywords.append(ast.keyword("keepdims", copy.deepcopy(keepdims)))
    np_.used = True
    total = ast.Call(ast.Attribute(ast.Name(np_.alias, ast.Load()), "sum", ast.Load()),
                     [weighted], keywords)
    if step.rule.key in _EXTREMA:          # the mean of the tied entries' tangents
        count = ast.Call(ast.Attribute(ast.Name(np_.alias, ast.Load()), "sum", ast.Load()),
                         [copy.deepcopy(tied)], copy.deepcopy(keywords))
        total = ast.BinOp(total, ast.Div(), count)
    return total


def _rebuilt(node, replace):
    """A copy of ``node`` in which the nodes whose ids are keys of ``replace`` (the step's
    own operand nodes) are replaced by copies of their values."""
    if id(node) in replace:
        return copy.deepcopy(replace[id(node)])
    if isinstance(node, list):
        return [_rebuilt(n, replace) for n in node]
    if not isinstance(node, ast.AST):
        return node
    new = copy.copy(node)
    for field, value in ast.iter_fields(node):
        setattr(new, field, _rebuilt(value, replace))
    return new
