"""Entries of tuple-valued calls: ``w, v = np.linalg.eigh(a)``, ``res = np.linalg.slogdet(a);
res[1]``, ``np.linalg.qr(a).R``.

After the other handlers, such a call is a step ``res = np.linalg.eigh(a)`` and each
entry read a step ``w = res[0]`` (or ``res.eigenvalues``).  ``resolve`` makes each entry a
primitive of its own, the row ``rules.Entry(np.linalg.eigh, 0)``, whose arguments are the
call's (``Step.call`` holds the call): the rows see ``a``, and the tuple step itself is
not differentiated (its entries carry the dependence).  An entry whose row is
``Nondifferentiable`` (slogdet's sign) is a constant.  The tuple used any other way
(returned whole, passed on, copied, looped over) is refused at its line.
"""

import ast

from .. import linalg_rules, rules      # importing linalg_rules registers its rows
from ..errors import UnsupportedError
from ..ir import Passive, Step, item_loads, walk_items


def tuple_valued(step):
    """Whether ``step`` calls a function of ``TUPLE_FIELDS`` in a form that returns the
    tuple (``np.linalg.svd(a, compute_uv=False)`` returns one array)."""
    fields = linalg_rules.TUPLE_FIELDS.get(_hashable(step.callee))
    if fields is None or not isinstance(step.value, ast.Call):
        return False
    one_array = getattr(fields, "one_array", None)
    return not (one_array and one_array(step.value))


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return None
    return value


def _entry_index(step, name, fields):
    """The entry of the tuple ``name`` that ``step`` reads, or None."""
    value = step.value
    if not (isinstance(value, (ast.Subscript, ast.Attribute)) and isinstance(value.value, ast.Name)
            and value.value.id == name and step.store is None):
        return None
    if isinstance(value, ast.Attribute):
        return fields.index(value.attr) if value.attr in fields else None
    index = value.slice
    if isinstance(index, ast.Constant) and type(index.value) is int \
            and -len(fields) <= index.value < len(fields):
        return index.value % len(fields)
    return None


def entry_index(step):
    """The entry of its tuple that a resolved entry step (``Step.call`` set) reads."""
    return _entry_index(step, step.value.value.id, linalg_rules.TUPLE_FIELDS[step.callee])


def resolve(program):
    """Rewrite the entries of tuple-valued calls in ``program`` (module docstring)."""
    producers = {s.target: s for s in program.steps if tuple_valued(s)}
    for item in walk_items(program.body):
        if isinstance(item, Step) and item.target in producers and producers[item.target] is item:
            item.rule, item.differentiable = None, False
            continue
        if isinstance(item, Passive):
            continue                     # ``assert len(unpacked) == 2`` of an unpacking
        reads = item_loads(item) if producers else ()      # no tuple: nothing to rewrite
        for name in reads:
            if name not in producers:
                continue
            producer = producers[name]
            fields = linalg_rules.TUPLE_FIELDS[producer.callee]
            index = _entry_index(item, name, fields) if isinstance(item, Step) else None
            if index is None:
                raise _whole(program, item, producer, fields)
            row = rules.lookup(rules.Entry(producer.callee, index))
            item.callee, item.call = producer.callee, producer.value
            item.args = list(producer.args)
            if isinstance(row, rules.Nondifferentiable):
                item.rule, item.differentiable = None, False
            else:
                item.rule = row
        if isinstance(item, Step) and isinstance(item.value, ast.Attribute) \
                and item.rule is None and item.call is None and item.differentiable \
                and item.value.attr in _field_names():
            raise program.parsed.error(
                ast.Expr(item.value, lineno=item.lineno),
                f"s2sdiff cannot differentiate {program.name}: attribute "
                f"`{ast.unparse(item.value)}` of a local value is not supported",
                construct=f"attribute .{item.value.attr}", cls=UnsupportedError,
                hint="Read the fields of the result of a call written in the function "
                     "(w = np.linalg.eigh(a).eigenvalues).")
    for output in program.outputs:
        if isinstance(output, ast.Name) and output.id in producers:
            producer = producers[output.id]
            raise _whole(program, producer, producer, linalg_rules.TUPLE_FIELDS[producer.callee])


def _field_names():
    return {f for fields in linalg_rules.TUPLE_FIELDS.values() for f in fields}


def _whole(program, item, producer, fields):
    what = rules.Function(producer.callee).name
    node = item.value if isinstance(item, Step) else getattr(item, "iterable", None) \
        or getattr(item, "test", None)
    return program.parsed.error(
        ast.Expr(node, lineno=item.lineno),
        f"s2sdiff cannot differentiate {program.name}: the tuple that `{what}` returns is "
        f"used whole (`{ast.unparse(node)}`)", construct=f"the result of {what}",
        cls=UnsupportedError,
        hint=f"Unpack it ({', '.join(fields)} = {what.replace('numpy', 'np')}(...)) or read "
             f"its entries by a literal index or by name (result[0], result.{fields[0]}).")
