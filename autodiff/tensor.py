"""Tensor: a numpy array that records the ops made from it, so backward() can differentiate.

Every method that computes goes through `apply`, which runs a primitive's forward on the
arrays and, when grad mode is on and an input requires grad, records a Node on the tape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff import tape
from autodiff.broadcast import Axis, Shape, normalize_axes
from autodiff.errors import DTypeError, GradientError, ShapeError
from autodiff.ops import compare, elementwise, linalg, reduce, unary
from autodiff.ops import shape as shape_ops
from autodiff.primitive import Primitive

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


def _cause_from(prim: Primitive, inputs: list[Any]) -> tuple[Any, ...]:
    """Why the result of inputs that need no gradient needs none. An input cut from a graph
    (made under no_grad, or by detach) is named as the cause, however many ops back."""
    for t in inputs:
        cause = t._cause if t is not None else None
        if cause is not None and cause[0] in _CUTS:
            return (_FROM_CUT, prim.name, cause if len(cause) == 2 else cause[2])
    return (_NO_INPUT_GRAD, prim.name)


class Tensor:
    """An n-dimensional array (0-d for a scalar) that can record the ops made from it.

    A numpy array given to the constructor is used as it is, not copied (like
    torch.from_numpy): in-place methods change the caller's array too.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    Tensor([2., 4.])
    """

    __slots__ = (
        "data",
        "requires_grad",
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
        if isinstance(data, Tensor):
            data = data.data
        self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.name = name
        self._node: tape.Node | None = None
        self._version = 0
        self._hooks: list[Callable] | None = None
        self._retains_grad = False
        self._cause: tuple[Any, ...] | None = None  # why it does not require grad
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A Tensor around `data` with no checks: the hot path of every op."""
        t = object.__new__(Tensor)
        t.data = data
        t.requires_grad = False
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
        datas = []
        inputs = []
        needs = 0  # bit i set: input i requires grad
        bit = 1
        for a in args:
            if isinstance(a, Tensor):
                datas.append(a.data)
                inputs.append(a)
                if a.requires_grad:
                    needs |= bit
            else:
                datas.append(a if isinstance(a, _PLAIN) else _to_array(a))
                inputs.append(None)
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
        result.data = out
        result.requires_grad = False
        result.grad = None
        result.name = None
        result._node = None
        result._version = 0
        result._hooks = None
        result._retains_grad = False
        result._cause = None
        if not prim.differentiable:
            result._cause = (_NO_GRADIENT, prim.name)
        elif not needs:
            result._cause = _cause_from(prim, inputs)
        elif not tape.state.enabled:
            result._cause = (_UNDER_NO_GRAD, prim.name)
        else:
            # args as a tuple of arrays and numbers: the collector stops tracking it after
            # its first pass, so a large graph costs each later pass one object less per op
            result._node = tape.Node(prim, params, inputs, tuple(datas), needs, saved)
            result.requires_grad = True
        return result

    # ----- properties ---------------------------------------------------------------------

    @property
    def shape(self) -> Shape:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made; False for the results of recorded ops."""
        return self._node is None

    @property
    def op(self) -> str | None:
        """The name of the recorded op that made this tensor (None for a leaf)."""
        return self._node.prim.name if self._node is not None else None

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed."""
        return self.transpose()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(
                f"item: called on a Tensor of shape {self.shape}; expected exactly one element"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
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
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same data (shared), cut from the graph."""
        t = Tensor._wrap(self.data)
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
            if self.size != 1:
                raise GradientError(
                    f"{op}: called on a Tensor of shape {self.shape}; expected a scalar, "
                    f"or pass gradient= of shape {self.shape}"
                )
            g = _ones(self.data.dtype, self.data.shape)
        elif create_graph and isinstance(gradient, Tensor) and gradient.requires_grad:
            g = gradient
        else:
            g = np.array(gradient.data if isinstance(gradient, Tensor) else gradient, self.dtype)
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
        if not isinstance(self.data, np.ndarray):  # a 0-d op result holds a numpy scalar,
            self.data = np.array(self.data)  # which cannot change in place: give it an array

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self += alpha * other, in place."""
        self._inplace("add_")
        other = other.data if isinstance(other, Tensor) else other
        self.data += other if alpha == 1 else alpha * other
        return self

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self -= alpha * other, in place."""
        self._inplace("sub_")
        other = other.data if isinstance(other, Tensor) else other
        self.data -= other if alpha == 1 else alpha * other
        return self

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        self._inplace("mul_")
        self.data *= other.data if isinstance(other, Tensor) else other
        return self

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        self._inplace("zero_")
        self.data[...] = 0
        return self

    def copy_(self, source: Any) -> Tensor:
        """Copy `source`'s values into self, in place (shapes must broadcast to self's)."""
        self._inplace("copy_")
        source = source.data if isinstance(source, Tensor) else np.asarray(source)
        try:
            np.copyto(self.data, np.broadcast_to(source, self.shape), casting="same_kind")
        except ValueError:
            raise ShapeError(
                f"copy_: cannot copy a source of shape {source.shape} into a tensor of shape "
                f"{self.shape}"
            ) from None
        return self

    # ----- arithmetic -----------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.div, other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return Tensor.apply(elementwise.pow, self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        if isinstance(base, (int, float)) and self.dtype.kind == "f":
            base = self.dtype.type(base)  # so that log(base) in the VJP keeps self's dtype
        return Tensor.apply(elementwise.pow, base, self)

    def __neg__(self) -> Tensor:
        return Tensor.apply(elementwise.neg, self)

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other: Any) -> Tensor:
        return Tensor.apply(linalg.matmul, self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return Tensor.apply(linalg.matmul, other, self)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor.apply(compare.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor.apply(compare.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor.apply(compare.greater_equal, self, other)

    # ----- elementwise functions ------------------------------------------------------------

    def exp(self) -> Tensor:
        return Tensor.apply(unary.exp, self)

    def log(self) -> Tensor:
        return Tensor.apply(unary.log, self)

    def sqrt(self) -> Tensor:
        return Tensor.apply(unary.sqrt, self)

    def abs(self) -> Tensor:
        return Tensor.apply(unary.abs, self)

    def sin(self) -> Tensor:
        return Tensor.apply(unary.sin, self)

    def cos(self) -> Tensor:
        return Tensor.apply(unary.cos, self)

    def tanh(self) -> Tensor:
        return Tensor.apply(unary.tanh, self)

    def sigmoid(self) -> Tensor:
        return Tensor.apply(unary.sigmoid, self)

    def softplus(self) -> Tensor:
        return Tensor.apply(unary.softplus, self)

    def log_sigmoid(self) -> Tensor:
        return Tensor.apply(unary.log_sigmoid, self)

    def relu(self) -> Tensor:
        return Tensor.apply(unary.relu, self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return Tensor.apply(unary.leaky_relu, self, negative_slope=negative_slope)

    def erf(self) -> Tensor:
        return Tensor.apply(unary.erf, self)

    def clip(self, low: float | None = None, high: float | None = None) -> Tensor:
        """Values limited to [low, high]; either bound may be None."""
        return Tensor.apply(elementwise.clip, self, low=low, high=high)

    def maximum(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.maximum, self, other)

    def minimum(self, other: Any) -> Tensor:
        return Tensor.apply(elementwise.minimum, self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """self where `condition`, else `other` (PyTorch's Tensor.where)."""
        return Tensor.apply(elementwise.where, condition, self, other)

    def astype(self, dtype: Any) -> Tensor:
        """The values converted to `dtype` (recorded, so gradients flow back)."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc":  # integers and booleans carry no gradient
            return Tensor.apply(compare.cast, self, dtype=dtype)
        return Tensor.apply(unary.astype, self, dtype=dtype)

    # ----- reductions -----------------------------------------------------------------------

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(reduce.sum, self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The sum divided by the number of elements summed."""
        return self.sum(axis, keepdims) / self._count(axis)

    def var(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Mean squared deviation from the mean, divided by (n - ddof) as numpy does."""
        deviation = self - self.mean(axis, keepdims=True)
        return (deviation * deviation).sum(axis, keepdims) / (self._count(axis) - ddof)

    def std(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Square root of var (one primitive: its gradient is 0 where all values are equal)."""
        return Tensor.apply(reduce.std, self, axis=axis, keepdims=keepdims, ddof=ddof)

    def _count(self, axis: Axis) -> int:
        count = 1
        for a in normalize_axes(axis, self.ndim, "mean"):
            count *= self.shape[a]
        return count

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(reduce.max, self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(reduce.min, self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(reduce.logsumexp, self, axis=axis, keepdims=keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        return Tensor.apply(reduce.softmax, self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return Tensor.apply(reduce.log_softmax, self, axis=axis)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(compare.argmax, self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(compare.argmin, self, axis=axis, keepdims=keepdims)

    # ----- shape ----------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape: x.reshape(2, 3) or x.reshape((2, 3))."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        return Tensor.apply(shape_ops.reshape, self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Axes permuted as numpy does: reversed with no arguments."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        return Tensor.apply(shape_ops.transpose, self, axes=axes or None)

    def permute(self, *axes: int) -> Tensor:
        """PyTorch's name for transpose with explicit axes."""
        return self.transpose(*axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        axes = list(range(self.ndim))
        axis1, axis2 = axis1 % self.ndim, axis2 % self.ndim
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(axes)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Axes start_axis..end_axis merged into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_axis % self.ndim, end_axis % self.ndim
        return self.reshape(*self.shape[:start], -1, *self.shape[end + 1 :])

    def squeeze(self, axis: Axis = None) -> Tensor:
        """Size-1 axes removed (all of them, or those in `axis`)."""
        if axis is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        else:
            axes = normalize_axes(axis, self.ndim, "squeeze")
            wrong = [a for a in axes if self.shape[a] != 1]
            if wrong:
                raise ShapeError(
                    f"squeeze: axis {wrong[0]} of a tensor of shape {self.shape} has size "
                    f"{self.shape[wrong[0]]}; expected size 1"
                )
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """A size-1 axis inserted at `axis`."""
        axis = normalize_axes(axis, self.ndim + 1, "unsqueeze")[0]
        return self.reshape(*self.shape[:axis], 1, *self.shape[axis:])

    def broadcast_to(self, shape: Shape) -> Tensor:
        return Tensor.apply(shape_ops.broadcast_to, self, shape=tuple(shape))

    def split(self, sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
        """Pieces along `axis`: `sections` equal parts, or cut at the given indices (numpy)."""
        axis = normalize_axes(axis, self.ndim, "split")[0]
        length = self.shape[axis]
        if isinstance(sections, int):
            if sections <= 0 or length % sections:
                raise ShapeError(
                    f"split: axis {axis} of size {length} cannot be split into {sections} "
                    f"equal parts"
                )
            cuts = list(range(0, length + 1, length // sections))
        else:
            cuts = [0, *sections, length]
        lead = (slice(None),) * axis
        return [self[(*lead, slice(a, b))] for a, b in zip(cuts[:-1], cuts[1:])]

    def take_along_axis(self, indices: Any, axis: int) -> Tensor:
        """Values picked along `axis` by integer `indices` (numpy's take_along_axis)."""
        indices = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        return self[shape_ops.along_axis_index(self.shape, indices, axis)]

    def gather(self, axis: int, indices: Any) -> Tensor:
        """PyTorch's name for take_along_axis (argument order as torch.gather)."""
        return self.take_along_axis(indices, axis)

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        if isinstance(index, list):
            index = np.asarray(index)
        return Tensor.apply(shape_ops.getitem, self, index=index)
