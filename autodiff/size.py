"""Size: a shape as PyTorch names it, and the element count that `Tensor.size` returns.

numpy's `x.size` is the number of elements; PyTorch's `x.size()` is the shape and `x.size(d)`
one dim. `Tensor.size` is an int that can be called, so both read as their authors meant.
"""

from __future__ import annotations

import operator
from typing import Any

from autodiff.errors import ShapeError


class Size(tuple):
    """A shape: a tuple of dims (PyTorch's torch.Size), with numel()."""

    def __new__(cls, sizes: Any = ()) -> Size:
        try:
            dims = tuple(sizes)
        except TypeError:
            raise TypeError(
                f"Size: {type(sizes).__name__} {sizes!r} is not a sequence of dims; "
                f"expected e.g. Size([2, 3])"
            ) from None
        try:
            return super().__new__(cls, [operator.index(n) for n in dims])
        except TypeError:
            raise TypeError(f"Size: {sizes!r} holds a dim that is not an integer") from None

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        count = 1
        for n in self:
            count *= n
        return count

    def __repr__(self) -> str:
        return f"Size({list(self)})"

    def __format__(self, spec: str) -> str:
        """In an f-string a shape reads as the tuple it is, "(3, 4)" (error messages show
        shapes so); print() and repr() show Size([3, 4]), as PyTorch's torch.Size([3, 4])."""
        return format(tuple(self), spec)


class ElementCount(int):
    """The number of elements (numpy's `x.size`), callable as PyTorch's `x.size()`.

    >>> x = Tensor(np.zeros((2, 3)))
    >>> x.size == 6, x.size(), x.size(0), x.size(-1)
    (True, Size([2, 3]), 2, 3)
    """

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> ElementCount:
        count = 1
        for n in shape:
            count *= n
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Size | int:
        """The shape, or the size of dim `dim` (negative counts from the end)."""
        if dim is None:
            return Size(self.shape)
        ndim = len(self.shape)
        if isinstance(dim, bool) or not isinstance(dim, int) or not -ndim <= dim < ndim:
            raise ShapeError(
                f"size: dim {dim!r} for a tensor of shape {self.shape}; expected an integer "
                f"in -{ndim}..{ndim - 1}"
            )
        return self.shape[dim]
