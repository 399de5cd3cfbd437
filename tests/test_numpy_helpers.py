"""Issue 15, item 4: the user's own functions called from NumPy code are inlined
(s2sdiff/normalize/helpers.py); item 6: what stays out fails with a clear error.

Every gradient is checked against central differences computed here and against forward
mode (``<grad f, v>`` equals the jvp along ``v``); the generated source of one program is
pinned in tests/golden/numpy_helper_inlined.py.
"""

import importlib.util
import math
import os
import pathlib
import sys
import textwrap
import uuid

import numpy as np
import pytest

from s2sdiff import S2SDiffError, SourceError, UnsupportedError, grad, jvp, value_and_grad

GOLDEN = pathlib.Path(__file__).parent / "golden" / "numpy_helper_inlined.py"
RNG = np.random.default_rng(15)
SCALE = np.array([0.5, -1.0, 2.0])


# --- helpers, written as users write them -----------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def logistic_loss(w, X, y):
    p = sigmoid(X @ w)
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def relu(x):
    return np.maximum(x, 0.0)


def scaled(x):
    """Reads a global of its module."""
    return x * SCALE


def clipped(x, lo=-1.0, hi=1.0):
    """Two returns and an if."""
    if np.sum(x) > 0:
        return np.clip(x, lo, hi)
    y = x * 2.0
    return y


def softplus_sum(x, terms):
    """A loop inside the helper."""
    total = 0.0
    for k in range(terms):
        total = total + np.sum(np.log1p(np.exp(x * (k + 1.0))))
    return total


def layer(W, x, act=np.tanh):
    return act(W @ x)


def rnn_step(h, x, Wh, Wx):
    return np.tanh(Wh @ h + Wx @ x)


def halve_until_small(x):
    """A while loop inside the helper."""
    y = x
    while np.sum(y * y) > 1.0:
        y = y * 0.5
    return y


def first_large(x, threshold):
    """A loop with break inside the helper."""
    out = x * 0.5
    for i in range(x.shape[0]):
        if x[i] > threshold:
            out = x[i] * x
            break
    return out


def returns_in_loop(x, threshold):
    for i in range(x.shape[0]):
        if x[i] > threshold:
            return x[i] * x
    return x * 0.5


def normalised(x):
    return x - logsumexp(x)          # a helper calling a helper


def power(x, n):
    if n == 0:
        return np.ones_like(x)
    return x * power(x, n - 1)


# --- the differentiated programs --------------------------------------------------------

def uses_logsumexp(x):
    return logsumexp(x) * 2.0 + np.sum(x ** 2)


def uses_global_of_helper(x):
    return np.sum(scaled(x) ** 2)


def uses_two_returns(x):
    return np.sum(clipped(x, hi=0.5) ** 2) + np.sum(clipped(-x))


def uses_loop_in_helper(x):
    return softplus_sum(x, 3)


