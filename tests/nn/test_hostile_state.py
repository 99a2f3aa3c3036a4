"""Optimiser and scheduler states that lie or overflow: every failed load changes nothing and
raises the library's error naming the load; float16 parameters train with every optimiser."""

import copy

import numpy as np
import pytest

import nn
from autodiff import Tensor


def adam_state() -> dict:
    p = nn.Parameter(np.ones(3, np.float32))
    optimizer = nn.optim.Adam([p], lr=0.1)
    p.grad = Tensor(np.full(3, 0.5, np.float32))
    optimizer.step()
    return optimizer.state_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["state"][0].update(step=float("inf")), "step of parameter 0 is a float inf"),
        (lambda s: s["state"][0].update(step=float("nan")), "step of parameter 0 is a float nan"),
        (lambda s: s["state"][0].update(step=10**30), "below 2\\*\\*63"),
        (lambda s: s["state"][0].update(step=2.5), "step of parameter 0 is a float 2.5"),
        (lambda s: s["param_groups"][0].update(params=7), r"\['params'\] is 7; expected a list"),
        (lambda s: s["param_groups"][0].update(params=None), r"\['params'\] is None"),
        (lambda s: s["param_groups"][0].update(params=[True]), r"\['params'\] is \[True\]"),
        (lambda s: s["param_groups"][0].update(initial_lr="evil"), "initial_lr='evil'"),
        (lambda s: s["param_groups"][0].update(initial_lr=float("inf")), "initial_lr=inf"),
    ],
)
def test_a_lying_optimizer_state_is_the_librarys_error_and_changes_nothing(change, message):
    state = adam_state()
    change(state)
    p = nn.Parameter(np.ones(3, np.float32))
    optimizer = nn.optim.Adam([p], lr=0.5)
    before = copy.deepcopy(optimizer.param_groups[0])
    with pytest.raises((TypeError, ValueError), match=f"Adam.load_state_dict: .*{message}"):
        optimizer.load_state_dict(state)
    assert optimizer.state == {}
    assert {k: v for k, v in optimizer.param_groups[0].items() if k != "params"} == {
        k: v for k, v in before.items() if k != "params"
    }


def test_a_valid_initial_lr_loads_and_a_scheduler_made_afterwards_uses_it():
    state = adam_state()
    state["param_groups"][0]["initial_lr"] = 0.2
    optimizer = nn.optim.Adam([nn.Parameter(np.ones(3, np.float32))], lr=0.5)
    optimizer.load_state_dict(state)
    scheduler = nn.optim.StepLR(optimizer, step_size=1, gamma=0.5)
    assert scheduler.base_lrs == [0.2]


@pytest.mark.parametrize(
    ("scheduler", "bad", "message"),
    [
        ("cosine", {"last_epoch": 10**400, "base_lrs": [5.0]}, "last_epoch=1000"),
        ("cosine", {"last_epoch": 2**62, "base_lrs": [5.0]}, None),
        ("step", {"last_epoch": float("inf"), "base_lrs": [5.0]}, "last_epoch=inf"),
        ("step", {"last_epoch": float("nan"), "base_lrs": [5.0]}, "last_epoch=nan"),
        ("step", {"last_epoch": 3, "base_lrs": [float("inf")]}, "expected rates >= 0, all finite"),
        ("step", {"last_epoch": 3, "base_lrs": [1.0, 2.0]}, "2 rates in base_lrs; expected one"),
        ("step", {"last_epoch": 3, "base_lrs": 5.0}, "expected a list of numbers"),
        ("step", {"last_epoch": 3}, "expected a dict with keys 'last_epoch', 'base_lrs'"),
        ("step", [3, [1.0]], "expected a dict with keys"),
    ],
)
def test_a_failed_scheduler_load_changes_nothing(scheduler, bad, message):
    p = nn.Parameter(np.ones(1))
    optimizer = nn.optim.SGD([p], lr=1.0)
    if scheduler == "cosine":
        made = nn.optim.CosineAnnealingLR(optimizer, T_max=10)
    else:
        made = nn.optim.StepLR(optimizer, step_size=2, gamma=0.5)
    name = type(made).__name__
    try:
        made.load_state_dict(bad)
    except (TypeError, ValueError) as error:
        assert str(error).startswith(f"{name}.load_state_dict: ")
        if message is not None:
            assert message in str(error)
    else:  # an epoch that a float holds: loads, and the schedule goes on from there
        assert message is None and made.last_epoch == bad["last_epoch"]
        made.step()
        assert np.isfinite(optimizer.lr)
        return
    assert made.last_epoch == 0 and made.base_lrs == [1.0] and optimizer.lr == 1.0
    optimizer.step()
    made.step()  # still usable
    assert made.last_epoch == 1


@pytest.mark.parametrize(
    ("make", "options"),
    [
        (nn.optim.RMSprop, {"lr": 0.01}),
        (nn.optim.RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True}),
        (nn.optim.Adagrad, {"lr": 0.01}),
        (nn.optim.Adadelta, {"lr": 1.0}),
        (nn.optim.Adam, {"lr": 0.01}),
        (nn.optim.SGD, {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    ],
)
def test_float16_parameters_step_through_float32_state(make, options):
    """One step on float16 with tiny gradients equals the float32 step, rounded to float16
    (eps and g² underflow in float16: the step was inf or NaN)."""
    grad = np.array([1e-3, 1e-5, 0.0], np.float16)
    results = {}
    for dtype in (np.float16, np.float32):
        p = nn.Parameter(np.ones(3, dtype))
        p.grad = Tensor(grad.astype(dtype))
        optimizer = make([p], **options)
        for _ in range(2):
            optimizer.step()
        results[dtype] = p.numpy().copy()
        assert p.dtype == dtype
    assert np.all(np.isfinite(results[np.float16]))
    expected = results[np.float32].astype(np.float16)
    np.testing.assert_allclose(results[np.float16], expected, rtol=2e-3, atol=2e-3)
