"""What the examples' tests share: one BLAS thread, and machines without `dot` or matplotlib."""

import os
import shutil
import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Train in-process on one BLAS thread, as the examples do when run as programs.

    mnist.py says why: on a machine whose cores are busy, OpenBLAS threads waiting for each
    other made an epoch up to 10 times slower. Every pool is put back as it was on exit.
    """
    with threadpool_limits(limits=1):
        yield


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


@pytest.fixture
def no_matplotlib(monkeypatch) -> None:
    """matplotlib made unimportable in this process, as where it is not installed.

    A None in sys.modules makes `import` raise ImportError; the submodules an earlier test
    imported are hidden too, since `from matplotlib.figure import Figure` would find them.
    """
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
