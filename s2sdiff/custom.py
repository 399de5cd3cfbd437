"""Custom derivative rules with JAX's conventions, and ``stop_gradient``.

``custom_vjp(fun)`` and ``custom_jvp(fun)`` wrap a function; calling the wrapper calls
``fun``.  A function that s2sdiff differentiates may call the wrapper like any other
function; where the call is active (its arguments depend on the differentiated inputs and
its result reaches the output) the generated code calls the rule the user defined, visibly,
under the name the user called (the wrapper is read from the user's globals or closure at
run time, like every other name the function uses):

* ``custom_vjp`` with ``f.defvjp(fwd, bwd)``, ``fwd(*args) -> (out, residuals)`` and
  ``bwd(residuals, g) -> (one cotangent per argument,)``.  Reverse mode only: the forward
  sweep runs ``t, t_res = f.fwd(x, y)`` instead of ``t = f(x, y)`` and the reverse sweep
  ``dx, dy = f.bwd(t_res, dt)`` (``dx = f.bwd(t_res, dt)[0]`` with one active argument),
  accumulated like every other contribution.  Forward mode through it is a generation-time
  error, as in JAX.
* ``custom_jvp`` with ``f.defjvp(rule)``, ``rule(primals, tangents) -> (out, tangent_out)``,
  or ``f.defjvps(*jvps)``, one ``jvp_i(g, ans, *args)`` per argument, linear in ``g`` (or
  ``None`` for an argument with no influence).  Both modes:

  - ``defjvps``: argument ``i`` contributes ``f.jvps[i](t, ans, *args)``, with ``t`` its
    tangent in forward mode and the output's adjoint in reverse mode (for scalars a linear
    function of ``g`` evaluated at the adjoint is exactly the vector-Jacobian product);
  - ``defjvp``: forward mode runs ``t, t_dot = f.jvp((x, y), (x_dot, y_dot))`` in place of
    ``t = f(x, y)`` (an argument without a tangent gets ``0.0``); reverse mode gets the
    partial for argument ``i`` by calling the rule with the ``i``-th unit tangent,
    ``dx = f.jvp((x, y), (1.0, 0.0))[1] * dt``: one visible call per active argument.

A wrapper whose rule is missing fails at generation time, naming the function and the
signature to write.  ``verify`` cannot look inside a user's rule and says so; ``check_grad``
checks it.  The rules are trusted: s2sdiff never differentiates their code.

``stop_gradient(x)`` returns ``x``; for AD its result is a constant (the rule table lists it
with the piecewise-constant functions), so ``grad(lambda x: x * stop_gradient(x))`` is ``x``.
The call stays visible in the generated code.
"""

import ast
import copy
import functools
import inspect
from typing import Any, Callable, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
JvpRule = TypeVar("JvpRule", bound=Callable[..., Any])


def stop_gradient(x: T) -> T:
    """``x`` itself; differentiation treats the result as a constant (JAX's stop_gradient)."""
    return x


