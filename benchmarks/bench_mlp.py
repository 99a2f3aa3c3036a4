"""1. MLP training 784-256-10: our engine against a hand-written numpy floor and PyTorch.

Same initial weights and batch order for all three; each implementation trains in its own
subprocess (mlp_worker.py) and the subprocesses interleave, one configuration at a time:
engine, floor, torch, engine, floor, torch, ... over the rounds. Ratios are taken within a
round (the machine's speed drifts between rounds) and their median is reported.
"""

from __future__ import annotations

from typing import Any

import common
import mlp_worker

IMPLS = ("engine", "numpy", "torch")
CONFIGS = (("sgd", 0.1, 64), ("sgd", 0.1, 128), ("adam", 1e-3, 64), ("adam", 1e-3, 128))
RATIOS = (("engine", "numpy"), ("torch", "numpy"), ("engine", "torch"))
ACCURACY_TOLERANCE = 0.005  # the three must agree within 0.5 percentage points


def measure(quick: bool, data: Any, threads: int, rounds: int, epochs: int) -> dict[str, Any]:
    runs = [
        {"optimizer": opt, "lr": lr, "batch_size": batch, "epochs": epochs}
        for opt, lr, batch in CONFIGS
    ]
    by_run: list[dict[str, list]] = [{impl: [] for impl in IMPLS} for _ in runs]
    threads_seen: dict[str, Any] = {}
    for r in range(rounds):
        if quick:  # this process runs every implementation and configuration
            for impl in IMPLS:
                out = mlp_worker.run(impl, "train", runs, data, threads, in_process=True)
                threads_seen[impl] = _threads(out)
                for i in range(len(runs)):
                    by_run[i][impl].append(out["runs"][i] if "runs" in out else out)
        else:
            for i, run in enumerate(runs):
                for impl in IMPLS:
                    name = f"{run['optimizer']} b{run['batch_size']} {impl}"
                    common.log(f"mlp: round {r + 1}/{rounds} {name}")
                    out = mlp_worker.run(impl, "train", [run], data, threads)
                    threads_seen[impl] = _threads(out)
                    by_run[i][impl].append(out["runs"][0] if "runs" in out else out)
    configs = [_summarise(run, by_run[i]) for i, run in enumerate(runs)]
    return {
        "dataset": common.data_meta(data),
        "threads": threads,
        "rounds": rounds,
        "epochs": epochs,
        "configs": configs,
        "worker_threads": threads_seen,
        "grouping": "all in one process (quick mode)"
        if quick
        else "one subprocess per implementation and configuration",
    }


def _threads(out: dict[str, Any]) -> dict[str, Any] | str:
    """The thread counts a worker ran with: each BLAS/OpenMP pool's, and torch's."""
    if "error" in out:
        return out["error"]
    pools = {f"{p['internal_api']} ({p['prefix']})": p["num_threads"] for p in out["thread_pools"]}
    if "torch_threads" in out:
        pools["torch"] = out["torch_threads"]
    return pools


def _summarise(run: dict[str, Any], rounds: dict[str, list[dict]]) -> dict[str, Any]:
    ok = {impl: all("error" not in r for r in rounds[impl]) for impl in IMPLS}
    seconds = {
        impl: [r["s_per_epoch"] for r in rounds[impl]] if ok[impl] else common.NOT_INSTALLED
        for impl in IMPLS
    }
    ratios: dict[str, Any] = {}
    for a, b in RATIOS:
        key = f"{a}/{b}"
        if ok[a] and ok[b]:
            per_round = [ta / tb for ta, tb in zip(seconds[a], seconds[b])]
            ratios[key] = {"median": common.median(per_round), "rounds": per_round}
        else:
            ratios[key] = {"median": common.NOT_INSTALLED, "rounds": []}
    present = [impl for impl in IMPLS if ok[impl]]
    accuracy = {
        impl: rounds[impl][0]["test_accuracy"] if ok[impl] else common.NOT_INSTALLED
        for impl in IMPLS
    }
    values = [accuracy[impl] for impl in present]
    spread = max(values) - min(values)
    digests = {
        key: {rounds[impl][0][key] for impl in present} for key in ("init_digest", "order_digest")
    }
    steps = {rounds[impl][0]["steps"] for impl in present}
    return {
        **run,
        "s_per_epoch": {
            impl: common.median(seconds[impl]) if ok[impl] else common.NOT_INSTALLED
            for impl in IMPLS
        },
        "s_per_epoch_rounds": seconds,
        "ratio": ratios,
        "test_accuracy": accuracy,
        "accuracy_spread": spread,
        "accuracy_ok": spread <= ACCURACY_TOLERANCE,
        "same_initial_weights": len(digests["init_digest"]) == 1,
        "same_batch_order": len(digests["order_digest"]) == 1 and len(steps) == 1,
        "steps_per_epoch": max(steps) // run["epochs"],
    }


