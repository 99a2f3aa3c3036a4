"""L-BFGS: quasi-Newton steps from a short history of gradient changes, driven by a closure
that the optimizer calls as often as it needs (PyTorch's torch.optim.LBFGS)."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from nn.module import convert_checked
from nn.optim.checks import describe, real_number, whole_number
from nn.optim.optimizer import Optimizer, ParamsArg, state_dtype

Closure = Callable[[], Any]
Point = tuple[float, float, np.ndarray, float]  # step t, loss, flat gradient, slope g·d

# State kept between steps, PyTorch's names: the counts, the last direction d and step t, the
# curvature pairs (y = change of gradient, s = change of parameters, ro = 1 / y·s), H_diag (the
# scale y·s / y·y of the initial inverse Hessian) and the last gradient and loss.
_COUNTS = ("func_evals", "n_iter")
_VECTORS = ("d", "prev_flat_grad")
_HISTORY = ("old_dirs", "old_stps")
_NUMBERS = ("t", "H_diag", "prev_loss")
_SET_BY_AN_ITERATION = ("d", "t", "H_diag", "prev_flat_grad", "prev_loss")

_EXAMPLES = {"max_iter": 20, "max_eval": 25, "history_size": 100}


class LBFGS(Optimizer):
    """L-BFGS, as PyTorch's torch.optim.LBFGS: each step(closure) runs up to max_iter
    iterations, each moving all parameters, seen as one flat vector x, along

        d = -H·g   (the two-loop recursion over the last history_size pairs (s, y),
                   H starting from H_diag·I with H_diag = y·s / y·y of the newest pair)

    by t = lr (the very first iteration: t = lr · min(1, 1 / Σ|g|)), or by the t that a line
    search satisfying the strong Wolfe conditions finds (line_search_fn="strong_wolfe").
    A step stops early when the gradient is small (max |g| <= tolerance_grad), when the loss or
    the parameters change less than tolerance_change, or after max_eval evaluations (default
    max_iter · 5 // 4). The closure zeroes the gradients, computes the loss, calls backward
    and returns the loss; step returns the loss of its first evaluation.

    >>> optimizer = nn.optim.LBFGS(model.parameters(), lr=0.8)
    >>> def closure():
    ...     optimizer.zero_grad()
    ...     loss = F.mse_loss(model(x), y)
    ...     loss.backward()
    ...     return loss
    >>> for _ in range(10): optimizer.step(closure)

    As in PyTorch, there is one parameter group, and the state lives with the first
    parameter; float16 parameters keep it in float32.
    """

    state_keys = (*_COUNTS, *_VECTORS, *_HISTORY, "ro", *_NUMBERS)

    def __init__(
        self,
        params: ParamsArg,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ):
        self._check_count("max_iter", max_iter)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """The one parameter group (a second is refused: L-BFGS keeps one history for all)."""
        if self.param_groups:
            raise ValueError(
                "LBFGS: a second parameter group; expected one group, as PyTorch's LBFGS (its "
                "history spans all parameters): pass all parameters in one list"
            )
        super().add_param_group(group)
        for p in self.param_groups[0]["params"]:
            if p.dtype.kind != "f":
                self.param_groups.clear()
                raise TypeError(
                    f"LBFGS: a parameter of dtype {p.dtype}; expected floating-point parameters"
                )

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        self._check_count("max_iter", group["max_iter"])
        self._check_count("max_eval", group["max_eval"])
        self._check_count("history_size", group["history_size"], minimum=1)
        self._check_number("tolerance_grad", group["tolerance_grad"])
        self._check_number("tolerance_change", group["tolerance_change"])
        search = group["line_search_fn"]
        if search is not None and not (isinstance(search, str) and search == "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn={describe(search)}; expected None or 'strong_wolfe'"
            )

    def _check_count(self, key: str, value: Any, minimum: int = 0) -> None:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"LBFGS: {key}={describe(value)}; expected a whole number, e.g. "
                f"{key}={_EXAMPLES[key]}"
            )
        if value < minimum:
            raise ValueError(f"LBFGS: {key}={value}; expected a whole number >= {minimum}")

    # ----- the flat vector of all parameters ----------------------------------------------

    def _flat_dtype(self) -> np.dtype:
        return np.result_type(*(state_dtype(p.dtype) for p in self._parameters()))

    def _numel(self) -> int:
        return sum(p.numel() for p in self._parameters())

    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient in one vector (zeros for those without one)."""
        params = self._parameters()
        if all(p.grad is None for p in params):
            raise RuntimeError(
                "LBFGS.step: no parameter has a gradient after the closure ran; expected a "
                "closure that zeroes the gradients, computes the loss, calls loss.backward() "
                "and returns the loss"
            )
        pieces = [
            np.zeros(p.numel()) if p.grad is None else p.grad.numpy().reshape(-1) for p in params
        ]
        return np.concatenate(pieces, dtype=self._flat_dtype(), casting="same_kind")

    def _move(self, t: float, d: np.ndarray) -> None:
        """x = x + t·d, in place."""
        offset = 0
        with autodiff.no_grad():
            for p in self._parameters():
                size = p.numel()
                p.add_(d[offset : offset + size].reshape(p.shape), alpha=float(t))
                offset += size

    def _evaluate(self, closure: Closure) -> tuple[Any, float, np.ndarray]:
        """Run the closure (recording, whatever the caller's grad mode): what it returned, the
        loss as a float and the flat gradient."""
        with autodiff.enable_grad():
            returned = closure()
        if isinstance(returned, Tensor) and returned.numel() == 1:
            loss = float(returned.item())
        elif isinstance(returned, numbers.Real) and not isinstance(returned, (bool, np.bool_)):
            loss = float(returned)
        else:
            shape = f" of shape {tuple(returned.shape)}" if isinstance(returned, Tensor) else ""
            raise TypeError(
                f"LBFGS.step: the closure returned {describe(returned)}{shape}; expected the "
                f"loss, one number (end the closure with `return loss`)"
            )
        return returned, loss, self._flat_grad()

    def _loss_along(
        self, closure: Closure, start: list[np.ndarray], d: np.ndarray, t: float
    ) -> tuple[float, np.ndarray]:
        """Loss and gradient at x + t·d, x being `start`, where the parameters are left."""
        self._move(t, d)
        _, loss, grad = self._evaluate(closure)
        with autodiff.no_grad():
            for p, value in zip(self._parameters(), start):
                p.copy_(value)
        return loss, grad

    # ----- the step -----------------------------------------------------------------------

    def step(self, closure: Closure) -> Any:  # type: ignore[override]
        """Up to max_iter L-BFGS iterations, evaluating `closure` at each point visited;
        returns what the closure returned at the first."""
        if not callable(closure):
            raise TypeError(
                f"LBFGS.step: closure={describe(closure)}; expected a function that zeroes the "
                f"gradients, computes the loss, calls loss.backward() and returns the loss"
            )
        self._step_count += 1
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.get(id(group["params"][0]))
        if state is None:
            state = {key: None for key in self.state_keys}
            state.update(func_evals=0, n_iter=0, old_dirs=[], old_stps=[], ro=[])
            self.state[id(group["params"][0])] = state

        first_returned, loss, grad = self._evaluate(closure)
        state["func_evals"] += 1
        evaluations = 1
        if _largest(grad) <= tolerance_grad:
            return first_returned

        d, t, h_diag = state["d"], state["t"], state["H_diag"]
        ys_, ss_, ro = state["old_dirs"], state["old_stps"], state["ro"]
        prev_grad, prev_loss = state["prev_flat_grad"], state["prev_loss"]
        iteration, optimal = 0, False
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -grad
                ys_, ss_, ro = [], [], []
                h_diag = 1.0
            else:
                y = grad - prev_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep only pairs of positive curvature, so H stays positive
                    while len(ys_) >= group["history_size"]:  # forget the oldest pair
                        del ys_[0], ss_[0], ro[0]
                    ys_.append(y)
                    ss_.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = _two_loop(grad, ys_, ss_, ro, h_diag)
            prev_grad, prev_loss = grad, loss

            if state["n_iter"] == 1:  # no curvature known yet: a step of at most lr in L1
                t = min(1.0, 1.0 / float(np.abs(grad).sum())) * lr
            else:
                t = lr
            slope = float(grad @ d)
            if slope > -tolerance_change:  # not a descent direction (any more)
                break

            if group["line_search_fn"] == "strong_wolfe":
                start = [p.numpy().copy() for p in self._parameters()]
                along = functools.partial(self._loss_along, closure, start, d)
                trials = max_eval - evaluations  # what the step has left, as in PyTorch 2
                loss, grad, t, searched = _strong_wolfe(along, t, d, loss, grad, slope, trials)
                self._move(t, d)
                optimal = _largest(grad) <= tolerance_grad
            else:
                self._move(t, d)
                searched = 0
                if iteration != max_iter:  # the last point is evaluated by the next step
                    _, loss, grad = self._evaluate(closure)
                    optimal = _largest(grad) <= tolerance_grad
                    searched = 1
            evaluations += searched
            state["func_evals"] += searched

            if iteration == max_iter or evaluations >= max_eval or optimal:
                break
            if _largest(d * t) <= tolerance_change:  # the parameters hardly move
                break
            if abs(loss - prev_loss) < tolerance_change:  # nor does the loss
                break

        state.update(d=d, old_dirs=ys_, old_stps=ss_, ro=ro, prev_flat_grad=prev_grad)
        state.update(t=_number(t), H_diag=_number(h_diag), prev_loss=_number(prev_loss))
        return first_returned

    # ----- state --------------------------------------------------------------------------

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and the history from state_dict(); all or nothing. Besides
        the checks of every optimizer (optimizer.py), the state must be the first parameter's,
        and its history pairs as many as its ro values and at most history_size."""
        self._check_history("LBFGS.load_state_dict", state_dict)
        super().load_state_dict(state_dict)

    def _check_history(self, op: str, state_dict: Any) -> None:
        """Checks across the state's entries; what they do not reach the base class checks."""
        if not isinstance(state_dict, Mapping):
            return
        state, groups = state_dict.get("state"), state_dict.get("param_groups")
        if not isinstance(state, Mapping) or not state or not isinstance(groups, (list, tuple)):
            return
        indices = groups[0].get("params") if groups and isinstance(groups[0], Mapping) else None
        if not isinstance(indices, (list, tuple)) or not indices:
            return
        if list(state) != [indices[0]]:
            raise ValueError(
                f"{op}: state for parameters {describe(list(state))}; expected state for the "
                f"first parameter only ({describe(indices[0])}), where LBFGS keeps it"
            )
        entry = state[indices[0]]
        if not isinstance(entry, Mapping) or set(entry) != set(self.state_keys):
            return
        lists = [entry[key] for key in (*_HISTORY, "ro") if isinstance(entry[key], (list, tuple))]
        lengths = [len(values) for values in lists]
        if len(lengths) == 3 and len(set(lengths)) != 1:
            raise ValueError(
                f"{op}: old_dirs, old_stps and ro hold {lengths[0]}, {lengths[1]} and "
                f"{lengths[2]} entries; expected as many of each"
            )
        history_size = groups[0].get("history_size")
        if lengths and isinstance(history_size, int) and lengths[0] > history_size:
            raise ValueError(
                f"{op}: {lengths[0]} pairs in the history; expected at most "
                f"history_size={history_size}"
            )
        n_iter = entry["n_iter"]
        if isinstance(n_iter, int) and not isinstance(n_iter, bool) and n_iter > 0:
            missing = [key for key in _SET_BY_AN_ITERATION if entry[key] is None]
            if missing:
                raise ValueError(
                    f"{op}: n_iter={n_iter} with {', '.join(missing)} None; expected the values "
                    f"of the last iteration"
                )

    def _checked_buffer(self, op: str, key: str, index: int, value: Any, p: Tensor) -> Any:
        what = f"{key} of parameter {index}"
        if key in _COUNTS:
            return whole_number(op, what, value)
        if value is None and key in _SET_BY_AN_ITERATION:
            return None  # before the first iteration
        if key in _NUMBERS:
            value = _scalar(value)
            if key == "prev_loss" and isinstance(value, numbers.Real):
                return float(value)  # a loss may be any number, inf included
            return real_number(op, what, value)
        like = np.empty(self._numel(), self._flat_dtype())
        if key in _VECTORS:
            return _converted(op, what, value, like)
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{op}: {what} is {describe(value)}; expected a list")
        if key == "ro":
            return [real_number(op, f"{what}[{i}]", _scalar(v)) for i, v in enumerate(value)]
        return [_converted(op, f"{what}[{i}]", v, like) for i, v in enumerate(value)]


def _converted(op: str, what: str, value: Any, like: np.ndarray) -> np.ndarray:
    converted = convert_checked(what, value, like)
    if isinstance(converted, str):
        raise ValueError(f"{op}: {converted}")
    return converted


def _scalar(value: Any) -> Any:
    """A number held in a 0-d or 1-element array (as PyTorch's state holds them) as a number."""
    return value.item() if isinstance(value, np.ndarray) and value.size == 1 else value


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _largest(vector: np.ndarray) -> float:
    """max |v_i| (0 for no elements)."""
    return float(np.abs(vector).max()) if vector.size else 0.0


def _two_loop(
    grad: np.ndarray, ys_: list[np.ndarray], ss_: list[np.ndarray], ro: list[float], h_diag: float
) -> np.ndarray:
    """d = -H·grad, H the L-BFGS inverse Hessian of the pairs (s_i, y_i), ro_i = 1 / y_i·s_i,
    built from h_diag·I (Nocedal and Wright, Algorithm 7.4): newest to oldest,
    a_i = ro_i s_i·q and q -= a_i y_i; then r = h_diag·q and, oldest to newest,
    r += (a_i - ro_i y_i·r) s_i."""
    q = -grad
    alphas = [0.0] * len(ys_)
    for i in reversed(range(len(ys_))):
        alphas[i] = float(ss_[i] @ q) * ro[i]
        q -= alphas[i] * ys_[i]
    r = q * h_diag
    for i in range(len(ys_)):
        beta = float(ys_[i] @ r) * ro[i]
        r += (alphas[i] - beta) * ss_[i]
    return r


def _strong_wolfe(
    along: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    loss: float,
    grad: np.ndarray,
    slope: float,
    max_trials: int,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance: float = 1e-9,
) -> tuple[float, np.ndarray, float, int]:
    """A step t along d meeting the strong Wolfe conditions

        f(t) <= f(0) + c1·t·f'(0)   and   |f'(t)| <= c2·|f'(0)|   (f' the slope g·d),

    found as in Nocedal and Wright's Algorithms 3.5 and 3.6, with PyTorch's choices: trial
    steps from cubic interpolation (extrapolating within [t + 0.01 (t - t_prev), 10 t] until an
    interval holds an acceptable step, then zooming into it, kept 10 % of its width off its
    ends where it stops shrinking), at most max_trials evaluations after the first, and a stop
    once the interval is narrower than tolerance / max |d| (1e-9 whatever the optimizer's
    tolerance_change, as in PyTorch). Returns the loss, gradient and t of
    the best point found, and how many times `along` ran.
    """
    width = _largest(d)
    loss_at, grad_at = along(t)
    evaluations = 1
    slope_at = float(grad_at @ d)
    previous: Point = (0.0, loss, grad, slope)
    bracket: list[Point] = []
    found = False
    trials = 0
    while trials < max_trials:
        point = (t, loss_at, grad_at, slope_at)
        if loss_at > loss + c1 * t * slope or (trials > 1 and loss_at >= previous[1]):
            bracket = [previous, point]  # too far: an acceptable step lies in between
            break
        if abs(slope_at) <= -c2 * slope:
            bracket = [point]
            found = True
            break
        if slope_at >= 0:  # the loss rises beyond t: a minimum lies in between
            bracket = [previous, point]
            break
        low, high = t + 0.01 * (t - previous[0]), t * 10
        t = _cubic_minimum(previous, point, low, high)
        previous = point
        loss_at, grad_at = along(t)
        evaluations += 1
        slope_at = float(grad_at @ d)
        trials += 1
    if trials >= max_trials:  # no acceptable step found: the better of 0 and the last t
        bracket = [(0.0, loss, grad, slope), (t, loss_at, grad_at, slope_at)]

    best, worst = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    stalled = False
    while not found and trials < max_trials:
        if abs(bracket[1][0] - bracket[0][0]) * width < tolerance:
            break
        left, right = sorted((bracket[0][0], bracket[1][0]))
        t = _cubic_minimum(bracket[0], bracket[1], left, right)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:  # too near an end: the interval hardly shrinks
            if stalled or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        loss_at, grad_at = along(t)
        evaluations += 1
        slope_at = float(grad_at @ d)
        trials += 1
        point = (t, loss_at, grad_at, slope_at)
        if loss_at > loss + c1 * t * slope or loss_at >= bracket[best][1]:
            bracket[worst] = point
            best, worst = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(slope_at) <= -c2 * slope:
                found = True
            elif slope_at * (bracket[worst][0] - bracket[best][0]) >= 0:
                bracket[worst] = bracket[best]
            bracket[best] = point
    t, loss_at, grad_at, _ = bracket[best]
    return loss_at, grad_at, t, evaluations


def _cubic_minimum(a: Point, b: Point, low: float, high: float) -> float:
    """The minimiser, clipped to [low, high], of the cubic through the losses and slopes at
    the steps of a and b (Nocedal and Wright, (3.59)); the middle of [low, high] where the
    cubic has no minimum, or where there is no cubic (a and b at one step, where PyTorch's
    step would be NaN)."""
    (ta, fa, _, sa), (tb, fb, _, sb) = a, b
    if ta > tb:  # the formula measures from the larger step
        (ta, fa, sa), (tb, fb, sb) = (tb, fb, sb), (ta, fa, sa)
    ta, fa, sa, tb, fb, sb = (np.float64(value) for value in (ta, fa, sa, tb, fb, sb))
    with np.errstate(all="ignore"):  # x / 0 is ±inf (clipped) or NaN (handled below)
        d1 = sa + sb - 3 * (fa - fb) / (ta - tb)
        d2_squared = d1 * d1 - sa * sb
        if d2_squared >= 0:
            d2 = np.sqrt(d2_squared)
            minimum = tb - (tb - ta) * ((sb + d2 - d1) / (sb - sa + 2 * d2))
            if not np.isnan(minimum):
                return float(min(max(minimum, low), high))
    return (low + high) / 2
