"""The tape as text: forward listing, backward trace, and the value names both share."""

import io

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff import tape
from autodiff.listing import Graph


def f64(x, **kw):
    return ad.Tensor(np.asarray(x, dtype=np.float64), **kw)


def small_expression():
    """loss = sum(a * b + a): a used twice, b a constant."""
    a = f64([1.0, 2.0, 3.0], requires_grad=True, name="a")
    b = f64([4.0, 5.0, 6.0], name="b")
    return a, b, (a * b + a).sum(axis=0)


def test_tape_listing_matches_expected_lines():
    _, _, loss = small_expression()
    assert ad.tape_listing(loss).splitlines() == [
        "t1 = mul(a, b)        (3,) (3,) -> (3,)",
        "t2 = add(t1, a)       (3,) (3,) -> (3,)",
        "t3 = sum(t2, axis=0)  (3,) -> ()",
    ]


def test_tape_listing_writes_const_for_arguments_that_are_not_tensors():
    x = f64([[1.0, 2.0]], requires_grad=True, name="x")
    y = (x * 2.0).T
    assert ad.tape_listing(y).splitlines() == [
        "t1 = mul(x, const)  (1, 2) const -> (1, 2)",
        "t2 = transpose(t1)  (1, 2) -> (2, 1)",
    ]


def test_tape_listing_of_a_leaf_is_empty_and_print_tape_says_so():
    x = f64(1.0, requires_grad=True, name="x")
    assert ad.tape_listing(x) == ""
    out = io.StringIO()
    ad.print_tape(x, file=out)
    assert out.getvalue() == "(no recorded ops: x is a leaf)\n"


def test_print_tape_prints_the_listing(capsys):
    _, _, loss = small_expression()
    ad.print_tape(loss)
    assert capsys.readouterr().out == ad.tape_listing(loss) + "\n"


def test_names_are_stable_and_never_clash_with_user_names():
    w1 = f64(1.0, requires_grad=True, name="w")
    w2 = f64(2.0, requires_grad=True, name="w")
    t1 = f64(3.0, requires_grad=True, name="t1")  # a user name that looks generated
    loss = w1 * w2 + t1
    graph = Graph(loss)
    assert [graph.name(t) for t in graph.values] == ["w", "w.2", "t2", "t1", "t3"]
    assert [Graph(loss).name(t) for t in graph.values] == ["w", "w.2", "t2", "t1", "t3"]


def test_graph_rejects_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="expected a Tensor"):
        ad.tape_listing(np.ones(3))


def test_listing_walks_a_deep_chain_without_recursion():
    x = f64(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(5000):
        y = y + 1.0
    lines = ad.tape_listing(y).splitlines()
    assert len(lines) == 5000
    assert lines[0].startswith("t1 = add(x, const)")
    assert lines[-1].startswith("t5000 = add(t4999, const)")


def test_trace_backward_lists_vjps_in_reverse_order_with_gradients_by_hand():
    a, b, loss = small_expression()
    with ad.trace_backward(quiet=True) as trace:
        loss.backward()
    assert [step.call for step in trace] == [
        "t3 = sum(t2, axis=0)",
        "t2 = add(t1, a)",
        "t1 = mul(a, b)",
    ]
    total, add, mul = trace.steps
    assert total.g.shape == ()
    assert total.g == 1.0
    np.testing.assert_array_equal(total.sent[0].grad, [1.0, 1.0, 1.0])  # d sum / d t2
    assert [s.name for s in add.sent] == ["t1", "a"]
    np.testing.assert_array_equal(add.sent[1].grad, [1.0, 1.0, 1.0])  # d t2 / d a
    assert [s.name for s in mul.sent] == ["a", "b"]
    np.testing.assert_array_equal(mul.sent[0].grad, [4.0, 5.0, 6.0])  # d t1 / d a = b
    assert mul.sent[1].grad is None  # b is a constant: no gradient sent
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 6.0, 7.0])  # b + 1, both paths summed


def test_trace_backward_prints_one_line_per_vjp(capsys):
    x = f64(3.0, requires_grad=True, name="x")
    y = f64(-2.0, requires_grad=True, name="y")
    z = x * y
    z.name = "z"
    loss = z.tanh()
    loss.name = "loss"
    with ad.trace_backward() as trace:
        loss.backward()
    g = 1 - np.tanh(-6.0) ** 2  # d tanh(z) / dz at z = -6
    assert capsys.readouterr().out.splitlines() == [
        f"[1] loss = tanh(z)  grad 1  ->  z += {g:.4g}",
        f"[2] z = mul(x, y)   grad {g:.4g}  ->  x += {-2 * g:.4g}, y += {3 * g:.4g}",
    ]
    assert str(trace).splitlines()[1].startswith("[2] z = mul(x, y)   grad")


