"""What the examples' tests share: a machine without Graphviz's `dot` program."""

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture
def no_dot(monkeypatch) -> str:
    """Graphviz's dot hidden from PATH (for this process and what it starts); returns that PATH.

    Every folder that holds a `dot` is left out, so this Python and its tools still run.
    """
    folders = os.environ.get("PATH", "").split(os.pathsep)
    path = os.pathsep.join(d for d in folders if d and not os.access(Path(d, "dot"), os.X_OK))
    monkeypatch.setenv("PATH", path)
    assert shutil.which("dot") is None
    return path
