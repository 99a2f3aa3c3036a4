"""Tests of the optimisers and schedulers against hand-written numpy updates (PyTorch's formulas;
test_torch_parity.py compares with PyTorch itself), their state dicts, and their allocations.
"""

import math
import tracemalloc
import warnings

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.3, -0.2]), np.array([-1.0, 0.0, 1.5])]
START = np.array([1.0, -2.0, 0.5])


def run(optimizer_class, steps=3, **options):
    """Apply the optimizer to one parameter with the gradients GRADS; return its values."""
    p = nn.Parameter(START.copy())
    optimizer = optimizer_class([p], **options)
    for g in GRADS[:steps]:
        p.grad = Tensor(g.copy())
        optimizer.step()
    return p.numpy()


def test_sgd_plain_step():
    np.testing.assert_allclose(run(nn.optim.SGD, steps=1, lr=0.1), START - 0.1 * GRADS[0])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_buffer_starts_at_the_first_gradient(nesterov):
    lr, momentum, decay = 0.1, 0.9, 0.01
    p, buffer = START.copy(), None
    for g in GRADS:
        g = g + decay * p
        buffer = g.copy() if buffer is None else momentum * buffer + g
        p = p - lr * (g + momentum * buffer if nesterov else buffer)
    out = run(nn.optim.SGD, lr=lr, momentum=momentum, weight_decay=decay, nesterov=nesterov)
    np.testing.assert_allclose(out, p, rtol=1e-14)


def test_sgd_dampening_scales_the_added_gradient():
    buffer = GRADS[0] * 0.9 + GRADS[1] * (1 - 0.5)
    expected = START - 0.1 * GRADS[0] - 0.1 * buffer
    out = run(nn.optim.SGD, steps=2, lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(out, expected, rtol=1e-14)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw_match_their_formulas(decoupled):
    lr, (beta1, beta2), eps, decay = 0.01, (0.8, 0.99), 1e-6, 0.1
    p, m, v = START.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p * (1 - lr * decay)
        else:
            g = g + decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (np.sqrt(v) / np.sqrt(1 - beta2**t) + eps)
    optimizer = nn.optim.AdamW if decoupled else nn.optim.Adam
    out = run(optimizer, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=decay)
    np.testing.assert_allclose(out, p, rtol=1e-13)


def test_adamw_default_weight_decay_is_pytorchs():
    assert nn.optim.AdamW([nn.Parameter(np.ones(1))]).param_groups[0]["weight_decay"] == 1e-2
    assert nn.optim.Adam([nn.Parameter(np.ones(1))]).param_groups[0]["weight_decay"] == 0.0


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (nn.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True}),
        (nn.optim.Adam, {"weight_decay": 0.1}),
        (nn.optim.AdamW, {}),
    ],
)
def test_step_skips_missing_gradients_leaves_gradients_alone_and_records_nothing(
    optimizer_class, options
):
    with_grad, without_grad = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    optimizer = optimizer_class([with_grad, without_grad], **options)
    shared = np.array([0.5, -1.0, 2.0])  # the engine may hand one array to several .grads
    with_grad.grad = Tensor(shared)
    for _ in range(2):
        optimizer.step()
    np.testing.assert_array_equal(shared, [0.5, -1.0, 2.0])
    np.testing.assert_array_equal(without_grad.numpy(), START)
    assert not np.array_equal(with_grad.numpy(), START)
    assert with_grad.is_leaf and with_grad.requires_grad


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (nn.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True}),
        (nn.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1}),
        (nn.optim.Adam, {"weight_decay": 0.1}),
        (nn.optim.AdamW, {}),
    ],
)
def test_steady_state_step_allocates_no_parameter_sized_arrays(optimizer_class, options):
    params = [nn.Parameter(np.ones((250, 100))), nn.Parameter(np.ones((250, 100)))]  # 200 kB
    optimizer = optimizer_class(params, **options)
    for p in params:
        p.grad = Tensor(np.full(p.shape, 0.01))
    optimizer.step()  # the first step allocates the state buffers
    tracemalloc.start()
    try:
        for _ in range(3):
            optimizer.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000, f"a step allocated {peak} bytes"


