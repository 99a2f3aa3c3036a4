"""Tests of the linear primitive with a column-major weight, the layout nn.Linear keeps."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor


def _column_major(array):
    """A Tensor that requires grad around a column-major copy of `array` (not re-laid out)."""
    return ad.from_numpy(np.asfortranarray(array)).requires_grad_()


@pytest.mark.parametrize("x_shape", [(1, 3), (5, 3), (2, 4, 3)])
def test_linear_gives_the_same_values_and_gradients_for_either_weight_layout(x_shape):
    rng = np.random.default_rng(0)
    x_data, w_data = rng.standard_normal(x_shape), rng.standard_normal((4, 3))
    weights = rng.standard_normal((*x_shape[:-1], 4))
    results = []
    for weight in (Tensor(w_data, requires_grad=True), _column_major(w_data)):
        x = Tensor(x_data, requires_grad=True)
        bias = Tensor(rng.standard_normal(4) * 0 + 0.5, requires_grad=True)
        out = ad.linear(x, weight, bias)
        (out * weights).sum().backward()
        results.append((out.data, x.grad.data, weight.grad.data, bias.grad.data))
    for row_major, column_major in zip(*results):
        np.testing.assert_allclose(column_major, row_major, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][0], x_data @ w_data.T + 0.5, rtol=1e-12)


def test_linear_lays_out_the_weight_gradient_as_the_weight():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((6, 5)).astype(np.float32))
    row_major = Tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    column_major = _column_major(row_major.data)
    for weight in (row_major, column_major):
        ad.linear(x, weight).sum().backward()
    assert row_major.grad.data.flags.c_contiguous
    assert column_major.grad.data.flags.f_contiguous
    assert not column_major.grad.data.flags.c_contiguous


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3)])
def test_linear_with_a_column_major_weight_matches_finite_differences(x_shape):
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    weight = _column_major(rng.standard_normal((2, 3)))
    bias = Tensor(rng.standard_normal(2), requires_grad=True)
    weights = rng.standard_normal((*x_shape[:-1], 2))  # a non-constant g
    assert ad.gradcheck(lambda x, w, b: (ad.linear(x, w, b) * weights).sum(), [x, weight, bias])


def test_linear_with_a_column_major_weight_has_exact_second_derivatives():
    """create_graph runs the VJP on Tensors, where the saved layout flag must change nothing."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    weight = _column_major(rng.standard_normal((2, 3)))
    weights = rng.standard_normal((4, 2))

    def gradient_norm(x, w):
        grads = ad.vjp(lambda x, w: ad.linear(x, w) * w.sum(), x, w)[1](weights)
        return sum((g * g).sum() for g in grads)

    assert ad.gradcheck(gradient_norm, [x, weight])
