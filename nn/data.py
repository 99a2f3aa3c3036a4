"""Datasets and the DataLoader that batches them, as PyTorch's torch.utils.data.

A Dataset maps an index to a sample; a DataLoader draws samples in (optionally shuffled)
batches and collates them as PyTorch's default collate does: samples that are tuples of arrays,
Tensors or numbers become one batched Tensor per field (Python ints int64, floats float64).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from nn.random import default_generator


class Dataset:
    """A map-style dataset: subclasses define __getitem__(index) -> sample and __len__().

    >>> class Squares(nn.data.Dataset):
    ...     def __len__(self):
    ...         return 10
    ...     def __getitem__(self, i):
    ...         return np.float32(i), i * i
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}: expected a subclass to define __getitem__"
        )

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: expected a subclass to define __len__")


class TensorDataset(Dataset):
    """Samples i of several tensors (or arrays) with the same first dim: dataset[i] is
    (tensors[0][i], tensors[1][i], ...). Arrays are used as they are, not copied.

    >>> dataset = nn.data.TensorDataset(autodiff.tensor(images), autodiff.tensor(labels))
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        self.tensors = tuple(autodiff.as_tensor(t) for t in tensors)
        shapes = [t.shape for t in self.tensors]
        if any(len(shape) == 0 for shape in shapes) or len({s[0] for s in shapes}) != 1:
            raise ValueError(
                f"TensorDataset: tensors of shapes {shapes}; expected the same size of the "
                f"first (sample) dim in every tensor"
            )

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def default_collate(batch: Sequence[Any]) -> Any:
    """Samples merged into one batch, as PyTorch's default_collate: Tensors, arrays and numpy
    scalars are stacked into a Tensor, Python ints become int64, floats float64 and bools bool;
    tuples, lists and dicts are collated field by field (a tuple gives a list); strings stay a
    list.
    """
    sample = batch[0]
    if isinstance(sample, Tensor):
        return autodiff.from_numpy(np.stack([s.numpy() for s in batch]))
    if isinstance(sample, (np.ndarray, np.generic)):
        if np.asarray(sample).dtype.kind in "OSUV":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {sample.dtype}")
        return autodiff.from_numpy(np.stack(batch))
    if isinstance(sample, bool):
        return autodiff.from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(sample, int):
        return autodiff.from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(sample, float):
        return autodiff.from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(sample, (str, bytes)):
        return list(batch)
    if isinstance(sample, Mapping):
        return {key: default_collate([s[key] for s in batch]) for key in sample}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):  # a namedtuple keeps its type
        return type(sample)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(sample, Sequence):
        if len({len(s) for s in batch}) != 1:
            raise ValueError(
                f"default_collate: samples of lengths {sorted({len(s) for s in batch})}; "
                f"expected every sample in a batch to have the same number of fields"
            )
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        f"default_collate: cannot batch a sample of type {type(sample).__name__}; expected "
        f"Tensors, numpy arrays, numbers, strings, or tuples, lists or dicts of them"
    )


class DataLoader:
    """Iterate a dataset in batches of `batch_size` samples, collated by `collate_fn`
    (default_collate): with shuffle=True each epoch (each iteration) visits the samples in a
    new order, drawn from `generator` (a numpy Generator), else np.random.default_rng(seed) if
    a seed is given, else the global generator (autodiff.manual_seed). len() is the number of
    batches. The dataset may also be a Tensor or an array (a sample is a row).

    Batches of a TensorDataset (or of an array) are cut from its arrays directly: one copy per
    batch, none per sample. num_workers is accepted for PyTorch code; samples are always loaded
    in the calling process; pin_memory, which only speeds copies to a GPU, changes nothing.

    >>> loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    >>> for inputs, targets in loader:
    ...     loss = loss_fn(model(inputs), targets)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        *,
        seed: int | None = None,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(
                f"DataLoader: batch_size={type(batch_size).__name__}; expected a positive "
                f"integer (for arrays x and y write DataLoader(TensorDataset(x, y), ...))"
            )
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size={batch_size}; expected a positive integer")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers={num_workers!r}; expected an integer >= 0")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: got both generator and seed; expected one")
        if isinstance(dataset, np.ndarray) and dataset.ndim == 0:
            raise ValueError("DataLoader: a 0-d array has no samples; expected a first dim")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = np.random.default_rng(seed) if seed is not None else generator
        self.num_workers = num_workers
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        count = len(self.dataset)
        order = None
        if self.shuffle:
            generator = self.generator if self.generator is not None else default_generator()
            order = generator.permutation(count)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            if order is None:
                indices = np.arange(start, min(start + self.batch_size, count))
            else:
                indices = order[start : start + self.batch_size]
            yield self._batch(indices)

    def _batch(self, indices: np.ndarray) -> Any:
        """The collated samples at `indices`; cut straight from the arrays where that gives
        what default_collate would.
        """
        if self.collate_fn is default_collate:
            if type(self.dataset) is TensorDataset:  # a subclass may define its own samples
                return [autodiff.from_numpy(t.numpy()[indices]) for t in self.dataset.tensors]
            if isinstance(self.dataset, (np.ndarray, Tensor)):
                return autodiff.from_numpy(np.asarray(self.dataset)[indices])
        return self.collate_fn([self.dataset[int(i)] for i in indices])
