"""The version clock: one time line for recorded ops and in-place changes, and their checks."""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from typing import Any

from autodiff import xp
from autodiff.errors import GradientError

clock = itertools.count()  # orders nodes and in-place changes on one time line
_clock_lock = threading.Lock()
last_inplace = -1  # the clock reading of the latest in-place change, made by any thread
_changes: dict[int, tuple[weakref.ref, int]] = {}  # id(memory owner) -> (its ref, clock)
last_recorded = -1  # the latest recorded in-place change (one that gave a tensor a new node)
_recorded: dict[int, tuple[weakref.ref, int]] = {}  # as _changes, for those only


def mark_inplace(array: Any) -> int:
    """Note an in-place change of `array` now; returns the clock reading, the tensor's new
    _version.

    The change is noted against the array that owns the memory, so that it is seen through
    every Tensor sharing it: the tensor itself, its views (and their base), its detach()
    (as PyTorch's views share their base's version counter). Shared by all threads: a
    tensor changed in place by one thread must still be caught by a backward in another.
    """
    global last_inplace
    owner = _owner(array)
    with _clock_lock:  # so that last_inplace never moves backwards
        last_inplace = now = next(clock)
        _note(_changes, owner, now)
        return now


def mark_recorded(array: Any, now: int) -> None:
    """Note that the in-place change of `array` at clock reading `now` was recorded: the
    tensor got a new history, which the views taken of it before do not yet follow (see
    `tape.follow_base`)."""
    global last_recorded
    with _clock_lock:
        last_recorded = max(last_recorded, now)
        _note(_recorded, _owner(array), now)


def recorded_change(t: Any) -> int:
    """The clock reading of the latest recorded in-place change of t's memory (-1: none)."""
    owner = _owner(t._value)
    entry = _recorded.get(id(owner)) if owner is not None else None
    return entry[1] if entry is not None and entry[0]() is owner else -1


def same_memory(a: Any, b: Any) -> bool:
    """Whether Tensors a and b hold parts of one array's memory."""
    owner = _owner(a._value)
    return owner is not None and owner is _owner(b._value)


def _note(registry: dict, owner: xp.ndarray | None, now: int) -> None:
    """registry[id(owner)] = (a weak reference to owner, now); forgotten with owner."""
    if owner is None:
        return
    key = id(owner)
    entry = registry.get(key)
    ref = entry[0] if entry is not None and entry[0]() is owner else None
    if ref is None:
        ref = weakref.ref(owner, functools.partial(_forget, registry, key))
    registry[key] = (ref, now)


def _owner(array: Any) -> xp.ndarray | None:
    """The array that owns `array`'s memory (None for a number)."""
    if not isinstance(array, xp.ndarray):
        return None
    while isinstance(array.base, xp.ndarray):
        array = array.base
    return array


def _forget(registry: dict, key: int, ref: weakref.ref) -> None:
    """Drop the note of an array that no longer exists (no lock: the collector may call
    this while a thread holds _clock_lock)."""
    entry = registry.get(key)
    if entry is not None and entry[0] is ref:
        del registry[key]


def changed_since(t: Any, seq: int) -> bool:
    """Whether Tensor t, or any Tensor sharing its memory, changed in place after clock
    reading `seq`."""
    if t._version > seq:
        return True
    owner = _owner(t._value)
    entry = _changes.get(id(owner)) if owner is not None else None
    return entry is not None and entry[1] > seq and entry[0]() is owner


class Changed:
    """A value a VJP is handed that was changed in place after its op ran: its shape and
    dtype are still right, its values are not, so reading them raises."""

    __slots__ = ("shape", "dtype", "ndim", "size", "_node", "_which")

    def __init__(self, node: Any, which: str, value: Any):
        self.shape, self.dtype = xp.shape(value), getattr(value, "dtype", None)
        self.ndim, self.size = len(self.shape), int(xp.prod(self.shape))
        self._node = node
        self._which = which

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        name = self._node.prim.name
        raise GradientError(
            f"backward: {self._which} was modified by an in-place operation "
            f"after the forward pass (through it, a view of it, or detach()); {name}'s VJP "
            f"reads it, so backward would compute with the new values; change a copy, "
            f"or do the in-place change after backward{self._node.where()}"
        )

    def __getattr__(self, name: str) -> Any:
        self._refuse()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d value")
        return self.shape[0]

    __array__ = _refuse
    __float__ = __int__ = __bool__ = __index__ = __iter__ = _refuse
    __getitem__ = __neg__ = __pos__ = __abs__ = __invert__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _refuse
    __hash__ = None  # type: ignore[assignment]
