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
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
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
