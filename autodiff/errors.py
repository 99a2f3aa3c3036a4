"""The exception types the engine raises for user mistakes."""


class ShapeError(ValueError):
    """Shapes that do not fit an op: mismatched operands, a wrong gradient, a bad reshape."""


class DTypeError(TypeError):
    """A dtype that cannot take part: e.g. an integer tensor asked to require gradients."""


class GradientError(RuntimeError):
    """Backward cannot run: nothing requires grad, a freed graph, an in-place change, NaN."""


# Python's errors that say nothing to a user who passed a bad argument, and the library's type
# each becomes (an index or axis out of range is a shape; a missing attribute, a wrong type).
_RAW = {
    IndexError: ShapeError,
    KeyError: ValueError,
    OverflowError: ValueError,
    ZeroDivisionError: ValueError,
    AttributeError: TypeError,
}
_OURS = (ShapeError, DTypeError, GradientError, TypeError, ValueError, RuntimeError)
NAMED = (TypeError, ValueError, RuntimeError, *_RAW)  # the errors `named` turns into ours


def named(error: Exception, function: str) -> Exception:
    """`error`, raised in the public `function`, as the library's error naming it.

    An error whose message starts with the function's name was raised on purpose: it is
    returned as it is. One of our types naming something else (an inner op) gets the name in
    front. Python's raw errors (IndexError, AttributeError, ...) and other libraries' subclasses
    (numpy's UFuncTypeError, AxisError) become our type for them, caused by the original.
    """
    if str(error).startswith(f"{function}:"):  # raised on purpose, naming the function
        return error
    raw = next((ours for kind, ours in _RAW.items() if isinstance(error, kind)), None)
    if raw is None and type(error) in _OURS:
        renamed = type(error)(f"{function}: {error}")
        renamed.__suppress_context__ = True  # the same error, named: one traceback is enough
        return renamed
    if raw is not None:
        kind = raw
    elif isinstance(error, TypeError):  # numpy's UFuncTypeError, DTypePromotionError, ...
        kind = DTypeError
    else:
        kind = ValueError if isinstance(error, ValueError) else RuntimeError
    text = f"no entry {error.args[0]!r}" if isinstance(error, KeyError) and error.args else error
    renamed = kind(f"{function}: {text}")
    renamed.__cause__ = error  # keep where it came from
    return renamed
