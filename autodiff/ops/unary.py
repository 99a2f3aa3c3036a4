"""Unary elementwise primitives: exp, log, trigonometry, activations, casts.

Where a function has no derivative (relu and abs at 0, sqrt at 0) the VJP takes PyTorch's
value; the README's table lists them.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from autodiff.primitive import Array, Context, Sample, Saved, constant, primitive

Grads = tuple[Array | None, ...]

_ANY = [Sample((3, 4)), Sample(())]
_POSITIVE = [Sample((3, 4), domain=(0.2, 3.0)), Sample((), domain=(0.2, 3.0))]
_AWAY_FROM_ZERO = [Sample((3, 4), domain=(0.1, 2.0)), Sample((5,), domain=(-2.0, -0.1))]
_ARRAYS = (np.ndarray, np.generic)  # what a plain backward hands a VJP (a tuple, made once)


@primitive(samples=_ANY)
def exp(x: Array) -> tuple[Array, Saved]:
    """out = e**x."""
    return np.exp(x), None


@exp.defvjp
def exp_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * out."""
    return (g * ctx.out,)


@primitive(samples=_POSITIVE)
def log(x: Array) -> tuple[Array, Saved]:
    """out = ln x."""
    with np.errstate(divide="ignore", invalid="ignore"):  # ln 0 = -inf, ln -1 = nan: as
        return np.log(x), None  # PyTorch, without a warning (torch.log(torch.tril(ones)))


@log.defvjp
def log_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / x."""
    (x,) = ctx.inputs
    return (g / x,)


@primitive(samples=_POSITIVE)
def sqrt(x: Array) -> tuple[Array, Saved]:
    """out = √x."""
    return np.sqrt(x), None


@sqrt.defvjp
def sqrt_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / (2 out); inf at x = 0, as in PyTorch."""
    return (g / (2 * ctx.out),)


@primitive(samples=_AWAY_FROM_ZERO)
def abs(x: Array) -> tuple[Array, Saved]:
    """out = |x|."""
    return np.abs(x), constant(np.sign(x))


