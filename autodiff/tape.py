"""The tape: one Node per recorded op, the grad-mode switches, and the backward walk.

Each Tensor made by a recorded op holds its Node; the Node holds the op's inputs, what the
forward saved, and a weak reference to its output. Nothing refers back from a Node to its
own output strongly, so a graph is freed by reference counting as soon as its last Tensor goes.
"""

from __future__ import annotations

import heapq
import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from autodiff.errors import GradientError, ShapeError
from autodiff.primitive import Primitive, Saved

_RELEASED = object()  # stands in for the saved values once backward has used them


class GradMode:
    """Switches the whole tape consults: recording, anomaly checks, tracing, module scope."""

    def __init__(self) -> None:
        self.enabled = True
        self.anomaly: Any = None  # an object with capture() and check(node, grads), or None
        self.observer: Callable[..., None] | None = None  # sees each VJP as backward runs
        self.scope: tuple[str, ...] = ()  # labels of the nn.Module calls now running
        self.last_inplace = -1  # the clock reading of the latest in-place change


state = GradMode()
_clock = itertools.count()  # orders nodes and in-place changes on one time line


def mark_inplace() -> int:
    """Note an in-place change now; returns the clock reading, the tensor's new _version."""
    state.last_inplace = next(_clock)
    return state.last_inplace


class Node:
    """One recorded op: its primitive, parameters, inputs and saved values."""

    __slots__ = (
        "prim",
        "params",
        "inputs",
        "args",
        "needs",
        "saved",
        "seq",
        "out",
        "scope",
        "trace",
        "watched",
        "__weakref__",
    )

    def __init__(
        self,
        prim: Primitive,
        params: dict[str, Any],
        inputs: tuple[Any, ...],
        args: tuple[Any, ...],
        needs: tuple[bool, ...],
        saved: Saved,
        out: Any,
    ):
        self.prim = prim
        self.params = params
        self.inputs = inputs  # the Tensor inputs (None for other arguments)
        self.args = args  # what the forward was given: the inputs' arrays, and the others
        self.needs = needs  # which inputs need a gradient
        self.saved = saved
        self.seq = next(_clock)  # creation order: a consumer always comes after its inputs
        self.out = weakref.ref(out)
        self.scope = state.scope
        self.trace = state.anomaly.capture() if state.anomaly is not None else None
        self.watched = False  # the output has hooks or keeps its gradient

    @property
    def shown_params(self) -> dict[str, Any]:
        """The parameters worth showing: all but those left at a None or False default."""
        defaults = self.prim.defaults
        return {
            key: value
            for key, value in self.params.items()
            if not (key in defaults and _unset(value, defaults[key]))
        }

    @property
    def label(self) -> str:
        """The op with its non-default parameters, as the listings and pictures show it."""
        params = self.shown_params
        if not params:
            return self.prim.name
        args = ", ".join(f"{k}={short(v)}" for k, v in params.items())
        return f"{self.prim.name}({args})"

    @property
    def released(self) -> bool:
        """Whether backward has used and dropped the saved values."""
        return self.saved is _RELEASED

    def where(self) -> str:
        """The user's line that made this op, when anomaly mode recorded it."""
        return f"\n  made at {self.trace}" if self.trace else ""


