"""Tensor construction, dtypes, properties and repr."""

import numpy as np
import pytest

import autodiff as ad


def test_python_floats_become_the_default_dtype():
    assert ad.Tensor(1.5).dtype == np.float32
    assert ad.Tensor([[1.0, 2.0]]).dtype == np.float32
    assert ad.tensor(3).dtype == np.int64
    assert ad.tensor([True, False]).dtype == np.bool_


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
        ad.tensor([1, 2], requires_grad=True)
    with pytest.raises(ad.DTypeError, match="bool"):
        ad.tensor([True]).requires_grad_()


@pytest.mark.parametrize("values", [[1, 2], [True, False]])
def test_assigning_requires_grad_checks_like_requires_grad_(values):
    t = ad.tensor(values)
    with pytest.raises(ad.DTypeError, match="only floating tensors can require gradients"):
        t.requires_grad = True
    assert not t.requires_grad  # the failed assignment changed nothing
    t.requires_grad = False  # switching it off is fine, as in PyTorch


def test_assigning_requires_grad_on_a_float_leaf_and_a_result():
    x = ad.Tensor([1.0, 2.0])
    x.requires_grad = True
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y = x * 3
    with pytest.raises(ad.GradientError, match="cannot switch off gradients of a recorded"):
        y.requires_grad = False
    assert y.requires_grad


def test_properties():
    x = ad.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert x.T.shape == (3, 2)
    assert x.is_leaf and not (x * 2).is_leaf
    assert x.name == "x"
    assert x.numpy() is x.numpy()
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
    assert "dtype=autodiff.float64" in repr(ad.Tensor(np.ones(1)))


def test_numpy_arrays_on_the_left_give_tensors():
    x = ad.Tensor([1.0, 2.0], requires_grad=True)
    for y in (np.ones(2) * x, np.ones(2) + x, np.ones(2) - x, np.ones((2, 2), np.float32) @ x):
        assert isinstance(y, ad.Tensor) and y.requires_grad


def test_comparisons_give_boolean_tensors_without_gradient():
    x = ad.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])


def test_argmax_argmin_give_integer_tensors():
    x = ad.Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=1).numpy(), [0, 1])
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
    assert x.squeeze(0) is x  # PyTorch keeps a dim whose size is not 1
    assert x.unsqueeze(1).squeeze((0, 1)).shape == (2, 3, 4)
    with pytest.raises(ad.ShapeError, match="squeeze: axis 0 .* has size 2; expected size 1"):
        ad.numpy.squeeze(x, 0)  # numpy refuses it
    with pytest.raises(ad.ShapeError, match="reshape: cannot reshape .*\\(2, 3, 4\\).* \\(5,\\)"):
        x.reshape(5)


def test_indexing_forms():
    x = ad.Tensor(np.arange(12.0).reshape(3, 4))
    assert x[1].shape == (4,)
    assert x[:, 1:3].shape == (3, 2)
    assert x[None, ..., 0].shape == (1, 3)
    assert x[x > 5].shape == (6,)
    assert x[[0, 0, 2]].shape == (3, 4)
    assert x[ad.tensor([2, 1])].shape == (2, 4)
    np.testing.assert_array_equal(x.take_along_axis(np.array([[0], [3], [1]]), 1).numpy().ravel(),
                                  [0, 7, 9])  # fmt: skip


