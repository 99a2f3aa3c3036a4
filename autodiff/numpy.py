"""autodiff.numpy: the ops as free functions with numpy's names and meanings.

`import autodiff.numpy as np` ports numpy code, as HIPS autograd's `autograd.numpy` does:
`transpose(x, axes)` permutes, `std(x, axis)` is biased (ddof=0), `max(x, axis)` gives the
values, `split(x, sections)` cuts into equal parts or at indices, `matmul` promotes float32 with
float64 to float64, and `zeros`, `array`, ... default to float64. Each function returns a Tensor
and is recorded, so gradients flow. The top-level `autodiff` namespace speaks PyTorch instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from autodiff.broadcast import Axis, Shape, normalize_axes
from autodiff.creation import as_tensor
from autodiff.errors import ShapeError
from autodiff.ops import elementwise, linalg
from autodiff.ops import shape as shape_ops
from autodiff.tensor import Tensor

__all__ = [
    "abs",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "array",
    "asarray",
    "astype",
    "broadcast_to",
    "clip",
    "concatenate",
    "cos",
    "erf",
    "exp",
    "expand_dims",
    "leaky_relu",
    "log",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "ones",
    "prod",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "swapaxes",
    "take_along_axis",
    "tanh",
    "transpose",
    "var",
    "where",
    "zeros",
]


def array(object: Any, dtype: Any = None) -> Tensor:
    """A Tensor holding a copy of `object`, with numpy's dtypes (Python floats are float64)."""
    data = object._value if isinstance(object, Tensor) else object
    return Tensor(numpy.array(data, dtype=dtype))


def asarray(a: Any, dtype: Any = None) -> Tensor:
    """`a` as a Tensor, without a copy where it already is one (or an ndarray) of `dtype`."""
    if isinstance(a, (Tensor, numpy.ndarray)):
        return as_tensor(a, dtype)
    return Tensor(numpy.asarray(a, dtype=dtype))


def _tensor(a: Any) -> Tensor:
    """`a` as a Tensor with numpy's dtypes (a Python float is float64), sharing an ndarray."""
    return a if isinstance(a, Tensor) else Tensor._wrap(numpy.asarray(a))


def _operand(a: Any) -> Any:
    """An operand of a binary function: a Python number stays one, which numpy treats as weak
    (float32 array with 2.5 stays float32); anything else becomes a Tensor as numpy reads it.
    """
    return a if isinstance(a, (bool, int, float, complex)) else _tensor(a)


def _float_input(a: Any) -> Tensor:
    """`a` in the float dtype numpy's ufuncs compute it in: integers and booleans become
    float64, or float16/float32 for 8- and 16-bit ones (numpy.exp of int64 is float64, where
    autodiff.exp of an integer tensor follows PyTorch and gives float32).
    """
    x = _tensor(a)
    kind = x.dtype.kind
    return x.astype(numpy.promote_types(x.dtype, numpy.float16)) if kind in "biu" else x


def _mean_input(a: Any) -> Tensor:
    """`a` as mean, var and std read it: integers and booleans as float64, as numpy's do."""
    x = _tensor(a)
    return x.astype(numpy.float64) if x.dtype.kind in "biu" else x


