"""Tests of the losses, as functions and modules: values against numpy formulas in float64,
gradients against finite differences, reductions, extreme inputs, and target checks.
"""

import numpy as np
import pytest

import nn
import nn.functional as F
from autodiff import Tensor, gradcheck

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((4, 3))
CLASSES = np.array([0, 2, 1, 2])
PROBS = RNG.dirichlet(np.ones(3), size=4)  # rows sum to 1
P = RNG.uniform(0.05, 0.95, (2, 3))
Y = RNG.uniform(0, 1, (2, 3))


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def per_sample_cross_entropy(logits, classes, smoothing=0.0):
    log_p = log_softmax(logits)
    target = np.eye(logits.shape[1])[classes] * (1 - smoothing) + smoothing / logits.shape[1]
    return -(target * log_p).sum(axis=1)


# name -> (loss(input, target, reduction), input, target, per-element numpy loss)
CASES = {
    "mse": (F.mse_loss, LOGITS, PROBS, (LOGITS - PROBS) ** 2),
    "nll": (F.nll_loss, log_softmax(LOGITS), CLASSES, -log_softmax(LOGITS)[range(4), CLASSES]),
    "cross_entropy": (F.cross_entropy, LOGITS, CLASSES, per_sample_cross_entropy(LOGITS, CLASSES)),
    "cross_entropy_probs": (
        F.cross_entropy,
        LOGITS,
        PROBS,
        -(PROBS * log_softmax(LOGITS)).sum(axis=1),
    ),
    "cross_entropy_smoothed": (
        lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction, label_smoothing=0.2),
        LOGITS,
        CLASSES,
        per_sample_cross_entropy(LOGITS, CLASSES, 0.2),
    ),
    "cross_entropy_probs_smoothed": (
        lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction, label_smoothing=0.2),
        LOGITS,
        PROBS,
        -((PROBS * 0.8 + 0.2 / 3) * log_softmax(LOGITS)).sum(axis=1),
    ),
    "bce": (F.binary_cross_entropy, P, Y, -(Y * np.log(P) + (1 - Y) * np.log(1 - P))),
    "bce_with_logits": (
        F.binary_cross_entropy_with_logits,
        LOGITS,
        PROBS,
        -(
            PROBS * np.log(1 / (1 + np.exp(-LOGITS)))
            + (1 - PROBS) * np.log(1 / (1 + np.exp(LOGITS)))
        ),
    ),
}

MODULES = {
    "mse": nn.MSELoss,
    "nll": nn.NLLLoss,
    "cross_entropy": nn.CrossEntropyLoss,
    "cross_entropy_probs": nn.CrossEntropyLoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_matches_numpy_for_each_reduction(name, reduction):
    loss, x, target, elementwise = CASES[name]
    expected = {"mean": elementwise.mean(), "sum": elementwise.sum(), "none": elementwise}
    out = loss(Tensor(x), target, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), expected[reduction], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_loss_gradient_matches_finite_differences(name):
    loss, x, target, _ = CASES[name]
    gradcheck(lambda x: loss(x, target, reduction="mean"), [Tensor(x.copy(), requires_grad=True)])
    weights = np.random.default_rng(1).standard_normal(CASES[name][3].shape)
    gradcheck(
        lambda x: (loss(x, target, reduction="none") * weights).sum(),
        [Tensor(x.copy(), requires_grad=True)],
    )


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_module_equals_its_function(name, reduction):
    loss, x, target, _ = CASES[name]
    module = MODULES[name](reduction=reduction)
    np.testing.assert_array_equal(
        module(Tensor(x), target).numpy(), loss(Tensor(x), target, reduction=reduction).numpy()
    )


def test_cross_entropy_loss_module_passes_label_smoothing():
    module = nn.CrossEntropyLoss(label_smoothing=0.2)
    expected = per_sample_cross_entropy(LOGITS, CLASSES, 0.2).mean()
    np.testing.assert_allclose(module(Tensor(LOGITS), CLASSES).numpy(), expected, rtol=1e-12)
    assert repr(module) == "CrossEntropyLoss(label_smoothing=0.2)"


def test_probability_target_may_require_grad():
    target = Tensor(PROBS.copy(), requires_grad=True)
    gradcheck(lambda t: F.cross_entropy(Tensor(LOGITS), t), [target])


def test_cross_entropy_and_nll_accept_an_unbatched_sample():
    for reduction in ("mean", "none"):
        out = F.cross_entropy(Tensor(LOGITS[1]), np.int64(2), reduction=reduction)
        assert out.shape == ()
        np.testing.assert_allclose(out.numpy(), per_sample_cross_entropy(LOGITS, CLASSES)[1])
    out = F.nll_loss(Tensor(log_softmax(LOGITS)[1]), np.int64(2))
    np.testing.assert_allclose(out.numpy(), -log_softmax(LOGITS)[1, 2])


@pytest.mark.parametrize("reduction", ["avg", None])
def test_bad_reduction_raises(reduction):
    for loss, x, target, _ in CASES.values():
        with pytest.raises(ValueError, match=f"unknown reduction {reduction!r}; expected 'mean'"):
            loss(Tensor(x), target, reduction=reduction)
    with pytest.raises(ValueError, match="MSELoss: unknown reduction"):
        nn.MSELoss(reduction=reduction)


# ----- extreme inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_finite_with_finite_gradients_at_huge_logits(dtype, smoothing):
    logits = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 0]), label_smoothing=smoothing)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad.numpy()))
    if smoothing == 0.0:  # logsumexp - picked logit: 1e4 + 1e4, and 1e4 + log 2 + 1e4
        np.testing.assert_allclose(loss.item(), 2e4 + np.log(2) / 2, rtol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_nll_and_bce_with_logits_are_finite_at_huge_logits(dtype):
    logits = Tensor(np.array([[1e4, -1e4], [-1e4, 1e4]], dtype), requires_grad=True)
    nll = F.nll_loss(F.log_softmax(logits, dim=1), np.array([1, 1]))
    bce = F.binary_cross_entropy_with_logits(logits, Tensor(np.array([[0, 1], [1, 0]], dtype)))
    (nll + bce).backward()
    np.testing.assert_allclose(nll.item(), 1e4, rtol=1e-6)  # (2e4 + 0) / 2
    np.testing.assert_allclose(bce.item(), 1e4, rtol=1e-6)  # (1e4 + 1e4 + 1e4 + 1e4) / 4
    assert np.all(np.isfinite(logits.grad.numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_at_probabilities_zero_and_one_clamps_the_log_at_minus_100(dtype):
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype))
    losses = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(losses.numpy(), [100.0, 100.0, 0.0, 0.0])  # as PyTorch
    losses.sum().backward()
    # where a log is clamped its gradient is 0; the other term keeps d/dp -log(1 - p) = 1 at
    # p = 0 and d/dp -log p = -1 at p = 1 (PyTorch's formula gives 0 there instead)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_gradient_is_finite_right_next_to_zero_and_one(dtype):
    smallest = max(np.exp(-99.0), np.finfo(dtype).tiny)  # not clamped: log p > -100
    p = Tensor(np.array([smallest, 1 - np.finfo(dtype).epsneg], dtype), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0], dtype))
    loss = F.binary_cross_entropy(p, y, reduction="sum")
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(p.grad.numpy()))
    np.testing.assert_allclose(p.grad.numpy()[0], -1 / p.numpy()[0], rtol=1e-6)  # d/dp -log p
    np.testing.assert_allclose(loss.item(), -np.log(p.numpy()[0]) - np.log(np.finfo(dtype).epsneg))


