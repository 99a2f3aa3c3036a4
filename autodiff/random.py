"""The library's one global random generator, and the tensors drawn from it.

nn's initialisers, dropout and DataLoader shuffling draw from it too. `manual_seed(s)` replaces
it with a freshly seeded one, so that a program that seeds once repeats bit for bit. Until then
it is seeded from the operating system, as numpy's `default_rng()` is (PyTorch instead starts
from a fixed seed). The draws are numpy's, so the values differ from PyTorch's for a seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.creation import check_device, sizes
from autodiff.dtypes import as_dtype
from autodiff.errors import DTypeError
from autodiff.tensor import Tensor, get_default_dtype

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; returns it.

    >>> import autodiff as torch
    >>> g = torch.manual_seed(0)
    >>> layer = nn.Linear(3, 2)  # the same weights on every run
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative integer seed, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The global generator now in use (manual_seed replaces it, so fetch it at each use)."""
    return _generator


def _pick(generator: np.random.Generator | None) -> np.random.Generator:
    return _generator if generator is None else generator


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype, op)
    if dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating dtype, got {dtype}")
    return dtype


def rand(
    *size: Any,
    generator: np.random.Generator | None = None,
    device: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values drawn uniformly from [0, 1): rand(2, 3) or rand((2, 3))."""
    check_device(device)
    dtype = _float_dtype(dtype, "rand")
    values = _pick(generator).random(sizes(size, "rand"), dtype=np.float64).astype(dtype)
    return Tensor._wrap(values).requires_grad_(requires_grad)


def randn(
    *size: Any,
    generator: np.random.Generator | None = None,
    device: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values drawn from the standard normal distribution: randn(2, 3) or randn((2, 3))."""
    check_device(device)
    dtype = _float_dtype(dtype, "randn")
    values = _pick(generator).standard_normal(sizes(size, "randn")).astype(dtype)
    return Tensor._wrap(values).requires_grad_(requires_grad)


def randint(
    *bounds_and_size: Any,
    generator: np.random.Generator | None = None,
    device: Any = None,
    dtype: Any = None,
    size: Any = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high): randint(high, size) or randint(low, high, size),
    int64 unless `dtype` says otherwise (PyTorch's argument order).
    """
    check_device(device)
    if size is not None:
        bounds_and_size = (*bounds_and_size, size)
    if len(bounds_and_size) == 2:
        low, (high, shape) = 0, bounds_and_size
    elif len(bounds_and_size) == 3:
        low, high, shape = bounds_and_size
    else:
        raise TypeError(
            f"randint: got {len(bounds_and_size)} arguments; expected randint(high, size) or "
            f"randint(low, high, size)"
        )
    if high <= low:
        raise ValueError(f"randint: empty range [{low}, {high}); expected low < high")
    dtype = np.dtype(np.int64) if dtype is None else as_dtype(dtype, "randint")
    values = _pick(generator).integers(low, high, size=sizes((shape,), "randint"))
    return Tensor._wrap(values.astype(dtype))
