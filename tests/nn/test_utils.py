"""nn.utils: gradient clipping, against PyTorch's torch.nn.utils."""

import numpy as np
import pytest

import autodiff
import nn

GRADS = [np.array([[3.0, -4.0], [0.5, 2.0]]), np.array([12.0, -1.0])]


def with_grads(lib, grads):
    params = [lib.tensor(np.ones_like(g), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        (p * lib.tensor(g)).sum().backward()
    return params


@pytest.mark.parametrize("max_norm, norm_type", [(5.0, 2.0), (100.0, 2.0), (3.0, 1.0), (2, np.inf)])
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    ours, theirs = with_grads(autodiff, GRADS), with_grads(torch, GRADS)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(expected.item())
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_by_hand():
    params = with_grads(autodiff, GRADS)
    total = nn.utils.clip_grad_norm_(params, 6.5)
    norm = np.sqrt(9 + 16 + 0.25 + 4 + 144 + 1)  # every gradient element, squared
    assert total.item() == pytest.approx(norm)
    scale = 6.5 / (norm + 1e-6)
    np.testing.assert_allclose(params[1].grad.numpy(), GRADS[1] * scale)


def test_clip_grad_norm_skips_parameters_without_grad_and_reports_nonfinite():
    bare = autodiff.tensor([1.0], requires_grad=True)
    assert nn.utils.clip_grad_norm_([bare], 1.0).item() == 0.0
    params = with_grads(autodiff, [np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm .* is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = with_grads(autodiff, GRADS), with_grads(torch, GRADS)
    nn.utils.clip_grad_value_(ours, 2.5)
    torch.nn.utils.clip_grad_value_(theirs, 2.5)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())
    with pytest.raises(ValueError, match="clip_value=-1"):
        nn.utils.clip_grad_value_(ours, -1)
