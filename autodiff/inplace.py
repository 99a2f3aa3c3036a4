"""In-place ops: the `_` forms (x.add_(y), x.exp_()), augmented assignment (x += y) and
item assignment (x[i] = v).

They change a tensor's own array, each bumping its version, so that backward refuses a value
an op saved and that was changed afterwards. Unrecorded where nothing needs a gradient (and
on a leaf that requires grad only under `no_grad()`, as an optimiser's step is); on a result
that requires grad, x[i] = v and the `_` forms are recorded (PyTorch's index_put), as in
PyTorch. They are Tensor methods through the op table (autodiff/optable.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autodiff import tape, xp
from autodiff.blas import axpy
from autodiff.errors import DTypeError, GradientError, ShapeError
from autodiff.grad_mode import no_grad
from autodiff.ops import shape as shape_ops
from autodiff.seed import DATA
from autodiff.tensor import Tensor, index_arrays
from autodiff.versions import mark_inplace

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
    x._version = mark_inplace(None if x._cause is DATA else x._value)


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
    """x.op(...) for an op whose out-of-place form is `method`: its result written into x
    (recorded, as x[...] = x.op(...), where x is a result that requires grad: PyTorch records
    x.exp_() on such a tensor too)."""
    if records(x, *args) and not x.is_leaf:
        setitem(x, Ellipsis, method(x, *args, **kwargs))
        return x
    mark(x, op)
    with no_grad():
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


# ----- item assignment, recorded where a gradient needs it ----------------------------------


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """x[index] = value, in place. Where a gradient needs it (x or value requires grad,
    grad mode on) it is recorded as PyTorch's index_put, so gradients flow to the values
    x held elsewhere and to `value`; else it writes the array.
    """
    index = index_arrays(index)
    if records(x, value):
        if isinstance(value, Tensor) and value.dtype != x.dtype:
            value = value.astype(x.dtype)
        old = snapshot(x)
        result = Tensor.apply(shape_ops.index_put, old, value, index=index)
        record_inplace(x, "__setitem__", old, result)
        return
    mark(x, "__setitem__")
    value = _operand(value)
    try:
        x._value[index] = value
    except IndexError as err:
        raise IndexError(
            f"__setitem__: index {index!r} on a tensor of shape {x.shape}: {err}"
        ) from None
    except ValueError:
        raise ShapeError(
            f"__setitem__: cannot assign a value of shape {xp.shape(value)} to x[{index!r}] "
            f"of shape {xp.shape(x._value[index])}; expected a shape that broadcasts to it"
        ) from None


def records(x: Tensor, *others: Any) -> bool:
    """Whether an in-place op on x with `others` must be recorded."""
    if not tape.state.enabled:
        return False
    return x._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)


def snapshot(x: Tensor) -> Tensor:
    """A Tensor standing for x's value before an in-place op: the recorded op's input."""
    if x._requires_grad and x._node is None:
        raise GradientError(
            f"in-place change of a leaf Tensor of shape {x.shape} that requires grad; "
            f"expected it under `with autodiff.no_grad():` (as an optimiser step is), or a "
            f"new tensor (x = x.clone(); then change x)"
        )
    old = Tensor._wrap(xp.array(x._value))  # a copy: a VJP may read the old values
    old._node, old._requires_grad, old._cause = x._node, x._requires_grad, x._cause
    old.name, old._version = x.name, x._version
    return old


def record_inplace(x: Tensor, op: str, old: Tensor, result: Tensor) -> Tensor:
    """Make x hold `result`, recorded from `old` (a copy of x's values) as the op's
    input 0, in place: its array keeps its identity (views of it see the change) and its
    version moves on, so a backward through an earlier op that read x refuses to run;
    an earlier op that used x without reading it sends its gradient to `old`'s node
    (see tape._earlier).
    """
    if not isinstance(x._value, xp.ndarray):
        x._value = xp.array(x._value)
    try:
        xp.copyto(x._value, result._value)
    except ValueError:
        raise ShapeError(
            f"{op}: cannot write a result of shape {result.shape} into a tensor of "
            f"shape {x.shape} in place (it may be a broadcast view: clone() it first)"
        ) from None
    x._version = mark_inplace(x._value)
    x._node, x._requires_grad, x._cause = result._node, True, None
    return x
