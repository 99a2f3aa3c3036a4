"""F.scaled_dot_product_attention and nn.MultiheadAttention: equal to PyTorch's (outputs and
gradients, float64, from copied weights) with every mask, layout and option; errors name the
layer and the shapes.
"""

import math

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import DTypeError, ShapeError

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def leaves(torch, *shapes):
    """The same random float64 values as leaves of ours and of PyTorch's, requiring grad."""
    arrays = [RNG.standard_normal(s) for s in shapes]
    ours = [autodiff.tensor(a, requires_grad=True) for a in arrays]
    return ours, [torch.tensor(a, requires_grad=True) for a in arrays]


def close(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def backward_both(torch, outs, their_outs):
    """Backward Σ out·w with the same random w on both sides (w differs per element)."""
    weights = [RNG.standard_normal(tuple(o.shape)) for o in outs]
    sum((o * w).sum() for o, w in zip(outs, weights)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(their_outs, weights)).backward()


MASK = RNG.random((4, 6)) > 0.5
MASK[1] = False  # query 1 may attend to no key: PyTorch gives it zeros
SDPA_CASES = {
    "plain": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {}),
    "causal": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"is_causal": True}),
    "scale": ((2, 6, 5), (2, 6, 5), (2, 6, 7), {"is_causal": True, "scale": 0.3}),
    "bool_mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"attn_mask": MASK}),
    "float_mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"attn_mask": (2, 1, 4, 6)}),
    "gqa": ((2, 4, 4, 5), (2, 2, 6, 5), (2, 2, 6, 7), {"enable_gqa": True}),
    "2d": ((4, 5), (6, 5), (6, 7), {}),
}


@pytest.mark.parametrize("case", SDPA_CASES)
def test_scaled_dot_product_attention_matches_pytorch(torch, case):
    *shapes, kwargs = SDPA_CASES[case]
    ours, theirs = leaves(torch, *shapes)
    their_kwargs = dict(kwargs)
    if isinstance(kwargs.get("attn_mask"), tuple):  # a float mask that itself gets a gradient
        (mask,), (their_mask,) = leaves(torch, kwargs["attn_mask"])
        kwargs, their_kwargs = {**kwargs, "attn_mask": mask}, {**kwargs, "attn_mask": their_mask}
        ours, theirs = [*ours, mask], [*theirs, their_mask]
    elif "attn_mask" in kwargs:
        their_kwargs["attn_mask"] = torch.from_numpy(kwargs["attn_mask"])
    out = F.scaled_dot_product_attention(*ours[:3], **kwargs)
    their_out = torch.nn.functional.scaled_dot_product_attention(*theirs[:3], **their_kwargs)
    close(out.numpy(), their_out.detach().numpy())
    backward_both(torch, [out], [their_out])
    for a, b in zip(ours, theirs):
        close(a.grad.numpy(), b.grad.numpy())


def test_attention_by_hand_one_query_two_keys():
    q = autodiff.tensor([[1.0, 0.0]], dtype=autodiff.float64)
    k = autodiff.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=autodiff.float64)
    v = autodiff.tensor([[10.0], [20.0]], dtype=autodiff.float64)
    w = 1 / (1 + math.exp(-1 / math.sqrt(2)))  # softmax of scores (1/√2, 0)
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.item() == pytest.approx(10 * w + 20 * (1 - w), rel=1e-14)
    blocked = F.scaled_dot_product_attention(q, k, v, attn_mask=np.array([[False, True]]))
    assert blocked.item() == 20.0


def test_attention_gradcheck_with_a_blocked_row():
    q, k, v = (autodiff.tensor(RNG.standard_normal(s), requires_grad=True) for s in [(3, 2)] * 3)
    mask = np.array([[True, False, False], [False, False, False], [True, True, True]])
    weight = autodiff.tensor(RNG.standard_normal((3, 2)))

    def f(q, k, v):
        return (F.scaled_dot_product_attention(q, k, v, attn_mask=mask) * weight).sum()

    autodiff.gradcheck(f, [q, k, v])


