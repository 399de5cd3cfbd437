"""User code that calls s2sdiff's public API with annotations, for mypy (``.ci/run`` and
tests/test_typing.py run it under the strict settings of pyproject's ``[tool.mypy]``).

``assert_type`` pins what a type checker sees; ``main()`` runs the same calls and checks
their values against closed forms, so the annotations describe what really happens.
The lines of ``wrong_calls`` must FAIL type checking: each carries the ``type: ignore``
of its error, and ``warn_unused_ignores`` turns an ignore that no longer silences an
error into one (tests/test_typing.py also checks them with the ignores stripped).
"""

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

import s2sdiff
from s2sdiff import (ArgumentError, S2SDiffError, check_grad, custom_vjp, derivative, grad,
                     hessian, hvp, jacfwd, jacobian, jacrev, jvp, stop_gradient,
                     value_and_grad, verify, vjp)
from s2sdiff.check import GradCheck, Verification, dot_product_test
from s2sdiff.eject import EjectCheck, eject
from s2sdiff.graph import Graph, graph
from s2sdiff.typing import Backend, Dispatcher, GeneratedFunction, Pullback

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:
    def assert_type(value, _type):
        return value


def loss(x: float, y: float) -> float:
    return math.sin(x) * y + x * x


def mse(w: NDArray[np.float64], X: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    r = X @ w - y
    return float(np.sum(r * r))


def polar(r: float, theta: float) -> tuple[float, float]:
    return r * math.cos(theta), r * math.sin(theta)


@custom_vjp
def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def softplus_fwd(x: float) -> tuple[float, float]:
    return softplus(x), x


def softplus_bwd(x: float, g: float) -> tuple[float]:
    return (g / (1.0 + math.exp(-x)),)


softplus.defvjp(softplus_fwd, softplus_bwd)


def smooth(x: float) -> float:
    return softplus(x) * stop_gradient(x)


@grad
def grad_loss(x: float, y: float) -> float:
    return x * y


@value_and_grad(wrt="x")
def value_and_grad_loss(x: float, y: float) -> float:
    return x * x * y


def loss_with_aux(x: float, y: float) -> tuple[float, dict[str, float]]:
    return x * y, {"product": x * y}


def main() -> None:
    """The calls mypy checks, run and checked against closed forms."""
    x, y = 0.5, 2.0
    g = grad(loss)
    takes_two: GeneratedFunction[[float, float]] = g       # f's parameters, kept
    assert_type(g.source, str)
    source: str = g.source
    assert "def grad_loss" in source
    dx, dy = g(x, y)
    assert math.isclose(dx, math.cos(x) * y + 2 * x) and math.isclose(dy, math.sin(x))
    assert math.isclose(grad(loss, wrt=1)(x, y=y), math.sin(x))
    backend: Backend = "python"
    value, (gx,) = value_and_grad(loss, wrt=("x",), backend=backend)(x, y)
    assert math.isclose(value, loss(x, y)) and math.isclose(gx, math.cos(x) * y + 2 * x)
    assert takes_two is g and callable(grad_loss)
    assert grad_loss(3.0, 4.0) == (4.0, 3.0)
    assert value_and_grad_loss(2.0, 3.0) == (12.0, 12.0)
    assert math.isclose(derivative(loss, wrt=0)(x, y), dx)
    (value_aux, aux), (ax, ay) = value_and_grad(loss_with_aux, has_aux=True)(x, y)
    assert value_aux == x * y and aux == {"product": x * y} and (ax, ay) == (y, x)
    out_aux, pullback_aux, aux_vjp = vjp(loss_with_aux, x, y, has_aux=True)
    assert out_aux == x * y and aux_vjp == aux and pullback_aux(1.0) == (y, x)

    jvp_loss = jvp(loss)
    assert_type(jvp_loss, GeneratedFunction[...])
    primal_out, tangent_out = jvp(loss, (x, y), [1.0, 0.0])
    assert math.isclose(primal_out, loss(x, y)) and math.isclose(tangent_out, dx)
    out, pullback = vjp(loss, x, y)
    assert_type(pullback, Pullback)
    assert math.isclose(pullback(1.0)[1], dy)

    J = jacobian(polar, mode="reverse")(1.0, x)
    assert np.allclose(J, [[math.cos(x), -math.sin(x)], [math.sin(x), math.cos(x)]])
    assert np.allclose(jacfwd(polar)(1.0, x), jacrev(polar)(1.0, x))
    H = hessian(loss)(x, y)
    assert np.allclose(H, [[-math.sin(x) * y + 2, math.cos(x)], [math.cos(x), 0.0]])
    assert np.allclose(hvp(loss, (x, y), (0.0, 1.0)), (math.cos(x), 0.0))

    rng = np.random.default_rng(0)
    X, w, target = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    g_mse = grad(mse, wrt="w")
    assert np.allclose(g_mse(w, X, target), 2 * X.T @ (X @ w - target))
    if isinstance(g_mse, Dispatcher):       # NumPy code: generated per shapes and dtypes
        assert "def grad_mse" in g_mse.specialize(w, X, target).source

    assert math.isclose(grad(smooth)(x), softplus_bwd(x, 1.0)[0] * x)
    report: GradCheck = check_grad(loss, x, y, method="richardson", rtol=1e-6)
    assert report.worst is not None and report.worst[3] <= 1e-6
    checked: Verification = verify(loss, wrt=(0, 1))
    assert len(checked.rows) == 2
    assert dot_product_test(polar, 1.0, x) < 1e-12

    text: str = eject(loss, wrt=[0, 1], mode="forward")
    assert "def derivative_loss" in text
    picture: Graph = graph(loss, x, y)
    assert math.isclose(picture.value, loss(x, y)) and picture.dot.startswith("digraph")
    assert EjectCheck("nothing.py").ok is False

    try:
        grad(loss, wrt=2)
    except S2SDiffError as error:
        where: int | None = error.lineno
        assert error.construct == "wrt" and where is None
    try:
        vjp(loss, x, y)[1]((1.0, 2.0))
    except ArgumentError as error:
        assert isinstance(error, TypeError)
    assert s2sdiff.__version__


def wrong_calls(f: Any) -> None:
    """Calls that must fail type checking (never run)."""
    grad(loss, backend=3)  # type: ignore[call-overload]
    grad(loss, backend="cuda")  # type: ignore[call-overload]
    jacobian(loss, mode="sideways")  # type: ignore[call-overload]
    grad(loss, wrt=1.5)  # type: ignore[call-overload]
    grad(loss)(0.5)  # type: ignore[call-arg]
    jvp(loss, (0.5, 2.0))  # type: ignore[call-overload]
    vjp(loss, 0.5, 2.0, backend="numpy")  # type: ignore[call-overload]
    check_grad(loss, 0.5, 2.0, method="forward")  # type: ignore[arg-type]
    eject(loss, mode="backward")  # type: ignore[arg-type]
    n: int = grad(loss).source  # type: ignore[assignment]
    two = grad(loss)
    one: GeneratedFunction[[float]] = two  # type: ignore[assignment]
    grad_loss(3.0)  # type: ignore[call-arg]
    value_and_grad_loss("2", 3.0)  # type: ignore[arg-type]
    hvp(loss, 0.5, 1.0)  # type: ignore[arg-type]
    verify(loss, samples="all")  # type: ignore[arg-type]
    grad(loss, has_aux="yes")  # type: ignore[call-overload]
    vjp(loss, 0.5, 2.0, has_aux=1)  # type: ignore[call-overload]


if __name__ == "__main__":
    main()
