"""The dtype of an elementwise result, by PyTorch's rules rather than numpy's.

Operands come in three priorities: tensors with dims, 0-d tensors, and Python numbers (numpy
scalars count as numbers). A lower-priority operand changes the result only when it is of a
higher category (bool < integer < floating < complex): float32 + int64 tensor is float32,
float32 (3,) + float64 0-d tensor is float32, an int64 tensor + 2.5 is the default float dtype.
"""

from __future__ import annotations

import numpy as np

DIMENSIONED, ZERO_DIM, NUMBER = 0, 1, 2

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def number_dtype(value: object, default_float: np.dtype) -> np.dtype:
    """The dtype a Python or numpy number stands for: bool, int64, the default float, or the
    complex dtype of the default float.
    """
    kind = np.asarray(value).dtype.kind
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "f":
        return default_float
    return np.result_type(default_float, np.complex64)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promote_types: across bool/integer/floating the higher category's dtype
    (int64 with float32 is float32, where numpy says float64); within one, numpy's rule.
    """
    if _CATEGORY[a.kind] == _CATEGORY[b.kind] or "c" in (a.kind, b.kind):
        return np.promote_types(a, b)
    return a if _CATEGORY[a.kind] > _CATEGORY[b.kind] else b


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A higher-priority result, changed by a lower-priority one only from a lower category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":  # complex, of the float's precision
        return np.result_type(higher, np.complex64) if higher.kind == "f" else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def result_dtype(operands: list[tuple[np.dtype, int]]) -> np.dtype:
    """The dtype of an elementwise op on operands given as (dtype, priority)."""
    by_priority: list[np.dtype | None] = [None, None, None]
    for dtype, priority in operands:
        current = by_priority[priority]
        by_priority[priority] = dtype if current is None else _promote(current, dtype)
    lower = _combine(by_priority[ZERO_DIM], by_priority[NUMBER])
    result = _combine(by_priority[DIMENSIONED], lower)
    assert result is not None  # at least one operand
    return result
