"""Learning-rate schedulers: each step() sets the lr of every parameter group of an optimizer."""

from __future__ import annotations

import math
import warnings
from typing import Any

from nn.optim.checks import check_keys, checked_values, real_numbers, whole_number
from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: lr of group i after `last_epoch` steps is `_lr_at(base_lrs[i], last_epoch)`.

    The base rates are the groups' `initial_lr`: their lr when the first scheduler was made,
    kept in the group (as PyTorch does) so that it travels with optimizer.state_dict().
    Schedules use their closed form, so an lr set by hand is overwritten at the next step().
    To resume: load the optimizer's state, make the scheduler, load the scheduler's state.
    """

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an nn.optim.Optimizer, "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lrs = [
            group.setdefault("initial_lr", group["lr"]) for group in optimizer.param_groups
        ]
        self.last_epoch = 0
        self._last_lr = list(self.base_lrs)
        self._optimizer_steps_at_start = optimizer._step_count

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError(f"{type(self).__name__}: no schedule defined")

    def step(self) -> None:
        """Advance one epoch and set each group's lr."""
        if self.last_epoch == 0 and self.optimizer._step_count == self._optimizer_steps_at_start:
            warnings.warn(
                f"{type(self).__name__}.step() was called before the optimizer's step(): the "
                f"first learning rate of the schedule is skipped; expected optimizer.step() "
                f"first in each epoch, then scheduler.step(), as in PyTorch",
                UserWarning,
                stacklevel=2,
            )
        self.last_epoch += 1
        self._last_lr = [self._lr_at(base, self.last_epoch) for base in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's position: last_epoch and the base rates."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from state_dict(): sets last_epoch and the groups' lr for that epoch.

        All or nothing: a whole last_epoch >= 0, one finite rate >= 0 per group, and the
        schedule's rates at that epoch are checked (nn.optim.checks) before anything changes.
        """
        op = f"{type(self).__name__}.load_state_dict"
        check_keys(op, state_dict, ("last_epoch", "base_lrs"))
        epoch = whole_number(op, "last_epoch", state_dict["last_epoch"])
        groups = len(self.optimizer.param_groups)
        base_lrs = real_numbers(op, "base_lrs", state_dict["base_lrs"], groups, noun="rates")
        last_lr = checked_values(  # computed before anything is assigned
            op, lambda: [self._lr_at(base, epoch) for base in base_lrs], "the learning rates"
        )
        self.base_lrs = base_lrs
        self.last_epoch = epoch
        self._last_lr = last_lr
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as set by the last step()."""
        return list(self._last_lr)


class StepLR(LRScheduler):
    """lr = base_lr · gamma^(epoch // step_size): decay by gamma every step_size epochs.

    >>> scheduler = nn.optim.StepLR(optimizer, step_size=10, gamma=0.5)
    >>> for epoch in range(30): train_one_epoch(); scheduler.step()
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        _check_positive_int(step_size, "StepLR: step_size")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) · (1 + cos(π · epoch / T_max)) / 2: from base_lr
    down to eta_min over T_max epochs (then back up, as PyTorch's).

    >>> scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=50)
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        _check_positive_int(T_max, "CosineAnnealingLR: T_max")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


def _check_positive_int(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what}={value!r}; expected a positive integer")
