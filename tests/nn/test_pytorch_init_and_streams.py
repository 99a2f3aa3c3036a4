"""nn against PyTorch after the same seed, bit for bit: every nn.init function, the default
initialisation of each layer (built in the same order), dropout masks, and the DataLoader's
sample order (shuffle, samplers, generators).
"""

import math
import warnings

import numpy as np
import pytest

import autodiff
import nn
from nn import init
from nn.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset

torch = pytest.importorskip("torch")

SEEDS = range(50)
SHAPES = [(1, 1), (3, 5), (4, 4), (16, 1), (5, 16, 3, 3), (17, 3), (64, 33), (100, 10)]


def assert_same(ours, theirs, what: str) -> None:
    ours = ours.numpy() if hasattr(ours, "numpy") else np.asarray(ours)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, what
    if ours.tobytes() != theirs.tobytes():
        bad = np.flatnonzero(ours.ravel() != theirs.ravel())
        raise AssertionError(f"{what}: {bad.size} differ, first at {bad[:5]}")


INITS = [
    ("uniform_", {"a": -0.5, "b": 2.0}),
    ("normal_", {"mean": 0.1, "std": 0.02}),
    ("xavier_uniform_", {"gain": 1.0}),
    ("xavier_uniform_", {"gain": init.calculate_gain("tanh")}),
    ("xavier_normal_", {"gain": 2.0}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"nonlinearity": "relu", "mode": "fan_out"}),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", {"a": 0.1, "mode": "fan_out"}),
    ("trunc_normal_", {"std": 0.02}),
    ("trunc_normal_", {"mean": 0.0, "std": 1.0, "a": 1.0, "b": 3.0}),  # the rejection path
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_functions_give_pytorchs_values(dtype):
    for seed in SEEDS:
        shape = SHAPES[seed % len(SHAPES)]
        for name, kwargs in INITS:
            g = torch.Generator().manual_seed(seed)
            ours = autodiff.Generator().manual_seed(seed)
            theirs = getattr(torch.nn.init, name)(
                torch.empty(shape, dtype=torch.float32 if dtype == np.float32 else torch.float64),
                generator=g,
                **kwargs,
            )
            mine = getattr(init, name)(
                nn.Parameter(np.zeros(shape, dtype)), generator=ours, **kwargs
            )
            assert_same(mine, theirs, f"{name}({shape}, {kwargs}) seed {seed}")


def test_orthogonal_is_pytorchs_up_to_the_qr_factorisation():
    for seed in range(5):
        for shape in ((30, 50), (50, 30), (8, 4, 3, 3)):
            torch.manual_seed(seed)
            autodiff.manual_seed(seed)
            theirs = torch.nn.init.orthogonal_(torch.empty(shape), gain=2.0)
            mine = init.orthogonal_(nn.Parameter(np.zeros(shape, np.float32)), gain=2.0)
            np.testing.assert_allclose(mine.numpy(), theirs.numpy(), atol=2e-6)
            assert_same(autodiff.rand(3), torch.rand(3), "the stream after orthogonal_")


