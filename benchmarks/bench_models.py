"""8. Models learners train next: training steps of six small models, engine vs PyTorch.

The models are those of models.py (makemore's MLP and Transformer, a small GPT, LSTM and GRU
word language models, the MNIST CNN), each written once and run with `import autodiff as torch`
and with PyTorch. Per model, one process per implementation (``--worker``), one thread each:
the engine's worker builds the model and writes its initial state, PyTorch's loads it, and both
draw the same batches. Then the parent times them in interleaved rounds, one training step
(forward, cross-entropy, backward, AdamW step) of each per round, so a change in the machine's
load hits both alike; the ratio is the median of the rounds' ratios. Each worker also reports
its peak resident memory during the steps above what it held before the first step, and the
loss of every step, so that the two can be checked to compute the same thing.

Quick mode builds both implementations in this process instead: it checks the plumbing in
seconds; its numbers mean nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import models
import numpy as np

IMPLS = ("engine", "torch")
FULL = {"warmup": 3, "steps": 30}
QUICK = {"warmup": 1, "steps": 2}
LEARNING_RATE = 1e-3
LOSS_RTOL = 1e-5  # float32: the losses of the first AGREE_STEPS steps stay this close
AGREE_STEPS = 10  # later, AdamW can amplify a rounding difference (it rescales tiny gradients)


def peak_mb() -> float:
    """This process's peak resident set since its start or the last reset_peak (VmHWM)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return common.peak_rss_mb()


def reset_peak() -> None:
    """Make VmHWM start again from the present resident set (Linux; elsewhere a no-op)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class Trainer:
    """One model of one implementation, its AdamW optimizer and its batches."""

    def __init__(
        self, impl: str, name: str, c: dict[str, Any], count: int, state: Path | None
    ) -> None:
        self.impl, self.ns = impl, models.namespace(impl)
        spec = models.SPECS[name]
        self.name = name
        self.model = spec.build(self.ns, c)
        if state is not None:
            arrays = dict(np.load(state))
            if impl == "torch":
                arrays = {k: self.ns.torch.from_numpy(v) for k, v in arrays.items()}
            self.model.load_state_dict(arrays)
        self.optimizer = self.ns.optim.AdamW(self.model.parameters(), lr=LEARNING_RATE)
        self.batches = [
            tuple(self.ns.torch.from_numpy(a) for a in batch)
            for batch in spec.batches(c, common.SEED, count)
        ]
        self.baseline_mb = common.current_rss_mb()
        reset_peak()

    def state(self) -> dict[str, np.ndarray]:
        """The model's parameters and buffers as numpy arrays, under PyTorch's names."""
        return {k: _array(v) for k, v in self.model.state_dict().items()}

    def step(self, k: int) -> tuple[float, float, float]:
        """(seconds, CPU seconds, loss) of one training step on batch k."""
        start, cpu = common.clock(), time.thread_time()
        self.optimizer.zero_grad()
        loss = models.loss_of(self.ns, self.name, self.model, self.batches[k])
        loss.backward()
        self.optimizer.step()
        seconds, cpu = common.clock() - start, time.thread_time() - cpu
        return seconds, cpu, float(loss.item())

    def memory(self) -> dict[str, float]:
        peak = peak_mb()
        return {"baseline_mb": self.baseline_mb, "peak_over_baseline_mb": peak - self.baseline_mb}


def _array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach()
    return np.array(value.numpy() if hasattr(value, "numpy") else value)


class Worker:
    """A Trainer in a process of its own, driven one JSON line at a time."""

    def __init__(self, impl: str, name: str, c: dict, count: int, threads: int, state: Path | None):
        command = [sys.executable, __file__, "--worker", impl, "--model", name]
        command += ["--config", json.dumps(c), "--count", str(count), "--threads", str(threads)]
        if state is not None:
            command += ["--state", str(state)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.impl = impl

    def ask(self, request: dict[str, Any]) -> Any:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise RuntimeError(f"bench_models worker {self.impl} exited {self.process.returncode}")
        return json.loads(line)

    def step(self, k: int) -> tuple[float, float, float]:
        return tuple(self.ask({"op": "step", "k": k}))

    def memory(self) -> dict[str, float]:
        return self.ask({"op": "memory"})

    def save_state(self, path: Path) -> None:
        self.ask({"op": "state", "path": str(path)})

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


class Here:
    """A Trainer in this process, with a Worker's interface (quick mode)."""

    def __init__(self, impl: str, name: str, c: dict, count: int, threads: int, state: Path | None):
        self.trainer = Trainer(impl, name, c, count, state)
        common.pin_threads(threads)

    def step(self, k: int) -> tuple[float, float, float]:
        return self.trainer.step(k)

    def memory(self) -> dict[str, float]:
        return self.trainer.memory()

    def save_state(self, path: Path) -> None:
        np.savez(path, **self.trainer.state())

    def close(self) -> None:
        pass


