"""Tests of nn.data.DataLoader: batching, shuffling, dtypes and argument checks."""

import numpy as np
import pytest

import nn
from autodiff import Tensor

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)


def epoch_labels(loader) -> list[np.ndarray]:
    return [y.data for _, y in loader]


def test_unshuffled_batches_are_in_order_with_a_short_last_batch():
    loader = nn.data.DataLoader(X, Y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[0]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    np.testing.assert_array_equal(x.data, X[:4])
    np.testing.assert_array_equal(y.data, Y[:4])


def test_batches_keep_the_arrays_dtypes():
    x, y = next(iter(nn.data.DataLoader(X, Y, batch_size=3, shuffle=True, seed=0)))
    assert x.dtype == np.float32 and y.dtype == np.int64
    x64, _ = next(iter(nn.data.DataLoader(X.astype(np.float64), Y, batch_size=3)))
    assert x64.dtype == np.float64


def test_shuffled_epochs_cover_every_sample_once_in_a_new_order():
    loader = nn.data.DataLoader(X, Y, batch_size=3, shuffle=True, seed=0)
    first, second = np.concatenate(epoch_labels(loader)), np.concatenate(epoch_labels(loader))
    assert sorted(first) == sorted(second) == list(range(10))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, Y)
    for x, y in loader:  # inputs stay paired with their labels
        np.testing.assert_array_equal(x.data, X[y.data])


def test_a_seed_repeats_the_orders_and_none_uses_the_global_generator():
    def orders(**seed):
        loader = nn.data.DataLoader(X, Y, batch_size=10, shuffle=True, **seed)
        return [epoch_labels(loader)[0] for _ in range(2)]

    np.testing.assert_array_equal(orders(seed=3), orders(seed=3))
    nn.manual_seed(7)
    first = orders()
    nn.manual_seed(7)
    np.testing.assert_array_equal(orders(), first)
    assert not np.array_equal(orders(seed=3), orders(seed=4))


def test_drop_last_drops_the_short_batch():
    loader = nn.data.DataLoader(X, Y, batch_size=4, shuffle=True, drop_last=True, seed=1)
    assert len(loader) == 2
    assert [len(y) for y in epoch_labels(loader)] == [4, 4]
    assert len(nn.data.DataLoader(X, Y, batch_size=5, drop_last=True)) == 2
    assert len(nn.data.DataLoader(X, Y, batch_size=11, drop_last=True)) == 0
    assert len(nn.data.DataLoader(X, Y, batch_size=11)) == 1


def test_mismatched_lengths_and_bad_batch_sizes_are_refused():
    with pytest.raises(ValueError, match=r"x has 10 samples and y has 9; expected the same"):
        nn.data.DataLoader(X, Y[:9], batch_size=2)
    with pytest.raises(ValueError, match="batch_size=0; expected a positive integer"):
        nn.data.DataLoader(X, Y, batch_size=0)
    with pytest.raises(TypeError, match="batch_size=2.5; expected a positive integer"):
        nn.data.DataLoader(X, Y, batch_size=2.5)
    with pytest.raises(ValueError, match="expected arrays with a first"):
        nn.data.DataLoader(np.float32(1.0), Y, batch_size=1)
