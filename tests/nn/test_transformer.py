"""Transformer layers, stacks and model: equal to PyTorch's (outputs and gradients, float64, from
copied weights), PyTorch's parameter names and init, and errors that name the layer."""

import numpy as np
import pytest

import autodiff
import nn
from autodiff import ShapeError

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*enable_nested_tensor is True"),  # both libraries say so
    pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors"),
]
RNG = np.random.default_rng(0)
CAUSAL = np.triu(np.full((5, 5), -np.inf), 1)
PADDING = np.zeros((3, 5), bool)
PADDING[0, 3:] = True


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def copy_weights(ours, theirs):
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: v.detach().numpy() for k, v in state.items()})


def assert_same(torch, ours, theirs, shapes, **kwargs):
    """The same inputs and masks through both; outputs and every gradient compared."""
    arrays = [RNG.standard_normal(s) for s in shapes]
    inputs = [autodiff.tensor(a, requires_grad=True) for a in arrays]
    their_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    their_kwargs = {
        k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()
    }
    out, their_out = ours(*inputs, **kwargs), theirs(*their_inputs, **their_kwargs)
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    weight = RNG.standard_normal(tuple(out.shape))
    (out * weight).sum().backward()
    (their_out * torch.tensor(weight)).sum().backward()
    pairs = [*zip(inputs, their_inputs), *zip(ours.parameters(), theirs.parameters())]
    for a, b in pairs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


OPTIONS = {"dim_feedforward": 12, "dropout": 0.0}


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_pytorch_with_masks(torch, norm_first, activation):
    options = dict(OPTIONS, norm_first=norm_first, activation=activation)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, **options).double()
    ours = nn.TransformerEncoderLayer(8, 2, **options, dtype=np.float64)
    copy_weights(ours, theirs)
    assert_same(torch, ours, theirs, [(5, 3, 8)])
    masks = {"src_mask": CAUSAL, "src_key_padding_mask": np.where(PADDING, -np.inf, 0.0)}
    assert_same(torch, ours, theirs, [(5, 3, 8)], **masks)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_pytorch_batch_first(torch, norm_first):
    options = dict(OPTIONS, norm_first=norm_first, batch_first=True)
    theirs = torch.nn.TransformerDecoderLayer(8, 2, **options).double()
    ours = nn.TransformerDecoderLayer(8, 2, **options, dtype=np.float64)
    copy_weights(ours, theirs)
    masks = {"tgt_mask": CAUSAL, "tgt_is_causal": True, "memory_key_padding_mask": PADDING[:, :4]}
    assert_same(torch, ours, theirs, [(3, 5, 8), (3, 4, 8)], **masks)


def test_encoder_stack_matches_pytorch(torch):
    layer = torch.nn.TransformerEncoderLayer(8, 2, **OPTIONS)
    theirs = torch.nn.TransformerEncoder(
        layer, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False
    ).double()
    ours = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, **OPTIONS, dtype=np.float64),
        2,
        norm=nn.LayerNorm(8, dtype=np.float64),
    )
    copy_weights(ours, theirs)
    assert_same(torch, ours, theirs, [(5, 3, 8)], mask=CAUSAL)


def test_transformer_matches_pytorch(torch):
    theirs = torch.nn.Transformer(8, 2, 2, 2, 12, 0.0).double()
    ours = nn.Transformer(8, 2, 2, 2, 12, 0.0, dtype=np.float64)
    copy_weights(ours, theirs)
    mask = ours.generate_square_subsequent_mask(5, dtype=np.float64)
    np.testing.assert_array_equal(
        mask.numpy(), theirs.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    )
    masks = {"tgt_mask": mask.numpy(), "src_key_padding_mask": PADDING[:, :4]}
    assert_same(torch, ours, theirs, [(4, 3, 8), (5, 3, 8)], **masks)


def test_encoder_in_eval_without_grad_zeroes_padding_as_pytorchs_fast_path(torch):
    options = dict(OPTIONS, batch_first=True)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **options), 2)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **options, dtype=np.float64), 2)
    copy_weights(ours, theirs.double())
    ours.eval(), theirs.eval()
    x = RNG.standard_normal((3, 5, 8))
    padding = np.zeros((3, 5), bool)
    padding[0, 3:] = padding[2, 4:] = True  # padded at the ends: PyTorch packs these
    with autodiff.no_grad(), torch.no_grad():
        out = ours(autodiff.tensor(x), src_key_padding_mask=padding).numpy()
        their_out = theirs(torch.tensor(x), src_key_padding_mask=torch.from_numpy(padding))
    np.testing.assert_allclose(out, their_out.numpy(), rtol=1e-10, atol=1e-12)
    assert (out[padding] == 0).all() and (out[~padding] != 0).all()
    with_grad = ours(autodiff.tensor(x), src_key_padding_mask=padding).numpy()  # no packing
    assert (with_grad[padding] != 0).all()
    np.testing.assert_allclose(with_grad[~padding], out[~padding], rtol=1e-12)