def test_zero_grad_sets_gradients_to_none():
    p = nn.Parameter(np.ones(2))
    p.grad = Tensor(np.ones(2))
    optimizer = nn.optim.SGD([p], lr=0.1)
    optimizer.zero_grad()
    assert p.grad is None


def test_zero_grad_without_set_to_none_keeps_each_gradient_buffer():
    model = nn.Linear(3, 2)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    model(x).sum().backward()
    buffers = [p.grad.numpy() for p in model.parameters()]
    expected = [b.copy() for b in buffers]
    optimizer.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in model.parameters())
    model(x).sum().backward()  # the same weights: the same gradients, in the same arrays
    for p, buffer, value in zip(model.parameters(), buffers, expected):
        assert p.grad.numpy() is buffer
        np.testing.assert_array_equal(p.grad.numpy(), value)


def test_zero_grad_without_set_to_none_replaces_a_recorded_gradient():
    p = nn.Parameter(np.array([1.0, 2.0]))
    (p * p * p).sum().backward(create_graph=True)
    assert p.grad.requires_grad
    nn.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert not p.grad.requires_grad
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])


def test_param_groups_have_their_own_learning_rates():
    fast, slow = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    optimizer = nn.optim.SGD([{"params": [fast], "lr": 1.0}, {"params": [slow]}], lr=0.1)
    fast.grad, slow.grad = Tensor(np.ones(1)), Tensor(np.ones(1))
    optimizer.step()
    assert fast.numpy()[0] == -1.0 and slow.numpy()[0] == -0.1
    with pytest.raises(ValueError, match=r"different learning rates \[0.1, 1.0\]"):
        _ = optimizer.lr
    optimizer.lr = 0.5
    assert [group["lr"] for group in optimizer.param_groups] == [0.5, 0.5]


def test_optimizer_rejects_bad_parameters_and_hyperparameters():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        nn.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="SGD: got a single Tensor; expected an iterable"):
        nn.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match=r"expected leaf Tensors \(Parameters\), got the result"):
        nn.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match=r"expected leaf Tensors \(Parameters\), got ndarray"):
        nn.optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"a parameter of shape \(2,\) appears twice"):
        nn.optim.Adam([p, p])
    with pytest.raises(ValueError, match="SGD: lr=-1; expected a value >= 0"):
        nn.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="SGD: nesterov with momentum=0"):
        nn.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"Adam: betas=\(0.9, 1.0\); expected two numbers"):
        nn.optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['momentum'\]"):
        nn.optim.Adam([{"params": [p], "momentum": 0.9}])


# ----- state dicts ----------------------------------------------------------------------------


def train(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = Tensor(rng.standard_normal((8, 3)))
        y = rng.integers(0, 2, 8)
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (nn.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        (nn.optim.Adam, {"lr": 0.01}),
        (nn.optim.AdamW, {"lr": 0.01}),
    ],
)
def test_optimizer_state_dict_round_trip_continues_identically(optimizer_class, options):
    model = nn.MLP([3, 5, 2], dtype=np.float64)
    optimizer = optimizer_class(model.parameters(), **options)
    train(model, optimizer, steps=3, seed=0)

    twin = nn.MLP([3, 5, 2], dtype=np.float64)
    twin.load_state_dict(model.state_dict())
    twin_optimizer = optimizer_class(twin.parameters(), lr=123.0)
    twin_optimizer.load_state_dict(optimizer.state_dict())
    assert twin_optimizer.param_groups[0]["lr"] == options["lr"]

    train(model, optimizer, steps=3, seed=1)
    train(twin, twin_optimizer, steps=3, seed=1)
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_optimizer_state_dict_is_a_snapshot():
    p = nn.Parameter(START.copy())
    optimizer = nn.optim.Adam([p])
    p.grad = Tensor(GRADS[0])
    optimizer.step()
    state = optimizer.state_dict()
    saved = state["state"][0]["exp_avg"].copy()
    optimizer.step()
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], saved)
    assert state["state"][0]["step"] == 1
    assert state["param_groups"][0]["params"] == [0]


