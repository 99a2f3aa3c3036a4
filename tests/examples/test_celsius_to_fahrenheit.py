"""One neuron learns F = 1.8 C + 32 with the engine's gradients and nn.optim.SGD."""

import importlib
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
celsius_to_fahrenheit = importlib.import_module("celsius_to_fahrenheit")


def test_data_is_100_celsius_values_and_their_fahrenheit():
    celsius, fahrenheit = celsius_to_fahrenheit.make_data()
    assert celsius.tolist() == list(range(-50, 50))
    assert fahrenheit[0] == -58.0 and fahrenheit[-1] == 49 * 1.8 + 32


def test_neuron_converges_to_w_1_8_and_b_32():
    fit = celsius_to_fahrenheit.train()
    assert abs(fit.weight - 1.8) <= 0.01
    assert abs(fit.bias - 32.0) <= 0.05
    assert fit.losses[-1] < 1e-3 * fit.losses[0]


def test_untrained_neuron_is_far_from_the_answer():
    fit = celsius_to_fahrenheit.train(steps=1)
    assert abs(fit.initial_bias - 32.0) > 5  # so the test above shows learning, not luck
