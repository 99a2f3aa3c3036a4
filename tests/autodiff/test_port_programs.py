"""Names PyTorch teaching programs use that a port with only its imports changed needs:
each against real PyTorch (values and gradients, float64)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def _pair(shape, seed, lo=-2.0, hi=2.0):
    values = np.random.default_rng(seed).uniform(lo, hi, shape)
    return (
        ad.tensor(values, requires_grad=True),
        torch.tensor(values, requires_grad=True),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x, y: x.add(y, alpha=-0.5),
        lambda lib, x, y: lib.add(x, 3.0),
        lambda lib, x, y: x.sub(y, alpha=2),
        lambda lib, x, y: lib.subtract(x, y),
        lambda lib, x, y: x.mul(y) + lib.multiply(x, 2.5),
        lambda lib, x, y: x.div(y) + lib.divide(x, 3.0) + x.true_divide(y),
        lambda lib, x, y: lib.div(x, y) * x.neg() + lib.negative(y),
        lambda lib, x, y: lib.stack(lib.unbind(x * y, 1), 0),
        lambda lib, x, y: lib.cat(x.unbind(), 0) * 2,
    ],
)
def test_named_arithmetic_and_unbind_equal_pytorch(call):
    x, tx = _pair((3, 4), 0)
    y, ty = _pair((3, 4), 1, 0.5, 2.0)
    out, tout = call(ad, x, y), call(torch, tx, ty)
    weights = np.random.default_rng(2).normal(size=tuple(tout.shape))
    (out * ad.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    if ty.grad is not None:
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize(
    "a, b",
    [
        ([-7.5, 5.0, 3.25, -1.0, 0.0], [2.0, -2.0, 0.5, 3.0, -4.0]),
        ([-7, 5, 9, -1, 0], [2, -2, 4, 3, -4]),
        ([-7, 5, 9, -1, 0], 2),
        ([-7, 5, 9, -1, 0], 2.5),
        ([-7.5, 5.0, 3.25], 2),
    ],
)
def test_div_rounding_modes_equal_pytorch(mode, a, b):
    ours = ad.tensor(a).div(ad.tensor(b) if isinstance(b, list) else b, rounding_mode=mode)
    theirs = torch.tensor(a).div(torch.tensor(b) if isinstance(b, list) else b, rounding_mode=mode)
    assert str(ours.dtype).removeprefix("autodiff.") == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_div_in_place_and_bad_rounding_mode():
    x = ad.tensor([1.0, -3.0])
    assert x.div_(2) is x
    np.testing.assert_array_equal(x.numpy(), [0.5, -1.5])
    with pytest.raises(ValueError, match="rounding_mode='round'"):
        x.div(2, rounding_mode="round")
    with pytest.raises(ZeroDivisionError, match="div"):
        ad.tensor([3, 4]).div(0, rounding_mode="floor")


def test_unbind_gives_a_tuple_of_slices_and_refuses_a_0d_tensor():
    x = ad.arange(6).reshape(2, 3)
    parts, theirs = x.unbind(1), torch.arange(6).reshape(2, 3).unbind(1)
    assert isinstance(parts, tuple) and len(parts) == len(theirs) == 3
    for part, their in zip(parts, theirs):
        np.testing.assert_array_equal(part.numpy(), their.numpy())
    with pytest.raises(ad.ShapeError, match="unbind"):
        ad.unbind(ad.tensor(1.0))


def test_backends_answer_as_a_cpu_only_pytorch():
    import autodiff.backends.cudnn as cudnn

    assert ad.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ad.backends.cudnn.is_available() is False
    assert ad.backends.cuda.is_built() is False
    cudnn.benchmark = True  # programs set it; it changes nothing here
    assert ad.backends.cudnn.benchmark is True
    cudnn.benchmark = False


def test_grad_fn_is_none_exactly_where_pytorch_s_is():
    for lib in (ad, torch):
        x = lib.tensor([2.0], requires_grad=True)
        y = (x * 3).tanh()
        with lib.no_grad():
            z = x * 3
        assert x.grad_fn is None and z.grad_fn is None and y.grad_fn is not None
        assert x.is_leaf and not y.is_leaf
    assert "tanh" in repr(ad.tensor([1.0], requires_grad=True).tanh().grad_fn)


def _printed_cases():
    rng = np.random.default_rng(5)
    cases = [
        rng.normal(size=()),
        rng.normal(size=(27,)),
        rng.normal(size=(5, 27)) * 3,
        rng.uniform(0, 1, (2, 3, 4)),
        rng.normal(size=(2, 2, 2, 3)),
        rng.normal(size=(2000,)),
        rng.normal(size=(40, 40)) * 1e-3,
        rng.normal(size=(3, 500)),
        rng.normal(size=(12, 3, 40)),
        np.array([1e-9, 1.0, -3.5]),
        np.array([1e9, 2.0]),
        np.array([0.0, 0.0]),
        np.array([2.0, -7.0, 0.0, 1500.0]),
        np.array([2.0, 7.0, 2e6]),
        np.array([np.nan, 1.0, np.inf, -np.inf, 0.25]),
        np.array([np.nan, 3.0]),
        np.array(-9.5367e-09),
        np.array(4410.0),
        np.zeros((0,)),
        np.zeros((0, 3)),
    ]
    for values in cases:
        yield values.astype(np.float32)
        yield values.astype(np.float64)
    yield rng.integers(-5000, 5000, (4, 30))
    yield rng.integers(0, 27, (3000,)).astype(np.int32)
    yield np.array([True, False, True])
    yield np.array(7)
    yield np.zeros((0,), dtype=np.int64)


@pytest.mark.parametrize("values", list(_printed_cases()), ids=lambda v: f"{v.dtype}{v.shape}")
def test_print_shows_the_numbers_pytorch_shows(values):
    theirs = repr(torch.from_numpy(values.copy())).replace("tensor(", "Tensor(")
    theirs = theirs.replace("dtype=torch.", "dtype=autodiff.")
    # 'dtype=autodiff.float64' is 3 characters longer than 'dtype=torch.float64', so it may
    # wrap where PyTorch's fits: compare the suffixes unwrapped
    wrapped = ",\n" + " " * len("Tensor(")
    ours = repr(ad.tensor(values))
    assert ours.replace(wrapped + "dtype", ", dtype") == theirs.replace(
        wrapped + "dtype", ", dtype"
    )


def test_print_adds_the_op_where_pytorch_adds_grad_fn_and_wraps_it_alike():
    for n in (3, 8):  # fits on the line; does not
        values = np.linspace(-1, 1, n)
        theirs = repr(torch.tensor(values, requires_grad=True) * 2).replace("tensor(", "Tensor(")
        ours = repr(ad.tensor(values, requires_grad=True) * 2)
        assert ours == theirs.replace("grad_fn=<MulBackward0>", "op=mul").replace(
            "torch.", "autodiff."
        )
    assert f"{ad.tensor(2.93448):.3f}" == "2.934" and str(ad.tensor(2.93448)) == "Tensor(2.9345)"


def test_log_of_zero_and_negatives_is_quiet_as_in_pytorch(recwarn):
    mask = ad.log(ad.tril(ad.ones(3, 3)))  # a causal mask, as pytorch/examples builds one
    theirs = torch.log(torch.tril(torch.ones(3, 3)))
    np.testing.assert_array_equal(mask.numpy(), theirs.numpy())
    assert np.isnan(ad.tensor([-1.0]).log().item())
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dim, index", [(0, [0, 2, 0, 4]), (1, [2, 2]), (-1, [])])
def test_index_add_equals_pytorch_values_and_gradients(dim, index):
    shape = (5, 3)
    source_shape = list(shape)
    source_shape[dim] = len(index)
    x, tx = _pair(shape, 3)
    s, ts = _pair(tuple(source_shape), 4)
    out = x.index_add(dim, ad.tensor(index, dtype=ad.int64), s, alpha=-1.5)
    tout = tx.index_add(dim, torch.tensor(index, dtype=torch.int64), ts, alpha=-1.5)
    weights = np.random.default_rng(6).normal(size=shape)
    (out * ad.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), rtol=1e-12)
    indices = ad.tensor(index, dtype=ad.int64)
    fresh = [ad.tensor(t.numpy(), requires_grad=True) for t in (x, s)]
    assert ad.gradcheck(lambda a, b: a.index_add(dim, indices, b, alpha=-1.5), fresh)


def test_index_add_in_place_and_bad_input():
    counts = ad.zeros(3, 2)
    assert counts.index_add_(0, ad.tensor([2, 2, 0]), ad.ones(3, 2)) is counts
    np.testing.assert_array_equal(counts.numpy(), [[1, 1], [0, 0], [2, 2]])
    with pytest.raises(ad.ShapeError, match="index_add"):
        counts.index_add(0, ad.tensor([0, 1]), ad.ones(3, 2))
    with pytest.raises(IndexError, match="index_add"):
        counts.index_add(0, ad.tensor([3]), ad.ones(1, 2))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x, y: x.square() + lib.square(y),
        lambda lib, x, y: (x.square() + 1).reciprocal() + lib.rsqrt(y),
        lambda lib, x, y: x.lerp(y, 0.3) + lib.lerp(y, x, y),
        lambda lib, x, y: x.addcmul(x, y, value=0.5) + lib.addcdiv(x, x, y, value=-2),
        lambda lib, x, y: lib.addmm(x, x.t(), y, beta=0.5, alpha=2)[:3],
        lambda lib, x, y: x.addmm(y.t(), x)[:, :3] + lib.addcmul(x, x, y)[:, :3],
    ],
)
def test_more_named_ops_equal_pytorch(call):
    x, tx = _pair((4, 4), 7)
    y, ty = _pair((4, 4), 8, 0.5, 2.0)
    out, tout = call(ad, x, y), call(torch, tx, ty)
    weights = np.random.default_rng(9).normal(size=tuple(tout.shape))
    (out * ad.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_in_place_forms_and_integer_reciprocal_as_pytorch():
    x = ad.tensor([4.0, 0.25])
    assert x.rsqrt_() is x
    np.testing.assert_array_equal(x.numpy(), [0.5, 2.0])
    ours, theirs = ad.tensor([2, 4]).reciprocal(), torch.tensor([2, 4]).reciprocal()
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_empty_full_like_and_set_grad_enabled_as_pytorch():
    assert ad.empty(2, 3).shape == (2, 3) and ad.empty((4,), dtype=ad.int64).dtype == np.int64
    assert ad.empty_like(ad.ones(2, dtype=ad.float64)).dtype == np.float64
    for lib in (ad, torch):
        filled = lib.full_like(lib.arange(3), 7)
        assert filled.tolist() == [7, 7, 7] and str(filled.dtype).endswith("int64")
        assert lib.full_like(lib.ones(2), 0.5).tolist() == [0.5, 0.5]
        x = lib.ones(2, requires_grad=True)
        with lib.set_grad_enabled(False):
            assert not (x * 2).requires_grad
        assert (x * 2).requires_grad
        lib.set_grad_enabled(False)
        assert not lib.is_grad_enabled()
        lib.set_grad_enabled(True)
        assert lib.is_grad_enabled()


def test_set_grad_enabled_refuses_a_non_bool_and_changes_nothing():
    with pytest.raises(TypeError, match="set_grad_enabled"):
        ad.set_grad_enabled("no")
    assert ad.is_grad_enabled()
