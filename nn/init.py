"""Weight initialisers, PyTorch's torch.nn.init: each fills a Tensor in place and returns it.

Each draws from `generator` (an autodiff.Generator) if given, else from the global generator
(`nn.manual_seed`), with PyTorch's arithmetic: after the same seed they give PyTorch's values,
bit for bit (orthogonal_ up to its QR factorisation, which is numpy's LAPACK). They run under
no_grad(), so they may fill Parameters.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autodiff
from autodiff import Generator, Tensor

_LINEAR_GAINS = {
    "linear",
    "identity",
    "sigmoid",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for `nonlinearity` (param: leaky_relu's negative slope)."""
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of linear, "
        f"sigmoid, tanh, relu, leaky_relu, selu"
    )


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as PyTorch counts them."""
    if tensor.ndim < 2:
        raise ValueError(
            f"{op}: fan in and fan out need a weight of at least 2 dimensions; "
            f"expected (out_features, in_features, ...), got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor: Tensor, values: Any) -> Tensor:
    with autodiff.no_grad():
        return tensor.copy_(values)


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with values drawn uniformly from [a, b)."""
    with autodiff.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with values drawn from N(mean, std²)."""
    with autodiff.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (absolute bounds), by PyTorch's rejection
    sampling: where [a, b] holds more than 0.3 of the mass, normal draws of the whole tensor
    replace the values outside until none is left; else uniform proposals on [a, b] accepted
    with probability pdf / peak (float32 log there is numpy's: a rare accept may differ)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: a={a}, b={b}; expected a < b")

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    dtype = tensor.dtype
    with autodiff.no_grad():
        if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
            low, high = float(dtype.type(a)), float(dtype.type(b))
            result = tensor.normal_(mean, std, generator=generator).numpy().copy()
            while True:
                outside = (result < low) | (result > high)
                if not outside.any():
                    break
                fresh = autodiff.zeros(tensor.shape, dtype=dtype).normal_(
                    mean, std, generator=generator
                )
                result = np.where(outside, fresh.numpy(), result)
            return tensor.copy_(result)
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def log_ratio(x: np.ndarray) -> np.ndarray:  # log(pdf(x) / pdf(mode)), in x's dtype
            z = (x - dtype.type(mean)) / dtype.type(std)
            return z * z * dtype.type(-0.5) - dtype.type(log_peak)

        def rejected(x: np.ndarray) -> np.ndarray:
            u = autodiff.zeros(tensor.shape, dtype=dtype).uniform_(generator=generator).numpy()
            with np.errstate(divide="ignore"):
                return np.log(u) > log_ratio(x)

        result = tensor.uniform_(a, b, generator=generator).numpy().copy()
        pending = rejected(result)
        while pending.any():
            proposal = autodiff.zeros(tensor.shape, dtype=dtype).uniform_(a, b, generator=generator)
            proposal = proposal.numpy()
            result = np.where(pending, proposal, result)
            pending = np.where(pending, rejected(proposal), pending)
        return tensor.copy_(result)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value val."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return _fill(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: a tensor of shape {tensor.shape}; expected 2 dimensions")
    return _fill(tensor, np.eye(*tensor.shape))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix: the Q of the QR factorisation of a standard normal
    draw (rows × the product of the other dims), signs fixed by R's diagonal, times gain."""
    if tensor.ndim < 2:
        raise ValueError(
            f"orthogonal_: a tensor of shape {tensor.shape}; expected at least 2 dimensions"
        )
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = autodiff.zeros(rows, cols, dtype=tensor.dtype)
    normal_(flat, 0.0, 1.0, generator)
    matrix = flat.numpy().astype(np.float64)
    if rows < cols:
        matrix = matrix.T
    q, r = np.linalg.qr(matrix)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q.astype(tensor.dtype) * tensor.dtype.type(gain)).reshape(tensor.shape))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain·√3·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # PyTorch's order of operations, for the same bits
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _no_elements(tensor: Tensor, op: str) -> bool:
    """Whether tensor has no elements: PyTorch's kaiming initialisers then leave it as it is,
    with a warning, and draw nothing (its fan may be 0)."""
    if 0 not in tensor.shape:
        return False
    warnings.warn(f"{op}: initializing zero-element tensors is a no-op", stacklevel=3)
    return True


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, op: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: unknown mode {mode!r}; expected 'fan_in' or 'fan_out'")
    fan_in, fan_out = _fans(tensor, op)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He uniform: U(-b, b) with b = √3·gain/√fan; for relu (gain √2) b = √(6 / fan_in)."""
    if _no_elements(tensor, "kaiming_uniform_"):
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He normal: N(0, std²) with std = gain / √fan; for relu std = √(2 / fan_in)."""
    if _no_elements(tensor, "kaiming_normal_"):
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(tensor, 0.0, std, generator)


def pytorch_default_(weight: Tensor, bias: Tensor | None = None) -> None:
    """PyTorch's default initialisation of Linear and Conv layers: kaiming_uniform_ with
    a = √5 for the weight, i.e. U(±1/√fan_in), and U(±1/√fan_in) for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _fans(weight, "pytorch_default_")
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
