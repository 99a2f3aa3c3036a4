"""What the pytorch/examples-style programs needed beyond the earlier ports: nonzero
(PyTorch's: indices as rows, or per dim with as_tuple), item assignment of a value with leading
size-1 dims (`x[i] = t` with t of shape (1,), which PyTorch accepts), and split / chunk giving
a tuple, as PyTorch's do (numpy's split gives a list), and where(condition) alone giving the
indices where it holds (PyTorch's and numpy's), and no_grad / enable_grad / inference_mode as
bare decorators (without parentheses)."""

import numpy as np
import pytest

import autodiff
import autodiff.numpy as anp
from autodiff import Tensor, gradcheck

VALUES = [5, 0, [0, 1, 2, 0], [[1, 0], [0, 3]], [[[0, 2]], [[1, 0]]], [[0.0, -0.5]], []]


def test_nonzero_by_hand():
    x = Tensor([[1.0, 0.0], [0.0, 3.0]])
    assert x.nonzero().tolist() == [[0, 0], [1, 1]] and x.nonzero().dtype == autodiff.int64
    rows, cols = autodiff.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    assert autodiff.tensor(5).nonzero().shape == (1, 0)
    assert autodiff.tensor(0).nonzero().shape == (0, 0)
    with pytest.raises(TypeError, match="nonzero: as_tuple=1"):
        x.nonzero(as_tuple=1)


def test_setitem_drops_leading_size_one_dims_by_hand():
    x = autodiff.zeros(2, 3)
    x[0] = autodiff.ones(1, 1, 3)
    x[1, 2] = Tensor([[7.0]])
    x[1, 0] = [4.0]
    assert x.tolist() == [[1.0, 1.0, 1.0], [4.0, 0.0, 7.0]]
    with pytest.raises(autodiff.ShapeError, match="__setitem__: cannot assign"):
        x[0] = autodiff.ones(2, 3)  # not size 1: still refused


def test_setitem_of_a_one_element_value_passes_its_gradient():
    w = Tensor(np.random.default_rng(0).standard_normal(3), requires_grad=True)
    v = autodiff.tensor([2.0], dtype=autodiff.float64, requires_grad=True)

    def f(w, v):
        u = w * 1.0
        u[1] = v
        return (u * u).sum()

    gradcheck(f, [w, v])


def test_split_and_chunk_give_tuples_and_numpys_split_a_list():
    x = autodiff.arange(6.0)
    pieces = x.split(2) + autodiff.split(x, [1, 5]) + x.chunk(4)  # tuples concatenate
    assert [len(p) for p in pieces] == [2, 2, 2, 1, 5, 2, 2, 2]
    assert isinstance(anp.split(x, 3), list)


def test_where_of_a_condition_alone_gives_its_indices():
    labels = autodiff.tensor([3, 1, 3, 0])
    (found,) = autodiff.where(labels == 3)
    assert found.tolist() == [0, 2] and found.dtype == autodiff.int64
    rows, cols = anp.where(autodiff.tensor([[0.0, 1.0], [2.0, 0.0]]))
    expected = np.where(np.array([[0.0, 1.0], [2.0, 0.0]]))
    assert rows.tolist() == expected[0].tolist() and cols.tolist() == expected[1].tolist()
    with pytest.raises(TypeError, match="where: given condition and one of input and other"):
        autodiff.where(labels == 3, labels)
    with pytest.raises(TypeError, match="where: given condition and one of x and y"):
        anp.where(labels == 3, y=labels)


@pytest.mark.parametrize(
    "name, records", [("no_grad", False), ("enable_grad", True), ("inference_mode", False)]
)
def test_grad_switches_decorate_without_parentheses(name, records):
    switch = getattr(autodiff, name)

    @switch
    def double(x):
        return x * 2

    @switch
    def doubles(x):
        yield x * 2

    x = autodiff.ones(2, requires_grad=True)
    with autodiff.no_grad() if records else autodiff.enable_grad():
        assert double(x).requires_grad is records
        assert next(doubles(x)).requires_grad is records
    assert double.__name__ == "double"
    if name != "inference_mode":  # inference_mode(mode) takes a flag
        with pytest.raises(TypeError, match=f"{name}: given 3; expected {name}()"):
            switch(3)


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("value", VALUES)
def test_nonzero_matches_torch(value):
    ours, theirs = autodiff.tensor(value), torch.tensor(value)
    assert ours.nonzero().tolist() == theirs.nonzero().tolist()
    assert ours.nonzero().shape == tuple(theirs.nonzero().shape)
    assert [t.tolist() for t in ours.nonzero(as_tuple=True)] == [
        t.tolist() for t in theirs.nonzero(as_tuple=True)
    ]


def test_setitem_with_leading_ones_matches_torch_with_gradients():
    results = []
    for lib in (autodiff, torch):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([[5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        s = lib.tensor([[[7.0]]], dtype=lib.float64, requires_grad=True)
        u = w * 2
        u[0] = v
        u[1, 1] = s
        (u * lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)).sum().backward()
        results.append([t.detach().numpy() for t in (u, w.grad, v.grad, s.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_split_and_chunk_types_match_torch():
    for lib in (autodiff, torch):
        x = lib.arange(6.0)
        assert type(x.split(4)) is type(lib.split(x, [2, 4])) is type(x.chunk(2)) is tuple


@pytest.mark.parametrize("value", VALUES[2:])
def test_where_of_a_condition_alone_matches_torch(value):
    ours = autodiff.where(autodiff.tensor(value) != 0)
    theirs = torch.where(torch.tensor(value) != 0)
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
