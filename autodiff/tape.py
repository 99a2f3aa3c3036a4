"""The tape: one Node per recorded op, and the backward walk.

Each Tensor made by a recorded op holds its Node; the Node holds the op's input Tensors, the
arguments its forward was given that were not Tensors, its parameters and what the forward
saved. Nothing refers back from a Node to its own output strongly, so a graph is freed
by reference counting as soon as its last Tensor goes. A backward without retain_graph lets go,
node by node, of what it no longer needs: the saved values, the forward's arguments, and the
input Tensors made by other ops (each replaced in `inputs` by the Node that made it, which
keeps the value's name, shape and dtype), so a step's activations die during backward, even
while the loss is still bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from heapq import heappop, heappush
from types import MappingProxyType
from typing import Any

from autodiff import versions, xp
from autodiff.context import Context, RecordedContext, Saved
from autodiff.errors import GradientError, ShapeError
from autodiff.grad_mode import state
from autodiff.primitive import Primitive
from autodiff.released import ReleaseReason
from autodiff.versions import changed_since, clock, mark_inplace

_anomaly_threads = 0  # how many threads have anomaly mode on: Nodes skip the check at 0
_anomaly_lock = threading.Lock()
# anomaly mode in some thread, or a recorded in-place change happened (versions.last_recorded):
# record's one test for both (see _prepare)
_more_to_record = False


def set_anomaly(mode: Any) -> None:
    """Set this thread's anomaly mode (an object with capture() and check(), or None)."""
    global _anomaly_threads, _more_to_record
    with _anomaly_lock:
        _anomaly_threads += (mode is not None) - (state.anomaly is not None)
        state.anomaly = mode
        _more_to_record = bool(_anomaly_threads) or versions.last_recorded >= 0


def views_may_follow() -> None:
    """Note a recorded in-place change: from now on, record looks for views taken before one
    (follow_base)."""
    global _more_to_record
    _more_to_record = True


class _ArraysOfInputs:
    """Node.args when every argument of the op was a Tensor: the VJP reads their arrays."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ARRAYS_OF_INPUTS"


ARRAYS_OF_INPUTS: Any = _ArraysOfInputs()
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})  # shared by every op without parameters
_SHARED_NEEDS = 5
_NEEDS = [
    [tuple(bool(mask >> i & 1) for i in range(n)) for mask in range(1 << n)]
    for n in range(_SHARED_NEEDS)
]  # shared tuples of needs: _NEEDS[n][mask] for ops of fewer than _SHARED_NEEDS inputs


def _needs(mask: int, count: int) -> tuple[bool, ...]:
    """The tuple saying which of `count` inputs need a gradient (bit i of mask: input i)."""
    return tuple(bool(mask >> i & 1) for i in range(count))


class Node(list):
    """One recorded op: the list of its inputs, with its primitive, parameters and saved
    values as attributes (one object for the collector to track, not a node and a list).

    The items are the op's Tensor inputs (None for other arguments; see _Walk.route).
    It does not refer to its output: the backward walk reaches a node through the output
    Tensor (the root, or an input of a node that ran before), so nothing forms a cycle.
    Nodes compare and hash by identity, as dictionary keys of the walk. `record` makes them.
    """

    __slots__ = (
        "prim",
        "params",
        "args",
        "needs",
        "saved",
        "seq",
        "scope",
        "trace",
        "watched",
        "released_value",
    )
    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__

    def __repr__(self) -> str:
        return f"<node {self.prim.name}>"

    @property
    def inputs(self) -> list[Any]:
        """The op's Tensor inputs (None for other arguments): the node itself."""
        return self

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
        return isinstance(self.saved, ReleaseReason)

    def where(self) -> str:
        """The user's line that made this op, when anomaly mode recorded it."""
        return f"\n  made at {self.trace}" if self.trace else ""


def record(
    prim: Primitive,
    params: Mapping[str, Any],
    inputs: Sequence[Any],
    args: Any,
    needs: int,
    saved: Saved,
) -> Node:
    """A new Node for an op just run: `inputs` its Tensor inputs (None for other arguments),
    `args` what its forward was given (or ARRAYS_OF_INPUTS), bit i of `needs` set where
    input i requires grad, `saved` what the forward saved."""
    trace = _prepare(inputs) if _more_to_record else None
    node = Node(inputs)
    node.prim = prim
    node.params = params or _NO_PARAMS
    node.args = args  # None once released
    count = len(inputs)  # which inputs need a gradient, as a shared tuple of booleans
    node.needs = _NEEDS[count][needs] if count < _SHARED_NEEDS else _needs(needs, count)
    node.saved = saved
    node.seq = next(clock)  # creation order: a consumer always comes after its inputs
    node.scope = state.scope
    node.trace = trace
    node.watched = False  # the output has hooks or keeps its gradient
    node.released_value = None  # (name, shape, dtype), see _Walk.route
    return node


