"""Run every benchmark and write one markdown report, with the raw numbers as JSON beside it.

    python benchmarks/run_all.py            # the full run (about 10 minutes on 2 cores)
    python benchmarks/run_all.py --quick    # tiny sizes, seconds: what the smoke test runs

The report is printed and written to benchmarks/results/<date>-<host>.md (and .json); each
benchmark script runs in its own subprocess and can also be run alone (see its --help).
Quick mode runs every script, and every worker it starts, in this process instead: it checks
that the whole run works and reports in its format, in seconds; its numbers mean nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Any

import common

SECTIONS = (
    ("mlp", "bench_mlp"),
    ("ops", "bench_ops"),
    ("scalar", "bench_scalar"),
    ("scaling", "bench_scaling"),
    ("memory", "bench_memory"),
    ("profile", "bench_profile"),
    ("conv", "bench_conv"),
    ("models", "bench_models"),
)


def run_section(module: str, args: Any, data: Path, scratch: Path) -> dict[str, Any]:
    """Run benchmarks/<module>.py in a subprocess (in quick mode, its main in this process);
    its results, or {"error": ...}."""
    out = scratch / f"{module}.json"
    options = ["--json", str(out), "--data", str(data), "--threads", str(args.threads)]
    start = time.perf_counter()
    if args.quick:
        error = _run_here(module, [*options, "--quick"])
    else:
        error = _run_subprocess(module, options)
    seconds = time.perf_counter() - start
    if error is not None or not out.exists():
        return {"error": error or f"{module} wrote no results", "wall_s": seconds}
    results = json.loads(out.read_text())
    results["wall_s"] = seconds
    return results


def _run_subprocess(module: str, options: list[str]) -> str | None:
    """None when benchmarks/<module>.py exits 0, else its exit status and stderr's tail."""
    command = [sys.executable, str(common.BENCH_DIR / f"{module}.py"), *options]
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        for line in process.stderr:  # progress goes on to our stderr; the tail is kept
            sys.stderr.write("   " + line)
            tail.append(line)
    return None if process.returncode == 0 else f"exit {process.returncode}: {''.join(tail)}"


