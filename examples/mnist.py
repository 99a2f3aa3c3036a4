"""An MLP reads handwritten digits (MNIST) or clothes (Fashion-MNIST), trained on the CPU.

    python examples/mnist.py [--dataset mnist|fashion-mnist|sample] [--epochs 10] [--out DIR]

The default model is a 784-256-10 MLP with ReLU, trained with softmax cross-entropy and Adam
(batches of 64; lr 2e-3, decayed along a cosine to near 0 by the last epoch). Each epoch
shows a progress bar with the running loss and accuracy, then prints the test accuracy and
the time the epoch's training took (not counting the test). At the end it writes into DIR
(default examples/output/) <dataset>_curves.png (loss and accuracy per epoch) and
<dataset>_misclassified.png (test images the model got wrong, predicted and true labels).

--dataset mnist reads the full MNIST (60,000 + 10,000) with nn.datasets.load_mnist, from
--data-dir or a cache, downloading it if needed; where it cannot be had it says so and uses
the sample instead. --dataset sample is the MNIST sample shipped with nn: the 10,000 digits of
the MNIST *test* set split 8,000 / 2,000 (not the training set). --dataset fashion-mnist reads
Fashion-MNIST (e.g. from /usr/share/datasets/fashion-mnist: apt-get install
dataset-fashion-mnist).
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # One BLAS thread: this model's matrix products (64 × 784 × 256) are too small to gain
    # from a second thread, and on a machine whose cores are busy with other work, OpenBLAS
    # threads waiting for each other made an epoch up to 10 times slower. Set before numpy
    # loads BLAS, and only when run as a program (an importer's threads are its own business);
    # a value already in the environment wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _plotting import PictureUnavailable, new_figure, save
from tqdm import tqdm

import autodiff as ad
import nn
from nn.datasets import (
    SAMPLE_NOTE,
    DatasetNotFoundError,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
)

DIGITS = tuple(str(digit) for digit in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass
class Data:
    """A data set ready for the MLP: images flattened to 784 float32 values in [0, 1]."""

    name: str  # for titles and messages, e.g. "Fashion-MNIST"
    stem: str  # for file names, e.g. "fashion-mnist"
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


@dataclass
class History:
    """Per-epoch numbers of one training run."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)  # training only, not evaluation


def flatten(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) as float32 rows (N, 784) scaled to [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def load_data(dataset: str, data_dir: Path | None, download: bool) -> Data:
    """Load `dataset` ('mnist', 'fashion-mnist' or 'sample').

    'mnist' falls back to the sample, saying why, when the full set is neither on disk nor
    downloadable. 'fashion-mnist' has no fallback: its loader's error says where to put it.
    """
    if dataset == "fashion-mnist":
        split = load_fashion_mnist(root=data_dir, download=download)
        return _data("Fashion-MNIST", "fashion-mnist", split, FASHION_CLASSES)
    if dataset == "mnist":
        try:
            split = load_mnist(root=data_dir, download=download)
        except OSError as error:  # DatasetNotFoundError: not on disk, and no download
            print("The full MNIST could not be had, so this run uses the MNIST sample instead.")
            print("Why: " + str(error).replace("\n", "\n     "))
        else:
            return _data("MNIST", "mnist", split, DIGITS)
    print(SAMPLE_NOTE)
    return _data(
        "MNIST sample (test set split 8,000 / 2,000)", "mnist-sample", load_mnist_sample(), DIGITS
    )


def _data(
    name: str, stem: str, split: tuple[np.ndarray, ...], class_names: tuple[str, ...]
) -> Data:
    x_train, y_train, x_test, y_test = split
    return Data(name, stem, flatten(x_train), y_train, flatten(x_test), y_test, class_names)


def make_optimizer(
    name: str, parameters: list[nn.Parameter], learning_rate: float
) -> nn.optim.Optimizer:
    if name == "adam":
        return nn.optim.Adam(parameters, lr=learning_rate)
    return nn.optim.SGD(parameters, lr=learning_rate, momentum=0.9, nesterov=True)


def train_epoch(
    model: nn.Module,
    optimizer: nn.optim.Optimizer,
    loader: nn.data.DataLoader,
    description: str,
    loss_function: Callable[[ad.Tensor, ad.Tensor], ad.Tensor] = nn.functional.cross_entropy,
) -> tuple[float, float, float]:
    """One pass over `loader` with a progress bar; returns mean loss, accuracy and seconds.

    `loss_function(output, labels)`: cross-entropy of logits, or nll_loss of log-probabilities.
    """
    total_loss = 0.0
    correct = 0
    seen = 0
    start = time.perf_counter()
    with tqdm(loader, desc=description, unit="batch", leave=False, mininterval=0.5) as bar:
        for images, labels in bar:
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_function(logits, labels)
            loss.backward()
            optimizer.step()
            count = len(labels)
            total_loss += loss.item() * count
            correct += int((logits.numpy().argmax(axis=1) == labels.numpy()).sum())
            seen += count
            bar.set_postfix(
                loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.2%}", refresh=False
            )
    return total_loss / seen, correct / seen, time.perf_counter() - start