def test_mismatched_shapes_name_the_op_and_both_shapes():
    a = ad.Tensor(np.ones((2, 3)))
    with pytest.raises(ad.ShapeError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        a + ad.Tensor(np.ones(4))
    with pytest.raises(ad.ShapeError, match=r"mul: cannot broadcast shapes \(2, 3\) and \(3, 2\)"):
        a * np.ones((3, 2))
    with pytest.raises(ad.ShapeError, match=r"matmul: cannot contract a\(2, 3\) @ b\(2, 3\)"):
        a @ a
    batch = ad.Tensor(np.ones((2, 3, 3)))
    with pytest.raises(ad.ShapeError, match=r"batch dims of a\(2, 3, 3\) @ b\(4, 3, 3\)"):
        batch @ ad.Tensor(np.ones((4, 3, 3)))


# ----- copies and sharing ------------------------------------------------------------------


def test_the_constructor_and_tensor_copy_the_callers_array():
    array = np.array([1.0, 2.0])
    for t in (ad.Tensor(array, requires_grad=True), ad.tensor(array, requires_grad=True)):
        array[:] = [9.0, 9.0]  # a later change of the caller's array ...
        (t * t).sum().backward()
        np.testing.assert_array_equal(t.grad.numpy(), [2.0, 4.0])  # ... changes nothing here
        array[:] = [1.0, 2.0]
    view = np.arange(6.0)[::2]
    assert not np.shares_memory(ad.Tensor(view).numpy(), view)
    source = ad.tensor([1.0, 2.0])
    assert not np.shares_memory(ad.Tensor(source).numpy(), source.numpy())


def test_from_numpy_shares_memory_both_ways():
    array = np.array([1.0, 2.0])
    t = ad.from_numpy(array)
    array[0] = 5.0
    assert t.numpy()[0] == 5.0
    with ad.no_grad():
        t += 1
    np.testing.assert_array_equal(array, [6.0, 3.0])
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        ad.from_numpy([1.0])


def test_op_results_wrap_their_arrays_without_a_copy():
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(x.reshape(3, 2).numpy(), x.numpy())  # a view stays a view
    assert ad.as_tensor(x.numpy()).numpy() is x.numpy()


# ----- size, numel, dim ----------------------------------------------------------------------


def test_size_is_the_element_count_and_callable_for_the_shape():
    x = ad.zeros(2, 3)
    assert x.size == 6 and int(x.size) == 6 and x.size + 1 == 7
    assert x.size() == (2, 3) and isinstance(x.size(), ad.Size)
    assert x.size(0) == 2 and x.size(-1) == 3
    assert x.numel() == 6 and x.dim() == 2 and x.size().numel() == 6
    assert ad.tensor(1.0).size == 1 and ad.tensor(1.0).size() == ()
    with pytest.raises(ad.ShapeError, match="size: dim 2 for a tensor of shape \\(2, 3\\)"):
        x.size(2)


# ----- augmented assignment ------------------------------------------------------------------


def test_augmented_assignment_under_no_grad_is_in_place():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    w.grad = ad.tensor([0.5, 0.5])
    array, version = w.numpy(), w._version
    with ad.no_grad():
        w -= 0.1 * w.grad
        w *= 2
        w /= 2
        w += 0.0
    assert w.requires_grad and w.numpy() is array and w._version > version
    np.testing.assert_allclose(w.numpy(), [0.95, 1.95])


def test_augmented_assignment_on_a_leaf_that_requires_grad_says_to_use_no_grad():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ad.GradientError, match="-=: in-place update of a leaf .*no_grad"):
        w -= 1.0


def test_augmented_assignment_without_grad_is_in_place():
    x = ad.tensor([1.0, 2.0])
    array = x.numpy()
    x += ad.tensor([1.0, 1.0])
    assert x.numpy() is array and x.tolist() == [2.0, 3.0]
    counts = ad.tensor([1, 2])
    with pytest.raises(ad.DTypeError, match="/=: cannot store the float.* in a int64 tensor"):
        counts /= 2
    with pytest.raises(ad.ShapeError, match="\\+=: cannot update a tensor of shape \\(2,\\)"):
        x += ad.zeros(3, 2)


