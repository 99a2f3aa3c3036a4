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

from autodiff import tape
from autodiff.errors import GradientError
from autodiff.functions import stack
from autodiff.tensor import Tensor


def _as_inputs(args: Sequence[Any], argnums: Sequence[int]) -> tuple[list[Any], bool]:
    """args with those at argnums turned into Tensors that require grad.

    Returns the new args and whether any of them was already part of a graph (then the
    backward pass must be recorded for the caller's own differentiation).
    """
    args = list(args)
    nested = False
    for i in argnums:
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


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Tensor, Any]]:
    """A function returning (f(*args), df/dargs[argnums]); f must return a scalar."""
    many = not isinstance(argnums, int)
    nums = tuple(argnums) if many else (argnums,)

    def value_and_grad_f(*args: Any) -> tuple[Tensor, Any]:
        inputs, nested = _as_inputs(args, nums)
        with tape.enable_grad():
            out = f(*inputs)
        if not isinstance(out, Tensor) or out.size != 1:
            shape = out.shape if isinstance(out, Tensor) else type(out).__name__
            raise GradientError(f"grad: f must return a scalar Tensor, got {shape}")
        grads = _gradients(out, [inputs[i] for i in nums], None, nested)
        return out, tuple(grads) if many else grads[0]

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function returning df/dargs[argnums] (a tuple for several argnums)."""
    value_and_grad_f = value_and_grad(f, argnums)
    return lambda *args: value_and_grad_f(*args)[1]


def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[Tensor, Callable[[Any], tuple]]:
    """(f(*primals), vjp_fn) where vjp_fn(v) = vᵀ J, one gradient per primal."""
    inputs, nested = _as_inputs(primals, range(len(primals)))
    with tape.enable_grad():
        out = f(*inputs)

    def vjp_fn(v: Any) -> tuple[Tensor, ...]:
        return tuple(_gradients(out, inputs, v, create_graph=nested, retain_graph=True))

    return out, vjp_fn


def jvp(
    f: Callable[..., Tensor], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Tensor, Tensor]:
    """(f(*primals), J · tangents), by the double-VJP trick.

    u ↦ vᵀ(u) = uᵀ J is linear in u, so differentiating ⟨uᵀ J, t⟩ w.r.t. u gives J t.
    """
    inputs, nested = _as_inputs(primals, range(len(primals)))
    with tape.enable_grad():
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


def jacobian(f: Callable[..., Tensor], argnums: int = 0) -> Callable[..., Tensor]:
    """A function returning the Jacobian of f w.r.t. args[argnums], shaped out + input."""

    def jacobian_f(*args: Any) -> Tensor:
        inputs, nested = _as_inputs(args, (argnums,))
        x = inputs[argnums]
        with tape.enable_grad():
            out = f(*inputs)
        rows = []
        for index in np.ndindex(*out.shape):
            seed = np.zeros(out.shape, out.dtype)
            seed[index] = 1
            rows.append(_gradients(out, [x], seed, create_graph=nested, retain_graph=True)[0])
        if nested:
            return stack(rows).reshape(*out.shape, *x.shape)
        data = np.stack([r._value for r in rows]) if rows else np.zeros((0, *x.shape))
        return Tensor(data.reshape(*out.shape, *x.shape))

    return jacobian_f


def hessian(f: Callable[..., Tensor], argnums: int = 0) -> Callable[..., Tensor]:
    """A function returning the Hessian of a scalar f w.r.t. args[argnums]."""
    return jacobian(grad(f, argnums), argnums)
