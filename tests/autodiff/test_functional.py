"""grad, value_and_grad, vjp, jvp, jacobian, hessian, gradcheck."""

import numpy as np
import pytest

import autodiff as ad


def test_grad_of_grad_of_cube_is_6x():
    d2 = ad.grad(ad.grad(lambda x: x**3))
    assert d2(1.5).item() == pytest.approx(9.0)  # 6x (3x² would be 6.75)
    assert ad.grad(ad.grad(ad.grad(lambda x: x**3)))(1.5).item() == pytest.approx(6.0)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    a = np.random.default_rng(0).standard_normal((3, 3))
    h = ad.hessian(lambda x: x @ ad.Tensor(a) @ x)(np.ones(3))
    np.testing.assert_allclose(h.numpy(), a + a.T, rtol=1e-12)


def test_grad_with_several_argnums_and_value():
    value, (ga, gb) = ad.value_and_grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(
        np.array([1.0, 2.0]), np.array([3.0, 4.0])
    )
    assert value.item() == 11.0
    np.testing.assert_array_equal(ga.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, 2.0])


def test_grad_needs_a_scalar_function():
    with pytest.raises(ad.GradientError, match=r"grad: f must return a scalar Tensor, got \(2,\)"):
        ad.grad(lambda x: x * 2)(np.ones(2))


def test_grad_leaves_dot_grad_alone():
    x = ad.Tensor(np.ones(2), requires_grad=True)
    ad.grad(lambda x: (x * x).sum())(x)
    assert x.grad is None


def test_vjp_and_jvp_agree_with_the_jacobian():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 4))

    def f(x):
        return (ad.Tensor(w) @ x).tanh()

    x = rng.standard_normal(4)
    jac = ad.jacobian(f)(x).numpy()
    u, v = rng.standard_normal(3), rng.standard_normal(4)
    out, vjp_fn = ad.vjp(f, x)
    np.testing.assert_allclose(vjp_fn(u)[0].numpy(), u @ jac, rtol=1e-10)
    out2, tangent = ad.jvp(f, [x], [v])
    np.testing.assert_allclose(tangent.numpy(), jac @ v, rtol=1e-10)
    np.testing.assert_allclose(out.numpy(), out2.numpy())
    expected = (1 - np.tanh(w @ x) ** 2)[:, None] * w
    np.testing.assert_allclose(jac, expected, rtol=1e-10)


def test_gradcheck_reports_input_element_and_values():
    @ad.primitive(samples=[ad.Sample((3,))])
    def wrong_square(x):
        """out = x², with a VJP off by a factor of 2."""
        return x * x, x

    @wrong_square.defvjp
    def wrong_square_vjp(ctx, g):
        return (g * ctx.saved,)

    from autodiff.primitive import registry

    del registry["wrong_square"]
    x = ad.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(ad.GradientError) as info:
        ad.gradcheck(lambda x: wrong_square(x).sum(), [x])
    message = str(info.value)
    assert "input 0" in message and "element (2,)" in message
    assert "analytic 3" in message and "numeric 6" in message


def test_gradcheck_refuses_float32():
    x = ad.Tensor([1.0], requires_grad=True)
    with pytest.raises(ad.DTypeError, match="expected float64"):
        ad.gradcheck(lambda x: x * 2, [x])


def test_jvp_nests_inside_grad():
    def directional(x):
        return ad.jvp(lambda y: (y**3).sum(), [x], [np.ones(2)])[1]  # Σ 3 y²

    np.testing.assert_allclose(ad.grad(directional)(np.array([1.0, 2.0])).numpy(), [6.0, 12.0])


def test_gradcheck_leaves_existing_gradients_alone():
    x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    ad.gradcheck(lambda x: (x * x).sum(), [x])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_gradcheck_refuses_to_check_nothing():
    x = ad.Tensor(np.array([1.0, 2.0]))  # requires no grad
    with pytest.raises(ad.GradientError, match="no input requires grad"):
        ad.gradcheck(lambda x: (x * x).sum(), [x])


def test_gradcheck_checks_float64_numpy_arrays_as_variables():
    mask = np.array([True, False, True])
    assert ad.gradcheck(lambda a, m: (a * a * m).sum(), [np.array([1.0, 2.0, 3.0]), mask])

    def wrong(a):
        return ad.Tensor(a.numpy() * 2, requires_grad=True).sum()  # cut from a: gradient 0

    with pytest.raises(ad.GradientError, match="input 0"):
        ad.gradcheck(wrong, [np.array([1.0, 2.0])])
    with pytest.raises(ad.DTypeError, match="input 0 is a float32 array; expected float64"):
        ad.gradcheck(lambda a: a.sum(), [np.ones(2, np.float32)])


