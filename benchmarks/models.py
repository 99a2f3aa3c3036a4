"""The models learners train next, each written once in PyTorch's style.

Every model is built by a function of a namespace `ns` with PyTorch's four names: `ns.torch`,
`ns.nn`, `ns.F` and `ns.optim`. `namespace("torch")` fills it with PyTorch, `namespace("engine")`
with autodiff and nn (`import autodiff as torch`), so the same lines run on both.

- mlp: makemore's MLP over character embeddings (the context as shifted copies of the
  sequence, their embeddings concatenated, one tanh hidden layer).
- transformer: makemore's Transformer (causal self-attention written out, GELU as
  0.5 x (1 + tanh(...x**3...)), pre-norm blocks).
- gpt: the small GPT of "let's build GPT" (one module per attention head, their outputs
  concatenated; ReLU feed-forward).
- lstm, gru: a word language model (embedding, two recurrent layers, a decoder), the recurrent
  layers being nn.LSTM / nn.GRU when `layers` says the engine has them, else the cells below.
- cnn: pytorch/examples' MNIST Net without dropout (both sides then compute the same numbers).

Each spec gives the model, its configuration and how to draw its batches from a seed: the
batches are numpy arrays, the same on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np


def namespace(impl: str) -> SimpleNamespace:
    """torch, nn, F and optim of `impl` ("engine" or "torch")."""
    if impl == "torch":
        import torch

        return SimpleNamespace(torch=torch, nn=torch.nn, F=torch.nn.functional, optim=torch.optim)
    import autodiff
    import nn
    import nn.functional
    import nn.optim

    return SimpleNamespace(torch=autodiff, nn=nn, F=nn.functional, optim=nn.optim)


def engine_has(*names: str) -> bool:
    """Whether the engine's nn has every one of these layers."""
    import nn

    return all(hasattr(nn, name) for name in names)


# ----- makemore's MLP ---------------------------------------------------------------------------


def mlp_model(ns: SimpleNamespace, c: dict[str, Any]) -> Any:
    torch, nn = ns.torch, ns.nn

    class MLP(nn.Module):
        """Each position sees the `context` characters before it, their embeddings side by side."""

        def __init__(self) -> None:
            super().__init__()
            self.vocab_size = c["vocab"]
            self.context = c["context"]
            self.wte = nn.Embedding(c["vocab"] + 1, c["n_embd"])  # one more: the blank token
            self.mlp = nn.Sequential(
                nn.Linear(c["context"] * c["n_embd"], c["n_hidden"]),
                nn.Tanh(),
                nn.Linear(c["n_hidden"], c["vocab"]),
            )

        def forward(self, idx: Any) -> Any:
            embs = []
            for _ in range(self.context):
                embs.append(self.wte(idx))
                blank = torch.full((idx.shape[0], 1), self.vocab_size, dtype=torch.long)
                idx = torch.cat([blank, idx[:, :-1]], dim=1)  # shift right by one
            return self.mlp(torch.cat(embs, -1))

    return MLP()


# ----- makemore's Transformer -------------------------------------------------------------------