def test_optimizer_load_state_dict_checks_before_changing_anything():
    p = nn.Parameter(START.copy())
    optimizer = nn.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = Tensor(GRADS[0])
    optimizer.step()
    state = optimizer.state_dict()

    other = nn.optim.SGD([nn.Parameter(np.ones(4))], lr=0.5, momentum=0.9)
    with pytest.raises(ValueError, match=r"momentum_buffer of parameter 0 has shape \(3,\); "):
        other.load_state_dict(state)
    assert other.param_groups[0]["lr"] == 0.5 and other.state == {}
    two = nn.optim.SGD([nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))], lr=0.1)
    with pytest.raises(ValueError, match=r"groups of \[1\] parameters; expected groups of \[2\]"):
        two.load_state_dict(state)
    adam = nn.optim.Adam([nn.Parameter(np.ones(3))])
    with pytest.raises(ValueError, match="group keys"):
        adam.load_state_dict(state)


# ----- schedulers -----------------------------------------------------------------------------


def test_step_lr_decays_every_step_size_epochs():
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    scheduler = nn.optim.StepLR(optimizer, step_size=2, gamma=0.5)
    rates = [scheduler.get_last_lr()[0]]
    for _ in range(5):
        optimizer.step()  # no gradients: nothing moves, but the order is PyTorch's
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert scheduler.get_last_lr() == [0.25]


def test_cosine_annealing_goes_from_base_to_eta_min_in_t_max_epochs():
    optimizer = nn.optim.Adam([nn.Parameter(np.ones(1))], lr=0.1)
    scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.02)
    rates = [optimizer.lr]
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.lr)
    expected = [0.02 + 0.08 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)
    assert rates[-1] == pytest.approx(0.02)


def test_schedulers_reject_bad_arguments():
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    with pytest.raises(ValueError, match="StepLR: step_size=0; expected a positive integer"):
        nn.optim.StepLR(optimizer, step_size=0)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max=2.5"):
        nn.optim.CosineAnnealingLR(optimizer, T_max=2.5)
    with pytest.raises(TypeError, match="expected an nn.optim.Optimizer"):
        nn.optim.StepLR("sgd", step_size=1)


def test_optimizers_update_float32_parameters_in_float32():
    p = nn.Parameter(np.ones(3, np.float32))
    optimizer = nn.optim.Adam([p], weight_decay=0.1)
    p.grad = Tensor(np.ones(3, np.float32))
    with autodiff.no_grad():
        optimizer.step()
    assert p.dtype == np.float32


