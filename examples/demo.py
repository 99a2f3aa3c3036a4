"""The demos in one run, as `make demo` runs them: every model trained by the engine's gradients.

    python examples/demo.py [--out DIR] [--quick] [--no-download]

1. One neuron learns Celsius → Fahrenheit (celsius_to_fahrenheit.py), and the loss's graph
   is drawn with autodiff.render_graph; backprop.html plays the backward pass of its first
   step, and of micrograd's neuron (graph.py), one VJP at a time (autodiff.watch_backward).
2. A 2-4-1 network learns XOR (xor.py); a 2-5-2 network separates two moons (moons.py).
3. A 784-256-10 MLP reads digits (mnist.py): the full MNIST where it can be had, else the
   MNIST sample shipped with nn (its test set split 8,000 / 2,000); 10 epochs.
4. The same MLP on Fashion-MNIST for 5 epochs, if it is installed
   (apt-get install dataset-fashion-mnist).
5. A short run of pytorch/examples' convolutional network (cnn.py): one epoch on 1,280
   digits of the MNIST sample, tested on 1,000 of its held-out digits (the full runs are
   `python examples/cnn.py`; docs/demo-results.md has their numbers).
6. Names (names.py): bigram counts, an MLP over embeddings, the MLP with BatchNorm; each
   makes up names.
7. A character-level GPT (gpt.py) trained briefly on Shakespeare, then writing some.

Pictures go to DIR (default examples/output/). --quick trains each MLP for one epoch on
1,000 images (tested on 500), the CNN on 128 (tested on 200), XOR and the moons for 100 and
200 steps, each names MLP for 200 steps and the GPT for 50: a smoke test of the whole run,
not a result. Seeded and CPU-only; the whole run takes under a minute of computing on two
cores (docs/demo-results.md has the measured numbers).
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # One BLAS thread, as in mnist.py (which says why); set before anything loads numpy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from pathlib import Path

# `python examples/demo.py` puts examples/ first on sys.path, so the examples beside this
# file import as modules; each exposes main(argv), the same function its command line runs.
import celsius_to_fahrenheit
import cnn
import gpt
import graph
import mnist
import moons
import names
import xor

import autodiff as ad
from nn.datasets import DatasetNotFoundError


def banner(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 76 - len(title)), flush=True)


def watch_backprop(fit: celsius_to_fahrenheit.Fit, path: Path) -> Path:
    """A page that plays two backward passes one VJP at a time: the first training step of
    the Celsius → Fahrenheit neuron, and micrograd's neuron."""
    first_step = ad.watch_backward(
        celsius_to_fahrenheit.first_step_loss(fit),
        title="Celsius → Fahrenheit: the first step's loss",
    )
    neuron = ad.watch_backward(
        graph.neuron(), title="micrograd's neuron, o = tanh(x1·w1 + x2·w2 + b)"
    )
    page = ad.BackwardWatch.combine([first_step, neuron], title="Watch backprop")
    return page.save(path)


def main(argv: list[str] | None = None) -> list[Path]:
    """Run every demo; returns the paths of the pictures written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer steps and images: one epoch on 1,000 per MLP, on 128 for the CNN (smoke test)",
    )
    parser.add_argument(
        "--no-download", action="store_true", help="never download MNIST; use files on disk"
    )
    args = parser.parse_args(argv)
    out = ["--out", str(args.out)]
    quick = ["--train-limit", "1000", "--test-limit", "500"] if args.quick else []
    no_download = ["--no-download"] if args.no_download else []
    start = time.perf_counter()
    pictures: list[Path] = []
    results: list[mnist.Result | cnn.Result] = []

    banner("Celsius → Fahrenheit: one neuron, F = w·C + b")
    fit, paths = celsius_to_fahrenheit.main(out)
    pictures += paths
    pictures.append(watch_backprop(fit, args.out / "backprop.html"))

    banner("XOR: a 2-4-1 sigmoid network")
    steps = ["--steps", "100"] if args.quick else []
    _, paths = xor.main([*steps, *out])
    pictures += paths

    banner("Two moons: a 2-5-2 sigmoid network")
    steps = ["--steps", "200"] if args.quick else []
    _, paths = moons.main([*steps, *out])
    pictures += paths

    banner("MNIST: a 784-256-10 MLP (the full set if it can be had, else the sample)")
    epochs = ["--epochs", "1" if args.quick else "10"]
    results.append(mnist.main(["--dataset", "mnist", *no_download, *epochs, *quick, *out]))
    pictures += results[-1].pictures

    banner("Fashion-MNIST: the same MLP")
    epochs = ["--epochs", "1" if args.quick else "5"]
    try:
        results.append(
            mnist.main(["--dataset", "fashion-mnist", "--no-download", *epochs, *quick, *out])
        )
        pictures += results[-1].pictures
    except DatasetNotFoundError as error:
        print(f"Skipped: Fashion-MNIST is not installed.\n{error}")

    banner("A convolutional network (pytorch/examples' MNIST Net), short run on the sample")
    limits = ["--train-limit", "1280", "--test-limit", "1000"]
    if args.quick:
        limits = ["--train-limit", "128", "--test-limit", "200"]
    results.append(cnn.main(["--dataset", "sample", "--epochs", "1", *limits, *out]))
    pictures += results[-1].pictures

    banner("Names: bigram counts, an MLP over embeddings, the MLP with BatchNorm")
    names.main(["--steps", "200" if args.quick else "2000"])

    banner("A character-level GPT writes Shakespeare")
    steps = ["--steps", "50", "--sample-length", "100"] if args.quick else []
    language_model = gpt.main([*steps, *out])
    pictures += language_model.pictures

    banner("Summary")
    for result in results:
        history = result.history
        accuracies = ", ".join(f"{accuracy:.2%}" for accuracy in history.test_accuracy)
        seconds = sum(history.epoch_seconds) / len(history.epoch_seconds)
        print(f"{result.dataset}: test accuracy per epoch {accuracies}; {seconds:.1f} s/epoch")
    print("Pictures:")
    for path in pictures:
        print(f"  {path}")
    print(f"The demo took {time.perf_counter() - start:.0f} s.")
    return pictures


if __name__ == "__main__":
    main()
