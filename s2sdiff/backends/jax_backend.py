"""backend="jax": the generated code of NumPy functions run as ``jax.numpy`` under
``jax.jit``."""

import ast
import inspect
import linecache
import types

import numpy as np

from .. import runtime, syntax
from ..listing import listing_of, tagged_line
from ..errors import ArgumentError, UnsupportedError
from .source import _describe, _exec, _header, _namespace, _render, _tagged, _unwrap_checks


_JAX_HINT = ("backend='jax' runs NumPy code without Python control flow on traced values "
             "(elementwise functions, reductions, matmul); run this function with the "
             "default backend='python'.")


def compile_jax(generated, kind):
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
        count = len(self.signature.parameters) if self.signature is not None else None

        def run(*args, **kwargs):
            if kwargs or (count is not None and len(args) < count):
                args = self.bind(args, kwargs)      # defaults and keywords, as Python does
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
        key = tuple(map(key_of, args))
        if key in self.table:
            return self.table[key]
        stand_ins = tuple(np.zeros(a.shape, np.dtype(a.dtype))
                          if getattr(a, "shape", None) is not None and not isinstance(a, np.ndarray)
                          else a for a in args)
        python = self.generated.specialize(*stand_ins)
        static = tuple(i for i, a in enumerate(args) if _static(a))
        self.table[key] = made = _JaxSpecialisation(python, self.origin, static)
        return made


def _static(value):
    """Python ints, bools, strings and None: static arguments of ``jax.jit`` (the NumPy
    code was generated for their values: a loop count, a mode), not traced."""
    return value is None or isinstance(value, (bool, int, str))


def key_of(value):
    """What the specialisation for ``value`` depends on: its shape and dtype, a static
    argument's value, else its type."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return shape, str(value.dtype)
    if _static(value):
        return type(value), value
    return type(value)


class _JaxSpecialisation:
    """One specialisation: the rewritten source, its ``jax.jit``, the refusals."""

    def __init__(self, python, origin, static=()):
        import jax
        import jax.numpy as jnp

        self.python = python
        self.name = getattr(origin, "__name__", "the function")
        original = python.source
        tree = syntax.parse(original)
        func = tree.body[0]
        _unwrap_checks(func, "jax", origin, original)
        _JaxWrites(original, self.name, _lists(python)).visit(func)
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
        read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
        for key in sorted(read):
            if isinstance(namespace.get(key), np.ndarray):
                # a global array: a jax array, so what is computed from it takes `.at`
                namespace[key] = jnp.asarray(namespace[key])
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
        self.jitted = jax.jit(traced, static_argnums=static)
        self.errors = (jax.errors.JAXTypeError if hasattr(jax.errors, "JAXTypeError") else (),
                       jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                       jax.errors.TracerIntegerConversionError, TypeError, NotImplementedError,
                       getattr(jax.errors, "NonConcreteBooleanIndexError", ()))   # X[mask]
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
        filename = self.filename if lineno else None
        user = tagged_line(self.python, self.source.splitlines()[:lineno]) if lineno else None
        if user is not None:                 # the user's line the generated one comes from
            filename, _, lineno = user
            text = linecache.getline(filename, lineno).rstrip("\n")
        return UnsupportedError(
            f"backend='jax' cannot run {self.name} under jax.jit: {type(error).__name__}: "
            f"{first}", filename=filename, lineno=lineno,
            source_line=text, construct="code jax.jit cannot trace", hint=_JAX_HINT)


def _lists(python):
    """The names of the specialisation holding Python lists or tuples, and their adjoints."""
    try:
        listing = listing_of(python)[0]
    except (KeyError, TypeError):
        return set()
    kinds = getattr(listing.origin, "kinds", None) or {}
    found = {n for n, k in kinds.items() if getattr(k, "dtype", None) == "S"}
    return found | {a for p, a in listing.adjoints.items() if p in found and isinstance(a, str)}


def _ndims(python):
    """{name: number of dimensions} of the specialisation's primals and their adjoints."""
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

    def __init__(self, source, name, lists=()):
        self.lines = source.splitlines()
        self.name = name
        self.lists = lists

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
        if name in self.lists:
            self.refuse(node, f"a write into an element of the Python list `{name}`")
        update = ast.Call(ast.Attribute(ast.Subscript(ast.Attribute(
            ast.Name(name, ast.Load()), "at", ast.Load()), target.slice, ast.Load()),
            method, ast.Load()), [value], [])
        new = ast.Assign([ast.Name(name, ast.Store())], update, lineno=node.lineno)
        return _tagged(new)
