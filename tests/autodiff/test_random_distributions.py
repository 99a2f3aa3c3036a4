"""The distributions against PyTorch's CPU, bit for bit, after the same seed: multinomial with
and without replacement, bernoulli, normal, the in-place fills uniform_, normal_, random_,
exponential_, bernoulli_, and rand_like / randn_like / randint_like; 60 seeds, sizes 0-1000.
"""

import numpy as np
import pytest

import autodiff

torch = pytest.importorskip("torch")

SEEDS = range(60)
SIZES = [1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 48, 49, 100, 256, 257, 999, 1000]
DTYPES = [(torch.float32, autodiff.float32), (torch.float64, autodiff.float64)]


def pair(seed: int):
    return torch.Generator().manual_seed(seed), autodiff.Generator().manual_seed(seed)


def assert_same(ours, theirs, what: str) -> None:
    ours, theirs = ours.numpy(), theirs.numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, what
    if ours.tobytes() != theirs.tobytes():
        bad = np.flatnonzero(ours.ravel() != theirs.ravel())
        raise AssertionError(f"{what}: {bad.size} differ, first at {bad[:5]}")


def weights(seed: int, shape, dtype):
    """Non-negative weights with some zeros, the same in both libraries."""
    w = np.random.default_rng(seed).random(shape) ** 2
    w[w < 0.05] = 0
    w[..., 0] += 0.5  # every row keeps a positive sum
    return w.astype(dtype)


@pytest.mark.parametrize(("torch_dtype", "dtype"), DTYPES)
def test_multinomial_gives_pytorchs_samples(torch_dtype, dtype):
    for seed in SEEDS:
        g, ours = pair(seed)
        n = SIZES[seed % len(SIZES)]
        w = weights(seed, (n,), dtype)
        rows = weights(seed + 100, (3, 27), dtype)  # makemore's 27 characters, a batch of rows
        cases = [(w, 1, True), (w, 1, False), (w, 20, True), (rows, 5, True), (rows, 1, True)]
        positive = int((w > 0).sum())
        cases += [(w, min(positive, 4), False), (rows, 3, False)]
        for array, k, replacement in cases:
            assert_same(
                autodiff.multinomial(autodiff.tensor(array), k, replacement, generator=ours),
                torch.multinomial(torch.from_numpy(array), k, replacement, generator=g),
                f"multinomial({array.shape}, {k}, {replacement}) seed {seed}",
            )


def test_multinomial_refuses_what_pytorch_refuses():
    with pytest.raises(ValueError, match="multinomial: num_samples=4 > 3 categories"):
        autodiff.multinomial(autodiff.ones(3), 4)
    with pytest.raises(ValueError, match="fewer than 2 categories of non-zero weight"):
        autodiff.multinomial(autodiff.tensor([0.0, 1.0, 0.0]), 2)
    with pytest.raises(ValueError, match="non-negative"):
        autodiff.multinomial(autodiff.tensor([-1.0, 1.0]), 1)
    with pytest.raises(ValueError, match="sums to 0"):
        autodiff.multinomial(autodiff.zeros(2, 3), 1, True)
    with pytest.raises(autodiff.ShapeError, match=r"multinomial: input of shape \(2, 2, 2\)"):
        autodiff.multinomial(autodiff.ones(2, 2, 2), 1)


@pytest.mark.parametrize(("torch_dtype", "dtype"), DTYPES)
def test_in_place_fills_give_pytorchs_values(torch_dtype, dtype):
    for seed in SEEDS:
        g, ours = pair(seed)
        n = SIZES[seed % len(SIZES)]
        fills = [
            ("uniform_", (-0.3, 0.7)),
            ("uniform_", (-2.0, 3.0)),
            ("normal_", (0.0, 1.0)),
            ("normal_", (0.5, 0.02)),
            ("exponential_", (1.0,)),
            ("exponential_", (2.5,)),
            ("bernoulli_", (0.3,)),
            ("random_", ()),
            ("random_", (100,)),
            ("random_", (-7, 7)),
        ]
        for name, args in fills:
            theirs = getattr(torch.empty(n, dtype=torch_dtype), name)(*args, generator=g)
            mine = getattr(autodiff.zeros(n, dtype=dtype), name)(*args, generator=ours)
            assert_same(mine, theirs, f"{name}{args} n={n} seed {seed}")


