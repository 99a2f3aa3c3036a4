"""Every nn layer that PyTorch also has refuses, when it is made, each bad argument that
PyTorch's refuses (with the library's error naming the layer), so no program that PyTorch
would stop runs on here with a value quietly changed (a kernel of 2.5 made 2, say).

Both are called with the same arguments: each parameter in turn given each bad value, the
required ones before it 3. Where PyTorch accepts a value, ours may still refuse it earlier
(a negative size, say, that PyTorch only refuses in forward).
"""

from __future__ import annotations

import inspect
import warnings

import pytest

import nn
from tests.test_bad_arguments import SCALARS as BAD
from tests.test_bad_arguments import SMALL, memory_capped, parameters

torch = pytest.importorskip("torch")

BASES = {"RNNCellBase", "RNNBase", "Module"}  # made only through their subclasses


def layers() -> list[str]:
    return sorted(
        name
        for name in dir(nn)
        if inspect.isclass(getattr(nn, name))
        and issubclass(getattr(nn, name), nn.Module)
        and hasattr(torch.nn, name)
        and name not in BASES
    )


def made(cls: type, args: list, kwargs: dict) -> Exception | None:
    try:
        with warnings.catch_warnings(), memory_capped():
            warnings.simplefilter("ignore")
            cls(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - which error is checked by the caller
        return error
    return None


@pytest.mark.parametrize("name", layers())
def test_a_layer_refuses_what_pytorchs_refuses(name):
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)
    params = [p for p in parameters(ours) if p.name not in ("device", "dtype")]
    accepted = []
    for index, param in enumerate(params):
        positional = all(p.default is inspect.Parameter.empty for p in params[:index])
        for label, bad in BAD.items():
            small = {k: v for k, v in SMALL.get(name, {}).items() if k != param.name}
            args, kwargs = ([3] * index + [bad], small) if positional else ([], small)
            if not positional:
                kwargs = {**small, param.name: bad}
            if made(theirs, args, kwargs) is None:
                continue
            error = made(ours, args, kwargs)
            if error is None:
                accepted.append(f"{param.name}={label}")
            else:
                assert isinstance(error, (TypeError, ValueError, RuntimeError)), repr(error)
                assert str(error).startswith(f"{name}:"), str(error)
    assert not accepted, f"{name} accepts what PyTorch refuses: {accepted}"
