"""backend="numba": the generated scalar and loop code compiled by ``numba.njit``."""

import ast
import functools
import inspect
import math
import re
import threading

import numpy as np

from .. import runtime, syntax
from ..build import unparse
from ..errors import ArgumentError, UnsupportedError
from ..liveness import fails_condition, repeating_call
from ..rules import Function, Operator, lookup
from .source import _describe, _exec, _header, _namespace, _new, _refusal, _render, _unwrap_checks


_NUMBA_HINT = ("backend='numba' compiles scalar and loop code over floats, lists of floats "
               "and 1-D arrays; run this function with the default backend='python'.")


def compile_numba(generated, kind):
    import numba

    name = generated.__name__
    origin = getattr(generated, "__s2sdiff_origin__", generated)
    if hasattr(generated, "specialize"):
        raise UnsupportedError(
            f"backend='numba' compiles scalar and loop code; {origin.__name__} calls NumPy, "
            f"whose generated code is specialised per array shape", construct="backend='numba'",
            hint="Use backend='jax' for NumPy code, or the default backend='python'.")
    if not inspect.isfunction(generated):
        raise UnsupportedError(f"backend='numba' cannot compile {name}: it is not a plain "
                               f"generated function", construct="backend='numba'",
                               hint=_NUMBA_HINT)
    namespace = _namespace(generated)
    namespace.setdefault("np", np)
    if namespace["np"] is not np:
        raise UnsupportedError(f"backend='numba' cannot compile {name}: the name `np` is "
                               f"not NumPy there", construct="backend='numba'", hint=_NUMBA_HINT)
    for key, value in list(namespace.items()):
        if value is _ZEROS_LIKE:
            namespace[key] = _numba_zeros_like()
        elif value is runtime.structured_as:    # a sequence's gradient is an array here
            namespace[key] = _numba_as_it_is()
    namespace["TypedList"] = numba.typed.List
    build = _NumbaBuild(generated, origin, namespace)
    lock = threading.Lock()

    def prepare(*args):
        """Compile for these argument types, or refuse clearly: an ``ArgumentError``
        returned for arguments numba is not given, an ``UnsupportedError`` raised for code
        numba cannot compile.  A preallocated tape is float first; when numba types a
        value stored on it otherwise (an int counter), the code is made again with a typed
        list to learn the stored types, then with a tape of those dtypes (``.source``
        shows what runs)."""
        from numba.core import types

        current = build.current
        kinds = [_typeof(current.compiled, a) for a in args]
        for param, value, kind in zip(build.params, args, kinds):
            fits = isinstance(kind, (types.Float, types.Integer, types.Boolean))
            wanted = "a real number"
            if param in build.sequences:
                fits = fits or isinstance(kind, types.Array) and kind.ndim == 1 and isinstance(
                    kind.dtype, (types.Float, types.Integer))
                wanted = "a real number, or a list or 1-D array of them"
            if not fits:
                return ArgumentError(
                    f"argument {param!r} of {build.origin.__name__} (backend='numba') must "
                    f"be {wanted}, got {type(value).__name__}", construct="argument")
        with lock:
            try:
                current.compile(kinds)
                exact = current.dtypes == "float" and current.stores_non_floats()
            except UnsupportedError:
                if current.dtypes != "float":
                    raise
                exact = True        # perhaps a value of the float tape used as an index
            if exact:
                listed = build.make("list")
                install(listed)
                listed.compile(kinds)
                dtypes = listed.list_dtypes()
                if dtypes is not None:
                    typed = build.make(dtypes)
                    typed.compile(kinds)
                    install(typed)
            elif current.dtypes not in ("float", None) and current.stores_non_floats(
                    current.dtypes):
                raise current.tape_refusal()
        return None

    def install(code):
        build.current = code
        entry.__globals__["s2sdiff_compiled"] = code.compiled
        entry.source = code.source
        entry.compiled = code.compiled

    entry = _numba_entry(name, build.params, build.sequences, build.checker, namespace,
                         build.current.compiled, prepare, build.keyword_only)
    entry.__defaults__ = generated.__defaults__        # the user's defaults, as the
    entry.__kwdefaults__ = generated.__kwdefaults__    # Python version has them
    functools.update_wrapper(entry, generated, assigned=("__module__", "__doc__"))
    entry.compiled = build.current.compiled
    return _describe(entry, generated, build.current.source)


