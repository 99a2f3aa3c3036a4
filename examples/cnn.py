"""A convolutional network reads digits (MNIST) or clothes (Fashion-MNIST), trained on the CPU.

    python examples/cnn.py [--dataset mnist|fashion-mnist|sample] [--epochs 3] [--out DIR]

The network is pytorch/examples' MNIST Net: conv 1→32 3×3, ReLU, conv 32→64 3×3, ReLU,
max-pool 2×2, dropout 0.25, fc 9216→128, ReLU, dropout 0.5, fc 128→10, log-softmax; trained
with the negative log-likelihood and Adadelta (lr 1.0), the rate multiplied by 0.7 after each
epoch (StepLR), batches of 64, pixels normalized by MNIST's mean 0.1307 and std 0.3081.
Each epoch shows a progress bar, then the test accuracy and the seconds its training took.
At the end it writes into DIR (default examples/output/) cnn_<dataset>_curves.png,
cnn_<dataset>_misclassified.png and cnn_<dataset>_filters.png (the first layer's 32 learned
3×3 filters).

The data sets are mnist.py's: --dataset mnist reads the full MNIST if it is on disk (or can
be downloaded), else the MNIST sample shipped with nn (the 10,000 digits of the MNIST *test*
set split 8,000 / 2,000); fashion-mnist reads e.g. /usr/share/datasets/fashion-mnist.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # One BLAS thread, as in mnist.py (which says why); set before anything loads numpy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _plotting import PictureUnavailable, new_figure, save
from mnist import (
    Data,
    History,
    load_data,
    plot_curves,
    plot_misclassified,
    positive,
    predict,
    train_epoch,
)

import autodiff as ad
import nn
import nn.functional as F
from nn.datasets import DatasetNotFoundError

MEAN, STD = 0.1307, 0.3081  # MNIST's pixel statistics, as pytorch/examples normalizes
PREDICT_BATCH = 100  # images per forward when testing: a CNN's activations are large


class Net(nn.Module):
    """pytorch/examples' MNIST CNN, layer for layer (and state_dict key for key)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: ad.Tensor) -> ad.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = x.reshape(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def images(rows: np.ndarray) -> np.ndarray:
    """Flat [0, 1] rows (N, 784) as normalized float32 images (N, 1, 28, 28)."""
    return ((rows - MEAN) / STD).astype(np.float32).reshape(-1, 1, 28, 28)


def plot_filters(weight: np.ndarray, title: str, path: Path) -> Path:
    """The first layer's filters (out, 1, kh, kw), each on its own colour scale."""
    count = weight.shape[0]
    columns = 8
    figure = new_figure(1.2 * columns, 1.25 * (-(-count // columns)) + 0.5)
    grid = figure.subplots(-(-count // columns), columns, squeeze=False)
    for axes in grid.ravel():
        axes.axis("off")
    for k, axes in enumerate(grid.ravel()[:count]):
        kernel = weight[k, 0]
        limit = np.abs(kernel).max()
        axes.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    figure.suptitle(title)
    return save(figure, path)


@dataclass
class Result:
    """What main() did: the data set's name, the per-epoch numbers and the pictures."""

    dataset: str
    history: History
    pictures: list[Path]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist", "sample"), default="mnist")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the IDX files are")
    parser.add_argument("--no-download", action="store_true", help="use only files on disk")
    parser.add_argument("--epochs", type=positive, default=3)
    parser.add_argument("--batch-size", type=positive, default=64)
    parser.add_argument("--lr", type=float, default=1.0, help="Adadelta's learning rate")
    parser.add_argument("--gamma", type=float, default=0.7, help="StepLR's decay per epoch")
    parser.add_argument("--seed", type=int, default=1, help="seed of the weights and shuffling")
    parser.add_argument(
        "--train-limit", type=positive, default=None, help="train on the first N images only"
    )
    parser.add_argument(
        "--test-limit", type=positive, default=None, help="test on the first N images only"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    return parser


def main(argv: list[str] | None = None) -> Result:
    args = build_parser().parse_args(argv)
    data: Data = load_data(args.dataset, args.data_dir, download=not args.no_download)
    if args.train_limit is not None:
        data.x_train = data.x_train[: args.train_limit]
        data.y_train = data.y_train[: args.train_limit]
    if args.test_limit is not None:
        data.x_test = data.x_test[: args.test_limit]
        data.y_test = data.y_test[: args.test_limit]
    x_train, x_test = images(data.x_train), images(data.x_test)

    nn.manual_seed(args.seed)
    model = Net()
    optimizer = nn.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = nn.optim.StepLR(optimizer, step_size=1, gamma=args.gamma)
    dataset = nn.data.TensorDataset(x_train, data.y_train)
    loader = nn.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    description = f"CNN (pytorch/examples Net), Adadelta lr {args.lr:g}, StepLR γ {args.gamma:g}"
    print(f"{data.name}: {len(x_train):,} training and {len(x_test):,} test images; {description}")
    history = History()
    for epoch in range(1, args.epochs + 1):
        model.train()
        loss, accuracy, seconds = train_epoch(
            model, optimizer, loader, f"epoch {epoch}/{args.epochs}", loss_function=F.nll_loss
        )
        scheduler.step()
        model.eval()
        test_accuracy = nn.metrics.accuracy(predict(model, x_test, PREDICT_BATCH), data.y_test)
        history.train_loss.append(loss)
        history.train_accuracy.append(accuracy)
        history.test_accuracy.append(test_accuracy)
        history.epoch_seconds.append(seconds)
        print(
            f"epoch {epoch:2d}/{args.epochs}  loss {loss:.4f}  train accuracy {accuracy:.2%}  "
            f"test accuracy {test_accuracy:.2%}  ({seconds:.1f} s training)",
            flush=True,
        )
    print(
        f"{data.name}: test accuracy {history.test_accuracy[-1]:.2%} after {args.epochs} "
        f"epoch{'s' if args.epochs > 1 else ''}; {np.mean(history.epoch_seconds):.1f} s per "
        f"epoch of training"
    )
    stem = f"cnn_{data.stem}"
    try:
        pictures = [
            plot_curves(history, f"{data.name}, {description}", args.out / f"{stem}_curves.png"),
            plot_misclassified(
                data,
                predict(model, x_test, PREDICT_BATCH),
                data.name,
                args.out / f"{stem}_misclassified.png",
            ),
            plot_filters(
                model.conv1.weight.numpy(),
                f"{data.name}: the first layer's 32 learned 3×3 filters",
                args.out / f"{stem}_filters.png",
            ),
        ]
    except PictureUnavailable as error:
        print(f"no pictures {stem}_curves.png, _misclassified.png, _filters.png: {error}")
        pictures = []
    for path in pictures:
        print(f"wrote {path}")
    return Result(f"CNN on {data.name}", history, pictures)


if __name__ == "__main__":
    try:
        main()
    except DatasetNotFoundError as error:
        sys.exit(str(error))
