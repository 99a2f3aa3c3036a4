"""Empty tensors, invalid constructor arguments, BCE targets and conv_transpose2d's
output_padding, each as PyTorch has it (or the library's error where PyTorch has none)."""

import random

import numpy as np
import pytest

import autodiff
import nn
from autodiff import ShapeError, Tensor, gradcheck

# ----- BCE targets --------------------------------------------------------------------------


@pytest.mark.parametrize("target", [3.0, -0.5, float("nan")])
def test_bce_refuses_targets_outside_zero_one_as_pytorch(target):
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target holds .* outside \[0, 1\]"):
        nn.BCELoss()(autodiff.tensor([0.9]), autodiff.tensor([target]))


def test_bce_with_logits_takes_any_target_as_pytorch():
    torch = pytest.importorskip("torch")
    logits, targets = [0.9, -2.0], [3.0, -0.5]
    ours = nn.BCEWithLogitsLoss()(autodiff.tensor(logits), autodiff.tensor(targets))
    theirs = torch.nn.BCEWithLogitsLoss()(torch.tensor(logits), torch.tensor(targets))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)


# ----- empty tensors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "options", "expected"),
    [
        ((0, 3), {}, np.nan),
        ((0, 3), {"dim": 0}, [np.nan] * 3),
        ((0, 3), {"dim": 1}, np.zeros(0)),
        ((1, 3), {"dim": 0}, [np.nan] * 3),
        ((4, 3), {"dim": 0, "correction": 5}, [np.inf] * 3),
    ],
)
def test_var_with_no_degrees_of_freedom_is_nan_as_pytorch(shape, options, expected):
    x = Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(x.var(**options).numpy(), np.asarray(expected, np.float32))


def test_the_empty_product_is_recorded_and_has_an_empty_gradient():
    x = Tensor(np.zeros(0), requires_grad=True)
    product = x.prod()
    assert product.item() == 1.0 and product.requires_grad
    product.backward()
    assert x.grad.shape == (0,)
    y = Tensor(np.zeros((0, 3)), requires_grad=True)
    column_products = y.prod(0)
    np.testing.assert_array_equal(column_products.numpy(), np.ones(3))
    column_products.sum().backward()
    assert y.grad.shape == (0, 3)
    assert Tensor(np.zeros(0, np.int64)).prod().dtype == np.int64


def test_conv2d_without_input_channels_is_the_librarys_error():
    with pytest.raises(ShapeError, match="conv2d: input .* have no channels to convolve"):
        autodiff.conv2d(Tensor(np.ones((1, 0, 4, 4))), Tensor(np.ones((2, 0, 3, 3))))


@pytest.mark.parametrize("output_size", [0, (0, 2), (2, 0), (None, 0)])
def test_adaptive_avg_pool_to_nothing_is_an_empty_recorded_result(output_size):
    x = Tensor(np.ones((2, 3, 4, 4), np.float32), requires_grad=True)
    out = nn.AdaptiveAvgPool2d(output_size)(x)
    pair = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    assert out.shape == (2, 3, *(4 if size is None else size for size in pair))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 4, 4)))


# ----- constructors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.BatchNorm2d(3, eps=-1), ValueError, "BatchNorm2d: eps=-1; expected a finite"),
        (lambda: nn.BatchNorm1d(3, eps=float("nan")), ValueError, "BatchNorm1d: eps=nan"),
        (lambda: nn.BatchNorm1d(3, affine="yes"), TypeError, "affine='yes'; expected True"),
        (lambda: nn.BatchNorm1d(10**30), ValueError, "num_features=1000000000000000000000000"),
        (lambda: nn.LayerNorm(3, eps=-1.0), ValueError, "LayerNorm: eps=-1.0"),
        (lambda: nn.LayerNorm(None), TypeError, "LayerNorm: normalized_shape=None"),
        (lambda: nn.LayerNorm((3, -2)), ValueError, "LayerNorm: normalized_shape=-2"),
        (lambda: nn.AdaptiveAvgPool2d(-1), ValueError, "AdaptiveAvgPool2d: output_size=-1"),
        (lambda: nn.AdaptiveAvgPool2d("7"), ValueError, "AdaptiveAvgPool2d: output_size='7'"),
        (lambda: nn.Linear(None, 3), ValueError, "Linear: in_features=None"),
        (lambda: nn.Linear(3, 3, bias=np.ones(3)), TypeError, "Linear: bias=array"),
        (lambda: nn.Linear(3, 2**40), ValueError, "Linear: out_features=1099511627776"),
        (lambda: nn.Conv2d(3, 3, None), TypeError, "Conv2d: kernel_size=None"),
        (lambda: nn.Conv2d(3, 3, 3, dilation=0), ValueError, "Conv2d: dilation=0"),
        (lambda: nn.Embedding(4, 3, padding_idx="0"), TypeError, "Embedding: padding_idx='0'"),
        (lambda: nn.Dropout(None), TypeError, "Dropout: probability p=None"),
        (lambda: nn.MaxPool2d(2, ceil_mode=np.ones(2)), TypeError, "MaxPool2d: ceil_mode="),
        (lambda: nn.MLP(7), TypeError, "MLP: sizes=7; expected a list of ints"),
        (lambda: nn.MSELoss(reduction=np.array("mean")), ValueError, "MSELoss: unknown reduction"),
        (lambda: nn.GELU(approximate=None), ValueError, "GELU: unknown approximate None"),
    ],
)
def test_constructors_refuse_what_pytorch_refuses(make, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace("[", r"\[")):
        make()


