"""@primitive and .defvjp: how an op's forward and its VJP are declared, and their registry.

A primitive's forward takes numpy arrays (positional) and parameters (keywords) and returns
``(out, saved)``. Its VJP takes ``(saved, g)`` and returns one gradient per positional input,
``None`` where there is none. A VJP of several inputs may take a third argument, ``needs``:
a tuple of booleans saying which inputs need a gradient, so that it can skip the others.

VJPs are written with operators, the methods numpy arrays and Tensors share, and calls of
other primitives (a Primitive called on arrays computes with numpy, on Tensors it records),
so the same VJP runs on arrays (plain backward) and on Tensors
(``backward(create_graph=True)``, which records it).

Example, a user-defined op::

    @primitive(samples=[Sample((3,))])
    def cube(x):
        \"\"\"out = x**3.\"\"\"
        return x**3, x

    @cube.defvjp
    def cube_vjp(x, g):
        \"\"\"gx = 3 x**2 g.\"\"\"
        return (3 * x * x * g,)

    y = cube(t)  # a Tensor, recorded on the tape; cube(array) returns an array
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff.broadcast import Axis, Shape

Array = np.ndarray
Saved = Any

__all__ = ["Array", "Axis", "Primitive", "Sample", "Saved", "Shape", "primitive", "registry"]

registry: dict[str, Primitive] = {}


class Sample:
    """Inputs on which the generic test gradchecks a primitive.

    Each input is a shape (a tuple of ints: a random float64 array drawn uniformly from
    `domain`, chosen to avoid the op's singular points) or an array used as it is (a
    constant: a mask, an index). `params` are the primitive's keyword parameters.
    """

    def __init__(
        self, *inputs: Shape | Array, domain: tuple[float, float] = (-2.0, 2.0), **params: Any
    ):
        self.inputs = inputs
        self.domain = domain
        self.params = params

    def __repr__(self) -> str:
        shapes = [x if isinstance(x, tuple) else f"array{x.shape}" for x in self.inputs]
        return f"Sample({', '.join(map(str, shapes))}, {self.params})"


class Primitive:
    """An op with a hand-written VJP: the unit the tape records."""

    def __init__(
        self,
        forward: Callable[..., tuple[Any, Saved]],
        samples: list[Sample],
        differentiable: bool = True,
    ):
        self.name = forward.__name__
        self.forward = forward
        self.samples = samples
        self.differentiable = differentiable
        self.vjp: Callable[..., tuple[Any, ...]] | None = None
        self.vjp_takes_needs = False
        self.defaults = {  # keyword defaults, left out where the op is shown
            name: p.default
            for name, p in inspect.signature(forward).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        self.__doc__ = forward.__doc__

    def defvjp(self, vjp: Callable[..., tuple[Any, ...]]) -> Callable[..., tuple[Any, ...]]:
        """Attach the VJP `vjp(saved, g)` or `vjp(saved, g, needs)`; usable as a decorator."""
        self.vjp = vjp
        self.vjp_takes_needs = len(inspect.signature(vjp).parameters) == 3
        return vjp

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Run on Tensors (recorded, returns a Tensor) or on arrays (returns an array).

        This is what lets one VJP serve both backward modes: a VJP that calls ``exp(x)``
        computes with numpy on arrays and records an ``exp`` node on Tensors.
        """
        for arg in args:
            apply = getattr(type(arg), "apply", None)  # Tensor.apply; arrays have none
            if apply is not None:
                return apply(self, *args, **params)
        return self.forward(*args, **params)[0]

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def primitive(
    forward: Callable | None = None, *, samples: list[Sample] | None = None
) -> Primitive | Callable[[Callable], Primitive]:
    """Declare a differentiable op from its forward; add its VJP with ``.defvjp``.

    `samples` are the inputs the generic test gradchecks it on; every differentiable
    primitive needs at least one.
    """

    def make(fn: Callable) -> Primitive:
        prim = Primitive(fn, samples or [])
        registry[prim.name] = prim
        return prim

    return make(forward) if forward is not None else make


def nondifferentiable(forward: Callable) -> Primitive:
    """Declare an op whose output carries no gradient (comparisons, argmax): never recorded."""
    return Primitive(forward, [], differentiable=False)
