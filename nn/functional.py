"""Stateless functions (PyTorch's torch.nn.functional): activations, dropout, one_hot, losses.

Everything here is composed from autodiff's ops, so every gradient comes from the engine.
Each loss takes reduction='mean' | 'sum' | 'none'.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autodiff
from autodiff import DTypeError, ShapeError, Tensor

_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch clamps binary_cross_entropy's logs here


# ----- layers and activations ---------------------------------------------------------------

# linear, relu, leaky_relu, sigmoid, tanh, softmax, log_softmax: made from the op table
# (autodiff/optable.py), as the autodiff functions of the same names are.
globals().update(autodiff.ops_for("nn.functional"))


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
    target_dtype = np.asarray(target.numpy() if isinstance(target, Tensor) else target).dtype
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
    outside = (p.numpy() < 0) | (p.numpy() > 1)  # NaN is neither: it gives a NaN loss
    if outside.any():
        raise ValueError(
            f"binary_cross_entropy: input holds "
            f"{p.numpy()[outside].min()}..{p.numpy()[outside].max()}"
            f" outside [0, 1]; expected probabilities in [0, 1] (for logits use "
            f"binary_cross_entropy_with_logits)"
        )
    nan = np.isnan(p.numpy())
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
    if ceil_mode:
        raise NotImplementedError(
            f"{op}: ceil_mode=True is not supported; pad the input with F.pad so that the "
            f"windows cover it, or use ceil_mode=False"
        )
    if return_indices:
        raise NotImplementedError(f"{op}: return_indices=True is not supported")


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


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """The mean over output_size (oh, ow) cells covering the image, PyTorch's cells: rows
    floor(i·H/oh) .. ceil((i+1)·H/oh) for output row i (and so on for columns)."""
    x = autodiff.as_tensor(input)
    if x.ndim not in (3, 4):
        raise ShapeError(
            f"adaptive_avg_pool2d: input {x.shape}; expected (N, C, H, W) or (C, H, W)"
        )
    sizes = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    h, w = x.shape[-2:]
    oh = h if sizes[0] is None else sizes[0]
    ow = w if sizes[1] is None else sizes[1]
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
