"""What generation leaves behind (issue 18, generation time): a built gradient keeps
neither its listing nor its program (``listing.release``), generation leaves no cyclic
garbage for the collector to walk, and what was let go of is built again, the same, when
``eject`` or ``listing_of`` asks for it."""
import gc
import importlib.util
import math
import types

import pytest

from s2sdiff import grad, hessian, value_and_grad
from s2sdiff.eject import eject
from s2sdiff.listing import _Released, _rendered, listing_of


def chain(n):
    """A straight-line function of ``n`` statements, written to a module (its source must
    be readable)."""
    lines = ["import math", "", "", "def f(x, y):", "    a0 = x * y"]
    for i in range(1, n):
        lines.append(f"    a{i} = math.sin(a{i - 1}) * y + a{max(0, i - 3)} * 0.5"
                     if i % 2 else f"    a{i} = math.tanh(a{i - 1} - x) * a{i - 1}")
    lines.append(f"    return a{n - 1}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def long_function(tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "chain_module.py"
    path.write_text(chain(200))
    spec = importlib.util.spec_from_file_location("chain_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def fresh(f):
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


def central(f, point, i, h=1e-6):
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def test_generation_leaves_no_cyclic_garbage(long_function):
    """Everything generation builds is freed by reference counting when it ends: the
    collector would otherwise walk ~100,000 objects after each large gradient."""
    f = fresh(long_function)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        g = grad(f)
        unreachable = gc.collect()
    finally:
        if enabled:
            gc.enable()
    assert unreachable < 1000              # about 10,000 while a namespace and its owner
                                           # referred to each other (modules.py)
    point = (0.3, 0.7)
    for i, d in enumerate(g(*point)):
        assert d == pytest.approx(central(f, point, i), rel=1e-5, abs=1e-8)


def test_a_built_gradient_keeps_a_few_objects(long_function):
    f = fresh(long_function)
    grad(fresh(long_function))           # anything made once per process, made already
    gc.collect()
    before = len(gc.get_objects())
    g = grad(f)
    gc.collect()
    kept = len(gc.get_objects()) - before
    assert isinstance(_rendered[g], _Released)
    assert kept < 1000                    # 237,000 for 2,000 statements before release


def test_the_listing_is_built_again_the_same(long_function):
    g = grad(fresh(long_function))
    listing, signature = listing_of(g)
    assert not isinstance(_rendered[g], _Released)     # kept, once asked for
    assert listing.name == g.__name__
    assert listing_of(g)[0] is listing
    text = eject(long_function)             # generates (cached) and renders it again
    assert "def grad_f(x, y):" in text


def test_eject_hessian_and_value_and_grad_after_release():
    """Code whose listing was let go of: eject renders it again; hessian reads whether
    the program has blocks from what release keeps; both agree with closed forms."""
    grad(seed)
    ejected = {}
    exec(compile(eject(seed), "<ejected>", "exec"), ejected)
    assert ejected["grad_seed"](2.0, 5.0) == pytest.approx((1 / 2.0 + 5.0, 2.0 - math.cos(5.0)))
    H = hessian(seed)(2.0, 5.0)
    assert [list(row) for row in H] == [pytest.approx([-1 / 4.0, 1.0]),
                                        pytest.approx([1.0, math.sin(5.0)])]
    value, grads = value_and_grad(seed)(2.0, 5.0)
    assert value == seed(2.0, 5.0)


def seed(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)
