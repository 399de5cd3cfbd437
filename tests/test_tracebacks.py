"""An exception inside generated code shows the generated line in Python's default
traceback (which, before Python 3.13, reads source from files only), and pdb steps
through the generated lines."""

import io
import linecache
import math
import os
import pdb
import subprocess
import sys
import textwrap
import traceback

import pytest

from s2sdiff import grad, sources

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def staged(x):
    t = x * 2.0
    return math.log(t) * x


SCRIPT = textwrap.dedent("""
    import math
    from s2sdiff import grad

    def f(x):
        t = x * 2.0
        return math.log(t) * x

    grad(f)(-1.0)
""")


def test_the_default_traceback_shows_the_generated_line(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("S2SDIFF_SOURCE_DIR", None)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if "grad_f" in line and "File" in line)
    assert lines[at + 1].strip() == "logt = math.log(t)  # (2)"
    assert lines[-1] == "ValueError: math domain error"


def test_the_traceback_module_and_inspect_read_the_same_text():
    with pytest.raises(ValueError) as info:
        grad(staged)(-1.0)
    frames = [f for f in traceback.extract_tb(info.value.__traceback__)
              if sources.is_generated(f.filename)]
    assert frames[-1].line == "logt = math.log(t)  # (2)"
    filename = grad(staged).__code__.co_filename
    if not filename.startswith("<"):
        with open(filename) as file:
            assert file.read() == grad(staged).source


def test_pdb_steps_through_the_generated_lines():
    commands = io.StringIO("step\n" * 6 + "continue\n")
    out = io.StringIO()
    debugger = pdb.Pdb(stdin=commands, stdout=out, nosigint=True)
    debugger.use_rawinput = False
    assert debugger.runcall(grad(staged), 2.0) == grad(staged)(2.0)
    shown = out.getvalue()
    assert "grad_staged()" in shown
    stepped = [line[3:].split("#")[0].strip() for line in shown.splitlines()
               if line.startswith("-> ")]
    assert stepped == ["try:", "t = x * 2.0", "logt = math.log(t)",
                       "dx = logt", "dt = 1 / t * x", "dx += 2.0 * dt", "return dx"], shown


def test_without_a_directory_the_source_is_in_linecache_only(monkeypatch):
    monkeypatch.setenv("S2SDIFF_SOURCE_DIR", "")
    name = sources.register("grad_nowhere", "def grad_nowhere():\n    return 1.0\n")
    assert name.startswith("<s2sdiff grad_nowhere ") and sources.is_generated(name)
    assert linecache.getline(name, 2) == "    return 1.0\n"


def test_the_same_source_gets_the_same_file(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SDIFF_SOURCE_DIR", str(tmp_path))
    first = sources.register("grad_same", "def grad_same():\n    return 2.0\n")
    second = sources.register("grad_same", "def grad_same():\n    return 2.0\n")
    assert first == second == str(tmp_path / os.path.basename(first))
    assert open(first).read() == "def grad_same():\n    return 2.0\n"
    assert [p.name for p in tmp_path.iterdir()] == [os.path.basename(first)]
