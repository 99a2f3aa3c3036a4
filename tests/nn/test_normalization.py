"""BatchNorm1d/2d and LayerNorm, and the Module buffers BatchNorm keeps its statistics in."""

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import ShapeError, Tensor


def test_batchnorm_state_dict_has_pytorchs_keys_shapes_and_dtypes():
    bn = nn.BatchNorm2d(3)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [state[k].shape for k in state] == [(3,), (3,), (3,), (3,), ()]
    assert state["running_mean"].dtype == autodiff.get_default_dtype()
    assert state["num_batches_tracked"].dtype == np.int64
    assert [name for name, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]


def test_batchnorm_normalizes_in_training_and_tracks_the_batches():
    bn = nn.BatchNorm1d(2, momentum=0.5)
    x = np.array([[1.0, 10.0], [3.0, 30.0]], np.float32)
    out = bn(Tensor(x)).numpy()
    np.testing.assert_allclose(out, [[-1, -1], [1, 1]], atol=1e-4)  # (x - mean) / std
    np.testing.assert_allclose(bn.running_mean.numpy(), [1.0, 10.0])  # 0.5·0 + 0.5·mean
    np.testing.assert_allclose(bn.running_var.numpy(), [1.5, 100.5])  # 0.5·1 + 0.5·unbiased var
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_rejects_wrong_ranks_channels_and_single_values():
    with pytest.raises(ShapeError, match="BatchNorm2d: input"):
        nn.BatchNorm2d(3)(Tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ShapeError, match="3 channels"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((2, 4), np.float32)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((1, 3), np.float32)))


