"""7. Convolutions: one conv layer, and the demo CNN's training step and memory, vs PyTorch.

One thread each. Times come from interleaved rounds in one process (engine, then PyTorch,
in every round; the ratio is the median of the rounds' ratios); memory from a fresh
subprocess per implementation (``--worker IMPL``; in quick mode, in this process):

- layer: conv2d forward + backward w.r.t. input, weight and bias; batch 64, 32 → 64 channels,
  3×3, 26×26 input, float32 (the second conv of pytorch/examples' MNIST Net).
- step: one training step of that Net (conv 32, conv 64, max-pool, dropout, fc 128, fc 10,
  log-softmax, NLL, Adadelta), batch 64, float32, both starting from the same weights and
  fed the same batches.
- memory: peak RSS over an epoch of those steps (the first `images` training images) minus
  the peak after imports, data and the model (the baseline).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import common
import numpy as np

IMPLS = ("engine", "torch")
FULL = {"layer_reps": 15, "steps": 30, "epoch_images": 6400, "batch": 64}
QUICK = {"layer_reps": 1, "steps": 2, "epoch_images": 16, "batch": 8}


def initial_state(seed: int) -> dict[str, np.ndarray]:
    """The Net's float32 weights, PyTorch's default init bounds, under PyTorch's key names."""
    rng = np.random.default_rng(seed)
    state = {}
    for name, shape in (
        ("conv1", (32, 1, 3, 3)),
        ("conv2", (64, 32, 3, 3)),
        ("fc1", (128, 9216)),
        ("fc2", (10, 128)),
    ):
        bound = 1 / np.sqrt(np.prod(shape[1:]))
        state[f"{name}.weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        state[f"{name}.bias"] = rng.uniform(-bound, bound, shape[0]).astype(np.float32)
    return state


def engine_net() -> Any:
    import nn
    import nn.functional as F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = self.dropout1(x).reshape(x.shape[0], -1)
            x = self.dropout2(F.relu(self.fc1(x)))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def torch_net(torch: Any) -> Any:
    F = torch.nn.functional

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = torch.nn.Dropout(0.25)
            self.dropout2 = torch.nn.Dropout(0.5)
            self.fc1 = torch.nn.Linear(9216, 128)
            self.fc2 = torch.nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = torch.flatten(self.dropout1(x), 1)
            x = self.dropout2(F.relu(self.fc1(x)))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def setup(impl: str, quick: bool, data: Any) -> tuple[Callable, Callable, list[int]]:
    """(layer, step, batch starts) for `impl`: layer() runs the conv layer forward and
    backward, step(start) one training step on the batch at `start`."""
    sizes = QUICK if quick else FULL
    x_train, y_train, _, _ = common.load_data(data)
    images = x_train[: sizes["epoch_images"]].reshape(-1, 1, 28, 28)
    labels = y_train[: sizes["epoch_images"]]
    batch = sizes["batch"]
    rng = np.random.default_rng(common.SEED)
    x = rng.standard_normal((batch, 32, 26, 26)).astype(np.float32)
    w = (rng.standard_normal((64, 32, 3, 3)) * 0.05).astype(np.float32)
    b = np.zeros(64, np.float32)
    g = np.ones((batch, 64, 24, 24), np.float32)
    state = initial_state(common.SEED)
    starts = list(range(0, len(images) - batch + 1, batch))
    if impl == "torch":
        torch = common.import_torch()
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tg = torch.from_numpy(g)

        def layer() -> None:
            torch.nn.functional.conv2d(tx, tw, tb).backward(tg)

        model = torch_net(torch)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)

        def step(start: int) -> None:
            optimizer.zero_grad()
            out = model(torch.from_numpy(images[start : start + batch]))
            loss = torch.nn.functional.nll_loss(
                out, torch.from_numpy(labels[start : start + batch])
            )
            loss.backward()
            optimizer.step()

        return layer, step, starts
    import autodiff as ad
    import nn
    import nn.functional as F

    ax, aw, ab = (ad.Tensor(a, requires_grad=True) for a in (x, w, b))

    def engine_layer() -> None:
        ad.conv2d(ax, aw, ab).backward(g)

    engine = engine_net()
    engine.load_state_dict(state)
    engine_optimizer = nn.optim.Adadelta(engine.parameters(), lr=1.0)

    def engine_step(start: int) -> None:
        engine_optimizer.zero_grad()
        out = engine(ad.Tensor(images[start : start + batch]))
        loss = F.nll_loss(out, labels[start : start + batch])
        loss.backward()
        engine_optimizer.step()

    return engine_layer, engine_step, starts


def peak_mb() -> float:
    """This process's peak resident set since its exec (VmHWM). Unlike ru_maxrss it does not
    start from the parent's peak, which the fork leaves in a child that then runs exec."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return common.peak_rss_mb()


def memory_worker(impl: str, quick: bool, data: Any, threads: int) -> dict[str, Any]:
    """Peak RSS of one epoch of training steps above this process's baseline."""
    common.pin_threads(threads)
    _, step, starts = setup(impl, quick, data)
    common.pin_threads(threads)
    baseline = peak_mb()
    for start in starts:
        step(start)
    peak = peak_mb()
    return {
        "baseline_mb": baseline,
        "epoch_peak_mb": peak,
        "epoch_over_baseline_mb": peak - baseline,
    }


