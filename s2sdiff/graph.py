"""The computation graph of a function's SSA form at a point, as in the figures of seed 002.

``graph(f, *args, wrt=None)`` returns a ``Graph`` whose

* nodes are the parameters (``kind="input"``), every SSA step of ``f`` (``kind="step"``,
  labelled with its target, its primitive such as ``num * invden`` or ``sigmoid(y)`` and
  its number ``(k)``) and the constants and free names that feed active steps
  (``kind="constant"``); the node of the returned value has ``output=True``;
* edges go from each argument of a step to the step, in argument order; an edge into an
  active step from an active argument carries the local partial derivative of the rule
  table, as text (``-1.0 / den / den``) and as its value at the point;
* every node carries its forward value, and every node reverse mode differentiates (the
  active names, and the requested parameters) its adjoint d out / d node, named as the
  generated gradient names it (``dden``).

Everything is computed by running, not by calling generated code: each SSA statement is
compiled and executed in order in the function's namespace (its module globals, read and
never written, and its closure cells); each partial is the very expression reverse mode
emits (``rules`` through ``build.Namespace`` and ``modules.ModuleAliases``), evaluated
there; the adjoints are accumulated backwards over the edges, output first, exactly in
the order of the generated reverse sweep.  ``assert`` and ``print`` statements are not
run.  The adjoints at the inputs are the gradient ``grad(f, wrt=wrt)(*args)`` returns.

``Graph.dot`` is Graphviz DOT text, deterministic: node ids are the SSA names (constants
get ``const1``, ``const2``... not used by the function), nodes and edges come in program
order and no set is ever iterated.  ``Graph.render(path)`` and ``Graph._repr_svg_`` (for
Jupyter) run Graphviz's ``dot`` program, which s2sdiff does not require: without it
``render`` raises an ``S2SDiffError`` saying how to install it.
"""

import ast
import copy
import inspect
import numbers
import os
import pathlib
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Callable

from . import activity as activity_pass, syntax
from . import aliases, ir
from .api import resolve_wrt
from .build import Expr, as_node, unparse
from .emit import check_arguments
from .errors import ArgumentError, InternalError, S2SDiffError, add_note, firewall
from .modules import ModuleAliases
from .normalize import normalize
from .optimize import fold
from .parse import parse
from .pipeline import pullback_of
from .reverse import reverse
from .rules import Syntax
from .typing import Wrt

FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = ("Install Graphviz, which provides `dot`: `apt-get install graphviz` (Debian, "
                "Ubuntu), `conda install graphviz`, or `brew install graphviz` (macOS); or paste "
                "Graph.dot into any Graphviz viewer.")


@dataclass
class Node:
    """One node of the graph: a parameter, an SSA step or a constant."""
    id: str                 # its DOT id: the SSA name, or const1, const2... for literals
    name: str               # the variable name, or the constant as written (1.0, math.pi)
    kind: str               # "input", "step" or "constant"
    value: object           # forward value at the point
    op: str | None = None   # the primitive, for steps: "num * invden", "sigmoid(y)"
    adjoint: object = None  # d out / d node; None where reverse mode computes none
    adjoint_name: str | None = None    # the adjoint's name in the generated gradient: "dden"
    number: int | None = None   # the step's (k) in the forward sweep
    lineno: int | None = None   # the user's source line of a step
    statement: str | None = None    # the SSA statement of a step: "den = sigx + xpysqr"
    active: bool = False    # reverse mode computes its adjoint: a wrt parameter, or a step
                            # varied by wrt that reaches the output
    output: bool = False    # the returned value


@dataclass
class Edge:
    """Argument ``source`` feeds step ``target``, with the local partial d target / d source."""
    source: str             # node id
    target: str             # node id of the step
    position: int           # which argument of the step, from 0
    partial: str | None = None  # the local partial as reverse mode writes it: "-1.0 / den / den"
    value: object = None    # the partial's value at the point; None when not differentiated

    @property
    def active(self) -> bool:
        return self.partial is not None


