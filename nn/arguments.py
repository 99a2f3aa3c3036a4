"""Checks of the arguments layers and functions take: each returns the value as the caller
keeps it, or raises the library's TypeError or ValueError naming `op` (e.g. "BatchNorm2d"),
the argument and what was expected, as PyTorch's constructors refuse them.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

import autodiff

MAX_SIZE = 2**31 - 1  # one dimension of a layer's weights: numpy's limit is reached far later


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def flag(op: str, name: str, value: Any) -> bool:
    """`value` as a bool: True or False (numpy's bools too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name}={_shown(value)}; expected True or False")
    return bool(value)


def size(op: str, name: str, value: Any, minimum: int = 1) -> int:
    """`value` as an int from `minimum` to MAX_SIZE (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name}={_shown(value)}; expected an integer >= {minimum}")
    if not minimum <= value <= MAX_SIZE:
        raise ValueError(
            f"{op}: {name}={_shown(value)}; expected an integer from {minimum} to 2**31 - 1"
        )
    return int(value)


def layer_count(op: str, name: str, value: Any, layer_bytes: int, minimum: int = 1) -> int:
    """`value` as a number of stacked layers (as size() checks it), refused before any is built
    where their parameters, `layer_bytes` each, would not fit in this machine's memory."""
    return fitting_layers(op, name, size(op, name, value, minimum), layer_bytes)


def fitting_layers(op: str, name: str, count: int, layer_bytes: int) -> int:
    """`count` layers, checked to fit in this machine's memory at `layer_bytes` each."""
    memory = _memory_bytes()
    if memory is not None and count * layer_bytes > memory:
        raise ValueError(
            f"{op}: {name}={count} layers of {layer_bytes:,} bytes of parameters each need "
            f"{count * layer_bytes / 2**30:,.1f} GiB, more than this machine's "
            f"{memory / 2**30:,.1f} GiB; expected fewer layers"
        )
    return count


def _memory_bytes() -> int | None:
    """The machine's physical memory, where the system tells it."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf, or no such name (Windows)
        return None


def sizes(op: str, name: str, value: Any, count: int, minimum: int = 1) -> tuple[int, ...]:
    """`value` as `count` ints, each as size() checks it; one int stands for all `count`."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = (value,) * count
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != count:
        raise TypeError(
            f"{op}: {name}={_shown(value)}; expected an integer or {count} integers >= {minimum}"
        )
    return tuple(size(op, name, item, minimum) for item in value)


def number(
    op: str, name: str, value: Any, minimum: float = -math.inf, above: bool = False
) -> float:
    """`value` as a float: a finite real number >= `minimum` (> it, with `above`)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name}={_shown(value)}; expected a number")
    ok = value > minimum if above else value >= minimum
    if not (math.isfinite(value) and ok):
        bound = f"> {minimum:g}" if above else f">= {minimum:g}"
        raise ValueError(f"{op}: {name}={_shown(value)}; expected a finite number {bound}")
    return float(value)


def probability(op: str, name: str, value: Any) -> float:
    """`value` as a float in [0, 1]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name}={_shown(value)}; expected a probability in [0, 1]")
    if not 0 <= value <= 1:
        raise ValueError(f"{op}: {name}={_shown(value)}; expected a probability in [0, 1]")
    return float(value)


def choice(op: str, name: str, value: Any, choices: Sequence[str]) -> str:
    """`value`, one of the strings `choices`."""
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{op}: {name}={_shown(value)}; expected one of {expected}")
    return value


def float_dtype(op: str, dtype: Any) -> np.dtype:
    """The floating dtype a layer's parameters take: `dtype`, or autodiff's default if None."""
    if dtype is None:
        return np.dtype(autodiff.get_default_dtype())
    try:
        result = np.dtype(dtype)
    except (TypeError, ValueError):
        result = None
    if result is None or result.kind != "f":
        raise TypeError(
            f"{op}: dtype={_shown(dtype)}; expected a floating dtype, e.g. np.float32 "
            f"(or None for autodiff's default)"
        )
    return result
