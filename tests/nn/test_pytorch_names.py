"""nn's PyTorch names and meanings for the programs written after MNIST, each compared with
PyTorch: values and gradients in float64.
"""

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(210)


def _both(array):
    """The same float64 values as an autodiff and a torch tensor, both requiring grad."""
    return (
        autodiff.tensor(array.copy(), requires_grad=True),
        torch.tensor(array.copy(), requires_grad=True),
    )


def _compare(ours, theirs, inputs, rtol=1e-10):
    """Values agree, and so do the gradients of a weighted sum w.r.t. each input pair."""
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12
    )
    weights = RNG.standard_normal(tuple(ours.shape))
    (ours * autodiff.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for a, t in inputs:
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("shape", [(), (5,), (3, 5), (2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_without_dim_takes_pytorchs_implicit_dim_and_warns(name, shape):
    ours, theirs = _both(RNG.standard_normal(shape))
    with pytest.warns(UserWarning, match=f"{name}: no dim given"):
        out = getattr(F, name)(ours)
    with pytest.warns(UserWarning):
        expected = getattr(TF, name)(theirs)
    _compare(out, expected, [(ours, theirs)])


@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax"])
def test_softmax_modules_without_dim_follow_pytorch(module):
    ours, theirs = _both(RNG.standard_normal((2, 3, 4, 5)))
    assert repr(getattr(nn, module)()) == repr(getattr(torch.nn, module)())
    with pytest.warns(UserWarning):
        out = getattr(nn, module)()(ours)
    with pytest.warns(UserWarning):
        expected = getattr(torch.nn, module)()(theirs)
    _compare(out, expected, [(ours, theirs)])


X = RNG.standard_normal((4, 6))
Y = RNG.standard_normal((4, 6))
LOGITS = RNG.standard_normal((5, 4))
CLASSES = np.array([0, 3, -100, 1, 3])
SEQ = RNG.standard_normal((2, 4, 9))
WEIGHTS = np.array([0.5, 1.0, 2.0, 0.25])


def _log_probs(array):
    return array - np.log(np.exp(array).sum(-1, keepdims=True))


FUNCTIONS = {
    "silu": (lambda F, x: F.silu(x), [X]),
    "gelu_tanh": (lambda F, x: F.gelu(x, approximate="tanh"), [X]),
    "normalize": (lambda F, x: F.normalize(x), [X]),
    "normalize_p1_last": (lambda F, x: F.normalize(x, p=1.0, dim=-1), [X]),
    "cosine_similarity": (lambda F, x, y: F.cosine_similarity(x, y), [X, Y]),
    "cosine_similarity_broadcast": (
        lambda F, x, y: F.cosine_similarity(x, y[:1], dim=-1),
        [X, Y],
    ),
    "l1_loss": (lambda F, x, y: F.l1_loss(x, y), [X, Y]),
    "l1_loss_none": (lambda F, x, y: F.l1_loss(x, y, reduction="none"), [X, Y]),
    "smooth_l1_loss": (lambda F, x, y: F.smooth_l1_loss(x, y), [X, Y]),
    "smooth_l1_loss_beta": (lambda F, x, y: F.smooth_l1_loss(x, y, beta=0.5), [X, Y]),
    "smooth_l1_loss_beta_0": (
        lambda F, x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.0),
        [X, Y],
    ),
    "kl_div_batchmean": (
        lambda F, x, y: F.kl_div(x.log_softmax(-1), y.softmax(-1), reduction="batchmean"),
        [X, Y],
    ),
    "kl_div_sum_log_target": (
        lambda F, x, y: F.kl_div(
            x.log_softmax(-1), y.log_softmax(-1), reduction="sum", log_target=True
        ),
        [X, Y],
    ),
    "kl_div_none_zero_target": (  # the target a constant: PyTorch's gradient is NaN at 0
        lambda F, x: F.kl_div(x.log_softmax(-1), _constant(F, (Y > 0) * Y), reduction="none"),
        [X],
    ),
    "cross_entropy_ignore_index": (lambda F, x: F.cross_entropy(x, _classes(F)), [LOGITS]),
    "cross_entropy_weight": (
        lambda F, x: F.cross_entropy(
            x, _classes(F, np.abs(CLASSES) % 4), weight=_constant(F, WEIGHTS)
        ),
        [LOGITS],
    ),
    "cross_entropy_weight_ignore_sum": (
        lambda F, x: F.cross_entropy(x, _classes(F), _constant(F, WEIGHTS), reduction="sum"),
        [LOGITS],
    ),
    "cross_entropy_weight_smoothing": (
        lambda F, x: F.cross_entropy(
            x, _classes(F), weight=_constant(F, WEIGHTS), label_smoothing=0.2
        ),
        [LOGITS],
    ),
    "cross_entropy_ignore_smoothing_none": (
        lambda F, x: F.cross_entropy(x, _classes(F), reduction="none", label_smoothing=0.1),
        [LOGITS],
    ),
    "cross_entropy_k_dim": (
        lambda F, x: F.cross_entropy(x, _sequence_classes(F)),
        [SEQ],
    ),
    "cross_entropy_k_dim_none": (
        lambda F, x: F.cross_entropy(x, _sequence_classes(F), reduction="none"),
        [SEQ],
    ),
    "cross_entropy_soft_weight": (
        lambda F, x, y: F.cross_entropy(x, y.softmax(-1), weight=_constant(F, WEIGHTS)),
        [LOGITS, LOGITS[::-1].copy()],
    ),
    "nll_loss_weight_ignore": (
        lambda F, x: F.nll_loss(x.log_softmax(1), _classes(F), weight=_constant(F, WEIGHTS)),
        [LOGITS],
    ),
    "nll_loss_ignore_none": (
        lambda F, x: F.nll_loss(x.log_softmax(1), _classes(F), reduction="none"),
        [LOGITS],
    ),
    "group_norm": (lambda F, x: F.group_norm(x.reshape(2, 4, 3), 2), [X]),
    "conv1d": (lambda F, x, w: F.conv1d(x, w), [SEQ, RNG.standard_normal((3, 4, 2))]),
    "conv1d_options": (
        lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=2),
        [SEQ, RNG.standard_normal((6, 2, 3)), RNG.standard_normal(6)],
    ),
    "conv1d_same": (
        lambda F, x, w: F.conv1d(x[0], w, padding="same"),
        [SEQ, RNG.standard_normal((3, 4, 4))],
    ),
}


def _classes(F, classes=CLASSES):
    """`classes` (by default CLASSES, one of them ignore_index's default) in F's library."""
    lib = autodiff if F is nn.functional else torch
    return lib.tensor(classes)


def _constant(F, array):
    """`array` as a tensor of F's library that does not require grad."""
    lib = autodiff if F is nn.functional else torch
    return lib.tensor(array)


def _sequence_classes(F):
    lib = autodiff if F is nn.functional else torch
    return lib.tensor(np.array([[0, 1, 2, 3, 3, 2, 1, 0, 0], [3, 3, 0, 0, -100, 1, 2, 1, 0]]))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_matches_pytorch(name):
    fn, arrays = FUNCTIONS[name]
    pairs = [_both(a) for a in arrays]
    ours = fn(nn.functional, *[a for a, _ in pairs])
    theirs = fn(TF, *[t for _, t in pairs])
    _compare(ours, theirs, pairs)


def _twin(ours, theirs):
    """theirs with ours' parameters, both in float64."""
    ours.double()
    theirs.double()
    with torch.no_grad():
        for name, p in ours.named_parameters():
            dict(theirs.named_parameters())[name].copy_(torch.tensor(p.detach().numpy()))
    return ours, theirs


MODULES = {
    "SiLU": (lambda lib: lib.SiLU(), (4, 6)),
    "GELU_tanh": (lambda lib: lib.GELU(approximate="tanh"), (4, 6)),
    "Identity": (lambda lib: lib.Identity(3, unused=True), (4, 6)),
    "GroupNorm": (lambda lib: lib.GroupNorm(2, 4), (3, 4, 5)),
    "GroupNorm_2d": (lambda lib: lib.GroupNorm(4, 4, eps=1e-3), (2, 4, 3, 3)),
    "GroupNorm_no_affine": (lambda lib: lib.GroupNorm(1, 4, affine=False), (2, 4, 3)),
    "Conv1d": (lambda lib: lib.Conv1d(4, 6, 3), (2, 4, 9)),
    "Conv1d_options": (
        lambda lib: lib.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
        (2, 4, 11),
    ),
    "Conv1d_same": (lambda lib: lib.Conv1d(4, 2, 4, padding="same"), (4, 7)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_matches_pytorch(name):
    make, shape = MODULES[name]
    ours, theirs = _twin(make(nn), make(torch.nn))
    assert repr(ours) == repr(theirs)
    x, tx = _both(RNG.standard_normal(shape))
    out, expected = ours(x), theirs(tx)
    if name.startswith("GroupNorm"):  # give weight and bias a gradient that is not trivial
        pass
    _compare(out, expected, [(x, tx)] + list(zip(ours.parameters(), theirs.parameters())))


LOSSES = {
    "L1Loss": (lambda lib: lib.L1Loss(), X, Y),
    "L1Loss_sum": (lambda lib: lib.L1Loss(reduction="sum"), X, Y),
    "SmoothL1Loss": (lambda lib: lib.SmoothL1Loss(beta=0.3), X, Y),
    "KLDivLoss": (lambda lib: lib.KLDivLoss(reduction="batchmean"), X, np.abs(Y)),
    "KLDivLoss_mean": (lambda lib: lib.KLDivLoss(), X, np.abs(Y)),
    "KLDivLoss_log_target": (lambda lib: lib.KLDivLoss(reduction="sum", log_target=True), X, Y),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_module_matches_pytorch(name):
    make, x_array, y_array = LOSSES[name]
    ours, theirs = make(nn), make(torch.nn)
    (x, tx), (y, ty) = _both(x_array), _both(y_array)
    _compare(ours(x, y), theirs(tx, ty), [(x, tx), (y, ty)])


def test_cross_entropy_and_nll_modules_take_weight_and_ignore_index():
    weights = np.array([0.5, 1.0, 2.0, 0.25])
    for options in ({"weight": True}, {"ignore_index": 3}, {"weight": True, "ignore_index": 1}):
        for name in ("CrossEntropyLoss", "NLLLoss"):
            kwargs = dict(options)
            if kwargs.pop("weight", False):
                ours = getattr(nn, name)(weight=autodiff.tensor(weights), **kwargs)
                theirs = getattr(torch.nn, name)(weight=torch.tensor(weights), **kwargs)
            else:
                ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
            x, tx = _both(LOGITS)
            target = np.abs(CLASSES) % 4
            _compare(ours(x, autodiff.tensor(target)), theirs(tx, torch.tensor(target)), [(x, tx)])


def test_bad_input_of_the_new_layers_raises_the_library_error():
    with pytest.raises(ValueError, match="GroupNorm: num_channels=5 in num_groups=2"):
        nn.GroupNorm(2, 5)
    with pytest.raises(autodiff.ShapeError, match=r"GroupNorm: input \(2, 3, 4\); expected"):
        nn.GroupNorm(2, 4)(autodiff.zeros(2, 3, 4))
    with pytest.raises(autodiff.ShapeError, match=r"conv1d: input \(2, 4, 5, 5\)"):
        nn.Conv1d(4, 2, 3)(autodiff.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="Conv1d: kernel_size=0"):
        nn.Conv1d(4, 2, 0)
    with pytest.raises(ValueError, match="Conv1d: in_channels=3 and out_channels=4 with groups"):
        nn.Conv1d(3, 4, 2, groups=2)
    with pytest.raises(autodiff.ShapeError, match=r"cross_entropy: weight of shape \(3,\)"):
        F.cross_entropy(autodiff.tensor(LOGITS), autodiff.tensor([0, 1, 2, 3, 0]), weight=[1, 2, 3])
    with pytest.raises(
        ValueError, match="cross_entropy: target holds 0..4; expected class indices in 0..3"
    ):
        F.cross_entropy(autodiff.tensor(LOGITS), autodiff.tensor([0, 1, 4, -100, 0]))
    with pytest.raises(TypeError, match="size_average and reduce are PyTorch's deprecated"):
        F.nll_loss(autodiff.tensor(LOGITS), autodiff.tensor([0, 1, 2, 3, 0]), size_average=True)
    with pytest.raises(autodiff.ShapeError, match="l1_loss: input \\(4, 6\\) and target \\(6,\\)"):
        F.l1_loss(autodiff.tensor(X), autodiff.tensor(Y[0]))
    with pytest.raises(ValueError, match="smooth_l1_loss: beta=-1"):
        F.smooth_l1_loss(autodiff.tensor(X), autodiff.tensor(Y), beta=-1)
    with pytest.raises(ValueError, match="kl_div: unknown reduction 'batch'"):
        F.kl_div(autodiff.tensor(X), autodiff.tensor(Y), reduction="batch")
    with pytest.raises(
        autodiff.ShapeError, match=r"cosine_similarity: inputs \(4, 6\) and \(4, 5\)"
    ):
        F.cosine_similarity(autodiff.tensor(X), autodiff.tensor(Y[:, :5]))


def test_module_apply_visits_children_first_as_pytorch():
    orders = []
    for lib in (nn, torch.nn):
        model = lib.Sequential(lib.Linear(2, 3), lib.Sequential(lib.Tanh(), lib.Linear(3, 1)))
        orders.append([])
        assert model.apply(lambda m: orders[-1].append(type(m).__name__)) is model
    assert orders[0] == orders[1]

    def init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)

    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model.apply(init_weights)
    assert all(not layer.weight.numpy().any() for layer in model)


def test_zero_grad_keeps_zeroed_buffers_when_not_set_to_none():
    model = nn.Linear(2, 1)
    model(autodiff.ones(4, 2)).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and not grad.numpy().any()
    model.zero_grad()
    assert model.weight.grad is None


def test_inference_mode_and_accelerator_as_pytorch():
    for lib in (autodiff, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert not (x * 2).requires_grad
        with lib.inference_mode(False):
            assert (x * 2).requires_grad

        @lib.inference_mode()
        def predict(x):
            return x * 2

        assert not predict(x).requires_grad
    assert autodiff.accelerator.is_available() is False
    assert autodiff.accelerator.current_accelerator() is None


def test_dropout2d_on_a_2d_input_drops_elements_with_a_warning_as_pytorch():
    x = autodiff.ones(50, 40)
    for lib, t in ((nn, x), (torch.nn, torch.ones(50, 40))):
        with pytest.warns(UserWarning, match="dropout2d"):
            out = lib.Dropout2d(0.5)(t)
        values = out.numpy()
        assert set(np.unique(values)) == {0.0, 2.0}
        assert 0.3 < (values == 0).mean() < 0.7
        assert (values == 0).any(axis=1).sum() > 45  # single elements, not whole rows
