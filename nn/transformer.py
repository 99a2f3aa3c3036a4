"""The Transformer as PyTorch has it: encoder and decoder layers (attention, a feed-forward
part, residual connections, LayerNorm), their stacks, and the whole encoder-decoder model."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff
from autodiff import ShapeError, Tensor
from nn import arguments
from nn import functional as F
from nn import init as initialisers
from nn.activations import GELU, ReLU
from nn.attention import MultiheadAttention
from nn.layers import Dropout
from nn.linear import Linear
from nn.module import Module, ModuleList
from nn.normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(activation: str | Callable[[Tensor], Tensor], layer: str) -> Callable:
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"{layer}: unknown activation {activation!r}; expected 'relu', 'gelu' or a callable"
            )
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(
            f"{layer}: activation {activation!r}; expected 'relu', 'gelu' or a callable"
        )
    return activation


def _check_model_dim(layer: str, name: str, x: Any, d_model: int) -> Tensor:
    x = autodiff.as_tensor(x)
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        raise ShapeError(
            f"{layer}: {name} of shape {tuple(x.shape)}; expected 3 dims (or 2 unbatched) with "
            f"d_model={d_model} in the last"
        )
    return x


def generate_square_subsequent_mask(sz: int, dtype: Any = None) -> Tensor:
    """An (sz, sz) float mask: 0 on and below the diagonal, -inf above (a causal mask)."""
    dtype = autodiff.get_default_dtype() if dtype is None else np.dtype(dtype)
    return autodiff.tensor(np.triu(np.full((sz, sz), -np.inf), 1).astype(dtype))


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward part, each with a residual connection and LayerNorm,
    PyTorch's nn.TransformerEncoderLayer (post-norm; norm_first=True normalizes first).

    >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, batch_first=True)
    >>> layer(autodiff.randn(2, 5, 16)).shape
    Size([2, 5, 16])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = None,
    ):
        super().__init__()
        name = type(self).__name__
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation, name)

    def forward(
        self,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = _check_model_dim(type(self).__name__, "src", src, self.self_attn.embed_dim)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        out = self.self_attn(
            x,
            x,
            x,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return _after_attention(self.dropout1, out, self.self_attn.batch_first)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (memory), then a feed-forward part,
    each with a residual connection and LayerNorm, PyTorch's nn.TransformerDecoderLayer.

    >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, batch_first=True)
    >>> layer(autodiff.randn(2, 5, 16), autodiff.randn(2, 7, 16)).shape
    Size([2, 5, 16])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = None,
    ):
        super().__init__()
        name = type(self).__name__
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation, name)

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        name = type(self).__name__
        d_model = self.self_attn.embed_dim
        x = _check_model_dim(name, "tgt", tgt, d_model)
        memory = _check_model_dim(name, "memory", memory, d_model)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(
            x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
        )
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        out = self.self_attn(
            x,
            x,
            x,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return _after_attention(self.dropout1, out, self.self_attn.batch_first)

    def _mha_block(
        self, x: Tensor, memory: Tensor, mask: Any, padding: Any, is_causal: bool
    ) -> Tensor:
        out = self.multihead_attn(
            x,
            memory,
            memory,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return _after_attention(self.dropout2, out, self.multihead_attn.batch_first)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _relu_or_gelu(activation: Any) -> bool:
    return activation in (F.relu, F.gelu) or isinstance(activation, (ReLU, GELU))


def _why_not_nested(layer: Module) -> str:
    """Why PyTorch's TransformerEncoder would not pack sequences for this layer ("" if it
    would)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer is not a TransformerEncoderLayer"
    attention = layer.self_attn
    reasons = [
        (layer.norm_first, "encoder_layer.norm_first is True"),
        (not attention.batch_first, "encoder_layer.self_attn.batch_first is not True"),
        (not attention._qkv_same_embed_dim, "the attention's kdim or vdim differs"),
        (attention.in_proj_bias is None, "the attention has no bias"),
        (not _relu_or_gelu(layer.activation), "the activation is not relu or gelu"),
        (layer.norm1.eps != layer.norm2.eps, "norm1.eps differs from norm2.eps"),
        (attention.num_heads % 2 == 1, "the number of heads is odd"),
    ]
    return next((why for failed, why in reasons if failed), "")


