"""Adadelta: per-parameter step sizes from running averages of squared gradients and steps."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor
from nn.optim.optimizer import Optimizer, ParamsArg, state_dtype


class Adadelta(Optimizer):
    """Adadelta, step by step as PyTorch's torch.optim.Adadelta:

        g = grad + weight_decay · p
        square_avg = ρ · square_avg + (1 - ρ) · g²
        delta = √(acc_delta + eps) / √(square_avg + eps) · g
        acc_delta = ρ · acc_delta + (1 - ρ) · delta²
        p = p - lr · delta

    >>> optimizer = nn.optim.Adadelta(model.parameters(), lr=1.0)
    """

    state_keys = ("step", "square_avg", "acc_delta")

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        self._check_number("rho", group["rho"])
        self._check_number("eps", group["eps"])
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: rho={group['rho']}; expected a value in [0, 1]")
        if not group["eps"] >= 0:
            raise ValueError(f"Adadelta: eps={group['eps']}; expected a value >= 0")

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, rho, eps, decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        dtype = state_dtype(p.dtype)  # float32 for float16: eps=1e-6 and g² stay representable
        state = self.state.get(id(p))
        if state is None:
            zeros = np.zeros(p.shape, dtype)
            state = {"step": 0, "square_avg": zeros, "acc_delta": zeros.copy()}
            self.state[id(p)] = state
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        grad = grad.astype(dtype, copy=False)
        if decay:
            grad = grad + decay * p.numpy().astype(dtype, copy=False)
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        delta *= lr
        p.sub_(delta)
