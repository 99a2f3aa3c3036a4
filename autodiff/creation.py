"""Tensors made from data or from a shape, with PyTorch's names and dtype rules.

`tensor(data)` copies, as torch.tensor does; `from_numpy(array)` shares the array's memory (a
change to one shows in the other), as torch.from_numpy does; `as_tensor` shares when it can.
Python floats become the default dtype (float32), Python ints int64, numpy data keeps its dtype.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff.device import device as as_device
from autodiff.dtypes import as_dtype, numeric
from autodiff.errors import ShapeError, named_errors
from autodiff.tensor import Tensor, get_default_dtype


def sizes(size: Sequence[Any], op: str) -> tuple[int, ...]:
    """A shape from PyTorch's two spellings: f(2, 3) or f((2, 3)) (also a list or Size)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not builtins.all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in size
    ):
        raise ShapeError(f"{op}: size {tuple(size)}; expected non-negative integers")
    return tuple(int(n) for n in size)


@named_errors
def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new Tensor holding a copy of `data` (a number, nested lists, an array or a Tensor)."""
    check_device(device)
    if isinstance(data, Tensor):
        data = data._value
    if dtype is not None:
        array = np.array(data, dtype=as_dtype(dtype, "tensor"))
    else:  # integers stay integers (unlike the Tensor constructor's lists); floats get the
        array = np.array(data)  # default dtype unless they come as numpy data
        if array.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)):
            array = array.astype(get_default_dtype(), copy=False)
    return Tensor._wrap(numeric(array, "tensor")).requires_grad_(requires_grad)


@named_errors
def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor that shares `array`'s memory: in-place changes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


@named_errors
def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a Tensor without copying where possible: a Tensor (or an ndarray) of the
    requested dtype is used as it is; anything else is converted.
    """
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype)  # lists of ints stay integers, as torch.as_tensor's


@named_errors
def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: zeros(2, 3) or zeros((2, 3)); the default float dtype unless given."""
    check_device(device)
    return _filled(np.zeros, size, dtype, requires_grad, "zeros")


@named_errors
def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ones(2, 3) or ones((2, 3)); the default float dtype unless given."""
    check_device(device)
    return _filled(np.ones, size, dtype, requires_grad, "ones")


@named_errors
def zeros_like(
    x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros of x's shape and (unless given) dtype."""
    check_device(device)
    x = as_tensor(x)
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


@named_errors
def ones_like(x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of x's shape and (unless given) dtype."""
    check_device(device)
    x = as_tensor(x)
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


@named_errors
def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's empty: a tensor whose values the program will overwrite. PyTorch leaves them
    unset; here they are zeros, so nothing read before it is written is ever garbage."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


@named_errors
def empty_like(
    x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """PyTorch's empty_like: of x's shape and (unless given) dtype; zeros here (see empty)."""
    return zeros_like(x, dtype=dtype, device=device, requires_grad=requires_grad)


@named_errors
def full_like(
    x: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """`fill_value` in x's shape and (unless given) x's dtype, as PyTorch's full_like."""
    x = as_tensor(x)
    return full(
        x.shape, fill_value, dtype=dtype or x.dtype, device=device, requires_grad=requires_grad
    )


@named_errors
def full(
    size: Any,
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value as in PyTorch
    (a bool gives bool, an int int64, a float the default float dtype) unless given.
    """
    check_device(device)
    if isinstance(size, (int, np.integer)):
        size = (size,)
    if dtype is None:
        dtype = tensor(fill_value).dtype
    values = np.full(sizes((size,), "full"), fill_value, as_dtype(dtype, "full"))
    return Tensor._wrap(values).requires_grad_(requires_grad)


@named_errors
def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """start, start + step, ... below end (arange(end) starts at 0): int64 when every bound is
    an integer, else the default float dtype, as in PyTorch.
    """
    check_device(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step is 0; expected a non-zero step")
    if dtype is None:
        integral = builtins.all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else get_default_dtype()
    return Tensor._wrap(np.arange(start, end, step).astype(dtype))


@named_errors
def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (default float dtype)."""
    check_device(device)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps={steps!r}; expected a non-negative integer")
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype, "linspace")
    return Tensor._wrap(np.linspace(start, end, steps).astype(dtype))


def _filled(make: Any, size: Any, dtype: Any, requires_grad: bool, op: str) -> Tensor:
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype, op)
    return Tensor._wrap(make(sizes(size, op), dtype)).requires_grad_(requires_grad)


def check_device(device: Any) -> None:
    """Refuse any device but the CPU (None means the CPU)."""
    if device is not None:
        as_device(device)  # raises for anything but the CPU


@named_errors
def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """The n×m identity matrix (ones on the diagonal); the default float dtype unless given."""
    check_device(device)
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype, "eye")
    return Tensor._wrap(np.eye(n, m, dtype=dtype)).requires_grad_(requires_grad)
