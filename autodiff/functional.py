"""JAX-style function transforms on top of backward: grad, value_and_grad, vjp, jvp, jacobian,
hessian.

They accept numpy arrays, numbers or Tensors. Called on Tensors that already require grad
(inside another transform), they record their backward pass, so transforms nest:
``grad(grad(f))`` is the second derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff.errors import GradientError, named_errors
from autodiff.functions import stack
from autodiff.grad_mode import enable_grad
from autodiff.tensor import Tensor


def _argnums(argnums: Any, op: str) -> tuple[tuple[int, ...], bool]:
    """The positions to differentiate by, and whether several were asked for (a sequence:
    then the transform returns a tuple, one entry per position)."""
    many = not isinstance(argnums, int | np.integer)
    nums = tuple(argnums) if many and isinstance(argnums, Sequence) else (argnums,)
    if any(isinstance(i, bool) or not isinstance(i, int | np.integer) for i in nums):
        raise TypeError(
            f"{op}: argnums={argnums!r}; expected an int or a sequence of ints (the positions "
            f"of the arguments to differentiate by)"
        )
    if not nums:
        raise ValueError(f"{op}: argnums=(); expected at least one argument to differentiate by")
    return tuple(int(i) for i in nums), many


def _as_inputs(args: Sequence[Any], argnums: Sequence[int], op: str) -> tuple[list[Any], bool]:
    """args with those at argnums turned into Tensors that require grad.

    Returns the new args and whether any of them was already part of a graph (then the
    backward pass must be recorded for the caller's own differentiation).
    """
    args = list(args)
    positions = [i + len(args) if i < 0 else i for i in argnums]
    for i, position in zip(argnums, positions):
        if not 0 <= position < len(args):
            raise ValueError(
                f"{op}: argnums refers to argument {i}, but f was called with {len(args)} "
                f"positional argument{'s' if len(args) != 1 else ''}"
            )
    if len(set(positions)) != len(positions):
        raise ValueError(f"{op}: argnums={tuple(argnums)} names an argument twice")
    nested = False
    for i in positions:
        x = args[i]
        if isinstance(x, Tensor) and x.requires_grad:
            nested = True
        else:
            data = x._value if isinstance(x, Tensor) else np.asarray(x)
            if data.dtype.kind != "f":
                data = data.astype(np.float64)
            args[i] = Tensor(data, requires_grad=True)
    return args, nested


def _gradients(
    out: Tensor, wrt: Sequence[Tensor], seed: Any, create_graph: bool, retain_graph: bool = False
) -> list[Tensor]:
    """d(out · seed)/d(wrt) without touching any .grad; zeros where out does not depend."""
    if not out.requires_grad:
        return [Tensor(np.zeros(x.shape, x.dtype)) for x in wrt]
    found = out._backpropagate(seed, "grad", retain_graph, create_graph, inputs=wrt)
    return [g if g is not None else Tensor(np.zeros(x.shape, x.dtype)) for g, x in zip(found, wrt)]


@named_errors
def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Tensor, Any]]:
    """A function returning (f(*args), df/dargs[argnums]); f must return a scalar."""
    nums, many = _argnums(argnums, "grad")

    def value_and_grad_f(*args: Any) -> tuple[Tensor, Any]:
        inputs, nested = _as_inputs(args, nums, "grad")
        with enable_grad():
            out = f(*inputs)
        if not isinstance(out, Tensor) or out.size != 1:
            shape = out.shape if isinstance(out, Tensor) else type(out).__name__
            raise GradientError(f"grad: f must return a scalar Tensor, got {shape}")
        grads = _gradients(out, [inputs[i] for i in nums], None, nested)
        return out, tuple(grads) if many else grads[0]

    return value_and_grad_f


@named_errors
def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function returning df/dargs[argnums] (a tuple for several argnums)."""
    value_and_grad_f = value_and_grad(f, argnums)
    return lambda *args: value_and_grad_f(*args)[1]


@named_errors
def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[Tensor, Callable[[Any], tuple]]:
    """(f(*primals), vjp_fn) where vjp_fn(v) = vᵀ J, one gradient per primal."""
    inputs, nested = _as_inputs(primals, range(len(primals)), "vjp")
    with enable_grad():
        out = f(*inputs)

    def vjp_fn(v: Any) -> tuple[Tensor, ...]:
        return tuple(_gradients(out, inputs, v, create_graph=nested, retain_graph=True))

    return out, vjp_fn


@named_errors
def jvp(
    f: Callable[..., Tensor], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Tensor, Tensor]:
    """(f(*primals), J · tangents), by the double-VJP trick.

    u ↦ vᵀ(u) = uᵀ J is linear in u, so differentiating ⟨uᵀ J, t⟩ w.r.t. u gives J t.
    """
    inputs, nested = _as_inputs(primals, range(len(primals)), "jvp")
    with enable_grad():
        out = f(*inputs)
        u = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
        pulled = _gradients(out, inputs, u, create_graph=True)
        total = None
        for p, t in zip(pulled, tangents):
            t = t._value if isinstance(t, Tensor) else np.asarray(t, dtype=p.dtype)
            term = (p * t).sum()
            total = term if total is None else total + term
    (tangent_out,) = _gradients(total, [u], None, create_graph=nested)
    return (out if nested else out.detach()), tangent_out


@named_errors
def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function returning the Jacobian of f w.r.t. args[argnums], shaped out + input.

    As torch.autograd.functional.jacobian: several argnums give a tuple (one Jacobian per
    argument), an f returning a tuple gives a tuple (one per output), both a tuple of tuples
    (per output, then per argument); 0-d inputs and outputs contribute no dims.
    """
    nums, many = _argnums(argnums, "jacobian")

    def jacobian_f(*args: Any) -> Any:
        inputs, nested = _as_inputs(args, nums, "jacobian")
        wrt = [inputs[i] for i in nums]
        with enable_grad():
            out = f(*inputs)
        several_outputs = isinstance(out, tuple | list)
        outputs = tuple(out) if several_outputs else (out,)
        blocks = []
        for k, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                where = f"output {k}" if several_outputs else "its output"
                raise GradientError(
                    f"jacobian: f returned {type(o).__name__} as {where}; expected a Tensor "
                    f"computed from the inputs (or a tuple of them)"
                )
            block = _jacobian_of(o, wrt, nested)
            blocks.append(tuple(block) if many else block[0])
        return tuple(blocks) if several_outputs else blocks[0]

    return jacobian_f


def _jacobian_of(out: Tensor, wrt: list[Tensor], nested: bool) -> list[Tensor]:
    """d out / d x for each x of wrt, shaped out.shape + x.shape: one backward per element of
    out (recorded when nested, so that the result can be differentiated again)."""
    rows: list[list[Tensor]] = []
    for index in np.ndindex(*out.shape):  # a 0-d out: one index, ()
        seed = np.zeros(out.shape, out.dtype)
        seed[index] = 1
        rows.append(_gradients(out, wrt, seed, create_graph=nested, retain_graph=True))
    jacobians = []
    for k, x in enumerate(wrt):
        shape = (*out.shape, *x.shape)
        column = [row[k] for row in rows]
        if nested:
            jacobians.append(stack(column).reshape(shape))
        else:
            data = np.stack([g._value for g in column]) if column else np.zeros((0, *x.shape))
            jacobians.append(Tensor(data.reshape(shape)))
    return jacobians


@named_errors
def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function returning the Hessian of a scalar f w.r.t. args[argnums], shaped input +
    input; for several argnums a tuple of tuples, entry (i, j) shaped input_i + input_j (as
    torch.autograd.functional.hessian)."""
    _argnums(argnums, "hessian")
    return jacobian(grad(f, argnums), argnums)