@abs.defvjp
def abs_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * sign(x); 0 at x = 0 (PyTorch's subgradient). saved: sign(x), a constant."""
    return (g * ctx.saved,)


@primitive(samples=_ANY)
def sin(x: Array) -> tuple[Array, Saved]:
    """out = sin x."""
    return np.sin(x), None


@sin.defvjp
def sin_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * cos x."""
    (x,) = ctx.inputs
    return (g * cos(x),)


@primitive(samples=_ANY)
def cos(x: Array) -> tuple[Array, Saved]:
    """out = cos x."""
    return np.cos(x), None


@cos.defvjp
def cos_vjp(ctx: Context, g: Array) -> Grads:
    """gx = -g * sin x."""
    (x,) = ctx.inputs
    return (-g * sin(x),)


@primitive(samples=_ANY)
def cosh(x: Array) -> tuple[Array, Saved]:
    """out = cosh x = (e**x + e**-x) / 2."""
    return np.cosh(x), None


@cosh.defvjp
def cosh_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * sinh x."""
    (x,) = ctx.inputs
    return (g * sinh(x),)


@primitive(samples=_ANY)
def sinh(x: Array) -> tuple[Array, Saved]:
    """out = sinh x = (e**x - e**-x) / 2."""
    return np.sinh(x), None


@sinh.defvjp
def sinh_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * cosh x."""
    (x,) = ctx.inputs
    return (g * cosh(x),)


@primitive(samples=_ANY)
def tanh(x: Array) -> tuple[Array, Saved]:
    """out = tanh x."""
    return np.tanh(x), None


@tanh.defvjp
def tanh_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / cosh x / cosh x  (= g (1 - out²), which loses every digit once out rounds to ±1).

    Dividing twice rather than by cosh² keeps the subnormal values from |x| ≈ 355, where
    cosh² overflows, to |x| ≈ 710, where cosh does and the gradient is 0 to float64's precision.
    """
    (x,) = ctx.inputs
    # numpy directly in a plain backward: calling the primitive costs as much as the arithmetic
    c = np.cosh(x) if isinstance(x, _ARRAYS) else cosh(x)
    return (g / c / c,)


@primitive(samples=_ANY)
def sigmoid(x: Array) -> tuple[Array, Saved]:
    """out = 1 / (1 + e**-x); where e**-x overflows (x < -88 in float32) 1/inf gives the
    limit 0, as in PyTorch (a third of the time of exp(-softplus(-x)), no less accurate)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x)), None


@sigmoid.defvjp
def sigmoid_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * out * sigmoid(-x)  (= g out (1 - out), which cancels once out nears 1)."""
    (x,) = ctx.inputs
    return (g * ctx.out * sigmoid(-x),)


@primitive(samples=_ANY)
def softplus(x: Array) -> tuple[Array, Saved]:
    """out = ln(1 + e**x), as logaddexp(0, x): no overflow at x = 1000."""
    return np.logaddexp(0, x), None


@softplus.defvjp
def softplus_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * sigmoid(x)  (1/2 at 0)."""
    (x,) = ctx.inputs
    return (g * sigmoid(x),)


@primitive(samples=_ANY)
def log_sigmoid(x: Array) -> tuple[Array, Saved]:
    """out = ln sigmoid(x) = -softplus(-x)."""
    return -np.logaddexp(0, -x), None


@log_sigmoid.defvjp
def log_sigmoid_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * sigmoid(-x)  (1/2 at 0)."""
    (x,) = ctx.inputs
    return (g * sigmoid(-x),)


@primitive(samples=_AWAY_FROM_ZERO)
def relu(x: Array) -> tuple[Array, Saved]:
    """out = max(x, 0). saved: the mask x > 0, a constant, so that the VJP needs neither x
    nor out, and x.relu_() (out written over x) still differentiates, as in PyTorch."""
    return np.maximum(x, 0), constant(x > 0)


@relu.defvjp
def relu_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g where x > 0, else 0 (0 at x = 0, as in PyTorch)."""
    return (g * ctx.saved,)


@primitive(samples=[*_AWAY_FROM_ZERO, Sample((4,), negative_slope=0.2)])
def leaky_relu(x: Array, negative_slope: float = 0.01) -> tuple[Array, Saved]:
    """out = x where x > 0, else negative_slope * x."""
    positive = x > 0
    slope = np.where(positive, 1, negative_slope).astype(x.dtype)
    return x * slope, constant(slope)


@leaky_relu.defvjp
def leaky_relu_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * slope, slope (saved) = 1 where x > 0, else negative_slope (also at 0, as in
    PyTorch)."""
    return (g * ctx.saved,)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)  # a Python float: keeps float32 float32

# erf to float64's precision (relative error below 1e-15; the test checks it against math.erf).
# Below |x| = 1/2: the Taylor series of erf(x) / x in x², 13 terms. From 1/2 to 6: erf = 1 -
# e^(-x²) R(x), with R(x) = e^(x²) erfc(x) smooth and slowly varying, one polynomial of degree
# 12 per interval of width 1/2, fitted here, once (at the first erf, not at import: the fit
# takes milliseconds), to math.erfc at the interval's Chebyshev nodes. From 6 on, erf is 1 to
# the last bit (erfc(6) = 2e-17).
_ERF_TAYLOR = [_TWO_OVER_SQRT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13)]
_ERF_LOW, _ERF_HIGH, _ERF_WIDTH, _ERF_DEGREE = 0.5, 6.0, 0.5, 12


@functools.cache
def _erfc_scaled_table() -> np.ndarray:
    """Coefficients of R(x) = e^(x²) erfc(x) per interval, row j for t^(12 - j), where t
    runs from -1 to 1 across the interval (columns: the intervals)."""
    nodes = np.cos(np.pi * (np.arange(_ERF_DEGREE + 1) + 0.5) / (_ERF_DEGREE + 1))
    rows = []
    for start in np.arange(_ERF_LOW, _ERF_HIGH, _ERF_WIDTH):
        xs = start + (nodes + 1) * _ERF_WIDTH / 2
        wide = np.longdouble  # e^(x²) to more than float64's digits
        values = [float(wide(math.erfc(x)) * np.exp(wide(x) ** 2)) for x in xs]
        chebyshev = np.polynomial.chebyshev.chebfit(nodes, values, _ERF_DEGREE)
        rows.append(np.polynomial.chebyshev.cheb2poly(chebyshev)[::-1])
    return np.ascontiguousarray(np.array(rows).T)


