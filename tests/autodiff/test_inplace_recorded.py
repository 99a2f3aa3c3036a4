"""In-place changes of recorded tensors (x op= y, the `_` forms): PyTorch's meaning, the tensor
keeps its identity and memory (aliases see the change) and the change is recorded."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.errors import GradientError

CHANGES = {  # name: in-place change of h, with a tensor w that requires grad
    "+=": lambda h, w: h.__iadd__(w),
    "-=": lambda h, w: h.__isub__(w),
    "*=": lambda h, w: h.__imul__(w),
    "/=": lambda h, w: h.__itruediv__(w + 3),
    "add_": lambda h, w: h.add_(w, alpha=2.0),
    "sub_": lambda h, w: h.sub_(w, alpha=0.5),
    "mul_": lambda h, w: h.mul_(w),
    "div_": lambda h, w: h.div_(w + 3),
    "zero_": lambda h, w: h.zero_(),
    "copy_": lambda h, w: h.copy_(w * w),
    "clamp_": lambda h, w: h.clamp_(-0.3, 0.4),
    "fill_": lambda h, w: h.fill_(w[0, 0]),
    "masked_fill_": lambda h, w: h.masked_fill_(ad.tensor([True, False, True]), w[1, 2]),
}


def _program(lib, name, x, w):
    """h = x * w + x; change h in place; use h: returns the loss."""
    h = x * w + x
    alias = [h]
    early = h + 1  # used before the change: its gradient goes to h's earlier value
    out = CHANGES[name](h, w)
    assert out is h and alias[0] is h
    return (alias[0] * alias[0]).sum() + h.sum() + (early * early).sum()


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))


@pytest.mark.parametrize("name", list(CHANGES))
def test_recorded_change_keeps_identity_and_gradchecks(name):
    xv, wv = _inputs()
    x = ad.tensor(xv, requires_grad=True)
    w = ad.tensor(wv, requires_grad=True)
    h = x * 2
    array = h._value
    result = CHANGES[name](h, w)
    assert result is h and h._value is array and h.requires_grad
    assert ad.gradcheck(lambda x, w: _program(ad, name, x, w), [x, w])


@pytest.mark.parametrize("name", list(CHANGES))
def test_recorded_change_matches_torch(name):
    torch = pytest.importorskip("torch")
    xv, wv = _inputs(1)
    x, w = ad.tensor(xv, requires_grad=True), ad.tensor(wv, requires_grad=True)
    tx = torch.tensor(xv, requires_grad=True)
    tw = torch.tensor(wv, requires_grad=True)
    loss = _program(ad, name, x, w)
    tloss = _program(torch, name, tx, tw) if name != "masked_fill_" else None
    if tloss is None:  # torch's mask must be a torch tensor
        th = tx * tw + tx
        early = th + 1
        th.masked_fill_(torch.tensor([True, False, True]), tw[1, 2])
        tloss = (th * th).sum() + th.sum() + (early * early).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_alias_in_a_list_sees_augmented_assignment():
    x = ad.ones(3, requires_grad=True)
    h = x * 2
    hs = [h]
    h += 1
    assert hs[0] is h
    np.testing.assert_array_equal(hs[0].numpy(), [3.0, 3.0, 3.0])
    (hs[0] * hs[0]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 12.0, 12.0])


def test_plain_tensor_changed_with_a_tensor_that_requires_grad_is_recorded():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    buf = ad.zeros(2)
    alias = buf
    buf += w
    buf *= w
    assert alias is buf and buf.requires_grad
    np.testing.assert_array_equal(alias.numpy(), [1.0, 4.0])
    buf.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_item_augmented_assignment_changes_the_base():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    buf = ad.zeros(3)
    buf[:2] += w
    np.testing.assert_array_equal(buf.numpy(), [1.0, 2.0, 0.0])
    (buf * ad.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_item_augmented_assignment_on_a_result():
    x = ad.ones(2, 3, requires_grad=True)
    h = x * 2
    h[0] *= 3
    np.testing.assert_array_equal(h.numpy(), [[6.0] * 3, [2.0] * 3])
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0] * 3, [2.0] * 3])


@pytest.mark.parametrize("change", ["+=", "add_", "mul_", "zero_", "exp_", "setitem"])
def test_view_of_a_recorded_result_refuses_rather_than_diverge(change):
    x = ad.ones(2, 3, requires_grad=True)
    h = x * 2
    for view in (h[0], h.reshape(3, 2), h.t(), h.view(6)):
        with pytest.raises(GradientError, match="view"):
            if change == "+=":
                view += 1
            elif change == "setitem":
                view[0] = x[0, 0]
            else:
                getattr(view, change)(*([1] if change in ("add_", "mul_") else []))
        np.testing.assert_array_equal(h.numpy(), np.full((2, 3), 2.0))  # nothing changed


def test_view_of_a_plain_tensor_changed_with_a_gradient_refuses():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    buf = ad.zeros(3)
    view = buf[:2]
    with pytest.raises(GradientError, match=r"\+=.*view"):
        view += w
    np.testing.assert_array_equal(buf.numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("name", list(CHANGES))
def test_leaf_that_requires_grad_refuses(name):
    x = ad.ones(2, 3, requires_grad=True)
    w = ad.ones(2, 3, requires_grad=True)
    with pytest.raises(GradientError, match="leaf|requires grad"):
        CHANGES[name](x, w)
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("name", list(CHANGES))
def test_under_no_grad_a_plain_change_of_the_same_array(name):
    x = ad.ones(2, 3, requires_grad=True)
    w = ad.full((2, 3), 0.25, requires_grad=True)
    array = x._value
    with ad.no_grad():
        assert CHANGES[name](x, w) is x
        view = x[0]
        view += 1  # a view too: a plain change of the base's memory
    assert x._value is array and x.is_leaf and x.grad_fn is None
    assert x.numpy()[1, 0] != 1.0 and x.numpy()[0, 1] == x.numpy()[1, 1] + 1


# Views taken of h before h changes in place: their values change with h, and so must the
# path of their gradient (PyTorch remakes a view's grad_fn); uses before the change keep the old.
VIEWS = {
    "row": lambda h: h[0],
    "view of a view": lambda h: h[1][1:],
    "transpose": lambda h: h.t(),
    "reshape": lambda h: h.reshape(6),
}
VIEW_CHANGES = {
    "mul_": lambda h, x: h.mul_(x),
    "exp_": lambda h, x: h.exp_(),
    "+=": lambda h, x: h.__iadd__(x * x),
    "row assigned": lambda h, x: h.__setitem__(0, x[1] * 5),
}


def _view_program(view, change, x):
    h = x * 1.5
    v = VIEWS[view](h)
    before = (v * 2).sum()  # a use before the change: v's old path
    VIEW_CHANGES[change](h, x)
    return before + (v * v).sum()


@pytest.mark.parametrize("change", list(VIEW_CHANGES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_a_view_taken_before_a_change_of_its_base_follows_it(view, change):
    xv, _ = _inputs(2)
    x = ad.tensor(xv, requires_grad=True)
    assert ad.gradcheck(lambda x: _view_program(view, change, x), [x])
    torch = pytest.importorskip("torch")
    tx = torch.tensor(xv, requires_grad=True)
    _view_program(view, change, x).backward()
    _view_program(view, change, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_view_used_as_the_root_after_its_base_changed_follows_it():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1
    v = h.reshape(4)
    h.mul_(x)
    v.backward(ad.ones(4, dtype=ad.float32))
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy())


def test_a_result_changed_by_exp_keeps_a_gradient_through_exps_output():
    x = ad.tensor([0.5, 1.0], requires_grad=True)
    h = x * 2
    h.exp_()  # exp's VJP reads its output: h as it is now, not a changed value
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.array([0.5, 1.0])), rtol=1e-6)


def test_an_operand_that_is_a_view_of_the_changed_tensor_is_refused():
    x = ad.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    for operand in (lambda a: a.t(), lambda a: a[0], lambda a: a.view(3, 3)):
        a = x * 1
        with pytest.raises(GradientError, match="mul_: an operand of shape .* shares memory"):
            a.mul_(operand(a))


def test_the_changed_tensor_as_its_own_operand_is_its_value_before():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 1
    a.mul_(a)  # a² of the old a: gradient 2x
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_a_followed_view_changed_under_no_grad_still_follows_its_base():
    x = ad.tensor(np.arange(1.0, 13.0).reshape(3, 4), requires_grad=True)
    a = x * 1
    v = a[0]
    a.mul_(2)
    with ad.no_grad():
        v.add_(1)
    (v * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [2.0] * 4)
