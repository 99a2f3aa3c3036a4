"""Broadcasting helpers: unbroadcast (the VJP of numpy broadcasting) and axis normalisation."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.errors import DimError, ShapeError

Shape = tuple[int, ...]
Axis = int | tuple[int, ...] | None


def unbroadcast(g: Any, shape: Shape) -> Any:
    """Sum g down to `shape`: the VJP of broadcasting an array of `shape` to g.shape."""
    if g.shape == shape:  # the common case costs one tuple comparison
        return g
    lead = g.ndim - len(shape)
    if lead < 0:
        raise ShapeError(f"unbroadcast: gradient {g.shape} has fewer dims than target {shape}")
    if lead:
        g = g.sum(axis=tuple(range(lead)))  # axes numpy prepended
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)  # size-1 axes numpy stretched
    if g.shape != shape:
        raise ShapeError(f"unbroadcast: cannot reduce gradient {g.shape} to {shape}")
    return g


def shape_of(x: Any) -> Shape:
    """x.shape (an array's or a Tensor's), or () for a Python number (ops receive numbers
    as they are)."""
    return getattr(x, "shape", ())


def normalize_axes(axis: Axis, ndim: int, op: str = "reduce") -> tuple[int, ...]:
    """The axes `axis` names, as a sorted tuple of non-negative ints (None means all)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (int(axis),) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise DimError(
                f"{op}: axis {a} is out of range for a tensor of {ndim} dims; "
                f"expected -{ndim} <= axis < {ndim}"
            )
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def keepdims_shape(shape: Shape, axis: Axis) -> Shape:
    """`shape` with every reduced axis kept as size 1 (what keepdims=True gives)."""
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def reduced_shape(shape: Shape, axis: Axis) -> Shape:
    """`shape` without the reduced axes (what keepdims=False gives)."""
    axes = normalize_axes(axis, len(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)
