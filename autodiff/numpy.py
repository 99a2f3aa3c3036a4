"""autodiff.numpy: the ops as free functions with numpy's names and meanings.

`import autodiff.numpy as np` ports numpy code, as HIPS autograd's `autograd.numpy` does:
`transpose(x, axes)` permutes, `std(x, axis)` is biased (ddof=0), `max(x, axis)` gives the
values, `split(x, sections)` cuts into equal parts or at indices, `matmul` promotes float32 with
float64 to float64, and `zeros`, `array`, ... default to float64. Each function returns a Tensor
and is recorded, so gradients flow. The top-level `autodiff` namespace speaks PyTorch instead.
Every op here is made from its entry in the op table (autodiff/optable.py).
"""

from __future__ import annotations

from typing import Any

import numpy

from autodiff.broadcast import Shape
from autodiff.creation import as_tensor
from autodiff.errors import named_errors
from autodiff.surfaces import ops_for
from autodiff.tensor import Tensor

_FUNCTIONS = ops_for("autodiff.numpy")
globals().update(_FUNCTIONS)

__all__ = sorted([*_FUNCTIONS, "array", "asarray", "ones", "zeros"])


@named_errors
def array(object: Any, dtype: Any = None) -> Tensor:
    """A Tensor holding a copy of `object`, with numpy's dtypes (Python floats are float64)."""
    data = object._value if isinstance(object, Tensor) else object
    return Tensor(numpy.array(data, dtype=dtype))


@named_errors
def asarray(a: Any, dtype: Any = None) -> Tensor:
    """`a` as a Tensor, without a copy where it already is one (or an ndarray) of `dtype`."""
    if isinstance(a, (Tensor, numpy.ndarray)):
        return as_tensor(a, dtype)
    return Tensor(numpy.asarray(a, dtype=dtype))


@named_errors
def zeros(shape: Shape, dtype: Any = float) -> Tensor:
    """Zeros of `shape`, float64 unless `dtype` says otherwise (numpy's default)."""
    return Tensor._wrap(numpy.zeros(shape, dtype))


@named_errors
def ones(shape: Shape, dtype: Any = float) -> Tensor:
    """Ones of `shape`, float64 unless `dtype` says otherwise (numpy's default)."""
    return Tensor._wrap(numpy.ones(shape, dtype))
