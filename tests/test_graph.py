"""s2sdiff.graph: the computation graph of seed 002's figures, checked through its DOT text.

The DOT text is read back with the small parser below (no Graphviz needed) and checked
against values worked out by hand at (3, -4), against ``grad`` and against itself (each
adjoint is the sum over the node's outgoing edges of partial times the consumer's
adjoint).  Rendering runs only where Graphviz's ``dot`` is installed; the error without
it is checked by hiding ``dot``.
"""

import dataclasses
import html
import math
import os
import re
import shutil
import subprocess
import sys

import pytest

import functions as corpus
import golden_functions
import s2sdiff
from s2sdiff import ArgumentError, NotScalarError, S2SDiffError, grad
from s2sdiff.graph import Edge, Graph, Node

f = golden_functions.f          # seed 002's staged function
POINT = (3.0, -4.0)
HAS_DOT = shutil.which("dot") is not None


# a tiny DOT reader -----------------------------------------------------------------

QUOTED = r'"((?:[^"\\]|\\.)*)"'
NODE = re.compile(rf"^\s*{QUOTED}\s*\[(.*)\];\s*$")
EDGE = re.compile(rf"^\s*{QUOTED}\s*->\s*{QUOTED}\s*\[(.*)\];\s*$")
ATTRIBUTE = re.compile(rf"(\w+)={QUOTED}")


def unescape(text):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def attributes(text):
    return {key: unescape(value) for key, value in ATTRIBUTE.findall(text)}


@dataclasses.dataclass
class Dot:
    name: str
    graph: dict
    nodes: dict         # id -> attributes, in file order
    edges: list         # (source, target, attributes), in file order


def parse_dot(text):
    lines = text.splitlines()
    header = re.match(rf"^digraph {QUOTED} \{{$", lines[0])
    assert header, lines[0]
    assert lines[-1] == "}"
    dot = Dot(unescape(header.group(1)), {}, {}, [])
    for line in lines[1:-1]:
        if (match := re.match(r"^\s*(graph|node|edge) \[(.*)\];$", line)):
            if match.group(1) == "graph":
                dot.graph = attributes(match.group(2))
        elif (match := EDGE.match(line)):
            dot.edges.append((unescape(match.group(1)), unescape(match.group(2)),
                              attributes(match.group(3))))
        elif (match := NODE.match(line)):
            node = unescape(match.group(1))
            assert node not in dot.nodes, f"node {node} declared twice"
            dot.nodes[node] = attributes(match.group(2))
        else:
            raise AssertionError(f"unexpected DOT line {line!r}")
    return dot


def numbers_of(label):
    """``{"value": 1.95, "dden": -0.79}`` from the ``name = number`` lines of a label."""
    result = {}
    for line in label.split("\n"):
        match = re.fullmatch(r"(\w+) = (-?[\d.e+-]+|inf|nan)", line)
        if match:
            result[match.group(1)] = float(match.group(2))
    return result


# values at (3, -4), worked out by hand -------------------------------------------

def by_hand(x, y):
    sigy = 1 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1 / den
    out = num * invden
    values = dict(x=x, y=y, sigy=sigy, num=num, sigx=sigx, xpy=xpy, xpysqr=xpysqr, den=den,
                  invden=invden, f=out)
    df = 1.0
    dnum, dinvden = invden * df, num * df
    dden = -1 / den ** 2 * dinvden
    dsigx, dxpysqr = dden, dden
    dxpy = 2 * xpy * dxpysqr
    dsigy = dnum
    dx = dxpy + (1 - sigx) * sigx * dsigx + dnum
    dy = dxpy + (1 - sigy) * sigy * dsigy
    adjoints = dict(x=dx, y=dy, sigy=dsigy, num=dnum, sigx=dsigx, xpy=dxpy, xpysqr=dxpysqr,
                    den=dden, invden=dinvden, f=df)
    return values, adjoints


VALUES, ADJOINTS = by_hand(*POINT)

# (source, target, partial) for every edge of the seed function, in program order.
SEED_EDGES = [
    ("y", "sigy", "sigy * (1 - sigy if sigy < 0.75 else math.exp(-y) * sigy)"),
    ("x", "num", "1"), ("sigy", "num", "1"),
    ("x", "sigx", "sigx * (1 - sigx if sigx < 0.75 else math.exp(-x) * sigx)"),
    ("x", "xpy", "1"), ("y", "xpy", "1"),
    ("xpy", "xpysqr", "2 * xpy"), ("const1", "xpysqr", None),
    ("sigx", "den", "1"), ("xpysqr", "den", "1"),
    ("const2", "invden", None), ("den", "invden", "-1.0 / den / den"),
    ("num", "f", "invden"), ("invden", "f", "num"),
]


