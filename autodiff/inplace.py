"""In-place ops: the `_` forms (x.add_(y), x.exp_()), augmented assignment (x += y) and
item assignment (x[i] = v).

They change a tensor's own array, each bumping its version, so that backward refuses a value
an op saved and that was changed afterwards. Unrecorded where nothing needs a gradient (and
on a leaf that requires grad only under `no_grad()`, as an optimiser's step is). Where a
gradient is involved (a result that requires grad, or an operand that does) they are recorded
as in PyTorch: the tensor keeps its identity and its array, so every alias sees the change,
and gradients flow to the value it held before (see `recorded` and tape._earlier). A view of
another tensor is refused there (PyTorch rewrites the base's history; this engine does not),
except `base[index] op= y`, which Python finishes with base[index] = ..., recorded as
index_put into the base. Views taken of a tensor before its recorded change follow its new
history when next used (tape.follow_base). They are Tensor methods through the op table
(autodiff/optable.py).
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from typing import Any

from autodiff import tape, versions, xp
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
    if tape.state.enabled and records(x, other):
        return recorded(x, "add_", lambda old: old.add(other, alpha=alpha))
    mark(x, "add_")
    other = _operand(other)
    if alpha == 1:
        x._value += other
    else:
        axpy(alpha, other, x._value)
    return x


def sub_(x: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """self -= alpha * other, in place (in one pass over memory where BLAS can: axpy)."""
    if tape.state.enabled and records(x, other):
        return recorded(x, "sub_", lambda old: old.sub(other, alpha=alpha))
    mark(x, "sub_")
    other = _operand(other)
    if alpha == 1:
        x._value -= other
    else:
        axpy(-alpha, other, x._value)
    return x


def mul_(x: Tensor, other: Any) -> Tensor:
    """self *= other, in place."""
    if tape.state.enabled and records(x, other):
        return recorded(x, "mul_", lambda old: old * other)
    mark(x, "mul_")
    x._value *= _operand(other)
    return x


def zero_(x: Tensor) -> Tensor:
    """Set every element to 0, in place."""
    if tape.state.enabled and records(x):
        return recorded(x, "zero_", lambda old: _replaced(old, 0))
    mark(x, "zero_")
    x._value[...] = 0
    return x


def copy_(x: Tensor, source: Any) -> Tensor:
    """Copy `source`'s values into self, in place (shapes must broadcast to self's)."""
    if tape.state.enabled and records(x, source):
        return recorded(x, "copy_", lambda old: _copied(old, source))
    mark(x, "copy_")
    source = source._value if isinstance(source, Tensor) else xp.asarray(source)
    try:
        xp.copyto(x._value, xp.broadcast_to(source, x.shape), casting="same_kind")
    except ValueError:
        raise ShapeError(
            f"copy_: cannot copy a source of shape {source.shape} into a tensor of shape {x.shape}"
        ) from None
    return x


def _replaced(old: Tensor, value: Any) -> Tensor:
    """`value` broadcast to old's shape, recorded as old[...] = value (index_put, with old
    as its input 0, as tape._earlier expects of an in-place op; its gradient to old is 0)."""
    if isinstance(value, Tensor) and value.dtype != old.dtype:
        value = value.astype(old.dtype)
    return Tensor.apply(shape_ops.index_put, old, value, index=Ellipsis)


def _copied(old: Tensor, source: Any) -> Tensor:
    """copy_'s recorded result: source's values broadcast to old's shape, in old's dtype."""
    shape = source.shape if isinstance(source, Tensor) else xp.shape(source)
    try:
        xp.broadcast_shapes(tuple(shape), old.shape)
    except ValueError:
        raise ShapeError(
            f"copy_: cannot copy a source of shape {tuple(shape)} into a tensor of shape "
            f"{old.shape}"
        ) from None
    return _replaced(old, source)


def shares_memory(x: Tensor) -> bool:
    """Whether x is a view: its memory is part of another tensor's (a slice, view, reshape or
    transpose of it), so a recorded in-place change of x would change that tensor's values
    without its history."""
    value, node = x._value, x._node
    if not isinstance(value, xp.ndarray) or value.base is None:
        return False
    if node is None:  # a plain tensor: any array it does not own is another's
        return True
    return any(
        isinstance(t, Tensor)
        and isinstance(t._value, xp.ndarray)
        and xp.may_share_memory(value, t._value)
        for t in node
    )


def refuse_view(x: Tensor, op: str) -> None:
    """Raise: a recorded in-place change of a view (PyTorch rebases the base's history,
    which this engine does not)."""
    raise GradientError(
        f"{op}: in-place change of a view (a slice, view, reshape or transpose of another "
        f"tensor, shape {x.shape}) where a gradient is involved; it would change the base's "
        f"values without recording it. Write the change into the base instead: "
        f"{_INSTEAD.get(op, f'base[index] = base[index].{op[:-1]}(...)')} (recorded as "
        f"index_put), base = torch.where(mask, new, base), or do it under "
        f"`with autodiff.no_grad():`"
    )


_INSTEAD = {
    "+=": "base[index] += y",
    "-=": "base[index] -= y",
    "*=": "base[index] *= y",
    "/=": "base[index] /= y",
    "__setitem__": "base[index, i] = v (not base[index][i] = v)",
}


def recorded(x: Tensor, op: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """x changed in place to compute(x's old value), recorded (PyTorch's meaning on a result
    that requires grad, or on a plain tensor changed with one that does): x keeps its
    identity and its array (aliases see the change), and gradients flow to its old value
    through the recorded op. Refused on a leaf that requires grad, and on a view."""
    if x._requires_grad and x._node is None:
        raise GradientError(
            f"{op}: in-place change of a leaf Tensor of shape {x.shape} that requires grad "
            f"(a leaf that requires grad is used in an in-place operation); expected it "
            f"under `with autodiff.no_grad():` (as an optimiser step is), or a new tensor "
            f"(x = x.clone(); then change x)"
        )
    if shares_memory(x):
        refuse_view(x, op)
    old = snapshot(x)
    start = next(versions.clock)
    result = compute(old)
    _operands_before_the_change(x, old, result, start, op)
    if result.shape != x.shape:
        raise ShapeError(
            f"{op}: the result has shape {result.shape}, but x has shape {x.shape}; "
            f"expected an operand that broadcasts to {x.shape}"
        )
    if result.dtype != x.dtype:
        if not xp.can_cast(result.dtype, x.dtype, casting="same_kind"):
            raise DTypeError(
                f"{op}: cannot store the {result.dtype} result in place in a {x.dtype} "
                f"tensor; expected a value of the tensor's kind, or write x = x {op[0]} y"
            )
        result = result.astype(x.dtype)
    return record_inplace(x, op, old, result)


def _operands_before_the_change(x: Tensor, old: Tensor, result: Tensor, start: int, op: str):
    """In the ops `compute` recorded (after clock reading `start`), x as an operand stands for
    its value before the change: `old` (x.mul_(x) squares). An operand that is a view of x
    (x.mul_(x.t())) is refused, as PyTorch refuses one that overlaps the tensor written."""
    stack = [result._node] if result._node is not None and result._node.seq > start else []
    while stack:
        node = stack.pop()
        for i, t in enumerate(node):
            if t is None or isinstance(t, tape.Node) or t is old:
                continue
            if t is x:
                node[i] = old
                if isinstance(node.args, tuple):  # the forward's arguments, kept for the VJP
                    node.args = (*node.args[:i], old._value, *node.args[i + 1 :])
            elif t._node is not None and t._node.seq > start:
                stack.append(t._node)  # made by compute from old and the operands
            elif xp.may_share_memory(t._value, x._value):
                raise GradientError(
                    f"{op}: an operand of shape {t.shape} shares memory with the tensor changed "
                    f"in place (a view of it, such as x.t() or x[0]), so backward would read "
                    f"it changed; expected a copy: x.{op}(operand.clone())"
                )


def apply_inplace(
    x: Tensor, op: str, method: Callable[..., Tensor], *args: Any, **kwargs: Any
) -> Tensor:
    """x.op(...) for an op whose out-of-place form is `method`: its result written into x
    (recorded, as x[...] = x.op(...), where x is a result that requires grad: PyTorch records
    x.exp_() on such a tensor too)."""
    if records(x, *args):
        return recorded(x, op, lambda old: method(old, *args, **kwargs))
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
    """x op= y as PyTorch does it: in place (same object, same array, version bumped),
    recorded where an operand requires grad; an error on a leaf that requires grad (an
    update of a weight belongs under no_grad) and on a view of another tensor, except in
    `base[index] op= y`, where the new value goes to base.__setitem__.
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
        if shares_memory(x):
            if _stored_by_caller():  # base[index] op= y: __setitem__ records the result
                return method(x, other)
            refuse_view(x, op)
        return recorded(x, op, lambda old: method(old, other))
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


