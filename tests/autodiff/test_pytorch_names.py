"""PyTorch's names used by the programs written after MNIST (language models, GPTs): each
case runs one function under autodiff and under torch and compares values, dtypes and
gradients in float64.
"""

import io
import operator
import subprocess
import sys

import numpy as np
import pytest

import autodiff
import nn
from autodiff import GradientError, ShapeError

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(21)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4, 5))
V = RNG.standard_normal(4)
P = RNG.uniform(0.2, 3.0, (3, 4))
BATCH = RNG.standard_normal((2, 3, 4))


def run_both(fn, *arrays, rtol=1e-10):
    """fn(lib, *tensors) under both libraries on float64 copies of `arrays`; its value (a
    tensor or a tuple of them) and the gradients of a weighted sum of it must agree.
    """
    results = []
    for lib in (autodiff, torch):
        inputs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(lib, *inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        differentiable = [o for o in outs if o.requires_grad]
        if differentiable:
            total = sum(
                (o * lib.tensor(np.arange(1.0, o.numel() + 1)).reshape(o.shape)).sum()
                for o in differentiable
            )
            total.backward()
        values = [o.detach().numpy().copy() for o in outs]
        grads = [None if i.grad is None else i.grad.numpy().copy() for i in inputs]
        dtypes = [str(o.dtype).removeprefix(f"{lib.__name__}.") for o in outs]
        results.append((values, grads, dtypes))
    (ours, our_grads, our_dtypes), (theirs, their_grads, their_dtypes) = results
    assert our_dtypes == their_dtypes
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=rtol, atol=1e-12)
    for o, t in zip(our_grads, their_grads):
        assert (o is None) == (t is None)
        if o is not None:
            np.testing.assert_allclose(o, t, rtol=rtol, atol=1e-12)


def _setitem_rows(lib, x, v):
    y = x * 2
    y[0, 1] = 100.0
    y[:, 2] = v[:3] * x[:, 0]
    return y


def _setitem_into_zeros(lib, x):
    out = lib.zeros(3, 4, dtype=lib.float64)
    h = x[0]
    for t in range(3):
        h = (h * 1.5).tanh()
        out[t] = h
    return out


def _setitem_augmented(lib, x):
    y = x + 0.0
    y[1] += x[0] * 3.0
    y[lib.tensor([0, 2]), 1:3] *= 2.0
    return y


def _masked_fill_inplace(lib, x):
    y = x * 1.0
    y.masked_fill_(y < 0, 0.5)
    return y


def _causal_attention(lib, q):
    scores = q @ q.transpose(-2, -1)
    causal = lib.tril(lib.ones(4, 4))
    scores = scores.masked_fill(causal[:4, :4] == 0, float("-inf"))
    return scores.softmax(dim=-1)


