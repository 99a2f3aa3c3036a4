"""autodiff.numpy speaks numpy: each function gives numpy's value for numpy's arguments, and a
gradient that matches finite differences (float64).
"""

import numpy as np
import pytest

import autodiff
import autodiff.numpy as anp

X = np.random.default_rng(3).standard_normal((2, 3, 4))

CASES = {
    "transpose": (lambda m, x: m.transpose(x, (2, 0, 1)), {}),
    "transpose_reversed": (lambda m, x: m.transpose(x), {}),
    "swapaxes": (lambda m, x: m.swapaxes(x, 0, 2), {}),
    "std": (lambda m, x: m.std(x, axis=1), {}),
    "std_ddof": (lambda m, x: m.std(x, axis=(0, 2), ddof=1, keepdims=True), {}),
    "var": (lambda m, x: m.var(x), {}),
    "max": (lambda m, x: m.max(x, axis=1), {}),
    "min_axes": (lambda m, x: m.min(x, axis=(0, 2), keepdims=True), {}),
    "amax": (lambda m, x: m.amax(x, -1), {}),
    "sum": (lambda m, x: m.sum(x, axis=(1, 2)), {}),
    "mean": (lambda m, x: m.mean(x, axis=-1, keepdims=True), {}),
    "prod": (lambda m, x: m.prod(x, axis=1), {}),
    "split_sections": (lambda m, x: m.split(x, 2, axis=2)[1], {}),
    "split_indices": (lambda m, x: m.split(x, [1, 2], axis=1)[2], {}),
    "concatenate": (lambda m, x: m.concatenate([x, x * 2], axis=1), {}),
    "stack": (lambda m, x: m.stack([x, x], axis=-1), {}),
    "reshape": (lambda m, x: m.reshape(x, (4, 6)), {}),
    "clip": (lambda m, x: m.clip(x, -0.5, 0.5), {}),
    "where": (lambda m, x: m.where(x > 0, x, -x), {}),
    "exp_log": (lambda m, x: m.log(m.exp(x) + 1.0), {}),
    "tanh_sin_cos_sqrt": (lambda m, x: m.tanh(x) + m.sin(x) * m.cos(x) + m.sqrt(m.abs(x) + 1), {}),
    "maximum_minimum": (lambda m, x: m.maximum(x, 0.3) + m.minimum(x, -0.3), {}),
    "expand_squeeze": (lambda m, x: m.squeeze(m.expand_dims(x, 1), 1), {}),
    "take_along_axis": (lambda m, x: m.take_along_axis(x, np.zeros((2, 1, 4), int), 1), {}),
}