def test_hessian_and_jacobian_of_a_0d_function_of_a_0d_input():
    assert ad.hessian(lambda x: x**3)(1.5).item() == pytest.approx(9.0)  # 6x
    jac = ad.jacobian(lambda x: x**3)(1.5)
    assert jac.shape == () and jac.item() == pytest.approx(6.75)  # 3x²


def test_jacobian_of_a_0d_output_has_the_inputs_shape_and_of_a_0d_input_the_outputs():
    x = np.array([0.5, -1.0, 2.0])
    jac = ad.jacobian(lambda x: (x * x).sum())(x)
    assert jac.shape == (3,)
    np.testing.assert_allclose(jac.numpy(), 2 * x)
    jac = ad.jacobian(lambda t: ad.Tensor(x) * t)(2.0)
    assert jac.shape == (3,)
    np.testing.assert_allclose(jac.numpy(), x)


def test_jacobian_of_a_function_returning_a_tuple_with_several_argnums():
    """PyTorch's nesting: one entry per output, each one Jacobian per argument."""
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])

    def f(x, y):
        return x.sum() * y, (x * x).sum()

    (jyx, jyy), (jsx, jsy) = ad.jacobian(f, argnums=(0, 1))(x, y)
    assert (jyx.shape, jyy.shape, jsx.shape, jsy.shape) == ((3, 2), (3, 3), (2,), (3,))
    np.testing.assert_allclose(jyx.numpy(), np.repeat(y[:, None], 2, axis=1))
    np.testing.assert_allclose(jyy.numpy(), 3 * np.eye(3))
    np.testing.assert_allclose(jsx.numpy(), 2 * x)
    np.testing.assert_allclose(jsy.numpy(), 0)
    first, second = ad.jacobian(f)(x, y)  # one argnum: one Jacobian per output
    assert first.shape == (3, 2) and second.shape == (2,)


def test_hessian_with_several_argnums_gives_every_block():
    x, y = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    blocks = ad.hessian(lambda x, y: (x * x * y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(blocks[0][0].numpy(), np.diag(2 * y))
    np.testing.assert_allclose(blocks[0][1].numpy(), np.diag(2 * x))
    np.testing.assert_allclose(blocks[1][0].numpy(), np.diag(2 * x))
    np.testing.assert_allclose(blocks[1][1].numpy(), 0)


def test_jacobian_and_hessian_shapes_match_pytorchs():
    torch = pytest.importorskip("torch")

    def f(x, y):
        return (x.sum() * y).tanh(), (x * x).sum() * y.sum()

    x, y = np.array([0.1, 0.2]), np.array([0.3, -0.4, 0.5])
    ours = ad.jacobian(f, argnums=(0, 1))(x, y)
    theirs = torch.autograd.functional.jacobian(f, (torch.tensor(x), torch.tensor(y)))
    for row, their_row in zip(ours, theirs):
        for block, their_block in zip(row, their_row):
            np.testing.assert_allclose(block.numpy(), their_block.numpy(), rtol=1e-12)

    def g(x, y):
        return (x.sum() * y).tanh().sum()

    ours = ad.hessian(g, argnums=(0, 1))(x, y)
    theirs = torch.autograd.functional.hessian(g, (torch.tensor(x), torch.tensor(y)))
    for row, their_row in zip(ours, theirs):
        for block, their_block in zip(row, their_row):
            np.testing.assert_allclose(block.numpy(), their_block.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "argnums, error, message",
    [
        (2, ValueError, r"argnums refers to argument 2, but f was called with 2 positional"),
        ((0, 0), ValueError, r"names an argument twice"),
        ((), ValueError, r"argnums=\(\); expected at least one"),
        ("x", TypeError, r"argnums='x'; expected an int or a sequence of ints"),
        (1.0, TypeError, r"expected an int or a sequence of ints"),
    ],
)
def test_bad_argnums_are_refused_naming_the_transform(argnums, error, message):
    for transform in (ad.grad, ad.jacobian, ad.hessian):
        with pytest.raises(error, match=message):
            transform(lambda x, y: (x * y).sum(), argnums=argnums)(np.ones(2), np.ones(2))
