"""Gradient clipping: scale or clamp the parameters' gradients before an optimiser step."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

import autodiff
from autodiff import Tensor


def _with_grads(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their total norm (the norm of the norms) is at
    most max_norm; returns the total norm before clipping, as PyTorch does.

    The scale is max_norm / (total + 1e-6), applied only when it is below 1.
    """
    found = _with_grads(parameters)
    if not found:
        return autodiff.tensor(0.0)
    norms = [np.linalg.norm(p.grad.numpy().ravel(), ord=norm_type) for p in found]
    total = float(np.linalg.norm(np.asarray(norms, dtype=np.float64), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
            f"expected a finite norm (or pass error_if_nonfinite=False)"
        )
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in found:  # new arrays: the engine may hand one gradient array to several inputs
            p.grad = autodiff.from_numpy(np.asarray(p.grad.numpy() * scale))
    return autodiff.tensor(total, dtype=found[0].grad.dtype)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value={clip_value}; expected a value >= 0")
    for p in _with_grads(parameters):  # new arrays, as in clip_grad_norm_
        p.grad = autodiff.from_numpy(np.asarray(np.clip(p.grad.numpy(), -clip_value, clip_value)))
