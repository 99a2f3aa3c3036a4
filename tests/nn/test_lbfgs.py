"""nn.optim.LBFGS: its two-loop recursion and line search against their math, whole steps
against PyTorch's torch.optim.LBFGS (float64, to 1e-10), its state dict, float16 parameters
and its errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor
from nn.optim.lbfgs import _cubic_minimum, _strong_wolfe, _two_loop
from tests.test_bad_arguments import SCALARS as BAD

try:
    import torch
except ImportError:  # only the comparisons with PyTorch need it (CI installs it)
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch, not installed")

ROSENBROCK_START = np.array([-1.5, 2.0, -0.5, 1.2])


def rosenbrock(x):
    """Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)², for our Tensors and PyTorch's alike."""
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def rosenbrock_gradient(x: np.ndarray) -> np.ndarray:
    """Its gradient, by hand: 200 (x_i - x_{i-1}²) - 400 x_i (x_{i+1} - x_i²) - 2 (1 - x_i)."""
    g = np.zeros_like(x)
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    g[:-1] += -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    return g


def quadratic_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (symmetric positive definite), b and a start x0 of ½ xᵀAx - bᵀx."""
    rng = np.random.default_rng(0)
    m = rng.standard_normal((6, 6))
    return m @ m.T + 0.5 * np.eye(6), rng.standard_normal(6), rng.standard_normal(6)


def fit_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 3))
    return x, np.sin(x.sum(axis=1, keepdims=True))


def ours(problem: str, dtype=np.float64):
    """(parameters, loss function) of one of the problems, with our Tensors."""
    if problem == "quadratic":
        a, b, x0 = quadratic_data()
        p = nn.Parameter(x0.astype(dtype))
        a, b = Tensor(a.astype(dtype)), Tensor(b.astype(dtype))
        return [p], lambda: 0.5 * (p @ (a @ p)) - b @ p
    if problem == "rosenbrock":
        p = nn.Parameter(ROSENBROCK_START.astype(dtype))
        return [p], lambda: rosenbrock(p)
    x, y = fit_data()
    model = nn.Sequential(
        nn.Linear(3, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 1, dtype=np.float64)
    )
    rng = np.random.default_rng(3)  # the same start whatever ran before
    with autodiff.no_grad():
        for p in model.parameters():
            p.copy_(rng.uniform(-0.8, 0.8, p.shape))
    return list(model.parameters()), lambda: F.mse_loss(model(Tensor(x)), Tensor(y))


def theirs(problem: str, start: list[np.ndarray]):
    """The same problem with PyTorch's tensors, starting from `start`."""
    if problem == "quadratic":
        a, b, _ = (torch.from_numpy(v) for v in quadratic_data())
        p = torch.nn.Parameter(torch.from_numpy(start[0].copy()))
        return [p], lambda: 0.5 * (p @ (a @ p)) - b @ p
    if problem == "rosenbrock":
        p = torch.nn.Parameter(torch.from_numpy(start[0].copy()))
        return [p], lambda: rosenbrock(p)
    x, y = (torch.from_numpy(v) for v in fit_data())
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    model = model.double()
    for parameter, value in zip(model.parameters(), start):
        parameter.data = torch.from_numpy(value.copy())
    return list(model.parameters()), lambda: torch.nn.functional.mse_loss(model(x), y)


def closure_of(optimizer, loss_fn, calls: list | None = None):
    """The closure PyTorch programs write: zero the gradients, compute the loss, backward."""

    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        if calls is not None:
            calls.append(float(loss.item()))
        return loss

    return closure


def flat(params) -> np.ndarray:
    return np.concatenate([np.asarray(p.detach().numpy()).reshape(-1) for p in params])


# ----- the parts, against their math ----------------------------------------------------------


def test_two_loop_direction_is_minus_the_bfgs_inverse_hessian_times_the_gradient():
    rng = np.random.default_rng(2)
    n, h_diag = 5, 0.7
    ss = [rng.standard_normal(n) for _ in range(3)]
    ys = [s + 0.3 * rng.standard_normal(n) for s in ss]  # y·s > 0: positive curvature
    ro = [1.0 / (y @ s) for y, s in zip(ys, ss)]
    assert all(r > 0 for r in ro)
    h = h_diag * np.eye(n)  # H_{k+1} = (I - ρ s yᵀ) H_k (I - ρ y sᵀ) + ρ s sᵀ, oldest first
    for s, y, r in zip(ss, ys, ro):
        h = (np.eye(n) - r * np.outer(s, y)) @ h @ (np.eye(n) - r * np.outer(y, s))
        h += r * np.outer(s, s)
    grad = rng.standard_normal(n)
    np.testing.assert_allclose(_two_loop(grad, ys, ss, ro, h_diag), -h @ grad, rtol=1e-12)
    np.testing.assert_array_equal(_two_loop(grad, [], [], [], 2.0), -2.0 * grad)


