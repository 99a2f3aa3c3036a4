"""A word-level LSTM language model on Shakespeare, written as a PyTorch program.

    python examples/word_lstm.py [--steps 300] [--vocab 2000] [--bptt 35] [--seed 0]

The text of tinyshakespeare (shipped with nn.datasets) is cut into words and punctuation;
the `--vocab` most common become tokens and the rest one <unk> token. The token stream is
laid out in `--batch-size` parallel columns and read in windows of `--bptt` tokens: an
embedding, a 2-layer LSTM whose state is carried from one window to the next (detached, so
backpropagation stops at the window's start), and a linear read-out to the vocabulary.
AdamW trains it with gradient clipping; it prints the training loss and the held-out
perplexity (e to the loss: how many words the model is as unsure as a uniform choice among).
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import Counter

import numpy as np

import autodiff as torch
import nn
import nn.functional as F
import nn.optim as optim
from nn.datasets import load_tinyshakespeare


class WordModel(nn.Module):
    """Embedding → LSTM → linear read-out to the vocabulary, dropout on the LSTM's input and
    output (and between its layers)."""

    def __init__(self, vocab_size, embed_dim, hidden_size, num_layers, dropout=0.2):
        super().__init__()
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, dropout=dropout)
        self.readout = nn.Linear(hidden_size, vocab_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, words, state):
        """Logits for each (position, column) as rows of one matrix, and the LSTM's state."""
        features, state = self.lstm(self.dropout(self.embed(words)), state)
        logits = self.readout(self.dropout(features))
        return logits.view(-1, self.vocab_size), state

    def start_state(self, batch_size):
        """(h, c) all zeros, in the parameters' dtype."""
        dtype = self.readout.weight.dtype
        shape = (self.num_layers, batch_size, self.hidden_size)
        return torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype)


def cut_history(state):
    """The state as new leaves: the next window's backward stops here."""
    return tuple(t.detach() for t in state)


def fit(model, optimizer, batches, state, clip=0.25):
    """One step per (words, next words) window, the LSTM's state carried from each window to
    the next; the gradient's norm is clipped to `clip`. Returns the losses and the state."""
    model.train()
    losses = []
    for words, targets in batches:
        optimizer.zero_grad()
        logits, state = model(words, cut_history(state))
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return losses, state


@torch.no_grad()
def evaluate(model, batches, batch_size):
    """The mean loss per token over the windows, in eval mode."""
    model.eval()
    state = model.start_state(batch_size)
    total, count = 0.0, 0
    for words, targets in batches:
        logits, state = model(words, state)
        total += F.cross_entropy(logits, targets, reduction="sum").item()
        count += len(targets)
    return total / count


# ----- the data around the program --------------------------------------------------------------


def tokenize(text, vocab_size):
    """(token ids, vocabulary): words and punctuation marks, the rarest ones as <unk>."""
    words = re.findall(r"[A-Za-z']+|[.,;:!?]|\n", text.lower())
    common = [w for w, _ in Counter(words).most_common(vocab_size - 1)]
    vocabulary = ["<unk>", *common]
    index = {w: i for i, w in enumerate(vocabulary)}
    return np.array([index.get(w, 0) for w in words], np.int64), vocabulary


def batchify(ids, batch_size):
    """The stream as (length, batch_size) columns, each a contiguous stretch of the text."""
    length = len(ids) // batch_size
    return ids[: length * batch_size].reshape(batch_size, length).T.copy()


def windows(source, bptt):
    """(input, target) windows of bptt rows; the target is the input one token on, flattened."""
    for i in range(0, len(source) - 1, bptt):
        n = min(bptt, len(source) - 1 - i)
        yield torch.tensor(source[i : i + n]), torch.tensor(source[i + 1 : i + 1 + n].reshape(-1))


def main(argv: list[str] | None = None) -> list[float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="training windows")
    parser.add_argument("--vocab", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--bptt", type=int, default=35)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    ids, vocabulary = tokenize(load_tinyshakespeare(), args.vocab)
    cut = int(0.9 * len(ids))
    train, held_out = batchify(ids[:cut], args.batch_size), batchify(ids[cut:], 10)
    print(f"{len(ids):,} tokens, a vocabulary of {len(vocabulary):,}")
    torch.manual_seed(args.seed)
    model = WordModel(len(vocabulary), 64, 128, 2, dropout=0.2)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)
    state = model.start_state(args.batch_size)
    start = time.perf_counter()
    losses: list[float] = []
    stream = windows(train, args.bptt)
    every = max(1, args.steps // 5)
    while len(losses) < args.steps:
        batch = [next(stream) for _ in range(min(every, args.steps - len(losses)))]
        new, state = fit(model, optimizer, batch, state)
        losses += new
        print(f"step {len(losses):5d}: training loss {np.mean(new):.3f}")
    loss = evaluate(model, list(windows(held_out, args.bptt))[:40], 10)
    seconds = time.perf_counter() - start
    print(f"held-out loss {loss:.3f}, perplexity {math.exp(loss):.0f} ({seconds:.0f} s)")
    return losses


if __name__ == "__main__":
    main()
