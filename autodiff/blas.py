"""axpy: y += alpha * x in place, in one pass over memory (Tensor.add_ and sub_ with alpha,
and so plain SGD's whole update).

numpy has no fused multiply-add, so ``y -= lr * x`` writes and rereads a temporary as large as
the parameter (or, with ``x *= lr``, changes a gradient that users may still read). BLAS's
?axpy reads x and y once; numpy's wheels ship OpenBLAS, found here through threadpoolctl.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np

_AXPY: dict[np.dtype, Callable[..., None]] | None = None  # dtype -> BLAS ?axpy, found once
_AXPY_MAX_SIZE = 2**31 - 1  # the most elements one call may take (2**63 - 1 for 64-bit ints)
# below this many elements numpy is faster: a ctypes call and its two pointers cost ~4 us, more
# than the temporary of a small array
_AXPY_MIN_SIZE = 2**15


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """y += alpha * x, in place: numpy's ``y += alpha * x`` without its temporary.

    Where numpy's BLAS is OpenBLAS (as in numpy's wheels), float32 and float64 arrays of one
    shape, dtype and memory order that do not overlap, with at least 32768 elements, are
    updated by its ?axpy in one pass over memory; anything else by numpy. alpha is rounded to
    y's dtype first, as numpy rounds a Python float; BLAS may then fuse the multiply and the
    add into one rounding (as PyTorch's add_(x, alpha=...) does), so the two ways can differ
    in the last bit. With alpha 0, numpy computes: BLAS's ?axpy returns without reading x, so
    a NaN or inf in x would not reach y as it does through 0 * x (and PyTorch's add_).
    """
    blas = _blas_axpy(x, y) if alpha != 0 else None
    if blas is None:
        y += alpha * x
    else:
        blas(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)


def _blas_axpy(x: np.ndarray, y: np.ndarray) -> Callable[..., None] | None:
    """The BLAS routine that can run axpy on x and y, or None where numpy must."""
    global _AXPY
    if _AXPY is None:
        _AXPY = _find_openblas_axpy()
    blas = _AXPY.get(y.dtype)
    if (
        blas is None
        or type(x) is not np.ndarray
        or type(y) is not np.ndarray
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not _AXPY_MIN_SIZE <= y.size <= _AXPY_MAX_SIZE
        or not y.flags.writeable
        or not (
            (x.flags.c_contiguous and y.flags.c_contiguous)
            or (x.flags.f_contiguous and y.flags.f_contiguous)
        )
        or np.may_share_memory(x, y)  # BLAS would read values it has already written
    ):
        return None
    return blas


def _find_openblas_axpy() -> dict[np.dtype, Callable[..., None]]:
    """saxpy and daxpy of an OpenBLAS loaded in this process (numpy's own, for numpy's
    wheels), or {} where there is none, or it lacks the symbols."""
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("internal_api") != "openblas":
            continue
        try:
            library = ctypes.CDLL(info["filepath"])
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
            found = _openblas_axpy(library, prefix, suffix)
            if found:
                return found
    return {}


def _openblas_axpy(library: Any, prefix: str, suffix: str) -> dict[np.dtype, Callable[..., None]]:
    """{float32: saxpy, float64: daxpy} under one symbol naming, typed for the library's
    integer width (its configuration says USE64BITINT when it takes 64-bit integers)."""
    names = [f"{prefix}{name}{suffix}" for name in ("openblas_get_config", "cblas_saxpy")]
    names.append(f"{prefix}cblas_daxpy{suffix}")
    if not all(hasattr(library, name) for name in names):
        return {}
    config = getattr(library, names[0])
    config.restype = ctypes.c_char_p
    config.argtypes = []
    global _AXPY_MAX_SIZE
    integer = ctypes.c_int64 if b"USE64BITINT" in (config() or b"") else ctypes.c_int32
    _AXPY_MAX_SIZE = 2 ** (8 * ctypes.sizeof(integer) - 1) - 1
    found = {}
    for name, dtype, scalar in (
        (names[1], np.dtype(np.float32), ctypes.c_float),
        (names[2], np.dtype(np.float64), ctypes.c_double),
    ):
        routine = getattr(library, name)
        routine.restype = None
        routine.argtypes = [integer, scalar, ctypes.c_void_p, integer, ctypes.c_void_p, integer]
        found[dtype] = routine
    return found
