"""3. Scalar graphs, micrograd's use: every value a 0-d Tensor.

A 2-16-16-1 MLP whose every weight is a 0-d Tensor and every neuron a sum of scalar
products, trained on 100 "moons" points with micrograd's max-margin loss and L2 penalty
(one step: forward on all points, loss, backward, SGD update); and a 100,000-op chain of
scalar ops (mul, add, tanh, sub, repeating): build and backward time, per op, ops/s, and
whether anything hit Python's recursion limit.

Both are measured against anchors in the same run, since absolute times move with the
machine's load: the MLP step against micrograd's (its own `Value` and `MLP`, the same initial
weights, steps interleaved with the engine's), the chain against PyTorch's 0-d tensors.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import common
import numpy as np

LAYERS = (2, 16, 16, 1)


def moons(n: int, seed: int, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's make_moons: two interleaved half circles; labels -1 and +1."""
    rng = np.random.default_rng(seed)
    outer, inner = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    x = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], 1),
            np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1),
        ]
    )
    x += noise * rng.standard_normal(x.shape)
    y = np.concatenate([-np.ones(outer), np.ones(inner)])
    return x, y


class ScalarMLP:
    """micrograd's MLP: per layer a list of neurons, each 0-d weight Tensors and a 0-d bias."""

    def __init__(self, sizes: tuple[int, ...], seed: int):
        from autodiff import Tensor

        rng = np.random.default_rng(seed)
        self.layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            neurons = []
            for _ in range(fan_out):
                weights = [
                    Tensor(rng.uniform(-1, 1), dtype=np.float64, requires_grad=True)
                    for _ in range(fan_in)
                ]
                neurons.append((weights, Tensor(0.0, dtype=np.float64, requires_grad=True)))
            self.layers.append(neurons)

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for ws, b in layer for p in [*ws, b]]

    def __call__(self, x: list[Any]) -> Any:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            outputs = []
            for weights, bias in layer:
                act = bias
                for w, xi in zip(weights, x):
                    act = act + w * xi
                outputs.append(act.relu() if i < last else act)
            x = outputs
        return x[0]


def loss_of(model: ScalarMLP, points: list, labels: list) -> tuple[Any, list]:
    """micrograd's demo loss: mean max-margin loss + 1e-4 L2 penalty; (loss, scores)."""
    params = model.parameters()
    scores = [model(x) for x in points]
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    data_loss = losses[0]
    for item in losses[1:]:
        data_loss = data_loss + item
    reg = params[0] * params[0]
    for p in params[1:]:
        reg = reg + p * p
    return data_loss * (1.0 / len(losses)) + 1e-4 * reg, scores


def mlp_step(model: ScalarMLP, points: list, labels: list, lr: float) -> tuple[float, float]:
    """One step: forward on every point, loss, backward, SGD update. (loss, accuracy)."""
    import autodiff

    params = model.parameters()
    loss, scores = loss_of(model, points, labels)
    for p in params:
        p.grad = None
    loss.backward()
    with autodiff.no_grad():
        for p in params:
            p.sub_(p.grad, alpha=lr)
    correct = sum((y.item() > 0) == (s.item() > 0) for y, s in zip(labels, scores))
    return loss.item(), correct / len(labels)


def recorded_ops(root: Any) -> int:
    """How many nodes the tape holds behind `root` (an iterative walk over their inputs)."""
    seen: set[int] = set()
    stack = [root._node]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(t._node for t in node.inputs if t is not None)
    return len(seen)


def micrograd_model(model: ScalarMLP) -> Any:
    """micrograd's own MLP with the weights of `model`, or None without micrograd."""
    try:
        from micrograd.nn import MLP
    except ImportError:
        return None
    anchor = MLP(LAYERS[0], list(LAYERS[1:]))
    for p, q in zip(anchor.parameters(), model.parameters(), strict=True):
        p.data = float(q.item())
    return anchor


