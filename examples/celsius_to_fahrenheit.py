"""One neuron learns to convert Celsius to Fahrenheit: F = w · C + b, with w → 1.8, b → 32.

    python examples/celsius_to_fahrenheit.py [--steps 200] [--lr 0.1] [--seed 0] [--out DIR]

The weight and the bias are two 0-d Parameters; the loss is the mean squared error over 100
Celsius values from -50 to 49; the engine's backward() gives the gradients and nn.optim.SGD
takes plain gradient-descent steps. Writes into DIR (default examples/output/):
celsius_to_fahrenheit.png (the true line, the untrained and the trained neuron, the loss) and
celsius_to_fahrenheit_graph.svg/.png (the graph of the first step's loss, with its .dot
source; the PNG only where Graphviz's `dot` is installed).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _plotting import PictureUnavailable, new_figure, save

import autodiff as ad
import nn

# The neuron sees C / 50 rather than C. With C itself (values up to ±50) the loss curves
# ~1,000 times more steeply along w than along b: a learning rate small enough not to blow
# up along w then moves b by a few thousandths per step, and b needs thousands of steps to
# reach 32. Scaled to about [-1, 1], both directions have a similar curvature, and lr = 0.1
# converges in ~150 steps. The neuron is still one weight and one bias: F = w·(C/50) + b,
# which is F = (w/50)·C + b, so the effective weight reported is w / 50.
SCALE = 50.0


@dataclass
class Fit:
    """The result of training: the effective weight and bias (F = weight · C + bias)."""

    weight: float
    bias: float
    losses: list[float]  # the loss before each step
    initial_weight: float
    initial_bias: float


def make_data() -> tuple[np.ndarray, np.ndarray]:
    """100 Celsius values from -50 to 49 and their Fahrenheit values, F = C · 9/5 + 32."""
    celsius = np.arange(-50, 50, dtype=np.float32)
    fahrenheit = celsius * 9 / 5 + 32
    return celsius, fahrenheit


def predict(w: ad.Tensor, b: ad.Tensor, celsius: ad.Tensor) -> ad.Tensor:
    """The neuron: F = w · (C / SCALE) + b."""
    scaled = celsius / SCALE
    scaled.name = "celsius / 50"
    return w * scaled + b


def mse(w: ad.Tensor, b: ad.Tensor, celsius: ad.Tensor, fahrenheit: ad.Tensor) -> ad.Tensor:
    """The mean squared error of the neuron's predictions."""
    error = predict(w, b, celsius) - fahrenheit
    error.name = "error"
    loss = (error * error).mean()
    loss.name = "loss"
    return loss


def train(steps: int = 200, learning_rate: float = 0.1, seed: int = 0, log_every: int = 0) -> Fit:
    """Fit w and b by gradient descent; print the loss every `log_every` steps (0: never)."""
    nn.manual_seed(seed)
    w = nn.Parameter(ad.randn(()))
    b = nn.Parameter(ad.randn(()))
    w.name, b.name = "w", "b"
    initial_weight, initial_bias = w.item() / SCALE, b.item()
    celsius, fahrenheit = make_data()
    c = ad.Tensor(celsius, name="celsius")
    f = ad.Tensor(fahrenheit, name="fahrenheit")
    optimizer = nn.optim.SGD([w, b], lr=learning_rate)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = mse(w, b, c, f)
        loss.backward()
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(
                f"step {step:4d}  loss {loss.item():10.4g}  "
                f"w {w.item() / SCALE:8.5f}  b {b.item():9.5f}"
            )
        optimizer.step()
    return Fit(w.item() / SCALE, b.item(), losses, initial_weight, initial_bias)


def plot(fit: Fit, path: Path) -> Path:
    """The true line, the untrained and the trained neuron, and the loss per step."""
    celsius, fahrenheit = make_data()
    figure = new_figure(10, 4)
    line, curve = figure.subplots(1, 2)
    line.plot(celsius, fahrenheit, color="black", linewidth=4, alpha=0.25, label="F = 1.8 C + 32")
    line.plot(
        celsius,
        fit.initial_weight * celsius + fit.initial_bias,
        "--",
        color="#2171b5",
        label=f"untrained: {_equation(fit.initial_weight, fit.initial_bias, 3)}",
    )
    line.plot(
        celsius,
        fit.weight * celsius + fit.bias,
        color="#d94801",
        label=f"trained: {_equation(fit.weight, fit.bias, 4)}",
    )
    line.set_xlabel("°C")
    line.set_ylabel("°F")
    line.set_title("One neuron, F = w·C + b")
    line.legend(fontsize="small")
    curve.semilogy(np.arange(1, len(fit.losses) + 1), fit.losses, color="#d94801")
    curve.set_xlabel("step")
    curve.set_ylabel("mean squared error (°F²)")
    curve.set_title("Loss during training")
    curve.grid(True, which="major", alpha=0.3)
    return save(figure, path)


def _equation(weight: float, bias: float, digits: int) -> str:
    sign = "-" if bias < 0 else "+"
    return f"F = {weight:.{digits}f} C {sign} {abs(bias):.{digits - 1}f}"


def first_step_loss(fit: Fit) -> ad.Tensor:
    """The loss of the first training step (the untrained neuron), not yet backpropagated."""
    w = nn.Parameter(np.float32(fit.initial_weight * SCALE))
    b = nn.Parameter(np.float32(fit.initial_bias))
    w.name, b.name = "w", "b"
    celsius, fahrenheit = make_data()
    return mse(w, b, ad.Tensor(celsius, name="celsius"), ad.Tensor(fahrenheit, name="fahrenheit"))


def draw_loss_graph(fit: Fit, out: Path) -> list[Path]:
    """Render the graph of the loss at the first step (the untrained neuron), with every
    gradient, as SVG and PNG (with its .dot source); returns the paths written.

    Without Graphviz's `dot` program the SVG is drawn in-process and the PNG is skipped, with
    one line saying why.
    """
    loss = first_step_loss(fit)
    loss.backward(retain_all_grads=True)  # keep every gradient, so the picture shows them all
    paths = []
    for format in ("svg", "png"):
        try:
            paths.append(ad.render_graph(loss, out / f"celsius_to_fahrenheit_graph.{format}"))
        except ad.GraphvizNotFoundError as error:
            if paths:  # the SVG was drawn in-process; only PNG needs Graphviz's dot
                print(f"no PNG of the graph (it needs Graphviz's dot); the SVG is {paths[0]}")
            else:
                print(f"no graph picture: {error}")
            break  # SVG comes first: where it cannot be drawn, PNG cannot either
    return paths


def main(argv: list[str] | None = None) -> tuple[Fit, list[Path]]:
    """Train, print the loss as it goes, and write the pictures; returns the fit and paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="gradient-descent steps")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial w and b")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    args = parser.parse_args(argv)

    fit = train(args.steps, args.lr, args.seed, log_every=max(1, args.steps // 10))
    print(f"learned {_equation(fit.weight, fit.bias, 4)}  (true: F = 1.8 C + 32)")
    try:
        paths = [plot(fit, args.out / "celsius_to_fahrenheit.png")]
    except PictureUnavailable as error:
        print(f"no picture celsius_to_fahrenheit.png: {error}")
        paths = []
    paths += draw_loss_graph(fit, args.out)
    for path in paths:
        print(f"wrote {path}")
    return fit, paths


if __name__ == "__main__":
    main()
