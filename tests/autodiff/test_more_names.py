"""floor, ceil, round, trunc, sign (zero gradient), sum/mean with dtype=: each under
autodiff and under torch, values, dtypes and gradients compared in float64."""

import numpy as np
import pytest

import autodiff

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
# halves (round's ties, to even), integers, negatives, zero and a NaN
X = np.concatenate(
    [np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.0, -3.0, 4.0, np.nan]), RNG.uniform(-5, 5, 11)]
)
STEPS = [
    ("floor", lambda lib, x: x.floor()),
    ("ceil", lambda lib, x: lib.ceil(x)),
    ("trunc", lambda lib, x: x.trunc()),
    ("fix", lambda lib, x: lib.fix(x)),
    ("round", lambda lib, x: x.round()),
    ("round_decimals", lambda lib, x: lib.round(x, decimals=2)),
    ("round_negative_decimals", lambda lib, x: x.round(decimals=-1)),
    ("sign", lambda lib, x: lib.sign(x)),
]


def both(fn, array, dtype=None):
    """fn's value and x's gradient (of a weighted sum of it) under each library."""
    results = []
    for lib in (autodiff, torch):
        kind = None if dtype is None else getattr(lib, dtype)
        x = lib.tensor(array.copy(), dtype=kind, requires_grad=dtype is None)
        out = fn(lib, x)
        grad = None
        if x.requires_grad:
            (out * lib.tensor(np.arange(1.0, out.numel() + 1)).reshape(out.shape)).sum().backward()
            grad = x.grad.numpy()
        results.append((out.detach().numpy(), str(out.dtype).split(".")[-1], grad))
    return results


@pytest.mark.parametrize("name, fn", STEPS, ids=[s[0] for s in STEPS])
def test_step_values_and_zero_gradients_match_torch(name, fn):
    (ours, our_dtype, our_grad), (theirs, their_dtype, their_grad) = both(fn, X)
    np.testing.assert_array_equal(ours, theirs)
    assert our_dtype == their_dtype == "float64"
    np.testing.assert_array_equal(our_grad, their_grad)
    assert not their_grad.any()  # zeros, not None, and 0 also beside the NaN


INTEGER_STEPS = [s for s in STEPS if "decimals" not in s[0]]


@pytest.mark.parametrize("name, fn", INTEGER_STEPS, ids=[s[0] for s in INTEGER_STEPS])
def test_steps_keep_an_integer_dtype(name, fn):
    (ours, our_dtype, _), (theirs, their_dtype, _) = both(fn, np.array([-3, 0, 2, 7]), "int64")
    np.testing.assert_array_equal(ours, theirs)
    assert our_dtype == their_dtype == "int64"


@pytest.mark.parametrize("name", ["floor_", "ceil_", "trunc_", "round_", "sign_"])
def test_inplace_steps_match_torch(name):
    ours, theirs = autodiff.tensor(X.copy()), torch.tensor(X.copy())
    getattr(ours, name)()
    getattr(theirs, name)()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.filterwarnings(r"ignore:Using backward\(\) with create_graph")
def test_zero_gradient_flows_on_through_a_network_and_second_derivative():
    for lib in (autodiff, torch):
        x = lib.tensor(X[9:].copy(), requires_grad=True)
        y = (x * x.floor() + x.sign() * x).sum()
        y.backward(create_graph=True)
        gx, x.grad = x.grad, None
        gx.sum().backward()
        if lib is autodiff:
            ours = gx.detach().numpy(), x.grad.numpy()
        else:
            theirs = gx.detach().numpy(), x.grad.numpy()
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_round_with_decimals_refuses_an_integer_tensor_as_torch():
    with pytest.raises(NotImplementedError):
        torch.tensor([1, 2]).round(decimals=1)
    with pytest.raises(TypeError, match=r"round: decimals=1 on an integer tensor"):
        autodiff.tensor([1, 2]).round(decimals=1)


def test_round_refuses_a_float_decimals():
    with pytest.raises(TypeError, match="round: decimals"):
        autodiff.tensor([1.25]).round(decimals=1.5)


def test_numpy_names_round_floor_sign():
    x = autodiff.tensor(X.copy())
    np.testing.assert_array_equal(autodiff.numpy.round(x, 1).numpy(), np.round(X, 1))
    np.testing.assert_array_equal(autodiff.numpy.floor(x).numpy(), np.floor(X))
    assert not hasattr(autodiff.numpy, "sign")  # numpy's sign(NaN) is NaN, PyTorch's 0


REDUCTIONS = [
    ("sum", lambda lib, x: x.sum(dtype=lib.float64)),
    ("sum_dim", lambda lib, x: lib.sum(x, 1, keepdim=True, dtype=lib.float64)),
    ("sum_to_float32", lambda lib, x: x.double().sum(0, dtype=lib.float32)),
    ("mean", lambda lib, x: x.mean(dtype=lib.float64)),
    ("mean_dim", lambda lib, x: lib.mean(x, dim=0, dtype=lib.float64)),
]


@pytest.mark.parametrize("name, fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_sum_and_mean_with_dtype_match_torch(name, fn):
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    results = []
    for lib in (autodiff, torch):
        x = lib.tensor(a.copy(), requires_grad=True)
        out = fn(lib, x)
        (
            out * lib.tensor(np.arange(1.0, out.numel() + 1), dtype=out.dtype).reshape(out.shape)
        ).sum().backward()
        results.append((out.detach().numpy(), out.dtype, x.grad.numpy(), x.grad.dtype))
    (ours, our_dtype, our_grad, our_grad_dtype), (theirs, their_dtype, their_grad, their_gd) = (
        results
    )
    assert str(our_dtype).split(".")[-1] == str(their_dtype).split(".")[-1]
    assert str(our_grad_dtype).split(".")[-1] == str(their_gd).split(".")[-1] == "float32"
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-6)


def test_sum_and_mean_with_dtype_of_integers_match_torch():
    for fn in (
        lambda lib, x: x.sum(dtype=lib.float64),
        lambda lib, x: x.mean(dtype=lib.float64),
        lambda lib, x: x.sum(dim=0, dtype=lib.int32),
        lambda lib, x: (x * 0.75).sum(dtype=lib.int64),  # each value truncated, then summed
    ):
        ours = fn(autodiff, autodiff.tensor([[1, 2], [4, 7]]))
        theirs = fn(torch, torch.tensor([[1, 2], [4, 7]]))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


def test_numpy_sum_and_mean_take_dtype_as_numpy():
    a = np.array([[1, 2], [4, 7]])
    x = autodiff.tensor(a)
    np.testing.assert_array_equal(
        autodiff.numpy.sum(x, 0, "float32").numpy(), np.sum(a, 0, "float32")
    )
    assert autodiff.numpy.mean(x, dtype="float32").numpy().dtype == np.float32
