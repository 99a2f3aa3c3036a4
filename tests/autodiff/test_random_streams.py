"""The random functions against PyTorch's CPU, bit for bit: after the same seed, rand, randn,
randint, randperm and the generator state give PyTorch's values, in float32 and float64, over
60 seeds and sizes from 0 to 1000 (around the 16-element switch of randn in particular).
"""

import subprocess
import sys

import numpy as np
import pytest

import autodiff

torch = pytest.importorskip("torch")

SEEDS = range(60)
# randn switches from one-by-one pairs to blocks of 16 at 16 elements; a partial last block is
# redrawn: sizes around the multiples of 16, and a spread up to 1000.
SIZES = [0, 1, 2, 3, 7, 8, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49, 100, 255, 256, 257, 999, 1000]
DTYPES = [(torch.float32, autodiff.float32), (torch.float64, autodiff.float64)]


def size_of(seed: int, shift: int = 0) -> int:
    return SIZES[(seed + shift) % len(SIZES)]


def assert_same(ours, theirs, what: str) -> None:
    ours, theirs = ours.numpy(), theirs.numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, what
    if ours.tobytes() != theirs.tobytes():  # bit for bit, -0.0 and NaN included
        bad = np.flatnonzero(ours.ravel() != theirs.ravel())
        raise AssertionError(f"{what}: {bad.size} differ, first at {bad[:5]}")


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize(("torch_dtype", "dtype"), DTYPES)
def test_rand_and_randn_give_pytorchs_values(name, torch_dtype, dtype):
    for seed in SEEDS:
        torch.manual_seed(seed)
        autodiff.manual_seed(seed)
        for shift in (0, 7):  # two draws in a row: the second starts where the first ended
            n = size_of(seed, shift)
            theirs = getattr(torch, name)(n, dtype=torch_dtype)
            ours = getattr(autodiff, name)(n, dtype=dtype)
            assert_same(ours, theirs, f"{name}({n}) {dtype} seed {seed}")
        # a small randn keeps the second normal of its last pair for the next call
        assert_same(autodiff.randn(3, dtype=dtype), torch.randn(3, dtype=torch_dtype), "next")
        assert_same(autodiff.rand(2, 3), torch.rand(2, 3), f"rand after {name}")


def test_randn_of_a_shape_and_the_default_dtype():
    torch.manual_seed(2147483647)
    autodiff.manual_seed(2147483647)
    assert_same(autodiff.randn(4, 5, 6), torch.randn(4, 5, 6), "randn(4, 5, 6)")
    assert_same(autodiff.randn((3, 3)), torch.randn((3, 3)), "randn((3, 3))")


