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
    first = logits.grad.data.copy()
    total.backward()
    np.testing.assert_array_equal(logits.grad.data, 2 * first)
    exps = np.exp(logits.data - logits.data.max(axis=1, keepdims=True))
    softmax = exps / exps.sum(axis=1, keepdims=True)
    one_hot = np.eye(4, dtype=np.float32)[target]
    g = {"none": weights[:, None] if weights is not None else None, "mean": 1 / 5, "sum": 1.0}
    np.testing.assert_allclose(first, g[reduction] * (softmax - one_hot), rtol=1e-5, atol=1e-7)
