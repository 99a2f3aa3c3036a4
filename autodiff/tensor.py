"""Tensor: a numpy array that records the ops made from it, so backward() can differentiate.

Every method that computes goes through `apply`, which runs a primitive's forward on the
arrays and, when grad mode is on and an input requires grad, records a Node on the tape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from autodiff import tape
from autodiff.blas import axpy
from autodiff.broadcast import Axis, Shape, normalize_axes
from autodiff.device import device as Device
from autodiff.device import is_device
from autodiff.errors import DTypeError, GradientError, ShapeError
from autodiff.ops import compare, elementwise, linalg, reduce, unary
from autodiff.ops import shape as shape_ops
from autodiff.primitive import Primitive
from autodiff.promotion import DIMENSIONED, NUMBER, ZERO_DIM, number_dtype, result_dtype
from autodiff.size import ElementCount

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype Python floats and lists of floats become (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and lists of floats become."""
    return _default_dtype


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The ndarray behind `data`: numpy data keeps its dtype, Python floats get the default."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)
    array = np.asarray(data)
    if array.dtype.kind == "f" and array.dtype != _default_dtype:
        array = array.astype(_default_dtype)
    return array


def _legacy_values(data: list | tuple) -> np.ndarray:
    """Values given to the Tensor constructor as a list: floating, in the default dtype, as
    PyTorch's legacy torch.Tensor([1, 2]) makes them (autodiff.tensor keeps integers)."""
    array = np.asarray(data)
    return array.astype(_default_dtype) if array.dtype.kind in "biuf" else array


_PLAIN = (np.ndarray, np.generic, bool, int, float, type(None))  # passed to forwards as they are


_NO_INPUT_GRAD = "made by {} from inputs that do not require grad"
_UNDER_NO_GRAD = "made by {} under no_grad()"
_NO_GRADIENT = "made by {}, whose result carries no gradient"
_DETACHED = "made by {}"
_FROM_CUT = "made by {} from a value {}"  # the second {}: the cut it traces back to
_CUTS = (_UNDER_NO_GRAD, _DETACHED, _FROM_CUT)


_ONES: dict[tuple[np.dtype, Shape], np.ndarray] = {}


def _ones(dtype: np.dtype, shape: Shape) -> np.ndarray:
    """A read-only array of ones: the seed of backward on a one-element tensor, made once."""
    ones = _ONES.get((dtype, shape))
    if ones is None:
        ones = np.ones(shape, dtype)
        ones.flags.writeable = False  # backward copies it before handing it out as a .grad
        if len(_ONES) < 64:
            _ONES[(dtype, shape)] = ones
    return ones


def _operand(other: Any) -> Any:
    """The array or number an in-place method combines with: a Tensor's array, a number or
    an array as it is, a list as an array (so that alpha * [1, 2] scales, not repeats)."""
    if isinstance(other, Tensor):
        return other._value
    return other if isinstance(other, _PLAIN) else np.asarray(other)


def _tensors(args: tuple[Any, ...]) -> list[Any]:
    """The Tensors among an op's arguments, in place, None for the others."""
    return [a if isinstance(a, Tensor) else None for a in args]


