"""Conv2d and the layers that go with it: its transpose (ConvTranspose2d), max and average
pooling, adaptive average pooling, and channel dropout (Dropout2d)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from nn import arguments
from nn import functional as F
from nn import init as initialisers
from nn.module import Module
from nn.parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, (int, np.integer)) else tuple(value)


def _check_sizes(
    layer: str,
    in_channels: Any,
    out_channels: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    bias: Any,
) -> bool:
    """Check a 2-D convolution's sizes as PyTorch's constructors do; returns bias as a bool."""
    for name, value in (
        ("in_channels", in_channels),
        ("out_channels", out_channels),
        ("groups", groups),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{layer}: {name}={value!r:.60}; expected a positive integer")
        arguments.size(layer, name, value)
    for name, value in (("kernel_size", kernel_size), ("stride", stride)):
        if min(arguments.sizes(layer, name, value, 2, minimum=0)) < 1:
            raise ValueError(f"{layer}: {name}={value!r}; expected positive integers")
    arguments.sizes(layer, "dilation", dilation, 2)
    if not isinstance(padding, str):
        arguments.sizes(layer, "padding", padding, 2, minimum=0)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{layer}: in_channels={in_channels} and out_channels={out_channels} with "
            f"groups={groups}; expected both divisible by groups"
        )
    return arguments.flag(layer, "bias", bias)


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) images, PyTorch's nn.Conv2d: weight
    (out_channels, in_channels / groups, kh, kw), bias (out_channels,).

    Initialised as PyTorch's: weight from kaiming_uniform_ with a = √5, i.e. U(-b, b) with
    b = 1/√fan_in, and bias from U(-b, b) too (fan_in = in_channels / groups · kh · kw).
    Draws come from the global generator (nn.manual_seed); dtype defaults to autodiff's.

    >>> conv = nn.Conv2d(1, 32, 3)
    >>> conv(Tensor(np.zeros((8, 1, 28, 28), np.float32))).shape
    Size([8, 32, 26, 26])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = None,
    ):
        super().__init__()
        bias = _check_sizes(
            "Conv2d",
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
        )
        if not isinstance(padding_mode, str) or padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"Conv2d: padding_mode={padding_mode!r}; expected one of {_PADDING_MODES}"
            )
        if isinstance(padding, str) and padding_mode != "zeros":
            raise ValueError(
                f"Conv2d: padding={padding!r} with padding_mode={padding_mode!r}; expected "
                f"padding as ints with non-zero padding modes"
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.padding_mode = padding_mode
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        shape = (self.out_channels, self.in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype)) if bias else None
        initialisers.pytorch_default_(self.weight, self.bias)

    def forward(self, input: Any) -> Tensor:
        if self.padding_mode == "zeros":
            return F.conv2d(
                input,
                self.weight,
                self.bias,
                self.stride,
                self.padding,
                self.dilation,
                self.groups,
            )
        ph, pw = self.padding
        padded = F.pad(input, (pw, pw, ph, ph), mode=self.padding_mode)
        return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def scope_label(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2d({self.in_channels}→{self.out_channels}, {kh}×{kw})"

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(Module):
    """1-D convolution over (N, C, L) sequences, PyTorch's nn.Conv1d: weight
    (out_channels, in_channels / groups, k), bias (out_channels,); initialised as Conv2d is
    (U(-b, b) with b = 1/√fan_in, fan_in = in_channels / groups · k).

    >>> nn.Conv1d(16, 32, 3, padding=1)(Tensor(np.zeros((8, 16, 100), np.float32))).shape
    Size([8, 32, 100])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = None,
    ):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv1d: padding_mode={padding_mode!r}; expected 'zeros'")
        if isinstance(in_channels, bool) or not isinstance(in_channels, (int, np.integer)):
            raise ValueError(f"Conv1d: in_channels={in_channels!r}; expected a positive integer")
        for name, value in (
            ("in_channels", in_channels),
            ("out_channels", out_channels),
            ("groups", groups),
            ("kernel_size", F._single(kernel_size, "kernel_size")),
            ("stride", F._single(stride, "stride")),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Conv1d: {name}={value!r}; expected a positive integer")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv1d: in_channels={in_channels} and out_channels={out_channels} with "
                f"groups={groups}; expected both divisible by groups"
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = (F._single(kernel_size, "kernel_size"),)
        self.stride = (F._single(stride, "stride"),)
        self.padding = padding if isinstance(padding, str) else (F._single(padding, "padding"),)
        self.dilation = (F._single(dilation, "dilation"),)
        self.groups = int(groups)
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype)) if bias else None
        initialisers.pytorch_default_(self.weight, self.bias)

    def forward(self, input: Any) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(
            input,
            self.weight,
            self.bias,
            self.stride[0],
            padding,
            self.dilation[0],
            self.groups,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0,), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose2d(Module):
    """The adjoint of Conv2d ("deconvolution") over (N, C, H, W) images, PyTorch's
    nn.ConvTranspose2d: weight (in_channels, out_channels / groups, kh, kw), bias
    (out_channels,); each input pixel spreads weight-scaled copies over a kh x kw patch of
    the output, `stride` apart, so an H x W input gives
    (H - 1)·stride - 2·padding + dilation·(kh - 1) + output_padding + 1 rows.

    Initialised as PyTorch's: U(-b, b) with b = 1/√fan_in for weight and bias, where fan_in
    is weight.size(1) · kh · kw = out_channels / groups · kh · kw (PyTorch reads the fans
    of the transposed weight as it does a Conv2d's).

    >>> nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)(Tensor(np.zeros((2, 16, 7, 7)))).shape
    Size([2, 8, 14, 14])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        dtype: Any = None,
    ):
        super().__init__()
        layer = "ConvTranspose2d"
        bias = _check_sizes(
            layer, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias
        )
        arguments.sizes(layer, "padding", padding, 2, minimum=0)  # no 'same' or 'valid' here
        arguments.sizes(layer, "output_padding", output_padding, 2, minimum=0)
        if padding_mode != "zeros":
            raise ValueError(
                f"ConvTranspose2d: padding_mode={padding_mode!r:.40}; expected 'zeros' "
                f"(the only mode PyTorch's ConvTranspose2d takes)"
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.output_padding = _pair(output_padding)
        self.dilation = _pair(dilation)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype)) if bias else None
        initialisers.pytorch_default_(self.weight, self.bias)

    def forward(self, input: Any, output_size: Any = None) -> Tensor:
        """output_size, if given, picks the output_padding that gives those (H, W), as
        PyTorch's: several output sizes convolve down to the same input size."""
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def _output_padding(self, input: Any, output_size: Any) -> tuple[int, int]:
        size = tuple(int(n) for n in output_size)[-2:]
        in_size = tuple(autodiff.as_tensor(input).shape[-2:])
        smallest = [
            (in_size[i] - 1) * self.stride[i]
            - 2 * self.padding[i]
            + self.dilation[i] * (self.kernel_size[i] - 1)
            + 1
            for i in range(2)
        ]
        spans = [max(self.stride[i], self.dilation[i]) for i in range(2)]
        extra = [size[i] - smallest[i] for i in range(2)] if len(size) == 2 else [-1, -1]
        if not all(0 <= extra[i] < spans[i] for i in range(2)):
            reachable = " x ".join(f"{smallest[i]}..{smallest[i] + spans[i] - 1}" for i in range(2))
            raise ValueError(
                f"ConvTranspose2d: output_size={tuple(output_size)} for input {in_size}; "
                f"expected (H, W) within {reachable}"
            )
        return extra[0], extra[1]

    def scope_label(self) -> str:
        kh, kw = self.kernel_size
        return f"ConvTranspose2d({self.in_channels}→{self.out_channels}, {kh}×{kw})"

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class MaxPool2d(Module):
    """The maximum of each kernel_size window, moved by stride (default: kernel_size).

    >>> nn.MaxPool2d(2)(Tensor(np.zeros((8, 32, 24, 24)))).shape
    Size([8, 32, 12, 12])
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        F._pool_modes("MaxPool2d", ceil_mode, return_indices)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation

    def forward(self, input: Any) -> Tensor:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}"
        )


class AvgPool2d(Module):
    """The mean of each kernel_size window, moved by stride (default: kernel_size).

    >>> nn.AvgPool2d(2)(Tensor(np.zeros((8, 32, 24, 24)))).shape
    Size([8, 32, 12, 12])
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ):
        super().__init__()
        F._pool_modes("AvgPool2d", ceil_mode)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Any) -> Tensor:
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            count_include_pad=self.count_include_pad,
            divisor_override=self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """The mean over an output_size grid of cells covering the image, whatever its size
    (output_size=1: global average pooling).

    >>> nn.AdaptiveAvgPool2d(1)(Tensor(np.zeros((8, 64, 7, 7)))).shape
    Size([8, 64, 1, 1])
    """

    def __init__(self, output_size: Any):
        super().__init__()
        F._adaptive_output_size(output_size, "AdaptiveAvgPool2d")
        self.output_size = output_size

    def forward(self, input: Any) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Dropout2d(Module):
    """In training mode, zero whole channels with probability p and scale the others by
    1/(1-p); in eval mode, the identity.

    >>> nn.Dropout2d(0.25).eval()(Tensor(np.ones((1, 2, 2, 2)))).sum().item()
    8.0
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F._check_probability(p, "Dropout2d")
        self.p = p
        self.inplace = inplace  # True is refused when applied, as F.dropout2d refuses it

    def forward(self, input: Any) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
