"""Shape primitives: reshape, transpose, broadcast_to, concatenate, stack, indexing.

Indexing's VJP is scatter_add, itself a primitive whose VJP is indexing, so gradients of
gradients through `x[...]` work too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.broadcast import Shape, normalize_axes, shape_of, unbroadcast
from autodiff.errors import ShapeError
from autodiff.primitive import Array, Context, Sample, Saved, primitive

Grads = tuple[Array | None, ...]


@primitive(samples=[Sample((3, 4), shape=(2, 6)), Sample((2, 3, 2), shape=(-1,))])
def reshape(x: Array, shape: Shape) -> tuple[Array, Saved]:
    """out = x with the same values in `shape`."""
    try:
        out = x.reshape(shape)
    except ValueError:
        raise ShapeError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}"
        ) from None
    return out, None


@reshape.defvjp
def reshape_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g reshaped back to x.shape."""
    return (g.reshape(ctx.inputs[0].shape),)


@primitive(
    samples=[
        Sample((3, 4), axes=None),
        Sample((2, 3, 4), axes=(1, 2, 0)),
        Sample((2, 3, 4), axes=(-1, 0, 1)),
    ],
)
def transpose(x: Array, axes: tuple[int, ...] | None = None) -> tuple[Array, Saved]:
    """out = x with its axes permuted (reversed when `axes` is None)."""
    if axes is None:
        axes = tuple(range(x.ndim - 1, -1, -1))
    if len(axes) != x.ndim or sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ShapeError(
            f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of a tensor "
            f"of shape {x.shape}"
        )
    axes = tuple(a % x.ndim for a in axes)  # non-negative, so that argsort inverts them
    return x.transpose(axes), axes


