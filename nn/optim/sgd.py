"""SGD with momentum, dampening, Nesterov momentum and weight decay (PyTorch's formulas)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor
from nn.optim.optimizer import Optimizer, ParamsArg, state_dtype


class SGD(Optimizer):
    """Stochastic gradient descent, step by step as PyTorch's torch.optim.SGD:

        g = grad + weight_decay · p
        buf = g at the first step, then momentum · buf + (1 - dampening) · g
        g = g + momentum · buf  (nesterov)   or   g = buf  (momentum > 0)
        p = p - lr · g

    >>> optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: ParamsArg,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        self._check_number("momentum", group["momentum"])
        self._check_number("dampening", group["dampening"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov with momentum={group['momentum']} and "
                f"dampening={group['dampening']}; expected momentum > 0 and dampening 0"
            )

    def _update_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        if group["momentum"] or group["weight_decay"]:
            super()._update_group(params, group)
            return
        lr = group["lr"]
        for p in params:  # plain SGD: no scratch buffers; one pass over p and its gradient
            p.sub_(p.grad.numpy().astype(state_dtype(p.dtype), copy=False), alpha=lr)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        dtype = state_dtype(p.dtype)
        decayed, update = self._buffers(p)
        if decay:
            np.multiply(p.numpy(), decay, out=decayed)
            np.add(grad, decayed, out=decayed)
            grad = decayed
        elif grad.dtype != dtype:
            np.copyto(decayed, grad)  # float16 gradients: the arithmetic runs in float32
            grad = decayed
        if momentum:
            state = self.state.get(id(p))
            if state is None:  # PyTorch starts the buffer at the first gradient, not at zero
                buffer = grad.copy()
                self.state[id(p)] = {"momentum_buffer": buffer}
            else:
                buffer = state["momentum_buffer"]
                np.multiply(buffer, momentum, out=buffer)
                if group["dampening"]:
                    np.multiply(grad, 1 - group["dampening"], out=update)
                    np.add(buffer, update, out=buffer)
                else:
                    np.add(buffer, grad, out=buffer)
            if group["nesterov"]:
                np.multiply(buffer, momentum, out=update)
                np.add(grad, update, out=update)
                grad = update
            else:
                grad = buffer
        np.multiply(grad, lr, out=update)
        p.sub_(update)
