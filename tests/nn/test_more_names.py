"""ReLU and LeakyReLU with inplace=, as modules and functions: values, gradients and a
training step compared with torch in float64."""

import numpy as np
import pytest

import autodiff
import nn
from nn import functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(8)


def step(lib, layers, activation, x, y):
    """One SGD step of Linear, activation, Linear, activation, Linear with weights copied from
    torch's; the loss, the gradients and the new weights."""
    net = lib.nn.Sequential(
        lib.nn.Linear(4, 6),
        activation(lib),
        lib.nn.Linear(6, 5),
        activation(lib),
        lib.nn.Linear(5, 2),
    ).double()
    with lib.no_grad():
        for p, w in zip(net.parameters(), layers):
            p.copy_(lib.tensor(w))
    optimiser = lib.optim.SGD(net.parameters(), lr=0.1)
    loss = ((net(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
    optimiser.zero_grad()
    loss.backward()
    grads = [p.grad.numpy().copy() for p in net.parameters()]
    optimiser.step()
    return loss.item(), grads, [p.detach().numpy().copy() for p in net.parameters()]


ACTIVATIONS = [
    ("relu_inplace", lambda lib: lib.nn.ReLU(inplace=True)),
    ("relu", lambda lib: lib.nn.ReLU(inplace=False)),
    ("leaky_inplace", lambda lib: lib.nn.LeakyReLU(0.2, inplace=True)),
    ("leaky_keyword", lambda lib: lib.nn.LeakyReLU(negative_slope=0.1, inplace=True)),
]


@pytest.mark.parametrize("name, activation", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_sequential_training_step_with_inplace_activation_matches_torch(name, activation):
    shapes = [(6, 4), (6,), (5, 6), (5,), (2, 5), (2,)]
    layers = [RNG.standard_normal(s) * 0.7 for s in shapes]
    x, y = RNG.standard_normal((8, 4)), RNG.standard_normal((8, 2))
    ours = step(autodiff, layers, activation, x, y)
    theirs = step(torch, layers, activation, x, y)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1] + ours[2], theirs[1] + theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_functional_inplace_changes_the_input_as_torch(name, inplace):
    a = RNG.standard_normal((3, 4))
    results = []
    for lib, fn in ((autodiff, getattr(F, name)), (torch, getattr(torch.nn.functional, name))):
        w = lib.tensor(a.copy(), requires_grad=True)
        h = w * 1.5
        out = fn(h, inplace=inplace)
        (out * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        results.append((out.detach().numpy(), h.detach().numpy(), out is h, w.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_reprs_show_inplace_as_torch():
    for make in (
        lambda lib: lib.nn.ReLU(),
        lambda lib: lib.nn.ReLU(inplace=True),
        lambda lib: lib.nn.LeakyReLU(0.2),
        lambda lib: lib.nn.LeakyReLU(0.2, True),
    ):
        assert repr(make(autodiff)) == repr(make(torch))


def test_inplace_must_be_a_bool_and_needs_a_tensor():
    with pytest.raises(TypeError, match="relu: inplace must be a bool"):
        F.relu(autodiff.tensor([1.0]), inplace="yes")
    with pytest.raises(TypeError, match="leaky_relu: inplace=True changes a Tensor"):
        F.leaky_relu([1.0, -2.0], inplace=True)
    np.testing.assert_array_equal(F.relu([1.0, -2.0]).numpy(), [1.0, 0.0])
    assert nn.ReLU(inplace=True).inplace is True
