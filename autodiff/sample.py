"""Sample: the inputs on which the generic test gradchecks a primitive."""

from __future__ import annotations

from typing import Any

from autodiff import xp
from autodiff.broadcast import Shape


class Sample:
    """Inputs on which the generic test gradchecks a primitive.

    Each input is a shape (a tuple of ints: a random float64 array drawn uniformly from
    `domain`, chosen to avoid the op's singular points) or an array used as it is (a
    constant: a mask, an index). `params` are the primitive's keyword parameters.
    """

    def __init__(
        self, *inputs: Shape | xp.ndarray, domain: tuple[float, float] = (-2.0, 2.0), **params: Any
    ):
        self.inputs = inputs
        self.domain = domain
        self.params = params

    def __repr__(self) -> str:
        shapes = [x if isinstance(x, tuple) else f"array{x.shape}" for x in self.inputs]
        return f"Sample({', '.join(map(str, shapes))}, {self.params})"
