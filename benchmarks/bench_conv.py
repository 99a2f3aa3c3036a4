"""7. Convolutions: one conv layer, and the demo CNN's training step and memory, vs PyTorch.

Each measurement runs in a fresh subprocess of this script (``--worker IMPL``), one thread:

- layer: conv2d forward + backward w.r.t. input, weight and bias; batch 64, 32 → 64 channels,
  3×3, 26×26 input, float32 (the second conv of pytorch/examples' MNIST Net).
- step: one training step of that Net (conv 32, conv 64, max-pool, dropout, fc 128, fc 10,
  log-softmax, NLL, Adadelta), batch 64, float32, both starting from the same weights and
  fed the same batches.
- memory: peak RSS over an epoch of those steps (the first `images` training images) minus
  the peak after imports, data and the model (the baseline).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import common
import numpy as np

IMPLS = ("engine", "torch")
FULL = {"layer_reps": 15, "steps": 30, "epoch_images": 6400, "batch": 64}
QUICK = {"layer_reps": 2, "steps": 3, "epoch_images": 64, "batch": 8}


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


def worker(impl: str, quick: bool, data: Any, threads: int) -> dict[str, Any]:
    """Time the layer and the step, and measure an epoch's memory, in this process."""
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
    if impl == "torch":
        torch = common.import_torch()
        common.pin_threads(threads)
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
    else:
        common.pin_threads(threads)
        import autodiff as ad
        import nn
        import nn.functional as F

        ax, aw, ab = (ad.Tensor(a, requires_grad=True) for a in (x, w, b))

        def layer() -> None:
            ad.conv2d(ax, aw, ab).backward(g)

        model = engine_net()
        model.load_state_dict(state)
        optimizer = nn.optim.Adadelta(model.parameters(), lr=1.0)

        def step(start: int) -> None:
            optimizer.zero_grad()
            out = model(ad.Tensor(images[start : start + batch]))
            loss = F.nll_loss(out, labels[start : start + batch])
            loss.backward()
            optimizer.step()

    baseline = common.peak_rss_mb()
    starts = list(range(0, len(images) - batch + 1, batch))
    for start in starts:  # one epoch; its peak RSS is the memory measure
        step(start)
    epoch_peak = common.peak_rss_mb()
    layer()
    layer_s = []
    for _ in range(sizes["layer_reps"]):
        t0 = common.clock()
        layer()
        layer_s.append(common.clock() - t0)
    step_s = []
    for k in range(sizes["steps"]):
        start = starts[k % len(starts)]
        t0 = common.clock()
        step(start)
        step_s.append(common.clock() - t0)
    return {
        "layer_ms": 1000 * common.median(layer_s),
        "step_ms": 1000 * common.median(step_s),
        "baseline_mb": baseline,
        "epoch_peak_mb": epoch_peak,
        "epoch_over_baseline_mb": epoch_peak - baseline,
        "epoch_steps": len(starts),
    }


def measure(quick: bool, data: Any, threads: int) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {"sizes": sizes, "dataset": common.data_meta(data)}
    for impl in IMPLS:
        if impl == "torch" and common.import_torch() is None:
            results[impl] = common.NOT_INSTALLED
            continue
        common.log(f"conv: {impl}")
        command = [sys.executable, __file__, "--worker", impl, "--data", str(data)]
        command += ["--threads", str(threads)] + (["--quick"] if quick else [])
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"bench_conv --worker {impl} failed:\n{done.stderr[-4000:]}")
        results[impl] = json.loads(done.stdout.strip().splitlines()[-1])
    engine, torch = results["engine"], results["torch"]
    if isinstance(torch, dict):
        results["ratio"] = {
            "layer": engine["layer_ms"] / torch["layer_ms"],
            "step": engine["step_ms"] / torch["step_ms"],
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
            f"{results['dataset']['dataset']}. Times are medians.",
            "",
            common.table(["measure", "engine", "PyTorch", "engine / PyTorch"], rows),
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


def main() -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--worker", choices=IMPLS, help="measure one implementation in this process")
    args = p.parse_args()
    data = common.ensure_data(args)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.quick, data, args.threads)))
        return
    common.finish(measure(args.quick, data, args.threads), args, render)


if __name__ == "__main__":
    main()
