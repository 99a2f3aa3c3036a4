"""Conv2d, pooling layers, Dropout2d, Embedding and the new functional twins: shapes,
initialisation, errors, and values and gradients against PyTorch."""

import math

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import ShapeError, Tensor


def test_conv2d_shapes_dtype_and_parameters():
    nn.manual_seed(0)
    conv = nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    assert conv.weight.dtype == autodiff.get_default_dtype()
    out = conv(Tensor(np.zeros((5, 4, 9, 8), np.float32)))
    assert out.shape == (5, 6, 5, 5) and out.dtype == np.float32
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None


def test_conv2d_initialises_as_pytorch_kaiming_uniform_a_sqrt5():
    nn.manual_seed(1)
    conv = nn.Conv2d(8, 64, 3)
    bound = 1 / math.sqrt(8 * 3 * 3)  # gain √(2 / (1 + 5)) · √(3 / fan_in)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.9 * bound  # the whole range is used
    assert abs(conv.weight.numpy().std() - bound / math.sqrt(3)) < 0.05 * bound


def test_conv2d_rejects_bad_arguments():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="Conv2d: groups=0; expected a positive integer"):
        nn.Conv2d(3, 3, 3, groups=0)  # not a ZeroDivisionError
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size=\(3, 0\); expected positive"):
        nn.Conv2d(3, 3, (3, 0))
    with pytest.raises(ValueError, match="Conv2d: stride=0; expected positive"):
        nn.Conv2d(3, 3, 3, stride=0)  # at construction, not at the first forward
    with pytest.raises(ShapeError, match=r"conv2d: input \(2, 3\)"):
        F.conv2d(Tensor(np.zeros((2, 3))), nn.Conv2d(3, 4, 3).weight)


def test_unbatched_image_gives_unbatched_output():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = np.random.default_rng(0).standard_normal((2, 5, 5)).astype(np.float32)
    out = conv(Tensor(x))
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.numpy(), conv(Tensor(x[None])).numpy()[0])
    assert F.max_pool2d(Tensor(x), 2).shape == (2, 2, 2)


def test_the_tape_shows_only_the_arguments_set_away_from_their_defaults():
    x = Tensor(np.zeros((1, 1, 6, 6), np.float32))
    listing = autodiff.tape_listing(nn.Conv2d(1, 2, 3, padding=1)(x).sum())
    assert "conv2d(t1, weight, bias, padding=(1, 1))" in listing
    assert "stride" not in listing and "dilation" not in listing


def test_pool_layers_shapes_and_unsupported_modes():
    x = Tensor(np.zeros((2, 3, 8, 6), np.float32))
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 3)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 6)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveAvgPool2d((3, 4))(x).shape == (2, 3, 3, 4)
    with pytest.raises(NotImplementedError, match="ceil_mode=True"):
        nn.MaxPool2d(2, ceil_mode=True)


def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    nn.manual_seed(0)
    x = Tensor(np.ones((4, 16, 3, 3), np.float32))
    out = nn.Dropout2d(0.5)(x).numpy()
    per_channel = out.reshape(4, 16, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # whole channels
    assert set(np.unique(out)) == {0.0, 2.0}
    drop = nn.Dropout2d(0.5)
    drop.eval()
    assert drop(x) is x or np.array_equal(drop(x).numpy(), x.numpy())


def test_embedding_picks_rows_and_padding_row_gets_no_gradient():
    nn.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.numpy()[0], 0)
    idx = np.array([[0, 2], [2, 4]])
    out = emb(idx)
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[idx])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 0, 2, 0, 1])
    with pytest.raises(IndexError, match="embedding: indices 0..5 for 5 embeddings"):
        emb(np.array([0, 5]))
    with pytest.raises(TypeError, match="integer"):
        emb(np.array([0.0]))


torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _twin(ours, theirs):
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return theirs


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1},
        {"padding": "same", "dilation": 2},
        {"groups": 2, "bias": False},
        {"padding": 2, "padding_mode": "reflect"},
        {"padding": (1, 2), "padding_mode": "replicate"},
        {"padding": 1, "padding_mode": "circular"},
    ],
)
def test_conv2d_layer_matches_torch(kwargs):
    ours = nn.Conv2d(4, 6, 3, dtype=np.float64, **kwargs)
    theirs = _twin(ours, torch.nn.Conv2d(4, 6, 3, dtype=torch.float64, **kwargs))
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 6))
    tx = Tensor(x, requires_grad=True)
    out = ours(tx)
    (out * out).sum().backward()
    ttx = torch.tensor(x, requires_grad=True)
    expected = theirs(ttx)
    (expected * expected).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(tx.grad.numpy(), ttx.grad.numpy(), atol=1e-10)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=name)


@pytest.mark.parametrize("size", [1, 2, (3, 4), (5, 2)])
def test_adaptive_avg_pool2d_matches_torch(size):
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    tx = Tensor(x, requires_grad=True)
    out = F.adaptive_avg_pool2d(tx, size)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(g)
    ttx = torch.tensor(x, requires_grad=True)
    expected = TF.adaptive_avg_pool2d(ttx, size)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(tx.grad.numpy(), ttx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_match_torch(mode):
    x = np.random.default_rng(3).standard_normal((2, 3, 5, 4))
    tx = Tensor(x, requires_grad=True)
    out = F.pad(tx, (1, 2, 3, 0), mode=mode)
    g = np.random.default_rng(4).standard_normal(out.shape)
    out.backward(g)
    ttx = torch.tensor(x, requires_grad=True)
    expected = TF.pad(ttx, (1, 2, 3, 0), mode=mode)
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(tx.grad.numpy(), ttx.grad.numpy(), atol=1e-12)


def test_embedding_matches_torch():
    ours = nn.Embedding(6, 4, padding_idx=2, dtype=np.float64)
    theirs = _twin(ours, torch.nn.Embedding(6, 4, padding_idx=2, dtype=torch.float64))
    idx = np.array([[1, 2, 5], [2, 1, 0]])
    g = np.random.default_rng(5).standard_normal((2, 3, 4))
    out = ours(idx)
    out.backward(g)
    expected = theirs(torch.from_numpy(idx))
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-12)
