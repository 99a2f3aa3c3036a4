"""PyTorch's torch.autograd: `grad(outputs, inputs)`, `backward(tensors)`, custom ops as a
`Function` subclass, the old `Variable`, and `functional.jacobian` / `functional.hessian`.

`import autodiff as torch` makes `torch.autograd.grad(loss, w)` and a tutorial's
`class Cube(torch.autograd.Function)` run as written. Everything here is built on the tape's
backward and on primitives; autodiff's own transforms (`autodiff.grad(f)`, ...) are JAX's.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff import xp
from autodiff.errors import GradientError, named_errors
from autodiff.grad_mode import no_grad
from autodiff.primitive import Primitive
from autodiff.tensor import Tensor

__all__ = ["Function", "Variable", "backward", "functional", "grad"]


def _tensors(value: Any, op: str, what: str) -> list[Tensor]:
    """One Tensor or a sequence of them, as a list."""
    items = [value] if isinstance(value, Tensor) else value
    if not isinstance(items, Sequence) or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"{op}: {what} must be a Tensor or a sequence of Tensors, got {value!r}")
    return list(items)


def _seeds(grad_outputs: Any, outputs: list[Tensor], op: str) -> list[Any]:
    """The gradients backward starts from, one per output (None: a scalar's 1)."""
    if grad_outputs is None:
        return [None] * len(outputs)
    seeds = [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else grad_outputs
    if len(seeds) != len(outputs):
        raise ValueError(
            f"{op}: {len(seeds)} gradients for {len(outputs)} outputs; expected one per output"
        )
    return list(seeds)


@named_errors
def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of the outputs (a Tensor or a sequence, each weighted by its entry of
    grad_outputs) with respect to each input, as a tuple; no .grad changes.

    As PyTorch's torch.autograd.grad: the graph is freed unless retain_graph (which defaults
    to create_graph); an input the outputs do not depend on is an error unless allow_unused
    (its gradient is then None) or materialize_grads (zeros).
    """
    outputs = _tensors(outputs, "grad", "outputs")
    inputs = _tensors(inputs, "grad", "inputs")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise GradientError(f"grad: input {i} does not require grad")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise GradientError(
                f"grad: output {i} does not require grad and was not made by a recorded op"
            )
    seeds = _seeds(grad_outputs, outputs, "grad")
    keep = create_graph if retain_graph is None else retain_graph
    total: list[Any] = [None] * len(inputs)
    for k, (out, seed) in enumerate(zip(outputs, seeds)):
        last = k == len(outputs) - 1
        found = out._backpropagate(seed, "grad", keep or not last, create_graph, inputs=inputs)
        total = [a if b is None else b if a is None else a + b for a, b in zip(total, found)]
    for i, (g, x) in enumerate(zip(total, inputs)):
        if g is None and materialize_grads:
            total[i] = Tensor._wrap(xp.zeros(x.shape, x._value.dtype))
        elif g is None and not allow_unused:
            raise GradientError(
                f"grad: input {i} was not used to compute the outputs; pass allow_unused=True "
                f"to get None for it (or materialize_grads=True for zeros)"
            )
    return tuple(total)


@named_errors
def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of `tensors` into the .grad of the leaves (of `inputs` only,
    where given), as each tensor's backward() would, with one retain_graph for all."""
    tensors = _tensors(tensors, "backward", "tensors")
    seeds = _seeds(grad_tensors, tensors, "backward")
    if inputs is not None:
        inputs = _tensors(inputs, "backward", "inputs")
        found = grad(tensors, inputs, seeds, retain_graph, create_graph, allow_unused=True)
        for x, g in zip(inputs, found):
            if g is not None:
                x.grad = g if x.grad is None else x.grad + g
        return
    keep = create_graph if retain_graph is None else retain_graph
    for k, (t, seed) in enumerate(zip(tensors, seeds)):
        t.backward(seed, retain_graph=keep or k < len(tensors) - 1, create_graph=create_graph)


class _AnyTensor(type):
    """Variable's type: every Tensor is an instance (isinstance(t, Variable) in old code)."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_AnyTensor):
    """PyTorch's old wrapper, now a Tensor sharing `data`'s memory (as PyTorch's Variable
    returns): Variable(x, requires_grad=True) is a leaf that requires grad."""

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable: data must be a Tensor, got {type(data).__name__}")
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Variable: requires_grad={requires_grad!r}; expected True or False")
        t = data.detach()
        return t.requires_grad_(True) if requires_grad else t


class FunctionCtx:
    """The `ctx` a Function's forward and backward share (PyTorch's): save_for_backward(),
    saved_tensors, needs_input_grad, and any attribute forward sets."""

    def __init__(self, inputs: list[Tensor], needs: tuple[bool, ...]):
        self._inputs = inputs  # the Tensors forward was given, as forward saw them
        self._saved: tuple[Any, ...] = ()
        self.needs_input_grad = needs
        self.materialize_grads = True
        self._recorded: dict[int, Tensor] = {}  # id(forward's Tensor) -> its recorded one
        self._marked: set[int] = set()  # ids of the Tensors mark_non_differentiable named

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep these Tensors (inputs, the output, or others) for backward."""
        self._saved = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Mark the output as one without a gradient (an index, a mask): it does not require
        grad, as in PyTorch."""
        self._marked = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward gets zeros (True, the default) or None for an unused output."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What save_for_backward kept; an input or the output is its recorded Tensor while
        backward is being recorded (create_graph), so higher derivatives see through it."""
        return tuple(self._recorded.get(id(t), t) for t in self._saved)


