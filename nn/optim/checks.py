"""Checks of the values a state dict brings to an optimizer or a scheduler.

A load_state_dict checks every value with these first and assigns only once all have passed,
so a failed load changes nothing. Each check returns the value as the object keeps it (an
int, a float, a list of floats) or raises the library's TypeError or ValueError naming `op`
(e.g. "StepLR.load_state_dict") and the value, cut short where a file made it long.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_keys",
    "checked_values",
    "describe",
    "real_number",
    "real_numbers",
    "whole_number",
]


def describe(value: Any, limit: int = 60) -> str:
    """`value`'s repr, cut to about `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_keys(op: str, state_dict: Any, keys: Sequence[str]) -> None:
    """Raise TypeError unless `state_dict` is a dict with exactly `keys`."""
    if not isinstance(state_dict, Mapping) or set(state_dict) != set(keys):
        expected = ", ".join(repr(key) for key in keys)
        got = sorted(map(str, state_dict)) if isinstance(state_dict, Mapping) else None
        raise TypeError(
            f"{op}: expected a dict with keys {expected} (from state_dict()), got "
            f"{f'keys {describe(got)}' if got is not None else describe(state_dict)}"
        )


def whole_number(op: str, what: str, value: Any, minimum: int = 0) -> int:
    """`value` as an int: an integer (or a whole float, or a 1-element array of one) >=
    `minimum` that fits in 64 bits. NaN, infinities, bools and strings are refused."""
    number = value.item() if isinstance(value, np.ndarray) and value.size == 1 else value
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, numbers.Real):
        raise TypeError(f"{op}: {what}={describe(value)}; expected a whole number >= {minimum}")
    if isinstance(number, numbers.Integral):
        number = int(number)
    elif not (math.isfinite(number) and float(number).is_integer()):
        raise ValueError(f"{op}: {what}={describe(value)}; expected a whole number >= {minimum}")
    if not minimum <= number < 2**63:
        raise ValueError(
            f"{op}: {what}={describe(value)}; expected a whole number from {minimum} to 2**63 - 1"
        )
    return int(number)


def real_number(op: str, what: str, value: Any, minimum: float = 0.0) -> float:
    """`value` as a float: a finite real number >= `minimum` (bools and strings refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {what}={describe(value)}; expected a number >= {minimum:g}")
    if not (math.isfinite(value) and value >= minimum):
        raise ValueError(f"{op}: {what}={describe(value)}; expected a finite number >= {minimum:g}")
    return float(value)


def real_numbers(
    op: str, what: str, values: Any, count: int, minimum: float = 0.0, noun: str = "numbers"
) -> list[float]:
    """`values` as a list of `count` floats (one per parameter group), each finite and >=
    `minimum`; `noun` names them in messages ("rates")."""
    if not isinstance(values, (list, tuple)) or not all(
        isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
        for value in values
    ):
        raise TypeError(f"{op}: {what}={describe(values)}; expected a list of numbers")
    if not all(math.isfinite(value) and value >= minimum for value in values):
        raise ValueError(
            f"{op}: {what}={describe(values)}; expected {noun} >= {minimum:g}, all finite"
        )
    if len(values) != count:
        raise ValueError(
            f"{op}: {len(values)} {noun} in {what}; expected one per parameter group ({count})"
        )
    return [float(value) for value in values]


def checked_values(op: str, compute: Callable[[], Sequence[float]], what: str) -> list[float]:
    """What `compute()` returns, a list of finite numbers, or ValueError naming `op` where it
    overflows or divides by zero (e.g. a schedule evaluated at an epoch beyond float range)."""
    try:
        values = [float(value) for value in compute()]
    except (OverflowError, ZeroDivisionError, ValueError) as error:
        raise ValueError(
            f"{op}: {what} cannot be computed ({error}); nothing was changed"
        ) from None
    if not all(math.isfinite(value) for value in values):
        raise ValueError(f"{op}: {what} would be {describe(values)}; nothing was changed")
    return values
