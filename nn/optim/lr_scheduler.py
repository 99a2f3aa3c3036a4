"""Learning-rate schedulers: each step() sets the lr of every parameter group of an optimizer."""

from __future__ import annotations

import bisect
import math
import warnings
from typing import Any

from autodiff.errors import named_errors
from nn.optim.checks import (
    check_keys,
    checked_values,
    describe,
    real_numbers,
    whole_number,
)
from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: lr of group i after `last_epoch` steps is `_lr_at(base_lrs[i], last_epoch)`.

    The base rates are the groups' `initial_lr`: their lr when the first scheduler was made,
    kept in the group (as PyTorch does) so that it travels with optimizer.state_dict().
    Schedules use their closed form, so an lr set by hand is overwritten at the next step().
    To resume: load the optimizer's state, make the scheduler, load the scheduler's state.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The library's own schedulers: a bad argument's error names the class."""
        super().__init_subclass__(**kwargs)
        if cls.__module__.split(".")[0] == "nn":
            named_errors(cls)

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
        self._optimizer_steps_at_start = optimizer._step_count
        self._apply()  # epoch 0's rate: base_lr for most, not for LambdaLR, LinearLR, OneCycleLR

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
        self._apply()

    def _apply(self) -> None:
        """Set each group's lr for the current epoch."""
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
        groups = self.optimizer.param_groups
        base_lrs = real_numbers(op, "base_lrs", state_dict["base_lrs"], len(groups), noun="rates")
        before = (self.base_lrs, self.last_epoch, self._last_lr, [dict(g) for g in groups])
        self.base_lrs, self.last_epoch = base_lrs, epoch
        try:  # the schedule at that epoch, computed on trial: undone if it fails
            self._apply()
            checked_values(op, lambda: self._last_lr, "the learning rates")
        except (ArithmeticError, ValueError, TypeError) as error:
            self.base_lrs, self.last_epoch, self._last_lr = before[:3]
            for group, old in zip(groups, before[3]):
                group.clear()
                group.update(old)
            raise ValueError(
                f"{op}: the schedule cannot be computed at last_epoch={describe(epoch)} "
                f"({error}); nothing was changed"
            ) from None

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


