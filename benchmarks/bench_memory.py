"""5. Memory: peak RSS of one training epoch per implementation; RSS growth over many steps.

Each measurement runs in a fresh subprocess (mlp_worker.py; in quick mode, in this
process). Peak RSS is ru_maxrss; the baseline is the peak after imports and data loading,
so the difference is what the model and one epoch added (parameters, gradients, optimizer
buffers, activations, the graph). The growth
run trains the engine for 10,000 steps after a 100-step warm-up and compares the resident set
and the number of live Tensors before and after: every step's graph must be freed. The
binding runs train a wide MLP for a few steps in a loop that rebinds `loss` and in one that
deletes it: backward frees a step's activations, so holding the loss must cost nothing
(measured with tracemalloc: RSS hides the difference, see `mlp_worker.binding`).
"""

from __future__ import annotations

from typing import Any

import common
import mlp_worker

IMPLS = ("engine", "numpy", "torch")
RUN = {"optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 1}


def measure(quick: bool, data: Any, threads: int) -> dict[str, Any]:
    epoch = {}
    for impl in IMPLS:
        common.log(f"memory: one epoch, {impl}")
        out = mlp_worker.run(impl, "memory", [RUN], data, threads, in_process=quick)
        epoch[impl] = out["runs"][0] if "runs" in out else common.NOT_INSTALLED
    steps = 30 if quick else 10_000
    common.log(f"memory: {steps} engine steps")
    growth_run = {**RUN, "steps": steps, "warmup_steps": 5 if quick else 100}
    growth = mlp_worker.run("engine", "growth", [growth_run], data, threads, in_process=quick)
    growth = growth["runs"][0]
    wide = {"sizes": [784, 256, 256, 10], "batch_size": 128, "steps": 3}
    if not quick:
        wide = {"sizes": [784, 1024, 1024, 10], "batch_size": 512, "steps": 8}
    binding: dict[str, Any] = {}
    for kind in ("rebind", "delete"):
        common.log(f"memory: wide MLP, a loop that {kind}s the loss")
        run = {**wide, "binding": kind}
        out = mlp_worker.run("engine", "binding", [run], data, threads, in_process=quick)
        binding[kind] = out["runs"][0]
    binding["ratio"] = binding["rebind"]["held_mb"] / binding["delete"]["held_mb"]
    results: dict[str, Any] = {
        "run": RUN,
        "dataset": common.data_meta(data),
        "epoch": epoch,
        "growth": growth,
        "binding": binding,
    }
    floor = epoch["numpy"]
    for impl in IMPLS:
        e = epoch[impl]
        if isinstance(e, dict):
            e["peak_vs_floor"] = e["peak_mb"] / floor["peak_mb"]
            e["epoch_delta_vs_floor"] = e["epoch_peak_over_baseline_mb"] / max(
                floor["epoch_peak_over_baseline_mb"], 1e-9
            )
    return results


def render(results: dict[str, Any]) -> str:
    rows = []
    for impl in IMPLS:
        e = results["epoch"][impl]
        if isinstance(e, str):
            rows.append([impl, e, "", "", "", "", ""])
            continue
        rows.append(
            [
                impl,
                common.fmt(e["rss_after_data_mb"], 4),
                common.fmt(e["peak_before_epoch_mb"], 4),
                common.fmt(e["peak_mb"], 4),
                common.fmt(e["epoch_peak_over_baseline_mb"]),
                common.fmt(e["peak_vs_floor"]),
                common.fmt(e["epoch_delta_vs_floor"]),
            ]
        )
    g = results["growth"]
    return "\n".join(
        [
            "## 5. Memory",
            "",
            f"One epoch, SGD batch 64, on {results['dataset']['dataset']}; MB = 2²⁰ bytes. "
            "Baseline = peak RSS after imports and data, before the model is built "
            "(PyTorch's includes its ~200 MB of libraries).",
            "",
            common.table(
                [
                    "implementation",
                    "RSS after data MB",
                    "baseline peak MB",
                    "peak MB",
                    "epoch peak − baseline MB",
                    "peak / floor's",
                    "(peak − baseline) / floor's",
                ],
                rows,
            ),
            "",
            f"Engine, {g['steps_done']:,} training steps after a {g['warmup_steps']}-step "
            f"warm-up ({common.fmt(g['seconds'])} s): RSS {g['rss_before_mb']:.1f} → "
            f"{g['rss_after_mb']:.1f} MB (growth {g['growth_mb']:+.2f} MB); live Tensors "
            f"{g['live_tensors_before']} → {g['live_tensors_after']}.",
            "",
            _binding_line(results["binding"]),
            "",
        ]
    )


def _binding_line(b: dict[str, Any]) -> str:
    run, rebind, delete = b["rebind"], b["rebind"], b["delete"]
    sizes = "-".join(str(n) for n in run["sizes"])
    return (
        f"Engine, {sizes} MLP, batch {run['batch_size']}, {run['steps']} SGD steps, memory "
        f"traced by tracemalloc (it sees numpy's arrays; RSS cannot tell these apart, as the "
        f"allocator keeps freed blocks for reuse): held between steps "
        f"{rebind['held_mb']:.1f} MB in a loop that rebinds `loss`, {delete['held_mb']:.1f} MB "
        f"in one that deletes it ({b['ratio']:.2f}×); peak {rebind['peak_traced_mb']:.1f} and "
        f"{delete['peak_traced_mb']:.1f} MB."
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    e, g = results["epoch"]["engine"], results["growth"]
    return [
        common.target(
            "Peak RSS of an epoch vs floor (epoch's own: peak − baseline)",
            "≤ 1.2×",
            f"{e['epoch_delta_vs_floor']:.2f}× ({e['epoch_peak_over_baseline_mb']:.1f} vs "
            f"{results['epoch']['numpy']['epoch_peak_over_baseline_mb']:.1f} MB); "
            f"whole process {e['peak_vs_floor']:.2f}×",
            e["epoch_delta_vs_floor"] <= 1.2,
        ),
        common.target(
            "Memory held between steps, loop rebinding loss vs deleting it (wide MLP)",
            "≤ 1.05×",
            f"{results['binding']['ratio']:.2f}×",
            results["binding"]["ratio"] <= 1.05,
        ),
        common.target(
            f"RSS growth over {g['steps_done']:,} engine steps",
            "≤ 5 MB",
            f"{g['growth_mb']:+.2f} MB",
            g["growth_mb"] <= 5,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    data = common.ensure_data(args)
    common.finish(measure(args.quick, data, args.threads), args, render)


if __name__ == "__main__":
    main()
