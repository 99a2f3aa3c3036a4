"""The tape as text: a forward listing of the ops behind a value, and a step-by-step backward.

Both name every value the way the graph picture does (see `Graph`), so the three views of one
graph can be read side by side.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TextIO

import numpy as np

from autodiff import tape
from autodiff.errors import named_errors
from autodiff.released import Released
from autodiff.tensor import Tensor

__all__ = [
    "BackwardStep",
    "GradientSent",
    "Graph",
    "print_tape",
    "tape_listing",
    "trace_backward",
]

SMALL = 6  # gradients (and, in pictures, values) with at most this many elements are shown whole
CONSTANT = "const"  # stands in for an op argument that is not a Tensor (a number, an array)


class Graph:
    """Everything `root` depends on: its ops in forward order, and a name for every value.

    A value is called by its ``name=`` if it has one, else ``t1``, ``t2``, … numbered in
    forward order (a leaf takes its number where it is first used). The numbering depends
    only on the graph, so the listing, the backward trace and the picture of the same root
    agree. A name given to two different tensors gets a suffix (``w``, ``w.2``).
    """

    def __init__(self, root: Tensor):
        if not isinstance(root, Tensor):
            raise TypeError(f"expected a Tensor as the root of a graph, got {type(root).__name__}")
        self.root = root
        self.nodes, self._outputs, self._inputs = _nodes_behind(root)  # forward order
        self.values: list[Tensor] = []  # every value once: first use, in forward order
        seen: set[int] = set()
        for node in self.nodes:
            for t in (*self.inputs(node), self.out(node)):
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    self.values.append(t)
        if id(root) not in seen:  # a leaf root: a graph of one value
            self.values.append(root)
        self._names = _name_values(self.values)

    def name(self, t: Tensor | None) -> str:
        """The name of value `t` in this graph (CONSTANT for an argument that is no Tensor)."""
        if t is None:
            return CONSTANT
        return self._names[id(t)]

    def out(self, node: tape.Node) -> Tensor | Released:
        """The value `node` made: its Tensor, or what remains once backward freed it."""
        return self._outputs[id(node)]

    def inputs(self, node: tape.Node) -> list[Tensor | Released | None]:
        """The values `node` took (None for an argument that is no Tensor)."""
        return self._inputs[id(node)]

    def __contains__(self, t: Tensor) -> bool:
        return id(t) in self._names

    @property
    def backward_ran(self) -> bool:
        """Whether a backward pass has been through this graph (so missing grads mean 'not kept').

        True once a VJP released its saved values, or once any value here holds a gradient.
        """
        if any(node.released for node in self.nodes):
            return True
        return any(t.grad is not None for t in self.values)

    @cached_property
    def width(self) -> int:
        """The length of the longest `line` of this graph, to align columns after it."""
        return max((len(self.line(node)) for node in self.nodes), default=0)

    def line(self, node: tape.Node) -> str:
        """``out = op(inputs, params)``, e.g. ``t3 = sum(t2, axis=1)``."""
        args = [self.name(t) for t in self.inputs(node)]
        args += [f"{key}={tape.short(value)}" for key, value in node.shown_params.items()]
        return f"{self.name(self.out(node))} = {node.prim.name}({', '.join(args)})"


def _nodes_behind(root: Tensor) -> tuple[list[tape.Node], dict[int, Any], dict[int, list]]:
    """The nodes `root` depends on, in creation (= forward) order, the value each made and
    the values each took (by id(node)); iterative, no recursion.

    A value backward has freed appears in its consumers' inputs as the Node that made it;
    here it becomes a `Released` record, the same object wherever the value is used (its
    Tensor, if some consumer still holds it, stands for it everywhere).
    """
    found: dict[int, tape.Node] = {}
    outputs: dict[int, Any] = {}
    inputs: dict[int, list] = {}
    stack: list[Any] = [root] if root._node is not None else []
    while stack:
        value = stack.pop()
        node = value._node
        if id(node) in found:
            continue
        found[id(node)] = node
        values = [Released(t) if isinstance(t, tape.Node) else t for t in node.inputs]
        inputs[id(node)] = values
        for t in values:
            if t is not None and t._node is not None:
                key = id(t._node)
                if key not in outputs or isinstance(outputs[key], Released):
                    outputs[key] = t  # a Tensor wins over a Released record of the same value
                if key not in found:
                    stack.append(t)
    if root._node is not None:
        outputs[id(root._node)] = root
    for values in inputs.values():  # one object per value
        for k, t in enumerate(values):
            if t is not None and t._node is not None:
                values[k] = outputs[id(t._node)]
    nodes = sorted(found.values(), key=lambda node: node.seq)
    return nodes, outputs, inputs


def _name_values(values: list[Tensor]) -> dict[int, str]:
    taken: set[str] = set()
    names: dict[int, str] = {}
    for t in values:  # user names first, so a generated name never takes one of theirs
        if t.name:
            name, copy = t.name, 1
            while name in taken:
                copy += 1
                name = f"{t.name}.{copy}"
            taken.add(name)
            names[id(t)] = name
    number = 0
    for t in values:
        if id(t) not in names:
            number += 1
            while f"t{number}" in taken:
                number += 1
            names[id(t)] = f"t{number}"
    return names


def _shape(t: Tensor | None) -> str:
    return CONSTANT if t is None else str(tuple(t.shape))


@named_errors
def tape_listing(root: Tensor) -> str:
    """The ops behind `root` in forward order, one line each: names, op, shapes.

    >>> print(autodiff.tape_listing((a * b).sum()))
    t1 = mul(a, b)                           (3,) (3,) -> (3,)
    t2 = sum(t1, axis=None, keepdims=False)  (3,) -> ()
    """
    graph = Graph(root)
    width = graph.width
    lines = []
    for node in graph.nodes:
        shapes = " ".join(_shape(t) for t in graph.inputs(node))
        lines.append(f"{graph.line(node).ljust(width)}  {shapes} -> {graph.out(node).shape}")
    return "\n".join(lines)


@named_errors
def print_tape(root: Tensor, file: TextIO | None = None) -> None:
    """Print `tape_listing(root)` (to stdout, or to `file`)."""
    text = tape_listing(root)
    if not text:
        text = f"(no recorded ops: {Graph(root).name(root)} is a leaf)"
    print(text, file=file if file is not None else sys.stdout)


@dataclass
class GradientSent:
    """The gradient one VJP sent to one of its inputs (None: the input needs no gradient)."""

    name: str
    shape: tuple[int, ...]
    grad: np.ndarray | None


@dataclass
class BackwardStep:
    """One VJP as backward ran it: the op, its upstream gradient, what it sent to each input."""

    index: int  # 1 for the first VJP backward ran (the root's op)
    call: str  # the op as the listing writes it: ``t3 = mul(a, b)``
    op: str  # node.label: ``mul``, ``sum(axis=1)``
    output: str
    g: np.ndarray  # the gradient w.r.t. the op's output
    sent: list[GradientSent] = field(default_factory=list)

    def __str__(self) -> str:
        return self.format()

    def format(self, width: int = 0) -> str:
        """One line; the call padded to `width` so that the steps of a trace line up."""
        sent = ", ".join(_describe_sent(s) for s in self.sent)
        return f"[{self.index}] {self.call.ljust(width)}  grad {_describe(self.g)}  ->  {sent}"


def format_values(data: np.ndarray) -> str:
    """The values of a small array, each to 4 significant digits: ``[1.5, -2, 0.3333]``."""
    if data.ndim == 0:
        return f"{data.item():.4g}"
    return np.array2string(data, separator=", ", formatter={"all": lambda v: f"{v:.4g}"})


def _describe(g: np.ndarray) -> str:
    """A gradient in a few characters: its value for a scalar, else its shape and norm
    (and its values, when there are few)."""
    if g.ndim == 0:
        return format_values(g)
    text = f"{g.shape} norm={float(np.linalg.norm(g)):.4g}"
    if g.size <= SMALL:
        text += " " + format_values(g)
    return text


def _describe_sent(sent: GradientSent) -> str:
    if sent.grad is None:
        return f"{sent.name}: no grad (constant)"
    return f"{sent.name} += {_describe(sent.grad)}"


def _as_array(g: Any) -> np.ndarray:
    """A copy of a gradient (an array, or a Tensor under create_graph) for the record."""
    return np.array(g._value if isinstance(g, Tensor) else g, copy=True)


class trace_backward:
    """Record (and print) each VJP that backward runs, in the order it runs them.

    >>> with autodiff.trace_backward() as trace:   # loss = (a * b).sum(), a, b of shape (3,)
    ...     loss.backward()
    [1] t2 = sum(t1, axis=None, keepdims=False)  grad 1  ->  t1 += (3,) norm=1.732 [1, 1, 1]
    [2] t1 = mul(a, b)                           grad (3,) norm=1.732 [1, 1, 1]  ->  a += ...
    >>> trace.steps[1].sent[0].grad   # the gradient mul sent to a: b
    array([4., 5., 6.])

    Args:
        file: where to print each step as it runs (stdout if None).
        quiet: collect the steps in ``trace.steps`` without printing them.
    """

    def __init__(self, file: TextIO | None = None, quiet: bool = False):
        self.file = file
        self.quiet = quiet
        self.steps: list[BackwardStep] = []
        self._graph: Graph | None = None
        self._previous: Any = None

    def __enter__(self) -> trace_backward:
        self._previous = tape.state.observer
        tape.state.observer = self._observe
        return self

    def __exit__(self, *exc: object) -> None:
        tape.state.observer = self._previous
        self._graph = None

    def __iter__(self) -> Iterator[BackwardStep]:
        return iter(self.steps)

    def __str__(self) -> str:
        width = max((len(step.call) for step in self.steps), default=0)
        return "\n".join(step.format(width) for step in self.steps)

    def _observe(self, node: tape.Node, g: Any, grads: tuple[Any, ...]) -> None:
        out = tape.state.current_out  # the output of the node backward just ran
        if self._graph is None or out is None or out not in self._graph:
            # the first VJP of a backward pass is the root's op: name values as its graph does
            self._graph = Graph(out) if out is not None else None
        graph = self._graph
        step = BackwardStep(
            index=len(self.steps) + 1,
            call=graph.line(node) if graph is not None else node.label,
            op=node.label,
            output=graph.name(out) if graph is not None else "?",
            g=_as_array(g),
        )
        for t, gi, needed in zip(node.inputs, grads, node.needs):
            if t is None:
                continue
            name = graph.name(t) if graph is not None and t in graph else "?"
            grad = _as_array(gi) if needed and gi is not None else None
            step.sent.append(GradientSent(name, t.shape, grad))
        self.steps.append(step)
        if not self.quiet:
            width = graph.width if graph is not None else 0
            print(step.format(width), file=self.file if self.file is not None else sys.stdout)
        if self._previous is not None:
            self._previous(node, g, grads)
