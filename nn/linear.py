"""Linear: the fully connected layer y = x Wᵀ + b."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor
from nn import arguments
from nn import functional as F
from nn import init as initialisers
from nn.module import Module
from nn.parameter import Parameter


class Linear(Module):
    """y = x @ weight.T + bias, with PyTorch's parameter shapes: weight (out_features,
    in_features), bias (out_features,).

    Initialisation is PyTorch's: weight and bias from U(-1/√in, 1/√in) (kaiming_uniform_ with
    a = √5), drawn from the global generator, so that after the same manual_seed the layer
    starts from PyTorch's values. init='xavier' draws the weight from Glorot uniform instead,
    init='kaiming' from He uniform for ReLU layers, both with a zero bias (or call nn.init's
    functions on the weight, as PyTorch code does). dtype defaults to autodiff's default dtype.

    >>> layer = nn.Linear(784, 256)
    >>> layer(Tensor(np.zeros((32, 784), np.float32))).shape
    Size([32, 256])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | None = None,
        dtype: Any = None,
    ):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear: {name}={value!r:.60}; expected a positive integer")
            arguments.size("Linear", name, value)
        bias = arguments.flag("Linear", "bias", bias)
        if not (init is None or isinstance(init, str)) or init not in (None, "xavier", "kaiming"):
            raise ValueError(
                f"Linear: unknown init {init!r:.60}; expected None (PyTorch's), 'xavier' or "
                f"'kaiming'"
            )
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.init = init
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype)) if bias else None
        if init is None:
            initialisers.pytorch_default_(self.weight, self.bias)
        elif init == "xavier":
            initialisers.xavier_uniform_(self.weight)
        else:
            initialisers.kaiming_uniform_(self.weight, nonlinearity="relu")

    def forward(self, input: Any) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def scope_label(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