@pytest.fixture(scope="module")
def seed():
    return s2sdiff.graph(f, *POINT)


@pytest.fixture(scope="module")
def seed_dot(seed):
    return parse_dot(seed.dot)


# the seed function ---------------------------------------------------------------

def test_exported():
    assert "graph" in s2sdiff.__all__
    assert s2sdiff.graph(f, *POINT).gradient == grad(f)(*POINT)


def test_nodes_are_inputs_constants_and_steps_in_program_order(seed_dot):
    assert list(seed_dot.nodes) == ["x", "y", "sigy", "num", "sigx", "xpy", "const1", "xpysqr",
                                    "den", "const2", "invden", "f"]
    first_lines = {node: attrs["label"].split("\n")[0] for node, attrs in seed_dot.nodes.items()}
    assert first_lines == {
        "x": "x   (input)", "y": "y   (input)",
        "sigy": "sigy = sigmoid(y)   (1)", "num": "num = x + sigy   (2)",
        "sigx": "sigx = sigmoid(x)   (3)", "xpy": "xpy = x + y   (4)",
        "const1": "2", "xpysqr": "xpysqr = xpy ** 2   (5)",
        "den": "den = sigx + xpysqr   (6)", "const2": "1.0",
        "invden": "invden = 1.0 / den   (7)", "f": "f = num * invden   (8)"}
    assert seed_dot.graph["label"] == "f(x=3, y=-4) = 1.546"
    assert seed_dot.graph["rankdir"] == "LR"


def test_den_by_hand(seed_dot):
    den = seed_dot.nodes["den"]
    assert den["label"] == "den = sigx + xpysqr   (6)\nvalue = 1.953\ndden = -0.7916"
    sigx = 1 / (1 + math.exp(-3.0))
    num = 3.0 + 1 / (1 + math.exp(4.0))
    full = numbers_of(den["tooltip"])
    assert full["value"] == pytest.approx(sigx + 1.0, rel=1e-15)           # (3 - 4)**2 = 1
    assert full["dden"] == pytest.approx(-num / (sigx + 1.0) ** 2, rel=1e-15)
    assert "den = sigx + xpysqr, line" in den["tooltip"]


def test_values_and_adjoints_on_every_node(seed_dot):
    for name, expected in VALUES.items():
        attrs = seed_dot.nodes[name]
        rounded, full = numbers_of(attrs["label"]), numbers_of(attrs["tooltip"])
        assert full["value"] == pytest.approx(expected, rel=1e-14), name
        assert rounded["value"] == pytest.approx(expected, rel=1e-3), name
        assert f"{expected:.4g}" == f"{rounded['value']:.4g}"
        adjoint = "d" + name
        assert full[adjoint] == pytest.approx(ADJOINTS[name], rel=1e-14), name
        assert rounded[adjoint] == pytest.approx(ADJOINTS[name], rel=1e-3), name
    for constant in ("const1", "const2"):
        assert numbers_of(seed_dot.nodes[constant]["tooltip"]) == {}     # no value, no adjoint


def test_adjoints_at_the_inputs_are_the_gradient(seed, seed_dot):
    dx, dy = grad(f)(*POINT)
    assert numbers_of(seed_dot.nodes["x"]["tooltip"])["dx"] == pytest.approx(dx, rel=1e-15)
    assert numbers_of(seed_dot.nodes["y"]["tooltip"])["dy"] == pytest.approx(dy, rel=1e-15)
    assert seed.gradient == pytest.approx((dx, dy), rel=1e-15)
    assert seed.node("x").adjoint == pytest.approx(dx, rel=1e-15)
    assert seed.value == f(*POINT)


def test_edges_carry_the_local_partials(seed_dot):
    found = []
    for source, target, attrs in seed_dot.edges:
        label = attrs.get("label")
        partial = None if label is None else label.split(" = ")[0]
        found.append((source, target, partial))
    assert found == SEED_EDGES
    den_invden = next(a for s, t, a in seed_dot.edges if (s, t) == ("den", "invden"))
    assert den_invden["label"] == "-1.0 / den / den = -0.2623"
    value = float(den_invden["tooltip"].rsplit(" = ", 1)[1])
    assert value == pytest.approx(-1 / VALUES["den"] ** 2, rel=1e-15)
    assert den_invden["tooltip"].startswith("d(invden)/d(den) = -1.0 / den / den = ")
    for source, target, attrs in seed_dot.edges:
        if source.startswith("const"):
            assert attrs["style"] == "dashed" and "label" not in attrs


