"""Operations whose results carry no gradient: comparisons, argmax, argmin. Never recorded."""

from __future__ import annotations

import numpy as np

from autodiff.primitive import Array, nondifferentiable


@nondifferentiable
def equal(a: Array, b: Array) -> tuple[Array, None]:
    """out = a == b."""
    return np.equal(a, b), None


@nondifferentiable
def not_equal(a: Array, b: Array) -> tuple[Array, None]:
    """out = a != b."""
    return np.not_equal(a, b), None


@nondifferentiable
def less(a: Array, b: Array) -> tuple[Array, None]:
    """out = a < b."""
    return np.less(a, b), None


@nondifferentiable
def less_equal(a: Array, b: Array) -> tuple[Array, None]:
    """out = a <= b."""
    return np.less_equal(a, b), None


@nondifferentiable
def greater(a: Array, b: Array) -> tuple[Array, None]:
    """out = a > b."""
    return np.greater(a, b), None


@nondifferentiable
def greater_equal(a: Array, b: Array) -> tuple[Array, None]:
    """out = a >= b."""
    return np.greater_equal(a, b), None


def _refuse_empty(op: str, x: Array, axis: int | None) -> None:
    """Raise if the values `op` picks from along `axis` (all, for None) are none."""
    if x.size == 0 and (axis is None or x.shape[axis] == 0):
        where = "all dims" if axis is None else f"dim {axis}"
        raise ValueError(
            f"{op}: cannot reduce input {x.shape} over {where}; expected a nonzero size, got size 0"
        )


@nondifferentiable
def argmax(x: Array, axis: int | None = None, keepdims: bool = False) -> tuple[Array, None]:
    """out = index of the largest value along `axis` (the first, at ties)."""
    _refuse_empty("argmax", x, axis)
    return np.argmax(x, axis=axis, keepdims=keepdims), None


@nondifferentiable
def argmin(x: Array, axis: int | None = None, keepdims: bool = False) -> tuple[Array, None]:
    """out = index of the smallest value along `axis` (the first, at ties)."""
    _refuse_empty("argmin", x, axis)
    return np.argmin(x, axis=axis, keepdims=keepdims), None


@nondifferentiable
def cast(x: Array, dtype: np.dtype) -> tuple[Array, None]:
    """out = x converted to an integer or boolean dtype (no gradient flows through)."""
    return x.astype(dtype), None
