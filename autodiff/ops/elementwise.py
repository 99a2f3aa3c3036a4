"""Binary elementwise primitives with numpy broadcasting: arithmetic, maximum/minimum, where."""

from __future__ import annotations

import numpy as np

from autodiff.broadcast import shape_of, unbroadcast
from autodiff.ops.unary import log
from autodiff.primitive import Array, Sample, Saved, primitive

_BROADCAST = [Sample((3, 1), (1, 4)), Sample((), (2, 3)), Sample((2, 3), (3,))]
_POSITIVE = [Sample((3, 1), (1, 4), domain=(0.5, 2.0)), Sample((), (2, 3), domain=(0.5, 2.0))]


@primitive(samples=_BROADCAST)
def add(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a + b."""
    return a + b, (shape_of(a), shape_of(b))


@add.defvjp
def add_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g, a.shape);  gb = unbroadcast(g, b.shape)."""
    a_shape, b_shape = saved
    ga = unbroadcast(g, a_shape) if needs[0] else None
    gb = unbroadcast(g, b_shape) if needs[1] else None
    return ga, gb


@primitive(samples=_BROADCAST)
def sub(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = a - b."""
    return a - b, (shape_of(a), shape_of(b))


@sub.defvjp
def sub_vjp(saved: Saved, g: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
    """ga = unbroadcast(g, a.shape);  gb = -unbroadcast(g, b.shape)."""
    a_shape, b_shape = saved
    ga = unbroadcast(g, a_shape) if needs[0] else None
    gb = -unbroadcast(g, b_shape) if needs[1] else None
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

    ga is 0 where b == 0 (as in PyTorch; b * a**(b-1) would be 0 * inf at a == 0). log(a) is
    taken as 0 where a <= 0: at a == 0 that is PyTorch's value, and for a < 0, where a**b
    has no derivative in b, it gives 0 where PyTorch gives NaN.
    """
    a, b, out = saved
    ga = None
    if needs[0]:
        ga = unbroadcast(where(b == 0, 0, g * b * a ** (b - 1)), a.shape)
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
    return np.maximum(a, b), (weight_a.astype(np.result_type(a, b)), shape_of(a), shape_of(b))


@primitive(samples=_BROADCAST)
def minimum(a: Array, b: Array) -> tuple[Array, Saved]:
    """out = min(a, b) elementwise; where a == b each side gets half the gradient."""
    weight_a = (a < b) + 0.5 * (a == b)
    return np.minimum(a, b), (weight_a.astype(np.result_type(a, b)), shape_of(a), shape_of(b))


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
    return np.where(cond, a, b), (cond, shape_of(a), shape_of(b))


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