class _NumbaBuild:
    """The generated source rewritten for numba (``make``), with its tape's dtypes."""

    def __init__(self, generated, origin, namespace):
        self.generated, self.origin, self.namespace = generated, origin, namespace
        self.current = self.make("float")
        func = self.current.func
        self.checker = self.current.checker
        self.sequences = _sequence_parameters(self.checker)
        self.params = [a.arg for a in func.args.args]
        self.keyword_only = self.current.keyword_only

    def make(self, dtypes):
        return _NumbaCode(self, dtypes)


class _NumbaCode:
    """One rewriting: ``source``, its ``numba.njit`` (compiled per argument types in
    ``compile``), the tape it preallocated (``tape``: its name and the values stored)."""

    def __init__(self, build, dtypes):
        import numba

        original = build.generated.source
        self.name = build.origin.__name__
        func = self.func = syntax.parse(original).body[0]
        # every parameter positional and without a default for numba: the entry the user
        # calls has the user's signature (defaults, keyword-only) and passes them all
        self.keyword_only = [a.arg for a in func.args.kwonlyargs]
        func.args = ast.arguments(posonlyargs=[], args=func.args.posonlyargs + func.args.args
                                  + func.args.kwonlyargs, vararg=None, kwonlyargs=[],
                                  kw_defaults=[], kwarg=None, defaults=[])
        self.checker = _unwrap_checks(func, "numba", build.origin, original)
        _RaiseWhereFails(getattr(build.generated, "__s2sdiff_fails__", {}), build.namespace,
                         getattr(build.generated, "__s2sdiff_repeated_guards__", {})).visit(func)
        self.func_source = unparse(func)
        _NumbaLoops().visit(func)
        self.tape = _preallocate_tape(func, dtypes) if dtypes != "list" else None
        self.dtypes = dtypes if self.tape is not None else None
        _typed_lists(func)
        header = _header(original) + ["# compiled by numba.njit (nopython mode) from this text"]
        self.source = _render(func, original, header)
        python_version, self.filename = _exec(self.source, build.generated.__name__,
                                              dict(build.namespace), "numba")
        _refuse_python_names(func, build.namespace, self.source, self.filename, self.name)
        self.compiled = numba.njit(error_model="numpy")(python_version)
        self.compiled._can_compile = False       # new argument types compile in ``compile``

    def compile(self, kinds):
        self.compiled._can_compile = True
        try:
            self.compiled.compile(tuple(kinds))
        except Exception as error:          # numba's compiler refuses the code
            message = str(error).strip() or \
                f"numba's compiler failed with a {type(error).__name__} and no message"
            raise _refusal("numba", self.name, message, self.source, self.filename,
                           _NUMBA_HINT) from None
        finally:
            self.compiled._can_compile = False

    def _typed(self):
        """{stored name: set of kinds ("float", "int", "bool", other) of its versions}."""
        from numba.core import types

        found = {}
        for overload in self.compiled.overloads.values():
            for variable, kind in overload.type_annotation.typemap.items():
                base = variable.split(".")[0]
                if base in self.tape[1]:
                    found.setdefault(base, set()).add(_kind_name(kind, types))
        return found

    def stores_non_floats(self, dtypes=None):
        """Whether a value stored on the preallocated tape is typed other than as a float
        (``dtypes``: other than the dtype its array has)."""
        if self.tape is None:
            return False
        for base, kinds in self._typed().items():
            wanted = dtypes.get(base, "float") if dtypes else "float"
            if kinds - {wanted}:
                return True
        return False

    def list_dtypes(self):
        """{stored name: dtype} from the typed list's item type, when every item is a
        float, int or bool (else None: the typed list stays)."""
        from numba.core import types

        tapes = [n for n in ast.walk(self.func) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", None) == "TypedList"]
        if len(tapes) != 1:
            return None
        for overload in self.compiled.overloads.values():
            item = None
            for variable, kind in overload.type_annotation.typemap.items():
                if isinstance(kind, types.ListType) and variable.split(".")[0].startswith("tape"):
                    item = kind.item_type
            if item is None:
                return None
            items = list(item) if isinstance(item, types.BaseTuple) else [item]
            kinds = [_kind_name(k, types) for k in items]
            if any(k not in _DTYPES for k in kinds):
                return None
            probe = _NumbaLoops().visit(syntax.parse(self.func_source).body[0])
            found = _preallocate_tape(probe, "float")
            if found is None or len(found[1]) != len(kinds):
                return None
            return dict(zip(found[1], kinds))
        return None

    def tape_refusal(self):
        lineno = next((i for i, line in enumerate(self.source.splitlines(), 1)
                       if "np.empty(" in line), None)
        what = ", ".join(f"`{n}` typed {', '.join(sorted(k))}" for n, k in self._typed().items())
        return UnsupportedError(
            f"backend='numba' cannot compile {self.name} for these argument types: the loop's "
            f"tape stores {what}, but its arrays were typed at the first call",
            construct="tape of other types", filename=self.filename if lineno else None,
            lineno=lineno, source_line=self.source.splitlines()[lineno - 1] if lineno else None,
            hint="Call it with arguments of the types of the first call (1.0, not 1), or use "
                 "the default backend='python'.")


class _RaiseWhereFails(ast.NodeTransformer):
    """numba computes ``math.log(-1.0)`` as NaN and ``1.0 / 0.0`` as inf where Python
    raises: before each forward statement whose rule states where it raises
    (``rules.Partials.fails``), and in place of the call in each guard of the Python code
    (``if x <= 0.0: math.log(x)``), ``if <fails>: raise <the error Python raises there>``.
    The reverse sweep's partials stay IEEE, as the Python gradient's retry computes them,
    but for the statement before which the Python code needs no guard since it raises
    there the same (``liveness._without_repeated_guard``): there the raise goes too."""

    def __init__(self, fails, namespace, repeated=None):
        self.fails = fails          # forward statement's target -> its rule
        self.namespace = namespace
        self.repeated = dict(repeated or {})  # repeating_call -> the guarded expression

    def visit_AugAssign(self, node):
        return self._repeated(node) or node

    def _repeated(self, node):
        """``[if <fails>: raise ..., node]`` for the first statement whose Python guard went
        (``liveness.repeating_call``), else None."""
        guarded = self.repeated.pop(repeating_call(node), None) if self.repeated else None
        if guarded is not None:
            value = syntax.parse(guarded, mode="eval").body
            rule = self._rule(value)
            condition = fails_condition(value, rule)
            if condition is not None:
                return [_new(ast.If(condition, [_raise(rule)], [])), node]
        return None

    def visit_Assign(self, node):
        repeated = self._repeated(node)
        if repeated is not None:
            return repeated
        target = node.targets[0]
        rule = self.fails.get(target.id) if isinstance(target, ast.Name) else None
        condition = fails_condition(node.value, rule)
        if condition is None:
            return node
        return [_new(ast.If(condition, [_raise(rule)], [])), node]

    def visit_If(self, node):
        self.generic_visit(node)
        if len(node.body) == 1 and isinstance(node.body[0], ast.Expr) and not node.orelse:
            rule = self._rule(node.body[0].value)
            condition = fails_condition(node.body[0].value, rule)
            if condition is not None:          # without the type tests: numba types it
                node.test, node.body = condition, [_raise(rule)]
                node.s2sdiff_new = True
        return node

    def _rule(self, value):
        """The row of ``value``, a call ``module.f(...)`` or an operation ``a / b``."""
        if isinstance(value, ast.BinOp):
            return lookup(Operator(type(value.op)))
        func = getattr(value, "func", None)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = self.namespace.get(func.value.id)
            function = getattr(module, func.attr, None)
            return lookup(Function(function)) if function is not None else None
        return None


def _raise(rule):
    """``raise ValueError('math domain error')``: the error the Python forward of ``rule``
    raises where its ``fails`` holds (found by calling it there, so it follows Python's
    messages)."""
    error = _python_error(rule)
    return _new(ast.Raise(ast.Call(ast.Name(type(error).__name__, ast.Load()),
                                   [ast.Constant(str(error))], []), None))


@functools.lru_cache(maxsize=None)
def _python_error(rule):
    function = getattr(rule.key, "function", None) or (lambda x, y: x / y)   # or ``/``
    for point in (-1.0, 0.0, math.inf):
        try:
            function(*(point,) * rule.arity)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            return error
    raise AssertionError(f"no point where {rule.name} raises")      # tests/test_rules.py


def _kind_name(kind, types):
    return ("float" if isinstance(kind, types.Float) else "int"
            if isinstance(kind, types.Integer) else "bool"
            if isinstance(kind, types.Boolean) else str(kind))


_NUMBA_MODULES = ("math", "cmath", "numpy")


def _refuse_python_names(func, namespace, source, filename, name):
    """Refuse, at generation, a name the compiled code would read from Python that numba
    cannot compile: a Python function or object, a module other than math, cmath and
    NumPy, a list or an array (numba would freeze its contents at compile time)."""
    import numba

    local = {a.arg for a in func.args.args} | {
        n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(func):
        if not isinstance(node, ast.Name) or node.id in local or node.id not in namespace:
            continue
        value = namespace[node.id]
        if isinstance(value, (bool, int, float)) or isinstance(value, numba.core.dispatcher.Dispatcher) \
                or value is numba.typed.List:
            continue
        if inspect.ismodule(value) and value.__name__ in _NUMBA_MODULES:
            continue
        what = ("the module" if inspect.ismodule(value) else "the Python function"
                if callable(value) else f"the {type(value).__name__}")
        lineno = next((i for i, line in enumerate(source.splitlines(), 1)
                       if re.search(rf"\b{node.id}\b", line) and not line.lstrip().startswith(("#", "def "))),
                      None)
        raise UnsupportedError(
            f"backend='numba' cannot compile {name}: it reads {what} `{node.id}`, which "
            f"numba's nopython mode cannot use", construct=f"`{node.id}` under backend='numba'",
            filename=filename if lineno else None, lineno=lineno,
            source_line=source.splitlines()[lineno - 1] if lineno else None,
            hint="Pass it as a parameter (numbers, 1-D arrays), call math or NumPy "
                 "functions, or use the default backend='python'.")


def _sequence_parameters(checker):
    """The parameters the generated code iterates over (lists), from its checker's call."""
    if checker is None or len(checker.args) < 2 or not isinstance(checker.args[1], ast.Tuple):
        return ()
    return tuple(e.value for e in checker.args[1].elts if isinstance(e, ast.Constant))


def _typeof(compiled, value):
    """numba's type of ``value``, or None where numba has none (a ragged list)."""
    try:
        return compiled.typeof_pyval(value)
    except (ValueError, TypeError):
        return None


def _as_array(values):
    """A list of numbers as a float array; a list of lists stays (``prepare`` refuses it
    naming the argument; NumPy raised a ValueError about inhomogeneous shapes)."""
    try:
        return np.asarray(values, dtype=float)
    except (ValueError, TypeError):
        return values


def _numba_entry(name, params, sequences, checker, namespace, compiled, prepare,
                 keyword_only=()):
    """The function the user calls: lists given for sequence parameters become arrays
    (numba's reflected lists are slow and deprecated), then the compiled code runs; the
    first call with new argument types compiles them (``prepare``), and when numba is not
    given numbers the generated argument check names the bad argument.  Its signature is
    the user's (``keyword_only`` after a ``*``; the caller sets the defaults)."""
    listed = ", ".join(params)
    positional = [p for p in params if p not in keyword_only]
    signature = ", ".join(positional + (["*"] + list(keyword_only) if keyword_only else []))
    convert = "".join(f"    if type({p}) is list:\n        {p} = s2sdiff_asarray({p})\n"
                      for p in sequences)
    check = f"        {ast.unparse(checker)}\n" if checker is not None else ""
    source = (f"def {name}({signature}):\n{convert}"
              f"    try:\n"
              f"        return s2sdiff_compiled({listed})\n"
              f"    except TypeError:\n"
              f"        pass\n"
              f"    s2sdiff_refused = s2sdiff_prepare({listed})\n"
              f"    if s2sdiff_refused is not None:\n{check}"
              f"        raise s2sdiff_refused\n"
              f"    return s2sdiff_compiled({listed})\n")
    scope = {"s2sdiff_asarray": _as_array, "s2sdiff_compiled": compiled,
             "s2sdiff_prepare": prepare}
    if checker is not None:
        scope[checker.func.id] = namespace[checker.func.id]
    exec(syntax.compile(source, f"<s2sdiff numba entry {name}>", "exec"), scope)
    return scope[name]


class _NumbaLoops(ast.NodeTransformer):
    """``for i in reversed(range(...))`` -> a descending ``range``; ``for k, x in
    reversed(list(enumerate(xs)))`` -> a descending index and ``x = xs[k]``: numba has
    no ``reversed``."""

    def visit_For(self, node):
        self.generic_visit(node)
        call = node.iter
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "reversed"
                and len(call.args) == 1 and not call.keywords):
            return node
        inner = call.args[0]
        if _is_call(inner, "range"):
            node.iter = _descending(inner.args)
            return _new(node)
        if _is_call(inner, "list") and len(inner.args) == 1:
            inner = inner.args[0]
        if _is_call(inner, "enumerate") and len(inner.args) == 1 and isinstance(
                node.target, ast.Tuple) and len(node.target.elts) == 2 and all(
                isinstance(e, ast.Name) for e in node.target.elts):
            index, element = node.target.elts
            sequence = inner.args[0]
            node.target = ast.Name(index.id, ast.Store())
            node.iter = _descending([_call("len", sequence)])
            read = ast.Assign([ast.Name(element.id, ast.Store())],
                              ast.Subscript(sequence, ast.Name(index.id, ast.Load()), ast.Load()))
            node.body.insert(0, _new(ast.fix_missing_locations(read)))
            return _new(node)
        if isinstance(inner, ast.Name) and isinstance(node.target, ast.Name):
            index = f"{node.target.id}_index"
            read = ast.Assign([ast.Name(node.target.id, ast.Store())],
                              ast.Subscript(ast.Name(inner.id, ast.Load()),
                                            ast.Name(index, ast.Load()), ast.Load()))
            node.target = ast.Name(index, ast.Store())
            node.iter = _descending([_call("len", inner)])
            node.body.insert(0, _new(ast.fix_missing_locations(read)))
            return _new(node)
        return node


def _is_call(node, name):
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == name \
        and not node.keywords


def _call(name, *args):
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _descending(args):
    """``range(...)`` backwards: ``range(n - 1, -1, -1)`` for ``range(n)``, in general
    from its last entry down, one step at a time."""
    if len(args) == 1:
        start = ast.BinOp(args[0], ast.Sub(), ast.Constant(1))
        if isinstance(args[0], ast.Constant) and type(args[0].value) is int:
            start = ast.Constant(args[0].value - 1)
        return _call("range", start, ast.Constant(-1), ast.Constant(-1))
    lo = args[0]
    step = args[2] if len(args) == 3 else ast.Constant(1)
    count = _call("len", _call("range", *args))
    last = ast.BinOp(lo, ast.Add(), ast.BinOp(ast.BinOp(count, ast.Sub(), ast.Constant(1)),
                                              ast.Mult(), step))
    return _call("range", last, ast.BinOp(lo, ast.Sub(), step),
                 ast.UnaryOp(ast.USub(), step))


def _preallocate_tape(func, dtypes="float"):
    """Give the tape of a loop whose trip count is known before it runs (a ``for`` over a
    ``range`` at the top of the function, without ``break``) a preallocated float array
    with a counter; other tapes stay lists (numba's typed lists).  Returns (tape name,
    pushed names) when it did, else None."""
    uses = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List) \
                and not node.value.elts and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            uses.setdefault(node.targets[0].id, []).append(("new", node))
    for node in ast.walk(func):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in uses:
            uses[node.value.id].append((node.attr, node))
    for tape, found in uses.items():
        kinds = sorted(kind for kind, _ in found)
        if kinds != ["append", "new", "pop"]:
            continue
        loop = next((s for s in func.body if isinstance(s, ast.For) and _is_call(s.iter, "range")
                     and any(_is_push(b, tape) for b in s.body)), None)
        if loop is None or any(isinstance(n, (ast.Break, ast.While)) for n in ast.walk(loop)):
            continue
        push = next(b for b in loop.body if _is_push(b, tape))
        pop_owner = next((s for s in ast.walk(func) if isinstance(s, (ast.For, ast.While))
                          and any(_is_pop(b, tape) for b in s.body)), None)
        if pop_owner is None:
            continue
        pop = next(b for b in pop_owner.body if _is_pop(b, tape))
        pushed = push.value.args[0]
        values = pushed.elts if isinstance(pushed, ast.Tuple) else [pushed]
        if not all(isinstance(v, ast.Name) for v in values):
            continue
        if isinstance(dtypes, dict) and any(d not in _DTYPES for d in dtypes.values()):
            return None                     # arrays, tuples: a typed list
        return _rewrite_tape(func, tape, loop, push, pop_owner, pop, values, dtypes)
    return None


