"""autodiff.linalg's norms: torch.linalg.norm, vector_norm and matrix_norm ('fro'), values
and gradients against PyTorch in float64, and against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff

A = np.array([[3.0, -4.0, 0.5], [1e-3, 2.0, -7.0]])
CALLS = {
    "norm": lambda lib, x: lib.linalg.norm(x),
    "norm fro": lambda lib, x: lib.linalg.norm(x, "fro"),
    "norm dim": lambda lib, x: lib.linalg.norm(x, dim=1),
    "norm 1 dim 0": lambda lib, x: lib.linalg.norm(x, 1, dim=0),
    "norm inf dim 1 keepdim": lambda lib, x: lib.linalg.norm(x, float("inf"), dim=1, keepdim=True),
    "vector 3": lambda lib, x: lib.linalg.vector_norm(x, 3),
    "vector inf": lambda lib, x: lib.linalg.vector_norm(x, float("inf")),
    "vector -inf dim": lambda lib, x: lib.linalg.vector_norm(x, float("-inf"), dim=0),
    "vector 2 keepdim": lambda lib, x: lib.linalg.vector_norm(x, 2, dim=1, keepdim=True),
    "matrix": lambda lib, x: lib.linalg.matrix_norm(x),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_norms_match_torch_with_gradients(name):
    torch = pytest.importorskip("torch")
    x, t = autodiff.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    ours, theirs = CALLS[name](autodiff, x), CALLS[name](torch, t)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert tuple(ours.shape) == tuple(theirs.shape)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["norm", "norm dim", "vector 3", "matrix"])
def test_norms_gradcheck(name):
    x = autodiff.tensor(A, requires_grad=True)
    assert autodiff.gradcheck(lambda v: CALLS[name](autodiff, v).sum(), [x])


def test_what_is_not_computed_says_so():
    x = autodiff.tensor(A)
    with pytest.raises(ValueError, match="matrix_norm: ord='nuc'; only 'fro'"):
        autodiff.linalg.matrix_norm(x, "nuc")
    with pytest.raises(ValueError, match="vector_norm: ord=0"):
        autodiff.linalg.vector_norm(x, 0)
    with pytest.raises(ValueError, match="norm: ord=3 of a tensor of shape \\(2, 3\\)"):
        autodiff.linalg.norm(x, 3)
