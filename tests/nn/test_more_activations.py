"""The activations and losses beyond ReLU and cross-entropy (ELU, Softplus, Hardtanh, Mish, GLU,
PReLU, HuberLoss, BCE's weight and pos_weight, ...): PyTorch's values and gradients, at and
around each kink and for large |x|, float64 gradchecks away from the kinks, and PyTorch's
reprs and state_dict keys.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor

# the kinks of every function below (0, ±3, 6, softplus's threshold) and their neighbours,
# and inputs large enough to overflow e**x
GRID = np.array(
    [-800, -50, -20, -6, -3.5, -3, -2.999, -2, -1, -0.5, -1e-9, 0, 1e-9, 0.5, 1, 2, 2.5,
     2.999, 3, 3.001, 5, 6, 6.5, 10, 20, 20.001, 50, 800],
    dtype=np.float64,
)  # fmt: skip

# (name, keyword arguments): each checked against torch.nn.functional.<name>
CASES = [
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("elu", {"alpha": 2.0}),
    ("selu", {}),
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("celu", {"alpha": 3.0}),
    ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}),  # kink at x = 2.5
    ("softplus", {"beta": 0.5, "threshold": 3.0}),  # kink at x = 6
    ("logsigmoid", {}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}),
    ("relu6", {}),
    ("softsign", {}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("mish", {}),
]


# PyTorch's hardsigmoid gradient multiplies by 1/6 rounded to float32, even in float64
GRAD_RTOL = {"hardsigmoid": 1e-7}


def _torch():
    return pytest.importorskip("torch")


def _ours_and_grad(name, kwargs, values, weights):
    x = Tensor(values.copy(), requires_grad=True)
    y = getattr(F, name)(x, **kwargs)
    (y * Tensor(weights)).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def _theirs_and_grad(name, kwargs, values, weights):
    torch = _torch()
    x = torch.tensor(values, requires_grad=True)
    y = getattr(torch.nn.functional, name)(x, **kwargs)
    (y * torch.tensor(weights)).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=lambda c: str(c))
def test_values_and_gradients_match_pytorch_at_the_kinks_and_far_out(name, kwargs):
    weights = np.random.default_rng(0).uniform(0.5, 2.0, GRID.shape)
    ours, our_grad = _ours_and_grad(name, kwargs, GRID, weights)
    theirs, their_grad = _theirs_and_grad(name, kwargs, GRID, weights)
    assert np.isfinite(our_grad).all(), our_grad  # no inf·0 from a discarded branch
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    rtol = GRAD_RTOL.get(name, 1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=rtol, atol=1e-14)


def test_the_gradients_at_the_kinks_are_pytorchs_choices():
    """Written out, so that they hold without PyTorch too: 0 at the ends of hardtanh, relu6
    and hardsigmoid; the outer pieces' slopes at hardswish's ±3; the exponential side at 0."""
    cases = {
        ("hardtanh", -1.0): 0.0,
        ("hardtanh", 1.0): 0.0,
        ("relu6", 0.0): 0.0,
        ("relu6", 6.0): 0.0,
        ("hardsigmoid", -3.0): 0.0,
        ("hardsigmoid", 3.0): 0.0,
        ("hardswish", -3.0): 0.0,
        ("hardswish", 3.0): 1.0,
        ("elu", 0.0): 1.0,
        ("celu", 0.0): 1.0,
        ("softsign", 0.0): 1.0,
    }
    for (name, at), slope in cases.items():
        x = Tensor(np.array([at]), requires_grad=True)
        getattr(F, name)(x).sum().backward()
        assert x.grad.numpy()[0] == slope, (name, at, x.grad.numpy())
    x = Tensor(np.array([0.0]), requires_grad=True)
    F.elu(x, alpha=2.5).sum().backward()
    assert x.grad.numpy()[0] == 2.5


SMOOTH = np.array([-4.2, -2.1, -0.7, -0.2, 0.3, 0.9, 1.7, 2.4, 4.6, 7.3])  # no kink within 1e-3


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=lambda c: str(c))
def test_gradcheck_away_from_the_kinks(name, kwargs):
    assert autodiff.gradcheck(lambda x: getattr(F, name)(x, **kwargs), [SMOOTH.copy()])


def test_glu_softmin_and_prelu_gradcheck():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 2))
    assert autodiff.gradcheck(lambda t: F.glu(t, dim=1), [x])
    assert autodiff.gradcheck(lambda t: F.glu(t), [rng.normal(size=(2, 6))])
    assert autodiff.gradcheck(lambda t: F.softmin(t, dim=1), [x])
    away = x + np.sign(x) * 0.1  # no input near 0
    assert autodiff.gradcheck(F.prelu, [away, np.array([0.1, -0.3, 0.7, 0.2])])
    assert autodiff.gradcheck(F.prelu, [away, np.array([0.4])])


def test_glu_softmin_prelu_match_pytorch():
    torch = _torch()
    rng = np.random.default_rng(2)
    values = rng.normal(size=(3, 4, 2))
    values[0, :, 0] = 0.0  # prelu's kink
    weight = np.array([0.1, -0.3, 0.7, 0.2])
    for ours_fn, their_fn in [
        (lambda a, w: F.glu(a, dim=1), lambda a, w: torch.nn.functional.glu(a, dim=1)),
        (lambda a, w: F.glu(a, -1), lambda a, w: torch.nn.functional.glu(a, -1)),
        (lambda a, w: F.softmin(a, dim=2), lambda a, w: torch.nn.functional.softmin(a, dim=2)),
        (F.prelu, torch.nn.functional.prelu),
    ]:
        x, w = Tensor(values, requires_grad=True), Tensor(weight, requires_grad=True)
        tx = torch.tensor(values, requires_grad=True)
        tw = torch.tensor(weight, requires_grad=True)
        ours, theirs = ours_fn(x, w), their_fn(tx, tw)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
        g = rng.normal(size=ours.shape)
        (ours * Tensor(g)).sum().backward()
        (theirs * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)
        if tw.grad is not None:
            np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_glu_refuses_an_odd_dim():
    with pytest.raises(ValueError, match=r"glu: input of shape \(2, 3\) has size 3"):
        F.glu(Tensor(np.ones((2, 3))))


def test_activations_refuse_integer_input_and_keep_float32():
    with pytest.raises(TypeError, match="elu: input of dtype int64"):
        F.elu(Tensor(np.arange(3)))
    for name, _ in CASES:
        assert getattr(F, name)(Tensor(np.ones(3, np.float32))).dtype == autodiff.float32


def test_inplace_writes_into_the_input_as_pytorch():
    torch = _torch()
    for name in ("elu", "selu", "celu", "hardtanh", "relu6", "hardsigmoid", "hardswish", "mish"):
        leaf = Tensor(GRID.copy(), requires_grad=True)
        x = leaf * 1.0
        out = getattr(F, name)(x, inplace=True)
        assert out is x
        out.sum().backward()
        tleaf = torch.tensor(GRID, requires_grad=True)
        tx = tleaf * 1.0
        getattr(torch.nn.functional, name)(tx, inplace=True).sum().backward()
        np.testing.assert_allclose(x.detach().numpy(), tx.detach().numpy(), rtol=1e-12)
        # in place, PyTorch differentiates through the result: exact to about 1e-16 absolute
        rtol = GRAD_RTOL.get(name, 1e-12)
        np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), rtol=rtol, atol=1e-15)


MODULES = [
    "ELU()",
    "ELU(alpha=0.5)",
    "ELU(inplace=True)",
    "Softplus()",
    "Softplus(beta=2, threshold=10)",
    "LogSigmoid()",
    "SELU()",
    "SELU(inplace=True)",
    "CELU(alpha=2.0)",
    "Hardtanh()",
    "Hardtanh(-2.0, 2.0)",
    "Hardtanh(-2, 2, inplace=True)",
    "ReLU6()",
    "ReLU6(inplace=True)",
    "Softsign()",
    "Hardsigmoid()",
    "Hardswish()",
    "Mish()",
    "GLU()",
    "GLU(dim=1)",
    "Softmin(dim=1)",
    "Softmin()",
    "PReLU()",
    "PReLU(3, init=0.1)",
    "HuberLoss()",
    "BCELoss()",
    "BCEWithLogitsLoss()",
]


@pytest.mark.parametrize("made", MODULES)
def test_modules_print_as_pytorchs(made):
    torch = _torch()
    assert repr(eval(made, {}, vars(nn))) == repr(eval(made, {}, vars(torch.nn)))


@pytest.mark.parametrize(
    "made", ["ELU(alpha=0.5)", "Softplus(beta=2, threshold=1)", "Hardtanh(-2.0, 2.0)", "Mish()"]
)
def test_modules_apply_their_functions_as_pytorchs(made):
    torch = _torch()
    ours = eval(made, {}, vars(nn))(Tensor(GRID))
    theirs = eval(made, {}, vars(torch.nn))(torch.tensor(GRID))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_prelu_module_state_and_gradient_as_pytorchs():
    torch = _torch()
    ours, theirs = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.weight.dtype == autodiff.float32
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    values = np.random.default_rng(3).normal(size=(2, 3, 4)).astype(np.float32)
    values[0, 1, :2] = 0.0
    ours(Tensor(values)).sum().backward()
    theirs(torch.tensor(values)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)
    assert list(nn.PReLU().state_dict()) == ["weight"]
    assert nn.PReLU().weight.shape == (1,)


# ----- losses ---------------------------------------------------------------------------------


def test_huber_loss_matches_pytorch_at_and_around_delta():
    torch = _torch()
    target = np.linspace(-1.0, 1.0, 9)
    for delta in (0.5, 1.0, 2.0):
        steps = np.array([-2 * delta, -delta, -delta + 1e-3, -0.1, 0.0, 0.1, delta, 3 * delta])
        values = (target[:, None] + steps[None, :]).ravel()
        y = np.repeat(target, len(steps))
        for reduction in ("mean", "sum", "none"):
            x, tx = Tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
            ours = F.huber_loss(x, Tensor(y), reduction=reduction, delta=delta)
            theirs = torch.nn.functional.huber_loss(
                tx, torch.tensor(y), reduction=reduction, delta=delta
            )
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
            ours.sum().backward()
            theirs.sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)
        module = nn.HuberLoss(reduction="sum", delta=delta)
        expected = torch.nn.HuberLoss(reduction="sum", delta=delta)(
            torch.tensor(values), torch.tensor(y)
        )
        assert module(Tensor(values), Tensor(y)).item() == pytest.approx(expected.item(), 1e-12)


def test_huber_loss_weight_matches_pytorch():
    torch = _torch()
    rng = np.random.default_rng(8)
    x, y, w = rng.normal(0, 2, (4, 3)), rng.normal(size=(4, 3)), rng.uniform(0, 2, (4, 3))
    for reduction in ("mean", "sum", "none"):
        ours = F.huber_loss(Tensor(x), Tensor(y), reduction, 0.7, weight=Tensor(w))
        theirs = torch.nn.functional.huber_loss(
            torch.tensor(x), torch.tensor(y), reduction, 0.7, weight=torch.tensor(w)
        )
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert autodiff.gradcheck(lambda a: F.huber_loss(a, Tensor(y), weight=Tensor(w)), [x])
    with pytest.raises(ValueError, match=r"huber_loss: weight of shape \(3,\)"):
        F.huber_loss(Tensor(x), Tensor(y), weight=np.ones(3))


def test_huber_loss_gradcheck_and_refused_delta():
    x = np.array([0.3, -2.0, 1.2, -0.45, 4.0])
    assert autodiff.gradcheck(lambda t: F.huber_loss(t, Tensor(np.zeros(5)), delta=0.5), [x])
    with pytest.raises(ValueError, match="huber_loss: delta=0"):
        F.huber_loss(Tensor(x), Tensor(x), delta=0)
    with pytest.raises(ValueError, match="HuberLoss: delta="):
        nn.HuberLoss(delta=-1.0)


WEIGHTS = {
    "per class": np.array([0.5, 2.0, 1.5]),
    "per sample": np.array([[1.0], [0.0], [3.0], [0.25]]),
    "per element": np.random.default_rng(4).uniform(0, 2, (4, 3)),
}


@pytest.mark.parametrize("kind", list(WEIGHTS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_weight_matches_pytorch(kind, reduction):
    torch = _torch()
    rng = np.random.default_rng(5)
    p = rng.uniform(0.01, 0.99, (4, 3))
    p[0, 0], p[1, 1] = 0.0, 1.0  # the clamped logs
    y = rng.uniform(0, 1, (4, 3))
    w = WEIGHTS[kind]
    x, tx = Tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    wt, twt = Tensor(w), torch.tensor(w)  # PyTorch gives no gradient for weight
    ours = F.binary_cross_entropy(x, Tensor(y), weight=wt, reduction=reduction)
    theirs = torch.nn.functional.binary_cross_entropy(
        tx, torch.tensor(y), weight=twt, reduction=reduction
    )
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    inside = (p > 0) & (p < 1)  # at 0 and 1 the clamped logs' gradients differ by design
    np.testing.assert_allclose(x.grad.numpy()[inside], tx.grad.numpy()[inside], rtol=1e-10)
    module = nn.BCELoss(weight=Tensor(w), reduction=reduction)
    expected = torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction)(
        torch.tensor(p), torch.tensor(y)
    )
    np.testing.assert_allclose(module(Tensor(p), Tensor(y)).numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("weight", [None, *WEIGHTS])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_pos_weight_matches_pytorch(weight, reduction):
    torch = _torch()
    rng = np.random.default_rng(6)
    logits = rng.normal(0, 3, (4, 3))
    logits[0] = [-800.0, 0.0, 800.0]  # no overflow either way
    y = rng.uniform(0, 1, (4, 3))
    pos = np.array([0.5, 1.0, 4.0])
    w = None if weight is None else WEIGHTS[weight]
    x, tx = Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    pw, tpw = Tensor(pos), torch.tensor(pos)  # PyTorch gives no gradient for pos_weight
    ours = F.binary_cross_entropy_with_logits(
        x, Tensor(y), None if w is None else Tensor(w), reduction=reduction, pos_weight=pw
    )
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        tx,
        torch.tensor(y),
        None if w is None else torch.tensor(w),
        reduction=reduction,
        pos_weight=tpw,
    )
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-15)
    module = nn.BCEWithLogitsLoss(
        weight=None if w is None else Tensor(w), reduction=reduction, pos_weight=Tensor(pos)
    )
    expected = torch.nn.BCEWithLogitsLoss(
        weight=None if w is None else torch.tensor(w),
        reduction=reduction,
        pos_weight=torch.tensor(pos),
    )(torch.tensor(logits), torch.tensor(y))
    np.testing.assert_allclose(
        module(Tensor(logits), Tensor(y)).numpy(), expected.numpy(), rtol=1e-12
    )


def test_bce_weights_gradcheck_and_buffers():
    rng = np.random.default_rng(7)
    logits, y = rng.normal(size=(4, 3)), rng.uniform(0, 1, (4, 3))
    assert autodiff.gradcheck(
        lambda x, w, pw: F.binary_cross_entropy_with_logits(x, Tensor(y), w, pos_weight=pw),
        [logits, rng.uniform(0.5, 2, (4, 1)), rng.uniform(0.5, 2, 3)],
    )
    p = rng.uniform(0.1, 0.9, (4, 3))
    assert autodiff.gradcheck(
        lambda x, w: F.binary_cross_entropy(x, Tensor(y), w), [p, rng.uniform(0.5, 2, 3)]
    )
    torch = _torch()
    ours = nn.BCEWithLogitsLoss(weight=Tensor(np.ones(3)), pos_weight=Tensor(np.ones(3)))
    theirs = torch.nn.BCEWithLogitsLoss(weight=torch.ones(3), pos_weight=torch.ones(3))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours, theirs = nn.BCELoss(weight=Tensor(np.ones(3))), torch.nn.BCELoss(weight=torch.ones(3))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_bce_weight_that_does_not_broadcast_is_refused():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight of shape \(2,\)"):
        F.binary_cross_entropy(Tensor(np.full((4, 3), 0.5)), Tensor(np.ones((4, 3))), np.ones(2))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: pos_weight"):
        F.binary_cross_entropy_with_logits(
            Tensor(np.zeros((4, 3))), Tensor(np.ones((4, 3))), pos_weight=np.ones(4)
        )