def test_constant_zeros_ones_and_eye():
    p = nn.Parameter(np.zeros((2, 3), np.float32))
    assert init.constant_(p, 0.25) is p and (p.numpy() == 0.25).all()
    np.testing.assert_array_equal(init.eye_(p).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(init.ones_(p).numpy(), 1.0)
    np.testing.assert_array_equal(init.zeros_(p).numpy(), 0.0)
    with pytest.raises(ValueError, match=r"eye_: a tensor of shape \(3,\)"):
        init.eye_(nn.Parameter(np.zeros(3)))
    with pytest.raises(ValueError, match="trunc_normal_: a=1, b=0; expected a < b"):
        init.trunc_normal_(p, a=1, b=0)


def build(library, seed: int):
    """Layers of every kind with a default initialisation, built in one order."""
    library.manual_seed(seed)
    module = nn if library is autodiff else torch.nn
    return [
        module.Linear(7, 5),
        module.Linear(5, 3, bias=False),
        module.Conv2d(3, 4, 3),
        module.Conv2d(4, 2, (2, 3), groups=2, bias=True),
        module.Embedding(11, 6),
        module.Embedding(11, 6, padding_idx=3),
        module.LayerNorm(6),
        module.BatchNorm1d(5),
        module.BatchNorm2d(4),
        module.Linear(300, 200),
        module.RNN(5, 7),
        module.LSTM(5, 7, num_layers=2),
        module.GRU(5, 7, bidirectional=True),
        module.LSTMCell(3, 4),
        module.MultiheadAttention(8, 2),
        module.TransformerEncoderLayer(8, 2, 16),
    ]


def test_default_layer_initialisation_is_pytorchs_parameter_for_parameter():
    for seed in range(0, 50, 7):
        ours, theirs = build(autodiff, seed), build(torch, seed)
        for mine, their in zip(ours, theirs):
            state, their_state = mine.state_dict(), their.state_dict()
            assert list(state) == list(their_state), type(mine).__name__
            for key in state:
                assert_same(state[key], their_state[key], f"{type(mine).__name__}.{key} {seed}")
        assert_same(autodiff.rand(4), torch.rand(4), "the stream after the layers")


def test_dropout_masks_are_pytorchs():
    for seed in range(20):
        torch.manual_seed(seed)
        autodiff.manual_seed(seed)
        for p, shape in ((0.5, (4, 9)), (0.1, (33,)), (0.8, (2, 3, 5))):
            x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
            assert_same(
                nn.functional.dropout(autodiff.tensor(x), p),
                torch.nn.functional.dropout(torch.from_numpy(x), p),
                f"dropout p={p} {shape}",
            )
        images = np.ones((2, 3, 4, 4), np.float32)
        assert_same(
            nn.Dropout2d(0.5)(autodiff.tensor(images)),
            torch.nn.Dropout2d(0.5)(torch.from_numpy(images)),
            "Dropout2d",
        )
        assert_same(autodiff.rand(3), torch.rand(3), "the stream after dropout")


def orders(loader) -> list[list[int]]:
    return [[int(i) for i in batch[1].tolist()] for batch in loader]


def loaders(**kwargs):
    x = np.arange(23, dtype=np.float32).reshape(23, 1)
    y = np.arange(23)
    ours = DataLoader(TensorDataset(x, y), batch_size=4, **kwargs)
    theirs_kwargs = {
        key: (torch.Generator().manual_seed(value.initial_seed()) if key == "generator" else value)
        for key, value in kwargs.items()
    }
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=4,
        **theirs_kwargs,
    )
    return ours, theirs


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shuffle": True},
        {"shuffle": False},
        {"shuffle": True, "drop_last": True},
        {"shuffle": True, "generator": "seeded"},
    ],
)
def test_dataloader_visits_pytorchs_order_each_epoch(kwargs):
    for seed in range(0, 50, 5):
        if kwargs.get("generator"):
            kwargs = {**kwargs, "generator": autodiff.Generator().manual_seed(seed + 1)}
        torch.manual_seed(seed)
        autodiff.manual_seed(seed)
        ours, theirs = loaders(**kwargs)
        for epoch in range(3):
            assert orders(ours) == orders(theirs), f"{kwargs} seed {seed} epoch {epoch}"
        assert_same(autodiff.rand(2), torch.rand(2), "the stream after three epochs")


def test_samplers_give_pytorchs_orders():
    data = list(range(40))
    for seed in range(10):
        torch.manual_seed(seed)
        autodiff.manual_seed(seed)
        for kwargs in (
            {},
            {"replacement": True},
            {"num_samples": 70},
            {"replacement": True, "num_samples": 70},
        ):
            assert list(RandomSampler(data, **kwargs)) == list(
                torch.utils.data.RandomSampler(data, **kwargs)
            ), kwargs
        assert list(SequentialSampler(data)) == data
        sampler, their_sampler = RandomSampler(data), torch.utils.data.RandomSampler(data)
        ours = [b.tolist() for b in DataLoader(data, batch_size=8, sampler=sampler)]
        theirs = [b.tolist() for b in torch.utils.data.DataLoader(data, 8, sampler=their_sampler)]
        assert ours == theirs


def test_old_dataloader_of_arrays_warns_and_batches_them_as_a_tensor_dataset():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5)
    with pytest.warns(DeprecationWarning, match=r"DataLoader\(TensorDataset\(x, y\), ...\)"):
        loader = DataLoader(x, y, batch_size=4)
    batches = list(loader)
    np.testing.assert_array_equal(batches[0][0].numpy(), x[:4])
    np.testing.assert_array_equal(batches[1][1].numpy(), y[4:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DataLoader(TensorDataset(x, y), 4, True)  # PyTorch's positional arguments still work
