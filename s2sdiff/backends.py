"""Backends: where the generated source runs.

``"python"`` (the default) runs the generated function as it is.  ``"numba"`` compiles
the generated scalar and loop code with ``numba.njit`` in nopython mode; ``"jax"`` runs
the generated code of NumPy functions with ``jax.numpy`` in place of NumPy under
``jax.jit``.  Each non-default backend rewrites the generated source first (``.source``
of the result is exactly the text that is compiled): the argument checks move out of
the compiled body into a thin entry that calls them only when compilation refuses the
arguments; numba's loop tape becomes a preallocated array where the trip count is known
(a typed list otherwise); JAX's in-place writes become ``x = x.at[i].set(v)`` / ``.add``.

Guarantees: code a backend cannot compile fails with an ``UnsupportedError`` naming the
generated line (at generation, or at the first call with new argument types, when the
compiler sees the types), never with a silent fallback to Python.  A backend whose
package is missing, or an unknown name, is a clear ``S2SDiffError`` at ``grad(...)``.
"""

import ast
import functools
import importlib
import inspect
import linecache
import re
import threading
import types

import numpy as np

from . import runtime
from .errors import ArgumentError, S2SDiffError, UnsupportedError

# name -> (module to import, extra to install); None: nothing to import
BACKENDS = {"python": None, "numba": ("numba", "numba"), "jax": ("jax", "jax")}


def check(backend):
    """Raise a clear ``S2SDiffError`` if ``backend`` is unknown or not installed."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise S2SDiffError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; "
                           f"got {backend!r}", construct="backend")
    needed = BACKENDS[backend]
    if needed is None:
        return
    module, extra = needed
    try:
        importlib.import_module(module)
    except ImportError:
        raise S2SDiffError(f"backend={backend!r} needs the {module} package, which is not "
                           f"installed", construct="backend",
                           hint=f'Install it with: pip install "s2sdiff[{extra}]"') from None


def compile_for(generated, backend, kind):
    """``generated`` (a generated function or NumPy dispatcher) run by ``backend``."""
    if backend == "python":
        return generated
    if backend == "numba":
        return _numba(generated, kind)
    return _jax(generated, kind)


# --- rewriting the generated source ------------------------------------------------------

def _new(node):
    """Mark ``node`` as written by the backend (rendered by ``ast.unparse``)."""
    node.s2sdiff_new = True
    return node


def _user_line(origin, pattern):
    """(file, line, text) of the first line of ``origin``'s source matching ``pattern``."""
    try:
        lines, first = inspect.getsourcelines(origin)
        filename = inspect.getsourcefile(origin)
    except (OSError, TypeError):
        return None, None, None
    for offset, line in enumerate(lines[1:], 1):
        if re.search(pattern, line):
            return filename, first + offset, line.rstrip()
    return None, None, None


def _tagged(node):
    """Mark ``node`` as rewritten from the generated statement on its line (whose tag,
    ``# (3)``, it keeps)."""
    node.s2sdiff_tagged = True
    return _new(node)


