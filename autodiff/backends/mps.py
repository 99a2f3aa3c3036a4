"""autodiff.backends.mps: Apple's GPU backend, which autodiff does not have."""


def is_available() -> bool:
    """False: autodiff computes on the CPU only."""
    return False


def is_built() -> bool:
    """False: autodiff has no MPS backend built in."""
    return False
