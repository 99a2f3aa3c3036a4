"""The MNIST example: a short run on the shipped sample learns, and its pieces are honest."""

import importlib
import sys
from pathlib import Path

import numpy as np

import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
mnist = importlib.import_module("mnist")


def test_two_epochs_on_the_sample_reach_90_percent_on_held_out_digits(tmp_path, capsys):
    result = mnist.main(["--dataset", "sample", "--epochs", "2", "--out", str(tmp_path)])
    assert nn.datasets.SAMPLE_NOTE in capsys.readouterr().out
    history = result.history
    assert len(history.test_accuracy) == len(history.epoch_seconds) == 2
    assert history.test_accuracy[-1] >= 0.90
    assert history.train_loss[1] < history.train_loss[0]
    assert sorted(path.name for path in result.pictures) == [
        "mnist-sample_curves.png",
        "mnist-sample_misclassified.png",
    ]


def test_sample_data_is_flat_float32_in_0_1_with_2000_held_out():
    data = mnist.load_data("sample", None, download=False)
    assert data.x_train.shape == (8000, 784) and data.x_test.shape == (2000, 784)
    assert data.x_train.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.class_names == tuple("0123456789")


def test_fashion_mnist_has_its_ten_class_names():
    assert len(mnist.FASHION_CLASSES) == 10
    assert mnist.FASHION_CLASSES[0] == "T-shirt/top" and mnist.FASHION_CLASSES[9] == "Ankle boot"


def test_full_mnist_missing_falls_back_to_the_sample_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AUTODIFF_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no cached copy either
    data = mnist.load_data("mnist", tmp_path, download=False)
    out = capsys.readouterr().out
    assert "could not be had" in out and "uses the MNIST sample instead" in out
    assert nn.datasets.SAMPLE_NOTE in out
    assert data.stem == "mnist-sample" and len(data.x_test) == 2000