def graph(f: Callable[..., Any], *args: Any, wrt: Wrt = None) -> "Graph":
    """The computation graph of ``f``'s SSA form at ``args`` (see the module docstring).

    ``wrt`` selects the parameters to differentiate, as in ``grad``; the other parameters
    are inputs without adjoints.
    """
    wrt_names, single = resolve_wrt(f, wrt)
    try:
        with firewall(f):                            # a bug of ours is an InternalError
            program = normalize(parse(f))
            if not ir.is_array_program(program):    # NumPy code: per argument kinds
                aliases.check(program)
            program.require_scalar("graph")         # normalize accepts `return a, b`
            facts = activity_pass.analyze(program, wrt_names)
            _reject_custom_rules(program, facts)
    except InternalError:
        raise                                        # its cause is the report
    except S2SDiffError as error:
        raise error.with_traceback(None) from None      # the user's line matters, not ours
    bound = _bind(f, program, args)
    return _Builder(program, facts, bound).run(single)


def _reject_custom_rules(program, facts):
    """A custom_vjp/custom_jvp call on an active value has no local partials to draw."""
    for step in program.steps:
        if step.custom is not None and step.target in facts.varied and step.target in facts.useful:
            name = ast.unparse(step.value.func)
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"graph cannot draw {program.name}: it applies the {step.custom.kind} function "
                f"`{name}` to a differentiated value, and a custom rule has no local partials "
                f"to put on the edges", construct=f"{step.custom.kind} in graph",
                hint="Draw a version of the function without the custom rule, or inspect the "
                     "rule's calls in grad(f).source.")


def _bind(f, program, args):
    """The parameters' values, defaults applied; a clear error naming what is wrong."""
    try:
        arguments = inspect.signature(f).bind(*args)
    except TypeError as exc:
        params = ", ".join(program.params)
        raise ArgumentError(f"graph: wrong arguments for {program.name}({params}): {exc}",
                            construct="arguments") from None
    arguments.apply_defaults()
    return {p: arguments.arguments[p] for p in program.params}


