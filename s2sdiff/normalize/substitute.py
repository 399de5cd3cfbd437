"""``Substitute``: names replaced by expressions in an AST, respecting the scopes that
comprehensions and lambdas open (a name they bind is theirs, not replaced inside them).

Used by the rewrites that run before and during normalization: comprehensions unrolled
over displays, dicts split into one variable per key, local functions inlined.

>>> import ast
>>> tree = ast.parse("x + [x for x in ys] + (lambda x: x)(x)", mode="eval")
>>> ast.unparse(Substitute({"x": ast.Name("a", ast.Load())}).visit(tree))
'a + [x for x in ys] + (lambda x: x)(a)'
"""

import ast
import copy


class Substitute(ast.NodeTransformer):
    """Replace each name of ``mapping`` by a copy of its expression."""

    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            return ast.copy_location(copy.deepcopy(self.mapping[node.id]), node)
        return node

    def _inner(self, bound):
        return Substitute({k: v for k, v in self.mapping.items() if k not in bound})

    def _comprehension(self, node):
        bound = {n.id for g in node.generators for n in ast.walk(g.target)
                 if isinstance(n, ast.Name)}
        node.generators[0].iter = self.visit(node.generators[0].iter)  # the enclosing scope's
        inner = self._inner(bound)
        for i, generator in enumerate(node.generators):
            if i:
                generator.iter = inner.visit(generator.iter)
            generator.ifs = [inner.visit(c) for c in generator.ifs]
        for field in ("elt", "key", "value"):
            if getattr(node, field, None) is not None:
                setattr(node, field, inner.visit(getattr(node, field)))
        return node

    visit_ListComp = visit_GeneratorExp = visit_SetComp = visit_DictComp = _comprehension

    def visit_Lambda(self, node):
        arguments = node.args
        bound = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        bound |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        arguments.defaults = [self.visit(d) for d in arguments.defaults]
        arguments.kw_defaults = [d if d is None else self.visit(d) for d in arguments.kw_defaults]
        node.body = self._inner(bound).visit(node.body)
        return node

    @staticmethod
    def store(target):
        """``target`` with its names (and tuples) in store context, for a loop target."""
        for n in ast.walk(target):
            if isinstance(n, (ast.Name, ast.Tuple, ast.List)):
                n.ctx = ast.Store()
        return target
