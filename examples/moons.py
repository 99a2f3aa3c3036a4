"""A 2-5-2 network separates two interleaving half-moons, and draws its decision boundary.

    python examples/moons.py [--samples 200] [--noise 0.1] [--steps 1000] [--seed 0] [--out DIR]

The hidden layer has 5 sigmoid units; the 2 outputs are logits trained with softmax
cross-entropy and Adam on the whole set at each step. Prints the loss and the training
accuracy, and writes moons.png (the decision boundary) into DIR (default examples/output/).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _plotting import PictureUnavailable, new_figure, plot_decision_boundary, save

import autodiff as ad
import nn


def make_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points on two interleaving half-circles, with Gaussian noise of std `noise`.

    Class 0 is the upper half of the unit circle; class 1 is the lower half of the unit
    circle shifted to (1, 0.5), so that each moon's tip reaches into the other's hollow.
    Returns x, float32 of shape (n, 2), and y, int64 of shape (n,) (n // 2 points of class 0).
    """
    rng = np.random.default_rng(seed)
    upper = n // 2
    lower = n - upper
    angles_upper = np.linspace(0, np.pi, upper)
    angles_lower = np.linspace(0, np.pi, lower)
    x = np.concatenate(
        [
            np.stack([np.cos(angles_upper), np.sin(angles_upper)], axis=1),
            np.stack([1 - np.cos(angles_lower), 0.5 - np.sin(angles_lower)], axis=1),
        ]
    )
    x += rng.normal(scale=noise, size=x.shape)
    y = np.concatenate([np.zeros(upper, np.int64), np.ones(lower, np.int64)])
    return x.astype(np.float32), y


def train(
    x: np.ndarray,
    y: np.ndarray,
    steps: int = 1000,
    learning_rate: float = 0.05,
    seed: int = 0,
    log_every: int = 0,
) -> nn.Module:
    """Fit a 2-5-2 sigmoid network to (x, y) with full-batch Adam; returns it."""
    nn.manual_seed(seed)
    model = nn.MLP([2, 5, 2], activation="sigmoid")
    optimizer = nn.optim.Adam(model.parameters(), lr=learning_rate)
    inputs = ad.Tensor(x)
    for step in range(steps):
        optimizer.zero_grad()
        logits = model(inputs)
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        if log_every and (step % log_every == 0 or step == steps - 1):
            accuracy = nn.metrics.accuracy(logits, y)
            print(f"step {step:4d}  loss {loss.item():.4f}  training accuracy {accuracy:.1%}")
    return model


def predict(model: nn.Module, points: np.ndarray) -> np.ndarray:
    """The class with the larger logit at each point."""
    with ad.no_grad():
        return model(ad.Tensor(points)).numpy().argmax(axis=1)


def main(argv: list[str] | None = None) -> tuple[float, list[Path]]:
    """Train, print the training accuracy and write the picture; returns both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="number of points")
    parser.add_argument("--noise", type=float, default=0.1, help="std of the Gaussian noise")
    parser.add_argument("--steps", type=int, default=1000, help="full-batch training steps")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the weights")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    args = parser.parse_args(argv)

    x, y = make_moons(args.samples, args.noise, args.seed)
    model = train(x, y, args.steps, args.lr, args.seed, log_every=max(1, args.steps // 10))
    accuracy = nn.metrics.accuracy(predict(model, x), y)
    print(f"training accuracy: {accuracy:.1%} on {len(x)} points (noise {args.noise})")

    try:
        figure = new_figure(6, 4.2)
    except PictureUnavailable as error:
        print(f"no picture moons.png: {error}")
        return accuracy, []
    axes = figure.subplots()
    plot_decision_boundary(axes, lambda points: predict(model, points), x, y)
    axes.set_title(
        f"Two moons ({len(x)} points, noise {args.noise})\n"
        f"2-5-2 sigmoid network: {accuracy:.1%} training accuracy"
    )
    path = save(figure, args.out / "moons.png")
    print(f"wrote {path}")
    return accuracy, [path]


if __name__ == "__main__":
    main()
