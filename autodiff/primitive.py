"""@primitive and .defvjp: how an op's forward and its VJP are declared, and their registry.

A primitive's forward takes numpy arrays (positional) and parameters (keywords) and returns
``(out, saved)``. Its VJP takes a context and the gradient of the output, and returns one
gradient per positional input (None for an input that needs none):

    vjp(ctx, g) -> tuple of gradients

- ``ctx.inputs``: the forward's positional arguments, ``ctx.out`` its result: numpy arrays
  (or the numbers given) in a plain backward, the recorded Tensors under ``create_graph``;
- ``ctx.needs``: a tuple of booleans, which inputs need a gradient (skip the others);
- ``ctx.saved``: what the forward saved, for constants only: shapes, axes, indices, masks;
- ``ctx.params``: the keyword parameters the forward was called with;
- ``ctx.create_graph``: whether this backward is being recorded;
- ``g``: the gradient w.r.t. ``out``, of out's shape.

VJPs are written with operators, the methods numpy arrays and Tensors share, and calls of
other primitives (a Primitive called on arrays computes with numpy, on Tensors it records),
so the same VJP runs on arrays (plain backward) and on Tensors (create_graph, which records
it): second and higher derivatives are right by construction. What would break that is
refused under create_graph, naming the primitive: a floating-point value in ``saved`` (at
any depth: in a tuple, a dict, an object's attributes), unless marked with ``constant()``,
and ``float()``, ``int()``, ``.item()``, ``.tolist()`` or ``np.asarray`` of a recorded
Tensor, any of which the tape cannot see through.

Example, a user-defined op::

    @primitive(samples=[Sample((3,))])
    def cube(x):
        \"\"\"out = x**3.\"\"\"
        return x**3, None

    @cube.defvjp
    def cube_vjp(ctx, g):
        \"\"\"gx = 3 x**2 g.\"\"\"
        (x,) = ctx.inputs
        return (3 * x * x * g,)

    y = cube(t)  # a Tensor, recorded on the tape; cube(array) returns an array
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from autodiff import xp
from autodiff.broadcast import Axis, Shape
from autodiff.context import Context, Saved, constant
from autodiff.errors import named_errors
from autodiff.sample import Sample

Array = xp.ndarray
Vjp = Callable[["Context", Any], tuple[Any, ...]]
Rule = tuple[str, str]  # an op's derivative: (in symbols, in words)

__all__ = [
    "Array",
    "Axis",
    "Context",
    "Primitive",
    "Sample",
    "Saved",
    "Shape",
    "Vjp",
    "constant",
    "primitive",
    "registry",
]

registry: dict[str, Primitive] = {}
_registry_lock = threading.Lock()


class Primitive:
    """An op with a hand-written VJP: the unit the tape records."""

    def __init__(
        self,
        forward: Callable[..., tuple[Any, Saved]],
        samples: list[Sample],
        differentiable: bool = True,
        rule: Rule | None = None,
    ):
        self.name = forward.__name__
        self.forward = forward
        self.samples = samples
        self.differentiable = differentiable
        self.vjp: Vjp | None = None
        self.defaults = {  # keyword defaults, left out where the op is shown
            name: p.default
            for name, p in inspect.signature(forward).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        self.rule = _checked_rule(self.name, rule)
        self.__doc__ = forward.__doc__

    def defvjp(self, vjp: Vjp) -> Vjp:
        """Attach the VJP ``vjp(ctx, g)`` (see the module); usable as a decorator."""
        _check_vjp_signature(self.name, vjp)
        self.vjp = vjp
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


def _check_vjp_signature(name: str, vjp: Vjp) -> None:
    """Raise unless `vjp` can be called as vjp(ctx, g)."""
    label = getattr(vjp, "__name__", repr(vjp))
    try:
        parameters = list(inspect.signature(vjp).parameters)
        inspect.signature(vjp).bind(None, None)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}.defvjp: {label} cannot be called as vjp(ctx, g); expected a function "
            f"of the context and the output's gradient (see help(autodiff.primitive))"
        ) from None
    if parameters[:1] == ["saved"]:  # the form vjp(saved, g) of earlier versions
        raise TypeError(
            f"{name}.defvjp: {label} takes (saved, g); the VJP is now vjp(ctx, g): read "
            f"ctx.saved, and compute from ctx.inputs and ctx.out whatever depends on an input"
        )


def _register(prim: Primitive) -> None:
    """Add `prim` to the registry; a second primitive of the same name is refused, except
    the same definition run again (a function called twice, a notebook cell run again),
    which replaces it."""
    with _registry_lock:
        known = registry.get(prim.name)
        if known is not None and _site(known) != _site(prim):
            code = known.forward.__code__
            raise ValueError(
                f"primitive: a primitive named {prim.name!r} is already registered (defined "
                f"at {code.co_filename}:{code.co_firstlineno}); give the new one another "
                f"name, e.g. primitive(name='my_{prim.name}')"
            )
        registry[prim.name] = prim


def _site(prim: Primitive) -> tuple[str, int, str]:
    """Where a primitive's forward is defined: its file, line and qualified name."""
    code = prim.forward.__code__
    return code.co_filename, code.co_firstlineno, prim.forward.__qualname__


@named_errors
def primitive(
    forward: Callable | None = None,
    *,
    samples: list[Sample] | None = None,
    name: str | None = None,
    rule: Rule | None = None,
) -> Primitive | Callable[[Callable], Primitive]:
    """Declare a differentiable op from its forward; add its VJP with ``.defvjp``.

    `samples` are the inputs the generic test gradchecks it on; every differentiable
    primitive needs at least one. `name` (the forward's name by default) must be new.
    `rule` is the derivative in symbols and in words,
    ``("d/dx tanh(x) = 1 − tanh²(x)", "the slope of tanh is one minus its output squared")``,
    which `autodiff.watch_backward` shows beside each step of this op.
    """

    def make(fn: Callable) -> Primitive:
        prim = Primitive(fn, samples or [], rule=rule)
        if name is not None:
            prim.name = name
        _register(prim)
        return prim

    return make(forward) if forward is not None else make


def _checked_rule(name: str, rule: Any) -> Rule | None:
    """`rule` if it is None or (symbols, words), two strings; else the error saying so."""
    if rule is None or (
        isinstance(rule, tuple) and len(rule) == 2 and all(isinstance(s, str) for s in rule)
    ):
        return rule
    raise TypeError(
        f"primitive {name}: rule must be a pair of strings (symbols, words), "
        f"e.g. ('d/dx exp(x) = exp(x)', 'exp is its own derivative'), got {rule!r}"
    )


def nondifferentiable(forward: Callable) -> Primitive:
    """Declare an op whose output carries no gradient (comparisons, argmax): never recorded."""
    return Primitive(forward, [], differentiable=False)