def transformer_model(ns: SimpleNamespace, c: dict[str, Any]) -> Any:
    torch, nn, F = ns.torch, ns.nn, ns.F

    class NewGELU(nn.Module):
        def forward(self, x: Any) -> Any:
            inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3.0)
            return 0.5 * x * (1.0 + torch.tanh(inner))

    class CausalSelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"])
            self.c_proj = nn.Linear(c["n_embd"], c["n_embd"])
            self.n_head, self.n_embd = c["n_head"], c["n_embd"]
            self.mask = causal_mask(torch, c["block"])

        def forward(self, x: Any) -> Any:
            B, T, C = x.shape  # noqa: N806 - the names every attention tutorial uses
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
            att = F.softmax(att + self.mask[:T, :T], dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(c["n_embd"])
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(c["n_embd"])
            self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"])
            self.act = NewGELU()
            self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"])

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.c_proj(self.act(self.c_fc(self.ln_2(x))))

    class Transformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(c["vocab"], c["n_embd"])
            self.wpe = nn.Embedding(c["block"], c["n_embd"])
            self.h = nn.ModuleList([Block() for _ in range(c["n_layer"])])
            self.ln_f = nn.LayerNorm(c["n_embd"])
            self.lm_head = nn.Linear(c["n_embd"], c["vocab"], bias=False)

        def forward(self, idx: Any) -> Any:
            t = idx.shape[1]
            pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return Transformer()


def causal_mask(torch: Any, block: int) -> Any:
    """(block, block): 0 on and below the diagonal, -inf above, added to attention scores."""
    above = np.triu(np.ones((block, block), dtype=bool), k=1)
    return torch.tensor(np.where(above, -np.inf, 0.0).astype(np.float32))


# ----- "let's build GPT" ------------------------------------------------------------------------


def gpt_model(ns: SimpleNamespace, c: dict[str, Any]) -> Any:
    torch, nn, F = ns.torch, ns.nn, ns.F
    head_size = c["n_embd"] // c["n_head"]

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.key = nn.Linear(c["n_embd"], head_size, bias=False)
            self.query = nn.Linear(c["n_embd"], head_size, bias=False)
            self.value = nn.Linear(c["n_embd"], head_size, bias=False)
            self.mask = causal_mask(torch, c["block"])

        def forward(self, x: Any) -> Any:
            _, T, C = x.shape  # noqa: N806
            k, q = self.key(x), self.query(x)
            wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            wei = F.softmax(wei + self.mask[:T, :T], dim=-1)
            return wei @ self.value(x)

    class MultiHeadAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = nn.ModuleList([Head() for _ in range(c["n_head"])])
            self.proj = nn.Linear(head_size * c["n_head"], c["n_embd"])

        def forward(self, x: Any) -> Any:
            return self.proj(torch.cat([h(x) for h in self.heads], dim=-1))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.sa = MultiHeadAttention()
            self.ffwd = nn.Sequential(
                nn.Linear(c["n_embd"], 4 * c["n_embd"]),
                nn.ReLU(),
                nn.Linear(4 * c["n_embd"], c["n_embd"]),
            )
            self.ln1 = nn.LayerNorm(c["n_embd"])
            self.ln2 = nn.LayerNorm(c["n_embd"])

        def forward(self, x: Any) -> Any:
            x = x + self.sa(self.ln1(x))
            return x + self.ffwd(self.ln2(x))

    class GPTLanguageModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.token_embedding_table = nn.Embedding(c["vocab"], c["n_embd"])
            self.position_embedding_table = nn.Embedding(c["block"], c["n_embd"])
            self.blocks = nn.Sequential(*[Block() for _ in range(c["n_layer"])])
            self.ln_f = nn.LayerNorm(c["n_embd"])
            self.lm_head = nn.Linear(c["n_embd"], c["vocab"])

        def forward(self, idx: Any) -> Any:
            _, T = idx.shape  # noqa: N806
            x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T))
            return self.lm_head(self.ln_f(self.blocks(x)))

    return GPTLanguageModel()


# ----- word language models ---------------------------------------------------------------------


def rnn_model(ns: SimpleNamespace, c: dict[str, Any]) -> Any:
    """A word language model over `c["cell"]` ("LSTM" or "GRU"), sequence-first as in
    pytorch/examples; nn's layer where c["layers"] says the engine has it, else the cells."""
    torch, nn = ns.torch, ns.nn
    if c["layers"]:
        recurrent = getattr(nn, c["cell"])(c["n_embd"], c["n_hidden"], c["n_layer"])
    else:
        recurrent = handwritten_rnn(ns, c)

    class RNNModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Embedding(c["vocab"], c["n_embd"])
            self.rnn = recurrent
            self.decoder = nn.Linear(c["n_hidden"], c["vocab"])

        def forward(self, idx: Any) -> Any:
            output, _ = self.rnn(self.encoder(idx))
            return self.decoder(output)

    del torch
    return RNNModel()


def handwritten_rnn(ns: SimpleNamespace, c: dict[str, Any]) -> Any:
    """Stacked LSTM or GRU layers over (T, B, input), the gates as PyTorch orders them, with
    PyTorch's parameter names and init: U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    torch, nn = ns.torch, ns.nn
    gates = {"LSTM": 4, "GRU": 3}[c["cell"]]
    hidden = c["n_hidden"]

    class Recurrent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            bound = 1 / math.sqrt(hidden)
            for layer in range(c["n_layer"]):
                fan_in = c["n_embd"] if layer == 0 else hidden
                for name, shape in (
                    (f"weight_ih_l{layer}", (gates * hidden, fan_in)),
                    (f"weight_hh_l{layer}", (gates * hidden, hidden)),
                    (f"bias_ih_l{layer}", (gates * hidden,)),
                    (f"bias_hh_l{layer}", (gates * hidden,)),
                ):
                    setattr(self, name, nn.Parameter(torch.rand(*shape) * (2 * bound) - bound))

        def forward(self, x: Any) -> Any:
            batch = x.shape[1]
            for layer in range(c["n_layer"]):
                w_ih, w_hh = (
                    getattr(self, f"weight_ih_l{layer}"),
                    getattr(self, f"weight_hh_l{layer}"),
                )
                b_ih, b_hh = getattr(self, f"bias_ih_l{layer}"), getattr(self, f"bias_hh_l{layer}")
                h = torch.zeros(batch, hidden)
                cell = torch.zeros(batch, hidden)
                outputs = []
                for t in range(x.shape[0]):
                    if c["cell"] == "LSTM":
                        gi = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
                        i, f, g, o = gi.split(hidden, dim=1)
                        cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
                        h = torch.sigmoid(o) * torch.tanh(cell)
                    else:
                        ir, iz, in_ = (x[t] @ w_ih.T + b_ih).split(hidden, dim=1)
                        hr, hz, hn = (h @ w_hh.T + b_hh).split(hidden, dim=1)
                        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                        n = torch.tanh(in_ + r * hn)
                        h = (1 - z) * n + z * h
                    outputs.append(h)
                x = torch.stack(outputs, 0)
            return x, None

    return Recurrent()


# ----- pytorch/examples' MNIST CNN ----------------------------------------------------------------


def cnn_model(ns: SimpleNamespace, c: dict[str, Any]) -> Any:
    torch, nn, F = ns.torch, ns.nn, ns.F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
            x = torch.flatten(F.max_pool2d(x, 2), 1)
            return self.fc2(F.relu(self.fc1(x)))

    return Net()


# ----- batches and the specs -------------------------------------------------------------------


def token_batches(c: dict[str, Any], seed: int, count: int) -> list[tuple[np.ndarray, ...]]:
    """`count` (inputs, targets) pairs of random tokens; targets are the inputs shifted by
    one, as a language model reads text. Sequence-first where c["seq_first"]."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        tokens = rng.integers(0, c["vocab"], (c["batch"], c["block"] + 1))
        x, y = tokens[:, :-1], tokens[:, 1:]
        if c.get("seq_first"):
            x, y = x.T, y.T
        batches.append((np.ascontiguousarray(x), np.ascontiguousarray(y)))
    return batches


