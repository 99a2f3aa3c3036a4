"""Binary elementwise primitives with numpy broadcasting: arithmetic, maximum/minimum, where."""

from __future__ import annotations

import numpy as np

from autodiff.broadcast import unbroadcast
from autodiff.ops.unary import log
from autodiff.primitive import Array, Sample, Saved, primitive

_BROADCAST = [Sample((3, 1), (1, 4)), Sample((), (2, 3)), Sample((2, 3), (3,))]
_POSITIVE = [Sample((3, 1), (1, 4), domain=(0.5, 2.0)), Sample((), (2, 3), domain=(0.5, 2.0))]


@primitive(samples=_BROADCAST)
def add(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a + b."""
    return a + b, (a, b)  # only their shapes are used; they stay alive as inputs anyway


@add.defvjp
def add_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g, a.shape);  gb = unbroadcast(g, b.shape)."""
    a, b = saved
    ga = unbroadcast(g, a.shape) if needs[0] else None
    gb = unbroadcast(g, b.shape) if needs[1] else None
    return ga, gb


@primitive(samples=_BROADCAST)
def sub(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a - b."""
    return a - b, (a, b)


@sub.defvjp
def sub_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g, a.shape);  gb = -unbroadcast(g, b.shape)."""
    a, b = saved
    ga = unbroadcast(g, a.shape) if needs[0] else None
    gb = -unbroadcast(g, b.shape) if needs[1] else None
    return ga, gb


@primitive(samples=_BROADCAST)
def mul(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a * b."""
    return a * b, (a, b)


@mul.defvjp
def mul_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g * b, a.shape);  gb = unbroadcast(g * a, b.shape)."""
    a, b = saved
    ga = unbroadcast(g * b, a.shape) if needs[0] else None
    gb = unbroadcast(g * a, b.shape) if needs[1] else None
    return ga, gb


@primitive(samples=_POSITIVE + [Sample((2, 3), (3,), domain=(0.5, 2.0))])
def div(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a / b."""
    return a / b, (a, b)


@div.defvjp
def div_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g / b, a.shape);  gb = unbroadcast(-g * a / b**2, b.shape)."""
    a, b = saved
    ga = unbroadcast(g / b, a.shape) if needs[0] else None
    gb = unbroadcast(-g * a / (b * b), b.shape) if needs[1] else None
    return ga, gb


@primitive(samples=[Sample((2, 3))])
def neg(x: Array) -> tuple[Array, Saved]:
    """out = -x."""
    return -x, None


@neg.defvjp
def neg_vjp(saved: Saved, g: Array) -> tuple[Array]:
    """gx = -g."""
    return (-g,)


@primitive(samples=_POSITIVE)
def pow(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a ** b."""
    out = a**b
    return out, (a, b, out)


@pow.defvjp
def pow_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g * b * a**(b-1), a.shape);  gb = unbroadcast(g * out * log(a), b.shape).

    log(a) is taken as 0 where a <= 0 (PyTorch's choice: the exponent's gradient is 0 there,
    which is exact at a == 0 for b > 0 and avoids NaN for integer exponents of negatives).
    """
    a, b, out = saved
    ga = unbroadcast(g * b * a ** (b - 1), a.shape) if needs[0] else None
    gb = None
    if needs[1]:
        positive = a > 0
        safe_log = log(where(positive, a, 1)) * positive
        gb = unbroadcast(g * out * safe_log, b.shape)
    return ga, gb


@primitive(samples=_BROADCAST)
def maximum(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = max(a, b) elementwise; where a == b each side gets half the gradient."""
    weight_a = (a > b) + 0.5 * (a == b)
    return np.maximum(a, b), (weight_a.astype(np.result_type(a, b)), np.shape(a), np.shape(b))


@primitive(samples=_BROADCAST)
def minimum(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = min(a, b) elementwise; where a == b each side gets half the gradient."""
    weight_a = (a < b) + 0.5 * (a == b)
    return np.minimum(a, b), (weight_a.astype(np.result_type(a, b)), np.shape(a), np.shape(b))


@maximum.defvjp
@minimum.defvjp
def select_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g * w, a.shape);  gb = unbroadcast(g * (1 - w), b.shape).

    w is 1 where a was chosen, 0 where b was, and 1/2 at ties (as PyTorch and JAX do).
    """
    weight_a, a_shape, b_shape = saved
    ga = unbroadcast(g * weight_a, a_shape) if needs[0] else None
    gb = unbroadcast(g * (1 - weight_a), b_shape) if needs[1] else None
    return ga, gb


_COND = np.array([[True], [False], [True]])


@primitive(samples=[Sample(_COND, (3, 4), (1, 4)), Sample(_COND, (), (3, 1))])
def where(cond: Array, a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a where cond else b."""
    return np.where(cond, a, b), (cond, np.shape(a), np.shape(b))  # VJPs pass numbers too


@where.defvjp
def where_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g * cond, a.shape);  gb = unbroadcast(g * ~cond, b.shape)."""
    cond, a_shape, b_shape = saved
    ga = unbroadcast(where(cond, g, 0), a_shape) if needs[1] else None
    gb = unbroadcast(where(cond, 0, g), b_shape) if needs[2] else None
    return None, ga, gb


@primitive(samples=[Sample((3, 4), low=-0.5, high=0.5), Sample((5,), low=-1.0, high=None)])
def clip(x: Array, low: float | None = None, high: float | None = None) -> tuple[Array, Saved]:
    """out = min(max(x, low), high)."""
    inside = np.ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return np.clip(x, low, high), inside


@clip.defvjp
def clip_vjp(inside: Saved, g: Array) -> tuple[Array]:
    """gx = g where low <= x <= high, else 0 (at the bounds themselves 1, as in PyTorch)."""
    return (g * inside,)
