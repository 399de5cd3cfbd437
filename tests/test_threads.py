"""Caching under threads, determinism across processes, and no side effects on user code.

* 8 threads differentiate the same and different functions at once: every thread gets
  the same generated function object for a function and options, each is generated
  exactly once (counted at ``emit.compile_listing``), and the results equal a
  single-threaded run;
* generated source is byte-identical across processes with different ``PYTHONHASHSEED``
  for every function of the corpus (``tests/functions.py``), in reverse and forward mode;
* differentiating and running the gradient leaves the user's function (code, defaults,
  attributes, closure), its module globals and its arguments unchanged.
"""

import copy
import hashlib
import math
import os
import pathlib
import random
import subprocess
import sys
import textwrap
import threading
import types

import numpy as np
import pytest

import functions as corpus
import s2sdiff.pipeline as pipeline
from s2sdiff import derivative, grad, jvp, value_and_grad

TESTS = pathlib.Path(__file__).parent
ROOT = TESTS.parent
THREADS = 8


def fresh(f):
    """A new function object with f's code, globals and closure: nothing cached for it."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


KINDS = {
    "grad": lambda f: grad(f),
    "value_and_grad": lambda f: value_and_grad(f),
    "derivative": lambda f: derivative(f),
    "jvp": lambda f: jvp(f),
    "grad_wrt0": lambda f: grad(f, wrt=0),
}


def run_kind(kind, generated, case):
    if kind == "jvp":
        return generated(*case.point, *(0.5,) * len(case.point))
    return generated(*case.point)


def test_threads_share_one_generated_function_per_function_and_options(monkeypatch):
    cases = corpus.CASES
    funcs = [fresh(case.func) for case in cases]          # nothing cached for these yet
    builds = []
    build = pipeline.compile_listing

    def counting_build(listing):
        builds.append(listing.name)
        return build(listing)

    monkeypatch.setattr(pipeline, "compile_listing", counting_build)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)                           # switch threads as often as possible
    barrier = threading.Barrier(THREADS)
    seen = [dict() for _ in range(THREADS)]               # thread -> (index, kind) -> generated
    values = [dict() for _ in range(THREADS)]
    failures = []

    def work(t):
        try:
            rng = random.Random(t)
            # half the threads walk the same order (the same function at the same time),
            # the others a shuffled one (different functions at the same time)
            order = [(i, k) for i in range(len(funcs)) for k in KINDS]
            if t % 2:
                rng.shuffle(order)
            barrier.wait()
            for i, kind in order:
                generated = KINDS[kind](funcs[i])
                seen[t][i, kind] = generated
                values[t][i, kind] = run_kind(kind, generated, cases[i])
        except BaseException as error:                    # reported in the main thread
            failures.append((t, error))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        sys.setswitchinterval(previous)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures

    for key in seen[0]:
        objects = {id(seen[t][key]) for t in range(THREADS)}
        assert len(objects) == 1, f"{key}: {len(objects)} different generated functions"
        assert all(values[t][key] == values[0][key] for t in range(THREADS)), key
    # generated once each: one build per function and options, never two (for a
    # one-parameter function grad(f, wrt=0) has the same options as grad(f))
    assert len(builds) == len({id(g) for g in seen[0].values()})
    assert len(builds) >= len(funcs) * (len(KINDS) - 1)
    monkeypatch.undo()
    # the cache answers later calls with the same objects, and a single-threaded run
    # on fresh function objects computes the same values
    for (i, kind), generated in seen[0].items():
        assert KINDS[kind](funcs[i]) is generated
        again = KINDS[kind](fresh(cases[i].func))
        assert again is not generated
        assert again.source == generated.source
        assert run_kind(kind, again, cases[i]) == values[0][i, kind]


def test_threads_calling_one_generated_gradient_agree():
    case = next(c for c in corpus.CASES if c.func is corpus.seed_staged)
    gradient = grad(fresh(case.func))
    expected = gradient(*case.point)
    rng = random.Random(0)
    points = [tuple(p + rng.uniform(-0.5, 0.5) for p in case.point) for _ in range(200)]
    reference = [gradient(*p) for p in points]
    results = [None] * THREADS

    def work(t):
        results[t] = [gradient(*p) for p in points]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r == reference for r in results)
    assert gradient(*case.point) == expected


# --- determinism across processes ---------------------------------------------------------

SCRIPT = textwrap.dedent("""
    import hashlib, sys
    sys.path.insert(0, {tests!r})
    import functions
    from s2sdiff import derivative, grad, jvp, value_and_grad
    for case in functions.CASES:
        f = case.func
        text = grad(f).source + derivative(f).source + jvp(f).source
        print(case.name, hashlib.sha256(text.encode()).hexdigest())
