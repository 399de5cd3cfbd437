"""Types for annotating code that uses s2sdiff (as ``numpy.typing`` and ``jax.typing``).

``grad(f)``, ``value_and_grad(f)``, ``derivative(f)``, ``jacobian(f)`` (and ``jacfwd``,
``jacrev``), ``hessian(f)`` return a ``GeneratedFunction`` that takes ``f``'s parameters
(a type checker sees ``f``'s signature on it) and has ``.source``; ``jvp(f)`` and
``vjp(f)`` alone return one with the tangents or cotangents as extra parameters.  The
generated function of NumPy code is a ``Dispatcher``: ``isinstance(g, Dispatcher)``
tells, and narrows ``g`` so that ``g.specialize(*args)`` type-checks.  Nothing here
changes what s2sdiff does at run time.
"""

from typing import (Any, Callable, Literal, ParamSpec, Protocol, TypeAlias,
                    TypeVar, overload, runtime_checkable)

__all__ = ["Backend", "Checkpoint", "JacobianMode", "EjectMode", "CheckMethod", "Wrt", "Primals",
           "GeneratedFunction", "Dispatcher", "Pullback", "Transform"]

P = ParamSpec("P")
Q = ParamSpec("Q")
R_co = TypeVar("R_co", covariant=True)

Backend: TypeAlias = Literal["python", "numba", "jax"]
"""Where the generated code runs: ``backend=`` of ``grad``, ``value_and_grad``,
``derivative``, ``jvp`` and ``vjp``."""

Checkpoint: TypeAlias = (Literal["sqrt"] | tuple[Literal["binomial"], int]
                         | tuple[Literal["binomial"], int, int] | None)
"""``checkpoint=`` of ``grad``, ``value_and_grad`` and ``vjp``: the tape of loops
(``None``), ``"sqrt"`` segments, or revolve with ``s`` snapshots (and ``k`` steps taped
per block)."""

JacobianMode: TypeAlias = Literal["auto", "forward", "reverse"]
"""``mode=`` of ``jacobian``."""

EjectMode: TypeAlias = Literal["reverse", "forward"]
"""``mode=`` of ``eject``: ``grad``'s code or ``derivative``'s."""

CheckMethod: TypeAlias = Literal["central", "richardson"]
"""``method=`` of ``check_grad``: the finite-difference formula."""

Wrt: TypeAlias = (int | str | tuple[int | str, ...] | list[int] | list[str] | list[int | str]
                  | None)
"""``wrt=``: every parameter (``None``), one by position or name, or a tuple or list of them."""

Primals: TypeAlias = tuple[Any, ...] | list[Any]
"""``primals`` and ``tangents`` of ``jvp`` and ``hvp``: one value per parameter."""

Pullback: TypeAlias = Callable[[Any], Any]
"""The pullback ``vjp(f, *primals)`` returns: cotangent -> one gradient per parameter."""


@runtime_checkable
class GeneratedFunction(Protocol[P]):
    """A function s2sdiff generated: called like the function it was made from, with
    ``.source``, the Python text it runs."""

    @property
    def source(self) -> str: ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...


@runtime_checkable
class Dispatcher(GeneratedFunction[P], Protocol[P]):
    """The generated function of NumPy code: code is generated for the shapes and dtypes
    of its arguments at their first call; ``specialize(*args)`` returns that code."""

    def specialize(self, *args: P.args, **kwargs: P.kwargs) -> GeneratedFunction[P]: ...


class _Apply(Protocol):
    """``grad(wrt=...)``: a decorator."""

    def __call__(self, f: Callable[Q, Any], /) -> GeneratedFunction[Q]: ...


class Transform(Protocol[P]):
    """A transform used bare (``@grad``, ``grad(f, wrt=0)``) or with options only
    (``@grad(wrt=0)``); ``P`` holds its keyword options."""

    @overload
    def __call__(self, f: Callable[Q, Any], /, *args: P.args,
                 **kwargs: P.kwargs) -> GeneratedFunction[Q]: ...

    @overload
    def __call__(self, f: None = None, /, *args: P.args, **kwargs: P.kwargs) -> _Apply: ...

