"""device: where a tensor's values live. Everything here runs on the CPU, on numpy arrays.

`autodiff.device("cpu")` and `x.to("cpu")` work so that PyTorch code runs unchanged; any
other device is refused with an error instead of silently running on the CPU.
"""

from __future__ import annotations

from typing import Any


class device:  # noqa: N801 - PyTorch's name
    """A device: only "cpu" (optionally "cpu:0") exists.

    >>> autodiff.device("cpu")
    device(type='cpu')
    """

    __slots__ = ("type",)

    def __init__(self, spec: Any = "cpu"):
        if isinstance(spec, device):
            spec = spec.type
        if not isinstance(spec, str) or spec not in ("cpu", "cpu:0"):
            raise RuntimeError(
                f"device: {spec!r} is not available; expected 'cpu': autodiff computes on the "
                f"CPU with numpy (autodiff.cuda.is_available() is False)"
            )
        self.type = "cpu"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other in ("cpu", "cpu:0")
        return isinstance(other, device)

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"


def is_device(value: Any) -> bool:
    """True for a device or a string naming one (which may be unavailable)."""
    return isinstance(value, device) or (
        isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta")
    )
