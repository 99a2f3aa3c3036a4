"""Tests of the layers: Linear and its initialisation, Sequential, MLP, Flatten."""

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor, gradcheck


def test_linear_matches_numpy_with_pytorch_shapes():
    layer = nn.Linear(3, 2, dtype=np.float64)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert np.abs(layer.bias.numpy()).max() <= 1 / np.sqrt(3)  # PyTorch's U(±1/√in)
    layer.bias.numpy()[:] = [0.5, -1.0]
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), x @ layer.weight.numpy().T + [0.5, -1.0])


def test_linear_gradients_match_finite_differences():
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    weights = np.random.default_rng(2).standard_normal((4, 2))

    def f(x, weight, bias):
        return (nn.functional.linear(x, weight, bias) * weights).sum()

    gradcheck(f, [x, layer.weight, layer.bias])


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert "bias=False" in repr(layer)


def test_linear_takes_the_default_dtype_or_its_own():
    assert nn.Linear(2, 2).weight.dtype == autodiff.get_default_dtype()
    assert nn.Linear(2, 2, dtype=np.float64).weight.dtype == np.float64


@pytest.mark.parametrize(
    ("init", "bound"),
    [("xavier", np.sqrt(6 / (200 + 100))), ("kaiming", np.sqrt(6 / 200))],
)
def test_linear_init_draws_uniformly_within_the_bound(init, bound):
    weight = nn.Linear(200, 100, init=init, dtype=np.float64).weight.numpy()
    assert np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.98 * bound  # 20000 draws reach the edge
    np.testing.assert_allclose(weight.std(), bound / np.sqrt(3), rtol=0.02)  # U(-a, a)


def test_linear_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Linear: unknown init 'he'"):
        nn.Linear(2, 2, init="he")
    with pytest.raises(ValueError, match="Linear: out_features=0; expected a positive integer"):
        nn.Linear(2, 0)
    with pytest.raises(ValueError, match=r"linear: input \(1, 3\) and weight \(2, 2\)"):
        nn.Linear(2, 2)(Tensor(np.ones((1, 3), np.float32)))


def test_linear_scope_label_names_the_sizes():
    assert nn.Linear(784, 256).scope_label() == "Linear(784→256)"
    assert nn.ReLU().scope_label() == "ReLU"


def test_sequential_applies_modules_in_order_and_indexes_like_a_list():
    first, second = nn.Linear(2, 3, dtype=np.float64), nn.Linear(3, 1, dtype=np.float64)
    model = nn.Sequential(first, nn.Tanh(), second)
    x = np.random.default_rng(3).standard_normal((5, 2))
    hidden = np.tanh(x @ first.weight.numpy().T + first.bias.numpy())
    expected = hidden @ second.weight.numpy().T + second.bias.numpy()
    np.testing.assert_allclose(model(Tensor(x)).numpy(), expected)
    assert len(model) == 3 and model[0] is first and model[-1] is second
    assert list(model) == [first, model[1], second]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head[0] is first
    np.testing.assert_allclose(head(Tensor(x)).numpy(), hidden)
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


def test_mlp_builds_linear_layers_with_activations_between():
    model = nn.MLP([4, 8, 6, 2], activation="tanh", output_activation="sigmoid")
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    assert [name for name, _ in model.named_parameters()][:3] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
    ]
    assert model(Tensor(np.ones((3, 4), np.float32))).shape == (3, 2)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu", "leaky_relu"])
def test_mlp_accepts_each_activation_name(activation):
    model = nn.MLP([2, 3, 1], activation=activation)
    assert type(model.layers[1]).__name__.lower().replace("_", "") == activation.replace("_", "")


def test_mlp_accepts_a_module_class_and_matches_the_composed_layers():
    model = nn.MLP([3, 4, 2], activation=nn.Tanh, dtype=np.float64)
    first, last = model.layers[0], model.layers[2]
    x = np.random.default_rng(4).standard_normal((2, 3))
    expected = np.tanh(x @ first.weight.numpy().T) @ last.weight.numpy().T
    np.testing.assert_allclose(model(Tensor(x)).numpy(), expected)


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="MLP: sizes \\[3\\]; expected at least"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="MLP: unknown activation 'swish'"):
        nn.MLP([3, 2], activation="swish")
    with pytest.raises(TypeError, match="output_activation must be a name or a Module class"):
        nn.MLP([3, 2], output_activation=nn.ReLU())


def test_flatten_merges_all_but_the_batch_axis():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    out = nn.Flatten()(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy().reshape(2, 12))
    assert nn.Flatten(0)(x).shape == (24,)
    assert nn.Flatten(1, 1)(x).shape == (2, 3, 4)
    gradcheck(lambda x: (nn.Flatten()(x) * np.arange(24.0).reshape(2, 12)).sum(), [x])
