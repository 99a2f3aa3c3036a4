"""PyTorch's dtype names: autodiff.float32, autodiff.long, autodiff.bool, ... (DType: they
print as PyTorch's, and numpy takes them for its dtypes); and the default dtype that Python
floats become (float32, as in PyTorch).

`autodiff.float` is float32 and `autodiff.double` float64, as in PyTorch (not Python's float).
"""

from __future__ import annotations

from typing import Any

from autodiff import xp
from autodiff.errors import DTypeError, named_errors


def as_dtype(dtype: Any, op: str) -> xp.dtype:
    """`dtype` as a numpy dtype, or a DTypeError that names `op`."""
    try:
        return xp.dtype(dtype)
    except (TypeError, ValueError):
        raise DTypeError(
            f"{op}: {dtype!r} is not a dtype; expected e.g. autodiff.float32 or np.float32"
        ) from None


class DType:
    """A dtype as PyTorch prints it: `print(autodiff.float32)` and `print(x.dtype)` show
    `autodiff.float32` (PyTorch shows `torch.float32`; numpy's dtype shows `float32`).

    One instance per numpy dtype (so `is` works as with PyTorch's dtypes). Its `.dtype` is the
    numpy dtype, which is how numpy accepts it wherever a dtype goes (`np.zeros(3, x.dtype)`,
    `a.astype(x.dtype)`, `np.dtype(x.dtype)`); numpy's attributes (`kind`, `itemsize`, `name`,
    `type`, `char`, ...) are the numpy dtype's. It equals, and hashes as, the numpy dtype, so
    `x.dtype == np.float32`, `== np.dtype("float32")` and `== "float32"` hold and it finds
    the numpy dtype's entries in dicts and sets.
    """

    __slots__ = ("dtype", "_text")
    dtype: xp.dtype

    def __new__(cls, dtype: Any) -> DType:
        dtype = as_dtype(dtype, "DType")
        known = _INTERNED.get(dtype)
        if known is None:
            known = _INTERNED[dtype] = object.__new__(cls)
            object.__setattr__(known, "dtype", dtype)
            name = "bool" if dtype.kind == "b" else dtype.name
            object.__setattr__(known, "_text", f"autodiff.{name}")
        return known

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._text} is immutable")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in DType.__slots__:  # copy/pickle probes
            raise AttributeError(name)
        return getattr(self.dtype, name)

    # the two read on every step (optimisers, promotion): direct, not through __getattr__
    kind = property(lambda self: self.dtype.kind, doc="numpy's kind code: 'f', 'i', ...")
    itemsize = property(lambda self: self.dtype.itemsize, doc="Bytes per element.")

    def __repr__(self) -> str:
        return self._text

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """In an f-string a dtype reads as numpy names it, "float32" (as the error messages
        show it, and as Size reads as its tuple there); str() and print() show autodiff.float32."""
        return format(self.dtype.name if self.dtype.kind == "b" else str(self.dtype), spec)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DType):
            return self is other
        if other is None:  # np.dtype(None) is float64: not an equal
            return False
        try:
            return bool(self.dtype == other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other: Any) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __reduce__(self) -> tuple[Any, tuple[xp.dtype]]:
        return DType, (self.dtype,)

    @property
    def is_floating_point(self) -> bool:
        """Whether it is a floating dtype (PyTorch's attribute)."""
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        """Whether it is a complex dtype (PyTorch's attribute)."""
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        """Whether its values can be negative (PyTorch's attribute)."""
        return self.dtype.kind in "fci"


_INTERNED: dict[xp.dtype, DType] = {}


def dtype_of(dtype: xp.dtype) -> DType:
    """The DType of a numpy dtype (the one instance)."""
    known = _INTERNED.get(dtype)
    return DType(dtype) if known is None else known


float16 = half = DType(xp.float16)
float32 = DType(xp.float32)
float64 = double = DType(xp.float64)
complex64 = DType(xp.complex64)
complex128 = DType(xp.complex128)
uint8 = DType(xp.uint8)
int8 = DType(xp.int8)
int16 = short = DType(xp.int16)
int32 = DType(xp.int32)
int64 = long = DType(xp.int64)
bool_ = DType(xp.bool_)

# Names that shadow Python builtins: reached as autodiff.float etc., never star-imported.
BUILTIN_NAMES = {"float": float32, "int": int32, "bool": bool_}

__all__ = [
    "DType",
    "complex64",
    "complex128",
    "double",
    "float16",
    "float32",
    "float64",
    "half",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
]


_default = xp.dtype(xp.float32)


@named_errors
def set_default_dtype(dtype: Any) -> None:
    """Set the dtype Python floats and lists of floats become (float32 unless changed)."""
    global _default
    dtype = xp.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {dtype_of(dtype)}")
    _default = dtype


def get_default_dtype() -> DType:
    """The dtype Python floats and lists of floats become."""
    return dtype_of(_default)


def default_float() -> xp.dtype:
    """get_default_dtype() as the numpy dtype (the engine's internal form)."""
    return _default


def as_array(data: Any, dtype: Any = None) -> xp.ndarray:
    """The array behind `data`: array data keeps its dtype, Python floats get the default."""
    if dtype is not None:
        return numeric(xp.asarray(data, dtype=dtype))
    if isinstance(data, (xp.ndarray, xp.generic)):
        return numeric(xp.asarray(data))
    array = numeric(xp.asarray(data))
    if array.dtype.kind == "f" and array.dtype != _default:
        array = array.astype(_default)
    return array


def numeric(array: xp.ndarray, op: str = "Tensor") -> xp.ndarray:
    """`array`, if it holds numbers (bool, integer, floating, complex), as a Tensor must."""
    if array.dtype.kind not in "biufc":
        what = {"O": "Python objects", "U": "strings", "S": "bytes"}.get(array.dtype.kind, "")
        raise DTypeError(
            f"{op}: values of dtype {array.dtype}{f' ({what})' if what else ''}; expected "
            f"numbers (bool, int, float), e.g. autodiff.tensor([1.0, 2.0])"
        )
    return array


def legacy_array(data: list | tuple) -> xp.ndarray:
    """Values given to the Tensor constructor as a list: floating, in the default dtype, as
    PyTorch's legacy torch.Tensor([1, 2]) makes them (autodiff.tensor keeps integers)."""
    array = numeric(xp.asarray(data))
    return array.astype(get_default_dtype()) if array.dtype.kind in "biuf" else array
