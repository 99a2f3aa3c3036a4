"""Tensor: a numpy array that records the ops made from it, so backward() can differentiate.

Every method that computes goes through `apply`, which runs a primitive's forward on the
arrays and, when grad mode is on and an input requires grad, records a Node on the tape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff import tape
from autodiff.blas import axpy
from autodiff.broadcast import Shape
from autodiff.device import device as Device
from autodiff.errors import DTypeError, GradientError, ShapeError
from autodiff.ops import compare, elementwise, linalg
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


_PLAIN = (np.ndarray, np.generic, bool, int, float, type(None))  # passed to forwards as they are


_NO_INPUT_GRAD = "made by {} from inputs that do not require grad"
_UNDER_NO_GRAD = "made by {} under no_grad()"
_NO_GRADIENT = "made by {}, whose result carries no gradient"
_DETACHED = "made by {}"
_FROM_CUT = "made by {} from a value {}"  # the second {}: the cut it traces back to
_CUTS = (_UNDER_NO_GRAD, _DETACHED, _FROM_CUT)
_DATA = (_DETACHED, ".data")  # the cause of a .data alias: its in-place changes go unchecked


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
        t._cause = _DATA
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
    def grad_fn(self) -> Any:
        """The recorded op that made this tensor (its tape node, `<node tanh>`), None for a
        leaf: PyTorch's grad_fn, for `t.grad_fn is None` checks and printing."""
        return self._node

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
        tape.refuse_value(self, "a number")
        return self._value.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self._value

    def tolist(self) -> Any:
        tape.refuse_value(self, "a list")
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
        """The values as an array, numpy 2's way: shared where possible (np.asarray), a
        copy where asked (np.array, copy=True); copy=False raises if a copy is needed."""
        tape.refuse_value(self, "a numpy array")
        data = np.asarray(self._value)
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(
                    f"__array__: a Tensor of dtype {data.dtype} as {np.dtype(dtype)} needs a "
                    f"copy, but copy=False was asked for; pass copy=None to allow one"
                )
            return data.astype(dtype)
        return data.copy() if copy else data

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
        if not isinstance(self._value, np.ndarray):  # a 0-d op result holds a numpy scalar,
            self._value = np.array(self._value)  # which cannot change in place: give it an array
        # noted against the memory, so that views and detach() see it, but not for .data,
        # whose changes PyTorch leaves unchecked (p.data -= lr * p.grad)
        self._version = tape.mark_inplace(None if self._cause is _DATA else self._value)

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

    @property
    def T(self) -> Tensor:
        """The tensor with its dims reversed."""
        return Tensor.apply(shape_ops.transpose, self, axes=None)

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two dims swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    @property
    def device(self) -> Device:
        return Device("cpu")

    @property
    def is_cuda(self) -> bool:
        return False

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index._value
        elif isinstance(index, tuple):
            index = tuple(i._value if isinstance(i, Tensor) else i for i in index)
        if isinstance(index, list):
            index = np.asarray(index)
        return Tensor.apply(shape_ops.getitem, self, index=index)


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


def floating(x: Tensor) -> Tensor:
    """x, or its values in the default float dtype where it holds integers or booleans:
    PyTorch computes exp, log, std, ... of an integer tensor in float32, not numpy's float64.
    """
    return x if x._value.dtype.kind in "fc" else x.astype(_default_dtype)