def point(t, f, slope):
    return (t, f, None, slope)


def test_cubic_minimum_is_the_minimiser_of_the_cubic_through_two_points():
    def f(t):  # t³ - 3t: its local minimum is at t = 1
        return t**3 - 3 * t, 3 * t**2 - 3

    a, b = point(0.0, *f(0.0)), point(2.0, *f(2.0))
    assert _cubic_minimum(a, b, 0.0, 2.0) == pytest.approx(1.0, rel=1e-14)
    assert _cubic_minimum(b, a, 0.0, 2.0) == pytest.approx(1.0, rel=1e-14)  # either order
    assert _cubic_minimum(a, b, 1.5, 4.0) == 1.5  # clipped to the bounds
    quadratic = (point(0.0, 0.09, -0.6), point(1.0, 0.49, 1.4))  # (t - 0.3)²
    assert _cubic_minimum(*quadratic, 0.0, 1.0) == pytest.approx(0.3, rel=1e-14)
    rising = (point(0.0, 0.0, 1.0), point(1.0, 1.2, 3.0))  # f' > 0 throughout: no minimum
    assert _cubic_minimum(*rising, 0.0, 1.0) == 0.5  # the middle of the bounds
    line = (point(0.0, 0.0, -1.0), point(1.0, -1.0, -1.0))  # falling: as far as allowed
    assert _cubic_minimum(*line, 1.01, 10.0) == 10.0
    same_step = (point(1.0, 0.0, -1.0), point(1.0, 2.0, 1.0))  # no cubic through both
    assert _cubic_minimum(*same_step, 0.0, 3.0) == 1.5


@pytest.mark.parametrize("t", [1.0, 2e-3, 1e-6])
def test_the_line_search_step_meets_the_strong_wolfe_conditions(t):
    f, gradient = rosenbrock, rosenbrock_gradient
    x0 = np.array([-1.2, 1.0])
    d = -gradient(x0)
    calls = []

    def along(step):
        calls.append(step)
        return f(x0 + step * d), gradient(x0 + step * d)

    slope0 = gradient(x0) @ d
    loss, grad, step, evaluations = _strong_wolfe(along, t, d, f(x0), gradient(x0), slope0, 25)
    assert evaluations == len(calls) > 1  # too long (1.0) or too short: more than one trial
    assert loss == f(x0 + step * d) and np.array_equal(grad, gradient(x0 + step * d))
    assert loss <= f(x0) + 1e-4 * step * slope0  # sufficient decrease
    assert abs(grad @ d) <= 0.9 * abs(slope0)  # curvature


# ----- whole steps --------------------------------------------------------------------------


def test_the_first_iteration_is_a_gradient_step_of_lr_times_min_1_over_the_l1_norm():
    (p,), loss_fn = ours("rosenbrock")
    optimizer = nn.optim.LBFGS([p], lr=0.5, max_iter=1)
    returned = optimizer.step(closure_of(optimizer, loss_fn))
    grad = rosenbrock_gradient(ROSENBROCK_START)
    expected = ROSENBROCK_START + 0.5 * min(1.0, 1.0 / np.abs(grad).sum()) * -grad
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-15)
    assert returned.item() == rosenbrock(ROSENBROCK_START)  # the loss at the start
    state = optimizer.state_dict()["state"][0]
    assert (state["func_evals"], state["n_iter"], len(state["old_dirs"])) == (1, 1, 0)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [2, 100])
def test_a_quadratic_is_solved(line_search_fn, history_size):
    (p,), loss_fn = ours("quadratic")
    a, b, _ = quadratic_data()
    optimizer = nn.optim.LBFGS(
        [p],
        max_iter=200,
        tolerance_grad=1e-12,
        tolerance_change=0,
        history_size=history_size,
        line_search_fn=line_search_fn,
    )
    calls = []
    optimizer.step(closure_of(optimizer, loss_fn, calls))
    np.testing.assert_allclose(p.numpy(), np.linalg.solve(a, b), rtol=1e-7)
    state = optimizer.state_dict()["state"][0]
    assert state["func_evals"] == len(calls) and state["n_iter"] < 200  # stopped by tolerance
    assert len(state["old_dirs"]) == len(state["ro"]) <= history_size
    assert history_size == 100 or len(state["ro"]) == history_size


