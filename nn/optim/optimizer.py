"""Optimizer: the base of SGD, Adam and AdamW, which update parameters in place.

Parameters come in `param_groups` (lists of dicts, each with its own `lr` and other
hyperparameters), as in PyTorch. step() updates every parameter with a gradient under
no_grad(), with in-place numpy into buffers allocated once, and never writes into a
gradient (one gradient array may be shared by several parameters).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from autodiff.errors import named_errors
from nn.module import convert_checked
from nn.optim.checks import describe, real_number, whole_number

ParamsArg = Iterable[Tensor] | Iterable[dict[str, Any]]

_EXAMPLES = {"lr": 0.01, "weight_decay": 1e-4, "momentum": 0.9, "dampening": 0.0, "eps": 1e-8}


class Optimizer:
    """Base class: holds param_groups and per-parameter state; subclasses define `_update`.

    >>> optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    >>> optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The library's own optimisers: a bad argument's error names the class (errors.named)."""
        super().__init_subclass__(**kwargs)
        if cls.__module__.split(".")[0] == "nn":
            named_errors(cls)

    state_keys: tuple[str, ...] = ()  # what each parameter's state holds, in state_dict()

    def __init__(self, params: ParamsArg, defaults: dict[str, Any]):
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # id(parameter) -> its buffers
        self._scratch: dict[tuple[tuple[int, ...], str], tuple[np.ndarray, np.ndarray]] = {}
        self._step_count = 0  # schedulers warn when they step before the optimizer has
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: got a single Tensor; expected an iterable of "
                f"parameters, e.g. model.parameters() or [p]"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}: params is a {type(params).__name__}; expected an "
                f"iterable of parameters, e.g. model.parameters() or [p]"
            ) from None
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
        """Raise TypeError or ValueError for an invalid hyperparameter in `group` (subclasses
        extend)."""
        for key in ("lr", "weight_decay"):
            if key in group:
                self._check_number(key, group[key])

    def _check_number(self, key: str, value: Any) -> None:
        """Raise unless `value`, the hyperparameter `key`, is a real number >= 0."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            example = f", e.g. {key}={_EXAMPLES[key]}" if key in _EXAMPLES else ""
            raise TypeError(
                f"{type(self).__name__}: {key}={value!r} is a {type(value).__name__}; "
                f"expected a number{example}"
            )
        if not value >= 0:
            raise ValueError(f"{type(self).__name__}: {key}={value}; expected a value >= 0")

    def _check_flag(self, key: str, value: Any) -> None:
        """Raise unless `value`, the hyperparameter `key`, is True or False."""
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}: {key}={describe(value)}; expected True or False"
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
            self._check_hyperparameters({**group, "lr": value})
        for group in self.param_groups:
            group["lr"] = value

    def _parameters(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (set it to None, PyTorch's default); with
        set_to_none=False, fill it with zeros in place instead, so that the next backward
        adds into the same memory (as in PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none or grad.requires_grad or not grad.numpy().flags.writeable:
                    p.grad = None  # a recorded gradient (create_graph) or a read-only array
                    if not set_to_none:  # is replaced by zeros, as PyTorch detaches it
                        p.grad = Tensor(np.zeros_like(grad.numpy()))
                else:
                    grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; those whose grad is None are skipped.

        closure, as in PyTorch: a function that zeroes the gradients, computes the loss, calls
        backward and returns the loss; it is called first (with gradients enabled) and step
        returns what it returned (None without a closure).
        """
        loss = None
        if closure is not None:
            if not callable(closure):
                raise TypeError(
                    f"step: closure={closure!r:.60}; expected a function that computes the loss, "
                    f"calls backward and returns the loss, or None"
                )
            with autodiff.enable_grad():
                loss = closure()
        self._step_count += 1
        with autodiff.no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if params:
                    self._update_group(params, group)
        return loss

    def _update_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        """Update `params`, the group's parameters that have a gradient, one after another;
        optimisers whose rule allows it override this with one pass that reads the
        hyperparameters once."""
        for p in params:
            self._update(p, p.grad.numpy(), group)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__}: no update rule defined")

    def _buffers(self, p: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Two scratch arrays of p's shape in p's compute dtype, allocated once and shared by
        the parameters of that shape (each update finishes with them before the next starts).
        """
        dtype = state_dtype(p.dtype)
        key = (p.shape, dtype)
        buffers = self._scratch.get(key)
        if buffers is None:
            buffers = (np.empty(p.shape, dtype), np.empty(p.shape, dtype))
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

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and buffers from state_dict(); all or nothing.

        Everything is checked before anything changes: the groups must hold as many parameters
        as this optimizer's, with the same hyperparameter names and valid values, and each
        parameter's state must hold this optimizer's buffers, as real-valued arrays of the
        parameter's shape (cast to the state's dtype when the values fit).
        """
        op = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise TypeError(
                f"{op}: expected a dict with keys 'state' and 'param_groups' (from state_dict()), "
                f"got {_describe(state_dict)}"
            )
        groups, state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, Mapping) for g in groups):
            raise TypeError(f"{op}: param_groups is {_describe(groups)}; expected a list of dicts")
        if not isinstance(state, Mapping):
            raise TypeError(f"{op}: state is {_describe(state)}; expected a dict")
        for number, saved in enumerate(groups):
            indices = saved.get("params")
            if not isinstance(indices, (list, tuple)) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in indices
            ):
                raise ValueError(
                    f"{op}: param_groups[{number}]['params'] is {describe(indices)}; expected "
                    f"a list of distinct integers (parameter indices)"
                )
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g["params"]) for g in groups]
        if saved_sizes != sizes:
            raise ValueError(
                f"{op}: groups of {saved_sizes} parameters; expected groups of {sizes}"
            )
        new_groups = []
        for group, saved in zip(self.param_groups, groups):
            if set(saved) - {"initial_lr"} != set(group) - {"initial_lr"}:  # a scheduler's
                raise ValueError(f"{op}: group keys {sorted(saved)}; expected {sorted(group)}")
            new_group = {**group, **{k: v for k, v in saved.items() if k != "params"}}
            self._check_hyperparameters(new_group)
            if "initial_lr" in saved:  # what a scheduler made afterwards starts from
                new_group["initial_lr"] = real_number(op, "initial_lr", saved["initial_lr"])
            new_groups.append(new_group)
        indices = [i for g in groups for i in g["params"]]
        if len(set(indices)) != len(indices):
            raise ValueError(
                f"{op}: parameter indices {_describe(indices)}; expected distinct integers"
            )
        params = dict(zip(indices, self._parameters()))
        new_state = {}
        for i, buffers in state.items():
            if i not in params:
                raise ValueError(
                    f"{op}: state for parameter {i!r}; expected one of the indices {indices}"
                )
            if not isinstance(buffers, Mapping) or set(buffers) != set(self.state_keys):
                keys = sorted(buffers) if isinstance(buffers, Mapping) else _describe(buffers)
                raise ValueError(
                    f"{op}: parameter {i} has state {keys}; expected {sorted(self.state_keys)}"
                )
            new_state[id(params[i])] = {
                key: self._checked_buffer(op, key, i, value, params[i])
                for key, value in buffers.items()
            }
        for group, new_group in zip(self.param_groups, new_groups):
            group.update(new_group)
        self.state = new_state

    def _checked_buffer(self, op: str, key: str, index: int, value: Any, p: Tensor) -> Any:
        """A state value as this optimizer keeps it: "step" a count, the rest arrays."""
        what = f"{key} of parameter {index}"
        if key == "step":
            try:
                return whole_number(op, what, value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{op}: {what} is {_describe(value)}; expected a count >= 0 (a whole number "
                    f"below 2**63)"
                ) from None
        converted = convert_checked(what, value, np.empty(p.shape, state_dtype(p.dtype)))
        if isinstance(converted, str):
            raise ValueError(f"{op}: {converted}")
        return converted


def state_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype optimisers compute and keep state in for parameters of `dtype`: float32 for
    narrower floats (float16), whose rounding would otherwise turn eps into 0 and tiny
    gradients into inf or NaN; the parameter's own dtype otherwise.
    """
    if dtype.kind == "f" and dtype.itemsize < 4:
        return np.dtype(np.float32)
    return np.dtype(dtype)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"a {type(value).__name__} {text if len(text) < 60 else text[:57] + '...'}"
