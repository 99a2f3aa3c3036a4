"""Ops composed of primitives, with PyTorch's meanings: mean, var, max(dim), prod, norm, ...

Each takes the tensor first and is declared in the op table (autodiff/optable.py), which
makes it a Tensor method and an `autodiff` function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from autodiff import promotion, xp
from autodiff.broadcast import Axis, normalize_axes
from autodiff.creation import as_tensor
from autodiff.errors import ShapeError
from autodiff.ops import compare, elementwise, layers, linalg, loss, reduce
from autodiff.ops import shape as shape_ops
from autodiff.promotion import check_same_dtype
from autodiff.spelling import torch_dims
from autodiff.tensor import Tensor, floating, promoted


class ValuesIndices(NamedTuple):
    """What max(dim) and min(dim) return: the values and where they are (PyTorch's fields)."""

    values: Tensor
    indices: Tensor


def _count(x: Tensor, axis: Axis) -> int:
    """How many elements a reduction over `axis` takes in."""
    count = 1
    for a in normalize_axes(axis, x.ndim, "mean"):
        count *= x.shape[a]
    return count


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The sum divided by the number of elements summed."""
    return x.sum(axis=axis, keepdims=keepdims) / _count(x, axis)


def var(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: float = 1) -> Tensor:
    """Σ(x - mean)² / (n - ddof) over `axis`."""
    deviation = x - x.mean(axis=axis, keepdims=True)
    return (deviation * deviation).sum(axis=axis, keepdims=keepdims) / (_count(x, axis) - ddof)


def std(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: float = 1) -> Tensor:
    """√var, as one primitive: its gradient is 0 where all values are equal."""
    return Tensor.apply(reduce.std, floating(x), axis=axis, keepdims=keepdims, ddof=ddof)


def extreme(
    x: Tensor,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Axis = None,
    keepdims: Any = None,
    op: str = "max",
) -> Any:
    """max (or min, by `op`) with PyTorch's three meanings: max() is the largest value (0-d);
    max(dim) is (values, indices) along dim; max(other_tensor) is the elementwise maximum.
    """
    if isinstance(dim, Tensor):
        pick = elementwise.maximum if op == "max" else elementwise.minimum
        return Tensor.apply(pick, *promoted(x, dim))
    axis, keepdims = torch_dims(op, dim, keepdim, axis, keepdims)
    if axis is None:
        return Tensor.apply(reduce.max if op == "max" else reduce.min, x)
    if not isinstance(axis, (int, xp.integer)):
        raise ShapeError(f"{op}: dim {axis!r}; expected one integer dim (amax/amin reduce several)")
    scalar = x.ndim == 0
    if scalar:
        x = x.reshape(1)
    axis = normalize_axes(axis, x.ndim, op)[0]
    pick = compare.argmax if op == "max" else compare.argmin
    indices = pick.forward(x._value, axis=axis, keepdims=True)[0]
    values = x.take_along_axis(indices, axis)  # the gradient goes to that one element
    if scalar:
        return ValuesIndices(values.reshape(()), Tensor._wrap(indices.reshape(())))
    if not keepdims:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(values, Tensor._wrap(indices))


def prod(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The product over `dim` (all elements if None), by halving: log₂(n) recorded
    multiplications, so the gradient is exact even where elements are 0.
    """
    if axis is None:
        x, axis = x.reshape(-1), 0
        keepdims = False
    else:
        axes = normalize_axes(axis, x.ndim, "prod")
        if len(axes) != 1:
            raise ShapeError(f"prod: dim {axis!r}; expected one integer dim")
        axis = axes[0]
    lead = (slice(None),) * axis
    if x.shape[axis] == 0:
        return Tensor._wrap(xp.prod(x._value, axis=axis, keepdims=keepdims))
    while x.shape[axis] > 1:
        half = x.shape[axis] // 2
        pairs = x[(*lead, slice(0, half))] * x[(*lead, slice(half, 2 * half))]
        if x.shape[axis] % 2:
            pairs = Tensor.apply(
                shape_ops.concatenate, pairs, x[(*lead, slice(-1, None))], axis=axis
            )
        x = pairs
    return x if keepdims else x.squeeze(axis)


def norm(
    x: Tensor,
    p: float | str = 2,
    dim: Axis = None,
    keepdim: bool = False,
    *,
    axis: Axis = None,
    keepdims: Any = None,
) -> Tensor:
    """The p-norm over `dim` (all elements if None): (Σ|x|^p)^(1/p); p may be inf or 'fro'.

    At a zero vector the gradient is 0, as in PyTorch (the root's derivative is infinite
    there, times an inner gradient of 0).
    """
    axis, keepdims = torch_dims("norm", dim, keepdim, axis, keepdims)
    if p == "fro":
        p = 2
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
        raise ValueError(f"norm: p={p!r}; expected a positive number, inf or 'fro'")
    magnitude = x.abs()
    if p == xp.inf:
        return magnitude.amax(axis=axis, keepdims=keepdims)
    if p == 1:
        return magnitude.sum(axis=axis, keepdims=keepdims)
    # Divided by the largest |x| first, so that powers of 1e-200 or 1e200 neither underflow
    # nor overflow; the norm is homogeneous, so with that scale held constant every
    # derivative is unchanged.
    peak = xp.abs(x._value).max(axis=axis, keepdims=True, initial=0)
    scale = xp.where((peak > 0) & xp.isfinite(peak), peak, 1).astype(x.dtype)
    scaled = x / scale
    power = scaled * scaled if p == 2 else scaled.abs() ** p
    total = power.sum(axis=axis, keepdims=keepdims)
    zero = total._value == 0  # shifted to 1 and back, so that the root stays differentiable
    root = (total + zero).sqrt() if p == 2 else (total + zero) ** (1.0 / p)
    return (root - zero) * scale.reshape(total.shape)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Values limited to [min, max]; either bound may be None. An integer tensor with a
    float bound gives the default float dtype, as PyTorch promotes.
    """
    if isinstance(min, float) or isinstance(max, float):
        x = floating(x)
    return Tensor.apply(elementwise.clip, x, low=min, high=max)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """input where condition, else other (condition carries no gradient)."""
    return Tensor.apply(elementwise.where, condition, *promoted(input, other))


def tensor_where(x: Tensor, condition: Any, other: Any) -> Tensor:
    """self where `condition`, else `other` (PyTorch's Tensor.where)."""
    return Tensor.apply(elementwise.where, condition, *promoted(x, other))


def matmul(x: Tensor, other: Any) -> Tensor:
    """self @ other; both of one dtype (float32 with float64 raises a DTypeError, as in
    PyTorch; autodiff.numpy.matmul promotes instead).
    """
    return x @ other


def pow(x: Tensor, exponent: Any) -> Tensor:
    """self ** exponent, elementwise, with PyTorch's dtype promotion."""
    return x**exponent


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """input @ weightᵀ + bias in one recorded op; weight is (out_features, in_features).

    All three must share one dtype: a float64 batch into a float32 layer raises a DTypeError
    (as in PyTorch) instead of silently computing the whole network in float64.
    """
    if not _one_dtype(input, weight, bias):
        check_same_dtype("linear", input, weight, bias)
    return Tensor.apply(linalg.linear, input, weight, bias)


def layer_norm(
    input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Tensor:
    """(input - mean) / √(var + eps) · weight + bias over the last dims, those of
    normalized_shape, with the biased variance (PyTorch's layer_norm), in one recorded op."""
    x = as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) > x.ndim or tuple(x.shape[x.ndim - len(shape) :]) != shape:
        raise ShapeError(
            f"layer_norm: input {tuple(x.shape)} and normalized_shape {shape}; expected the "
            f"input's last dims to equal normalized_shape"
        )
    check_same_dtype("layer_norm", x, *(p for p in (weight, bias) if p is not None))
    return Tensor.apply(layers.layer_norm, x, weight, bias, ndim=len(shape), eps=eps)


def lstm_gates(gates: Any, c: Any) -> Tensor:
    """stack(h', c') of an LSTM cell from its gates (..., 4·hidden) = x W_ihᵀ + b_ih + h W_hhᵀ
    + b_hh and its cell state c (..., hidden): c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'),
    with i, f, g, o in PyTorch's order; one recorded op."""
    return Tensor.apply(layers.lstm_gates, gates, c)


def gru_gates(xw: Any, hw: Any, h: Any) -> Tensor:
    """h' of a GRU cell from xw = x W_ihᵀ + b_ih and hw = h W_hhᵀ + b_hh (..., 3·hidden) and h:
    r, z = σ(xw + hw) on the first two slices, n = tanh(xw_n + r·hw_n), h' = (1 - z)·n + z·h
    (PyTorch's order and formula); one recorded op."""
    return Tensor.apply(layers.gru_gates, xw, hw, h)


def _one_dtype(input: Any, weight: Any, bias: Any) -> bool:
    """The common case, checked cheaply: three Tensors (or no bias) of one dtype."""
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)):
        return False
    dtype = weight._value.dtype
    if input._value.dtype != dtype:
        return False
    return bias is None or (isinstance(bias, Tensor) and bias._value.dtype == dtype)