class _CustomRule(Generic[P, R]):
    """A function together with a user-defined derivative rule."""

    kind: str | None = None

    def __init__(self, fun: Callable[P, R]) -> None:
        if not callable(fun):
            raise TypeError(f"{self.kind} needs a function, got {type(fun).__name__} {fun!r}")
        self.fun = fun
        functools.update_wrapper(self, fun)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fun(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<{self.kind} {getattr(self.fun, '__qualname__', self.fun)!r}>"

    @property
    def defined(self) -> bool:
        raise NotImplementedError


class custom_vjp(_CustomRule[P, R]):
    """``fun`` with a reverse-mode rule, as ``jax.custom_vjp``.

    ``f = custom_vjp(fun)``; ``f.defvjp(fwd, bwd)`` with ``fwd(*args)`` returning
    ``(out, residuals)`` (``out`` is ``fun(*args)``) and ``bwd(residuals, g)`` returning a
    tuple with one cotangent per argument of ``fun``.  Gradients call ``f.fwd`` in the
    forward sweep and ``f.bwd`` in the reverse sweep; forward mode (``derivative``,
    ``jvp``, ``jacfwd``) is not defined by such a rule and fails at generation time.
    """

    kind = "custom_vjp"

    def __init__(self, fun: Callable[P, R]) -> None:
        super().__init__(fun)
        self.fwd: Callable[P, tuple[R, Any]] | None = None
        self.bwd: Callable[[Any, Any], tuple[Any, ...]] | None = None

    def defvjp(self, fwd: Callable[P, tuple[R, Any]],
               bwd: Callable[[Any, Any], tuple[Any, ...]]) -> None:
        """Define the rule: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g) -> tuple``."""
        for name, rule in (("fwd", fwd), ("bwd", bwd)):
            if not callable(rule):
                raise TypeError(f"{self.__name__}.defvjp: {name} must be a function, "
                                f"got {type(rule).__name__}")
        self.fwd, self.bwd = fwd, bwd

    @property
    def defined(self) -> bool:
        return self.fwd is not None


class custom_jvp(_CustomRule[P, R]):
    """``fun`` with a forward-mode rule, as ``jax.custom_jvp``; serves both modes.

    ``f.defjvp(rule)`` with ``rule(primals, tangents) -> (out, tangent_out)`` (usable as a
    decorator), or ``f.defjvps(jvp_x, jvp_y, ...)`` with one ``jvp_i(g, ans, *args)`` per
    argument, linear in ``g`` (``None``: the argument does not influence the output).
    After ``defjvps``, ``f.jvp`` is the equivalent whole rule, and ``f.jvps`` the tuple.
    """

    kind = "custom_jvp"

    def __init__(self, fun: Callable[P, R]) -> None:
        super().__init__(fun)
        self.jvp: Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[R, Any]] | None = None
        self.jvps: tuple[Callable[..., Any] | None, ...] | None = None

    def defjvp(self, jvp: JvpRule) -> JvpRule:
        """Define the rule ``jvp(primals, tangents) -> (out, tangent_out)``; returns it."""
        if not callable(jvp):
            raise TypeError(f"{self.__name__}.defjvp: the rule must be a function, "
                            f"got {type(jvp).__name__}")
        self.jvp, self.jvps = jvp, None
        return jvp

    def defjvps(self, *jvps: Callable[..., Any] | None) -> None:
        """Define one ``jvp_i(g, ans, *args)`` per argument, linear in ``g``, or ``None``."""
        for i, rule in enumerate(jvps):
            if rule is not None and not callable(rule):
                raise TypeError(f"{self.__name__}.defjvps: entry {i} must be a function or "
                                f"None, got {type(rule).__name__}")
        fun = self.fun

        def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
            out = fun(*primals)  # type: ignore[call-arg]
            terms = [rule(t, out, *primals) for rule, t in zip(jvps, tangents) if rule is not None]
            return out, sum(terms[1:], terms[0]) if terms else 0.0 * out  # type: ignore[operator]

        self.jvp, self.jvps = jvp, tuple(jvps)

    @property
    def defined(self) -> bool:
        return self.jvp is not None


def rule_of(callee: object) -> _CustomRule[..., Any] | None:
    """The ``custom_vjp``/``custom_jvp`` wrapper ``callee``, or None."""
    return callee if isinstance(callee, _CustomRule) else None


def is_vjp(step: Any) -> bool:
    return isinstance(step.custom, custom_vjp)


def uses_jvps(step: Any) -> bool:
    return isinstance(step.custom, custom_jvp) and step.custom.jvps is not None


# messages -----------------------------------------------------------------------

def spelled(step: Any) -> str:
    """The callee as the user wrote it: ``softplus``, ``rules.softplus``."""
    return ast.unparse(step.value.func)


