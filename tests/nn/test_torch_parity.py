"""nn against PyTorch in float64: the same losses, gradients, optimiser steps, schedules, and
state dicts that move between the two unchanged.
"""

import numpy as np
import pytest

import nn
import nn.functional as F
from autodiff import Tensor

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 5))
Y = RNG.integers(0, 3, 8)


def ours() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(5, 7, dtype=np.float64), nn.ReLU(), nn.Linear(7, 3, dtype=np.float64)
    )


def twin_of(model: nn.Module) -> "torch.nn.Module":
    """The equivalent PyTorch model, holding our model's values."""
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return theirs


def test_same_loss_and_gradients_as_pytorch():
    model = ours()
    theirs = twin_of(model)
    loss = F.cross_entropy(model(Tensor(X)), Y)
    loss.backward()
    their_loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(X)), torch.from_numpy(Y))
    their_loss.backward()
    np.testing.assert_allclose(loss.item(), their_loss.item(), rtol=1e-13)
    for (name, p), q in zip(model.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name
        )


OPTIMISERS = {
    "sgd_momentum": (nn.optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "sgd_nesterov_decay": (
        nn.optim.SGD,
        torch.optim.SGD,
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05},
    ),
    "sgd_dampening": (
        nn.optim.SGD,
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.5, "dampening": 0.3},
    ),
    "adam": (nn.optim.Adam, torch.optim.Adam, {"lr": 0.01}),
    "adam_decay": (
        nn.optim.Adam,
        torch.optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1},
    ),
    "adamw": (nn.optim.AdamW, torch.optim.AdamW, {"lr": 0.01}),
    "adamw_decay": (nn.optim.AdamW, torch.optim.AdamW, {"lr": 0.02, "weight_decay": 0.3}),
}


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_five_steps_give_the_same_parameters_as_pytorch(name):
    our_class, their_class, options = OPTIMISERS[name]
    model = ours()
    theirs = twin_of(model)
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
    for (key, value), (their_key, their_value) in zip(
        model.state_dict().items(), theirs.state_dict().items()
    ):
        assert key == their_key
        np.testing.assert_allclose(value, their_value.numpy(), rtol=0, atol=1e-12, err_msg=key)


def test_state_dict_moves_to_pytorch_and_back():
    model = ours()
    x = RNG.standard_normal((4, 5))
    theirs = twin_of(model)
    np.testing.assert_allclose(
        model(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-13
    )
    with torch.no_grad():
        for q in theirs.parameters():
            q.mul_(-2.0)  # change theirs, then bring it back
    model.load_state_dict(theirs.state_dict())
    np.testing.assert_allclose(
        model(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-13
    )


def test_mlp_state_dict_matches_a_pytorch_module_with_a_layers_sequential():
    model = nn.MLP([5, 7, 3], activation="tanh", dtype=np.float64)

    class TorchMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.Sequential(
                torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)
            )

        def forward(self, x):
            return self.layers(x)

    theirs = TorchMLP().double()
    assert list(theirs.state_dict()) == list(model.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = RNG.standard_normal((2, 5))
    np.testing.assert_allclose(
        model(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-13
    )


SCHEDULERS = {
    "step": (
        lambda o: nn.optim.StepLR(o, step_size=3, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    ),
    "cosine": (
        lambda o: nn.optim.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedulers_give_pytorchs_learning_rates(name):
    ours_of, theirs_of = SCHEDULERS[name]
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(1))], lr=0.3)
    their_optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.3)
    scheduler, their_scheduler = ours_of(optimizer), theirs_of(their_optimizer)
    rates, their_rates = [scheduler.get_last_lr()], [their_scheduler.get_last_lr()]
    for _ in range(20):  # past T_max, where the cosine climbs back
        optimizer.step()
        their_optimizer.step()
        scheduler.step()
        their_scheduler.step()
        rates.append(scheduler.get_last_lr())
        their_rates.append(their_scheduler.get_last_lr())
    np.testing.assert_allclose(rates, their_rates, rtol=1e-12, atol=1e-15)
    assert optimizer.lr == pytest.approx(their_optimizer.param_groups[0]["lr"], rel=1e-12)


LOGITS = RNG.standard_normal((6, 4)) * 3
CLASSES = RNG.integers(0, 4, 6)
PROBS = RNG.dirichlet(np.ones(4), size=6)
P01 = np.array([0.0, 1.0, 0.3, 0.0, 1.0, 0.9])
Y01 = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 1.0])
TF = torch.nn.functional

# name -> (ours, theirs), each taking numpy inputs
FUNCTIONS = {
    "gelu": (lambda: F.gelu(Tensor(LOGITS)), lambda t: TF.gelu(t(LOGITS))),
    "gelu_tanh": (
        lambda: F.gelu(Tensor(LOGITS), approximate="tanh"),
        lambda t: TF.gelu(t(LOGITS), approximate="tanh"),
    ),
    "leaky_relu": (
        lambda: F.leaky_relu(Tensor(LOGITS), 0.1),
        lambda t: TF.leaky_relu(t(LOGITS), 0.1),
    ),
    "softmax": (lambda: F.softmax(Tensor(LOGITS), dim=0), lambda t: TF.softmax(t(LOGITS), dim=0)),
    "log_softmax": (
        lambda: F.log_softmax(Tensor(LOGITS), -1),
        lambda t: TF.log_softmax(t(LOGITS), -1),
    ),
    "cross_entropy_smoothed": (
        lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, label_smoothing=0.15),
        lambda t: TF.cross_entropy(t(LOGITS), t(CLASSES), label_smoothing=0.15),
    ),
    "cross_entropy_probs_smoothed": (
        lambda: F.cross_entropy(Tensor(LOGITS), PROBS, reduction="sum", label_smoothing=0.1),
        lambda t: TF.cross_entropy(t(LOGITS), t(PROBS), reduction="sum", label_smoothing=0.1),
    ),
    "nll": (
        lambda: F.nll_loss(F.log_softmax(Tensor(LOGITS), -1), CLASSES, reduction="none"),
        lambda t: TF.nll_loss(TF.log_softmax(t(LOGITS), -1), t(CLASSES), reduction="none"),
    ),
    "bce_at_zero_and_one": (
        lambda: F.binary_cross_entropy(Tensor(P01), Tensor(Y01), reduction="none"),
        lambda t: TF.binary_cross_entropy(t(P01), t(Y01), reduction="none"),
    ),
    "bce_with_logits": (
        lambda: F.binary_cross_entropy_with_logits(Tensor(LOGITS), Tensor(PROBS)),
        lambda t: TF.binary_cross_entropy_with_logits(t(LOGITS), t(PROBS)),
    ),
    "mse": (
        lambda: F.mse_loss(Tensor(LOGITS), Tensor(PROBS)),
        lambda t: TF.mse_loss(t(LOGITS), t(PROBS)),
    ),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functions_give_pytorchs_values(name):
    our_fn, their_fn = FUNCTIONS[name]
    expected = their_fn(torch.from_numpy).numpy()
    np.testing.assert_allclose(our_fn().numpy(), expected, rtol=1e-6 if "gelu" in name else 1e-12)
