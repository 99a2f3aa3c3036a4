"""5. Memory: peak RSS of one training epoch per implementation; RSS growth over many steps.

Each measurement runs in a fresh subprocess (mlp_worker.py). Peak RSS is ru_maxrss; the
baseline is the peak after imports and data loading, so the difference is what the model
and one epoch added (parameters, gradients, optimizer buffers, activations, the graph). The growth
run trains the engine for 10,000 steps after a 100-step warm-up and compares the resident set
and the number of live Tensors before and after: every step's graph must be freed.
"""

from __future__ import annotations

from typing import Any

import common

IMPLS = ("engine", "numpy", "torch")
RUN = {"optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 1}


def measure(quick: bool, data: Any, threads: int) -> dict[str, Any]:
    epoch = {}
    for impl in IMPLS:
        common.log(f"memory: one epoch, {impl}")
        out = common.run_worker(impl, "memory", [RUN], data, threads)
        epoch[impl] = out["runs"][0] if "runs" in out else common.NOT_INSTALLED
    steps = 300 if quick else 10_000
    common.log(f"memory: {steps} engine steps")
    growth_run = {**RUN, "steps": steps, "warmup_steps": 20 if quick else 100}
    growth = common.run_worker("engine", "growth", [growth_run], data, threads)["runs"][0]
    results: dict[str, Any] = {
        "run": RUN,
        "dataset": common.data_meta(data),
        "epoch": epoch,
        "growth": growth,
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
        ]
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
            f"RSS growth over {g['steps_done']:,} engine steps",
            "≤ 5 MB",
            f"{g['growth_mb']:+.2f} MB",
            g["growth_mb"] <= 5,
        ),
    ]


def main() -> None:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    data = common.ensure_data(args)
    common.finish(measure(args.quick, data, args.threads), args, render)


if __name__ == "__main__":
    main()
