"""4. Scaling: backward time against chain length, and MLP epoch time against batch size.

Backward of the mixed (8, 8) chain of section 2 at 10³, 10⁴ and 10⁵ ops should grow
linearly (the 10⁵/10⁴ ratio near 10). The MLP epoch (SGD, lr 0.1) at batch sizes 16 to 1024
shows where the engine's per-step overhead matters: small batches, many steps.
"""

from __future__ import annotations

from typing import Any

import bench_ops
import common
import mlp_worker

BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
IMPLS = ("engine", "numpy")


def measure_chains(lengths: tuple[int, ...], repeats: int) -> list[dict[str, Any]]:
    values = bench_ops._values(0)
    out = []
    for n in lengths:
        backward = [bench_ops.time_engine("mixed", n, values)[1] for _ in range(repeats)]
        seconds = common.median(backward)
        out.append({"ops": n, "backward_s": seconds, "us_per_op": seconds * 1e6 / n})
    return out


def measure_batches(quick: bool, data: Any, threads: int, rounds: int) -> list[dict[str, Any]]:
    """Epoch time per batch size; the ratio is the median of same-round ratios."""
    runs = [{"optimizer": "sgd", "lr": 0.1, "batch_size": b, "epochs": 1} for b in BATCH_SIZES]
    seconds = {impl: [[] for _ in runs] for impl in IMPLS}
    for r in range(rounds):
        if quick:  # this process runs every implementation and batch size
            for impl in IMPLS:
                out = mlp_worker.run(impl, "train", runs, data, threads, in_process=True)
                for i, result in enumerate(out["runs"]):
                    seconds[impl][i].append(result["s_per_epoch"])
            continue
        for i, run in enumerate(runs):  # one subprocess per (batch size, implementation)
            for impl in IMPLS:
                common.log(f"scaling: round {r + 1}/{rounds} batch {run['batch_size']} {impl}")
                out = mlp_worker.run(impl, "train", [run], data, threads)
                seconds[impl][i].append(out["runs"][0]["s_per_epoch"])
    rows = []
    for i, b in enumerate(BATCH_SIZES):
        engine, floor = seconds["engine"][i], seconds["numpy"][i]
        rows.append(
            {
                "batch_size": b,
                "engine_s": common.median(engine),
                "numpy_s": common.median(floor),
                "engine/numpy": common.median([e / f for e, f in zip(engine, floor)]),
                "engine_s_rounds": engine,
                "numpy_s_rounds": floor,
            }
        )
    return rows


def measure(quick: bool, data: Any, threads: int, rounds: int) -> dict[str, Any]:
    common.pin_threads(threads)
    lengths, repeats = ((100, 300, 1_000), 3) if quick else ((1_000, 10_000, 100_000), 3)
    chains = measure_chains(lengths, repeats)
    return {
        "chains": chains,
        "ratio_last": chains[-1]["backward_s"] / chains[-2]["backward_s"],
        "length_ratio": chains[-1]["ops"] / chains[-2]["ops"],
        "dataset": common.data_meta(data),
        "rounds": rounds,
        "grouping": "all in one process (quick mode)"
        if quick
        else "one subprocess per implementation and batch size",
        "batches": measure_batches(quick, data, threads, rounds),
    }


def render(results: dict[str, Any]) -> str:
    chains = [
        [f"{c['ops']:,}", common.fmt(c["backward_s"]), common.fmt(c["us_per_op"])]
        for c in results["chains"]
    ]
    batches = [
        [
            b["batch_size"],
            common.fmt(b["engine_s"]),
            common.fmt(b["numpy_s"]),
            common.fmt(b["engine/numpy"]),
        ]
        for b in results["batches"]
    ]
    c = results["chains"]
    return "\n".join(
        [
            "## 4. Scaling",
            "",
            f"Backward of the mixed (8, 8) float64 chain (median of 3); "
            f"{c[-1]['ops']:,}/{c[-2]['ops']:,} backward-time ratio: "
            f"{results['ratio_last']:.2f} (linear: {results['length_ratio']:.0f}).",
            "",
            common.table(["ops", "backward s", "µs/op"], chains),
            "",
            f"MLP 784-256-10, SGD lr 0.1, one epoch of {results['dataset']['dataset']} "
            f"per batch size; {results['rounds']} interleaved round(s), {results['grouping']}; "
            "s/epoch the median over rounds, the ratio the median of same-round ratios:",
            "",
            common.table(["batch", "engine s/epoch", "floor s/epoch", "engine/floor"], batches),
            "",
        ]
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    ratio, linear = results["ratio_last"], results["length_ratio"]
    c = results["chains"]
    return [
        common.target(
            f"Backward {c[-1]['ops']:,} vs {c[-2]['ops']:,} ops",
            f"ratio within 1.5× of {linear:.0f}",
            f"{ratio:.2f}",
            linear / 1.5 <= ratio <= linear * 1.5,
        )
    ]


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    data = common.ensure_data(args)
    rounds = 1 if args.quick else args.rounds
    common.finish(measure(args.quick, data, args.threads, rounds), args, render)


if __name__ == "__main__":
    main()