def test_without_a_line_search_max_iter_and_max_eval_bound_the_evaluations():
    for max_iter, max_eval, expected in [(8, None, 8), (8, 5, 5), (1, None, 1)]:
        (p,), loss_fn = ours("rosenbrock")
        optimizer = nn.optim.LBFGS([p], lr=0.1, max_iter=max_iter, max_eval=max_eval)
        calls = []
        optimizer.step(closure_of(optimizer, loss_fn, calls))
        assert len(calls) == expected, (max_iter, max_eval)
        assert len(calls) == 1 or calls[-1] < calls[0]


def test_the_closure_records_inside_no_grad_and_step_returns_its_first_loss():
    params, loss_fn = ours("fit")
    optimizer = nn.optim.LBFGS(params, max_iter=4)
    calls = []
    with autodiff.no_grad():
        first = optimizer.step(closure_of(optimizer, loss_fn, calls))
        assert not autodiff.is_grad_enabled()  # the caller's mode, back after each closure
    assert isinstance(first, Tensor) and first.item() == calls[0] and len(calls) == 4
    assert calls[-1] < calls[0]


# ----- state ----------------------------------------------------------------------------------


def run_steps(optimizer, loss_fn, steps):
    closure = closure_of(optimizer, loss_fn)
    for _ in range(steps):
        optimizer.step(closure)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_identically(line_search_fn):
    options = {"max_iter": 5, "history_size": 3, "line_search_fn": line_search_fn}
    params, loss_fn = ours("fit")
    optimizer = nn.optim.LBFGS(params, **options)
    run_steps(optimizer, loss_fn, 2)
    saved = optimizer.state_dict()
    snapshot = copy.deepcopy(saved)

    twin_params, twin_loss_fn = ours("fit")
    for twin, p in zip(twin_params, params):
        with autodiff.no_grad():
            twin.copy_(p)
    twin_optimizer = nn.optim.LBFGS(twin_params, lr=0.25)
    twin_optimizer.load_state_dict(saved)
    assert twin_optimizer.param_groups[0]["history_size"] == 3
    run_steps(optimizer, loss_fn, 2)
    run_steps(twin_optimizer, twin_loss_fn, 2)
    np.testing.assert_array_equal(flat(twin_params), flat(params))
    assert saved["state"][0]["n_iter"] == snapshot["state"][0]["n_iter"] == 10  # a snapshot
    np.testing.assert_array_equal(saved["state"][0]["d"], snapshot["state"][0]["d"])


def lbfgs_state() -> dict:
    params, loss_fn = ours("rosenbrock")
    optimizer = nn.optim.LBFGS(params, lr=0.1, max_iter=6, history_size=3)
    run_steps(optimizer, loss_fn, 1)
    return optimizer.state_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["state"][0]["ro"].pop(), "old_dirs, old_stps and ro hold 3, 3 and 2"),
        (lambda s: s["param_groups"][0].update(history_size=2), "3 pairs in the history; expe"),
        (lambda s: s["state"].update({1: s["state"].pop(0)}), "for the first parameter only"),
        (lambda s: s["state"][0].update(d=None), "n_iter=6 with d None"),
        (lambda s: s["state"][0].update(d=np.ones(3)), r"d of parameter 0 has shape \(3,\)"),
        (lambda s: s["state"][0]["old_stps"].__setitem__(1, "x"), r"old_stps of parameter 0\[1"),
        (lambda s: s["state"][0].update(ro=[1.0, -1.0, 2.0]), r"ro of parameter 0\[1\]=-1.0"),
        (lambda s: s["state"][0].update(t=float("nan")), "t of parameter 0=nan"),
        (lambda s: s["state"][0].update(n_iter=2.5), "n_iter of parameter 0=2.5"),
        (lambda s: s["state"][0].pop("H_diag"), "has state"),
        (lambda s: s["param_groups"][0].update(line_search_fn="wolfe"), "line_search_fn='wolfe'"),
        (lambda s: s["param_groups"][0].update(max_iter=-1), "max_iter=-1"),
    ],
)
def test_a_bad_state_is_the_librarys_error_and_changes_nothing(change, message):
    state = lbfgs_state()
    change(state)
    (p,), _ = ours("rosenbrock")
    optimizer = nn.optim.LBFGS([p], lr=0.5)
    before = copy.deepcopy({k: v for k, v in optimizer.param_groups[0].items() if k != "params"})
    with pytest.raises((TypeError, ValueError), match=f"LBFGS.*{message}"):
        optimizer.load_state_dict(state)
    assert optimizer.state == {}
    assert {k: v for k, v in optimizer.param_groups[0].items() if k != "params"} == before