def test_randint_gives_pytorchs_values_with_32_and_64_bit_ranges():
    for seed in SEEDS:
        g = torch.Generator().manual_seed(seed)
        ours = autodiff.Generator().manual_seed(seed)
        n = size_of(seed)
        for low, high in (
            (0, 10),
            (-5, 1000),
            (0, 2**28 - 1),
            (0, 2**28),
            (3, 2**31),
            (-(2**50), 2**50),
        ):
            assert_same(
                autodiff.randint(low, high, (n,), generator=ours),
                torch.randint(low, high, (n,), generator=g),
                f"randint({low}, {high}) seed {seed}",
            )
        assert_same(
            autodiff.randint(high=n + 1, size=(n,), generator=ours),
            torch.randint(high=n + 1, size=(n,), generator=g),
            "randint with keywords",
        )
        assert_same(
            autodiff.randint(27, (n // 10, 3), generator=ours, dtype=autodiff.int32),
            torch.randint(27, (n // 10, 3), generator=g, dtype=torch.int32),
            "randint int32",
        )


def test_randperm_gives_pytorchs_orders():
    for seed in SEEDS:
        g = torch.Generator().manual_seed(seed)
        ours = autodiff.Generator().manual_seed(seed)
        for shift in (0, 11):
            n = size_of(seed, shift)
            assert_same(
                autodiff.randperm(n, generator=ours),
                torch.randperm(n, generator=g),
                f"randperm({n})",
            )


def test_generator_state_has_pytorchs_bytes_and_moves_between_the_libraries():
    for seed in (0, 1, 2147483647, 2**32 + 5, 2**64 - 1, -1):
        theirs = torch.Generator().manual_seed(seed)
        ours = autodiff.Generator().manual_seed(seed)
        assert ours.initial_seed() == theirs.initial_seed()
        assert_same(ours.get_state(), theirs.get_state(), f"fresh state, seed {seed}")
        torch.randn(5, generator=theirs)  # leaves a cached normal in the state
        autodiff.randn(5, generator=ours)
        assert_same(ours.get_state(), theirs.get_state(), "state after randn(5)")
        torch.rand(700, generator=theirs)
        autodiff.rand(700, generator=ours)
        assert_same(ours.get_state(), theirs.get_state(), "state after rand(700)")
    # a state saved by PyTorch continues here, and one saved here continues in PyTorch
    ours.set_state(torch.Generator().manual_seed(9).get_state())
    assert_same(
        autodiff.randn(20, generator=ours), torch.randn(20, generator=theirs.manual_seed(9)), ""
    )
    theirs.set_state(torch.from_numpy(ours.get_state().numpy()))
    assert_same(autodiff.randn(3, generator=ours), torch.randn(3, generator=theirs), "restored")


@pytest.mark.parametrize(
    "draw",
    [
        lambda m, g: m.rand(0, generator=g),
        lambda m, g: m.randn(0, 3, generator=g),
        lambda m, g: m.randint(5, (0,), generator=g),
        lambda m, g: m.zeros(0).uniform_(generator=g),
        lambda m, g: m.randperm(0, generator=g),
    ],
)
def test_an_empty_draw_leaves_the_state_as_pytorchs(draw):
    theirs = torch.Generator().manual_seed(3)
    ours = autodiff.Generator().manual_seed(3)
    draw(torch, theirs)
    draw(autodiff, ours)
    assert_same(ours.get_state(), theirs.get_state(), "state after an empty draw")


def test_global_rng_state_round_trips_as_pytorchs():
    torch.manual_seed(4)
    autodiff.manual_seed(4)
    state, torch_state = autodiff.get_rng_state(), torch.get_rng_state()
    first = autodiff.randn(10)
    torch.randn(10)
    autodiff.set_rng_state(state)
    torch.set_rng_state(torch_state)
    assert_same(autodiff.randn(10), first, "after set_rng_state")
    torch.randn(10)
    assert_same(autodiff.randn(10), torch.randn(10), "the global streams agree")
    assert autodiff.initial_seed() == torch.initial_seed() == 4


def _seeds_at_import(library: str) -> set[int]:
    code = f"import {library}; print({library}.initial_seed())"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        for _ in range(2)
    ]
    return {int(run.stdout) for run in runs}


def test_the_global_generator_is_seeded_at_import_from_the_system_as_pytorchs():
    """Unseeded programs differ from run to run, in PyTorch (2.13) as here."""
    assert len(_seeds_at_import("torch")) == 2
    assert len(_seeds_at_import("autodiff")) == 2


def test_a_new_generator_starts_from_pytorchs_default_seed():
    assert autodiff.Generator().initial_seed() == torch.Generator().initial_seed()
    assert_same(
        autodiff.rand(5, generator=autodiff.Generator()),
        torch.rand(5, generator=torch.Generator()),
        "unseeded generator",
    )


def test_a_checkpoint_keeps_the_generator_state(tmp_path):
    autodiff.manual_seed(11)
    autodiff.rand(7)
    autodiff.save({"rng_state": autodiff.get_rng_state(), "epoch": 3}, tmp_path / "check.pt")
    expected = autodiff.randn(20)
    autodiff.manual_seed(0)  # elsewhere, later: the state comes back from the file
    autodiff.set_rng_state(autodiff.load(tmp_path / "check.pt")["rng_state"])
    assert_same(autodiff.randn(20), expected, "after the checkpoint's state")
    torch.manual_seed(11)
    torch.rand(7)
    assert_same(expected, torch.randn(20), "PyTorch's stream from the same point")
