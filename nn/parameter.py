"""Parameter: a Tensor that a Module registers and an optimiser updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor
from autodiff.errors import named_errors


@named_errors
class Parameter(Tensor):
    """A Tensor that requires grad and that `Module.parameters()` finds.

    Assigned as an attribute of a Module, it is registered under that attribute's name.
    Ops on a Parameter return plain Tensors. Made from a Tensor it shares that tensor's values
    (as in PyTorch); made from an array or a list it holds a copy.

    >>> w = Parameter(np.zeros((2, 3)))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True):
        shared = isinstance(data, Tensor)
        super().__init__(np.empty(0) if shared else data)  # other data is copied
        if shared:  # a Tensor's values are shared, as with PyTorch's Parameter
            self.data = data
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