def uses_loops_in_helpers(x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(halve_until_small(x * (k + 1.0))) \
            + np.sum(first_large(x, 0.5) ** 2)
    return total


def uses_return_in_loop(x):
    return np.sum(returns_in_loop(x, 0.5))


def uses_activations(W, x):
    return np.sum(layer(W, x) ** 2) + np.sum(layer(W, x, act=relu)) \
        + np.sum(layer(W, x, np.sin))


def rnn(Wh, Wx, xs):
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        h = rnn_step(h, xs[t], Wh, Wx)
    return np.sum(h ** 2)


def rnn_keywords(Wh, Wx, xs):
    h = np.zeros(3)
    for x in xs:
        h = rnn_step(h, x, Wx=Wx, Wh=Wh)
    return np.sum(h ** 2)


def nested_and_lambda(x, W):
    def squared_relu(u):
        return np.sum(relu(u) ** 2)
    score = lambda v: logsumexp(W @ v)
    return squared_relu(W @ x) + score(x)


def activation_default(W, x, act=relu):
    return np.sum(act(W @ x) ** 2)


def helper_of_helper(x):
    return np.sum(normalised(x) * np.arange(3.0))


def _without_function_default(W, x):
    return activation_default(W, x)


def twice_in_a_branch(x):
    if np.sum(x) > 0:
        y = sigmoid(x)
    else:
        y = sigmoid(2.0 * x)
    return np.sum(y * sigmoid(x))


W3 = RNG.normal(size=(3, 3))
X3 = RNG.normal(size=3)
XS = RNG.normal(size=(4, 3))

CASES = [
    (logistic_loss, (RNG.normal(size=3), RNG.normal(size=(6, 3)),
                     (RNG.random(6) > 0.5).astype(float)), "w"),
    (uses_logsumexp, (X3,), None),
    (uses_global_of_helper, (X3,), None),
    (uses_two_returns, (X3,), None),
    (uses_two_returns, (-X3 - 1.0,), None),
    (uses_loop_in_helper, (0.3 * X3,), None),
    (uses_loops_in_helpers, (np.array([0.9, -0.8, 0.3]),), None),
    (uses_loops_in_helpers, (np.array([0.1, 0.7, 0.3]),), None),
    (uses_activations, (W3, X3), None),
    (rnn, (0.5 * W3, 0.5 * W3.T, XS), (0, 1)),
    (rnn_keywords, (0.5 * W3, 0.5 * W3.T, XS), (0, 1)),
    (nested_and_lambda, (X3, W3), None),
    (activation_default, (W3, X3), (0, 1)),
    (helper_of_helper, (X3,), None),
    (twice_in_a_branch, (X3,), None),
    (twice_in_a_branch, (-np.abs(X3),), None),
]


def names_of(function, wrt):
    import inspect
    params = [p for p in inspect.signature(function).parameters
              if inspect.signature(function).parameters[p].default is inspect.Parameter.empty]
    if wrt is None:
        return params
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    return [params[w] if isinstance(w, int) else w for w in wrt]


def central(function, args, index, h=1e-6):
    base = np.array(args[index], dtype=float)
    result = np.zeros_like(base)
    for position in np.ndindex(base.shape):
        values = []
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved[position] += sign * h
            trial = list(args)
            trial[index] = moved
            values.append(function(*trial))
        result[position] = (values[0] - values[1]) / (2 * h)
    return result


def as_tuple(gradient, names):
    return (gradient,) if len(names) == 1 else tuple(gradient)


@pytest.mark.parametrize("function, args, wrt", CASES,
                         ids=[f"{c[0].__name__}{i}" for i, c in enumerate(CASES)])
def test_gradient_matches_central_differences(function, args, wrt):
    names = names_of(function, wrt)
    gradients = as_tuple(grad(function, wrt=wrt)(*args), names)
    import inspect
    params = list(inspect.signature(function).parameters)
    for name, ours in zip(names, gradients):
        theirs = central(function, args, params.index(name))
        assert np.shape(ours) == theirs.shape
        assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-7), (name, ours, theirs)
    value, again = value_and_grad(function, wrt=wrt)(*args)
    assert value == pytest.approx(function(*args), rel=1e-13)


@pytest.mark.parametrize("function, args, wrt", CASES,
                         ids=[f"{c[0].__name__}{i}" for i, c in enumerate(CASES)])
def test_forward_agrees_with_reverse(function, args, wrt):
    """<grad f, v> = jvp of f along v, v random in the differentiated parameters."""
    import inspect
    signature = inspect.signature(function)
    if len(signature.parameters) != len(args):
        function = _without_function_default   # jvp takes a tangent for every parameter
    params = [p for p in signature.parameters
              if signature.parameters[p].default is inspect.Parameter.empty]
    names = names_of(function, wrt)
    gradients = as_tuple(grad(function, wrt=wrt)(*args), names)
    directions = {n: RNG.normal(size=np.shape(args[params.index(n)])) for n in names}
    tangents = [directions[p] if p in directions else np.zeros_like(np.asarray(a, float))
                for p, a in zip(params, args)]
    value, tangent = jvp(function, args, tangents)
    assert value == pytest.approx(function(*args), rel=1e-13)
    expected = sum(float(np.sum(g * directions[n])) for n, g in zip(names, gradients))
    assert tangent == pytest.approx(expected, rel=1e-10, abs=1e-12)


# --- the generated source ---------------------------------------------------------------

def test_golden_source_shows_the_inlined_helper():
    """The helper's computation appears in the caller under the helper's names."""
    args = CASES[0][1]
    source = grad(logistic_loss, wrt="w").specialize(*args).source
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        GOLDEN.write_text(source)
    assert source == GOLDEN.read_text()
    assert "sigmoid_z = X @ w" in source and "sigmoid(" not in source.split("try:")[1]


def test_generated_source_is_deterministic_and_names_are_hygienic():
    """A helper's local named like the caller's variable gets a name of its own."""
    def collide(x):
        m = np.sum(x)
        return logsumexp(x) * m
    first = grad(collide).specialize(X3).source
    assert first == grad(collide).specialize(X3).source
    assert "logsumexp_m" in first
    assert grad(collide)(X3) == pytest.approx(central(collide, (X3,), 0), rel=1e-6)


