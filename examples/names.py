"""Three character-level models of names, each a step up, written as PyTorch programs:
bigram counts, an MLP over embeddings, and the same MLP with BatchNorm.

    python examples/names.py [--steps 2000] [--samples 8] [--seed 0]

The data is the names corpus shipped with nn.datasets (32,033 names); every name ends with
'.', which also stands for "no character yet" in the context. The first 90 % of the names
(shuffled once) train the models, the rest are held out. Each model prints its held-out loss
(nats per character; a uniform guess over 27 characters is ln 27 = 3.30) and names it made
up by sampling one character at a time.

1. Bigram: count how often each character follows each other one (one matrix product of
   one-hot rows), add one to every count, and normalise the rows into probabilities.
2. MLP: embed the last 3 characters in 10 dimensions each, a hidden layer of 200 tanh units,
   27 logits; AdamW on batches of 64.
3. The same MLP with BatchNorm before the tanh, as the deeper networks of this kind need.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

import autodiff as torch
import nn
import nn.functional as F
import nn.optim as optim
from nn.datasets import load_names

BLOCK_SIZE = 3  # characters of context


def bigram_counts(xs, ys, vocab_size):
    """N[a, b]: how often character b follows character a, as one matrix product."""
    first = F.one_hot(xs, vocab_size).float()
    second = F.one_hot(ys, vocab_size).float()
    return first.T @ second


class MLP(nn.Module):
    """Embeddings of the last block_size characters, joined, through a tanh hidden layer."""

    def __init__(self, vocab_size, block_size, n_embd, n_hidden, batchnorm=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, n_embd)
        if batchnorm:  # the batch statistics take the bias's place
            self.hidden = nn.Sequential(
                nn.Linear(block_size * n_embd, n_hidden, bias=False),
                nn.BatchNorm1d(n_hidden),
                nn.Tanh(),
            )
        else:
            self.hidden = nn.Sequential(nn.Linear(block_size * n_embd, n_hidden), nn.Tanh())
        self.out = nn.Linear(n_hidden, vocab_size)

    def forward(self, context):
        x = self.embedding(context).view(context.shape[0], -1)
        return self.out(self.hidden(x))


def fit(model, optimizer, batches, scheduler=None):
    """One optimizer step per (x, y) batch (and one scheduler step, if given); returns the
    training loss of each step."""
    model.train()
    losses = []
    for x, y in batches:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return losses


# ----- the demo around the programs -------------------------------------------------------------


@dataclass
class Dataset:
    chars: list[str]  # '.' first
    train: tuple  # (contexts (N, BLOCK_SIZE), next characters (N,)) as int64 arrays
    val: tuple


def examples_of(words, index):
    """Every (last BLOCK_SIZE characters, next character) pair of the words."""
    contexts, targets = [], []
    for word in words:
        context = [0] * BLOCK_SIZE
        for ch in word + ".":
            contexts.append(context)
            targets.append(index[ch])
            context = context[1:] + [index[ch]]
    return np.array(contexts, np.int64), np.array(targets, np.int64)


def load_dataset(generator) -> Dataset:
    words = load_names()
    words = [words[i] for i in torch.randperm(len(words), generator=generator).tolist()]
    chars = ["."] + sorted(set("".join(words)))
    index = {c: i for i, c in enumerate(chars)}
    cut = int(0.9 * len(words))
    return Dataset(chars, examples_of(words[:cut], index), examples_of(words[cut:], index))


def sample_names(next_probs, chars, count, generator):
    """`count` names drawn one character at a time from next_probs(context) until '.'."""
    names = []
    for _ in range(count):
        context, name = [0] * BLOCK_SIZE, ""
        while len(name) < 30:
            probs = next_probs(context)
            ix = torch.multinomial(probs, num_samples=1, generator=generator).item()
            if ix == 0:
                break
            name += chars[ix]
            context = context[1:] + [ix]
        names.append(name)
    return names


@dataclass
class Result:
    name: str
    val_loss: float
    samples: list[str]
    seconds: float


def bigram(data: Dataset, samples: int, generator) -> Result:
    start = time.perf_counter()
    xs, ys = torch.tensor(data.train[0][:, -1]), torch.tensor(data.train[1])
    N = bigram_counts(xs, ys, len(data.chars))
    P = (N + 1) / (N + 1).sum(1, keepdim=True)  # add-one smoothing: no probability is 0
    val_x, val_y = data.val[0][:, -1], data.val[1]
    val_loss = -P.log()[val_x, val_y].mean().item()
    names = sample_names(lambda context: P[context[-1]], data.chars, samples, generator)
    return Result("bigram counts", val_loss, names, time.perf_counter() - start)


def mlp(data: Dataset, batchnorm: bool, steps: int, samples: int, generator) -> Result:
    start = time.perf_counter()
    model = MLP(len(data.chars), BLOCK_SIZE, n_embd=10, n_hidden=200, batchnorm=batchnorm)
    optimizer = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    contexts, targets = (torch.tensor(a) for a in data.train)

    def batches(count):
        for _ in range(count):
            ix = torch.randint(0, len(targets), (64,), generator=generator)
            yield contexts[ix], targets[ix]

    fit(model, optimizer, batches(steps), scheduler)
    model.eval()  # BatchNorm now uses its running statistics
    with torch.no_grad():
        logits = model(torch.tensor(data.val[0]))
        val_loss = F.cross_entropy(logits, torch.tensor(data.val[1])).item()

        def next_probs(context):
            logits = model(torch.tensor([context]))
            return F.softmax(logits[0], dim=0)

        names = sample_names(next_probs, data.chars, samples, generator)
    label = "MLP with BatchNorm" if batchnorm else "MLP over embeddings"
    return Result(label, val_loss, names, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="AdamW steps of each MLP")
    parser.add_argument("--samples", type=int, default=8, help="names each model makes up")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)  # the models' initial weights
    generator = torch.Generator().manual_seed(args.seed)  # the split, batches and sampling
    data = load_dataset(generator)
    print(f"{len(data.train[1]):,} training and {len(data.val[1]):,} held-out characters")
    print(f"a uniform guess over {len(data.chars)} characters: loss {math.log(27):.3f}")
    results = [
        bigram(data, args.samples, generator),
        mlp(data, False, args.steps, args.samples, generator),
        mlp(data, True, args.steps, args.samples, generator),
    ]
    for result in results:
        print(
            f"{result.name:20s} held-out loss {result.val_loss:.3f} ({result.seconds:.1f} s): "
            + ", ".join(result.samples)
        )
    return results


if __name__ == "__main__":
    main()
