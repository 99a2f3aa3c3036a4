"""PyTorch's torch.autograd through `import autodiff as torch`: grad, backward, a custom
Function (as in PyTorch's tutorial on new autograd functions), Variable and
functional.jacobian / hessian; against finite differences, and against PyTorch where it is
installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
from autodiff import GradientError


def legendre3(torch):
    """0.5 (5x³ − 3x), the third Legendre polynomial, as a Function of `torch` (autodiff or
    PyTorch) with its derivative by hand, as PyTorch's tutorial on new Functions writes it."""

    class Legendre3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x**3 - 3 * x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 1.5 * (5 * x**2 - 1)

    return Legendre3


Cubic = legendre3(autodiff)


class Scaled(autodiff.autograd.Function):
    """x * k for a number k: backward returns None for the non-Tensor argument."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


def test_a_function_gradchecks_at_first_and_second_order():
    x = autodiff.tensor([0.3, -0.7, 1.1], dtype=autodiff.float64, requires_grad=True)
    assert autodiff.gradcheck(lambda x: Cubic.apply(x).sum(), [x])
    second = autodiff.grad(autodiff.grad(lambda x: Cubic.apply(x).sum()))
    np.testing.assert_allclose(
        [second(v).item() for v in (0.3, -0.7, 1.1)], [15 * v for v in (0.3, -0.7, 1.1)]
    )
    assert autodiff.gradcheck(lambda x: Scaled.apply(x, 2.5).sum(), [x])


def test_a_function_that_returns_no_tensor_or_too_few_gradients_says_so():
    class Wrong(autodiff.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g  # one gradient for two arguments: fine, k is not a Tensor

    x = autodiff.ones(2, requires_grad=True)
    Wrong.apply(x, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])

    class NoTensor(autodiff.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 3.0

    with pytest.raises(TypeError, match="NoTensor.forward returned float; expected one Tensor"):
        NoTensor.apply(x)


def test_grad_returns_gradients_without_touching_dot_grad():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    y = autodiff.tensor([3.0], requires_grad=True)
    (gx,) = autodiff.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])
    assert x.grad is None
    loss = (x * 2).sum()
    with pytest.raises(GradientError, match="grad: input 1 was not used.*allow_unused=True"):
        autodiff.autograd.grad(loss, [x, y], retain_graph=True)
    assert autodiff.autograd.grad(loss, [x, y], allow_unused=True, retain_graph=True)[1] is None
    zeros = autodiff.autograd.grad(loss, [x, y], materialize_grads=True)[1]
    np.testing.assert_array_equal(zeros.numpy(), [0.0])
    with pytest.raises(GradientError, match="grad: input 0 does not require grad"):
        autodiff.autograd.grad((x * 2).sum(), autodiff.ones(2))


def test_backward_with_inputs_fills_only_those():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    w = autodiff.tensor([3.0, 4.0], requires_grad=True)
    autodiff.autograd.backward([(x * w).sum()], inputs=[w])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_variable_is_a_tensor_sharing_memory():
    data = autodiff.ones(2)
    v = autodiff.autograd.Variable(data, requires_grad=True)
    assert v.requires_grad and not data.requires_grad
    data.numpy()[0] = 5.0
    assert v.numpy()[0] == 5.0
    with pytest.raises(TypeError, match="Variable: data must be a Tensor"):
        autodiff.autograd.Variable(np.ones(2))


def _program(torch):
    """A tutorial-style fit through a custom Function, a gradient penalty through
    autograd.grad(create_graph=True), and functional.jacobian / hessian."""
    x = torch.linspace(-1.0, 1.0, 50, dtype=torch.float64)
    y = torch.sin(x)
    a = torch.full((), 0.1, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -0.5, dtype=torch.float64, requires_grad=True)
    Legendre3 = legendre3(torch)

    for _ in range(20):
        loss = (a + b * Legendre3.apply(0.2 + 0.7 * x) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= 1e-3 * a.grad
            b -= 1e-3 * b.grad
            a.grad, b.grad = None, None
    w = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    (gw,) = torch.autograd.grad((w**3).sum() + (w * a).sum(), w, create_graph=True)
    (gw**2).sum().backward()
    jac = torch.autograd.functional.jacobian(lambda v: v**2, torch.tensor([1.0, 2.0]))
    hess = torch.autograd.functional.hessian(lambda v: (v**3).sum(), torch.tensor([1.0, 2.0]))
    return [loss.item(), a.item(), b.item(), *w.grad.tolist(), a.grad.item()], jac, hess


def test_a_pytorch_program_using_autograd_runs_as_written():
    torch = pytest.importorskip("torch")
    ours, jac, hess = _program(autodiff)
    theirs, tjac, thess = _program(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    np.testing.assert_allclose(jac.numpy(), tjac.numpy())
    np.testing.assert_allclose(hess.numpy(), thess.numpy())


def test_gradients_asked_for_leave_every_other_leafs_grad_alone():
    w = autodiff.tensor([1.0, 2.0], requires_grad=True)  # a parameter f closes over
    x = autodiff.tensor([3.0, 4.0], requires_grad=True)
    g = autodiff.grad(lambda v: (v * w).sum())(autodiff.tensor([3.0, 4.0]))
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0])
    autodiff.autograd.grad((x * w).sum(), x)
    _, pull = autodiff.vjp(lambda v: v * w, autodiff.tensor([3.0, 4.0]))
    pull(autodiff.ones(2))
    assert w.grad is None and x.grad is None


def _through_intermediates(torch):
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([2.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
    y = x * w
    z = (y * w).sum()
    a = x * 2
    b = a * 3
    found = [*torch.autograd.grad(z, [y, w, x, x], retain_graph=True)]
    found += torch.autograd.grad(b.sum(), [b, a])
    found += torch.autograd.grad(z, z)
    return [g.detach().numpy() for g in found]


def test_grad_with_respect_to_intermediate_values_walks_on_past_them():
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(_through_intermediates(autodiff), _through_intermediates(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_old_programs_variable_checks_and_non_differentiable_outputs():
    assert isinstance(autodiff.ones(2), autodiff.autograd.Variable)
    assert not isinstance(np.ones(2), autodiff.autograd.Variable)

    class Rounded(autodiff.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.round()
            ctx.mark_non_differentiable(out)
            return out

    assert not Rounded.apply(autodiff.tensor([0.4, 1.6], requires_grad=True)).requires_grad


def test_tensor_backward_with_inputs_fills_only_those():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    w = autodiff.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])
