"""Stateless functions (PyTorch's torch.nn.functional): activations, dropout, one_hot, losses.

Everything here is composed from autodiff's ops, so every gradient comes from the engine.
Each loss takes reduction='mean' | 'sum' | 'none'.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import autodiff
from autodiff import DTypeError, ShapeError, Tensor, errors

_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch clamps binary_cross_entropy's logs here


# ----- layers and activations ---------------------------------------------------------------

# linear, relu, leaky_relu, sigmoid, tanh, softmax, log_softmax: made from the op table
# (autodiff/optable.py), as the autodiff functions of the same names are.
globals().update(autodiff.ops_for("nn.functional"))
_relu, _leaky_relu = relu, leaky_relu  # noqa: F821 (made just above)


def _in_place(op: str, input: Any, inplace: Any) -> bool:
    """inplace checked: a bool, and True only on a Tensor (PyTorch's own requirement)."""
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(
            f"{op}: inplace must be a bool, got {type(inplace).__name__} {inplace!r:.40}"
        )
    if inplace and not isinstance(input, Tensor):
        raise TypeError(
            f"{op}: inplace=True changes a Tensor, got {type(input).__name__}; pass a Tensor, "
            f"or inplace=False for a new one"
        )
    return bool(inplace)


@errors.named_errors
def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise; inplace=True writes it into `input` and returns it (recorded
    where a gradient needs it, as x.relu_() is)."""
    if _in_place("relu", input, inplace):
        return input.relu_()
    return _relu(input)


@errors.named_errors
def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope · x; inplace=True writes it into `input` and returns
    it (recorded where a gradient needs it, as x[...] = value is)."""
    if _in_place("leaky_relu", input, inplace):
        input[...] = _leaky_relu(input, negative_slope)
        return input
    return _leaky_relu(input, negative_slope)


relu._made, leaky_relu._made = _relu, _leaky_relu  # the op table's functions they extend


@errors.named_errors
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
    raise ValueError(f"gelu: unknown approximate {approximate!r:.60}; expected 'none' or 'tanh'")


@errors.named_errors
def silu(input: Any, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    _refuse_inplace(inplace, "silu")
    x = autodiff.as_tensor(input)
    return x * x.sigmoid()


@errors.named_errors
def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(‖x‖_p, eps) along `dim`: unit vectors, zero vectors left at zero."""
    x = autodiff.as_tensor(input)
    return x / x.norm(p, dim, keepdim=True).clamp(min=eps)


@errors.named_errors
def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along `dim` (the inputs broadcast)."""
    a, b = autodiff.as_tensor(x1), autodiff.as_tensor(x2)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ShapeError(
            f"cosine_similarity: inputs {a.shape} and {b.shape}; expected shapes that broadcast"
        ) from None
    a, b = a.broadcast_to(shape), b.broadcast_to(shape)
    unit_a = a / a.norm(2, dim, keepdim=True).clamp(min=eps)
    unit_b = b / b.norm(2, dim, keepdim=True).clamp(min=eps)
    return (unit_a * unit_b).sum(dim)


def _refuse_inplace(inplace: bool, op: str) -> None:
    if inplace:
        raise ValueError(f"{op}: inplace=True is not supported; expected inplace=False")


@errors.named_errors
def softmax(input: Any, dim: int | None = None) -> Tensor:
    """e**x / Σ e**x along `dim` (shifted by the max, so large logits stay finite).

    Without `dim`, PyTorch's implicit choice, with a warning: dim 0 for 0-, 1- and 3-D
    input, else dim 1.
    """
    x = autodiff.as_tensor(input)
    return autodiff.softmax(x, axis=_implicit_dim("softmax", dim, x.ndim))


@errors.named_errors
def log_softmax(input: Any, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along `dim`: the log-sum-exp trick, finite for logits of any size.

    Without `dim`, PyTorch's implicit choice, as softmax.
    """
    x = autodiff.as_tensor(input)
    return autodiff.log_softmax(x, axis=_implicit_dim("log_softmax", dim, x.ndim))


@errors.named_errors
def softmin(input: Any, dim: int | None = None) -> Tensor:
    """softmax(-x) along `dim`: largest where x is smallest. Without `dim`, PyTorch's implicit
    choice, as softmax.
    """
    x = autodiff.as_tensor(input)
    return autodiff.softmax(-x, axis=_implicit_dim("softmin", dim, x.ndim))


def _implicit_dim(op: str, dim: int | None, ndim: int) -> int:
    """`dim`, or PyTorch's deprecated implicit choice for `ndim`-D input, with a warning."""
    if dim is not None:
        return dim
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"{op}: no dim given, so dim={dim} is used for {ndim}-D input, as PyTorch chooses "
        f"(a deprecated choice); pass dim= to say which dim sums to 1",
        UserWarning,
        stacklevel=4,  # the caller of softmax, past errors.named_errors' frame
    )
    return dim


@errors.named_errors
def dropout(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: autodiff.Generator | None = None,
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout),
    so the expected value is unchanged; the identity when not training. PyTorch's arguments;
    inplace=True is refused (the result is always a new tensor).

    The mask is drawn from `generator`, else from the global generator (autodiff.manual_seed),
    as PyTorch's CPU draws it: the same mask after the same seed.
    """
    if inplace:
        raise ValueError("dropout: inplace=True is not supported; expected inplace=False")
    _check_probability(p, "dropout")
    x = autodiff.as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating input, got {x.dtype}")
    if not training or p == 0:
        return x
    return x * _dropout_noise(x.shape, x.dtype, p, generator)


def _dropout_noise(shape: tuple[int, ...], dtype: np.dtype, p: float, generator: Any) -> Any:
    """PyTorch's dropout noise: Bernoulli(1 - p) ones divided by (1 - p) in x's dtype; zeros,
    with no draw, for p = 1."""
    if p == 1:
        return np.zeros(shape, dtype)
    keep = autodiff.zeros(shape, dtype=dtype).bernoulli_(1 - p, generator=generator).numpy()
    return keep / dtype.type(1 - p)


@errors.named_errors
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


@errors.named_errors
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)², elementwise; shapes must match (no broadcasting)."""
    _check_reduction(reduction, "mse_loss")
    x, y = _same_shape(input, target, "mse_loss")
    difference = x - y
    return _reduce(difference * difference, reduction)


@errors.named_errors
def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """|input - target|, elementwise; shapes must match (no broadcasting)."""
    _check_reduction(reduction, "l1_loss")
    x, y = _same_shape(input, target, "l1_loss")
    return _reduce((x - y).abs(), reduction)


@errors.named_errors
def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5·d²/beta where |d| < beta, else |d| - 0.5·beta, for d = input - target (the
    Huber loss divided by beta); beta = 0 gives the L1 loss.
    """
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta={beta}; expected beta >= 0")
    x, y = _same_shape(input, target, "smooth_l1_loss")
    distance = (x - y).abs()
    if beta == 0:
        return _reduce(distance, reduction)
    small = distance.numpy() < beta
    losses = autodiff.where(small, 0.5 * distance * distance / beta, distance - 0.5 * beta)
    return _reduce(losses, reduction)


@errors.named_errors
def huber_loss(
    input: Any, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta), for d = input - target
    (smooth_l1_loss times beta = delta); `weight`, of the input's shape, scales each loss.
    """
    _check_reduction(reduction, "huber_loss")
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not delta > 0:
        raise ValueError(f"huber_loss: delta={delta!r:.40}; expected a number > 0")
    x, y = _same_shape(input, target, "huber_loss")
    difference = x - y
    distance = difference.abs()
    small = distance.numpy() < delta
    quadratic = 0.5 * difference * difference
    losses = autodiff.where(small, quadratic, delta * (distance - 0.5 * delta))
    if weight is not None:
        w = _element_weights(weight, x, "huber_loss", "weight")
        if w.shape != x.shape:
            raise ShapeError(
                f"huber_loss: weight of shape {w.shape} for input {x.shape}; expected the "
                f"input's shape, as PyTorch requires"
            )
        losses = losses * w
    return _reduce(losses, reduction)


@errors.named_errors
def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target·(log target - input) for log-probabilities `input`, summed as `reduction` says:
    "batchmean" (the sum over the batch size: the true KL divergence per sample), "sum",
    "mean" (over every element, as PyTorch, which warns that it is not the KL divergence)
    or "none". With log_target the target is given as log-probabilities too. Where
    target = 0 the term is 0.
    """
    if reduction not in (*_REDUCTIONS, "batchmean"):
        raise ValueError(
            f"kl_div: unknown reduction {reduction!r}; expected 'batchmean', 'mean', 'sum' or "
            f"'none'"
        )
    x, y = _same_shape(input, target, "kl_div")
    if log_target:
        losses = y.exp() * (y - x)
    else:
        positive = y.numpy() > 0
        log_y = autodiff.where(positive, y, 1.0).log()  # log 1 = 0 where the target is 0
        losses = autodiff.where(positive, y * (log_y - x), y * 0.0)
    if reduction == "batchmean":
        return losses.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(losses, reduction)


@errors.named_errors
def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """-weight[target[n]]·input[n, target[n]]: the negative log-likelihood, for
    log-probabilities (N, C) (e.g. from log_softmax) and class indices (N,); or unbatched
    (C,) and (); or (N, C, d1, ...) with (N, d1, ...). Targets equal to ignore_index count
    for nothing; "mean" divides by the summed weights of the others.
    """
    reduction = _legacy_reduction("nll_loss", size_average, reduce, reduction)
    log_probs, classes, restore = _classes_last(input, target, "nll_loss")
    weight = _class_weights(weight, log_probs, "nll_loss")
    if weight is None and not (classes == ignore_index).any():
        _check_class_range(classes, log_probs.shape[1], "nll_loss")
        losses = -log_probs[np.arange(len(classes)), classes]
        return _reduce(restore(losses), reduction)
    return _weighted_nll(
        "nll_loss", log_probs, classes, weight, ignore_index, 0.0, reduction, restore
    )


@errors.named_errors
def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits (N, C) (or unbatched (C,), or (N, C, d1, ...)) against
    either target kind:

    - class indices (N,) (integers): -log softmax(input)[n, target[n]], by the engine's
      fused softmax_cross_entropy; weight (C,) scales each class's loss and targets equal to
      ignore_index count for nothing ("mean" divides by the summed weights of the others);
    - probabilities (N, C) (floats): -Σ_c weight[c] · target[n, c] · log softmax(input)[n, c].

    label_smoothing ε mixes the target with the uniform distribution: (1-ε)·target + ε/C.
    """
    reduction = _legacy_reduction("cross_entropy", size_average, reduce, reduction)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(
            f"cross_entropy: label_smoothing={label_smoothing!r:.60}; expected a number in [0, 1]"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing {label_smoothing}; expected a value in [0, 1]"
        )
    logits = autodiff.as_tensor(input)
    target_dtype = np.asarray(target.numpy() if isinstance(target, Tensor) else target).dtype
    if target_dtype.kind == "f":
        weight = _class_weights(
            weight, logits.reshape(1, -1) if logits.ndim == 1 else logits, "cross_entropy"
        )
        losses = _soft_cross_entropy(logits, target, label_smoothing, weight)
        return _reduce(losses, reduction)
    logits, classes, restore = _classes_last(logits, target, "cross_entropy")
    weight = _class_weights(weight, logits, "cross_entropy")
    plain = weight is None and not (classes == ignore_index).any()
    if plain and label_smoothing == 0.0:  # the fused op (it checks the class range itself)
        if reduction == "none":
            return restore(autodiff.softmax_cross_entropy(logits, classes, "none"))
        return autodiff.softmax_cross_entropy(logits, classes, reduction)
    log_probs = logits.log_softmax(axis=1)
    return _weighted_nll(
        "cross_entropy",
        log_probs,
        classes,
        weight,
        ignore_index,
        label_smoothing,
        reduction,
        restore,
    )


def _legacy_reduction(op: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """The reduction, after refusing PyTorch's deprecated size_average/reduce arguments."""
    if size_average is not None or reduce is not None:
        raise TypeError(
            f"{op}: size_average and reduce are PyTorch's deprecated spellings; expected "
            f"reduction='mean', 'sum' or 'none'"
        )
    _check_reduction(reduction, op)
    return reduction


def _classes_last(input: Any, target: Any, op: str) -> tuple[Tensor, np.ndarray, Any]:
    """(input as (M, C), target as (M,) integer indices, a function that gives per-sample
    losses (M,) the target's shape back): for (N, C) with (N,), (C,) with (), and
    (N, C, d1, ...) with (N, d1, ...).
    """
    x = autodiff.as_tensor(input)
    classes = _integer_array(target, op)
    if x.ndim >= 3 and classes.shape == (x.shape[0], *x.shape[2:]):
        moved = x.permute(0, *range(2, x.ndim), 1)
        return (
            moved.reshape(-1, x.shape[1]),
            classes.reshape(-1),
            lambda losses: losses.reshape(classes.shape),
        )
    flat, flat_classes, unbatched = _batched(x, classes, op)
    if unbatched:
        return flat, flat_classes, lambda losses: losses.reshape(())
    return flat, flat_classes, lambda losses: losses


def _class_weights(weight: Any, x: Tensor, op: str) -> Tensor | None:
    """The per-class weights as a Tensor of x's dtype, checked to be (C,)."""
    if weight is None:
        return None
    w = autodiff.as_tensor(weight)
    if w.shape != (x.shape[1],):
        raise ShapeError(
            f"{op}: weight of shape {w.shape} for {x.shape[1]} classes; expected ({x.shape[1]},)"
        )
    return w if w.dtype == x.dtype else w.astype(x.dtype)


def _weighted_nll(
    op: str,
    log_probs: Tensor,
    classes: np.ndarray,
    weight: Tensor | None,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    restore: Any,
) -> Tensor:
    """Per-sample -w[y]·log p[y] (mixed with the smoothed -Σ_c w_c log p_c / C), zero where
    y == ignore_index; "mean" divides by Σ w[y] over the samples not ignored, as PyTorch."""
    count = log_probs.shape[1]
    kept = classes != ignore_index
    safe = np.where(kept, classes, 0)
    _check_class_range(safe, count, op)
    rows = np.arange(len(classes))
    mask = kept.astype(log_probs.dtype)
    picked_weight = mask if weight is None else weight[safe] * mask
    losses = -log_probs[rows, safe] * picked_weight
    if label_smoothing:
        weighted = log_probs if weight is None else log_probs * weight
        smooth = -weighted.sum(axis=1) * mask / count
        losses = (1.0 - label_smoothing) * losses + label_smoothing * smooth
    if reduction == "mean":
        return losses.sum() / picked_weight.sum()
    return _reduce(restore(losses), reduction)


@errors.named_errors
def binary_cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """-(target·log(input) + (1 - target)·log(1 - input)) for probabilities in [0, 1].

    As in PyTorch each log is clamped at -100, so probabilities of exactly 0 and 1 give a
    finite loss. The gradient is finite there too: below max(e**-100, the dtype's smallest
    normal number) each log is the constant -100 (gradient 0), and above it 1/input is finite.
    So in float32 an input below ~1.2e-38 gives -100 where PyTorch gives max(log input, -100).
    A NaN probability gives a NaN loss and gradient (PyTorch raises an error there); a target
    outside [0, 1], or NaN, is refused as PyTorch refuses it. `weight` scales each element's
    loss (it broadcasts to the input's shape).
    """
    reduction = _legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    p, y = _same_shape(input, target, "binary_cross_entropy")
    w = _element_weights(weight, p, "binary_cross_entropy", "weight")
    outside = (p.numpy() < 0) | (p.numpy() > 1)  # NaN is neither: it gives a NaN loss
    if outside.any():
        raise ValueError(
            f"binary_cross_entropy: input holds "
            f"{p.numpy()[outside].min()}..{p.numpy()[outside].max()}"
            f" outside [0, 1]; expected probabilities in [0, 1] (for logits use "
            f"binary_cross_entropy_with_logits)"
        )
    targets = y.numpy()
    target_outside = ~((targets >= 0) & (targets <= 1))  # NaN too, as PyTorch refuses it
    if target_outside.any():
        raise ValueError(
            f"binary_cross_entropy: target holds {targets[target_outside][0]} outside [0, 1]; "
            f"expected probabilities in [0, 1], as PyTorch requires"
        )
    nan = np.isnan(p.numpy())
    losses = -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
    if nan.any():  # the clamped logs take NaN for "below the floor": add log(NaN) there, so
        # that the loss and its gradient are NaN, and log(1) = 0 (gradient 0) elsewhere
        losses = losses + autodiff.where(nan, p, 1.0).log()
    if w is not None:
        losses = losses * w
    return _reduce(losses, reduction)


@errors.named_errors
def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), as softplus(x) - target·x: finite and
    exact for logits of any size. `pos_weight` scales the positive term,
    -pos_weight·target·log σ(x) (one per class: it broadcasts along the last dim); `weight`
    scales each element's loss.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    x, y = _same_shape(input, target, op)
    w = _element_weights(weight, x, op, "weight")
    positive = _element_weights(pos_weight, x, op, "pos_weight")
    if positive is None:
        losses = x.softplus() - y * x
    else:  # (1 - y)·x - (1 + (pos_weight - 1)·y)·log σ(x)
        losses = (1.0 - y) * x - (1.0 + (positive - 1.0) * y) * logsigmoid(x)  # noqa: F821
    if w is not None:
        losses = losses * w
    return _reduce(losses, reduction)


def _element_weights(weight: Any, x: Tensor, op: str, name: str) -> Tensor | None:
    """None, or `weight` as a floating Tensor of x's dtype that broadcasts to x's shape."""
    if weight is None:
        return None
    if not isinstance(weight, (Tensor, np.ndarray, list, tuple, numbers.Real)) or isinstance(
        weight, bool
    ):
        raise TypeError(
            f"{op}: {name}={type(weight).__name__} {weight!r:.40}; expected None or a tensor "
            f"that broadcasts to the input's shape {x.shape}"
        )
    w = autodiff.as_tensor(weight)
    if w.dtype.kind != "f":
        raise TypeError(f"{op}: {name} of dtype {w.dtype}; expected floating weights")
    try:
        fits = np.broadcast_shapes(w.shape, x.shape) == tuple(x.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{op}: {name} of shape {w.shape} for input {x.shape}; expected a shape that "
            f"broadcasts to {x.shape}"
        )
    return _constant_like(weight, w, x)


# ----- helpers ------------------------------------------------------------------------------


def _check_reduction(reduction: str, op: str) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: unknown reduction {reduction!r}; expected 'mean', 'sum' or 'none'")


def _check_probability(p: float, op: str) -> None:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: probability p={p!r:.60}; expected a number, 0 <= p <= 1")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p={p}; expected 0 <= p <= 1")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _integer_array(values: Any, op: str) -> np.ndarray:
    array = np.asarray(values.numpy() if isinstance(values, Tensor) else values)
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
    return Tensor(y.numpy().astype(x.dtype))


def _soft_cross_entropy(
    logits: Tensor, target: Any, label_smoothing: float, weight: Tensor | None = None
) -> Tensor:
    """Per-sample -Σ_c weight_c·target·log softmax(logits), for probability targets."""
    probs = autodiff.as_tensor(target)
    if logits.ndim not in (1, 2) or probs.shape != logits.shape:
        raise ShapeError(
            f"cross_entropy: input {logits.shape} and probability target {probs.shape}; "
            f"expected both (N, C) or both (C,) (or integer class indices of shape (N,))"
        )
    probs = _constant_like(target, probs, logits)
    if label_smoothing:
        probs = (1.0 - label_smoothing) * probs + label_smoothing / logits.shape[-1]
    if weight is not None:
        probs = probs * weight
    return -(probs * logits.log_softmax(axis=-1)).sum(axis=-1)


def _clamped_log(p: Tensor) -> Tensor:
    """max(log p, -100) with a finite gradient everywhere on [0, 1].

    Below `lower` (e**-100, or the dtype's smallest normal number where that is larger, so that
    1/p stays finite) the value is the constant -100; above it, log of p itself. p is clipped to
    `lower` inside the log so that the unused branch is finite as well.
    """
    lower = max(math.exp(_LOG_FLOOR), float(np.finfo(p.dtype).tiny))
    return autodiff.where(p.numpy() >= lower, p.clip(lower, None).log(), _LOG_FLOOR)


# ----- convolution, pooling, normalization, embedding ---------------------------------------


def _given(**params: Any) -> dict[str, Any]:
    """The parameters set away from their defaults, so that the tape shows only those."""
    defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "output_padding": 0}
    return {
        key: value
        for key, value in params.items()
        if value not in (defaults.get(key), (defaults.get(key),) * 2)  # 1 and (1, 1) alike
    }


