"""The PyTorch-style MNIST program, run with `import autodiff as torch`, learns the digits."""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import autodiff

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
port = importlib.import_module("pytorch_port")


def test_the_cnn_learns_from_640_digits_to_50_percent_on_held_out_ones(capsys, tmp_path):
    path = tmp_path / "mnist_cnn.pt"
    args = ["--train-size", "640", "--test-size", "500", "--epochs", "1", "--log-interval", "2"]
    model = port.main([*args, "--save-model", str(path)])
    out = capsys.readouterr().out
    assert "epoch 1, step 0: 0/640 images (0%), loss " in out
    correct, total = map(int, re.search(r"(\d+)/(\d+) right", out).groups())
    assert total == 500 and correct / total >= 0.50  # 73.6 % measured; chance is 10 %
    losses = [float(v) for v in re.findall(r"loss ([\d.]+)$", out, re.MULTILINE)]
    assert len(losses) == 5 and losses[-1] < 0.75 * losses[0]  # 2.51 to 1.37 measured
    assert all(p.dtype == np.float32 for p in model.parameters())  # no silent float64
    reloaded = port.Net()
    reloaded.load_state_dict(autodiff.load(path, map_location="cpu", weights_only=True))
    for (name, p), (other, q) in zip(model.named_parameters(), reloaded.named_parameters()):
        assert name == other
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_the_ported_functions_see_pytorch_semantics():
    _, held_out = port.mnist_datasets(9000)
    data, target = held_out.tensors[0][:5], held_out.tensors[1][:5]
    assert data.size(0) == len(data) == 5 and data.size() == (5, 1, 28, 28)
    assert data.dtype == autodiff.float32 and target.dtype == autodiff.long
    pred = port.Net()(data).argmax(dim=1, keepdim=True)
    assert pred.shape == (5, 1) and target.view_as(pred).shape == (5, 1)


def test_the_script_runs_as_a_program():
    completed = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "pytorch_port.py"),
            "--dry-run",
            "--train-size",
            "500",
            "--test-size",
            "200",
        ],
        cwd=EXAMPLES.parent,
        env={**os.environ, "PYTHONPATH": str(EXAMPLES.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "epoch 1, step 0: 0/500 images (0%)" in completed.stdout
    assert " right (" in completed.stdout
