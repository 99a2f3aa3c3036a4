"""Hand-checkable cases for the primitives: kinks, ties, stability, broadcasting, indexing.

Finite-difference checks of every primitive live in test_primitives.py.
"""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp


def f64(x, **kw):
    return ad.Tensor(np.asarray(x, dtype=np.float64), **kw)


def grad_of(fn, x):
    x = f64(x, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


def test_mul_gradient_by_hand():
    a = ad.Tensor([2.0, 3.0], requires_grad=True)
    b = ad.Tensor(5.0, requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 5.0])  # d/da_i = b
    assert b.grad.item() == 5.0  # d/db = a_0 + a_1


def test_broadcast_gradients_are_summed_back_to_each_input():
    a = f64(np.ones((3, 1)), requires_grad=True)
    b = f64(np.arange(4.0).reshape(1, 4), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 6.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full((1, 4), 3.0))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min", "var", "std", "logsumexp"])
def test_reductions_match_finite_differences(reduction, axis, keepdims):
    x = f64(np.random.default_rng(1).standard_normal((2, 3, 4)), requires_grad=True)

    def f(x):
        s = getattr(anp, reduction)(x, axis=axis, keepdims=keepdims)
        return (s * s).sum()  # non-constant g, so a misplaced axis shows up

    assert ad.gradcheck(f, [x])


@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min", "var", "std", "logsumexp"])
def test_reductions_match_numpy(reduction):
    data = np.random.default_rng(2).standard_normal((3, 4))
    expected = {"logsumexp": np.log(np.exp(data).sum(axis=1))}.get(reduction)
    if expected is None:
        expected = getattr(data, reduction)(axis=1)
    actual = getattr(anp, reduction)(f64(data), axis=1).numpy()  # numpy's meanings: std with ddof=0
    np.testing.assert_allclose(actual, expected, rtol=1e-12)


def test_values_at_kinks_follow_pytorch():
    assert grad_of(ad.relu, [0.0]).tolist() == [0.0]
    assert grad_of(ad.abs, [0.0]).tolist() == [0.0]
    with np.errstate(divide="ignore"):
        assert grad_of(ad.sqrt, [0.0]).tolist() == [np.inf]
    assert grad_of(lambda x: x.clip(-1.0, 1.0), [-1.0, 1.0, 2.0]).tolist() == [1.0, 1.0, 0.0]
    assert grad_of(lambda x: x.leaky_relu(0.1), [0.0]).tolist() == [pytest.approx(0.1)]
    assert grad_of(ad.softplus, [0.0]).tolist() == [0.5]
    assert grad_of(ad.log_sigmoid, [0.0]).tolist() == [0.5]


def test_ties_share_the_gradient_equally():
    assert grad_of(lambda x: x.max(), [1.0, 1.0]).tolist() == [0.5, 0.5]
    assert grad_of(lambda x: anp.min(x, axis=0), [2.0, 2.0, 2.0, 3.0]).tolist() == pytest.approx(
        [1 / 3, 1 / 3, 1 / 3, 0.0]
    )
    a, b = f64(1.0, requires_grad=True), f64(1.0, requires_grad=True)
    ad.maximum(a, b).backward()
    assert (a.grad.item(), b.grad.item()) == (0.5, 0.5)
    a.grad = b.grad = None
    ad.minimum(a, b).backward()
    assert (a.grad.item(), b.grad.item()) == (0.5, 0.5)


def test_max_with_a_dim_gives_the_gradient_to_the_returned_index_only():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    assert grad_of(lambda x: x.max(dim=1).values, x).tolist() == [[0, 1, 0], [1, 0, 0]]
    assert grad_of(lambda x: x.min(0)[0], [[1.0, 0.0], [1.0, 0.0]]).tolist() == [[1, 1], [0, 0]]
    assert grad_of(lambda x: x.amax(dim=1), x).tolist() == [[0, 0.5, 0.5], [0.5, 0.5, 0]]


def test_nans_share_the_gradient_of_a_max_they_win():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 when no entry equals a NaN maximum
        gx = grad_of(lambda x: x.max(), [np.nan, 1.0, np.nan])
        assert gx.tolist() == [0.5, 0.0, 0.5]  # PyTorch's values
        gx = grad_of(lambda x: x.amin(dim=1), [[np.nan, 1.0], [2.0, 3.0]])
        assert gx.tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_max_over_an_empty_dim_names_the_op_but_an_empty_result_is_fine():
    assert ad.zeros(0, 3).amax(dim=1).shape == (0,)
    assert ad.zeros(0, 3).max(dim=1).indices.shape == (0,)
    with pytest.raises(ValueError, match=r"max: cannot reduce input \(2, 0\) over dim 1"):
        ad.zeros(2, 0).amax(dim=1)
    with pytest.raises(ValueError, match=r"min: cannot reduce input \(0,\) over dim 0"):
        ad.zeros(0).min()
    with pytest.raises(ValueError, match=r"argmax: cannot reduce input \(2, 0\) over dim 1"):
        ad.zeros(2, 0).max(dim=1)


