"""The library's global random generator: initialisation, dropout and shuffling draw from it.

`manual_seed(s)` replaces it with a freshly seeded one, so that a program that seeds once
repeats bit for bit. Until then it is seeded from the operating system, as numpy's
`default_rng()` is (PyTorch instead starts from a fixed seed).
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; returns it.

    >>> import nn
    >>> g = nn.manual_seed(0)
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
