"""Stateless functions (PyTorch's torch.nn.functional): activations, dropout, one_hot, losses.

Everything here is composed from autodiff's ops, so every gradient comes from the engine.
Each loss takes reduction='mean' | 'sum' | 'none'.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autodiff
from autodiff import ShapeError, Tensor
from nn.random import default_generator

_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch clamps binary_cross_entropy's logs here


# ----- layers and activations ---------------------------------------------------------------


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, with weight of shape (out_features, in_features).

    One recorded op (the engine's fused `linear`), not a transpose, a matmul and an add.
    """
    return autodiff.linear(input, weight, bias)


def relu(input: Any) -> Tensor:
    """max(x, 0)."""
    return autodiff.relu(input)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return autodiff.leaky_relu(input, negative_slope)


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + e**-x)."""
    return autodiff.sigmoid(input)


def tanh(input: Any) -> Tensor:
    return autodiff.tanh(input)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x): exactly 0.5·x·(1 + erf(x/√2)), or with approximate='tanh'
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    """
    x = autodiff.as_tensor(input)
    if approximate == "none":
        return 0.5 * x * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + inner.tanh())
    raise ValueError(f"gelu: unknown approximate {approximate!r}; expected 'none' or 'tanh'")


def softmax(input: Any, dim: int = -1) -> Tensor:
    """e**x / Σ e**x along `dim` (shifted by the max, so large logits stay finite)."""
    return autodiff.softmax(input, axis=dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    """x - logsumexp(x) along `dim`: the log-sum-exp trick, finite for logits of any size."""
    return autodiff.log_softmax(input, axis=dim)


def dropout(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout),
    so the expected value is unchanged; the identity when not training. PyTorch's arguments;
    inplace=True is refused (the result is always a new tensor).

    The mask is drawn from `generator`, else from the global generator (autodiff.manual_seed).
    """
    if inplace:
        raise ValueError("dropout: inplace=True is not supported; expected inplace=False")
    _check_probability(p, "dropout")
    x = autodiff.as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating input, got {x.dtype}")
    if not training or p == 0:
        return x
    rng = default_generator() if generator is None else generator
    keep = rng.random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * np.multiply(keep, scale, dtype=x.dtype)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices of any shape as int64 one-hot rows: shape (*tensor.shape, num_classes).

    num_classes=-1 takes the largest index + 1, as PyTorch does.
    """
    indices = _integer_array(tensor, "one_hot")
    if indices.size and indices.min() < 0:
        raise ValueError(f"one_hot: got index {indices.min()}; expected indices >= 0")
    largest = int(indices.max()) if indices.size else -1
    if num_classes == -1:
        num_classes = largest + 1
    if num_classes < 1 or largest >= num_classes:
        raise ValueError(
            f"one_hot: indices up to {largest} with num_classes={num_classes}; "
            f"expected num_classes > every index"
        )
    return Tensor(np.eye(num_classes, dtype=np.int64)[indices])


# ----- losses -------------------------------------------------------------------------------


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)², elementwise; shapes must match (no broadcasting)."""
    _check_reduction(reduction, "mse_loss")
    x, y = _same_shape(input, target, "mse_loss")
    difference = x - y
    return _reduce(difference * difference, reduction)


def nll_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]]: the negative log-likelihood, for log-probabilities (N, C) (e.g.
    from log_softmax) and class indices (N,); or unbatched (C,) and ().
    """
    _check_reduction(reduction, "nll_loss")
    log_probs, classes, unbatched = _batched(input, target, "nll_loss")
    _check_class_range(classes, log_probs.shape[1], "nll_loss")
    losses = -log_probs[np.arange(len(classes)), classes]
    return _reduce(losses.reshape(()) if unbatched else losses, reduction)


