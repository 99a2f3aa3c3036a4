"""The ops as free functions with PyTorch's names and meanings: autodiff.exp(x),
autodiff.cat([a, b], dim=1), autodiff.max(x, dim) giving (values, indices), ...

So `import autodiff as torch` runs PyTorch code with its meaning unchanged. Reductions also
accept numpy's axis/keepdims spellings, with the same meaning; autodiff.numpy has numpy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff import promotion
from autodiff.broadcast import Axis, Shape
from autodiff.creation import as_tensor
from autodiff.errors import ShapeError
from autodiff.ops import elementwise, layers, linalg, loss
from autodiff.ops import shape as shape_ops
from autodiff.tensor import Tensor, check_same_dtype, promoted

__all__ = [
    "abs",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "broadcast_to",
    "cat",
    "clamp",
    "clip",
    "clone",
    "concatenate",
    "cos",
    "eq",
    "erf",
    "exp",
    "flatten",
    "ge",
    "gt",
    "gru_gates",
    "is_tensor",
    "layer_norm",
    "le",
    "leaky_relu",
    "linear",
    "log",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "lstm_gates",
    "lt",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "ne",
    "norm",
    "numel",
    "permute",
    "prod",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "swapaxes",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "where",
]


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Any) -> int:
    return as_tensor(input).numel()


def clone(input: Any) -> Tensor:
    """A copy of the values, recorded: gradients flow back to input."""
    return as_tensor(input).clone()


def exp(input: Any) -> Tensor:
    return as_tensor(input).exp()


def log(input: Any) -> Tensor:
    return as_tensor(input).log()


def sqrt(input: Any) -> Tensor:
    return as_tensor(input).sqrt()


def abs(input: Any) -> Tensor:
    return as_tensor(input).abs()


def sin(input: Any) -> Tensor:
    return as_tensor(input).sin()


def cos(input: Any) -> Tensor:
    return as_tensor(input).cos()


def tanh(input: Any) -> Tensor:
    return as_tensor(input).tanh()


def sigmoid(input: Any) -> Tensor:
    return as_tensor(input).sigmoid()


def softplus(input: Any) -> Tensor:
    return as_tensor(input).softplus()


def log_sigmoid(input: Any) -> Tensor:
    return as_tensor(input).log_sigmoid()


def relu(input: Any) -> Tensor:
    return as_tensor(input).relu()


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    return as_tensor(input).leaky_relu(negative_slope)


def erf(input: Any) -> Tensor:
    return as_tensor(input).erf()


def clamp(input: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Values limited to [min, max]; either bound may be None."""
    return as_tensor(input).clamp(min, max)


clip = clamp


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max; at ties each side gets half the gradient."""
    return Tensor.apply(elementwise.maximum, *promoted(input, other))


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min; at ties each side gets half the gradient."""
    return Tensor.apply(elementwise.minimum, *promoted(input, other))


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """input where condition, else other (condition carries no gradient)."""
    return Tensor.apply(elementwise.where, condition, *promoted(input, other))


def eq(input: Any, other: Any) -> Tensor:
    return as_tensor(input) == other


def ne(input: Any, other: Any) -> Tensor:
    return as_tensor(input) != other


def lt(input: Any, other: Any) -> Tensor:
    return as_tensor(input) < other


def le(input: Any, other: Any) -> Tensor:
    return as_tensor(input) <= other


def gt(input: Any, other: Any) -> Tensor:
    return as_tensor(input) > other


def ge(input: Any, other: Any) -> Tensor:
    return as_tensor(input) >= other


def matmul(input: Any, other: Any) -> Tensor:
    """input @ other; both of one dtype (float32 with float64 raises a DTypeError, as in
    PyTorch; autodiff.numpy.matmul promotes instead).
    """
    return as_tensor(input) @ other


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """input @ weightᵀ + bias in one recorded op; weight is (out_features, in_features).

    All three must share one dtype: a float64 batch into a float32 layer raises a DTypeError
    (as in PyTorch) instead of silently computing the whole network in float64.
    """
    if not _one_dtype(input, weight, bias):
        check_same_dtype("linear", input, weight, bias)
    return Tensor.apply(linalg.linear, input, weight, bias)


def _one_dtype(input: Any, weight: Any, bias: Any) -> bool:
    """The common case, checked cheaply: three Tensors (or no bias) of one dtype."""
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)):
        return False
    dtype = weight._value.dtype
    if input._value.dtype != dtype:
        return False
    return bias is None or (isinstance(bias, Tensor) and bias._value.dtype == dtype)


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


