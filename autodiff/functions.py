"""The ops as free functions with PyTorch's names and meanings: autodiff.exp(x),
autodiff.cat([a, b], dim=1), autodiff.max(x, dim) giving (values, indices), ...

So `import autodiff as torch` runs PyTorch code with its meaning unchanged. Reductions also
accept numpy's axis/keepdims spellings, with the same meaning; autodiff.numpy has numpy's.
Every function here is made from its entry in the op table (autodiff/optable.py).
"""

from autodiff.surfaces import ops_for

_FUNCTIONS = ops_for("autodiff")
globals().update(_FUNCTIONS)

__all__ = sorted(_FUNCTIONS)
