"""autodiff keeps freed arrays' memory for the next ones (glibc's malloc thresholds)."""

import os
import platform
import subprocess
import sys

from autodiff import allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# allocate and free a 4 MiB array, then time the page faults of the next one of that size
FAULTS = """
import resource, numpy as np
{setup}
np.ones(2**20, np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(2**20, np.float32)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(setup: str, env: dict[str, str] | None = None) -> int:
    done = subprocess.run(
        [sys.executable, "-c", FAULTS.format(setup=setup)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    return int(done.stdout.split()[-1])


def test_the_thresholds_are_set_where_glibc_is_and_the_user_set_none():
    user_set = any(name in os.environ for name in allocator._ENVIRONMENT)
    assert allocator.keep_freed_memory() == (GLIBC and not user_set)


def test_a_second_array_reuses_the_memory_of_a_freed_one():
    kept = _faults("import autodiff")
    assert kept < 64  # about 500 page faults again without the thresholds
    if GLIBC:  # and without autodiff's thresholds glibc does give the memory back
        assert _faults("") > 256


def test_the_users_own_malloc_settings_are_left_alone():
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "0"}
    code = "import autodiff.allocator as a; print(a.keep_freed_memory())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "False"