def sum(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).sum(dim, keepdim, **spelling)


def mean(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).mean(dim, keepdim, **spelling)


def var(input: Any, dim: Axis = None, *args: Any, **kwargs: Any) -> Tensor:
    """Unbiased (correction=1) by default, as PyTorch; see Tensor.var."""
    return as_tensor(input).var(dim, *args, **kwargs)


def std(input: Any, dim: Axis = None, *args: Any, **kwargs: Any) -> Tensor:
    """Unbiased (correction=1) by default, as PyTorch; see Tensor.std."""
    return as_tensor(input).std(dim, *args, **kwargs)


def max(input: Any, dim: Any = None, keepdim: bool = False, **spelling: Any) -> Any:
    """max(x): the largest value; max(x, dim): (values, indices); max(x, other): elementwise."""
    return as_tensor(input).max(dim, keepdim, **spelling)


def min(input: Any, dim: Any = None, keepdim: bool = False, **spelling: Any) -> Any:
    """min(x): the smallest value; min(x, dim): (values, indices); min(x, other): elementwise."""
    return as_tensor(input).min(dim, keepdim, **spelling)


def amax(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).amax(dim, keepdim, **spelling)


def amin(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).amin(dim, keepdim, **spelling)


def prod(input: Any, dim: int | None = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).prod(dim, keepdim, **spelling)


def norm(input: Any, p: float | str = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
    return as_tensor(input).norm(p, dim, keepdim)


def logsumexp(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).logsumexp(dim, keepdim, **spelling)


def softmax(input: Any, dim: int = -1, **spelling: Any) -> Tensor:
    return as_tensor(input).softmax(dim, **spelling)


def log_softmax(input: Any, dim: int = -1, **spelling: Any) -> Tensor:
    return as_tensor(input).log_softmax(dim, **spelling)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).argmax(dim, keepdim, **spelling)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    return as_tensor(input).argmin(dim, keepdim, **spelling)


def reshape(input: Any, shape: Shape) -> Tensor:
    return as_tensor(input).reshape(shape)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    """dims dim0 and dim1 swapped (PyTorch's meaning; autodiff.numpy.transpose permutes)."""
    return as_tensor(input).transpose(dim0, dim1)


swapaxes = transpose


def permute(input: Any, dims: Sequence[int]) -> Tensor:
    return as_tensor(input).permute(dims)


def squeeze(input: Any, dim: Axis = None) -> Tensor:
    return as_tensor(input).squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:
    return as_tensor(input).unsqueeze(dim)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return as_tensor(input).flatten(start_dim, end_dim)


def broadcast_to(input: Any, size: Shape) -> Tensor:
    return as_tensor(input).broadcast_to(size)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along an existing dim."""
    return Tensor.apply(shape_ops.concatenate, *_common_dtype(tensors), axis=_dim(dim, axis))


concatenate = cat


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along a new dim."""
    return Tensor.apply(shape_ops.stack, *_common_dtype(tensors), axis=_dim(dim, axis))


def _dim(dim: int, axis: int | None) -> int:
    """The dim of cat/stack under either spelling."""
    return dim if axis is None else axis


def _common_dtype(tensors: Sequence[Any]) -> list[Tensor]:
    """The tensors of cat/stack converted to the dtype PyTorch joins them in: float32 with
    int64 is float32 (numpy would widen to float64); conversions are recorded.
    """
    tensors = [as_tensor(t) for t in tensors]
    dtype = promotion.result_dtype([(t.dtype, promotion.DIMENSIONED) for t in tensors])
    return [t if t.dtype == dtype else t.astype(dtype) for t in tensors]


def split(tensor: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[Tensor]:
    """Pieces of the given size (an int) or sizes (a list) along dim, as PyTorch."""
    return as_tensor(tensor).split(split_size_or_sections, dim)


def softmax_cross_entropy(logits: Any, target: Any, reduction: str = "none") -> Tensor:
    """-log softmax(logits)[n, target[n]] for (N, C) logits and (N,) class indices:
    per sample (reduction="none"), or their "mean" or "sum".

    One fused primitive: faster than log_softmax followed by indexing, and finite for
    logits of any size.
    """
    return Tensor.apply(loss.softmax_cross_entropy, logits, target, reduction=reduction)
