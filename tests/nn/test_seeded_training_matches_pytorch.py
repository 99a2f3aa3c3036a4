"""One seeded program, run once with PyTorch and once with autodiff and nn in its place: the
same data (randint), the same initial state_dict, the same dropout masks and the same batches
(randint and randperm from a Generator), hence the same losses over 20 AdamW steps.
"""

import numpy as np
import pytest

import autodiff
import nn

torch = pytest.importorskip("torch")


def as_array(value) -> np.ndarray:
    """A copy of a state_dict entry (a Tensor, or an array) as a numpy array."""
    return np.array(value.detach().numpy() if hasattr(value, "detach") else value)


def program(torch, nn, F, optim):
    """A makemore-style character MLP, written as a PyTorch program over the given modules."""
    torch.manual_seed(42)
    g = torch.Generator().manual_seed(2147483647)
    vocab, block, count = 27, 3, 300
    X = torch.randint(0, vocab, (count, block), generator=g)
    Y = torch.randint(0, vocab, (count,), generator=g)
    model = nn.Sequential(
        nn.Embedding(vocab, 10),
        nn.Flatten(),
        nn.Linear(block * 10, 64),
        nn.LayerNorm(64),
        nn.Tanh(),
        nn.Dropout(0.1),
        nn.Linear(64, vocab),
    )
    initial = {key: as_array(value) for key, value in model.state_dict().items()}
    optimizer = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
    losses = []
    for step in range(20):
        if step % 2:
            ix = torch.randint(0, count, (32,), generator=g)
        else:
            ix = torch.randperm(count, generator=g)[:32]
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return initial, losses


def test_a_seeded_program_starts_and_trains_as_in_pytorch():
    their_state, their_losses = program(torch, torch.nn, torch.nn.functional, torch.optim)
    state, losses = program(autodiff, nn, nn.functional, nn.optim)
    assert list(state) == list(their_state)
    for key in state:  # the same initial weights, bit for bit
        assert state[key].tobytes() == their_state[key].tobytes(), key
    np.testing.assert_allclose(losses, their_losses, rtol=1e-5)
    assert losses[-1] < losses[0]  # and it did train