def test_a_state_before_any_iteration_loads():
    (p,), loss_fn = ours("quadratic")
    optimizer = nn.optim.LBFGS([p], tolerance_grad=1e9)  # the start is already "optimal"
    run_steps(optimizer, loss_fn, 1)
    state = optimizer.state_dict()
    assert state["state"][0]["n_iter"] == 0 and state["state"][0]["d"] is None
    fresh = nn.optim.LBFGS([nn.Parameter(np.zeros(6))])
    fresh.load_state_dict(state)
    assert fresh.state_dict()["state"][0]["func_evals"] == 1


def test_float16_parameters_keep_float32_state_and_follow_float32():
    results = {}
    for dtype in (np.float16, np.float32):
        (p,), loss_fn = ours("quadratic", dtype)
        optimizer = nn.optim.LBFGS([p], max_iter=6, history_size=3)
        calls = []
        run_steps_closure = closure_of(optimizer, loss_fn, calls)
        optimizer.step(run_steps_closure)
        optimizer.step(run_steps_closure)
        state = optimizer.state[id(p)]
        assert p.dtype == dtype and state["d"].dtype == np.float32
        assert all(y.dtype == np.float32 for y in state["old_dirs"] + state["old_stps"])
        assert calls[-1] < calls[0] and np.all(np.isfinite(p.numpy()))
        results[dtype] = p.numpy().astype(np.float32)
    np.testing.assert_allclose(results[np.float16], results[np.float32], rtol=0.05, atol=0.05)


# ----- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"lr": -1.0}, ValueError, "lr=-1.0; expected a value >= 0"),
        ({"max_iter": 2.5}, TypeError, "max_iter=2.5; expected a whole number"),
        ({"max_iter": None}, TypeError, "max_iter=None"),
        ({"max_eval": -3}, ValueError, "max_eval=-3; expected a whole number >= 0"),
        ({"history_size": 0}, ValueError, "history_size=0; expected a whole number >= 1"),
        ({"history_size": True}, TypeError, "history_size=True"),
        ({"tolerance_grad": float("nan")}, ValueError, "tolerance_grad=nan"),
        ({"tolerance_change": "small"}, TypeError, "tolerance_change='small'"),
        ({"line_search_fn": "wolfe"}, ValueError, "expected None or 'strong_wolfe'"),
        ({"line_search_fn": np.ones(2)}, ValueError, "line_search_fn=array"),
    ],
)
def test_bad_arguments_raise_naming_lbfgs(options, error, message):
    with pytest.raises(error, match=f"^LBFGS: .*{message}"):
        nn.optim.LBFGS([nn.Parameter(np.zeros(2))], **options)


def test_one_group_of_floating_point_parameters():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="^LBFGS: a second parameter group; expected one"):
        nn.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    optimizer = nn.optim.LBFGS([{"params": [a], "lr": 0.5}])
    with pytest.raises(ValueError, match="a second parameter group"):
        optimizer.add_param_group({"params": [b]})
    assert len(optimizer.param_groups) == 1 and optimizer.param_groups[0]["lr"] == 0.5
    with pytest.raises(TypeError, match="^LBFGS: a parameter of dtype .*int64; expected float"):
        nn.optim.LBFGS([Tensor(np.arange(3))])


@pytest.mark.parametrize(
    ("make_closure", "error", "message"),
    [
        (lambda p, o: None, TypeError, "closure=None; expected a function that zeroes"),
        (lambda p, o: lambda: None, TypeError, "the closure returned None; expected the loss"),
        (lambda p, o: lambda: (p * 2.0).sum(), RuntimeError, "no parameter has a gradient"),
        (
            lambda p, o: lambda: p * 1.0,
            TypeError,
            r"the closure returned Tensor.* of shape \(2,\); expected the loss",
        ),
    ],
)
def test_a_closure_that_is_not_what_lbfgs_needs_is_a_clear_error(make_closure, error, message):
    p = nn.Parameter(np.ones(2))
    optimizer = nn.optim.LBFGS([p])
    with pytest.raises(error, match=f"^LBFGS.step: {message}"):
        optimizer.step(make_closure(p, optimizer))
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])


# ----- against PyTorch ------------------------------------------------------------------------

