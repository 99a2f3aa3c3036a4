"""Convolution and pooling over (N, C, H, W) images, with PyTorch's arguments and meanings.

A convolution is one matrix product: the input's windows copied into rows, channels last
(im2col, through a strided view), times the weight as a matrix. Its VJPs are its two
adjoints, conv_transpose2d (w.r.t. the input) and conv2d_weight (w.r.t. the weight), each a
primitive whose VJP is built from the three again, so derivatives of any order stay in this
family. Pooling pairs the same way: max_pool2d selects, max_pool2d_transpose scatters back,
max_pool2d_gather selects at a fixed index; avg_pool2d and avg_pool2d_transpose are adjoint.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autodiff.errors import DTypeError, ShapeError
from autodiff.ops import reduce
from autodiff.primitive import Array, Context, Sample, Saved, primitive

Grads = tuple[Array | None, ...]
Pair = tuple[int, int]
Padding = tuple[int, int, int, int]  # (top, bottom, left, right)


class Geometry(NamedTuple):
    """Where a kernel's taps fall: its size, stride, dilation and the input's zero padding."""

    kernel: Pair
    stride: Pair
    dilation: Pair
    padding: Padding

    def extent(self) -> Pair:
        """The dilated kernel's size: (d·(k-1) + 1) along each axis."""
        return (
            self.dilation[0] * (self.kernel[0] - 1) + 1,
            self.dilation[1] * (self.kernel[1] - 1) + 1,
        )

    def out_size(self, size: Pair, op: str) -> Pair:
        """The output's (H, W) for an input of spatial `size`; raises if no window fits."""
        top, bottom, left, right = self.padding
        padded = (size[0] + top + bottom, size[1] + left + right)
        extent = self.extent()
        if padded[0] < extent[0] or padded[1] < extent[1]:
            raise ShapeError(
                f"{op}: input of spatial size {size} padded to {padded} is smaller than the "
                f"kernel {self.kernel} dilated to {extent}; expected at least one window"
            )
        return (
            (padded[0] - extent[0]) // self.stride[0] + 1,
            (padded[1] - extent[1]) // self.stride[1] + 1,
        )

    def taps(self, out: Pair) -> list[tuple[int, int, tuple[slice, slice]]]:
        """(i, j, (rows, cols)) per kernel tap: the padded input's pixels tap (i, j) reads."""
        (sh, sw), (dh, dw) = self.stride, self.dilation
        return [
            (
                i,
                j,
                (
                    slice(i * dh, i * dh + sh * (out[0] - 1) + 1, sh),
                    slice(j * dw, j * dw + sw * (out[1] - 1) + 1, sw),
                ),
            )
            for i in range(self.kernel[0])
            for j in range(self.kernel[1])
        ]


def _pair(value: Any, name: str, op: str, least: int) -> Pair:
    """An int or a pair of ints as a pair, each at least `least`."""
    values = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= least for v in values
    ):
        raise ValueError(
            f"{op}: {name}={value!r}; expected an int or a pair of ints, each >= {least}"
        )
    return int(values[0]), int(values[1])


