"""The fused layer primitives: layer_norm, lstm_gates, gru_gates, by hand and against their
compositions (the generic test in test_primitives.py gradchecks them to second order)."""

import math

import numpy as np
import pytest

import autodiff as ad


def test_layer_norm_by_hand():
    x = ad.tensor([[1.0, 3.0]], dtype=ad.float64, requires_grad=True)
    weight = ad.tensor([2.0, 5.0], dtype=ad.float64, requires_grad=True)
    bias = ad.tensor([0.5, 0.0], dtype=ad.float64, requires_grad=True)
    out = ad.layer_norm(x, (2,), weight, bias, eps=0.0)  # mean 2, variance 1: x̂ = [-1, 1]
    np.testing.assert_allclose(out.numpy(), [[-1.5, 5.0]])
    out.sum().backward()
    np.testing.assert_allclose(weight.grad.numpy(), [-1.0, 1.0])  # x̂
    np.testing.assert_allclose(bias.grad.numpy(), [1.0, 1.0])
    # d out.sum() / dx = r·(ĝ - mean ĝ - x̂·mean(ĝ·x̂)) with ĝ = weight = [2, 5], r = 1
    np.testing.assert_allclose(x.grad.numpy(), [[2 - 3.5 + 1.5, 5 - 3.5 - 1.5]])


def test_layer_norm_equals_its_composition():
    rng = np.random.default_rng(0)
    x, w, b = (
        ad.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3, 4), (3, 4), (3, 4))
    )
    g = rng.standard_normal((2, 3, 4))

    def composed(x, w, b):
        centered = x - x.mean((1, 2), True)
        return centered / ((centered * centered).mean((1, 2), True) + 1e-3).sqrt() * w + b

    def fused(x, w, b):
        return ad.layer_norm(x, (3, 4), w, b, eps=1e-3)

    np.testing.assert_allclose(fused(x, w, b).numpy(), composed(x, w, b).numpy(), rtol=1e-12)
    got = ad.grad(lambda *xs: (fused(*xs) * g).sum())(x, w, b)
    want = ad.grad(lambda *xs: (composed(*xs) * g).sum())(x, w, b)
    for a, e in zip(got, want):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_refuses_a_shape_it_cannot_normalize():
    with pytest.raises(ad.ShapeError, match=r"layer_norm: input \(2, 3\) and normalized_shape"):
        ad.layer_norm(ad.zeros(2, 3), (4,))
    with pytest.raises(ad.ShapeError, match=r"layer_norm: weight \(4,\) for normalized shape"):
        ad.layer_norm(ad.zeros(2, 3), (3,), ad.ones(4))


def test_lstm_gates_by_hand():
    gates = ad.zeros(1, 4, dtype=ad.float64, requires_grad=True)  # every gate σ(0) = 1/2
    c = ad.tensor([[1.0]], dtype=ad.float64, requires_grad=True)
    hc = ad.lstm_gates(gates, c)  # c' = ½·1 + ½·tanh 0 = ½;  h' = ½·tanh ½
    np.testing.assert_allclose(hc.numpy(), [[[0.5 * math.tanh(0.5)]], [[0.5]]])
    hc[1].sum().backward()  # dc'/dc = σ(f) = ½; dc'/df = c·σ'(0) = ¼; dc'/dg = σ(i) = ½
    np.testing.assert_allclose(c.grad.numpy(), [[0.5]])
    np.testing.assert_allclose(gates.grad.numpy(), [[0.0, 0.25, 0.5, 0.0]])


def test_gru_gates_by_hand():
    xw = ad.zeros(1, 3, dtype=ad.float64, requires_grad=True)  # r = z = ½, n = tanh 0 = 0
    hw = ad.zeros(1, 3, dtype=ad.float64, requires_grad=True)
    h = ad.tensor([[2.0]], dtype=ad.float64, requires_grad=True)
    out = ad.gru_gates(xw, hw, h)  # (1 - z)·n + z·h = 1
    np.testing.assert_allclose(out.numpy(), [[1.0]])
    out.sum().backward()  # dh'/dh = z; dh'/dz' = (h - n)·σ'(0) = ½; dh'/dn' = (1 - z) = ½
    np.testing.assert_allclose(h.grad.numpy(), [[0.5]])
    np.testing.assert_allclose(xw.grad.numpy(), [[0.0, 0.5, 0.5]])
    np.testing.assert_allclose(hw.grad.numpy(), [[0.0, 0.5, 0.25]])  # n' sees r·hw_n


@pytest.mark.parametrize(
    "op, args", [("lstm_gates", [(2, 7), (2, 2)]), ("gru_gates", [(2, 6), (2, 6), (3, 2)])]
)
def test_cell_gates_refuse_shapes_that_do_not_fit(op, args):
    with pytest.raises(ad.ShapeError, match=f"{op}: gates"):
        getattr(ad, op)(*(ad.zeros(*shape) for shape in args))
