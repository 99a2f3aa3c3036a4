"""autodiff.backends.cuda: the CUDA flags PyTorch programs set; they change nothing here."""

from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)


def is_built() -> bool:
    """False: autodiff has no CUDA backend built in."""
    return False
