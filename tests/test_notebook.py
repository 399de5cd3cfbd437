"""examples/tour.ipynb runs in a Jupyter kernel, and generated functions, explain mode
and graphs display there as rich output (skipped without nbclient and ipykernel)."""

import os
import pathlib
import shutil

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _outputs(cell):
    return {key: value for output in cell.get("outputs", ())
            for key, value in output.get("data", {}).items()}


def test_the_example_notebook_runs_and_shows_generated_source(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    notebook = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    source = _outputs(code[1])["text/markdown"]
    assert source.startswith("```python\ndef grad_loss(w, b):")
    assert "        dz = math.cos(z) * dsinz  # (3)" in source
    assert _outputs(code[2])["text/plain"] == "(1.682941969615793, 0.8414709848078965)"
    assert "d(math.sin(z))/dz = math.cos(z), line 3" in _outputs(code[3])["text/markdown"]
    assert "dw = X.T @ " in _outputs(code[4])["text/markdown"]
    assert _outputs(code[5])["text/plain"] == "True"
    graph = _outputs(code[6])
    if shutil.which("dot"):
        assert graph["image/svg+xml"].lstrip().startswith("<")
    else:
        assert graph["text/plain"].startswith("<s2sdiff.Graph of loss(")