def _prepare(inputs: Sequence[Any]) -> Any:
    """What record does beyond the common case, before the node takes its place in the order:
    follow the views taken before a recorded in-place change, and capture the user's line in
    anomaly mode (returned)."""
    latest = versions.last_recorded
    if latest >= 0:
        for t in inputs:
            if t is not None and t._node is not None and t._node.seq < latest:
                follow_base(t)
    return state.anomaly.capture() if state.anomaly is not None else None


def follow_base(t: Any) -> None:
    """Give t, a view taken of a tensor before a recorded in-place change of it, a node of
    its own op that follows the tensor's new history (as PyTorch regenerates a view's
    grad_fn): the view's values changed with its base, so must its gradient's path.

    The view's op reads no values (a view's VJP needs only shapes), so its node is copied
    with a later place in the creation order, and backward takes the base's node as it is
    after the change (see _earlier). The ops that used the view before keep its old node,
    through a stand-in Tensor the copy holds (as an in-place op holds the value it replaced).
    """
    node = t._node
    changed = versions.recorded_change(t)
    if changed <= node.seq:  # no change since it was made (or t itself changed: see inplace)
        return
    tensors = (i for i in node if i is not None and not isinstance(i, Node))
    base = next((i for i in tensors if versions.same_memory(i, t)), None)
    if base is None or node.released:
        raise GradientError(
            f"{node.prim.name}: its result shares memory with a tensor that was changed in place "
            f"(and recorded) after it was made, so its values changed without its history; "
            f"make it after the in-place change, or clone() it before{node.where()}"
        )
    if base._node is not None:
        follow_base(base)  # a view of a view
    fresh = FollowedView(node)
    for slot in Node.__slots__:
        setattr(fresh, slot, getattr(node, slot))
    fresh.seq = next(clock)
    fresh.before = before = type(t)._wrap(t._value)
    before._node, before._requires_grad, before.name = node, t._requires_grad, t.name
    t._node = fresh


class FollowedView(Node):
    """The node of a view made again after a recorded in-place change of its base (see
    follow_base): `before` stands for the view as the ops that used it earlier saw it."""

    __slots__ = ("before",)


def short(value: Any) -> str:
    """repr(value), cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _unset(value: Any, default: Any) -> bool:
    """Whether a parameter is left at an "off" default (None or False): not worth showing."""
    return value is default and (default is None or default is False)


class scope:
    """Label the ops recorded inside (nn.Module uses it so pictures group ops by layer)."""

    __slots__ = ("label",)

    def __init__(self, label: str):
        self.label = label

    def __enter__(self) -> None:
        state.scope = (*state.scope, self.label)

    def __exit__(self, *exc: object) -> None:
        state.scope = state.scope[:-1]


# ----- the backward walk ----------------------------------------------------------------------


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
    after every gradient that flows into it has been summed: seed, then for each node run its
    VJP, route each gradient to an input's pending sum, release what the node held; finally
    deliver the leaves' gradients. Without `inputs`, leaves accumulate their gradient in
    ``.grad``; with `inputs`, their gradients are returned instead and no ``.grad`` changes.
    `wrap` turns an array into a Tensor (for ``.grad`` and hooks).
    """
    if versions.last_recorded >= 0 and root._node is not None:
        follow_base(root)  # a view taken before a recorded in-place change of its base
    walk = _Walk(root, g, inputs, create_graph, retain_graph, retain_all_grads, wrap)
    heap, pending, route, capture = walk.heap, walk.pending, walk.route, walk.capture
    plain = None if create_graph or walk.anomaly or walk.observer else walk.ctx
    node = None
    try:
        while heap:
            out = heappop(heap)[1]
            node = out._node
            g = pending.pop(node)
            if node.watched or retain_all_grads:
                g = walk.watch(out, g)
            if capture is not None and node in capture:  # an input asked for, made by an op
                walk.captured[capture[node]] = g
            if plain is not None:  # the common case, without the checks run() makes
                grads = _run_plain_vjp(node, out, g, plain)
            else:
                grads = walk.run(node, out, g)
            route(node, grads)
    except BaseException:
        walk.release.reason = (
            "was freed by an earlier backward() that stopped with an error before it "
            "finished; run the forward pass again to build a new graph"
        )
        if node is not None and any(isinstance(t, Node) for t in node):
            # route let go of some inputs before it failed: the node cannot run again
            node.saved, node.args = walk.release, None
        raise
    return walk.deliver()


