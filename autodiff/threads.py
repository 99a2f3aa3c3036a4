"""How many threads numpy's BLAS may use: PyTorch's set_num_threads / get_num_threads."""

from __future__ import annotations

import numbers

from autodiff.errors import named_errors

__all__ = ["get_num_threads", "set_num_threads"]

_MOST = 2**31 - 1  # the thread pools count in C ints


@named_errors
def set_num_threads(n: int) -> None:
    """Let the thread pools numpy uses (its BLAS, and any OpenMP pool) run at most `n` threads.

    It holds for the rest of the process. One thread is often the fastest for a tape's small
    matrices on a machine that runs other work too: a BLAS thread that waits for a busy core
    holds up every matmul.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(
            f"set_num_threads: n={n!r} is a {type(n).__name__}; expected a positive integer, "
            f"e.g. set_num_threads(1)"
        )
    if n < 1:
        raise ValueError(
            f"set_num_threads: at least one thread is needed; expected a positive integer, "
            f"got n={n}"
        )
    if n > _MOST:
        raise ValueError(f"set_num_threads: n={n}; expected at most {_MOST} threads")
    from threadpoolctl import threadpool_limits  # imported on use: not with autodiff

    threadpool_limits(limits=int(n))


def get_num_threads() -> int:
    """The most threads any of those pools may run now (1 where threadpoolctl finds none)."""
    from threadpoolctl import threadpool_info  # imported on use: not with autodiff

    return max((pool["num_threads"] for pool in threadpool_info()), default=1)
