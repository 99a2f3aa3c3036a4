"""The context a VJP is handed, and the check that what a forward saved holds only constants."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping
from typing import Any

from autodiff import xp
from autodiff.errors import GradientError, named_errors

Saved = Any


class Context:
    """What a VJP is handed besides g: the op's inputs and output, which inputs need a
    gradient, what its forward saved, its parameters, and whether backward is recorded.

    `saved` and `params` are read from the op's recorded node, which holds them (the VJP
    itself never sees the tape)."""

    __slots__ = ("inputs", "out", "needs", "_node", "create_graph")

    def __init__(
        self,
        inputs: tuple[Any, ...],
        out: Any,
        needs: tuple[bool, ...],
        node: Any,
        create_graph: bool = False,
    ):
        self.inputs = inputs
        self.out = out
        self.needs = needs
        self._node = node
        self.create_graph = create_graph

    @property
    def saved(self) -> Saved:
        """What the forward saved (its second result)."""
        return self._node.saved

    @property
    def params(self) -> Mapping[str, Any]:
        """The keyword parameters the forward was called with."""
        return self._node.params

    def __repr__(self) -> str:
        shapes = [getattr(x, "shape", x) for x in self.inputs]
        return f"<Context inputs={shapes} needs={self.needs} params={dict(self.params)}>"


class RecordedContext(Context):
    """The context of a VJP under create_graph: reading `saved` checks that it holds no
    floating-point value the tape cannot see (see check_saved)."""

    __slots__ = ()

    def __init__(self, inputs: tuple[Any, ...], out: Any, needs: tuple[bool, ...], node: Any):
        super().__init__(inputs, out, needs, node, create_graph=True)

    @property
    def saved(self) -> Saved:
        saved = self._node.saved
        check_saved(self._node.prim.name, saved)
        return saved


# ----- constants in saved ---------------------------------------------------------------------

_constants: dict[int, weakref.ref] = {}  # id(array) -> a weak reference to it: see constant()


@named_errors
def constant(value: xp.ndarray) -> xp.ndarray:
    """Mark an array a forward saves as a genuine constant of its VJP, one whose derivative
    w.r.t. the inputs is 0 (a sign, a mask, a slope chosen by a comparison), so that
    create_graph lets the VJP read it. Returns a read-only view of it.

    A value that does depend on the inputs smoothly (2x, softmax(x)) must not be marked:
    compute it in the VJP from ``ctx.inputs`` or ``ctx.out`` instead.
    """
    view = xp.asarray(value).view()
    view.flags.writeable = False
    key = id(view)
    _constants[key] = weakref.ref(view, functools.partial(_forget_constant, key))
    return view


def _forget_constant(key: int, ref: weakref.ref) -> None:
    if _constants.get(key) is ref:
        del _constants[key]


def _is_constant(array: xp.ndarray) -> bool:
    ref = _constants.get(id(array))
    return ref is not None and ref() is array


_ATOMS = (bool, int, str, bytes, slice, range, type, xp.dtype, type(None), type(...))


def check_saved(name: str, saved: Saved) -> None:
    """Raise unless `saved` holds only constants, at any depth: ints, strings, shapes,
    integer and boolean arrays, arrays marked with constant(), and tuples, lists, dicts and
    objects' attributes made of these. A float anywhere might be a value derived from an
    input, which a VJP computing with it under create_graph would treat as a constant."""
    pending = [saved]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, _ATOMS) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, xp.ndarray | xp.generic):
            if item.dtype.kind in "fcO" and not _is_constant(item):
                raise GradientError(_saved_message(name, f"a {item.dtype} array"))
        elif isinstance(item, tuple | list | set | frozenset):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, float | complex):
            raise GradientError(_saved_message(name, f"the {type(item).__name__} {item!r}"))
        elif hasattr(item, "__dict__") or hasattr(type(item), "__slots__"):
            pending.extend(_attributes(item))
        else:
            raise GradientError(_saved_message(name, f"a {type(item).__name__}"))


def _attributes(item: Any) -> list[Any]:
    """The values of an object's attributes (its __dict__ and its slots)."""
    values = list(getattr(item, "__dict__", {}).values())
    for cls in type(item).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(item, slot):
                values.append(getattr(item, slot))
    return values


def _saved_message(name: str, what: str) -> str:
    return (
        f"{name}: under create_graph its VJP read `ctx.saved`, which holds {what}; a saved "
        f"value computed from an input would count as a constant and make higher derivatives "
        f"silently wrong. Compute it in the VJP from ctx.inputs / ctx.out, or, if it is a "
        f"genuine constant (a sign, a mask), save autodiff.constant(value)"
    )
