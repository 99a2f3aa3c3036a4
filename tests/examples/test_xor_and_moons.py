"""Small networks on 2-d data: XOR (2-4-1, sigmoid) and two moons (2-5-2, sigmoid, softmax)."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
xor = importlib.import_module("xor")
moons = importlib.import_module("moons")


def test_xor_network_reaches_100_percent():
    model, loss = xor.train()
    assert nn.metrics.accuracy(xor.predict(model, xor.X), xor.Y) == 1.0
    assert loss < 0.05


def test_make_moons_shapes_classes_and_seed():
    x, y = moons.make_moons(101, noise=0.1, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float32
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [50, 51]
    again, _ = moons.make_moons(101, noise=0.1, seed=3)
    np.testing.assert_array_equal(x, again)
    other, _ = moons.make_moons(101, noise=0.1, seed=4)
    assert not np.array_equal(x, other)


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_make_moons_noise_is_the_std_of_the_offsets(noise):
    clean, _ = moons.make_moons(2000, noise=0.0, seed=0)
    noisy, _ = moons.make_moons(2000, noise=noise, seed=0)
    assert abs(float((noisy - clean).std()) - noise) < 0.01


def test_moons_without_noise_lie_on_two_half_circles():
    x, y = moons.make_moons(200, noise=0.0, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all() and (lower[:, 1] <= 0.5 + 1e-6).all()


def test_moons_network_reaches_97_percent_training_accuracy():
    x, y = moons.make_moons(200, noise=0.1, seed=0)
    model = moons.train(x, y)
    assert nn.metrics.accuracy(moons.predict(model, x), y) >= 0.97
