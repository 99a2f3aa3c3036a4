"""The CNN example: pytorch/examples' Net, its state_dict PyTorch's, a short run that learns."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
cnn = importlib.import_module("cnn")


def test_eight_batches_of_the_sample_learn_to_50_percent_on_held_out_digits(
    no_matplotlib, tmp_path
):
    limits = ["--train-limit", "512", "--test-limit", "300"]
    result = cnn.main(["--dataset", "sample", "--epochs", "1", *limits, "--out", str(tmp_path)])
    assert result.history.test_accuracy[-1] >= 0.50  # chance is 0.10; 85 % measured
    assert result.pictures == []  # matplotlib hidden: training alone, no pictures


def test_a_short_run_draws_its_curves_misclassified_digits_and_filters(tmp_path):
    limits = ["--train-limit", "64", "--test-limit", "8"]  # 8 test digits: one row of mistakes
    result = cnn.main(["--dataset", "sample", "--epochs", "1", *limits, "--out", str(tmp_path)])
    assert sorted(path.name for path in result.pictures) == [
        "cnn_mnist-sample_curves.png",
        "cnn_mnist-sample_filters.png",
        "cnn_mnist-sample_misclassified.png",
    ]
    for path in result.pictures:
        assert path.parent == tmp_path
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_images_are_normalized_float32_in_nchw():
    rows = np.linspace(0, 1, 2 * 784, dtype=np.float32).reshape(2, 784)
    x = cnn.images(rows)
    assert x.shape == (2, 1, 28, 28) and x.dtype == np.float32
    assert x.min() == pytest.approx(-cnn.MEAN / cnn.STD)


def test_net_state_dict_is_pytorch_examples_net():
    torch = pytest.importorskip("torch")

    class TorchNet(torch.nn.Module):  # pytorch/examples mnist/main.py's layers
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = torch.nn.Dropout(0.25)
            self.dropout2 = torch.nn.Dropout(0.5)
            self.fc1 = torch.nn.Linear(9216, 128)
            self.fc2 = torch.nn.Linear(128, 10)

    ours = cnn.Net().state_dict()
    theirs = TorchNet().state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_without_matplotlib_it_trains_and_says_which_pictures_it_skips(tmp_path):
    out = tmp_path / "out"
    args = ["--dataset", "sample", "--train-limit", "64", "--test-limit", "100"]
    hide_matplotlib = (
        "import runpy, sys; sys.modules['matplotlib'] = None; "  # import raises ImportError
        f"sys.path.insert(0, {str(EXAMPLES)!r}); "
        f"sys.argv = ['cnn.py', *{[*args, '--epochs', '1', '--out', str(out)]!r}]; "
        f"runpy.run_path({str(EXAMPLES / 'cnn.py')!r}, run_name='__main__')"
    )
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent)}
    completed = subprocess.run(
        [sys.executable, "-c", hide_matplotlib],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "test accuracy" in completed.stdout
    (why,) = [line for line in completed.stdout.splitlines() if line.startswith("no pictures")]
    assert "cnn_mnist-sample_curves.png" in why and "matplotlib cannot be imported" in why
    assert not out.exists() or not any(out.iterdir())