def _stored_by_caller() -> bool:
    """Whether the Python statement running x op= y is `base[index] op= y`, whose result
    Python stores next with base.__setitem__ (recorded there as index_put into the base)."""
    frame = sys._getframe(1)
    while frame is not None and (
        frame.f_globals.get("__name__", "").startswith("autodiff")
        or frame.f_code.co_filename.startswith("<optable")
    ):
        frame = frame.f_back
    if frame is None:
        return False
    code, last = frame.f_code, frame.f_lasti
    after = False
    for instruction in dis.get_instructions(code):
        if instruction.offset == last:
            after = True
        elif after:
            if instruction.opname in ("STORE_SUBSCR", "STORE_SLICE"):
                return True
            if instruction.opname not in _SHUFFLES:
                return False
    return False


_SHUFFLES = {"SWAP", "ROT_TWO", "ROT_THREE", "ROT_FOUR", "CACHE", "NOP", "EXTENDED_ARG"}


# ----- item assignment, recorded where a gradient needs it ----------------------------------


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """x[index] = value, in place. Where a gradient needs it (x or value requires grad,
    grad mode on) it is recorded as PyTorch's index_put, so gradients flow to the values
    x held elsewhere and to `value`; else it writes the array.
    """
    index = index_arrays(index)
    value = _without_leading_ones(x, index, value)
    if records(x, value):
        if shares_memory(x):
            refuse_view(x, "__setitem__")
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


def _without_leading_ones(x: Tensor, index: Any, value: Any) -> Any:
    """value with the leading size-1 dims it has beyond x[index]'s dropped, as PyTorch drops
    them: `x[i] = t` with t of shape (1,) fills the one element x[i] (numpy refuses that)."""
    shape = xp.shape(value._value if isinstance(value, Tensor) else value)
    if not shape or shape[0] != 1:
        return value
    try:
        extra = len(shape) - len(xp.shape(x._value[index]))
    except (IndexError, TypeError, ValueError):
        return value  # a bad index: the assignment itself says so
    while extra > 0 and shape[0] == 1:
        shape, extra = shape[1:], extra - 1
    if isinstance(value, Tensor):
        return value.reshape(shape)
    return xp.asarray(value).reshape(shape)


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
    versions.mark_recorded(x._value, x._version)  # views taken before follow the new node
    tape.views_may_follow()
    x._node, x._requires_grad, x._cause = result._node, True, None
    x._node.seq = x._version  # the op's output is x as changed now: exp_'s VJP may read it
    return x
