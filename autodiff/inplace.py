"""In-place ops: the `_` forms (x.exp_(), x.add_(y)) and augmented assignment (x += y).

They change a tensor's own array and are never recorded: on a tensor that requires grad they
belong under `no_grad()` (as an optimiser's step is), and each bumps the tensor's version, so
that backward refuses a value changed after an op saved it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import tape
from autodiff.errors import DTypeError
from autodiff.tensor import Tensor


def apply_inplace(
    x: Tensor, op: str, method: Callable[..., Tensor], *args: Any, **kwargs: Any
) -> Tensor:
    """x.op(...) for an op whose out-of-place form is `method`: its result written into x
    (recorded, as x[...] = x.op(...), where x is a result that requires grad: PyTorch records
    x.exp_() on such a tensor too)."""
    if x._records(*args) and not x.is_leaf:
        x[...] = method(x, *args, **kwargs)
        return x
    x._inplace(op)
    with tape.no_grad():
        out = method(Tensor._wrap(x._value), *args, **kwargs)
    try:
        np.copyto(x._value, out._value, casting="same_kind")
    except TypeError:  # numpy's UFuncTypeError: the result cannot be stored
        raise DTypeError(
            f"{op}: cannot store the {out.dtype} result in place in a {x.dtype} tensor; "
            f"expected a tensor of the result's kind, or write x = x.{op[:-1]}()"
        ) from None
    return x
