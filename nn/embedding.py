"""Embedding: a lookup table of trainable vectors, one row per index."""

from __future__ import annotations

from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from nn import arguments
from nn import functional as F
from nn import init as initialisers
from nn.module import Module
from nn.parameter import Parameter


class Embedding(Module):
    """weight[input]: integer indices of any shape to vectors, PyTorch's nn.Embedding.

    The weight (num_embeddings, embedding_dim) starts from N(0, 1), as PyTorch's; the row at
    padding_idx starts at zero and gets no gradient.

    >>> emb = nn.Embedding(10, 3)
    >>> emb(np.array([[1, 2], [4, 9]])).shape
    Size([2, 2, 3])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        dtype: Any = None,
    ):
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Embedding: {name}={value!r:.60}; expected a positive integer")
            arguments.size("Embedding", name, value)
        if padding_idx is not None:
            arguments.size("Embedding", "padding_idx", padding_idx, minimum=-num_embeddings)
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx={padding_idx}; expected an index in "
                    f"-{num_embeddings}..{num_embeddings - 1}"
                )
            padding_idx %= num_embeddings
        if max_norm is not None:
            raise NotImplementedError(
                "Embedding: max_norm is not supported (PyTorch renormalizes rows in place); "
                "expected max_norm=None"
            )
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = padding_idx
        dtype = arguments.float_dtype(type(self).__name__, dtype)
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype))
        initialisers.normal_(self.weight)
        if padding_idx is not None:
            with autodiff.no_grad():
                self.weight.numpy()[padding_idx] = 0

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