def predict(model: nn.Module, x: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """The predicted class of each row of x (evaluated in batches, without recording)."""
    with ad.no_grad():
        return np.concatenate(
            [
                model(ad.Tensor(x[start : start + batch_size])).numpy().argmax(axis=1)
                for start in range(0, len(x), batch_size)
            ]
        )


def fit(
    model: nn.Module,
    data: Data,
    epochs: int,
    batch_size: int,
    optimizer: nn.optim.Optimizer,
    seed: int,
) -> History:
    """Train for `epochs`, printing each epoch's numbers; returns them.

    The learning rate follows a cosine from its initial value down to near 0 in the last
    epoch: the late, small steps settle the weights, which is worth about one point of test
    accuracy on Fashion-MNIST after 5 epochs over a constant rate.
    """
    dataset = nn.data.TensorDataset(data.x_train, data.y_train)
    loader = nn.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, seed=seed)
    scheduler = nn.optim.CosineAnnealingLR(optimizer, T_max=epochs)
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        loss, accuracy, seconds = train_epoch(model, optimizer, loader, f"epoch {epoch}/{epochs}")
        scheduler.step()
        model.eval()
        test_accuracy = nn.metrics.accuracy(predict(model, data.x_test), data.y_test)
        history.train_loss.append(loss)
        history.train_accuracy.append(accuracy)
        history.test_accuracy.append(test_accuracy)
        history.epoch_seconds.append(seconds)
        print(
            f"epoch {epoch:2d}/{epochs}  loss {loss:.4f}  train accuracy {accuracy:.2%}  "
            f"test accuracy {test_accuracy:.2%}  ({seconds:.1f} s training)",
            flush=True,
        )
    return history


def plot_curves(history: History, title: str, path: Path) -> Path:
    """The training loss, and the training and test accuracy, per epoch."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    figure = new_figure(10, 4)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, history.train_loss, "o-", color="#d94801")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("cross-entropy")
    loss_axes.set_title("Training loss")
    accuracy_axes.plot(
        epochs, 100 * np.array(history.train_accuracy), "o-", color="#d94801", label="training"
    )
    accuracy_axes.plot(
        epochs, 100 * np.array(history.test_accuracy), "s-", color="#2171b5", label="test"
    )
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("accuracy (%)")
    accuracy_axes.set_title(f"Accuracy (final test: {history.test_accuracy[-1]:.2%})")
    accuracy_axes.legend()
    for axes in (loss_axes, accuracy_axes):
        axes.grid(True, alpha=0.3)
        axes.set_xticks(epochs)
    figure.suptitle(title)
    return save(figure, path)


def plot_misclassified(
    data: Data, predictions: np.ndarray, title: str, path: Path, count: int = 24
) -> Path:
    """The first `count` test images the model got wrong, each with its predicted and true
    label (in red and black)."""
    wrong = np.flatnonzero(predictions != data.y_test)[:count]
    columns = 8
    rows = max(1, -(-len(wrong) // columns))
    figure = new_figure(1.4 * columns, 1.75 * rows + 0.6)
    grid = figure.subplots(rows, columns, squeeze=False)
    for axes in grid.ravel():
        axes.axis("off")
    for axes, index in zip(grid.ravel(), wrong):
        axes.imshow(data.x_test[index].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        predicted = data.class_names[predictions[index]]
        true = data.class_names[data.y_test[index]]
        axes.set_title(f"predicted {predicted}", fontsize=8, color="#cb181d", pad=11)
        axes.text(
            0.5,
            1.01,
            f"true {true}",
            fontsize=8,
            ha="center",
            va="bottom",
            transform=axes.transAxes,
        )
    wrong_total = int((predictions != data.y_test).sum())
    figure.suptitle(f"{title}: {wrong_total:,} of {len(data.y_test):,} test images misclassified")
    return save(figure, path)


def positive(text: str) -> int:
    """An argparse type: a positive integer."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        choices=("mnist", "fashion-mnist", "sample"),
        default="mnist",
        help="mnist (full, else the sample), fashion-mnist, or sample (default: mnist)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where the four IDX files are (or go)"
    )
    parser.add_argument(
        "--no-download", action="store_true", help="never download; use only files on disk"
    )
    parser.add_argument("--epochs", type=positive, default=10)
    parser.add_argument("--batch-size", type=positive, default=64)
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="initial learning rate (default: 2e-3 for adam, 0.05 for sgd)",
    )
    parser.add_argument(
        "--optimizer",
        choices=("adam", "sgd"),
        default="adam",
        help="adam, or sgd (with Nesterov momentum 0.9)",
    )
    parser.add_argument(
        "--hidden", type=positive, nargs="+", default=[256], help="hidden sizes (default: 256)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and shuffling")
    parser.add_argument(
        "--train-limit",
        type=positive,
        default=None,
        help="train on the first N training images only (for quick checks)",
    )
    parser.add_argument(
        "--test-limit",
        type=positive,
        default=None,
        help="test on the first N test images only (for quick checks)",
    )
    parser.add_argument("--save", type=Path, default=None, help="save the model here (.npz)")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    return parser


