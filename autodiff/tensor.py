"""Tensor: a numpy array that records the ops made from it, so backward() can differentiate.

Every method that computes goes through `apply`, which runs a primitive's forward on the
arrays and, when grad mode is on and an input requires grad, records a Node on the tape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autodiff import seed, tape, xp
from autodiff.dtypes import DType, as_array, dtype_of, get_default_dtype, legacy_array
from autodiff.errors import DTypeError, GradientError, ShapeError, named_errors
from autodiff.grad_mode import grad_mode
from autodiff.ops import compare, elementwise, linalg
from autodiff.ops import shape as shape_ops
from autodiff.primitive import Primitive
from autodiff.promotion import check_same_dtype, promote
from autodiff.size import ElementCount, Size

_PLAIN = (xp.ndarray, xp.generic, bool, int, float, type(None))  # passed to forwards as they are


def _tensors(args: tuple[Any, ...]) -> list[Any]:
    """The Tensors among an op's arguments, in place, None for the others."""
    return [a if isinstance(a, Tensor) else None for a in args]


@named_errors
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
        self,
        data: Any = (),
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ):
        if not isinstance(requires_grad, (bool, xp.bool_)):  # e.g. PyTorch's Tensor(2, 3)
            raise TypeError(
                f"Tensor: requires_grad={requires_grad!r}; expected True or False: Tensor(data) "
                f"takes values, not a shape (for zeros of a shape write autodiff.zeros(2, 3))"
            )
        if isinstance(data, Tensor):
            data = data._value
        elif dtype is None and isinstance(data, (list, tuple)):
            data = legacy_array(data)
        elif type(data) is int:
            raise TypeError(
                f"Tensor: Tensor({data}) is PyTorch's uninitialised tensor of {data} elements, "
                f"not the value {data}; expected autodiff.tensor({data}) for a 0-d tensor, or "
                f"autodiff.zeros({data})"
            )
        array = as_array(data, dtype)
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
    def _wrap(cls, data: xp.ndarray) -> Tensor:
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
                datas.append(a if isinstance(a, _PLAIN) else as_array(a))
                constants = True
            bit <<= 1
        try:
            out, saved = prim.forward(*datas, **params)
        except ValueError as err:
            if not xp.is_broadcast_error(err):
                raise
            shapes = " and ".join(str(xp.shape(d)) for d in datas)
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
                result._cause = (seed.NO_GRADIENT, prim.name)
            elif not needs:
                result._cause = seed.cause_from(prim.name, args)
            else:
                result._cause = (seed.UNDER_NO_GRAD, prim.name)
        return result

    # ----- properties ---------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        """The dims, as PyTorch's torch.Size (a tuple): print(x.shape) shows Size([2, 3])."""
        return tuple.__new__(Size, self._value.shape)  # numpy's dims: ints, unchecked

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
    def dtype(self) -> DType:
        """The dtype, printing as PyTorch's (`autodiff.float32`); numpy takes it as its own."""
        return dtype_of(self._value.dtype)

    @property
    def data(self) -> Tensor:
        """The same values as a Tensor cut from the graph, as PyTorch's `.data`.

        It shares this tensor's memory, does not require grad and is not version-checked: an
        in-place change through it (`p.data -= lr * p.grad`) is not seen by the tape. Use
        `.numpy()` for the numpy array, `detach()` for a checked alias.
        """
        t = Tensor._wrap(self._value)
        t._cause = seed.DATA
        return t

    @data.setter
    def data(self, value: Any) -> None:
        """Replace the values (and possibly the shape and dtype), as PyTorch's `t.data = v`."""
        if isinstance(value, Tensor):
            value = value._value
        elif not isinstance(value, xp.ndarray):
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

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> xp.ndarray:
        """The values as an array, numpy 2's way: shared where possible (np.asarray), a
        copy where asked (np.array, copy=True); copy=False raises if a copy is needed."""
        tape.refuse_value(self, "a numpy array")
        data = xp.asarray(self._value)
        if dtype is not None and xp.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(
                    f"__array__: a Tensor of dtype {data.dtype} as {xp.dtype(dtype)} needs a "
                    f"copy, but copy=False was asked for; pass copy=None to allow one"
                )
            return data.astype(dtype)
        return data.copy() if copy else data

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
        t._cause = (seed.DETACHED, "detach()")
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
        inputs: Sequence[Tensor] | None = None,
        retain_all_grads: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires grad.

        gradient: d(loss)/d(self), of self's shape (may be omitted for a scalar); retain_graph:
        keep the saved arrays for another backward; create_graph: record this backward too
        (gradients of gradients); inputs: only these tensors' .grad (autograd.backward);
        retain_all_grads: keep the gradient of every intermediate value in its .grad.
        """
        if inputs is not None:
            from autodiff import autograd  # autograd is built on this module

            return autograd.backward(self, gradient, retain_graph, create_graph, inputs)
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
        g = seed.starting_gradient(self, gradient, op, create_graph, Tensor)  # see seed.py
        with grad_mode(create_graph), xp.errstate(all="ignore"):  # inf and NaN where the
            return tape.backward(  # math has them, without warnings
                self,
                g,
                retain_graph=retain_graph or create_graph,
                create_graph=create_graph,
                inputs=inputs,
                retain_all_grads=retain_all_grads,
                wrap=Tensor._wrap,
            )

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

    def __getitem__(self, index: Any) -> Tensor:
        return Tensor.apply(shape_ops.getitem, self, index=index_arrays(index))


def index_arrays(index: Any) -> Any:
    """An index as numpy takes it: Tensors as their arrays, a list as an array."""
    if isinstance(index, Tensor):
        index = index._value
    elif isinstance(index, tuple):
        index = tuple(i._value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        index = xp.asarray(index)
    return index


# ----- helpers of the operator layer ---------------------------------------------------------


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
    return promote(a, b, true_divide)


def _keeps(kind: str, number: type, true_divide: bool) -> bool:
    """Whether numpy already gives PyTorch's dtype for a tensor of `kind` with a Python number:
    a float tensor with any number, an integer tensor with an int (unless dividing).
    """
    return kind in "fc" or (number is int and kind in "iu" and not true_divide)


def floating(x: Tensor) -> Tensor:
    """x, or its values in the default float dtype where it holds integers or booleans:
    PyTorch computes exp, log, std, ... of an integer tensor in float32, not numpy's float64.
    """
    return x if x._value.dtype.kind in "fc" else x.astype(get_default_dtype())
