"""Every op declared once: the table from which the Tensor methods, the `autodiff` functions,
`autodiff.numpy` and `nn.functional` are made (autodiff/surfaces.py makes them).

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
  `ALONG`: `dim=-1` (numpy: `axis=-1`), passed on as `axis=`; `VARIANCE`: REDUCE and
  PyTorch's `unbiased`/`correction` (numpy's `ddof=0`), passed on as `ddof=`. Left out for
  a composite, its own signature is the spelling.
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
- `property=True`: a read-only Tensor property (`x.T`, `x.device`) instead of a method.
- `fixed`: parameters the entry fixes (`Tensor.float` is astype with `dtype=float32`;
  `Tensor.__iadd__` is inplace.augmented with `op="+="`).

One name, two meanings: `transpose` (PyTorch swaps two dims, numpy permutes), `max`/`min`
(PyTorch's `max(dim)` gives values and indices, numpy's `max` is `amax`), `std`/`var`
(unbiased in PyTorch, `ddof=0` in numpy: VARIANCE's two defaults), `split` (sizes of pieces,
or a number of parts and cut indices), `squeeze` (a dim not of size 1 is kept, or an error),
`matmul` (one dtype, or promoted), `size` (the shape, or the number of elements: see
autodiff/size.py). Each entry holds PyTorch's meaning and points at numpy's.

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

from autodiff import arithmetic, composite, conversion, inplace, numpy_meaning, random, shaping, xp
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
VARIANCE = Spelling(
    torch="dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *, "
    "correction: float | None = None, axis: Axis = None, keepdims: Any = None, "
    "ddof: float | None = None",
    numpy="axis: Axis = None, *, ddof: float = 0, keepdims: bool = False, dim: Axis = None, "
    "keepdim: bool = False",
    torch_reads="axis, keepdims = _torch_dims({name!r}, dim, keepdim, axis, keepdims)\n"
    "ddof = _correction(unbiased, correction, ddof)",
    numpy_reads="axis, keepdims = _numpy_dims({name!r}, axis, keepdims, dim, keepdim)",
    passes="axis=axis, keepdims=keepdims, ddof=ddof",
)
SUMMED = Spelling(  # REDUCE and dtype=, the dtype x is converted to before the sum
    torch="dim: Axis = None, keepdim: bool = False, *, dtype: Any = None, axis: Axis = None, "
    "keepdims: Any = None",
    numpy="axis: Axis = None, dtype: Any = None, *, keepdims: bool = False, dim: Axis = None, "
    "keepdim: bool = False",
    torch_reads=REDUCE.torch_reads,
    numpy_reads=REDUCE.numpy_reads,
    passes="axis=axis, keepdims=keepdims, dtype=dtype",
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
    property: bool = False


def _cast(name: str, dtype: Any, doc: str) -> Op:
    """Tensor.<name>(): astype(dtype), one of PyTorch's shorthands (x.float(), x.long())."""
    return Op(name, conversion.astype, doc, function=False, fixed={"dtype": dtype})


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
    Op("elu", composite.elu, method=False, function=False, functional=True, module="ELU"),
    Op("selu", composite.selu, method=False, function=False, functional=True, module="SELU"),
    Op("celu", composite.celu, method=False, function=False, functional=True, module="CELU"),
    Op("softplus", composite.softplus, method=False, function=False, functional=True,
       module="Softplus"),
    Op("logsigmoid", composite.logsigmoid, method=False, function=False, functional=True,
       module="LogSigmoid"),
    Op("hardtanh", composite.hardtanh, method=False, function=False, functional=True),
    # nn.Hardtanh: nn/activations.py (it checks min_val < max_val when made, as PyTorch's)
    Op("relu6", composite.relu6, method=False, function=False, functional=True,
       module="ReLU6"),
    Op("softsign", composite.softsign, method=False, function=False, functional=True,
       module="Softsign"),
    Op("hardsigmoid", composite.hardsigmoid, method=False, function=False, functional=True,
       module="Hardsigmoid"),
    Op("hardswish", composite.hardswish, method=False, function=False, functional=True,
       module="Hardswish"),
    Op("mish", composite.mish, method=False, function=False, functional=True, module="Mish"),
    Op("glu", composite.glu, method=False, function=False, functional=True, module="GLU"),
    Op("prelu", composite.prelu, method=False, functional=True),
    Op("floor", unary.floor, "⌊x⌋, elementwise (zero gradient; an integer input is kept).",
       numpy="floor", inplace=True),
    Op("ceil", unary.ceil, "⌈x⌉, elementwise (zero gradient; an integer input is kept).",
       numpy="ceil", inplace=True),
    Op("trunc", unary.trunc, "x rounded toward 0, elementwise (zero gradient).",
       numpy="trunc", inplace=True, aliases=("fix",)),
    Op("round", unary.round, "x rounded to `decimals` places, halves to even, elementwise "
       "(zero gradient).", Spelling(torch="*, decimals: int = 0", numpy="decimals: int = 0"),
       numpy="round", inplace=True),
    # not in autodiff.numpy: numpy's sign of NaN is NaN, PyTorch's (this primitive's) is 0
    Op("sign", unary.sign, "-1, 0 or 1 as x is negative, zero or positive (zero gradient).",
       inplace=True),
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
    Op("square", arithmetic.square, inplace=True),
    Op("reciprocal", arithmetic.reciprocal, inplace=True),
    Op("rsqrt", arithmetic.rsqrt, inplace=True),
    Op("lerp", arithmetic.lerp, inplace=True),
    Op("addcmul", arithmetic.addcmul, inplace=True),
    Op("addcdiv", arithmetic.addcdiv, inplace=True),
    Op("addmm", arithmetic.addmm),
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
    Op("sum", composite.total, "The sum over `dim` (all elements if None), of the input "
       "converted to `dtype` first where one is given.", SUMMED, numpy="sum"),
    Op("mean", composite.mean, args=SUMMED, dtype=MEAN, numpy="mean"),
    Op("var", composite.var, "Σ(x - mean)² / (n - correction) over `dim`: unbiased (n - 1) "
       "unless unbiased=False, correction=0 or ddof=0 say otherwise, as in PyTorch (in "
       "autodiff.numpy: n - ddof, ddof=0, as in numpy).", VARIANCE, dtype=MEAN, numpy="var"),
    Op("std", composite.std, "√var over `dim`: unbiased unless told otherwise, as in PyTorch "
       "(in autodiff.numpy: ddof=0, as in numpy); its gradient is 0 where all values are "
       "equal.", VARIANCE, dtype=MEAN, numpy="std"),
    Op("max", composite.extreme, "max() is the largest value (0-d); max(dim) is (values, "
       "indices) along dim, as in PyTorch; max(other) is the elementwise maximum. amax "
       "reduces several dims (numpy's max is amax).", fixed={"op": "max"}),
    Op("min", composite.extreme, "min() is the smallest value (0-d); min(dim) is (values, "
       "indices) along dim, as in PyTorch; min(other) is the elementwise minimum. amin "
       "reduces several dims (numpy's min is amin).", fixed={"op": "min"}),
    Op("amax", reduce.max, "The largest values over `dim` (one or several dims); ties share "
       "the gradient.", REDUCE, numpy=("amax", "max")),
    Op("amin", reduce.min, "The smallest values over `dim` (one or several dims); ties share "
       "the gradient.", REDUCE, numpy=("amin", "min")),
    Op("prod", composite.prod, args=REDUCE, numpy="prod"),
    Op("norm", composite.norm),
    Op("pairwise_distance", composite.pairwise_distance, method=False, functional=True),
    Op("logsumexp", reduce.logsumexp, "log Σ e**x over `dim`, finite for inputs of any size.",
       REDUCE, dtype=FLOAT, numpy="logsumexp"),
    Op("softmax", reduce.softmax, "e**x / Σ e**x along `dim` (shifted by the max, so large "
       "logits stay finite).", ALONG, dtype=FLOAT, numpy="softmax"),  # nn's: PyTorch's
    # implicit dim when none is given (nn/functional.py)
    Op("log_softmax", reduce.log_softmax, "x - logsumexp(x) along `dim`: finite for logits "
       "of any size.", ALONG, dtype=FLOAT, numpy="log_softmax"),  # nn's: as softmax
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
    Op("T", shaping.transpose, "The tensor with its dims reversed.", function=False,
       property=True),
    Op("mT", shaping.matrix_transpose, function=False, property=True),
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
    Op("index_add", composite.index_add, inplace=True),
    Op("take_along_axis", shaping.take_along_axis, function=False, numpy="take_along_axis",
       numpy_args="arr, indices, axis"),
    Op("gather", shaping.gather, function=False),
    Op("cat", composite.cat, method=False, aliases=("concatenate",),
       numpy=numpy_meaning.concatenate),
    Op("stack", composite.stack, method=False, numpy=numpy_meaning.stack),
    # ----- dtype and device ------------------------------------------------------------------
    Op("astype", conversion.astype, function=False, numpy="astype", numpy_args="x, dtype"),
    Op("to", conversion.to, function=False),
    _cast("float", xp.float32, "float32 values (recorded)."),
    _cast("double", xp.float64, "float64 values (recorded)."),
    _cast("half", xp.float16, "float16 values (recorded)."),
    _cast("long", xp.int64, "int64 values (no gradient)."),
    _cast("int", xp.int32, "int32 values (no gradient)."),
    _cast("bool", xp.bool_, "Boolean values (no gradient)."),
    Op("cpu", conversion.unchanged, "self: the values already live on the CPU.",
       function=False),
    Op("contiguous", conversion.contiguous, function=False),
    Op("is_contiguous", conversion.is_contiguous, function=False),
    Op("cuda", conversion.cuda, function=False),
    Op("device", conversion.device, function=False, property=True),
    Op("is_cuda", conversion.is_cuda, function=False, property=True),
    Op("item", conversion.item, function=False),
    Op("numpy", conversion.to_numpy, function=False),
    Op("tolist", conversion.to_list, function=False),
    Op("clone", conversion.clone),
    Op("numel", conversion.numel),
    Op("dim", conversion.dim, function=False),
    Op("is_tensor", composite.is_tensor, method=False),
    # ----- the names of the programs written after MNIST ------------------------------------
    Op("log10", unary.log10, "log₁₀ x, elementwise.", dtype=FLOAT, numpy="log10", inplace=True),
    Op("log2", unary.log2, "log₂ x, elementwise.", dtype=FLOAT, numpy="log2", inplace=True),
    Op("log1p", unary.log1p, "ln(1 + x), elementwise, exact for tiny x.", dtype=FLOAT,
       numpy="log1p", inplace=True),
    Op("expm1", unary.expm1, "e**x - 1, elementwise, exact for tiny x.", dtype=FLOAT,
       numpy="expm1", inplace=True),
    Op("pow", composite.power, method=False),
    Op("remainder", composite.remainder),
    Op("floor_divide", composite.floor_divide),
    Op("__mod__", composite.remainder, function=False),
    Op("__rmod__", composite.remainder_of, function=False),
    Op("__floordiv__", composite.floor_divide, function=False),
    Op("__rfloordiv__", composite.floor_divide_of, function=False),
    Op("__repr__", conversion.tensor_repr, function=False),
    Op("__format__", conversion.format_value, function=False),
    Op("__index__", conversion.as_index, function=False),
    Op("isnan", composite.isnan),
    Op("isinf", composite.isinf),
    Op("isfinite", composite.isfinite),
    Op("logical_not", composite.logical_not),
    Op("logical_and", composite.logical_and),
    Op("logical_or", composite.logical_or),
    Op("logical_xor", composite.logical_xor),
    Op("nan_to_num", composite.nan_to_num),
    Op("masked_fill", composite.masked_fill),
    Op("masked_fill_", composite.masked_fill_, function=False),
    Op("fill_", composite.fill_, function=False),
    Op("tril", composite.tril),
    Op("triu", composite.triu),
    Op("diag", composite.diag),
    Op("mm", composite.mm),
    Op("bmm", composite.bmm),
    Op("outer", composite.outer),
    Op("t", composite.t),
    Op("all", composite.all_nonzero),
    Op("count_nonzero", composite.count_nonzero, numpy="count_nonzero", numpy_args="a, axis=None"),
    Op("nansum", composite.nansum),
    Op("any", composite.any_nonzero),
    Op("allclose", composite.allclose),
    Op("topk", composite.topk),
    Op("sort", composite.sort),
    Op("argsort", composite.argsort),
    Op("nonzero", composite.nonzero),
    Op("median", composite.median),  # numpy's median averages the middle two: not the same
    Op("diff", composite.diff, numpy="diff",
       numpy_args="a, n=1, axis=-1, prepend=None, append=None"),
    Op("cumsum", composite.cumsum),
    Op("cumprod", composite.cumprod),
    Op("bincount", composite.bincount),
    Op("unique", composite.unique),
    Op("histc", composite.histc),
    Op("histogram", composite.histogram),
    Op("expand", shaping.expand, function=False),
    Op("narrow", shaping.narrow),
    Op("roll", shaping.roll),
    Op("flip", shaping.flip),
    Op("index_select", shaping.index_select),
    Op("repeat", shaping.repeat, function=False),
    Op("chunk", shaping.chunk),
    Op("nelement", composite.nelement, function=False),
    Op("new_zeros", composite.new_zeros, function=False),
    Op("new_ones", composite.new_ones, function=False),
    Op("new_empty", composite.new_empty, function=False),
    Op("new_full", composite.new_full, function=False),
    Op("new_tensor", composite.new_tensor, function=False),
    Op("type", composite.type_or_convert, function=False),
    Op("type_as", composite.type_as, function=False),
    Op("scatter", composite.scatter, inplace=True),
    Op("scatter_add", composite.scatter_add, inplace=True),
    # ----- random draws (PyTorch's CPU streams: autodiff/random.py) --------------------------
    Op("multinomial", random.multinomial),
    Op("bernoulli", random.bernoulli),
    # ----- in place: plain under no_grad (optimisers), recorded where a gradient needs it ---
    Op("add_", inplace.add_, function=False),
    Op("sub_", inplace.sub_, function=False),
    Op("mul_", inplace.mul_, function=False),
    Op("zero_", inplace.zero_, function=False),
    Op("copy_", inplace.copy_, function=False),
    Op("__iadd__", inplace.augmented, "x += y.", function=False, fixed={"op": "+="}),
    Op("__isub__", inplace.augmented, "x -= y.", function=False, fixed={"op": "-="}),
    Op("__imul__", inplace.augmented, "x *= y.", function=False, fixed={"op": "*="}),
    Op("__itruediv__", inplace.augmented, "x /= y.", function=False, fixed={"op": "/="}),
    Op("__setitem__", inplace.setitem, "x[index] = value, in place (recorded as index_put "
       "where a gradient needs it).", function=False),
]
# fmt: on