def test_adjoints_flow_back_along_the_edges(seed_dot):
    """Each adjoint is the sum of partial * adjoint over the node's outgoing edges."""
    adjoint = {n: numbers_of(a["tooltip"]).get("d" + n) for n, a in seed_dot.nodes.items()}
    partial = {}
    for source, target, attrs in seed_dot.edges:
        if "label" in attrs:
            text = attrs["tooltip"].split(" = ", 1)[1]
            expression, _, number = text.rpartition(" = ")
            partial[source, target] = float(number) if expression else float(text)
    for node in seed_dot.nodes:
        outgoing = [(s, t) for s, t in partial if s == node]
        if node == "f":
            assert adjoint[node] == 1.0
        elif outgoing:
            total = sum(partial[edge] * adjoint[edge[1]] for edge in outgoing)
            assert adjoint[node] == pytest.approx(total, rel=1e-14), node


def test_output_is_highlighted(seed_dot):
    outputs = [n for n, a in seed_dot.nodes.items() if a.get("fillcolor") == "gold"]
    assert outputs == ["f"]
    assert seed_dot.nodes["f"]["penwidth"] == "2"
    assert seed_dot.nodes["x"]["fillcolor"] == "lightblue"
    assert seed_dot.nodes["const1"]["shape"] == "plaintext"


def test_nodes_and_edges_are_plain_dataclasses(seed):
    assert all(dataclasses.is_dataclass(n) and type(n) is Node for n in seed.nodes)
    assert all(dataclasses.is_dataclass(e) and type(e) is Edge for e in seed.edges)
    assert isinstance(seed, Graph)
    den = seed.node("den")
    assert (den.kind, den.op, den.number, den.adjoint_name, den.active, den.output) == \
        ("step", "sigx + xpysqr", 6, "dden", True, False)
    assert den.value == pytest.approx(VALUES["den"], rel=1e-15)
    edge = next(e for e in seed.edges if (e.source, e.target) == ("den", "invden"))
    assert (edge.position, edge.partial) == (1, "-1.0 / den / den")
    assert edge.value == pytest.approx(-1 / VALUES["den"] ** 2, rel=1e-15)
    assert seed.node("sigy").op == "sigmoid(y)"
    assert seed.node("f").output and seed.output == "f"
    assert repr(seed) == "<s2sdiff.Graph of f(x=3, y=-4): 12 nodes, 14 edges>"


def test_adjoint_names_are_those_of_the_generated_gradient():
    source = grad(golden_functions.adjoint_like_names, optimize=False).source
    g = s2sdiff.graph(golden_functions.adjoint_like_names, 1.2, 0.4)
    names = {n.id: n.adjoint_name for n in g.nodes if n.adjoint is not None}
    assert names["x"] == "d_x" and names["dx"] == "d_dx"
    for name in names.values():
        assert re.search(rf"\b{name} \+?= ", source), name
    assert "d_dx = 1.2" in g.dot


def test_dot_is_deterministic(seed):
    again = s2sdiff.graph(f, *POINT)
    assert again.dot == seed.dot
    assert [n.id for n in again.nodes] == [n.id for n in seed.nodes]
    script = ("import sys; sys.path.insert(0, 'tests'); import golden_functions, s2sdiff; "
              "sys.stdout.write(s2sdiff.graph(golden_functions.f, 3.0, -4.0).dot)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for seed_value in ("0", "12345"):      # and this process (a random seed, above)
        env = dict(os.environ, PYTHONHASHSEED=seed_value)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        out = subprocess.run([sys.executable, "-c", script], cwd=root, env=env,
                             capture_output=True, text=True, check=True).stdout
        assert out == seed.dot


def test_constants_can_be_left_out(seed):
    dot = parse_dot(seed.to_dot(constants=False))
    assert "const1" not in dot.nodes and all(not s.startswith("const") for s, _, _ in dot.edges)
    assert len(dot.edges) == 12
    assert "value = 1.95257" in seed.to_dot(digits=6)


# wrt, other functions -------------------------------------------------------------

def test_wrt_one_parameter():
    g = s2sdiff.graph(f, *POINT, wrt="x")
    assert g.gradient == pytest.approx(grad(f, wrt="x")(*POINT), rel=1e-15)
    dot = parse_dot(g.dot)
    assert "dy" not in numbers_of(dot.nodes["y"]["label"])
    assert dot.nodes["y"]["fillcolor"] == "gray92"
    assert "dsigy" not in numbers_of(dot.nodes["sigy"]["label"])
    edge = next(a for s, t, a in dot.edges if (s, t) == ("y", "sigy"))
    assert edge["style"] == "dashed"
    assert g.node("sigy").adjoint is None and g.node("sigx").adjoint is not None
    assert s2sdiff.graph(f, *POINT, wrt=("y", "x")).gradient == \
        pytest.approx(grad(f, wrt=("y", "x"))(*POINT), rel=1e-15)


def unreached(x, y, z):
    a = x * x
    b = math.sin(y)
    return a + 1.0


def test_parameter_that_does_not_reach_the_output():
    g = s2sdiff.graph(unreached, 1.5, 2.0, 3.0, wrt=("x", "y"))
    assert g.gradient == grad(unreached, wrt=("x", "y"))(1.5, 2.0, 3.0) == (3.0, 0.0)
    assert g.node("y").adjoint == 0.0 and g.node("z").adjoint is None
    assert g.node("b").adjoint is None and not g.node("b").active
    assert [(e.source, e.target, e.position) for e in g.edges if e.target == "a"] == \
        [("x", "a", 0), ("x", "a", 1)]          # x * x: two edges, both summed into dx


def returns_parameter(x):
    return x


def returns_constant(x):
    return 1.0


def test_trivial_outputs():
    g = s2sdiff.graph(returns_parameter, 2.0)
    assert g.output == "x" and g.gradient == 1.0 and g.edges == []
    g = s2sdiff.graph(returns_constant, 2.0)
    assert g.node(g.output).kind == "constant" and g.gradient == 0.0 == grad(returns_constant)(2.0)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.func.__name__ for c in corpus.CASES])
