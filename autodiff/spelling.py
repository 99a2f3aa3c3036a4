"""The two spellings of a reduction's arguments, read as one: PyTorch's dim/keepdim and
numpy's axis/keepdims name the same thing, so either is accepted and neither changes a meaning.
"""

from __future__ import annotations

from typing import Any

from autodiff.broadcast import Axis


def torch_dims(op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """(axis, keepdims) from PyTorch's dim/keepdim, or numpy's axis/keepdims given by keyword."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; expected one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


def numpy_dims(op: str, axis: Axis, keepdims: bool, dim: Axis, keepdim: bool) -> tuple[Axis, bool]:
    """(axis, keepdims) from numpy's spelling, or PyTorch's dim/keepdim given by keyword."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; expected one")
        axis = dim
    return axis, bool(keepdims or keepdim)


def correction(unbiased: bool | None, correction: float | None, ddof: float | None) -> float:
    """The divisor's correction of var/std: 1 (unbiased) unless one spelling says otherwise."""
    given = [value for value in (correction, ddof) if value is not None]
    if unbiased is not None:
        given.append(1 if unbiased else 0)
    if len(given) > 1:
        raise TypeError("var: got more than one of unbiased, correction and ddof; expected one")
    return given[0] if given else 1
