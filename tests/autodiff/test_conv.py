"""conv2d, conv_transpose2d, max/avg pooling and pad: by hand, against PyTorch, and errors."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import DTypeError, ShapeError


def _leaf(rng, shape):
    return ad.Tensor(rng.standard_normal(shape), requires_grad=True)


def test_conv2d_by_hand():
    x = ad.Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = ad.Tensor(np.array([[[[1.0, 0.0], [0.0, -1.0]]]]), requires_grad=True)
    b = ad.Tensor(np.array([0.5]), requires_grad=True)
    out = ad.conv2d(x, w, b)
    np.testing.assert_array_equal(
        out.numpy(), [[[[-3.5, -3.5], [-3.5, -3.5]]]]
    )  # x[i,j]-x[i+1,j+1]
    out.sum().backward()
    # each x pixel gets +1 per window it tops-left, -1 per window it bottoms-right
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 1, 0], [1, 0, -1], [0, -1, -1]])
    # dL/dw[i, j] = sum of the pixels tap (i, j) reads
    np.testing.assert_array_equal(w.grad.numpy()[0, 0], [[8, 12], [20, 24]])
    assert b.grad.numpy()[0] == 4.0


def test_conv_transpose2d_and_conv2d_weight_by_hand():
    from autodiff.ops.conv import conv2d_weight

    w = ad.Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), requires_grad=True)
    x = ad.Tensor(np.array([[[[2.0]]]]), requires_grad=True)
    out = ad.conv_transpose2d(x, w)  # one pixel spreads the kernel, scaled by it
    np.testing.assert_array_equal(out.numpy(), [[[[2.0, 4.0], [6.0, 8.0]]]])
    out.sum().backward()
    assert x.grad.item() == 10.0  # d/dx = sum of the kernel
    np.testing.assert_array_equal(w.grad.numpy(), np.full((1, 1, 2, 2), 2.0))
    image = np.arange(4.0).reshape(1, 1, 2, 2)
    g = np.array([[[[3.0]]]])  # one output pixel: the weight's gradient is g times the window
    np.testing.assert_array_equal(conv2d_weight(image, g, weight_size=(1, 1, 2, 2)), 3 * image)


def test_max_pool2d_by_hand_ties_go_to_the_first():
    x = ad.Tensor(np.array([[[[1.0, 3.0], [3.0, 2.0]]]]), requires_grad=True)
    out = ad.max_pool2d(x, kernel_size=2)
    assert out.item() == 3.0
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 1], [0, 0]])


def test_avg_pool2d_and_pad_by_hand():
    x = ad.Tensor(np.arange(4.0).reshape(1, 1, 2, 2), requires_grad=True)
    out = ad.avg_pool2d(ad.pad(x, pad=(1, 0, 0, 0)), kernel_size=(2, 3))  # a zero column first
    assert out.item() == pytest.approx(6.0 / 6)
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 1, 2, 2), 1 / 6))


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = ad.Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = ad.Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    out = ad.max_pool2d(ad.conv2d(x, w, padding=1), kernel_size=2)
    out = ad.avg_pool2d(ad.pad(out, pad=(1, 1, 1, 1)), kernel_size=2)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pooling_gives_the_same_on_channels_last_memory(op):
    """conv2d's output lies channels-last in memory; pooling keeps that layout, same values."""
    data = np.random.default_rng(6).standard_normal((2, 3, 6, 5))
    strided = np.ascontiguousarray(data.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    results = []
    for array in (data, strided):
        x = ad.from_numpy(array).requires_grad_()  # shares the array: keeps its layout
        out = getattr(ad, op)(x, kernel_size=3, stride=2, padding=1)
        (out * out).sum().backward()
        results.append((out.numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[1][0].strides[1] < results[1][0].strides[3]  # still channels-last


def test_conv2d_rejects_mixed_dtypes_and_bad_shapes():
    x32 = ad.Tensor(np.zeros((1, 2, 4, 4), np.float32))
    w64 = ad.Tensor(np.zeros((3, 2, 2, 2)))
    with pytest.raises(DTypeError, match="conv2d: input, weight and bias have dtypes float32"):
        ad.conv2d(x32, w64)
    with pytest.raises(ShapeError, match=r"conv2d: input \(1, 2, 4, 4\), weight \(3, 3, 2, 2\)"):
        ad.conv2d(x32, ad.Tensor(np.zeros((3, 3, 2, 2), np.float32)))
    with pytest.raises(ShapeError, match="smaller than the kernel"):
        ad.conv2d(x32, ad.Tensor(np.zeros((3, 2, 5, 5), np.float32)))
    with pytest.raises(ValueError, match="padding='same' with stride"):
        ad.conv2d(x32, ad.Tensor(np.zeros((3, 2, 2, 2), np.float32)), padding="same", stride=2)
    with pytest.raises(ValueError, match="stride=0"):
        ad.conv2d(x32, ad.Tensor(np.zeros((3, 2, 2, 2), np.float32)), stride=0)
    with pytest.raises(TypeError):  # geometry is keyword-only: no silent positional stride
        ad.conv2d(x32, ad.Tensor(np.zeros((3, 2, 2, 2), np.float32)), None, 2)


def test_pooling_rejects_too_much_padding():
    with pytest.raises(ValueError, match="max_pool2d: padding"):
        ad.max_pool2d(ad.Tensor(np.zeros((1, 1, 4, 4))), kernel_size=2, padding=2)


def test_conv2d_second_derivative_matches_finite_differences():
    rng = np.random.default_rng(3)
    x, w = _leaf(rng, (1, 2, 4, 3)), _leaf(rng, (2, 2, 2, 2))

    def gradient_norm(x, w):
        loss = ad.grad(lambda x, w: (ad.conv2d(x, w, stride=(2, 1), padding=1) ** 2).sum(), (0, 1))
        gx, gw = loss(x, w)
        return (gx * gx).sum() + (gw * gw).sum()

    assert ad.gradcheck(gradient_norm, [x, w])


torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), {}),
    ((1, 3, 7, 6), (4, 3, 3, 3), {"stride": 2, "padding": 1}),
    ((2, 3, 9, 8), (4, 3, 3, 2), {"stride": (2, 3), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 2, 6, 5), (4, 2, 4, 3), {"padding": "same"}),
    ((1, 2, 6, 7), (3, 2, 2, 3), {"padding": "same", "dilation": 2}),
    ((2, 4, 6, 5), (6, 2, 3, 3), {"groups": 2, "padding": "valid"}),
    ((1, 6, 7, 7), (3, 2, 3, 3), {"groups": 3, "stride": 2}),
    ((1, 4, 5, 5), (4, 1, 3, 3), {"groups": 4, "padding": 1}),  # depthwise
    ((2, 3, 5, 8), (5, 3, 1, 1), {}),  # 1×1
    ((1, 3, 5, 4), (5, 3, 1, 1), {"stride": 2, "padding": 1}),  # 1×1, strided and padded
    ((2, 3, 7, 9), (4, 3, 2, 3), {"stride": 3}),  # stride > kernel: rows no window reads
    ((2, 4, 6, 5), (8, 1, 3, 1), {"groups": 4}),  # depthwise, two filters per channel
    ((1, 2, 6, 7), (2, 2, 2, 4), {"padding": "same", "dilation": (2, 3)}),  # even kernel
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own speed
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, w_shape, params", CONV_CASES)
def test_conv2d_matches_torch(x_shape, w_shape, params, bias):
    rng = np.random.default_rng(sum(x_shape) + len(params))
    x, w = _leaf(rng, x_shape), _leaf(rng, w_shape)
    b = _leaf(rng, w_shape[:1]) if bias else None
    out = ad.conv2d(x, w, b, **params)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tensors = [
        torch.tensor(t.numpy(), requires_grad=True) if t is not None else None for t in (x, w, b)
    ]
    expected = F.conv2d(*tensors, **params)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    for ours, theirs in zip((x, w, b), tensors):
        if ours is not None:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


TRANSPOSE_CASES = [
    ((2, 3, 4, 4), (3, 2, 3, 3), {}),
    ((2, 4, 3, 5), (4, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 3, 3), (4, 1, 2, 3), {"stride": 2, "groups": 2, "dilation": 2}),
]


@pytest.mark.parametrize("x_shape, w_shape, params", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, params):
    rng = np.random.default_rng(7)
    x, w = _leaf(rng, x_shape), _leaf(rng, w_shape)
    b = _leaf(rng, (w_shape[1] * params.get("groups", 1),))
    out = ad.conv_transpose2d(x, w, b, **params)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tensors = [torch.tensor(t.numpy(), requires_grad=True) for t in (x, w, b)]
    expected = F.conv_transpose2d(*tensors, **params)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    for ours, theirs in zip((x, w, b), tensors):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("params", [{"stride": 2, "padding": 1, "groups": 2}, {"dilation": 2}])
def test_conv2d_in_many_batch_chunks_matches_torch(monkeypatch, params):
    """Large batches are done a few images at a time; force one image per chunk here."""
    from autodiff.ops import conv

    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)
    rng = np.random.default_rng(8)
    x, w = _leaf(rng, (5, 4, 7, 6)), _leaf(rng, (6, 4 // params.get("groups", 1), 3, 3))
    out = ad.conv2d(x, w, **params)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tx, tw = (torch.tensor(t.numpy(), requires_grad=True) for t in (x, w))
    expected = F.conv2d(tx, tw, **params)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-12)


POOL_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (1, 2)},
    {"kernel_size": (2, 3), "stride": 1, "padding": (1, 1)},
    {"kernel_size": (2, 1), "stride": (3, 2)},  # stride > kernel
    {"kernel_size": (2, 4), "stride": (3, 5), "padding": (1, 2)},
]


