"""Pictures of two graphs after backward: a neuron of named scalars, and an MLP's loss.

    python examples/graph.py [--out DIR]

Prints the neuron's tape listing and a trace of its backward pass, then writes
expression.svg/.png and mlp.svg/.png (with their .dot sources) into DIR (default
examples/output/). Without Graphviz's `dot` program the SVG pictures are drawn in-process
and each PNG is skipped with a line saying why (apt-get install graphviz / brew install
graphviz brings it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import autodiff as ad
import nn


def neuron() -> ad.Tensor:
    """o = tanh(x1*w1 + x2*w2 + b), micrograd's neuron: x1, x2 are inputs, w1, w2, b weights."""
    x1 = ad.Tensor(2.0, name="x1")
    x2 = ad.Tensor(0.0, name="x2")
    w1 = ad.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = ad.Tensor(1.0, requires_grad=True, name="w2")
    b = ad.Tensor(6.8813735870195432, requires_grad=True, name="b")
    x1w1 = x1 * w1
    x1w1.name = "x1w1"
    x2w2 = x2 * w2
    x2w2.name = "x2w2"
    n = x1w1 + x2w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    return o


def mlp_loss(seed: int = 0) -> ad.Tensor:
    """The mean cross-entropy of a 4→8→3 MLP (ReLU) on a batch of 5 random samples."""
    nn.manual_seed(seed)
    model = nn.MLP([4, 8, 3])  # its parameters are called layers.0.weight, ... in the picture
    rng = np.random.default_rng(seed)
    x = ad.Tensor(rng.standard_normal((5, 4)).astype(np.float32), name="x")
    target = rng.integers(0, 3, size=5)
    loss = nn.functional.cross_entropy(model(x), target)
    loss.name = "loss"
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    args = parser.parse_args()

    o = neuron()
    print("The neuron's tape, in forward order:")
    ad.print_tape(o)
    print("\nIts backward pass, one VJP per line (grad: d o / d output; +=: sent to each input):")
    with ad.trace_backward():
        o.backward(retain_all_grads=True)  # keep every gradient, so the picture shows them all

    loss = mlp_loss()
    loss.backward(retain_all_grads=True)

    print()
    # the MLP's graph is long: it reads best top to bottom, one box per module call
    for stem, digraph in [
        ("expression", ad.draw_graph(o)),
        ("mlp", ad.draw_graph(loss, rankdir="TB")),
    ]:
        for format in ("svg", "png"):
            try:
                path = ad.render_graph(digraph, args.out / f"{stem}.{format}")
            except ad.GraphvizNotFoundError as error:
                print(f"no picture: {error}")
                break  # SVG comes first: where it cannot be drawn, PNG cannot either
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
