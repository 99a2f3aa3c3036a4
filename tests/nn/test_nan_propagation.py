"""binary_cross_entropy gives NaN for a NaN probability (loss and gradient) instead of the
clamped -100 log that would hide it behind a finite loss (PyTorch raises an error there).
"""

import numpy as np
import pytest

import nn
from autodiff import Tensor

P = np.array([0.5, np.nan, 0.0, 1.0, 0.25])
Y = np.array([1.0, 1.0, 0.0, 1.0, 0.0])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_of_a_nan_probability_is_nan(reduction):
    assert np.isnan(nn.functional.binary_cross_entropy(Tensor(P), Y, reduction=reduction).item())


def test_bce_keeps_the_other_elements_and_their_gradients_and_gives_nan_for_nan():
    p = Tensor(P, requires_grad=True)
    losses = nn.functional.binary_cross_entropy(p, Y, reduction="none")
    losses.sum().backward()
    expected = [np.log(2.0), np.nan, 0.0, 0.0, -np.log(0.75)]
    np.testing.assert_allclose(losses.numpy(), expected, rtol=1e-15)
    np.testing.assert_allclose(p.grad.numpy(), [-2.0, np.nan, 1.0, -1.0, 1 / 0.75], rtol=1e-15)


def test_bce_still_refuses_values_outside_zero_one_next_to_nan():
    with pytest.raises(ValueError, match=r"input holds 1.5..1.5 outside \[0, 1\]"):
        nn.functional.binary_cross_entropy(Tensor([np.nan, 1.5]), np.ones(2))
