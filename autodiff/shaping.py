"""Shape ops with PyTorch's meanings, composed of the shape primitives: reshape(2, 3),
transpose(d0, d1), permute, flatten, squeeze, split(sizes), gather, ...

Each takes the tensor first and is declared in the op table (autodiff/optable.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff import xp
from autodiff.broadcast import Axis, Shape, normalize_axes
from autodiff.errors import ShapeError
from autodiff.inplace import _operand
from autodiff.ops import shape as shape_ops
from autodiff.tensor import Tensor


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same values in a new shape: x.reshape(2, 3) or x.reshape((2, 3))."""
    if len(shape) == 1 and not isinstance(shape[0], (int, xp.integer)):
        shape = tuple(shape[0])
    return Tensor.apply(shape_ops.reshape, x, shape=shape)


def view(x: Tensor, *shape: Any) -> Tensor:
    """PyTorch's name for reshape (the result may or may not share memory, as numpy's)."""
    return reshape(x, *shape)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    """The values in other's shape."""
    return reshape(x, other.shape)


def transpose(x: Tensor, *dims: Any) -> Tensor:
    """x.transpose(d0, d1) swaps two dims, as in PyTorch. numpy's spellings that cannot
    be mistaken for it also work: x.transpose() reverses the dims, and x.transpose(axes)
    with one sequence permutes them (as permute does).
    """
    if len(dims) == 2:
        axes = list(range(x.ndim))
        d0, d1 = (normalize_axes(d, x.ndim, "transpose")[0] for d in dims)
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return Tensor.apply(shape_ops.transpose, x, axes=tuple(axes))
    if not dims or (len(dims) == 1 and dims[0] is None):
        return Tensor.apply(shape_ops.transpose, x, axes=None)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return Tensor.apply(shape_ops.transpose, x, axes=tuple(dims[0]))
    raise TypeError(
        f"transpose: got dims {dims}; expected two dims to swap, as PyTorch's "
        f"x.transpose(0, 1), or x.permute(...) to reorder them all"
    )


def matrix_transpose(x: Tensor) -> Tensor:
    """The last two dims swapped (a batch of matrices transposed)."""
    return transpose(x, -2, -1)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Axes axis1 and axis2 swapped (transpose with two dims)."""
    return transpose(x, axis1, axis2)


def permute(x: Tensor, *dims: Any) -> Tensor:
    """The dims reordered: x.permute(2, 0, 1) or x.permute((2, 0, 1))."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return Tensor.apply(shape_ops.transpose, x, axes=tuple(dims))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims start_dim..end_dim merged into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = (normalize_axes(d, x.ndim, "flatten")[0] for d in (start_dim, end_dim))
    return reshape(x, *x.shape[:start], -1, *x.shape[end + 1 :])


def squeeze(x: Tensor, dim: Axis = None) -> Tensor:
    """Size-1 dims removed: all of them, or those in `dim`; as in PyTorch, a dim in `dim`
    whose size is not 1 stays (autodiff.numpy.squeeze raises there, as numpy does).
    """
    axes = range(x.ndim) if dim is None else normalize_axes(dim, x.ndim, "squeeze")
    kept = tuple(n for i, n in enumerate(x.shape) if i not in axes or n != 1)
    return x if kept == x.shape else reshape(x, kept)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """A size-1 dim inserted at `dim`."""
    dim = normalize_axes(dim, x.ndim + 1, "unsqueeze")[0]
    return reshape(x, *x.shape[:dim], 1, *x.shape[dim:])


def broadcast_to(x: Tensor, size: Shape) -> Tensor:
    """The values broadcast to shape `size` (numpy's broadcasting rules)."""
    return Tensor.apply(shape_ops.broadcast_to, x, shape=tuple(size))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """The values broadcast to other's shape."""
    return broadcast_to(x, other.shape)


