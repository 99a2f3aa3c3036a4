"""The ops as free functions with numpy's names: autodiff.exp(x), autodiff.stack([a, b])."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff.broadcast import Axis, Shape
from autodiff.ops import elementwise, linalg, loss, shape
from autodiff.tensor import Tensor, get_default_dtype

__all__ = [
    "tensor",
    "as_tensor",
    "zeros",
    "ones",
    "exp",
    "log",
    "sqrt",
    "abs",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "softplus",
    "log_sigmoid",
    "relu",
    "leaky_relu",
    "erf",
    "clip",
    "maximum",
    "minimum",
    "where",
    "matmul",
    "linear",
    "sum",
    "mean",
    "var",
    "std",
    "max",
    "min",
    "logsumexp",
    "softmax",
    "log_softmax",
    "argmax",
    "argmin",
    "reshape",
    "transpose",
    "swapaxes",
    "broadcast_to",
    "concatenate",
    "stack",
    "split",
    "take_along_axis",
    "astype",
    "softmax_cross_entropy",
]


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Tensor(data, ...), PyTorch's spelling."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(x: Any) -> Tensor:
    """x itself if it is a Tensor, else a new Tensor around it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def zeros(shape: Shape, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(shape, dtype or get_default_dtype()), requires_grad=requires_grad)


def ones(shape: Shape, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(shape, dtype or get_default_dtype()), requires_grad=requires_grad)


def exp(x: Any) -> Tensor:
    return as_tensor(x).exp()


def log(x: Any) -> Tensor:
    return as_tensor(x).log()


def sqrt(x: Any) -> Tensor:
    return as_tensor(x).sqrt()


def abs(x: Any) -> Tensor:
    return as_tensor(x).abs()


def sin(x: Any) -> Tensor:
    return as_tensor(x).sin()


def cos(x: Any) -> Tensor:
    return as_tensor(x).cos()


def tanh(x: Any) -> Tensor:
    return as_tensor(x).tanh()


def sigmoid(x: Any) -> Tensor:
    return as_tensor(x).sigmoid()


def softplus(x: Any) -> Tensor:
    return as_tensor(x).softplus()


def log_sigmoid(x: Any) -> Tensor:
    return as_tensor(x).log_sigmoid()


def relu(x: Any) -> Tensor:
    return as_tensor(x).relu()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    return as_tensor(x).leaky_relu(negative_slope)


def erf(x: Any) -> Tensor:
    return as_tensor(x).erf()


def clip(x: Any, low: float | None = None, high: float | None = None) -> Tensor:
    return as_tensor(x).clip(low, high)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; at ties each side gets half the gradient."""
    return Tensor.apply(elementwise.maximum, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; at ties each side gets half the gradient."""
    return Tensor.apply(elementwise.minimum, a, b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """a where condition, else b (condition carries no gradient)."""
    return Tensor.apply(elementwise.where, condition, a, b)


def matmul(a: Any, b: Any) -> Tensor:
    return as_tensor(a) @ b


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weightᵀ + bias in one recorded op; weight is (out_features, in_features)."""
    return Tensor.apply(linalg.linear, x, weight, bias)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).sum(axis, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).mean(axis, keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    return as_tensor(x).var(axis, keepdims, ddof)


def std(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    return as_tensor(x).std(axis, keepdims, ddof)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).max(axis, keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).min(axis, keepdims)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).logsumexp(axis, keepdims)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return as_tensor(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return as_tensor(x).log_softmax(axis)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).argmax(axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    return as_tensor(x).argmin(axis, keepdims)


def reshape(x: Any, shape: Shape) -> Tensor:
    return as_tensor(x).reshape(shape)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    return as_tensor(x).transpose(axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    return as_tensor(x).swapaxes(axis1, axis2)


def broadcast_to(x: Any, shape: Shape) -> Tensor:
    return as_tensor(x).broadcast_to(shape)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along an existing axis."""
    return Tensor.apply(shape.concatenate, *tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along a new axis."""
    return Tensor.apply(shape.stack, *tensors, axis=axis)


def split(x: Any, sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    return as_tensor(x).split(sections, axis)


def take_along_axis(x: Any, indices: Any, axis: int) -> Tensor:
    return as_tensor(x).take_along_axis(indices, axis)


def astype(x: Any, dtype: Any) -> Tensor:
    return as_tensor(x).astype(dtype)


def softmax_cross_entropy(logits: Any, target: Any, reduction: str = "none") -> Tensor:
    """-log softmax(logits)[n, target[n]] for (N, C) logits and (N,) class indices:
    per sample (reduction="none"), or their "mean" or "sum".

    One fused primitive: faster than log_softmax followed by indexing, and finite for
    logits of any size.
    """
    return Tensor.apply(loss.softmax_cross_entropy, logits, target, reduction=reduction)