class _Walk:
    """The state of one backward pass: the heap of nodes to run, the gradients on their way.

    `pending` holds the gradient summed so far for each node's output (keyed by the Node)
    and each leaf (keyed by the Tensor), by one rule (in route): the first gradient to arrive
    is kept as it is, the second is added into a new buffer (recorded in `owned`), later ones
    into that buffer in place. Once the heap is empty, only the leaves are left in it.
    """

    __slots__ = (
        "heap",
        "pending",
        "owned",
        "wanted",
        "capture",
        "captured",
        "count",
        "create_graph",
        "retain_graph",
        "keep_values",
        "keep_all_grads",
        "release",
        "wrap",
        "ctx",
        "anomaly",
        "observer",
    )

    def __init__(
        self,
        root: Any,
        g: Any,
        inputs: Sequence[Any] | None,
        create_graph: bool,
        retain_graph: bool,
        retain_all_grads: bool,
        wrap: Callable[[Any], Any],
    ):
        """Seed the walk: g waits at the root's node, or at the root itself if it is a leaf."""
        self.heap: list[tuple[int, Any]] = []  # (-seq, the node's output Tensor)
        self.pending: dict[Any, Any] = {}  # Tensors and Nodes hash by identity
        self.owned: set[Any] = set()
        self.wanted: dict[int, list[int]] | None = None  # id(input) -> its places in inputs
        self.capture: dict[Node, int] | None = None  # an input's node -> id(input), for those
        self.captured: dict[int, Any] = {}  # made by ops: their gradients, taken on the way
        self.count = 0
        if inputs is not None:
            self.wanted, self.capture, self.count = {}, {}, len(inputs)
            for i, t in enumerate(inputs):
                self.wanted.setdefault(id(t), []).append(i)
                if t._node is not None:
                    self.capture[t._node] = id(t)
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.keep_values = retain_graph or retain_all_grads  # the inputs stay in their nodes
        self.keep_all_grads = retain_all_grads
        self.release = ReleaseReason()  # what each node this walk releases keeps instead
        self.wrap = wrap
        self.ctx = Context((), None, (), None)  # refilled for each plain VJP
        self.anomaly, self.observer = state.anomaly, state.observer
        if root._node is None:
            self.pending[root] = g
        else:
            self.pending[root._node] = g
            self.heap.append((-root._node.seq, root))

    def run(self, node: Node, out: Any, g: Any) -> tuple[Any, ...]:
        """Run the node's VJP on g, recorded under create_graph, checked in anomaly mode, and
        shown to the observer."""
        if self.create_graph:
            grads = _run_recorded_vjp(node, out, g)
        else:
            grads = _run_plain_vjp(node, out, g, self.ctx)
        if self.anomaly is not None:
            self.anomaly.check(node, grads)
        if self.observer is not None:
            state.current_out = out
            try:
                self.observer(node, g, grads)
            finally:
                state.current_out = None
        return grads

    def route(self, node: Node, grads: tuple[Any, ...]) -> None:
        """Send each input's gradient on, into the pending sum of the node that made the
        input (a node gets onto the heap with its first gradient), or of the leaf.

        Then let go of what the node held for its VJP, unless the graph is kept: the saved
        values, the forward's arguments, and the input Tensors made by other ops, each
        replaced by its own Node (which keeps the value's name, shape and dtype), except
        where the user watches it or asked for every gradient."""
        pending, keep_values = self.pending, self.keep_values
        needs = node.needs
        for i, t in enumerate(node):
            if t is None:
                continue
            below = t._node
            if below is not None and below.seq > node.seq:  # t changed in place since
                below, t = _earlier(below, t, node.seq)
            data = t._value
            shape, dtype = data.shape, data.dtype  # read once: the check and the release
            gi = grads[i]
            if gi is not None and needs[i]:
                if gi.shape != shape:
                    _refuse_shape(node, i, gi, data)
                if gi.dtype is not dtype and gi.dtype != dtype:  # float32 weights times a
                    gi = gi.astype(dtype)  # float64 batch: a gradient has its variable's dtype
                key = below
                if below is None:
                    key = t  # a leaf: its sum waits for deliver
                total = pending.get(key)
                if total is None:  # the first gradient to arrive: kept as it is
                    pending[key] = gi
                    if key is below:
                        heappush(self.heap, (-below.seq, t))
                elif key in self.owned:  # a sum this walk allocated: add into it in place
                    total += gi  # in place for arrays; for Tensors (create_graph) a recorded add
                    pending[key] = total
                else:  # the second: a new buffer, which later ones add into
                    pending[key] = total + gi
                    self.owned.add(key)
            if below is not None and not keep_values and not below.watched:
                if below.released_value is None:
                    below.released_value = (t.name, shape, dtype)
                node[i] = below
        if not self.retain_graph:
            node.saved = self.release
            node.args = None

    def watch(self, out: Any, g: Any) -> Any:
        """Run the hooks of an intermediate value on its gradient, and keep it if asked to."""
        create_graph = self.create_graph
        if out._hooks:
            g = _run_hooks(out, g, self.wrap, create_graph)
        if out._retains_grad or self.keep_all_grads:  # its own copy: g travels on
            with _grad_lock:
                _store(out, g if create_graph else g.copy(), self.wrap, create_graph)
        return g

    def deliver(self) -> list[Any] | None:
        """Hand the leaves their gradients: through their hooks, into .grad or the result."""
        create_graph, wanted, wrap = self.create_graph, self.wanted, self.wrap
        stored: set[int] = set()  # ids of the arrays handed out as gradients so far
        if wanted is None:
            for t, gi in self.pending.items():  # only leaves are left
                if not create_graph:
                    gi = _unshared(gi, stored)
                if t._hooks:
                    gi = _run_hooks(t, gi, wrap, create_graph)
                with _grad_lock:  # two threads' backward passes into one leaf add up
                    _store(t, gi, wrap, create_graph)
            return None
        found: list[Any] = [None] * self.count
        for t, gi in self.pending.items():  # a leaf not asked for: its .grad stays as it is
            if id(t) in wanted:
                if t._hooks:
                    gi = _run_hooks(t, gi, wrap, create_graph)
                self.captured[id(t)] = gi
        for key, gi in self.captured.items():
            if not create_graph:
                gi = wrap(_unshared(gi, stored))
            for place in wanted[key]:
                found[place] = gi
        return found