@pytest.mark.parametrize("params", [*POOL_CASES, {"kernel_size": 3, "dilation": (2, 1)}])
def test_max_pool2d_matches_torch(params):
    rng = np.random.default_rng(1)
    x = _leaf(rng, (2, 3, 7, 6))
    x.numpy()[0, 0, :2, :2] = 1.5  # a tie: the gradient goes to the first maximum, as in PyTorch
    out = ad.max_pool2d(x, **params)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    expected = F.max_pool2d(tx, **params)
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        *POOL_CASES,
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {"kernel_size": 2, "stride": 1, "divisor_override": 3},
    ],
)
def test_avg_pool2d_matches_torch(params):
    rng = np.random.default_rng(2)
    x = _leaf(rng, (2, 3, 7, 6))
    out = ad.avg_pool2d(x, **params)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    expected = F.avg_pool2d(tx, **params)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("widths", [(1, 2), (0, 1, 2, 0), (-1, 2, 1, -1), (1, 1, 1, 1, 1, 0)])
def test_pad_matches_torch(widths):
    rng = np.random.default_rng(4)
    x = _leaf(rng, (2, 3, 4))
    out = ad.pad(x, pad=widths, value=0.25)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    expected = F.pad(tx, widths, value=0.25)
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_conv_pool_second_derivative_matches_torch():
    """A Hessian-vector product through conv2d → relu → max_pool2d → avg_pool2d."""
    rng = np.random.default_rng(5)
    x, w = _leaf(rng, (1, 2, 6, 6)), _leaf(rng, (3, 2, 3, 3))
    v = rng.standard_normal(w.shape)

    def loss(lib, x, w):
        h = lib.conv2d(x, w, padding=1, stride=1)
        h = lib.max_pool2d(h * h, kernel_size=2)
        return (lib.avg_pool2d(h, kernel_size=3) ** 2).sum()

    out = loss(ad, x, w)
    gw = ad.grad(lambda w: loss(ad, x, w))(w)
    hv = ad.grad(lambda w: (ad.grad(lambda w: loss(ad, x, w))(w) * v).sum())(w)
    tx, tw = torch.tensor(x.numpy()), torch.tensor(w.numpy(), requires_grad=True)
    (tgw,) = torch.autograd.grad(loss(F, tx, tw), tw, create_graph=True)
    (thv,) = torch.autograd.grad((tgw * torch.tensor(v)).sum(), tw)
    assert out.item() == pytest.approx(loss(F, tx, tw).item(), rel=1e-12)
    np.testing.assert_allclose(gw.numpy(), tgw.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10, atol=1e-12)
