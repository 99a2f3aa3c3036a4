"""A character-level GPT learns to write like Shakespeare, written as a PyTorch program.

    python examples/gpt.py [--steps 500] [--out DIR] [--sample-length 300] [--seed 0]

The model reads 32 characters of the tinyshakespeare corpus (shipped with nn.datasets) and
predicts each next one: token and position embeddings, two blocks of causal self-attention
(4 heads) and a feed-forward part, each behind a LayerNorm and added back to its input, a
final LayerNorm and a linear read-out to the 65 characters. AdamW trains it on random windows
of the first 90 % of the text; the last 10 % is held out. It prints the loss as it falls,
writes a plot of it and a picture of one attention block's graph, and samples new text.

The default run (500 steps of 16 windows) takes seconds and gets from 4.2 (a uniform guess
over 65 characters) to about 2.1 nats per character: the text has Shakespeare's shape (names,
line breaks, short words) without his words. More steps do better (`--steps 5000`).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _plotting import PictureUnavailable, new_figure, save

import autodiff as torch
import nn
import nn.functional as F
import nn.optim as optim
from nn.datasets import load_tinyshakespeare


@dataclass
class Config:
    vocab_size: int = 65
    context: int = 32  # characters the model reads at most
    width: int = 64  # features per position
    heads: int = 4
    layers: int = 2
    dropout: float = 0.0


class CausalSelfAttention(nn.Module):
    """`heads` attention heads side by side; a position attends to itself and those before."""

    def __init__(self, config):
        super().__init__()
        self.heads = config.heads
        self.qkv = nn.Linear(config.width, 3 * config.width)  # queries, keys, values in one
        self.proj = nn.Linear(config.width, config.width)
        self.dropout = config.dropout

    def split_heads(self, t):
        """(batch, length, width) as (batch, heads, length, width / heads)."""
        batch, length, width = t.shape
        return t.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

    def forward(self, x):
        batch, length, width = x.size()
        queries, keys, values = (self.split_heads(t) for t in self.qkv(x).split(width, dim=2))
        dropout = self.dropout if self.training else 0.0
        mixed = F.scaled_dot_product_attention(
            queries, keys, values, dropout_p=dropout, is_causal=True
        )
        joined = mixed.transpose(1, 2).contiguous().view(batch, length, width)
        return self.proj(joined)


class Block(nn.Module):
    """Attention (positions exchange information), then a feed-forward part (each position
    on its own); each reads a LayerNorm of the stream and adds its result back to it."""

    def __init__(self, config):
        super().__init__()
        self.norm_1 = nn.LayerNorm(config.width)
        self.attention = CausalSelfAttention(config)
        self.norm_2 = nn.LayerNorm(config.width)
        self.feed_forward = nn.Sequential(
            nn.Linear(config.width, 4 * config.width),
            nn.ReLU(),
            nn.Linear(4 * config.width, config.width),
            nn.Dropout(config.dropout),
        )

    def forward(self, x):
        x = x + self.attention(self.norm_1(x))
        return x + self.feed_forward(self.norm_2(x))


class GPT(nn.Module):
    """Token and position embeddings, a stack of blocks, a LayerNorm, a linear read-out to
    one logit per character."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.width)
        self.position_embedding = nn.Embedding(config.context, config.width)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.layers)])
        self.final_norm = nn.LayerNorm(config.width)
        self.readout = nn.Linear(config.width, config.vocab_size)

    def forward(self, tokens, targets=None):
        """Logits (batch, length, vocab_size), and the mean cross-entropy if targets given."""
        batch, length = tokens.size()
        stream = self.token_embedding(tokens) + self.position_embedding(torch.arange(length))
        logits = self.readout(self.final_norm(self.blocks(stream)))
        if targets is None:
            return logits, None
        flat = logits.view(batch * length, self.config.vocab_size)
        return logits, F.cross_entropy(flat, targets.view(batch * length))

    @torch.no_grad()
    def generate(self, tokens, count, generator=None):
        """tokens (batch, length) followed by `count` more, each drawn from the model's
        distribution of the next character given (at most) the last `context` ones."""
        for _ in range(count):
            logits, _ = self(tokens[:, -self.config.context :])
            probs = F.softmax(logits[:, -1], dim=-1)
            drawn = torch.multinomial(probs, num_samples=1, generator=generator)
            tokens = torch.cat((tokens, drawn), dim=1)
        return tokens


def fit(model, optimizer, batches):
    """One AdamW step per (x, y) batch; returns the training loss of each step."""
    model.train()
    losses = []
    for x, y in batches:
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def estimate_loss(model, batches):
    """The mean loss over the given batches, in eval mode."""
    model.eval()
    losses = [model(x, y)[1].item() for x, y in batches]
    model.train()
    return sum(losses) / len(losses)


# ----- the demo around the program --------------------------------------------------------------


@dataclass
class Corpus:
    chars: list[str]
    train: torch.Tensor  # character indices
    val: torch.Tensor

    def encode(self, text: str) -> list[int]:
        index = {c: i for i, c in enumerate(self.chars)}
        return [index[c] for c in text]

    def decode(self, indices) -> str:
        return "".join(self.chars[i] for i in indices)


