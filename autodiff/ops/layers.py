"""Fused primitives of network layers: layer norm and the pointwise part of LSTM and GRU cells.

Each records one node where its composition of elementwise ops records ten or more, and runs
its forward and VJP over fewer temporaries. The VJPs recompute what they need from the
node's inputs (and output) with primitives, so they hold on Tensors too: second derivatives
come out right, as for every primitive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.errors import ShapeError
from autodiff.ops import reduce
from autodiff.ops.shape import concatenate
from autodiff.ops.unary import sigmoid, sqrt, tanh
from autodiff.primitive import Array, Context, Sample, Saved, primitive

Grads = tuple[Array | None, ...]


# ----- layer norm -------------------------------------------------------------------------------


def _standardized(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """(x̂, r): x̂ = (x - mean) · r, r = 1/√(var + eps), over `axes` (biased variance);
    for arrays and Tensors alike."""
    count = 1
    for a in axes:
        count *= x.shape[a]
    centered = x - reduce.sum(x, axis=axes, keepdims=True) * (1.0 / count)
    variance = reduce.sum(centered * centered, axis=axes, keepdims=True) * (1.0 / count)
    rstd = 1.0 / sqrt(variance + eps)
    return centered * rstd, rstd


@primitive(
    samples=[
        Sample((3, 4), (4,), (4,), ndim=1, eps=1e-5),
        Sample((2, 3, 4), (3, 4), (3, 4), ndim=2, eps=0.1),
        Sample((2, 5), None, None, ndim=1, eps=1e-5),
    ]
)
def layer_norm(
    x: Array, weight: Array | None, bias: Array | None, *, ndim: int, eps: float
) -> tuple[Array, Saved]:
    """out = (x - mean) / √(var + eps) · weight + bias, mean and biased var over the last
    `ndim` dims (PyTorch's layer_norm; weight and bias of those dims' shape, or None)."""
    if not 0 < ndim <= x.ndim:
        raise ShapeError(f"layer_norm: ndim={ndim} for an input {x.shape}; expected 1..{x.ndim}")
    shape = x.shape[x.ndim - ndim :]
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.shape != shape:
            raise ShapeError(
                f"layer_norm: {name} {p.shape} for normalized shape {shape}; expected {shape}"
            )
    axes = tuple(range(x.ndim - ndim, x.ndim))
    out, _ = _standardized(x, axes, eps)
    if weight is not None:
        out *= weight  # out is a fresh array: scaling in place saves an allocation
    if bias is not None:
        out += bias
    return out, None


@layer_norm.defvjp
def layer_norm_vjp(ctx: Context, g: Array) -> Grads:
    """gx = r·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)) with ĝ = g·weight;  gweight = Σ_lead g·x̂;
    gbias = Σ_lead g  (x̂, r recomputed from x; means over the normalized dims)."""
    x, weight, bias = ctx.inputs
    ndim, needs = ctx.params["ndim"], ctx.needs
    axes = tuple(range(x.ndim - ndim, x.ndim))
    lead = tuple(range(x.ndim - ndim))
    xhat, rstd = _standardized(x, axes, ctx.params["eps"])
    gx = gweight = gbias = None
    if needs[0]:
        count = 1
        for a in axes:
            count *= x.shape[a]
        ghat = g * weight if weight is not None else g
        mean_g = reduce.sum(ghat, axis=axes, keepdims=True) * (1.0 / count)
        mean_gx = reduce.sum(ghat * xhat, axis=axes, keepdims=True) * (1.0 / count)
        gx = rstd * (ghat - mean_g - xhat * mean_gx)
    if weight is not None and needs[1]:
        gweight = reduce.sum(g * xhat, axis=lead) if lead else g * xhat
    if bias is not None and needs[2]:
        gbias = reduce.sum(g, axis=lead) if lead else g
    return gx, gweight, gbias


# ----- recurrent cells --------------------------------------------------------------------------


def _check_gates(op: str, gates: Array, state: Array, count: int) -> None:
    if (
        gates.ndim < 1
        or gates.shape[:-1] != state.shape[:-1]
        or (gates.shape[-1] != count * state.shape[-1])
    ):
        raise ShapeError(
            f"{op}: gates {gates.shape} and state {state.shape}; expected gates of shape "
            f"(..., {count}·hidden) for a state (..., hidden)"
        )


@primitive(samples=[Sample((3, 8), (3, 2)), Sample((8,), (2,))])
def lstm_gates(gates: Array, c: Array) -> tuple[Array, Saved]:
    """out = stack(h', c'): with i, f, g, o the four slices of `gates` (PyTorch's order),
    c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c'): an LSTM cell after its products."""
    _check_gates("lstm_gates", gates, c, 4)
    h = c.shape[-1]
    s = sigmoid(gates)
    cell = s[..., h : 2 * h] * c + s[..., :h] * tanh(gates[..., 2 * h : 3 * h])
    return np.stack([s[..., 3 * h :] * tanh(cell), cell]), None


@lstm_gates.defvjp
def lstm_gates_vjp(ctx: Context, g: Array) -> Grads:
    """gc'ₜ = g_c + g_h·σ(o)·(1 - tanh²c');  ggates = [gc'·tanh(g)·σ'(i), gc'·c·σ'(f),
    gc'·σ(i)·(1 - tanh²g), g_h·tanh(c')·σ'(o)];  gc = gc'·σ(f)  (σ' = σ(1 - σ))."""
    gates, c = ctx.inputs
    h = c.shape[-1]
    s = sigmoid(gates)  # one call for the three gates that need it; σ' = s·(1 - s)
    i, f, o = s[..., :h], s[..., h : 2 * h], s[..., 3 * h :]
    cand = tanh(gates[..., 2 * h : 3 * h])
    tanh_cell = tanh(ctx.out[1])
    g_h, g_c = g[0], g[1]
    g_cell = g_c + g_h * o * (1 - tanh_cell * tanh_cell)
    ggates = gc = None
    if ctx.needs[0]:
        ggates = concatenate(
            g_cell * cand * i * (1 - i),
            g_cell * c * f * (1 - f),
            g_cell * i * (1 - cand * cand),
            g_h * tanh_cell * o * (1 - o),
            axis=-1,
        )
    if ctx.needs[1]:
        gc = g_cell * f
    return ggates, gc


@primitive(samples=[Sample((3, 6), (3, 6), (3, 2)), Sample((6,), (6,), (2,))])
def gru_gates(xw: Array, hw: Array, h: Array) -> tuple[Array, Saved]:
    """out = (1 - z)·n + z·h with r, z = σ(xw + hw) on the first two slices and
    n = tanh(xw_n + r·hw_n) (PyTorch's GRU cell, after its two products)."""
    _check_gates("gru_gates", xw, h, 3)
    _check_gates("gru_gates", hw, h, 3)
    k = h.shape[-1]
    rz = sigmoid(xw[..., : 2 * k] + hw[..., : 2 * k])
    z = rz[..., k:]
    n = tanh(xw[..., 2 * k :] + rz[..., :k] * hw[..., 2 * k :])
    return n + z * (h - n), None


@gru_gates.defvjp
def gru_gates_vjp(ctx: Context, g: Array) -> Grads:
    """gn' = g·(1 - z)·(1 - n²);  gxw = [gr', gz', gn'], ghw = [gr', gz', gn'·r] with
    gr' = gn'·hw_n·σ'(r), gz' = g·(h - n)·σ'(z);  gh = g·z."""
    xw, hw, h = ctx.inputs
    needs = ctx.needs
    k = h.shape[-1]
    r = sigmoid(xw[..., :k] + hw[..., :k])
    z = sigmoid(xw[..., k : 2 * k] + hw[..., k : 2 * k])
    hw_n = hw[..., 2 * k :]
    n = tanh(xw[..., 2 * k :] + r * hw_n)
    g_n = g * (1 - z) * (1 - n * n)
    g_r = g_n * hw_n * r * (1 - r)
    g_z = g * (h - n) * z * (1 - z)
    gxw = concatenate(g_r, g_z, g_n, axis=-1) if needs[0] else None
    ghw = concatenate(g_r, g_z, g_n * r, axis=-1) if needs[1] else None
    gh = g * z if needs[2] else None
    return gxw, ghw, gh
