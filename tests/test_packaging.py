"""``python -m build`` makes a wheel and an sdist that each install into a fresh
virtualenv and pass a smoke test there (marked ``packaging``: it installs NumPy and
SymPy, so it is left out of the default run; CI runs ``pytest -m packaging``)."""

import pathlib
import subprocess
import sys
import textwrap
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

SMOKE = textwrap.dedent("""
    import math, pathlib, s2sdiff
    from s2sdiff import grad, verify
    assert pathlib.Path(s2sdiff.__file__).parent.joinpath("py.typed").exists()
    from s2sdiff.typing import Backend, GeneratedFunction
    def f(x, y):
        return math.sin(x) * y
    backend: Backend = "python"
    g: GeneratedFunction = grad(f, backend=backend)
    assert g(0.0, 3.0) == (3.0, 0.0) and "def grad_f(x, y):" in g.source
    assert grad(f)(0.0, 2.0) == (2.0, 0.0)
    verify(f)
    print(s2sdiff.__version__)
""")


@pytest.mark.packaging
def test_wheel_and_sdist_install_into_a_fresh_virtualenv(tmp_path):
    pytest.importorskip("build")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    built = sorted((tmp_path / "dist").iterdir())
    assert sorted(p.suffix for p in built) == [".gz", ".whl"]
    wheel = next(p for p in built if p.suffix == ".whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"s2sdiff/py.typed", "s2sdiff/typing.py", "s2sdiff/api.py"} <= set(names)
    assert not any(n.startswith(("tests/", "tools/")) for n in names)
    (tmp_path / "smoke.py").write_text(SMOKE)
    from s2sdiff import __version__
    for artifact in built:
        venv = tmp_path / f"venv-{artifact.suffix.lstrip('.')}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([python, "-m", "pip", "install", "--quiet", str(artifact)], check=True,
                       stdin=subprocess.DEVNULL)
        result = subprocess.run([python, str(tmp_path / "smoke.py")], check=True,
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.stdout.strip() == __version__
