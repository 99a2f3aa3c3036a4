"""autodiff.cuda: there is no GPU backend, so PyTorch's `torch.cuda.is_available()` is False."""

from __future__ import annotations


def is_available() -> bool:
    """False: autodiff computes on the CPU only."""
    return False


def device_count() -> int:
    """0: autodiff computes on the CPU only."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed: there is no GPU generator (PyTorch programs call it unconditionally)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed: there is no GPU generator (PyTorch programs call it unconditionally)."""
