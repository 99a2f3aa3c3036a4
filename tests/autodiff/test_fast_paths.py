"""Ops with a fast path for a common case give what their general path gives."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import shape as shape_ops
from autodiff.ops.elementwise import power


@pytest.mark.parametrize("exponent", [2.0, 3.0, 4.0, 0.5, -1.0, -0.5, -2.0, 1.5, 7.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_scalar_power_equals_numpys(exponent, dtype):
    x = np.random.default_rng(0).uniform(0.1, 3.0, (4, 5)).astype(dtype)
    got = power(x, np.asarray(exponent, dtype))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, x**exponent, rtol=4 * np.finfo(dtype).eps)


def test_a_power_keeps_numpys_meaning_where_no_shortcut_applies():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(power(x, np.array([2.0, 3.0, 0.5])), x ** np.array([2, 3, 0.5]))
    ints = np.array([2, 3])
    assert power(ints, np.asarray(2)).dtype == ints.dtype  # integers keep numpy's rule
    with np.errstate(invalid="ignore"):  # numpy warns of the NaN as its power does
        np.testing.assert_array_equal(power(np.array([-4.0]), np.asarray(0.5)), [np.nan])


def test_the_gradient_of_a_cube_by_hand():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    (x**3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])  # 3x²


@pytest.mark.parametrize("rows", [5, 300])  # one-hot product / sorting
@pytest.mark.parametrize("index_shape", [(7,), (3, 4), (0,)])
def test_scatter_add_of_rows_equals_add_at(rows, index_shape):
    rng = np.random.default_rng(1)
    index = rng.integers(-rows, rows, index_shape)
    g = rng.standard_normal((*index_shape, 2, 3))
    expected = np.zeros((rows, 2, 3))
    np.add.at(expected, index, g)
    got = shape_ops.scatter_add(g, shape=(rows, 2, 3), index=index)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_an_embedding_gradient_counts_repeated_rows():
    weight = ad.zeros(4, 2, requires_grad=True)
    weight[np.array([[1, 1], [3, 1]])].sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_linear_on_a_batch_of_sequences_equals_its_matrix_form():
    rng = np.random.default_rng(2)
    x = ad.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    out = ad.linear(x, w)
    np.testing.assert_allclose(out.numpy(), x.numpy() @ w.numpy().T, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(w.numpy().sum(0), (2, 3, 4)))


def test_max_pool_takes_the_first_maximum_of_a_window_and_routes_its_gradient():
    x = ad.tensor([[[[1.0, 5.0], [5.0, 2.0]]]], requires_grad=True)
    out = ad.max_pool2d(x, kernel_size=2)
    out.sum().backward()
    assert out.item() == 5.0
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])  # the first 5 only