def _cause_from(prim: Primitive, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Why the result of arguments that need no gradient needs none. An input cut from a
    graph (made under no_grad, or by detach) is named as the cause, however many ops back."""
    for t in args:
        cause = t._cause if isinstance(t, Tensor) else None
        if cause is not None and cause[0] in _CUTS:
            return (_FROM_CUT, prim.name, cause if len(cause) == 2 else cause[2])
    return (_NO_INPUT_GRAD, prim.name)


class Tensor:
    """An n-dimensional array (0-d for a scalar) that can record the ops made from it.

    The constructor copies its data, as torch.tensor does, so that a later change to the
    caller's array cannot change this tensor; autodiff.from_numpy(array) shares it instead.
    A list becomes floating values, as PyTorch's legacy torch.Tensor([1, 2]) does (numpy
    data keeps its dtype; autodiff.tensor([1, 2]) is int64).

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    Tensor([2., 4.])
    """

    __slots__ = (
        "_value",
        "_requires_grad",
        "grad",
        "name",
        "_node",
        "_version",
        "_hooks",
        "_retains_grad",
        "_cause",
        "__weakref__",
    )
    __array_ufunc__ = None  # numpy defers to our reflected operators: array * Tensor -> Tensor

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ):
        if not isinstance(requires_grad, (bool, np.bool_)):  # e.g. PyTorch's Tensor(2, 3)
            raise TypeError(
                f"Tensor: requires_grad={requires_grad!r}; expected True or False: Tensor(data) "
                f"takes values, not a shape (for zeros of a shape write autodiff.zeros(2, 3))"
            )
        if isinstance(data, Tensor):
            data = data._value
        elif dtype is None and isinstance(data, (list, tuple)):
            data = _legacy_values(data)
        elif type(data) is int:
            raise TypeError(
                f"Tensor: Tensor({data}) is PyTorch's uninitialised tensor of {data} elements, "
                f"not the value {data}; expected autodiff.tensor({data}) for a 0-d tensor, or "
                f"autodiff.zeros({data})"
            )
        array = _to_array(data, dtype)
        if array is data or array.base is not None:  # it may share the caller's memory
            array = array.copy()
        self._value = array
        self.grad: Tensor | None = None
        self.name = name
        self._node: tape.Node | None = None
        self._version = 0
        self._hooks: list[Callable] | None = None
        self._retains_grad = False
        self._cause: tuple[Any, ...] | None = None  # why it does not require grad
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A Tensor around `data` with no checks: the hot path of every op."""
        t = object.__new__(Tensor)
        t._value = data
        t._requires_grad = False
        t.grad = None
        t.name = None
        t._node = None
        t._version = 0
        t._hooks = None
        t._retains_grad = False
        t._cause = None
        return t

    @staticmethod
    def apply(prim: Primitive, *args: Any, **params: Any) -> Tensor:
        """Run `prim` on `args` (Tensors, arrays, numbers) and record it if any input needs it.

        Python numbers reach the forward as they are, so numpy treats them as it always
        does: `x * 2.0` stays float32 for a float32 x. Lists become arrays.
        """
        needs = 0  # bit i set: input i requires grad
        bit = 1
        constants = False  # whether an argument is not a Tensor
        datas = []
        for a in args:
            if isinstance(a, Tensor):
                datas.append(a._value)
                if a._requires_grad:
                    needs |= bit
            else:
                datas.append(a if isinstance(a, _PLAIN) else _to_array(a))
                constants = True
            bit <<= 1
        try:
            out, saved = prim.forward(*datas, **params)
        except ValueError as err:
            if not str(err).startswith("operands could not be broadcast"):
                raise
            shapes = " and ".join(str(np.shape(d)) for d in datas)
            raise ShapeError(
                f"{prim.name}: cannot broadcast shapes {shapes}; expected each pair of "
                f"trailing dims to be equal or 1"
            ) from None
        result = object.__new__(Tensor)  # Tensor._wrap(out), inlined: the hottest line
        result._value = out
        result.grad = None
        result.name = None
        result._version = 0
        result._hooks = None
        result._retains_grad = False
        if needs and prim.differentiable and tape.state.enabled:
            # the node keeps the forward's arguments only when some are not Tensors: the
            # inputs' arrays it finds through the inputs, one object less per op to collect
            if constants:
                node = tape.record(prim, params, _tensors(args), tuple(datas), needs, saved)
            else:
                node = tape.record(prim, params, args, tape.ARRAYS_OF_INPUTS, needs, saved)
            result._node = node
            result._requires_grad = True
            result._cause = None
        else:
            result._node = None
            result._requires_grad = False
            if not prim.differentiable:
                result._cause = (_NO_GRADIENT, prim.name)
            elif not needs:
                result._cause = _cause_from(prim, args)
            else:
                result._cause = (_UNDER_NO_GRAD, prim.name)
        return result

    # ----- properties ---------------------------------------------------------------------

    @property
    def shape(self) -> Shape:
        return self._value.shape

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> ElementCount:
        """The number of elements (numpy's x.size), callable as PyTorch's: x.size() is the
        shape, x.size(d) the size of dim d.
        """
        return ElementCount(self._value.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def data(self) -> Tensor:
        """The same values as a Tensor cut from the graph, as PyTorch's `.data`.

        It shares this tensor's memory, does not require grad and is not version-checked: an
        in-place change through it (`p.data -= lr * p.grad`) is not seen by the tape. Use
        `.numpy()` for the numpy array, `detach()` for a checked alias.
        """
        t = Tensor._wrap(self._value)
        t._cause = (_DETACHED, ".data")
        return t

    @data.setter
    def data(self, value: Any) -> None:
        """Replace the values (and possibly the shape and dtype), as PyTorch's `t.data = v`."""
        if isinstance(value, Tensor):
            value = value._value
        elif not isinstance(value, np.ndarray):
            raise TypeError(
                f"Tensor.data: cannot assign a {type(value).__name__}; expected a Tensor "
                f"(or a numpy array)"
            )
        self._value = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made; False for the results of recorded ops."""
        return self._node is None

    @property
    def op(self) -> str | None:
        """The name of the recorded op that made this tensor (None for a leaf)."""
        return self._node.prim.name if self._node is not None else None

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._value.size != 1:
            raise ShapeError(
                f"item: called on a Tensor of shape {self.shape}; expected exactly one element"
            )
        return self._value.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self._value

    def tolist(self) -> Any:
        return self._value.tolist()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        vjp = tape.state.recording_vjp
        if vjp is not None and self._requires_grad:
            raise GradientError(
                f"{vjp}: its VJP turned a recorded Tensor of shape {self.shape} into a numpy "
                f"array under create_graph, so higher derivatives through it would silently "
                f"be 0; expected the VJP to compute with operators, Tensor methods and "
                f"primitives (e.g. ad.exp(x), not np.exp(np.asarray(x)))"
            )
        return self._value if dtype is None else self._value.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self._value, separator=", ", prefix="Tensor(")
        extras = []
        if self.dtype not in (_default_dtype, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._node is not None:
            extras.append(f"op={self._node.label}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({', '.join([body, *extras])})"

    __hash__ = object.__hash__  # == is elementwise, so hash by identity

    # ----- gradient bookkeeping -------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded, so that a gradient can reach it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad: bool) -> None:
        self.requires_grad_(requires_grad)  # the same checks: only floating leaves

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether this leaf collects a gradient; returns self."""
        if requires_grad and self.dtype.kind != "f":
            kind = "complex derivatives are not supported" if self.dtype.kind == "c" else ""
            raise DTypeError(
                f"requires_grad: only floating tensors can require gradients, got "
                f"{self.dtype}{' (' + kind + ')' if kind else ''}; convert first, e.g. "
                f"Tensor(x, dtype=np.float32, requires_grad=True)"
            )
        if not requires_grad and self._node is not None:
            raise GradientError(
                "requires_grad_: cannot switch off gradients of a recorded result; use detach()"
            )
        self._requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same data (shared), cut from the graph."""
        t = Tensor._wrap(self._value)
        t._cause = (_DETACHED, "detach()")
        return t

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad after backward."""
        if not self.requires_grad:
            raise GradientError("retain_grad: called on a tensor that does not require grad")
        self._retains_grad = True
        if self._node is not None:
            self._node.watched = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call `hook(grad)` when the gradient w.r.t. this tensor is computed.

        The hook may return a Tensor to use instead. Returns a function that removes it.
        """
        if not self.requires_grad:
            raise GradientError("register_hook: called on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        if self._node is not None:
            self._node.watched = True

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)

        return remove

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool = False,
        create_graph: bool = False,
        retain_all_grads: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self), of self's shape; may be omitted for a scalar.
            retain_graph: keep the saved arrays so that backward can run through them again.
            create_graph: record the backward pass too, for gradients of gradients.
            retain_all_grads: keep the gradient of every intermediate value in its .grad.
        """
        self._backpropagate(
            gradient, "backward", retain_graph, create_graph, retain_all_grads=retain_all_grads
        )

    def _backpropagate(
        self,
        gradient: Any,
        op: str,
        retain_graph: bool,
        create_graph: bool,
        inputs: Sequence[Tensor] | None = None,
        retain_all_grads: bool = False,
    ) -> list[Any] | None:
        """The walk behind backward() and the functional transforms: seed it, set grad mode
        (recording only under create_graph), and run the tape; see tape.backward.
        """
        g = self._seed(gradient, op, create_graph)
        with tape.grad_mode(create_graph), np.errstate(all="ignore"):  # inf and NaN where the
            return tape.backward(  # math has them, without warnings
                self,
                g,
                retain_graph=retain_graph or create_graph,
                create_graph=create_graph,
                inputs=inputs,
                retain_all_grads=retain_all_grads,
                wrap=Tensor._wrap,
            )

    def _seed(self, gradient: Any, op: str, create_graph: bool) -> Any:
        """The gradient backward starts from: ones for a scalar, else `gradient` checked.

        An array for a plain backward; a Tensor under create_graph (the caller's own, if it
        requires grad, so that the result can be differentiated w.r.t. it).
        """
        if not self.requires_grad:
            raise GradientError(f"{op}: {self._why_no_grad()}")
        if gradient is None:
            if self._value.size != 1:
                raise GradientError(
                    f"{op}: called on a Tensor of shape {self.shape}; expected a scalar, "
                    f"or pass gradient= of shape {self.shape}"
                )
            g = _ones(self._value.dtype, self._value.shape)
        elif create_graph and isinstance(gradient, Tensor) and gradient.requires_grad:
            g = gradient
        else:
            g = np.array(gradient._value if isinstance(gradient, Tensor) else gradient, self.dtype)
        if g.shape != self.shape:
            raise ShapeError(
                f"{op}: gradient of shape {g.shape} for a Tensor of shape {self.shape}; "
                f"expected the same shape"
            )
        return Tensor(g) if create_graph and not isinstance(g, Tensor) else g

    def _why_no_grad(self) -> str:
        if self._cause is not None:
            template, op, *origin = self._cause
            if origin:
                (origin_template, origin_op) = origin[0]
                why = template.format(op, origin_template.format(origin_op))
            else:
                why = template.format(op)
        else:
            why = "a leaf created without requires_grad=True (e.g. from a numpy array or .data)"
        return (
            f"this Tensor of shape {self.shape} does not require grad: it was {why}, so no "
            f"chain of recorded ops leads back to a tensor that requires grad"
        )

    # ----- in-place methods (never recorded; the optimisers use them) ---------------------

    def _inplace(self, op: str) -> None:
        if self.requires_grad and tape.state.enabled:
            raise GradientError(
                f"{op}: in-place change of a Tensor that requires grad is not recorded; "
                f"wrap it in `with autodiff.no_grad():` (as optimisers do), or write x = x + ..."
            )
        self._version = tape.mark_inplace()
        if not isinstance(self._value, np.ndarray):  # a 0-d op result holds a numpy scalar,
            self._value = np.array(self._value)  # which cannot change in place: give it an array

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self += alpha * other, in place (in one pass over memory where BLAS can: axpy)."""
        self._inplace("add_")
        other = _operand(other)
        if alpha == 1:
            self._value += other
        else:
            axpy(alpha, other, self._value)
        return self

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self -= alpha * other, in place (in one pass over memory where BLAS can: axpy)."""
        self._inplace("sub_")
        other = _operand(other)
        if alpha == 1:
            self._value -= other
        else:
            axpy(-alpha, other, self._value)
        return self

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        self._inplace("mul_")
        self._value *= _operand(other)
        return self

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        self._inplace("zero_")
        self._value[...] = 0
        return self

    def copy_(self, source: Any) -> Tensor:
        """Copy `source`'s values into self, in place (shapes must broadcast to self's)."""
        self._inplace("copy_")
        source = source._value if isinstance(source, Tensor) else np.asarray(source)
        try:
            np.copyto(self._value, np.broadcast_to(source, self.shape), casting="same_kind")
        except ValueError:
            raise ShapeError(
                f"copy_: cannot copy a source of shape {source.shape} into a tensor of shape "
                f"{self.shape}"
            ) from None
        return self

    # ----- augmented assignment (x += y): in place where PyTorch would be ---------------------

    def _augmented(self, other: Any, op: str, method: Callable, ufunc: np.ufunc) -> Tensor:
        """x op= y as PyTorch does it: in place (same object, same array, version bumped) under
        no_grad or when no operand requires grad; an error on a leaf that requires grad (an
        update of a weight belongs under no_grad); otherwise recorded as x op y.
        """
        other_requires_grad = isinstance(other, Tensor) and other.requires_grad
        if tape.state.enabled and (self.requires_grad or other_requires_grad):
            if self.requires_grad and self._node is None:
                raise GradientError(
                    f"{op}: in-place update of a leaf Tensor of shape {self.shape} that requires "
                    f"grad; expected it under `with autodiff.no_grad():` (as an optimiser step "
                    f"is), or write x = x {op[0]} y for a new recorded tensor"
                )
            return method(other)
        self._inplace(op)
        value = other._value if isinstance(other, Tensor) else other
        try:
            ufunc(self._value, value, out=self._value)
        except TypeError as error:  # numpy's UFuncTypeError: the result cannot be stored
            stored = np.result_type(ufunc(self._value, value))
            raise DTypeError(
                f"{op}: cannot store the {stored} result in place in a {self.dtype} tensor; "
                f"expected a value of the tensor's kind, or write x = x {op[0]} y"
            ) from error
        except ValueError:
            raise ShapeError(
                f"{op}: cannot update a tensor of shape {self.shape} in place with a value of "
                f"shape {np.shape(value)}; expected a shape that broadcasts to {self.shape}"
            ) from None
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._augmented(other, "+=", self.__add__, np.add)

    def __isub__(self, other: Any) -> Tensor:
        return self._augmented(other, "-=", self.__sub__, np.subtract)

    def __imul__(self, other: Any) -> Tensor:
        return self._augmented(other, "*=", self.__mul__, np.multiply)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._augmented(other, "/=", self.__truediv__, np.true_divide)

    # ----- arithmetic (operands promoted as PyTorch does, see autodiff/promotion.py) --------

    def __add__(self, other: Any) -> Tensor:
        return _arithmetic(elementwise.add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _arithmetic(elementwise.add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _arithmetic(elementwise.sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _arithmetic(elementwise.sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _arithmetic(elementwise.mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _arithmetic(elementwise.mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.div, *promoted(self, other, true_divide=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.div, *promoted(other, self, true_divide=True))

    def __pow__(self, exponent: Any) -> Tensor:
        return Tensor.apply(elementwise.pow, *promoted(self, exponent))

    def __rpow__(self, base: Any) -> Tensor:
        base, exponent = promoted(base, self)
        if isinstance(base, (int, float)) and exponent.dtype.kind == "f":
            base = exponent.dtype.type(base)  # so that log(base) in the VJP keeps the dtype
        return Tensor.apply(elementwise.pow, base, exponent)

    def __neg__(self) -> Tensor:
        return Tensor.apply(elementwise.neg, self)

    def __abs__(self) -> Tensor:
        return self.abs()

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other: Any) -> Tensor:
        if not (isinstance(other, Tensor) and other._value.dtype == self._value.dtype):
            check_same_dtype("matmul", self, other)
        return Tensor.apply(linalg.matmul, self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        check_same_dtype("matmul", other, self)
        return Tensor.apply(linalg.matmul, other, self)

    def matmul(self, other: Any) -> Tensor:
        """self @ other; both must have one dtype (float32 @ float64 raises, as in PyTorch)."""
        return self @ other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor.apply(compare.equal, *promoted(self, other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor.apply(compare.not_equal, *promoted(self, other))

    def __lt__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.less, *promoted(self, other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.less_equal, *promoted(self, other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.greater, *promoted(self, other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.greater_equal, *promoted(self, other))

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    # ----- elementwise functions ------------------------------------------------------------

    def _floating(self) -> Tensor:
        """self, or its values in the default float dtype where it holds integers or booleans:
        PyTorch computes exp, log, std, ... of an integer tensor in float32, not numpy's float64.
        """
        return self if self._value.dtype.kind in "fc" else self.astype(_default_dtype)

    def exp(self) -> Tensor:
        return Tensor.apply(unary.exp, self._floating())

    def log(self) -> Tensor:
        return Tensor.apply(unary.log, self._floating())

    def sqrt(self) -> Tensor:
        return Tensor.apply(unary.sqrt, self._floating())

    def abs(self) -> Tensor:
        return Tensor.apply(unary.abs, self)

    def sin(self) -> Tensor:
        return Tensor.apply(unary.sin, self._floating())

    def cos(self) -> Tensor:
        return Tensor.apply(unary.cos, self._floating())

    def tanh(self) -> Tensor:
        return Tensor.apply(unary.tanh, self._floating())

    def sigmoid(self) -> Tensor:
        return Tensor.apply(unary.sigmoid, self._floating())

    def softplus(self) -> Tensor:
        return Tensor.apply(unary.softplus, self._floating())

    def log_sigmoid(self) -> Tensor:
        return Tensor.apply(unary.log_sigmoid, self._floating())

    def relu(self) -> Tensor:
        return Tensor.apply(unary.relu, self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return Tensor.apply(unary.leaky_relu, self, negative_slope=negative_slope)

    def erf(self) -> Tensor:
        return Tensor.apply(unary.erf, self._floating())

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Values limited to [min, max]; either bound may be None. An integer tensor with a
        float bound gives the default float dtype, as PyTorch promotes.
        """
        x = self
        if isinstance(min, float) or isinstance(max, float):
            x = self._floating()
        return Tensor.apply(elementwise.clip, x, low=min, high=max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.maximum, *promoted(self, other))

    def minimum(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.minimum, *promoted(self, other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """self where `condition`, else `other` (PyTorch's Tensor.where)."""
        return Tensor.apply(elementwise.where, condition, *promoted(self, other))

    # ----- dtype and device -----------------------------------------------------------------

    def astype(self, dtype: Any) -> Tensor:
        """The values converted to `dtype` (recorded, so gradients flow back)."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc":  # integers and booleans carry no gradient
            return Tensor.apply(compare.cast, self, dtype=dtype)
        return Tensor.apply(unary.astype, self, dtype=dtype)

    def to(self, *args: Any, dtype: Any = None, device: Any = None, **flags: Any) -> Tensor:
        """The tensor converted: to(dtype), to(device), to(device, dtype), to(other_tensor).

        Returns self when nothing changes, as PyTorch does. The only device is the CPU.
        """
        unknown = set(flags) - {"non_blocking", "copy"}
        if unknown:
            raise TypeError(f"to: unexpected keyword arguments {sorted(unknown)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif is_device(arg):
                device = arg
            else:
                dtype = arg
        if device is not None:
            Device(device)  # raises for anything but the CPU
        result = self if dtype is None else self.astype(dtype)
        if flags.get("copy") and result is self:
            return self.clone()
        return result

    def float(self) -> Tensor:
        """float32 values (recorded)."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """float64 values (recorded)."""
        return self.astype(np.float64)

    def half(self) -> Tensor:
        """float16 values (recorded)."""
        return self.astype(np.float16)

    def long(self) -> Tensor:
        """int64 values (no gradient)."""
        return self.astype(np.int64)

    def int(self) -> Tensor:
        """int32 values (no gradient)."""
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        """Boolean values (no gradient)."""
        return self.astype(np.bool_)

    def cpu(self) -> Tensor:
        """self: the values already live on the CPU."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Always an error: autodiff computes on the CPU only."""
        raise RuntimeError(
            "cuda: no GPU backend (autodiff.cuda.is_available() is False); expected .to('cpu')"
        )

    @property
    def device(self) -> Device:
        return Device("cpu")

    @property
    def is_cuda(self) -> bool:
        return False

    def clone(self) -> Tensor:
        """A copy of the values, recorded: gradients flow back to self."""
        if self.dtype.kind not in "fc":
            return Tensor._wrap(self._value.copy())
        return Tensor.apply(unary.astype, self, dtype=self.dtype)  # astype copies

    def contiguous(self) -> Tensor:
        """self (every tensor is laid out as numpy chooses)."""
        return self

    def numel(self) -> int:
        """The number of elements."""
        return self._value.size

    def dim(self) -> int:
        """The number of dims."""
        return self._value.ndim

    # ----- reductions: PyTorch's dim/keepdim, numpy's axis/keepdims, one meaning --------------

    def sum(
        self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        axis, keepdims = _dims("sum", dim, keepdim, axis, keepdims)
        return Tensor.apply(reduce.sum, self, axis=axis, keepdims=keepdims)

    def mean(
        self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """The sum divided by the number of elements summed."""
        axis, keepdims = _dims("mean", dim, keepdim, axis, keepdims)
        return self.sum(axis=axis, keepdims=keepdims) / self._count(axis)

    def var(
        self,
        dim: Axis = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: float | None = None,
        axis: Axis = None,
        keepdims: Any = None,
        ddof: float | None = None,
    ) -> Tensor:
        """Σ(x - mean)² / (n - correction): unbiased (correction=1) by default, as in PyTorch;
        unbiased=False, correction=0 or ddof=0 for the population variance.
        """
        axis, keepdims = _dims("var", dim, keepdim, axis, keepdims)
        correction = _correction(unbiased, correction, ddof)
        deviation = self - self.mean(axis=axis, keepdims=True)
        squares = (deviation * deviation).sum(axis=axis, keepdims=keepdims)
        return squares / (self._count(axis) - correction)

    def std(
        self,
        dim: Axis = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: float | None = None,
        axis: Axis = None,
        keepdims: Any = None,
        ddof: float | None = None,
    ) -> Tensor:
        """Square root of var, unbiased by default as in PyTorch (one primitive: its gradient
        is 0 where all values are equal).
        """
        axis, keepdims = _dims("std", dim, keepdim, axis, keepdims)
        correction = _correction(unbiased, correction, ddof)
        return Tensor.apply(
            reduce.std, self._floating(), axis=axis, keepdims=keepdims, ddof=correction
        )

    def _count(self, axis: Axis) -> int:
        count = 1
        for a in normalize_axes(axis, self.ndim, "mean"):
            count *= self.shape[a]
        return count

    def max(
        self, dim: Any = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Any:
        """max() is the largest value (0-d); max(dim) is (values, indices) along dim, as in
        PyTorch; max(other_tensor) is the elementwise maximum. amax reduces several dims.
        """
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme("max", dim, keepdim, axis, keepdims)

    def min(
        self, dim: Any = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Any:
        """min() is the smallest value (0-d); min(dim) is (values, indices) along dim, as in
        PyTorch; min(other_tensor) is the elementwise minimum. amin reduces several dims.
        """
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme("min", dim, keepdim, axis, keepdims)

    def _extreme(self, op: str, dim: Any, keepdim: bool, axis: Axis, keepdims: Any) -> Any:
        axis, keepdims = _dims(op, dim, keepdim, axis, keepdims)
        if axis is None:
            return Tensor.apply(reduce.max if op == "max" else reduce.min, self)
        if not isinstance(axis, (int, np.integer)):
            raise ShapeError(
                f"{op}: dim {axis!r}; expected one integer dim (amax/amin reduce several)"
            )
        x = self.reshape(1) if self.ndim == 0 else self
        axis = normalize_axes(axis, x.ndim, op)[0]
        pick = compare.argmax if op == "max" else compare.argmin
        indices = pick.forward(x._value, axis=axis, keepdims=True)[0]
        values = x.take_along_axis(indices, axis)  # the gradient goes to that one element
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), Tensor._wrap(indices.reshape(())))
        if not keepdims:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return ValuesIndices(values, Tensor._wrap(indices))

    def amax(
        self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """The largest values over `dim` (one or several dims); ties share the gradient."""
        axis, keepdims = _dims("amax", dim, keepdim, axis, keepdims)
        return Tensor.apply(reduce.max, self, axis=axis, keepdims=keepdims)

    def amin(
        self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """The smallest values over `dim` (one or several dims); ties share the gradient."""
        axis, keepdims = _dims("amin", dim, keepdim, axis, keepdims)
        return Tensor.apply(reduce.min, self, axis=axis, keepdims=keepdims)

    def prod(
        self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """The product over `dim` (all elements if None), by halving: log₂(n) recorded
        multiplications, so the gradient is exact even where elements are 0.
        """
        axis, keepdims = _dims("prod", dim, keepdim, axis, keepdims)
        if axis is None:
            x, axis = self.reshape(-1), 0
            keepdims = False
        else:
            x = self
            axis = normalize_axes(axis, self.ndim, "prod")
            if len(axis) != 1:
                raise ShapeError(f"prod: dim {dim!r}; expected one integer dim")
            axis = axis[0]
        lead = (slice(None),) * axis
        if x.shape[axis] == 0:
            return Tensor._wrap(np.prod(x._value, axis=axis, keepdims=keepdims))
        while x.shape[axis] > 1:
            half = x.shape[axis] // 2
            pairs = x[(*lead, slice(0, half))] * x[(*lead, slice(half, 2 * half))]
            if x.shape[axis] % 2:
                pairs = Tensor.apply(
                    shape_ops.concatenate, pairs, x[(*lead, slice(-1, None))], axis=axis
                )
            x = pairs
        return x if keepdims else x.squeeze(axis)

    def norm(
        self,
        p: float | str = 2,
        dim: Axis = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: Any = None,
    ) -> Tensor:
        """The p-norm over `dim` (all elements if None): (Σ|x|^p)^(1/p); p may be inf or 'fro'.

        At a zero vector the gradient is 0, as in PyTorch (the root's derivative is infinite
        there, times an inner gradient of 0).
        """
        axis, keepdims = _dims("norm", dim, keepdim, axis, keepdims)
        if p == "fro":
            p = 2
        if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
            raise ValueError(f"norm: p={p!r}; expected a positive number, inf or 'fro'")
        magnitude = self.abs()
        if p == np.inf:
            return magnitude.amax(axis=axis, keepdims=keepdims)
        if p == 1:
            return magnitude.sum(axis=axis, keepdims=keepdims)
        # Divided by the largest |x| first, so that powers of 1e-200 or 1e200 neither underflow
        # nor overflow; the norm is homogeneous, so with that scale held constant every
        # derivative is unchanged.
        peak = np.abs(self._value).max(axis=axis, keepdims=True, initial=0)
        scale = np.where((peak > 0) & np.isfinite(peak), peak, 1).astype(self.dtype)
        scaled = self / scale
        power = scaled * scaled if p == 2 else scaled.abs() ** p
        total = power.sum(axis=axis, keepdims=keepdims)
        zero = total._value == 0  # shifted to 1 and back, so that the root stays differentiable
        root = (total + zero).sqrt() if p == 2 else (total + zero) ** (1.0 / p)
        return (root - zero) * scale.reshape(total.shape)

    def logsumexp(
        self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        axis, keepdims = _dims("logsumexp", dim, keepdim, axis, keepdims)
        return Tensor.apply(reduce.logsumexp, self._floating(), axis=axis, keepdims=keepdims)

    def softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        """e**x / Σ e**x along `dim` (`axis` is numpy's spelling of it)."""
        axis = dim if axis is None else axis
        return Tensor.apply(reduce.softmax, self._floating(), axis=axis)

    def log_softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        """x - logsumexp(x) along `dim` (`axis` is numpy's spelling of it)."""
        axis = dim if axis is None else axis
        return Tensor.apply(reduce.log_softmax, self._floating(), axis=axis)

    def argmax(
        self,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        axis: int | None = None,
        keepdims: Any = None,
    ) -> Tensor:
        """Index of the largest value along `dim` (of the flattened tensor if None)."""
        axis, keepdims = _dims("argmax", dim, keepdim, axis, keepdims)
        return Tensor.apply(compare.argmax, self, axis=axis, keepdims=keepdims)

    def argmin(
        self,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        axis: int | None = None,
        keepdims: Any = None,
    ) -> Tensor:
        """Index of the smallest value along `dim` (of the flattened tensor if None)."""
        axis, keepdims = _dims("argmin", dim, keepdim, axis, keepdims)
        return Tensor.apply(compare.argmin, self, axis=axis, keepdims=keepdims)

    # ----- shape ----------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape: x.reshape(2, 3) or x.reshape((2, 3))."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return Tensor.apply(shape_ops.reshape, self, shape=shape)

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for reshape (the result may or may not share memory, as numpy's)."""
        return self.reshape(*shape)

    def view_as(self, other: Tensor) -> Tensor:
        """The values in other's shape."""
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """The values in other's shape."""
        return self.reshape(other.shape)

    def transpose(self, *dims: Any) -> Tensor:
        """x.transpose(d0, d1) swaps two dims, as in PyTorch. numpy's spellings that cannot
        be mistaken for it also work: x.transpose() reverses the dims, and x.transpose(axes)
        with one sequence permutes them (as permute does).
        """
        if len(dims) == 2:
            axes = list(range(self.ndim))
            d0, d1 = (normalize_axes(d, self.ndim, "transpose")[0] for d in dims)
            axes[d0], axes[d1] = axes[d1], axes[d0]
            return Tensor.apply(shape_ops.transpose, self, axes=tuple(axes))
        if not dims or (len(dims) == 1 and dims[0] is None):
            return Tensor.apply(shape_ops.transpose, self, axes=None)
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            return Tensor.apply(shape_ops.transpose, self, axes=tuple(dims[0]))
        raise TypeError(
            f"transpose: got dims {dims}; expected two dims to swap, as PyTorch's "
            f"x.transpose(0, 1), or x.permute(...) to reorder them all"
        )

    def permute(self, *dims: Any) -> Tensor:
        """The dims reordered: x.permute(2, 0, 1) or x.permute((2, 0, 1))."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return Tensor.apply(shape_ops.transpose, self, axes=tuple(dims))

    @property
    def T(self) -> Tensor:
        """The tensor with its dims reversed."""
        return Tensor.apply(shape_ops.transpose, self, axes=None)

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two dims swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return self.transpose(axis1, axis2)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dims start_dim..end_dim merged into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = (normalize_axes(d, self.ndim, "flatten")[0] for d in (start_dim, end_dim))
        return self.reshape(*self.shape[:start], -1, *self.shape[end + 1 :])

    def squeeze(self, dim: Axis = None) -> Tensor:
        """Size-1 dims removed: all of them, or those in `dim`; as in PyTorch, a dim in `dim`
        whose size is not 1 stays (autodiff.numpy.squeeze raises there, as numpy does).
        """
        axes = range(self.ndim) if dim is None else normalize_axes(dim, self.ndim, "squeeze")
        kept = tuple(n for i, n in enumerate(self.shape) if i not in axes or n != 1)
        return self if kept == self.shape else self.reshape(kept)

    def unsqueeze(self, dim: int) -> Tensor:
        """A size-1 dim inserted at `dim`."""
        dim = normalize_axes(dim, self.ndim + 1, "unsqueeze")[0]
        return self.reshape(*self.shape[:dim], 1, *self.shape[dim:])

    def broadcast_to(self, shape: Shape) -> Tensor:
        return Tensor.apply(shape_ops.broadcast_to, self, shape=tuple(shape))

    def expand_as(self, other: Tensor) -> Tensor:
        """The values broadcast to other's shape."""
        return self.broadcast_to(other.shape)

    def split(
        self, split_size_or_sections: int | Sequence[int], dim: int = 0, *, axis: Any = None
    ) -> list[Tensor]:
        """Pieces along `dim`, as PyTorch: an int is the size of each piece (the last may be
        smaller), a list the sizes of the pieces (summing to the dim's size).
        (autodiff.numpy.split has numpy's meaning: a number of parts, or cut indices.)
        """
        dim = normalize_axes(dim if axis is None else axis, self.ndim, "split")[0]
        length = self.shape[dim]
        if isinstance(split_size_or_sections, (int, np.integer)):
            size = int(split_size_or_sections)
            if size <= 0:
                raise ShapeError(f"split: split_size={size}; expected a positive integer")
            sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
        else:
            sizes = [int(n) for n in split_size_or_sections]
            if sum(sizes) != length or min(sizes, default=0) < 0:
                raise ShapeError(
                    f"split: sizes {sizes} for dim {dim} of size {length}; expected "
                    f"non-negative sizes that sum to {length}"
                )
        return self.split_at(np.cumsum(sizes)[:-1].tolist(), dim)

    def split_at(self, indices: Sequence[int], axis: int) -> list[Tensor]:
        """Pieces along `axis` cut before each of `indices` (numpy's array_split cuts)."""
        axis = normalize_axes(axis, self.ndim, "split")[0]
        cuts = [0, *indices, self.shape[axis]]
        lead = (slice(None),) * axis
        return [self[(*lead, slice(a, b))] for a, b in zip(cuts[:-1], cuts[1:])]

    def take_along_axis(self, indices: Any, axis: int) -> Tensor:
        """Values picked along `axis` by integer `indices` (numpy's take_along_axis)."""
        indices = indices._value if isinstance(indices, Tensor) else np.asarray(indices)
        return self[shape_ops.along_axis_index(self.shape, indices, axis)]

    def gather(self, dim: int, index: Any) -> Tensor:
        """PyTorch's name for take_along_axis (argument order as torch.gather)."""
        return self.take_along_axis(index, dim)

    def __getitem__(self, index: Any) -> Tensor:
        return Tensor.apply(shape_ops.getitem, self, index=_index(index))

    # ----- PyTorch's names for the programs written after MNIST -----------------------------

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its value (f"{loss:.4f}"), as in PyTorch; others as repr."""
        if self.ndim == 0:
            return format(self._value.item(), spec)
        return object.__format__(self, spec)

    def __index__(self) -> int:
        """A one-element integer tensor as an index or slice bound (x[:n], range(n))."""
        if self.dtype.kind not in "iu" or self._value.size != 1:
            raise TypeError(
                f"__index__: a Tensor of shape {self.shape} and dtype {self.dtype}; only "
                f"integer tensors of a single element can be converted to an index"
            )
        return int(self._value.item())

    def nelement(self) -> int:
        """The number of elements (PyTorch's older name of numel)."""
        return self._value.size

    def log10(self) -> Tensor:
        return Tensor.apply(unary.log10, self._floating())

    def log2(self) -> Tensor:
        return Tensor.apply(unary.log2, self._floating())

    def log1p(self) -> Tensor:
        return Tensor.apply(unary.log1p, self._floating())

    def expm1(self) -> Tensor:
        return Tensor.apply(unary.expm1, self._floating())

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where `mask` is True, else self; mask broadcasts to self's shape."""
        mask = _mask("masked_fill", mask, self.shape)
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ShapeError(
                    f"masked_fill: value of shape {value.shape}; expected a number or a 0-d tensor"
                )
            value = value.astype(self.dtype) if value.dtype.kind in "fc" else value._value
        return Tensor.apply(elementwise.where, mask, value, self)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """masked_fill in place (recorded where a gradient needs it, as in PyTorch)."""
        mask = _mask("masked_fill_", mask, self.shape)
        if self._records(value):
            if isinstance(value, Tensor) and value.ndim != 0:
                raise ShapeError(
                    f"masked_fill_: value of shape {value.shape}; expected a number or a 0-d tensor"
                )
            self[np.broadcast_to(mask, self.shape)] = value
            return self
        self._inplace("masked_fill_")
        np.copyto(self._value, _operand(value), where=mask, casting="unsafe")
        return self

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims (j <= i + diagonal), zeros elsewhere."""
        return self._triangle("tril", diagonal, lower=True)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims (j >= i + diagonal), zeros elsewhere."""
        return self._triangle("triu", diagonal, lower=False)

    def _triangle(self, op: str, diagonal: int, lower: bool) -> Tensor:
        if self.ndim < 2:
            raise ShapeError(f"{op}: input of shape {self.shape}; expected at least 2 dims")
        rows, cols = self.shape[-2:]
        keep = np.tri(rows, cols, diagonal, dtype=bool)
        if not lower:
            keep = ~np.tri(rows, cols, diagonal - 1, dtype=bool)
        return Tensor.apply(elementwise.where, keep, self, self.dtype.type(0))

    def mm(self, mat2: Any) -> Tensor:
        """The matrix product of two 2-D tensors (no broadcasting, unlike matmul)."""
        _check_ranks("mm", (self, mat2), (2, 2))
        return self @ mat2

    def t(self) -> Tensor:
        """A 2-D tensor transposed; 0-d and 1-d tensors are returned as they are."""
        if self.ndim > 2:
            raise ShapeError(
                f"t: input of shape {self.shape}; expected at most 2 dims (for more, write "
                f"x.transpose(d0, d1) or x.mT)"
            )
        return self if self.ndim < 2 else self.transpose(0, 1)

    def expand(self, *sizes: Any) -> Tensor:
        """The values broadcast to `sizes` (-1 keeps a dim); new dims go in front."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(
                f"expand: sizes {tuple(sizes)} for a tensor of shape {self.shape}; expected at "
                f"least {self.ndim} sizes"
            )
        shape = []
        for i, n in enumerate(sizes):
            if n == -1:
                if i < lead:
                    raise ShapeError(f"expand: size -1 for the new leading dim {i}")
                n = self.shape[i - lead]
            shape.append(int(n))
        return self.broadcast_to(tuple(shape))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The `length` elements of dim `dim` from `start` on (a slice)."""
        dim = normalize_axes(dim, self.ndim, "narrow")[0]
        size = self.shape[dim]
        start = int(start)
        if start < 0:
            start += size
        if not 0 <= start <= size or length < 0 or start + length > size:
            raise IndexError(
                f"narrow: start {start} and length {length} in dim {dim} of size {size}; "
                f"expected 0 <= start and start + length <= {size}"
            )
        return self[(slice(None),) * dim + (slice(start, start + int(length)),)]

    def all(self, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
        """Whether every element (along `dim`) is non-zero: a bool tensor."""
        axis, keepdims = _dims("all", dim, keepdim, spelling.get("axis"), spelling.get("keepdims"))
        return Tensor._wrap(np.all(self._value, axis=axis, keepdims=keepdims))

    def any(self, dim: Axis = None, keepdim: bool = False, **spelling: Any) -> Tensor:
        """Whether some element (along `dim`) is non-zero: a bool tensor."""
        axis, keepdims = _dims("any", dim, keepdim, spelling.get("axis"), spelling.get("keepdims"))
        return Tensor._wrap(np.any(self._value, axis=axis, keepdims=keepdims))

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """Whether |self - other| <= atol + rtol·|other| everywhere (shapes broadcast)."""
        other = other._value if isinstance(other, Tensor) else other
        return bool(np.allclose(self._value, other, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def topk(
        self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
    ) -> ValuesIndices:
        """The k largest (or smallest) values along `dim` and their indices; the gradient
        goes to the elements picked.
        """
        x = self.reshape(1) if self.ndim == 0 else self
        axis = normalize_axes(dim, x.ndim, "topk")[0]
        if not 0 <= k <= x.shape[axis]:
            raise IndexError(
                f"topk: k={k} for dim {axis} of size {x.shape[axis]}; expected 0 <= k <= "
                f"{x.shape[axis]}"
            )
        keys = -x._value if largest else x._value
        # a stable sort: equal values keep their order, and NaN counts as the largest
        order = np.argsort(keys, axis=axis, kind="stable")
        if largest:
            nan_first = np.argsort(
                ~np.isnan(np.take_along_axis(x._value, order, axis)), axis=axis, kind="stable"
            )
            order = np.take_along_axis(order, nan_first, axis)
        indices = np.take(order, np.arange(k), axis=axis)
        values = x.take_along_axis(indices, axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), Tensor._wrap(indices.reshape(())))
        return ValuesIndices(values, Tensor._wrap(indices.astype(np.int64)))

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """The elements shifted by `shifts` along `dims`, those pushed off one end coming back
        at the other; without dims the flattened tensor is rolled and reshaped back.
        """
        if dims is None:
            if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
                raise ShapeError(f"roll: shifts {shifts} without dims; expected one shift")
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise ShapeError(
                f"roll: {len(shifts)} shifts for {len(dims)} dims; expected one shift per dim"
            )
        x = self
        for shift, dim in zip(shifts, dims):
            dim = normalize_axes(dim, x.ndim, "roll")[0]
            n = x.shape[dim]
            if n:
                source = (np.arange(n) - int(shift)) % n
                x = x[(slice(None),) * dim + (source,)]
        return x

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of `size` in self's dtype (unless given)."""
        return self._new(np.zeros, size, dtype, requires_grad, "new_zeros")

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of `size` in self's dtype (unless given)."""
        return self._new(np.ones, size, dtype, requires_grad, "new_ones")

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A tensor of `size` in self's dtype (unless given); zeros here, as numpy's empty
        would leave whatever memory held."""
        return self._new(np.zeros, size, dtype, requires_grad, "new_empty")

    def new_full(
        self, size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """A tensor of `size` filled with `fill_value`, in self's dtype (unless given)."""
        full = self._new(np.zeros, (size,), dtype, False, "new_full")
        full._value[...] = fill_value
        return full.requires_grad_(requires_grad)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A copy of `data` in self's dtype (unless given)."""
        data = data._value if isinstance(data, Tensor) else data
        return Tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def _new(self, make: Callable, size: Any, dtype: Any, requires_grad: bool, op: str) -> Tensor:
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in size):
            raise ShapeError(f"{op}: size {tuple(size)}; expected non-negative integers")
        data = make(tuple(int(n) for n in size), self.dtype if dtype is None else np.dtype(dtype))
        return Tensor._wrap(data).requires_grad_(requires_grad)

    def type(self, dtype: Any = None) -> Any:
        """Without dtype PyTorch's type name ('torch.FloatTensor'); with one, the values
        converted (as x.to(dtype)); a name such as 'torch.LongTensor' works too."""
        if dtype is None:
            return f"torch.{_TYPE_NAMES.get(self.dtype, str(self.dtype))}"
        if isinstance(dtype, str):
            names = {f"torch.{name}": key for key, name in _TYPE_NAMES.items()}
            if dtype not in names:
                raise TypeError(f"type: unknown type {dtype!r}; expected e.g. 'torch.FloatTensor'")
            dtype = names[dtype]
        return self.astype(dtype)

    def type_as(self, other: Any) -> Tensor:
        """The values in other's dtype."""
        return self.astype(other.dtype)

    def isnan(self) -> Tensor:
        return Tensor._wrap(np.isnan(self._value))

    def isinf(self) -> Tensor:
        return Tensor._wrap(np.isinf(self._value))

    def isfinite(self) -> Tensor:
        return Tensor._wrap(np.isfinite(self._value))

    def logical_not(self) -> Tensor:
        return Tensor._wrap(np.logical_not(self._value))

    def logical_and(self, other: Any) -> Tensor:
        return Tensor._wrap(np.logical_and(self._value, _operand(other)))

    def logical_or(self, other: Any) -> Tensor:
        return Tensor._wrap(np.logical_or(self._value, _operand(other)))

    def logical_xor(self, other: Any) -> Tensor:
        return Tensor._wrap(np.logical_xor(self._value, _operand(other)))

    def __mod__(self, other: Any) -> Tensor:
        """The remainder with the divisor's sign (Python's and PyTorch's %): a - b·floor(a/b),
        whose gradient is 1 for a and -floor(a/b) for b."""
        a, b = promoted(self, other)
        if a.dtype.kind not in "fc":
            return Tensor._wrap(np.remainder(_operand(a), _operand(b)))
        return a - b * Tensor._wrap(np.floor(_operand(a) / _operand(b)))

    def __rmod__(self, other: Any) -> Tensor:
        return Tensor._wrap(np.asarray(other)).__mod__(self)

    def __floordiv__(self, other: Any) -> Tensor:
        """floor(a / b), as Python's and PyTorch's //: no gradient (it is flat a.e.)."""
        a, b = promoted(self, other)
        return Tensor._wrap(np.floor_divide(_operand(a), _operand(b)))

    def __rfloordiv__(self, other: Any) -> Tensor:
        b, a = promoted(self, other)
        return Tensor._wrap(np.floor_divide(_operand(a), _operand(b)))

    remainder = __mod__
    floor_divide = __floordiv__

    def flip(self, *dims: Any) -> Tensor:
        """The elements in reverse order along each of `dims`."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        index = [slice(None)] * self.ndim
        for d in normalize_axes(dims, self.ndim, "flip"):
            index[d] = slice(None, None, -1)
        return self[tuple(index)]

    def cumsum(self, dim: int, *, axis: Any = None, dtype: Any = None) -> Tensor:
        """Running sums along `dim`."""
        x = self if dtype is None else self.astype(dtype)
        if x.dtype.kind == "b":
            x = x.astype(np.int64)  # PyTorch counts booleans in int64
        dim = normalize_axes(dim if axis is None else axis, max(x.ndim, 1), "cumsum")[0]
        return Tensor.apply(reduce.cumsum, x, axis=dim)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Running products along `dim` (recorded as one multiplication per element, so the
        gradient is exact where elements are 0)."""
        x = self if dtype is None else self.astype(dtype)
        if x.ndim == 0:
            return x * 1
        dim = normalize_axes(dim, x.ndim, "cumprod")[0]
        lead = (slice(None),) * dim
        running = x[(*lead, slice(0, 1))]
        pieces = [running]
        for i in range(1, x.shape[dim]):
            running = running * x[(*lead, slice(i, i + 1))]
            pieces.append(running)
        return Tensor.apply(shape_ops.concatenate, *pieces, axis=dim)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
        """(values, indices) sorted along `dim`; equal values keep their order."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = normalize_axes(dim, x.ndim, "sort")[0]
        indices = self._order(x, axis, descending)
        values = x.take_along_axis(indices, axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), Tensor._wrap(indices.reshape(())))
        return ValuesIndices(values, Tensor._wrap(indices))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort the elements along `dim`."""
        return self.sort(dim, descending, stable).indices

    @staticmethod
    def _order(x: Tensor, axis: int, descending: bool) -> np.ndarray:
        """Stable sorting indices along axis; NaN counts as the largest value, as PyTorch."""
        keys = x._value
        if descending:  # stable on the reversed axis, mapped back, keeps ties in order
            flipped = np.flip(keys, axis)
            order = np.argsort(flipped, axis=axis, kind="stable")
            order = x.shape[axis] - 1 - np.flip(order, axis)
            return order.astype(np.int64)
        return np.argsort(keys, axis=axis, kind="stable").astype(np.int64)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices at `index` (a 1-D integer tensor) along `dim`."""
        index = np.asarray(_operand(index))
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise ShapeError(
                f"index_select: index of shape {index.shape} and dtype {index.dtype}; expected "
                f"a 1-D integer tensor"
            )
        dim = normalize_axes(dim, max(self.ndim, 1), "index_select")[0]
        return self[(slice(None),) * dim + (index.reshape(-1),)]

    def repeat(self, *sizes: Any) -> Tensor:
        """The tensor tiled: repeat(2, 3) stacks 2 copies along dim 0 and 3 along dim 1
        (numpy's tile); extra leading sizes add dims."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if len(sizes) < self.ndim:
            raise ShapeError(
                f"repeat: {len(sizes)} sizes for a tensor of shape {self.shape}; expected at "
                f"least {self.ndim}"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + tuple(self.shape))
        for d, count in enumerate(sizes):
            if count != 1:
                shape = x.shape
                x = x.unsqueeze(d).broadcast_to((*shape[:d], int(count), *shape[d:]))
                x = x.reshape(*shape[:d], int(count) * shape[d], *shape[d + 1 :])
        return x

    def chunk(self, chunks: int, dim: int = 0) -> list[Tensor]:
        """At most `chunks` pieces along `dim`, each of ceil(size / chunks) (the last smaller)."""
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
            raise ValueError(f"chunk: chunks={chunks!r}; expected a positive integer")
        dim = normalize_axes(dim, self.ndim, "chunk")[0]
        size = -(-self.shape[dim] // int(chunks)) or 1
        return self.split(size, dim)

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix products of (b, n, m) and (b, m, p) tensors."""
        _check_ranks("bmm", (self, mat2), (3, 3))
        if self.shape[0] != np.shape(_operand(mat2))[0]:
            raise ShapeError(
                f"bmm: batches of {self.shape[0]} and {np.shape(_operand(mat2))[0]}; expected "
                f"equal batch sizes"
            )
        return self @ mat2

    def outer(self, vec2: Any) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = self[i]·vec2[j]."""
        _check_ranks("outer", (self, vec2), (1, 1))
        other = vec2 if isinstance(vec2, Tensor) else Tensor(vec2)
        return self.reshape(-1, 1) * other.reshape(1, -1)

    def diag(self, diagonal: int = 0) -> Tensor:
        """A 1-D tensor on a diagonal of a square matrix, or a 2-D tensor's diagonal."""
        if self.ndim == 1:
            n = self.shape[0] + abs(diagonal)
            rows = np.arange(self.shape[0]) + max(-diagonal, 0)
            zeros = np.zeros((n, n), self.dtype)
            return Tensor.apply(shape_ops.index_put, zeros, self, index=(rows, rows + diagonal))
        if self.ndim == 2:
            rows = np.arange(self.shape[0])
            cols = rows + diagonal
            keep = (cols >= 0) & (cols < self.shape[1])
            return self[rows[keep], cols[keep]]
        raise ShapeError(f"diag: input of shape {self.shape}; expected 1 or 2 dims")

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values
        unless given); the gradient flows where the values are finite."""
        if self.dtype.kind not in "fc":
            return self
        info = np.finfo(self.dtype)
        values = self._value
        out = self
        for mask, value in (
            (np.isnan(values), nan),
            (np.isposinf(values), info.max if posinf is None else posinf),
            (np.isneginf(values), info.min if neginf is None else neginf),
        ):
            if mask.any():
                out = Tensor.apply(elementwise.where, mask, self.dtype.type(value), out)
        return out

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each value 0, 1, 2, ... occurs in a 1-D non-negative integer tensor (or
        the sums of `weights` there); no gradient."""
        values = self._value
        if values.ndim != 1 or values.dtype.kind not in "iu" or (values < 0).any():
            raise ShapeError(
                f"bincount: input of shape {self.shape} and dtype {self.dtype}; expected a 1-D "
                f"tensor of non-negative integers"
            )
        w = None if weights is None else np.asarray(_operand(weights))
        counts = np.bincount(values, weights=w, minlength=minlength)
        if w is None:
            return Tensor._wrap(counts.astype(np.int64))
        return Tensor._wrap(counts.astype(w.dtype if w.dtype.kind == "f" else np.float64))

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ) -> Any:
        """The distinct values, sorted (of the flattened tensor, or the distinct slices along
        `dim`); with return_inverse and return_counts, also where each element went and how
        often each value occurs."""
        found = np.unique(self._value, return_inverse=True, return_counts=True, axis=dim)
        values, inverse, counts = found
        if dim is None:
            inverse = inverse.reshape(self.shape)
        extras = []
        if return_inverse:
            extras.append(Tensor._wrap(inverse.astype(np.int64)))
        if return_counts:
            extras.append(Tensor._wrap(counts.astype(np.int64)))
        return (Tensor._wrap(values), *extras) if extras else Tensor._wrap(values)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
        """Counts of the values in `bins` equal bins from min to max (the data's range when
        both are 0); values outside are left out. No gradient."""
        values = self._value
        low, high = (float(values.min()), float(values.max())) if min == max == 0 else (min, max)
        if low == high:
            low, high = low - 1, high + 1
        counts, _ = np.histogram(values, bins=bins, range=(low, high))
        return Tensor._wrap(counts.astype(self.dtype if self.dtype.kind == "f" else np.float32))

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """clamp in place (recorded where a gradient needs it, as in PyTorch)."""
        if self._records():
            self[...] = self.clamp(min, max)
            return self
        self._inplace("clamp_")
        np.clip(self._value, min, max, out=self._value)
        return self

    clip_ = clamp_

    def fill_(self, value: Any) -> Tensor:
        """Every element set to `value`, in place."""
        if self._records(value):
            self[...] = value
            return self
        self._inplace("fill_")
        self._value[...] = _operand(value)
        return self

    # ----- item assignment and recorded in-place ops ------------------------------------------

    def __setitem__(self, index: Any, value: Any) -> None:
        """x[index] = value, in place. Where a gradient needs it (x or value requires grad,
        grad mode on) it is recorded as PyTorch's index_put, so gradients flow to the values
        x held elsewhere and to `value`; else it writes the array.
        """
        index = _index(index)
        if self._records(value):
            if isinstance(value, Tensor) and value.dtype != self.dtype:
                value = value.astype(self.dtype)
            old = self._snapshot()
            result = Tensor.apply(shape_ops.index_put, old, value, index=index)
            self._record_inplace("__setitem__", old, result)
            return
        self._inplace("__setitem__")
        value = _operand(value)
        try:
            self._value[index] = value
        except IndexError as err:
            raise IndexError(
                f"__setitem__: index {index!r} on a tensor of shape {self.shape}: {err}"
            ) from None
        except ValueError:
            raise ShapeError(
                f"__setitem__: cannot assign a value of shape {np.shape(value)} to x[{index!r}] "
                f"of shape {np.shape(self._value[index])}; expected a shape that broadcasts to it"
            ) from None

    def _records(self, *others: Any) -> bool:
        """Whether an in-place op on self with `others` must be recorded."""
        if not tape.state.enabled:
            return False
        return self._requires_grad or any(
            isinstance(o, Tensor) and o._requires_grad for o in others
        )

    def _snapshot(self) -> Tensor:
        """A Tensor standing for self's value before an in-place op: the recorded op's input."""
        if self._requires_grad and self._node is None:
            raise GradientError(
                f"in-place change of a leaf Tensor of shape {self.shape} that requires grad; "
                f"expected it under `with autodiff.no_grad():` (as an optimiser step is), or a "
                f"new tensor (x = x.clone(); then change x)"
            )
        old = Tensor._wrap(np.array(self._value))  # a copy: a VJP may read the old values
        old._node, old._requires_grad, old._cause = self._node, self._requires_grad, self._cause
        old.name, old._version = self.name, self._version
        return old

    def _record_inplace(self, op: str, old: Tensor, result: Tensor) -> Tensor:
        """Make self hold `result`, recorded from `old` (a copy of self's values) as the op's
        input 0, in place: its array keeps its identity (views of it see the change) and its
        version moves on, so a backward through an earlier op that read self refuses to run;
        an earlier op that used self without reading it sends its gradient to `old`'s node
        (see tape._earlier).
        """
        if not isinstance(self._value, np.ndarray):
            self._value = np.array(self._value)
        try:
            np.copyto(self._value, result._value)
        except ValueError:
            raise ShapeError(
                f"{op}: cannot write a result of shape {result.shape} into a tensor of "
                f"shape {self.shape} in place (it may be a broadcast view: clone() it first)"
            ) from None
        self._version = tape.mark_inplace()
        self._node, self._requires_grad, self._cause = result._node, True, None
        return self


class ValuesIndices(NamedTuple):
    """What max(dim) and min(dim) return: the values and where they are (PyTorch's fields)."""

    values: Tensor
    indices: Tensor


_TYPE_NAMES = {
    np.dtype(np.float32): "FloatTensor",
    np.dtype(np.float64): "DoubleTensor",
    np.dtype(np.float16): "HalfTensor",
    np.dtype(np.int64): "LongTensor",
    np.dtype(np.int32): "IntTensor",
    np.dtype(np.int16): "ShortTensor",
    np.dtype(np.int8): "CharTensor",
    np.dtype(np.uint8): "ByteTensor",
    np.dtype(np.bool_): "BoolTensor",
}


def _index(index: Any) -> Any:
    """An index as numpy takes it: Tensors as their arrays, a list as an array."""
    if isinstance(index, Tensor):
        index = index._value
    elif isinstance(index, tuple):
        index = tuple(i._value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        index = np.asarray(index)
    return index


def _mask(op: str, mask: Any, shape: Shape) -> np.ndarray:
    """A boolean mask that broadcasts to `shape` (it must not enlarge it), as an array."""
    mask = np.asarray(mask._value if isinstance(mask, Tensor) else mask)
    if mask.dtype != np.bool_:
        raise DTypeError(f"{op}: mask of dtype {mask.dtype}; expected a bool mask (e.g. x == 0)")
    try:
        fits = np.broadcast_shapes(mask.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{op}: mask of shape {mask.shape} for a tensor of shape {tuple(shape)}; expected a "
            f"mask that broadcasts to {tuple(shape)}"
        )
    return mask


def _check_ranks(op: str, tensors: tuple[Any, ...], ranks: tuple[int, ...]) -> None:
    """Raise unless each operand has the number of dims its op needs."""
    shapes = tuple(np.shape(t._value if isinstance(t, Tensor) else t) for t in tensors)
    if tuple(len(s) for s in shapes) != ranks:
        raise ShapeError(
            f"{op}: operands of shapes {' and '.join(map(str, shapes))}; expected "
            f"{' and '.join(f'{n}-D' for n in ranks)} tensors"
        )


# ----- helpers of the operator layer ---------------------------------------------------------

_NUMBERS = (bool, int, float, complex, np.generic)


def _priority(x: Any) -> tuple[np.dtype, int]:
    """(dtype, priority) of an operand for promotion.result_dtype."""
    if isinstance(x, (Tensor, np.ndarray)):  # a Tensor's 0-d data may be a numpy scalar
        return x.dtype, (ZERO_DIM if x.ndim == 0 else DIMENSIONED)
    return number_dtype(x, _default_dtype), NUMBER


def _cast(x: Any, dtype: np.dtype) -> Any:
    """x in `dtype`: a Tensor by a recorded astype, a number as a Python number (which numpy
    treats as weak, so it takes the other operand's dtype).
    """
    if isinstance(x, Tensor):
        return x.astype(dtype)
    if isinstance(x, np.ndarray):
        return x if x.dtype == dtype else x.astype(dtype)
    if isinstance(x, np.generic):
        return x.item()
    return x


def _arithmetic(prim: Primitive, a: Any, b: Any) -> Tensor:
    """prim(a, b) with a and b promoted (see promoted): +, - and * of Tensors and numbers.
    Two Tensors of one dtype, the most common case, go straight to the op."""
    if type(a) is Tensor and type(b) is Tensor and a._value.dtype is b._value.dtype:
        return Tensor.apply(prim, a, b)
    return Tensor.apply(prim, *promoted(a, b))


def promoted(a: Any, b: Any, true_divide: bool = False) -> tuple[Any, Any]:
    """a and b cast so that numpy computes in the dtype PyTorch gives (promotion.py); true
    division of integers gives the default float dtype. The common cases pass untouched.
    """
    if isinstance(a, Tensor):
        kind = a._value.dtype.kind
        if isinstance(b, Tensor):
            if a._value.dtype == b._value.dtype and (kind in "fc" or not true_divide):
                return a, b
        elif (type(b) is float or type(b) is int) and _keeps(kind, type(b), true_divide):
            return a, b
    elif type(a) is float or type(a) is int:
        if isinstance(b, Tensor) and _keeps(b._value.dtype.kind, type(a), true_divide):
            return a, b
    if not isinstance(a, (Tensor, np.ndarray, *_NUMBERS)):
        a = _to_array(a)
    if not isinstance(b, (Tensor, np.ndarray, *_NUMBERS)):
        b = _to_array(b)
    dtype = result_dtype([_priority(a), _priority(b)])
    if true_divide and dtype.kind in "biu":
        dtype = _default_dtype
    return _cast(a, dtype), _cast(b, dtype)


def _keeps(kind: str, number: type, true_divide: bool) -> bool:
    """Whether numpy already gives PyTorch's dtype for a tensor of `kind` with a Python number:
    a float tensor with any number, an integer tensor with an int (unless dividing).
    """
    return kind in "fc" or (number is int and kind in "iu" and not true_divide)


def check_same_dtype(op: str, *operands: Any) -> None:
    """Raise unless the tensors and arrays among `operands` share one dtype (as PyTorch's
    matmul and linear do: a float64 batch must not silently run a float32 model in float64).
    """
    dtypes = [
        x.dtype for x in operands if isinstance(x, (Tensor, np.ndarray)) and x.dtype.kind != "O"
    ]
    if len(set(dtypes)) > 1:
        names = " and ".join(dict.fromkeys(str(d) for d in dtypes))  # each dtype once
        raise DTypeError(
            f"{op}: operands of dtypes {names}; expected one dtype: convert the input first, "
            f"e.g. x.float() (or x.astype(np.float32)) for a float32 model, or "
            f"model.double() to compute in float64"
        )


def _dims(op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """(axis, keepdims) from either spelling: PyTorch's dim/keepdim or numpy's axis/keepdims."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; expected one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


def _correction(unbiased: bool | None, correction: float | None, ddof: float | None) -> float:
    """The divisor's correction of var/std: 1 (unbiased) unless one spelling says otherwise."""
    given = [value for value in (correction, ddof) if value is not None]
    if unbiased is not None:
        given.append(1 if unbiased else 0)
    if len(given) > 1:
        raise TypeError("var: got more than one of unbiased, correction and ddof; expected one")
    return given[0] if given else 1
