"""Tests of nn.functional's activations, dropout and one_hot, and of the activation modules:
values against numpy formulas in float64, gradients against finite differences.
"""

import math

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor, gradcheck


def erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf)(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# (function, module, numpy formula); inputs avoid the kinks at 0
ACTIVATIONS = {
    "relu": (F.relu, nn.ReLU(), lambda x: np.maximum(x, 0)),
    "leaky_relu": (
        lambda x: F.leaky_relu(x, 0.2),
        nn.LeakyReLU(0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
    ),
    "sigmoid": (F.sigmoid, nn.Sigmoid(), sigmoid),
    "tanh": (F.tanh, nn.Tanh(), np.tanh),
    "gelu": (F.gelu, nn.GELU(), lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2)))),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        nn.GELU(approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    "softmax": (
        lambda x: F.softmax(x, dim=0),
        nn.Softmax(dim=0),
        lambda x: np.exp(log_softmax(x, 0)),
    ),
    "log_softmax": (
        lambda x: F.log_softmax(x, dim=-1),
        nn.LogSoftmax(dim=-1),
        lambda x: log_softmax(x, -1),
    ),
}


def sample(shape=(3, 4), seed=0) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(-3, 3, shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)  # keep away from the kinks of relu and leaky_relu


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_function_and_module_match_numpy(name):
    function, module, formula = ACTIVATIONS[name]
    x = sample()
    expected = formula(x)
    np.testing.assert_allclose(function(Tensor(x)).numpy(), expected, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(module(Tensor(x)).numpy(), expected, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradient_matches_finite_differences(name):
    function, module, _ = ACTIVATIONS[name]
    x = Tensor(sample(seed=1), requires_grad=True)
    weights = np.random.default_rng(2).standard_normal((3, 4))  # so each output counts
    gradcheck(lambda x: (function(x) * weights).sum(), [x])
    gradcheck(lambda x: (module(x) * weights).sum(), [x])


def test_activations_keep_float32():
    x = Tensor(np.ones((2, 2), np.float32))
    for name, (function, module, _) in ACTIVATIONS.items():
        assert function(x).dtype == np.float32, name
        assert module(x).dtype == np.float32, name


def test_log_softmax_is_finite_for_huge_logits():
    x = Tensor(np.array([[1e4, -1e4, 0.0]]), requires_grad=True)
    out = F.log_softmax(x, dim=1)
    np.testing.assert_allclose(out.numpy(), [[0.0, -2e4, -1e4]])
    (out * np.array([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: unknown approximate 'fast'"):
        F.gelu(Tensor([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="GELU: unknown approximate"):
        nn.GELU("fast")


def test_linear_function_matches_numpy_and_checks_shapes():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w), Tensor(b)).numpy(), x @ w.T + b)
    np.testing.assert_allclose(F.linear(x, Tensor(w)).numpy(), x @ w.T)
    with pytest.raises(ValueError, match=r"linear: input \(4, 2\) and weight \(2, 3\)"):
        F.linear(Tensor(x[:, :2]), Tensor(w))


# ----- dropout --------------------------------------------------------------------------------


def test_dropout_zeroes_about_p_and_scales_the_rest():
    x = Tensor(np.ones((200, 50)))
    out = F.dropout(x, p=0.3, generator=autodiff.Generator().manual_seed(0)).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.7)


def test_dropout_gradient_is_the_mask():
    x = Tensor(np.arange(1.0, 7.0), requires_grad=True)
    out = F.dropout(x, p=0.5, generator=autodiff.Generator().manual_seed(1))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (out.numpy() != 0) * 2.0)


def test_dropout_identity_when_not_training_or_p_zero_and_zero_at_p_one():
    x = Tensor(np.ones(5))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros(5))
    with pytest.raises(ValueError, match=r"dropout: probability p=1.5; expected 0 <= p <= 1"):
        F.dropout(x, 1.5)


def test_dropout_module_follows_train_and_eval_and_the_global_seed():
    drop = nn.Dropout(0.5)
    x = Tensor(np.ones((4, 8)))
    nn.manual_seed(5)
    first = drop(x).numpy()
    nn.manual_seed(5)
    np.testing.assert_array_equal(drop(x).numpy(), first)
    assert set(np.unique(first)) == {0.0, 2.0}
    np.testing.assert_array_equal(drop.eval()(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="Dropout: probability p=-0.1"):
        nn.Dropout(-0.1)


# ----- one_hot --------------------------------------------------------------------------------


def test_one_hot_matches_pytorch_layout():
    out = F.one_hot(np.array([[0, 2], [1, 0]]), num_classes=3)
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(Tensor(np.array([1, 3]))).shape == (2, 4)  # inferred: largest + 1


def test_one_hot_rejects_bad_indices():
    with pytest.raises(ValueError, match="expected num_classes > every index"):
        F.one_hot(np.array([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match="got index -1"):
        F.one_hot(np.array([-1, 0]))
    with pytest.raises(TypeError, match="expected integer class indices, got dtype float64"):
        F.one_hot(np.array([0.0, 1.0]))


def test_dropout_takes_pytorchs_positional_arguments():
    x = Tensor(np.ones(4, np.float32))
    assert F.dropout(x, 0.5, False, False) is x  # input, p, training, inplace
    with pytest.raises(ValueError, match="dropout: inplace=True is not supported"):
        F.dropout(x, 0.5, True, True)