def test_augmented_assignment_with_an_operand_that_requires_grad_is_recorded():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    total = ad.zeros(2)
    total += w * 3
    assert total.requires_grad
    total.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_micrograd_sequence_with_augmented_assignment():
    a = ad.tensor(-4.0, dtype=np.float64, requires_grad=True)
    b = ad.tensor(2.0, dtype=np.float64, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.item() == pytest.approx(24.7041, abs=1e-4)
    assert a.grad.item() == pytest.approx(138.8338, abs=1e-4)
    assert b.grad.item() == pytest.approx(645.5773, abs=1e-4)


# ----- dtype promotion -----------------------------------------------------------------------


def test_a_float_tensor_keeps_its_dtype_with_integers_and_numpy_scalars():
    x = ad.tensor([1.0, 2.0])  # float32
    labels = ad.tensor([1, 2])  # int64
    for y in (x - labels, labels * x, x + np.int64(3), np.float64(2.0) * x, x / labels):
        assert y.dtype == np.float32
    assert (x + ad.tensor(1.0, dtype=np.float64)).dtype == np.float32  # a 0-d tensor is weak
    assert (x + ad.tensor([1.0, 1.0], dtype=np.float64)).dtype == np.float64


def test_integer_tensors_with_floats_give_the_default_dtype():
    counts = ad.tensor([1, 2])
    for y in (counts * 0.5, counts + 1.5, counts / 2, counts / counts, 2.0**counts):
        assert y.dtype == np.float32
    assert (counts + 1).dtype == np.int64 and (counts * True).dtype == np.int64
    assert (ad.tensor([True]) + ad.tensor([1], dtype=np.int32)).dtype == np.int32


def test_promotion_keeps_gradients_flowing_in_each_inputs_dtype():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    s = ad.tensor(3.0, dtype=np.float64, requires_grad=True)
    (x * s).sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    assert s.grad.item() == 3.0


def test_matmul_and_linear_refuse_mixed_float_dtypes():
    x64 = ad.tensor(np.ones((2, 3)))
    w = ad.zeros(4, 3)
    message = "matmul: operands of dtypes float64 and float32; .*x.float\\(\\)"
    with pytest.raises(ad.DTypeError, match=message):
        x64 @ w.T
    with pytest.raises(ad.DTypeError, match=message):
        ad.matmul(x64, w.T)
    with pytest.raises(ad.DTypeError, match="linear: operands of dtypes float64 and float32;"):
        ad.linear(x64, w, ad.zeros(w.shape[0]))  # the bias's float32 is named once
    assert (x64.float() @ w.T).dtype == np.float32
    assert ad.numpy.matmul(x64, w.T).dtype == np.float64  # numpy's promotion


def test_comparisons_promote_as_pytorch_does():
    x = ad.tensor([0.1, 0.2])  # float32
    np.testing.assert_array_equal((x == np.float64(0.1)).numpy(), [True, False])  # in float32
    np.testing.assert_array_equal(x.eq(ad.tensor([0.1, 0.3], dtype=np.float64)).numpy(), [0, 0])
    np.testing.assert_array_equal((ad.tensor([1, 2]) < 1.5).numpy(), [True, False])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.norm(),
        lambda x: x.norm(dim=1, keepdim=True),
        lambda x: x.norm(p=3, dim=0),
        lambda x: x.prod(dim=0),
        lambda x: x.prod(),
        lambda x: x.max(1).values,
        lambda x: x.min(dim=0, keepdim=True).values,
        lambda x: x.std(1),
        lambda x: x.var(correction=0),
        lambda x: x.clone() * x,
        lambda x: ad.cat(x.split([1, 3], dim=1)[::-1], dim=1),
    ],
)
def test_composed_pytorch_methods_match_finite_differences(fn):
    rng = np.random.default_rng(5)
    x = ad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert ad.gradcheck(lambda x: (fn(x) * fn(x)).sum(), [x])


def test_norm_and_prod_gradients_by_hand_at_zeros():
    x = ad.tensor([0.0, 0.0], dtype=np.float64, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])  # PyTorch's subgradient at 0
    y = ad.tensor([2.0, 0.0, 3.0], dtype=np.float64, requires_grad=True)
    y.prod().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 6.0, 0.0])  # products of the others