def signature_to_write(step: Any) -> str:
    """What to define for the wrapper called in ``step``, with its real parameter names."""
    name, params = spelled(step), _parameters(step)
    args = ", ".join(params)
    cotangents = ", ".join(f"d{p}" for p in params) + ("," if len(params) == 1 else "")
    if isinstance(step.custom, custom_vjp):
        return (f"define `{name}.defvjp(fwd, bwd)` with `def fwd({args}): return out, residuals` "
                f"and `def bwd(residuals, g): return ({cotangents})`")
    unpack = (f"{args}{',' if len(params) == 1 else ''} = primals; "
              f"{', '.join(p + '_dot' for p in params)}{',' if len(params) == 1 else ''} = tangents")
    return (f"define `{name}.defjvp(jvp)` with `def jvp(primals, tangents): {unpack}; "
            f"return out, out_dot`, or `{name}.defjvps(...)` with one "
            f"`lambda g, ans, {args}: ...` per argument, linear in g")


def _parameters(step: Any) -> list[str]:
    try:
        params = [p.name for p in inspect.signature(step.custom.fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) != len(step.args):
        params = [f"x{i}" for i in range(len(step.args))]
    return params


# code generation ----------------------------------------------------------------
# Each helper builds the AST of one visible call; reverse/ and forward/ place it.

def _member(step: Any, attribute: str) -> ast.Attribute:
    """``<callee as the user wrote it>.<attribute>``."""
    return ast.Attribute(copy.deepcopy(step.value.func), attribute, ast.Load())


def _targets(names: list[str]) -> ast.Tuple:
    return ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())


def _args(step: Any) -> list[ast.expr]:
    return [copy.deepcopy(a) for a in step.args]


def vjp_forward(step: Any, residual: str) -> ast.Assign:
    """``target, residual = f.fwd(args)``: the forward statement of an active custom_vjp call."""
    return ast.Assign([_targets([step.target, residual])],
                      ast.Call(_member(step, "fwd"), _args(step), []), lineno=step.lineno)


def vjp_backward(step: Any, residual: str, d_target: ast.expr) -> ast.Call:
    """``f.bwd(residual, d_target)``: the tuple of cotangents, one per argument."""
    return ast.Call(_member(step, "bwd"), [ast.Name(residual, ast.Load()), d_target], [])


def unpack(names: list[str], value: ast.expr) -> ast.Assign:
    """``a, b = value``."""
    return ast.Assign([_targets(names)], value, lineno=0)


def jvp_call(step: Any, tangents: list[Any]) -> ast.Call:
    """``f.jvp((args), (tangents))``; ``tangents`` holds an AST per argument."""
    return ast.Call(_member(step, "jvp"), [ast.Tuple(_args(step), ast.Load()),
                                           ast.Tuple(tangents, ast.Load())], [])


def linear_terms(step: Any, seeds: list[ast.expr | None]) -> list[ast.expr | None]:
    """The contribution of each argument of a custom_jvp call, for the linear input ``seeds``
    (one AST or None per argument): ``f.jvps[i](seed, target, *args)`` after ``defjvps``
    (``0.0`` for a ``None`` entry); ``f.jvp((args), unit_i)[1] * seed`` after ``defjvp``.
    None where the seed is None."""
    terms: list[ast.expr | None] = []
    for i, seed in enumerate(seeds):
        if seed is None:
            terms.append(None)
        elif uses_jvps(step):
            if i >= len(step.custom.jvps) or step.custom.jvps[i] is None:
                terms.append(ast.Constant(0.0))
                continue
            rule = ast.Subscript(_member(step, "jvps"), ast.Constant(i), ast.Load())
            terms.append(ast.Call(rule, [seed, ast.Name(step.target, ast.Load()), *_args(step)], []))
        else:
            units = [ast.Constant(1.0 if j == i else 0.0) for j in range(len(step.args))]
            partial = ast.Subscript(jvp_call(step, units), ast.Constant(1), ast.Load())
            terms.append(ast.BinOp(partial, ast.Mult(), seed))
    return terms
