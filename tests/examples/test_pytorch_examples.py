"""Six programs in the style of pytorch/examples (pytorch_examples/*.py, written for PyTorch)
run twice from the same seed: as they are on PyTorch, and with only their import lines changed
(`import autodiff as torch`, ...) on autodiff. Random draws, initialisation, data order and
dropout masks are PyTorch's, so the losses and outputs agree to 1e-5 in float32 and 1e-10 in
float64. Without PyTorch, the autodiff half still runs and must learn.
"""

import functools
import gzip
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

PROGRAMS = Path(__file__).resolve().parent / "pytorch_examples"
MNIST = Path("/work/shared/data/mnist")
IMPORTS = {  # PyTorch's import line -> autodiff's, the one change a port makes
    "import torch\n": "import autodiff as torch\n",
    "import torch.nn as nn\n": "import autodiff.nn as nn\n",
    "import torch.nn.functional as F\n": "import autodiff.nn.functional as F\n",
    "import torch.optim as optim\n": "import autodiff.optim as optim\n",
    "from torch.optim.lr_scheduler import StepLR\n": (
        "from autodiff.optim.lr_scheduler import StepLR\n"
    ),
    "from torch.utils.data import DataLoader, TensorDataset\n": (
        "from autodiff.utils.data import DataLoader, TensorDataset\n"
    ),
}
TOLERANCE = {np.dtype("float32"): 1e-5, np.dtype("float64"): 1e-10}


def load(name: str, library: str) -> types.ModuleType:
    """pytorch_examples/<name>.py as a fresh module, on PyTorch or with autodiff's imports."""
    path = PROGRAMS / f"{name}.py"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    torch_lines = [line for line in lines if re.match(r"(import|from) torch\b", line)]
    assert torch_lines and all(line in IMPORTS for line in torch_lines), torch_lines
    if library == "autodiff":
        lines = [IMPORTS.get(line, line) for line in lines]
    module = types.ModuleType(f"{name}_on_{library}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    try:
        exec(compile("".join(lines), str(path), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


@functools.cache
def digits(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` images (uint8, (count, 28, 28)) and labels of the real MNIST test set."""
    with gzip.open(MNIST / "t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(16 + count * 784)[16:], np.uint8)
    with gzip.open(MNIST / "t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(8 + count)[8:], np.uint8)
    return images.reshape(count, 28, 28).copy(), labels.astype(np.int64)


def small_digits(count: int) -> np.ndarray:
    """Digits shrunk to 16 x 16 (padded to 32, 2 x 2 means) in [-1, 1], float32 (n, 1, 16, 16)."""
    images = np.pad(digits(count)[0], ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 255
    shrunk = images.reshape(count, 16, 2, 16, 2).mean(axis=(2, 4))
    return (shrunk * 2 - 1).reshape(count, 1, 16, 16).astype(np.float32)


RUNS = {  # short runs: float32 rounding drifts a little further with every step
    "regression": lambda module: module.main(steps=150),
    "vae": lambda module: module.main(digits(256)[0]),
    "dcgan": lambda module: module.main(small_digits(96)),
    "mnist_rnn": lambda module: module.main(*digits(384)),
    "siamese": lambda module: module.main(*digits(300)),
    "time_sequence": lambda module: module.main(),
}


@functools.cache
def run(name: str, library: str) -> dict:
    return RUNS[name](load(name, library))


def assert_same(ours, theirs, where: str) -> None:
    """Equal structure; floats within the tolerance of their dtype; text and ints exactly."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), where
        for key in ours:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs), where
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_same(o, t, f"{where}[{i}]")
    elif isinstance(ours, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, where
        tolerance = TOLERANCE[ours.dtype]
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance, err_msg=where)
    elif isinstance(ours, str):
        assert ours == theirs, where
    else:
        assert type(ours) is type(theirs), f"{where}: {type(ours)} and {type(theirs)}"
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6), where


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same order of float sums on every run
    yield torch
    torch.set_num_threads(threads)


@pytest.mark.filterwarnings("ignore:dropout2d")
@pytest.mark.parametrize("name", list(RUNS))
def test_the_program_gives_pytorchs_numbers_with_only_its_imports_changed(torch, name):
    assert_same(run(name, "autodiff"), run(name, "pytorch"), name)


def early_and_late(values: list, n: int = 10) -> tuple[float, float]:
    """The mean of the first n values and of the last n: one batch's loss is noisy."""
    return float(np.mean(values[:n])), float(np.mean(values[-n:]))


def test_regression_fits_the_polynomial():
    result = load("regression", "autodiff").main()  # 400 steps
    early, late = early_and_late(result["losses"])
    assert late < 0.05 * early  # 10.2 to 0.25 measured
    learned = [float(w) for w in re.findall(r"([+-][\d.]+) x\^", result["learned"])]
    actual = [float(w) for w in re.findall(r"([+-][\d.]+) x\^", result["actual"])]
    assert len(learned) == len(actual) == 4
    np.testing.assert_allclose(learned, actual, atol=0.5)  # the x^1 term converges slowest


def test_vae_loss_falls():
    result = run("vae", "autodiff")
    assert result["train_losses"][1] < result["train_losses"][0]
    assert result["test_loss"] < result["train_losses"][0]
    assert result["comparison"].shape == (16, 1, 28, 28)
    assert 0 <= result["sample"].min() and result["sample"].max() <= 1  # pixel probabilities


def test_dcgan_trains_both_players():
    result = run("dcgan", "autodiff")
    assert result["fixed"].shape == (16, 1, 16, 16) and np.abs(result["fixed"]).max() <= 1
    errD = [step[0] for step in result["history"]]
    D_x = [step[2] for step in result["history"]]
    assert errD[-1] < errD[0] and D_x[-1] > D_x[0]  # D learns to tell the real digits


@pytest.mark.filterwarnings("ignore:dropout2d")  # the program's Dropout2d on (N, C), as PyTorch
def test_mnist_rnn_learns_the_digits():
    result = run("mnist_rnn", "autodiff")
    early, late = early_and_late(result["losses"], 4)
    assert late < early
    assert result["test_loss"] < np.log(10)  # below chance: 2.23 measured, chance is 2.30


def test_siamese_pairs_and_loss():
    history = run("siamese", "autodiff")["history"]
    assert all(same == 16 for _, _, same, _ in history)  # half the pairs are the same digit
    assert all(-1 <= similarity <= 1 for _, similarity, _, _ in history)
    assert all(0 <= correct <= 32 for *_, correct in history)
    early, late = early_and_late([loss for loss, *_ in history])
    assert late < early


def test_time_sequence_loss_falls_in_float64():
    result = run("time_sequence", "autodiff")
    assert result["prediction"].dtype == np.float64 and result["prediction"].shape == (3, 79)
    assert result["losses"][-1] < 0.5 * result["losses"][0]
    assert result["test_losses"][-1] < 0.5 * result["test_losses"][0]