def test_trace_backward_shows_shape_norm_and_few_values_of_arrays():
    x = f64([3.0, 4.0], requires_grad=True, name="x")
    out = io.StringIO()
    with ad.trace_backward(file=out):
        (x * x).sum().backward()
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("grad 1  ->  t1 += (2,) norm=1.414 [1, 1]")
    sent = "x += (2,) norm=5 [3, 4]"  # d(x*x)/dx, once per use of x
    assert lines[1].endswith(f"grad (2,) norm=1.414 [1, 1]  ->  {sent}, {sent}")


def test_trace_backward_names_agree_with_the_listing_and_picture():
    x = f64([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    listing = [line.split("  ")[0] for line in ad.tape_listing(loss).splitlines()]
    source = ad.draw_graph(loss).source
    with ad.trace_backward(quiet=True) as trace:
        loss.backward()
    assert [step.call for step in trace] == listing[::-1]
    for call in listing:
        assert f'tooltip="{call}"' in source


def test_trace_backward_restores_and_chains_the_previous_observer():
    seen = []
    tape.state.observer = lambda node, g, grads: seen.append(node.prim.name)
    try:
        x = f64(2.0, requires_grad=True)
        with ad.trace_backward(quiet=True) as trace:
            (x * x).exp().backward()
        assert tape.state.observer is not None
        assert seen == ["exp", "mul"]
        assert len(trace.steps) == 2
    finally:
        tape.state.observer = None
    with ad.trace_backward(quiet=True):
        pass
    assert tape.state.observer is None


def test_trace_backward_names_each_graph_by_its_own_root():
    x = f64(2.0, requires_grad=True, name="x")
    with ad.trace_backward(quiet=True) as trace:
        (x * 3.0).backward()
        (x.exp() + x).backward()
    assert [step.call for step in trace] == [
        "t1 = mul(x, const)",
        "t2 = add(t1, x)",
        "t1 = exp(x)",
    ]


def test_trace_backward_under_create_graph_records_arrays():
    x = f64(2.0, requires_grad=True, name="x")
    with ad.trace_backward(quiet=True) as trace:
        (x * x * x).backward(create_graph=True)
    assert isinstance(trace.steps[-1].sent[0].grad, np.ndarray)
    assert x.grad.item() == 12.0


class Net(nn.Module):
    """A gain of the user's naming, a scale of none, a Sequential inside an MLP, and a layer
    used twice."""

    def __init__(self):
        super().__init__()
        gain = nn.Parameter(np.float32(2.0))
        gain.name = "gain"
        self.own = gain
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.mlp = nn.MLP([4, 5, 3])
        self.head = nn.Linear(3, 3)

    def forward(self, x):
        return self.head(self.head(self.mlp(x * self.scale) * self.own))


def test_nn_parameters_are_named_as_named_parameters_names_them():
    nn.manual_seed(0)
    model = Net()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "own", "scale", "mlp.layers.0.weight", "mlp.layers.0.bias", "mlp.layers.2.weight",
        "mlp.layers.2.bias", "head.weight", "head.bias",
    ]  # fmt: skip
    assert [p.name for p in model.parameters()] == ["gain", *names[1:]]  # the user's name stays
    loss = model(ad.Tensor(np.ones((2, 4), dtype=np.float32))).sum()
    listing = ad.tape_listing(loss)
    assert "mul(t1, scale)" in listing
    assert "linear(t2, mlp.layers.0.weight, mlp.layers.0.bias)" in listing
    assert listing.count("head.weight") == 2 and "head.weight.2" not in listing  # one value
    assert "gain" in listing and "own" not in listing
    source = ad.draw_graph(loss).source
    assert all(f"{{ {name}\\n" in source for name in ["gain", *names[1:]])


def test_a_model_inside_another_is_named_from_the_outer_one():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    assert [p.name for p in inner.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    outer = nn.Sequential(inner, nn.Sigmoid())
    assert [p.name for p in outer.parameters()] == [n for n, _ in outer.named_parameters()]
    assert [p.name for p in inner[:1].parameters()] == ["0.0.weight", "0.0.bias"]  # kept