""")


def sources_digests():
    lines = []
    for case in corpus.CASES:
        f = case.func
        text = grad(f).source + derivative(f).source + jvp(f).source
        lines.append(f"{case.name} {hashlib.sha256(text.encode()).hexdigest()}")
    return "\n".join(lines) + "\n"


def test_generated_source_is_byte_identical_across_hash_seeds():
    """Two processes with the hash seeds 0 and 4242, and this one (a random seed unless
    PYTHONHASHSEED is set)."""
    script = SCRIPT.format(tests=str(TESTS))
    seeds = ["0", "4242"]
    runs = []
    for seed in seeds:                                    # run concurrently
        env = {"PYTHONHASHSEED": seed, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": str(ROOT)}
        runs.append(subprocess.Popen([sys.executable, "-c", script], cwd=str(ROOT), env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        outputs.append(out)
    assert len(outputs[0].splitlines()) == len(corpus.CASES)
    assert all(out == outputs[0] for out in outputs), "generated source depends on the hash seed"
    assert outputs[0] == sources_digests()                # and equals this process's source


# --- no side effects --------------------------------------------------------------------

def snapshot_function(f):
    return {
        "code": f.__code__, "defaults": f.__defaults__, "kwdefaults": copy.copy(f.__kwdefaults__),
        "dict": dict(f.__dict__), "name": f.__name__, "qualname": f.__qualname__,
        "module": f.__module__, "doc": f.__doc__, "annotations": dict(f.__annotations__),
        "globals": f.__globals__,
        "closure": tuple(c.cell_contents for c in f.__closure__ or ()),
    }


def snapshot_namespace(namespace):
    return {name: (id(value), repr(value) if isinstance(value, (int, float, str)) else None)
            for name, value in namespace.items()}


def test_user_functions_and_module_globals_are_never_modified():
    funcs = [fresh(case.func) for case in corpus.CASES]
    before = [snapshot_function(f) for f in funcs]
    module_before = snapshot_namespace(vars(corpus))
    for f, case in zip(funcs, corpus.CASES):
        for kind in ("grad", "derivative"):
            run_kind(kind, KINDS[kind](f), case)
    assert [snapshot_function(f) for f in funcs] == before
    assert snapshot_namespace(vars(corpus)) == module_before


def test_functions_imported_by_name_get_math_without_touching_the_module(tmp_path):
    path = tmp_path / "only_names.py"
    path.write_text(textwrap.dedent("""
        from math import sin, exp
        LIMIT = 2.0

        def f(x, y):
            return sin(x) * exp(y) + LIMIT * x
    """))
    namespace = {"__name__": "only_names", "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    f = namespace["f"]
    before = snapshot_namespace(namespace)
    function_before = snapshot_function(f)
    dx, dy = grad(f)(0.3, 0.4)
    assert dx == pytest.approx(math.cos(0.3) * math.exp(0.4) + 2.0)
    assert dy == pytest.approx(math.sin(0.3) * math.exp(0.4))
    derivative(f)(0.3, 0.4)
    jvp(f, (0.3, 0.4), (1.0, 0.0))
    assert "math" not in namespace
    assert snapshot_namespace(namespace) == before
    assert snapshot_function(f) == function_before


class Tracked(float):
    """A float that records every attribute written on it."""

    def __setattr__(self, name, value):
        raise AssertionError(f"s2sdiff wrote {name} on an argument")


def test_arguments_are_never_modified():
    case = next(c for c in corpus.CASES if c.func is corpus.four_params)
    f = fresh(case.func)
    args = [Tracked(v) for v in case.point]
    kept = [(id(a), float(a)) for a in args]
    expected = grad(f)(*case.point)
    assert grad(f)(*args) == expected
    value_and_grad(f)(*args)
    derivative(f)(*args)
    jvp(f, tuple(args), tuple(args))
    assert [(id(a), float(a)) for a in args] == kept
    # NumPy scalars and 0-d arrays (mutable) come back unchanged too
    arrays = [np.array(v) for v in case.point]
    copies = [a.copy() for a in arrays]
    result = grad(f)(*arrays)
    assert np.allclose(np.array(result, dtype=float), expected)
    assert all(a.shape == () and a == c for a, c in zip(arrays, copies))
    scalars = [np.float64(v) for v in case.point]
    assert np.allclose(np.array(grad(f)(*scalars), dtype=float), expected)


def make_scaled(k):
    def scaled(x):
        return x * k
    return scaled


def test_the_cache_keeps_only_the_recently_used_functions_alive(monkeypatch):
    """The generated function refers to the user's (``@grad`` needs that), so the cache
    keeps the ``RECENT`` last used alive, not every function ever differentiated."""
    import gc
    import weakref
    monkeypatch.setattr(pipeline, "RECENT", 8)
    f = make_scaled(3.0)
    alive = weakref.ref(f)
    assert grad(f)(1.0) == 3.0
    del f
    for k in range(8):                       # eight other functions used since
        assert grad(make_scaled(float(k)))(1.0) == k
    gc.collect()
    assert alive() is None


def test_closures_differentiated_in_a_loop_hold_bounded_memory(monkeypatch):
    import gc
    import weakref
    monkeypatch.setattr(pipeline, "RECENT", 8)
    refs = []
    for k in range(40):
        f = make_scaled(float(k))
        refs.append(weakref.ref(f))
        assert grad(f)(2.0) == k
    del f
    gc.collect()
    assert sum(r() is not None for r in refs) <= 8


def test_a_gradient_is_generated_once_while_used(monkeypatch):
    """``grad(f)(x)`` in a loop builds one function; one the user holds is reused however
    many others were differentiated since."""
    monkeypatch.setattr(pipeline, "RECENT", 8)
    builds = []
    real_build = pipeline.compile_listing
    monkeypatch.setattr(pipeline, "compile_listing", lambda listing: builds.append(1) or real_build(listing))
    f = make_scaled(2.0)
    for x in range(20):
        assert grad(f)(float(x)) == 2.0
    assert len(builds) == 1
    held = grad(make_scaled(5.0))
    for k in range(20):
        grad(make_scaled(float(k)))(1.0)
    assert grad(held.__s2sdiff_origin__) is held


def test_a_function_never_differentiated_is_freed():
    import gc
    import weakref
    f = make_scaled(3.0)
    alive = weakref.ref(f)
    del f
    gc.collect()
    assert alive() is None


def test_parsing_in_threads_survives_collections_that_switch_threads():
    """CPython 3.11 counts syntax-tree conversion depth per interpreter: a collection
    running a finalizer in the middle of ``ast.parse`` lets another thread parse and the
    first one fails with ``SystemError`` (about once in 8 threads here with plain
    ``ast.parse``).  ``s2sdiff.syntax`` serialises them."""
    from s2sdiff import syntax
    source = "\n".join(f"def f{i}(x):\n    return ((x + 1) * (x - 2)) / (x + {i})"
                       for i in range(200))
    failures = []

    class Cyclic:
        def __del__(self):
            sum(range(100))                   # Python code: the interpreter may switch

    def work():
        try:
            for _ in range(40):
                for _ in range(300):
                    a, b = Cyclic(), Cyclic()
                    a.other, b.other = b, a   # garbage only a collection frees
                syntax.parse(source)
        except BaseException as error:
            failures.append(error)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(previous)
    assert not failures, failures
