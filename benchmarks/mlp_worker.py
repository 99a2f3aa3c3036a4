"""Train the 784-256-10 MLP with one implementation, in this process only; print JSON.

Invoked by the MLP, scaling and memory benchmarks, one fresh interpreter per call, so that
the implementations never share a heap, a thread pool or a warm cache (in quick mode they
call `work` in their own process instead): `run` starts it, and returns what it prints.

    python benchmarks/mlp_worker.py --impl engine|numpy|torch --mode train|memory|growth \
        --runs '[{"optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 2}]' \
        --data DIR --threads 2 --seed 0

All three start from common.initial_weights(seed) and visit the samples in the order of
common.epoch_orders(seed) (the engine through nn.data.DataLoader, which must agree: the
digest of the labels in batch order is reported so the parent can check it).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import common
import numpy as np

WARMUP_STEPS = 20  # on a throwaway model: BLAS buffers, allocator and caches warm up first
EVAL_CHUNK = 2000


class Floor:
    """The hand-written numpy implementation (numpy_mlp.NumpyMLP)."""

    def __init__(self, layers: list, optimizer: str, lr: float, batch_size: int):
        from numpy_mlp import NumpyMLP

        self.net = NumpyMLP(layers, optimizer, lr, max_batch=batch_size)

    def parameters(self) -> list[np.ndarray]:
        return self.net.layers()

    def epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int) -> list:
        seen = []
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            yb = y[index]
            self.net.step(x[index], yb)
            seen.append(yb)
        return seen

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.net.predict(x)


class Torch:
    """PyTorch: nn.Sequential(Linear, ReLU, Linear), F.cross_entropy, torch.optim."""

    def __init__(self, layers: list, optimizer: str, lr: float, batch_size: int):
        import torch

        self.torch = torch
        sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, _ in layers]
        modules: list[Any] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            modules += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*modules[:-1])
        with torch.no_grad():
            values = [v for layer in layers for v in layer]
            for p, value in zip(self.model.parameters(), values, strict=True):
                p.copy_(torch.from_numpy(value))
        params = self.model.parameters()
        if optimizer == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=lr)
        else:
            self.optimizer = torch.optim.Adam(params, lr=lr)

    def parameters(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]

    def epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int) -> list:
        torch, model, optimizer = self.torch, self.model, self.optimizer
        cross_entropy = torch.nn.functional.cross_entropy
        seen = []
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            yb = y[index]
            optimizer.zero_grad()
            loss = cross_entropy(model(torch.from_numpy(x[index])), torch.from_numpy(yb))
            loss.backward()
            optimizer.step()
            seen.append(yb)
        return seen

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(x)).argmax(dim=1).numpy()


class Engine:
    """Our engine: nn.MLP, nn.functional.cross_entropy, nn.optim, nn.data.DataLoader."""

    def __init__(self, layers: list, optimizer: str, lr: float, batch_size: int):
        import autodiff
        import nn

        self.autodiff, self.nn = autodiff, nn
        sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, _ in layers]
        self.model = nn.MLP(sizes, activation="relu")
        params = list(self.model.parameters())
        values = [v for layer in layers for v in layer]
        with autodiff.no_grad():
            for p, value in zip(params, values, strict=True):
                if p.shape != value.shape:
                    raise ValueError(f"engine: parameter {p.shape} for initial value {value.shape}")
                p.copy_(value)
        if optimizer == "sgd":
            self.optimizer = nn.optim.SGD(params, lr=lr)
        else:
            self.optimizer = nn.optim.Adam(params, lr=lr)

    def parameters(self) -> list[np.ndarray]:
        return [p.numpy() for p in self.model.parameters()]

    def loader(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Any:
        return self.nn.data.DataLoader(
            self.nn.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=seed
        )

    def epoch(self, loader: Any) -> list:
        model, optimizer = self.model, self.optimizer
        cross_entropy = self.nn.functional.cross_entropy
        seen = []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            seen.append(yb)
        return seen

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.autodiff.no_grad():
            return self.model(self.autodiff.Tensor(x)).numpy().argmax(axis=1)


IMPLS = {"numpy": Floor, "torch": Torch, "engine": Engine}


def labels(batch: Any) -> np.ndarray:
    return np.asarray(getattr(batch, "data", batch))


def make(impl: str, run: dict[str, Any], seed: int) -> Any:
    layers = common.initial_weights(common.SIZES, seed)
    return IMPLS[impl](layers, run["optimizer"], run["lr"], run["batch_size"])


def epochs(trainer: Any, x: np.ndarray, y: np.ndarray, run: dict, seed: int) -> Iterator[list]:
    """Run run['epochs'] epochs, yielding the label batches each one saw (time it around next())."""
    batch_size = run["batch_size"]
    if isinstance(trainer, Engine):
        loader = trainer.loader(x, y, batch_size, seed)
        for _ in range(run["epochs"]):
            yield trainer.epoch(loader)
    else:
        for order in common.epoch_orders(len(x), seed, run["epochs"]):
            yield trainer.epoch(x, y, order, batch_size)


def warm_up(impl: str, x: np.ndarray, y: np.ndarray, run: dict, seed: int) -> None:
    """A few steps on a throwaway model, on the first samples in their stored order."""
    trainer = make(impl, run, seed)
    count = min(len(x), WARMUP_STEPS * run["batch_size"])
    if isinstance(trainer, Engine):
        loader = trainer.nn.data.DataLoader(
            trainer.nn.data.TensorDataset(x[:count], y[:count]), batch_size=run["batch_size"]
        )
        trainer.epoch(loader)
    else:
        trainer.epoch(x, y, np.arange(count), run["batch_size"])


def accuracy(trainer: Any, x: np.ndarray, y: np.ndarray) -> float:
    correct = 0
    for start in range(0, len(x), EVAL_CHUNK):
        predicted = trainer.predict(x[start : start + EVAL_CHUNK])
        correct += int((predicted == y[start : start + EVAL_CHUNK]).sum())
    return correct / len(x)


def train(impl: str, runs: list[dict], data: tuple, seed: int) -> list[dict[str, Any]]:
    """Mode 'train': time each epoch of each run; then the test accuracy."""
    x_train, y_train, x_test, y_test = data
    results = []
    for run in runs:
        warm_up(impl, x_train, y_train, run, seed)
        trainer = make(impl, run, seed)
        init = common.digest(trainer.parameters())
        seen: list = []
        times = []
        batches = epochs(trainer, x_train, y_train, run, seed)
        while True:
            start = common.clock()
            try:
                seen += next(batches)
            except StopIteration:
                break
            times.append(common.clock() - start)
        results.append(
            {
                **run,
                "epoch_s": times,
                "s_per_epoch": sum(times) / len(times),
                "test_accuracy": accuracy(trainer, x_test, y_test),
                "init_digest": init,
                "order_digest": common.digest([labels(b) for b in seen]),
                "steps": len(seen),
            }
        )
    return results


def memory(impl: str, run: dict, data: tuple, seed: int, baseline: float) -> dict[str, Any]:
    """Mode 'memory': peak RSS of building the model and training it one epoch, against the
    peak after loading the data."""
    x_train, y_train, _, _ = data
    gc.collect()
    before = common.peak_rss_mb()  # the model and its buffers count as the epoch's memory
    now = common.current_rss_mb()
    trainer = make(impl, {**run, "epochs": 1}, seed)
    for _ in epochs(trainer, x_train, y_train, {**run, "epochs": 1}, seed):
        pass
    peak = common.peak_rss_mb()
    return {
        **run,
        "rss_after_imports_mb": baseline,
        "rss_after_data_mb": now,
        "peak_before_epoch_mb": before,
        "peak_mb": peak,
        "epoch_peak_over_baseline_mb": peak - before,
    }


def growth(impl: str, run: dict, data: tuple, seed: int) -> dict[str, Any]:
    """Mode 'growth': RSS and live Tensors before and after run['steps'] training steps."""
    x_train, y_train, _, _ = data
    steps, warmup = run["steps"], run.get("warmup_steps", 100)
    per_epoch = -(-len(x_train) // run["batch_size"])
    total_epochs = -(-(steps + warmup) // per_epoch)
    trainer = make(impl, {**run, "epochs": total_epochs}, seed)
    done = 0
    rss_before = live_before = None
    start = common.clock()
    for batches in _steps(trainer, x_train, y_train, {**run, "epochs": total_epochs}, seed):
        done += batches
        if rss_before is None and done >= warmup:
            live_before = _live_tensors()
            rss_before = common.current_rss_mb()
            done, start = 0, common.clock()
        if rss_before is not None and done >= steps:
            break
    elapsed = common.clock() - start
    return {
        **run,
        "steps_done": done,
        "seconds": elapsed,
        "rss_before_mb": rss_before,
        "rss_after_mb": common.current_rss_mb(),
        "growth_mb": common.current_rss_mb() - rss_before,
        "live_tensors_before": live_before,
        "live_tensors_after": _live_tensors(),
        "peak_mb": common.peak_rss_mb(),
    }


def binding(run: dict, data: tuple) -> dict[str, Any]:
    """Mode 'binding' (engine only): memory held between the training steps of a wide MLP
    (and the peak) in a loop that rebinds `loss`, so that the last step's graph stays bound
    until the next forward is done, or deletes it; backward frees the activations, so the
    two should be equal.

    Memory is what tracemalloc traces (numpy reports its arrays' data to it): RSS cannot tell
    the two apart, since the allocator keeps freed blocks of this size for reuse.
    """
    import autodiff
    import nn

    x_train, y_train, _, _ = data
    batch_size = run["batch_size"]
    model = nn.MLP(run["sizes"], activation="relu")
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    gc.collect()
    tracemalloc.start()
    held = 0  # the most memory held between two steps
    for step in range(run["steps"]):
        start = step * batch_size % (len(x_train) - batch_size)
        xb = autodiff.Tensor(x_train[start : start + batch_size])
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), y_train[start : start + batch_size])
        loss.backward()
        optimizer.step()
        if run["binding"] == "delete":
            del loss
        held = max(held, tracemalloc.get_traced_memory()[0])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {**run, "held_mb": held / 2**20, "peak_traced_mb": peak / 2**20}


def _steps(trainer: Any, x: np.ndarray, y: np.ndarray, run: dict, seed: int) -> Iterator[int]:
    """Train one batch at a time (epoch after epoch), yielding 1 after each step."""
    batch_size = run["batch_size"]
    if isinstance(trainer, Engine):
        loader = trainer.loader(x, y, batch_size, seed)
        for _ in range(run["epochs"]):
            for xb, yb in loader:
                trainer.epoch([(xb, yb)])
                yield 1
    else:
        for order in common.epoch_orders(len(x), seed, run["epochs"]):
            for start in range(0, len(order), batch_size):
                trainer.epoch(x, y, order[start : start + batch_size], batch_size)
                yield 1


def _live_tensors() -> int | None:
    try:
        from autodiff import Tensor
    except ImportError:
        return None
    return common.count_live(Tensor) + sum(
        common.count_live(cls) for cls in Tensor.__subclasses__()
    )


def work(impl: str, mode: str, runs: list[dict], data: Path, threads: int, seed: int) -> dict:
    """Run `mode` for `impl` in this process; what main prints as JSON."""
    if impl == "torch" and common.import_torch() is None:
        return {"impl": impl, "error": common.NOT_INSTALLED}
    if impl == "engine":
        import nn  # noqa: F401 - imported before the baseline, as torch is for its worker
    common.pin_threads(threads)
    baseline = common.current_rss_mb()
    arrays = common.load_data(data)
    out: dict[str, Any] = {"impl": impl, "mode": mode, "threads": threads}
    if mode == "train":
        out["runs"] = train(impl, runs, arrays, seed)
    elif mode == "memory":
        out["runs"] = [memory(impl, runs[0], arrays, seed, baseline)]
    elif mode == "binding":
        out["runs"] = [binding(runs[0], arrays)]
    else:
        out["runs"] = [growth(impl, runs[0], arrays, seed)]
    out["thread_pools"] = common.blas_info()
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch_threads"] = torch.get_num_threads()
    return out


def run(
    impl: str,
    mode: str,
    runs: list[dict[str, Any]],
    data: Path,
    threads: int,
    seed: int = common.SEED,
    timeout: float = 900,
    in_process: bool = False,
) -> dict[str, Any]:
    """Run mlp_worker.py in a fresh interpreter and return the JSON it prints last.

    in_process (quick mode) runs it in this process instead and returns the same JSON: the
    plumbing is tested in seconds, where a fresh interpreter per worker (each importing
    PyTorch) took most of a quick run; its numbers, memory's above all, then mean nothing.
    """
    if in_process:
        out = work(impl, mode, runs, data, threads, seed)
        return json.loads(json.dumps(out, default=common.json_default))
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--impl",
        impl,
        "--mode",
        mode,
        "--runs",
        json.dumps(runs),
        "--data",
        str(data),
        "--threads",
        str(threads),
        "--seed",
        str(seed),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(
            f"mlp_worker --impl {impl} --mode {mode} failed (exit {done.returncode}):\n"
            f"{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", choices=sorted(IMPLS), required=True)
    p.add_argument("--mode", choices=["train", "memory", "growth", "binding"], default="train")
    p.add_argument("--runs", required=True, help="JSON list of runs")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seed", type=int, default=common.SEED)
    args = p.parse_args()
    out = work(args.impl, args.mode, json.loads(args.runs), args.data, args.threads, args.seed)
    print(json.dumps(out, default=common.json_default))


if __name__ == "__main__":
    main()
