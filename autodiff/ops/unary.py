"""Unary elementwise primitives: exp, log, trigonometry, activations, casts.

Where a function has no derivative (relu and abs at 0, sqrt at 0) the VJP takes PyTorch's
value; the README's table lists them.
"""

from __future__ import annotations

import math

import numpy as np

from autodiff.primitive import Array, Sample, Saved, primitive

_ANY = [Sample((3, 4)), Sample(())]
_POSITIVE = [Sample((3, 4), domain=(0.2, 3.0)), Sample((), domain=(0.2, 3.0))]
_AWAY_FROM_ZERO = [Sample((3, 4), domain=(0.1, 2.0)), Sample((5,), domain=(-2.0, -0.1))]


@primitive(samples=_ANY)
def exp(x: Array) -> tuple[Array, Saved]:
    """out = e**x."""
    out = np.exp(x)
    return out, out


@exp.defvjp
def exp_vjp(out: Saved, g: Array) -> tuple[Array]:
    """gx = g * out."""
    return (g * out,)


@primitive(samples=_POSITIVE)
def log(x: Array) -> tuple[Array, Saved]:
    """out = ln x."""
    return np.log(x), x


@log.defvjp
def log_vjp(x: Saved, g: Array) -> tuple[Array]:
    """gx = g / x."""
    return (g / x,)


@primitive(samples=_POSITIVE)
def sqrt(x: Array) -> tuple[Array, Saved]:
    """out = √x."""
    out = np.sqrt(x)
    return out, out


@sqrt.defvjp
def sqrt_vjp(out: Saved, g: Array) -> tuple[Array]:
    """gx = g / (2 out); inf at x = 0, as in PyTorch."""
    return (g / (2 * out),)


@primitive(samples=_AWAY_FROM_ZERO)
def abs(x: Array) -> tuple[Array, Saved]:
    """out = |x|."""
    return np.abs(x), np.sign(x)


@abs.defvjp
def abs_vjp(sign: Saved, g: Array) -> tuple[Array]:
    """gx = g * sign(x); 0 at x = 0 (PyTorch's subgradient)."""
    return (g * sign,)


@primitive(samples=_ANY)
def sin(x: Array) -> tuple[Array, Saved]:
    """out = sin x."""
    return np.sin(x), x


@sin.defvjp
def sin_vjp(x: Saved, g: Array) -> tuple[Array]:
    """gx = g * cos x."""
    return (g * cos(x),)


@primitive(samples=_ANY)
def cos(x: Array) -> tuple[Array, Saved]:
    """out = cos x."""
    return np.cos(x), x


@cos.defvjp
def cos_vjp(x: Saved, g: Array) -> tuple[Array]:
    """gx = -g * sin x."""
    return (-g * sin(x),)


@primitive(samples=_ANY)
def tanh(x: Array) -> tuple[Array, Saved]:
    """out = tanh x."""
    out = np.tanh(x)
    return out, out


@tanh.defvjp
def tanh_vjp(out: Saved, g: Array) -> tuple[Array]:
    """gx = g * (1 - out²)."""
    return (g * (1 - out * out),)


@primitive(samples=_ANY)
def sigmoid(x: Array) -> tuple[Array, Saved]:
    """out = 1 / (1 + e**-x), as exp(-softplus(-x)) so that no exp overflows."""
    out = np.exp(-np.logaddexp(0, -x))
    return out, out


@sigmoid.defvjp
def sigmoid_vjp(out: Saved, g: Array) -> tuple[Array]:
    """gx = g * out * (1 - out)."""
    return (g * out * (1 - out),)


@primitive(samples=_ANY)
def softplus(x: Array) -> tuple[Array, Saved]:
    """out = ln(1 + e**x), as logaddexp(0, x): no overflow at x = 1000."""
    return np.logaddexp(0, x), x


@softplus.defvjp
def softplus_vjp(x: Saved, g: Array) -> tuple[Array]:
    """gx = g * sigmoid(x)  (1/2 at 0)."""
    return (g * sigmoid(x),)


@primitive(samples=_ANY)
def log_sigmoid(x: Array) -> tuple[Array, Saved]:
    """out = ln sigmoid(x) = -softplus(-x)."""
    return -np.logaddexp(0, -x), x


@log_sigmoid.defvjp
def log_sigmoid_vjp(x: Saved, g: Array) -> tuple[Array]:
    """gx = g * sigmoid(-x)  (1/2 at 0)."""
    return (g * sigmoid(-x),)


@primitive(samples=_AWAY_FROM_ZERO)
def relu(x: Array) -> tuple[Array, Saved]:
    """out = max(x, 0)."""
    out = np.maximum(x, 0)
    return out, out


@relu.defvjp
def relu_vjp(out: Saved, g: Array) -> tuple[Array]:
    """gx = g where x > 0, else 0 (0 at x = 0, as in PyTorch)."""
    return (g * (out > 0),)


@primitive(samples=[*_AWAY_FROM_ZERO, Sample((4,), negative_slope=0.2)])
def leaky_relu(x: Array, negative_slope: float = 0.01) -> tuple[Array, Saved]:
    """out = x where x > 0, else negative_slope * x."""
    positive = x > 0
    slope = np.where(positive, 1, negative_slope).astype(x.dtype)
    return x * slope, slope


@leaky_relu.defvjp
def leaky_relu_vjp(slope: Saved, g: Array) -> tuple[Array]:
    """gx = g * (1 if x > 0 else negative_slope)  (negative_slope at 0, as in PyTorch)."""
    return (g * slope,)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)  # a Python float: keeps float32 float32


@primitive(samples=[*_ANY, Sample((6,), domain=(-0.6, 0.6))])
def erf(x: Array) -> tuple[Array, Saved]:
    """out = erf x = 2/√π ∫₀ˣ e^(-t²) dt, to a relative error below 2e-7.

    numpy has no erf: below |x| = 0.5 a Taylor series (8 terms), above it 1 - erfc by a
    Chebyshev fit of erfc (relative error < 1.2e-7).
    """
    square = x * x
    term = x * _TWO_OVER_SQRT_PI
    series = term
    for n in range(1, 8):  # Σ (-1)^n x^(2n+1) / (n! (2n+1)) times 2/√π
        term = term * (-square / n)
        series = series + term / (2 * n + 1)
    t = 1.0 / (1.0 + 0.5 * np.abs(x))
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))))  # fmt: skip
    fitted = np.sign(x) * (1.0 - t * np.exp(-square + poly))
    return np.where(np.abs(x) < 0.5, series, fitted).astype(x.dtype, copy=False), x


@erf.defvjp
def erf_vjp(x: Saved, g: Array) -> tuple[Array]:
    """gx = g * 2/√π e^(-x²)."""
    return (g * _TWO_OVER_SQRT_PI * exp(-x * x),)


@primitive(samples=[Sample((3,), dtype=np.longdouble)])  # exact enough for finite differences
def astype(x: Array, dtype: np.dtype) -> tuple[Array, Saved]:
    """out = x converted to `dtype`."""
    return x.astype(dtype), x.dtype


@astype.defvjp
def astype_vjp(dtype: Saved, g: Array) -> tuple[Array]:
    """gx = g converted back to x's dtype."""
    return (g.astype(dtype),)