def test_encoder_warns_as_pytorch_where_it_cannot_pack():
    with pytest.warns(UserWarning, match="because encoder_layer.norm_first is True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, norm_first=True), 2)
    layer = nn.TransformerEncoderLayer(8, 2, 12, batch_first=True, activation=nn.GELU())
    assert nn.TransformerEncoder(layer, 2).use_nested_tensor
    assert not nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).use_nested_tensor


def test_stacked_layers_are_copies_that_train_apart():
    layer = nn.TransformerEncoderLayer(8, 2, 12)
    encoder = nn.TransformerEncoder(layer, 3)
    first, second = encoder.layers[0], encoder.layers[1]
    assert first is not second and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.numpy(), second.linear1.weight.numpy())
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_transformer_init_is_xavier_for_matrices():
    model = nn.Transformer(16, 2, 1, 1, 32)
    for name, p in model.named_parameters():
        values = p.numpy()
        if p.ndim > 1:
            bound = np.sqrt(6 / sum(p.shape))
            assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound, name
        elif "norm" in name and name.endswith("weight"):
            assert (values == 1).all(), name


def test_training_mode_dropout_changes_the_output():
    layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.5, dtype=np.float64)
    x = autodiff.tensor(RNG.standard_normal((5, 3, 8)))
    assert not np.allclose(layer(x).numpy(), layer.eval()(x).numpy())


BAD = [
    (
        lambda: nn.TransformerEncoderLayer(8, 2)(autodiff.zeros(5, 3, 6)),
        ShapeError,
        r"TransformerEncoderLayer: src of shape \(5, 3, 6\)",
    ),
    (
        lambda: nn.TransformerDecoderLayer(8, 2)(autodiff.zeros(5, 3, 8), autodiff.zeros(4, 8)),
        ShapeError,
        "MultiheadAttention: query",
    ),
    (
        lambda: nn.Transformer(8, 2, 1, 1, 12)(autodiff.zeros(4, 3, 8), autodiff.zeros(5, 2, 8)),
        ShapeError,
        r"Transformer: src \(4, 3, 8\) and tgt \(5, 2, 8\); expected the same batch size in dim 1",
    ),
    (
        lambda: nn.Transformer(8, 2, 1, 1, 12)(autodiff.zeros(4, 3, 6), autodiff.zeros(5, 3, 6)),
        ShapeError,
        "d_model=8",
    ),
    (
        lambda: nn.TransformerEncoderLayer(8, 2, activation="swish"),
        ValueError,
        "unknown activation 'swish'",
    ),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_input_names_the_layer_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("kind", ["encoder", "decoder"])
def test_seeded_training_matches_pytorchs_dropout_masks(torch, kind, norm_first, batch_first):
    """Same seed, same build order, train mode: the same init and the same dropout masks, also
    after batch_first attention, whose output is a transposed view in PyTorch."""
    ours_type, their_type = {
        "encoder": (nn.TransformerEncoderLayer, torch.nn.TransformerEncoderLayer),
        "decoder": (nn.TransformerDecoderLayer, torch.nn.TransformerDecoderLayer),
    }[kind]
    options = dict(dropout=0.3, batch_first=batch_first, norm_first=norm_first)
    count = 1 if kind == "encoder" else 2  # src; or tgt and memory
    inputs = [RNG.standard_normal((3, 5, 8)).astype(np.float32) for _ in range(count)]
    torch.manual_seed(0)
    theirs = their_type(8, 2, 16, **options)
    their_out = theirs(*(torch.from_numpy(a) for a in inputs))
    autodiff.manual_seed(0)
    ours = ours_type(8, 2, 16, **options)
    out = ours(*(autodiff.tensor(a) for a in inputs))
    assert ours.training and theirs.training
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("batched", [False, True])
def test_attention_output_is_laid_out_as_pytorchs(torch, batch_first, batched):
    shape = (3, 5, 8) if batched else (5, 8)
    x = RNG.standard_normal(shape).astype(np.float32)
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    their_out, _ = theirs(*(torch.from_numpy(x),) * 3, need_weights=False)
    autodiff.manual_seed(0)
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    x = autodiff.tensor(x)
    out, _ = ours(x, x, x, need_weights=False)
    itemsize = out.numpy().itemsize
    assert tuple(s // itemsize for s in out.numpy().strides) == their_out.stride()
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-6, atol=1e-6)
