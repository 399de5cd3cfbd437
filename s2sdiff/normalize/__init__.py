"""Split a function body into SSA form: one primitive per assignment.

After this pass the body of a ``Program`` has the shapes listed in ``ir.py`` and:

* outside blocks every NAME is assigned exactly once (static single assignment); a user
  variable keeps its name at its first assignment and later ones get ``x_2``, ``x_3``...;
* inside a block a name is assigned at most once per execution of the block, except:
  a name assigned in both arms of an ``if`` (or in one arm and before it) is assigned in
  each arm that falls through, by the step computing it or by a copy; a loop's
  ``carried`` names hold the values an iteration starts from, are read there and are
  assigned only at the end of the body (or just before a jump), never read after that
  in the same iteration (``s = s + t`` writes the carried ``s`` itself when it can); a
  ``for`` target read after the loop (not a ``range`` index) is carried under a name of
  its own, so the last element gets its adjoint;
* a name that nothing reads after an ``if`` (a loop variable of one arm, say) is merged
  by no copy, and its next assignment gets a new name: sibling loops may reuse a loop
  variable; ``Program.unbound`` lists the names a copy reads on a path where they may be
  unbound (the user's code never reads them there), which generated code binds first;
* ``return`` appears once, at the end (``control.py`` rewrote the others), so the
  outputs are the SSA names reaching it; a loop that may stop early is marked ``exits``;
* temporaries get short names derived from their expression (``xpy`` for ``x + y``,
  ``expx`` for ``exp(x)``) or numbered after their target (``f1``, ``f2``);
* ``callee`` is a free name or dotted free name, resolved to the object it calls; a call
  of the user's own Python function gets the row ``Syntax("call")`` and its arguments in
  parameter order, defaults filled in;
* each step records its rule (``None`` for constants and unknown calls), its number
  ``(k)`` in the forward sweep and the user's source line; a call of a ``custom_vjp`` or
  ``custom_jvp`` wrapper (``custom.py``) records the wrapper as ``custom`` instead of a rule.

``ir.validate`` checks these shapes; any other construct raises ``UnsupportedError`` with
the file, line and source line.  Writes through aliases are checked after this pass
(``aliases.check``), by the driver.

The pass is a transformer dispatching per AST class: ``statements.py`` (the
``Normalizer`` and ``statement_<Class>`` handlers), ``control_flow.py`` (``if`` and loops
into blocks), ``expressions.py`` (``expression_<Class>`` handlers, calls), ``arrays.py``
(NumPy syntax) and ``callables.py`` (attributes of parameters read as data, nested
functions and lambdas inlined, function-valued parameters); ``walrus.py`` first writes
each ``:=`` as an assignment, ``loop_else.py`` rewrites a loop's ``else`` clause into a
flag, ``comprehensions.py`` then rewrites comprehensions (``map(f, xs)`` one too,
``maps.py``), ``sum``/``max``/``min`` of iterables and unpackings into loops, lists and
indexing (after ``list_idioms.py`` wrote ``[0.0] * n``, ``list(xs)`` as comprehensions,
``numpy_of_lists.py`` gave ``np.mean(losses)`` of a list built by appends its
``np.array(losses)``, and ``tuples.py`` split a name holding only tuple displays into one name per entry), then ``helpers.py`` inlines the user's functions that NumPy code calls.

>>> import math
>>> from s2sdiff.ir import format_program
>>> from s2sdiff.parse import parse
>>> def f(x, y):
...     return math.sin(x * y) + x
>>> print(format_program(normalize(parse(f))))
xty = x * y  # (1)
sinxty = math.sin(xty)  # (2)
f = sinxty + x  # (3)
return f
"""

from . import free_calls, loop_else
from .comprehensions import desugar
from .helpers import inline_helpers
from .factories import rewrite as make_functions
from .maps import as_generators
from ..methods import rewrite as rewrite_methods
from .list_idioms import rewrite as rewrite_list_idioms
from .function_loops import rewrite as unroll_function_loops
from .list_methods import rewrite as rewrite_list_methods
from .nested_lists import rewrite as rewrite_nested_lists
from .numpy_of_lists import arrays_of_lists
from .statements import Normalizer
from .record_calls import inline_record_calls
from .records import as_tuples
from .tuples import split as split_tuples
from .walrus import hoist as hoist_walrus


def normalize(parsed):
    """The ``Program`` of ``parsed``: its body in SSA form (see the module docstring)."""
    parsed = unroll_function_loops(parsed)         # for f in [math.sin, math.cos]: x = f(x)
    parsed = hoist_walrus(rewrite_methods(parsed))  # self.m(x) (methods.py); := (walrus.py)
    parsed = as_generators(loop_else.rewrite(parsed))   # loop else: a flag; map(f, xs)
    parsed = rewrite_nested_lists(rewrite_list_methods(parsed))  # ys.pop(); m[i][j] = v
    parsed = inline_record_calls(rewrite_list_idioms(parsed))   # [0.0] * n; v.norm()
    parsed = arrays_of_lists(parsed)               # np.mean(losses), losses built by appends
    parsed = desugar(split_tuples(as_tuples(parsed)))   # v = Vec(a, b); state = (h, c)
    inlined = inline_helpers(make_functions(parsed))   # rhs = make_rhs(a): its def
    if inlined is not parsed:          # the helpers' own comprehensions, unpackings...
        parsed = desugar(split_tuples(as_tuples(hoist_walrus(inlined))))
    parsed = free_calls.rewrite(parsed)     # SCALE.get("a", 1.0); rate(T) of a partial
    return Normalizer(parsed).run()
