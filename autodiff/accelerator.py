"""autodiff.accelerator: PyTorch's device-neutral query; autodiff computes on the CPU only."""

from __future__ import annotations


def is_available() -> bool:
    """False: there is no accelerator (GPU) backend."""
    return False


def current_accelerator() -> None:
    """None: there is no accelerator; tensors live on the CPU."""
    return None


def device_count() -> int:
    """0: there is no accelerator."""
    return 0