def _unwrap_checks(func, backend, origin, original):
    """Take the body out of the generated ``try: ... except TypeError: check(...)``
    wrapper and drop ``if not (type(x) is float): check(...)`` guards and the
    ``scalar_output(y)`` check; return the checker call (an ``ast.Call``) or None.  An
    IEEE retry handler (``except (ArithmeticError, ValueError)``) goes too: the compiled
    code computes in IEEE arithmetic, so the partials that would raise in Python give inf
    or NaN.  Code that calls other user functions (its entry checks they were not
    rebound) is refused: their generated code is Python."""
    body = func.body
    name = getattr(origin, "__name__", "the function")
    for stmt in body:
        if isinstance(stmt, ast.If) and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return) \
                and isinstance(stmt.test, ast.Compare) and isinstance(stmt.test.ops[0], ast.IsNot):
            helper = ast.unparse(stmt.test.left)
            filename, lineno, text = _user_line(origin, rf"\b{re.escape(helper)}\s*\(")
            raise UnsupportedError(
                f"backend={backend!r} cannot compile {name}: it calls the Python function "
                f"`{helper}`, whose generated derivative is Python code",
                construct=f"call of a user function under backend={backend!r}",
                filename=filename, lineno=lineno, source_line=text,
                hint=f"Write `{helper}`'s body inline, or use the default backend='python'.")
    checker = None
    if len(body) == 1 and isinstance(body[0], ast.Try) and not body[0].finalbody:
        handlers = body[0].handlers
        for handler in handlers:
            if isinstance(handler.type, ast.Name) and handler.type.id == "TypeError" \
                    and isinstance(handler.body[0], ast.Expr):
                checker = handler.body[0].value
        body = body[0].body
    checker_name = getattr(getattr(checker, "func", None), "id", None)

    def is_guard(stmt):
        return (isinstance(stmt, ast.If) and len(stmt.body) == 1 and not stmt.orelse
                and isinstance(stmt.body[0], ast.Expr) and isinstance(stmt.body[0].value, ast.Call)
                and getattr(stmt.body[0].value.func, "id", None) == checker_name)

    def is_output_check(stmt):
        return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and getattr(stmt.value.func, "id", "").startswith("scalar_output"))
    func.body = [s for s in body if not is_guard(s) and not is_output_check(s)]
    return checker


def _render(func, original, header):
    """The source of ``func``: statements kept from ``original`` (its lines) keep their
    text and comments, the backend's own are unparsed."""
    lines = original.splitlines()
    out = [f"def {func.name}({ast.unparse(func.args)}):"]
    out += ["    " + h for h in header]
    emitted = set()

    def comments_before(stmt, indent):
        line = stmt.lineno - 2
        found = []
        while line >= 0 and lines[line].strip().startswith("#") and line not in emitted:
            found.append(lines[line].strip())
            emitted.add(line)
            line -= 1
        return [indent + c for c in reversed(found)
                if "rejects a non-real" not in c and not c.startswith("# generated by")
                and not c.startswith("# gradient of")]

    def original_text(stmt):
        if getattr(stmt, "s2sdiff_new", False) or not hasattr(stmt, "lineno") \
                or stmt.lineno > len(lines):
            return None
        return lines[stmt.lineno - 1].strip()

    def block(stmts, indent):
        for stmt in stmts:
            text = original_text(stmt)
            if text is not None or getattr(stmt, "s2sdiff_tagged", False):
                out.extend(comments_before(stmt, indent))
            if isinstance(stmt, (ast.For, ast.While, ast.If)):
                if text is None or not text.endswith(":") and "#" not in text:
                    head = ast.unparse(stmt).splitlines()[0]
                else:
                    head = text
                if isinstance(stmt, ast.If) and head.startswith("elif "):
                    head = head[2:]
                out.append(indent + head)
                block(stmt.body, indent + "    ")
                if stmt.orelse:
                    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If) and \
                            (original_text(stmt.orelse[0]) or "").startswith("elif "):
                        out.append(indent + "el" + original_text(stmt.orelse[0])[2:])
                        block(stmt.orelse[0].body, indent + "    ")
                        if stmt.orelse[0].orelse:
                            out.append(indent + "else:")
                            block(stmt.orelse[0].orelse, indent + "    ")
                    else:
                        out.append(indent + "else:")
                        block(stmt.orelse, indent + "    ")
            elif text is not None and stmt.end_lineno == stmt.lineno:
                out.append(indent + text)
            else:
                text = ast.unparse(stmt).splitlines()
                tag = re.search(r"#\s*\(\d+\)\s*$", lines[stmt.lineno - 1]) \
                    if getattr(stmt, "s2sdiff_tagged", False) else None
                if tag and len(text) == 1:
                    text[0] += "  " + tag.group(0)
                out.extend(indent + line for line in text)
    block(func.body, "    ")
    return "\n".join(out) + "\n"


def _header(original):
    """The leading comment lines of the generated function (what it computes, from where)."""
    lines = original.splitlines()[1:]
    found = []
    for line in lines:
        if not line.strip().startswith("#"):
            break
        found.append(line.strip())
    return found