def serve(args: Any) -> None:
    """The worker's loop: one request per stdin line, one JSON answer per stdout line."""
    common.pin_threads(args.threads)
    c = json.loads(args.config)
    trainer = Trainer(args.worker, args.model, c, args.count, args.state)
    common.pin_threads(args.threads)  # PyTorch is imported by now
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "step":
            answer: Any = trainer.step(request["k"])
        elif request["op"] == "memory":
            answer = trainer.memory()
        else:
            np.savez(request["path"], **trainer.state())
            answer = "saved"
        print(json.dumps(answer), flush=True)


def measure_model(name: str, quick: bool, threads: int, torch: bool, scratch: Path) -> dict:
    sizes = QUICK if quick else FULL
    c = models.config(name, quick)
    count = sizes["warmup"] + sizes["steps"]
    start = Here if quick else Worker
    impls = IMPLS if torch else IMPLS[:1]
    workers = {"engine": start("engine", name, c, count, threads, None)}
    try:
        state = scratch / f"{name}.npz"
        workers["engine"].save_state(state)
        if torch:
            workers["torch"] = start("torch", name, c, count, threads, state)
        times: dict[str, list[float]] = {impl: [] for impl in impls}
        cpu: dict[str, list[float]] = {impl: [] for impl in impls}
        losses: dict[str, list[float]] = {impl: [] for impl in impls}
        for k in range(count):
            for impl in impls:
                seconds, cpu_seconds, loss = workers[impl].step(k)
                losses[impl].append(loss)
                if k >= sizes["warmup"]:
                    times[impl].append(seconds)
                    cpu[impl].append(cpu_seconds)
        memory = {impl: workers[impl].memory() for impl in impls}
    finally:
        for worker in workers.values():
            worker.close()
    out: dict[str, Any] = {"config": c, "label": models.SPECS[name].label}
    for impl in IMPLS:
        if impl not in times:
            out[impl] = common.NOT_INSTALLED
            continue
        out[impl] = {
            "step_ms": 1000 * common.median(times[impl]),
            "cpu_ms": 1000 * common.median(cpu[impl]),
            "losses": losses[impl],
            **memory[impl],
        }
    if torch:
        e, t = out["engine"], out["torch"]
        round_ratios = [a / b for a, b in zip(times["engine"], times["torch"])]
        diff = [abs(a - b) / abs(b) for a, b in zip(losses["engine"], losses["torch"])]
        out["ratio"] = {
            "step": common.median(round_ratios),
            "cpu": common.median([a / b for a, b in zip(cpu["engine"], cpu["torch"])]),
            "memory": e["peak_over_baseline_mb"] / max(t["peak_over_baseline_mb"], 1e-9),
        }
        out["loss_max_rel_diff"] = max(diff)
        out["loss_first_rel_diff"] = max(diff[:AGREE_STEPS])
        out["losses_agree"] = out["loss_first_rel_diff"] <= LOSS_RTOL
    else:
        out["ratio"] = {key: common.NOT_INSTALLED for key in ("step", "cpu", "memory")}
        out["loss_max_rel_diff"] = out["loss_first_rel_diff"] = common.NOT_INSTALLED
        out["losses_agree"] = None
    return out


def measure(quick: bool, threads: int, names: list[str] | None = None) -> dict[str, Any]:
    torch = common.import_torch() is not None if quick else _torch_installed()
    results: dict[str, Any] = {"sizes": QUICK if quick else FULL, "models": {}}
    with tempfile.TemporaryDirectory(prefix="bench-models-") as scratch:
        for name in names or models.SPECS:
            common.log(f"models: {name}")
            results["models"][name] = measure_model(name, quick, threads, torch, Path(scratch))
    return results


def _torch_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _layers_note(c: dict[str, Any]) -> str:
    if "cell" not in c:
        return ""
    return f"nn.{c['cell']}" if c["layers"] else "cells written out"


