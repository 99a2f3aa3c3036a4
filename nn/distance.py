"""Distances between pairs of rows as layers: PairwiseDistance and CosineSimilarity."""

from __future__ import annotations

from typing import Any

from autodiff import Tensor
from nn import functional as F
from nn.module import Module


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p over the last dim, PyTorch's nn.PairwiseDistance (F.pairwise_distance).

    >>> nn.PairwiseDistance()(Tensor([[3.0, 4.0]]), Tensor([[0.0, 0.0]]))
    Tensor([5.0000])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along `dim`, PyTorch's nn.CosineSimilarity
    (F.cosine_similarity).

    >>> nn.CosineSimilarity(dim=1)(Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]]))
    Tensor([0.7071])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