def _run_here(module: str, argv: list[str]) -> str | None:
    """None when <module>.main(argv) returns, else its traceback; its stdout is dropped."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module(module).main(argv)
    except (Exception, SystemExit):
        return traceback.format_exc()[-4000:]
    return None


def environment_table(env: dict[str, Any], dataset: str, wall: float, quick: bool) -> str:
    blas = env["numpy_blas"][0] if env["numpy_blas"] else {}
    numpy_blas = (
        f"{blas.get('internal_api')} {blas.get('version')}, kernel {blas.get('architecture')}"
        if blas
        else "unknown (threadpoolctl missing?)"
    )
    torch = env["torch"]
    if torch != common.NOT_INSTALLED:
        torch = f"{torch} ({env.get('torch_blas', 'unknown BLAS')})"
    rows = [
        ["CPU", f"{env['cpu_model']} ({env['cpu_count']} logical cores)"],
        ["threads (BLAS and torch)", env["threads"]],
        ["Python / numpy", f"{env['python']} / {env['numpy']}"],
        ["numpy BLAS", numpy_blas],
        ["PyTorch", torch],
        ["OPENBLAS_* env vars", ", ".join(f"{k}={v}" for k, v in env["openblas_env"].items())],
        ["commit", env["git_commit"]],
        ["autodiff/ + nn/ source digest", _source_line(env)],
        ["load average (1 min), start / end", _load_line(env)],
        ["data", dataset],
        ["mode", "quick (tiny sizes: numbers mean nothing)" if quick else "full"],
        ["wall time", f"{wall:.0f} s"],
    ]
    return common.table(["", ""], rows)


def _source_line(env: dict[str, Any]) -> str:
    start, end = env["engine_source"], env["engine_source_at_end"]
    if start == end:
        return f"{start} (unchanged during the run)"
    return f"{start} → {end}: **the engine's source changed during the run**"


def _load_line(env: dict[str, Any]) -> str:
    start, end = env["load_average"][0], env["load_average_at_end"][0]
    return f"{start:.2f} / {end:.2f} (at the end the run's own process adds about 1)"


def headline(sections: dict[str, Any]) -> str:
    rows = []
    mlp = sections.get("mlp", {})
    for c in mlp.get("configs", []):
        s, r = c["s_per_epoch"], c["ratio"]
        rows.append(
            [
                f"MLP {c['optimizer'].upper()} b{c['batch_size']}, s/epoch",
                common.fmt(s["engine"]),
                common.fmt(s["numpy"]),
                common.fmt(s["torch"]),
                f"engine/floor {common.fmt(r['engine/numpy']['median'])}, "
                f"engine/torch {common.fmt(r['engine/torch']['median'])}",
            ]
        )
    ops = sections.get("ops", {}).get("kinds", {}).get("mixed")
    if ops:
        rows.append(
            [
                "mixed (8, 8) chain, µs/op fwd+bwd",
                common.fmt(ops["engine_both"]),
                common.fmt(ops["numpy_fwd"]) + " (fwd only)",
                common.fmt(ops["torch_both"]),
                f"engine/torch {common.fmt(ops['engine/torch_both'])}",
            ]
        )
    chain = sections.get("scalar", {}).get("chain")
    if chain and not chain.get("recursion_error"):
        torch = chain["torch"]
        rows.append(
            [
                f"{chain['ops']:,}-op scalar chain, ops/s",
                f"{chain['ops_per_s']:,.0f}",
                "–",
                f"{torch['ops_per_s']:,.0f}" if isinstance(torch, dict) else torch,
                "build + backward",
            ]
        )
    scalar = sections.get("scalar", {}).get("mlp")
    if scalar:
        rows.append(
            [
                "scalar MLP 2-16-16-1 step, s",
                common.fmt(scalar["step_s"]),
                "–",
                "–",
                f"{scalar['ops_per_step']:,} ops, {common.fmt(scalar['us_per_op'])} µs/op",
            ]
        )
    memory = sections.get("memory", {}).get("epoch")
    if memory:
        cells = [
            common.fmt(memory[i]["epoch_peak_over_baseline_mb"])
            if isinstance(memory[i], dict)
            else memory[i]
            for i in ("engine", "numpy", "torch")
        ]
        rows.append(["epoch peak RSS over baseline, MB", *cells, "model + one epoch"])
    conv = sections.get("conv", {})
    if isinstance(conv.get("engine"), dict):
        for key, label in (
            ("step_ms", "CNN training step b64, ms"),
            ("layer_ms", "conv layer, ms"),
        ):
            torch = conv["torch"]
            rows.append(
                [
                    label,
                    common.fmt(conv["engine"][key]),
                    "–",
                    common.fmt(torch[key]) if isinstance(torch, dict) else torch,
                    f"engine/torch {common.fmt(conv['ratio'][key.removesuffix('_ms')])}",
                ]
            )
    for m in sections.get("models", {}).get("models", {}).values():
        e, t = m["engine"], m["torch"]
        rows.append(
            [
                f"{m['label']} step, ms",
                common.fmt(e["step_ms"]),
                "–",
                common.fmt(t["step_ms"]) if isinstance(t, dict) else t,
                f"engine/torch {common.fmt(m['ratio']['step'])}",
            ]
        )
    if not rows:
        return ""
    return common.table(["measure", "engine", "numpy floor", "PyTorch", "note"], rows)


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=common.BENCH_DIR / "results")
    p.add_argument("--only", help="comma-separated sections: " + ",".join(n for n, _ in SECTIONS))
    args = p.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else {name for name, _ in SECTIONS}
    start = time.perf_counter()
    env = common.environment(args.threads)
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        data = (
            args.data
            if args.data is not None
            else common.prepare_data(args.quick, scratch / "data")
        )
        dataset = common.data_meta(data)["dataset"]
        sections: dict[str, Any] = {}
        for name, module in SECTIONS:
            if name in wanted:
                common.log(f"== {name} ({module}.py)")
                sections[name] = run_section(module, args, data, scratch)
                common.log(f"   {sections[name]['wall_s']:.0f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - start
    env["engine_source_at_end"] = common.source_digest()
    env["load_average_at_end"] = list(os.getloadavg())

    body, goals, failed = [], [], []
    for name, module in SECTIONS:
        if name not in sections:
            continue
        results = sections[name]
        if "error" in results:
            failed.append(name)
            body.append(f"## {name}: FAILED\n\n```\n{results['error']}\n```\n")
            continue
        mod = importlib.import_module(module)
        body.append(mod.render(results))
        goals += mod.targets(results)
    target_rows = [[t["name"], t["target"], t["value"], common.mark(t["met"])] for t in goals]
    report = "\n".join(
        [
            f"# Benchmarks: {env['date']} on {env['host']}",
            "",
            environment_table(env, dataset, wall, args.quick),
            "",
            "## Headline numbers",
            "",
            headline(sections),
            "",
            "## Targets",
            "",
            common.table(["measure", "target", "value", "met"], target_rows),
            "",
            *body,
        ]
    )
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    host = re.sub(r"[^A-Za-z0-9_.-]", "_", env["host"])
    stem = args.out / f"{env['date'][:10]}-{host}"
    stem.with_suffix(".md").write_text(report)
    raw = {"env": env, "quick": args.quick, "wall_s": wall, "targets": goals, "sections": sections}
    stem.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=common.json_default))
    common.log(f"report: {stem}.md (and .json); wall time {wall:.0f} s")
    if failed:
        sys.exit(f"failed sections: {', '.join(failed)}")


if __name__ == "__main__":
    main()