def test_frozen_parameters_are_accepted_and_left_alone():
    model = nn.MLP([2, 3, 2], dtype=np.float64)
    model.layers[0].weight.requires_grad = False
    frozen = model.layers[0].weight.numpy().copy()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.functional.cross_entropy(model(np.ones((4, 2))), np.array([0, 1, 1, 0]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    np.testing.assert_array_equal(model.layers[0].weight.numpy(), frozen)


@pytest.mark.parametrize("make", [
    lambda opt: nn.optim.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: nn.optim.CosineAnnealingLR(opt, T_max=5),
])  # fmt: skip
def test_a_schedule_resumes_from_the_state_dicts(make):
    def run(steps, resume_at=None):
        nn.manual_seed(0)
        model = nn.Linear(3, 1, dtype=np.float64)
        optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
        scheduler = make(optimizer)
        for step in range(steps):
            if step == resume_at:  # a fresh optimizer and scheduler, loaded from the dicts
                states = (model.state_dict(), optimizer.state_dict(), scheduler.state_dict())
                model = nn.Linear(3, 1, dtype=np.float64)
                model.load_state_dict(states[0])
                optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
                optimizer.load_state_dict(states[1])
                scheduler = make(optimizer)
                scheduler.load_state_dict(states[2])
            optimizer.zero_grad()
            (model(np.ones((2, 3))) ** 2).mean().backward()
            optimizer.step()
            scheduler.step()
        return model.weight.numpy(), scheduler.get_last_lr()

    straight, resumed = run(8), run(8, resume_at=5)
    np.testing.assert_array_equal(straight[0], resumed[0])
    assert straight[1] == resumed[1]


# ----- low-precision parameters, allocations, argument checks ---------------------------------


@pytest.mark.parametrize("optimizer_class", [nn.optim.Adam, nn.optim.AdamW])
def test_adam_on_float16_never_makes_nan_or_inf_and_tracks_float32(optimizer_class):
    start = np.array([0.1, -0.2, 0.3, 0.05], np.float32)
    grads = [np.array([0.0, 1e-3, 1e-6, -2e-4]), np.array([0.0, 1e-4, -1e-7, 3e-3])] * 3
    lr = 1e-2
    half = nn.Parameter(start.astype(np.float16))
    full = nn.Parameter(start.copy())
    optimizers = [optimizer_class([half], lr=lr), optimizer_class([full], lr=lr)]
    for g in grads:
        before = half.numpy().astype(np.float32)
        half.grad, full.grad = Tensor(g.astype(np.float16)), Tensor(g.astype(np.float32))
        for optimizer in optimizers:
            optimizer.step()
        assert half.dtype == np.float16 and np.all(np.isfinite(half.numpy()))
        ulp = np.spacing(np.abs(half.numpy())).astype(np.float32)
        assert np.all(np.abs(half.numpy() - before) <= 1.01 * lr + ulp)  # at most about lr
    assert half.numpy()[0] == np.float16(start[0]) or optimizer_class is nn.optim.AdamW
    state = optimizers[0].state[id(half)]
    assert state["exp_avg"].dtype == state["exp_avg_sq"].dtype == np.float32
    ulp = np.spacing(np.abs(half.numpy())).astype(np.float32)
    assert np.all(np.abs(half.numpy() - full.numpy()) <= len(grads) * ulp)


def test_a_zero_gradient_never_moves_a_float16_parameter():
    p = nn.Parameter(np.array([0.5, -1.0, 1e-3, 0.0], np.float16))
    optimizer = nn.optim.Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = Tensor(np.zeros(4, np.float16))
        optimizer.step()
    np.testing.assert_array_equal(p.numpy(), np.array([0.5, -1.0, 1e-3, 0.0], np.float16))


def test_sgd_on_float16_keeps_its_momentum_in_float32():
    p = nn.Parameter(np.ones(3, np.float16))
    optimizer = nn.optim.SGD([p], lr=1e-3, momentum=0.9)
    for _ in range(3):
        p.grad = Tensor(np.full(3, 1e-5, np.float16))  # lr * g is below float16's smallest step
        optimizer.step()
    buffer = optimizer.state[id(p)]["momentum_buffer"]
    assert buffer.dtype == np.float32
    g = float(np.float16(1e-5))
    np.testing.assert_allclose(buffer, g * (1 + 0.9 + 0.81), rtol=1e-6)
    assert p.dtype == np.float16


def test_plain_sgd_keeps_no_scratch_buffers():
    params = [nn.Parameter(np.ones((250, 100))), nn.Parameter(np.ones((100, 250)))]  # 400 kB
    optimizer = nn.optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = Tensor(np.full(p.shape, 0.01))
    tracemalloc.start()
    try:
        optimizer.step()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 20_000, f"a plain SGD step kept {kept} bytes"
    np.testing.assert_allclose(params[0].numpy(), 0.999)


@pytest.mark.parametrize("lr", ["0.1", None, Tensor(0.1), np.array(0.1), True])
def test_an_lr_that_is_not_a_number_is_a_clear_error(lr):
    p = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match=r"SGD: lr=.* is a \w+; expected a number, e.g. lr=0.01"):
        nn.optim.SGD([p], lr=lr)
    optimizer = nn.optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="expected a number"):
        optimizer.lr = lr
    assert optimizer.lr == 0.1
    assert nn.optim.Adam([p], lr=np.float32(0.5)).lr == 0.5  # numpy numbers are numbers


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: nn.optim.SGD([p], lr=0.1, momentum="0.9"), "SGD: momentum='0.9' is a str"),
        (lambda p: nn.optim.SGD([p], lr=0.1, momentum=None), "SGD: momentum=None is a NoneType"),
        (lambda p: nn.optim.SGD([p], lr=0.1, dampening="x"), "SGD: dampening='x' is a str"),
        (lambda p: nn.optim.Adam([p], eps=None), "Adam: eps=None is a NoneType"),
        (lambda p: nn.optim.AdamW([p], weight_decay="0"), "AdamW: weight_decay='0' is a str"),
    ],
)
def test_every_hyperparameter_that_is_not_a_number_is_a_clear_error(make, message):
    with pytest.raises(TypeError, match=f"{message}; expected a number, e.g. "):
        make(nn.Parameter(np.ones(2)))


