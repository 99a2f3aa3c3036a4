"""2. Per-op overhead: chains of 1,000 ops on (8, 8) float64 tensors.

At this size the arithmetic is nearly free, so the time per op is the framework's own cost:
making a Tensor, recording a node, running the VJP. Each chain starts from a leaf and uses
three parameter leaves (all requiring grad): add, mul, tanh, matmul, and a mixed chain that
cycles through the four. Forward = building the chain; backward = ``y.sum().backward()``
plus dropping the graph; both = the whole cycle. Plain numpy runs the same forward without
a tape. Repeats interleave engine, PyTorch and numpy; medians are reported. Also counted: the
objects the cyclic garbage collector tracks that each recorded op leaves alive (the growth of
``gc.get_count()[0]`` per op, with the collector off while counting): each is work for every
later collection while the graph lives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import common
import numpy as np

KINDS = ("add", "mul", "tanh", "matmul", "mixed")
SHAPE = (8, 8)


def chain(kind: str, y: Any, a: Any, m: Any, q: Any, n: int, tanh: Callable) -> Any:
    """n ops of `kind` starting from y (values stay bounded: m near 1, q orthogonal)."""
    if kind == "add":
        for _ in range(n):
            y = y + a
    elif kind == "mul":
        for _ in range(n):
            y = y * m
    elif kind == "tanh":
        for _ in range(n):
            y = tanh(y)
    elif kind == "matmul":
        for _ in range(n):
            y = y @ q
    else:
        for _ in range(n // 4):
            y = tanh((y + a) * m) @ q
    return y


def _values(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SHAPE)
    a = 0.01 * rng.standard_normal(SHAPE)
    m = 1 + 0.01 * rng.standard_normal(SHAPE)
    q, _ = np.linalg.qr(rng.standard_normal(SHAPE))
    return [x, a, m, q]


def time_engine(kind: str, n: int, values: list[np.ndarray]) -> tuple[float, float]:
    from autodiff import Tensor

    leaves = [Tensor(v, requires_grad=True) for v in values]
    x, a, m, q = leaves
    start = common.clock()
    y = chain(kind, x, a, m, q, n, Tensor.tanh)
    built = common.clock()
    y.sum().backward()
    del y  # dropping the graph is part of the cost of every step
    done = common.clock()
    return built - start, done - built


def tracked_objects_per_op(kind: str, n: int, values: list[np.ndarray]) -> float:
    """Growth of gc.get_count()[0] per op while building a chain of `kind` (collector off)."""
    import gc

    from autodiff import Tensor

    x, a, m, q = (Tensor(v, requires_grad=True) for v in values)
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        y = chain(kind, x, a, m, q, n, Tensor.tanh)
        after = gc.get_count()[0]
    finally:
        gc.enable()
    del y
    return (after - before) / (n if kind != "mixed" else 4 * (n // 4))


def time_torch(torch: Any, kind: str, n: int, values: list[np.ndarray]) -> tuple[float, float]:
    leaves = [torch.tensor(v, requires_grad=True) for v in values]
    x, a, m, q = leaves
    start = common.clock()
    y = chain(kind, x, a, m, q, n, torch.tanh)
    built = common.clock()
    y.sum().backward()
    del y
    done = common.clock()
    return built - start, done - built


def time_numpy(kind: str, n: int, values: list[np.ndarray]) -> float:
    x, a, m, q = (v.copy() for v in values)
    start = common.clock()
    y = chain(kind, x, a, m, q, n, np.tanh)
    del y
    return common.clock() - start


def measure(quick: bool, threads: int, n: int, repeats: int) -> dict[str, Any]:
    torch = common.import_torch()
    common.pin_threads(threads)
    values = _values(0)
    results: dict[str, Any] = {"ops_per_chain": n, "repeats": repeats, "kinds": {}}
    for kind in KINDS:
        ops = n if kind != "mixed" else 4 * (n // 4)
        samples: dict[str, list[float]] = {
            "engine_fwd": [],
            "engine_bwd": [],
            "engine_both": [],
            "torch_fwd": [],
            "torch_bwd": [],
            "torch_both": [],
            "numpy_fwd": [],
        }
        for _ in range(1 + repeats):  # the first round warms up and is dropped
            fwd, bwd = time_engine(kind, n, values)
            samples["engine_fwd"].append(fwd)
            samples["engine_bwd"].append(bwd)
            samples["engine_both"].append(fwd + bwd)
            if torch is not None:
                fwd, bwd = time_torch(torch, kind, n, values)
                samples["torch_fwd"].append(fwd)
                samples["torch_bwd"].append(bwd)
                samples["torch_both"].append(fwd + bwd)
            samples["numpy_fwd"].append(time_numpy(kind, n, values))
        us = {
            key: (common.median(times[1:]) * 1e6 / ops if times else common.NOT_INSTALLED)
            for key, times in samples.items()
        }
        if torch is not None:
            us["engine/torch_both"] = us["engine_both"] / us["torch_both"]
        else:
            us["engine/torch_both"] = common.NOT_INSTALLED
        us["engine/numpy_fwd"] = us["engine_fwd"] / us["numpy_fwd"]
        us["tracked_objects_per_op"] = tracked_objects_per_op(kind, min(n, 400), values)
        results["kinds"][kind] = us
    return results


def render(results: dict[str, Any]) -> str:
    rows = []
    for kind, us in results["kinds"].items():
        rows.append(
            [kind]
            + [
                common.fmt(us[key])
                for key in (
                    "engine_fwd",
                    "engine_bwd",
                    "engine_both",
                    "torch_fwd",
                    "torch_bwd",
                    "torch_both",
                    "numpy_fwd",
                    "engine/torch_both",
                    "engine/numpy_fwd",
                    "tracked_objects_per_op",
                )
            ]
        )
    header = [
        "chain",
        "engine fwd µs/op",
        "engine bwd",
        "engine both",
        "torch fwd",
        "torch bwd",
        "torch both",
        "numpy fwd (no tape)",
        "engine/torch (both)",
        "engine/numpy (fwd)",
        "tracked objects per op",
    ]
    return "\n".join(
        [
            "## 2. Per-op overhead: chains of (8, 8) float64 ops",
            "",
            f"{results['ops_per_chain']} ops per chain, median of {results['repeats']} "
            "repeats (each column its own median). bwd = y.sum().backward() plus freeing "
            "the graph; both = fwd + bwd of the same repeat.",
            "",
            common.table(header, rows),
            "",
        ]
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    value = results["kinds"]["mixed"]["engine_both"]
    return [common.target("Mixed chain fwd+bwd per op", "≤ 6 µs", f"{value:.2f} µs", value <= 6)]


def main(argv: list[str] | None = None) -> None:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    n, repeats = (100, 2) if args.quick else (1000, 30)
    common.finish(measure(args.quick, args.threads, n, repeats), args, render)


if __name__ == "__main__":
    main()
