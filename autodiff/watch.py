"""Watch backprop: a page that plays the backward pass one VJP at a time.

`watch_backward(loss)` draws the loss's graph as it is before backward, runs the real backward
with an observer on the tape, and records each VJP as the walk runs it: the gradient that
reached the op, what the op sent to each input, and the moment each value's gradient is
complete. The page is one self-contained HTML file (the SVG, the steps as data, a small
script): it shows itself inline in Jupyter and works from ``file://`` with no network.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from autodiff import draw, tape
from autodiff.errors import GradientError
from autodiff.listing import SMALL, Graph, format_values
from autodiff.rules import declare_builtin_rules
from autodiff.seed import starting_gradient
from autodiff.serialization import write_atomically
from autodiff.tensor import Tensor

__all__ = ["BackwardWatch", "watch_backward"]

LARGE = 300  # graphs with more value and op nodes than this open with their modules collapsed
_HEAT_CELLS = 24  # a heat map shows at most this many rows and columns of a gradient
_NO_GRAD_YET = "grad: no backward yet"  # the text of a record's gradient field before backward

declare_builtin_rules()


@dataclass
class BackwardWatch:
    """Backward passes step by step, as a page: display it in Jupyter, or write it with
    `save`. `graphs` holds the page's data, one entry per loss: its title, its pictures and
    its steps (per VJP, in the order backward ran them, the op and the gradients — the
    engine's own — that reached it and that it sent on)."""

    title: str
    graphs: list[dict[str, Any]] = field(repr=False)

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The steps of the (first) loss's backward."""
        return self.graphs[0]["steps"]

    @property
    def page(self) -> str:
        """The page: one self-contained HTML document."""
        return _page(self.title, {"graphs": self.graphs})

    @classmethod
    def combine(cls, watches: list[BackwardWatch], title: str) -> BackwardWatch:
        """One page for several backward passes, with a menu to choose among them."""
        return cls(title, [graph for watch in watches for graph in watch.graphs])

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (one HTML file that needs nothing else); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.page.encode("utf-8")
        write_atomically(str(path), lambda file: file.write(data))
        return path

    def _repr_html_(self) -> str:
        """The page in a frame of its own, so its script and styles touch nothing else."""
        return (
            f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
            f'title="{html.escape(self.title, quote=True)}" '
            f'style="width: 100%; height: 720px; border: 1px solid #ccc; resize: vertical">'
            f"</iframe>"
        )

    def __repr__(self) -> str:
        steps = " + ".join(str(len(graph["steps"])) for graph in self.graphs)
        return f"<BackwardWatch {self.title!r}: {steps} steps; .save(path) writes the page>"


def watch_backward(
    loss: Tensor,
    gradient: Any = None,
    *,
    retain_graph: bool = False,
    rankdir: str = "LR",
    title: str | None = None,
    large: int = LARGE,
    seconds_per_step: float = 0.9,
) -> BackwardWatch:
    """Run ``loss.backward(gradient)`` and return a page that plays it back one VJP at a time.

    The page shows the graph as it was before backward; at step k the op whose VJP ran k-th is
    highlighted, the edge from its output carries the gradient that reached it and the edges
    to its inputs what it sent; values whose gradient is complete show it, and values that
    receive several contributions show each one arrive. A panel names the op, its rule (from
    the primitive's declaration, ``@primitive(rule=...)``) and the numbers. Controls: first,
    previous, play/pause, next, last, a slider, the arrow keys; the step is in the URL
    (``backprop.html#step=5``). The leaves' ``.grad`` accumulate as after any backward.

    Args:
        gradient, retain_graph: as for ``Tensor.backward``.
        rankdir: the direction of the picture's flow ("LR", "TB", ...).
        title: the page's heading (default: the loss's name in its graph).
        large: graphs with more value and op nodes than this open with each module call
            collapsed to one box (and are not drawn expanded).
        seconds_per_step: how long play shows each step.

    Raises:
        GradientError: the loss does not require grad, is not a scalar and no `gradient` was
            given, or its graph was freed by an earlier backward; raised before anything is
            drawn.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"watch_backward: expected a Tensor, got {type(loss).__name__}")
    if not seconds_per_step > 0:
        raise ValueError(f"watch_backward: seconds_per_step must be > 0, got {seconds_per_step}")
    starting_gradient(loss, gradient, "watch_backward", False, Tensor)  # backward's checks
    graph = Graph(loss)
    for node in graph.nodes:
        if node.released:
            raise GradientError(
                f"watch_backward: the graph through {node.prim.name} {node.saved.reason}"
            )
    title = title if title is not None else f"backward of {graph.name(loss)}"
    value_ids = {id(t): f"v{i}" for i, t in enumerate(graph.values)}
    op_ids = {id(node): f"op{i}" for i, node in enumerate(graph.nodes)}
    count = len(graph.values) + len(graph.nodes)
    try:
        views = _views(graph, loss, value_ids, op_ids, rankdir, count > large)
        no_picture = None
    except draw._CANNOT_DRAW as error:  # no Graphviz at all: the steps without the picture
        views, no_picture = [], f"No picture: {error}"

    recorder = _Recorder()
    with recorder:
        loss.backward(gradient, retain_graph=retain_graph)
    steps = _steps(graph, loss, recorder.steps, value_ids, op_ids)
    seed = np.ones(loss.shape, dtype=loss.dtype) if gradient is None else np.asarray(gradient)
    data = {
        "title": title,
        "nodes": count,
        "large": count > large,
        "views": views,
        "noPicture": no_picture,
        "interval": round(seconds_per_step * 1000),
        "root": value_ids[id(loss)],
        "rootName": graph.name(loss),
        "seed": _numbers(seed),
        "seedShort": _short(seed),
        "steps": steps,
    }
    return BackwardWatch(title, [data])


def _views(
    graph: Graph,
    root: Tensor,
    value_ids: dict[int, str],
    op_ids: dict[int, str],
    rankdir: str,
    large: bool,
) -> list[dict[str, Any]]:
    """The pictures of the graph: as draw_graph draws it (unless it is large), and with each
    innermost module call collapsed to one box (where there are modules), large ones first."""
    collapsed = _collapsed_view(graph, root, value_ids, op_ids, rankdir)
    views = []
    if not large or collapsed is None:
        expanded = draw.draw_graph(root, rankdir=rankdir)
        views.append({"name": "expanded", "svg": _inline(draw._svg(expanded)), "alias": {}})
    if collapsed is not None:
        picture, alias = collapsed
        views.append({"name": "collapsed", "svg": _inline(draw._svg(picture)), "alias": alias})
    if large:
        views.reverse()
    return views


class _Recorder:
    """Sees each VJP as backward runs it (through the tape's observer) and keeps copies of
    the gradient that reached the op and of those it sent."""

    def __init__(self) -> None:
        self.steps: list[tuple[tape.Node, np.ndarray, list[np.ndarray | None]]] = []
        self._previous: Any = None

    def __enter__(self) -> _Recorder:
        self._previous = tape.state.observer
        tape.state.observer = self
        return self

    def __exit__(self, *exc: object) -> None:
        tape.state.observer = self._previous

    def __call__(self, node: tape.Node, g: Any, grads: tuple[Any, ...]) -> None:
        sent = [
            None if gi is None or not needed else np.array(gi, copy=True)
            for gi, needed in zip(grads, node.needs)
        ]
        self.steps.append((node, np.array(g, copy=True), sent))
        if self._previous is not None:
            self._previous(node, g, grads)


def _steps(
    graph: Graph,
    loss: Tensor,
    recorded: list[tuple[tape.Node, np.ndarray, list[np.ndarray | None]]],
    value_ids: dict[int, str],
    op_ids: dict[int, str],
) -> list[dict[str, Any]]:
    """The steps as the page's data: per VJP the op, its rule, the gradients in and out, and
    the values whose gradient changed (a contribution arrived, or it became complete)."""
    expected: dict[str, int] = {}  # how many contributions each value receives in all
    for node, _, sent in recorded:
        for t, gi in zip(graph.inputs(node), sent):
            if t is not None and gi is not None:
                key = value_ids[id(t)]
                expected[key] = expected.get(key, 0) + 1
    sums: dict[str, np.ndarray] = {}
    arrived: dict[str, int] = {}
    steps = []
    for node, g, sent in recorded:
        out = graph.out(node)
        out_id = value_ids[id(out)]
        symbols, words = node.prim.rule or (
            "no rule declared",
            f"declare it with @primitive(rule=(symbols, words)) on {node.prim.name}",
        )
        updates = {}
        if out is not loss:  # the gradient that reached the op is its output's, complete
            updates[out_id] = {"text": f"grad {_short(g)}", "state": "complete"}
        sends = []
        for position, (t, gi) in enumerate(zip(graph.inputs(node), sent)):
            if t is None:
                continue
            key = value_ids[id(t)]
            entry = {"value": key, "name": graph.name(t), "position": position + 1}
            if gi is None:
                entry["none"] = "no gradient: it requires none" if not t.requires_grad else "none"
                sends.append(entry)
                continue
            gi = gi.astype(t.dtype, copy=False)  # as the engine stores it: the input's dtype
            sums[key] = gi if key not in sums else sums[key] + gi
            arrived[key] = arrived.get(key, 0) + 1
            entry["grad"] = _numbers(gi)
            entry["short"] = _short(gi)
            entry["of"] = [arrived[key], expected[key]]
            if arrived[key] > 1:
                entry["total"] = _numbers(sums[key])
            done = arrived[key] == expected[key]  # complete once its last contribution is in
            text = f"grad {_short(sums[key])}"
            if not done:
                text += f" ({arrived[key]} of {expected[key]})"
            updates[key] = {"text": text, "state": "complete" if done else "partial"}
            sends.append(entry)
        steps.append(
            {
                "op": op_ids[id(node)],
                "label": node.label,
                "call": graph.line(node),
                "output": out_id,
                "outputName": graph.name(out),
                "symbols": symbols,
                "words": words,
                "g": _numbers(g),
                "gShort": _short(g),
                "sent": sends,
                "updates": updates,
            }
        )
    return steps


def _short(x: np.ndarray) -> str:
    """A gradient in a few characters, for a node of the picture or an edge."""
    x = np.asarray(x)
    if x.size <= SMALL:
        return format_values(x)
    return f"norm {float(np.linalg.norm(x.astype(np.float64))):.4g}"


def _full(x: Any) -> str:
    """One number as its dtype writes it: every digit needed to read it back exactly."""
    return str(np.asarray(x).reshape(())[()])


def _stat(value: float) -> str:
    return f"{value:.6g}"


def _numbers(x: np.ndarray) -> dict[str, Any]:
    """A gradient for the panel: a scalar in full; a tensor by its shape, a few statistics,
    its values when there are few, and a heat map of at most _HEAT_CELLS² cells."""
    x = np.asarray(x)
    numbers: dict[str, Any] = {"shape": list(x.shape), "dtype": str(x.dtype)}
    if x.ndim == 0:
        numbers["scalar"] = _full(x)
        return numbers
    if x.size == 0:
        return numbers
    wide = x.astype(np.float64)
    numbers["stats"] = {
        "mean": _stat(wide.mean()),
        "std": _stat(wide.std()),
        "min": _stat(wide.min()),
        "max": _stat(wide.max()),
        "norm": _stat(float(np.linalg.norm(wide))),
    }
    if x.size <= SMALL:
        numbers["values"] = [_full(v) for v in x.reshape(-1)]
    grid = wide.reshape(1, -1) if x.ndim == 1 else wide.reshape(-1, x.shape[-1])
    rows = np.unique(np.linspace(0, grid.shape[0] - 1, min(grid.shape[0], _HEAT_CELLS)).round())
    cols = np.unique(np.linspace(0, grid.shape[1] - 1, min(grid.shape[1], _HEAT_CELLS)).round())
    cells = grid[np.ix_(rows.astype(int), cols.astype(int))]
    numbers["heat"] = {
        "rows": len(rows),
        "cols": len(cols),
        "sampled": len(rows) < grid.shape[0] or len(cols) < grid.shape[1],
        "cells": [float(f"{v:.4g}") if np.isfinite(v) else None for v in cells.reshape(-1)],
    }
    return numbers


def _collapsed_view(
    graph: Graph,
    root: Tensor,
    value_ids: dict[int, str],
    op_ids: dict[int, str],
    rankdir: str,
) -> tuple[Any, dict[str, str]] | None:
    """The picture with each innermost module call drawn as one box (None: no modules), and
    which box each hidden op and value went into. The leaves that require grad (a module's
    parameters) stay visible beside their module's box, their gradients in them."""
    graphviz = draw._import_graphviz()
    calls, node_call = draw._module_calls(graph.nodes)
    if not calls:
        return None
    parents = {call.parent for call in calls}
    innermost = {i for i in range(len(calls)) if i not in parents}

    def box(call: int | None) -> int | None:
        """The innermost call at or above `call` that is collapsed (or None)."""
        chain = draw._chain(calls, call)
        return next((c for c in chain if c in innermost), None)

    alias: dict[str, str] = {}
    for node in graph.nodes:
        collapsed = box(node_call.get(id(node)))
        if collapsed is not None:
            alias[op_ids[id(node)]] = f"m{collapsed}"
            out = graph.out(node)
            if out is not root:
                alias[value_ids[id(out)]] = f"m{collapsed}"

    sideways = rankdir in ("LR", "RL")
    picture = graphviz.Digraph(
        name="autodiff",
        graph_attr={"rankdir": rankdir, "fontname": draw._FONT, "fontsize": "10"},
        node_attr={"fontsize": "11", "fontname": draw._FONT},
        edge_attr={"arrowsize": "0.7", "fontname": draw._FONT},
    )
    bodies = [graphviz.Digraph(name=f"cluster_{i}") for i in range(len(calls))]
    for body, call in zip(bodies, calls):
        body.attr(label=graphviz.escape(call.label), style="rounded", color="#969696")
        body.attr(labeljust="l", labelloc="t", fontsize="11")
    value_call = draw._value_clusters(graph, calls, node_call)

    def outer(call: int | None) -> graphviz.Digraph:
        """The box a visible item is drawn in: the nearest enclosing call not collapsed."""
        while call is not None and call in innermost:
            call = calls[call].parent
        return picture if call is None else bodies[call]

    for i in sorted(innermost):
        outer(i).node(
            f"m{i}",
            label=graphviz.escape(f"{calls[i].label}\n(collapsed)"),
            shape="box",
            style="rounded,filled",
            fillcolor=draw._OP,
            penwidth="2",
        )
    for t in graph.values:
        key = value_ids[id(t)]
        if key in alias:
            continue
        kind = "root" if t is root else draw._kind(t)
        fields = draw._value_fields(graph, t, True, True, False)
        outer(value_call.get(id(t))).node(
            key,
            label=graphviz.nohtml(draw._record(fields, sideways)),
            shape="record",
            style="filled" + (",dashed" if kind == "constant" else ""),
            fillcolor=draw._FILL[kind],
            penwidth="2.5" if kind == "root" else "1",
        )
    for node in graph.nodes:
        key = op_ids[id(node)]
        if key not in alias:
            outer(node_call.get(id(node))).node(
                key,
                label=graphviz.escape(node.label),
                shape="box",
                style="rounded,filled",
                fillcolor=draw._OP,
            )
    draw._nest(picture, bodies, calls)
    edges: set[tuple[str, str]] = set()
    for node in graph.nodes:
        here = alias.get(op_ids[id(node)], op_ids[id(node)])
        out = value_ids[id(graph.out(node))]
        pairs = [(here, alias.get(out, out))]
        pairs += [
            (alias.get(value_ids[id(t)], value_ids[id(t)]), here)
            for t in graph.inputs(node)
            if t is not None
        ]
        for tail, head in pairs:
            if tail != head and (tail, head) not in edges:
                edges.add((tail, head))
                picture.edge(tail, head)
    return picture, alias


def _inline(svg: str) -> str:
    """An SVG document as an element to put in a page: without its XML prolog and doctype."""
    return svg[svg.index("<svg") :]


def _page(title: str, data: dict[str, Any]) -> str:
    """The page: the template with the title and the data (as JSON that cannot end the
    script element it sits in)."""
    template = resources.files("autodiff").joinpath("watch.html").read_text(encoding="utf-8")
    payload = json.dumps(data, ensure_ascii=False, allow_nan=False)
    payload = payload.replace("<", "\\u003c")
    return template.replace("{{TITLE}}", html.escape(title)).replace("{{DATA}}", payload)