@pytest.mark.parametrize("fn", [ad.sigmoid, ad.softplus, ad.log_sigmoid, ad.tanh])
def test_activations_are_stable_at_plus_minus_1000(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float32, np.float64):
            x = ad.Tensor(np.array([-1000.0, 1000.0], dtype=dtype), requires_grad=True)
            y = fn(x)
            y.sum().backward()
            assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(ad.log_sigmoid(f64([-1000.0])).numpy(), [-1000.0])
    np.testing.assert_allclose(ad.softplus(f64([1000.0])).numpy(), [1000.0])


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "logsumexp"])
def test_large_logits_give_finite_values_and_gradients(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ad.Tensor(np.array([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]], np.float32), requires_grad=True)
        y = getattr(x, fn)(axis=-1)
        (y * ad.Tensor(np.arange(y.size, dtype=np.float32).reshape(y.shape))).sum().backward()
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    if fn == "softmax":
        np.testing.assert_allclose(y.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_softmax_cross_entropy_matches_log_softmax_and_indexing():
    rng = np.random.default_rng(3)
    logits = f64(rng.standard_normal((5, 4)), requires_grad=True)
    target = np.array([0, 3, 1, 1, 2])
    fused = ad.softmax_cross_entropy(logits, target)
    composed = -logits.log_softmax(axis=1)[np.arange(5), target]
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-12)
    assert ad.gradcheck(lambda x: ad.softmax_cross_entropy(x, target).mean(), [logits])
    with pytest.raises(ValueError, match="expected class indices in 0..3"):
        ad.softmax_cross_entropy(logits, np.array([0, 4, 1, 1, 2]))


def test_repeated_indices_accumulate():
    x = f64(np.zeros(4), requires_grad=True)
    x[np.array([0, 2, 2, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 3.0, 0.0])


def test_boolean_mask_and_slice_gradients_scatter_back():
    x = f64(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x[x > 2] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [2, 2, 2]])
    x.grad = None
    x[:, 1:].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 1], [0, 1, 1]])


def test_concatenate_stack_split_take_along_axis_gradients():
    rng = np.random.default_rng(4)
    a = f64(rng.standard_normal((2, 3)), requires_grad=True)
    b = f64(rng.standard_normal((2, 2)), requires_grad=True)
    assert ad.gradcheck(lambda a, b: anp.concatenate([a, b], axis=1) ** 2, [a, b])
    assert ad.gradcheck(lambda a: anp.stack([a, a * 2], axis=1) ** 2, [a])
    assert ad.gradcheck(lambda a: anp.split(a, [1, 2], axis=1)[1] ** 2, [a])
    index = np.array([[2, 0], [1, 1]])
    assert ad.gradcheck(lambda a: a.take_along_axis(index, axis=1) ** 2, [a])
    assert ad.gradcheck(lambda a: a.gather(1, index).sum(), [a])


def test_where_gradient_goes_to_the_chosen_side():
    a = f64([1.0, 2.0, 3.0], requires_grad=True)
    b = f64(10.0, requires_grad=True)
    ad.where(a > 1.5, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 1.0])
    assert b.grad.item() == 1.0


def test_matmul_shapes_follow_numpy():
    rng = np.random.default_rng(5)
    for sa, sb in [((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((5, 2, 3), (3, 4))]:
        a = f64(rng.standard_normal(sa), requires_grad=True)
        b = f64(rng.standard_normal(sb), requires_grad=True)
        assert (a @ b).shape == np.matmul(a.numpy(), b.numpy()).shape
        assert ad.gradcheck(lambda a, b: a @ b, [a, b])


def test_float32_gradients_stay_float32():
    x = ad.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = ad.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    ((x @ w).tanh().mean() * 2.0 + (x**2).sum() / 3).backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_erf_matches_math_erf_to_a_relative_2e_minus_7():
    import math

    x = np.concatenate([np.linspace(-5.0, 5.0, 2001), [1e-8, -1e-6, 0.49999, 0.50001]])
    ours = ad.erf(f64(x)).numpy()
    reference = np.array([math.erf(v) for v in x])
    nonzero = reference != 0
    assert np.max(np.abs(ours - reference)[nonzero] / np.abs(reference[nonzero])) < 2e-7
    t = ad.Tensor(np.ones(3, np.float32), requires_grad=True)
    ad.erf(t).sum().backward()
    assert ad.erf(t).dtype == np.float32 and t.grad.dtype == np.float32


def test_pow_kinks_follow_pytorch():
    a = f64([0.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (a**0.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])  # d/da a**0 = 0, even at a = 0
    b = f64(2.0, requires_grad=True)
    (f64([0.0, 3.0]) ** b).sum().backward()
    assert b.grad.item() == pytest.approx(9.0 * np.log(3.0))  # the base 0 adds 0, not NaN


def test_transpose_accepts_negative_axes():
    x = f64(np.random.default_rng(6).standard_normal((2, 3, 4)), requires_grad=True)
    assert x.permute(-1, 0, 1).shape == (4, 2, 3)
    assert ad.gradcheck(lambda x: x.permute(-1, 0, 1) * f64(np.arange(24.0).reshape(4, 2, 3)), [x])


def test_pow_exponent_gradient_at_a_negative_base_is_nan_as_in_pytorch():
    b = f64(2.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        (f64([-2.0, 3.0]) ** b).sum().backward()
    assert np.isnan(b.grad.item())


def test_logsumexp_of_all_minus_inf_is_minus_inf_without_a_warning():
    x = ad.tensor([[-np.inf, -np.inf], [0.0, 1.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ad.logsumexp(x, dim=1)
    assert out.numpy()[0] == -np.inf
    np.testing.assert_allclose(out.numpy()[1], np.log(1 + np.e), rtol=1e-6)