# ----- target checks --------------------------------------------------------------------------


def test_class_targets_must_be_in_range_and_of_the_right_shape():
    with pytest.raises(ValueError, match=r"cross_entropy: target holds 0..3; expected class"):
        F.cross_entropy(Tensor(LOGITS), np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"nll_loss: target holds -1..2; expected class"):
        F.nll_loss(Tensor(LOGITS), np.array([0, -1, 2, 2]))
    with pytest.raises(ValueError, match=r"cross_entropy: input \(4, 3\) and target \(3,\)"):
        F.cross_entropy(Tensor(LOGITS), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"nll_loss: input \(2, 2, 3\) and target \(2,\)"):
        F.nll_loss(Tensor(np.zeros((2, 2, 3))), np.array([0, 1]))


def test_target_dtypes_are_checked():
    with pytest.raises(TypeError, match="nll_loss: expected integer class indices, got dtype bool"):
        F.nll_loss(Tensor(LOGITS), np.array([True, False, True, True]))
    with pytest.raises(ValueError, match=r"probability target \(4,\); expected both \(N, C\)"):
        F.cross_entropy(Tensor(LOGITS), CLASSES.astype(np.float64))
    with pytest.raises(TypeError, match="expected floating input and target"):
        F.binary_cross_entropy_with_logits(Tensor(LOGITS), np.ones((4, 3), np.int64))
    with pytest.raises(TypeError, match="mse_loss: input int64 and target float64"):
        F.mse_loss(Tensor(np.ones(3, np.int64)), Tensor(np.ones(3)))


def test_an_array_target_follows_the_input_dtype():
    x = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    for loss in (F.mse_loss, F.binary_cross_entropy_with_logits, F.cross_entropy):
        out = loss(x, PROBS)  # a float64 array
        out.backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32, loss.__name__
        x.grad = None


def test_elementwise_losses_require_equal_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: input \(4, 3\) and target \(3,\)"):
        F.mse_loss(Tensor(LOGITS), Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input \(2, 3\) and target"):
        F.binary_cross_entropy(Tensor(P), Tensor(np.zeros((3, 2))))


def test_bce_rejects_inputs_outside_zero_one():
    with pytest.raises(ValueError, match="expected probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(Tensor(np.array([0.5, 1.5])), Tensor(np.array([1.0, 0.0])))


def test_label_smoothing_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="label_smoothing 1.5; expected a value in \\[0, 1\\]"):
        F.cross_entropy(Tensor(LOGITS), CLASSES, label_smoothing=1.5)
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing -0.1"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)
