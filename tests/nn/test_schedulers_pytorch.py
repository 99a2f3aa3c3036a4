"""The learning-rate schedulers against PyTorch's: the same rates (and momenta) step by step."""

import numpy as np
import pytest

import autodiff
import nn

torch = pytest.importorskip("torch")


def _optimizers(kind, lrs=(0.1, 0.02)):
    """Our optimizer and PyTorch's, of `kind`, over two parameter groups with rates `lrs`."""
    made = []
    for lib, optim in ((autodiff, nn.optim), (torch, torch.optim)):
        groups = [{"params": [lib.tensor(np.ones(3), requires_grad=True)], "lr": lr} for lr in lrs]
        if kind == "SGD":
            made.append(optim.SGD(groups, lr=lrs[0], momentum=0.9))
        else:
            made.append(optim.Adam(groups, lr=lrs[0]))
    return made


def _step(optimizer, lib):
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = lib.tensor(np.full(3, 0.5))
    optimizer.step()


SCHEDULES = {
    "LambdaLR": lambda optim, o: optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (e + 2)),
    "LambdaLR_per_group": lambda optim, o: optim.lr_scheduler.LambdaLR(
        o, [lambda e: 0.9**e, lambda e: e + 1]
    ),
    "MultiStepLR": lambda optim, o: optim.lr_scheduler.MultiStepLR(o, [2, 5, 5], gamma=0.5),
    "ExponentialLR": lambda optim, o: optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
    "LinearLR": lambda optim, o: optim.lr_scheduler.LinearLR(o),
    "LinearLR_decay": lambda optim, o: optim.lr_scheduler.LinearLR(
        o, start_factor=1.0, end_factor=0.2, total_iters=4
    ),
    "OneCycleLR": lambda optim, o: optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=12),
    "OneCycleLR_options": lambda optim, o: optim.lr_scheduler.OneCycleLR(
        o,
        max_lr=[1.0, 0.5],
        epochs=3,
        steps_per_epoch=4,
        pct_start=0.25,
        anneal_strategy="linear",
        div_factor=10.0,
        final_div_factor=100.0,
        three_phase=True,
    ),
}


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_scheduler_sets_pytorchs_rates_and_momenta(name, kind):
    ours, theirs = _optimizers(kind)
    schedulers = [SCHEDULES[name](nn.optim, ours), SCHEDULES[name](torch.optim, theirs)]
    steps = 12 if name.startswith("OneCycle") else 9  # OneCycleLR: up to total_steps
    for _ in range(steps):
        ours_now, theirs_now = _rates_and_momenta(ours, kind), _rates_and_momenta(theirs, kind)
        np.testing.assert_allclose(ours_now, theirs_now, rtol=1e-12)
        assert schedulers[0].get_last_lr() == pytest.approx(schedulers[1].get_last_lr(), 1e-12)
        _step(ours, autodiff)
        _step(theirs, torch)
        for scheduler in schedulers:
            scheduler.step()
    np.testing.assert_allclose(
        _rates_and_momenta(ours, kind), _rates_and_momenta(theirs, kind), rtol=1e-12
    )


def _rates_and_momenta(optimizer, kind):
    """[lr, momentum or beta1, beta2] of each group."""
    if kind == "SGD":
        return [[g["lr"], g["momentum"]] for g in optimizer.param_groups]
    return [[g["lr"], *g["betas"]] for g in optimizer.param_groups]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mode": "max", "factor": 0.5, "patience": 1},
        {"threshold_mode": "abs", "threshold": 0.05, "cooldown": 2, "patience": 0},
        {"min_lr": [0.01, 0.005], "factor": 0.2, "patience": 1},
    ],
)
def test_reduce_lr_on_plateau_cuts_the_rate_as_pytorch(options):
    ours, theirs = _optimizers("SGD")
    mine = nn.optim.ReduceLROnPlateau(ours, **options)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options)
    metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.89, 0.95, 0.96, 0.97, 0.98] + [0.99] * 12
    for metric in metrics:
        mine.step(autodiff.tensor(metric))
        reference.step(metric)
        assert [g["lr"] for g in ours.param_groups] == pytest.approx(
            [g["lr"] for g in theirs.param_groups], rel=1e-12
        )
        assert mine.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12)
    state = mine.state_dict()
    again = nn.optim.ReduceLROnPlateau(_optimizers("SGD")[0], **options)
    again.load_state_dict(state)
    assert again.state_dict() == state


def test_scheduler_errors_name_the_scheduler():
    optimizer = _optimizers("SGD")[0]
    with pytest.raises(ValueError, match="LambdaLR: 3 lr_lambdas for 2 parameter groups"):
        nn.optim.lr_scheduler.LambdaLR(optimizer, [abs, abs, abs])
    with pytest.raises(TypeError, match="LambdaLR: lr_lambda=2; expected a function"):
        nn.optim.lr_scheduler.LambdaLR(optimizer, 2)
    with pytest.raises(ValueError, match="OneCycleLR: no total_steps"):
        nn.optim.OneCycleLR(optimizer, max_lr=0.1)
    with pytest.raises(ValueError, match="LinearLR: start_factor=0"):
        nn.optim.LinearLR(optimizer, start_factor=0)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: factor=1.5"):
        nn.optim.ReduceLROnPlateau(optimizer, factor=1.5)
    schedulers = [
        nn.optim.OneCycleLR(optimizer, max_lr=0.1, total_steps=2),
        torch.optim.lr_scheduler.OneCycleLR(_optimizers("SGD")[1], max_lr=0.1, total_steps=2),
    ]
    for scheduler in schedulers:
        _step(scheduler.optimizer, autodiff if scheduler is schedulers[0] else torch)
        scheduler.step()
        scheduler.step()  # PyTorch allows total_steps steps after the one made at creation
    with pytest.raises(ValueError, match="OneCycleLR: stepped 3 times for total_steps=2"):
        schedulers[0].step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        schedulers[1].step()
