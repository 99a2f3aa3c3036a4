"""The array namespace of the engine: numpy, its only backend.

The engine's core (tensor.py, tape.py, primitive.py, promotion.py, inplace.py, dtypes.py) and
the op table's modules reach array math only through this module, by the names of the Python
array API standard where it has one (`asarray`, `astype`, `isdtype`, `result_type`,
`broadcast_to`, `where`, ...) and by numpy's for the few things the engine needs beyond it
(`copyto`, `errstate`, `array2string`, the scalar type `generic`, and the sorting, counting
and searching functions of the PyTorch names: `argsort`, `unique`, `histogram`, `bincount`,
`tri`, ...). A second backend (CuPy on
a GPU) is a module that provides these names; the primitives of autodiff/ops/ are written for
numpy.
"""

from numpy import (  # noqa: F401 - re-exported: this module is the namespace
    abs,
    add,
    all,
    allclose,
    any,
    arange,
    argsort,
    array,
    array2string,
    asarray,
    astype,
    bincount,
    bool_,
    broadcast_shapes,
    broadcast_to,
    complex64,
    complex128,
    copyto,
    cumsum,
    divide,
    dtype,
    errstate,
    finfo,
    flip,
    float16,
    float32,
    float64,
    floor,
    floor_divide,
    generic,
    histogram,
    indices,
    inf,
    int8,
    int16,
    int32,
    int64,
    integer,
    isdtype,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    multiply,
    ndarray,
    ones,
    prod,
    promote_types,
    remainder,
    result_type,
    shape,
    subtract,
    take,
    take_along_axis,
    tri,
    ufunc,
    uint8,
    unique,
    where,
    zeros,
)


def is_broadcast_error(error: ValueError) -> bool:
    """Whether the backend raised `error` because operands' shapes do not broadcast."""
    return str(error).startswith("operands could not be broadcast")
