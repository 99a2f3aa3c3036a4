"""A PyTorch program run with `import autodiff as torch`: an MNIST classifier in the usual
shape of a PyTorch training script (a `Net`, a `train` and a `test` function, a `main`).

    python examples/pytorch_port.py [--epochs 1] [--train-size 8000] [--save-model PATH]

Written as one writes for PyTorch, it runs on PyTorch with only its imports changed. The
network is a small convolutional one (two 3×3 convolutions, max-pooling, dropout, two linear
layers, log-softmax), trained with Adadelta (lr 1.0) and StepLR (γ 0.7) per epoch. The data
is the MNIST sample shipped with nn.datasets (the MNIST test set: the first `--train-size`
digits to train on, the next `--test-size` held out), each pixel scaled to [0, 1] and then
standardised with MNIST's mean and standard deviation. `--save-model` writes the state dict
with torch.save, i.e. autodiff.save: an .npz file, no pickle.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import autodiff as torch
import nn
import nn.functional as F
import nn.optim as optim
from nn.data import DataLoader, TensorDataset
from nn.optim.lr_scheduler import StepLR

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of MNIST's training pixels, scaled to [0, 1]


class Net(nn.Module):
    """Two convolutions learn local strokes, pooling halves the map, two linear layers read
    the digit; dropout after the pooling and between the linear layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3)  # 28×28 → 26×26
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3)  # 26×26 → 24×24, then pooled to 12×12
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, images):
        features = F.relu(self.conv2(F.relu(self.conv1(images))))
        features = self.dropout1(F.max_pool2d(features, 2))
        hidden = self.dropout2(F.relu(self.fc1(torch.flatten(features, 1))))
        return F.log_softmax(self.fc2(hidden), dim=1)  # log-probabilities, for nll_loss


def train(args, model, device, train_loader, optimizer, epoch):
    """One pass over the training images, a gradient step per batch; the loss is printed
    every `args.log_interval` batches (and only the first batch runs with --dry-run)."""
    model.train()
    total = len(train_loader.dataset)
    for step, (images, labels) in enumerate(train_loader):
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(images), labels)
        loss.backward()
        optimizer.step()
        if step % args.log_interval == 0:
            done = step * train_loader.batch_size
            print(
                f"epoch {epoch}, step {step}: {done}/{total} images ({done / total:.0%}), "
                f"loss {loss.item():.4f}"
            )
            if args.dry_run:
                break


def test(model, device, test_loader):
    """The mean loss and the share of right answers on the held-out images; returns the share."""
    model.eval()
    summed_loss, right = 0.0, 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            log_probs = model(images)
            summed_loss += F.nll_loss(log_probs, labels, reduction="sum").item()
            guesses = log_probs.argmax(dim=1, keepdim=True)  # (N, 1): the likeliest digit
            right += guesses.eq(labels.view_as(guesses)).sum().item()
    count = len(test_loader.dataset)
    print(
        f"held-out images: mean loss {summed_loss / count:.4f}, "
        f"{right}/{count} right ({right / count:.1%})"
    )
    return right / count


def mnist_datasets(
    train_size: int, test_size: int | None = None
) -> tuple[TensorDataset, TensorDataset]:
    """The shipped MNIST sample as (N, 1, 28, 28) float32 images, standardised, with int64
    labels: the first `train_size` digits to train on, the next `test_size` (by default all
    the rest) held out.
    """
    x_train, y_train, x_test, y_test = nn.datasets.load_mnist_sample(train_size)
    x_test, y_test = x_test[:test_size], y_test[:test_size]

    def images(x: np.ndarray) -> np.ndarray:
        return ((x / np.float32(255) - MNIST_MEAN) / MNIST_STD).astype(np.float32)[:, None]

    return (
        TensorDataset(torch.tensor(images(x_train)), torch.tensor(y_train)),
        TensorDataset(torch.tensor(images(x_test)), torch.tensor(y_test)),
    )


def main(argv: list[str] | None = None) -> nn.Module:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--train-size", type=int, default=8000)
    parser.add_argument("--test-size", type=int, default=None, help="default: all the rest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--save-model", metavar="PATH", help="write the state dict to PATH")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset1, dataset2 = mnist_datasets(args.train_size, args.test_size)
    train_loader = DataLoader(dataset1, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(dataset2, batch_size=args.test_batch_size)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), args.save_model)
    return model


if __name__ == "__main__":
    main(sys.argv[1:])
