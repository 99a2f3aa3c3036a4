"""Layers without a concept of their own: Sequential (a chain of modules), Flatten, Dropout."""

from __future__ import annotations

from typing import Any

import autodiff
from autodiff import Tensor
from nn import functional as F
from nn.module import Module, ModuleList


class Sequential(ModuleList):
    """Modules applied one after another; children are named "0", "1", ... as in PyTorch.

    Indexing gives a module, slicing a Sequential; len and iteration work as on a list.

    >>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> model[:2]  # the first two layers, sharing their parameters
    """

    def __init__(self, *modules: Module):
        super().__init__(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*list(self)[index])
        return super().__getitem__(index)

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input

    __repr__ = Module.__repr__  # every layer on its own line, as PyTorch prints a Sequential


class Flatten(Module):
    """Merge the axes start_dim..end_dim into one (by default all but the batch axis).

    >>> nn.Flatten()(Tensor(np.zeros((32, 28, 28)))).shape
    Size([32, 784])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Any) -> Tensor:
        return autodiff.as_tensor(input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training mode, zero each element with probability p and scale the others by 1/(1-p)
    (inverted dropout); in eval mode, the identity. Masks come from the global generator.

    >>> drop = nn.Dropout(0.5)
    >>> drop.eval()(Tensor([1.0, 2.0]))  # unchanged in eval mode
    Tensor([1., 2.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F._check_probability(p, "Dropout")
        self.p = p
        self.inplace = inplace  # True is refused when applied, as F.dropout refuses it

    def forward(self, input: Any) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Identity(Module):
    """Returns its input unchanged (a placeholder where a layer is optional); any
    constructor arguments are ignored, as in PyTorch.

    >>> nn.Identity()(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input
