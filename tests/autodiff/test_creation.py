"""Creation functions, the global generator, devices and dtype names (PyTorch's spellings).

Their values and dtypes are checked against PyTorch in test_pytorch_api.py; here, what holds
without it: argument forms, errors, seeding, and the names.
"""

import numpy as np
import pytest

import autodiff
import nn


def test_sizes_take_both_spellings():
    assert autodiff.zeros(2, 3).shape == autodiff.zeros((2, 3)).shape == (2, 3)
    assert autodiff.ones([4]).shape == (4,) and autodiff.zeros().shape == ()
    assert autodiff.rand(autodiff.Size([2, 2])).shape == (2, 2)
    with pytest.raises(autodiff.ShapeError, match="zeros: size \\(2, -1\\); expected non-neg"):
        autodiff.zeros(2, -1)


def test_creation_arguments():
    assert autodiff.zeros(2, requires_grad=True).requires_grad
    assert autodiff.full((2,), 3).tolist() == [3, 3] and autodiff.full(2, 1.5).dtype == np.float32
    assert autodiff.arange(3, dtype=autodiff.float32).tolist() == [0.0, 1.0, 2.0]
    assert autodiff.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="arange: step is 0"):
        autodiff.arange(0, 3, 0)
    with pytest.raises(ValueError, match="linspace: steps=-1"):
        autodiff.linspace(0, 1, -1)
    with pytest.raises(autodiff.DTypeError, match="zeros: 'nonsense' is not a dtype"):
        autodiff.zeros(2, dtype="nonsense")
    with pytest.raises(autodiff.DTypeError, match="randn: expected a floating dtype, got int64"):
        autodiff.randn(2, dtype=autodiff.long)
    with pytest.raises(ValueError, match="randint: empty range \\[3, 3\\)"):
        autodiff.randint(3, 3, (2,))
    with pytest.raises(TypeError, match="randint: got 1 arguments"):
        autodiff.randint(3)


def test_as_tensor_shares_and_tensor_copies():
    array = np.zeros(3, np.float32)
    assert autodiff.as_tensor(array).numpy() is array
    assert autodiff.as_tensor(array, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(autodiff.tensor(array).numpy(), array)
    x = autodiff.tensor([1.0])
    assert autodiff.as_tensor(x) is x
    with pytest.raises(RuntimeError, match="device: 'cuda' is not available"):
        autodiff.tensor([1.0], device="cuda")


def test_one_seed_repeats_random_tensors_initialisation_dropout_and_shuffling():
    def draw():
        layer = nn.Linear(4, 3)
        mask = nn.functional.dropout(autodiff.ones(8), 0.5)
        order = [
            int(y.item())
            for _, y in nn.data.DataLoader(
                nn.data.TensorDataset(np.zeros((5, 1)), np.arange(5)), shuffle=True
            )
        ]
        values = (autodiff.rand(3), autodiff.randn(3), autodiff.randint(10, (3,)))
        return [layer.weight.numpy(), mask.numpy(), np.array(order), *(v.numpy() for v in values)]

    assert autodiff.manual_seed is nn.manual_seed
    autodiff.manual_seed(7)
    first = draw()
    nn.manual_seed(7)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert autodiff.default_generator is nn.random.default_generator


def test_an_explicit_generator_is_used_instead_of_the_global_one():
    a = autodiff.randn(4, generator=autodiff.Generator().manual_seed(1))
    b = autodiff.randn(4, generator=autodiff.Generator().manual_seed(1))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(TypeError, match="randn: generator is a Generator; expected an autodiff"):
        autodiff.randn(4, generator=np.random.default_rng(1))
    with pytest.raises(ValueError, match=r"manual_seed: seed=-9223372036854775809"):
        autodiff.manual_seed(-(2**63) - 1)


def test_dtype_names_are_pytorchs():
    assert autodiff.float is autodiff.float32 == np.float32
    assert autodiff.double == np.float64 and autodiff.half == np.float16
    assert autodiff.long == np.int64 and autodiff.int == np.int32 and autodiff.bool == np.bool_
    namespace = {}
    exec("from autodiff import *", namespace)
    assert "float" not in namespace and "int" not in namespace and "float32" in namespace


def test_device_and_cuda():
    assert autodiff.device("cpu") == autodiff.device(autodiff.device("cpu:0"))
    assert repr(autodiff.device("cpu")) == "device(type='cpu')"
    assert not autodiff.cuda.is_available() and autodiff.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="device: 'mps' is not available"):
        autodiff.device("mps")


def test_creation_functions_take_a_device_as_pytorch_code_passes_one():
    cpu = autodiff.device("cpu")
    made = [
        autodiff.zeros(2, device=cpu),
        autodiff.ones(2, device="cpu"),
        autodiff.zeros_like(autodiff.ones(2), device=cpu),
        autodiff.ones_like(autodiff.ones(2), device=cpu),
        autodiff.full((2,), 1.0, device=cpu),
        autodiff.arange(2, device=cpu),
        autodiff.linspace(0, 1, 2, device=cpu),
        autodiff.rand(2, device=cpu),
        autodiff.randn(2, device=cpu),
        autodiff.randint(3, (2,), device=cpu),
    ]
    assert all(t.shape == (2,) for t in made)
    with pytest.raises(RuntimeError, match="device: 'cuda' is not available"):
        autodiff.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="device: 'cuda' is not available"):
        autodiff.randn(2, device="cuda")


@pytest.mark.parametrize(
    ("data", "dtype"),
    [([1, 2], "int64"), (3, "int64"), (3.0, "float32"), ([1.5], "float32"), ([True], "bool")],
)
def test_as_tensor_of_python_values_takes_tensors_dtype(data, dtype):
    """As torch.as_tensor: Python ints stay int64 (the legacy Tensor(list) makes float32)."""
    assert autodiff.as_tensor(data).dtype == getattr(autodiff, dtype)
    assert autodiff.as_tensor(data).dtype == autodiff.tensor(data).dtype


@pytest.mark.parametrize("data", [object(), "abc", {1: 2}, ["a", "b"]])
def test_a_tensor_holds_numbers_only(data):
    for make in (autodiff.tensor, autodiff.Tensor, autodiff.as_tensor):
        with pytest.raises(autodiff.DTypeError, match="values of dtype .*; expected numbers"):
            make(data)
