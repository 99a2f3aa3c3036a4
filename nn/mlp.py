"""MLP: Linear layers with an activation between each two, built as a Sequential."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff import Tensor
from nn import arguments
from nn.activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from nn.layers import Sequential
from nn.linear import Linear
from nn.module import Module

ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "gelu": GELU,
    "leaky_relu": LeakyReLU,
}


class MLP(Module):
    """A multilayer perceptron: Linear(sizes[0]→sizes[1]), activation, ..., Linear(→sizes[-1]),
    then `output_activation` if one is given.

    `activation` and `output_activation` are names ('relu', 'tanh', 'sigmoid', 'gelu',
    'leaky_relu') or Module classes, called with no arguments. The layers live in a
    Sequential named `layers`, so parameter names map to PyTorch's: layers.0.weight, ...
    `init` and `dtype` go to every Linear.

    >>> model = nn.MLP([784, 256, 10])
    >>> [name for name, _ in model.named_parameters()]
    ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | type[Module] = "relu",
        output_activation: str | type[Module] | None = None,
        init: str = "xavier",
        dtype: Any = None,
    ):
        super().__init__()
        if not isinstance(sizes, (list, tuple)):
            raise TypeError(
                f"MLP: sizes={sizes!r:.60}; expected a list of ints, e.g. [784, 256, 10]"
            )
        sizes = [arguments.size("MLP", "sizes", size) for size in sizes]
        if len(sizes) < 2:
            raise ValueError(
                f"MLP: sizes {sizes}; expected at least an input and an output size, "
                f"e.g. [784, 256, 10]"
            )
        hidden = _activation_class(activation, "activation")
        final = None
        if output_activation is not None:
            final = _activation_class(output_activation, "output_activation")
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, init=init, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(hidden())
        if final is not None:
            layers.append(final())
        self.sizes = sizes
        self.layers = Sequential(*layers)

    def forward(self, input: Any) -> Tensor:
        return self.layers(input)


def _activation_class(activation: str | type[Module], argument: str) -> type[Module]:
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"MLP: unknown {argument} {activation!r}; expected one of "
                f"{', '.join(ACTIVATIONS)} or a Module class"
            )
        return ACTIVATIONS[activation]
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation
    raise TypeError(
        f"MLP: {argument} must be a name or a Module class, got {type(activation).__name__}"
    )
