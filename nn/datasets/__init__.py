"""Datasets: the IDX reader, MNIST and Fashion-MNIST loaders (numpy arrays), and two text
corpora for language models."""

from nn.datasets.idx import IDXError, read_idx
from nn.datasets.mnist import (
    SAMPLE_NOTE,
    DatasetNotFoundError,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
)
from nn.datasets.text import load_names, load_tinyshakespeare

__all__ = [
    "SAMPLE_NOTE",
    "DatasetNotFoundError",
    "IDXError",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_sample",
    "load_names",
    "load_tinyshakespeare",
    "read_idx",
]