def _run_plain_vjp(node: Node, out: Any, g: Any, ctx: Context) -> tuple[Any, ...]:
    """The node's VJP applied to g in a plain backward. `ctx` is the walk's context, refilled
    for every node (VJPs keep no reference to it): the arrays of the inputs and the output,
    as the forward had them."""
    args, vjp = node.args, node.prim.vjp
    if args is None or vjp is None:
        _refuse(node)
    count = len(node)
    if args is ARRAYS_OF_INPUTS:
        if count == 1:
            args = (node[0]._value,)
        elif count == 2:
            args = (node[0]._value, node[1]._value)
        else:
            args = tuple([t._value for t in node])
    ctx.inputs = args
    ctx.out = out._value
    ctx.needs = node.needs
    ctx._node = node
    if versions.last_inplace > node.seq:  # something changed in place since this op ran
        _mark_changed(ctx, node, out)
    grads = vjp(ctx, g)
    if len(grads) != count:
        _refuse_count(node, grads)
    return grads


def _refuse_count(node: Node, grads: tuple[Any, ...]) -> None:
    """Raise: the VJP returned another number of gradients than the node has inputs."""
    raise GradientError(
        f"{node.prim.name}: VJP returned {len(grads)} gradients for {len(node)} inputs"
    )


def _earlier(below: Node, t: Any, seq: int) -> tuple[Node | None, Any]:
    """The node that made the value t held when the op numbered `seq` used it, and a Tensor
    that stands for that value: back along the recorded in-place ops that replaced t's value
    since (x[i] = v: each has the value it replaced as its input 0).

    Once backward has run such an op, its input 0 is the node itself, and that node's
    gradient is already pending, so the Tensor is needed no more.
    """
    while below is not None and below.seq > seq:
        if isinstance(below, FollowedView):  # the view as it was, before it followed its base
            below, t = below.before._node, below.before
            continue
        before = below[0]
        if isinstance(before, Node):
            below = before
        else:
            below, t = before._node, before
    return below, t


def _refuse_shape(node: Node, i: int, gi: Any, data: Any) -> None:
    """Raise: the VJP returned a gradient of another shape than input i's."""
    raise ShapeError(
        f"{node.prim.name}: VJP returned a gradient of shape {gi.shape} for input {i} of "
        f"shape {data.shape}"
    )


