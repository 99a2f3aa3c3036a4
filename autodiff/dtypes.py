"""PyTorch's dtype names, as numpy dtypes: autodiff.float32, autodiff.long, autodiff.bool, ...;
and the default dtype that Python floats become (float32, as in PyTorch).

`autodiff.float` is float32 and `autodiff.double` float64, as in PyTorch (not Python's float).
"""

from __future__ import annotations

from typing import Any

from autodiff import xp
from autodiff.errors import DTypeError

float16 = half = xp.dtype(xp.float16)
float32 = xp.dtype(xp.float32)
float64 = double = xp.dtype(xp.float64)
complex64 = xp.dtype(xp.complex64)
complex128 = xp.dtype(xp.complex128)
uint8 = xp.dtype(xp.uint8)
int8 = xp.dtype(xp.int8)
int16 = short = xp.dtype(xp.int16)
int32 = xp.dtype(xp.int32)
int64 = long = xp.dtype(xp.int64)
bool_ = xp.dtype(xp.bool_)

# Names that shadow Python builtins: reached as autodiff.float etc., never star-imported.
BUILTIN_NAMES = {"float": float32, "int": int32, "bool": bool_}

__all__ = [
    "complex64",
    "complex128",
    "double",
    "float16",
    "float32",
    "float64",
    "half",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
]


def as_dtype(dtype: Any, op: str) -> xp.dtype:
    """`dtype` as a numpy dtype, or a DTypeError that names `op`."""
    try:
        return xp.dtype(dtype)
    except TypeError:
        raise DTypeError(
            f"{op}: {dtype!r} is not a dtype; expected e.g. autodiff.float32 or np.float32"
        ) from None


_default = float32


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype Python floats and lists of floats become (float32 unless changed)."""
    global _default
    dtype = xp.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default = dtype


def get_default_dtype() -> xp.dtype:
    """The dtype Python floats and lists of floats become."""
    return _default


def as_array(data: Any, dtype: Any = None) -> xp.ndarray:
    """The array behind `data`: array data keeps its dtype, Python floats get the default."""
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    if isinstance(data, (xp.ndarray, xp.generic)):
        return xp.asarray(data)
    array = xp.asarray(data)
    if array.dtype.kind == "f" and array.dtype != _default:
        array = array.astype(_default)
    return array


def legacy_array(data: list | tuple) -> xp.ndarray:
    """Values given to the Tensor constructor as a list: floating, in the default dtype, as
    PyTorch's legacy torch.Tensor([1, 2]) makes them (autodiff.tensor keeps integers)."""
    array = xp.asarray(data)
    return array.astype(get_default_dtype()) if array.dtype.kind in "biuf" else array
