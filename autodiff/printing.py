"""How a Tensor prints: PyTorch's layout and number format, so that `print(t)` shows the
numbers a PyTorch program shows (`Tensor([0.1377, 2.5000])` where numpy would write
`[0.13767053, 2.5]`).

The rules, PyTorch's: one format for all of a tensor's elements, chosen from its finite
nonzero values. Floats that are all whole numbers print as `2.`; others with 4 decimals; and
either in scientific notation (`1.2346e+05`) when the largest magnitude exceeds 1e8 or 1000
times the smallest, or (not whole) the smallest is under 1e-4. Every element is padded to the
widest; a line holds as many as fit in 80 characters; a tensor of more than 1000 elements
shows the first and last 3 along each dim, with `...` between.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff.dtypes import dtype_of

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Format:
    """The one number format of a tensor's elements, chosen from `values` (see above)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.whole = True
        self.scientific = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            return
        low, high = np.abs(shown).min(), np.abs(shown).max()
        self.whole = bool(np.all(shown == np.ceil(shown)))
        self.scientific = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        if self.scientific:
            texts = [f"{v:.{PRECISION}e}" for v in shown.tolist()]
        elif self.whole:
            texts = [f"{v:.0f}." for v in shown.tolist()]
        else:
            texts = [f"{v:.{PRECISION}f}" for v in shown.tolist()]
        self.width = max(len(text) for text in texts)

    def __call__(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("." if np.isfinite(value) else "")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _edges(values: np.ndarray) -> np.ndarray:
    """The elements a summarised tensor shows: the first and last EDGEITEMS along each dim."""
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * EDGEITEMS:
        values = np.concatenate([values[:EDGEITEMS], values[-EDGEITEMS:]])
    if values.ndim == 1:
        return values
    return np.stack([_edges(row) for row in values])


def _layout(values: np.ndarray, indent: int, summarize: bool, fmt: _Format) -> str:
    """The bracketed text of `values`, each line after the first indented by `indent` + 1."""
    if values.ndim == 0:
        return fmt(values.item())
    length = values.shape[0]
    cut = summarize and length > 2 * EDGEITEMS
    if values.ndim == 1:
        if cut:
            head, tail = values[:EDGEITEMS].tolist(), values[-EDGEITEMS:].tolist()
            items = [*map(fmt, head), " ...", *map(fmt, tail)]
        else:
            items = [fmt(v) for v in values.tolist()]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [*range(EDGEITEMS), None, *range(length - EDGEITEMS, length)] if cut else range(length)
    parts = ["..." if i is None else _layout(values[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(values: np.ndarray, default_dtype: Any, extras: list[str]) -> str:
    """`Tensor(<values as PyTorch prints them>, <suffixes>)`: the dtype where it is not the
    default float, int64 or bool (an empty tensor: its size where it is not 1-d, and its
    dtype where it is not the default float), then `extras`, wrapped at 80 characters."""
    values = np.asarray(values)
    prefix = "Tensor("
    indent = len(prefix)
    suffixes = []
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if values.dtype != default_dtype:
            suffixes.append(f"dtype={dtype_of(values.dtype)!r}")
    else:
        if values.dtype not in (default_dtype, np.int64, np.bool_):
            suffixes.append(f"dtype={dtype_of(values.dtype)!r}")
        summarize = values.size > THRESHOLD
        fmt = _Format(_edges(values) if summarize else values)
        body = _layout(values, indent, summarize, fmt)
    text = prefix + body
    line = len(text) - text.rfind("\n") + 1
    for suffix in [*suffixes, *extras]:
        if line + len(suffix) + 2 > LINEWIDTH:
            text += ",\n" + " " * indent + suffix
            line = indent + len(suffix)
        else:
            text += ", " + suffix
            line += len(suffix) + 2
    return text + ")"