@pytest.mark.parametrize("betas", [0.9, ("a", 0.999), (0.9,), (True, 0.999)])
def test_betas_that_are_not_two_numbers_are_a_clear_error(betas):
    with pytest.raises(ValueError, match=r"Adam: betas=.*; expected two numbers in \[0, 1\)"):
        nn.optim.Adam([nn.Parameter(np.ones(2))], betas=betas)


def test_a_scheduler_stepped_before_the_optimizer_warns():
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    scheduler = nn.optim.StepLR(optimizer, step_size=1)
    with pytest.warns(UserWarning, match=r"StepLR.step\(\) was called before the optimizer's"):
        scheduler.step()
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    scheduler = nn.optim.StepLR(optimizer, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()
        scheduler.step()


def adam_state(shape=(3,)):
    p = nn.Parameter(np.ones(shape))
    optimizer = nn.optim.Adam([p], lr=0.01)
    p.grad = Tensor(np.full(shape, 0.5))
    optimizer.step()
    return optimizer.state_dict()


def test_optimizer_load_state_dict_converts_array_likes_to_its_state():
    state = adam_state()
    state["state"][0]["exp_avg"] = [0.1, 0.2, 0.3]  # a list is what was meant: an array
    p = nn.Parameter(np.ones(3, np.float16))
    optimizer = nn.optim.Adam([p])
    optimizer.load_state_dict(state)
    loaded = optimizer.state[id(p)]
    assert loaded["exp_avg"].dtype == np.float32 and loaded["exp_avg"].tolist() == pytest.approx(
        [0.1, 0.2, 0.3]
    )
    p.grad = Tensor(np.ones(3, np.float16))
    optimizer.step()
    assert loaded["step"] == 2 and np.all(np.isfinite(p.numpy()))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda s: s["state"][0].update(exp_avg=[0.1, 0.2]), ValueError, r"shape \(2,\)"),
        (lambda s: s["state"][0].update(exp_avg="abc"), ValueError, "exp_avg of parameter 0 has"),
        (lambda s: s["state"][0].update(exp_avg_sq=np.full(3, 1e300)), ValueError, "cannot hold"),
        (lambda s: s["state"][0].update(step=-1), ValueError, "step of parameter 0"),
        (lambda s: s["state"][0].update(step="3"), ValueError, "expected a count"),
        (lambda s: s["state"][0].pop("exp_avg"), ValueError, "has state"),
        (lambda s: s["state"].update({5: s["state"][0]}), ValueError, "state for parameter 5"),
        (lambda s: s["param_groups"][0].update(lr="fast"), TypeError, "expected a number"),
        (lambda s: s["param_groups"][0].update(betas=(0.9, 2.0)), ValueError, "betas"),
        (lambda s: s["param_groups"][0].update(params=["0"]), ValueError, "distinct integers"),
        (lambda s: s.pop("state"), TypeError, "keys 'state' and 'param_groups'"),
        (lambda s: s.update(state=[1]), TypeError, "state is a list"),
    ],
)
def test_optimizer_load_state_dict_checks_every_value_and_changes_nothing(change, error, message):
    state = adam_state()
    change(state)
    p = nn.Parameter(np.ones(3, np.float32))
    optimizer = nn.optim.Adam([p], lr=0.5)
    with pytest.raises(error, match=message):
        optimizer.load_state_dict(state)
    assert optimizer.state == {} and optimizer.param_groups[0]["lr"] == 0.5


