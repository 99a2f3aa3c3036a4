"""The floor: a hand-written numpy MLP (ReLU, softmax cross-entropy) with SGD and Adam.

What an engine cannot beat on the same BLAS: the forward and backward written out by hand,
with the softmax-cross-entropy gradient fused (softmax - one_hot), no gradient for the input
batch (the first layer's `x.T @ g` is the only product with x), every activation, gradient
and optimizer buffer allocated once and reused, and in-place parameter updates (Adam's
included: a fixed sequence of in-place ufuncs into one scratch buffer per parameter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


class NumpyMLP:
    """784-H-10 ReLU network; weights stored (in, out) so that the forward is x @ w."""

    def __init__(
        self,
        layers: Sequence[tuple[np.ndarray, np.ndarray]],
        optimizer: str,
        lr: float,
        max_batch: int,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        (w1, b1), (w2, b2) = layers  # PyTorch layout: weight (out, in)
        self.w1 = np.ascontiguousarray(w1.T)
        self.b1 = b1.copy()
        self.w2 = np.ascontiguousarray(w2.T)
        self.b2 = b2.copy()
        self.params = [self.w1, self.b1, self.w2, self.b2]
        self.grads = [np.empty_like(p) for p in self.params]
        hidden, classes = self.w1.shape[1], self.w2.shape[1]
        dtype = self.w1.dtype
        self.h = np.empty((max_batch, hidden), dtype)  # hidden activations, then reused
        self.z = np.empty((max_batch, classes), dtype)  # logits, then their gradient
        self.gh = np.empty((max_batch, hidden), dtype)  # gradient at the hidden layer
        self.mask = np.empty((max_batch, hidden), bool)
        self.rows = np.arange(max_batch)
        self.optimizer = optimizer
        self.lr = lr
        if optimizer == "adam":
            self.betas, self.eps, self.t = betas, eps, 0
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
            self.scratch = [np.empty_like(p) for p in self.params]
        elif optimizer != "sgd":
            raise ValueError(f"NumpyMLP: optimizer must be 'sgd' or 'adam', got {optimizer!r}")

    def layers(self) -> list[np.ndarray]:
        """The parameters in PyTorch layout: w1 (out, in), b1, w2 (out, in), b2."""
        return [self.w1.T, self.b1, self.w2.T, self.b2]

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One SGD/Adam step on the mean cross-entropy of the batch (x, y)."""
        n = len(x)
        h, z, gh, mask = self.h[:n], self.z[:n], self.gh[:n], self.mask[:n]
        gw1, gb1, gw2, gb2 = self.grads
        np.matmul(x, self.w1, out=h)
        h += self.b1
        np.maximum(h, 0, out=h)
        np.matmul(h, self.w2, out=z)
        z += self.b2
        # d(mean CE)/dz = (softmax(z) - one_hot(y)) / n, computed in place in z
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z *= 1 / z.sum(axis=1, keepdims=True)
        z[self.rows[:n], y] -= 1
        z *= 1 / n
        np.matmul(h.T, z, out=gw2)
        np.sum(z, axis=0, out=gb2)
        np.matmul(z, self.w2.T, out=gh)
        np.greater(h, 0, out=mask)
        gh *= mask
        np.matmul(x.T, gh, out=gw1)  # the only product with x: no gradient for the input
        np.sum(gh, axis=0, out=gb1)
        if self.optimizer == "sgd":
            for p, g in zip(self.params, self.grads):
                g *= self.lr
                p -= g
        else:
            self._adam()

    def _adam(self) -> None:
        """PyTorch's Adam (no weight decay), in place: 12 ufunc passes per parameter, no allocation.

        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;
        p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
          = step * m / (sqrt(v) + eps * sqrt(1 - b2^t)),  step = lr sqrt(1 - b2^t) / (1 - b1^t)
        """
        beta1, beta2 = self.betas
        self.t += 1
        correction2 = math.sqrt(1 - beta2**self.t)
        step = self.lr * correction2 / (1 - beta1**self.t)
        eps = self.eps * correction2
        for p, g, m, v, s in zip(self.params, self.grads, self.m, self.v, self.scratch):
            m *= beta1
            np.multiply(g, 1 - beta1, out=s)
            m += s
            v *= beta2
            np.multiply(g, g, out=s)
            s *= 1 - beta2
            v += s
            np.sqrt(v, out=s)
            s += eps
            np.divide(m, s, out=s)
            s *= step
            p -= s

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class indices (argmax of the logits)."""
        h = np.maximum(x @ self.w1 + self.b1, 0)
        return (h @ self.w2 + self.b2).argmax(axis=1)