def short(value: Any) -> str:
    """repr(value), cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _unset(value: Any, default: Any) -> bool:
    """Whether a parameter is left at an "off" default (None or False): not worth showing."""
    return value is default and (default is None or default is False)


class _GradSwitch:
    """Context manager (and decorator) that sets grad mode and restores it on exit."""

    def __init__(self, enabled: bool):
        self.mode = enabled
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(state.enabled)
        state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.previous.pop()

    def __call__(self, fn: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper


def no_grad() -> _GradSwitch:
    """Record nothing inside: ``with autodiff.no_grad(): ...`` (also a decorator)."""
    return _GradSwitch(False)


def enable_grad() -> _GradSwitch:
    """Record again inside a no_grad block: ``with autodiff.enable_grad(): ...``."""
    return _GradSwitch(True)


def is_grad_enabled() -> bool:
    """Whether ops are being recorded now."""
    return state.enabled


class scope:
    """Label the ops recorded inside (nn.Module uses it so pictures group ops by layer)."""

    __slots__ = ("label",)

    def __init__(self, label: str):
        self.label = label

    def __enter__(self) -> None:
        state.scope = (*state.scope, self.label)

    def __exit__(self, *exc: object) -> None:
        state.scope = state.scope[:-1]


def _check_versions(node: Node) -> None:
    """Raise if an input or the output whose values the VJP reads changed in place since."""
    prim = node.prim
    if prim.legacy:  # an older VJP reads what its forward saved: those arrays only
        items = node.saved if isinstance(node.saved, tuple) else (node.saved,)
        read = [t for t in (*node.inputs, node.out()) if t is not None]
        read = [t for t in read if any(s is t.data for s in items)]
    elif prim.reads_values:
        read = [t for t in (*node.inputs, node.out()) if t is not None]
    else:
        return
    for t in read:
        if t._version > node.seq:
            raise GradientError(
                f"backward: an input of {prim.name} was modified by an in-place operation "
                f"after the forward pass; {prim.name}'s VJP reads it, so backward would "
                f"compute with the new values{node.where()}"
            )


def _run_vjp(
    node: Node, out: Any, g: Any, retain_graph: bool, create_graph: bool
) -> tuple[Any, ...]:
    """The node's VJP applied to g, after checking that what it reads is still good.

    The VJP gets the op's inputs and output as arrays, or under create_graph as the
    recorded Tensors (numbers and other constant arguments as they were given).
    """
    prim = node.prim
    if node.saved is _RELEASED:
        raise GradientError(
            f"backward: the graph through {prim.name} was already freed by an earlier "
            f"backward(); call backward(retain_graph=True) the first time to backpropagate "
            f"through it twice{node.where()}"
        )
    if prim.vjp is None:
        raise NotImplementedError(f"{prim.name}: no VJP defined")
    if state.last_inplace > node.seq:  # something changed in place since this op ran
        _check_versions(node)
    if create_graph:
        inputs = tuple(a if t is None else t for t, a in zip(node.inputs, node.args))
        grads = prim.vjp(inputs, out, g, node.needs, node.saved, node.params)
        for i, gi in enumerate(grads):
            if gi is not None and not isinstance(gi, type(g)):  # an array: not recorded
                raise GradientError(
                    f"{prim.name}: under create_graph the VJP returned a "
                    f"{type(gi).__name__} for input {i}, so the gradient's dependence on "
                    f"g and the inputs is lost; compute it with operators, Tensor methods "
                    f"and primitives, not numpy functions{node.where()}"
                )
    else:
        grads = prim.vjp(node.args, out.data, g, node.needs, node.saved, node.params)
    if not retain_graph:
        node.saved = _RELEASED
        node.args = None
    if len(grads) != len(node.inputs):
        raise GradientError(
            f"{prim.name}: VJP returned {len(grads)} gradients for {len(node.inputs)} inputs"
        )
    return grads


def backward(
    root: Any,
    g: Any,
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Any] | None = None,
    retain_all_grads: bool = False,
    wrap: Callable[[Any], Any],
) -> list[Any] | None:
    """Backpropagate `g` (the gradient of the loss w.r.t. `root`) through the tape.

    Nodes run in reverse creation order (a heap on their sequence numbers), each exactly once,
    after every gradient that flows into it has been summed. Without `inputs`, leaves
    accumulate their gradient in ``.grad``; with `inputs`, their gradients are returned instead
    and no ``.grad`` changes. `wrap` turns an array into a Tensor (for ``.grad`` and hooks).
    """
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    found: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    leaf_grads: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, summed gradient]
    pending: dict[Node, Any] = {}
    owned: set[Node] = set()  # pending buffers we allocated and may add into in place
    heap: list[tuple[int, Node]] = []

    heappush, heappop = heapq.heappush, heapq.heappop
    anomaly, observer = state.anomaly, state.observer
    if root._node is None or (wanted is not None and id(root) in wanted):
        leaf_grads[id(root)] = [root, g]
    else:
        pending[root._node] = g
        heap.append((-root._node.seq, root._node))
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        out = node.out()  # alive: the root, or an input of a node that ran before
        if node.watched or retain_all_grads:
            if out._hooks:
                g = _run_hooks(out, g, wrap, create_graph)
            if out._retains_grad or retain_all_grads:  # its own copy: g travels on to
                _store(out, g if create_graph else g.copy(), wrap, create_graph)  # leaves
        grads = _run_vjp(node, out, g, retain_graph, create_graph)
        if anomaly is not None:
            anomaly.check(node, grads)
        if observer is not None:
            observer(node, g, grads)
        for i, (t, gi, needed) in enumerate(zip(node.inputs, grads, node.needs)):
            if not needed or gi is None:
                continue
            if gi.shape != t.shape:
                raise ShapeError(
                    f"{node.prim.name}: VJP returned a gradient of shape {gi.shape} for input "
                    f"{i} of shape {t.shape}"
                )
            if gi.dtype != t.dtype:  # e.g. float32 weights times a float64 batch
                gi = gi.astype(t.dtype)  # a gradient has the dtype of its variable
            below = t._node
            if below is None or (wanted is not None and id(t) in wanted):  # a leaf: sum here
                entry = leaf_grads.get(id(t))
                if entry is None:
                    leaf_grads[id(t)] = [t, gi]
                else:
                    entry[1] = entry[1] + gi
            elif below not in pending:  # the first gradient to reach it: kept as it is
                pending[below] = gi
                heappush(heap, (-below.seq, below))
            elif below in owned:
                acc = pending[below]
                acc += gi  # in place for arrays; for Tensors (create_graph) a recorded add
                pending[below] = acc
            else:  # the second: a new buffer, which later ones may add into in place
                pending[below] = pending[below] + gi
                owned.add(below)

    stored: set[int] = set()  # ids of the arrays handed out as gradients so far
    for t, gi in leaf_grads.values():
        if not create_graph:
            gi = _unshared(gi, stored)
        if t._hooks:
            gi = _run_hooks(t, gi, wrap, create_graph)
        if wanted is not None and id(t) in wanted:
            found[wanted[id(t)]] = gi if create_graph else wrap(gi)
        else:
            _store(t, gi, wrap, create_graph)
    return found if inputs is not None else None


def _unshared(g: Any, stored: set[int]) -> Any:
    """g, or a copy of it where it is read-only or shares memory with another leaf's gradient.

    A VJP may pass g on unchanged (add) or as a view (reshape, broadcast_to), so two leaves
    could otherwise share one array, and an in-place change to one .grad would alter both.
    """
    owner = g if g.base is None else g.base
    if id(owner) in stored or not g.flags.writeable:
        g = g.copy()
        owner = g
    stored.add(id(owner))
    return g


def _run_hooks(t: Any, g: Any, wrap: Callable, create_graph: bool) -> Any:
    """t's hooks applied to its gradient g in turn; each may return a replacement."""
    as_tensor = g if create_graph else wrap(g)
    for hook in t._hooks:
        replaced = hook(as_tensor)
        if replaced is None:
            continue
        if type(replaced) is not type(as_tensor) or replaced.shape != as_tensor.shape:
            raise GradientError(
                f"register_hook: hook {getattr(hook, '__name__', hook)!r} returned "
                f"{type(replaced).__name__} {getattr(replaced, 'shape', '')}; expected None "
                f"or a Tensor of shape {as_tensor.shape}"
            )
        as_tensor = replaced
    return as_tensor if create_graph else as_tensor.data


def _store(t: Any, g: Any, wrap: Callable, create_graph: bool) -> None:
    """Accumulate g into t.grad."""
    grad = g if create_graph else wrap(g)
    t.grad = grad if t.grad is None else t.grad + grad
