"""@primitive and .defvjp: how an op's forward and its VJP are declared, and their registry.

A primitive's forward takes numpy arrays (positional) and parameters (keywords) and returns
``(out, saved)``. Its VJP is handed what it needs to be right at every order:

    vjp(inputs, out, g, needs, saved, params) -> one gradient per positional input

- `inputs`: the forward's positional arguments and `out` its result: numpy arrays (or the
  numbers given) in a plain backward, the recorded Tensors under ``create_graph=True``;
- `g`: the gradient w.r.t. `out`, of out's shape;
- `needs`: a tuple of booleans, which inputs need a gradient (return None for the others,
  and skip computing them);
- `saved`: constants only (shapes, masks, indices, normalised axes), never a value computed
  from an input that the VJP then differentiates;
- `params`: the keyword parameters the forward was called with.

VJPs are written with operators, the methods numpy arrays and Tensors share, and calls of
other primitives (a Primitive called on arrays computes with numpy, on Tensors it records),
so the same VJP runs on arrays (plain backward) and on Tensors (create_graph, which records
it): second and higher derivatives are right by construction.

Example, a user-defined op::

    @primitive(samples=[Sample((3,))])
    def cube(x):
        \"\"\"out = x**3.\"\"\"
        return x**3, None

    @cube.defvjp
    def cube_vjp(inputs, out, g, needs, saved, params):
        \"\"\"gx = 3 x**2 g.\"\"\"
        (x,) = inputs
        return (3 * x * x * g,)

    y = cube(t)  # a Tensor, recorded on the tape; cube(array) returns an array

A VJP of the older form ``vjp(saved, g)`` or ``vjp(saved, g, needs)`` is still accepted and
adapted once, here: it computes first derivatives as before; under ``create_graph`` it runs
only while `saved` holds no floating-point values (which it could not differentiate) and
raises otherwise, saying how to declare it in the form above.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff.broadcast import Axis, Shape
from autodiff.errors import GradientError

Array = np.ndarray
Saved = Any
Vjp = Callable[..., tuple[Any, ...]]
Rule = tuple[str, str]  # an op's derivative: (in symbols, in words)

__all__ = ["Array", "Axis", "Primitive", "Sample", "Saved", "Shape", "Vjp", "primitive", "registry"]

registry: dict[str, Primitive] = {}

_VJP_PARAMETERS = ("inputs", "out", "g", "needs", "saved", "params")


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
        reads_values: bool = True,
        rule: Rule | None = None,
    ):
        self.name = forward.__name__
        self.forward = forward
        self.samples = samples
        self.differentiable = differentiable
        self.reads_values = reads_values  # False: the VJP uses only shapes and `saved`
        self.vjp: Vjp | None = None
        self.legacy = False  # the VJP takes (saved, g) or (saved, g, needs): see _adapt
        self.defaults = {  # keyword defaults, left out where the op is shown
            name: p.default
            for name, p in inspect.signature(forward).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        self.rule = _checked_rule(self.name, rule)
        self.__doc__ = forward.__doc__

    def defvjp(self, vjp: Vjp) -> Vjp:
        """Attach the VJP ``vjp(inputs, out, g, needs, saved, params)``; usable as a decorator.

        The older ``vjp(saved, g)`` and ``vjp(saved, g, needs)`` are adapted (see the module).
        """
        count = len(inspect.signature(vjp).parameters)
        if count == len(_VJP_PARAMETERS):
            self.vjp = vjp
        elif count in (2, 3):
            self.vjp = _adapt(self, vjp, takes_needs=count == 3)
            self.legacy = True
            self.reads_values = False  # the version check looks at what it saved instead
        else:
            raise TypeError(
                f"{self.name}.defvjp: {getattr(vjp, '__name__', vjp)} takes {count} "
                f"parameters; expected vjp({', '.join(_VJP_PARAMETERS)})"
            )
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


def _adapt(prim: Primitive, vjp: Vjp, takes_needs: bool) -> Vjp:
    """A VJP of the contract above around a VJP of the older (saved, g[, needs]) form.

    Such a VJP computes with `saved`, which holds arrays, not the recorded Tensors: under
    create_graph its result would treat them as constants, and a Hessian through a saved
    value derived from an input (``return x * x, 2 * x``) would come out silently wrong. So
    under create_graph it runs only when `saved` holds no floating-point value.
    """

    def adapted(
        inputs: tuple[Any, ...],
        out: Any,
        g: Any,
        needs: tuple[bool, ...],
        saved: Saved,
        params: dict[str, Any],
    ) -> tuple[Any, ...]:
        if not isinstance(g, np.ndarray | np.generic):  # create_graph: g is a Tensor
            _refuse_float_values(prim, saved)
        return vjp(saved, g, needs) if takes_needs else vjp(saved, g)

    adapted.__name__ = getattr(vjp, "__name__", "vjp")
    adapted.__doc__ = vjp.__doc__
    return adapted


def _refuse_float_values(prim: Primitive, saved: Saved) -> None:
    """Raise unless `saved` holds only constants the VJP cannot need to differentiate (see
    _adapt): ints, bools, strings, None, slices, dtypes, integer or boolean arrays, and
    tuples, lists and dicts of these. A float anywhere, or an object it cannot look into,
    might be a value derived from an input.
    """
    pending = [saved]
    while pending:
        item = pending.pop()
        if isinstance(item, tuple | list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, np.ndarray | np.generic):
            if item.dtype.kind in "fc":
                raise GradientError(_legacy_message(prim, "a floating-point value"))
        elif not isinstance(item, int | str | slice | np.dtype | type(None) | type(...)):
            raise GradientError(_legacy_message(prim, f"a {type(item).__name__}"))


def _legacy_message(prim: Primitive, what: str) -> str:
    """Why a (saved, g) VJP cannot run under create_graph, and what to write instead."""
    return (
        f"{prim.name}: create_graph needs the VJP to compute with the op's inputs and output, "
        f"but its VJP takes (saved, g) and the forward saved {what}, which it cannot "
        f"differentiate; declare the VJP as vjp({', '.join(_VJP_PARAMETERS)}) and compute "
        f"from `inputs` and `out` (see help(autodiff.primitive))"
    )


def primitive(
    forward: Callable | None = None,
    *,
    samples: list[Sample] | None = None,
    reads_values: bool = True,
    rule: Rule | None = None,
) -> Primitive | Callable[[Callable], Primitive]:
    """Declare a differentiable op from its forward; add its VJP with ``.defvjp``.

    `samples` are the inputs the generic test gradchecks it on; every differentiable
    primitive needs at least one. `reads_values=False` says the VJP uses only the shapes
    of its inputs and output (and `saved`), so an in-place change to them after the op
    ran does not make backward refuse. `rule` is the derivative in symbols and in words,
    ``("d/dx tanh(x) = 1 − tanh²(x)", "the slope of tanh is one minus its output squared")``,
    which `autodiff.watch_backward` shows beside each step of this op.
    """

    def make(fn: Callable) -> Primitive:
        prim = Primitive(fn, samples or [], reads_values=reads_values, rule=rule)
        registry[prim.name] = prim
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
