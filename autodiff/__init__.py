"""autodiff: reverse-mode automatic differentiation on numpy arrays.

The top-level namespace speaks PyTorch (`import autodiff as torch`); `autodiff.numpy` speaks
numpy (`import autodiff.numpy as np`).
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

from autodiff import accelerator, backends, cuda
from autodiff import aliases as _aliases
from autodiff.allocator import keep_freed_memory as _keep_freed_memory
from autodiff.anomaly import detect_anomaly
from autodiff.composite import einsum
from autodiff.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from autodiff.device import device
from autodiff.dtypes import *  # noqa: F403 - float32, long, ...
from autodiff.dtypes import BUILTIN_NAMES as _BUILTIN_NAMES
from autodiff.dtypes import __all__ as _dtypes
from autodiff.dtypes import get_default_dtype, set_default_dtype
from autodiff.errors import DimError, DTypeError, GradientError, ShapeError
from autodiff.functional import grad, hessian, jacobian, jvp, value_and_grad, vjp
from autodiff.functions import *  # noqa: F403 - the ops as free functions
from autodiff.functions import __all__ as _functions
from autodiff.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from autodiff.gradcheck import gradcheck
from autodiff.ops.conv import avg_pool2d, conv2d, conv_transpose2d, max_pool2d, pad
from autodiff.primitive import Context, Sample, constant, primitive
from autodiff.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from autodiff.size import Size
from autodiff.surfaces import ops_for
from autodiff.tape import scope
from autodiff.tensor import Tensor
from autodiff.threads import get_num_threads, set_num_threads

if _TYPE_CHECKING:  # for readers and checkers: the names __getattr__ imports on first use
    from autodiff import numpy as numpy
    from autodiff.draw import GraphvizNotFoundError, draw_graph, render_graph
    from autodiff.listing import print_tape, tape_listing, trace_backward
    from autodiff.serialization import load, load_arrays, save
    from autodiff.watch import BackwardWatch, watch_backward

# autodiff.float, autodiff.int, autodiff.bool: PyTorch's dtype names, kept out of `import *`
# so that they never shadow Python's builtins.
globals().update(_BUILTIN_NAMES)

_keep_freed_memory()  # a step's arrays reuse the last step's memory (see autodiff/allocator.py)
_aliases.install()
_LAZY = ("nn", "optim", "utils")  # PyTorch's torch.nn, torch.optim, torch.utils.data

# Imported on first use, not with autodiff: pictures, listings, the backward watch and files
# are rarely needed, and their modules (with subprocess, json, zipfile, html, tempfile) were a
# third of autodiff's import time. autodiff.numpy is made from the op table when first used.
_ON_USE = {
    "numpy": "autodiff.numpy",  # the numpy-speaking namespace, kept out of `import *`
    "autograd": "autodiff.autograd",  # PyTorch's torch.autograd
    "linalg": "autodiff.linalg",  # PyTorch's torch.linalg (its norms)
    "GraphvizNotFoundError": "autodiff.draw",
    "draw_graph": "autodiff.draw",
    "render_graph": "autodiff.draw",
    "print_tape": "autodiff.listing",
    "tape_listing": "autodiff.listing",
    "trace_backward": "autodiff.listing",
    "load": "autodiff.serialization",
    "load_arrays": "autodiff.serialization",
    "save": "autodiff.serialization",
    "BackwardWatch": "autodiff.watch",
    "watch_backward": "autodiff.watch",
}


def __getattr__(name: str) -> object:
    """autodiff.nn, autodiff.optim and autodiff.utils: the nn package's, imported on first use;
    and the names of _ON_USE, from their modules imported on first use."""
    if name in _LAZY:
        return _aliases.module(name)
    if name in _ON_USE:
        module = _importlib.import_module(_ON_USE[name])
        value = module if name in ("numpy", "autograd", "linalg") else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'autodiff' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_USE})


__all__ = [
    "accelerator",
    "inference_mode",
    "BackwardWatch",
    "Context",
    "DimError",
    "DTypeError",
    "Generator",
    "GradientError",
    "GraphvizNotFoundError",
    "Sample",
    "ShapeError",
    "Size",
    "Tensor",
    "arange",
    "as_tensor",
    "avg_pool2d",
    "backends",
    "constant",
    "conv2d",
    "conv_transpose2d",
    "cuda",
    "default_generator",
    "detect_anomaly",
    "device",
    "draw_graph",
    "einsum",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "get_num_threads",
    "linspace",
    "load",
    "load_arrays",
    "manual_seed",
    "max_pool2d",
    "no_grad",
    "ones",
    "ones_like",
    "ops_for",
    "pad",
    "primitive",
    "print_tape",
    "rand",
    "randint",
    "randn",
    "render_graph",
    "scope",
    "save",
    "set_default_dtype",
    "set_num_threads",
    "tape_listing",
    "tensor",
    "trace_backward",
    "value_and_grad",
    "vjp",
    "watch_backward",
    "zeros",
    "zeros_like",
    "set_grad_enabled",
    "set_rng_state",
    "seed",
    "randperm",
    "randn_like",
    "randint_like",
    "rand_like",
    "normal",
    "initial_seed",
    "get_rng_state",
    *_dtypes,
    *_functions,
]