WOLFE = {"line_search_fn": "strong_wolfe"}
CASES = {  # the long and tiny steps take the line search through each of its branches
    "quadratic": ("quadratic", {}),
    "quadratic_wolfe": ("quadratic", WOLFE),
    "rosenbrock": ("rosenbrock", {"lr": 0.1}),
    "rosenbrock_wolfe": ("rosenbrock", WOLFE),
    "rosenbrock_wolfe_long_steps": ("rosenbrock", {"lr": 50.0, **WOLFE}),
    "rosenbrock_wolfe_longer_steps": ("rosenbrock", {"lr": 20.0, **WOLFE}),
    "rosenbrock_wolfe_few_evaluations": ("rosenbrock", {"lr": 5.0, "max_eval": 6, **WOLFE}),
    "rosenbrock_wolfe_tiny_steps": ("rosenbrock", {"lr": 1e-4, "max_eval": 4, **WOLFE}),
    "fit": ("fit", {}),
    "fit_wolfe": ("fit", WOLFE),
    "fit_wolfe_long_steps": ("fit", {"lr": 1000.0, **WOLFE}),
}


@needs_torch
@pytest.mark.parametrize("name", list(CASES))
def test_steps_equal_pytorchs(name):
    problem, options = CASES[name]
    options = {"max_iter": 8, "history_size": 3, **options}  # the history overflows
    our_params, our_loss = ours(problem)
    their_params, their_loss = theirs(problem, [p.numpy() for p in our_params])
    optimizer = nn.optim.LBFGS(our_params, **options)
    their_optimizer = torch.optim.LBFGS(their_params, **options)
    closure = closure_of(optimizer, our_loss)
    their_closure = closure_of(their_optimizer, their_loss)
    for step in range(3):
        returned = optimizer.step(closure)
        their_returned = their_optimizer.step(their_closure)
        assert returned.item() == pytest.approx(their_returned.item(), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(
            flat(our_params), flat(their_params), rtol=1e-10, atol=1e-10, err_msg=f"step {step}"
        )
        state = optimizer.state_dict()["state"][0]
        their_state = their_optimizer.state_dict()["state"][0]
        for key in ("func_evals", "n_iter"):
            assert state[key] == their_state[key], (step, key)
        assert len(state["old_dirs"]) == len(their_state["old_dirs"])
    assert state["func_evals"] > 3
    assert "max_eval" in options or len(state["old_dirs"]) == 3  # the history overflowed


@needs_torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_the_state_is_pytorchs_and_a_pytorch_state_continues_as_in_pytorch(line_search_fn):
    options = {"max_iter": 6, "history_size": 3, "line_search_fn": line_search_fn}
    our_params, our_loss = ours("rosenbrock")
    their_params, their_loss = theirs("rosenbrock", [p.numpy() for p in our_params])
    their_optimizer = torch.optim.LBFGS(their_params, **options)
    their_closure = closure_of(their_optimizer, their_loss)
    their_optimizer.step(their_closure)

    state = their_optimizer.state_dict()
    entry = {}
    for key, value in state["state"][0].items():
        if key == "al":  # PyTorch's scratch space for the two-loop recursion: no state
            continue
        if isinstance(value, list):
            value = [v.numpy() if isinstance(v, torch.Tensor) else v for v in value]
        entry[key] = value.numpy() if isinstance(value, torch.Tensor) else value
    optimizer = nn.optim.LBFGS(our_params)
    assert set(entry) == set(optimizer.state_keys)
    with autodiff.no_grad():
        our_params[0].copy_(their_params[0].detach().numpy())
    optimizer.load_state_dict({"state": {0: entry}, "param_groups": state["param_groups"]})
    for _ in range(2):
        optimizer.step(closure_of(optimizer, our_loss))
        their_optimizer.step(their_closure)
    np.testing.assert_allclose(flat(our_params), flat(their_params), rtol=1e-10, atol=1e-10)


@needs_torch
def test_lbfgs_refuses_what_pytorchs_refuses():
    refused_there, accepted_here = [], []
    names = ("lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size")
    for name in (*names, "line_search_fn"):
        for label, bad in BAD.items():
            try:
                torch.optim.LBFGS([torch.nn.Parameter(torch.zeros(2))], **{name: bad})
            except (TypeError, ValueError):
                refused_there.append(f"{name}={label}")
                try:
                    nn.optim.LBFGS([nn.Parameter(np.zeros(2))], **{name: bad})
                except (TypeError, ValueError) as error:
                    assert str(error).startswith("LBFGS: "), str(error)
                else:
                    accepted_here.append(f"{name}={label}")
    assert refused_there and not accepted_here, accepted_here
    # PyTorch refuses another line search only at step(); here it is refused when made
    p = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.LBFGS([p], line_search_fn="wolfe")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optimizer.step(closure_of(optimizer, lambda: ((p - 1) ** 2).sum()))
    with pytest.raises(ValueError, match="^LBFGS: line_search_fn='wolfe'"):
        nn.optim.LBFGS([nn.Parameter(np.zeros(2))], line_search_fn="wolfe")