class _Builder:
    def __init__(self, program, facts, bound):
        self.program = program
        self.facts = facts
        self.bound = bound
        self.parsed = program.parsed
        self.env = {}               # closure values, parameter and step values by SSA name
        self.nodes = []
        self.by_id = {}
        self.edges = []
        self.constants = 0          # const1, const2...: ids of literal nodes

    def run(self, single):
        program, facts = self.program, self.facts
        for name, cell in self.parsed.closure.items():
            try:
                self.env[name] = cell.cell_contents
            except ValueError:      # an empty cell: the name is unbound, as for f itself
                pass
        self.env.update(self.bound)
        for p in program.params:
            self._add(Node(p, p, "input", self.bound[p], active=p in facts.wrt))
        for step in program.steps:
            self._run_step(step)

        partials = self._partials()         # before reverse() reserves names of its own
        names = reverse(program, facts, pullback_of=pullback_of).adjoints
        self._add_nodes_and_edges(partials)
        self._accumulate(names)
        out = self._output_node()
        out.output = True
        gradient = [self.by_id[p].adjoint for p in facts.wrt]
        return Graph(function=program.name, params=list(program.params), args=dict(self.bound),
                     wrt=list(facts.wrt), nodes=self.nodes, edges=self.edges, output=out.id,
                     gradient=gradient[0] if single else tuple(gradient))

    # forward values ---------------------------------------------------------------

    def _run_step(self, step):
        module = ast.Module([_located(step.statement, step.lineno)], type_ignores=[])
        code = syntax.compile(module, self.parsed.filename, "exec")
        try:
            exec(code, self.parsed.globals, self.env)
        except Exception as exc:
            if isinstance(exc, TypeError):       # name the argument that is not a number
                try:
                    check_arguments(self.program.name, **self.bound)
                except ArgumentError as error:
                    raise error.with_traceback(None) from None
            add_note(exc, f"while s2sdiff.graph ran step ({step.number}) "
                     f"{unparse(step.statement)}, line {step.lineno}")
            raise

    def _evaluate(self, node, step, what):
        lineno = step.lineno if step is not None else self.parsed.node.lineno
        expression = ast.Expression(_located(node, lineno))
        try:
            return eval(syntax.compile(expression, self.parsed.filename, "eval"), self.parsed.globals,
                        self.env)
        except Exception as exc:
            where = "the returned value" if step is None else (
                f"step ({step.number}) {unparse(step.statement)}, line {step.lineno}")
            add_note(exc, f"while s2sdiff.graph evaluated {what} of {where}")
            raise

    # local partials ---------------------------------------------------------------

    def _partials(self):
        """{(step number, argument position): (text, value)} for the active edges."""
        modules = ModuleAliases(self.program)
        built = []
        for step in self.program.steps:
            if not self._step_active(step):
                continue
            m = modules.namespace_for(step)
            exprs = step.rule.partials(m, Expr.name(step.target), *map(Expr, step.args))
            for position, (atom, partial) in enumerate(zip(step.args, exprs)):
                if self.facts.is_active(atom):
                    built.append((step, position, as_node(partial)))
        self.env.update(modules.injected())     # a module alias bound for generated code only
        result = {}
        for step, position, node in built:
            what = f"the partial for {ast.unparse(step.args[position])}"
            value = self._evaluate(node, step, what)
            result[step.number, position] = (_partial_text(node), value)
        return result

    def _step_active(self, step):
        return step.target in self.facts.varied and step.target in self.facts.useful

    # nodes and edges --------------------------------------------------------------

    def _add(self, node):
        self.nodes.append(node)
        self.by_id[node.id] = node
        return node

    def _add_nodes_and_edges(self, partials):
        for step in self.program.steps:
            active = self._step_active(step)
            sources = []
            for atom in step.args:
                if isinstance(atom, ast.Name) and atom.id in self.by_id:
                    sources.append(atom.id)                 # a parameter or an earlier step
                elif active:
                    sources.append(self._constant(atom, step).id)
                else:
                    sources.append(None)    # a constant of an inactive step is not drawn
            node = self._add(Node(step.target, step.target, "step", self.env[step.target],
                                  op=_primitive(step), number=step.number, lineno=step.lineno,
                                  statement=unparse(step.statement), active=active))
            for position, source in enumerate(sources):
                if source is not None:
                    text, value = partials.get((step.number, position), (None, None))
                    self.edges.append(Edge(source, node.id, position, text, value))

    def _constant(self, atom, step=None):
        """The node of a literal (one per occurrence) or of a free name (one per name)."""
        text = ast.unparse(atom)
        if isinstance(atom, ast.Constant):
            taken = self.program.namer.taken        # every name the function mentions
            while True:
                self.constants += 1
                ident = f"const{self.constants}"
                if ident not in taken and ident not in self.by_id:
                    break
            return self._add(Node(ident, text, "constant", atom.value))
        if text in self.by_id:                      # a global, a closure value, math.pi
            return self.by_id[text]
        return self._add(Node(text, text, "constant", self._evaluate(atom, step, text)))

    def _output_node(self):
        output = self.program.output
        if isinstance(output, ast.Name) and output.id in self.by_id:
            return self.by_id[output.id]
        return self._constant(output)               # return 1.0, or a free name

    # adjoints ---------------------------------------------------------------------

    def _accumulate(self, names):
        """Reverse accumulation over the edges, in the order of the generated reverse sweep."""
        facts = self.facts
        adjoints = {}
        output = self.program.output
        if facts.is_active(output):
            adjoints[output.id] = 1.0
        incoming = {}
        for edge in self.edges:
            if edge.active:
                incoming.setdefault(edge.target, []).append(edge)
        for step in reversed(self.program.steps):
            if not self._step_active(step):
                continue
            for edge in incoming.get(step.target, []):
                contribution = edge.value * adjoints[step.target]
                if edge.source in adjoints:
                    adjoints[edge.source] += contribution
                else:
                    adjoints[edge.source] = contribution
        for param in facts.wrt:
            adjoints.setdefault(param, 0.0)      # does not reach the output
        for node in self.nodes:
            if node.id in adjoints:
                node.adjoint = adjoints[node.id]
                node.adjoint_name = names.get(node.id)


