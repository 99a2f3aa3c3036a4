"""Every Tensor method of the op table, on empty tensors, does what PyTorch's does: where
PyTorch gives a value, ours gives the same value and shape, and backward the same gradient
shape; the reductions along a dim likewise."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff
from autodiff import optable

torch = pytest.importorskip("torch")

SHAPES = [(0, 3), (3, 0), (0,), (2, 0, 2)]
NOT_COMPARED = {"numpy", "tolist", "item", "data_ptr", "storage"}  # not values on a device
REDUCTIONS = (
    "sum mean prod max min amax amin argmax argmin std var logsumexp softmax log_softmax "
    "cumsum cumprod all any median sort argsort nansum count_nonzero"
).split()


def methods() -> list[str]:
    names = {op.name for op in optable.TABLE if getattr(op, "method", True)}
    return sorted(n for n in names if not n.startswith("_") and not n.endswith("_"))


def outcome(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(), None
    except Exception as error:  # noqa: BLE001 - compared by the caller
        return None, error


def compare(label: str, name: str, args: tuple, shape: tuple) -> list[str]:
    """What differs between x.name(*args) here and in PyTorch, for zeros of `shape`."""
    x = autodiff.tensor(np.zeros(shape), requires_grad=True)
    t = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    theirs, _ = outcome(lambda: getattr(t, name)(*args))
    if not isinstance(theirs, (torch.Tensor, tuple)):
        return []  # PyTorch refuses (or gives no tensor): ours may refuse too
    ours, error = outcome(lambda: getattr(x, name)(*args))
    if error is not None:
        return [f"{label}: PyTorch gives {tuple(np.shape(theirs))}, ours raises {error!r}"]
    if isinstance(theirs, tuple):  # (values, indices), or the pieces of unbind / split
        if not isinstance(ours, tuple) or len(ours) != len(theirs):
            return [f"{label}: ours {ours!r}, PyTorch {len(theirs)} tensors"]
        if not theirs:
            return []
        ours, theirs = ours[0], theirs[0]
    mine, its = ours.detach().numpy(), theirs.detach().numpy()
    if mine.shape != its.shape or not np.allclose(
        mine.astype(float), its.astype(float), equal_nan=True
    ):
        return [f"{label}: ours {mine.shape} {mine.ravel()[:3]}, PyTorch {its.shape}"]
    if theirs.requires_grad and ours.requires_grad:
        theirs.sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours.sum().backward()
        if t.grad is not None and (x.grad is None or x.grad.shape != tuple(t.grad.shape)):
            return [f"{label}: gradient {x.grad}, PyTorch's of shape {tuple(t.grad.shape)}"]
    return []


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_every_method_on_an_empty_tensor_is_pytorchs(shape):
    found = []
    for name in methods():
        if name in NOT_COMPARED:
            continue
        found += compare(name, name, (), shape)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_every_reduction_along_a_dim_of_an_empty_tensor_is_pytorchs(shape):
    found = []
    for name in REDUCTIONS:
        for dim in range(-1, len(shape)):
            found += compare(f"{name}(dim={dim})", name, (dim,), shape)
    assert not found, "\n".join(found)
