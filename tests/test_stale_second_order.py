"""Second derivatives follow helpers rebound after generation.  ``hessian(f)``
differentiates generated code (``derivative(f)``), whose calls go to generated code of
the helpers; after ``inner`` was rebound, the first derivative regenerated itself on its
next call, but the Hessian, made from the old code, kept the old helper and returned a
wrong value (4.0 where 36.0 was right).  Now generated code is read as it is now
(``parse.current``) and code made from it checks what it checked."""

import numpy as np
import pytest

from s2sdiff import derivative, grad, hessian
from source_modules import load_source_module

MODULE = """
import numpy as np

def inner(u):
    return u * u

def outer(u):
    return inner(u) + 1.0

def f(x):
    return outer(x) * 2.0

def g(W, x):
    return np.sum(outer(W @ x))

def cube(u):
    return u * u * u

def quartic(u):
    return u ** 4
"""


@pytest.fixture
def module(tmp_path):
    return load_source_module(tmp_path, "rebound_helpers", MODULE)


def test_hessian_after_a_nested_helper_is_rebound(module):
    H, d = hessian(module.f), derivative(module.f)
    assert (H(3.0), d(3.0)) == (4.0, 12.0)                 # f = 2 (x^2 + 1)
    module.inner = module.cube                              # f = 2 (x^3 + 1)
    assert (H(3.0), d(3.0)) == (36.0, 54.0)
    module.inner = module.quartic                           # f = 2 (x^4 + 1), again
    assert H(3.0) == pytest.approx(24.0 * 9.0) and d(3.0) == pytest.approx(8.0 * 27.0)
    assert hessian(module.f)(2.0) == pytest.approx(24.0 * 4.0)


def test_grad_of_grad_after_rebinding(module):
    second = grad(grad(module.f))
    assert second(1.5) == pytest.approx(4.0)
    module.inner = module.cube
    assert second(1.5) == pytest.approx(12.0 * 1.5)


def test_first_derivatives_of_numpy_code_too(module):
    W, x = np.ones((2, 2)), np.array([1.0, 2.0])
    dg = grad(module.g, wrt="W")
    assert np.allclose(dg(W, x), np.outer(2 * (W @ x), x))
    module.inner = module.cube
    assert np.allclose(dg(W, x), np.outer(3 * (W @ x) ** 2, x))