def _located(node, lineno):
    """A copy of ``node`` with every location on ``lineno``, ready to compile."""
    node = copy.deepcopy(node)
    for child in ast.walk(node):
        if "lineno" in child._attributes:
            child.lineno = child.end_lineno = lineno
            child.col_offset = child.end_col_offset = 0
    return node


def _primitive(step):
    if step.rule is not None and step.rule.key == Syntax("sigmoid"):
        return f"sigmoid({ast.unparse(step.args[0])})"
    return ast.unparse(step.value)


def _partial_text(node):
    """The partial as the optimiser would print it: ``-1.0 / den / den``, ``2 * xpy``."""
    try:
        return ast.unparse(fold(copy.deepcopy(node)))
    except Exception:           # folding is cosmetic here: show the partial unfolded
        return ast.unparse(node)


def format_value(value: Any, digits: int = 4) -> str:
    """A short text for a value on a node or edge: ``0.5121``, ``3``, ``1`` for True,
    ``[30, 48]`` for a short vector, ``array of shape (3, 4)`` otherwise."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return str(int(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):.{digits}g}"
    shape = getattr(value, "shape", None)
    if shape is not None:
        if len(shape) == 1 and shape[0] <= 6:     # a short vector: its elements
            return "[" + ", ".join(format_value(v, digits) for v in value.tolist()) + "]"
        return f"array of shape {tuple(shape)}"
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _full(value):
    """A value at full precision, for tooltips."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return repr(float(value))
    return format_value(value, 17)


