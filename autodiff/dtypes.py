"""PyTorch's dtype names, as numpy dtypes: autodiff.float32, autodiff.long, autodiff.bool, ...

`autodiff.float` is float32 and `autodiff.double` float64, as in PyTorch (not Python's float).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.errors import DTypeError

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

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


def as_dtype(dtype: Any, op: str) -> np.dtype:
    """`dtype` as a numpy dtype, or a DTypeError that names `op`."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise DTypeError(
            f"{op}: {dtype!r} is not a dtype; expected e.g. autodiff.float32 or np.float32"
        ) from None
