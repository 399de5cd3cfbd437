"""Every code example in docs/ runs, so the documentation cannot go stale.

Per page, in order, in one namespace: a ```pycon block is a doctest (its outputs must
match, ELLIPSIS allowed); a ```python block is executed (it must print nothing: assert
instead); a ```python block with ``title="path"`` is an excerpt of that file of the
repository and must appear in it verbatim.  A page that starts with
``<!-- requires: module, ... -->`` is skipped where one of them is not installed.
"""

import contextlib
import doctest
import io
import linecache
import pathlib
import re
import sys
import textwrap
import traceback

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r'^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)(?P<attrs>[^\n]*)\n'
                   r'(?P<body>.*?)^(?P=indent)```[ \t]*$', re.M | re.S)
TITLE = re.compile(r'title="([^"]+)"')
REQUIRES = re.compile(r"<!-- requires: ([\w., ]+) -->")


def blocks(text):
    """(language, attributes, body, line number) of each fenced block of ``text``."""
    for match in FENCE.finditer(text):
        body = textwrap.dedent(match["body"]) if match["indent"] else match["body"]
        yield match["lang"], match["attrs"], body, text.count("\n", 0, match.start("body"))


def examples_of(text):
    """The page's runnable examples, in order: a list of ``doctest.Example`` lists (a
    ```pycon block) and source strings (a ```python block); excerpts are checked here."""
    parser, examples = doctest.DocTestParser(), []
    for lang, attrs, body, lineno in blocks(text):
        if lang == "pycon":
            found = parser.get_examples(body)
            for example in found:
                example.lineno += lineno
            examples.append(found)
        elif lang == "python":
            title = TITLE.search(attrs)
            if title:
                path = ROOT / title.group(1)
                assert body.strip() in path.read_text(), f"excerpt not found in {path}"
            else:
                examples.append(body)
    return examples


def run(examples, name, filename=None, out=None):
    """Run ``examples`` in order in one namespace; the number of failures (doctest's
    report of each is printed)."""
    globs, failed = {"__name__": "__main__"}, 0
    for number, example in enumerate(examples):
        if isinstance(example, str):          # a block of code, as a module runs it
            source = f"<doctest {name}[block {number}]>"
            linecache.cache[source] = (len(example), None, example.splitlines(True), source)
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    exec(compile(example, source, "exec"), globs)
            except Exception:
                traceback.print_exc(file=sys.stdout)
                print(f"the block above, {source}, raised")
                failed += 1
            if printed.getvalue():
                print(f"{source} printed (a ```python block must not):\n{printed.getvalue()}")
                failed += 1
        else:
            test = doctest.DocTest(example, globs, f"{name}[block {number}]", filename, 0, None)
            for index, line in enumerate(example):    # readable after the run too
                source = f"<doctest {test.name}[{index}]>"
                linecache.cache[source] = (len(line.source), None,
                                           line.source.splitlines(True), source)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            runner.run(test, out=out, clear_globs=False)
            globs = test.globs                # DocTest works on a copy
            failed += runner.summarize(verbose=False).failed
    return failed


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page):
    text = page.read_text()
    required = REQUIRES.search(text)
    for module in (required.group(1).replace(" ", "").split(",") if required else ()):
        pytest.importorskip(module)
    name = str(page.relative_to(DOCS))
    failed = run(examples_of(text), name, str(page))
    assert failed == 0, f"{failed} example(s) of docs/{name} failed (above)"


def test_the_runner_catches_a_wrong_output_and_a_failing_block():
    good = "```pycon\n>>> x = 1 + 1\n>>> x\n2\n```\n```python\nassert x == 2\n```\n"
    assert len(examples_of(good)) == 2 and run(examples_of(good), "good") == 0
    for bad in ("```pycon\n>>> 1 + 1\n3\n```\n", "```python\nassert 1 == 2\n```\n",
                "```python\nprint(1)\n```\n"):
        assert run(examples_of(bad), "bad", out=lambda text: None) == 1


def test_no_user_facing_page_speaks_of_seeds_or_issue_numbers():
    for path in [ROOT / "README.md", *PAGES]:
        text = path.read_text()
        assert not re.search(r"\bseeds?\b|\bissue \d", text, re.I), path