def _erf(x: Array) -> Array:
    """erf of a 1-d float64 array, accurate to float64's precision (see above)."""
    size = np.abs(x)
    out = np.sign(x)  # erf = ±1 from 6 on; NaN stays NaN
    small = size < _ERF_LOW
    xs = x[small]
    square = xs * xs
    series = np.full_like(xs, _ERF_TAYLOR[-1])
    for c in _ERF_TAYLOR[-2::-1]:
        series = series * square + c
    out[small] = xs * series
    middle = (size >= _ERF_LOW) & (size < _ERF_HIGH)
    xm = size[middle]
    k = ((xm - _ERF_LOW) // _ERF_WIDTH).astype(np.intp)  # the interval
    t = 2 * (xm - _ERF_LOW - k * _ERF_WIDTH) / _ERF_WIDTH - 1
    table = _erfc_scaled_table()
    scaled = table[0].take(k)
    for row in table[1:]:
        scaled *= t
        scaled += row.take(k)
    out[middle] = np.copysign(1 - np.exp(-xm * xm) * scaled, x[middle])
    return out


@primitive(samples=[*_ANY, Sample((6,), domain=(-0.6, 0.6)), Sample((8,), domain=(-7.0, 7.0))])
def erf(x: Array) -> tuple[Array, Saved]:
    """out = erf x = 2/√π ∫₀ˣ e^(-t²) dt, to float64's precision (computed in float64)."""
    x = np.asarray(x)
    out = _erf(x.astype(np.float64).reshape(-1)).reshape(x.shape)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False), None


@erf.defvjp
def erf_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * 2/√π e^(-x²)."""
    (x,) = ctx.inputs
    return (g * _TWO_OVER_SQRT_PI * exp(-x * x),)


@primitive(  # longdouble: exact enough for finite differences
    samples=[Sample((3,), dtype=np.longdouble)]
)
def astype(x: Array, dtype: np.dtype) -> tuple[Array, Saved]:
    """out = x converted to `dtype`."""
    return x.astype(dtype), None


@astype.defvjp
def astype_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g converted back to x's dtype."""
    (x,) = ctx.inputs
    return (g.astype(x.dtype),)


@primitive(samples=_POSITIVE, rule=("d/dx log₁₀ x = 1/(x ln 10)", "like ln x, scaled by 1/ln 10"))
def log10(x: Array) -> tuple[Array, Saved]:
    """out = log₁₀ x."""
    return np.log10(x), None


@log10.defvjp
def log10_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / (x ln 10)."""
    (x,) = ctx.inputs
    return (g / (x * math.log(10.0)),)


@primitive(samples=_POSITIVE, rule=("d/dx log₂ x = 1/(x ln 2)", "like ln x, scaled by 1/ln 2"))
def log2(x: Array) -> tuple[Array, Saved]:
    """out = log₂ x."""
    return np.log2(x), None


@log2.defvjp
def log2_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / (x ln 2)."""
    (x,) = ctx.inputs
    return (g / (x * math.log(2.0)),)


@primitive(
    samples=[Sample((3, 4), domain=(-0.8, 2.0)), Sample((), domain=(-0.8, 2.0))],
    rule=("d/dx ln(1 + x) = 1/(1 + x)", "g divided by 1 + x"),
)
def log1p(x: Array) -> tuple[Array, Saved]:
    """out = ln(1 + x), exact for tiny x."""
    return np.log1p(x), None


@log1p.defvjp
def log1p_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g / (1 + x)."""
    (x,) = ctx.inputs
    return (g / (1 + x),)


@primitive(samples=_ANY, rule=("d/dx (eˣ − 1) = eˣ", "g times out + 1"))
def expm1(x: Array) -> tuple[Array, Saved]:
    """out = e**x - 1, exact for tiny x."""
    return np.expm1(x), None


@expm1.defvjp
def expm1_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g (out + 1)."""
    return (g * (ctx.out + 1),)