def test_corpus_adjoints_equal_grad(case):
    g = s2sdiff.graph(case.func, *case.point)
    expected = grad(case.func)(*case.point)
    assert g.gradient == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert g.value == case.func(*case.point)
    dot = parse_dot(g.dot)
    assert list(dot.nodes) == [n.id for n in g.nodes]
    assert [(s, t) for s, t, _ in dot.edges] == [(e.source, e.target) for e in g.edges]


# errors -----------------------------------------------------------------------------

def logarithm(x):
    return math.log(x)


def two_outputs(x, y):
    return x * y, x + y


def test_errors():
    with pytest.raises(NotScalarError, match="returns a tuple of 2 values"):
        s2sdiff.graph(two_outputs, 1.0, 2.0)
    with pytest.raises(ArgumentError, match="missing a required argument: 'y'"):
        s2sdiff.graph(f, 3.0)
    with pytest.raises(ArgumentError, match="argument 'y' of f must be a real number"):
        s2sdiff.graph(f, 3.0, "a")
    with pytest.raises(ValueError, match="math domain error") as info:
        s2sdiff.graph(logarithm, -1.0)
    assert "while s2sdiff.graph ran step (1)" in "\n".join(info.value.__notes__)
    with pytest.raises(S2SDiffError, match="wrt='z' is not a parameter"):
        s2sdiff.graph(f, *POINT, wrt="z")


# rendering --------------------------------------------------------------------------

@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_svg_and_png(seed, tmp_path):
    svg = seed.render(tmp_path / "seed.svg")
    assert svg == tmp_path / "seed.svg"
    text = html.unescape(svg.read_text())       # dot writes - as &#45;
    assert "<svg" in text and "dden = -0.7916" in text and "-1.0 / den / den = -0.2623" in text
    png = seed.render(tmp_path / "seed.png", format="png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    other = seed.render(tmp_path / "seed.graph")          # unknown suffix: svg
    assert "<svg" in other.read_text()
    assert "<svg" in seed._repr_svg_()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_every_corpus_graph_renders(tmp_path):
    for case in corpus.CASES[:10]:
        s2sdiff.graph(case.func, *case.point).render(tmp_path / f"{case.func.__name__}.svg")


def test_clear_error_without_graphviz(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(S2SDiffError) as info:
        seed.render(tmp_path / "seed.svg")
    message = str(info.value)
    assert "Graphviz" in message and "`dot`" in message
    assert "apt-get install graphviz" in message and "conda install graphviz" in message
    assert not (tmp_path / "seed.svg").exists()
    assert seed._repr_svg_() is None
    assert seed.dot.startswith('digraph "f" {')          # the DOT text needs no Graphviz


def test_bad_format(seed, tmp_path):
    with pytest.raises(S2SDiffError, match="format must be one of svg, png, pdf"):
        seed.render(tmp_path / "seed.svg", format="jpeg")


def test_format_value():
    import numpy as np
    from s2sdiff.graph import format_value
    assert [format_value(v) for v in (1.0, -0.26229193647725, 3, True, 1e-20)] == \
        ["1", "-0.2623", "3", "1", "1e-20"]
    assert format_value(np.array([30.0, 48.5])) == "[30, 48.5]"
    assert format_value(np.zeros((3, 4))) == "array of shape (3, 4)"
    assert format_value(np.float64(2.5)) == "2.5"