def _image_op(op: Any, input: Any, *args: Any, **params: Any) -> Tensor:
    """op on a (N, C, H, W) batch, or on one (C, H, W) image as a batch of one (PyTorch's)."""
    x = autodiff.as_tensor(input)
    if x.ndim == 4:
        return op(x, *args, **params)
    if x.ndim != 3:
        raise ShapeError(f"{op.name}: input {x.shape}; expected (N, C, H, W) or (C, H, W)")
    out = op(x.reshape(1, *x.shape), *args, **params)
    return out.reshape(out.shape[1:])


@errors.named_errors
def conv2d(
    input: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of input (N, C, H, W) with weight (O, C/groups, kh, kw), as
    PyTorch's F.conv2d: stride, padding (an int, a pair, "valid" or "same"), dilation, groups.
    """
    params = _given(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _image_op(autodiff.conv2d, input, weight, bias, **params)


@errors.named_errors
def conv1d(
    input: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of input (N, C, L) (or (C, L)) with weight (O, C/groups, k), as
    PyTorch's F.conv1d: computed as conv2d over a height of 1.
    """
    x, w = autodiff.as_tensor(input), autodiff.as_tensor(weight)
    if x.ndim not in (2, 3) or w.ndim != 3:
        raise ShapeError(
            f"conv1d: input {x.shape} and weight {w.shape}; expected input (N, C, L) or (C, L) "
            f"and weight (out_channels, in_channels / groups, kernel_size)"
        )
    padding = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    out = conv2d(
        x.unsqueeze(-2),
        w.unsqueeze(-2),
        bias,
        (1, _single(stride, "stride")),
        padding,
        (1, _single(dilation, "dilation")),
        groups,
    )
    return out.squeeze(-2)


def _single(value: Any, name: str) -> int:
    """An int from PyTorch's two spellings of a 1-D size: 3 or (3,)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"conv1d: {name}={value!r}; expected an int or a 1-tuple")
        value = value[0]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"conv1d: {name}={value!r}; expected an int or a 1-tuple of an int")
    return int(value)


@errors.named_errors
def conv_transpose2d(
    input: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The adjoint of conv2d ("deconvolution"), weight (C_in, C_out/groups, kh, kw), as
    PyTorch's F.conv_transpose2d."""
    params = _given(
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    return _image_op(autodiff.conv_transpose2d, input, weight, bias, **params)


def _pool_modes(op: str, ceil_mode: bool, return_indices: bool = False) -> None:
    if not isinstance(ceil_mode, (bool, np.bool_)) or not isinstance(
        return_indices, (bool, np.bool_)
    ):
        raise TypeError(
            f"{op}: ceil_mode={ceil_mode!r:.40} and return_indices={return_indices!r:.40}; "
            f"expected True or False"
        )
    if ceil_mode:
        raise NotImplementedError(
            f"{op}: ceil_mode=True is not supported; pad the input with F.pad so that the "
            f"windows cover it, or use ceil_mode=False"
        )
    if return_indices:
        raise NotImplementedError(f"{op}: return_indices=True is not supported")


@errors.named_errors
def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The maximum of each window (padding counts as -inf); stride defaults to kernel_size.
    The gradient goes to the first maximum of a window in row-major order, as in PyTorch."""
    _pool_modes("max_pool2d", ceil_mode, return_indices)
    params = _given(padding=padding, dilation=dilation)  # stride 1 is no default here
    if stride is not None:
        params["stride"] = stride
    return _image_op(autodiff.max_pool2d, input, kernel_size=kernel_size, **params)


@errors.named_errors
def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window (zero padding counted unless count_include_pad=False)."""
    _pool_modes("avg_pool2d", ceil_mode)
    params = _given(padding=padding)
    if stride is not None:
        params["stride"] = stride
    if not count_include_pad:
        params["count_include_pad"] = False
    if divisor_override is not None:
        params["divisor_override"] = divisor_override
    return _image_op(autodiff.avg_pool2d, input, kernel_size=kernel_size, **params)


@errors.named_errors
def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """The mean over output_size (oh, ow) cells covering the image, PyTorch's cells: rows
    floor(i·H/oh) .. ceil((i+1)·H/oh) for output row i (and so on for columns)."""
    x = autodiff.as_tensor(input)
    if x.ndim not in (3, 4):
        raise ShapeError(
            f"adaptive_avg_pool2d: input {x.shape}; expected (N, C, H, W) or (C, H, W)"
        )
    sizes = _adaptive_output_size(output_size, "adaptive_avg_pool2d")
    h, w = x.shape[-2:]
    oh = h if sizes[0] is None else sizes[0]
    ow = w if sizes[1] is None else sizes[1]
    if oh == 0 or ow == 0:  # no cells: an empty result, still recorded (PyTorch's too)
        return autodiff.broadcast_to(x.sum((-2, -1), keepdim=True), (*x.shape[:-2], oh, ow))
    if h % oh == 0 and w % ow == 0:  # equal cells: one pooling op
        return _image_op(autodiff.avg_pool2d, x, kernel_size=(h // oh, w // ow))
    rows = []
    for i in range(oh):
        top, bottom = (i * h) // oh, -((-(i + 1) * h) // oh)
        cells = []
        for j in range(ow):
            left, right = (j * w) // ow, -((-(j + 1) * w) // ow)
            cells.append(x[..., top:bottom, left:right].mean((-2, -1)))
        rows.append(autodiff.stack(cells, -1))
    return autodiff.stack(rows, -2)


def _adaptive_output_size(output_size: Any, op: str) -> tuple[int | None, int | None]:
    """(oh, ow) from an int, None, or a pair of them, each >= 0."""
    pair = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    valid = len(pair) == 2 and all(
        size is None or (isinstance(size, (int, np.integer)) and not isinstance(size, bool))
        for size in pair
    )
    if not valid or any(size is not None and size < 0 for size in pair):
        raise ValueError(
            f"{op}: output_size={output_size!r:.60}; expected an int >= 0, None, or a pair of them"
        )
    return (pair[0], pair[1])


@errors.named_errors
def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims, last dim first: (left, right, top, bottom, ...).

    mode "constant" fills with value (0 by default; negative widths crop); "reflect",
    "replicate" and "circular" repeat the input's own values, as PyTorch's F.pad does.
    """
    x = autodiff.as_tensor(input)
    widths = tuple(int(p) for p in pad)
    if mode == "constant":
        return autodiff.pad(x, pad=widths, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' or 'circular'"
        )
    if value:
        raise ValueError(f"pad: value={value} is only used with mode='constant', got {mode!r}")
    if len(widths) % 2 or len(widths) // 2 > x.ndim - 1:
        raise ValueError(
            f"pad: pad={widths} with mode {mode!r} for input {x.shape}; expected an even "
            f"number of widths, at most two per dim after the first"
        )
    for k in range(len(widths) // 2):  # each padded dim gathers its rows by index
        axis = x.ndim - 1 - k
        before, after = widths[2 * k], widths[2 * k + 1]
        n = x.shape[axis]
        positions = np.arange(-before, n + after)
        if mode == "replicate":
            index = np.clip(positions, 0, n - 1)
        elif mode == "circular":
            index = positions % n
        else:
            if max(before, after) >= n:
                raise ValueError(
                    f"pad: reflect padding {(before, after)} on a dim of size {n}; expected "
                    f"widths smaller than the dim"
                )
            index = np.abs(positions)
            index = np.where(index > n - 1, 2 * (n - 1) - index, index)
        x = x[(slice(None),) * axis + (index,)]
    return x


def _check_dtypes(op: str, x: Tensor, **tensors: Tensor | None) -> None:
    """Raise unless every given tensor has x's dtype: no silent float64 network (PyTorch's rule)."""
    wrong = [
        f"{name} {t.dtype}" for name, t in tensors.items() if t is not None and t.dtype != x.dtype
    ]
    if wrong:
        raise DTypeError(
            f"{op}: input {x.dtype} with {', '.join(wrong)}; expected one dtype: convert the "
            f"input first, e.g. x.float() for a float32 model, or model.double() for float64"
        )


def _normalized(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor]:
    """((x - mean) / √(var + eps), mean) with the biased variance over `axes`."""
    mean = x.mean(axes, True)
    centered = x - mean
    variance = (centered * centered).mean(axes, True)
    return centered / (variance + eps).sqrt(), mean


@errors.named_errors
def batch_norm(
    input: Any,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) by its mean and variance over the batch and spatial
    dims, then scale by weight and shift by bias (as PyTorch's F.batch_norm).

    training=True uses the batch's statistics and updates the running ones in place:
    running = (1 - momentum)·running + momentum·batch, with the unbiased batch variance.
    Otherwise it uses the running statistics.
    """
    x = autodiff.as_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: input {x.shape}; expected (N, C, ...)")
    _check_dtypes(
        "batch_norm",
        x,
        running_mean=running_mean,
        running_var=running_var,
        weight=weight,
        bias=bias,
    )
    channels = x.shape[1]
    axes = (0, *range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)  # broadcasts a per-channel vector over x
    if training:
        count = x.size // channels
        if count < 2:
            raise ValueError(
                f"batch_norm: input {x.shape} has {count} value per channel; expected more "
                f"than 1 value per channel when training"
            )
        out, mean = _normalized(x, axes, eps)
        if running_mean is not None or running_var is not None:
            with autodiff.no_grad():
                batch_mean = mean.numpy().reshape(channels)
                centered = x.numpy() - mean.numpy()
                unbiased = (centered * centered).sum(axis=axes) / (count - 1)
                for running, batch in ((running_mean, batch_mean), (running_var, unbiased)):
                    if running is not None:
                        running.copy_(running.numpy() * (1 - momentum) + batch * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm: training=False needs running_mean and running_var; expected "
                "both, or training=True to use the batch's statistics"
            )
        scale = (running_var.numpy() + eps) ** -0.5
        out = (x - running_mean.numpy().reshape(shape)) * scale.reshape(shape).astype(x.dtype)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@errors.named_errors
def layer_norm(
    input: Any,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last dims (those of normalized_shape) by their mean and biased
    variance, then scale by weight and shift by bias (as PyTorch's F.layer_norm)."""
    x = autodiff.as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or len(shape) > x.ndim:
        raise ShapeError(
            f"layer_norm: input {x.shape} and normalized_shape {shape}; expected the input's "
            f"last dims to equal normalized_shape"
        )
    _check_dtypes("layer_norm", x, weight=weight, bias=bias)
    return autodiff.layer_norm(x, shape, weight, bias, eps)


@errors.named_errors
def group_norm(
    input: Any,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each sample's channels in num_groups groups (N, C, ...) by the group's mean
    and biased variance, then scale and shift per channel (PyTorch's F.group_norm)."""
    x = autodiff.as_tensor(input)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ShapeError(
            f"group_norm: input {x.shape} with num_groups={num_groups}; expected (N, C, ...) "
            f"with C divisible by num_groups"
        )
    grouped = x.reshape(x.shape[0], num_groups, -1)
    out, _ = _normalized(grouped, (2,), eps)
    out = out.reshape(x.shape)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@errors.named_errors
def embedding(
    input: Any, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None
) -> Tensor:
    """Rows of weight (num_embeddings, embedding_dim) picked by integer indices of any shape:
    shape (*input.shape, embedding_dim). The row at padding_idx gets no gradient."""
    if max_norm is not None:
        raise NotImplementedError(
            "embedding: max_norm is not supported (PyTorch renormalizes the weight in place); "
            "expected max_norm=None"
        )
    indices = _integer_array(input, "embedding")
    count = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        raise IndexError(
            f"embedding: indices {indices.min()}..{indices.max()} for {count} embeddings; "
            f"expected indices in 0..{count - 1}"
        )
    rows = weight[indices]
    if padding_idx is None:
        return rows
    keep = (indices != padding_idx % count)[..., None].astype(weight.dtype)
    return rows * keep + rows.detach() * (1 - keep)  # same values, no gradient at padding_idx


@errors.named_errors
def dropout2d(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: autodiff.Generator | None = None,
) -> Tensor:
    """Zero whole channels (dim 1 of (N, C, H, W), dim 0 of (C, H, W)) with probability p,
    scaling the rest by 1/(1-p); the identity when not training. inplace=True is refused."""
    if inplace:
        raise ValueError("dropout2d: inplace=True is not supported; expected inplace=False")
    _check_probability(p, "dropout2d")
    x = autodiff.as_tensor(input)
    if x.ndim == 2:  # PyTorch drops single elements of a 2-D input, with a warning
        warnings.warn(
            f"dropout2d: input {x.shape} has no spatial dims, so single elements are dropped "
            f"(as F.dropout does), as PyTorch does; expected (N, C, H, W) or (C, H, W), or "
            f"dropout for 2-D input",
            UserWarning,
            stacklevel=3,  # past errors.named_errors' frame
        )
        return dropout(x, p, training, generator=generator)
    if x.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: input {x.shape}; expected (N, C, H, W) or (C, H, W)")
    if not training or p == 0:
        return x
    return x * _dropout_noise(x.shape[: x.ndim - 2] + (1, 1), x.dtype, p, generator)


# ----- attention ----------------------------------------------------------------------------


def _attention_mask_bias(mask: Any, dtype: np.dtype, op: str, name: str = "attn_mask") -> Any:
    """A mask as an additive bias: a bool mask (True where attention is *blocked*) as a constant
    array, 0 or -inf; a float mask as it is (a Tensor keeps its gradient). None stays None."""
    if mask is None:
        return None
    values = mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if values.dtype == np.bool_:
        return np.where(values, -np.inf, 0.0).astype(dtype)
    if values.dtype.kind != "f":
        raise DTypeError(
            f"{op}: {name} of dtype {values.dtype}; expected a bool mask (True where attention "
            f"is blocked) or a float mask of the query's dtype {dtype}, added to the scores"
        )
    if values.dtype != dtype:
        raise DTypeError(f"{op}: {name} {values.dtype} for a query of {dtype}; expected {dtype}")
    return mask if isinstance(mask, Tensor) else values


@errors.named_errors
def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ keyᵀ · scale + bias) @ value over the last two dims, PyTorch's
    F.scaled_dot_product_attention: query (..., L, E), key (..., S, E), value (..., S, Ev).

    scale defaults to 1/√E. attn_mask broadcasts to (..., L, S): a bool mask says where
    attention is *allowed* (True), a float mask is added to the scores. is_causal=True also
    blocks every key after the query's position (tril of an (L, S) matrix of ones); it takes no
    attn_mask beside it, as in PyTorch. A query
    that may attend to no key gets zeros, as in PyTorch. dropout_p drops weights whenever it
    is > 0 (pass 0 outside training). enable_gqa=True lets key and value have fewer heads (dim
    -3) than query, each shared by a group of query heads.
    """
    op = "scaled_dot_product_attention"
    q, k, v = (autodiff.as_tensor(t) for t in (query, key, value))
    _check_probability(dropout_p, op)
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ShapeError(
            f"{op}: query {tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}; "
            f"expected (..., L, E), (..., S, E), (..., S, Ev) with the same number of dims"
        )
    if q.dtype.kind != "f" or k.dtype != q.dtype or v.dtype != q.dtype:
        raise DTypeError(
            f"{op}: query {q.dtype}, key {k.dtype}, value {v.dtype}; expected one floating dtype"
        )
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        heads, groups = q.shape[-3], k.shape[-3]
        if k.shape[-3] != v.shape[-3] or heads % groups:
            raise ShapeError(
                f"{op}: query with {heads} heads, key with {k.shape[-3]}, value with "
                f"{v.shape[-3]} (dim -3); expected key and value alike, dividing {heads}"
            )
        shared = np.arange(heads) // (heads // groups)  # query head -> its key/value head
        lead = (slice(None),) * (q.ndim - 3)
        k, v = k[(*lead, shared)], v[(*lead, shared)]
    if (
        k.shape[-1] != q.shape[-1]
        or v.shape[-2] != k.shape[-2]
        or not (q.shape[:-2] == k.shape[:-2] == v.shape[:-2])
    ):
        raise ShapeError(
            f"{op}: query {tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}; "
            f"expected (..., L, E), (..., S, E), (..., S, Ev) with the same leading dims"
        )
    length, source = q.shape[-2], k.shape[-2]
    if is_causal and attn_mask is not None:
        raise ValueError(
            f"{op}: attn_mask and is_causal=True both given; expected one of them (fold the "
            f"causal mask into attn_mask, e.g. attn_mask & ones(L, S).tril())"
        )
    bias = None
    if attn_mask is not None:
        mask = attn_mask.numpy() if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if mask.dtype == np.bool_:
            mask = ~mask  # PyTorch's SDPA: True means "may attend"; the bias blocks the rest
            bias = _attention_mask_bias(mask, q.dtype, op)
        else:
            bias = _attention_mask_bias(attn_mask, q.dtype, op)
        try:
            np.broadcast_shapes(mask.shape, (*q.shape[:-1], source))
        except ValueError:
            raise ShapeError(
                f"{op}: attn_mask {mask.shape} for scores {(*q.shape[:-1], source)}; expected "
                f"a mask that broadcasts to the scores' shape (..., L, S)"
            ) from None
    if is_causal:
        bias = np.where(np.tri(length, source, dtype=bool), 0.0, -np.inf).astype(q.dtype)
    factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * factor
    if bias is not None:
        scores = scores + bias
        values = bias.numpy() if isinstance(bias, Tensor) else bias
        blocked = np.isneginf(values).all(-1, keepdims=True)  # rows with no key to attend to
        if blocked.any():
            # zero weights there, as PyTorch's safe softmax; scoring those rows 0 first keeps
            # NaN (from a softmax of only -inf) out of the gradients
            scores = autodiff.where(blocked, 0.0, scores)
            weights = autodiff.where(blocked, 0.0, scores.softmax(-1))
        else:
            weights = scores.softmax(-1)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, True)
    return weights @ v
