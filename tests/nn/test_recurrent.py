"""RNN, LSTM, GRU and their cells: PyTorch's parameters, outputs and gradients (float64, from
copied weights), layouts, initial states, dropout between layers, and errors that name the layer.
"""

import math

import numpy as np
import pytest

import autodiff
import nn
from autodiff import DTypeError, ShapeError

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


LAYERS = {
    "rnn_tanh": (nn.RNN, "RNN", {}),
    "rnn_relu": (nn.RNN, "RNN", {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, "LSTM", {}),
    "lstm_proj": (nn.LSTM, "LSTM", {"proj_size": 2}),
    "gru": (nn.GRU, "GRU", {}),
}


def twins(torch, key, **kwargs):
    """(ours, theirs): the same layer in both libraries, float64, holding PyTorch's weights."""
    ours_class, name, extra = LAYERS[key]
    theirs = getattr(torch.nn, name)(3, 4, **extra, **kwargs).double()
    ours = ours_class(3, 4, **extra, **kwargs, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def pair(torch, array):
    """The same float64 values as a leaf of ours and of PyTorch's, both requiring grad."""
    return autodiff.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def flat(outputs):
    """The tensors of (output, h_n) or (output, (h_n, c_n)) in one list."""
    output, state = outputs
    return [output, *state] if isinstance(state, tuple) else [output, state]


def weighted_sum(tensors, weights):
    """Σ (t · w): a loss whose gradient differs per element, so a misplaced one shows."""
    return sum((t * w).sum() for t, w in zip(tensors, weights))


def assert_same_run(torch, ours, theirs, inputs, theirs_inputs, leaves):
    """Forward both, compare every output; backward a weighted sum, compare every gradient."""
    out, their_out = flat(ours(*inputs)), flat(theirs(*theirs_inputs))
    assert [tuple(t.shape) for t in out] == [tuple(t.shape) for t in their_out]
    for a, b in zip(out, their_out):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = [RNG.standard_normal(tuple(t.shape)) for t in out]
    weighted_sum(out, weights).backward()
    weighted_sum(their_out, [torch.tensor(w) for w in weights]).backward()
    for name, (p, q) in zip(ours.state_dict(), zip(ours.parameters(), theirs.parameters())):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name
        )
    for a, b in leaves:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("key", LAYERS)
def test_two_layers_match_pytorch_with_initial_states(torch, key, batch_first, bidirectional):
    ours, theirs = twins(
        torch, key, num_layers=2, batch_first=batch_first, bidirectional=bidirectional
    )
    x, tx = pair(torch, RNG.standard_normal((2, 5, 3) if batch_first else (5, 2, 3)))
    layers = 2 * (2 if bidirectional else 1)
    h, th = pair(torch, RNG.standard_normal((layers, 2, 2 if key == "lstm_proj" else 4)))
    leaves = [(x, tx), (h, th)]
    if key.startswith("lstm"):
        c, tc = pair(torch, RNG.standard_normal((layers, 2, 4)))
        leaves.append((c, tc))
        assert_same_run(torch, ours, theirs, (x, (h, c)), (tx, (th, tc)), leaves)
    else:
        assert_same_run(torch, ours, theirs, (x, h), (tx, th), leaves)


@pytest.mark.parametrize("key", LAYERS)
def test_an_unbatched_sequence_and_default_states_match_pytorch(torch, key):
    ours, theirs = twins(torch, key, bidirectional=True, bias=False)
    x, tx = pair(torch, RNG.standard_normal((4, 3)))
    assert_same_run(torch, ours, theirs, (x,), (tx,), [(x, tx)])


@pytest.mark.parametrize("key", ["rnn_relu", "lstm", "gru"])
def test_cells_match_pytorch_batched_and_unbatched(torch, key):
    name = LAYERS[key][1] + "Cell"
    extra = LAYERS[key][2]
    theirs = getattr(torch.nn, name)(3, 4, **extra).double()
    ours = getattr(nn, name)(3, 4, **extra, dtype=np.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for shape in [(2, 3), (3,)]:
        x, tx = pair(torch, RNG.standard_normal(shape))
        h, th = pair(torch, RNG.standard_normal(shape[:-1] + (4,)))
        if key == "lstm":
            c, tc = pair(torch, RNG.standard_normal(shape[:-1] + (4,)))
            out, their_out = ours(x, (h, c)), theirs(tx, (th, tc))
            leaves = [(x, tx), (h, th), (c, tc)]
        else:
            out, their_out = (ours(x, h),), (theirs(tx, th),)
            leaves = [(x, tx), (h, th)]
        for a, b in zip(out, their_out):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        weights = [RNG.standard_normal(tuple(t.shape)) for t in out]
        ours.zero_grad()
        theirs.zero_grad()
        weighted_sum(out, weights).backward()
        weighted_sum(their_out, [torch.tensor(w) for w in weights]).backward()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12)
        for a, b in leaves:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    default = ours(autodiff.tensor(RNG.standard_normal((2, 3))))
    zero = ours(
        autodiff.tensor(RNG.standard_normal((2, 3))),
        (autodiff.zeros(2, 4, dtype=autodiff.float64),) * 2 if key == "lstm" else None,
    )
    assert type(default) is type(zero)  # hx=None is zeros, of the same structure


@pytest.mark.parametrize("key", LAYERS)
def test_parameter_names_and_shapes_are_pytorchs_and_load_both_ways(torch, key):
    kwargs = {"num_layers": 2, "bidirectional": True}
    ours_class, name, extra = LAYERS[key]
    theirs = getattr(torch.nn, name)(3, 4, **extra, **kwargs)
    ours = ours_class(3, 4, **extra, **kwargs)
    expected = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == expected
    assert list(ours.state_dict()) == list(expected)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ours.state_dict()[k])
    assert len(ours.all_weights) == 4 and ours.all_weights[1][0] is ours.weight_ih_l0_reverse


