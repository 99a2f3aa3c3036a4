"""nn.ConvTranspose2d, nn.PairwiseDistance / F.pairwise_distance and nn.CosineSimilarity:
shapes, initialisation, errors, finite differences, and values and gradients against PyTorch."""

import math

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor, gradcheck

RNG = np.random.default_rng(0)


def test_conv_transpose2d_shapes_and_parameters():
    layer = nn.ConvTranspose2d(6, 4, (3, 2), stride=2, padding=1, output_padding=1, groups=2)
    assert layer.weight.shape == (6, 2, 3, 2) and layer.bias.shape == (4,)  # (in, out/g, ...)
    out = layer(Tensor(np.zeros((5, 6, 4, 3), np.float32)))
    assert out.shape == (5, 4, 8, 5) and out.dtype == np.float32  # (4-1)·2 - 2 + 2 + 1 + 1 = 8
    assert layer(Tensor(np.zeros((6, 4, 3), np.float32))).shape == (4, 8, 5)  # unbatched
    assert nn.ConvTranspose2d(2, 3, 4, bias=False).bias is None


def test_conv_transpose2d_initialises_from_the_fan_of_its_transposed_weight():
    nn.manual_seed(1)
    layer = nn.ConvTranspose2d(64, 8, 3)
    bound = 1 / math.sqrt(8 * 3 * 3)  # fan_in is weight.size(1) · kh · kw, as in PyTorch
    for p in (layer.weight, layer.bias):
        assert bound * 0.9 < np.abs(p.numpy()).max() <= bound


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv_transpose2d(y, w), x> == <y, conv2d(x, w)> for any x, y: the definition."""
    nn.manual_seed(2)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, bias=False, dtype=np.float64)
    x = RNG.standard_normal((1, 2, 7, 7))
    y = RNG.standard_normal((1, 3, 4, 4))
    forward = F.conv2d(Tensor(x), layer.weight, stride=2, padding=1).numpy()
    np.testing.assert_allclose((layer(Tensor(y)).numpy() * x).sum(), (forward * y).sum())


def test_conv_transpose2d_gradients_match_finite_differences():
    layer = nn.ConvTranspose2d(2, 2, 2, stride=2, dtype=np.float64)
    x = Tensor(RNG.standard_normal((1, 2, 2, 2)), requires_grad=True)

    def loss(x, w, b):
        return (F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1) ** 2).sum()

    gradcheck(loss, [x, layer.weight, layer.bias])


def test_conv_transpose2d_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    x = Tensor(np.zeros((1, 1, 4, 4), np.float32))
    assert layer(x).shape == (1, 1, 7, 7)
    assert layer(x, output_size=[8, 8]).shape == (1, 1, 8, 8)
    assert layer(x, output_size=(1, 1, 7, 8)).shape == (1, 1, 7, 8)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_size=\(9, 9\).*7\.\.8"):
        layer(x, output_size=(9, 9))


def test_conv_transpose2d_rejects_bad_arguments():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="ConvTranspose2d: padding_mode='reflect'"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="ConvTranspose2d: stride=0; expected positive"):
        nn.ConvTranspose2d(3, 3, 3, stride=0)


def test_pairwise_distance_by_hand():
    a = Tensor([[3.0, 4.0], [1.0, 1.0]], requires_grad=True)
    b = Tensor([[0.0, 0.0], [1.0, 1.0]])
    d = F.pairwise_distance(a, b, eps=0.0)
    np.testing.assert_allclose(d.numpy(), [5.0, 0.0])
    d.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[0.6, 0.8], [0.0, 0.0]])  # (a-b)/d, 0 at d=0
    near = F.pairwise_distance(b, b)  # eps is added to each difference: √2 · 1e-6
    np.testing.assert_allclose(near.numpy(), [math.sqrt(2) * 1e-6] * 2, rtol=1e-5)
    assert nn.PairwiseDistance(keepdim=True)(a, b).shape == (2, 1)
    assert autodiff.pairwise_distance(a, b).shape == (2,)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_pairwise_distance_matches_finite_differences(p):
    a = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(RNG.standard_normal(4), requires_grad=True)  # broadcast over the rows
    gradcheck(lambda a, b: (F.pairwise_distance(a, b, p) ** 2).sum(), [a, b])


def test_pairwise_distance_refuses_two_scalars():
    with pytest.raises(autodiff.ShapeError, match="pairwise_distance: two 0-d inputs"):
        F.pairwise_distance(Tensor(1.0), Tensor(2.0))


def test_cosine_similarity_module_by_hand():
    a = Tensor([[1.0, 0.0], [0.0, 2.0]])
    b = Tensor([[1.0, 1.0], [0.0, -3.0]])
    np.testing.assert_allclose(nn.CosineSimilarity()(a, b).numpy(), [1 / math.sqrt(2), -1.0])
    assert nn.CosineSimilarity(dim=0)(a, b).shape == (2,)
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()"


torch = pytest.importorskip("torch")


def _both(make_ours, make_theirs, arrays, weights=None):
    """Values and input gradients of make(*inputs) weighted by 1..n, ours and PyTorch's."""
    results = []
    for lib, make in ((autodiff, make_ours), (torch, make_theirs)):
        inputs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = make(*inputs)
        (out * lib.tensor(np.arange(1.0, out.numel() + 1)).reshape(out.shape)).sum().backward()
        results.append([out.detach().numpy()] + [i.grad.numpy() for i in inputs])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2, "padding": 1}, {"stride": 2, "output_padding": 1, "groups": 2}],
)
def test_conv_transpose2d_layer_matches_torch_from_the_same_seed(kwargs):
    autodiff.manual_seed(3)
    ours = nn.ConvTranspose2d(4, 6, 3, dtype=autodiff.float64, **kwargs)
    torch.manual_seed(3)
    theirs = torch.nn.ConvTranspose2d(4, 6, 3, dtype=torch.float64, **kwargs)
    np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
    np.testing.assert_array_equal(ours.bias.numpy(), theirs.bias.detach().numpy())
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal((2, 4, 5, 5))
    _both(lambda x: ours(x), lambda x: theirs(x), [x])
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(p, keepdim):
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    b[2] = a[2]  # equal rows: eps keeps the distance away from 0, as in PyTorch
    _both(
        lambda a, b: nn.PairwiseDistance(p, keepdim=keepdim)(a, b),
        lambda a, b: torch.nn.PairwiseDistance(p, keepdim=keepdim)(a, b),
        [a, b],
    )
    _both(
        lambda a, b: F.pairwise_distance(a, b[0]),
        lambda a, b: torch.nn.functional.pairwise_distance(a, b[0]),
        [a, b],
    )


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_module_matches_torch(dim):
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    _both(
        lambda a, b: nn.CosineSimilarity(dim)(a, b),
        lambda a, b: torch.nn.CosineSimilarity(dim)(a, b),
        [a, b],
    )
