"""A short expression demo: build an expression, backpropagate, print the gradients."""

import autodiff as ad

a = ad.Tensor(-4.0, requires_grad=True, name="a")
b = ad.Tensor(2.0, requires_grad=True, name="b")
c = a * b + b**3
loss = (c - a).relu() + c.tanh()
loss.backward()
print(f"loss = {loss.item():.4f}")
print(f"dloss/da = {a.grad.item():.4f}, dloss/db = {b.grad.item():.4f}")
