"""Finite-difference check of backward, in float64: used by the tests and open to users."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff.errors import DTypeError, GradientError, named_errors
from autodiff.grad_mode import no_grad
from autodiff.tensor import Tensor


@named_errors
def gradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare backward's gradients of f(*inputs) with central differences.

    The gradient is checked w.r.t. every Tensor input that requires grad and every float64
    numpy array (passed to f as a Tensor that requires grad, as JAX's check_grads does);
    other inputs are constants. The inputs checked must be float64. A non-scalar output is
    checked through its whole Jacobian, one backward per output element. Returns True, or
    raises GradientError naming the input, the worst element's index, the analytic and the
    numeric value.
    """
    inputs = [_as_variable(x, i) for i, x in enumerate(inputs)]
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise GradientError(
            "gradcheck: no input requires grad, so there is nothing to check; pass Tensors "
            "made with requires_grad=True, or float64 numpy arrays"
        )
    for i in wrt:
        if inputs[i].dtype != np.float64:
            raise DTypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; expected float64 "
                f"(finite differences in float32 are too coarse to check anything)"
            )
    out = f(*inputs)
    if not isinstance(out, Tensor):
        raise GradientError(
            f"gradcheck: f returned {type(out).__name__}; expected a Tensor computed from the "
            f"inputs"
        )
    kept = [inputs[i].grad for i in wrt]  # the caller's gradients, put back afterwards
    try:
        analytic = _analytic_jacobians(out, [inputs[i] for i in wrt])
    finally:
        for i, grad in zip(wrt, kept):
            inputs[i].grad = grad
    for k, i in enumerate(wrt):
        numeric = _numeric_jacobian(f, inputs, i, out.shape, eps)
        error = np.abs(analytic[k] - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            worst = np.unravel_index(np.argmax(error), error.shape)
            out_index, in_index = worst[: out.ndim], worst[out.ndim :]
            raise GradientError(
                f"gradcheck: gradient w.r.t. input {i} (shape {inputs[i].shape}) is wrong at "
                f"element {tuple(int(j) for j in in_index)} (output element "
                f"{tuple(int(j) for j in out_index)}): analytic {analytic[k][worst]:.8g}, "
                f"numeric {numeric[worst]:.8g}"
            )
    return True


def _as_variable(x: Any, i: int) -> Any:
    """A float numpy array as a Tensor (a copy) that requires grad; anything else as it is."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        if x.dtype != np.float64:
            raise DTypeError(
                f"gradcheck: input {i} is a {x.dtype} array; expected float64 (finite "
                f"differences in {x.dtype} are too coarse to check anything)"
            )
        return Tensor(x.copy(), requires_grad=True)
    return x


def _analytic_jacobians(out: Tensor, wrt: list[Tensor]) -> list[np.ndarray]:
    """J[k] of shape out.shape + wrt[k].shape, one backward per output element."""
    jacobians = [np.zeros(out.shape + x.shape) for x in wrt]
    for index in np.ndindex(*out.shape):
        seed = np.zeros(out.shape)
        seed[index] = 1.0
        for x in wrt:
            x.grad = None
        out.backward(seed, retain_graph=True)
        for k, x in enumerate(wrt):
            if x.grad is not None:
                jacobians[k][index] = x.grad._value
    return jacobians


def _numeric_jacobian(
    f: Callable[..., Tensor], inputs: Sequence[Any], i: int, out_shape: tuple, eps: float
) -> np.ndarray:
    """dout/dinputs[i] by central differences, of shape out_shape + inputs[i].shape."""
    x = inputs[i]
    jacobian = np.zeros(out_shape + x.shape)
    with no_grad():
        for index in np.ndindex(*x.shape):
            original = x._value[index]
            x._value[index] = original + eps
            plus = f(*inputs)._value.copy()
            x._value[index] = original - eps
            minus = f(*inputs)._value.copy()
            x._value[index] = original
            jacobian[(Ellipsis, *index)] = (plus - minus) / (2 * eps)
    return jacobian