def image_batches(c: dict[str, Any], seed: int, count: int) -> list[tuple[np.ndarray, ...]]:
    """`count` (images, labels) pairs: uniform pixels in [0, 1), random labels."""
    rng = np.random.default_rng(seed)
    return [
        (
            rng.random((c["batch"], 1, 28, 28), dtype=np.float32),
            rng.integers(0, 10, c["batch"]),
        )
        for _ in range(count)
    ]


@dataclass(frozen=True)
class Spec:
    """A model of the section: its label, how to build it, its sizes, how to draw batches."""

    label: str
    build: Callable[[SimpleNamespace, dict[str, Any]], Any]
    config: dict[str, Any]
    quick: dict[str, Any]
    batches: Callable[[dict[str, Any], int, int], list[tuple[np.ndarray, ...]]]
    target: float  # the engine/torch step-time ratio aimed at


SPECS = {
    "mlp": Spec(
        "makemore MLP over embeddings",
        mlp_model,
        {"vocab": 27, "context": 16, "n_embd": 64, "n_hidden": 64, "block": 16, "batch": 32},
        {"vocab": 27, "context": 3, "n_embd": 4, "n_hidden": 8, "block": 5, "batch": 2},
        token_batches,
        1.2,
    ),
    "transformer": Spec(
        "makemore Transformer",
        transformer_model,
        {"vocab": 27, "n_layer": 4, "n_head": 4, "n_embd": 64, "block": 16, "batch": 32},
        {"vocab": 27, "n_layer": 1, "n_head": 2, "n_embd": 8, "block": 5, "batch": 2},
        token_batches,
        1.5,
    ),
    "gpt": Spec(
        '"let\'s build GPT"',
        gpt_model,
        {"vocab": 65, "n_layer": 2, "n_head": 4, "n_embd": 64, "block": 32, "batch": 16},
        {"vocab": 65, "n_layer": 1, "n_head": 2, "n_embd": 8, "block": 5, "batch": 2},
        token_batches,
        1.2,
    ),
    "lstm": Spec(
        "word language model, LSTM",
        rnn_model,
        {"cell": "LSTM", "vocab": 2000, "n_embd": 32, "n_hidden": 32, "n_layer": 2},
        {"cell": "LSTM", "vocab": 50, "n_embd": 4, "n_hidden": 4, "n_layer": 2},
        token_batches,
        1.2,
    ),
    "gru": Spec(
        "word language model, GRU",
        rnn_model,
        {"cell": "GRU", "vocab": 2000, "n_embd": 32, "n_hidden": 32, "n_layer": 2},
        {"cell": "GRU", "vocab": 50, "n_embd": 4, "n_hidden": 4, "n_layer": 2},
        token_batches,
        1.5,
    ),
    "cnn": Spec(
        "MNIST CNN",
        cnn_model,
        {"batch": 64},
        {"batch": 2},
        image_batches,
        1.3,
    ),
}
for _name in ("lstm", "gru"):  # sequence-first, 35 steps of 20 sequences as in the example
    SPECS[_name].config.update(block=35, batch=20, seq_first=True)
    SPECS[_name].quick.update(block=4, batch=2, seq_first=True)


def config(name: str, quick: bool) -> dict[str, Any]:
    """The sizes of model `name`, with whether the engine has the recurrent layers it uses."""
    spec = SPECS[name]
    c = dict(spec.quick if quick else spec.config)
    if "cell" in c:
        c["layers"] = engine_has(c["cell"])
    return c


def loss_of(ns: SimpleNamespace, name: str, model: Any, batch: tuple[Any, Any]) -> Any:
    """The mean cross-entropy of the model's logits against the batch's targets."""
    x, y = batch
    logits = model(x)
    return ns.F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
