"""PyTorch's torch.linalg, the part programs reach for first: `vector_norm`, `matrix_norm`
('fro') and `norm`, built on the `norm` op, so every gradient comes from the tape."""

from __future__ import annotations

from typing import Any

from autodiff.composite import norm as _norm
from autodiff.errors import named_errors
from autodiff.tensor import Tensor

__all__ = ["matrix_norm", "norm", "vector_norm"]

_INF = float("inf")


@named_errors
def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """(Σ|x|^ord)^(1/ord) over `dim` (every element if None), as torch.linalg.vector_norm;
    ord may be inf (the largest |x|) or -inf (the smallest)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)) or ord == 0 or ord < -_INF:
        raise ValueError(f"vector_norm: ord={ord!r}; expected a positive number, inf or -inf")
    if ord == -_INF:
        return x.abs().amin(dim, keepdim) if dim is not None else x.abs().amin()
    if ord < 0:
        raise ValueError(f"vector_norm: ord={ord}; expected a positive number, inf or -inf")
    return _norm(x, ord, dim, keepdim)


@named_errors
def matrix_norm(x: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:
    """The Frobenius norm of the matrices in the last two dims (or `dim`), as
    torch.linalg.matrix_norm with ord='fro'; the other orders need singular values."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if ord != "fro":
        raise ValueError(
            f"matrix_norm: ord={ord!r}; only 'fro' is computed here (the nuclear and spectral "
            f"norms need singular values); expected ord='fro'"
        )
    if x.ndim < 2 or not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ValueError(
            f"matrix_norm: a tensor of shape {tuple(x.shape)} with dim={dim!r}; expected at "
            f"least 2 dims and two dims to take the norm over"
        )
    return _norm(x, 2, tuple(dim), keepdim)


@named_errors
def norm(x: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """torch.linalg.norm: with ord None, the 2-norm of every element (dim None) or along
    dim; a number as ord is a vector norm along one dim; 'fro' is a matrix norm."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if ord is None:
        return _norm(x, 2, dim, keepdim)
    if ord == "fro" or (isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(x, ord, (-2, -1) if dim is None else dim, keepdim)
    if dim is None and x.ndim != 1:
        raise ValueError(
            f"norm: ord={ord!r} of a tensor of shape {tuple(x.shape)} without dim; expected "
            f"a 1-D tensor, a dim, or vector_norm for every element"
        )
    return vector_norm(x, ord, dim, keepdim)
