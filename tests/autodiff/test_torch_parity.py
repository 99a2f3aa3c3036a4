"""Values and gradients of random composite expressions equal PyTorch's (float64)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def _run(lib, x, y, w, kind):
    """The same expression in either library: `lib` is a namespace of the ops used."""
    if kind == 0:
        h = (x @ w).tanh() * y.sigmoid() + (x * 2.0 - 1.0) ** 2 @ w
        return lib.logsumexp(h, 1).mean() + lib.softplus(h).sum() * 0.1
    if kind == 1:
        h = lib.relu(x @ w) + lib.abs(w.sum(0)) / (1.0 + lib.exp(-y.sum()))
        return (lib.log_softmax(h, 1) * h.softmax(1)).sum() + lib.rowmax(h).mean()
    if kind == 2:
        h = lib.sqrt(x * x + 1.0) @ w - lib.cos(w).mean() + lib.sin(y).sum()
        return lib.stack([lib.var(h), lib.rowmin(h)]).sum() + lib.log_sigmoid(h).mean()
    h = lib.cat(x[:, :1], (x @ w)[:, 1:]) * lib.where(x[:, :3] > 0, 2.0, -1.0)
    return (h[[0, 2, 2]] ** 3).sum() + lib.maximum(h, 0.5).sum() + lib.clip(h, -0.3, 0.4).sum()


class Torch:
    logsumexp = staticmethod(lambda h, a: torch.logsumexp(h, a))
    softplus = staticmethod(torch.nn.functional.softplus)
    relu, abs, exp, sqrt, cos, sin = (
        torch.relu,
        torch.abs,
        torch.exp,
        torch.sqrt,
        torch.cos,
        torch.sin,
    )
    log_softmax = staticmethod(lambda h, a: torch.log_softmax(h, a))
    log_sigmoid = staticmethod(torch.nn.functional.logsigmoid)
    stack = staticmethod(lambda ts: torch.stack([t.reshape(-1) for t in ts]))
    cat = staticmethod(lambda a, b: torch.cat([a, b], 1))
    where = staticmethod(lambda c, a, b: torch.where(c, torch.tensor(a, dtype=torch.float64), b))
    maximum = staticmethod(lambda h, v: torch.maximum(h, torch.tensor(v, dtype=torch.float64)))
    clip = staticmethod(torch.clamp)
    rowmax = staticmethod(lambda h: h.max(1).values)
    rowmin = staticmethod(lambda h: h.min(1).values)
    var = staticmethod(lambda h: h.var(1, correction=1))


class Ours:
    logsumexp = staticmethod(lambda h, a: ad.logsumexp(h, a))
    softplus, relu, abs, exp, sqrt = ad.softplus, ad.relu, ad.abs, ad.exp, ad.sqrt
    cos, sin, log_sigmoid = ad.cos, ad.sin, ad.log_sigmoid
    log_softmax = staticmethod(lambda h, a: ad.log_softmax(h, a))
    stack = staticmethod(lambda ts: ad.stack([t.reshape(-1) for t in ts]))
    cat = staticmethod(lambda a, b: ad.cat([a, b], 1))
    where = staticmethod(lambda c, a, b: ad.where(c, a, b))
    maximum = staticmethod(ad.maximum)
    clip = staticmethod(ad.clamp)
    rowmax = staticmethod(lambda h: h.max(1).values)
    rowmin = staticmethod(lambda h: h.min(1).values)
    var = staticmethod(lambda h: h.var(1, correction=1))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", [0, 1, 2, 3])
def test_composite_expression_matches_pytorch(kind, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in [(4, 3), (4, 1), (3, 3)]]
    ours = [ad.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_t = _run(Torch, *theirs, kind)
    out_o = _run(Ours, *ours, kind)
    out_t.backward()
    out_o.backward()
    np.testing.assert_allclose(out_o.item(), out_t.item(), rtol=1e-6, atol=1e-6)
    for o, t in zip(ours, theirs):
        if t.grad is None:  # an input the expression does not use
            assert o.grad is None
            continue
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_second_derivatives_match_pytorch():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 3))
    x_o = ad.Tensor(rng.standard_normal(3), requires_grad=True)
    x_t = torch.tensor(x_o.numpy(), requires_grad=True)
    y_o = ((x_o @ ad.Tensor(a)).tanh() ** 2).sum()
    y_t = ((x_t @ torch.tensor(a)).tanh() ** 2).sum()
    y_o.backward(create_graph=True)
    (g_t,) = torch.autograd.grad(y_t, x_t, create_graph=True)
    g_o = x_o.grad
    x_o.grad = None
    (g_o * g_o).sum().backward()
    (g_t * g_t).sum().backward()
    np.testing.assert_allclose(x_o.grad.numpy(), x_t.grad.numpy(), rtol=1e-6)


def test_erf_and_its_gradient_equal_pytorch_to_float64_precision():
    x = np.concatenate([np.linspace(-7.0, 7.0, 2801), [0.0, 1e-300, -1e-8, 0.5, 6.0]])
    t = ad.Tensor(x, requires_grad=True)
    ad.erf(t).sum().backward()
    ref = torch.tensor(x, requires_grad=True)
    torch.erf(ref).sum().backward()
    np.testing.assert_allclose(ad.erf(t).numpy(), torch.erf(ref).detach().numpy(), rtol=2e-15)
    np.testing.assert_allclose(t.grad.numpy(), ref.grad.numpy(), rtol=1e-14, atol=0)


def test_std_gradient_equals_pytorch_including_zero_variance():
    x = np.array([[1.0, 1.0, 1.0], [0.5, 2.0, -1.0]])
    t = ad.Tensor(x, requires_grad=True)
    t.std(axis=1, ddof=1).sum().backward()
    ref = torch.tensor(x, requires_grad=True)
    ref.std(dim=1).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), ref.grad.numpy(), rtol=1e-14)
