"""The ops as free functions with PyTorch's names and meanings: autodiff.exp(x),
autodiff.cat([a, b], dim=1), autodiff.max(x, dim) giving (values, indices), ...

So `import autodiff as torch` runs PyTorch code with its meaning unchanged. Reductions also
accept numpy's axis/keepdims spellings, with the same meaning; autodiff.numpy has numpy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff import promotion
from autodiff.broadcast import Axis, Shape
from autodiff.creation import as_tensor, check_device
from autodiff.dtypes import as_dtype
from autodiff.ops import elementwise, linalg, loss
from autodiff.ops import shape as shape_ops
from autodiff.tensor import Tensor, check_same_dtype, get_default_dtype, promoted

__all__ = [
    "abs",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "bincount",
    "bmm",
    "broadcast_to",
    "cat",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "concatenate",
    "cos",
    "cumprod",
    "cumsum",
    "diag",
    "eq",
    "erf",
    "exp",
    "expm1",
    "eye",
    "flatten",
    "flip",
    "floor_divide",
    "ge",
    "gt",
    "histc",
    "index_select",
    "is_tensor",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "leaky_relu",
    "linear",
    "log",
    "log10",
    "log1p",
    "log2",
    "log_sigmoid",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsumexp",
    "lt",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "nan_to_num",
    "narrow",
    "ne",
    "norm",
    "numel",
    "outer",
    "permute",
    "pow",
    "prod",
    "relu",
    "remainder",
    "reshape",
    "roll",
    "sigmoid",
    "sin",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
    "sort",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "swapaxes",
    "t",
    "tanh",
    "topk",
    "transpose",
    "tril",
    "triu",
    "unique",
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


# ----- the names of the programs written after MNIST --------------------------------------


def log10(input: Any) -> Tensor:
    return as_tensor(input).log10()


def log2(input: Any) -> Tensor:
    return as_tensor(input).log2()


def log1p(input: Any) -> Tensor:
    return as_tensor(input).log1p()


def expm1(input: Any) -> Tensor:
    return as_tensor(input).expm1()


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent, elementwise; either may be a number."""
    if isinstance(input, Tensor) or not isinstance(exponent, Tensor):
        return as_tensor(input) ** exponent
    return input**exponent


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """`value` where `mask` is True, else input."""
    return as_tensor(input).masked_fill(mask, value)


def tril(input: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims, zeros above."""
    return as_tensor(input).tril(diagonal)


def triu(input: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims, zeros below."""
    return as_tensor(input).triu(diagonal)


def mm(input: Any, mat2: Any) -> Tensor:
    """The product of two 2-D tensors."""
    return as_tensor(input).mm(mat2)


def t(input: Any) -> Tensor:
    """A 2-D tensor transposed (0-d and 1-d as they are)."""
    return as_tensor(input).t()


def narrow(input: Any, dim: int, start: int, length: int) -> Tensor:
    return as_tensor(input).narrow(dim, start, length)


def all(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    """Whether every element (along dim) is non-zero."""
    return as_tensor(input).all(dim, keepdim, **spelling)


def any(input: Any, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    """Whether some element (along dim) is non-zero."""
    return as_tensor(input).any(dim, keepdim, **spelling)


def allclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether |input - other| <= atol + rtol·|other| everywhere."""
    return as_tensor(input).allclose(other, rtol, atol, equal_nan)


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """(values, indices) of the k largest (or smallest) elements along dim."""
    return as_tensor(input).topk(k, dim, largest, sorted)


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:
    """The elements shifted cyclically along dims (of the flattened tensor without dims)."""
    return as_tensor(input).roll(shifts, dims)


def isnan(input: Any) -> Tensor:
    return as_tensor(input).isnan()


def isinf(input: Any) -> Tensor:
    return as_tensor(input).isinf()


def isfinite(input: Any) -> Tensor:
    return as_tensor(input).isfinite()


def logical_not(input: Any) -> Tensor:
    return as_tensor(input).logical_not()


def logical_and(input: Any, other: Any) -> Tensor:
    return as_tensor(input).logical_and(other)


def logical_or(input: Any, other: Any) -> Tensor:
    return as_tensor(input).logical_or(other)


def logical_xor(input: Any, other: Any) -> Tensor:
    return as_tensor(input).logical_xor(other)


def remainder(input: Any, other: Any) -> Tensor:
    """input % other, with the divisor's sign (Python's %)."""
    return as_tensor(input) % other


def floor_divide(input: Any, other: Any) -> Tensor:
    """floor(input / other), as Python's //."""
    return as_tensor(input) // other


def flip(input: Any, dims: Any) -> Tensor:
    return as_tensor(input).flip(dims)


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    return as_tensor(input).cumsum(dim, dtype=dtype)


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    return as_tensor(input).cumprod(dim, dtype=dtype)


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """(values, indices) sorted along dim."""
    return as_tensor(input).sort(dim, descending, stable)


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return as_tensor(input).argsort(dim, descending, stable)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    return as_tensor(input).index_select(dim, index)


def chunk(input: Any, chunks: int, dim: int = 0) -> list[Tensor]:
    return as_tensor(input).chunk(chunks, dim)


def bmm(input: Any, mat2: Any) -> Tensor:
    return as_tensor(input).bmm(mat2)


def outer(input: Any, vec2: Any) -> Tensor:
    return as_tensor(input).outer(vec2)


def diag(input: Any, diagonal: int = 0) -> Tensor:
    return as_tensor(input).diag(diagonal)


def nan_to_num(
    input: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    return as_tensor(input).nan_to_num(nan, posinf, neginf)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    return as_tensor(input).bincount(weights, minlength)


def unique(
    input: Any,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    return as_tensor(input).unique(sorted, return_inverse, return_counts, dim)


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    return as_tensor(input).histc(bins, min, max)


def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """The n×m identity matrix (ones on the diagonal), default float dtype unless given."""
    check_device(device)
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype, "eye")
    return Tensor._wrap(np.eye(n, m, dtype=dtype)).requires_grad_(requires_grad)