def _typed_lists(func):
    """``tape = []`` -> ``tape = TypedList()`` (numba's typed list) for the tapes left."""
    pushed = {node.func.value.id for node in ast.walk(func) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
              and isinstance(node.func.value, ast.Name)}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List) \
                and not node.value.elts and len(node.targets) == 1 \
                and getattr(node.targets[0], "id", None) in pushed:
            node.value = _call("TypedList")
            _new(node)


def _is_push(stmt, tape):
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "append"
            and getattr(stmt.value.func.value, "id", None) == tape and len(stmt.value.args) == 1)


def _is_pop(stmt, tape):
    return (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "pop"
            and getattr(stmt.value.func.value, "id", None) == tape)


_DTYPES = {"float": "", "int": ", np.int64", "bool": ", np.bool_"}


def _rewrite_tape(func, tape, loop, push, pop_owner, pop, values, dtypes):
    """One preallocated array per stored value (``tape_x``, float unless ``dtypes`` says
    otherwise) and a counter, ``tape_top``, in place of ``tape.append``/``tape.pop``."""
    counter = f"{tape}_top"
    trips = ast.unparse(_call("len", _call("range", *loop.iter.args)))
    func.body = [s for s in func.body if not (isinstance(s, ast.Assign) and isinstance(
        s.value, ast.List) and getattr(s.targets[0], "id", None) == tape)]
    names = [v.id for v in values]
    arrays = [f"{tape}_{n}" for n in names]
    at = func.body.index(loop)
    func.body[at:at] = [_new(syntax.parse(
        f"{array} = np.empty({trips}{_DTYPES[dtypes[n] if isinstance(dtypes, dict) else 'float']})"
    ).body[0]) for array, n in zip(arrays, names)] + [_new(syntax.parse(f"{counter} = 0").body[0])]
    stores = [_new(syntax.parse(f"{array}[{counter}] = {n}").body[0])
              for array, n in zip(arrays, names)]
    stores.append(_new(syntax.parse(f"{counter} += 1").body[0]))
    where = loop.body.index(push)
    loop.body[where:where + 1] = stores
    targets = pop.targets[0].elts if isinstance(pop.targets[0], ast.Tuple) else [pop.targets[0]]
    loads = [_new(syntax.parse(f"{counter} -= 1").body[0])]
    loads += [_new(syntax.parse(f"{ast.unparse(t)} = {array}[{counter}]").body[0])
              for t, array in zip(targets, arrays)]
    where = pop_owner.body.index(pop)
    pop_owner.body[where:where + 1] = loads
    return tape, names


_ZEROS_LIKE = runtime.zeros_like
_numba_helpers = {}


def _numba_as_it_is():
    """numba's ``structured_as``: the adjoint as it is (numba reads lists as arrays)."""
    if "structured_as" not in _numba_helpers:
        import numba

        @numba.njit
        def structured_as(adjoint, value):
            return adjoint
        _numba_helpers["structured_as"] = structured_as
    return _numba_helpers["structured_as"]


def _numba_zeros_like():
    """numba's ``zeros_like`` for the adjoint of a sequence (a 1-D array of floats)."""
    if "zeros_like" not in _numba_helpers:
        import numba

        @numba.njit
        def zeros_like(value):
            return np.zeros(len(value))
        _numba_helpers["zeros_like"] = zeros_like
    return _numba_helpers["zeros_like"]
