"""The dtype of an elementwise result, by PyTorch's rules rather than numpy's.

Operands come in three priorities: tensors with dims, 0-d tensors, and Python numbers (numpy
scalars count as numbers). A lower-priority operand changes the result only when it is of a
higher category (bool < integer < floating < complex): float32 + int64 tensor is float32,
float32 (3,) + float64 0-d tensor is float32, an int64 tensor + 2.5 is the default float dtype.

`promote` casts a pair of operands (Tensors, arrays, numbers) by these rules, and
`check_same_dtype` refuses mixed dtypes where PyTorch does (matmul, linear).
"""

from __future__ import annotations

from typing import Any

from autodiff import dtypes, xp
from autodiff.errors import DTypeError

DIMENSIONED, ZERO_DIM, NUMBER = 0, 1, 2

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def number_dtype(value: object, default_float: xp.dtype) -> xp.dtype:
    """The dtype a Python or numpy number stands for: bool, int64, the default float, or the
    complex dtype of the default float.
    """
    kind = xp.asarray(value).dtype.kind
    if kind == "b":
        return xp.dtype(xp.bool_)
    if kind in "iu":
        return xp.dtype(xp.int64)
    if kind == "f":
        return default_float
    return xp.result_type(default_float, xp.complex64)


def _promote(a: xp.dtype, b: xp.dtype) -> xp.dtype:
    """PyTorch's promote_types: across bool/integer/floating the higher category's dtype
    (int64 with float32 is float32, where numpy says float64); within one, numpy's rule.
    """
    if _CATEGORY[a.kind] == _CATEGORY[b.kind] or "c" in (a.kind, b.kind):
        return xp.promote_types(a, b)
    return a if _CATEGORY[a.kind] > _CATEGORY[b.kind] else b


def _combine(higher: xp.dtype | None, lower: xp.dtype | None) -> xp.dtype | None:
    """A higher-priority result, changed by a lower-priority one only from a lower category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":  # complex, of the float's precision
        return xp.result_type(higher, xp.complex64) if higher.kind == "f" else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def result_dtype(operands: list[tuple[xp.dtype, int]]) -> xp.dtype:
    """The dtype of an elementwise op on operands given as (dtype, priority)."""
    by_priority: list[xp.dtype | None] = [None, None, None]
    for dtype, priority in operands:
        current = by_priority[priority]
        by_priority[priority] = dtype if current is None else _promote(current, dtype)
    lower = _combine(by_priority[ZERO_DIM], by_priority[NUMBER])
    result = _combine(by_priority[DIMENSIONED], lower)
    assert result is not None  # at least one operand
    return result


_NUMBERS = (bool, int, float, complex, xp.generic)  # numpy's scalars count as numbers


def promote(a: Any, b: Any, true_divide: bool = False) -> tuple[Any, Any]:
    """a and b cast so that the backend computes in the dtype PyTorch gives; true division of
    integers gives the default float dtype. Tensors are cast by a recorded astype, numbers
    stay Python numbers (which numpy treats as weak), anything else becomes an array.
    """
    if not isinstance(a, _NUMBERS) and not hasattr(a, "dtype"):
        a = dtypes.as_array(a)
    if not isinstance(b, _NUMBERS) and not hasattr(b, "dtype"):
        b = dtypes.as_array(b)
    dtype = result_dtype([_priority(a), _priority(b)])
    if true_divide and dtype.kind in "biu":
        dtype = dtypes.default_float()
    return _cast(a, dtype), _cast(b, dtype)


def _priority(x: Any) -> tuple[xp.dtype, int]:
    """(dtype, priority) of an operand (a number, or a Tensor or array) for result_dtype."""
    if isinstance(x, _NUMBERS):
        return number_dtype(x, dtypes.default_float()), NUMBER
    return getattr(x, "_value", x).dtype, (ZERO_DIM if x.ndim == 0 else DIMENSIONED)


def _cast(x: Any, dtype: xp.dtype) -> Any:
    """x in `dtype`: a Tensor or array converted, a number as a Python number."""
    if isinstance(x, xp.generic):
        return x.item()
    if isinstance(x, _NUMBERS):
        return x
    return x if getattr(x, "_value", x).dtype == dtype else x.astype(dtype)


def check_same_dtype(op: str, *operands: Any) -> None:
    """Raise unless the tensors and arrays among `operands` share one dtype (as PyTorch's
    matmul and linear do: a float64 batch must not silently run a float32 model in float64).
    """
    found = [
        getattr(x, "_value", x).dtype
        for x in operands
        if not isinstance(x, _NUMBERS) and hasattr(x, "dtype") and x.dtype.kind != "O"
    ]
    if len(set(found)) > 1:
        names = " and ".join(dict.fromkeys(str(d) for d in found))  # each dtype once
        raise DTypeError(
            f"{op}: operands of dtypes {names}; expected one dtype: convert the input first, "
            f"e.g. x.float() (or x.astype(np.float32)) for a float32 model, or "
            f"model.double() to compute in float64"
        )