def _namespace(generated):
    """The names the generated function reads: its globals and the injected cells."""
    namespace = dict(generated.__globals__)
    code = generated.__code__
    for name, cell in zip(code.co_freevars, generated.__closure__ or ()):
        try:
            namespace[name] = cell.cell_contents
        except ValueError:
            pass
    return namespace


def _exec(source, name, namespace, label):
    """Compile ``source`` (registered in ``linecache``) in ``namespace``; its function."""
    filename = f"<s2sdiff {label} {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name], filename


def _line_of(message, source):
    """(line number, text) of the generated line a compiler's message names."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message)
    found = re.findall(r"line (\d+)", plain)
    lines = source.splitlines()
    for number in reversed(found):
        if 0 < int(number) <= len(lines):
            return int(number), lines[int(number) - 1]
    return None, None


def _refusal(backend, name, message, source, filename, hint):
    lineno, text = _line_of(message, source)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message).strip()
    first = next((line.strip() for line in plain.splitlines()
                  if line.strip() and not line.startswith("Failed in")), plain[:200])
    return UnsupportedError(f"backend={backend!r} cannot compile {name}: {first}",
                            filename=filename if lineno else None, lineno=lineno,
                            source_line=text, construct=f"code {backend} cannot compile",
                            hint=hint)


def _describe(result, generated, source):
    result.source = source
    for attribute in ("__s2sdiff_origin__", "__s2sdiff_outputs__", "__s2sdiff_custom__"):
        if hasattr(generated, attribute):
            setattr(result, attribute, getattr(generated, attribute))
    result.python = generated
    return result


# --- numba ---------------------------------------------------------------------------------

_NUMBA_HINT = ("backend='numba' compiles scalar and loop code over floats, lists of floats "
               "and 1-D arrays; run this function with the default backend='python'.")


def _numba(generated, kind):
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
        kinds = [current.compiled.typeof_pyval(a) for a in args]
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
                         build.current.compiled, prepare)
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

    def make(self, dtypes):
        return _NumbaCode(self, dtypes)


class _NumbaCode:
    """One rewriting: ``source``, its ``numba.njit`` (compiled per argument types in
    ``compile``), the tape it preallocated (``tape``: its name and the values stored)."""

    def __init__(self, build, dtypes):
        import numba

        original = build.generated.source
        self.name = build.origin.__name__
        func = self.func = ast.parse(original).body[0]
        self.checker = _unwrap_checks(func, "numba", build.origin, original)
        self.func_source = ast.unparse(func)
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
            raise _refusal("numba", self.name, str(error), self.source, self.filename,
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
            probe = _NumbaLoops().visit(ast.parse(self.func_source).body[0])
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


def _numba_entry(name, params, sequences, checker, namespace, compiled, prepare):
    """The function the user calls: lists given for sequence parameters become arrays
    (numba's reflected lists are slow and deprecated), then the compiled code runs; the
    first call with new argument types compiles them (``prepare``), and when numba is not
    given numbers the generated argument check names the bad argument."""
    listed = ", ".join(params)
    convert = "".join(f"    if type({p}) is list:\n        {p} = s2sdiff_asarray({p}, "
                      f"dtype=float)\n" for p in sequences)
    check = f"        {ast.unparse(checker)}\n" if checker is not None else ""
    source = (f"def {name}({listed}):\n{convert}"
              f"    try:\n"
              f"        return s2sdiff_compiled({listed})\n"
              f"    except TypeError:\n"
              f"        pass\n"
              f"    s2sdiff_refused = s2sdiff_prepare({listed})\n"
              f"    if s2sdiff_refused is not None:\n{check}"
              f"        raise s2sdiff_refused\n"
              f"    return s2sdiff_compiled({listed})\n")
    scope = {"s2sdiff_asarray": np.asarray, "s2sdiff_compiled": compiled,
             "s2sdiff_prepare": prepare}
    if checker is not None:
        scope[checker.func.id] = namespace[checker.func.id]
    exec(compile(source, f"<s2sdiff numba entry {name}>", "exec"), scope)
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
    func.body[at:at] = [_new(ast.parse(
        f"{array} = np.empty({trips}{_DTYPES[dtypes[n] if isinstance(dtypes, dict) else 'float']})"
    ).body[0]) for array, n in zip(arrays, names)] + [_new(ast.parse(f"{counter} = 0").body[0])]
    stores = [_new(ast.parse(f"{array}[{counter}] = {n}").body[0])
              for array, n in zip(arrays, names)]
    stores.append(_new(ast.parse(f"{counter} += 1").body[0]))
    where = loop.body.index(push)
    loop.body[where:where + 1] = stores
    targets = pop.targets[0].elts if isinstance(pop.targets[0], ast.Tuple) else [pop.targets[0]]
    loads = [_new(ast.parse(f"{counter} -= 1").body[0])]
    loads += [_new(ast.parse(f"{ast.unparse(t)} = {array}[{counter}]").body[0])
              for t, array in zip(targets, arrays)]
    where = pop_owner.body.index(pop)
    pop_owner.body[where:where + 1] = loads
    return tape, names


_ZEROS_LIKE = runtime.zeros_like
_numba_helpers = {}


def _numba_zeros_like():
    """numba's ``zeros_like`` for the adjoint of a sequence (a 1-D array of floats)."""
    if "zeros_like" not in _numba_helpers:
        import numba

        @numba.njit
        def zeros_like(value):
            return np.zeros(len(value))
        _numba_helpers["zeros_like"] = zeros_like
    return _numba_helpers["zeros_like"]




# --- jax -----------------------------------------------------------------------------------

_JAX_HINT = ("backend='jax' runs NumPy code without Python control flow on traced values "
             "(elementwise functions, reductions, matmul); run this function with the "
             "default backend='python'.")


def _jax(generated, kind):
    origin = getattr(generated, "__s2sdiff_origin__", generated)
    if not hasattr(generated, "specialize"):
        raise UnsupportedError(
            f"backend='jax' runs the generated code of NumPy functions; "
            f"{getattr(origin, '__name__', 'the function')} calls no NumPy function",
            construct="backend='jax'",
            hint="Use backend='numba' for scalar and loop code, or the default backend='python'.")
    return _JaxDispatcher(generated).entry()


class _JaxDispatcher:
    """Per argument kinds (shape, dtype), the NumPy specialisation's source rewritten for
    ``jax.numpy`` and compiled with ``jax.jit``."""

    def __init__(self, generated):
        self.generated = generated
        self.origin = getattr(generated, "__s2sdiff_origin__", generated)
        self.table = {}
        self.source = (f"# {generated.__name__} (backend='jax') is generated for the shapes "
                       f"and dtypes of its arguments when it is first called;\n"
                       f"# .specialize(*args).source shows the code jax.jit compiles.\n")
        try:
            self.signature = inspect.signature(self.origin)
        except (TypeError, ValueError):
            self.signature = None

    def entry(self):
        table, build = self.table, self.build

        def key_of(a):
            shape = getattr(a, "shape", None)
            return (shape, str(a.dtype)) if shape is not None else type(a)

        def run(*args, **kwargs):
            if kwargs:
                args = self.bind(args, kwargs)
            jitted = table.get(tuple(map(key_of, args)))
            if jitted is None:
                jitted = build(args)
            return jitted.call(*args)

        run.__name__ = run.__qualname__ = self.generated.__name__
        run.specialize = lambda *args, **kwargs: build(
            self.bind(args, kwargs) if kwargs else args)
        run.specializations = table
        _describe(run, self.generated, self.source)
        return run

    def bind(self, args, kwargs):
        if self.signature is None:
            raise ArgumentError(f"{self.generated.__name__}: pass the arguments by position",
                                construct="arguments")
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise ArgumentError(f"{self.generated.__name__}(): {error}",
                                construct="arguments") from None
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    def build(self, args):
        key = tuple((a.shape, str(a.dtype)) if getattr(a, "shape", None) is not None
                    else type(a) for a in args)
        if key in self.table:
            return self.table[key]
        stand_ins = tuple(np.zeros(a.shape, np.dtype(a.dtype))
                          if getattr(a, "shape", None) is not None and not isinstance(a, np.ndarray)
                          else a for a in args)
        python = self.generated.specialize(*stand_ins)
        self.table[key] = made = _JaxSpecialisation(python, self.origin)
        return made


class _JaxSpecialisation:
    """One specialisation: the rewritten source, its ``jax.jit``, the refusals."""

    def __init__(self, python, origin):
        import jax
        import jax.numpy as jnp

        self.python = python
        self.name = getattr(origin, "__name__", "the function")
        original = python.source
        tree = ast.parse(original)
        func = tree.body[0]
        _unwrap_checks(func, "jax", origin, original)
        _JaxWrites(original, self.name).visit(func)
        namespace = _namespace(python)
        module = next((k for k in ("np", "numpy", "xp") if namespace.get(k) is np), None)
        if module is None and "np" not in namespace:
            module, namespace["np"] = "np", np
        if module is not None:
            _JaxMatmuls(_ndims(python), module).visit(func)
        ast.fix_missing_locations(func)
        numpy_names = sorted(key for key, value in namespace.items() if value is np and any(
            isinstance(n, ast.Name) and n.id == key for n in ast.walk(func)))
        for key in numpy_names:
            namespace[key] = jnp
        for key, value in list(namespace.items()):
            if inspect.isfunction(value) and value.__module__ == runtime.__name__:
                # the runtime's helpers use only NumPy, as np: the same code over jax.numpy
                namespace[key] = types.FunctionType(value.__code__, {**vars(runtime), "np": jnp},
                                                    value.__name__, value.__defaults__)
        header = _header(original) + [
            f"# run under jax.jit from this text, {', '.join(numpy_names) or 'np'} being "
            f"jax.numpy"]
        self.source = _render(func, original, header)
        traced, self.filename = _exec(self.source, func.name, namespace, "jax")
        self.jitted = jax.jit(traced)
        self.errors = (jax.errors.JAXTypeError if hasattr(jax.errors, "JAXTypeError") else (),
                       jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                       jax.errors.TracerIntegerConversionError, TypeError, NotImplementedError)
        self.ready = False

    def call(self, *args):
        if self.ready:
            return self.jitted(*args)
        try:
            result = self.jitted(*args)
        except ArgumentError:
            raise
        except self.errors as error:
            raise self.refusal(error) from None
        self.ready = True
        return result

    def refusal(self, error):
        """The generated line where tracing failed (the innermost frame of that file)."""
        lineno = None
        trace = error.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == self.filename:
                lineno = trace.tb_lineno
            trace = trace.tb_next
        text = self.source.splitlines()[lineno - 1] if lineno else None
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return UnsupportedError(
            f"backend='jax' cannot run {self.name} under jax.jit: {type(error).__name__}: "
            f"{first}", filename=self.filename if lineno else None, lineno=lineno,
            source_line=text, construct="code jax.jit cannot trace", hint=_JAX_HINT)


def _ndims(python):
    """{name: number of dimensions} of the specialisation's primals and their adjoints."""
    from .emit import listing_of

    try:
        listing = listing_of(python)[0]
    except (KeyError, TypeError):
        return {}
    kinds = getattr(listing.origin, "kinds", None) or {}
    ndims = {n: len(k.shape) for n, k in kinds.items() if getattr(k, "shape", None) is not None}
    for primal, adjoint in listing.adjoints.items():
        if isinstance(primal, str) and isinstance(adjoint, str) and primal in ndims:
            ndims.setdefault(adjoint, ndims[primal])
    return ndims


class _JaxMatmuls(ast.NodeTransformer):
    """``A.T @ B`` -> ``np.tensordot(A, B, axes=(0, 0))`` and ``B @ A.T`` ->
    ``np.tensordot(B, A, axes=(k, 1))`` for a matrix ``A`` and a vector or matrix ``B``
    (their dimensions known from the specialisation): the same product, which XLA on a CPU
    runs without copying the transpose of ``A`` first."""

    def __init__(self, ndims, module):
        self.ndims, self.module = ndims, module

    def _ndim(self, node):
        return self.ndims.get(node.id) if isinstance(node, ast.Name) else None

    def _statement(self, node):
        self.changed = False
        self.generic_visit(node)
        return _tagged(node) if self.changed else node

    visit_Assign = visit_AugAssign = visit_Return = visit_Expr = _statement

    def _transposed_matrix(self, node):
        return (isinstance(node, ast.Attribute) and node.attr == "T"
                and self._ndim(node.value) == 2)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, ast.MatMult):
            return node
        left, right = node.left, node.right
        if self._transposed_matrix(left) and self._ndim(right) in (1, 2):
            return self._tensordot(left.value, right, 0, 0)
        if self._transposed_matrix(right) and self._ndim(left) in (1, 2):
            return self._tensordot(left, right.value, self._ndim(left) - 1, 1)
        return node

    def _tensordot(self, a, b, i, j):
        self.changed = True
        axes = ast.keyword("axes", ast.Tuple([ast.Constant(i), ast.Constant(j)], ast.Load()))
        return ast.Call(ast.Attribute(ast.Name(self.module, ast.Load()), "tensordot",
                                      ast.Load()), [a, b], [axes])


