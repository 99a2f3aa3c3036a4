"""Every registered primitive, gradchecked in float64 on its registered samples."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.primitive import registry

CASES = [
    pytest.param(prim, k, id=f"{name}-{k}")
    for name, prim in sorted(registry.items())
    for k in range(len(prim.samples))
]


def _inputs(sample, rng):
    low, high = sample.domain
    tensors = []
    for spec in sample.inputs:
        if isinstance(spec, tuple):
            tensors.append(ad.Tensor(rng.uniform(low, high, spec), requires_grad=True))
        else:
            tensors.append(spec)
    return tensors


def test_every_primitive_has_samples_and_a_vjp():
    missing = [name for name, prim in registry.items() if not prim.samples or prim.vjp is None]
    assert missing == []


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("prim, k", CASES)
def test_primitive_matches_finite_differences(prim, k, seed):
    sample = prim.samples[k]
    rng = np.random.default_rng(seed)
    inputs = _inputs(sample, rng)
    assert ad.gradcheck(lambda *xs: prim(*xs, **sample.params), inputs)


@pytest.mark.parametrize("prim, k", CASES)
def test_primitive_second_derivative_matches_finite_differences(prim, k):
    """create_graph runs the same VJP on Tensors: its gradient must be right too."""
    sample = prim.samples[k]
    rng = np.random.default_rng(2)
    inputs = _inputs(sample, rng)
    out_shape = prim(*inputs, **sample.params).shape
    weights = rng.standard_normal(out_shape)

    def first_gradient_norm(*xs):
        out = prim(*xs, **sample.params)
        wrt = [x for x in xs if isinstance(x, ad.Tensor)]
        grads = ad.vjp(lambda *w: prim(*_merge(xs, w), **sample.params), *wrt)[1](weights)
        total = (out * 0).sum()
        for g in grads:
            total = total + (g * g).sum()
        return total

    assert ad.gradcheck(first_gradient_norm, inputs)


def _merge(xs, tensors):
    """xs with its Tensors replaced, in order, by `tensors`."""
    it = iter(tensors)
    return [next(it) if isinstance(x, ad.Tensor) else x for x in xs]
