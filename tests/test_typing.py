"""The type hints of the public API: tests/typing_usage.py (user code with annotations)
runs and gives the closed-form values it asserts; mypy, where installed, accepts the
public modules and that file under pyproject's ``[tool.mypy]`` (as ``.ci/run`` runs it),
and rejects each call of its ``wrong_calls`` once the ``type: ignore`` is taken off."""

import pathlib
import re
import subprocess
import sys

import pytest

import typing_usage

ROOT = pathlib.Path(__file__).resolve().parent.parent
IGNORE = re.compile(r"  # type: ignore\[([a-z-]+)\]$")


def test_annotated_user_code_runs():
    typing_usage.main()


def mypy(*args, cache):
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), *args],
                          cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    pytest.importorskip("mypy")
    return tmp_path_factory.mktemp("mypy_cache")


def test_mypy_accepts_the_public_api_and_its_use(cache):
    result = mypy(cache=cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "typing_usage.py" not in result.stdout


def test_mypy_rejects_each_wrong_call(cache, tmp_path):
    lines = (ROOT / "tests" / "typing_usage.py").read_text().splitlines()
    start = lines.index("def wrong_calls(f: Any) -> None:")
    expected = {}
    for number, line in enumerate(lines, 1):
        found = IGNORE.search(line)
        if number > start and found:
            expected[number] = found.group(1)
            lines[number - 1] = line[:found.start()]
    assert len(expected) >= 10
    stripped = tmp_path / "typing_usage_wrong.py"
    stripped.write_text("\n".join(lines) + "\n")
    result = mypy("--config-file", str(ROOT / "pyproject.toml"), str(stripped), cache=cache)
    reported = {}
    for line in result.stdout.splitlines():
        match = re.match(rf"{re.escape(str(stripped))}:(\d+): error: .*\[([a-z-]+)\]$", line)
        if match:
            reported.setdefault(int(match.group(1)), set()).add(match.group(2))
    assert result.returncode == 1, result.stdout + result.stderr
    assert {n: {code} for n, code in expected.items()} == reported, result.stdout


def _unannotated(func):
    """The parameters of ``func`` without an annotation, and ``return`` if it has none."""
    import inspect
    func = inspect.unwrap(func)
    signature = inspect.signature(func)
    missing = [p.name for p in signature.parameters.values()
               if p.annotation is p.empty and p.name not in ("self", "cls")]
    return missing + ["return"] * (signature.return_annotation is signature.empty)


def test_every_public_entry_point_is_annotated():
    import importlib
    import inspect

    import s2sdiff
    from s2sdiff import dispatch, eject, trees
    graph = importlib.import_module("s2sdiff.graph")     # s2sdiff.graph is the function
    from s2sdiff.check import check_grad_function, check_rule, dot_product_test, verify_function
    entries = [getattr(s2sdiff, name) for name in s2sdiff.__all__]
    entries += [eject.eject, eject.check_module, eject.load_function, eject.EjectCheck,
                graph.Graph, check_grad_function, verify_function, check_rule,
                dot_product_test, trees.structure, trees.TreeDispatcher, dispatch.dispatcher]
    missing = {}
    for entry in entries:
        functions = [entry] if not inspect.isclass(entry) else [
            member for name, member in vars(entry).items()
            if inspect.isfunction(member) and (not name.startswith("_") or name in (
                "__init__", "__call__")) and member.__module__.startswith("s2sdiff")]
        functions += [member.fget for member in vars(entry).values()
                      if isinstance(member, property)] if inspect.isclass(entry) else []
        for function in functions:
            if _unannotated(function):
                missing[function.__qualname__] = _unannotated(function)
    assert missing == {}
