"""autodiff: reverse-mode automatic differentiation on numpy arrays."""

from autodiff.anomaly import detect_anomaly
from autodiff.draw import GraphvizNotFoundError, draw_graph, render_graph
from autodiff.errors import DTypeError, GradientError, ShapeError
from autodiff.functional import grad, hessian, jacobian, jvp, value_and_grad, vjp
from autodiff.functions import *  # noqa: F403 - the ops as free functions
from autodiff.functions import __all__ as _functions
from autodiff.gradcheck import gradcheck
from autodiff.listing import print_tape, tape_listing, trace_backward
from autodiff.ops.conv import avg_pool2d, conv2d, conv_transpose2d, max_pool2d, pad
from autodiff.primitive import Sample, primitive
from autodiff.serialization import load, load_arrays, save
from autodiff.tape import enable_grad, is_grad_enabled, no_grad, scope
from autodiff.tensor import Tensor, get_default_dtype, set_default_dtype
from autodiff.threads import get_num_threads, set_num_threads

__all__ = [
    "DTypeError",
    "GradientError",
    "GraphvizNotFoundError",
    "Sample",
    "ShapeError",
    "Tensor",
    "avg_pool2d",
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
    "pad",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "load",
    "load_arrays",
    "save",
    "value_and_grad",
    "vjp",
    "get_default_dtype",
    "get_num_threads",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "primitive",
    "print_tape",
    "render_graph",
    "scope",
    "set_default_dtype",
    "set_num_threads",
    "tape_listing",
    "trace_backward",
    *_functions,
]