def timings(quick: bool, data: Any, threads: int) -> dict[str, Any]:
    """Layer and step times of both, in interleaved rounds in this process: each round times
    the engine, then PyTorch, so a change in the machine's load hits both alike."""
    sizes = QUICK if quick else FULL
    impls = [impl for impl in IMPLS if impl == "engine" or common.import_torch() is not None]
    setups = {impl: setup(impl, quick, data) for impl in impls}
    common.pin_threads(threads)
    times: dict[str, dict[str, list[float]]] = {impl: {"layer": [], "step": []} for impl in impls}
    for impl in impls:  # warm up
        layer, step, starts = setups[impl]
        layer()
        step(starts[0])
    for k in range(max(sizes["layer_reps"], sizes["steps"])):
        for impl in impls:
            layer, step, starts = setups[impl]
            if k < sizes["layer_reps"]:
                t0 = common.clock()
                layer()
                times[impl]["layer"].append(common.clock() - t0)
            if k < sizes["steps"]:
                t0 = common.clock()
                step(starts[k % len(starts)])
                times[impl]["step"].append(common.clock() - t0)
    results: dict[str, Any] = {}
    for impl in IMPLS:
        if impl not in times:
            results[impl] = common.NOT_INSTALLED
            continue
        results[impl] = {
            "layer_ms": 1000 * common.median(times[impl]["layer"]),
            "step_ms": 1000 * common.median(times[impl]["step"]),
            "epoch_steps": len(setups[impl][2]),
        }
    if "torch" in times:
        results["round_ratios"] = {
            key: [e / t for e, t in zip(times["engine"][key], times["torch"][key])]
            for key in ("layer", "step")
        }
    return results


def measure(quick: bool, data: Any, threads: int) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {"sizes": sizes, "dataset": common.data_meta(data)}
    memory = {}
    for impl in IMPLS:
        if impl == "torch" and importlib.util.find_spec("torch") is None:  # not imported here
            continue
        common.log(f"conv: an epoch's memory, {impl}")
        if quick:  # in this process: the plumbing in seconds, the numbers meaningless
            memory[impl] = memory_worker(impl, quick, data, threads)
            continue
        command = [sys.executable, __file__, "--worker", impl, "--data", str(data)]
        command += ["--threads", str(threads)] + (["--quick"] if quick else [])
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"bench_conv --worker {impl} failed:\n{done.stderr[-4000:]}")
        memory[impl] = json.loads(done.stdout.strip().splitlines()[-1])
    common.log("conv: timing, engine and PyTorch in interleaved rounds")
    results.update(timings(quick, data, threads))
    for impl, numbers in memory.items():
        results[impl].update(numbers)
    engine, torch = results["engine"], results["torch"]
    if isinstance(torch, dict):
        ratios = results["round_ratios"]
        results["ratio"] = {
            "layer": common.median(ratios["layer"]),
            "step": common.median(ratios["step"]),
            "memory": engine["epoch_over_baseline_mb"] / max(torch["epoch_over_baseline_mb"], 1e-9),
        }
    else:
        results["ratio"] = {key: common.NOT_INSTALLED for key in ("layer", "step", "memory")}
    return results


def render(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    rows = []
    for key, label in (
        ("layer_ms", f"conv layer fwd+bwd, batch {sizes['batch']}, 32→64, 3×3, 26×26, ms"),
        ("step_ms", f"CNN training step, batch {sizes['batch']}, ms"),
        ("epoch_over_baseline_mb", "CNN epoch peak RSS − baseline, MB"),
    ):
        cells = [
            common.fmt(results[impl][key]) if isinstance(results[impl], dict) else results[impl]
            for impl in IMPLS
        ]
        ratio = results["ratio"][{"layer_ms": "layer", "step_ms": "step"}.get(key, "memory")]
        rows.append([label, *cells, common.fmt(ratio)])
    steps = results["engine"]["epoch_steps"]
    return "\n".join(
        [
            "## 7. Convolutions",
            "",
            f"pytorch/examples' MNIST Net, float32, one thread; the epoch is {steps} steps over "
            f"the first {sizes['epoch_images']:,} training images of "
            f"{results['dataset']['dataset']}.",
            "",
            common.table(["measure", "engine", "PyTorch", "engine / PyTorch"], rows),
            "",
            "Times are medians; the ratios are medians of each round's ratio.",
            "",
        ]
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    ratio = results["ratio"]
    goals = []
    for key, name in (
        ("layer", "Conv layer fwd+bwd vs PyTorch"),
        ("step", "CNN training step vs PyTorch"),
        ("memory", "CNN epoch peak RSS over baseline vs PyTorch"),
    ):
        value = ratio[key]
        measured = isinstance(value, float)
        goals.append(
            common.target(
                name,
                "≤ 1.5×",
                f"{value:.2f}×" if measured else value,
                value <= 1.5 if measured else None,
            )
        )
    return goals


def main(argv: list[str] | None = None) -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--worker", choices=IMPLS, help="measure one implementation in this process")
    args = p.parse_args(argv)
    data = common.ensure_data(args)
    if args.worker is not None:
        print(json.dumps(memory_worker(args.worker, args.quick, data, args.threads)))
        return
    common.finish(measure(args.quick, data, args.threads), args, render)


if __name__ == "__main__":
    main()