def test_scalar_code_still_calls_the_generated_pullback():
    """Helpers without NumPy called from scalar code are not inlined."""
    def square(u):
        return u * u

    def scalar(x):
        return square(x) + math.sin(x)
    gradient = grad(scalar)
    assert "pullback_square" in gradient.source
    assert gradient(0.7) == pytest.approx(2 * 0.7 + math.cos(0.7))


# --- refused, clearly -------------------------------------------------------------------

def recursive(x):
    return np.sum(power(x, 3))


def while_condition(x):
    y = x
    while np.sum(sigmoid(y)) > 1.0:
        y = y - 1.0
    return np.sum(y)


def conditional_arm(x):
    return np.sum(x if np.sum(x) > 0 else sigmoid(x))


def test_a_helper_in_an_arm_runs_in_its_arm():
    """(Refused before: now an if statement, the helper inlined in its arm.)"""
    for x in (X3, -X3):
        expected = np.ones_like(x) if np.sum(x) > 0 else \
            (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))
        assert np.allclose(grad(conditional_arm)(x), expected, rtol=1e-12)


@pytest.mark.parametrize("function, construct", [
    (recursive, "recursive call of your function `power`"),
    (while_condition, "a call of your function in a `while` condition"),
])
def test_refused_in_the_caller(function, construct):
    with pytest.raises(UnsupportedError) as caught:
        grad(function)(X3)
    error = caught.value
    assert construct in str(error)
    assert error.filename == __file__
    assert error.lineno != function.__code__.co_firstlineno


def load_source(tmp_path, source, name=None):
    """Write ``source`` to a fresh module file and import it."""
    name = name or f"s2sdiff_helpers_{uuid.uuid4().hex[:10]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


BAD_HELPERS = """
    import contextlib
    import numpy as np

    COUNT = 0

    class Box:
        pass

    BOX = Box()

    def yields(x):
        yield x * 2.0

    def writes_global(x):
        global COUNT
        COUNT = 1
        return x * 2.0

    def tries(x):
        try:
            return np.log(x)
        except ValueError:
            return x

    def with_block(x):
        with contextlib.nullcontext():
            y = x * 2.0
        return y

    def writes_attribute(x):
        BOX.last = x
        return x * 2.0

    def writes_nonlocal(x):
        total = x
        def add(u):
            nonlocal total
            total = total + u
            return total
        return add(x)

    async def asynchronous(x):
        return x * 2.0

    def caller_yields(x):
        return np.sum(yields(x))

    def caller_writes_global(x):
        return np.sum(writes_global(x))

    def caller_tries(x):
        return np.sum(tries(x))

    def caller_with_block(x):
        return np.sum(with_block(x))

    def caller_writes_attribute(x):
        return np.sum(writes_attribute(x))

    def caller_writes_nonlocal(x):
        return np.sum(writes_nonlocal(x))

    def caller_asynchronous(x):
        return np.sum(asynchronous(x))
"""


@pytest.mark.parametrize("name, construct, line", [
    ("yields", "`yield` (a generator)", "yield x * 2.0"),
    ("writes_global", "`global`", "global COUNT"),
    ("tries", "`try`", "try:"),
    ("with_block", "`with`", "with contextlib.nullcontext():"),
    ("writes_attribute", "an attribute write", "BOX.last = x"),
    ("writes_nonlocal", "`nonlocal`", "nonlocal total"),
    ("asynchronous", "async function", "async def asynchronous(x):"),
])
def test_helper_constructs_are_refused_at_the_helpers_line(tmp_path, name, construct, line):
    module = load_source(tmp_path, BAD_HELPERS)
    with pytest.raises(UnsupportedError) as caught:
        grad(getattr(module, f"caller_{name}"))(X3)
    error = caught.value
    assert construct in str(error) and name in str(error)
    assert error.filename == module.__file__
    assert error.source_line.strip() == line


def test_helper_without_readable_source_is_a_source_error(tmp_path):
    namespace = {"np": np}
    exec("def hidden(x):\n    return np.tanh(x)\n", namespace)
    hidden = namespace["hidden"]

    def calls_hidden(x):
        return np.sum(hidden(x))
    with pytest.raises(SourceError) as caught:
        grad(calls_hidden)(X3)
    assert "hidden" in str(caught.value)


def test_undefined_name_in_a_helper(tmp_path):
    module = load_source(tmp_path, """
        import numpy as np

        def broken(x):
            return np.sum(x * MISSING)

        def caller(x):
            return broken(x) * np.sum(x)
    """)
    with pytest.raises(S2SDiffError) as caught:
        grad(module.caller)(X3)
    assert "MISSING" in str(caught.value)