def render(results: dict[str, Any]) -> str:
    rows = []
    for c in results["configs"]:
        s, r, acc = c["s_per_epoch"], c["ratio"], c["test_accuracy"]
        accuracies = " / ".join(
            f"{100 * acc[i]:.2f}" if not isinstance(acc[i], str) else acc[i] for i in IMPLS
        )
        same = c["same_initial_weights"] and c["same_batch_order"]
        rows.append(
            [
                c["optimizer"].upper(),
                c["lr"],
                c["batch_size"],
                common.fmt(s["engine"]),
                common.fmt(s["numpy"]),
                common.fmt(s["torch"]),
                common.fmt(r["engine/numpy"]["median"]),
                common.fmt(r["torch/numpy"]["median"]),
                common.fmt(r["engine/torch"]["median"]),
                accuracies,
                "pass" if c["accuracy_ok"] else "FAIL",
                "yes" if same else "NO",
            ]
        )
    header = [
        "optimizer",
        "lr",
        "batch",
        "engine s/epoch",
        "floor s/epoch",
        "torch s/epoch",
        "engine/floor",
        "torch/floor",
        "engine/torch",
        "test acc % engine / floor / torch",
        "acc within 0.5%",
        "same init & order",
    ]
    meta = results["dataset"]
    return "\n".join(
        [
            "## 1. MLP training 784-256-10 (ReLU, cross-entropy, float32)",
            "",
            f"Data: {meta['dataset']}: {meta['train']} train, {meta['test']} test. "
            f"{results['epochs']} epoch(s) per run after a 20-step warm-up on a throwaway "
            f"model; {results['rounds']} interleaved round(s), {results['grouping']}; "
            f"{results['threads']} BLAS/torch thread(s). "
            "s/epoch: median over rounds; ratios: median of same-round ratios. "
            "Floor: hand-written numpy (benchmarks/numpy_mlp.py).",
            "",
            "Threads inside the workers: "
            + "; ".join(f"{impl}: {pools}" for impl, pools in results["worker_threads"].items())
            + ".",
            "",
            common.table(header, rows),
            "",
        ]
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in results["configs"]:
        name = f"MLP {c['optimizer'].upper()} b{c['batch_size']}"
        value = c["ratio"]["engine/numpy"]["median"]
        out.append(
            common.target(f"{name}: engine vs floor", "≤ 1.10×", _x(value), _le(value, 1.10))
        )
    spread = max(c["accuracy_spread"] for c in results["configs"])
    ok = all(c["accuracy_ok"] for c in results["configs"])
    out.append(
        common.target(
            "MLP: same test accuracy (all configs)",
            "within 0.5%",
            f"max spread {100 * spread:.2f}%",
            ok,
        )
    )
    return out


def _x(value: Any) -> str:
    return value if isinstance(value, str) else f"{value:.3f}×"


def _le(value: Any, limit: float) -> bool | None:
    return None if isinstance(value, str) else value <= limit


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args(argv)
    data = common.ensure_data(args)
    rounds, epochs = (1, 1) if args.quick else (args.rounds, args.epochs)
    results = measure(args.quick, data, args.threads, rounds, epochs)
    common.finish(results, args, render)


if __name__ == "__main__":
    main()