def test_attention_dropout_drops_weights_and_keeps_the_expectation():
    q, k = autodiff.zeros(1, 4), autodiff.zeros(400, 4)  # equal scores: every weight 1/400
    v = autodiff.ones(400, 1)
    autodiff.manual_seed(0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert out.item() != 1.0 and abs(out.item() - 1.0) < 0.3  # the kept half, scaled by 2


BAD_SDPA = [
    ({"attn_mask": np.ones((4, 4), bool), "is_causal": True}, ValueError, "both given"),
    ({"attn_mask": np.ones((3, 6), bool)}, ShapeError, r"attn_mask \(3, 6\) for scores"),
    ({"attn_mask": np.ones((4, 6), np.int64)}, DTypeError, "attn_mask of dtype int64"),
    ({"attn_mask": np.ones((4, 6), np.float32)}, DTypeError, "attn_mask float32"),
    ({"dropout_p": 1.5}, ValueError, "scaled_dot_product_attention"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_SDPA)
def test_attention_bad_arguments_name_the_op(kwargs, error, message):
    q, k, v = (autodiff.zeros(s, dtype=autodiff.float64) for s in [(4, 5), (6, 5), (6, 7)])
    with pytest.raises(error, match=message):
        F.scaled_dot_product_attention(q, k, v, **kwargs)


def test_attention_refuses_mismatched_shapes_and_dtypes():
    q, k, v = autodiff.zeros(4, 5), autodiff.zeros(6, 3), autodiff.zeros(6, 7)
    with pytest.raises(ShapeError, match=r"query \(4, 5\), key \(6, 3\), value \(6, 7\)"):
        F.scaled_dot_product_attention(q, k, v)
    with pytest.raises(DTypeError, match="query float32, key float64"):
        F.scaled_dot_product_attention(q, k.double(), v)


# ----- MultiheadAttention ---------------------------------------------------------------------

KPM = np.array([[False, False, True, True], [False, True, False, False]])
ATTN = RNG.random((3, 4)) > 0.7
MHA_CASES = {
    "default": ({}, {}),
    "batch_first": ({"batch_first": True}, {}),
    "self_attention": ({}, {"self": True}),
    "kdim_vdim": ({"kdim": 5, "vdim": 6}, {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {}),
    "no_bias_per_head": ({"bias": False}, {"average_attn_weights": False}),
    "unbatched": ({}, {"unbatched": True}),
    "no_weights": ({}, {"need_weights": False}),
    "bool_attn_mask": ({}, {"attn_mask": ATTN}),
    "bool_attn_mask_sdpa": ({}, {"attn_mask": ATTN, "need_weights": False}),
    "padding": ({}, {"key_padding_mask": KPM}),
    "padding_and_mask_sdpa": (
        {},
        {"key_padding_mask": KPM, "attn_mask": ATTN, "need_weights": False},
    ),
    "float_3d_mask": (
        {},
        {
            "key_padding_mask": np.where(KPM, -np.inf, 0.0),
            "attn_mask": RNG.standard_normal((4, 3, 4)),
        },
    ),
    "float_masks_bias_kv": (
        {"add_bias_kv": True, "add_zero_attn": True},
        {"key_padding_mask": KPM * -1e9, "attn_mask": ATTN * 1.0, "need_weights": False},
    ),
    "causal_hint": ({}, {"self": True, "causal": True, "need_weights": False}),
    "causal_hint_weights": ({}, {"self": True, "causal": True}),
    "unbatched_padding": ({}, {"unbatched": True, "key_padding_mask": KPM[1]}),
}


@pytest.mark.parametrize("case", MHA_CASES)
def test_multihead_attention_matches_pytorch(torch, case):
    options, call = MHA_CASES[case]
    theirs = torch.nn.MultiheadAttention(8, 2, **options).double()
    ours = nn.MultiheadAttention(8, 2, **options, dtype=np.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    call = dict(call)
    batch_first, unbatched = options.get("batch_first", False), call.pop("unbatched", False)

    def shape(length, features):
        if unbatched:
            return (length, features)
        return (2, length, features) if batch_first else (length, 2, features)

    length, source = (4, 4) if call.pop("self", False) else (3, 4)
    if length == source:
        inputs, their_inputs = leaves(torch, shape(length, 8))
        inputs, their_inputs = inputs * 3, their_inputs * 3
    else:
        inputs, their_inputs = leaves(
            torch,
            shape(length, 8),
            shape(source, options.get("kdim", 8)),
            shape(source, options.get("vdim", 8)),
        )
    if call.pop("causal", False):
        call.update(is_causal=True, attn_mask=np.triu(np.ones((4, 4), bool), 1))
    their_call = {
        k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in call.items()
    }
    out, weights = ours(*inputs, **call)
    their_out, their_weights = theirs(*their_inputs, **their_call)
    close(out.numpy(), their_out.detach().numpy())
    outs, their_outs = [out], [their_out]
    if call.get("need_weights", True):
        assert weights.shape == tuple(their_weights.shape)
        close(weights.numpy(), their_weights.detach().numpy())
        outs, their_outs = [out, weights], [their_out, their_weights]
    else:
        assert weights is None and their_weights is None
    backward_both(torch, outs, their_outs)
    for a, b in zip(inputs[:3], their_inputs[:3]):
        close(a.grad.numpy(), b.grad.numpy())
    for name, p, q in zip(ours.state_dict(), ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name
        )


def test_multihead_attention_init_is_pytorchs_shape_of_it():
    attention = nn.MultiheadAttention(16, 4)
    w = attention.in_proj_weight.numpy()
    bound = math.sqrt(6 / (16 + 48))  # Xavier-uniform over the (48, 16) in-projection
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not attention.in_proj_bias.numpy().any() and not attention.out_proj.bias.numpy().any()
    assert attention.in_proj_weight.dtype == autodiff.float32


def test_multihead_attention_dropout_only_in_training():
    attention = nn.MultiheadAttention(8, 2, dropout=0.5, dtype=np.float64)
    x = autodiff.tensor(RNG.standard_normal((3, 2, 8)))
    assert not np.allclose(attention(x, x, x)[1].numpy(), attention.eval()(x, x, x)[1].numpy())
    np.testing.assert_array_equal(attention(x, x, x)[0].numpy(), attention(x, x, x)[0].numpy())


def mha(**kwargs):
    return nn.MultiheadAttention(8, 2, **kwargs)


Z = autodiff.zeros
BAD_MHA = [
    (
        lambda: mha()(Z(3, 2, 8), Z(4, 2, 8), Z(4, 8)),
        ShapeError,
        r"query \(3, 2, 8\), key \(4, 2, 8\), value \(4, 8\); expected all 3-D",
    ),
    (
        lambda: mha()(Z(3, 2, 6), Z(4, 2, 8), Z(4, 2, 8)),
        ShapeError,
        "expected last dims embed_dim=8",
    ),
    (lambda: mha()(Z(3, 2, 8), Z(4, 3, 8), Z(4, 3, 8)), ShapeError, "expected one batch size"),
    (lambda: mha()(Z(3, 2, 8), Z(4, 2, 8), Z(5, 2, 8)), ShapeError, "one sequence length"),
    (lambda: mha()(Z(3, 2, 8).double(), Z(4, 2, 8), Z(4, 2, 8)), DTypeError, "query float64"),
    (
        lambda: mha()(Z(3, 2, 8), Z(4, 2, 8), Z(4, 2, 8), attn_mask=np.ones((4, 3), bool)),
        ShapeError,
        r"attn_mask of shape \(4, 3\); expected \(3, 4\) or \(4, 3, 4\)",
    ),
    (
        lambda: mha()(Z(3, 2, 8), Z(4, 2, 8), Z(4, 2, 8), key_padding_mask=np.ones((4, 2), bool)),
        ShapeError,
        r"key_padding_mask of shape \(4, 2\); expected \(2, 4\)",
    ),
    (
        lambda: mha()(Z(3, 2, 8), Z(4, 2, 8), Z(4, 2, 8), key_padding_mask=np.ones((2, 4), int)),
        DTypeError,
        "key_padding_mask of dtype int64",
    ),
    (
        lambda: mha()(Z(3, 2, 8), Z(3, 2, 8), Z(3, 2, 8), is_causal=True),
        ValueError,
        "is_causal=True without attn_mask",
    ),
    (lambda: nn.MultiheadAttention(10, 4), ValueError, "embed_dim=10 with num_heads=4"),
]


@pytest.mark.parametrize("call, error, message", BAD_MHA)
def test_multihead_attention_bad_input_names_the_layer_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()
