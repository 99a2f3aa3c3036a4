"""Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autodiff import Tensor
from nn.optim.optimizer import Optimizer, ParamsArg, state_dtype


class Adam(Optimizer):
    """Adam, step by step as PyTorch's torch.optim.Adam (t counts this parameter's steps):

        g = grad + weight_decay · p
        m = β1 · m + (1 - β1) · g;   v = β2 · v + (1 - β2) · g²
        p = p - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps)

    >>> optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq")
    decoupled = False  # AdamW: weight decay shrinks p directly instead of adding to g

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        self._check_number("eps", group["eps"])
        betas = group["betas"]
        if (
            not isinstance(betas, (tuple, list))
            or len(betas) != 2
            or not all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in betas)
            or not all(0 <= b < 1 for b in betas)
        ):
            raise ValueError(
                f"{type(self).__name__}: betas={betas!r}; expected two numbers in [0, 1), "
                f"e.g. betas=(0.9, 0.999)"
            )

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, eps, decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        state = self.state.get(id(p))
        if state is None:  # float32 for float16 parameters, whose eps=1e-8 would round to 0
            zeros = np.zeros(p.shape, state_dtype(p.dtype))
            state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros.copy()}
            self.state[id(p)] = state
        state["step"] += 1
        step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        decayed, update = self._buffers(p)
        if decay and self.decoupled:
            p.mul_(1 - lr * decay)
        if decay and not self.decoupled:
            np.multiply(p.numpy(), decay, out=decayed)
            np.add(grad, decayed, out=decayed)
            grad = decayed
        elif grad.dtype != decayed.dtype:
            np.copyto(decayed, grad)  # float16 gradients: the arithmetic runs in float32
            grad = decayed
        np.multiply(m, beta1, out=m)
        np.multiply(grad, 1 - beta1, out=update)
        np.add(m, update, out=m)
        np.multiply(v, beta2, out=v)
        np.multiply(grad, grad, out=update)
        np.multiply(update, 1 - beta2, out=update)
        np.add(v, update, out=v)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        np.sqrt(v, out=update)  # update = √v / √(1 - β2^t) + eps, the denominator
        np.divide(update, math.sqrt(bias_correction2), out=update)
        np.add(update, eps, out=update)
        np.divide(m, update, out=update)
        np.multiply(update, lr / bias_correction1, out=update)
        p.sub_(update)


class AdamW(Adam):
    """Adam with decoupled weight decay, as PyTorch's torch.optim.AdamW: before the Adam step,
    p = p · (1 - lr · weight_decay); the gradient itself is not changed.

    >>> optimizer = nn.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    decoupled = True

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(params, lr, betas, eps, weight_decay)
