"""python -m s2sdiff: the demo and FILE.py:FUNC."""

import pathlib
import subprocess
import sys

import golden_functions as g
from s2sdiff import grad

TESTS = pathlib.Path(__file__).resolve().parent


def run(*args):
    return subprocess.run([sys.executable, "-m", "s2sdiff", *args], capture_output=True,
                          text=True, cwd=TESTS.parent)


def test_demo_prints_function_gradient_values_and_verdict():
    result = run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "def f(x, y):" in out and "def grad_f(x, y):" in out
    assert "dx += sigx * (1 - sigx if sigx < 0.75 else math.exp(-x) * sigx) * dsigx" in out
    dx, dy = grad(g.f)(3.0, -4.0)
    assert f"df/dx = {dx!r}" in out and f"df/dy = {dy!r}" in out
    assert "SymPy verdict" in out and "simplified to 0" in out


def test_file_function_prints_the_generated_source():
    result = run(f"{TESTS / 'golden_functions.py'}:seed003")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (TESTS / "golden" / "seed003.py").read_text()


def test_wrt_option():
    result = run(f"{TESTS / 'golden_functions.py'}:f", "--wrt", "x")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (TESTS / "golden" / "seed_staged_wrt_x.py").read_text()


def test_errors_are_reported_without_a_traceback():
    result = run(f"{TESTS / 'golden_functions.py'}:f", "--wrt", "z")
    assert result.returncode == 1
    assert "error:" in result.stderr and "'z' is not a parameter" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run(f"{TESTS / 'golden_functions.py'}:nope")
    assert missing.returncode != 0 and "no function 'nope'" in missing.stderr


def test_explain_option():
    result = run(f"{TESTS / 'golden_functions.py'}:f", "--explain")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (TESTS / "golden" / "seed_staged_explain.py").read_text()