def test_dropout_between_layers_acts_in_training_only(torch):
    ours, theirs = twins(torch, "lstm", num_layers=2, dropout=1.0)
    x, tx = pair(torch, RNG.standard_normal((5, 2, 3)))
    # dropout=1 zeroes the first layer's output: both libraries' second layer then sees zeros
    assert_same_run(torch, ours, theirs, (x,), (tx,), [(x, tx)])
    ours.eval()
    theirs.eval()
    out, their_out = ours(x)[0], theirs(tx)[0]
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-10)
    half = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=np.float64)
    assert not np.allclose(half(x)[0].numpy(), half.eval()(x)[0].numpy())
    np.testing.assert_array_equal(half(x)[0].numpy(), half(x)[0].numpy())  # eval: no masks


def test_dropout_with_one_layer_warns_as_pytorch():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(3, 4, dropout=0.2)


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_default_init_is_uniform_within_one_over_root_hidden(layer):
    autodiff.manual_seed(0)
    model = layer(30, 25)
    bound = 1 / math.sqrt(25)
    values = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # the whole range is used
    assert abs(values.mean()) < 0.01 and abs(values.std() - bound / math.sqrt(3)) < 0.01
    assert all(p.dtype == autodiff.float32 for p in model.parameters())


def test_a_small_lstm_passes_gradcheck():
    lstm = nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype=np.float64)
    x = autodiff.tensor(RNG.standard_normal((3, 1, 2)), requires_grad=True)
    h = autodiff.tensor(RNG.standard_normal((4, 1, 2)), requires_grad=True)
    c = autodiff.tensor(RNG.standard_normal((4, 1, 2)), requires_grad=True)
    weights = [autodiff.tensor(RNG.standard_normal(s)) for s in [(3, 1, 4), (4, 1, 2), (4, 1, 2)]]

    def f(x, h, c):
        output, (h_n, c_n) = lstm(x, (h, c))
        return weighted_sum([output, h_n, c_n], weights)

    autodiff.gradcheck(f, [x, h, c])


def test_gru_cell_by_hand():
    cell = nn.GRUCell(1, 1, dtype=np.float64)
    cell.load_state_dict(
        {
            "weight_ih": np.array([[1.0], [2.0], [3.0]]),
            "weight_hh": np.array([[0.5], [0.25], [-1.0]]),
            "bias_ih": np.zeros(3),
            "bias_hh": np.array([0.0, 0.0, 1.0]),
        }
    )
    x, h = 1.0, 2.0
    r = 1 / (1 + math.exp(-(1 * x + 0.5 * h)))
    z = 1 / (1 + math.exp(-(2 * x + 0.25 * h)))
    n = math.tanh(3 * x + r * (-1.0 * h + 1.0))
    out = cell(autodiff.tensor([[x]], dtype=autodiff.float64), autodiff.tensor([[h]]).double())
    assert out.item() == pytest.approx((1 - z) * n + z * h, rel=1e-14)


