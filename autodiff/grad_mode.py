"""Grad mode: whether this thread records ops, and the other per-thread switches of the tape."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from autodiff.errors import named_errors


class _State(threading.local):
    """The switches the tape consults, one set per thread (as PyTorch's grad mode is)."""

    def __init__(self) -> None:
        self.enabled = True  # whether ops are recorded
        self.modes: list[bool] = []  # the modes that enclosing grad switches will restore
        self.anomaly: Any = None  # an object with capture() and check(node, grads), or None
        self.observer: Callable[..., None] | None = None  # sees each VJP as backward runs
        self.scope: tuple[str, ...] = ()  # labels of the nn.Module calls now running
        self.current_out: Any = None  # for the observer: the output of the node it sees
        self.recording_vjp: str | None = None  # the primitive whose VJP create_graph records


state = _State()


class _GradSwitch:
    """Context manager (and decorator) that sets this thread's grad mode, restoring it on exit.

    On a generator function, the generator's own code runs in the mode, and the caller keeps
    its mode between the items (as in PyTorch).
    """

    def __init__(self, enabled: bool):
        self.mode = enabled

    def __enter__(self) -> None:
        state.modes.append(state.enabled)
        state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.enabled = state.modes.pop()

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            generator = fn(*args, **kwargs)
            resume = functools.partial(generator.send, None)
            while True:
                try:
                    with self:
                        item = resume()
                except StopIteration as stop:
                    return stop.value
                try:
                    sent = yield item
                except GeneratorExit:
                    with self:
                        generator.close()
                    raise
                except BaseException as err:  # thrown in by the caller: on to the generator
                    resume = functools.partial(generator.throw, err)
                else:
                    resume = functools.partial(generator.send, sent)

        return wrapper


class grad_mode:
    """Set this thread's grad mode inside (`enabled`), restoring it on exit: the lean switch
    that backward itself uses."""

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self) -> None:
        here = state
        self.previous = here.enabled
        here.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.previous


def _bare(switch: _GradSwitch, fn: Any, name: str) -> Any:
    """The switch, or `fn` decorated with it where the switch was written as a bare decorator
    (``@autodiff.no_grad`` without parentheses, which PyTorch accepts)."""
    if fn is None:
        return switch
    if not callable(fn):
        raise TypeError(
            f"{name}: given {fn!r:.40}; expected {name}() (a context manager and decorator), "
            f"or @{name} over a function"
        )
    return switch(fn)


def no_grad(orig_func: Callable | None = None) -> Any:
    """Record nothing inside: ``with autodiff.no_grad(): ...`` (also a decorator, with or
    without the parentheses)."""
    return _bare(_GradSwitch(False), orig_func, "no_grad")


@named_errors
def inference_mode(mode: bool = True) -> Any:
    """PyTorch's faster no_grad: records nothing inside (the same as no_grad here);
    inference_mode(False) leaves the grad mode as it is. ``@inference_mode`` without the
    parentheses decorates the function, as in PyTorch."""
    if callable(mode):
        return _bare(_GradSwitch(False), mode, "inference_mode")
    return _GradSwitch(False) if mode else _KeepMode()


class _KeepMode(_GradSwitch):
    """A grad switch that keeps whatever mode is on when it is entered."""

    def __init__(self) -> None:
        super().__init__(True)

    def __enter__(self) -> None:
        self.mode = state.enabled
        super().__enter__()


def enable_grad(orig_func: Callable | None = None) -> Any:
    """Record again inside a no_grad block: ``with autodiff.enable_grad(): ...`` (also a
    decorator, with or without the parentheses)."""
    return _bare(_GradSwitch(True), orig_func, "enable_grad")


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """PyTorch's set_grad_enabled(mode): turns recording on or off in this thread at once, and
    used as ``with autodiff.set_grad_enabled(phase == "train"):`` restores the mode on exit."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode={mode!r}; expected True or False")
        self.previous = state.enabled
        state.enabled = mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.previous


def is_grad_enabled() -> bool:
    """Whether ops are being recorded now, in this thread."""
    return state.enabled
