"""BatchNorm1d / BatchNorm2d (running statistics kept as buffers) and LayerNorm."""

from __future__ import annotations

from typing import Any

import numpy as np

import autodiff
from autodiff import ShapeError, Tensor
from nn import arguments
from nn import functional as F
from nn.module import Module
from nn.parameter import Parameter


class _BatchNorm(Module):
    """Normalize each channel over the batch (and spatial dims), then scale and shift.

    Training mode normalizes with the batch's statistics and updates the running ones
    (running = (1 - momentum)·running + momentum·batch, the variance unbiased; momentum=None
    averages all batches so far); eval mode uses the running statistics. The state_dict holds
    weight, bias, running_mean, running_var and num_batches_tracked, as PyTorch's; bias=False
    (keyword only, as in PyTorch) scales without a shift.
    """

    dims: tuple[int, ...] = ()  # the input ranks this layer accepts

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        name = type(self).__name__
        num_features = arguments.size(name, "num_features", num_features)
        bias = arguments.flag(name, "bias", bias)
        eps = arguments.number(name, "eps", eps, minimum=0.0)  # PyTorch's forward refuses < 0
        if momentum is not None:
            arguments.number(name, "momentum", momentum)
        affine = arguments.flag(name, "affine", affine)
        track_running_stats = arguments.flag(name, "track_running_stats", track_running_stats)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            with autodiff.no_grad():
                self.running_mean.copy_(0.0)
                self.running_var.copy_(1.0)
                self.num_batches_tracked.copy_(0)

    def forward(self, input: Any) -> Tensor:
        x = autodiff.as_tensor(input)
        name = type(self).__name__
        if x.ndim not in self.dims or x.shape[1] != self.num_features:
            raise ShapeError(
                f"{name}: input {x.shape}; expected {' or '.join(map(str, self.dims))} dims "
                f"with {self.num_features} channels in dim 1"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with autodiff.no_grad():
                self.num_batches_tracked.copy_(self.num_batches_tracked.numpy() + 1)
            if self.momentum is None:  # a cumulative average of every batch so far
                momentum = 1.0 / float(self.num_batches_tracked.numpy())
        return F.batch_norm(
            x,
            self.running_mean,  # None when not tracking: then every mode uses the batch's
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, PyTorch's nn.BatchNorm1d.

    >>> bn = nn.BatchNorm1d(16)
    >>> bn(Tensor(np.random.rand(8, 16).astype(np.float32))).shape
    Size([8, 16])
    """

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs per channel, PyTorch's nn.BatchNorm2d.

    >>> bn = nn.BatchNorm2d(32)
    >>> sorted(bn.state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """

    dims = (4,)


class LayerNorm(Module):
    """Normalize over the last dims (normalized_shape) of each sample, then scale and shift
    elementwise, PyTorch's nn.LayerNorm.

    >>> nn.LayerNorm(64)(Tensor(np.random.rand(8, 10, 64).astype(np.float32))).shape
    Size([8, 10, 64])
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        if not isinstance(shape, (tuple, list, autodiff.Size)) or not shape:
            raise TypeError(
                f"LayerNorm: normalized_shape={normalized_shape!r:.60}; expected an int or a "
                f"tuple of ints"
            )
        self.normalized_shape = tuple(
            arguments.size("LayerNorm", "normalized_shape", n) for n in shape
        )
        eps = arguments.number("LayerNorm", "eps", eps, minimum=0.0)
        elementwise_affine = arguments.flag("LayerNorm", "elementwise_affine", elementwise_affine)
        bias = arguments.flag("LayerNorm", "bias", bias)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        self.weight = (
            Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        )
        self.bias = (
            Parameter(np.zeros(self.normalized_shape, dtype))
            if elementwise_affine and bias
            else None
        )

    def forward(self, input: Any) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
            f", bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalize each sample's channels in groups, then scale and shift per channel,
    PyTorch's nn.GroupNorm (weight starts at 1, bias at 0).

    >>> nn.GroupNorm(4, 32)(Tensor(np.random.rand(8, 32, 5, 5).astype(np.float32))).shape
    Size([8, 32, 5, 5])
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} in num_groups={num_groups}; expected "
                f"a positive num_groups that divides num_channels"
            )
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        self.weight = Parameter(np.ones(self.num_channels, dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.num_channels, dtype)) if affine and bias else None

    def forward(self, input: Any) -> Tensor:
        x = autodiff.as_tensor(input)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: input {x.shape}; expected (N, {self.num_channels}, ...)")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