class _JaxWrites(ast.NodeTransformer):
    """``x[i] = v`` -> ``x = x.at[i].set(v)``; ``x[i] += v`` -> ``x = x.at[i].add(v)``
    (and ``-=``); ``np.add.at(x, i, v)`` -> ``x = x.at[i].add(v)``.  Other writes into
    arrays are refused."""

    def __init__(self, source, name):
        self.lines = source.splitlines()
        self.name = name

    def refuse(self, node, what):
        lineno = getattr(node, "lineno", None)
        raise UnsupportedError(
            f"backend='jax' cannot run {self.name}: {what}", construct=what,
            lineno=lineno, filename="<generated source>" if lineno else None,
            source_line=self.lines[lineno - 1] if lineno and lineno <= len(self.lines) else None,
            hint=_JAX_HINT)

    def _target(self, node):
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Subscript):
            return None
        if not isinstance(target.value, ast.Name):
            self.refuse(node, "a write into an element of something other than a name")
        return target

    def visit_Assign(self, node):
        target = self._target(node) if len(node.targets) == 1 else None
        if target is None:
            if any(isinstance(t, ast.Subscript) for t in node.targets):
                self.refuse(node, "a chained write into an array element")
            return node
        return self._at(node, target, "set", node.value)

    def visit_AugAssign(self, node):
        target = self._target(node)
        if target is None:
            return node
        if isinstance(node.op, ast.Add):
            return self._at(node, target, "add", node.value)
        if isinstance(node.op, ast.Sub):
            return self._at(node, target, "add", ast.UnaryOp(ast.USub(), node.value))
        if isinstance(node.op, ast.Mult):
            return self._at(node, target, "multiply", node.value)
        self.refuse(node, f"an in-place {type(node.op).__name__} of an array element")

    def visit_Expr(self, node):
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and call.func.attr == "at" and isinstance(call.func.value, ast.Attribute):
            ufunc = call.func.value.attr
            if ufunc == "add" and len(call.args) == 3 and isinstance(call.args[0], ast.Name):
                target = ast.Subscript(call.args[0], call.args[1], ast.Store())
                return self._at(node, target, "add", call.args[2])
            self.refuse(node, f"an in-place `{ast.unparse(call.func)}`")
        return node

    def _at(self, node, target, method, value):
        name = target.value.id
        update = ast.Call(ast.Attribute(ast.Subscript(ast.Attribute(
            ast.Name(name, ast.Load()), "at", ast.Load()), target.slice, ast.Load()),
            method, ast.Load()), [value], [])
        new = ast.Assign([ast.Name(name, ast.Store())], update, lineno=node.lineno)
        return _tagged(new)
