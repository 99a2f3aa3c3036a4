"""Every example runs end to end as a program, with tiny settings, and writes its pictures.

No test here touches the network: MNIST is looked for with --no-download, in empty folders.
"""

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
celsius_to_fahrenheit = importlib.import_module("celsius_to_fahrenheit")
demo = importlib.import_module("demo")


def run(script: str, *args: str, tmp_path: Path, matplotlib: bool = True) -> str:
    """Run examples/<script> with `args`, as if matplotlib were not installed unless
    `matplotlib`; return its stdout (fail with its output if it fails)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("AUTODIFF_DATA", None)  # so MNIST is found nowhere, whatever this machine has
    command = [sys.executable, str(EXAMPLES / script), *args]
    if not matplotlib:
        hide_matplotlib = (
            "import runpy, sys; sys.modules['matplotlib'] = None; "  # import raises ImportError
            f"sys.path.insert(0, {str(EXAMPLES)!r}); "
            f"sys.argv = [{script!r}, *{list(args)!r}]; "
            f"runpy.run_path({str(EXAMPLES / script)!r}, run_name='__main__')"
        )
        command = [sys.executable, "-c", hide_matplotlib]
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def assert_png(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"


def assert_graph_svg(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "mean" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program for PNG")
def test_celsius_to_fahrenheit_script(tmp_path):
    out = tmp_path / "out"
    stdout = run("celsius_to_fahrenheit.py", "--steps", "20", "--out", str(out), tmp_path=tmp_path)
    assert "step    0  loss" in stdout and "step   19  loss" in stdout
    assert "learned F = " in stdout
    assert_png(out / "celsius_to_fahrenheit.png")
    assert_png(out / "celsius_to_fahrenheit_graph.png")
    assert_graph_svg(out / "celsius_to_fahrenheit_graph.svg")
    assert "no graph picture" not in stdout


def test_celsius_to_fahrenheit_without_dot(no_dot, tmp_path, capsys):
    # in this process, which may hold matplotlib and the in-process Graphviz already: the
    # script itself runs as a program in the test above and without matplotlib below
    out = tmp_path / "out"
    celsius_to_fahrenheit.main(["--steps", "20", "--out", str(out)])
    stdout = capsys.readouterr().out
    assert "learned F = " in stdout
    assert_png(out / "celsius_to_fahrenheit.png")  # matplotlib's plot needs no Graphviz
    assert not (out / "celsius_to_fahrenheit_graph.png").exists()
    if sys.version_info >= (3, 11):  # drawn in-process; one line says why there is no PNG
        assert_graph_svg(out / "celsius_to_fahrenheit_graph.svg")
        (why,) = [line for line in stdout.splitlines() if line.startswith("no PNG of the graph")]
        assert "Graphviz's dot" in why
        assert why.endswith(str(out / "celsius_to_fahrenheit_graph.svg"))
        assert "no graph picture" not in stdout
    else:
        (why,) = [line for line in stdout.splitlines() if line.startswith("no graph picture: ")]
        assert "apt-get install graphviz" in why
        assert "Python 3.11" in why


@pytest.mark.parametrize(
    ("script", "args", "picture", "printed"),
    [
        ("xor.py", ["--steps", "500"], "xor.png", "accuracy: 100%"),
        ("moons.py", ["--samples", "100", "--steps", "300"], "moons.png", "training accuracy"),
    ],
)
def test_small_network_scripts(tmp_path, script, args, picture, printed):
    out = tmp_path / "out"
    stdout = run(script, *args, "--out", str(out), tmp_path=tmp_path)
    assert printed in stdout
    assert_png(out / picture)


def test_mnist_script_falls_back_to_the_sample_and_writes_its_pictures(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    model = tmp_path / "model.npz"
    stdout = run(
        "mnist.py", "--dataset", "mnist", "--data-dir", str(empty), "--no-download",
        "--epochs", "1", "--train-limit", "2000", "--test-limit", "50",  # one row of mistakes
        "--save", str(model), "--out", str(out),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert "The full MNIST could not be had, so this run uses the MNIST sample instead." in stdout
    assert "MNIST *test* set, split into 8,000 for training and 2,000 for testing" in stdout
    assert "2,000 training and 50 test images" in stdout
    assert "epoch  1/1" in stdout and "test accuracy" in stdout and "s training)" in stdout
    assert_png(out / "mnist-sample_curves.png")
    assert_png(out / "mnist-sample_misclassified.png")
    assert model.is_file()


@pytest.mark.parametrize(
    ("script", "args", "pictures"),
    [
        ("celsius_to_fahrenheit.py", ["--steps", "20"], ["celsius_to_fahrenheit.png"]),
        ("xor.py", ["--steps", "50"], ["xor.png"]),
        ("moons.py", ["--samples", "50", "--steps", "20"], ["moons.png"]),
        (
            "mnist.py",
            ["--dataset", "sample", "--epochs", "1", "--train-limit", "500"],
            ["mnist-sample_curves.png", "mnist-sample_misclassified.png"],
        ),
    ],
)
def test_scripts_without_matplotlib_say_why_and_exit_0(tmp_path, script, args, pictures):
    out = tmp_path / "out"
    stdout = run(script, *args, "--out", str(out), tmp_path=tmp_path, matplotlib=False)
    (why,) = [line for line in stdout.splitlines() if line.startswith("no picture")]
    assert all(name in why for name in pictures)
    assert "matplotlib cannot be imported" in why and "pip install matplotlib" in why
    assert not any((out / name).exists() for name in pictures)


def test_mnist_script_refuses_zero_epochs(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "mnist.py"), "--epochs", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "expected a positive integer, got 0" in completed.stderr


def test_demo_runs_every_example_quickly_without_dot_or_matplotlib(
    no_dot, no_matplotlib, tmp_path, capsys, monkeypatch
):
    # In this process, which has loaded the in-process Graphviz already, and without
    # matplotlib: drawing its ten pictures took most of the run, and each example's own test
    # above checks the pictures that example writes.
    monkeypatch.delenv("AUTODIFF_DATA", raising=False)  # so MNIST is found nowhere
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "out"
    pictures = demo.main(["--quick", "--no-download", "--out", str(out)])
    stdout = capsys.readouterr().out
    backprop = out / "backprop.html"  # two backward passes to watch, one page
    page = backprop.read_text(encoding="utf-8")
    assert "Celsius → Fahrenheit: the first step" in page and "micrograd's neuron" in page
    if sys.version_info >= (3, 11):  # the graphs are drawn in-process, as SVG
        graphs = [out / "celsius_to_fahrenheit_graph.svg", out / "gpt_attention_graph.svg"]
        assert pictures == [graphs[0], backprop, graphs[1]]
        for graph in graphs:
            assert_graph_svg(graph)
        listed = f"Pictures:\n  {graphs[0]}\n  {backprop}\n  {graphs[1]}\n"
        assert listed in stdout  # says where they went
        assert stdout.count("no PNG of the graph") == 1  # one line says why
    else:
        assert pictures == [backprop]  # the steps, without the graphs' pictures
        assert stdout.count("no graph picture: ") == 2  # one line each says why
    fashion = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()
    skipped = [line for line in stdout.splitlines() if line.startswith("no picture")]
    assert len(skipped) == 6 + fashion  # one line per example that draws, each saying why
    assert all("matplotlib cannot be imported" in line for line in skipped)
    for name in [
        "celsius_to_fahrenheit.png",
        "xor.png",
        "moons.png",
        "mnist-sample_curves.png",
        "cnn_mnist-sample_curves.png",
        "gpt_losses.png",
        *(["fashion-mnist_curves.png"] if fashion else []),
    ]:
        assert any(name in line for line in skipped), name
    assert stdout.count("test accuracy per epoch") == 2 + fashion  # the summary, per model
    assert stdout.count("held-out loss") == 3 + 1  # the three names models, the GPT at step 0
    assert "A sample:" in stdout
    assert "The demo took" in stdout
