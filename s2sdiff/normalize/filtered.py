"""``np.array([e for v in xs if c])`` (or ``np.stack``): refused, with its reason.

The number of rows of the result depends on the data, and NumPy code is generated for
the shapes its first call sees (``kinds.py``): a later call keeping another number of
rows could take a broadcast the generated code did not plan for (a one-row result added
to a three-row array), and its gradient would be wrong.  So the comprehension with
``if`` clauses is an ``UnsupportedError`` naming the construct, whose hint gives the
fixed-shape spelling: stack every row and mask or weight them.
"""

import ast
import copy

from . import sequences


def refuse(desugarer, node):
    """Raise ``UnsupportedError`` when ``node`` is ``np.array``/``np.stack`` of a
    comprehension with one ``for`` and ``if`` clauses; else nothing."""
    comprehension = node.args[0] if len(node.args) == 1 else None
    if not isinstance(comprehension, (ast.ListComp, ast.GeneratorExp)) \
            or len(comprehension.generators) != 1 or not comprehension.generators[0].ifs:
        return
    plain = copy.deepcopy(node)
    plain.args[0].generators[0].ifs = []
    if not sequences.stacks(desugarer, plain, comprehension=True):
        return
    call = ast.unparse(node.func)
    raise desugarer.error(
        node, f"`{call}` of a comprehension with `if` (its number of rows depends on the "
              f"data; NumPy code is generated for the shapes of its first call)",
        f"Stack every row and keep the shape fixed: `rows = {call}([f(r) for r in X])`, "
        f"then weight them by the condition, `np.where(mask[:, None], rows, 0.0)` with "
        f"`mask = {call}([c(r) for r in X])`.")
