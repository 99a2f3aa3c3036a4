"""The numpy side of the op table: how autodiff.numpy reads its inputs (numpy's dtypes, Python
numbers as weak scalars) and the functions whose numpy meaning differs from PyTorch's
(transpose permutes, split cuts into parts, squeeze insists, matmul promotes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff import xp
from autodiff.broadcast import Axis, normalize_axes
from autodiff.composite import nonzero
from autodiff.creation import as_tensor
from autodiff.errors import ShapeError, named_errors
from autodiff.ops import elementwise, linalg
from autodiff.ops import shape as shape_ops
from autodiff.shaping import split_at
from autodiff.tensor import Tensor


def tensor(a: Any) -> Tensor:
    """`a` as a Tensor with numpy's dtypes (a Python float is float64), sharing an ndarray."""
    return a if isinstance(a, Tensor) else Tensor._wrap(xp.asarray(a))


def weak(a: Any) -> Any:
    """An operand of a binary function: a Python number stays one, which numpy treats as weak
    (float32 array with 2.5 stays float32); anything else becomes a Tensor as numpy reads it.
    """
    return a if isinstance(a, (bool, int, float, complex)) else tensor(a)


def floating(a: Any) -> Tensor:
    """`a` in the float dtype numpy's ufuncs compute it in: integers and booleans become
    float64, or float16/float32 for 8- and 16-bit ones (numpy.exp of int64 is float64, where
    autodiff.exp of an integer tensor follows PyTorch and gives float32).
    """
    x = tensor(a)
    kind = x.dtype.kind
    return x.astype(xp.promote_types(x.dtype, xp.float16)) if kind in "biu" else x


def averaged(a: Any) -> Tensor:
    """`a` as mean, var and std read it: integers and booleans as float64, as numpy's do."""
    x = tensor(a)
    return x.astype(xp.float64) if x.dtype.kind in "biu" else x


@named_errors
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """x where condition, else y (condition carries no gradient); where(condition) alone is
    nonzero(condition): a tuple of int64 index tensors, one per dim, as numpy's."""
    if x is None and y is None:
        return nonzero(as_tensor(condition), as_tuple=True)
    if x is None or y is None:
        raise TypeError(
            "where: given condition and one of x and y; expected where(condition, x, y), or "
            "where(condition) for the indices where it holds"
        )
    return Tensor.apply(elementwise.where, condition, weak(x), weak(y))


@named_errors
def matmul(x1: Any, x2: Any) -> Tensor:
    """x1 @ x2, promoting as numpy does: float32 with float64 computes in float64 (the cast is
    recorded, so each input's gradient keeps its dtype).
    """
    a, b = tensor(x1), tensor(x2)
    dtype = xp.result_type(a.dtype, b.dtype)
    return Tensor.apply(linalg.matmul, a.astype(dtype), b.astype(dtype))


@named_errors
def transpose(a: Any, axes: Sequence[int] | None = None) -> Tensor:
    """The axes permuted by `axes` (reversed if None), as numpy.transpose."""
    return Tensor.apply(shape_ops.transpose, tensor(a), axes=None if axes is None else tuple(axes))


@named_errors
def squeeze(a: Any, axis: Axis = None) -> Tensor:
    """Size-1 axes removed (all, or those in `axis`, each of which must have size 1)."""
    x = tensor(a)
    if axis is not None:
        wrong = [i for i in normalize_axes(axis, x.ndim, "squeeze") if x.shape[i] != 1]
        if wrong:
            raise ShapeError(
                f"squeeze: axis {wrong[0]} of an array of shape {x.shape} has size "
                f"{x.shape[wrong[0]]}; expected size 1"
            )
    return x.squeeze(axis)


@named_errors
def concatenate(arrays: Sequence[Any], axis: int = 0) -> Tensor:
    """The arrays joined along an existing axis."""
    return Tensor.apply(shape_ops.concatenate, *map(tensor, arrays), axis=axis)


@named_errors
def stack(arrays: Sequence[Any], axis: int = 0) -> Tensor:
    """The arrays joined along a new axis."""
    return Tensor.apply(shape_ops.stack, *map(tensor, arrays), axis=axis)


@named_errors
def split(ary: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """numpy.split: an int is a number of equal parts, a list the indices to cut before."""
    x = tensor(ary)
    if isinstance(indices_or_sections, (int, xp.integer)):
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
    return split_at(x, indices, axis)
