"""Activation functions as modules (PyTorch's names and arguments), over nn.functional."""

from __future__ import annotations

from typing import Any

from autodiff import Tensor
from nn import functional as F
from nn.module import Module


class ReLU(Module):
    """max(x, 0), elementwise.

    >>> nn.ReLU()(Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """

    def forward(self, input: Any) -> Tensor:
        return F.relu(input)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope · x.

    >>> nn.LeakyReLU(0.1)(Tensor([-1.0, 2.0]))
    Tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Any) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + e**-x), elementwise.

    >>> nn.Sigmoid()(Tensor([0.0]))
    Tensor([0.5])
    """

    def forward(self, input: Any) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """tanh x, elementwise.

    >>> nn.Tanh()(Tensor([0.0]))
    Tensor([0.])
    """

    def forward(self, input: Any) -> Tensor:
        return F.tanh(input)


class GELU(Module):
    """x·Φ(x), exact (through erf) or with approximate='tanh'.

    >>> nn.GELU(approximate="tanh")(Tensor([0.0]))
    Tensor([0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(
                f"GELU: unknown approximate {approximate!r}; expected 'none' or 'tanh'"
            )
        self.approximate = approximate

    def forward(self, input: Any) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x) (swish).

    >>> nn.SiLU()(Tensor([0.0]))
    Tensor([0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        F._refuse_inplace(inplace, "SiLU")

    def forward(self, input: Any) -> Tensor:
        return F.silu(input)


class Softmax(Module):
    """e**x / Σ e**x along `dim` (without it, PyTorch's implicit choice: see F.softmax).

    >>> nn.Softmax(dim=-1)(Tensor([[0.0, 0.0]]))
    Tensor([[0.5, 0.5]])
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - logsumexp(x) along `dim` (the log-sum-exp trick: finite for any logits; without
    `dim`, PyTorch's implicit choice: see F.softmax).

    >>> nn.LogSoftmax(dim=-1)(Tensor([[0.0, 0.0]]))
    Tensor([[-0.6931472, -0.6931472]])
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
