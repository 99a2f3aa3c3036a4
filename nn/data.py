"""Datasets and the DataLoader that batches them, as PyTorch's torch.utils.data.

A Dataset maps an index to a sample; a DataLoader draws samples in (optionally shuffled)
batches and collates them as PyTorch's default collate does: samples that are tuples of arrays,
Tensors or numbers become one batched Tensor per field (Python ints int64, floats float64).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

import autodiff
from autodiff import Generator, Tensor


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


def _draw_seed(generator: Generator | None) -> int:
    """PyTorch's torch.empty((), dtype=torch.int64).random_(generator=...).item()."""
    return int(autodiff.zeros((), dtype=autodiff.int64).random_(generator=generator).item())


class Sampler:
    """An iterable of dataset indices (PyTorch's torch.utils.data.Sampler): subclasses define
    __iter__ and, where known, __len__."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__}: expected a subclass to define __iter__")


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., len(data_source) - 1 in order."""

    def __init__(self, data_source: Any):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices in a random order, PyTorch's for the same seed: each pass draws a fresh
    permutation (randperm) from `generator`, or, without one, from a new Generator seeded by a
    draw from the global generator, as PyTorch does. With replacement=True, num_samples
    indices drawn by randint, 32 at a time.

    >>> loader = nn.data.DataLoader(dataset, batch_size=32, sampler=nn.data.RandomSampler(dataset))
    """

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement={replacement!r}; expected a bool")
        if num_samples is not None and (
            isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0
        ):
            raise ValueError(
                f"RandomSampler: num_samples={num_samples!r}; expected a positive integer"
            )
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"RandomSampler: generator is a {type(generator).__name__}; expected an "
                f"autodiff.Generator"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        count = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = Generator().manual_seed(_draw_seed(None))
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from autodiff.randint(count, (32,), generator=generator).tolist()
            rest = self.num_samples % 32
            yield from autodiff.randint(count, (rest,), generator=generator).tolist()
            return
        for _ in range(self.num_samples // count):
            yield from autodiff.randperm(count, generator=generator).tolist()
        yield from autodiff.randperm(count, generator=generator).tolist()[
            : self.num_samples % count
        ]

    def __len__(self) -> int:
        return self.num_samples


def _is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, Tensor))


class DataLoader:
    """Iterate a dataset in batches of `batch_size` samples, collated by `collate_fn`
    (default_collate), PyTorch's torch.utils.data.DataLoader: with shuffle=True each epoch
    (each iteration) visits the samples in a new order, PyTorch's order for the same seed:
    randperm from `generator` (an autodiff.Generator), else from a generator seeded by a draw
    from the global one (autodiff.manual_seed); `seed=s` is short for
    generator=autodiff.Generator().manual_seed(s). A `sampler` gives the order instead
    (RandomSampler, SequentialSampler, or any iterable of indices). len() is the number of
    batches. The dataset may also be a Tensor or an array (a sample is a row).

    Batches of a TensorDataset (or of an array) are cut from its arrays directly: one copy per
    batch, none per sample. num_workers is accepted for PyTorch code; samples are always loaded
    in the calling process; pin_memory, which only speeds copies to a GPU, changes nothing.

    >>> loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    >>> for inputs, targets in loader:
    ...     loss = loss_fn(model(inputs), targets)
    """

    def __init__(self, dataset: Any, *args: Any, **kwargs: Any):
        arrays = []
        while args and _is_array(args[0]) and _is_array(dataset):
            arrays.append(args[0])
            args = args[1:]
        if arrays:  # the old DataLoader(x, y, batch_size=...) form
            warnings.warn(
                "DataLoader(x, y, ...) is deprecated: write "
                "DataLoader(TensorDataset(x, y), ...), as PyTorch requires",
                DeprecationWarning,
                stacklevel=2,
            )
            dataset = TensorDataset(dataset, *arrays)
        self._setup(dataset, *args, **kwargs)

    def _setup(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        sampler: Iterable[int] | None = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Any = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        seed: int | None = None,
    ) -> None:
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
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"DataLoader: generator is a {type(generator).__name__}; expected an "
                f"autodiff.Generator (autodiff.Generator().manual_seed(seed))"
            )
        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: sampler and shuffle=True both given; expected one (a sampler "
                "gives the order itself)"
            )
        if batch_sampler is not None:
            raise NotImplementedError(
                "DataLoader: batch_sampler is not supported; expected sampler= and batch_size="
            )
        if isinstance(dataset, np.ndarray) and dataset.ndim == 0:
            raise ValueError("DataLoader: a 0-d array has no samples; expected a first dim")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.drop_last = drop_last
        self.generator = Generator().manual_seed(seed) if seed is not None else generator
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=self.generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler = sampler
        self.shuffle = shuffle
        self.num_workers = num_workers
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        count = len(self.sampler) if hasattr(self.sampler, "__len__") else len(self.dataset)
        if self.drop_last:
            return count // self.batch_size
        return -(-count // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        # PyTorch draws a base seed for its workers as each pass starts, from the loader's
        # generator or the global one: drawn here too, so that later draws stay the same.
        _draw_seed(self.generator)
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        if isinstance(self.sampler, SequentialSampler) and self.sampler.data_source is self.dataset:
            count = len(self.dataset)
            for start in range(0, len(self) * self.batch_size, self.batch_size):
                yield self._batch(np.arange(start, min(start + self.batch_size, count)))
            return
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield self._batch(np.array(batch, np.int64))
                batch = []
        if batch and not self.drop_last:
            yield self._batch(np.array(batch, np.int64))

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
