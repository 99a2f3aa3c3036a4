"""autodiff.backends.cudnn: the cuDNN flags PyTorch programs set; they change nothing here."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: autodiff computes on the CPU only."""
    return False


def version() -> None:
    """None, as PyTorch without cuDNN answers."""
    return None
