"""autodiff.backends: PyTorch's `torch.backends` switches, for programs that check or set them.

There is no GPU backend: each `is_available()` is False, and the flags programs set
(`torch.backends.cudnn.benchmark = True`, `torch.backends.cuda.matmul.allow_tf32 = True`) are
kept and change nothing, as they change nothing in a CPU-only PyTorch.
"""

from autodiff.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
