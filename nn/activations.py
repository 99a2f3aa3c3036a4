"""Activation functions as modules (PyTorch's names and arguments), over nn.functional.

ReLU, LeakyReLU, Sigmoid, Tanh, ELU, SELU, CELU, Softplus, LogSigmoid, ReLU6, Softsign,
Hardsigmoid, Hardswish, Mish and GLU are made from the op table (autodiff/optable.py): each
applies its nn.functional function with the arguments its constructor was given, e.g.
nn.LeakyReLU(0.1)(x) is F.leaky_relu(x, 0.1). Those that check their arguments when made
(Hardtanh), take no function of the table (Softmax, Softmin) or hold a parameter (PReLU) are
written below.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from nn import arguments
from nn import functional as F
from nn.module import Module
from nn.parameter import Parameter


class _Activation(Module):
    """A module that applies one nn.functional function, its arguments fixed at construction."""

    function: Callable[..., Tensor]
    arguments: tuple[str, ...] = ()  # the function's parameters after the input

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()
        bound = inspect.signature(type(self)).bind(*args, **kwargs)
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            setattr(self, name, value)

    def forward(self, input: Any) -> Tensor:
        return self.function(input, *[getattr(self, name) for name in self.arguments])

    def extra_repr(self) -> str:
        shown = [n for n in self.arguments if n != "inplace" or self.inplace]  # as PyTorch
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)


def _activation(name: str, function: Callable[..., Tensor]) -> type[Module]:
    """The module class `name` that applies `function`, with its positional arguments."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    arguments = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    namespace = {
        "__doc__": function.__doc__,
        "__module__": __name__,
        "__qualname__": name,
        "__signature__": inspect.Signature(arguments),
        "function": staticmethod(function),
        "arguments": tuple(p.name for p in arguments),
    }
    return type(name, (_Activation,), namespace)


_MODULES = {  # nn.functional's function where it extends the table's (relu's inplace=)
    name: _activation(name, getattr(F, function.__name__, function))
    for name, function in autodiff.ops_for("nn").items()
}
globals().update(_MODULES)

__all__ = sorted(
    {*_MODULES, "GELU", "SiLU", "Softmax", "LogSoftmax", "Softmin", "Hardtanh", "PReLU"}
)


class GELU(Module):
    """x·Φ(x), exact (through erf) or with approximate='tanh'.

    >>> nn.GELU(approximate="tanh")(Tensor([0.0]))
    Tensor([0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
            raise ValueError(
                f"GELU: unknown approximate {approximate!r:.60}; expected 'none' or 'tanh'"
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


class Softmax(_Activation):
    """e**x / Σ e**x along `dim`; without dim, PyTorch's implicit choice (see F.softmax).

    >>> nn.Softmax(dim=-1)(Tensor([[0.0, 0.0]]))
    Tensor([[0.5, 0.5]])
    """

    function = staticmethod(F.softmax)
    arguments = ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__(dim)


class LogSoftmax(_Activation):
    """x - logsumexp(x) along `dim`; without dim, PyTorch's implicit choice (see F.softmax).

    >>> nn.LogSoftmax(dim=-1)(Tensor([[0.0, 0.0]]))
    Tensor([[-0.6931472, -0.6931472]])
    """

    function = staticmethod(F.log_softmax)
    arguments = ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__(dim)


class Softmin(_Activation):
    """softmax(-x) along `dim`; without dim, PyTorch's implicit choice (see F.softmax).

    >>> nn.Softmin(dim=-1)(Tensor([[0.0, 0.0]]))
    Tensor([[0.5, 0.5]])
    """

    function = staticmethod(F.softmin)
    arguments = ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__(dim)


class Hardtanh(_Activation):
    """x clipped to [min_val, max_val] (gradient 0 at both ends, as PyTorch's).

    >>> nn.Hardtanh(-2.0, 2.0)(Tensor([-3.0, 1.0, 3.0]))
    Tensor([-2.,  1.,  2.])
    """

    function = staticmethod(F.hardtanh)
    arguments = ("min_val", "max_val", "inplace")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        low = arguments.number("Hardtanh", "min_val", min_val)
        high = arguments.number("Hardtanh", "max_val", max_val)
        if not low < high:
            raise ValueError(
                f"Hardtanh: min_val={min_val} and max_val={max_val}; expected min_val < max_val"
            )
        super().__init__(min_val, max_val, inplace)


class PReLU(Module):
    """x where x > 0, else a·x, with `a` learnt: one weight (num_parameters=1) or one per
    channel (dim 1 of the input), each starting at `init`.

    >>> nn.PReLU()(Tensor([-1.0, 2.0]))  # weight 0.25
    Tensor([-0.2500,  2.0000], op=where)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = None):
        super().__init__()
        self.num_parameters = arguments.size("PReLU", "num_parameters", num_parameters)
        self.init = arguments.number("PReLU", "init", init)
        dtype = arguments.float_dtype("PReLU", dtype)
        self.weight = Parameter(np.full(self.num_parameters, self.init, dtype))

    def forward(self, input: Any) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
