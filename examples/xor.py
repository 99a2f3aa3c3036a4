"""A 2-4-1 network with sigmoid units learns XOR, which no single neuron can.

    python examples/xor.py [--steps 500] [--lr 0.5] [--seed 0] [--out DIR]

Trains on the four points with binary cross-entropy and SGD with momentum, prints the loss,
the outputs and the accuracy, and writes xor.png (the decision regions) into DIR (default
examples/output/).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _plotting import PictureUnavailable, new_figure, plot_decision_boundary, save

import autodiff as ad
import nn

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([0, 1, 1, 0], dtype=np.int64)


def train(
    steps: int = 500, learning_rate: float = 0.5, seed: int = 0, log_every: int = 0
) -> tuple[nn.Module, float]:
    """Fit the network on the four points; returns it and its final loss."""
    nn.manual_seed(seed)
    model = nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid")
    optimizer = nn.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    loss_fn = nn.BCELoss()
    inputs, targets = ad.Tensor(X), ad.Tensor(Y.astype(np.float32).reshape(-1, 1))
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:4d}  loss {loss.item():.4f}")
    return model, loss.item()


def predict(model: nn.Module, points: np.ndarray) -> np.ndarray:
    """Class 1 where the network's output (a probability) exceeds 1/2."""
    with ad.no_grad():
        probabilities = model(ad.Tensor(points)).numpy().reshape(-1)
    return (probabilities > 0.5).astype(np.int64)


def main(argv: list[str] | None = None) -> tuple[float, list[Path]]:
    """Train, print the accuracy and write the picture; returns the accuracy and its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="full-batch training steps")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    args = parser.parse_args(argv)

    model, _ = train(args.steps, args.lr, args.seed, log_every=max(1, args.steps // 5))
    with ad.no_grad():
        outputs = model(ad.Tensor(X)).numpy().reshape(-1)
    for point, output in zip(X, outputs):
        print(f"xor{tuple(int(v) for v in point)} = {int(point[0]) ^ int(point[1])}: {output:.3f}")
    accuracy = nn.metrics.accuracy(predict(model, X), Y)
    print(f"accuracy: {accuracy:.0%}")

    try:
        figure = new_figure(4.5, 4)
    except PictureUnavailable as error:
        print(f"no picture xor.png: {error}")
        return accuracy, []
    axes = figure.subplots()
    plot_decision_boundary(axes, lambda points: predict(model, points), X, Y, marker_size=80)
    axes.set_title(f"XOR, 2-4-1 sigmoid network: {accuracy:.0%}")
    path = save(figure, args.out / "xor.png")
    print(f"wrote {path}")
    return accuracy, [path]


if __name__ == "__main__":
    main()
