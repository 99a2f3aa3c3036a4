"""Adagrad: steps scaled by the root of the sum of all squared gradients so far."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor
from nn.optim.optimizer import Optimizer, ParamsArg, state_dtype


class Adagrad(Optimizer):
    """Adagrad, step by step as PyTorch's torch.optim.Adagrad (t counts this parameter's steps):

        g = grad + weight_decay · p
        sum = sum + g²            (sum starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) · lr_decay) · g / (√sum + eps)

    >>> optimizer = nn.optim.Adagrad(model.parameters(), lr=1e-2)
    """

    state_keys = ("step", "sum")

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        for key in ("lr_decay", "initial_accumulator_value", "eps"):
            self._check_number(key, group[key])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        dtype = state_dtype(p.dtype)  # float32 for float16: eps=1e-10 and g² stay representable
        state = self.state.get(id(p))
        if state is None:
            total = np.full(p.shape, group["initial_accumulator_value"], dtype)
            state = {"step": 0, "sum": total}
            self.state[id(p)] = state
        state["step"] += 1
        grad = grad.astype(dtype, copy=False)
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.numpy().astype(dtype, copy=False)
        state["sum"] += grad * grad
        rate = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        p.sub_(rate * grad / (np.sqrt(state["sum"]) + group["eps"]))
