"""Adadelta, RMSprop and Adagrad: five steps equal PyTorch's, and bad hyperparameters raise."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autodiff import Tensor


def test_adadelta_first_step_by_hand():
    p = nn.Parameter(np.array([1.0]))
    optimizer = nn.optim.Adadelta([p], lr=1.0, rho=0.5, eps=1e-2)
    p.grad = Tensor(np.array([2.0]))
    optimizer.step()
    # square_avg = 0.5·4 = 2;  delta = √0.01 / √2.01 · 2
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.1 / np.sqrt(2.01) * 2])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: nn.optim.Adadelta(ps, rho=1.5), "rho=1.5"),
        (lambda ps: nn.optim.RMSprop(ps, alpha=-1), "alpha=-1"),
        (lambda ps: nn.optim.Adagrad(ps, lr_decay=-0.1), "lr_decay=-0.1"),
    ],
)
def test_bad_hyperparameters_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.zeros(2))])


torch = pytest.importorskip("torch")

CASES = {
    "adadelta": (nn.optim.Adadelta, torch.optim.Adadelta, {}),
    "adadelta_options": (
        nn.optim.Adadelta,
        torch.optim.Adadelta,
        {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1},
    ),
    "rmsprop": (nn.optim.RMSprop, torch.optim.RMSprop, {}),
    "rmsprop_momentum_centered": (
        nn.optim.RMSprop,
        torch.optim.RMSprop,
        {"lr": 0.005, "alpha": 0.9, "momentum": 0.8, "centered": True, "weight_decay": 0.05},
    ),
    "rmsprop_momentum": (nn.optim.RMSprop, torch.optim.RMSprop, {"momentum": 0.5}),
    "adagrad": (nn.optim.Adagrad, torch.optim.Adagrad, {}),
    "adagrad_options": (
        nn.optim.Adagrad,
        torch.optim.Adagrad,
        {"lr": 0.1, "lr_decay": 0.2, "weight_decay": 0.1, "initial_accumulator_value": 0.3},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_five_steps_equal_pytorch(name):
    our_class, their_class, options = CASES[name]
    model = nn.Sequential(
        nn.Linear(5, 7, dtype=np.float64), nn.ReLU(), nn.Linear(7, 3, dtype=np.float64)
    )
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    optimizer = our_class(model.parameters(), **options)
    their_optimizer = their_class(theirs.parameters(), **options)
    rng = np.random.default_rng(1)
    for _ in range(5):
        x, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
        optimizer.zero_grad()
        F.cross_entropy(model(Tensor(x)), y).backward()
        optimizer.step()
        their_optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        their_optimizer.step()
    for (key, value), their_value in zip(model.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(value, their_value.numpy(), rtol=0, atol=1e-12, err_msg=key)


def test_optimiser_state_round_trips():
    p = nn.Parameter(np.ones(3))
    optimizer = nn.optim.RMSprop([p], momentum=0.9, centered=True)
    p.grad = Tensor(np.array([1.0, -2.0, 3.0]))
    optimizer.step()
    state = optimizer.state_dict()
    fresh = nn.optim.RMSprop([nn.Parameter(np.ones(3))], momentum=0.9, centered=True)
    fresh.load_state_dict(state)
    assert sorted(fresh.state_dict()["state"][0]) == [
        "grad_avg",
        "momentum_buffer",
        "square_avg",
        "step",
    ]
