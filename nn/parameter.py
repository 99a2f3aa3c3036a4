"""Parameter: a Tensor that a Module registers and an optimiser updates."""

from __future__ import annotations

from typing import Any

from autodiff import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad and that `Module.parameters()` finds.

    Assigned as an attribute of a Module, it is registered under that attribute's name.
    Ops on a Parameter return plain Tensors.

    >>> w = Parameter(np.zeros((2, 3)))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