def _spelling(op: str, axis: Axis, keepdims: bool, dim: Axis, keepdim: bool) -> tuple[Axis, bool]:
    """(axis, keepdims) from numpy's spelling or PyTorch's dim/keepdim, which mean the same."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; expected one")
        axis = dim
    return axis, bool(keepdims or keepdim)


def zeros(shape: Shape, dtype: Any = float) -> Tensor:
    """Zeros of `shape`, float64 unless `dtype` says otherwise (numpy's default)."""
    return Tensor._wrap(numpy.zeros(shape, dtype))


def ones(shape: Shape, dtype: Any = float) -> Tensor:
    """Ones of `shape`, float64 unless `dtype` says otherwise (numpy's default)."""
    return Tensor._wrap(numpy.ones(shape, dtype))


def exp(x: Any) -> Tensor:
    return _float_input(x).exp()


def log(x: Any) -> Tensor:
    return _float_input(x).log()


def sqrt(x: Any) -> Tensor:
    return _float_input(x).sqrt()


def abs(x: Any) -> Tensor:
    return _tensor(x).abs()


def sin(x: Any) -> Tensor:
    return _float_input(x).sin()


def cos(x: Any) -> Tensor:
    return _float_input(x).cos()


def tanh(x: Any) -> Tensor:
    return _float_input(x).tanh()


def sigmoid(x: Any) -> Tensor:
    return _float_input(x).sigmoid()


def softplus(x: Any) -> Tensor:
    return _float_input(x).softplus()


def log_sigmoid(x: Any) -> Tensor:
    return _float_input(x).log_sigmoid()


def relu(x: Any) -> Tensor:
    return _tensor(x).relu()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    return _tensor(x).leaky_relu(negative_slope)


def erf(x: Any) -> Tensor:
    return _float_input(x).erf()


def softmax(x: Any, axis: int = -1) -> Tensor:
    """e**x / Σ e**x along `axis` (scipy.special's name and argument)."""
    return _float_input(x).softmax(axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis` (scipy.special's name and argument)."""
    return _float_input(x).log_softmax(axis=axis)


def clip(a: Any, a_min: float | None, a_max: float | None) -> Tensor:
    """Values limited to [a_min, a_max]; either bound may be None."""
    return _tensor(a).clamp(a_min, a_max)


def maximum(x1: Any, x2: Any) -> Tensor:
    """Elementwise max; at ties each side gets half the gradient."""
    return Tensor.apply(elementwise.maximum, _operand(x1), _operand(x2))


def minimum(x1: Any, x2: Any) -> Tensor:
    """Elementwise min; at ties each side gets half the gradient."""
    return Tensor.apply(elementwise.minimum, _operand(x1), _operand(x2))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition, else y (condition carries no gradient)."""
    return Tensor.apply(elementwise.where, condition, _operand(x), _operand(y))


def matmul(x1: Any, x2: Any) -> Tensor:
    """x1 @ x2, promoting as numpy does: float32 with float64 computes in float64 (the cast is
    recorded, so each input's gradient keeps its dtype).
    """
    a, b = _tensor(x1), _tensor(x2)
    dtype = numpy.result_type(a.dtype, b.dtype)
    return Tensor.apply(linalg.matmul, a.astype(dtype), b.astype(dtype))


def sum(
    a: Any, axis: Axis = None, *, keepdims: bool = False, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    axis, keepdims = _spelling("sum", axis, keepdims, dim, keepdim)
    return _tensor(a).sum(axis=axis, keepdims=keepdims)


def mean(
    a: Any, axis: Axis = None, *, keepdims: bool = False, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    axis, keepdims = _spelling("mean", axis, keepdims, dim, keepdim)
    return _mean_input(a).mean(axis=axis, keepdims=keepdims)


def var(
    a: Any,
    axis: Axis = None,
    *,
    ddof: float = 0,
    keepdims: bool = False,
    dim: Axis = None,
    keepdim: bool = False,
) -> Tensor:
    """Mean squared deviation, divided by (n - ddof): biased (ddof=0) by default, as numpy."""
    axis, keepdims = _spelling("var", axis, keepdims, dim, keepdim)
    return _mean_input(a).var(axis=axis, keepdims=keepdims, ddof=ddof)


def std(
    a: Any,
    axis: Axis = None,
    *,
    ddof: float = 0,
    keepdims: bool = False,
    dim: Axis = None,
    keepdim: bool = False,
) -> Tensor:
    """Square root of var (biased, ddof=0, by default, as numpy)."""
    axis, keepdims = _spelling("std", axis, keepdims, dim, keepdim)
    return _mean_input(a).std(axis=axis, keepdims=keepdims, ddof=ddof)


def amax(
    a: Any, axis: Axis = None, *, keepdims: bool = False, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    """The largest values over `axis`; ties share the gradient."""
    axis, keepdims = _spelling("amax", axis, keepdims, dim, keepdim)
    return _tensor(a).amax(axis=axis, keepdims=keepdims)


def amin(
    a: Any, axis: Axis = None, *, keepdims: bool = False, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    """The smallest values over `axis`; ties share the gradient."""
    axis, keepdims = _spelling("amin", axis, keepdims, dim, keepdim)
    return _tensor(a).amin(axis=axis, keepdims=keepdims)


max = amax
min = amin


def prod(
    a: Any,
    axis: int | None = None,
    *,
    keepdims: bool = False,
    dim: int | None = None,
    keepdim: bool = False,
) -> Tensor:
    axis, keepdims = _spelling("prod", axis, keepdims, dim, keepdim)
    return _tensor(a).prod(axis=axis, keepdims=keepdims)


def logsumexp(
    a: Any, axis: Axis = None, *, keepdims: bool = False, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    """log Σ e**a over `axis` (scipy.special's name), finite for inputs of any size."""
    axis, keepdims = _spelling("logsumexp", axis, keepdims, dim, keepdim)
    return _float_input(a).logsumexp(axis=axis, keepdims=keepdims)


def argmax(
    a: Any,
    axis: int | None = None,
    *,
    keepdims: bool = False,
    dim: int | None = None,
    keepdim: bool = False,
) -> Tensor:
    axis, keepdims = _spelling("argmax", axis, keepdims, dim, keepdim)
    return _tensor(a).argmax(axis=axis, keepdims=keepdims)


def argmin(
    a: Any,
    axis: int | None = None,
    *,
    keepdims: bool = False,
    dim: int | None = None,
    keepdim: bool = False,
) -> Tensor:
    axis, keepdims = _spelling("argmin", axis, keepdims, dim, keepdim)
    return _tensor(a).argmin(axis=axis, keepdims=keepdims)


def reshape(a: Any, newshape: Shape) -> Tensor:
    return _tensor(a).reshape(newshape)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Tensor:
    """The axes permuted by `axes` (reversed if None), as numpy.transpose."""
    return Tensor.apply(shape_ops.transpose, _tensor(a), axes=None if axes is None else tuple(axes))


def swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    return _tensor(a).transpose(axis1, axis2)


def expand_dims(a: Any, axis: int) -> Tensor:
    return _tensor(a).unsqueeze(axis)


def squeeze(a: Any, axis: Axis = None) -> Tensor:
    """Size-1 axes removed (all, or those in `axis`, each of which must have size 1)."""
    x = _tensor(a)
    if axis is not None:
        wrong = [i for i in normalize_axes(axis, x.ndim, "squeeze") if x.shape[i] != 1]
        if wrong:
            raise ShapeError(
                f"squeeze: axis {wrong[0]} of an array of shape {x.shape} has size "
                f"{x.shape[wrong[0]]}; expected size 1"
            )
    return x.squeeze(axis)


def broadcast_to(array: Any, shape: Shape) -> Tensor:
    return _tensor(array).broadcast_to(shape)


def concatenate(arrays: Sequence[Any], axis: int = 0) -> Tensor:
    """The arrays joined along an existing axis."""
    return Tensor.apply(shape_ops.concatenate, *map(_tensor, arrays), axis=axis)


def stack(arrays: Sequence[Any], axis: int = 0) -> Tensor:
    """The arrays joined along a new axis."""
    return Tensor.apply(shape_ops.stack, *map(_tensor, arrays), axis=axis)


def split(ary: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """numpy.split: an int is a number of equal parts, a list the indices to cut before."""
    x = _tensor(ary)
    if isinstance(indices_or_sections, (int, numpy.integer)):
        length = x.shape[axis]
        sections = int(indices_or_sections)
        if sections <= 0 or length % sections:
            raise ValueError(
                f"split: axis {axis} of size {length} cannot be split into {sections} equal "
                f"parts; expected a number of parts that divides {length}"
            )
        indices = list(range(length // sections, length, length // sections))
    else:
        indices = list(indices_or_sections)
    return x.split_at(indices, axis)


def take_along_axis(arr: Any, indices: Any, axis: int) -> Tensor:
    return _tensor(arr).take_along_axis(indices, axis)


def astype(x: Any, dtype: Any) -> Tensor:
    """x converted to `dtype` (recorded for floating dtypes, so gradients flow back)."""
    return _tensor(x).astype(dtype)