def softmax_cross_entropy(logits: Any, target: Any, reduction: str = "none") -> Tensor:
    """-log softmax(logits)[n, target[n]] for (N, C) logits and (N,) class indices:
    per sample (reduction="none"), or their "mean" or "sum".

    One fused primitive: faster than log_softmax followed by indexing, and finite for
    logits of any size.
    """
    return Tensor.apply(loss.softmax_cross_entropy, logits, target, reduction=reduction)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along an existing dim."""
    dim = dim if axis is None else axis
    return Tensor.apply(shape_ops.concatenate, *_common_dtype(tensors), axis=dim)


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along a new dim."""
    dim = dim if axis is None else axis
    return Tensor.apply(shape_ops.stack, *_common_dtype(tensors), axis=dim)


def _common_dtype(tensors: Sequence[Any]) -> list[Tensor]:
    """The tensors of cat/stack converted to the dtype PyTorch joins them in: float32 with
    int64 is float32 (numpy would widen to float64); conversions are recorded.
    """
    tensors = [as_tensor(t) for t in tensors]
    dtype = promotion.result_dtype([(t.dtype, promotion.DIMENSIONED) for t in tensors])
    return [t if t.dtype == dtype else t.astype(dtype) for t in tensors]


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a Tensor."""
    return isinstance(obj, Tensor)
