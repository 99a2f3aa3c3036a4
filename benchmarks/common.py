"""Shared helpers of the benchmark scripts: timing, thread pinning, data, workers, reporting.

Every benchmark script imports this module (it sits beside them), accepts ``--quick`` and
``--json PATH``, and exposes ``render(results) -> str`` (its markdown section) and
``targets(results) -> list[dict]`` for `run_all.py`.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import hashlib
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
NOT_INSTALLED = "not installed"
SIZES = (784, 256, 10)  # the MLP every training benchmark uses
SEED = 0
_limits: list[Any] = []  # keeps threadpoolctl's limiter alive for the life of the process


# ----- command line ---------------------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark script takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test's mode)")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--data", type=Path, help="a directory made by prepare_data (else made here)")
    p.add_argument("--threads", type=int, default=default_threads(), help="BLAS/torch threads")
    return p


def finish(results: dict[str, Any], args: argparse.Namespace, render: Callable) -> None:
    """Write the raw results where --json asks, and print the markdown section."""
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1, default=json_default))
    print(render(results))


def json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ----- threads and the environment ------------------------------------------------------------


def default_threads() -> int:
    """One thread for BLAS and PyTorch alike (change it with --threads).

    On a small shared machine a BLAS that spins two threads loses badly whenever another
    process holds a core (epoch times varied up to 10x between runs with 2 threads on 2
    cores); the engine's elementwise numpy work is single-threaded in any case.
    """
    return 1


def pin_threads(threads: int) -> None:
    """Limit numpy's BLAS (and any OpenMP pool) to `threads`; PyTorch too if it is loaded.

    Environment variables are left alone (OPENBLAS_* in particular); threadpoolctl changes
    the pools at run time.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        _limits.append(threadpool_limits(limits=threads))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def import_torch() -> Any:
    """PyTorch, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the loaded thread pools (BLAS library, kernel, threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"error": "threadpoolctl " + NOT_INSTALLED}]
    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads")
    return [{k: pool.get(k) for k in keep} for pool in threadpool_info()]


def environment(threads: int) -> dict[str, Any]:
    """What a reader needs to compare two reports: machine, versions, BLAS, threads, env vars."""
    pin_threads(threads)
    torch = import_torch()
    env = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "host": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else NOT_INSTALLED,
        "numpy_blas": [p for p in blas_info() if p.get("user_api") == "blas"],
        "thread_pools": blas_info(),
        "openblas_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS")},
        "git_commit": _git_commit(),
        "engine_source": source_digest(),
        "load_average": list(os.getloadavg()),
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env["openblas_env"].setdefault(name, "(unset)")
    if torch is not None:
        env["torch_threads"] = torch.get_num_threads()
        env["torch_blas"] = _torch_blas(torch)
    return env


def source_digest() -> str:
    """A fingerprint of autodiff/ and nn/ as they are on disk (uncommitted edits included).

    Comparing it at the start and the end of a run tells whether every section measured
    the same engine, should the working tree change while the benchmarks run.
    """
    h = hashlib.sha1()
    for package in ("autodiff", "nn"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            h.update(str(path.relative_to(REPO_ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _torch_blas(torch: Any) -> str:
    for line in torch.__config__.show().splitlines():
        if "Math Kernel Library" in line or "OpenBLAS" in line:
            return line.strip(" -")
    return "unknown"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


# ----- timing ---------------------------------------------------------------------------------


def clock() -> float:
    return time.perf_counter()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


# ----- memory ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (ru_maxrss, which Linux gives in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """The process's resident set size now."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def count_live(cls: type) -> int:
    """How many instances of `cls` the garbage collector can see (after a full collection)."""
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is cls)


# ----- data -----------------------------------------------------------------------------------

QUICK_TRAIN = 256
QUICK_TEST = 128


def prepare_data(quick: bool, directory: Path | None = None) -> Path:
    """Preprocess the dataset once (float32, /255, flattened) into .npy files in a directory.

    Full-size Fashion-MNIST when it is installed (60,000 + 10,000), else the MNIST sample
    shipped with nn (8,000 + 2,000); quick mode takes a small slice of the MNIST sample.
    Workers then load the arrays with np.load, which allocates each array once: no
    decompression buffers or temporaries to blur their memory baseline.
    """
    from nn import datasets

    directory = Path(tempfile.mkdtemp(prefix="bench-data-")) if directory is None else directory
    directory.mkdir(parents=True, exist_ok=True)
    if quick:
        x_train, y_train, x_test, y_test = datasets.load_mnist_sample()
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
        name = f"MNIST sample, first {QUICK_TRAIN} train / {QUICK_TEST} test (quick mode)"
    else:
        try:
            x_train, y_train, x_test, y_test = datasets.load_fashion_mnist(download=False)
            name = "Fashion-MNIST (full size)"
        except datasets.DatasetNotFoundError:
            x_train, y_train, x_test, y_test = datasets.load_mnist_sample()
            name = "MNIST sample (Fashion-MNIST not installed): " + datasets.SAMPLE_NOTE
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        flat = x.reshape(len(x), -1).astype(np.float32)
        flat *= np.float32(1 / 255)
        np.save(directory / f"x_{split}.npy", flat)
        np.save(directory / f"y_{split}.npy", y.astype(np.int64))
    meta = {"dataset": name, "train": len(x_train), "test": len(x_test)}
    (directory / "meta.json").write_text(json.dumps(meta))
    return directory


def load_data(directory: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) as prepare_data wrote them."""
    return tuple(
        np.load(directory / f"{name}.npy") for name in ("x_train", "y_train", "x_test", "y_test")
    )


def data_meta(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "meta.json").read_text())


def ensure_data(args: argparse.Namespace) -> Path:
    """The --data directory, or a fresh one prepared now (and removed when the script exits)."""
    if args.data is None:
        args.data = prepare_data(args.quick)
        atexit.register(shutil.rmtree, args.data, ignore_errors=True)
    return args.data


# ----- the shared MLP setup ---------------------------------------------------------------------


def initial_weights(sizes: Sequence[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (out, in), bias (out,)) per layer, float32, PyTorch's default Linear init.

    U(-1/sqrt(in), 1/sqrt(in)) for both; every implementation copies these in, so all three
    start from the same numbers.
    """
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        bias = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        layers.append((weight, bias))
    return layers


def epoch_orders(n: int, seed: int, epochs: int) -> list[np.ndarray]:
    """The sample order of each epoch: what nn.data.DataLoader(shuffle=True, seed=seed) yields.

    One autodiff.Generator seeded with `seed`; each epoch the loader draws a base seed (as
    PyTorch's does), then a permutation (randperm).
    """
    import autodiff

    generator = autodiff.Generator().manual_seed(seed)
    orders = []
    for _ in range(epochs):
        autodiff.zeros((), dtype=autodiff.int64).random_(generator=generator)
        orders.append(autodiff.randperm(n, generator=generator).numpy())
    return orders


def digest(arrays: Sequence[np.ndarray]) -> str:
    """A short fingerprint of a sequence of arrays (to check initial weights and batch order)."""
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


# ----- workers ------------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(message, file=sys.stderr, flush=True)


# ----- markdown ---------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value: Any, digits: int = 3) -> str:
    """A number with `digits` significant digits; strings (e.g. 'not installed') as they are."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}g}"


def mark(met: bool | None) -> str:
    return "–" if met is None else ("✓" if met else "✗")


def target(name: str, goal: str, value: str, met: bool | None) -> dict[str, Any]:
    return {"name": name, "target": goal, "value": value, "met": met}