def _is_causal(mask: Any, is_causal: bool | None, size: int) -> bool:
    """PyTorch's reading of is_causal=None: True exactly when mask is the causal mask."""
    if is_causal is not None:
        return bool(is_causal)
    if mask is None:
        return False
    values = mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    causal = np.triu(np.full((size, size), -np.inf), 1)
    if values.dtype == np.bool_:
        return values.shape == causal.shape and bool(np.all(values == np.isneginf(causal)))
    return values.shape == causal.shape and bool(np.all(values == causal))


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer applied in turn (each starts from the same values
    and trains on its own, as PyTorch's deep copies), then norm if given.

    As PyTorch's, with enable_nested_tensor=True it gives zeros (before norm) at the padded
    positions of src_key_padding_mask in eval mode without gradients, where PyTorch's fast
    path packs the sequences without their padding: for batch_first post-norm layers with
    relu or gelu, an even number of heads, and padding only at the ends of the sequences.

    >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4)
    >>> encoder = nn.TransformerEncoder(layer, num_layers=3)
    >>> encoder(autodiff.randn(5, 2, 16)).shape
    Size([5, 2, 16])
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ):
        super().__init__()
        self.num_layers = _layer_count(self, "num_layers", num_layers, encoder_layer)
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(
                f"TransformerEncoder: enable_nested_tensor is True, but padded positions are "
                f"computed as in training, because {why_not} (as PyTorch's)",
                stacklevel=3,  # past errors.named_errors' frame
            )
        self.use_nested_tensor = enable_nested_tensor and not why_not

    def forward(
        self,
        src: Any,
        mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        output = autodiff.as_tensor(src)
        first = self.layers[0] if len(self.layers) else None
        batch_first = getattr(getattr(first, "self_attn", None), "batch_first", False)
        length = output.shape[1 if batch_first and output.ndim == 3 else 0]
        is_causal = _is_causal(mask, is_causal, length)
        padded = self._packed_padding(output, mask, src_key_padding_mask)
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                is_causal=is_causal,
                src_key_padding_mask=src_key_padding_mask,
            )
        if padded is not None:
            output = autodiff.where(padded[..., None], 0.0, output)
        return output if self.norm is None else self.norm(output)

    def _packed_padding(self, src: Tensor, mask: Any, padding: Any) -> np.ndarray | None:
        """Where PyTorch's fast path would pack the sequences: the padded positions (N, L),
        which then come out as zeros; else None."""
        if not self.use_nested_tensor or padding is None or mask is not None or src.ndim != 3:
            return None
        if self.layers[0].training:
            return None
        if autodiff.is_grad_enabled() and (
            src.requires_grad or any(p.requires_grad for p in self.layers[0].parameters())
        ):
            return None
        values = padding.numpy() if isinstance(padding, Tensor) else np.asarray(padding)
        padded = values != 0  # a bool mask's True, a float mask's nonzero
        if self.mask_check and np.any(padded[:, :-1] & ~padded[:, 1:]):
            return None  # PyTorch packs only sequences padded at their ends
        return padded


class TransformerDecoder(Module):
    """num_layers copies of decoder_layer applied in turn over the memory, then norm if given.

    >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4)
    >>> decoder = nn.TransformerDecoder(layer, num_layers=2)
    >>> decoder(autodiff.randn(5, 2, 16), autodiff.randn(7, 2, 16)).shape
    Size([5, 2, 16])
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.num_layers = _layer_count(self, "num_layers", num_layers, decoder_layer)
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.norm = norm

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        output = autodiff.as_tensor(tgt)
        first = self.layers[0] if len(self.layers) else None
        batch_first = getattr(getattr(first, "self_attn", None), "batch_first", False)
        length = output.shape[1 if batch_first and output.ndim == 3 else 0]
        tgt_is_causal = _is_causal(tgt_mask, tgt_is_causal, length)
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
                memory_is_causal=memory_is_causal,
            )
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer, PyTorch's nn.Transformer: an encoder stack over src, a
    decoder stack over tgt attending to the encoder's output, each ending in a LayerNorm. Every
    parameter of 2 or more dims starts Xavier-uniform, as PyTorch's.

    >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2,
    ...                        num_decoder_layers=2, dim_feedforward=32)
    >>> src, tgt = autodiff.randn(7, 2, 16), autodiff.randn(5, 2, 16)
    >>> model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(5)).shape
    Size([5, 2, 16])
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = None,
    ):
        super().__init__()
        for name, count in (
            ("num_encoder", num_encoder_layers),
            ("num_decoder", num_decoder_layers),
        ):
            arguments.size("Transformer", f"{name}_layers", count, minimum=0)
        shared = dict(
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
            dtype=dtype,
        )
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **shared)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **shared)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        for p in self.parameters():
            if p.ndim > 1:
                initialisers.xavier_uniform_(p)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, dtype: Any = None) -> Tensor:
        """An (sz, sz) float mask: 0 on and below the diagonal, -inf above (a causal mask)."""
        return generate_square_subsequent_mask(sz, dtype)

    def forward(
        self,
        src: Any,
        tgt: Any,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        src, tgt = autodiff.as_tensor(src), autodiff.as_tensor(tgt)
        batch_dim = 0 if self.batch_first else 1
        if src.ndim != tgt.ndim or (src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise ShapeError(
                f"Transformer: src {tuple(src.shape)} and tgt {tuple(tgt.shape)}; expected the "
                f"same batch size in dim {batch_dim} (batch_first={self.batch_first})"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ShapeError(
                f"Transformer: src {tuple(src.shape)} and tgt {tuple(tgt.shape)}; expected "
                f"d_model={self.d_model} features in the last dim of both"
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )


def _after_attention(dropout: Dropout, out: Tensor, batch_first: bool) -> Tensor:
    """Dropout of a batch_first attention output with its mask drawn in (L, N, E) order:
    PyTorch's output is a transposed view of an (L, N, E) result, and PyTorch draws a mask in
    its input's memory order."""
    if not (batch_first and out.ndim == 3):
        return dropout(out)
    return dropout(out.transpose(0, 1)).transpose(0, 1)


def _layer_count(stack: Module, name: str, count: Any, layer: Any) -> int:
    """`count` copies of `layer` checked to be a number of layers that fits in memory."""
    if not isinstance(layer, Module):
        raise TypeError(
            f"{type(stack).__name__}: got {type(layer).__name__} as the layer to repeat; "
            f"expected a Module such as nn.TransformerEncoderLayer"
        )
    size = sum(p.numpy().nbytes for p in layer.parameters())
    return arguments.layer_count(type(stack).__name__, name, count, size, minimum=0)