def _conv_padding(padding: Any, unpadded: Geometry, op: str) -> Padding:
    """PyTorch's conv padding (an int, a pair, "valid" or "same") as (top, bottom, left, right).

    "same" pads d·(k-1) in total along each axis, the odd one at the bottom/right, as PyTorch
    does. A 4-tuple is taken as it is (the adjoints use it for "same").
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(
                f"{op}: padding={padding!r}; expected an int, a pair, 'valid' or 'same'"
            )
        if unpadded.stride != (1, 1):
            raise ValueError(
                f"{op}: padding='same' with stride {unpadded.stride}; expected stride 1 "
                f"(PyTorch's rule: the output of a strided convolution cannot keep the size)"
            )
        eh, ew = unpadded.extent()
        return ((eh - 1) // 2, eh - 1 - (eh - 1) // 2, (ew - 1) // 2, ew - 1 - (ew - 1) // 2)
    if isinstance(padding, tuple) and len(padding) == 4:
        if not all(isinstance(p, (int, np.integer)) and p >= 0 for p in padding):
            raise ValueError(f"{op}: padding={padding!r}; expected four ints >= 0")
        return tuple(int(p) for p in padding)  # type: ignore[return-value]
    ph, pw = _pair(padding, "padding", op, 0)
    return (ph, ph, pw, pw)


def _check_conv(x: Array, weight: Array, bias: Array | None, groups: int, op: str) -> int:
    """Raise unless x (N, C, H, W), weight (O, C/groups, kh, kw) and bias (O,) fit; returns
    the number of input channels per group."""
    if x.ndim != 4 or weight.ndim != 4:
        raise ShapeError(
            f"{op}: input {x.shape} and weight {weight.shape}; expected a 4-d input "
            f"(N, C, H, W) and a 4-d weight"
        )
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != x.dtype):
        dtypes = f"{x.dtype}, {weight.dtype}" + (f", {bias.dtype}" if bias is not None else "")
        raise DTypeError(
            f"{op}: input, weight and bias have dtypes {dtypes}; expected one floating dtype "
            f"(convert with .float() or .astype(np.float32))"
        )
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected floating tensors, got {x.dtype}")
    if x.shape[1] == 0 or weight.shape[1] == 0:
        raise ShapeError(
            f"{op}: input {x.shape} and weight {weight.shape} have no channels to convolve; "
            f"expected at least one channel"
        )
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups={groups!r}; expected a positive int")
    return x.shape[1] // groups


def _channels_last(x: Array, padding: Padding, groups: int) -> Array:
    """x (N, C, H, W) as (N, Hp, Wp, groups, C/groups), zero-padded: window rows then copy
    contiguous runs of channels. A conv output already lies channels-last in memory."""
    n, c, h, w = x.shape
    top, bottom, left, right = padding
    if top or bottom or left or right:
        out = np.zeros((n, h + top + bottom, w + left + right, c), x.dtype)
        out[:, top : top + h, left : left + w] = x.transpose(0, 2, 3, 1)
    else:
        out = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return out.reshape(out.shape[:3] + (groups, c // groups))


def _columns(x: Array, geometry: Geometry, groups: int, out: Pair) -> Array:
    """im2col: (groups, N·Ho·Wo, kh·kw·C/groups), one row per output pixel, columns in
    (tap row, tap column, channel) order."""
    padded = _channels_last(x, geometry.padding, groups)
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    windows = sliding_window_view(padded, geometry.extent(), axis=(1, 2))
    windows = windows[:, : sh * (out[0] - 1) + 1 : sh, : sw * (out[1] - 1) + 1 : sw]
    windows = windows[..., ::dh, ::dw]  # (N, Ho, Wo, G, C/G, kh, kw): still a view
    rows = np.ascontiguousarray(windows.transpose(3, 0, 1, 2, 5, 6, 4))  # the one big copy
    return rows.reshape(groups, -1, rows[0, 0, 0, 0].size)


_CHUNK_BYTES = 4 * 2**20


def _chunks(n: int, bytes_per_image: int) -> list[slice]:
    """Slices of a batch of n images whose window matrix takes about 4 MiB: the product then
    reads it from cache instead of memory (one chunk per batch of 64 was ~20 % slower)."""
    step = max(1, _CHUNK_BYTES // max(bytes_per_image, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def _weight_matrix(weight: Array, groups: int) -> Array:
    """weight (O, C/G, kh, kw) as (G, kh·kw·C/G, O/G), rows in the columns' order."""
    o, cg, kh, kw = weight.shape
    per_group = weight.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)
    return per_group.reshape(groups, kh * kw * cg, o // groups)


def _rows(g: Array, groups: int) -> Array:
    """g (N, O, Ho, Wo) as (G, N·Ho·Wo, O/G): one row per output pixel."""
    n, o, ho, wo = g.shape
    rows = g.transpose(0, 2, 3, 1).reshape(n * ho * wo, groups, o // groups)
    return rows.transpose(1, 0, 2)


def _images(rows: Array, shape: tuple[int, int, int, int], bias: Array | None) -> Array:
    """(G, N·H·W, C/G) rows as an (N, C, H, W) image (a view of channels-last memory)."""
    n, c, h, w = shape
    out = rows.transpose(1, 0, 2).reshape(n, h, w, c)
    if bias is not None:
        out += bias  # out is a fresh array: adding in place saves an allocation
    return out.transpose(0, 3, 1, 2)


def _conv_geometry(weight: Array, stride: Any, padding: Any, dilation: Any, op: str) -> Geometry:
    kernel = weight.shape[2:]
    unpadded = Geometry(
        kernel, _pair(stride, "stride", op, 1), _pair(dilation, "dilation", op, 1), (0, 0, 0, 0)
    )
    return unpadded._replace(padding=_conv_padding(padding, unpadded, op))


_CONV_SAMPLES = [
    Sample((1, 2, 4, 4), (3, 2, 2, 2), (3,)),
    Sample((2, 1, 5, 4), (2, 1, 3, 2), stride=2, padding=1),
    Sample((1, 2, 5, 5), (2, 2, 2, 2), dilation=2, padding=(1, 0)),
    Sample((1, 4, 3, 3), (4, 2, 2, 2), (4,), groups=2, padding="same"),
]


@primitive(samples=_CONV_SAMPLES)
def conv2d(
    x: Array,
    weight: Array,
    bias: Array | None = None,
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[Array, Saved]:
    """out[n, o] = bias[o] + Σ_{c, i, j} weight[o, c, i, j] · xp[n, c', s·h + d·i, s·w + d·j]
    (cross-correlation, as PyTorch's conv2d; c' runs over o's group, xp is x zero-padded)."""
    cg = _check_conv(x, weight, bias, groups, "conv2d")
    geometry = _conv_geometry(weight, stride, padding, dilation, "conv2d")
    o = weight.shape[0]
    if x.shape[1] != cg * groups or weight.shape[1] != cg or o % groups:
        raise ShapeError(
            f"conv2d: input {x.shape}, weight {weight.shape}, groups={groups}; expected "
            f"input channels = weight.shape[1] · groups and out channels divisible by groups"
        )
    if bias is not None and bias.shape != (o,):
        raise ShapeError(f"conv2d: bias {bias.shape}; expected ({o},) for weight {weight.shape}")
    size = geometry.out_size(x.shape[2:], "conv2d")
    matrix = _weight_matrix(weight, groups)
    per_image = size[0] * size[1]
    rows = np.empty((groups, x.shape[0] * per_image, o // groups), x.dtype)
    for part in _chunks(x.shape[0], per_image * matrix.shape[1] * groups * x.itemsize):
        target = rows[:, part.start * per_image : part.stop * per_image]
        np.matmul(_columns(x[part], geometry, groups, size), matrix, out=target)
    out = _images(rows, (x.shape[0], o, *size), bias)
    return out, (geometry, groups)


@conv2d.defvjp
def conv2d_vjp(ctx: Context, g: Array) -> Grads:
    """gx = conv_transpose2d(g, weight);  gweight = conv2d_weight(x, g);  gbias = Σ_{n,h,w} g."""
    x, weight = ctx.inputs[:2]
    geometry, groups = ctx.saved
    common = {"stride": geometry.stride, "dilation": geometry.dilation, "groups": groups}
    gx = gweight = gbias = None
    if ctx.needs[0]:
        gx = conv_transpose2d(
            g,
            weight,
            padding=geometry.padding,
            output_padding=_output_padding(x.shape[2:], g.shape[2:], geometry),
            **common,
        )
    if ctx.needs[1]:
        gweight = conv2d_weight(x, g, weight_size=weight.shape, padding=geometry.padding, **common)
    if len(ctx.needs) > 2 and ctx.needs[2]:  # bias given (as None or a Tensor)
        gbias = reduce.sum(g, axis=(0, 2, 3))
    return (gx, gweight, gbias)[: len(ctx.needs)]


def _output_padding(size: Pair, out: Pair, geometry: Geometry) -> Pair:
    """The rows and columns of the input no window reached: what the adjoint adds back."""
    top, bottom, left, right = geometry.padding
    (sh, sw), (eh, ew) = geometry.stride, geometry.extent()
    return (
        size[0] + top + bottom - eh - sh * (out[0] - 1),
        size[1] + left + right - ew - sw * (out[1] - 1),
    )


@primitive(
    samples=[
        Sample((1, 3, 3, 3), (3, 2, 2, 2), (2,)),
        Sample((2, 2, 2, 2), (2, 1, 3, 2), stride=2, padding=1, output_padding=1),
        Sample((1, 2, 2, 3), (2, 1, 2, 2), groups=2, dilation=2, padding=(1, 0, 0, 1)),
    ]
)
def conv_transpose2d(
    x: Array,
    weight: Array,
    bias: Array | None = None,
    *,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> tuple[Array, Saved]:
    """out = bias + the adjoint of conv2d(·, weight) applied to x: each input pixel adds
    weight[c, :, i, j]·x to the taps it would have read (PyTorch's conv_transpose2d)."""
    _check_conv(x, weight, bias, groups, "conv_transpose2d")
    geometry = _conv_geometry(weight, stride, padding, dilation, "conv_transpose2d")
    extra = _pair(output_padding, "output_padding", "conv_transpose2d", 0)
    if any(  # PyTorch's rule: below the stride or below the dilation, along each axis
        e >= st and e >= d for e, st, d in zip(extra, geometry.stride, geometry.dilation)
    ):
        raise ValueError(
            f"conv_transpose2d: output_padding={extra} with stride {geometry.stride} and "
            f"dilation {geometry.dilation}; expected output_padding < stride or < dilation "
            f"along each axis"
        )
    n, o, ho, wo = x.shape
    if x.shape[1] != weight.shape[0] or o % groups:
        raise ShapeError(
            f"conv_transpose2d: input {x.shape}, weight {weight.shape}, groups={groups}; "
            f"expected input channels = weight.shape[0], divisible by groups"
        )
    cg = weight.shape[1]
    c = cg * groups
    if bias is not None and bias.shape != (c,):
        raise ShapeError(f"conv_transpose2d: bias {bias.shape}; expected ({c},)")
    top, bottom, left, right = geometry.padding
    (sh, sw), (eh, ew) = geometry.stride, geometry.extent()
    padded = (sh * (ho - 1) + eh + extra[0], sw * (wo - 1) + ew + extra[1])
    size = (padded[0] - top - bottom, padded[1] - left - right)
    if size[0] < 1 or size[1] < 1:
        raise ShapeError(
            f"conv_transpose2d: input {x.shape} with padding {geometry.padding} gives an "
            f"output of spatial size {size}; expected a positive size"
        )
    kh, kw = geometry.kernel
    # one (O/G, C/G) matrix per group and tap, so that each tap's product is one contiguous
    # block: its strided add then runs over whole image rows, not over runs of C/G values
    per_tap = weight.reshape(groups, o // groups, cg, kh * kw).transpose(0, 3, 1, 2)
    g_rows = _rows(x, groups)[:, None]  # (G, 1, N·Ho·Wo, O/G)
    out = np.zeros((n, *padded, groups, cg), x.dtype)
    for part in _chunks(n, ho * wo * kh * kw * c * x.itemsize):
        products = g_rows[:, :, part.start * ho * wo : part.stop * ho * wo] @ per_tap
        taps = products.reshape(groups, kh * kw, -1, ho, wo, cg)
        target = out[part]
        for i, j, (rows, cols) in geometry.taps((ho, wo)):
            target[:, rows, cols] += taps[:, i * kw + j].transpose(1, 2, 3, 0, 4)
    out = out[:, top : top + size[0], left : left + size[1]].reshape(n, *size, c)
    if bias is not None:
        out += bias
    return out.transpose(0, 3, 1, 2), (geometry, groups)


@conv_transpose2d.defvjp
def conv_transpose2d_vjp(ctx: Context, g: Array) -> Grads:
    """gx = conv2d(g, weight);  gweight = conv2d_weight(g, x);  gbias = Σ_{n,h,w} g."""
    x, weight = ctx.inputs[:2]
    geometry, groups = ctx.saved
    tapped, padding = _tapped(g, x.shape[2:], geometry)
    common = {
        "stride": geometry.stride,
        "dilation": geometry.dilation,
        "groups": groups,
        "padding": padding,
    }
    gx = gweight = gbias = None
    if ctx.needs[0]:
        gx = conv2d(tapped, weight, **common)
    if ctx.needs[1]:
        gweight = conv2d_weight(tapped, x, weight_size=weight.shape, **common)
    if len(ctx.needs) > 2 and ctx.needs[2]:  # bias given (as None or a Tensor)
        gbias = reduce.sum(g, axis=(0, 2, 3))
    return (gx, gweight, gbias)[: len(ctx.needs)]


def _tapped(g: Array, size: Pair, geometry: Geometry) -> tuple[Array, Padding]:
    """The rows and columns of g (a conv_transpose2d output's gradient) that some tap of an
    input of spatial `size` writes, and the padding under which conv2d reads them back: an
    output_padding not below the stride (PyTorch allows it below the dilation) adds rows and
    columns that no tap writes, which conv2d would otherwise read as one more output row."""
    top, _, left, _ = geometry.padding
    (sh, sw), (eh, ew) = geometry.stride, geometry.extent()
    reach = (sh * (size[0] - 1) + eh, sw * (size[1] - 1) + ew)  # padded rows, columns written
    keep = (min(g.shape[2], reach[0] - top), min(g.shape[3], reach[1] - left))
    padding = (top, reach[0] - top - keep[0], left, reach[1] - left - keep[1])
    if keep != tuple(g.shape[2:]):
        g = g[:, :, : keep[0], : keep[1]]
    return g, padding


@primitive(
    samples=[
        Sample((1, 2, 3, 3), (1, 3, 2, 2), weight_size=(3, 2, 2, 2)),
        Sample((2, 2, 4, 3), (2, 2, 3, 2), weight_size=(2, 1, 2, 2), groups=2, stride=2, padding=1),
    ]
)
def conv2d_weight(
    x: Array,
    g: Array,
    *,
    weight_size: tuple[int, int, int, int],
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[Array, Saved]:
    """out[o, c, i, j] = Σ_{n, h, w} g[n, o, h, w] · xp[n, c', s·h + d·i, s·w + d·j]: the
    gradient of conv2d w.r.t. a weight of `weight_size` (PyTorch's nn.grad.conv2d_weight)."""
    o, cg, kh, kw = weight_size
    probe = np.empty((1, cg, kh, kw), x.dtype)  # a weight-shaped stand-in for the checks
    _check_conv(x, probe, None, groups, "conv2d_weight")
    if g.dtype != x.dtype:
        raise DTypeError(
            f"conv2d_weight: input {x.dtype} and gradient {g.dtype}; expected one dtype"
        )
    geometry = _conv_geometry(probe, stride, padding, dilation, "conv2d_weight")
    size = geometry.out_size(x.shape[2:], "conv2d_weight")
    if x.shape[1] != cg * groups or g.shape != (x.shape[0], o, *size) or o % groups:
        raise ShapeError(
            f"conv2d_weight: input {x.shape}, gradient {g.shape}, weight_size {weight_size}; "
            f"expected a gradient of shape {(x.shape[0], o, *size)}"
        )
    g_rows = _rows(g, groups)
    per_image = size[0] * size[1]
    products = np.zeros((groups, kh * kw * cg, o // groups), x.dtype)
    for part in _chunks(x.shape[0], per_image * kh * kw * cg * groups * x.itemsize):
        columns = _columns(x[part], geometry, groups, size)
        products += (
            columns.transpose(0, 2, 1) @ g_rows[:, part.start * per_image : part.stop * per_image]
        )
    out = products.reshape(groups, kh, kw, cg, o // groups).transpose(0, 4, 3, 1, 2)
    return out.reshape(weight_size), (geometry, groups)


@conv2d_weight.defvjp
def conv2d_weight_vjp(ctx: Context, v: Array) -> Grads:
    """gx = conv_transpose2d(g, v);  gg = conv2d(x, v)  (v: the cotangent, weight-shaped)."""
    x, g = ctx.inputs
    geometry, groups = ctx.saved
    common = {"stride": geometry.stride, "dilation": geometry.dilation, "groups": groups}
    gx = gg = None
    if ctx.needs[0]:
        gx = conv_transpose2d(
            g,
            v,
            padding=geometry.padding,
            output_padding=_output_padding(x.shape[2:], g.shape[2:], geometry),
            **common,
        )
    if ctx.needs[1]:
        gg = conv2d(x, v, padding=geometry.padding, **common)
    return gx, gg


# ----- pooling ------------------------------------------------------------------------------


def _pool_geometry(
    x: Array, kernel_size: Any, stride: Any, padding: Any, dilation: Any, op: str
) -> Geometry:
    """The pooling window's geometry; stride defaults to the kernel, padding <= kernel / 2."""
    if x.ndim != 4:
        raise ShapeError(f"{op}: input {x.shape}; expected a 4-d input (N, C, H, W)")
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating input, got {x.dtype}")
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    strides = kernel if stride is None or stride == () else _pair(stride, "stride", op, 1)
    ph, pw = _pair(padding, "padding", op, 0)
    if 2 * ph > kernel[0] or 2 * pw > kernel[1]:
        raise ValueError(
            f"{op}: padding {(ph, pw)} with kernel {kernel}; expected padding at most half "
            f"the kernel size (PyTorch's rule)"
        )
    return Geometry(kernel, strides, _pair(dilation, "dilation", op, 1), (ph, ph, pw, pw))


def _image(shape: tuple[int, ...], like: Array, value: float = 0.0) -> Array:
    """A new (N, C, H, W) array filled with `value`, laid out in memory channels-last when
    `like` is: then the ops that follow (relu, the next conv's window copy) read it in order."""
    if like.strides[1] < like.strides[3]:  # channels-last memory, as conv2d's output
        n, c, h, w = shape
        return np.full((n, h, w, c), value, like.dtype).transpose(0, 3, 1, 2)
    return np.full(shape, value, like.dtype)


def _padded(x: Array, geometry: Geometry, value: float) -> Array:
    """x with `value` around its two spatial axes (x itself when there is no padding)."""
    top, bottom, left, right = geometry.padding
    if not (top or left):
        return x
    n, c, h, w = x.shape
    out = _image((n, c, h + top + bottom, w + left + right), x, value)
    out[:, :, top : top + h, left : left + w] = x
    return out


def _cropped(padded: Array, geometry: Geometry, shape: tuple[int, ...]) -> Array:
    top, _, left, _ = geometry.padding
    return padded[:, :, top : top + shape[2], left : left + shape[3]]


_POOL_INDEX = np.array([[[[0, 3], [1, 2]]], [[[2, 0], [3, 3]]]])  # taps of a 2×2 window


@primitive(
    samples=[
        Sample((1, 2, 4, 4), kernel_size=2),
        Sample((2, 1, 5, 4), kernel_size=(3, 2), stride=(2, 1), padding=1),
        Sample((1, 1, 5, 5), kernel_size=2, stride=1, dilation=2),
    ]
)
def max_pool2d(
    x: Array, *, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
) -> tuple[Array, Saved]:
    """out[n, c, h, w] = max over the window of x padded with -inf; the tap it took, the
    first maximum in row-major window order (NaN wins), is kept for the VJP (PyTorch's)."""
    geometry = _pool_geometry(x, kernel_size, stride, padding, dilation, "max_pool2d")
    size = geometry.out_size(x.shape[2:], "max_pool2d")
    padded = _padded(x, geometry, -np.inf)
    windows = [padded[:, :, rows, cols] for _, _, (rows, cols) in geometry.taps(size)]
    out = windows[0].copy(order="K")  # keeps x's memory layout
    for window in windows[1:]:
        np.maximum(out, window, out=out)
    index = np.empty_like(out, np.int32)
    if np.isnan(out).any():  # PyTorch's CPU kernel takes the last NaN, not the first
        index.fill(0)
        np.copyto(out, windows[0])
        for tap, window in enumerate(windows[1:], 1):
            take = (window > out) | np.isnan(window)
            np.copyto(out, window, where=take)
            np.copyto(index, tap, where=take)
        return out, (index, geometry)
    index.fill(len(windows) - 1)
    for tap in range(len(windows) - 2, -1, -1):  # the first tap that holds the maximum
        np.copyto(index, tap, where=windows[tap] == out)
    return out, (index, geometry)


@max_pool2d.defvjp
def max_pool2d_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g added at the tap each window took (zero elsewhere)."""
    index, geometry = ctx.saved
    shape = ctx.inputs[0].shape
    return (max_pool2d_transpose(g, index=index, input_size=shape, geometry=geometry),)


@primitive(
    samples=[
        Sample(
            (2, 1, 2, 2),
            index=_POOL_INDEX,
            input_size=(2, 1, 3, 3),
            geometry=Geometry((2, 2), (1, 1), (1, 1), (0, 0, 0, 0)),
        ),
    ]
)
def max_pool2d_transpose(
    g: Array, *, index: Array, input_size: tuple[int, ...], geometry: Geometry
) -> tuple[Array, Saved]:
    """out = zeros(input_size) with g[n, c, h, w] added at the tap index[n, c, h, w] of its
    window: the adjoint of max_pool2d_gather."""
    out = _image(_padded_size(input_size, geometry), g)
    extent = geometry.extent()
    apart = geometry.stride[0] >= extent[0] and geometry.stride[1] >= extent[1]
    for i, j, (rows, cols) in geometry.taps(g.shape[2:]):
        taken = index == i * geometry.kernel[1] + j
        if apart:  # windows do not overlap: each pixel is written once, no sum to keep
            np.copyto(out[:, :, rows, cols], g, where=taken)
        else:
            out[:, :, rows, cols] += np.where(taken, g, 0)
    return _cropped(out, geometry, input_size), None


@max_pool2d_transpose.defvjp
def max_pool2d_transpose_vjp(ctx: Context, v: Array) -> Grads:
    """gg = v at the tap each window took: max_pool2d_gather(v)."""
    return (max_pool2d_gather(v, index=ctx.params["index"], geometry=ctx.params["geometry"]),)


@primitive(
    samples=[
        Sample(
            (2, 1, 3, 3), index=_POOL_INDEX, geometry=Geometry((2, 2), (1, 1), (1, 1), (0, 0, 0, 0))
        ),
    ]
)
def max_pool2d_gather(x: Array, *, index: Array, geometry: Geometry) -> tuple[Array, Saved]:
    """out[n, c, h, w] = x at tap index[n, c, h, w] of window (h, w): max_pool2d with the
    choice of tap fixed (what second derivatives of max_pool2d differentiate)."""
    padded = _padded(x, geometry, 0.0)
    out = np.zeros_like(index, x.dtype)
    for i, j, (rows, cols) in geometry.taps(index.shape[2:]):
        out += np.where(index == i * geometry.kernel[1] + j, padded[:, :, rows, cols], 0)
    return out, (index, geometry)


@max_pool2d_gather.defvjp
def max_pool2d_gather_vjp(ctx: Context, g: Array) -> Grads:
    """gx = max_pool2d_transpose(g)."""
    index, geometry = ctx.saved
    shape = ctx.inputs[0].shape
    return (max_pool2d_transpose(g, index=index, input_size=shape, geometry=geometry),)


def _padded_size(shape: tuple[int, ...], geometry: Geometry) -> tuple[int, int, int, int]:
    top, bottom, left, right = geometry.padding
    return (shape[0], shape[1], shape[2] + top + bottom, shape[3] + left + right)


def _avg_divisor(
    size: Pair, out: Pair, geometry: Geometry, count_include_pad: bool, divisor: Any
) -> Any:
    """What each window's sum is divided by: divisor_override, the kernel's area, or (without
    count_include_pad) the number of the window's pixels inside the unpadded input."""
    if divisor is not None:
        return divisor
    top, _, left, _ = geometry.padding
    if count_include_pad or not (top or left):
        return geometry.kernel[0] * geometry.kernel[1]
    counts = []
    for n, k, s, p, length in zip(out, geometry.kernel, geometry.stride, (top, left), size):
        starts = np.arange(n) * s - p
        counts.append(np.clip(starts + k, 0, length) - np.clip(starts, 0, length))
    return np.outer(counts[0], counts[1])


@primitive(
    samples=[
        Sample((1, 2, 4, 4), kernel_size=2),
        Sample((2, 1, 5, 4), kernel_size=(3, 2), stride=(2, 1), padding=1),
        Sample((1, 1, 4, 5), kernel_size=3, stride=2, padding=1, count_include_pad=False),
        Sample((1, 1, 3, 3), kernel_size=2, stride=1, divisor_override=3),
    ]
)
def avg_pool2d(
    x: Array,
    *,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> tuple[Array, Saved]:
    """out[n, c, h, w] = Σ window of x zero-padded / divisor (the kernel's area, or the
    window's pixels inside x when not count_include_pad, or divisor_override)."""
    geometry = _pool_geometry(x, kernel_size, stride, padding, 1, "avg_pool2d")
    if divisor_override is not None and (
        isinstance(divisor_override, bool) or divisor_override <= 0
    ):
        raise ValueError(f"avg_pool2d: divisor_override={divisor_override!r}; expected > 0")
    size = geometry.out_size(x.shape[2:], "avg_pool2d")
    divisor = _avg_divisor(x.shape[2:], size, geometry, count_include_pad, divisor_override)
    padded = _padded(x, geometry, 0.0)
    out = _image((*x.shape[:2], *size), x)
    for _, _, (rows, cols) in geometry.taps(size):
        out += padded[:, :, rows, cols]
    return (out / divisor).astype(x.dtype, copy=False), (geometry, divisor)


@avg_pool2d.defvjp
def avg_pool2d_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / divisor spread over each window's pixels: avg_pool2d_transpose(g)."""
    geometry, divisor = ctx.saved
    shape = ctx.inputs[0].shape
    return (avg_pool2d_transpose(g, input_size=shape, geometry=geometry, divisor=divisor),)


@primitive(
    samples=[
        Sample(
            (1, 2, 2, 2),
            input_size=(1, 2, 4, 4),
            geometry=Geometry((2, 2), (2, 2), (1, 1), (0, 0, 0, 0)),
            divisor=4,
        ),
        Sample(
            (1, 1, 2, 3),
            input_size=(1, 1, 3, 4),
            geometry=Geometry((2, 2), (2, 2), (1, 1), (1, 1, 1, 1)),
            divisor=np.array([[1, 2, 1], [2, 4, 2]]),
        ),
    ]
)
def avg_pool2d_transpose(
    g: Array, *, input_size: tuple[int, ...], geometry: Geometry, divisor: Any
) -> tuple[Array, Saved]:
    """out = zeros(input_size) with g / divisor added to every pixel of each window: the
    adjoint of avg_pool2d."""
    share = (g / divisor).astype(g.dtype, copy=False)
    out = _image(_padded_size(input_size, geometry), g)
    for _, _, (rows, cols) in geometry.taps(g.shape[2:]):
        out[:, :, rows, cols] += share
    return _cropped(out, geometry, input_size), None


@avg_pool2d_transpose.defvjp
def avg_pool2d_transpose_vjp(ctx: Context, v: Array) -> Grads:
    """gg = Σ window of v / divisor: the pooling itself, with the same windows and divisor."""
    return (_avg_pool(v, geometry=ctx.params["geometry"], divisor=ctx.params["divisor"]),)


def _avg_pool(v: Any, geometry: Geometry, divisor: Any) -> Any:
    """avg_pool2d with its geometry and divisor already worked out."""
    top, _, left, _ = geometry.padding
    return avg_pool2d(
        v,
        kernel_size=geometry.kernel,
        stride=geometry.stride,
        padding=(top, left),
        divisor_override=divisor if np.ndim(divisor) == 0 else None,
        count_include_pad=np.ndim(divisor) == 0,
    )


# ----- padding ------------------------------------------------------------------------------


def _pad_widths(shape: tuple[int, ...], pad: tuple[int, ...]) -> list[tuple[int, int]]:
    """PyTorch's flat pad tuple (last dim first: left, right, top, bottom, ...) per dim."""
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise ValueError(
            f"pad: pad={pad} for a tensor of shape {shape}; expected an even number of "
            f"ints, at most {2 * len(shape)}"
        )
    widths = [(0, 0)] * len(shape)
    for k in range(len(pad) // 2):
        widths[len(shape) - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    return widths


@primitive(
    samples=[
        Sample((2, 3), pad=(1, 2)),
        Sample((2, 3, 4), pad=(0, 1, 2, 0, 1, 1), value=0.5),
        Sample((3, 4), pad=(-1, 2, 1, -1)),
    ]
)
def pad(x: Array, *, pad: tuple[int, ...], value: float = 0.0) -> tuple[Array, Saved]:
    """out = x with `value` added around its last dims (PyTorch's F.pad, constant mode);
    a negative width crops instead."""
    pad = tuple(pad)
    widths = _pad_widths(x.shape, pad)
    shape = tuple(n + before + after for n, (before, after) in zip(x.shape, widths))
    if any(n < 0 for n in shape):
        raise ShapeError(
            f"pad: pad={pad} on a tensor of shape {x.shape} gives shape {shape}; "
            f"expected negative widths to crop at most each dim's size"
        )
    out = np.full(shape, value, x.dtype)
    source = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))
    target = tuple(slice(max(b, 0), m - max(a, 0)) for m, (b, a) in zip(shape, widths))
    out[target] = x[source]
    return out, None


@pad.defvjp
def pad_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g with the padding cropped off: pad(g, -widths) (and cropped rows re-zeroed)."""
    return (pad(g, pad=tuple(-int(w) for w in ctx.params["pad"])),)