def test_a_scheduler_state_with_bad_values_changes_nothing():
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    scheduler = nn.optim.StepLR(optimizer, step_size=1)
    for bad, message in [
        ({"last_epoch": "2", "base_lrs": [1.0]}, "last_epoch='2'; expected a whole number"),
        ({"last_epoch": 2, "base_lrs": ["x"]}, r"base_lrs=\['x'\]; expected a list of numbers"),
        ({"last_epoch": 2, "base_lrs": [-1.0]}, r"base_lrs=\[-1.0\]; expected rates >= 0"),
        ({"last_epoch": 2, "base_lrs": [float("nan")]}, r"base_lrs=\[nan\]; expected rates"),
    ]:
        with pytest.raises((TypeError, ValueError), match=f"StepLR.load_state_dict: {message}"):
            scheduler.load_state_dict(bad)
        assert scheduler.last_epoch == 0 and scheduler.base_lrs == [1.0]
        assert optimizer.lr == 1.0


def test_a_plain_sgd_step_is_an_in_place_change_that_backward_sees():
    """The one-pass update still counts as an in-place change of the weight: a graph that read
    the old weight refuses to backpropagate with the new one."""
    layer = nn.Linear(3, 2)
    optimizer = nn.optim.SGD(layer.parameters(), lr=0.1)
    x = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    layer(x).sum().backward()
    loss = layer(x).sum()
    optimizer.step()
    with pytest.raises(autodiff.GradientError, match="modified by an in-place operation"):
        loss.backward()


def test_plain_sgd_matches_numpy_for_float32_float64_and_float16():
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64, np.float16):
        start = rng.standard_normal((5, 4)).astype(dtype)
        grad = rng.standard_normal((5, 4)).astype(dtype)
        p = nn.Parameter(start)
        p.grad = Tensor(grad)
        nn.optim.SGD([p], lr=0.1).step()
        compute = np.float32 if dtype == np.float16 else dtype  # float16 steps in float32
        expected = start.astype(compute) - compute(0.1) * grad.astype(compute)
        expected = expected.astype(dtype)
        tolerance = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
        np.testing.assert_allclose(p.numpy(), expected, rtol=tolerance, atol=tolerance)
        np.testing.assert_array_equal(p.grad.numpy(), grad)  # the gradient is left as it was


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad"])
def test_step_with_a_closure_calls_it_first_and_returns_its_loss(name):
    p = nn.Parameter(START.copy())
    optimizer = getattr(nn.optim, name)([p], lr=0.1)
    calls = []

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()  # gradient 2p
        loss.backward()
        calls.append(loss.item())
        return loss

    with autodiff.no_grad():  # the closure still records: step enables gradients for it
        loss = optimizer.step(closure)
    assert calls == [pytest.approx((START**2).sum())] and loss.item() == calls[0]
    expected = getattr(nn.optim, name)([q := nn.Parameter(START.copy())], lr=0.1)
    q.grad = Tensor(2 * START)
    assert expected.step() is None
    np.testing.assert_array_equal(p.numpy(), q.numpy())
    with pytest.raises(TypeError, match="step: closure=3; expected a function"):
        optimizer.step(3)


def test_step_with_a_closure_matches_pytorch():
    torch = pytest.importorskip("torch")
    losses = []
    for lib, optim in ((autodiff, nn.optim), (torch, torch.optim)):
        w = lib.tensor(START.copy(), requires_grad=True)
        optimizer = optim.Adam([w], lr=0.1, betas=(0.5, 0.999))

        def closure(optimizer=optimizer, w=w):
            optimizer.zero_grad()
            loss = (w**3).sum()
            loss.backward()
            return loss

        losses.append([optimizer.step(closure).item() for _ in range(4)])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-12)


def test_load_state_dict_result_prints_as_pytorchs():
    model = nn.Linear(2, 1)
    assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    result = model.load_state_dict({"weight": model.weight.detach()}, strict=False)
    assert repr(result) == "LoadResult(missing_keys=['bias'], unexpected_keys=[])"
