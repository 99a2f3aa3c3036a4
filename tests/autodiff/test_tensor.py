"""Tensor construction, dtypes, properties and repr."""

import numpy as np
import pytest

import autodiff as ad


def test_python_floats_become_the_default_dtype():
    assert ad.Tensor(1.5).dtype == np.float32
    assert ad.Tensor([[1.0, 2.0]]).dtype == np.float32
    assert ad.Tensor(3).dtype == np.int64
    assert ad.Tensor([True, False]).dtype == np.bool_


def test_numpy_float_arrays_keep_their_dtype():
    assert ad.Tensor(np.zeros(3, np.float64)).dtype == np.float64
    assert ad.Tensor(np.zeros(3, np.float16)).dtype == np.float16
    assert ad.Tensor(np.float64(2.0)).dtype == np.float64


def test_set_default_dtype_changes_what_floats_become():
    try:
        ad.set_default_dtype(np.float64)
        assert ad.Tensor(1.0).dtype == np.float64
    finally:
        ad.set_default_dtype(np.float32)
    assert ad.Tensor(1.0).dtype == np.float32
    with pytest.raises(ad.DTypeError, match="floating"):
        ad.set_default_dtype(np.int32)


def test_python_scalars_never_change_a_tensors_dtype():
    x = ad.Tensor([1.0, 2.0])
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3, 1 - x, x**2, 2.0**x, x - True):
        assert y.dtype == np.float32
    assert (ad.Tensor(np.ones(2)) * 2.5).dtype == np.float64


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(ad.DTypeError, match="only floating tensors can require gradients"):
        ad.Tensor([1, 2], requires_grad=True)
    with pytest.raises(ad.DTypeError, match="bool"):
        ad.Tensor([True]).requires_grad_()


def test_properties():
    x = ad.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert x.T.shape == (3, 2)
    assert x.is_leaf and not (x * 2).is_leaf
    assert x.name == "x"
    assert x.numpy() is x.data
    assert ad.Tensor(4.0).item() == 4.0
    assert isinstance(ad.Tensor(4.0).item(), float)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(ad.ShapeError, match="item: called on a Tensor of shape \\(2, 3\\)"):
        x.item()


def test_a_zero_d_tensor_is_a_scalar():
    s = ad.Tensor(2.0)
    assert s.shape == () and s.ndim == 0 and float(s) == 2.0
    assert (s * ad.Tensor(np.ones((2, 2)))).shape == (2, 2)


def test_repr_shows_values_and_the_op_that_made_it():
    x = ad.Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(x.sum(axis=0)) == "Tensor(3., op=sum(axis=0))"
    assert "name='w'" in repr(ad.Tensor(1.0, name="w"))
    assert "dtype=float64" in repr(ad.Tensor(np.ones(1)))


def test_numpy_arrays_on_the_left_give_tensors():
    x = ad.Tensor([1.0, 2.0], requires_grad=True)
    for y in (np.ones(2) * x, np.ones(2) + x, np.ones(2) - x, np.ones((2, 2), np.float32) @ x):
        assert isinstance(y, ad.Tensor) and y.requires_grad


def test_comparisons_give_boolean_tensors_without_gradient():
    x = ad.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])


def test_argmax_argmin_give_integer_tensors():
    x = ad.Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=1).data, [0, 1])
    assert x.argmax().item() == 3
    assert x.argmax(axis=1).dtype.kind == "i" and not x.argmax().requires_grad


def test_shape_helpers():
    x = ad.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(1).squeeze(1).shape == (2, 3, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.swapaxes(0, 2).shape == (4, 3, 2)
    assert [p.shape for p in x.split(2, axis=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [p.shape for p in x.split([1, 2], dim=1)] == [(2, 1, 4), (2, 2, 4)]
    with pytest.raises(ad.ShapeError, match="squeeze: dim 0 .* has size 2; expected size 1"):
        x.squeeze(0)
    with pytest.raises(ad.ShapeError, match="reshape: cannot reshape .*\\(2, 3, 4\\).* \\(5,\\)"):
        x.reshape(5)


def test_indexing_forms():
    x = ad.Tensor(np.arange(12.0).reshape(3, 4))
    assert x[1].shape == (4,)
    assert x[:, 1:3].shape == (3, 2)
    assert x[None, ..., 0].shape == (1, 3)
    assert x[x > 5].shape == (6,)
    assert x[[0, 0, 2]].shape == (3, 4)
    assert x[ad.Tensor([2, 1])].shape == (2, 4)
    np.testing.assert_array_equal(x.take_along_axis(np.array([[0], [3], [1]]), 1).data.ravel(),
                                  [0, 7, 9])  # fmt: skip


def test_mismatched_shapes_name_the_op_and_both_shapes():
    a = ad.Tensor(np.ones((2, 3)))
    with pytest.raises(ad.ShapeError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        a + ad.Tensor(np.ones(4))
    with pytest.raises(ad.ShapeError, match=r"mul: cannot broadcast shapes \(2, 3\) and \(3, 2\)"):
        a * np.ones((3, 2))
    with pytest.raises(ad.ShapeError, match=r"matmul: cannot contract a\(2, 3\) @ b\(2, 3\)"):
        a @ a