@pytest.mark.parametrize("name", CASES)
def test_values_match_numpy(name):
    fn, _ = CASES[name]
    np.testing.assert_allclose(fn(anp, autodiff.tensor(X)).numpy(), fn(np, X), rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_finite_differences(name):
    fn, _ = CASES[name]
    x = autodiff.tensor(X, requires_grad=True)
    weights = autodiff.tensor(np.arange(1.0, fn(np, X).size + 1).reshape(fn(np, X).shape))
    assert autodiff.gradcheck(lambda x: (fn(anp, x) * weights).sum(), [x])


def test_creation_uses_numpys_dtypes_and_copies():
    assert anp.zeros(3).dtype == np.float64 and anp.ones((2, 2), int).dtype == np.int64
    source = np.ones(2)
    made = anp.array(source)
    source[0] = 5.0
    assert made.dtype == np.float64 and made.tolist() == [1.0, 1.0]
    assert anp.array([1.0]).dtype == np.float64  # numpy's default, not PyTorch's float32
    assert anp.asarray(source).numpy() is source


def test_matmul_promotes_as_numpy_and_keeps_each_gradients_dtype():
    a = autodiff.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    b = autodiff.tensor(np.ones((3, 2)), requires_grad=True)
    out = anp.matmul(a, b)
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_split_into_unequal_sections_is_refused_as_numpy_does():
    with pytest.raises(ValueError, match="split: axis 2 of size 4 cannot be split into 3"):
        anp.split(autodiff.tensor(X), 3, axis=2)
    with pytest.raises(ValueError):
        np.split(X, 3, axis=2)


def test_the_two_namespaces_differ_where_numpy_and_pytorch_do():
    x = autodiff.tensor(X[0])  # (3, 4)
    assert anp.transpose(x).shape == autodiff.transpose(x, 0, 1).shape == (4, 3)
    assert anp.std(x).item() == pytest.approx(X[0].std())
    assert autodiff.std(x).item() == pytest.approx(X[0].std(ddof=1))
    assert isinstance(anp.max(x, 1), autodiff.Tensor)
    values, indices = autodiff.max(x, 1)
    np.testing.assert_array_equal(indices.numpy(), X[0].argmax(1))
    assert [p.shape for p in anp.split(x, 2, axis=1)] == [(3, 2), (3, 2)]
    assert [p.shape for p in autodiff.split(x, 3, dim=1)] == [(3, 3), (3, 1)]


def test_activations_and_softmax_match_scipys_meanings():
    x = autodiff.tensor(X)
    np.testing.assert_allclose(anp.sigmoid(x).numpy(), 1 / (1 + np.exp(-X)), rtol=1e-12)
    np.testing.assert_allclose(anp.relu(x).numpy(), np.maximum(X, 0))
    softmax = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(anp.softmax(x, axis=1).numpy(), softmax, rtol=1e-12)
    np.testing.assert_allclose(anp.log_softmax(x, axis=1).numpy(), np.log(softmax), rtol=1e-12)
    np.testing.assert_allclose(anp.softplus(x).numpy(), np.log1p(np.exp(X)), rtol=1e-12)


def test_dtypes_of_results_are_numpys():
    ints = np.array([1, 2, 4])
    for name, call in {
        "exp_list": lambda m: m.exp([0.5, 1.5]),
        "exp_int64": lambda m: m.exp(ints),
        "exp_int8": lambda m: m.exp(ints.astype(np.int8)),
        "sqrt_int16": lambda m: m.sqrt(ints.astype(np.int16)),
        "tanh_bool": lambda m: m.tanh(ints > 1),
        "log_float": lambda m: m.log(2.0),
        "sum_list": lambda m: m.sum([0.5, 1.5]),
        "mean_int": lambda m: m.mean(ints),
        "mean_int8": lambda m: m.mean(ints.astype(np.int8)),
        "var_int": lambda m: m.var(ints),
        "std_int": lambda m: m.std(ints, ddof=1),
        "maximum_list": lambda m: m.maximum([0.5, 3.0], 1.0),
        "maximum_float32_number": lambda m: m.maximum(np.ones(2, np.float32), 2.5),
        "where_lists": lambda m: m.where(ints > 1, [0.5, 1.0, 2.0], 0.0),
        "concatenate_mixed": lambda m: m.concatenate([ints, [0.5]]),
        "stack_lists": lambda m: m.stack([[0.5], [1.5]]),
        "matmul_lists": lambda m: m.matmul([[0.5, 1.0]], [[1.0], [2.0]]),
    }.items():
        ours, theirs = call(anp), np.asarray(call(np))
        assert ours.dtype == theirs.dtype, name
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-3, err_msg=name)


@pytest.mark.parametrize(
    "name", ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp", "argmax", "argmin"]
)
def test_reductions_take_pytorchs_spelling_with_numpys_meaning(name):
    x = autodiff.tensor(X)
    by_numpy = getattr(anp, name)(x, axis=1, keepdims=True)
    by_pytorch = getattr(anp, name)(x, dim=1, keepdim=True)
    np.testing.assert_array_equal(by_pytorch.data, by_numpy.numpy())
    with pytest.raises(TypeError, match=f"{name}: got both axis=1 and dim=1; expected one"):
        getattr(anp, name)(x, axis=1, dim=1)
