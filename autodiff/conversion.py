"""Conversions of a tensor's dtype and device, with PyTorch's names: astype, to, float(),
long(), clone(), cpu(), ... (the only device is the CPU).

Each takes the tensor first and is declared in the op table (autodiff/optable.py).
"""

from __future__ import annotations

from typing import Any

from autodiff import printing, tape, xp
from autodiff.device import device as Device
from autodiff.device import is_device
from autodiff.dtypes import get_default_dtype
from autodiff.errors import ShapeError
from autodiff.ops import compare, unary
from autodiff.tensor import Tensor


def astype(x: Tensor, dtype: Any) -> Tensor:
    """The values converted to `dtype` (recorded, so gradients flow back)."""
    dtype = xp.dtype(dtype)
    if dtype == x._value.dtype:
        return x
    if dtype.kind not in "fc":  # integers and booleans carry no gradient
        return Tensor.apply(compare.cast, x, dtype=dtype)
    return Tensor.apply(unary.astype, x, dtype=dtype)


def to(x: Tensor, *args: Any, dtype: Any = None, device: Any = None, **flags: Any) -> Tensor:
    """The tensor converted: to(dtype), to(device), to(device, dtype), to(other_tensor).

    Returns self when nothing changes, as PyTorch does. The only device is the CPU.
    """
    unknown = set(flags) - {"non_blocking", "copy"}
    if unknown:
        raise TypeError(f"to: unexpected keyword arguments {sorted(unknown)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif is_device(arg):
            device = arg
        else:
            dtype = arg
    if device is not None:
        Device(device)  # raises for anything but the CPU
    result = x if dtype is None else astype(x, dtype)
    if flags.get("copy") and result is x:
        return clone(x)
    return result


def unchanged(x: Tensor) -> Tensor:
    """self, as it is (cpu(): the values already live on the CPU)."""
    return x


def contiguous(x: Tensor, memory_format: Any = None) -> Tensor:
    """self where its values lie in row-major order, else a copy that does (recorded, as
    clone()): a copy of a transposed view no longer follows the view's base."""
    return x if x._value.flags.c_contiguous else x.clone()


def is_contiguous(x: Tensor, memory_format: Any = None) -> bool:
    """Whether the values lie in row-major order, one after another."""
    return bool(x._value.flags.c_contiguous)


def cuda(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Always an error: autodiff computes on the CPU only."""
    raise RuntimeError(
        "cuda: no GPU backend (autodiff.cuda.is_available() is False); expected .to('cpu')"
    )


def clone(x: Tensor) -> Tensor:
    """A copy of the values, recorded: gradients flow back to input."""
    if x.dtype.kind not in "fc":
        return Tensor._wrap(x._value.copy())
    return Tensor.apply(unary.astype, x, dtype=x._value.dtype)  # astype copies


def numel(x: Tensor) -> int:
    """The number of elements."""
    return x._value.size


def dim(x: Tensor) -> int:
    """The number of dims."""
    return x._value.ndim


def item(x: Tensor) -> Any:
    """The value of a one-element tensor as a Python number."""
    if x._value.size != 1:
        raise ShapeError(
            f"item: called on a Tensor of shape {x.shape}; expected exactly one element"
        )
    tape.refuse_value(x, "a number")
    return x._value.item()


def to_numpy(x: Tensor) -> xp.ndarray:
    """The underlying array (shared, not copied)."""
    return x._value


def to_list(x: Tensor) -> Any:
    """The values as nested Python lists (a number for a 0-d tensor)."""
    tape.refuse_value(x, "a list")
    return x._value.tolist()


def device(x: Tensor) -> Device:
    """The device the values live on: always the CPU."""
    return Device("cpu")


def is_cuda(x: Tensor) -> bool:
    """False: the values live on the CPU."""
    return False


def tensor_repr(x: Tensor) -> str:
    """The values as PyTorch prints them (autodiff/printing.py), then the recorded op."""
    extras = []
    if x._node is not None:
        extras.append(f"op={x._node.label}")
    elif x.requires_grad:
        extras.append("requires_grad=True")
    if x.name:
        extras.append(f"name={x.name!r}")
    return printing.tensor_repr(x._value, get_default_dtype(), extras)


def format_value(x: Tensor, spec: str) -> str:
    """A 0-d tensor formats as its value (f"{loss:.4f}"), as in PyTorch; others as repr."""
    if x.ndim == 0:
        return format(x._value.item(), spec)
    return object.__format__(x, spec)


def as_index(x: Tensor) -> int:
    """A one-element integer tensor as an index or slice bound (x[:n], range(n))."""
    if x.dtype.kind not in "iu" or x._value.size != 1:
        raise TypeError(
            f"__index__: a Tensor of shape {x.shape} and dtype {x.dtype}; only "
            f"integer tensors of a single element can be converted to an index"
        )
    return int(x._value.item())
