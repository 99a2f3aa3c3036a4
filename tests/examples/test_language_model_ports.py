"""The language-model examples are PyTorch programs: each runs as it is (`import autodiff as
torch`) and, with only its four import lines changed, on PyTorch itself. From the same
initial weights (copied) and the same batches, 20 AdamW steps give the same losses: to 1e-5
relative in float32 and 1e-10 in float64.
"""

import sys
import types
from pathlib import Path

import numpy as np
import pytest

import autodiff
import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples import their plotting helper
OURS = "".join(
    ["import autodiff as torch\n", "import nn\n", "import nn.functional as F\n"]
    + ["import nn.optim as optim\n"]
)
THEIRS = "".join(
    ["import torch\n", "import torch.nn as nn\n", "import torch.nn.functional as F\n"]
    + ["import torch.optim as optim\n"]
)
STEPS = 20
TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def load(name: str, with_pytorch: bool) -> types.ModuleType:
    """examples/<name>.py as a fresh module, its imports switched to PyTorch's if asked."""
    path = EXAMPLES / f"{name}.py"
    source = path.read_text(encoding="utf-8")
    assert source.count(OURS) == 1, f"{name}.py should import autodiff as torch, nn, F, optim"
    if with_pytorch:
        source = source.replace(OURS, THEIRS)
    module = types.ModuleType(f"{name}_on_{'pytorch' if with_pytorch else 'autodiff'}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def twins(torch, build, dtype):
    """(ours, theirs): build(module) in each library, PyTorch's holding our initial weights."""
    autodiff.manual_seed(0)
    ours = build(load(build.__name__, False))
    theirs = build(load(build.__name__, True))
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    return (ours.double(), theirs.double()) if dtype == "float64" else (ours, theirs)


def both(torch, arrays):
    """The same integer batches as our tensors and PyTorch's."""
    arrays = [tuple(np.ascontiguousarray(a) for a in pair) for pair in arrays]  # for .view
    ours = [tuple(autodiff.tensor(a) for a in pair) for pair in arrays]
    return ours, [tuple(torch.from_numpy(a) for a in pair) for pair in arrays]


def adamw(torch, ours, theirs, lr=1e-2):
    options = {"lr": lr, "weight_decay": 0.1}
    return (
        nn.optim.AdamW(ours.parameters(), **options),
        torch.optim.AdamW(theirs.parameters(), **options),
    )


def assert_same_losses(ours, theirs, dtype):
    assert len(ours) == len(theirs) == STEPS
    assert ours[-1] < 0.9 * ours[0]  # it learns: the comparison is not of a flat line
    np.testing.assert_allclose(ours, theirs, rtol=TOLERANCE[dtype], atol=0)


def gpt(module):
    config = module.Config(vocab_size=20, context=8, width=16, heads=2, layers=2)
    return module.GPT(config)


@pytest.mark.parametrize("dtype", TOLERANCE)
def test_the_char_level_gpt_trains_as_on_pytorch(torch, dtype):
    ours, theirs = twins(torch, gpt, dtype)
    rng = np.random.default_rng(1)
    text = np.tile(rng.permutation(20), 20)  # a pattern to learn: the losses fall
    starts = rng.integers(0, len(text) - 9, (STEPS, 4))
    windows = [np.stack([text[s : s + 9] for s in row]) for row in starts]
    batches, their_batches = both(torch, [(w[:, :-1], w[:, 1:]) for w in windows])
    optimizer, their_optimizer = adamw(torch, ours, theirs)
    losses = load("gpt", False).fit(ours, optimizer, batches)
    their_losses = load("gpt", True).fit(theirs, their_optimizer, their_batches)
    assert_same_losses(losses, their_losses, dtype)


def names(module):
    return module.MLP(vocab_size=27, block_size=3, n_embd=4, n_hidden=16, batchnorm=True)


@pytest.mark.parametrize("dtype", TOLERANCE)
def test_the_mlp_over_embeddings_with_batchnorm_trains_as_on_pytorch(torch, dtype):
    ours, theirs = twins(torch, names, dtype)
    rng = np.random.default_rng(2)
    contexts = [rng.integers(0, 27, (32, 3)) for _ in range(STEPS)]
    arrays = [(c, c[:, 2]) for c in contexts]  # the next character repeats the last
    batches, their_batches = both(torch, arrays)
    optimizer, their_optimizer = adamw(torch, ours, theirs)
    losses = load("names", False).fit(ours, optimizer, batches)
    their_losses = load("names", True).fit(theirs, their_optimizer, their_batches)
    assert_same_losses(losses, their_losses, dtype)
    for name, buffer in theirs.state_dict().items():  # the running statistics too
        np.testing.assert_allclose(
            ours.state_dict()[name], buffer.numpy(), rtol=TOLERANCE[dtype] * 10, err_msg=name
        )


def word_lstm(module):
    return module.WordModel(vocab_size=30, embed_dim=8, hidden_size=12, num_layers=2, dropout=0.0)


@pytest.mark.parametrize("dtype", TOLERANCE)
def test_the_lstm_word_model_trains_as_on_pytorch(torch, dtype):
    ours, theirs = twins(torch, word_lstm, dtype)
    program, their_program = load("word_lstm", False), load("word_lstm", True)
    stream = np.tile(np.random.default_rng(3).permutation(30)[:5], 240)  # 5 words, in turn
    source = program.batchify(stream, 8)  # (length, 8) columns
    windows = [(source[i : i + 7], source[i + 1 : i + 8].reshape(-1)) for i in range(0, 140, 7)]
    batches, their_batches = both(torch, windows)
    optimizer, their_optimizer = adamw(torch, ours, theirs, lr=0.05)
    losses, _ = program.fit(ours, optimizer, batches, ours.start_state(8), clip=0.5)
    their_losses, _ = their_program.fit(
        theirs, their_optimizer, their_batches, theirs.start_state(8), clip=0.5
    )
    assert_same_losses(losses, their_losses, dtype)
