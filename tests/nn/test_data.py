"""Tests of nn.data: Dataset, TensorDataset, default_collate and DataLoader (batching,
shuffling, dtypes, argument checks), against PyTorch's torch.utils.data where it is installed.
"""

from collections import namedtuple

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor
from nn.data import DataLoader, Dataset, SequentialSampler, TensorDataset, default_collate

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)


def epoch_labels(loader) -> list[np.ndarray]:
    return [y.numpy() for _, y in loader]


class Squares(Dataset):
    """Samples as a user's Dataset returns them: a float32 array, a Python int, a float."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i * i, i / 2


def test_unshuffled_batches_are_in_order_with_a_short_last_batch():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[0]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    np.testing.assert_array_equal(x.numpy(), X[:4])
    np.testing.assert_array_equal(y.numpy(), Y[:4])


def test_batches_keep_the_arrays_dtypes_and_own_their_memory():
    x, y = next(iter(DataLoader(TensorDataset(X, Y), batch_size=3)))
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert not np.shares_memory(x.numpy(), X)  # changing a batch cannot change the dataset
    x64, _ = next(iter(DataLoader(TensorDataset(X.astype(np.float64), Y), batch_size=3)))
    assert x64.dtype == np.float64


def test_shuffle_visits_every_sample_once_in_a_new_order_each_epoch():
    loader = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    first, second = np.concatenate(epoch_labels(loader)), np.concatenate(epoch_labels(loader))
    assert sorted(first) == sorted(second) == list(range(10))
    assert list(first) != list(second)


def test_shuffle_follows_the_generator_or_the_global_seed():
    def order(**kwargs):
        return np.concatenate(epoch_labels(DataLoader(TensorDataset(X, Y), 10, True, **kwargs)))

    a = order(generator=autodiff.Generator().manual_seed(3))
    np.testing.assert_array_equal(a, order(generator=autodiff.Generator().manual_seed(3)))
    np.testing.assert_array_equal(a, order(seed=3))
    autodiff.manual_seed(5)
    b = order()
    nn.manual_seed(5)  # the same global generator
    np.testing.assert_array_equal(b, order())
    assert nn.manual_seed is autodiff.manual_seed


def test_drop_last_and_len():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, drop_last=True, seed=1)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]
    assert len(DataLoader(TensorDataset(X, Y), batch_size=11, drop_last=True)) == 0
    assert len(DataLoader(TensorDataset(X, Y), batch_size=11)) == 1
    assert DataLoader(TensorDataset(X, Y)).batch_size == 1


def test_loader_exposes_its_dataset_and_accepts_num_workers_and_pin_memory():
    dataset = TensorDataset(X, Y)
    loader = DataLoader(dataset, batch_size=4, num_workers=2, pin_memory=True)
    assert loader.dataset is dataset and len(loader.dataset) == 10
    assert sum(len(y) for _, y in loader) == 10


def test_a_plain_array_or_tensor_is_a_dataset_of_rows():
    batches = list(DataLoader(X, batch_size=4))
    np.testing.assert_array_equal(batches[0].numpy(), X[:4])
    np.testing.assert_array_equal(list(DataLoader(Tensor(X), batch_size=6))[1].numpy(), X[6:])


def test_tensor_dataset_indexes_every_tensor_and_checks_lengths():
    dataset = TensorDataset(autodiff.tensor(X), autodiff.tensor(Y))
    x, y = dataset[3]
    np.testing.assert_array_equal(x.numpy(), X[3])
    assert y.item() == 3 and len(dataset) == 10
    with pytest.raises(ValueError, match="TensorDataset: tensors of shapes .*first"):
        TensorDataset(X, Y[:9])


def test_a_tensor_dataset_subclass_gets_its_own_samples_batched():
    class Doubled(TensorDataset):  # e.g. an augmentation applied per sample
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    x, y = next(iter(DataLoader(Doubled(X, Y), batch_size=3)))
    np.testing.assert_array_equal(x.numpy(), X[:3] * 2)
    np.testing.assert_array_equal(y.numpy(), Y[:3])


def test_a_users_dataset_is_collated_as_pytorch_does():
    x, squares, halves = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 2) and x.dtype == np.float32
    assert squares.dtype == np.int64 and squares.tolist() == [0, 1, 4]
    assert halves.dtype == np.float64 and halves.tolist() == [0.0, 0.5, 1.0]


def test_default_collate_handles_nested_samples():
    Pair = namedtuple("Pair", "a b")
    batch = default_collate([{"p": Pair(1, 2.0), "s": "x"}, {"p": Pair(3, 4.0), "s": "y"}])
    assert isinstance(batch["p"], Pair) and batch["p"].a.tolist() == [1, 3]
    assert batch["s"] == ["x", "y"]
    assert default_collate([True, False]).dtype == np.bool_
    stacked = default_collate([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])
    assert stacked.shape == (2, 2)
    with pytest.raises(TypeError, match="default_collate: cannot batch a sample of type object"):
        default_collate([object()])


def test_custom_collate_fn_is_used():
    loader = DataLoader(TensorDataset(X, Y), batch_size=5, collate_fn=len)
    assert list(loader) == [5, 5]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="batch_size=0"):
        DataLoader(TensorDataset(X, Y), batch_size=0)
    with pytest.raises(TypeError, match="batch_size=float"):
        DataLoader(TensorDataset(X, Y), batch_size=2.5)
    with pytest.raises(TypeError, match=r"DataLoader\(TensorDataset\(x, y\)"):
        DataLoader(TensorDataset(X), "4")
    with pytest.raises(TypeError, match="generator is a Generator; expected an autodiff"):
        DataLoader(X, generator=np.random.default_rng(0))
    with pytest.raises(ValueError, match="sampler and shuffle=True both given"):
        DataLoader(X, shuffle=True, sampler=SequentialSampler(X))
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(X, num_workers=-1)
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_batches_match_pytorchs_dataloader():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import default_collate as torch_collate

    ours = list(DataLoader(TensorDataset(X, Y), batch_size=4))
    theirs = list(TorchLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y)), 4))
    assert len(ours) == len(theirs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        assert str(x.dtype).removeprefix("autodiff.") == str(tx.dtype).removeprefix("torch.")
    samples = [Squares()[i] for i in range(3)]
    for field, torch_field in zip(default_collate(samples), torch_collate(samples)):
        np.testing.assert_array_equal(field.numpy(), torch_field.numpy())
        assert str(field.dtype).removeprefix("autodiff.") == str(torch_field.dtype).removeprefix(
            "torch."
        )
