"""Optimizer: the base of SGD, Adam and AdamW, which update parameters in place.

Parameters come in `param_groups` (lists of dicts, each with its own `lr` and other
hyperparameters), as in PyTorch. step() updates every parameter with a gradient under
no_grad(), with in-place numpy into buffers allocated once, and never writes into a
gradient (one gradient array may be shared by several parameters).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor

ParamsArg = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: holds param_groups and per-parameter state; subclasses define `_update`.

    >>> optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    >>> optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    """

    state_keys: tuple[str, ...] = ()  # what each parameter's state holds, in state_dict()

    def __init__(self, params: ParamsArg, defaults: dict[str, Any]):
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # id(parameter) -> its buffers
        self._scratch: dict[tuple[tuple[int, ...], str], tuple[np.ndarray, np.ndarray]] = {}
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: got a single Tensor; expected an iterable of "
                f"parameters, e.g. model.parameters() or [p]"
            )
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{type(self).__name__}: got an empty parameter list; expected at least one "
                f"parameter, e.g. model.parameters()"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group {"params": [...], optional hyperparameters}; the rest take defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: expected a parameter group dict with 'params', got {group!r}")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(
                f"{name}: unknown hyperparameters {sorted(unknown)}; expected some of "
                f"{sorted(self.defaults)}"
            )
        params = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor) or not p.is_leaf:  # frozen ones are fine: no grad
                kind = type(p).__name__ if not isinstance(p, Tensor) else "the result of an op"
                raise TypeError(f"{name}: expected leaf Tensors (Parameters), got {kind}")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter of shape {p.shape} appears twice")
            seen.add(id(p))
        filled = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(filled)
        self.param_groups.append(filled)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an invalid hyperparameter in `group` (subclasses extend)."""
        for key in ("lr", "weight_decay"):
            if key in group and not group[key] >= 0:
                raise ValueError(
                    f"{type(self).__name__}: {key}={group[key]}; expected a value >= 0"
                )

    @property
    def lr(self) -> float:
        """The learning rate of every group (reading it raises if the groups differ)."""
        rates = {group["lr"] for group in self.param_groups}
        if len(rates) != 1:
            raise ValueError(
                f"{type(self).__name__}.lr: the groups have different learning rates "
                f"{sorted(rates)}; expected one, or read param_groups[i]['lr']"
            )
        return rates.pop()

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def _parameters(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self) -> None:
        """Drop every parameter's gradient (set it to None, PyTorch's default)."""
        for p in self._parameters():
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient; those whose grad is None are skipped."""
        with autodiff.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad.data, group)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__}: no update rule defined")

    def _buffers(self, p: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Two scratch arrays of p's shape and dtype, allocated once and shared by the
        parameters of that shape (each update finishes with them before the next starts).
        """
        key = (p.shape, p.dtype)
        buffers = self._scratch.get(key)
        if buffers is None:
            buffers = (np.empty(p.shape, p.dtype), np.empty(p.shape, p.dtype))
            self._scratch[key] = buffers
        return buffers

    # ----- state ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {"state": {index: buffers}, "param_groups": [hyperparameters with
        "params" as indices]}, parameters indexed in group order. Arrays are copies.
        """
        index = {id(p): i for i, p in enumerate(self._parameters())}
        state = {index[key]: copy.deepcopy(buffers) for key, buffers in self.state.items()}
        groups = []
        for group in self.param_groups:
            saved = {key: value for key, value in group.items() if key != "params"}
            saved["params"] = [index[id(p)] for p in group["params"]]
            groups.append(saved)
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and buffers from state_dict(); all or nothing.

        The groups must hold as many parameters as this optimizer's, of the same shapes.
        """
        name = type(self).__name__
        groups, state = state_dict["param_groups"], state_dict["state"]
        sizes = [len(g["params"]) for g in self.param_groups]
        if [len(g["params"]) for g in groups] != sizes:
            raise ValueError(
                f"{name}.load_state_dict: groups of {[len(g['params']) for g in groups]} "
                f"parameters; expected groups of {sizes}"
            )
        for group, saved in zip(self.param_groups, groups):
            if set(saved) - {"initial_lr"} != set(group) - {"initial_lr"}:  # a scheduler's
                raise ValueError(
                    f"{name}.load_state_dict: group keys {sorted(saved)}; expected {sorted(group)}"
                )
        params = self._parameters()
        for i, buffers in state.items():
            if not 0 <= i < len(params):
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {i}; expected indices "
                    f"0..{len(params) - 1}"
                )
            if set(buffers) != set(self.state_keys):
                raise ValueError(
                    f"{name}.load_state_dict: parameter {i} has state {sorted(buffers)}; "
                    f"expected {sorted(self.state_keys)}"
                )
            for key, value in buffers.items():
                if isinstance(value, np.ndarray) and value.shape != params[i].shape:
                    raise ValueError(
                        f"{name}.load_state_dict: {key} of parameter {i} has shape "
                        f"{value.shape}; expected {params[i].shape}"
                    )
        for group, saved in zip(self.param_groups, groups):
            group.update({key: value for key, value in saved.items() if key != "params"})
        self.state = {}
        for i, buffers in state.items():
            p = params[i]
            self.state[id(p)] = {
                key: np.array(value, dtype=p.dtype) if isinstance(value, np.ndarray) else value
                for key, value in buffers.items()
            }
