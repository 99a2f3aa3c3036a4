"""Reductions along axes: sum, max, min, logsumexp, and softmax / log_softmax along an axis.

mean, var and std are composed from these by Tensor, not primitives of their own.
"""

from __future__ import annotations

import numpy as np

from autodiff.broadcast import Axis, keepdims_shape, normalize_axes, reduced_shape
from autodiff.ops.elementwise import where
from autodiff.ops.shape import broadcast_to, getitem
from autodiff.ops.unary import exp
from autodiff.primitive import Array, Context, Sample, Saved, constant, primitive

Grads = tuple[Array | None, ...]

_AXES = [
    Sample((2, 3, 4)),
    Sample((2, 3, 4), axis=1),
    Sample((2, 3, 4), axis=(0, 2), keepdims=True),
    Sample((2, 3, 4), axis=-1, keepdims=True),
    Sample(()),
]


@primitive(samples=_AXES)
def sum(x: Array, axis: Axis = None, keepdims: bool = False) -> tuple[Array, Saved]:
    """out = x.sum(axis, keepdims)."""
    normalize_axes(axis, x.ndim, "sum")
    return x.sum(axis=axis, keepdims=keepdims), None


@sum.defvjp
def sum_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g copied along every summed axis, i.e. g broadcast back to x.shape."""
    shape = ctx.inputs[0].shape
    if not ctx.params.get("keepdims"):  # re-insert the summed axes as size 1 so g can broadcast
        g = g.reshape(keepdims_shape(shape, ctx.params.get("axis")))
    return (broadcast_to(g, shape=shape),)


def _refuse_empty_dims(op: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    """Raise if one of `axes` of `shape` has size 0: a max or min over no values."""
    for a in axes:
        if shape[a] == 0:
            raise ValueError(
                f"{op}: cannot reduce input {shape} over dim {a}; "
                f"expected every reduced dim to have a nonzero size, got size 0"
            )


def _extreme(x: Array, axis: Axis, keepdims: bool, pick: np.ufunc) -> tuple[Array, Saved]:
    """max or min (by `pick`) with the weights that share g among tied extremes."""
    op = "max" if pick is np.maximum else "min"
    axes = normalize_axes(axis, x.ndim, op)
    if x.size == 0:  # an empty result is fine (PyTorch's too); the extreme of nothing is not
        _refuse_empty_dims(op, x.shape, axes)
    out = pick.reduce(x, axis=axis, keepdims=True)
    hits = x == out
    if x.dtype.kind in "fc" and np.isnan(out).any():  # a NaN wins: the NaNs share g, as in PyTorch
        hits |= np.isnan(x) & np.isnan(out)
    weights = hits / hits.sum(axis=axis, keepdims=True)  # ties share the gradient equally
    if not keepdims:
        out = out.reshape(reduced_shape(x.shape, axis))
    return out, constant(weights.astype(x.dtype))


@primitive(samples=_AXES)
def max(x: Array, axis: Axis = None, keepdims: bool = False) -> tuple[Array, Saved]:
    """out = x.max(axis, keepdims)."""
    return _extreme(x, axis, keepdims, np.maximum)


@primitive(samples=_AXES)
def min(x: Array, axis: Axis = None, keepdims: bool = False) -> tuple[Array, Saved]:
    """out = x.min(axis, keepdims)."""
    return _extreme(x, axis, keepdims, np.minimum)


@max.defvjp
@min.defvjp
def extreme_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * w, w (saved: a constant) = 1/k on each of the k entries equal to the extreme,
    0 elsewhere."""
    weights = ctx.saved
    if not ctx.params.get("keepdims"):
        g = g.reshape(keepdims_shape(weights.shape, ctx.params.get("axis")))
    return (g * weights,)


@primitive(samples=_AXES)
def logsumexp(x: Array, axis: Axis = None, keepdims: bool = False) -> tuple[Array, Saved]:
    """out = ln Σ e**x over `axis`, shifted by the max so that e**x never overflows."""
    normalize_axes(axis, x.ndim, "logsumexp")
    if x.size == 0:  # a sum of no terms is 0, and ln 0 = -inf (PyTorch's value)
        out = np.full(keepdims_shape(x.shape, axis), -np.inf, dtype=np.exp(x).dtype)
        return (out if keepdims else out.reshape(reduced_shape(x.shape, axis))), None
    shift = x.max(axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)  # all -inf: nothing to shift by
    with np.errstate(divide="ignore"):  # all -inf: ln 0 = -inf is the answer, not a fault
        out = np.log(np.exp(x - shift).sum(axis=axis, keepdims=True)) + shift
    if not keepdims:
        out = out.reshape(reduced_shape(x.shape, axis))
    return out, None