# ----- conv_transpose2d's output_padding -------------------------------------------------------


def test_output_padding_below_the_dilation_but_not_the_stride_is_accepted_with_gradients():
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 3)), requires_grad=True)
    w = Tensor(np.random.default_rng(1).standard_normal((2, 2, 2, 2)), requires_grad=True)
    out = autodiff.conv_transpose2d(x, w, stride=1, dilation=3, output_padding=2)
    assert out.shape == (1, 2, 3 + 3 + 2, 3 + 3 + 2)
    f = lambda a, b: autodiff.conv_transpose2d(a, b, stride=(1, 2), dilation=(3, 3),  # noqa: E731
                                               output_padding=(2, 2))  # fmt: skip
    assert gradcheck(f, (x, w))
    with pytest.raises(ValueError, match="expected output_padding < stride or < dilation"):
        autodiff.conv_transpose2d(x, w, stride=2, dilation=2, output_padding=2)


def test_conv_transpose2d_accepts_what_pytorch_accepts_with_the_same_values_and_gradients():
    torch = pytest.importorskip("torch")
    rng = random.Random(0)
    data = np.random.default_rng(0)
    accepted = 0
    for _ in range(150):
        stride = (rng.randint(1, 3), rng.randint(1, 3))
        dilation = (rng.randint(1, 3), rng.randint(1, 3))
        kernel = (rng.randint(1, 3), rng.randint(1, 3))
        padding = (rng.randint(0, 2), rng.randint(0, 2))
        extra = (rng.randint(0, 3), rng.randint(0, 3))
        options = dict(stride=stride, padding=padding, output_padding=extra, dilation=dilation)
        x, w = data.standard_normal((1, 2, 4, 5)), data.standard_normal((2, 3, *kernel))
        tx = torch.tensor(x, requires_grad=True)
        tw = torch.tensor(w, requires_grad=True)
        try:
            theirs = torch.nn.functional.conv_transpose2d(tx, tw, **options)
        except RuntimeError:
            with pytest.raises((ValueError, ShapeError)):
                autodiff.conv_transpose2d(Tensor(x), Tensor(w), **options)
            continue
        accepted += 1
        seed = data.standard_normal(tuple(theirs.shape))
        (theirs * torch.tensor(seed)).sum().backward()
        ax, aw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        ours = autodiff.conv_transpose2d(ax, aw, **options)
        (ours * Tensor(seed)).sum().backward()
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(aw.grad.numpy(), tw.grad.numpy(), atol=1e-10)
    assert accepted > 40


@pytest.mark.parametrize(
    "name",
    ["sum", "mean", "prod", "var", "std", "amax", "amin", "max", "min", "argmax", "argmin",
     "logsumexp", "norm", "softmax", "log_softmax"],
)  # fmt: skip
@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.filterwarnings("ignore")
def test_reductions_of_an_empty_tensor_follow_pytorch(name, dim):
    """Value and shape as PyTorch's, or an error where PyTorch raises one (max of nothing)."""
    torch = pytest.importorskip("torch")
    if dim is None and name in ("logsumexp", "softmax", "log_softmax"):
        return  # these need a dim, in PyTorch as here
    options = {} if dim is None else {"dim": dim}
    x = np.zeros((0, 3), np.float32)
    try:
        theirs = getattr(torch.tensor(x), name)(**options)
    except (RuntimeError, IndexError, ValueError):
        with pytest.raises((ValueError, RuntimeError)):
            getattr(Tensor(x), name)(**options)
        return
    ours = getattr(Tensor(x), name)(**options)
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    ours = ours[0] if isinstance(ours, tuple) else ours
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), equal_nan=True)
