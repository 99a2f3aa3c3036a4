"""Datasets as numpy arrays: the IDX reader, MNIST and Fashion-MNIST loaders."""

from nn.datasets.idx import IDXError, read_idx
from nn.datasets.mnist import (
    SAMPLE_NOTE,
    DatasetNotFoundError,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
)

__all__ = [
    "SAMPLE_NOTE",
    "DatasetNotFoundError",
    "IDXError",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_sample",
    "read_idx",
]
