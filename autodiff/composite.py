"""Ops composed of primitives, with PyTorch's meanings: mean, var, max(dim), prod, norm, ...

Each takes the tensor first and is declared in the op table (autodiff/optable.py), which
makes it a Tensor method and an `autodiff` function.
"""

from __future__ import annotations

import builtins
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from autodiff import conversion, promotion, xp
from autodiff.broadcast import Axis, Shape, normalize_axes
from autodiff.creation import as_tensor
from autodiff.errors import DTypeError, ShapeError, named_errors
from autodiff.inplace import _operand, mark, records
from autodiff.ops import compare, elementwise, layers, linalg, loss, reduce, unary
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


def total(x: Tensor, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """The sum over `axis`, of x converted to `dtype` first where one is given (PyTorch's
    and numpy's `dtype=`: x.sum(dtype=float64) sums float32 values in float64)."""
    if dtype is None:
        return Tensor.apply(reduce.sum, x, axis=axis, keepdims=keepdims)
    x = conversion.astype(x, dtype)  # and the sum kept in it (numpy's sums int32 in int64)
    return conversion.astype(Tensor.apply(reduce.sum, x, axis=axis, keepdims=keepdims), dtype)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """The sum divided by the number of elements summed, of x converted to `dtype` first
    where one is given."""
    if dtype is not None:
        x = conversion.astype(x, dtype)
    return x.sum(axis=axis, keepdims=keepdims) / _count(x, axis)


def var(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: float = 1) -> Tensor:
    """Σ(x - mean)² / (n - ddof) over `axis`; with no degrees of freedom left (n <= ddof),
    0 / 0 = NaN, as PyTorch (and numpy) give."""
    divisor = _count(x, axis) - ddof
    deviation = x - x.mean(axis=axis, keepdims=True)
    return (deviation * deviation).sum(axis=axis, keepdims=keepdims) / (
        divisor if divisor > 0 else 0
    )


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
    if x.shape[axis] == 0:  # the empty product, 1, recorded: its gradient is empty
        return x.sum(axis=axis, keepdims=keepdims) * 0 + 1
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


def pairwise_distance(
    x1: Tensor, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x1 - x2 + eps‖_p over the last dim, row by row (PyTorch's pairwise_distance): eps is
    added to every difference, so equal rows are eps·n^(1/p) apart, not 0.
    """
    x2 = as_tensor(x2)
    if x1.ndim == 0 and x2.ndim == 0:
        raise ShapeError(
            "pairwise_distance: two 0-d inputs; expected vectors, or batches of rows (N, D)"
        )
    return norm(x1 - x2 + eps, p, -1, keepdim)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Values limited to [min, max]; either bound may be None. An integer tensor with a
    float bound gives the default float dtype, as PyTorch promotes.
    """
    if isinstance(min, float) or isinstance(max, float):
        x = floating(x)
    return Tensor.apply(elementwise.clip, x, low=min, high=max)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """input where condition, else other (condition carries no gradient). where(condition)
    alone is nonzero(condition, as_tuple=True): a tuple of index tensors, as in PyTorch."""
    if input is None and other is None:
        return nonzero(as_tensor(condition), as_tuple=True)
    if input is None or other is None:
        raise TypeError(
            "where: given condition and one of input and other; expected where(condition, "
            "input, other), or where(condition) for the indices where it holds"
        )
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
    return Tensor.apply(shape_ops.concatenate, *_common_dtype(tensors, "cat"), axis=dim)


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along a new dim."""
    dim = dim if axis is None else axis
    return Tensor.apply(shape_ops.stack, *_common_dtype(tensors, "stack"), axis=dim)


def _common_dtype(tensors: Sequence[Any], op: str) -> list[Tensor]:
    """The tensors of cat/stack/einsum converted to the dtype PyTorch joins them in: float32
    with int64 is float32 (numpy would widen to float64); conversions are recorded.
    """
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: got one Tensor; expected a list or tuple of Tensors")
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    dtype = promotion.result_dtype([(t.dtype, promotion.DIMENSIONED) for t in tensors])
    return [t if t.dtype == dtype else t.astype(dtype) for t in tensors]


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a Tensor."""
    return isinstance(obj, Tensor)


# ----- the names of the programs written after MNIST -------------------------------------


def nelement(x: Tensor) -> int:
    """The number of elements (PyTorch's older name of numel)."""
    return x._value.size


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """`value` where `mask` is True, else x; mask broadcasts to x's shape."""
    mask = boolean_mask("masked_fill", mask, x.shape)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(
                f"masked_fill: value of shape {value.shape}; expected a number or a 0-d tensor"
            )
        value = value.astype(x.dtype) if value.dtype.kind in "fc" else value._value
    return Tensor.apply(elementwise.where, mask, value, x)


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """masked_fill in place (recorded where a gradient needs it, as in PyTorch)."""
    mask = boolean_mask("masked_fill_", mask, x.shape)
    if records(x, value):
        if isinstance(value, Tensor) and value.ndim != 0:
            raise ShapeError(
                f"masked_fill_: value of shape {value.shape}; expected a number or a 0-d tensor"
            )
        x[xp.broadcast_to(mask, x.shape)] = value
        return x
    mark(x, "masked_fill_")
    xp.copyto(x._value, _operand(value), where=mask, casting="unsafe")
    return x


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (j <= i + diagonal), zeros elsewhere."""
    return _triangle(x, "tril", diagonal, lower=True)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (j >= i + diagonal), zeros elsewhere."""
    return _triangle(x, "triu", diagonal, lower=False)


def _triangle(x: Tensor, op: str, diagonal: int, lower: bool) -> Tensor:
    if x.ndim < 2:
        raise ShapeError(f"{op}: input of shape {x.shape}; expected at least 2 dims")
    rows, cols = x.shape[-2:]
    keep = xp.tri(rows, cols, diagonal, dtype=bool)
    if not lower:
        keep = ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
    return Tensor.apply(elementwise.where, keep, x, x.dtype.type(0))


def mm(x: Tensor, mat2: Any) -> Tensor:
    """The matrix product of two 2-D tensors (no broadcasting, unlike matmul)."""
    check_ranks("mm", (x, mat2), (2, 2))
    return x @ mat2


def t(x: Tensor) -> Tensor:
    """A 2-D tensor transposed; 0-d and 1-d tensors are returned as they are."""
    if x.ndim > 2:
        raise ShapeError(
            f"t: input of shape {x.shape}; expected at most 2 dims (for more, write "
            f"x.transpose(d0, d1) or x.mT)"
        )
    return x if x.ndim < 2 else x.transpose(0, 1)


def all_nonzero(x: Tensor, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    """Whether every element (along `dim`) is non-zero: a bool tensor."""
    axis, keepdims = torch_dims("all", dim, keepdim, spelling.get("axis"), spelling.get("keepdims"))
    return Tensor._wrap(xp.all(x._value, axis=axis, keepdims=keepdims))


def count_nonzero(x: Tensor, dim: Axis = None) -> Tensor:
    """How many elements (along `dim`, one int or several) are non-zero: an int64 tensor."""
    axis, _ = torch_dims("count_nonzero", dim, False, None, None)
    return Tensor._wrap(xp.asarray(xp.count_nonzero(x._value, axis=axis), dtype=xp.int64))


def nansum(x: Tensor, dim: Axis = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum treating NaN as 0 (their gradient is 0), as sum() otherwise."""
    if x._value.dtype.kind != "f":
        return x.sum(dim, keepdim, dtype=dtype)
    return where(xp.isnan(x._value), 0.0, x).sum(dim, keepdim, dtype=dtype)


def any_nonzero(x: Tensor, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
    """Whether some element (along `dim`) is non-zero: a bool tensor."""
    axis, keepdims = torch_dims("any", dim, keepdim, spelling.get("axis"), spelling.get("keepdims"))
    return Tensor._wrap(xp.any(x._value, axis=axis, keepdims=keepdims))


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements, in row-major order: an int64 tensor (n, x.ndim),
    or with as_tuple=True one int64 tensor of n indices per dim (numpy's nonzero). A 0-d
    tensor counts as one element, as in PyTorch: (1, 0) or (0, 0), or as_tuple (index,)."""
    if not isinstance(as_tuple, bool):
        raise TypeError(f"nonzero: as_tuple={as_tuple!r:.40}; expected True or False")
    value = x._value.reshape(1) if x.ndim == 0 else x._value
    found = [index.astype(xp.int64) for index in xp.nonzero(value)]
    if as_tuple:
        return tuple(Tensor._wrap(index) for index in found)
    return Tensor._wrap(xp.stack(found, axis=1)[:, : x.ndim])


def allclose(
    x: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether |x - other| <= atol + rtol·|other| everywhere (shapes broadcast)."""
    other = other._value if isinstance(other, Tensor) else other
    return bool(xp.allclose(x._value, other, rtol=rtol, atol=atol, equal_nan=equal_nan))


def topk(
    x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> ValuesIndices:
    """The k largest (or smallest) values along `dim` and their indices; the gradient
    goes to the elements picked.
    """
    scalar = x.ndim == 0
    x = x.reshape(1) if scalar else x
    axis = normalize_axes(dim, x.ndim, "topk")[0]
    if isinstance(k, bool) or not isinstance(k, (int, xp.integer)):
        raise TypeError(f"topk: k={k!r} is a {type(k).__name__}; expected an integer")
    if not 0 <= k <= x.shape[axis]:
        raise ShapeError(
            f"topk: k={k} for dim {axis} of size {x.shape[axis]}; expected 0 <= k <= "
            f"{x.shape[axis]}"
        )
    keys = -x._value if largest else x._value
    # a stable sort: equal values keep their order, and NaN counts as the largest
    order = xp.argsort(keys, axis=axis, kind="stable")
    if largest:
        nan_first = xp.argsort(
            ~xp.isnan(xp.take_along_axis(x._value, order, axis)), axis=axis, kind="stable"
        )
        order = xp.take_along_axis(order, nan_first, axis)
    indices = xp.take(order, xp.arange(k), axis=axis)
    values = x.take_along_axis(indices, axis)
    if scalar:
        return ValuesIndices(values.reshape(()), Tensor._wrap(indices.reshape(())))
    return ValuesIndices(values, Tensor._wrap(indices.astype(xp.int64)))


def new_zeros(x: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of `size` in x's dtype (unless given)."""
    return _new(x, xp.zeros, size, dtype, requires_grad, "new_zeros")


def new_ones(x: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of `size` in x's dtype (unless given)."""
    return _new(x, xp.ones, size, dtype, requires_grad, "new_ones")


def new_empty(x: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` in x's dtype (unless given); zeros here, as numpy's empty
    would leave whatever memory held."""
    return _new(x, xp.zeros, size, dtype, requires_grad, "new_empty")


def new_full(
    x: Tensor, size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of `size` filled with `fill_value`, in x's dtype (unless given)."""
    full = _new(x, xp.zeros, (size,), dtype, False, "new_full")
    full._value[...] = fill_value
    return full.requires_grad_(requires_grad)


def new_tensor(x: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A copy of `data` in x's dtype (unless given)."""
    data = data._value if isinstance(data, Tensor) else data
    return Tensor(data, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _new(x: Tensor, make: Callable, size: Any, dtype: Any, requires_grad: bool, op: str) -> Tensor:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not builtins.all(isinstance(n, (int, xp.integer)) and n >= 0 for n in size):
        raise ShapeError(f"{op}: size {tuple(size)}; expected non-negative integers")
    data = make(tuple(int(n) for n in size), x.dtype if dtype is None else xp.dtype(dtype))
    return Tensor._wrap(data).requires_grad_(requires_grad)


def type_or_convert(x: Tensor, dtype: Any = None) -> Any:
    """Without dtype PyTorch's type name ('torch.FloatTensor'); with one, the values
    converted (as x.to(dtype)); a name such as 'torch.LongTensor' works too."""
    if dtype is None:
        return f"torch.{TYPE_NAMES.get(x.dtype, x.dtype.name)}"
    if isinstance(dtype, str):
        names = {f"torch.{name}": key for key, name in TYPE_NAMES.items()}
        if dtype not in names:
            raise TypeError(f"type: unknown type {dtype!r}; expected e.g. 'torch.FloatTensor'")
        dtype = names[dtype]
    return x.astype(dtype)


def type_as(x: Tensor, other: Any) -> Tensor:
    """The values in other's dtype."""
    return x.astype(other.dtype)


def isnan(x: Tensor) -> Tensor:
    """Where the values are NaN (a bool tensor)."""
    return Tensor._wrap(xp.isnan(x._value))


def isinf(x: Tensor) -> Tensor:
    """Where the values are +inf or -inf (a bool tensor)."""
    return Tensor._wrap(xp.isinf(x._value))


def isfinite(x: Tensor) -> Tensor:
    """Where the values are neither NaN nor infinite (a bool tensor)."""
    return Tensor._wrap(xp.isfinite(x._value))


def logical_not(x: Tensor) -> Tensor:
    """not x, elementwise (a bool tensor)."""
    return Tensor._wrap(xp.logical_not(x._value))


def logical_and(x: Tensor, other: Any) -> Tensor:
    """x and other, elementwise (a bool tensor)."""
    return Tensor._wrap(xp.logical_and(x._value, _operand(other)))


def logical_or(x: Tensor, other: Any) -> Tensor:
    """x or other, elementwise (a bool tensor)."""
    return Tensor._wrap(xp.logical_or(x._value, _operand(other)))


def logical_xor(x: Tensor, other: Any) -> Tensor:
    """x xor other, elementwise (a bool tensor)."""
    return Tensor._wrap(xp.logical_xor(x._value, _operand(other)))


def cumsum(x: Tensor, dim: int, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running sums along `dim`."""
    x = x if dtype is None else x.astype(dtype)
    if x.dtype.kind == "b":
        x = x.astype(xp.int64)  # PyTorch counts booleans in int64
    dim = normalize_axes(dim if axis is None else axis, builtins.max(x.ndim, 1), "cumsum")[0]
    return Tensor.apply(reduce.cumsum, x, axis=dim)


def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running products along `dim` (recorded as one multiplication per element, so the
    gradient is exact where elements are 0)."""
    x = x if dtype is None else x.astype(dtype)
    if x.ndim == 0:
        return x * 1
    dim = normalize_axes(dim, x.ndim, "cumprod")[0]
    lead = (slice(None),) * dim
    running = x[(*lead, slice(0, 1))]
    pieces = [running]
    for i in range(1, x.shape[dim]):
        running = running * x[(*lead, slice(i, i + 1))]
        pieces.append(running)
    return Tensor.apply(shape_ops.concatenate, *pieces, axis=dim)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """(values, indices) sorted along `dim`; equal values keep their order."""
    scalar = x.ndim == 0
    x = x.reshape(1) if scalar else x
    axis = normalize_axes(dim, x.ndim, "sort")[0]
    indices = _order(x, axis, descending)
    values = x.take_along_axis(indices, axis)
    if scalar:
        return ValuesIndices(values.reshape(()), Tensor._wrap(indices.reshape(())))
    return ValuesIndices(values, Tensor._wrap(indices))


def _order(x: Tensor, axis: int, descending: bool) -> xp.ndarray:
    """Stable sorting indices along axis; NaN counts as the largest value, as PyTorch."""
    keys = x._value
    if descending:  # stable on the reversed axis, mapped back, keeps ties in order
        flipped = xp.flip(keys, axis)
        order = xp.argsort(flipped, axis=axis, kind="stable")
        order = x.shape[axis] - 1 - xp.flip(order, axis)
        return order.astype(xp.int64)
    return xp.argsort(keys, axis=axis, kind="stable").astype(xp.int64)


def median(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (the smaller middle value where there are two): of all elements as
    a 0-d tensor, or along `dim` as (values, indices); NaN where the values hold one. Along a
    dim the gradient goes to the element picked (of tied values, the first in order); of all
    elements it is shared equally by the elements equal to the median (or the NaNs), as
    PyTorch's is."""
    if dim is None:
        if x.numel() == 0:
            return Tensor._wrap(xp.array(xp.nan, x._value.dtype))
        m = median(x.detach().reshape(-1), 0).values
        if not x.requires_grad:
            return m
        value = m._value
        tied = (x._value == value) | (xp.isnan(x._value) & xp.isnan(value))
        return m + (where(tied, x, m) - m).sum() / int(tied.sum())  # m, its gradient shared
    scalar = x.ndim == 0
    x = x.reshape(1) if scalar else x
    axis = normalize_axes(dim, x.ndim, "median")[0]
    count = x.shape[axis]
    if count == 0:
        raise ShapeError(f"median: dim {axis} of shape {x.shape} is empty; expected a value")
    order = _order(x, axis, False)  # NaN sorts last
    pick = xp.take(order, [(count - 1) // 2], axis=axis)
    if x._value.dtype.kind == "f":
        nan = xp.isnan(x._value)
        first_nan = xp.argmax(nan, axis=axis, keepdims=True)
        pick = xp.where(xp.any(nan, axis=axis, keepdims=True), first_nan, pick)
    values = x.take_along_axis(pick, axis)
    if scalar or not keepdim:
        values, pick = values.squeeze(axis), xp.squeeze(pick, axis)
    return ValuesIndices(values, Tensor._wrap(pick))


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th differences along `dim`: out[i] = x[i + 1] − x[i], n times, after joining
    `prepend` before and `append` after x along dim (numbers are broadcast, as numpy's)."""
    if isinstance(n, bool) or not isinstance(n, (int, xp.integer)) or n < 0:
        raise ValueError(f"diff: n={n!r}; expected a non-negative integer")
    if x.ndim == 0:
        raise ShapeError("diff: a 0-d tensor has no dim to take differences along")
    axis = normalize_axes(dim, x.ndim, "diff")[0]
    parts = []
    for extra in (prepend, x, append):
        if extra is None:
            continue
        extra = as_tensor(extra)
        if extra.ndim == 0:
            shape = list(x.shape)
            shape[axis] = 1
            extra = extra.expand(*shape)
        parts.append(extra)
    x = cat(parts, axis) if len(parts) > 1 else x
    head = tuple(slice(1, None) if d == axis else slice(None) for d in range(x.ndim))
    tail = tuple(slice(None, -1) if d == axis else slice(None) for d in range(x.ndim))
    for _ in range(min(n, x.shape[axis])):  # past the dim's size, the result stays empty
        x = x[head] - x[tail]
    return x


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort the elements along `dim`."""
    return x.sort(dim, descending, stable).indices


def bmm(x: Tensor, mat2: Any) -> Tensor:
    """Batched matrix products of (b, n, m) and (b, m, p) tensors."""
    check_ranks("bmm", (x, mat2), (3, 3))
    if x.shape[0] != xp.shape(_operand(mat2))[0]:
        raise ShapeError(
            f"bmm: batches of {x.shape[0]} and {xp.shape(_operand(mat2))[0]}; expected "
            f"equal batch sizes"
        )
    return x @ mat2


def outer(x: Tensor, vec2: Any) -> Tensor:
    """The outer product of two 1-D tensors: out[i, j] = x[i]·vec2[j]."""
    check_ranks("outer", (x, vec2), (1, 1))
    other = vec2 if isinstance(vec2, Tensor) else Tensor(vec2)
    return x.reshape(-1, 1) * other.reshape(1, -1)


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor on a diagonal of a square matrix, or a 2-D tensor's diagonal."""
    if x.ndim == 1:
        n = x.shape[0] + abs(diagonal)
        rows = xp.arange(x.shape[0]) + builtins.max(-diagonal, 0)
        zeros = xp.zeros((n, n), x.dtype)
        return Tensor.apply(shape_ops.index_put, zeros, x, index=(rows, rows + diagonal))
    if x.ndim == 2:
        rows = xp.arange(x.shape[0])
        cols = rows + diagonal
        keep = (cols >= 0) & (cols < x.shape[1])
        return x[rows[keep], cols[keep]]
    raise ShapeError(f"diag: input of shape {x.shape}; expected 1 or 2 dims")


def nan_to_num(
    x, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values
    unless given); the gradient flows where the values are finite."""
    if x.dtype.kind not in "fc":
        return x
    info = xp.finfo(x.dtype)
    values = x._value
    out = x
    for mask, value in (
        (xp.isnan(values), nan),
        (xp.isposinf(values), info.max if posinf is None else posinf),
        (xp.isneginf(values), info.min if neginf is None else neginf),
    ):
        if mask.any():
            out = Tensor.apply(elementwise.where, mask, x.dtype.type(value), out)
    return out


def bincount(x: Tensor, weights: Any = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2, ... occurs in a 1-D non-negative integer tensor (or
    the sums of `weights` there); no gradient."""
    values = x._value
    if values.ndim != 1 or values.dtype.kind not in "iu" or (values < 0).any():
        raise ShapeError(
            f"bincount: input of shape {x.shape} and dtype {x.dtype}; expected a 1-D "
            f"tensor of non-negative integers"
        )
    w = None if weights is None else xp.asarray(_operand(weights))
    counts = xp.bincount(values, weights=w, minlength=minlength)
    if w is None:
        return Tensor._wrap(counts.astype(xp.int64))
    return Tensor._wrap(counts.astype(w.dtype if w.dtype.kind == "f" else xp.float64))


def unique(
    x,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values, sorted (of the flattened tensor, or the distinct slices along
    `dim`); with return_inverse and return_counts, also where each element went and how
    often each value occurs."""
    found = xp.unique(x._value, return_inverse=True, return_counts=True, axis=dim)
    values, inverse, counts = found
    if dim is None:
        inverse = inverse.reshape(x.shape)
    extras = []
    if return_inverse:
        extras.append(Tensor._wrap(inverse.astype(xp.int64)))
    if return_counts:
        extras.append(Tensor._wrap(counts.astype(xp.int64)))
    return (Tensor._wrap(values), *extras) if extras else Tensor._wrap(values)


def histc(x: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the values in `bins` equal bins from min to max (the data's range when
    both are 0); values outside are left out. No gradient."""
    values = x._value
    if min == max == 0:  # the data's range (an empty tensor has none: all counts are 0)
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    else:
        low, high = min, max
    if low == high:
        low, high = low - 1, high + 1
    counts, _ = xp.histogram(values, bins=bins, range=(low, high))
    return Tensor._wrap(counts.astype(x.dtype if x.dtype.kind == "f" else xp.float32))


def fill_(x: Tensor, value: Any) -> Tensor:
    """Every element set to `value`, in place."""
    if records(x, value):
        x[...] = value
        return x
    mark(x, "fill_")
    x._value[...] = _operand(value)
    return x


class Histogram(NamedTuple):
    """What histogram returns: the counts and the bins' edges (PyTorch's fields)."""

    hist: Tensor
    bin_edges: Tensor


def histogram(
    x: Tensor,
    bins: Any = 100,
    *,
    range: tuple[float, float] | None = None,
    weight: Any = None,
    density: bool = False,
) -> Histogram:
    """(hist, bin_edges): counts (or summed weights) of the values in `bins` equal bins over
    `range` (the data's by default), or in the bins between the edges a 1-D tensor gives."""
    edges = _operand(bins) if isinstance(bins, Tensor) else bins
    weights = None if weight is None else xp.asarray(_operand(weight))
    hist, edges = xp.histogram(x._value, bins=edges, range=range, weights=weights, density=density)
    return Histogram(Tensor._wrap(hist.astype(x.dtype)), Tensor._wrap(edges.astype(x.dtype)))


def remainder(x: Tensor, other: Any) -> Tensor:
    """x % other: the remainder with the divisor's sign (Python's and PyTorch's %),
    a - b·floor(a/b), whose gradient is 1 for a and -floor(a/b) for b."""
    a, b = promoted(x, other)
    if a.dtype.kind not in "fc":
        return Tensor._wrap(xp.remainder(_operand(a), _operand(b)))
    return a - b * Tensor._wrap(xp.floor(_operand(a) / _operand(b)))


def remainder_of(x: Tensor, other: Any) -> Tensor:
    """other % x (Python's reflected %)."""
    return remainder(Tensor._wrap(xp.asarray(other)), x)


def floor_divide(x: Tensor, other: Any) -> Tensor:
    """x // other: floor(x / other), as Python's and PyTorch's // (no gradient: it is flat
    almost everywhere)."""
    a, b = promoted(x, other)
    return Tensor._wrap(xp.floor_divide(_operand(a), _operand(b)))


def floor_divide_of(x: Tensor, other: Any) -> Tensor:
    """other // x (Python's reflected //)."""
    b, a = promoted(x, other)
    return Tensor._wrap(xp.floor_divide(_operand(a), _operand(b)))


def power(input: Any, exponent: Any) -> Tensor:
    """input ** exponent, elementwise; either may be a number (torch.pow(2, x))."""
    if isinstance(input, Tensor) or not isinstance(exponent, Tensor):
        return as_tensor(input) ** exponent
    return input**exponent


@named_errors
def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums of products named by letters, as PyTorch's einsum: einsum("bij,bjk->bik", a, b)
    (the operands may also come as one list). Every dim gets a letter: no '...', and no
    letter twice in one operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation {equation!r}; expected a string such as 'ij,jk->ik'")
    tensors = _common_dtype(operands, "einsum")
    return Tensor.apply(linalg.einsum, *tensors, subscripts=equation)


def _scatter_index(x: Tensor, dim: int, index: Any, op: str) -> tuple[xp.ndarray, ...]:
    """The index tuple that puts src[i, j, ...] at x[index[i, j, ...], j, ...] (for dim 0)."""
    index = xp.asarray(_operand(index))
    if index.dtype.kind not in "iu" or index.ndim != x.ndim:
        raise ShapeError(
            f"{op}: index of shape {index.shape} and dtype {index.dtype} for a tensor of shape "
            f"{x.shape}; expected an integer index with the same number of dims"
        )
    dim = normalize_axes(dim, x.ndim, op)[0]
    if index.size and (index.min() < -x.shape[dim] or index.max() >= x.shape[dim]):
        raise IndexError(
            f"{op}: index holds {index.min()}..{index.max()} for dim {dim} of size "
            f"{x.shape[dim]}; expected indices in 0..{x.shape[dim] - 1}"
        )
    grid = xp.indices(index.shape, sparse=True)
    return tuple(index if d == dim else grid[d] for d in range(x.ndim))


def _scattered(x: Tensor, dim: int, index: Any, src: Any, op: str, accumulate: bool) -> Tensor:
    where = _scatter_index(x, dim, index, op)
    shape = xp.broadcast_shapes(*(xp.shape(w) for w in where))
    if isinstance(src, Tensor) and src.ndim:
        src = src[tuple(slice(0, n) for n in shape)]  # PyTorch reads the index's extent
        if src.dtype != x.dtype:
            src = src.astype(x.dtype)
    return Tensor.apply(shape_ops.index_put, x, src, index=where, accumulate=accumulate)


def scatter(x: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """A copy of x with src[i][j] written at [index[i][j]][j] (for dim 0), or `value` there."""
    return _scattered(x, dim, index, value if src is None else src, "scatter", False)


def scatter_add(x: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of x with src[i][j] added at [index[i][j]][j] (for dim 0); repeats add up."""
    return _scattered(x, dim, index, src, "scatter_add", True)


def index_add(x: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """A copy of x with alpha · source's i-th slice along `dim` added at slice index[i];
    repeats add up (dC.index_add_(0, Xb.view(-1), demb.view(-1, n_embd)))."""
    index = xp.asarray(_operand(index))
    dim = normalize_axes(dim, x.ndim, "index_add")[0]
    expected = (*x.shape[:dim], index.size, *x.shape[dim + 1 :])
    if index.dtype.kind not in "iu" or index.ndim > 1 or tuple(xp.shape(source)) != expected:
        raise ShapeError(
            f"index_add: index of shape {index.shape} and dtype {index.dtype}, source of shape "
            f"{tuple(xp.shape(source))}, into a tensor of shape {x.shape} along dim {dim}; "
            f"expected a 1-d integer index and a source of shape {expected}"
        )
    if index.size and (index.min() < -x.shape[dim] or index.max() >= x.shape[dim]):
        raise IndexError(
            f"index_add: index holds {index.min()}..{index.max()} for dim {dim} of size "
            f"{x.shape[dim]}; expected indices in 0..{x.shape[dim] - 1}"
        )
    if isinstance(source, Tensor) and source.dtype != x.dtype:
        source = source.astype(x.dtype)
    where = (slice(None),) * dim + (index.reshape(-1),)
    source = source if alpha == 1 else source * alpha
    return Tensor.apply(shape_ops.index_put, x, source, index=where, accumulate=True)


TYPE_NAMES = {
    xp.dtype(xp.float32): "FloatTensor",
    xp.dtype(xp.float64): "DoubleTensor",
    xp.dtype(xp.float16): "HalfTensor",
    xp.dtype(xp.int64): "LongTensor",
    xp.dtype(xp.int32): "IntTensor",
    xp.dtype(xp.int16): "ShortTensor",
    xp.dtype(xp.int8): "CharTensor",
    xp.dtype(xp.uint8): "ByteTensor",
    xp.dtype(xp.bool_): "BoolTensor",
}


def boolean_mask(op: str, mask: Any, shape: Shape) -> xp.ndarray:
    """A boolean mask that broadcasts to `shape` (it must not enlarge it), as an array."""
    mask = xp.asarray(mask._value if isinstance(mask, Tensor) else mask)
    if mask.dtype != xp.bool_:
        raise DTypeError(f"{op}: mask of dtype {mask.dtype}; expected a bool mask (e.g. x == 0)")
    try:
        fits = xp.broadcast_shapes(mask.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{op}: mask of shape {mask.shape} for a tensor of shape {tuple(shape)}; expected a "
            f"mask that broadcasts to {tuple(shape)}"
        )
    return mask


def check_ranks(op: str, tensors: tuple[Any, ...], ranks: tuple[int, ...]) -> None:
    """Raise unless each operand has the number of dims its op needs."""
    shapes = tuple(xp.shape(t._value if isinstance(t, Tensor) else t) for t in tensors)
    if tuple(len(s) for s in shapes) != ranks:
        raise ShapeError(
            f"{op}: operands of shapes {' and '.join(map(str, shapes))}; expected "
            f"{' and '.join(f'{n}-D' for n in ranks)} tensors"
        )


# ----- activations (nn.functional's): PyTorch's values, and its gradients at the kinks ----

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _activation_input(input: Any, op: str, inplace: Any = False) -> Tensor:
    """input as a floating Tensor (PyTorch's activations refuse integers too); a copy where
    the result is to be written into it, so that the VJPs read the values they were given."""
    x = as_tensor(input)
    if x._value.dtype.kind != "f":
        raise DTypeError(
            f"{op}: input of dtype {x._value.dtype}; expected a floating tensor (e.g. x.float())"
        )
    return conversion.clone(x) if inplace is True and x is input else x


def _written(op: str, input: Any, out: Tensor, inplace: Any) -> Tensor:
    """out; with inplace=True written into `input` and `input` returned (recorded where a
    gradient needs it, as x[...] = value is)."""
    if not isinstance(inplace, (bool, xp.bool_)):
        raise TypeError(f"{op}: inplace={inplace!r:.40}; expected a bool")
    if not inplace:
        return out
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{op}: inplace=True changes a Tensor, got {type(input).__name__}; pass a Tensor, "
            f"or inplace=False for a new one"
        )
    input[...] = out
    return input


def _number(value: Any, op: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name}={value!r:.40}; expected a number")
    return float(value)


def _exponential_linear(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale·x where x > 0, else scale·alpha·(e**(input_scale·x) - 1): PyTorch's elu kernel,
    whose gradient at 0 is that of the exponential side. The exponential sees 0 where x > 0,
    so a large x gives no inf (and no inf·0 = NaN in the gradient)."""
    positive = x > 0
    negative = where(positive, 0.0, x)
    return where(positive, x * scale, (negative * input_scale).expm1() * (scale * alpha))


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha·(e**x - 1); the gradient at 0 is alpha, as PyTorch's."""
    x = _activation_input(input, "elu", inplace)
    out = _exponential_linear(x, _number(alpha, "elu", "alpha"), 1.0, 1.0)
    return _written("elu", input, out, inplace)


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale·elu(x, alpha) with PyTorch's self-normalising constants (alpha ≈ 1.6733,
    scale ≈ 1.0507); the gradient at 0 is scale·alpha."""
    x = _activation_input(input, "selu", inplace)
    out = _exponential_linear(x, _SELU_ALPHA, _SELU_SCALE, 1.0)
    return _written("selu", input, out, inplace)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha·(e**(x/alpha) - 1); the gradient at 0 is 1."""
    x = _activation_input(input, "celu", inplace)
    alpha = _number(alpha, "celu", "alpha")
    if alpha == 0:
        raise ValueError("celu: alpha=0; expected a nonzero alpha (it divides x)")
    return _written("celu", input, _exponential_linear(x, alpha, 1.0, 1.0 / alpha), inplace)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e**(beta·x)) / beta, and x itself where beta·x > threshold (as PyTorch)."""
    x = _activation_input(input, "softplus")
    beta = _number(beta, "softplus", "beta")
    threshold = _number(threshold, "softplus", "threshold")
    if beta == 0:
        raise ValueError("softplus: beta=0; expected a nonzero beta (it divides the result)")
    scaled = x * beta
    smooth = Tensor.apply(unary.softplus, scaled) / beta  # finite for any beta·x
    return where(scaled > threshold, x, smooth)


def logsigmoid(input: Any) -> Tensor:
    """log(1 / (1 + e**-x)) = -softplus(-x), finite for inputs of any size."""
    return Tensor.apply(unary.log_sigmoid, _activation_input(input, "logsigmoid"))


def _clipped(x: Tensor, low: float, high: float, low_value: float, high_value: float) -> Tensor:
    """low_value where x <= low, high_value where x >= high, else x: gradient 0 at both."""
    return where(x <= low, low_value, where(x >= high, high_value, x))


def hardtanh(
    input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 0 at both ends, as PyTorch's."""
    x = _activation_input(input, "hardtanh", inplace)
    low = _number(min_val, "hardtanh", "min_val")
    high = _number(max_val, "hardtanh", "max_val")
    if not low <= high:
        raise ValueError(f"hardtanh: min_val={low} > max_val={high}; expected min_val <= max_val")
    return _written("hardtanh", input, _clipped(x, low, high, low, high), inplace)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6); the gradient is 0 at 0 and at 6, as PyTorch's."""
    x = _activation_input(input, "relu6", inplace)
    return _written("relu6", input, _clipped(x, 0.0, 6.0, 0.0, 6.0), inplace)


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|)."""
    x = _activation_input(input, "softsign")
    return x / (x.abs() + 1.0)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """0 where x <= -3, 1 where x >= 3, else x/6 + 1/2; the gradient is 0 at ±3."""
    x = _activation_input(input, "hardsigmoid", inplace)
    out = where(x <= -3.0, 0.0, where(x >= 3.0, 1.0, x / 6.0 + 0.5))
    return _written("hardsigmoid", input, out, inplace)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x·hardsigmoid(x): 0 where x <= -3, x where x >= 3, else x·(x + 3)/6; the gradient is
    0 at -3 and 1 at 3 (the outer pieces'), as PyTorch's."""
    x = _activation_input(input, "hardswish", inplace)
    out = where(x <= -3.0, 0.0, where(x >= 3.0, x, x * (x + 3.0) / 6.0))
    return _written("hardswish", input, out, inplace)


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x))."""
    x = _activation_input(input, "mish", inplace)
    return _written("mish", input, x * Tensor.apply(unary.softplus, x).tanh(), inplace)


def glu(input: Any, dim: int = -1) -> Tensor:
    """a·sigmoid(b), where a and b are the first and second halves of x along `dim`."""
    x = _activation_input(input, "glu")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"glu: dim={dim!r:.40}; expected an int")
    if x.ndim == 0:
        raise ShapeError("glu: a 0-d input; expected a tensor with a dim of even size to halve")
    (axis,) = normalize_axes(dim, x.ndim, "glu")
    size = x.shape[axis]
    if size % 2:
        raise ShapeError(
            f"glu: input of shape {x.shape} has size {size} along dim {dim}; expected an even "
            f"size, to halve"
        )
    half = size // 2
    return x.narrow(axis, 0, half) * x.narrow(axis, half, half).sigmoid()


def prelu(input: Any, weight: Any) -> Tensor:
    """x where x > 0, else weight·x, one weight for all (weight of 1 element) or one per
    channel (dim 1); at 0 the gradient is weight's side, as PyTorch's."""
    x = _activation_input(input, "prelu")
    w = as_tensor(weight)
    check_same_dtype("prelu", x, w)
    if w.ndim > 1:
        raise ShapeError(f"prelu: weight of shape {w.shape}; expected a 0-d or 1-D weight")
    if w._value.size != 1:
        channels = x.shape[1] if x.ndim > 1 else 1
        if x.ndim == 0 or channels != w._value.size:
            raise ShapeError(
                f"prelu: weight of {w._value.size} elements for input of shape {x.shape}; "
                f"expected one weight, or one per channel (dim 1)"
            )
        w = w.reshape(-1, *([1] * (x.ndim - 2)))
    return where(x > 0, x, w * x)
