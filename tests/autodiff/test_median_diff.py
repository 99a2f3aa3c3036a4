"""median and diff, with PyTorch's meanings (numpy's diff too): values, indices and gradients
against PyTorch where installed, and against finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
import autodiff.numpy as anp

RNG = np.random.default_rng(7)
DISTINCT = RNG.permutation(24).reshape(2, 3, 4).astype(np.float64) / 7  # no ties


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_values_indices_and_gradient_match_torch(dim, keepdim):
    torch = pytest.importorskip("torch")
    x = autodiff.tensor(DISTINCT, requires_grad=True)
    tx = torch.tensor(DISTINCT, requires_grad=True)
    if dim is None:
        ours, theirs = x.median(), tx.median()
    else:
        ours, theirs = x.median(dim, keepdim), tx.median(dim, keepdim)
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        ours, theirs = ours.values, theirs.values
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    weights = RNG.normal(size=ours.shape)
    (ours * autodiff.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_median_is_the_lower_middle_and_nan_where_there_is_one():
    assert autodiff.tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0
    rows = autodiff.tensor([[1.0, float("nan"), 2.0], [3.0, 1.0, 2.0]]).median(1)
    np.testing.assert_array_equal(rows.values.numpy(), [np.nan, 2.0])
    np.testing.assert_array_equal(rows.indices.numpy(), [1, 2])
    assert np.isnan(autodiff.tensor([]).median().item())
    with pytest.raises(autodiff.ShapeError, match="median: dim 0 of shape"):
        autodiff.zeros(0, 2).median(0)


def test_median_of_all_elements_shares_the_gradient_among_ties_as_torch():
    torch = pytest.importorskip("torch")
    nan, inf = float("nan"), float("inf")
    for values in (
        [1.0, 2.0, 2.0, 3.0],
        [[2.0, 2.0], [2.0, 2.0]],
        [1.0, nan, 3.0, nan],
        [5.0, -inf, 1.0, inf],
    ):
        x, t = autodiff.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        ours, theirs = x.median(), t.median()
        np.testing.assert_array_equal(ours.item(), theirs.item())
        ours.backward()
        theirs.backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_median_gradchecks():
    x = autodiff.tensor(DISTINCT, requires_grad=True)
    assert autodiff.gradcheck(lambda v: v.median(1).values.sum() + v.median(), [x])


@pytest.mark.parametrize(
    "kwargs", [{}, {"n": 2}, {"dim": 0}, {"n": 3, "dim": 1}, {"n": 0}, {"dim": -1, "n": 4}]
)
def test_diff_matches_torch_with_gradients(kwargs):
    torch = pytest.importorskip("torch")
    x = autodiff.tensor(DISTINCT, requires_grad=True)
    tx = torch.tensor(DISTINCT, requires_grad=True)
    ours, theirs = x.diff(**kwargs), tx.diff(**kwargs)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    weights = RNG.normal(size=ours.shape)
    (ours * autodiff.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_diff_with_prepend_and_append_gradchecks_and_matches_numpy():
    x = autodiff.tensor(DISTINCT[0], requires_grad=True)
    edge = autodiff.tensor(np.ones((3, 1)), requires_grad=True)
    assert autodiff.gradcheck(
        lambda v, e: autodiff.diff(v, 2, dim=1, prepend=e, append=v[:, :1]).sum(), [x, edge]
    )
    a = DISTINCT[1]
    np.testing.assert_allclose(
        anp.diff(a, 2, axis=0, prepend=0.5).numpy(), np.diff(a, 2, axis=0, prepend=0.5)
    )
    with pytest.raises(ValueError, match="diff: n=-1; expected a non-negative integer"):
        autodiff.diff(x, -1)


def test_a_tensor_made_with_no_arguments_is_empty_float32():
    t = autodiff.Tensor()
    assert t.shape == (0,) and t.dtype == autodiff.float32


def test_nansum_count_nonzero_and_histc_of_nothing_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, np.nan, 2.0], [0.0, 3.0, np.nan]])
    for dim in (None, 0, 1):
        x, t = autodiff.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours, theirs = (x.nansum(), t.nansum()) if dim is None else (x.nansum(dim), t.nansum(dim))
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
        ours = x.count_nonzero() if dim is None else x.count_nonzero(dim)
        theirs = t.count_nonzero() if dim is None else t.count_nonzero(dim)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == autodiff.int64
    for empty in (np.zeros((0, 3)), np.zeros(0)):
        np.testing.assert_array_equal(
            autodiff.tensor(empty).histc(5).numpy(), torch.tensor(empty).histc(5).numpy()
        )
