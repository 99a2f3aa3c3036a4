"""Every op declared once: the table from which the Tensor methods, the `autodiff` functions,
`autodiff.numpy` and `nn.functional` are made (autodiff/surfaces.py makes them at import).

One `Op(...)` per op. Its fields, in the order they are usually given:

- `name`: PyTorch's name. It becomes `Tensor.<name>` (`method=False` to leave it out) and
  `autodiff.<name>` (`function=False` to leave it out); `aliases` are further PyTorch names of
  the same op (`clip` for `clamp`).
- `impl`: what computes it. A primitive (from autodiff/ops/*.py), called on the tensor and on
  the keyword parameters of `args`; or a composite function whose first argument is the
  tensor (autodiff/composite.py, shaping.py, conversion.py), called as its signature says.
- `doc`: the one-line docstring of what the surfaces generate (a composite's own docstring
  serves where it is left out).
- `args`: PyTorch's spelling of the arguments after the tensor. A parameter list as source,
  `"negative_slope: float = 0.01"`, passed to a primitive by keyword under the same names in
  both libraries; `REDUCE`: `dim=None, keepdim=False` (numpy: `axis=None, keepdims=False`),
  each accepting the other library's spelling by keyword, passed on as `axis=, keepdims=`;
  `ALONG`: `dim=-1` (numpy: `axis=-1`), passed on as `axis=`. Left out for a composite, its
  own signature is the spelling.
- `dtype`: what an integer or boolean input becomes. `KEEP`: its dtype stays (abs, sum,
  reshape); `FLOAT`: float-only math, computed in the default float dtype for PyTorch's
  surfaces and in numpy's float (float64 for int64) for `autodiff.numpy`; `MEAN`: numpy reads
  it as float64 (mean, var); `PROMOTE`: a binary op whose two operands are promoted as PyTorch
  does (numpy: as numpy does), `args` naming the second operand; `COMPARE`: the same, for
  comparisons (a boolean result, no gradient).
- `inplace=True`: also `Tensor.<name>_`, which writes the result into the tensor's own array
  and is never recorded (where PyTorch has the in-place form).
- `functional=True`: also `nn.functional.<name>`; `module="ReLU"`: also that nn module.
- `numpy`: `autodiff.numpy`'s name(s) for the same meaning, spelled numpy's way (`"amax"`, or
  `("amax", "max")`); `numpy_args` gives numpy's parameter list, the array first, where its
  names differ (`"a, newshape"`: passed on in order). Where numpy gives the name another
  meaning, `numpy` is the function with numpy's meaning (autodiff/numpy_meaning.py):
  `Op("transpose", shaping.transpose, numpy=numpy_meaning.transpose)`. None: not in numpy.
- `fixed`: parameters the entry fixes (`Tensor.float` is astype with `dtype=float32`).

One name, two meanings: `transpose` (PyTorch swaps two dims, numpy permutes), `max`/`min`
(PyTorch's `max(dim)` gives values and indices, numpy's `max` is `amax`), `std`/`var`
(unbiased in PyTorch, `ddof=0` in numpy), `split` (sizes of pieces, or a number of parts and
cut indices), `squeeze` (a dim not of size 1 is kept, or an error), `matmul` (one dtype, or
promoted), `size` (the shape, or the number of elements: see autodiff/size.py). Each entry
holds PyTorch's meaning and points at numpy's.

Adding an op is one entry here plus its primitive (or composite): with `sinh` in
autodiff/ops/unary.py,

    Op("sinh", unary.sinh, "sinh x, elementwise.", dtype=FLOAT, numpy="sinh", inplace=True),

gives `x.sinh()`, `x.sinh_()`, `autodiff.sinh(x)` and `autodiff.numpy.sinh(x)`; the test
tests/autodiff/test_optable.py checks that each is there, with a signature and a docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff import arithmetic, composite, conversion, numpy_meaning, shaping
from autodiff.ops import compare, elementwise, reduce, unary
from autodiff.primitive import Primitive

KEEP, FLOAT, MEAN, PROMOTE, COMPARE = "keep", "float", "mean", "promote", "compare"


@dataclass(frozen=True)
class Spelling:
    """How the arguments after the tensor are written in each library, how the body reads
    them into the impl's keywords, and which keywords it passes on."""

    torch: str
    numpy: str
    torch_reads: str = ""
    numpy_reads: str = ""
    passes: str = ""


REDUCE = Spelling(
    torch="dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: Any = None",
    numpy="axis: Axis = None, *, keepdims: bool = False, dim: Axis = None, keepdim: bool = False",
    torch_reads="axis, keepdims = _torch_dims({name!r}, dim, keepdim, axis, keepdims)",
    numpy_reads="axis, keepdims = _numpy_dims({name!r}, axis, keepdims, dim, keepdim)",
    passes="axis=axis, keepdims=keepdims",
)
ALONG = Spelling(
    torch="dim: int = -1, *, axis: int | None = None",
    numpy="axis: int = -1",
    torch_reads="axis = dim if axis is None else axis",
    passes="axis=axis",
)


