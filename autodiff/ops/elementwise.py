"""Binary elementwise primitives with numpy broadcasting: arithmetic, maximum/minimum, where."""

from __future__ import annotations

import numpy as np

from autodiff.broadcast import shape_of, unbroadcast
from autodiff.ops.unary import log
from autodiff.primitive import Array, Context, Sample, Saved, constant, primitive

Grads = tuple[Array | None, ...]

_BROADCAST = [Sample((3, 1), (1, 4)), Sample((), (2, 3)), Sample((2, 3), (3,))]
_POSITIVE = [Sample((3, 1), (1, 4), domain=(0.5, 2.0)), Sample((), (2, 3), domain=(0.5, 2.0))]


@primitive(samples=_BROADCAST)
def add(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a + b."""
    return a + b, None


@add.defvjp
def add_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g, a.shape);  gb = unbroadcast(g, b.shape)."""
    a, b = ctx.inputs
    needs, shape = ctx.needs, g.shape
    ga = gb = None
    if needs[0]:
        ga = g if a.shape == shape else unbroadcast(g, a.shape)
    if needs[1]:
        gb = g if b.shape == shape else unbroadcast(g, b.shape)
    return ga, gb


@primitive(samples=_BROADCAST)
def sub(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a - b."""
    return a - b, None


@sub.defvjp
def sub_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g, a.shape);  gb = -unbroadcast(g, b.shape)."""
    a, b = ctx.inputs
    needs, shape = ctx.needs, g.shape
    ga = gb = None
    if needs[0]:
        ga = g if a.shape == shape else unbroadcast(g, a.shape)
    if needs[1]:
        gb = -(g if b.shape == shape else unbroadcast(g, b.shape))
    return ga, gb


@primitive(samples=_BROADCAST)
def mul(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a * b."""
    return a * b, None


@mul.defvjp
def mul_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g * b, a.shape);  gb = unbroadcast(g * a, b.shape)."""
    a, b = ctx.inputs
    needs, shape = ctx.needs, g.shape  # g * b and g * a have g's shape
    ga = gb = None
    if needs[0]:
        ga = g * b
        if a.shape != shape:
            ga = unbroadcast(ga, a.shape)
    if needs[1]:
        gb = g * a
        if b.shape != shape:
            gb = unbroadcast(gb, b.shape)
    return ga, gb


@primitive(samples=_POSITIVE + [Sample((2, 3), (3,), domain=(0.5, 2.0))])
def div(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a / b."""
    return a / b, None


@div.defvjp
def div_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g / b, a.shape);  gb = unbroadcast(-g * a / b², b.shape)."""
    a, b = ctx.inputs
    ga = unbroadcast(g / b, a.shape) if ctx.needs[0] else None
    gb = unbroadcast(-g * a / (b * b), b.shape) if ctx.needs[1] else None
    return ga, gb


@primitive(samples=[Sample((2, 3))])
def neg(x: Array) -> tuple[Array, Saved]:
    """out = -x."""
    return -x, None


@neg.defvjp
def neg_vjp(ctx: Context, g: Array) -> Grads:
    """gx = -g."""
    return (-g,)


@primitive(samples=_POSITIVE)
def pow(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a ** b."""
    return power(a, b), None


def power(a: Array, b: Array) -> Array:
    """a ** b, with a scalar exponent of 2, 3, 4, -1, -2, ±0.5 as products and sqrt.

    numpy's general float power costs up to a thousand times as much (7 ms for 131,072
    float32 values of x**3.0); PyTorch takes the same shortcuts, with the same rounding."""
    if np.ndim(b) == 0 and a.dtype.kind == "f" and np.result_type(a, b) == a.dtype:
        e = float(b)
        if e == 2.0:
            return a * a
        if e == 3.0:
            return a * a * a
        if e == 0.5:
            return np.sqrt(a)
        if e == 4.0:
            square = a * a
            return square * square
        if e == -1.0:
            return 1 / a
        if e == -0.5:
            return 1 / np.sqrt(a)
        if e == -2.0:
            return 1 / (a * a)
    return a**b


@pow.defvjp
def pow_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g * b * a**(b-1), a.shape);  gb = unbroadcast(g * out * log(a), b.shape).

    ga is 0 where b == 0 (as in PyTorch; b * a**(b-1) would be 0 * inf at a == 0). gb is 0
    where a == 0 and b >= 0 (PyTorch's value); for a < 0, where a**b has no derivative in b,
    log(a) makes it NaN, as in PyTorch and JAX.
    """
    a, b = ctx.inputs
    ga = None
    if ctx.needs[0]:
        ga = unbroadcast(where(b == 0, 0, g * b * pow(a, b - 1)), shape_of(a))
    gb = None
    if ctx.needs[1]:
        zero_base = where(a == 0, b >= 0, False)  # where PyTorch takes 0
        gb = unbroadcast(where(zero_base, 0, g * ctx.out * log(a)), shape_of(b))
    return ga, gb


@primitive(samples=_BROADCAST)
def maximum(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = max(a, b) elementwise; where a == b each side gets half the gradient."""
    weight_a = (a > b) + 0.5 * (a == b)
    return np.maximum(a, b), constant(weight_a.astype(np.result_type(a, b)))


@primitive(samples=_BROADCAST)
def minimum(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = min(a, b) elementwise; where a == b each side gets half the gradient."""
    weight_a = (a < b) + 0.5 * (a == b)
    return np.minimum(a, b), constant(weight_a.astype(np.result_type(a, b)))


@maximum.defvjp
@minimum.defvjp
def select_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g * w, a.shape);  gb = unbroadcast(g * (1 - w), b.shape).

    w (saved, a constant: 0, 1/2 or 1) is 1 where a was chosen, 0 where b was, and 1/2 at
    ties (as PyTorch and JAX do).
    """
    a, b = ctx.inputs
    weight_a = ctx.saved
    ga = unbroadcast(g * weight_a, a.shape) if ctx.needs[0] else None
    gb = unbroadcast(g * (1 - weight_a), b.shape) if ctx.needs[1] else None
    return ga, gb


_COND = np.array([[True], [False], [True]])


@primitive(samples=[Sample(_COND, (3, 4), (1, 4)), Sample(_COND, (), (3, 1))])
def where(cond: Array, a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a where cond else b."""
    return np.where(cond, a, b), None


@where.defvjp
def where_vjp(ctx: Context, g: Array) -> Grads:
    """ga = unbroadcast(g * cond, a.shape);  gb = unbroadcast(g * ~cond, b.shape)."""
    cond, a, b = ctx.inputs
    ga = unbroadcast(where(cond, g, 0), shape_of(a)) if ctx.needs[1] else None
    gb = unbroadcast(where(cond, 0, g), shape_of(b)) if ctx.needs[2] else None
    return None, ga, gb


@primitive(
    samples=[Sample((3, 4), low=-0.5, high=0.5), Sample((5,), low=-1.0, high=None)],
)
def clip(x: Array, low: float | None = None, high: float | None = None) -> tuple[Array, Saved]:
    """out = min(max(x, low), high)."""
    inside = np.ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return np.clip(x, low, high), inside


@clip.defvjp
def clip_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g where low <= x <= high, else 0 (at the bounds themselves 1, as in PyTorch).

    saved: the mask low <= x <= high.
    """
    return (g * ctx.saved,)
