"""Tests of the fused softmax-cross-entropy primitive's plain-backward path."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_softmax_cross_entropy_gradient_by_hand_and_through_a_retained_graph(reduction):
    """glogits = g (softmax - one_hot); a second backward through the retained graph gives the
    same (the VJP must leave the saved softmax as it found it)."""
    rng = np.random.default_rng(0)
    logits = Tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    target = np.array([0, 3, 1, 1, 2])
    loss = ad.softmax_cross_entropy(logits, target, reduction)
    weights = rng.standard_normal(5).astype(np.float32) if reduction == "none" else None
    total = (loss * weights).sum() if reduction == "none" else loss
    total.backward(retain_graph=True)
    first = logits.grad.numpy().copy()
    total.backward()
    np.testing.assert_array_equal(logits.grad.numpy(), 2 * first)
    exps = np.exp(logits.numpy() - logits.numpy().max(axis=1, keepdims=True))
    softmax = exps / exps.sum(axis=1, keepdims=True)
    one_hot = np.eye(4, dtype=np.float32)[target]
    g = {"none": weights[:, None] if weights is not None else None, "mean": 1 / 5, "sum": 1.0}
    np.testing.assert_allclose(first, g[reduction] * (softmax - one_hot), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("classes", [3, 40])  # a row's maximum taken two ways, by the count
def test_softmax_cross_entropy_value_matches_logsumexp_for_few_and_many_classes(classes):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((7, classes)) * 30
    target = rng.integers(0, classes, 7)
    losses = ad.softmax_cross_entropy(Tensor(logits), target).numpy()
    shift = logits.max(axis=1, keepdims=True)
    expected = np.log(np.exp(logits - shift).sum(axis=1)) + shift[:, 0]
    expected -= logits[np.arange(7), target]
    np.testing.assert_allclose(losses, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bad", [-1, 4])
def test_softmax_cross_entropy_refuses_a_class_index_out_of_range(bad):
    held = rf"target holds {min(bad, 0)}\.\.{max(bad, 2)}; expected class indices in 0\.\.3"
    with pytest.raises(ValueError, match=held):
        ad.softmax_cross_entropy(Tensor(np.zeros((3, 4))), np.array([bad, 2, 0]))


@pytest.mark.parametrize("dtype", [">i4", ">i8", "<i2", "|i1", ">u2", "<u8"])
def test_softmax_cross_entropy_reads_class_indices_of_any_byte_order(dtype):
    """Labels read from a file may be big-endian (as the idx format stores them)."""
    logits = np.random.default_rng(2).standard_normal((3, 4))
    target = np.array([3, 0, 2], dtype=dtype)
    losses = ad.softmax_cross_entropy(Tensor(logits), target).numpy()
    expected = ad.softmax_cross_entropy(Tensor(logits), np.array([3, 0, 2])).numpy()
    np.testing.assert_array_equal(losses, expected)
    with pytest.raises(ValueError, match=r"target holds 0\.\.4; expected class indices in 0\.\.3"):
        ad.softmax_cross_entropy(Tensor(logits), np.array([4, 0, 2], dtype=dtype))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_softmax_cross_entropy_of_integer_logits_computes_as_numpy_does(dtype):
    """exp of integers is float64 in numpy: the loss of integer scores is that of the same
    scores as float64 (they need no gradient, so nothing else depends on their dtype)."""
    logits = np.array([[2, -1, 0], [5, 5, 1]])
    target = np.array([0, 2])
    for reduction in ("none", "mean", "sum"):
        loss = ad.softmax_cross_entropy(Tensor(logits.astype(dtype)), target, reduction)
        expected = ad.softmax_cross_entropy(Tensor(logits.astype(np.float64)), target, reduction)
        assert loss.dtype == np.float64
        np.testing.assert_array_equal(loss.numpy(), expected.numpy())
