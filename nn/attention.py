"""MultiheadAttention: PyTorch's nn.MultiheadAttention, from projections, products and softmax."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autodiff
from autodiff import DTypeError, ShapeError, Tensor
from nn import functional as F
from nn import init as initialisers
from nn.linear import Linear
from nn.module import Module
from nn.parameter import Parameter


class MultiheadAttention(Module):
    """Attention of num_heads heads side by side, PyTorch's nn.MultiheadAttention.

    query (L, N, embed_dim), key (S, N, kdim), value (S, N, vdim), or (N, L, ·) with
    batch_first=True, or unbatched (L, ·). Each head attends with softmax(q kᵀ/√head_dim +
    masks); the heads' outputs are joined and projected by out_proj. Returns (output, weights):
    weights (N, L, S) averaged over the heads (or (N, num_heads, L, S) with
    average_attn_weights=False), or None with need_weights=False.

    Masks: key_padding_mask (N, S) and attn_mask (L, S) or (N·num_heads, L, S), each bool (True
    where attention is *blocked*) or float (added to the scores). Parameters and their init are
    PyTorch's: in_proj_weight (3·embed_dim, embed_dim) Xavier-uniform (or q_proj_weight,
    k_proj_weight, v_proj_weight when kdim or vdim differ), in_proj_bias and out_proj.bias zero.

    >>> attention = nn.MultiheadAttention(16, 4, batch_first=True)
    >>> x = autodiff.randn(2, 5, 16)
    >>> output, weights = attention(x, x, x)
    >>> output.shape, weights.shape
    (Size([2, 5, 16]), Size([2, 5, 5]))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        dtype: Any = None,
    ):
        super().__init__()
        for name, size in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"MultiheadAttention: {name}={size!r}; expected a positive int")
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim={embed_dim} with num_heads={num_heads}; "
                f"expected embed_dim divisible by num_heads"
            )
        F._check_probability(dropout, "MultiheadAttention")
        self.embed_dim = int(embed_dim)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.num_heads = int(num_heads)
        self.dropout = float(dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        self.add_zero_attn = bool(add_zero_attn)
        dtype = autodiff.get_default_dtype() if dtype is None else np.dtype(dtype)
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype))
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype))
            self.in_proj_weight = None
        self.in_proj_bias = Parameter(np.zeros(3 * e, dtype)) if bias else None
        # built before the in-projection is drawn, as PyTorch does: the same draws in order
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, e), dtype))
            self.bias_v = Parameter(np.empty((1, 1, e), dtype))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            initialisers.xavier_uniform_(self.in_proj_weight)
        else:
            initialisers.xavier_uniform_(self.q_proj_weight)
            initialisers.xavier_uniform_(self.k_proj_weight)
            initialisers.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            initialisers.zeros_(self.in_proj_bias)
            initialisers.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            initialisers.xavier_normal_(self.bias_k)
            initialisers.xavier_normal_(self.bias_v)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    # ----- forward ----------------------------------------------------------------------------

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, ...]:
        """q, k, v = the inputs through the in-projection (one product for self-attention)."""
        e = self.embed_dim
        b = self.in_proj_bias
        b_q, b_k, b_v = (None,) * 3 if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:
                qkv = F.linear(query, w, b)
                return qkv[..., :e], qkv[..., e : 2 * e], qkv[..., 2 * e :]
            w_q, w_k, w_v = w[:e], w[e : 2 * e], w[2 * e :]
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)

    def _inputs(self, query: Any, key: Any, value: Any) -> tuple[Tensor, Tensor, Tensor, bool]:
        """query, key, value checked and laid out as (N, L, ·); and whether they were batched."""
        q, k, v = (autodiff.as_tensor(t) for t in (query, key, value))
        shapes = f"query {tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}"
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ShapeError(
                f"MultiheadAttention: {shapes}; expected all 3-D {layout} (batch_first="
                f"{self.batch_first}) or all 2-D (L, E) for one unbatched sequence"
            )
        if q.shape[-1] != self.embed_dim or k.shape[-1] != self.kdim or v.shape[-1] != self.vdim:
            raise ShapeError(
                f"MultiheadAttention: {shapes}; expected last dims embed_dim={self.embed_dim}, "
                f"kdim={self.kdim}, vdim={self.vdim}"
            )
        batched = q.ndim == 3
        if not batched:
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
        elif not self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        if not (q.shape[0] == k.shape[0] == v.shape[0]) or k.shape[1] != v.shape[1]:
            raise ShapeError(
                f"MultiheadAttention: {shapes}; expected one batch size and key and value of "
                f"one sequence length (batch_first={self.batch_first})"
            )
        dtype = self.out_proj.weight.dtype
        if q.dtype != dtype or k.dtype != dtype or v.dtype != dtype:
            raise DTypeError(
                f"MultiheadAttention: query {q.dtype}, key {k.dtype}, value {v.dtype} for "
                f"parameters of {dtype}; expected {dtype}"
            )
        return q, k, v, batched

    def _mask_bias(
        self, attn_mask: Any, key_padding_mask: Any, batch: int, length: int, source: int
    ) -> Any:
        """Both masks as one additive bias that broadcasts to (N, num_heads, L, S), or None."""
        op = "MultiheadAttention"
        dtype = self.out_proj.weight.dtype
        bias = None
        if attn_mask is not None:
            mask = F._attention_mask_bias(attn_mask, dtype, op)
            shapes = [(length, source), (batch * self.num_heads, length, source)]
            if tuple(mask.shape) not in shapes:
                raise ShapeError(
                    f"{op}: attn_mask of shape {tuple(mask.shape)}; expected {shapes[0]} or "
                    f"{shapes[1]} (batch·num_heads, L, S)"
                )
            if mask.ndim == 3:
                mask = mask.reshape(batch, self.num_heads, length, source)
            bias = mask
        if key_padding_mask is not None:
            pad = F._attention_mask_bias(key_padding_mask, dtype, op, "key_padding_mask")
            if tuple(pad.shape) != (batch, source):
                raise ShapeError(
                    f"{op}: key_padding_mask of shape {tuple(pad.shape)}; expected "
                    f"{(batch, source)} (batch, S), or (S,) for an unbatched input"
                )
            pad = pad.reshape(batch, 1, 1, source)
            bias = pad if bias is None else bias + pad
        return bias

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(output, attention weights or None); see the class docstring for shapes and masks.

        is_causal=True is a hint that attn_mask is the causal mask, which must be given too
        (as in PyTorch); without masks to merge or weights to return, the causal mask is used.
        """
        if is_causal and attn_mask is None:
            raise ValueError(
                "MultiheadAttention: is_causal=True without attn_mask; expected attn_mask too "
                "(is_causal is only a hint that attn_mask is the causal mask)"
            )
        q_in, k_in, v_in, batched = self._inputs(query, key, value)
        if not batched and key_padding_mask is not None:
            key_padding_mask = _unsqueezed(key_padding_mask)
        if query is key and key is value:
            k_in = v_in = q_in  # one product for self-attention
        q, k, v = self._project(q_in, k_in, v_in)
        batch, length, source = q.shape[0], q.shape[1], k.shape[1]
        bias = self._mask_bias(attn_mask, key_padding_mask, batch, length, source)
        if self.bias_k is not None:  # one more key and value, learned, that no mask blocks
            k = autodiff.cat([k, self.bias_k.broadcast_to((batch, 1, self.embed_dim))], 1)
            v = autodiff.cat([v, self.bias_v.broadcast_to((batch, 1, self.embed_dim))], 1)
            bias = _one_more_key(bias)
        heads = (batch, -1, self.num_heads, self.head_dim)
        q, k, v = (t.reshape(heads).transpose(1, 2) for t in (q, k, v))  # (N, heads, ·, d)
        if self.add_zero_attn:  # one more key and value, all zeros
            zeros = autodiff.zeros((batch, self.num_heads, 1, self.head_dim), dtype=q.dtype)
            k, v = autodiff.cat([k, zeros], 2), autodiff.cat([v, zeros], 2)
            bias = _one_more_key(bias)
        dropout = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
            if bias is not None:
                scores = scores + bias
            weights = scores.softmax(-1)  # a query with every key blocked gets NaN, as PyTorch
            if dropout > 0:
                weights = F.dropout(weights, dropout, True)
            heads_out = weights @ v
        elif is_causal and key_padding_mask is None:
            # PyTorch trusts the hint here and lets SDPA build the causal mask itself
            heads_out = F.scaled_dot_product_attention(q, k, v, None, dropout, is_causal=True)
        else:
            heads_out = F.scaled_dot_product_attention(q, k, v, bias, dropout)
        # joined and projected as (L, N, E), as PyTorch does; with batch_first the output is a
        # transposed view of it, with PyTorch's strides
        joined = heads_out.permute(2, 0, 1, 3).reshape(length, batch, self.embed_dim)
        output = self.out_proj(joined)
        if not batched:
            output = output.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        return output, weights


def _unsqueezed(mask: Any) -> Any:
    """An unbatched (S,) key_padding_mask as (1, S)."""
    mask = mask if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.ndim != 1:
        raise ShapeError(
            f"MultiheadAttention: key_padding_mask of shape {tuple(mask.shape)} for an "
            f"unbatched input; expected (S,)"
        )
    return mask.reshape(1, -1)


def _one_more_key(bias: Any) -> Any:
    """The bias with one more key column at the end, not blocked (0)."""
    if bias is None:
        return None
    if isinstance(bias, Tensor):
        return F.pad(bias, (0, 1))
    return np.pad(bias, [(0, 0)] * (bias.ndim - 1) + [(0, 1)])