# --- helpers in other modules, and staleness --------------------------------------------

OTHER = """
    import numpy as onp

    SCALE = onp.array([1.0, 2.0, 3.0])

    def scaled_tanh(x):
        return onp.tanh(x * SCALE)

    def twice_scaled(x):
        return 2.0 * scaled_tanh(x)

    def cube(x):
        return x * x * x
"""


def test_helper_in_another_module_reads_its_globals_live(tmp_path):
    other = load_source(tmp_path, OTHER)
    user = load_source(tmp_path, f"""
        import numpy as np
        import {other.__name__} as other
        from {other.__name__} import twice_scaled

        def loss(x):
            return np.sum(other.scaled_tanh(x) ** 2) + np.sum(twice_scaled(x))
    """)
    gradient = grad(user.loss)
    x = np.array([0.3, -0.2, 0.1])
    assert np.allclose(gradient(x), central(user.loss, (x,), 0), rtol=1e-6)
    source = gradient.specialize(x).source
    assert "other.SCALE" in source and "np.tanh" in source
    other.SCALE = np.array([-1.0, 0.5, 4.0])      # same shape: the same code, new values
    assert np.allclose(gradient(x), central(user.loss, (x,), 0), rtol=1e-6)
    other.SCALE = np.array([[1.0], [-2.0]])       # a new shape: generated again
    assert np.allclose(gradient(x), central(user.loss, (x,), 0), rtol=1e-6)
    assert len(gradient.specializations) == 2


def test_redefined_helper_is_inlined_again(tmp_path):
    """The gradient follows the helper as it is now: sigmoid redefined as a cube."""
    module = load_source(tmp_path, """
        import numpy as np

        def act(z):
            return 1 / (1 + np.exp(-z))

        def loss(x):
            return np.sum(act(x) ** 2)
    """)
    other = load_source(tmp_path, OTHER)
    gradient = grad(module.loss)
    x = np.array([0.3, -0.2, 0.1])
    assert np.allclose(gradient(x), central(module.loss, (x,), 0), rtol=1e-6)
    module.act = other.cube
    assert np.allclose(gradient(x), 6 * x ** 5)
    assert np.allclose(grad(module.loss)(x), 6 * x ** 5)


def test_rebound_helper_of_a_helper_in_another_module(tmp_path):
    other = load_source(tmp_path, OTHER)
    user = load_source(tmp_path, f"""
        import numpy as np
        from {other.__name__} import twice_scaled

        def loss(x):
            return np.sum(twice_scaled(x))
    """)
    gradient = grad(user.loss)
    x = np.array([0.3, -0.2, 0.1])
    gradient(x)
    other.scaled_tanh = other.cube                  # twice_scaled now calls the cube
    assert np.allclose(gradient(x), 6 * x ** 2)


def test_another_function_passed_for_a_function_default():
    gradient = grad(activation_default, wrt=0)
    assert np.allclose(gradient(W3, X3), central(activation_default, (W3, X3), 0), rtol=1e-6)
    assert np.allclose(gradient(W3, X3, np.tanh),
                       central(lambda W, x: activation_default(W, x, np.tanh), (W3, X3), 0),
                       rtol=1e-6)
    with pytest.raises(S2SDiffError):
        grad(activation_default, wrt="act")(W3, X3)


class Model:
    def __call__(self, x):
        return np.tanh(x)


MODEL = Model()
PARTIAL_MAXIMUM = __import__("functools").partial(np.maximum, 0.0)
VECTORIZED = np.vectorize(lambda u: 2.0 * u)


def calls_instance(x):
    return np.sum(MODEL(x))


def calls_partial(x):
    return np.sum(PARTIAL_MAXIMUM(x))


def calls_vectorized(x):
    return np.sum(VECTORIZED(x))


def test_an_object_of_a_class_of_yours_is_called_through_its_call_method():
    """``MODEL(x)``: ``type(MODEL).__call__`` is followed like a method (objects.py)."""
    assert np.allclose(grad(calls_instance)(X3), 1.0 - np.tanh(X3) ** 2, rtol=1e-12)


@pytest.mark.parametrize("function, spelled, kind", [
    (calls_partial, "PARTIAL_MAXIMUM", "partial"),
    (calls_vectorized, "VECTORIZED", "vectorize"),
])
def test_callable_objects_without_readable_code_are_refused(function, spelled, kind):
    with pytest.raises(UnsupportedError) as caught:
        grad(function)(X3)
    message = str(caught.value)
    assert f"`{spelled}`" in message and f"a {kind} object" in message
    assert caught.value.filename == __file__
    assert spelled in caught.value.source_line
