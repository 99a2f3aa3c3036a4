"""PyTorch's named forms of the arithmetic operators: `x.add(y, alpha=2)`, `torch.mul(x, 3)`,
`x.div(t, rounding_mode="floor")`. Each is its operator (recorded, operands promoted as the
operator promotes them); rounded division, which has no gradient, is computed on the values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.tensor import Tensor, promoted


def add(x: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """x + alpha · other, elementwise (other may be a number)."""
    return x + (other if alpha == 1 else other * alpha)


def sub(x: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """x - alpha · other, elementwise (other may be a number)."""
    return x - (other if alpha == 1 else other * alpha)


def mul(x: Tensor, other: Any) -> Tensor:
    """x · other, elementwise (other may be a number)."""
    return x * other


def neg(x: Tensor) -> Tensor:
    """-x, elementwise."""
    return -x


def div(x: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """x / other, elementwise: true division (integers give floats), or with rounding_mode
    "trunc" (towards zero) or "floor" (Python's //) a rounded quotient in the operands'
    promoted dtype, which has no gradient (as in PyTorch)."""
    if rounding_mode is None:
        return x / other
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode={rounding_mode!r}; expected None, 'trunc' or 'floor'")
    a, b = (np.asarray(v._value if isinstance(v, Tensor) else v) for v in promoted(x, other))
    dtype = np.result_type(a, b) if np.ndim(b) or isinstance(other, Tensor) else a.dtype
    if dtype.kind in "biu" and np.any(b == 0):
        raise ZeroDivisionError(f"div: integer division by zero (rounding_mode={rounding_mode!r})")
    with np.errstate(divide="ignore", invalid="ignore"):
        if rounding_mode == "floor":
            out = np.floor_divide(a, b)
        elif dtype.kind in "fc":
            out = np.trunc(np.true_divide(a, b))
        else:
            out = np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))
    return Tensor._wrap(np.asarray(out, dtype=dtype))


def square(x: Tensor) -> Tensor:
    """x², elementwise."""
    return x * x


def reciprocal(x: Tensor) -> Tensor:
    """1 / x, elementwise (integers give floats)."""
    return 1 / x


def rsqrt(x: Tensor) -> Tensor:
    """1 / √x, elementwise."""
    return 1 / x.sqrt()


def lerp(x: Tensor, end: Any, weight: Any) -> Tensor:
    """x + weight · (end - x): the point `weight` of the way from x to end."""
    return x + weight * (end - x)


def addcmul(x: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """x + value · tensor1 · tensor2, elementwise."""
    return x + value * (tensor1 * tensor2)


def addcdiv(x: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """x + value · tensor1 / tensor2, elementwise."""
    return x + value * (tensor1 / tensor2)


def addmm(x: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta · x + alpha · (mat1 @ mat2) (x broadcast to the product's shape)."""
    product = mat1 @ mat2
    return (x if beta == 1 else beta * x) + (product if alpha == 1 else alpha * product)
