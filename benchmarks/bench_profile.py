"""6. Where the time goes: cProfile of one engine training epoch (SGD, batch 64).

The top functions by their own time (tottime), and the total own time grouped by where the
code lives: autodiff/, nn/, numpy's C functions, the rest. The epoch is also timed without
the profiler, to show how much the profiler itself adds. cProfile does not see numpy's
ufuncs and operators (np.matmul, np.multiply, a @ b, a * b): their time is the own time
of the Python function that calls them, so `matmul` below is mostly BLAS.

Because of that, the Python cost per step is measured apart: the same training step (MLP of
the same depth, SGD, the engine's nn and the hand-written floor) on a 16-16-10 network with a
batch of 16, where numpy's arithmetic is next to nothing; the engine's time per step minus
the floor's is what the engine spends outside numpy (module calls, op records, the backward
walk, the optimiser's Python), step for step the same at any size.

Before any of that a program pays `import autodiff` (and `import nn`): measured last, each in
a fresh interpreter after numpy's own import, best of IMPORT_ROUNDS, once as this environment
imports it (where PYTHONDONTWRITEBYTECODE is set, a module without bytecode is compiled at each
import) and once with the bytecode cached, as Python usually runs.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import common
import mlp_worker

TOP = 10
RUN = {"optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 1}


def _where(filename: str, name: str) -> str:
    path = filename.replace("\\", "/")
    if "/autodiff/" in path:
        return "autodiff/"
    if "/nn/" in path and "/site-packages/" not in path:
        return "nn/"
    if filename == "~" and ("numpy" in name or "ndarray" in name or "ufunc" in name):
        return "numpy (C)"
    if filename == "~":
        return "other builtins"
    if "/numpy/" in path:
        return "numpy (Python)"
    if "/benchmarks/" in path:
        return "benchmark loop"
    return "other"


def _short(filename: str, line: int, name: str) -> str:
    if filename == "~":
        return name
    path = filename.replace("\\", "/")
    for root in ("/autodiff/", "/nn/", "/numpy/", "/benchmarks/"):
        if root in path:
            path = root.strip("/") + "/" + path.split(root, 1)[1]
            break
    return f"{path}:{line}({name})"


def profile_epoch(data: Any, small_steps: int) -> dict[str, Any]:
    x_train, y_train, _, _ = common.load_data(data)
    mlp_worker.warm_up("engine", x_train, y_train, RUN, common.SEED)
    trainer = mlp_worker.make("engine", RUN, common.SEED)
    start = common.clock()
    for _ in mlp_worker.epochs(trainer, x_train, y_train, RUN, common.SEED):
        pass
    plain_s = common.clock() - start
    trainer = mlp_worker.make("engine", RUN, common.SEED)
    profiler = cProfile.Profile()
    start = common.clock()
    profiler.enable()
    for _ in mlp_worker.epochs(trainer, x_train, y_train, RUN, common.SEED):
        pass
    profiler.disable()
    profiled_s = common.clock() - start
    stats = pstats.Stats(profiler)
    steps = -(-len(x_train) // RUN["batch_size"])
    rows, groups = [], {}
    total = sum(entry[2] for entry in stats.stats.values())
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        where = _where(filename, name)
        groups[where] = groups.get(where, 0.0) + tottime
        rows.append(
            {
                "function": _short(filename, line, name),
                "where": where,
                "ncalls": ncalls,
                "tottime_s": tottime,
                "cumtime_s": cumtime,
                "us_per_call": tottime * 1e6 / ncalls if ncalls else 0.0,
                "us_per_step": tottime * 1e6 / steps,
                "share": tottime / total if total else 0.0,
            }
        )
    rows.sort(key=lambda r: r["tottime_s"], reverse=True)
    return {
        "run": RUN,
        "dataset": common.data_meta(data),
        "steps": steps,
        "epoch_s_plain": plain_s,
        "epoch_s_profiled": profiled_s,
        "total_tottime_s": total,
        "top": rows[:TOP],
        "by_location": dict(sorted(groups.items(), key=lambda kv: -kv[1])),
        "python_per_step": python_per_step(small_steps),
    }


IMPORT_ROUNDS = 5
IMPORT_TARGET_S = 0.3
_IMPORT = (
    "import time, numpy; t, c = time.perf_counter(), time.process_time(); import {}; "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def import_times(rounds: int) -> dict[str, Any]:
    """Seconds to import autodiff and nn after numpy, in fresh interpreters, best of `rounds`
    (wall time, and the CPU time that a busy machine changes less): as this environment
    imports them, and with their bytecode cached (in a directory of its own, written by one
    import first)."""
    cache = tempfile.mkdtemp(prefix="bench-pycache-")
    cached = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
    cached.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        _import_seconds("nn", cached)  # writes the bytecode of autodiff and nn
        times = {
            module: {
                "environment": _best_import(module, None, rounds),
                "bytecode_cached": _best_import(module, cached, rounds),
            }
            for module in ("autodiff", "nn")
        }
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "seconds": times,
        "rounds": rounds,
        "dont_write_bytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }


def _best_import(module: str, env: dict[str, str] | None, rounds: int) -> dict[str, float]:
    runs = [_import_seconds(module, env) for _ in range(rounds)]
    return {"wall_s": min(wall for wall, _ in runs), "cpu_s": min(cpu for _, cpu in runs)}


def _import_seconds(module: str, env: dict[str, str] | None) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT.format(module)],
        cwd=common.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


SMALL = {"sizes": [16, 16, 10], "batch_size": 16, "steps": 400}
QUICK_SMALL_STEPS = 20


def python_per_step(steps: int) -> dict[str, float]:
    """µs per training step of the engine and of the floor on SMALL (median of 7 rounds of
    `steps` steps)."""
    import time

    import numpy as np
    import numpy_mlp

    import autodiff
    import nn

    rng = np.random.default_rng(common.SEED)
    sizes, batch = SMALL["sizes"], SMALL["batch_size"]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    layers = common.initial_weights(sizes, common.SEED)
    floor = numpy_mlp.NumpyMLP(layers, "sgd", 0.01, max_batch=batch)
    model = nn.MLP(sizes, activation="relu")
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    xb = autodiff.Tensor(x)

    def engine_step() -> None:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), y)
        loss.backward()
        optimizer.step()

    def floor_step() -> None:
        floor.step(x, y)

    times: dict[str, list[float]] = {"engine": [], "floor": []}
    for _ in range(7):
        for name, step in (("engine", engine_step), ("floor", floor_step)):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append((time.perf_counter() - start) * 1e6 / steps)
    engine_us, floor_us = (common.median(times[k][1:]) for k in ("engine", "floor"))
    return {"engine_us": engine_us, "floor_us": floor_us, "outside_numpy_us": engine_us - floor_us}


def render(results: dict[str, Any]) -> str:
    rows = [
        [
            f"`{r['function']}`",
            r["ncalls"],
            common.fmt(r["tottime_s"]),
            common.fmt(r["us_per_call"]),
            common.fmt(r["us_per_step"]),
            f"{100 * r['share']:.1f}%",
            common.fmt(r["cumtime_s"]),
        ]
        for r in results["top"]
    ]
    total = results["total_tottime_s"]
    groups = [
        [
            where,
            common.fmt(seconds),
            f"{100 * seconds / total:.1f}%",
            common.fmt(seconds * 1e6 / results["steps"]),
        ]
        for where, seconds in results["by_location"].items()
    ]
    return "\n".join(
        [
            "## 6. Where the time goes (cProfile, one engine epoch)",
            "",
            f"SGD lr 0.1, batch 64, {results['steps']} steps on {results['dataset']['dataset']}: "
            f"{common.fmt(results['epoch_s_plain'])} s without the profiler, "
            f"{common.fmt(results['epoch_s_profiled'])} s with it.",
            "",
            common.table(
                ["function", "calls", "tottime s", "µs/call", "µs/step", "share", "cumtime s"],
                rows,
            ),
            "",
            "cProfile does not see numpy's ufuncs and operators (np.matmul, np.multiply, "
            "a @ b, ...): their time counts as the own time of the function that calls them "
            "(so `matmul` and `matmul_vjp` are mostly BLAS, and `_update` is the optimizer's "
            "ufuncs).",
            "",
            "Own time by location (including the ufuncs each location calls):",
            "",
            common.table(["where", "tottime s", "share", "µs/step"], groups),
            "",
            _python_line(results["python_per_step"]),
            "",
            _import_table(results["imports"]),
            "",
        ]
    )


def _import_table(imports: dict[str, Any]) -> str:
    how = (
        "PYTHONDONTWRITEBYTECODE is set: a module without bytecode is compiled at each import"
        if imports["dont_write_bytecode"]
        else "bytecode as Python writes it"
    )
    rows = [
        [f"`import {module}`", _wall_and_cpu(s["environment"]), _wall_and_cpu(s["bytecode_cached"])]
        for module, s in imports["seconds"].items()
    ]
    return "\n".join(
        [
            f"Import time after numpy's, s (a fresh interpreter each, best of {imports['rounds']}"
            f"; this environment: {how}):",
            "",
            common.table(["import", "as this environment imports it", "bytecode cached"], rows),
        ]
    )


def _python_line(p: dict[str, float]) -> str:
    sizes = "-".join(str(n) for n in SMALL["sizes"])
    return (
        f"µs per step spent outside numpy: {p['outside_numpy_us']:.0f} (the same SGD step on "
        f"a {sizes} MLP, batch {SMALL['batch_size']}, where numpy's arithmetic is next to "
        f"nothing: engine {p['engine_us']:.0f} µs, hand-written floor {p['floor_us']:.0f} µs)."
    )


def _wall_and_cpu(seconds: dict[str, float]) -> str:
    return f"{common.fmt(seconds['wall_s'])} (CPU {common.fmt(seconds['cpu_s'])})"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    seconds = results["imports"]["seconds"]["autodiff"]["environment"]["wall_s"]
    return [
        common.target(
            "`import autodiff` after numpy's, as this environment imports it, s",
            f"< {IMPORT_TARGET_S}",
            common.fmt(seconds),
            seconds < IMPORT_TARGET_S,
        )
    ]


def main(argv: list[str] | None = None) -> None:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    data = common.ensure_data(args)
    common.pin_threads(args.threads)
    small_steps = QUICK_SMALL_STEPS if args.quick else SMALL["steps"]
    results = profile_epoch(data, small_steps)
    results["imports"] = import_times(1 if args.quick else IMPORT_ROUNDS)
    common.finish(results, args, render)


if __name__ == "__main__":
    main()