def cross_entropy(
    input: Any, target: Any, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy of logits (N, C) (or unbatched (C,)) against either target kind:

    - class indices (N,) (integers): -log softmax(input)[n, target[n]], by the engine's
      fused softmax_cross_entropy;
    - probabilities (N, C) (floats): -Σ_c target[n, c] · log softmax(input)[n, c].

    label_smoothing ε mixes the target with the uniform distribution: (1-ε)·target + ε/C.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing {label_smoothing}; expected a value in [0, 1]"
        )
    logits = autodiff.as_tensor(input)
    target_dtype = np.asarray(target.data if isinstance(target, Tensor) else target).dtype
    if target_dtype.kind == "f":
        losses = _soft_cross_entropy(logits, target, label_smoothing)
        return _reduce(losses, reduction)
    logits, classes, unbatched = _batched(logits, target, "cross_entropy")
    if label_smoothing == 0.0:  # the fused op (it checks the class range itself)
        return autodiff.softmax_cross_entropy(logits, classes, "sum" if unbatched else reduction)
    _check_class_range(classes, logits.shape[1], "cross_entropy")
    log_probs = logits.log_softmax(axis=1)
    picked = -log_probs[np.arange(len(classes)), classes]
    uniform = -log_probs.mean(axis=1)
    losses = (1.0 - label_smoothing) * picked + label_smoothing * uniform
    return _reduce(losses.reshape(()) if unbatched else losses, reduction)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-(target·log(input) + (1 - target)·log(1 - input)) for probabilities in [0, 1].

    As in PyTorch each log is clamped at -100, so probabilities of exactly 0 and 1 give a
    finite loss. The gradient is finite there too: below max(e**-100, the dtype's smallest
    normal number) each log is the constant -100 (gradient 0), and above it 1/input is finite.
    So in float32 an input below ~1.2e-38 gives -100 where PyTorch gives max(log input, -100).
    A NaN probability gives a NaN loss and gradient (PyTorch raises an error there).
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p, y = _same_shape(input, target, "binary_cross_entropy")
    outside = (p.data < 0) | (p.data > 1)  # NaN is neither: it gives a NaN loss
    if outside.any():
        raise ValueError(
            f"binary_cross_entropy: input holds {p.data[outside].min()}..{p.data[outside].max()}"
            f" outside [0, 1]; expected probabilities in [0, 1] (for logits use "
            f"binary_cross_entropy_with_logits)"
        )
    nan = np.isnan(p.data)
    losses = -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
    if nan.any():  # the clamped logs take NaN for "below the floor": add log(NaN) there, so
        # that the loss and its gradient are NaN, and log(1) = 0 (gradient 0) elsewhere
        losses = losses + autodiff.where(nan, p, 1.0).log()
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), as softplus(x) - target·x: finite and
    exact for logits of any size.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, y = _same_shape(input, target, "binary_cross_entropy_with_logits")
    return _reduce(x.softplus() - y * x, reduction)


# ----- helpers ------------------------------------------------------------------------------


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: unknown reduction {reduction!r}; expected 'mean', 'sum' or 'none'")


def _check_probability(p: float, op: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p={p}; expected 0 <= p <= 1")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _integer_array(values: Any, op: str) -> np.ndarray:
    array = np.asarray(values.data if isinstance(values, Tensor) else values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class indices, got dtype {array.dtype}")
    return array


def _batched(input: Any, target: Any, op: str) -> tuple[Tensor, np.ndarray, bool]:
    """(input as (N, C), target as (N,) integer indices, whether it was unbatched)."""
    x = autodiff.as_tensor(input)
    classes = _integer_array(target, op)
    unbatched = x.ndim == 1 and classes.ndim == 0
    if unbatched:
        x, classes = x.reshape(1, -1), classes.reshape(1)
    if x.ndim != 2 or classes.shape != x.shape[:1]:
        raise ShapeError(
            f"{op}: input {x.shape} and target {classes.shape}; expected input (N, C) with "
            f"target (N,), or input (C,) with a scalar target"
        )
    return x, classes, unbatched


def _check_class_range(classes: np.ndarray, count: int, op: str) -> None:
    if classes.size and (classes.min() < 0 or classes.max() >= count):
        raise ValueError(
            f"{op}: target holds {classes.min()}..{classes.max()}; expected class indices "
            f"in 0..{count - 1}"
        )


def _same_shape(input: Any, target: Any, op: str) -> tuple[Tensor, Tensor]:
    """input and target as Tensors of one shape, both floating."""
    x, y = autodiff.as_tensor(input), autodiff.as_tensor(target)
    if x.shape != y.shape:
        raise ShapeError(f"{op}: input {x.shape} and target {y.shape}; expected the same shape")
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        raise TypeError(
            f"{op}: input {x.dtype} and target {y.dtype}; expected floating input and target"
        )
    return x, _constant_like(target, y, x)


def _constant_like(target: Any, y: Tensor, x: Tensor) -> Tensor:
    """A target given as an array takes the input's dtype, so that a float64 label array does
    not silently turn a float32 model's loss and gradients into float64; a Tensor is kept.
    """
    if isinstance(target, Tensor) or y.dtype == x.dtype:
        return y
    return Tensor(y.data.astype(x.dtype))


def _soft_cross_entropy(logits: Tensor, target: Any, label_smoothing: float) -> Tensor:
    """Per-sample -Σ_c target·log softmax(logits), for probability targets."""
    probs = autodiff.as_tensor(target)
    if logits.ndim not in (1, 2) or probs.shape != logits.shape:
        raise ShapeError(
            f"cross_entropy: input {logits.shape} and probability target {probs.shape}; "
            f"expected both (N, C) or both (C,) (or integer class indices of shape (N,))"
        )
    probs = _constant_like(target, probs, logits)
    if label_smoothing:
        probs = (1.0 - label_smoothing) * probs + label_smoothing / logits.shape[-1]
    return -(probs * logits.log_softmax(axis=-1)).sum(axis=-1)


def _clamped_log(p: Tensor) -> Tensor:
    """max(log p, -100) with a finite gradient everywhere on [0, 1].

    Below `lower` (e**-100, or the dtype's smallest normal number where that is larger, so that
    1/p stays finite) the value is the constant -100; above it, log of p itself. p is clipped to
    `lower` inside the log so that the unused branch is finite as well.
    """
    lower = max(math.exp(_LOG_FLOOR), float(np.finfo(p.dtype).tiny))
    return autodiff.where(p.data >= lower, p.clip(lower, None).log(), _LOG_FLOOR)
