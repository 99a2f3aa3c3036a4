"""Keep the memory of freed arrays for the next ones: glibc malloc's thresholds for a tape.

A training step allocates and frees arrays of the same sizes step after step (activations,
gradients, window copies). With glibc's default, dynamic thresholds, blocks of a few MiB go
back to the operating system when freed, and the next step's arrays page-fault the same
memory in again: on the benchmarks' models that was 25-45 % of the engine's step time
(PyTorch's allocator keeps such memory). Fixed thresholds keep freed blocks of up to 32 MiB
for reuse, and up to 64 MiB of free memory at the top of the heap, as many programs tune it.

Where the user set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ (glibc's environment
variables), or the C library is not glibc, nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import platform

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # blocks this large or larger are mapped, and unmapped when freed
TRIM_THRESHOLD = 64 * 2**20  # free memory at the heap's top kept before returning any
_ENVIRONMENT = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory() -> bool:
    """Set glibc malloc's mmap and trim thresholds to MMAP_THRESHOLD and TRIM_THRESHOLD for
    this process; whether they were set (False off glibc, or where the user set either)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in _ENVIRONMENT):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
