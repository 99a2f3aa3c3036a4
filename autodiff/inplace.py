"""In-place ops: the `_` forms (x.add_(y), x.exp_()) and augmented assignment (x += y).

They change a tensor's own array and are never recorded: on a tensor that requires grad they
belong under `no_grad()` (as an optimiser's step is), and each bumps the tensor's version, so
that backward refuses a value an op saved and that was changed afterwards. They are Tensor
methods through the op table (autodiff/optable.py), as are __iadd__ and its kin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autodiff import tape, xp
from autodiff.blas import axpy
from autodiff.errors import DTypeError, GradientError, ShapeError
from autodiff.seed import DATA
from autodiff.tensor import Tensor

_PLAIN = (xp.ndarray, xp.generic, bool, int, float, type(None))  # used as they are


def mark(x: Tensor, op: str) -> None:
    """Check that x may change in place now, and bump its version."""
    if x._requires_grad and tape.state.enabled:
        raise GradientError(
            f"{op}: in-place change of a Tensor that requires grad is not recorded; "
            f"wrap it in `with autodiff.no_grad():` (as optimisers do), or write x = x + ..."
        )
    if not isinstance(x._value, xp.ndarray):  # a 0-d op result holds a numpy scalar,
        x._value = xp.array(x._value)  # which cannot change in place: give it an array
    # noted against the memory, so that views and detach() see it, but not for .data,
    # whose changes PyTorch leaves unchecked (p.data -= lr * p.grad)
    x._version = tape.mark_inplace(None if x._cause is DATA else x._value)


def _operand(other: Any) -> Any:
    """The array or number a tensor combines with in place: a Tensor's array, a number or an
    array as it is, a list as an array (so that alpha * [1, 2] scales, not repeats)."""
    if isinstance(other, Tensor):
        return other._value
    return other if isinstance(other, _PLAIN) else xp.asarray(other)


def add_(x: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """self += alpha * other, in place (in one pass over memory where BLAS can: axpy)."""
    mark(x, "add_")
    other = _operand(other)
    if alpha == 1:
        x._value += other
    else:
        axpy(alpha, other, x._value)
    return x


def sub_(x: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """self -= alpha * other, in place (in one pass over memory where BLAS can: axpy)."""
    mark(x, "sub_")
    other = _operand(other)
    if alpha == 1:
        x._value -= other
    else:
        axpy(-alpha, other, x._value)
    return x


def mul_(x: Tensor, other: Any) -> Tensor:
    """self *= other, in place."""
    mark(x, "mul_")
    x._value *= _operand(other)
    return x


def zero_(x: Tensor) -> Tensor:
    """Set every element to 0, in place."""
    mark(x, "zero_")
    x._value[...] = 0
    return x


def copy_(x: Tensor, source: Any) -> Tensor:
    """Copy `source`'s values into self, in place (shapes must broadcast to self's)."""
    mark(x, "copy_")
    source = source._value if isinstance(source, Tensor) else xp.asarray(source)
    try:
        xp.copyto(x._value, xp.broadcast_to(source, x.shape), casting="same_kind")
    except ValueError:
        raise ShapeError(
            f"copy_: cannot copy a source of shape {source.shape} into a tensor of shape {x.shape}"
        ) from None
    return x


def apply_inplace(
    x: Tensor, op: str, method: Callable[..., Tensor], *args: Any, **kwargs: Any
) -> Tensor:
    """x.op(...) for an op whose out-of-place form is `method`: its result written into x."""
    mark(x, op)
    with tape.no_grad():
        out = method(Tensor._wrap(x._value), *args, **kwargs)
    try:
        xp.copyto(x._value, out._value, casting="same_kind")
    except TypeError:  # numpy's UFuncTypeError: the result cannot be stored
        raise DTypeError(
            f"{op}: cannot store the {out.dtype} result in place in a {x.dtype} tensor; "
            f"expected a tensor of the result's kind, or write x = x.{op[:-1]}()"
        ) from None
    return x


_AUGMENTED = {  # x op= y: the recorded x op y, and the ufunc that updates x's array
    "+=": (Tensor.__add__, xp.add),
    "-=": (Tensor.__sub__, xp.subtract),
    "*=": (Tensor.__mul__, xp.multiply),
    "/=": (Tensor.__truediv__, xp.divide),
}


def augmented(x: Tensor, other: Any, op: str) -> Tensor:
    """x op= y as PyTorch does it: in place (same object, same array, version bumped) under
    no_grad or when no operand requires grad; an error on a leaf that requires grad (an
    update of a weight belongs under no_grad); otherwise recorded as x op y.
    """
    method, ufunc = _AUGMENTED[op]
    other_requires_grad = isinstance(other, Tensor) and other._requires_grad
    if tape.state.enabled and (x._requires_grad or other_requires_grad):
        if x._requires_grad and x._node is None:
            raise GradientError(
                f"{op}: in-place update of a leaf Tensor of shape {x.shape} that requires "
                f"grad; expected it under `with autodiff.no_grad():` (as an optimiser step "
                f"is), or write x = x {op[0]} y for a new recorded tensor"
            )
        return method(x, other)
    mark(x, op)
    value = other._value if isinstance(other, Tensor) else other
    try:
        ufunc(x._value, value, out=x._value)
    except TypeError as error:  # numpy's UFuncTypeError: the result cannot be stored
        stored = xp.result_type(ufunc(x._value, value))
        raise DTypeError(
            f"{op}: cannot store the {stored} result in place in a {x.dtype} tensor; "
            f"expected a value of the tensor's kind, or write x = x {op[0]} y"
        ) from error
    except ValueError:
        raise ShapeError(
            f"{op}: cannot update a tensor of shape {x.shape} in place with a value of "
            f"shape {xp.shape(value)}; expected a shape that broadcasts to {x.shape}"
        ) from None
    return x
