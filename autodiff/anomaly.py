"""detect_anomaly: the user's line behind every op, and NaN/inf checks on every VJP's output."""

from __future__ import annotations

import linecache
import os
import sys
from typing import Any

import numpy as np

from autodiff import tape
from autodiff.errors import GradientError

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_ENGINE = (_PACKAGE, "<optable: ")  # the package's files, and the code made from its op table


class detect_anomaly:
    """Inside, every op records the line of user code that made it, and backward raises at
    the first VJP that produces NaN or inf, naming the op and that line.

    >>> with autodiff.detect_anomaly():
    ...     loss = model(x).log().sum()
    ...     loss.backward()   # GradientError: log: VJP produced nan ... made at train.py:12
    """

    def __enter__(self) -> detect_anomaly:
        self.previous = tape.state.anomaly
        tape.set_anomaly(self)
        return self

    def __exit__(self, *exc: object) -> None:
        tape.set_anomaly(self.previous)

    @staticmethod
    def capture() -> str | None:
        """'file:line: code' of the innermost caller outside the autodiff package."""
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(_ENGINE):
            frame = frame.f_back
        if frame is None:
            return None
        code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}"

    @staticmethod
    def check(node: tape.Node, grads: tuple[Any, ...]) -> None:
        """Raise if any gradient the node's VJP produced holds NaN or inf."""
        for i, g in enumerate(grads):
            if g is None:
                continue
            data = g if isinstance(g, np.ndarray | np.generic) else g._value  # array or Tensor
            if not np.all(np.isfinite(data)):
                kind = "nan" if np.isnan(data).any() else "inf"
                raise GradientError(
                    f"{node.prim.name}: VJP produced {kind} in the gradient for input {i} "
                    f"(shape {data.shape}){node.where()}"
                )
