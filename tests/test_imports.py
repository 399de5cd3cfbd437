"""The package's import graph: no cycles, no function-local imports, small modules.

The graph is read from the source with ``ast`` (nothing is imported), over
every module of ``s2sdiff`` including subpackages, with full dotted names.
"""
import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "s2sdiff"
RULE_TABLES = {"s2sdiff.rules", "s2sdiff.scipy_rules"}
LONGEST = 600


def _modules():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _target(module, is_package, node):
    """The dotted module an ``ImportFrom`` in ``module`` names."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module, path, modules):
    """Yield (imported module, node, at top level) for each import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _target(module, is_package, node)
            names = []
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.append(full if full in modules else base)
        else:
            continue
        for name in names:
            if name in modules:
                yield name, node, id(node) in top


def import_graph():
    """{module: sorted list of package modules it imports at its top}."""
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        edges = {name for name, _, top in _imports(module, path, modules) if top}
        edges.discard(module)
        graph[module] = sorted(edges)
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    # A package's __init__ importing its own submodules is not a cycle
    # unless a submodule imports the package back.
    assert _cycles(graph) == []


def test_no_function_local_imports_of_the_package():
    modules = _modules()
    local = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for module, path in modules.items()
        for name, node, top in _imports(module, path, modules)
        if not top
    ]
    assert local == []


def test_no_module_is_longer_than_the_limit():
    long = {
        module: len(path.read_text().splitlines())
        for module, path in _modules().items()
        if module not in RULE_TABLES
    }
    assert {m: n for m, n in long.items() if n > LONGEST} == {}


def test_the_graph_sees_subpackages():
    graph = import_graph()
    assert "s2sdiff.reverse" in graph and "s2sdiff.normalize.statements" in graph
    assert any(edge.startswith("s2sdiff.") for edges in graph.values() for edge in edges)


if __name__ == "__main__":
    for module, edges in import_graph().items():
        print(module, "->", ", ".join(edges) if edges else "(none)")
