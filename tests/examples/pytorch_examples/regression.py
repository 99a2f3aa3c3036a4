"""Polynomial regression in the style of pytorch/examples' regression: one nn.Linear on the
powers of x, the smooth L1 loss, and a hand-written update through `param.data`."""

import torch
import torch.nn as nn
import torch.nn.functional as F

DEGREE = 4


def powers(x):
    """(n,) -> (n, DEGREE): the columns x, x**2, ..., x**DEGREE."""
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, DEGREE + 1)], 1)


def describe(weight, bias):
    """The polynomial as text, e.g. 'y = +1.20 x^1 -0.30 x^2 ... +0.50'."""
    terms = "".join(f"{w:+.2f} x^{i} " for i, w in enumerate(weight, 1))
    return f"y = {terms}{bias[0]:+.2f}"


def main(steps=400, lr=0.1, batch_size=32, seed=0):
    torch.manual_seed(seed)
    true_weight = torch.randn(DEGREE, 1) * 5
    true_bias = torch.randn(1) * 5

    def batch():
        x = powers(torch.randn(batch_size))
        return x, x.mm(true_weight) + true_bias.item()

    fc = nn.Linear(true_weight.size(0), 1)
    losses = []
    for _ in range(steps):
        x, y = batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(x), y)
        losses.append(output.item())
        output.backward()
        for param in fc.parameters():
            param.data.add_(-lr * param.grad)
    return {
        "losses": losses,
        "learned": describe(fc.weight.view(-1), fc.bias),
        "actual": describe(true_weight.view(-1), true_bias),
        "weight": fc.weight.detach().numpy().copy(),
    }
