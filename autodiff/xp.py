"""The array namespace of the engine: numpy, its only backend.

The engine's core (tensor.py, tape.py, primitive.py, promotion.py, inplace.py, dtypes.py) and
the op table's modules reach array math only through this module, by the names of the Python
array API standard where it has one (`asarray`, `astype`, `isdtype`, `result_type`,
`broadcast_to`, `where`, ...) and by numpy's for the few things the engine needs beyond it
(`copyto`, `errstate`, `array2string`, the scalar type `generic`). A second backend (CuPy on
a GPU) is a module that provides these names; the primitives of autodiff/ops/ are written for
numpy.
"""

from numpy import (  # noqa: F401 - re-exported: this module is the namespace
    abs,
    add,
    array,
    array2string,
    asarray,
    astype,
    bool_,
    broadcast_to,
    complex64,
    complex128,
    copyto,
    cumsum,
    divide,
    dtype,
    errstate,
    float16,
    float32,
    float64,
    floor,
    floor_divide,
    generic,
    inf,
    int8,
    int16,
    int32,
    int64,
    integer,
    isdtype,
    isfinite,
    multiply,
    ndarray,
    ones,
    prod,
    promote_types,
    remainder,
    result_type,
    shape,
    subtract,
    ufunc,
    uint8,
    where,
)


def is_broadcast_error(error: ValueError) -> bool:
    """Whether the backend raised `error` because operands' shapes do not broadcast."""
    return str(error).startswith("operands could not be broadcast")
