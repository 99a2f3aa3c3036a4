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


@nondifferentiable
def argmax(x: Array, axis: int | None = None, keepdims: bool = False) -> tuple[Array, None]:
    """out = index of the largest value along `axis` (the first, at ties)."""
    return np.argmax(x, axis=axis, keepdims=keepdims), None


@nondifferentiable
def argmin(x: Array, axis: int | None = None, keepdims: bool = False) -> tuple[Array, None]:
    """out = index of the smallest value along `axis` (the first, at ties)."""
    return np.argmin(x, axis=axis, keepdims=keepdims), None


@nondifferentiable
def cast(x: Array, dtype: np.dtype) -> tuple[Array, None]:
    """out = x converted to an integer or boolean dtype (no gradient flows through)."""
    return x.astype(dtype), None