def _refuse(node: Node) -> None:
    """Raise: the node was released, or its primitive has no VJP."""
    if node.released:
        raise GradientError(
            f"backward: the graph through {node.prim.name} {node.saved.reason}{node.where()}"
        )
    raise NotImplementedError(f"{node.prim.name}: no VJP defined")


def _run_recorded_vjp(node: Node, out: Any, g: Any) -> tuple[Any, ...]:
    """The VJP run on the recorded Tensors (create_graph), so that it records itself."""
    prim, args = node.prim, node.args
    if args is None or prim.vjp is None:
        _refuse(node)
    if args is ARRAYS_OF_INPUTS:
        inputs = tuple(node)
    else:
        inputs = tuple(a if t is None else t for t, a in zip(node, args))
    ctx = RecordedContext(inputs, out, node.needs, node)
    if versions.last_inplace > node.seq:
        _mark_changed(ctx, node, out)
    outer, state.recording_vjp = state.recording_vjp, prim.name  # see refuse_value
    try:
        grads = prim.vjp(ctx, g)
    finally:
        state.recording_vjp = outer
    for i, gi in enumerate(grads):
        if gi is not None and not isinstance(gi, type(g)):  # an array: not recorded
            raise GradientError(
                f"{prim.name}: under create_graph the VJP returned a "
                f"{type(gi).__name__} for input {i}, so the gradient's dependence on "
                f"g and the inputs is lost; compute it with operators, Tensor methods "
                f"and primitives, not numpy functions{node.where()}"
            )
    if len(grads) != len(node):
        _refuse_count(node, grads)
    return grads


def refuse_value(t: Any, what: str) -> None:
    """Raise if a VJP recorded under create_graph turns the recorded Tensor `t` into a
    number or an array (`what`: how), which would hide it from the tape."""
    name = state.recording_vjp
    if name is not None and t._requires_grad:
        raise GradientError(
            f"{name}: its VJP turned a recorded Tensor of shape {t.shape} into {what} under "
            f"create_graph, so higher derivatives through it would silently be 0; expected "
            f"the VJP to compute with operators, Tensor methods and primitives (e.g. "
            f"ad.exp(x), not np.exp(np.asarray(x)); x * x, not x * float(x))"
        )


def _unshared(g: Any, stored: set[int]) -> Any:
    """g, or a copy of it where it is read-only or shares memory with another leaf's gradient.

    A VJP may pass g on unchanged (add) or as a view (reshape, broadcast_to), so two leaves
    could otherwise share one array, and an in-place change to one .grad would alter both.
    """
    if isinstance(g, xp.generic):  # a numpy scalar: immutable, so nothing can change it
        return g
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
    return as_tensor if create_graph else as_tensor._value


_grad_lock = threading.Lock()  # held while a gradient is added into a .grad


def _store(t: Any, g: Any, wrap: Callable, create_graph: bool) -> None:
    """Accumulate g into t.grad (the caller holds _grad_lock): into its own array in place
    where it has one to add into (as PyTorch does, so that zero_grad(set_to_none=False)
    keeps one buffer across steps), else as a new Tensor."""
    grad = t.grad
    if grad is None:
        t.grad = g if create_graph else wrap(g)
    elif create_graph or grad.requires_grad:  # a recorded sum
        t.grad = grad + (g if create_graph else wrap(g))
    elif not _accumulates_in_place(grad, g):  # a number, a read-only array: a new sum
        t.grad = wrap(grad._value + g)
    else:
        data = grad._value
        xp.add(data, g, out=data)
        grad._version = mark_inplace(data)  # a graph that read this .grad sees it changed


def _accumulates_in_place(grad: Any, g: Any) -> bool:
    """Whether g can be added into grad's array in place: a plain writeable array of g's
    shape and dtype."""
    data = grad._value
    return (
        type(data) is xp.ndarray
        and data.flags.writeable
        and data.shape == g.shape
        and data.dtype == g.dtype
    )


# ----- values changed in place ----------------------------------------------------------------


def _mark_changed(ctx: Context, node: Node, out: Any) -> None:
    """Replace in ctx each input and the output changed in place since the node was recorded
    by a stand-in that gives its shape and dtype but raises if the VJP reads its values."""
    seq = node.seq
    inputs = list(ctx.inputs)
    for i, t in enumerate(node):
        if isinstance(t, Node) or t is None:
            continue
        if changed_since(t, seq):
            which = f"an input of {node.prim.name} (input {i})"
            inputs[i] = versions.Changed(node, which, inputs[i])
    ctx.inputs = tuple(inputs)
    if changed_since(out, seq):
        ctx.out = versions.Changed(node, f"the output of {node.prim.name}", ctx.out)