def test_random_of_integer_dtypes_gives_pytorchs_values():
    for seed in range(10):
        g, ours = pair(seed)
        for torch_dtype, dtype in ((torch.int64, autodiff.int64), (torch.int32, autodiff.int32)):
            for args in ((), (1000,), (-5, 5)):
                theirs = torch.empty(50, dtype=torch_dtype).random_(*args, generator=g)
                mine = autodiff.zeros(50, dtype=dtype).random_(*args, generator=ours)
                assert_same(mine, theirs, f"random_{args} {dtype}")


@pytest.mark.parametrize(("torch_dtype", "dtype"), DTYPES)
def test_bernoulli_and_normal_give_pytorchs_values(torch_dtype, dtype):
    for seed in SEEDS:
        g, ours = pair(seed)
        n = SIZES[seed % len(SIZES)]
        p = np.random.default_rng(seed).random(n).astype(dtype)
        assert_same(
            autodiff.bernoulli(autodiff.tensor(p), generator=ours),
            torch.bernoulli(torch.from_numpy(p), generator=g),
            f"bernoulli n={n}",
        )
        assert_same(
            autodiff.normal(1.5, 0.25, (n,), generator=ours, dtype=dtype),
            torch.normal(1.5, 0.25, (n,), generator=g, dtype=torch_dtype),
            "normal(float, float, size)",
        )
        mean, std = p, p[::-1].copy()
        cases = [
            (
                autodiff.tensor(mean),
                autodiff.tensor(std),
                torch.from_numpy(mean),
                torch.from_numpy(std),
            ),
            (autodiff.tensor(mean), 2.0, torch.from_numpy(mean), 2.0),
            (0.5, autodiff.tensor(std), 0.5, torch.from_numpy(std)),
        ]
        for mean_a, std_a, mean_t, std_t in cases:
            assert_same(
                autodiff.normal(mean_a, std_a, generator=ours),
                torch.normal(mean_t, std_t, generator=g),
                f"normal with tensors n={n}",
            )


@pytest.mark.parametrize(("torch_dtype", "dtype"), DTYPES)
def test_like_functions_give_pytorchs_values(torch_dtype, dtype):
    for seed in range(0, 60, 3):
        torch.manual_seed(seed)
        autodiff.manual_seed(seed)
        n = SIZES[seed % len(SIZES)]
        x, t = autodiff.zeros(n, 2, dtype=dtype), torch.zeros(n, 2, dtype=torch_dtype)
        assert_same(autodiff.rand_like(x), torch.rand_like(t), "rand_like")
        assert_same(autodiff.randn_like(x), torch.randn_like(t), "randn_like")
        assert_same(autodiff.randint_like(x, 10), torch.randint_like(t, 10), "randint_like")
        assert_same(autodiff.randint_like(x, 3, 9), torch.randint_like(t, 3, 9), "randint_like")


def test_cuda_seeding_is_accepted_and_changes_nothing():
    autodiff.manual_seed(3)
    autodiff.cuda.manual_seed_all(99)
    autodiff.cuda.manual_seed(99)
    torch.manual_seed(3)
    assert_same(autodiff.rand(4), torch.rand(4), "after cuda.manual_seed_all")


def test_a_numpy_generator_is_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"rand: generator is a Generator; expected an autodiff"):
        autodiff.rand(3, generator=np.random.default_rng(0))


def test_fills_of_a_transposed_view_follow_pytorchs_memory_order():
    fills = [
        ("uniform_", (-1, 2)),
        ("normal_", (1.0, 0.3)),
        ("exponential_", ()),
        ("random_", (9,)),
    ]
    for shape in ((3, 4), (3, 40), (2, 3, 5)):
        for name, args in fills + [("bernoulli_", (0.3,))]:
            torch.manual_seed(1)
            autodiff.manual_seed(1)
            theirs = getattr(torch.empty(shape).transpose(0, -1), name)(*args)
            mine = getattr(autodiff.zeros(shape).transpose(0, -1), name)(*args)
            assert_same(mine, theirs, f"{name} of a transposed {shape}")
            assert_same(autodiff.rand(2), torch.rand(2), f"after {name}")
    p = np.random.default_rng(0).random((4, 3)).astype(np.float32)
    torch.manual_seed(2)
    autodiff.manual_seed(2)
    assert_same(
        autodiff.zeros(3, 4).transpose(0, 1).bernoulli_(autodiff.tensor(p)),
        torch.empty(3, 4).transpose(0, 1).bernoulli_(torch.from_numpy(p)),
        "bernoulli_ of a transposed view with tensor probabilities",
    )