def _describe(name: str, c: dict[str, Any]) -> str:
    if name == "cnn":
        return f"batch {c['batch']}"
    parts = [f"batch {c['batch']}", f"{'sequence' if c.get('seq_first') else 'block'} {c['block']}"]
    parts += [f"{c[k]} {k.removeprefix('n_')}s" for k in ("n_layer", "n_head") if k in c]
    parts.append(f"{c.get('n_embd')}-d")
    if "vocab" in c:
        parts.append(f"vocab {c['vocab']}")
    note = _layers_note(c)
    return ", ".join(parts) + (f"; {note}" if note else "")


def _diffs(m: dict[str, Any]) -> str:
    return f"{common.fmt(m['loss_first_rel_diff'], 2)} / {common.fmt(m['loss_max_rel_diff'], 2)}"


def render(results: dict[str, Any]) -> str:
    rows = []
    for name, m in results["models"].items():
        e, t = m["engine"], m["torch"]
        measured = isinstance(t, dict)
        rows.append(
            [
                f"{m['label']} ({_describe(name, m['config'])})",
                common.fmt(e["step_ms"]),
                common.fmt(t["step_ms"]) if measured else t,
                common.fmt(m["ratio"]["step"]),
                common.fmt(m["ratio"]["cpu"]),
                common.fmt(e["peak_over_baseline_mb"]),
                common.fmt(t["peak_over_baseline_mb"]) if measured else t,
                common.fmt(m["ratio"]["memory"]),
                _diffs(m) if measured else t,
            ]
        )
    sizes = results["sizes"]
    header = [
        "model",
        "engine ms/step",
        "PyTorch ms/step",
        "engine / PyTorch",
        "CPU time ratio",
        "engine MB",
        "PyTorch MB",
        "MB ratio",
        "losses' rel. diff",
    ]
    return "\n".join(
        [
            "## 8. Models learners train next",
            "",
            "Training steps (forward, cross-entropy, backward, AdamW) of each model, float32, "
            f"one thread, from the same initial weights and batches; median of {sizes['steps']} "
            f"steps after {sizes['warmup']} of warm-up, the engine and PyTorch interleaved step "
            "by step, each in its own process. The CPU time ratio is that of the steps' thread "
            "CPU time (time.thread_time), which the machine's load moves less than the wall "
            "time the step ratio compares. MB: the peak resident memory during the steps "
            "above what the process held before the first one. The losses of every step are "
            f"compared: they agree when those of the first {AGREE_STEPS} steps are within "
            f"{LOSS_RTOL:g} relative (the table gives the largest difference there / over all "
            "the steps: AdamW's rescaling of tiny gradients can amplify a rounding difference "
            "later on).",
            "",
            common.table(header, rows),
            "",
        ]
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    goals = []
    for name, m in results["models"].items():
        goal = models.SPECS[name].target
        ratio = m["ratio"]["step"]
        measured = isinstance(ratio, float)
        goals.append(
            common.target(
                f"{m['label']} step vs PyTorch",
                f"≤ {goal}×",
                f"{ratio:.2f}×" if measured else ratio,
                ratio <= goal if measured else None,
            )
        )
        memory = m["ratio"]["memory"]
        goals.append(
            common.target(
                f"{m['label']} training peak memory vs PyTorch",
                "≤ 1.0×",
                f"{memory:.2f}×" if measured else memory,
                memory <= 1.0 if measured else None,
            )
        )
        goals.append(
            common.target(
                f"{m['label']} losses agree with PyTorch's",
                f"≤ {LOSS_RTOL:g} relative over {AGREE_STEPS} steps",
                f"{m['loss_first_rel_diff']:.2g}" if measured else m["loss_first_rel_diff"],
                m["losses_agree"],
            )
        )
    return goals


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--worker", choices=IMPLS, help="serve one implementation's training steps")
    p.add_argument("--model", choices=list(models.SPECS))
    p.add_argument("--config", help="the model's sizes as JSON (worker only)")
    p.add_argument("--count", type=int, help="how many batches to draw (worker only)")
    p.add_argument("--state", type=Path, help="initial state to load, .npz (worker only)")
    p.add_argument("--only", help="comma-separated models: " + ",".join(models.SPECS))
    args = p.parse_args(argv)
    if args.worker is not None:
        serve(args)
        return
    names = args.only.split(",") if args.only else None
    common.finish(measure(args.quick, args.threads, names), args, render)


if __name__ == "__main__":
    main()
