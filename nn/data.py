"""DataLoader: numpy arrays in (Tensor, Tensor) mini-batches, optionally shuffled each epoch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autodiff import Tensor
from nn.random import default_generator


class DataLoader:
    """Iterate inputs `x` and targets `y` (numpy arrays, first axis = samples) in batches.

    Each batch is (Tensor, Tensor) with the arrays' dtypes (float inputs stay float, integer
    labels stay integer); unshuffled batches are views of
    the arrays, not copies. With shuffle=True each epoch (each iteration) visits the samples in
    a new order, drawn from np.random.default_rng(seed) if a seed is given, else from the
    global generator (nn.manual_seed). len() is the number of batches.

    >>> loader = nn.data.DataLoader(images, labels, batch_size=64, shuffle=True, seed=0)
    >>> for x, y in loader:
    ...     loss = loss_fn(model(x), y)
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        self.x = np.asarray(x)
        self.y = np.asarray(y)
        if self.x.ndim == 0 or self.y.ndim == 0:
            raise ValueError(
                f"DataLoader: x {self.x.shape} and y {self.y.shape}; expected arrays with a "
                f"first (sample) axis"
            )
        if len(self.x) != len(self.y):
            raise ValueError(
                f"DataLoader: x has {len(self.x)} samples and y has {len(self.y)}; "
                f"expected the same number, got shapes {self.x.shape} and {self.y.shape}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size={batch_size!r}; expected a positive integer")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size={batch_size}; expected a positive integer")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._generator = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.x) // self.batch_size
        return -(-len(self.x) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        count = len(self.x)
        order = None
        if self.shuffle:
            generator = self._generator if self._generator is not None else default_generator()
            order = generator.permutation(count)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            if order is None:
                batch = slice(start, start + self.batch_size)
            else:
                batch = order[start : start + self.batch_size]
            yield Tensor(self.x[batch]), Tensor(self.y[batch])