@transpose.defvjp
def transpose_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g transposed by the inverse permutation (saved: the axes, made non-negative)."""
    return (g.transpose(tuple(np.argsort(ctx.saved))),)


@primitive(samples=[Sample((3, 1), shape=(2, 3, 4)), Sample((), shape=(2,))])
def broadcast_to(x: Array, shape: Shape) -> tuple[Array, Saved]:
    """out = x broadcast to `shape` (a read-only view)."""
    try:
        out = np.broadcast_to(x, shape)
    except ValueError:
        raise ShapeError(
            f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to {shape}"
        ) from None
    return out, None


@broadcast_to.defvjp
def broadcast_to_vjp(ctx: Context, g: Array) -> Grads:
    """gx = unbroadcast(g, x.shape): summed over every axis broadcasting created or stretched."""
    return (unbroadcast(g, shape_of(ctx.inputs[0])),)


@primitive(samples=[Sample((2, 3), (4, 3)), Sample((2, 3), (2, 1), (2, 2), axis=1)])
def concatenate(*xs: Array, axis: int = 0) -> tuple[Array, Saved]:
    """out = the inputs joined along an existing `axis`."""
    try:
        out = np.concatenate(xs, axis=axis)
    except ValueError as err:
        shapes = ", ".join(str(x.shape) for x in xs)
        raise ShapeError(
            f"concatenate: cannot join shapes {shapes} along axis {axis}: {err}"
        ) from None
    axis = normalize_axes(axis, out.ndim, "concatenate")[0]
    return out, axis


@concatenate.defvjp
def concatenate_vjp(ctx: Context, g: Array) -> Grads:
    """gx_i = the slice of g that x_i filled (saved: the axis, made non-negative)."""
    axis = ctx.saved
    grads = []
    start = 0
    for x in ctx.inputs:
        size = x.shape[axis]
        index = (slice(None),) * axis + (slice(start, start + size),)
        grads.append(g[index])
        start += size
    return tuple(grads)


@primitive(samples=[Sample((2, 3), (2, 3)), Sample((2,), (2,), (2,), axis=-1)])
def stack(*xs: Array, axis: int = 0) -> tuple[Array, Saved]:
    """out = the inputs joined along a new `axis`."""
    try:
        out = np.stack(xs, axis=axis)
    except ValueError as err:
        shapes = ", ".join(str(x.shape) for x in xs)
        raise ShapeError(f"stack: cannot stack shapes {shapes}: {err}") from None
    axis = normalize_axes(axis, out.ndim, "stack")[0]
    return out, axis


@stack.defvjp
def stack_vjp(ctx: Context, g: Array) -> Grads:
    """gx_i = g at position i of the new axis (saved: the axis, made non-negative)."""
    lead = (slice(None),) * ctx.saved
    return tuple(g[(*lead, i)] for i in range(len(ctx.inputs)))


Index = Any  # what numpy accepts between [ ]: ints, slices, None, Ellipsis, arrays


def is_advanced(index: Index) -> bool:
    """Whether `index` uses integer or boolean arrays (numpy's advanced indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


_REPEATS = np.array([0, 2, 0, 1])


@primitive(
    samples=[
        Sample((3, 4), index=(slice(None), 1)),
        Sample((3, 4), index=(Ellipsis, None, slice(1, 3))),
        Sample((4, 2), index=_REPEATS),  # repeated rows: their gradients add up
        Sample((3, 4), index=np.array([[True, False, True, False]] * 3)),
        Sample((3, 4), index=(np.array([0, 2, 2]), np.array([1, 3, 3]))),
    ],
)
def getitem(x: Array, index: Index) -> tuple[Array, Saved]:
    """out = x[index]."""
    try:
        out = x[index]
    except IndexError as err:
        raise IndexError(
            f"getitem: index {index!r} on a tensor of shape {x.shape}: {err}"
        ) from None
    return out, None


@getitem.defvjp
def getitem_vjp(ctx: Context, g: Array) -> Grads:
    """gx = zeros of x.shape with g added at `index` (repeated indices accumulate)."""
    return (scatter_add(g, shape=ctx.inputs[0].shape, index=ctx.params["index"]),)


@primitive(
    samples=[
        Sample((3,), shape=(3, 4), index=(slice(None), 1)),
        Sample((4, 2), shape=(3, 2), index=_REPEATS),
    ],
)
def scatter_add(g: Array, shape: Shape, index: Index) -> tuple[Array, Saved]:
    """out = zeros(shape) with g added at `index`, repeated indices accumulating."""
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and len(shape) > 0:
        return add_rows(g, shape, index), None
    out = np.zeros(shape, dtype=g.dtype)
    if is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g  # basic indexing never repeats an element
    return out, None


ONE_HOT_ROWS = 128  # up to this many rows a one-hot product beats sorting (measured)


def add_rows(g: Array, shape: Shape, index: Array) -> Array:
    """zeros(shape) with g[k] added to row index[k] for every k: the gradient of x[index]
    (an embedding's), without np.add.at, which takes a slow path for rows of a matrix.

    Few rows (a vocabulary of characters): a one-hot matrix times g, one GEMM. Many rows:
    the gradients sorted by row and summed per run of equal rows (np.add.reduceat)."""
    rows = shape[0]
    flat = index.reshape(-1) % rows  # negative indices count from the end, as numpy's
    g2 = g.reshape(flat.size, int(np.prod(shape[1:])))
    if rows <= ONE_HOT_ROWS:
        one_hot = (flat == np.arange(rows)[:, None]).astype(g.dtype)
        return (one_hot @ g2).reshape(shape)
    out = np.zeros((rows, g2.shape[1]), dtype=g.dtype)
    if flat.size:
        order = np.argsort(flat, kind="stable")
        sorted_rows = flat[order]
        starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
        out[sorted_rows[starts]] = np.add.reduceat(g2[order], starts, axis=0)
    return out.reshape(shape)


@scatter_add.defvjp
def scatter_add_vjp(ctx: Context, g: Array) -> Grads:
    """gg = g[index]."""
    return (getitem(g, index=ctx.params["index"]),)


def along_axis_index(shape: Shape, indices: Array, axis: int) -> tuple[Array, ...]:
    """The index tuple that makes x[index] equal np.take_along_axis(x, indices, axis)."""
    if indices.ndim != len(shape):
        raise ShapeError(
            f"take_along_axis: indices of shape {indices.shape} for a tensor of shape "
            f"{shape}; expected the same number of dims ({len(shape)})"
        )
    axis = normalize_axes(axis, len(shape), "take_along_axis")[0]
    index = []
    for i, n in enumerate(shape):
        if i == axis:
            index.append(indices)
        else:
            index.append(np.arange(n).reshape([n if j == i else 1 for j in range(len(shape))]))
    return tuple(index)


@primitive(
    samples=[
        Sample((3, 4), (4,), index=1),
        Sample((4, 2), (3, 2), index=np.array([0, 3, 1])),
        Sample((3, 4), (), index=(slice(None), np.array([2, 0]))),
        Sample((4, 2), (3, 2), index=_REPEATS[:3], accumulate=True),  # 0 twice: both add
    ],
    rule=("∂/∂x = [not written],  ∂/∂v = g[index]", "x keeps g where it was not overwritten"),
)
def index_put(x: Array, v: Array, index: Index, accumulate: bool = False) -> tuple[Array, Saved]:
    """out = x with out[index] = v (accumulate: out[index] += v, repeated indices adding up).

    PyTorch's index_put, what `x[index] = v` records on a tensor that requires grad.
    """
    out = np.array(x, copy=True)
    try:
        if accumulate:
            np.add.at(out, index, v)
        else:
            out[index] = v
    except IndexError as err:
        raise IndexError(
            f"index_put: index {index!r} on a tensor of shape {x.shape}: {err}"
        ) from None
    except ValueError:
        raise ShapeError(
            f"index_put: cannot assign a value of shape {np.shape(v)} to x[{index!r}] of shape "
            f"{np.shape(out[index])}; expected a shape that broadcasts to it"
        ) from None
    return out, None


@index_put.defvjp
def index_put_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g with zeros at index (g itself when accumulating);  gv = unbroadcast(g[index])."""
    x, v = ctx.inputs
    index = ctx.params["index"]
    gx = None
    if ctx.needs[0]:
        gx = g if ctx.params.get("accumulate") else index_put(g, 0.0, index=index)
    gv = unbroadcast(getitem(g, index=index), shape_of(v)) if ctx.needs[1] else None
    return gx, gv