class Function:
    """A custom op, as PyTorch's torch.autograd.Function: subclass it with two static methods,
    `forward(ctx, *args)` computing with Tensors (unrecorded) and `backward(ctx, *grads)`
    returning one gradient per argument of forward (None for a non-Tensor or one that needs
    none), and call `YourFunction.apply(*args)`.

    >>> class Cube(autodiff.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x**3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x**2 * g
    >>> x = autodiff.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).backward(autodiff.ones(1)); x.grad
    Tensor([12.])

    backward runs as a VJP: on Tensors that are recorded under create_graph, so a backward
    written with Tensor ops gives second derivatives too. forward returns one Tensor.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("Function: define forward(ctx, *args) as a staticmethod")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("Function: define backward(ctx, *grads) as a staticmethod")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """forward(ctx, *args), recorded on the tape with backward as its VJP."""
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        shown = [Tensor._wrap(a._value) if isinstance(a, Tensor) else a for a in args]
        ctx = FunctionCtx([shown[i] for i in positions], needs)

        def run(*arrays: Any) -> tuple[Any, None]:
            with no_grad():
                out = cls.forward(ctx, *shown)
            if not isinstance(out, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward returned {type(out).__name__}; expected one Tensor"
                )
            ctx._output = out
            return out._value, None

        run.__name__ = cls.__name__
        prim = Primitive(run, [])
        prim.defvjp(lambda vjp_ctx, g: _backward(cls, ctx, positions, vjp_ctx, g))
        result = Tensor.apply(prim, *(args[i] for i in positions))
        return result.detach() if id(ctx._output) in ctx._marked else result


def _backward(
    cls: type, ctx: FunctionCtx, positions: list[int], vjp_ctx: Any, g: Any
) -> tuple[Any, ...]:
    """A Function's backward as a primitive's VJP: Tensors in, one gradient per Tensor input
    out (arrays in a plain backward, recorded Tensors under create_graph)."""
    recorded = vjp_ctx.create_graph
    inputs = vjp_ctx.inputs if recorded else [Tensor._wrap(a) for a in vjp_ctx.inputs]
    ctx._recorded = {id(t): x for t, x in zip(ctx._inputs, inputs)}
    ctx._recorded[id(ctx._output)] = vjp_ctx.out if recorded else ctx._output
    grads = cls.backward(ctx, g if recorded else Tensor._wrap(g))
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) < max(positions) + 1:
        raise ValueError(
            f"{cls.__name__}.backward returned {len(grads)} gradients for forward's "
            f"{max(positions) + 1} arguments; expected one per argument (None where none)"
        )
    result = []
    for i in positions:
        gi = grads[i]
        if gi is not None:
            gi = gi if isinstance(gi, Tensor) else Tensor._wrap(np.asarray(gi))
            gi = gi if recorded else gi._value  # a wrong shape: the tape's error names cls
        result.append(gi)
    return tuple(result)


def _jacobian(func: Callable, inputs: Any, create_graph: bool = False) -> Any:
    """PyTorch's torch.autograd.functional.jacobian: for one input Tensor and one output,
    a Tensor of shape output.shape + input.shape; tuples where func takes or gives several."""
    from autodiff.functional import jacobian as transform

    many = isinstance(inputs, tuple)
    args = inputs if many else (inputs,)
    found = transform(func, argnums=tuple(range(len(args))))(*args)
    if isinstance(found, tuple) and found and isinstance(found[0], tuple):  # several outputs
        return tuple(per if many else per[0] for per in found)
    return found if many else found[0]


def _hessian(func: Callable, inputs: Any, create_graph: bool = False) -> Any:
    """PyTorch's torch.autograd.functional.hessian: of a scalar function, a Tensor of shape
    input.shape + input.shape (a tuple of tuples for several inputs)."""
    from autodiff.functional import hessian as transform

    many = isinstance(inputs, tuple)
    args = inputs if many else (inputs,)
    found = transform(func, argnums=tuple(range(len(args))))(*args)
    return found if many else found[0][0]


functional = types.SimpleNamespace(jacobian=_jacobian, hessian=_hessian)