@dataclass
class Result:
    """What main() did: the data set's name, the per-epoch numbers and the pictures."""

    dataset: str
    history: History
    pictures: list[Path]


def main(argv: list[str] | None = None) -> Result:
    args = build_parser().parse_args(argv)
    if args.save is not None:  # made now, so that a long training does not end in an error
        args.save.parent.mkdir(parents=True, exist_ok=True)
    data = load_data(args.dataset, args.data_dir, download=not args.no_download)
    if args.train_limit is not None:
        data.x_train = data.x_train[: args.train_limit]
        data.y_train = data.y_train[: args.train_limit]
    if args.test_limit is not None:
        data.x_test = data.x_test[: args.test_limit]
        data.y_test = data.y_test[: args.test_limit]
    learning_rate = args.lr if args.lr is not None else (2e-3 if args.optimizer == "adam" else 0.05)

    nn.manual_seed(args.seed)
    sizes = [data.x_train.shape[1], *args.hidden, len(data.class_names)]
    model = nn.MLP(sizes, activation="relu", init="kaiming")
    optimizer = make_optimizer(args.optimizer, list(model.parameters()), learning_rate)
    description = (
        f"{'-'.join(map(str, sizes))} MLP, {args.optimizer} lr {learning_rate:g} (cosine), "
        f"batch {args.batch_size}"
    )
    print(
        f"{data.name}: {len(data.x_train):,} training and {len(data.x_test):,} test images; "
        f"{description}"
    )
    history = fit(model, data, args.epochs, args.batch_size, optimizer, args.seed)
    seconds = history.epoch_seconds
    print(
        f"{data.name}: test accuracy {history.test_accuracy[-1]:.2%} after {args.epochs} "
        f"epoch{'s' if args.epochs > 1 else ''}; {np.mean(seconds):.1f} s per epoch of training "
        f"({sum(seconds):.1f} s in all)"
    )

    if args.save is not None:
        model.save(args.save)
        print(f"saved the model to {args.save}")
    title = f"{data.name}, {description}"
    try:
        pictures = [
            plot_curves(history, title, args.out / f"{data.stem}_curves.png"),
            plot_misclassified(
                data,
                predict(model, data.x_test),
                data.name,
                args.out / f"{data.stem}_misclassified.png",
            ),
        ]
    except PictureUnavailable as error:
        print(f"no pictures {data.stem}_curves.png, {data.stem}_misclassified.png: {error}")
        pictures = []
    for path in pictures:
        print(f"wrote {path}")
    return Result(data.name, history, pictures)


if __name__ == "__main__":
    try:
        main()
    except DatasetNotFoundError as error:
        sys.exit(str(error))