@logsumexp.defvjp
def logsumexp_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g * e**(x - out) = g * softmax(x)."""
    (x,) = ctx.inputs
    out = ctx.out
    if not ctx.params.get("keepdims"):
        shape = keepdims_shape(x.shape, ctx.params.get("axis"))
        g = g.reshape(shape)
        out = out.reshape(shape)
    return (g * exp(x - out),)


@primitive(samples=[*_AXES[:4], Sample((2, 3, 4), axis=(0, 2), ddof=1)])
def std(x: Array, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> tuple[Array, Saved]:
    """out = √(Σ (x - mean)² / (n - ddof)) over `axis` (numpy's std)."""
    normalize_axes(axis, x.ndim, "std")
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof), None


@std.defvjp
def std_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g (x - mean) / ((n - ddof) out); 0 where out = 0 (PyTorch's value: all x equal)."""
    (x,) = ctx.inputs
    out = ctx.out
    axis = ctx.params.get("axis")
    if not ctx.params.get("keepdims"):
        shape = keepdims_shape(x.shape, axis)
        g = g.reshape(shape)
        out = out.reshape(shape)
    count = 1
    for a in normalize_axes(axis, x.ndim):
        count *= x.shape[a]
    flat = out == 0
    scale = g / (where(flat, 1, out) * (count - ctx.params.get("ddof", 0)))
    return (where(flat, 0, scale * (x - x.mean(axis=axis, keepdims=True))),)


_ALONG = [Sample((3, 4)), Sample((2, 3, 4), axis=1), Sample((5,))]


@primitive(samples=_ALONG)
def softmax(x: Array, axis: int = -1) -> tuple[Array, Saved]:
    """out = e**x / Σ e**x along `axis` (shifted by the max: logits of 1e4 stay finite)."""
    normalize_axes(axis, x.ndim, "softmax")
    if x.size == 0:  # nothing to normalise: an empty result, as in PyTorch
        return np.exp(x), None
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)
    return out, None


@softmax.defvjp
def softmax_vjp(ctx: Context, g: Array) -> Grads:
    """gx = out * (g - Σ g*out) along `axis`."""
    axis = ctx.params.get("axis", -1)
    return (ctx.out * (g - (g * ctx.out).sum(axis=axis, keepdims=True)),)


@primitive(samples=_ALONG)
def log_softmax(x: Array, axis: int = -1) -> tuple[Array, Saved]:
    """out = x - logsumexp(x) along `axis`."""
    normalize_axes(axis, x.ndim, "log_softmax")
    if x.size == 0:  # nothing to normalise: an empty result, as in PyTorch
        return np.exp(x), None
    shifted = x - x.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return out, None


@log_softmax.defvjp
def log_softmax_vjp(ctx: Context, g: Array) -> Grads:
    """gx = g - e**out * Σ g along `axis`."""
    axis = ctx.params.get("axis", -1)
    return (g - exp(ctx.out) * g.sum(axis=axis, keepdims=True),)


@primitive(
    samples=[Sample((3, 4), axis=1), Sample((5,), axis=0)],
    rule=("∂(Σⱼ≤ᵢ xⱼ)/∂xⱼ = 1", "each element gets the sum of g over the running sums it is in"),
)
def cumsum(x: Array, axis: int) -> tuple[Array, Saved]:
    """out = running sums of x along `axis`."""
    return np.cumsum(x, axis=axis), None


@cumsum.defvjp
def cumsum_vjp(ctx: Context, g: Array) -> Grads:
    """gx = running sums of g from the end backwards along axis."""
    axis = ctx.params["axis"]
    backwards = (slice(None),) * axis + (slice(None, None, -1),)
    return (getitem(cumsum(getitem(g, index=backwards), axis=axis), index=backwards),)