def load_corpus() -> Corpus:
    """tinyshakespeare as character indices, the first 90 % to train on and the rest held out."""
    text = load_tinyshakespeare()
    chars = sorted(set(text))
    # index every character at once: a table from byte value to index (the text is ASCII)
    table = np.zeros(128, np.int64)
    table[[ord(c) for c in chars]] = np.arange(len(chars))
    data = table[np.frombuffer(text.encode("ascii"), np.uint8)]
    cut = int(0.9 * len(data))
    return Corpus(chars, torch.tensor(data[:cut]), torch.tensor(data[cut:]))


def random_batches(data, count, batch_size, length, generator):
    """`count` batches of `batch_size` random windows of data (a 1-D tensor of character
    indices): (x, y), y being x shifted by one character."""
    for _ in range(count):
        starts = torch.randint(len(data) - length, (batch_size,), generator=generator)
        x = torch.stack([data[i : i + length] for i in starts.tolist()])
        y = torch.stack([data[i + 1 : i + length + 1] for i in starts.tolist()])
        yield x, y


@dataclass
class Result:
    losses: list[float]
    val_loss: float
    sample: str
    seconds: float
    pictures: list[Path] = field(default_factory=list)


def plot_losses(losses: list[float], val_losses: list[tuple[int, float]], path: Path) -> Path:
    figure = new_figure(6.4, 3.6)
    axes = figure.add_subplot()
    steps = np.arange(1, len(losses) + 1)
    axes.plot(steps, losses, color="#9ecae1", linewidth=0.8, label="training batch")
    window = min(50, len(losses))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    axes.plot(steps[window - 1 :], smooth, color="#2171b5", label=f"mean of {window} steps")
    if val_losses:
        at, values = zip(*val_losses)
        axes.plot(at, values, "o-", color="#d94801", label="held-out text")
    axes.axhline(math.log(65), color="#888888", linestyle=":", label="uniform guess, ln 65")
    axes.set_xlabel("step")
    axes.set_ylabel("cross-entropy (nats per character)")
    axes.set_title("A character-level GPT on tinyshakespeare")
    axes.legend()
    axes.grid(True, alpha=0.3)
    return save(figure, path)


def draw_attention_block(model: GPT, corpus: Corpus, out: Path) -> list[Path]:
    """The graph of the first block's attention on 4 characters ("ROME"), with the gradients
    of the sum of its output."""
    idx = torch.tensor([corpus.encode("ROME")])
    block = model.blocks[0]
    with torch.no_grad():  # the attention's input, as the block computes it
        x = block.norm_1(model.token_embedding(idx) + model.position_embedding(torch.arange(4)))
    x.name = "x"
    total = block.attention(x).sum()
    total.backward(retain_all_grads=True)
    try:
        return [torch.render_graph(total, out / "gpt_attention_graph.svg", rankdir="TB")]
    except torch.GraphvizNotFoundError as error:
        print(f"no graph picture: {error}")
        return []
    finally:
        model.zero_grad()  # the picture's gradients are not the training's


def main(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="AdamW steps")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--sample-length", type=int, default=300, help="characters to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "output", help="output folder"
    )
    args = parser.parse_args(argv)

    corpus = load_corpus()
    config = Config(vocab_size=len(corpus.chars))
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)  # batches and sampling
    model = GPT(config)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)
    count = sum(p.numel() for p in model.parameters())
    print(f"GPT: {config.layers} blocks, {config.heads} heads, {count:,} parameters")

    def held_out():
        return estimate_loss(model, random_batches(corpus.val, 4, 32, config.context, generator))

    start = time.perf_counter()
    losses: list[float] = []
    val_losses = [(0, held_out())]
    print(f"step     0: held-out loss {val_losses[0][1]:.3f} (ln 65 = {math.log(65):.3f})")
    every = max(1, args.steps // 5)
    while len(losses) < args.steps:
        count = min(every, args.steps - len(losses))
        batches = random_batches(corpus.train, count, args.batch_size, config.context, generator)
        losses += fit(model, optimizer, batches)
        val_losses.append((len(losses), held_out()))
        recent = np.mean(losses[-count:])
        print(
            f"step {len(losses):5d}: training loss {recent:.3f}, held-out {val_losses[-1][1]:.3f}"
        )
    seconds = time.perf_counter() - start
    print(f"trained in {seconds:.1f} s")

    prompt = torch.tensor([corpus.encode("\n")])
    sample = corpus.decode(model.generate(prompt, args.sample_length, generator)[0].tolist())
    print("A sample:\n" + sample.strip())

    pictures = []
    try:
        pictures.append(plot_losses(losses, val_losses, args.out / "gpt_losses.png"))
    except PictureUnavailable as error:
        print(f"no picture gpt_losses.png: {error}")
    pictures += draw_attention_block(model, corpus, args.out)
    for path in pictures:
        print(f"wrote {path}")
    return Result(losses, val_losses[-1][1], sample, seconds, pictures)


if __name__ == "__main__":
    main()