# Rounding and sign: piecewise constant, so their derivative is 0 wherever it exists, and
# PyTorch takes 0 at the jumps too. A VJP that returns zeros of x's shape is the derivative
# itself, not a stand-in for it. An integer input comes back as it is (its dtype kept), as in
# PyTorch; samples stay clear of the jumps, where finite differences would see them.
_STEPS = [
    Sample((3, 4), domain=(0.1, 0.4)),
    Sample((5,), domain=(-2.9, -2.6)),
    Sample((), domain=(1.1, 1.4)),
]
_ZERO_RULE = ("d/dx = 0 (a step function)", "no gradient flows: the derivative is 0")


@primitive(samples=[Sample((3, 4)), Sample(())], rule=("d/dg 0 = 0", "a constant 0: none flows"))
def zeros_of(g: Array) -> tuple[Array, Saved]:
    """out = zeros of g's shape and dtype (0 also where g is inf or NaN, unlike g * 0): the
    gradient of a step function, recorded under create_graph as a function of g."""
    return np.zeros_like(g), None


def _zero_vjp(ctx: Context, g: Array) -> Grads:
    """gx = 0 of x's shape: the exact derivative of a step function (0 also at its jumps,
    as in PyTorch), not a stand-in for one."""
    return (zeros_of(g),)


def _rounded(fn: np.ufunc, x: Array) -> Array:
    """fn(x) for a float x; an integer or boolean x unchanged (a copy), its dtype kept."""
    if x.dtype.kind in "biu":
        return x.copy()
    return fn(x)


@primitive(samples=_STEPS, rule=_ZERO_RULE)
def floor(x: Array) -> tuple[Array, Saved]:
    """out = ⌊x⌋, the largest integer <= x; the derivative is 0 everywhere (see _zero_vjp)."""
    return _rounded(np.floor, x), None


@primitive(samples=_STEPS, rule=_ZERO_RULE)
def ceil(x: Array) -> tuple[Array, Saved]:
    """out = ⌈x⌉, the smallest integer >= x; the derivative is 0 everywhere."""
    return _rounded(np.ceil, x), None


@primitive(samples=_STEPS, rule=_ZERO_RULE)
def trunc(x: Array) -> tuple[Array, Saved]:
    """out = x rounded toward 0; the derivative is 0 everywhere."""
    return _rounded(np.trunc, x), None


@primitive(samples=[*_STEPS, Sample((3, 4), domain=(0.11, 0.14), decimals=1)], rule=_ZERO_RULE)
def round(x: Array, decimals: int = 0) -> tuple[Array, Saved]:
    """out = x rounded to `decimals` decimal places, halves to even (as PyTorch and numpy);
    the derivative is 0 everywhere."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(
            f"round: decimals must be an int, got {type(decimals).__name__} {decimals!r:.40}"
        )
    if x.dtype.kind in "biu":
        if decimals != 0:
            raise TypeError(
                f"round: decimals={decimals} on an integer tensor ({x.dtype}), which PyTorch "
                f"refuses too; convert it first: x.double().round(decimals={decimals})"
            )
        return x.copy(), None
    return np.round(x, int(decimals)), None


@primitive(
    samples=[Sample((3, 4), domain=(0.1, 2.0)), Sample((5,), domain=(-2.0, -0.1))],
    rule=("d/dx sign(x) = 0", "no gradient flows: the derivative is 0"),
)
def sign(x: Array) -> tuple[Array, Saved]:
    """out = -1, 0 or 1 as x is negative, zero or positive, and 0 for NaN (PyTorch's sign;
    numpy's gives NaN); the derivative is 0 everywhere (0 also at x = 0, as in PyTorch)."""
    if x.dtype == np.bool_:
        return x.copy(), None
    out = np.sign(x)
    if out.dtype.kind == "f":
        out[np.isnan(out)] = 0
    return out, None


for _step in (zeros_of, floor, ceil, trunc, round, sign):
    _step.defvjp(_zero_vjp)
