"""RMSprop: steps scaled by a running root mean square of the gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor
from nn.optim.optimizer import Optimizer, ParamsArg, state_dtype


class RMSprop(Optimizer):
    """RMSprop, step by step as PyTorch's torch.optim.RMSprop:

        g = grad + weight_decay · p
        square_avg = α · square_avg + (1 - α) · g²
        avg = √square_avg + eps, or (centered) √(square_avg - grad_avg²) + eps with
              grad_avg = α · grad_avg + (1 - α) · g
        buf = momentum · buf + g / avg;  p = p - lr · buf   (momentum > 0)
        p = p - lr · g / avg                               (otherwise)

    >>> optimizer = nn.optim.RMSprop(model.parameters(), lr=1e-3)
    """

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)
        keys = ["step", "square_avg"]
        if any(group["momentum"] > 0 for group in self.param_groups):
            keys.append("momentum_buffer")
        if any(group["centered"] for group in self.param_groups):
            keys.append("grad_avg")
        self.state_keys = tuple(keys)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        for key in ("alpha", "eps", "momentum"):
            self._check_number(key, group[key])
        self._check_flag("centered", group["centered"])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        decay, momentum = group["weight_decay"], group["momentum"]
        dtype = state_dtype(p.dtype)  # float32 for float16: eps=1e-8 and g² stay representable
        state = self.state.get(id(p))
        if state is None:
            state = {key: np.zeros(p.shape, dtype) for key in self.state_keys}
            state["step"] = 0
            self.state[id(p)] = state
        state["step"] += 1
        grad = grad.astype(dtype, copy=False)
        if decay:
            grad = grad + decay * p.numpy().astype(dtype, copy=False)
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += grad / avg
            p.sub_(lr * buffer)
        else:
            p.sub_(lr * grad / avg)
