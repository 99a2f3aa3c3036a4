"""The fused softmax–cross-entropy primitive that nn's cross-entropy uses."""

from __future__ import annotations

import numpy as np

from autodiff.errors import ShapeError
from autodiff.ops.reduce import softmax
from autodiff.primitive import Array, Context, Sample, Saved, primitive

_REDUCTIONS = ("none", "mean", "sum")
_FEW_CLASSES = 32  # up to this many classes, a row's maximum is taken down a transposed copy


@primitive(
    samples=[
        Sample((4, 3), np.array([0, 2, 1, 2])),
        Sample((2, 5), np.array([4, 0]), reduction="mean"),
        Sample((3, 2), np.array([1, 1, 0]), reduction="sum"),
    ]
)
def softmax_cross_entropy(
    logits: Array, target: Array, reduction: str = "none"
) -> tuple[Array, Saved]:
    """loss_n = logsumexp(logits_n) - logits_n[target_n] over (N, C) logits; out = loss, or
    its mean or sum by `reduction` (one recorded op for the whole of a classifier's loss).
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"softmax_cross_entropy: reduction {reduction!r}; expected one of {_REDUCTIONS}"
        )
    if logits.ndim != 2 or target.shape != logits.shape[:1]:
        raise ShapeError(
            f"softmax_cross_entropy: logits {logits.shape} and target {target.shape}; "
            f"expected logits (N, C) and target (N,) of class indices"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"softmax_cross_entropy: target must hold integer class indices, got {target.dtype}"
        )
    classes = logits.shape[1]
    # one reduction for both bounds: read as unsigned (of the same byte order), a negative
    # index exceeds every class
    unsigned = np.dtype(f"u{target.itemsize}").newbyteorder(target.dtype.byteorder)
    if target.size and target.view(unsigned).max() >= classes:
        raise ValueError(
            f"softmax_cross_entropy: target holds {target.min()}..{target.max()}; "
            f"expected class indices in 0..{classes - 1}"
        )
    if classes <= _FEW_CLASSES:  # the maximum down the columns of a transposed copy: exact,
        # and 3-4x faster than numpy's reduction along rows this short
        row_max = np.maximum.reduce(np.ascontiguousarray(logits.T), axis=0)[:, None]
    else:
        row_max = np.maximum.reduce(logits, axis=1, keepdims=True)
    shifted = logits - row_max
    picked = shifted[np.arange(len(target)), target]
    if shifted.dtype.kind == "f":  # in place, as the division below: fresh arrays
        exps = np.exp(shifted, out=shifted)
    else:  # integer scores: exp's float result cannot go into their array
        exps = np.exp(shifted)
    totals = exps.sum(axis=1, keepdims=True)
    losses = np.log(totals[:, 0]) - picked
    probs = np.divide(exps, totals, out=exps)  # softmax(logits): the VJP needs it
    if reduction == "mean":  # sum / N: ndarray.mean costs several times more on small arrays
        return losses.sum() / len(target), probs
    if reduction == "sum":
        return losses.sum(), probs
    return losses, probs


@softmax_cross_entropy.defvjp
def softmax_cross_entropy_vjp(ctx: Context, g: Array) -> tuple[Array, None]:
    """glogits = g_n * (softmax(logits) - one_hot(target)), g_n = g[n], g / N or g.

    saved: softmax(logits) from the forward, which a plain backward uses as it is; under
    create_graph the softmax is computed again from the logits, so that it is recorded.
    """
    logits, target = ctx.inputs
    target = np.asarray(target)  # class indices: a constant, whatever the mode
    reduction = ctx.params.get("reduction", "none")
    rows = np.arange(len(target))
    if reduction == "none":
        g = g.reshape(-1, 1)
    elif reduction == "mean":
        g = g / len(target)
    if not ctx.create_graph:
        # the same arithmetic without the one-hot array (saved is copied, as a backward
        # through a retained graph reads it again)
        glogits = ctx.saved.astype(np.result_type(ctx.saved, g))
        glogits[rows, target] -= 1
        glogits *= g
        return glogits, None
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    one_hot[rows, target] = 1
    return g * (softmax(logits, axis=1) - one_hot), None