@dataclass(frozen=True)
class Op:
    """One op of the table (see the module's docstring for each field)."""

    name: str
    impl: Primitive | Callable[..., Any]
    doc: str = ""
    args: Spelling | str | None = None
    dtype: str = KEEP
    method: bool = True
    function: bool = True
    inplace: bool = False
    functional: bool = False
    module: str | None = None
    numpy: str | tuple[str, ...] | Callable[..., Any] | None = None
    numpy_args: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


# fmt: off
TABLE = [
    # ----- elementwise ---------------------------------------------------------------------
    Op("exp", unary.exp, "e**x, elementwise.", dtype=FLOAT, numpy="exp", inplace=True),
    Op("log", unary.log, "The natural logarithm, elementwise.", dtype=FLOAT, numpy="log",
       inplace=True),
    Op("sqrt", unary.sqrt, "√x, elementwise.", dtype=FLOAT, numpy="sqrt", inplace=True),
    Op("sin", unary.sin, "sin x, elementwise.", dtype=FLOAT, numpy="sin", inplace=True),
    Op("cos", unary.cos, "cos x, elementwise.", dtype=FLOAT, numpy="cos", inplace=True),
    Op("sinh", unary.sinh, "sinh x, elementwise.", dtype=FLOAT, numpy="sinh", inplace=True),
    Op("cosh", unary.cosh, "cosh x, elementwise.", dtype=FLOAT, numpy="cosh", inplace=True),
    Op("tanh", unary.tanh, "tanh x, elementwise.", dtype=FLOAT, numpy="tanh", inplace=True,
       functional=True, module="Tanh"),
    Op("sigmoid", unary.sigmoid, "1 / (1 + e**-x), elementwise.", dtype=FLOAT,
       numpy="sigmoid", inplace=True, functional=True, module="Sigmoid"),
    Op("softplus", unary.softplus, "log(1 + e**x), elementwise.", dtype=FLOAT,
       numpy="softplus"),
    Op("log_sigmoid", unary.log_sigmoid, "log(1 / (1 + e**-x)), elementwise.", dtype=FLOAT,
       numpy="log_sigmoid"),
    Op("erf", unary.erf, "The error function, elementwise.", dtype=FLOAT, numpy="erf",
       inplace=True),
    Op("abs", unary.abs, "|x|, elementwise.", numpy="abs", inplace=True),
    Op("relu", unary.relu, "max(x, 0), elementwise.", numpy="relu", inplace=True,
       functional=True, module="ReLU"),
    Op("leaky_relu", unary.leaky_relu, "x where x > 0, else negative_slope · x.",
       args="negative_slope: float = 0.01", numpy="leaky_relu", functional=True,
       module="LeakyReLU"),
    Op("clamp", composite.clamp, aliases=("clip",), inplace=True, numpy="clip",
       numpy_args="a, a_min, a_max"),
    Op("maximum", elementwise.maximum, "Elementwise max; at ties each side gets half the "
       "gradient.", dtype=PROMOTE, args="other: Any", numpy="maximum", numpy_args="x1, x2"),
    Op("minimum", elementwise.minimum, "Elementwise min; at ties each side gets half the "
       "gradient.", dtype=PROMOTE, args="other: Any", numpy="minimum", numpy_args="x1, x2"),
    Op("add", arithmetic.add),
    Op("sub", arithmetic.sub, aliases=("subtract",)),
    Op("mul", arithmetic.mul, aliases=("multiply",)),
    Op("div", arithmetic.div, aliases=("divide", "true_divide"), inplace=True),
    Op("neg", arithmetic.neg, aliases=("negative",), inplace=True),
    Op("where", composite.where, method=False, numpy=numpy_meaning.where),
    Op("where", composite.tensor_where, function=False),
    Op("pow", composite.pow, function=False),
    Op("eq", compare.equal, "self == other, elementwise.", dtype=COMPARE, args="other: Any"),
    Op("ne", compare.not_equal, "self != other, elementwise.", dtype=COMPARE, args="other: Any"),
    Op("lt", compare.less, "self < other, elementwise.", dtype=COMPARE, args="other: Any"),
    Op("le", compare.less_equal, "self <= other, elementwise.", dtype=COMPARE, args="other: Any"),
    Op("gt", compare.greater, "self > other, elementwise.", dtype=COMPARE, args="other: Any"),
    Op("ge", compare.greater_equal, "self >= other, elementwise.", dtype=COMPARE,
       args="other: Any"),
    # ----- linear algebra and losses ---------------------------------------------------------
    Op("matmul", composite.matmul, numpy=numpy_meaning.matmul),
    Op("linear", composite.linear, method=False, functional=True),
    Op("softmax_cross_entropy", composite.softmax_cross_entropy, method=False),
    # ----- fused layers ----------------------------------------------------------------------
    Op("layer_norm", composite.layer_norm, method=False),
    Op("lstm_gates", composite.lstm_gates, method=False),
    Op("gru_gates", composite.gru_gates, method=False),
    # ----- reductions ------------------------------------------------------------------------
    Op("sum", reduce.sum, "The sum over `dim` (all elements if None).", REDUCE, numpy="sum"),
    Op("mean", composite.mean, args=REDUCE, dtype=MEAN, numpy="mean"),
    Op("var", composite.var, numpy=numpy_meaning.var),
    Op("std", composite.std, numpy=numpy_meaning.std),
    Op("max", composite.max),  # numpy's max is amax
    Op("min", composite.min),  # numpy's min is amin
    Op("amax", reduce.max, "The largest values over `dim` (one or several dims); ties share "
       "the gradient.", REDUCE, numpy=("amax", "max")),
    Op("amin", reduce.min, "The smallest values over `dim` (one or several dims); ties share "
       "the gradient.", REDUCE, numpy=("amin", "min")),
    Op("prod", composite.prod, args=REDUCE, numpy="prod"),
    Op("norm", composite.norm),
    Op("logsumexp", reduce.logsumexp, "log Σ e**x over `dim`, finite for inputs of any size.",
       REDUCE, dtype=FLOAT, numpy="logsumexp"),
    Op("softmax", reduce.softmax, "e**x / Σ e**x along `dim` (shifted by the max, so large "
       "logits stay finite).", ALONG, dtype=FLOAT, numpy="softmax", functional=True,
       module="Softmax"),
    Op("log_softmax", reduce.log_softmax, "x - logsumexp(x) along `dim`: finite for logits "
       "of any size.", ALONG, dtype=FLOAT, numpy="log_softmax", functional=True,
       module="LogSoftmax"),
    Op("argmax", compare.argmax, "The index of the largest value along `dim` (of the "
       "flattened tensor if None).", REDUCE, numpy="argmax"),
    Op("argmin", compare.argmin, "The index of the smallest value along `dim` (of the "
       "flattened tensor if None).", REDUCE, numpy="argmin"),
    # ----- shape -----------------------------------------------------------------------------
    Op("reshape", shaping.reshape, numpy="reshape", numpy_args="a, newshape"),
    Op("view", shaping.view, function=False),
    Op("view_as", shaping.view_as, function=False),
    Op("reshape_as", shaping.view_as, function=False),
    Op("transpose", shaping.transpose, numpy=numpy_meaning.transpose),
    Op("swapaxes", shaping.swapaxes, numpy="swapaxes"),
    Op("permute", shaping.permute),
    Op("flatten", shaping.flatten),
    Op("squeeze", shaping.squeeze, numpy=numpy_meaning.squeeze),
    Op("unsqueeze", shaping.unsqueeze, numpy="expand_dims", numpy_args="a, axis"),
    Op("broadcast_to", shaping.broadcast_to, numpy="broadcast_to", numpy_args="array, shape"),
    Op("expand_as", shaping.expand_as, function=False),
    Op("split", shaping.split, numpy=numpy_meaning.split),
    Op("split_at", shaping.split_at, function=False),
    Op("unbind", shaping.unbind),
    Op("take_along_axis", shaping.take_along_axis, function=False, numpy="take_along_axis",
       numpy_args="arr, indices, axis"),
    Op("gather", shaping.gather, function=False),
    Op("cat", composite.cat, method=False, aliases=("concatenate",),
       numpy=numpy_meaning.concatenate),
    Op("stack", composite.stack, method=False, numpy=numpy_meaning.stack),
    # ----- dtype and device ------------------------------------------------------------------
    Op("astype", conversion.astype, function=False, numpy="astype", numpy_args="x, dtype"),
    Op("to", conversion.to, function=False),
    Op("float", conversion.astype, "float32 values (recorded).", function=False,
       fixed={"dtype": np.float32}),
    Op("double", conversion.astype, "float64 values (recorded).", function=False,
       fixed={"dtype": np.float64}),
    Op("half", conversion.astype, "float16 values (recorded).", function=False,
       fixed={"dtype": np.float16}),
    Op("long", conversion.astype, "int64 values (no gradient).", function=False,
       fixed={"dtype": np.int64}),
    Op("int", conversion.astype, "int32 values (no gradient).", function=False,
       fixed={"dtype": np.int32}),
    Op("bool", conversion.astype, "Boolean values (no gradient).", function=False,
       fixed={"dtype": np.bool_}),
    Op("cpu", conversion.unchanged, "self: the values already live on the CPU.",
       function=False),
    Op("contiguous", conversion.unchanged, "self (every tensor is laid out as numpy chooses).",
       function=False),
    Op("cuda", conversion.cuda, function=False),
    Op("clone", conversion.clone),
    Op("numel", conversion.numel),
    Op("dim", conversion.dim, function=False),
    Op("is_tensor", composite.is_tensor, method=False),
]
# fmt: on
