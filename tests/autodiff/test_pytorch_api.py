"""The PyTorch-speaking API gives PyTorch's values, gradients and dtypes: each case is one
function run twice, with `lib` = autodiff and with `lib` = torch, as `import autodiff as torch`.
"""

import numpy as np
import pytest

import autodiff

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
A[1, 2] = A[1, 0]  # a tie along dim 1, where max(dim) must pick the first
WITH_ZEROS = np.array([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0], [0.5, -1.0, 2.0]])


def run_both(fn, *arrays):
    """fn(lib, *tensors) under both libraries on float64 copies of `arrays`; its value (a
    tensor or a tuple/list of them) and the gradients of their weighted sum must agree.
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
        values = [np.asarray(o.detach().numpy() if lib is torch else o.numpy()) for o in outs]
        grads = [None if i.grad is None else np.asarray(_numpy(i.grad)) for i in inputs]
        results.append(
            (values, grads, [str(o.dtype).removeprefix(f"{lib.__name__}.") for o in outs])
        )
    (ours, our_grads, our_dtypes), (theirs, their_grads, their_dtypes) = results
    assert our_dtypes == their_dtypes
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)
    for o, t in zip(our_grads, their_grads):
        assert (o is None) == (t is None)
        if o is not None:
            np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)


def _numpy(t):
    return t.numpy() if isinstance(t, torch.Tensor) else t.numpy()


CASES = {
    "transpose": (lambda lib, x: lib.transpose(x, 0, 1), [A]),
    "method_transpose": (lambda lib, x: x.transpose(1, 0).reshape(2, 6), [A]),
    "permute": (lambda lib, x: x.reshape(3, 2, 2).permute(2, 0, 1), [A]),
    "T": (lambda lib, x: x.T, [A]),
    "max_dim": (lambda lib, x: lib.max(x, 1), [A]),
    "max_dim_keepdim": (lambda lib, x: x.max(dim=0, keepdim=True), [A]),
    "min_dim": (lambda lib, x: x.min(1), [A]),
    "max_all": (lambda lib, x: x.max(), [A]),
    "max_fields": (lambda lib, x: (x.max(1).values, x.max(1).indices), [A]),
    "max_elementwise": (lambda lib, x, y: lib.max(x, y), [A, A.T.reshape(3, 4)]),
    "amax": (lambda lib, x: lib.amax(x, (0, 1)), [A]),
    "std": (lambda lib, x: x.std(), [A]),
    "std_dim": (lambda lib, x: lib.std(x, 1, keepdim=True), [A]),
    "var_correction": (lambda lib, x: x.var(0, correction=0), [A]),
    "var_unbiased_false": (lambda lib, x: x.var(1, unbiased=False), [A]),
    "sum_dim": (lambda lib, x: x.sum(dim=(0, 1)), [A]),
    "mean_keepdim": (lambda lib, x: lib.mean(x, 1, keepdim=True), [A]),
    "split_size": (lambda lib, x: lib.split(x, 3, dim=1), [A]),
    "split_sizes": (lambda lib, x: x.split([1, 2], 0), [A]),
    "view": (lambda lib, x: x.view(2, 6).view(-1), [A]),
    "view_as": (lambda lib, x, y: x.view_as(y), [A, A.reshape(4, 3)]),
    "clone": (lambda lib, x: x.clone() * 2, [A]),
    "pow": (lambda lib, x: x.pow(2) + x.abs().pow(0.5), [A]),
    "clamp": (lambda lib, x: x.clamp(-0.5, 0.5) + lib.clamp(x, min=0.1), [A]),
    "norm": (lambda lib, x: x.norm(), [A]),
    "norm_dim": (lambda lib, x: x.norm(dim=1), [WITH_ZEROS]),
    "norm_zero_row": (lambda lib, x: (x * (x > 1)).norm(dim=0), [WITH_ZEROS]),
    "norm_p1": (lambda lib, x: x.norm(p=1, dim=0), [A]),
    "prod": (lambda lib, x: x.prod(), [A]),
    "prod_dim_zeros": (lambda lib, x: x.prod(dim=1), [WITH_ZEROS]),
    "prod_keepdim": (lambda lib, x: lib.prod(x, 0, keepdim=True), [WITH_ZEROS]),
    "comparisons": (lambda lib, x: [x.eq(0.5), x.ne(x), x.lt(0), x.gt(0), x.le(0), x.ge(0)], [A]),
    "conversions": (lambda lib, x: [x.float(), x.long(), x.int(), x.bool(), x.double()], [A]),
    "to_dtype": (lambda lib, x: x.to(lib.float32) * 2, [A]),
    "flatten": (lambda lib, x: lib.flatten(x.reshape(3, 2, 2), 1), [A]),
    "method_flatten": (lambda lib, x: x.reshape(3, 2, 2).flatten(start_dim=0, end_dim=1), [A]),
    "unsqueeze": (lambda lib, x: x.unsqueeze(1).unsqueeze(-1), [A]),
    "squeeze": (lambda lib, x: x.reshape(3, 1, 4).squeeze(1), [A]),
    "argmax": (lambda lib, x: [x.argmax(dim=1, keepdim=True), lib.argmax(x), x.argmin(0)], [A]),
    "cat_stack": (lambda lib, x: [lib.cat([x, x * 2], dim=1), lib.stack([x, x], 1)], [A]),
    "logsumexp": (lambda lib, x: lib.logsumexp(x, dim=1), [A]),
    "softmax": (lambda lib, x: lib.softmax(x, dim=0) + x.log_softmax(dim=1), [A]),
    "maximum_where": (lambda lib, x: lib.where(x > 0, x, x * 0.1) + lib.maximum(x, x.T.T), [A]),
    "gather": (lambda lib, x: x.gather(1, lib.tensor([[0], [2], [1]])), [A]),
    "expand_as": (lambda lib, x, y: x.expand_as(y), [A[:1], A]),
    "reshape_as": (lambda lib, x, y: x.reshape_as(y), [A, A.reshape(6, 2)]),
    "mT": (lambda lib, x: x.reshape(3, 2, 2).mT, [A]),
    "half": (lambda lib, x: x.half().double(), [A]),
    "contiguous": (lambda lib, x: x.T.contiguous(), [A]),
    "functions": (
        lambda lib, x: [
            lib.clone(x),
            lib.squeeze(lib.unsqueeze(x, 0), 0),
            lib.permute(x, (1, 0)),
            lib.min(x, 0).values,
            lib.minimum(x, x * -0.5),
            lib.amin(x, 1, keepdim=True),
            lib.norm(x, 2, 1),
            lib.var(x, 0),
            lib.argmin(x, 1),
            lib.eq(x, x),
            lib.gt(x, 0),
        ],
        [A],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_values_gradients_and_dtypes_match_pytorch(name):
    fn, arrays = CASES[name]
    run_both(fn, *arrays)


def test_item_tolist_numel_dim_and_size_match_pytorch():
    for lib in (autodiff, torch):
        x = lib.tensor(A)
        assert x.numel() == lib.numel(x) == 12 and x.dim() == 2 and lib.is_tensor(x)
        assert tuple(x.size()) == (3, 4) and x.size(1) == 4 and x.size(-2) == 3
        assert x.tolist() == A.tolist() and x[0, 0].item() == A[0, 0]


DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
SCALARS = [True, 3, 2.5, np.float64(2.5), np.int64(3), np.float32(0.5)]


def _make(lib, dtype, shape):
    return lib.ones(shape, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("op", ["add", "mul", "truediv", "sub"])
def test_tensor_tensor_promotion_matches_pytorch(op):
    import operator

    fn = getattr(operator, op)
    for left in DTYPES:
        for right in DTYPES:
            if op == "sub" and "bool" in (left, right):
                continue  # PyTorch refuses to subtract booleans
            for shapes in [((2,), (2,)), ((2,), ()), ((), (2,))]:
                ours = fn(_make(autodiff, left, shapes[0]), _make(autodiff, right, shapes[1]))
                theirs = fn(_make(torch, left, shapes[0]), _make(torch, right, shapes[1]))
                expected = str(theirs.dtype).removeprefix("torch.")
                assert str(ours.dtype).removeprefix("autodiff.") == expected, (
                    op,
                    left,
                    right,
                    shapes,
                )


@pytest.mark.parametrize("op", ["add", "mul", "truediv"])
def test_tensor_scalar_promotion_matches_pytorch(op):
    import operator

    fn = getattr(operator, op)
    for dtype in DTYPES:
        for scalar in SCALARS:
            for flip in (False, True):
                ours_t, theirs_t = _make(autodiff, dtype, (2,)), _make(torch, dtype, (2,))
                if flip:
                    ours, theirs = fn(scalar, ours_t), fn(_torch_scalar(scalar), theirs_t)
                else:
                    ours, theirs = fn(ours_t, scalar), fn(theirs_t, _torch_scalar(scalar))
                expected = str(theirs.dtype).removeprefix("torch.")
                assert str(ours.dtype).removeprefix("autodiff.") == expected, (
                    op,
                    dtype,
                    scalar,
                    flip,
                )


def _torch_scalar(value):
    """PyTorch reads numpy scalars as 0-d tensors in places; a Python number is the meaning."""
    return value.item() if isinstance(value, np.generic) else value


def test_creation_functions_match_pytorch():
    for name, call in {
        "zeros": lambda lib: lib.zeros(2, 3),
        "zeros_tuple": lambda lib: lib.zeros((2, 3), dtype=lib.int64),
        "ones": lambda lib: lib.ones([4]),
        "zeros_like": lambda lib: lib.zeros_like(lib.tensor([1, 2])),
        "ones_like": lambda lib: lib.ones_like(lib.tensor([1.0, 2.0], dtype=lib.float64)),
        "full_int": lambda lib: lib.full((2,), 7),
        "full_float": lambda lib: lib.full((2, 2), 0.5),
        "full_bool": lambda lib: lib.full((1,), True),
        "arange_int": lambda lib: lib.arange(5),
        "arange_float": lambda lib: lib.arange(0, 1, 0.25),
        "arange_dtype": lambda lib: lib.arange(1, 7, 2, dtype=lib.float64),
        "linspace": lambda lib: lib.linspace(-1, 1, 5),
        "tensor_ints": lambda lib: lib.tensor([[1, 2], [3, 4]]),
        "tensor_floats": lambda lib: lib.tensor([0.5, 1.5]),
        "tensor_bools": lambda lib: lib.tensor([True]),
        "tensor_array": lambda lib: lib.tensor(np.zeros(2, np.float64)),
        "from_numpy": lambda lib: lib.from_numpy(np.arange(3, dtype=np.int32)),
    }.items():
        ours, theirs = call(autodiff), call(torch)
        assert str(ours.dtype).removeprefix("autodiff.") == str(theirs.dtype).removeprefix(
            "torch."
        ), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=name)


def test_random_tensors_have_pytorchs_shapes_dtypes_and_ranges():
    autodiff.manual_seed(0)
    for lib in (autodiff, torch):
        u, n = lib.rand(2, 3), lib.randn((4,), dtype=lib.float64)
        i, j = lib.randint(5, (100,)), lib.randint(3, 6, size=(2, 2))
        assert (tuple(u.shape), tuple(n.shape), tuple(i.shape)) == ((2, 3), (4,), (100,))
        assert [str(t.dtype).removeprefix(f"{lib.__name__}.") for t in (u, n, i, j)] == [
            "float32",
            "float64",
            "int64",
            "int64",
        ]
        assert 0 <= float(u.min()) and float(u.max()) < 1
        assert int(i.min()) >= 0 and int(i.max()) <= 4 and 3 <= int(j.min()) <= int(j.max()) < 6


def test_devices_and_cuda_read_as_in_pytorch_without_a_gpu():
    x = autodiff.ones(2)
    assert autodiff.cuda.is_available() is torch.cuda.is_available() is False
    assert x.to("cpu") is x and x.to(autodiff.device("cpu")) is x and x.cpu() is x
    assert str(autodiff.device("cpu")) == str(torch.device("cpu")) == "cpu"
    assert x.device == autodiff.device("cpu") and x.device == "cpu"
    assert x.to("cpu", autodiff.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="device: 'cuda' is not available; expected 'cpu'"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="cuda: no GPU backend"):
        x.cuda()


def test_float_functions_of_integer_tensors_give_pytorchs_float32():
    for name, call in {
        "exp": lambda lib, x: lib.exp(x),
        "log": lambda lib, x: x.log(),
        "sqrt": lambda lib, x: x.sqrt(),
        "sin": lambda lib, x: lib.sin(x),
        "tanh": lambda lib, x: x.tanh(),
        "sigmoid": lambda lib, x: lib.sigmoid(x),
        "erf": lambda lib, x: x.erf(),
        "logsumexp": lambda lib, x: lib.logsumexp(x, dim=0),
        "clamp_float_bounds": lambda lib, x: x.clamp(0.5, 2.5),
        "clamp_int_bounds": lambda lib, x: x.clamp(0, 2),
    }.items():
        for dtype in ("int64", "int32", "uint8", "bool"):
            if name == "logsumexp" and dtype == "bool":
                continue  # PyTorch has no logsumexp of booleans
            ours = call(autodiff, autodiff.tensor([1, 2, 3], dtype=getattr(autodiff, dtype)))
            theirs = call(torch, torch.tensor([1, 2, 3], dtype=getattr(torch, dtype)))
            assert str(ours.dtype).removeprefix("autodiff.") == str(theirs.dtype).removeprefix(
                "torch."
            ), (name, dtype)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)


def test_squeeze_keeps_dims_whose_size_is_not_one_as_pytorch():
    for dim in (0, 1, -1, (0, 1), (1, 2)):
        ours = autodiff.zeros(2, 1, 3).squeeze(dim)
        theirs = torch.zeros(2, 1, 3).squeeze(dim)
        assert ours.shape == tuple(theirs.shape), dim
        assert autodiff.squeeze(autodiff.zeros(2, 1, 3), dim).shape == tuple(theirs.shape), dim


@pytest.mark.parametrize("join", ["cat", "stack"])
def test_cat_and_stack_of_mixed_dtypes_promote_as_pytorch_and_pass_gradients(join):
    for dtypes in (("float32", "int64"), ("int32", "int64"), ("float32", "float64")):
        ours_in = [autodiff.ones(2, dtype=getattr(autodiff, d)) for d in dtypes]
        theirs_in = [torch.ones(2, dtype=getattr(torch, d)) for d in dtypes]
        ours = getattr(autodiff, join)(ours_in)
        theirs = getattr(torch, join)(theirs_in)
        assert str(ours.dtype).removeprefix("autodiff.") == str(theirs.dtype).removeprefix(
            "torch."
        ), dtypes
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    joined = getattr(autodiff, join)([x, autodiff.tensor([3, 4])])
    assert joined.dtype == np.float32
    (joined * joined).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("p", [2, 3])
@pytest.mark.parametrize("magnitude", [1e-200, 1.0, 1e200])
def test_norm_of_tiny_and_huge_vectors_is_exact_where_squares_would_under_or_overflow(p, magnitude):
    values = np.array([3.0, -4.0, 1.0]) * magnitude
    x = autodiff.tensor(values, dtype=autodiff.float64, requires_grad=True)
    x.norm(p).backward()
    exact = np.sum(np.abs(values / magnitude) ** p) ** (1 / p)
    np.testing.assert_allclose(x.norm(p).item(), exact * magnitude, rtol=1e-14)
    unit = np.sign(values) * np.abs(values / magnitude) ** (p - 1) / exact ** (p - 1)
    np.testing.assert_allclose(x.grad.numpy(), unit, rtol=1e-14)  # d‖x‖/dx, scale-free
