"""Where backward starts: the seed gradient (ones for a scalar, else the caller's, checked)
and, for a tensor that does not require grad, the error saying why not. Each tensor records
its cause: the op that made it without a gradient and the cut (no_grad, detach, .data) that
its value traces back to, however many ops back.
"""

from __future__ import annotations

from typing import Any

from autodiff import xp
from autodiff.broadcast import Shape
from autodiff.errors import GradientError, ShapeError

NO_INPUT_GRAD = "made by {} from inputs that do not require grad"
UNDER_NO_GRAD = "made by {} under no_grad()"
NO_GRADIENT = "made by {}, whose result carries no gradient"
DETACHED = "made by {}"
FROM_CUT = "made by {} from a value {}"  # the second {}: the cut it traces back to
CUTS = (UNDER_NO_GRAD, DETACHED, FROM_CUT)
DATA = (DETACHED, ".data")  # the cause of a .data alias: its in-place changes go unchecked

_ONES: dict[tuple[xp.dtype, Shape], xp.ndarray] = {}


def cause_from(op: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Why the result of `op` on arguments that need no gradient needs none. An input cut
    from a graph (made under no_grad, or by detach) is named as the cause, however many ops
    back."""
    for t in args:
        cause = getattr(t, "_cause", None)
        if cause is not None and cause[0] in CUTS:
            return (FROM_CUT, op, cause if len(cause) == 2 else cause[2])
    return (NO_INPUT_GRAD, op)


def ones(dtype: xp.dtype, shape: Shape) -> xp.ndarray:
    """A read-only array of ones: the seed of backward on a one-element tensor, made once."""
    found = _ONES.get((dtype, shape))
    if found is None:
        found = xp.ones(shape, dtype)
        found.flags.writeable = False  # backward copies it before handing it out as a .grad
        if len(_ONES) < 64:
            _ONES[(dtype, shape)] = found
    return found


def why_no_grad(cause: tuple[Any, ...] | None, shape: Shape) -> str:
    """The sentence that says why a tensor of `shape` with this cause needs no gradient."""
    if cause is not None:
        template, op, *origin = cause
        if origin:
            (origin_template, origin_op) = origin[0]
            why = template.format(op, origin_template.format(origin_op))
        else:
            why = template.format(op)
    else:
        why = "a leaf created without requires_grad=True (e.g. from a numpy array or .data)"
    return (
        f"this Tensor of shape {shape} does not require grad: it was {why}, so no chain of "
        f"recorded ops leads back to a tensor that requires grad"
    )


def starting_gradient(x: Any, gradient: Any, op: str, create_graph: bool, tensor_type: type) -> Any:
    """The gradient backward on x starts from: ones for a scalar, else `gradient` checked.

    An array for a plain backward; a Tensor (of tensor_type) under create_graph (the caller's
    own, if it requires grad, so that the result can be differentiated w.r.t. it).
    """
    if not x._requires_grad:
        raise GradientError(f"{op}: {why_no_grad(x._cause, x.shape)}")
    if gradient is None:
        if x._value.size != 1:
            raise GradientError(
                f"{op}: called on a Tensor of shape {x.shape}; expected a scalar, "
                f"or pass gradient= of shape {x.shape}"
            )
        g = ones(x._value.dtype, x._value.shape)
    elif create_graph and isinstance(gradient, tensor_type) and gradient.requires_grad:
        g = gradient
    else:
        g = xp.array(gradient._value if isinstance(gradient, tensor_type) else gradient, x.dtype)
    if g.shape != x.shape:
        raise ShapeError(
            f"{op}: gradient of shape {g.shape} for a Tensor of shape {x.shape}; "
            f"expected the same shape"
        )
    return tensor_type(g) if create_graph and not isinstance(g, tensor_type) else g
