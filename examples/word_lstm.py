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


class RNNModel(nn.Module):
    """Embedding → LSTM → linear read-out, with dropout after the embedding and the LSTM."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid = nhid
        self.nlayers = nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        return decoded.view(-1, self.ntoken), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        shape = (self.nlayers, bsz, self.nhid)
        return (torch.zeros(shape, dtype=weight.dtype), torch.zeros(shape, dtype=weight.dtype))


def detach_hidden(hidden):
    """The state as new leaves: the next window's backward stops here."""
    return tuple(h.detach() for h in hidden)


def fit(model, optimizer, batches, hidden, clip=0.25):
    """One step per (input, target) window, carrying the LSTM state across windows; returns
    the training losses and the last state."""
    model.train()
    losses = []
    for data, targets in batches:
        hidden = detach_hidden(hidden)
        optimizer.zero_grad()
        output, hidden = model(data, hidden)
        loss = F.cross_entropy(output, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return losses, hidden


@torch.no_grad()
def evaluate(model, batches, batch_size):
    """The mean loss per token over the windows, in eval mode."""
    model.eval()
    hidden = model.init_hidden(batch_size)
    total, count = 0.0, 0
    for data, targets in batches:
        output, hidden = model(data, hidden)
        total += F.cross_entropy(output, targets, reduction="sum").item()
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
    model = RNNModel(len(vocabulary), 64, 128, 2, dropout=0.2)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)
    hidden = model.init_hidden(args.batch_size)
    start = time.perf_counter()
    losses: list[float] = []
    stream = windows(train, args.bptt)
    every = max(1, args.steps // 5)
    while len(losses) < args.steps:
        batch = [next(stream) for _ in range(min(every, args.steps - len(losses)))]
        new, hidden = fit(model, optimizer, batch, hidden)
        losses += new
        print(f"step {len(losses):5d}: training loss {np.mean(new):.3f}")
    loss = evaluate(model, list(windows(held_out, args.bptt))[:40], 10)
    seconds = time.perf_counter() - start
    print(f"held-out loss {loss:.3f}, perplexity {math.exp(loss):.0f} ({seconds:.0f} s)")
    return losses


if __name__ == "__main__":
    main()