def split(
    x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0, *, axis: Any = None
) -> tuple[Tensor, ...]:
    """Pieces along `dim`, as a tuple as in PyTorch: an int is the size of each piece (the last
    may be smaller), a list the sizes of the pieces (summing to the dim's size).
    (autodiff.numpy.split has numpy's meaning: a number of parts, or cut indices.)
    """
    dim = normalize_axes(dim if axis is None else axis, x.ndim, "split")[0]
    length = x.shape[dim]
    if isinstance(split_size_or_sections, (int, xp.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ShapeError(f"split: split_size={size}; expected a positive integer")
        sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if sum(sizes) != length or min(sizes, default=0) < 0:
            raise ShapeError(
                f"split: sizes {sizes} for dim {dim} of size {length}; expected "
                f"non-negative sizes that sum to {length}"
            )
    return tuple(split_at(x, xp.cumsum(sizes)[:-1].tolist(), dim))


def split_at(x: Tensor, indices: Sequence[int], axis: int) -> list[Tensor]:
    """Pieces along `axis` cut before each of `indices` (numpy's array_split cuts)."""
    axis = normalize_axes(axis, x.ndim, "split")[0]
    cuts = [0, *indices, x.shape[axis]]
    lead = (slice(None),) * axis
    return [x[(*lead, slice(a, b))] for a, b in zip(cuts[:-1], cuts[1:])]


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along `dim`, each without that dim (x[:, i] for dim=1), as a tuple."""
    if x.ndim == 0:
        raise ShapeError("unbind: a 0-d tensor has no dim to unbind; expected 1 dim or more")
    dim = normalize_axes(dim, x.ndim, "unbind")[0]
    lead = (slice(None),) * dim
    return tuple(x[(*lead, i)] for i in range(x.shape[dim]))


def take_along_axis(x: Tensor, indices: Any, axis: int) -> Tensor:
    """Values picked along `axis` by integer `indices` (numpy's take_along_axis)."""
    indices = indices._value if isinstance(indices, Tensor) else xp.asarray(indices)
    return x[shape_ops.along_axis_index(x.shape, indices, axis)]


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """PyTorch's name for take_along_axis (argument order as torch.gather)."""
    return take_along_axis(x, index, dim)


# ----- the names of the programs written after MNIST -------------------------------------


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """The values broadcast to `sizes` (-1 keeps a dim); new dims go in front."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(
            f"expand: sizes {tuple(sizes)} for a tensor of shape {x.shape}; expected at "
            f"least {x.ndim} sizes"
        )
    shape = []
    for i, n in enumerate(sizes):
        if n == -1:
            if i < lead:
                raise ShapeError(f"expand: size -1 for the new leading dim {i}")
            n = x.shape[i - lead]
        shape.append(int(n))
    return x.broadcast_to(tuple(shape))


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The `length` elements of dim `dim` from `start` on (a slice)."""
    dim = normalize_axes(dim, x.ndim, "narrow")[0]
    size = x.shape[dim]
    start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexError(
            f"narrow: start {start} and length {length} in dim {dim} of size {size}; "
            f"expected 0 <= start and start + length <= {size}"
        )
    return x[(slice(None),) * dim + (slice(start, start + int(length)),)]


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """The elements shifted by `shifts` along `dims`, those pushed off one end coming back
    at the other; without dims the flattened tensor is rolled and reshaped back.
    """
    if dims is None:
        if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
            raise ShapeError(f"roll: shifts {shifts} without dims; expected one shift")
        return x.flatten().roll(shifts, 0).reshape(x.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ShapeError(
            f"roll: {len(shifts)} shifts for {len(dims)} dims; expected one shift per dim"
        )
    for shift, dim in zip(shifts, dims):
        dim = normalize_axes(dim, x.ndim, "roll")[0]
        n = x.shape[dim]
        if n:
            source = (xp.arange(n) - int(shift)) % n
            x = x[(slice(None),) * dim + (source,)]
    return x


def flip(x: Tensor, *dims: Any) -> Tensor:
    """The elements in reverse order along each of `dims`."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    index = [slice(None)] * x.ndim
    for d in normalize_axes(dims, x.ndim, "flip"):
        index[d] = slice(None, None, -1)
    return x[tuple(index)]


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The slices at `index` (a 1-D integer tensor) along `dim`."""
    index = xp.asarray(_operand(index))
    if index.ndim > 1 or index.dtype.kind not in "iu":
        raise ShapeError(
            f"index_select: index of shape {index.shape} and dtype {index.dtype}; expected "
            f"a 1-D integer tensor"
        )
    dim = normalize_axes(dim, max(x.ndim, 1), "index_select")[0]
    return x[(slice(None),) * dim + (index.reshape(-1),)]


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """The tensor tiled: repeat(2, 3) stacks 2 copies along dim 0 and 3 along dim 1
    (numpy's tile); extra leading sizes add dims."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if len(sizes) < x.ndim:
        raise ShapeError(
            f"repeat: {len(sizes)} sizes for a tensor of shape {x.shape}; expected at "
            f"least {x.ndim}"
        )
    x = x.reshape((1,) * (len(sizes) - x.ndim) + tuple(x.shape))
    for d, count in enumerate(sizes):
        if count != 1:
            shape = x.shape
            x = x.unsqueeze(d).broadcast_to((*shape[:d], int(count), *shape[d:]))
            x = x.reshape(*shape[:d], int(count) * shape[d], *shape[d + 1 :])
    return x


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most `chunks` pieces along `dim`, each of ceil(size / chunks) (the last smaller), as
    a tuple as in PyTorch."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, xp.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks={chunks!r}; expected a positive integer")
    dim = normalize_axes(dim, x.ndim, "chunk")[0]
    size = -(-x.shape[dim] // int(chunks)) or 1
    return x.split(size, dim)