def test_builtin_abs_is_the_recorded_abs():
    x = ad.tensor([-2.0, 3.0], requires_grad=True)
    abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 1.0])


def test_a_shape_passed_as_tensor_data_is_refused():
    with pytest.raises(TypeError, match=r"Tensor: requires_grad=3; expected True or False"):
        ad.Tensor(2, 3)  # PyTorch's uninitialised (2, 3) tensor


def test_a_user_primitive_gets_a_0d_leaf_as_an_array_it_can_write_into():
    @ad.primitive(samples=[ad.Sample((3,))])
    def clip_below_zero(x):
        """out = x where x > 0, else 0 (numpy's copy-then-assign idiom)."""
        out = x.copy()
        out[out < 0] = 0
        return out, None

    @clip_below_zero.defvjp
    def clip_below_zero_vjp(ctx, g):
        return (g * (ctx.inputs[0] > 0),)

    from autodiff.primitive import registry

    del registry["clip_below_zero"]  # not one of the engine's primitives
    x = ad.tensor(-0.5, requires_grad=True)
    assert clip_below_zero(x).item() == 0.0


def test_a_view_of_a_0d_tensor_shares_its_memory_as_in_pytorch():
    x = ad.tensor(1.0)
    y, z = x.reshape(1), x[None]
    x.add_(1.0)
    assert y.tolist() == [2.0] and z.tolist() == [2.0]


def test_add_and_sub_with_alpha_scale_a_list_as_values():
    x = ad.Tensor(np.zeros(2))
    x.add_([1.0, 2.0], alpha=2)
    np.testing.assert_array_equal(x.numpy(), [2.0, 4.0])
    x.sub_([1.0, 2.0], alpha=2)
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0])


def test_data_is_a_tensor_sharing_memory_that_does_not_require_grad():
    """PyTorch's `.data`: a Tensor cut from the graph, sharing the values."""
    p = ad.tensor([[1.0, 2.0, 4.0], [3.0, 0.0, 5.0]], requires_grad=True)
    d = p.data
    assert isinstance(d, ad.Tensor) and not d.requires_grad
    assert np.shares_memory(d.numpy(), p.numpy())
    assert d.std().item() == pytest.approx(np.std(p.numpy(), ddof=1))  # PyTorch's unbiased std
    assert d.transpose(0, 1).shape == (3, 2)  # PyTorch's transpose, not numpy's
    values, indices = d.max(1)
    np.testing.assert_array_equal(indices.numpy(), [2, 2])


def test_data_update_in_place_changes_the_parameter():
    """The manual SGD step of PyTorch tutorials: `p.data += -lr * p.grad`."""
    p = ad.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data += -0.5 * p.grad
    np.testing.assert_array_equal(p.numpy(), [0.0, 0.0])
    assert p.requires_grad and p.is_leaf


def test_data_assignment_replaces_the_values():
    p = ad.tensor([1.0, 2.0], requires_grad=True)
    p.data = ad.tensor([[3.0, 4.0, 5.0]])
    assert p.shape == (1, 3) and p.requires_grad
    with pytest.raises(TypeError, match="Tensor.data: cannot assign a list"):
        p.data = [1.0]


def test_np_array_of_a_tensor_is_a_snapshot_and_np_asarray_shares():
    """numpy 2 passes copy= to __array__: np.array copies, np.asarray shares, as for arrays."""
    t = ad.Tensor(np.array([1.0, 2.0]))
    snapshot, copied, shared = np.array(t), np.array(t, copy=True), np.asarray(t)
    t.add_(1)
    np.testing.assert_array_equal(snapshot, [1.0, 2.0])
    np.testing.assert_array_equal(copied, [1.0, 2.0])
    np.testing.assert_array_equal(shared, [2.0, 3.0])
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.array(t, copy=False) is not None  # no copy needed: fine
    with pytest.raises(ValueError, match=r"__array__: .* float64 as float32 needs a copy"):
        np.array(t, dtype=np.float32, copy=False)
