"""End-to-end training: a 2-4-1 sigmoid MLP learns XOR, and a seeded run repeats bit for bit."""

import numpy as np

import nn
from autodiff import Tensor

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def test_mlp_learns_xor():
    nn.manual_seed(0)
    model = nn.MLP([2, 4, 1], activation="sigmoid", dtype=np.float64)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(300):
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(X)), Tensor(Y))
        loss.backward()
        optimizer.step()
    predictions = (model(Tensor(X)).numpy() > 0).astype(np.int64)
    assert nn.metrics.accuracy(predictions, Y.astype(np.int64)) == 1.0
    assert loss.item() < 0.05


def training_losses(seed: int) -> list[float]:
    """A small seeded run touching every random draw: init, dropout and shuffling."""
    nn.manual_seed(seed)
    data = np.random.default_rng(0)  # the data is fixed; only nn's draws follow the seed
    x = data.standard_normal((64, 5)).astype(np.float32)
    y = (x[:, 0] > x[:, 1]).astype(np.int64)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(3):
        for inputs, labels in nn.data.DataLoader(
            nn.data.TensorDataset(x, y), batch_size=16, shuffle=True
        ):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def test_the_same_seed_gives_the_same_losses_bit_for_bit():
    first = training_losses(seed=42)
    assert training_losses(seed=42) == first
    assert training_losses(seed=43) != first