CASES = {
    "masked_fill": (lambda lib, x: x.masked_fill(x > 0.3, -1.5), [A]),
    "masked_fill_row_mask": (
        lambda lib, x: lib.masked_fill(x, lib.tensor([True, False, True, False]), 2.0),
        [A],
    ),
    "masked_fill_tensor_value": (
        lambda lib, x, v: x.masked_fill(x < 0, v.sum()),
        [A, V],
    ),
    "masked_fill_inplace": (_masked_fill_inplace, [A]),
    "causal_attention": (_causal_attention, [BATCH.reshape(2, 4, 3)]),
    "tril": (lambda lib, x: lib.tril(x), [A]),
    "tril_diagonal": (lambda lib, x: x.tril(-1), [BATCH]),
    "triu": (lambda lib, x: lib.triu(x, 1), [A]),
    "triu_wide": (lambda lib, x: x.triu(-2), [B]),
    "setitem_rows": (_setitem_rows, [A, V]),
    "setitem_into_zeros": (_setitem_into_zeros, [A]),
    "setitem_augmented": (_setitem_augmented, [A]),
    "log10": (lambda lib, x: lib.log10(x), [P]),
    "log2": (lambda lib, x: x.log2(), [P]),
    "log1p": (lambda lib, x: lib.log1p(x), [P - 0.19]),
    "expm1": (lambda lib, x: x.expm1(), [A]),
    "pow_number": (lambda lib, x: lib.pow(x, 3), [A]),
    "pow_base_number": (lambda lib, x: lib.pow(2.0, x), [A]),
    "pow_tensors": (lambda lib, x, y: lib.pow(x, y), [P, A]),
    "mm": (lambda lib, x, y: lib.mm(x, y), [A, B]),
    "method_mm": (lambda lib, x, y: x.mm(y), [A, B]),
    "t": (lambda lib, x: lib.t(x), [A]),
    "t_1d": (lambda lib, x: x.t(), [V]),
    "expand": (lambda lib, x: x.reshape(3, 1, 4).expand(3, 2, 4), [A]),
    "expand_minus_one": (lambda lib, x: x.reshape(3, 1, 4).expand(2, -1, 5, -1), [A]),
    "expand_tuple": (lambda lib, x: x.expand((2, 4)), [V]),
    "narrow": (lambda lib, x: x.narrow(1, 1, 2), [A]),
    "narrow_negative_start": (lambda lib, x: lib.narrow(x, 0, -2, 2), [A]),
    "topk": (lambda lib, x: lib.topk(x, 2), [A]),
    "topk_smallest_dim0": (lambda lib, x: x.topk(2, dim=0, largest=False), [A]),
    "topk_fields": (lambda lib, x: (x.topk(3).values, x.topk(3).indices), [V]),
    "topk_and_sort_0d": (lambda lib, x: (*x.sum().topk(1), *lib.sort(x.sum())), [V]),
    "roll": (lambda lib, x: lib.roll(x, 1), [A]),
    "roll_dim": (lambda lib, x: x.roll(-1, 1), [A]),
    "roll_dims": (lambda lib, x: lib.roll(x, (1, 2), (0, 1)), [A]),
    "roll_negative_dim": (lambda lib, x: x.roll(5, -1), [BATCH]),
    "all": (lambda lib, x: (lib.all(x > -1), (x > 0).all(1), x.all(dim=0, keepdim=True)), [A]),
    "any": (lambda lib, x: (lib.any(x > 1), (x > 0).any(1), x.any()), [A]),
    "remainder": (lambda lib, x: (x * 3) % 1.5, [A]),
    "remainder_tensor_divisor": (lambda lib, x, y: x % (y.abs() + 0.5), [A, P]),
    "remainder_of_a_number": (lambda lib, x: 7.0 % (x.detach().abs() + 1), [A]),
    "floor_divide": (lambda lib, x: (x.detach() * 3) // 1.5, [A]),
    "flip": (lambda lib, x: lib.flip(x, (0, 2)), [BATCH]),
    "flip_method": (lambda lib, x: x.flip(-1), [A]),
    "cumsum": (lambda lib, x: lib.cumsum(x, 1), [A]),
    "cumsum_dim0": (lambda lib, x: x.cumsum(dim=0), [BATCH]),
    "cumprod": (lambda lib, x: lib.cumprod(x, dim=1), [A]),
    "cumprod_with_zero": (lambda lib, x: (x * (x > -0.3)).cumprod(0), [A]),
    "sort": (lambda lib, x: lib.sort(x), [A]),
    "sort_descending_dim0": (lambda lib, x: x.sort(dim=0, descending=True), [A]),
    "argsort": (lambda lib, x: (lib.argsort(x, dim=1), x.argsort(descending=True)), [A]),
    "index_select": (lambda lib, x: lib.index_select(x, 1, lib.tensor([3, 0, 3])), [A]),
    "repeat": (lambda lib, x: x.repeat(2, 3), [A]),
    "repeat_new_dims": (lambda lib, x: x.repeat(2, 1, 2), [V]),
    "chunk": (lambda lib, x: lib.chunk(x, 3, dim=1), [A]),
    "chunk_method": (lambda lib, x: x.chunk(2), [A]),
    "bmm": (lambda lib, x, y: lib.bmm(x, y), [BATCH, BATCH.transpose(0, 2, 1).copy()]),
    "outer": (lambda lib, x, y: lib.outer(x, y), [V, A[0]]),
    "diag_vector": (lambda lib, x: lib.diag(x), [V]),
    "diag_vector_offset": (lambda lib, x: x.diag(-2), [V]),
    "diag_matrix": (lambda lib, x: (lib.diag(x), x.diag(1), x.diag(-1)), [A]),
    "nan_to_num": (lambda lib, x: lib.nan_to_num(x / (x > 0)), [A]),
    "nan_to_num_values": (lambda lib, x: (x.log() / (x > -1)).nan_to_num(1.0, 2.0, -3.0), [A]),
    "is_checks": (
        lambda lib, x: (lib.isnan(x.log()), lib.isinf(1 / (x > 0)), (x.log()).isfinite()),
        [A],
    ),
    "logical": (
        lambda lib, x: (
            lib.logical_and(x > 0, x < 1),
            lib.logical_or(x > 1, x < -1),
            lib.logical_not(x > 0),
            (x > 0).logical_xor(x > 0.5),
        ),
        [A],
    ),
    "type_as": (lambda lib, x: x.type_as(lib.tensor([1.0], dtype=lib.float32)), [A]),
    "type": (lambda lib, x: x.type(lib.float32), [A]),
    "clamp_": (lambda lib, x: (x * 1.0).clamp_(-0.5, 0.5), [A]),
    "fill_": (lambda lib, x: (x * 1.0).fill_(x[0, 0] * 2), [A]),
    "eye": (lambda lib: (lib.eye(3), lib.eye(2, 4, dtype=lib.float64)), []),
    "einsum_matmul": (lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), [A, B]),
    "einsum_batch": (
        lambda lib, x, y: lib.einsum("bij,bkj->bik", x, y),
        [BATCH, BATCH[:, ::-1].copy()],
    ),
    "einsum_sum_and_outer": (lambda lib, x, v: lib.einsum("ij,k->jk", x, v), [A, V]),
    "einsum_implicit_list": (lambda lib, x, y: lib.einsum("ij,jk", [x, y]), [A, B]),
    "einsum_dot": (lambda lib, x, v: lib.einsum("ij,j->", x, v), [A, V]),
    "scatter_add": (
        lambda lib, x, s: lib.scatter_add(x, 0, lib.tensor([[0, 1, 2, 0], [2, 2, 0, 1]]), s),
        [A, B[:2, :4].copy()],
    ),
    "scatter_method_dim1": (
        lambda lib, x, s: x.scatter(1, lib.tensor([[3, 1], [0, 2], [2, 1]]), s),
        [A, B[:3, :2].copy()],
    ),
    "scatter_value_inplace": (
        lambda lib, x: (x * 1.0).scatter_(1, lib.tensor([[3], [0], [2]]), 2.5),
        [A],
    ),
    "scatter_add_inplace": (
        lambda lib, x, s: (x * 1.0).scatter_add_(0, lib.tensor([[1, 1, 1, 1]]), s),
        [A, B[:1, :4].copy()],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_name_matches_pytorch(name):
    fn, arrays = CASES[name]
    run_both(fn, *arrays)


def test_new_tensors_take_the_dtype_of_their_model():
    for lib in (autodiff, torch):
        x = lib.tensor(A, dtype=lib.float32)
        made = [
            x.new_zeros(2, 3),
            x.new_zeros((2,)),
            x.new_ones(2, dtype=lib.int64),
            x.new_tensor([1, 2]),
            x.new_full((2,), 3),
            x.new_empty(0),
        ]
        shapes = [tuple(t.shape) for t in made]
        dtypes = [str(t.dtype).removeprefix(f"{lib.__name__}.") for t in made]
        values = [t.numpy().tolist() for t in made]
        assert shapes == [(2, 3), (2,), (2,), (2,), (2,), (0,)]
        if lib is autodiff:
            ours = (dtypes, values)
        else:
            assert ours == (dtypes, values)


def test_nelement_and_allclose_match_pytorch():
    for lib in (autodiff, torch):
        x = lib.tensor(A)
        assert x.nelement() == 12
        assert lib.allclose(x, x + 1e-9)
        assert not lib.allclose(x, x + 1e-3)
        assert x.allclose(x * (1 + 1e-6), rtol=1e-5)
        nan = lib.tensor([1.0, float("nan")])
        assert not lib.allclose(nan, nan)
        assert lib.allclose(nan, nan, equal_nan=True)


@pytest.mark.parametrize(
    "value, dtype, spec",
    [
        (2.5, "float64", ".4f"),
        (-1.0 / 3.0, "float32", ".4f"),
        (-1.0 / 3.0, "float64", ""),
        (1234.5678, "float32", ">12.2e"),
        (7, "int64", ""),
        (7, "int64", "05d"),
        (True, "bool", ""),
    ],
)
def test_a_0d_tensor_formats_as_its_value(value, dtype, spec):
    ours = format(autodiff.tensor(value, dtype=np.dtype(dtype)), spec)
    theirs = format(torch.tensor(value, dtype=getattr(torch, dtype)), spec)
    assert ours == theirs


def test_formatting_a_tensor_of_several_elements_with_a_spec_raises_as_pytorch():
    for t in (autodiff.tensor([2.5]), torch.tensor([2.5])):
        with pytest.raises(TypeError):
            format(t, ".4f")
    assert f"{autodiff.tensor([2.5])}" == repr(autodiff.tensor([2.5]))


def test_a_one_element_integer_tensor_is_an_index():
    for lib in (autodiff, torch):
        n = lib.tensor(3)
        assert operator.index(n) == 3
        assert list(range(10))[lib.tensor(2) : n] == [2]
        x = lib.arange(10)
        assert x[lib.tensor(1) : n].tolist() == [1, 2]
        assert operator.index(lib.tensor([4])) == 4
        with pytest.raises(TypeError, match="integer tensors of a single element"):
            operator.index(lib.tensor(3.0))
        with pytest.raises(TypeError, match="integer tensors of a single element"):
            operator.index(lib.tensor([1, 2]))


def test_item_assignment_without_grad_counts_as_a_bigram_table():
    words = ["emma", "olivia", "ava", "isabella"]
    chars = sorted(set("".join(words)))
    stoi = {c: i + 1 for i, c in enumerate(chars)}
    stoi["."] = 0
    tables = []
    for lib in (autodiff, torch):
        N = lib.zeros((len(stoi), len(stoi)), dtype=lib.int32)
        for w in words:
            cs = ["."] + list(w) + ["."]
            for c1, c2 in zip(cs, cs[1:]):
                N[stoi[c1], stoi[c2]] += 1
        losses = lib.zeros(3)
        for k in range(3):
            losses[k] = float(N[0].sum()) / (k + 1)
        N[1] = 7
        N[lib.tensor([2, 3]), lib.tensor([0, 0])] = lib.tensor([5, 6], dtype=lib.int32)
        tables.append((N.numpy().copy(), losses.numpy().copy()))
    np.testing.assert_array_equal(tables[0][0], tables[1][0])
    np.testing.assert_array_equal(tables[0][1], tables[1][1])
    assert tables[0][0].dtype == np.int32


def test_item_assignment_under_no_grad_writes_in_place():
    w = autodiff.tensor(A.copy(), requires_grad=True)
    data = w.numpy()
    with autodiff.no_grad():
        w[0] = 0.0
        w[1, 2] += 1.0
    assert w.numpy() is data and w.is_leaf and w.requires_grad
    assert np.all(data[0] == 0) and data[1, 2] == A[1, 2] + 1.0


def test_item_assignment_into_a_leaf_that_requires_grad_raises():
    w = autodiff.tensor(A.copy(), requires_grad=True)
    with pytest.raises(GradientError, match="leaf Tensor of shape \\(3, 4\\) that requires grad"):
        w[0] = 1.0
    with pytest.raises(GradientError, match="leaf"):
        w.masked_fill_(w > 0, 1.0)


def test_item_assignment_over_values_a_vjp_reads_refuses_backward_as_pytorch():
    for lib, error in ((autodiff, GradientError), (torch, RuntimeError)):
        x = lib.tensor(A.copy(), requires_grad=True)
        y = x.sigmoid()
        s = y * y  # mul's VJP reads y
        y[0] = 0.0
        with pytest.raises(error, match="modified by an in-?place operation"):
            s.sum().backward()


def _setitem_after_uses(lib, x):
    y = x + 1.0
    z = y.sum(0)  # sum's VJP reads no values: its gradient reaches y's value before the change
    r = y[1:]
    y[0] = 0.0
    y[1, 1:] += r[0, :3] * 2.0
    return z, y, r


CASES["setitem_after_uses"] = (_setitem_after_uses, [A])


def test_item_assignment_errors_name_the_op_and_shapes():
    x = autodiff.zeros(3, 4)
    with pytest.raises(IndexError, match=r"__setitem__: index 5 on a tensor of shape \(3, 4\)"):
        x[5] = 1.0
    with pytest.raises(ShapeError, match=r"__setitem__: cannot assign a value of shape \(3,\)"):
        x[0] = autodiff.ones(3)
    v = autodiff.ones(3, requires_grad=True)
    with pytest.raises(ShapeError, match=r"index_put: cannot assign a value of shape \(3,\)"):
        x[0] = v


def test_bad_input_of_the_new_names_raises_the_library_error():
    x = autodiff.tensor(A)
    with pytest.raises(autodiff.DTypeError, match="masked_fill: mask of dtype float64"):
        x.masked_fill(x, 0.0)
    with pytest.raises(ShapeError, match=r"masked_fill: mask of shape \(2, 3, 4\)"):
        x.masked_fill(np.ones((2, 3, 4), bool), 0.0)
    with pytest.raises(ShapeError, match=r"masked_fill: mask of shape \(3,\)"):
        x.masked_fill(np.ones(3, bool), 0.0)
    with pytest.raises(ShapeError, match=r"tril: input of shape \(4,\); expected at least 2"):
        autodiff.tril(autodiff.tensor(V))
    with pytest.raises(ShapeError, match=r"mm: operands of shapes \(3, 4\) and \(4,\)"):
        autodiff.mm(x, autodiff.tensor(V))
    with pytest.raises(ShapeError, match=r"t: input of shape \(2, 3, 4\)"):
        autodiff.tensor(BATCH).t()
    with pytest.raises(ShapeError, match="expand: sizes \\(4,\\)"):
        x.expand(4)
    with pytest.raises(ShapeError, match="broadcast_to: cannot broadcast"):
        x.expand(3, 5)
    with pytest.raises(IndexError, match="narrow: start 3 and length 2 in dim 1 of size 4"):
        x.narrow(1, 3, 2)
    with pytest.raises(ShapeError, match="topk: k=5 for dim 1 of size 4"):
        x.topk(5)
    with pytest.raises(ShapeError, match="roll: 2 shifts for 1 dims"):
        x.roll((1, 2), 0)


def test_nn_optim_and_utils_data_are_lazy_aliases_of_the_nn_package():
    code = (
        "import sys, autodiff\n"
        "assert 'nn' not in sys.modules, 'import autodiff imported nn'\n"
        "import autodiff.nn as nn, autodiff.nn.functional as F\n"
        "from autodiff.utils.data import DataLoader\n"
        "from autodiff.optim.lr_scheduler import StepLR\n"
        "import nn as real, nn.optim.lr_scheduler as sched\n"
        "assert nn is real and F is real.functional and autodiff.nn is real\n"
        "assert autodiff.optim is real.optim and StepLR is sched.StepLR\n"
        "assert DataLoader is real.data.DataLoader is autodiff.utils.data.DataLoader\n"
        "assert real.__spec__.name == 'nn'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        autodiff.nonsense  # noqa: B018


def test_the_tensor_constructor_makes_lists_float_as_pytorchs_legacy_constructor():
    for data in ([1, 2, 3], [[True, False]], (4, 5), [1.5, 2], [[1, 2], [3, 4]]):
        ours, theirs = autodiff.Tensor(data), torch.Tensor(data)
        assert (
            str(ours.dtype).removeprefix("autodiff.")
            == str(theirs.dtype).removeprefix("torch.")
            == "float32"
        )
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert autodiff.tensor([1, 2]).dtype == torch.tensor([1, 2]).numpy().dtype == np.int64
    assert autodiff.Tensor(np.array([1, 2])).dtype == np.int64  # numpy data keeps its dtype
    with pytest.raises(TypeError, match=r"Tensor\(3\) is PyTorch's uninitialised tensor of 3"):
        autodiff.Tensor(3)


def test_save_and_load_take_file_objects(tmp_path):
    checkpoint = {
        "model": {"weight": autodiff.tensor(A), "bias": autodiff.tensor(V)},
        "epoch": 3,
        "losses": [2.5, 1.25],
    }
    buffer = io.BytesIO()
    autodiff.save(checkpoint, buffer)
    buffer.seek(0)
    loaded = autodiff.load(buffer)
    np.testing.assert_array_equal(loaded["model"]["weight"].numpy(), A)
    np.testing.assert_array_equal(loaded["model"]["bias"].numpy(), V)
    assert loaded["epoch"] == 3 and loaded["losses"] == [2.5, 1.25]
    with open(tmp_path / "checkpoint.pt", "wb") as file:
        autodiff.save(checkpoint["model"], file)
    with open(tmp_path / "checkpoint.pt", "rb") as file:
        again = autodiff.load(file)
    np.testing.assert_array_equal(again["weight"].numpy(), A)
    np.testing.assert_array_equal(autodiff.load(tmp_path / "checkpoint.pt")["bias"].numpy(), V)


def test_saving_a_whole_module_or_optimizer_says_to_save_its_state_dict(tmp_path):
    model = nn.Linear(3, 2)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    for obj, name in ((model, "Linear"), ({"opt": optimizer}, "SGD")):
        with pytest.raises(TypeError, match=f"save: cannot store a whole {name} .*state_dict()"):
            autodiff.save(obj, tmp_path / "model.pt")
    assert not (tmp_path / "model.pt").exists()
    with pytest.raises(TypeError, match="save: path of type int; expected a file name"):
        autodiff.save({}, 3)


def test_counting_functions_match_pytorch():
    values = np.array([3, 1, 1, 0, 7, 3, 3])
    weights = np.linspace(0.5, 2.0, 7)
    for lib in (autodiff, torch):
        x = lib.tensor(values)
        found = [
            lib.bincount(x),
            x.bincount(minlength=10),
            lib.bincount(x, weights=lib.tensor(weights)),
            *lib.unique(x, return_inverse=True, return_counts=True),
            lib.unique(lib.tensor([[1, 2], [1, 2], [0, 5]]), dim=0),
            lib.histc(lib.tensor(weights), bins=4),
            lib.histc(lib.tensor(weights), bins=3, min=0.0, max=1.5),
            *lib.histogram(lib.tensor(weights), bins=3),
            *lib.tensor(weights).histogram(
                lib.tensor([0.0, 1.2, 5.0], dtype=lib.float64), weight=lib.tensor(weights)
            ),
        ]
        results = [
            (t.numpy().tolist(), str(t.dtype).removeprefix(f"{lib.__name__}.")) for t in found
        ]
        if lib is autodiff:
            ours = results
    assert ours == results


def test_type_names_and_integer_division_match_pytorch():
    for lib in (autodiff, torch):
        assert lib.tensor([1.0]).type() == "torch.FloatTensor"
        assert lib.tensor([1]).type() == "torch.LongTensor"
        assert str(lib.tensor([1.5]).type("torch.LongTensor").dtype).endswith("int64")
        assert (lib.tensor([7, -7]) % 3).tolist() == [1, 2]
        assert (lib.tensor([7, -7]) // 2).tolist() == [3, -4]
        assert (lib.tensor([7.5, -7.5]) // 2).tolist() == [3.0, -4.0]


def test_the_remaining_bad_input_raises_the_library_error():
    x = autodiff.tensor(A)
    with pytest.raises(ShapeError, match=r"index_select: index of shape \(2, 1\)"):
        x.index_select(0, autodiff.tensor([[0], [1]]))
    with pytest.raises(ShapeError, match=r"repeat: 1 sizes for a tensor of shape \(3, 4\)"):
        x.repeat(2)
    with pytest.raises(ValueError, match="chunk: chunks=0"):
        x.chunk(0)
    with pytest.raises(ShapeError, match=r"bmm: operands of shapes \(3, 4\) and \(4, 5\)"):
        autodiff.bmm(x, autodiff.tensor(B))
    with pytest.raises(ShapeError, match="bmm: batches of 2 and 1"):
        autodiff.bmm(autodiff.tensor(BATCH), autodiff.zeros(1, 4, 2, dtype=autodiff.float64))
    with pytest.raises(ShapeError, match=r"outer: operands of shapes \(3, 4\) and \(4,\)"):
        autodiff.outer(x, autodiff.tensor(V))
    with pytest.raises(ShapeError, match=r"diag: input of shape \(2, 3, 4\)"):
        autodiff.diag(autodiff.tensor(BATCH))
    with pytest.raises(ShapeError, match="bincount: input of shape \\(2,\\) and dtype int64"):
        autodiff.bincount(autodiff.tensor([1, -1]))
    with pytest.raises(TypeError, match="type: unknown type 'torch.Nothing'"):
        x.type("torch.Nothing")
    with pytest.raises(ShapeError, match="einsum: term 'ii' of 'ii->i'; expected letters"):
        autodiff.einsum("ii->i", x)
    with pytest.raises(ShapeError, match="einsum: '...ij' uses '...'"):
        autodiff.einsum("...ij", x)
    with pytest.raises(ShapeError, match="einsum: 'ij,jk->ik' on shapes \\(3, 4\\), \\(3, 4\\)"):
        autodiff.einsum("ij,jk->ik", x, x)
    with pytest.raises(IndexError, match="scatter_add: index holds 0..5 for dim 0 of size 3"):
        x.scatter_add(0, autodiff.tensor([[0, 5, 1, 1]]), x)
    with pytest.raises(GradientError, match="clamp_: in-place change of a leaf Tensor"):
        autodiff.tensor(A, requires_grad=True).clamp_(0, 1)


def test_a_shape_prints_as_pytorchs_size():
    ours, theirs = autodiff.zeros(2, 3).shape, torch.zeros(2, 3).shape
    assert str(ours) == repr(ours) == str(theirs).removeprefix("torch.") == "Size([2, 3])"
    assert ours == theirs == (2, 3) and ours[1] == 3 and ours.numel() == theirs.numel()
    assert f"{ours}" == "(2, 3)"  # in an f-string, the tuple (as the error messages show it)
    assert str(autodiff.zeros(2, 3).size()) == "Size([2, 3])"