class LambdaLR(LRScheduler):
    """lr = base_lr · lr_lambda(epoch): lr_lambda a function of the epoch, or one per group.

    >>> scheduler = nn.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.95**epoch)
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Any):
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else None
        if lambdas is not None and len(lambdas) != groups:
            raise ValueError(
                f"LambdaLR: {len(lambdas)} lr_lambdas for {groups} parameter groups; expected "
                f"one function, or one per group"
            )
        if not all(callable(f) for f in (lambdas or [lr_lambda])):
            raise TypeError(f"LambdaLR: lr_lambda={lr_lambda!r}; expected a function of the epoch")
        self.lr_lambdas = lambdas or [lr_lambda] * groups
        super().__init__(optimizer)

    def _apply(self) -> None:
        self._last_lr = [
            base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)
        ]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


class MultiStepLR(LRScheduler):
    """lr = base_lr · gamma^(number of milestones reached): decay by gamma at each milestone
    epoch (a milestone listed twice decays twice).

    >>> scheduler = nn.optim.MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer: Optimizer, milestones: Any, gamma: float = 0.1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr = base_lr · gamma^epoch.

    >>> scheduler = nn.optim.ExponentialLR(optimizer, gamma=0.9)
    """

    def __init__(self, optimizer: Optimizer, gamma: float):
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class LinearLR(LRScheduler):
    """lr = base_lr · factor, the factor going linearly from start_factor to end_factor over
    total_iters epochs, then staying there (a warm-up by default: from base_lr / 3).

    >>> scheduler = nn.optim.LinearLR(optimizer, start_factor=0.1, total_iters=10)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(
                f"LinearLR: start_factor={start_factor} and end_factor={end_factor}; expected "
                f"0 < start_factor <= 1 and 0 <= end_factor <= 1"
            )
        _check_positive_int(total_iters, "LinearLR: total_iters")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class OneCycleLR(LRScheduler):
    """The one-cycle policy, stepped once per batch: the lr rises from max_lr / div_factor to
    max_lr over the first pct_start of total_steps, then falls to max_lr / div_factor /
    final_div_factor (three_phase: back to the start first), by cosine or linear annealing;
    the momentum (or Adam's beta1) moves the opposite way between max_momentum and
    base_momentum.

    >>> scheduler = nn.optim.OneCycleLR(optimizer, max_lr=0.01, total_steps=1000)
    >>> for batch in loader: ...; optimizer.step(); scheduler.step()
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: Any,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: Any = 0.85,
        max_momentum: Any = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ):
        if not isinstance(optimizer, Optimizer):
            super().__init__(optimizer)  # raises the base class's error
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(
                    "OneCycleLR: no total_steps; expected total_steps, or epochs and "
                    "steps_per_epoch"
                )
            _check_positive_int(epochs, "OneCycleLR: epochs")
            _check_positive_int(steps_per_epoch, "OneCycleLR: steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        _check_positive_int(total_steps, "OneCycleLR: total_steps")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start={pct_start}; expected a value in [0, 1]")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy={anneal_strategy!r}; expected 'cos' or 'linear'"
            )
        groups = optimizer.param_groups
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError(
                f"OneCycleLR: cycle_momentum with {type(optimizer).__name__}, which has no "
                f"momentum or betas; expected cycle_momentum=False"
            )
        max_lrs = _per_group(max_lr, groups, "max_lr")
        self.momenta = list(
            zip(
                _per_group(base_momentum, groups, "base_momentum"),
                _per_group(max_momentum, groups, "max_momentum"),
            )
        )
        for group, top in zip(groups, max_lrs):  # the rates live in the group, as PyTorch's
            group["initial_lr"] = top / div_factor
            group["max_lr"] = top
            group["min_lr"] = group["initial_lr"] / final_div_factor
        ends = [pct_start * total_steps - 1, total_steps - 1]
        # (end step, lr from, lr to, momentum from, momentum to): keys of the group, and of
        # (base, max) momentum as 0 and 1
        self.phases = [
            (ends[0], "initial_lr", "max_lr", 1, 0),
            (ends[1], "max_lr", "min_lr", 0, 1),
        ]
        if three_phase:
            self.phases = [
                (pct_start * total_steps - 1, "initial_lr", "max_lr", 1, 0),
                (2 * pct_start * total_steps - 2, "max_lr", "initial_lr", 0, 1),
                (total_steps - 1, "initial_lr", "min_lr", 1, 1),
            ]
        super().__init__(optimizer)

    def _apply(self) -> None:
        step = self.last_epoch
        if step > self.total_steps:  # PyTorch's bound: total_steps steps after the first
            raise ValueError(
                f"OneCycleLR: stepped {step} times for total_steps={self.total_steps}; "
                f"expected at most total_steps steps (one per batch)"
            )
        anneal = self._cosine if self.anneal_strategy == "cos" else self._linear
        self._last_lr = []
        for group, momenta in zip(self.optimizer.param_groups, self.momenta):
            start = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = anneal(group[lr_from], group[lr_to], pct)
                    momentum = anneal(momenta[m_from], momenta[m_to], pct)
                    break
                start = end
            group["lr"] = lr
            self._last_lr.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum

    @staticmethod
    def _cosine(start: float, end: float, pct: float) -> float:
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _linear(start: float, end: float, pct: float) -> float:
        return (end - start) * pct + start


@named_errors
class ReduceLROnPlateau:
    """Divide the lr by 1/factor once a metric has stopped improving for `patience` epochs:
    step(metric) after each validation (mode 'min' for a loss, 'max' for an accuracy).
    Improving means beating the best by `threshold` (relative, or absolute with
    threshold_mode='abs'); after a cut, `cooldown` epochs pass before counting again; no
    lr goes below min_lr, and cuts smaller than eps are skipped.

    >>> scheduler = nn.optim.ReduceLROnPlateau(optimizer, patience=3)
    >>> for epoch in range(50): train(); scheduler.step(validation_loss())
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: Any = 0,
        eps: float = 1e-8,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"ReduceLROnPlateau: expected an nn.optim.Optimizer, got {type(optimizer).__name__}"
            )
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor={factor}; expected a factor < 1")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: mode={mode!r}, threshold_mode={threshold_mode!r}; "
                f"expected mode 'min' or 'max' and threshold_mode 'rel' or 'abs'"
            )
        self.optimizer = optimizer
        self.min_lrs = _per_group(min_lr, optimizer.param_groups, "min_lr")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self, metrics: Any) -> None:
        """Count one epoch with this value of the metric; cut the lr if it has stalled."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, floor)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _is_better(self, current: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < self.best * (1.0 - self.threshold)
            return current < self.best - self.threshold
        if self.threshold_mode == "rel":
            return current > self.best * (1.0 + self.threshold)
        return current > self.best + self.threshold

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the last step()."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's counters and settings (everything but the optimizer)."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from state_dict()."""
        unknown = set(state_dict) - set(vars(self))
        if unknown or "optimizer" in state_dict:
            raise ValueError(
                f"ReduceLROnPlateau.load_state_dict: unknown keys {sorted(unknown)}; expected "
                f"the keys of state_dict()"
            )
        self.__dict__.update(state_dict)


def _per_group(value: Any, groups: list[dict[str, Any]], name: str) -> list[Any]:
    """One value for each parameter group: `value` repeated, or a list of one per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(
                f"{name}: {len(value)} values for {len(groups)} parameter groups; expected "
                f"one value, or one per group"
            )
        return list(value)
    return [value] * len(groups)


def _check_positive_int(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what}={value!r}; expected a positive integer")
