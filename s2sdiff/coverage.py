"""The coverage table of the documentation, generated from the rule table.

    python -m s2sdiff.coverage > docs/reference/coverage.md

One row per entry of ``rules.RULES``: what it differentiates, whether reverse and
forward mode do, and which test checks it.  ``tests/test_coverage.py`` requires the
checked-in page to equal this output, so the page follows the table.
"""

import importlib
import sys

from . import rules
from .rules import Attribute, Function, Method, Nondifferentiable, Partials

HEADER = """\
# Rule coverage

Generated from the rule table (`s2sdiff.rules.RULES`) by
`python -m s2sdiff.coverage > docs/reference/coverage.md`; a test fails when this page
and the table disagree. Each row is one entry of the table, which reverse mode and
forward mode both read.

How each row is checked:

* **SymPy**: the row's partial derivatives equal `sympy.diff` of its forward formula at
  random points (`tests/test_rules.py`).
* **numeric**: a call of the row on random arrays of several shapes is differentiated in
  both modes; the pullback and the tangent agree with central differences and with each
  other (`<v, J u> = <J^T v, u>`) (`tests/test_array_rules.py`).
* **constant**: the result is piecewise constant (`floor`, comparisons, `x.shape`), so it
  is a constant for differentiation, as in JAX.
* **generated**: a construct whose derivative is generated code of its own (a call of
  your function, indexing, element assignment), checked by the program corpora against
  central differences and closed forms (`tests/test_control.py`, `tests/test_arrays.py`).

Anything not listed here fails when the derivative is generated, with the line and the
name of the function that has no rule.
"""


def _section(rule):
    """The heading a row is listed under."""
    key = rule.key
    if isinstance(rule, Nondifferentiable):
        return "Constants (piecewise constant)"
    if isinstance(key, (Method, Attribute)):
        return "Array methods and attributes"
    if isinstance(key, Function):
        module = getattr(key.function, "__module__", None) or "builtins"
        if rules.is_numpy_row(rule):
            module = "numpy" if module.startswith("numpy._") or module == "numpy" else module
            return f"`{module}`"
        return "Builtins" if module == "builtins" else f"`{module}`"
    return "Operators and constructs"


def _how(rule):
    if isinstance(rule, Nondifferentiable):
        return "constant"
    checks = []
    if isinstance(rule, Partials):
        checks.append("SymPy")
    if rules.is_numpy_row(rule):
        checks.append("numeric")
    return ", ".join(checks) or "generated"


def _modes(rule):
    return ("constant", "constant") if isinstance(rule, Nondifferentiable) else ("yes", "yes")


def _display(rule):
    name = rule.name
    if name.startswith("numpy."):
        name = "np." + name[len("numpy."):]
    return name


ORDER = ["Operators and constructs", "Builtins", "`math`", "`numpy`"]


def table() -> str:
    """The page's Markdown text: the header, then one table per section; SciPy's rows
    are listed when SciPy is installed (they are registered once it is imported)."""
    for module in ("scipy.special", "scipy.stats"):
        try:
            importlib.import_module(module)
        except ImportError:
            break
    rules.load_optional_rows()
    sections: dict[str, list] = {}
    for rule in rules.RULES.values():
        sections.setdefault(_section(rule), []).append(rule)
    names = sorted(sections, key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER),
                                            s.startswith("Constants"), s))
    out = [HEADER]
    for section in names:
        out.append(f"## {section}\n")
        out.append("| function | reverse | forward | checked by |")
        out.append("|---|---|---|---|")
        for rule in sections[section]:
            reverse, forward = _modes(rule)
            out.append(f"| `{_display(rule)}` | {reverse} | {forward} | {_how(rule)} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(table())
