"""The exception types the engine raises for user mistakes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class ShapeError(ValueError):
    """Shapes that do not fit an op: mismatched operands, a wrong gradient, a bad reshape."""


class DimError(ShapeError, IndexError):
    """A dim or an index out of range: a ShapeError, and an IndexError, as PyTorch's is."""


class DTypeError(TypeError):
    """A dtype that cannot take part: e.g. an integer tensor asked to require gradients."""


class GradientError(RuntimeError):
    """Backward cannot run: nothing requires grad, a freed graph, an in-place change, NaN."""


# Python's errors that say nothing to a user who passed a bad argument, and the library's type
# each becomes (an index or axis out of range is a shape; a missing attribute, a wrong type).
_RAW = {
    IndexError: DimError,
    KeyError: ValueError,
    OverflowError: ValueError,
    ZeroDivisionError: ValueError,
    AttributeError: TypeError,
}
_OURS = (ShapeError, DimError, DTypeError, GradientError, TypeError, ValueError, RuntimeError)
# The types `named` may rename: Python's and numpy's plain errors and ours. Any other (a user's
# own exception raised in a hook or a closure, NotImplementedError) passes through unchanged.
_RENAMED = {*_OURS, *_RAW}
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
    if type(error) not in _RENAMED and not type(error).__module__.startswith("numpy"):
        return error  # not ours to rename: the user's own, or a signal such as StopIteration
    raw = next((ours for kind, ours in _RAW.items() if isinstance(error, kind)), None)
    if raw is None and type(error) in _OURS:
        renamed = type(error)(f"{function}: {error}").with_traceback(error.__traceback__)
        renamed.__suppress_context__ = True  # the same error, named: one traceback is enough
        return renamed
    if raw is not None:
        kind = raw
    elif isinstance(error, TypeError):  # numpy's UFuncTypeError, DTypePromotionError, ...
        kind = DTypeError
    else:
        kind = ValueError if isinstance(error, ValueError) else RuntimeError
    text = f"no entry {error.args[0]!r}" if isinstance(error, KeyError) and error.args else error
    text = str(text).removeprefix(f"{function}: ")
    renamed = kind(f"{function}: {text}")
    renamed.__cause__ = error  # keep where it came from
    return renamed


def named_errors(function: Callable) -> Callable:
    """`function`, a public function or class written by hand, whose bad arguments raise the
    library's error naming it (`named`), as the functions generated from the op table do.

    For a class, its `__init__` is wrapped, and an error names the class of the object being
    made (a subclass's name, where its constructor calls this one).
    """
    if isinstance(function, type):
        function.__init__ = _naming_init(function.__init__)
        return function
    name = function.__name__

    @functools.wraps(function)
    def public(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except NAMED as error:
            raise named(error, name)  # noqa: B904 - named() sets the cause where it changes type

    return public


def _naming_init(init: Callable) -> Callable:
    if getattr(init, "_names_errors", False):
        return init

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except NAMED as error:
            raise named(error, type(self).__name__)  # noqa: B904 - as in named_errors

    __init__._names_errors = True  # type: ignore[attr-defined]
    return __init__