def test_buffers_save_load_and_stay_out_of_parameters(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model(Tensor(np.random.default_rng(0).standard_normal((4, 1, 5, 5)).astype(np.float32)))
    assert len(list(model.parameters())) == 4
    assert len(list(model.buffers())) == 3
    model.save(tmp_path / "m.npz")
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    fresh.load(tmp_path / "m.npz")
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert fresh[1].num_batches_tracked.item() == 1


def test_register_buffer_non_persistent_and_replaced_buffers():
    module = nn.Module()
    module.register_buffer("scale", Tensor(np.ones(2)))
    module.register_buffer("cache", Tensor(np.zeros(3)), persistent=False)
    module.register_buffer("empty", None)
    assert list(module.state_dict()) == ["scale"]
    assert [name for name, _ in module.named_buffers()] == ["scale", "cache"]
    module.scale = Tensor(np.full(2, 5.0))  # assigning replaces the buffer
    np.testing.assert_array_equal(module.state_dict()["scale"], [5.0, 5.0])
    with pytest.raises(KeyError, match="without '.'"):
        module.register_buffer("a.b", Tensor(np.zeros(1)))


def test_module_double_and_float_convert_floating_buffers_only():
    bn = nn.BatchNorm2d(2).double()
    assert bn.running_mean.dtype == bn.running_var.dtype == bn.weight.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    bn.float()
    assert bn.running_var.dtype == np.float32


def test_layer_norm_normalizes_the_last_dims():
    x = Tensor(np.array([[1.0, 2.0, 3.0, 4.0]]))
    out = F.layer_norm(x, 4, eps=0.0).numpy()
    np.testing.assert_allclose(out, [(np.arange(4) - 1.5) / np.sqrt(1.25)])
    with pytest.raises(ShapeError, match="layer_norm: input"):
        F.layer_norm(x, 3)


torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "ours, theirs, shape",
    [
        (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 6)),
        (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 3)),
        (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 7)),
    ],
)
@pytest.mark.parametrize(
    "kwargs", [{}, {"momentum": 0.3, "eps": 1e-3}, {"momentum": None}, {"affine": False}]
)
def test_batchnorm_matches_torch_over_several_steps_and_in_eval(ours, theirs, shape, kwargs):
    rng = np.random.default_rng(0)
    a = ours(3, dtype=np.float64, **kwargs)
    b = theirs(3, dtype=torch.float64, **kwargs)
    if a.weight is not None:
        a.weight.numpy()[:] = rng.uniform(0.5, 1.5, 3)
        a.bias.numpy()[:] = rng.standard_normal(3)
    b.load_state_dict({k: torch.from_numpy(v) for k, v in a.state_dict().items()})
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        g = rng.standard_normal(shape)
        tx, ttx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = a(tx), b(ttx)
        out.backward(g)
        expected.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(tx.grad.numpy(), ttx.grad.numpy(), atol=1e-10)
    for key, value in b.state_dict().items():
        np.testing.assert_allclose(a.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)
    if a.weight is not None:
        np.testing.assert_allclose(a.weight.grad.numpy(), b.weight.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(a.bias.grad.numpy(), b.bias.grad.numpy(), atol=1e-10)
    a.eval()
    b.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(
        a(Tensor(x)).numpy(), b(torch.tensor(x)).detach().numpy(), atol=1e-12
    )


def test_batchnorm_without_running_stats_matches_torch_in_eval():
    a = nn.BatchNorm2d(2, track_running_stats=False, dtype=np.float64)
    b = torch.nn.BatchNorm2d(2, track_running_stats=False, dtype=torch.float64)
    assert list(a.state_dict()) == list(b.state_dict()) == ["weight", "bias"]
    a.eval()
    b.eval()
    x = np.random.default_rng(1).standard_normal((3, 2, 4, 4))
    np.testing.assert_allclose(
        a(Tensor(x)).numpy(), b(torch.tensor(x)).detach().numpy(), atol=1e-12
    )


def test_batchnorm_state_dict_goes_to_torch_and_back():
    a = nn.BatchNorm2d(4)
    a(Tensor(np.random.default_rng(2).standard_normal((3, 4, 2, 2)).astype(np.float32)))
    b = torch.nn.BatchNorm2d(4)
    b.load_state_dict({k: torch.from_numpy(v) for k, v in a.state_dict().items()})
    b(torch.randn(3, 4, 2, 2))
    a.load_state_dict({k: v.numpy() for k, v in b.state_dict().items()})
    for key, value in b.state_dict().items():
        np.testing.assert_array_equal(a.state_dict()[key], value.numpy(), err_msg=key)


@pytest.mark.parametrize("shape, normalized", [((4, 5), 5), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(shape, normalized):
    rng = np.random.default_rng(3)
    a = nn.LayerNorm(normalized, dtype=np.float64)
    a.weight.numpy()[:] = rng.standard_normal(a.weight.shape)
    a.bias.numpy()[:] = rng.standard_normal(a.bias.shape)
    b = torch.nn.LayerNorm(normalized, dtype=torch.float64)
    b.load_state_dict({k: torch.from_numpy(v) for k, v in a.state_dict().items()})
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    tx, ttx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a(tx).backward(g)
    out = a(Tensor(x)).numpy()
    expected = b(ttx)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(tx.grad.numpy(), ttx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(a.weight.grad.numpy(), b.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(a.bias.grad.numpy(), b.bias.grad.numpy(), atol=1e-10)


def test_batch_norm_second_derivative_matches_finite_differences():
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    w = Tensor(rng.uniform(0.5, 1.5, 2), requires_grad=True)

    def gradient_norm(x, w):
        inner = autodiff.grad(lambda x: (F.batch_norm(x, None, None, w, training=True) ** 3).sum())
        gx = inner(x)
        return (gx * gx).sum()

    assert autodiff.gradcheck(gradient_norm, [x, w])


@pytest.mark.parametrize(
    "layer", [nn.BatchNorm2d(3, dtype=np.float64), nn.LayerNorm(2, dtype=np.float64)]
)
@pytest.mark.parametrize("training", [True, False])
def test_normalization_refuses_an_input_of_another_dtype(layer, training):
    layer.train(training)
    x = Tensor(np.ones((2, 3, 2, 2), np.float32))  # float64 parameters would upcast it silently
    with pytest.raises(autodiff.DTypeError, match="input float32 with .*weight float64"):
        layer(x)
    assert layer(x.double()).dtype == np.float64


@pytest.mark.parametrize(
    "kwargs", [{}, {"bias": False}, {"affine": False}, {"momentum": None, "bias": False}]
)
def test_batchnorm_bias_flag_repr_state_and_values_match_pytorch(kwargs):
    ours, theirs = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs)
    assert repr(ours) == repr(theirs)  # PyTorch prints bias= between affine= and track_...
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    if ours.weight is not None:
        ours.weight.data.fill_(2.0)
        theirs.weight.data.fill_(2.0)
    for _ in range(2):
        np.testing.assert_allclose(
            ours(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6
        )
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-6)