class Graph:
    """The computation graph returned by ``graph``: ``.nodes``, ``.edges``, ``.dot``."""

    def __init__(self, *, function: str, params: list[str], args: dict[str, Any], wrt: list[str],
                 nodes: list[Node], edges: list[Edge], output: str, gradient: Any) -> None:
        self.function = function    # the function's name
        self.params = params        # its parameter names
        self.args = args            # parameter -> value at the point
        self.wrt = wrt              # the differentiated parameters
        self.nodes = nodes          # Node, inputs first, then in program order
        self.edges = edges          # Edge, in program order, argument order
        self.output = output        # id of the output node
        self.gradient = gradient    # the adjoints of wrt, shaped like grad's result

    def node(self, ident: str) -> Node:
        """The node with this id (a parameter or SSA name, const1...)."""
        for node in self.nodes:
            if node.id == ident:
                return node
        raise KeyError(ident)

    @property
    def value(self) -> Any:
        """The function's value at the point: the output node's value."""
        return self.node(self.output).value

    def __repr__(self) -> str:
        point = ", ".join(f"{p}={format_value(v)}" for p, v in self.args.items())
        return (f"<s2sdiff.Graph of {self.function}({point}): {len(self.nodes)} nodes, "
                f"{len(self.edges)} edges>")

    # DOT --------------------------------------------------------------------------

    @property
    def dot(self) -> str:
        """Graphviz DOT text of the graph; the same graph always gives the same text."""
        return self.to_dot()

    def to_dot(self, digits: int = 4, constants: bool = True) -> str:
        """DOT text with values rounded to ``digits`` significant digits (tooltips keep
        full precision); ``constants=False`` leaves out the constant nodes."""
        point = ", ".join(f"{p}={format_value(v, digits)}" for p, v in self.args.items())
        title = f"{self.function}({point}) = {format_value(self.value, digits)}"
        lines = [f"digraph {_quote(self.function)} {{",
                 '  graph [rankdir="LR", labelloc="t", fontname="Helvetica", '
                 f'label={_quote(title)}];',
                 '  node [fontname="Helvetica", fontsize="11"];',
                 '  edge [fontname="Helvetica", fontsize="9"];']
        shown = set()
        for node in self.nodes:
            if node.kind == "constant" and not constants and not node.output:
                continue
            shown.add(node.id)
            attrs = {"label": "\n".join(_node_lines(node, digits)),
                     "tooltip": "\n".join(_node_lines(node, None))}
            attrs.update(_node_style(node))
            lines.append(f"  {_quote(node.id)} [{_attributes(attrs)}];")
        for edge in self.edges:
            if edge.source not in shown:
                continue
            if edge.active:
                value = format_value(edge.value, digits)
                label = edge.partial if edge.partial == value else f"{edge.partial} = {value}"
                full = _full(edge.value)
                attrs = {"label": label,
                         "tooltip": f"d({edge.target})/d({edge.source}) = {edge.partial}"
                                    + ("" if edge.partial == full else f" = {full}")}
            else:
                attrs = {"style": "dashed", "color": "gray55", "arrowhead": "open"}
            ends = f"{_quote(edge.source)} -> {_quote(edge.target)}"
            lines.append(f"  {ends} [{_attributes(attrs)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    # rendering --------------------------------------------------------------------

    def render(self, path: str | os.PathLike[str],
               format: str | None = None) -> pathlib.Path:
        """Write the graph drawn by Graphviz to ``path`` and return the path.

        ``format`` is ``"svg"``, ``"png"`` or ``"pdf"``; by default the suffix of
        ``path`` decides, and ``svg`` when it names none of them.  Needs the ``dot``
        program of Graphviz; without it an ``S2SDiffError`` says how to install it.
        """
        path = pathlib.Path(path)
        if format is None:
            suffix = path.suffix.lower().lstrip(".")
            format = suffix if suffix in FORMATS else "svg"
        if format not in FORMATS:
            raise S2SDiffError(f"Graph.render: format must be one of {', '.join(FORMATS)}, "
                               f"got {format!r}", construct="format")
        path.write_bytes(self._run_dot(format))
        return path

    def _repr_svg_(self) -> str | None:
        """SVG for Jupyter, when Graphviz's ``dot`` is installed (else None: text repr)."""
        if shutil.which("dot") is None:
            return None
        return self._run_dot("svg").decode("utf-8")

    def _run_dot(self, format: str) -> bytes:
        program = shutil.which("dot")
        if program is None:
            raise S2SDiffError("Graph.render needs the `dot` program of Graphviz, which is not "
                               "installed (not found on PATH)", construct="graphviz",
                               hint=INSTALL_HINT)
        result = subprocess.run([program, f"-T{format}"], input=self.dot.encode("utf-8"),
                                capture_output=True, check=False)
        if result.returncode != 0:
            raise S2SDiffError(f"Graphviz `dot -T{format}` failed with exit status "
                               f"{result.returncode}: "
                               f"{result.stderr.decode('utf-8', 'replace').strip()}",
                               construct="graphviz")
        return result.stdout


def _node_lines(node, digits):
    """The label of a node (``digits=None``: the tooltip, full precision, source line)."""
    show = _full if digits is None else (lambda v: format_value(v, digits))
    if node.kind == "constant":
        literal = node.name == repr(node.value) or node.name == str(node.value)
        if literal:
            return [node.name if digits is not None else f"constant {node.name}"]
        return [node.name, f"value = {show(node.value)}"]
    if node.kind == "step":
        lines = [f"{node.name} = {node.op}   ({node.number})"]
        if digits is None:
            lines.append(f"{node.statement}, line {node.lineno}")
    else:
        lines = [f"{node.name}   (input)"]
    lines.append(f"value = {show(node.value)}")
    if node.adjoint is not None:
        lines.append(f"{node.adjoint_name or 'd' + node.name} = {show(node.adjoint)}")
    return lines


def _node_style(node):
    if node.kind == "input":
        style = {"shape": "ellipse", "style": "filled",
                 "fillcolor": "lightblue" if node.active else "gray92"}
    elif node.kind == "constant":
        style = {"shape": "plaintext", "fontcolor": "gray35", "fontsize": "9"}
    else:
        style = {"shape": "box", "style": "rounded,filled",
                 "fillcolor": "white" if node.active else "gray92"}
    if not node.active and node.kind != "constant":
        style["fontcolor"] = "gray35"
    if node.output:
        style.update({"style": "rounded,filled,bold", "fillcolor": "gold", "penwidth": "2",
                      "shape": "box" if node.kind != "input" else "ellipse"})
    return style


def _attributes(attrs):
    return ", ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


def _quote(text):
    """A DOT double-quoted string; newlines become ``\\n`` (centred lines)."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
