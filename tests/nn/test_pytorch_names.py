"""nn's PyTorch names and meanings for the programs written after MNIST, each compared with
PyTorch: values and gradients in float64.
"""

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(210)


def _both(array):
    """The same float64 values as an autodiff and a torch tensor, both requiring grad."""
    return (
        autodiff.tensor(array.copy(), requires_grad=True),
        torch.tensor(array.copy(), requires_grad=True),
    )


def _compare(ours, theirs, inputs, rtol=1e-10):
    """Values agree, and so do the gradients of a weighted sum w.r.t. each input pair."""
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12
    )
    weights = RNG.standard_normal(tuple(ours.shape))
    (ours * autodiff.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for a, t in inputs:
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("shape", [(), (5,), (3, 5), (2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_without_dim_takes_pytorchs_implicit_dim_and_warns(name, shape):
    ours, theirs = _both(RNG.standard_normal(shape))
    with pytest.warns(UserWarning, match=f"{name}: no dim given"):
        out = getattr(F, name)(ours)
    with pytest.warns(UserWarning):
        expected = getattr(TF, name)(theirs)
    _compare(out, expected, [(ours, theirs)])


@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax"])
def test_softmax_modules_without_dim_follow_pytorch(module):
    ours, theirs = _both(RNG.standard_normal((2, 3, 4, 5)))
    assert repr(getattr(nn, module)()) == repr(getattr(torch.nn, module)())
    with pytest.warns(UserWarning):
        out = getattr(nn, module)()(ours)
    with pytest.warns(UserWarning):
        expected = getattr(torch.nn, module)()(theirs)
    _compare(out, expected, [(ours, theirs)])
