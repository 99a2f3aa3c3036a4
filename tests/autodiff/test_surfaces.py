"""The surfaces made from the op table: the compiled code cached and read back only where it is
this very source, the numpy and nn.functional surfaces made on first use, and what
`import autodiff` and `import nn` leave for later."""

import inspect
import marshal
import subprocess
import sys
import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff import surfaces
from autodiff.optable import TABLE

NUMPY = ("autodiff.numpy",)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The cache in a directory of the test's own, written as where Python writes bytecode;
    the compiles of generated surfaces are counted."""
    monkeypatch.setattr(surfaces, "_cache_path", lambda surface: str(tmp_path / surface))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    compiled = []

    def counting_compile(source, filename, *args):
        if filename.startswith("<optable: "):
            compiled.append(filename)
        return compile(source, filename, *args)

    monkeypatch.setattr(surfaces, "compile", counting_compile, raising=False)
    return tmp_path, compiled


def test_a_surface_is_compiled_once_then_read_from_the_cache(cache):
    directory, compiled = cache
    first = surfaces.build(TABLE, NUMPY, cache=True)["autodiff.numpy"]
    assert compiled == ["<optable: autodiff.numpy>"]
    assert (directory / "autodiff.numpy").is_file()
    again = surfaces.build(TABLE, NUMPY, cache=True)["autodiff.numpy"]
    assert compiled == ["<optable: autodiff.numpy>"]  # not compiled a second time
    assert set(again) == set(first)
    for name, fn in first.items():
        if fn.__code__.co_filename.startswith("<optable: "):
            assert again[name].__code__ == fn.__code__, name
            assert inspect.signature(again[name]) == inspect.signature(fn), name
            assert again[name].__doc__ == fn.__doc__, name
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(again["sum"](x, axis=0).numpy(), [4.0, 6.0])
    with pytest.raises(ad.ShapeError, match="sum"):
        again["sum"](x, axis=5)


def test_a_cache_of_other_source_is_not_used_but_replaced(cache):
    directory, compiled = cache
    stale = compile(
        "def sum(a, axis=None):\n    return 'stale'\n", "<optable: autodiff.numpy>", "exec"
    )
    old_key = (
        sys.version,
        sys.flags.optimize,
        surfaces._FUTURE,
        "<optable: autodiff.numpy>",
        "older source",
    )
    (directory / "autodiff.numpy").write_bytes(marshal.dumps((old_key, stale)))
    made = surfaces.build(TABLE, NUMPY, cache=True)["autodiff.numpy"]
    assert compiled == ["<optable: autodiff.numpy>"]
    assert made["sum"](ad.tensor([1.0, 2.0])).item() == 3.0
    key, _ = marshal.loads((directory / "autodiff.numpy").read_bytes())
    assert key[-1] != "older source" and key[-1].startswith("def ")


@pytest.mark.parametrize("content", [b"", b"not marshal data", marshal.dumps([1, 2, 3])])
def test_a_corrupt_cache_file_is_compiled_over(cache, content):
    directory, compiled = cache
    (directory / "autodiff.numpy").write_bytes(content)
    made = surfaces.build(TABLE, NUMPY, cache=True)["autodiff.numpy"]
    assert compiled == ["<optable: autodiff.numpy>"]
    assert made["exp"](ad.tensor([0.0])).item() == 1.0


def test_nothing_is_written_where_python_writes_no_bytecode(cache, monkeypatch):
    directory, compiled = cache
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    surfaces.build(TABLE, NUMPY, cache=True)
    assert compiled == ["<optable: autodiff.numpy>"]
    assert list(directory.iterdir()) == []


def test_a_place_that_cannot_be_written_only_means_compiling(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")  # a directory cannot be made under a file, even by root
    monkeypatch.setattr(surfaces, "_cache_path", lambda surface: str(blocker / "cache" / surface))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    made = surfaces.build(TABLE, NUMPY, cache=True)["autodiff.numpy"]
    assert made["exp"](ad.tensor([0.0])).item() == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"]


def test_a_build_not_asked_to_cache_neither_reads_nor_writes_it(cache):
    directory, compiled = cache
    surfaces.build(TABLE, NUMPY, cache=True)
    written = (directory / "autodiff.numpy").stat()
    surfaces.build(TABLE, NUMPY)  # as a table other than autodiff's is built
    assert compiled == ["<optable: autodiff.numpy>"] * 2
    assert [p.name for p in directory.iterdir()] == ["autodiff.numpy"]
    assert (directory / "autodiff.numpy").stat().st_ino == written.st_ino  # not replaced


def test_threads_asking_for_a_surface_at_once_get_the_same_functions(monkeypatch):
    monkeypatch.delitem(surfaces.SURFACE, "autodiff.numpy", raising=False)  # as if not yet made
    start = threading.Barrier(4)
    found = []

    def ask():
        start.wait()
        found.append(surfaces.ops_for("autodiff.numpy")["sum"])

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all(fn is found[0] for fn in found)


def test_the_names_autodiff_imports_on_first_use_are_its_modules_own():
    from autodiff import draw, listing, serialization, watch

    assert ad.save is serialization.save and ad.load is serialization.load
    assert (
        ad.draw_graph is draw.draw_graph and ad.GraphvizNotFoundError is draw.GraphvizNotFoundError
    )
    assert ad.print_tape is listing.print_tape and ad.watch_backward is watch.watch_backward
    assert {"save", "draw_graph", "numpy", "watch_backward"} <= set(dir(ad))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        ad.no_such_name  # noqa: B018 - the attribute access is the test


LATER = {
    "import autodiff": [
        "autodiff.numpy",
        "autodiff.draw",
        "autodiff.listing",
        "autodiff.serialization",
        "autodiff.watch",
        "subprocess",
        "threadpoolctl",
        "numpy.random",
        "nn",
    ],
    "import nn": ["nn.datasets", "urllib.request", "http.client", "ssl", "numpy.random"],
}


@pytest.mark.parametrize("statement", list(LATER))
def test_an_import_leaves_the_rarely_used_modules_for_later(statement):
    """What is imported on first use is not imported before (speed is measured by `make
    bench`; this checks the structure that makes the import fast)."""
    code = (
        f"import sys; {statement}; "
        "from autodiff import surfaces; "
        f"print(sorted(m for m in {LATER[statement]!r} if m in sys.modules)); "
        "print(sorted(surfaces.SURFACE))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported, made = done.stdout.splitlines()
    assert imported == "[]"
    if statement == "import autodiff":
        assert made == "['Tensor', 'autodiff']"
