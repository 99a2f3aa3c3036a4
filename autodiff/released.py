"""What stands in for the values of a node once backward has released them."""

from __future__ import annotations

from typing import Any


class ReleaseReason:
    """Stands in for a node's saved values once it is released; says why they are gone."""

    __slots__ = ("reason",)

    def __init__(self) -> None:
        self.reason = (
            "was already freed by an earlier backward(); call backward(retain_graph=True) "
            "the first time to backpropagate through it twice"
        )


class Released:
    """A value made by an op, once backward has released its array: what remains of it (its
    name, shape, dtype and op) for pictures and listings. Made from its Node on demand."""

    __slots__ = ("_node", "name", "shape", "dtype")
    _value = None
    grad = None
    requires_grad = True
    _hooks = None
    _retains_grad = False

    def __init__(self, node: Any):
        self._node = node
        self.name, self.shape, self.dtype = node.released_value

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<freed result of {self._node.prim.name}, shape {self.shape}>"
