"""The CNN example: pytorch/examples' Net, its state_dict PyTorch's, a short run that learns."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
cnn = importlib.import_module("cnn")


def test_a_short_run_on_the_sample_learns_and_draws(tmp_path):
    limits = ["--train-limit", "960", "--test-limit", "500"]
    result = cnn.main(["--dataset", "sample", "--epochs", "1", *limits, "--out", str(tmp_path)])
    assert result.history.test_accuracy[-1] >= 0.70  # chance is 0.10; 81 % measured
    assert sorted(path.name for path in result.pictures) == [
        "cnn_mnist-sample_curves.png",
        "cnn_mnist-sample_filters.png",
        "cnn_mnist-sample_misclassified.png",
    ]


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