def micrograd_step(model: Any, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One step of micrograd's demo on the same loss as loss_of; the loss."""
    from micrograd.engine import Value

    inputs = [list(map(Value, row)) for row in x.tolist()]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def measure_mlp(points: int, steps: int) -> dict[str, Any]:
    from autodiff import Tensor

    x, y = moons(points, seed=1)
    inputs = [[Tensor(v, dtype=np.float64) for v in row] for row in x]
    labels = [Tensor(v, dtype=np.float64) for v in y]
    model = ScalarMLP(LAYERS, seed=2)
    anchor = micrograd_model(model)
    ops = recorded_ops(loss_of(model, inputs, labels)[0])
    times, history, anchor_times, anchor_losses = [], [], [], []
    for _ in range(1 + steps):  # the first step warms up and is dropped; rounds interleave
        start = common.clock()
        loss, acc = mlp_step(model, inputs, labels, lr=0.05)
        times.append(common.clock() - start)
        history.append((loss, acc))
        if anchor is not None:
            start = common.clock()
            anchor_losses.append(micrograd_step(anchor, x, y, lr=0.05))
            anchor_times.append(common.clock() - start)
    step_s = common.median(times[1:])
    if anchor is None:
        micrograd: Any = common.NOT_INSTALLED
    else:
        micrograd = {
            "step_s": common.median(anchor_times[1:]),
            "over_engine": common.median([a / e for a, e in zip(anchor_times[1:], times[1:])]),
            "losses_agree": bool(
                np.allclose(anchor_losses, [h[0] for h in history], rtol=1e-9, atol=0)
            ),
        }
    return {
        "micrograd": micrograd,
        "points": points,
        "parameters": len(model.parameters()),
        "ops_per_step": ops,
        "steps": steps,
        "step_s": step_s,
        "us_per_op": step_s * 1e6 / ops,
        "loss_first_last": [history[0][0], history[-1][0]],
        "accuracy_last": history[-1][1],
    }


def chain(y: Any, w: Any, b: Any, n: int) -> Any:
    """n scalar ops: mul, add, tanh, sub, mul, add, ..."""
    for _ in range(n // 4):
        y = (y * w + b).tanh() - b
    return y


def measure_chain(n: int, repeats: int, torch: Any) -> dict[str, Any]:
    """Engine timings with the garbage collector on (as users run) and, to show its share, off;
    PyTorch's right after the engine's, and the ratio of their ops/s with the collector on."""
    out = _engine_chain(n, repeats)
    if out["recursion_error"] is None:
        gc.disable()
        try:
            off = _engine_chain(n, repeats)
        finally:
            gc.enable()
        out["gc_off"] = {k: off[k] for k in ("build_s", "backward_s", "ops_per_s")}
    out["torch"] = _torch_chain(torch, n, repeats) if torch is not None else common.NOT_INSTALLED
    if torch is not None and out["recursion_error"] is None:
        # the ratio from rounds of one engine chain and one of PyTorch's, one after the other,
        # so that a change in the machine's load hits both alike (the medians above come
        # from runs minutes apart)
        ratios = []
        for _ in range(repeats):
            engine = _engine_chain(n, 1)["ops_per_s"]
            ratios.append(engine / _torch_chain(torch, n, 1)["ops_per_s"])
        out["over_torch"] = common.median(ratios)
    else:
        out["over_torch"] = common.NOT_INSTALLED
    return out


def _engine_chain(n: int, repeats: int) -> dict[str, Any]:
    from autodiff import Tensor

    out: dict[str, Any] = {"ops": 4 * (n // 4), "recursion_limit": sys.getrecursionlimit()}
    error = None
    builds, backwards, frees = [], [], []
    for _ in range(repeats):
        x = Tensor(0.5, dtype=np.float64, requires_grad=True)
        w = Tensor(0.9, dtype=np.float64, requires_grad=True)
        b = Tensor(0.1, dtype=np.float64, requires_grad=True)
        try:
            start = common.clock()
            y = chain(x, w, b, n)
            built = common.clock()
            y.backward()
            done = common.clock()
            del y
            freed = common.clock()
        except RecursionError as err:
            error = f"RecursionError: {err}"
            break
        builds.append(built - start)
        backwards.append(done - built)
        frees.append(freed - done)
        finite = bool(np.isfinite(x.grad.numpy()) and np.isfinite(w.grad.numpy()))
    out["recursion_error"] = error
    if error is None:
        ops = out["ops"]
        build, backward, free = (
            common.median(builds),
            common.median(backwards),
            common.median(frees),
        )
        out.update(
            {
                "build_s": build,
                "backward_s": backward,
                "free_s": free,
                "build_us_per_op": build * 1e6 / ops,
                "backward_us_per_op": backward * 1e6 / ops,
                "ops_per_s": ops / (build + backward),
                "gradients_finite": finite,
            }
        )
    return out


def _torch_chain(torch: Any, n: int, repeats: int) -> dict[str, Any]:
    times = []
    for _ in range(repeats):
        x, w, b = (
            torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, 0.9, 0.1)
        )
        start = common.clock()
        y = chain(x, w, b, n)
        built = common.clock()
        y.backward()
        del y
        times.append((built - start, common.clock() - built))
    build = common.median([t[0] for t in times])
    backward = common.median([t[1] for t in times])
    ops = 4 * (n // 4)
    return {"build_s": build, "backward_s": backward, "ops_per_s": ops / (build + backward)}


def measure(quick: bool, threads: int) -> dict[str, Any]:
    torch = common.import_torch()
    common.pin_threads(threads)
    points, steps, n, repeats = (4, 1, 1000, 2) if quick else (100, 5, 100_000, 3)
    return {"mlp": measure_mlp(points, steps), "chain": measure_chain(n, repeats, torch)}


def _chain_row(label: str, timing: dict[str, Any], ops: int) -> list[str]:
    """One row of the chain table: build and backward seconds, µs per op, ops per second."""
    return [
        label,
        common.fmt(timing["build_s"]),
        common.fmt(timing["backward_s"]),
        common.fmt(timing["build_s"] * 1e6 / ops),
        common.fmt(timing["backward_s"] * 1e6 / ops),
        f"{timing['ops_per_s']:,.0f}",
    ]


def render(results: dict[str, Any]) -> str:
    m, c = results["mlp"], results["chain"]
    t = c["torch"]
    if c["recursion_error"]:
        chain_rows = [["engine", c["recursion_error"], "", "", "", ""]]
    else:
        chain_rows = [_chain_row("engine", c, c["ops"])]
    if "gc_off" in c:
        chain_rows.append(_chain_row("engine, gc off", c["gc_off"], c["ops"]))
    if isinstance(t, dict):
        chain_rows.append(_chain_row("torch", t, c["ops"]))
    else:
        chain_rows.append(["torch", t, "", "", "", ""])
    return "\n".join(
        [
            "## 3. Scalar graphs (0-d tensors, micrograd's use)",
            "",
            f"MLP 2-16-16-1 ({m['parameters']} scalar parameters) on {m['points']} moons points: "
            f"{m['ops_per_step']:,} recorded ops per step; step time {common.fmt(m['step_s'])} s "
            f"(median of {m['steps']}), {common.fmt(m['us_per_op'])} µs per op (forward, "
            f"backward, update); loss {m['loss_first_last'][0]:.3f} → "
            f"{m['loss_first_last'][1]:.3f}. {_micrograd_line(m['micrograd'])}",
            "",
            f"Chain of {c['ops']:,} scalar ops (mul, add, tanh, sub); recursion limit "
            f"{c['recursion_limit']}; RecursionError: {'yes' if c['recursion_error'] else 'no'}"
            f"; freeing the graph took {common.fmt(c.get('free_s'))} s; engine ops/s ÷ "
            f"PyTorch's: {common.fmt(c['over_torch'])}.",
            "",
            common.table(
                ["", "build s", "backward s", "build µs/op", "backward µs/op", "ops/s (build+bwd)"],
                chain_rows,
            ),
            "",
        ]
    )


def _micrograd_line(micrograd: Any) -> str:
    if not isinstance(micrograd, dict):
        return f"micrograd: {micrograd}."
    return (
        f"micrograd's step on the same weights: {common.fmt(micrograd['step_s'])} s, "
        f"{common.fmt(micrograd['over_engine'])}× the engine's (median of the rounds' ratios); "
        f"the losses {'agree' if micrograd['losses_agree'] else '**differ**'}."
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    m, c = results["mlp"], results["chain"]
    micrograd = m["micrograd"]
    measured = isinstance(micrograd, dict)
    mlp = common.target(
        "Scalar 2-16-16-1 MLP step on 100 moons points, micrograd's time ÷ the engine's",
        "≥ 3.0",
        f"{micrograd['over_engine']:.2f}" if measured else micrograd,
        micrograd["over_engine"] >= 3.0 if measured else None,
    )
    if c["recursion_error"]:
        chain = common.target(
            "Scalar chain build+backward",
            "no RecursionError",
            c["recursion_error"],
            False,
        )
    else:
        ratio = c["over_torch"]
        measured = isinstance(ratio, float)
        chain = common.target(
            f"{c['ops']:,}-op scalar chain build+backward, ops/s ÷ PyTorch's",
            "≥ 2.0",
            f"{ratio:.2f} ({c['ops_per_s']:,.0f} ops/s)" if measured else ratio,
            ratio >= 2.0 if measured else None,
        )
    return [chain, mlp]


def main(argv: list[str] | None = None) -> None:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    common.finish(measure(args.quick, args.threads), args, render)


if __name__ == "__main__":
    main()