def test_batch_first_only_moves_the_batch_dim_of_input_and_output():
    autodiff.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True, dtype=np.float64)
    x = RNG.standard_normal((2, 5, 3))
    out, (h_n, c_n) = lstm(autodiff.tensor(x))
    lstm.batch_first = False
    out_t, (h_t, _) = lstm(autodiff.tensor(x.transpose(1, 0, 2)))
    assert out.shape == (2, 5, 4) and h_n.shape == c_n.shape == (1, 2, 4)
    np.testing.assert_allclose(out.numpy(), out_t.numpy().transpose(1, 0, 2), rtol=1e-14)
    np.testing.assert_allclose(h_n.numpy(), h_t.numpy(), rtol=1e-14)


BAD_CALLS = [
    (
        lambda: nn.LSTM(3, 4)(autodiff.zeros(2, 5, 4)),
        ShapeError,
        r"LSTM: input of shape \(2, 5, 4\); expected its last dim to be input_size=3",
    ),
    (
        lambda: nn.GRU(3, 4)(autodiff.zeros(1, 2, 5, 3)),
        ShapeError,
        r"GRU: input of shape \(1, 2, 5, 3\); expected 3 dims",
    ),
    (lambda: nn.RNN(3, 4)(autodiff.zeros(0, 2, 3)), ShapeError, "RNN: .*sequence length > 0"),
    (
        lambda: nn.RNN(3, 4)(autodiff.zeros(5, 2, 3), autodiff.zeros(1, 3, 4)),
        ShapeError,
        r"RNN: h_0 of shape \(1, 3, 4\); expected \(1, 2, 4\)",
    ),
    (
        lambda: nn.RNN(3, 4)(autodiff.zeros(5, 3), autodiff.zeros(1, 1, 4)),
        ShapeError,
        r"RNN: h_0 of shape \(1, 1, 4\) for an unbatched 2-D input; expected \(1, 4\)",
    ),
    (
        lambda: nn.LSTM(3, 4)(autodiff.zeros(5, 2, 3), autodiff.zeros(1, 2, 4)),
        TypeError,
        "LSTM: hx of type Tensor; expected a tuple",
    ),
    (
        lambda: nn.LSTM(3, 4)(
            autodiff.zeros(5, 2, 3), (autodiff.zeros(1, 2, 4), autodiff.zeros(1, 2, 5))
        ),
        ShapeError,
        r"LSTM: c_0 of shape \(1, 2, 5\); expected \(1, 2, 4\)",
    ),
    (
        lambda: nn.GRU(3, 4)(autodiff.zeros(5, 2, 3, dtype=autodiff.float64)),
        DTypeError,
        "GRU: input float64 for parameters of float32",
    ),
    (
        lambda: nn.GRU(3, 4)(autodiff.zeros(5, 2, 3), autodiff.zeros(1, 2, 4).double()),
        DTypeError,
        "GRU: h_0 float64",
    ),
    (
        lambda: nn.LSTMCell(3, 4)(autodiff.zeros(2, 4)),
        ShapeError,
        r"LSTMCell: input of shape \(2, 4\); expected \(batch, 3\)",
    ),
    (
        lambda: nn.GRUCell(3, 4)(autodiff.zeros(2, 3), autodiff.zeros(3, 4)),
        ShapeError,
        r"GRUCell: hx of shape \(3, 4\); expected \(2, 4\)",
    ),
    (lambda: nn.RNNBase("GRU", 3, 4, proj_size=2), ValueError, "GRU: proj_size is only for LSTM"),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "LSTM: proj_size=4 with hidden_size=4"),
    (
        lambda: nn.RNN(3, 4, nonlinearity="sigmoid"),
        ValueError,
        "RNN: unknown nonlinearity 'sigmoid'",
    ),
    (lambda: nn.LSTM(3, 0), ValueError, "LSTM: hidden_size=0; expected a positive integer"),
    (
        lambda: nn.GRU(3, 4, num_layers=2, dropout=1.5),
        ValueError,
        r"GRU: dropout=1.5; expected a number in \[0, 1\]",
    ),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS)
def test_bad_input_raises_an_error_naming_the_layer_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_repr_shows_pytorchs_arguments():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == (
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    )
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity='relu')"
