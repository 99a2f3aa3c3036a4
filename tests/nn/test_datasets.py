"""Tests of nn.datasets: the IDX reader, file lookup, verified download and the shipped sample."""

import contextlib
import functools
import gzip
import hashlib
import http.server
import os
import socket
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autodiff import serialization
from nn.datasets import (
    SAMPLE_NOTE,
    DatasetNotFoundError,
    IDXError,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
    read_idx,
)
from nn.datasets import download as download_module
from nn.datasets import mnist as mnist_module

FILES = mnist_module.FILES
SHIPPED = Path(mnist_module.__file__).parent / "data"
TYPE_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D}
TYPE_CODES["float64"] = 0x0E


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode `array` as an IDX file: magic, type code, ndim, big-endian dims and data."""
    header = bytes([0, 0, TYPE_CODES[array.dtype.name], array.ndim])
    dims = np.array(array.shape, dtype=">u4").tobytes()
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_dataset(
    directory: Path, n_train: int, n_test: int, compress: bool = True, seed: int = 0
) -> tuple[np.ndarray, ...]:
    """Write the four MNIST-named files of a tiny random dataset; return its arrays."""
    rng = np.random.default_rng(seed)
    arrays = (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    )
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in zip(FILES, arrays, strict=True):
        write_idx(directory / (f"{stem}.gz" if compress else stem), array, compress)
    return arrays


def assert_loaded(result: tuple[np.ndarray, ...], expected: tuple[np.ndarray, ...]) -> None:
    x_train, y_train = result[:2]
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    for got, want in zip(result, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def md5_table(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in directory.glob("*.gz")}


def publish(monkeypatch: pytest.MonkeyPatch, directory: Path, prefix: str = "MNIST") -> dict:
    """Make the .gz files in `directory` the published ones: their md5 and sizes; return md5s."""
    table = md5_table(directory)
    monkeypatch.setattr(mnist_module, f"{prefix}_MD5", table)
    sizes = {p.name: p.stat().st_size for p in directory.glob("*.gz")}
    monkeypatch.setattr(mnist_module, f"{prefix}_SIZES", sizes)
    return table


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real env var, cache, system dir or network: every place a test uses is its own."""
    monkeypatch.delenv("AUTODIFF_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", ())
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_MIRRORS", ())
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_SYSTEM_DIR", tmp_path / "no-system-dir")
    monkeypatch.setattr(download_module, "DOWNLOAD_TIMEOUT_S", 5.0)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[str]:
    """Serve tmp_path/'served' over HTTP on 127.0.0.1; yield its base URL."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more


# --- read_idx ---------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28),
        np.array([7, 2, 1, 0, 4], dtype=np.uint8),
        np.array([[1.5, -2.25, 3e-8], [np.pi, -0.0, 1e30]], dtype=np.float32),
        np.array([-128, 0, 127], dtype=np.int8),
        np.array([[-30000, 2], [3, 30000]], dtype=np.int16),
        np.array([-(2**31), 2**31 - 1, 12345678], dtype=np.int32),
        np.array([np.e, -1e300], dtype=np.float64),
    ],
    ids=["uint8-3d", "uint8-1d", "float32-2d", "int8", "int16", "int32", "float64"],
)
def test_read_idx_round_trips_exactly(tmp_path, array, compress):
    path = write_idx(tmp_path / "data.idx", array, compress)
    out = read_idx(path)
    assert out.shape == array.shape
    assert out.dtype == array.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_raw = write_idx(tmp_path / "raw.gz", array, compress=False)
    plain_named_gz = write_idx(tmp_path / "packed.idx", array, compress=True)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)
    np.testing.assert_array_equal(read_idx(plain_named_gz), array)


def test_read_idx_rejects_wrong_magic(tmp_path):
    path = tmp_path / "bad-magic.idx"
    path.write_bytes(b"\xab\xcd\x08\x01" + b"\x00\x00\x00\x02" + b"\x01\x02")
    with pytest.raises(IDXError) as info:
        read_idx(path)
    message = str(info.value)
    assert "bad-magic.idx" in message and "00 00" in message and "ab cd" in message


def test_read_idx_rejects_unknown_type_code(tmp_path):
    path = tmp_path / "bad-code.idx"
    path.write_bytes(b"\x00\x00\x07\x01" + b"\x00\x00\x00\x01" + b"\x01")
    with pytest.raises(IDXError, match=r"bad-code\.idx.*expected one of 0x08.*got 0x07"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_rejects_truncated_payload(tmp_path, compress):
    data = idx_bytes(np.arange(100, dtype=np.uint8).reshape(10, 10))[:-7]  # 16 + 93 bytes
    path = tmp_path / "short.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    message = str(info.value)
    assert "short.idx" in message and "truncated" in message and "(10, 10)" in message
    if compress:
        assert "expected 100 payload bytes after decompression, got 93" in message
    else:
        assert "expected a file of 12 + 100 = 112 bytes, got 105 bytes" in message


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_rejects_huge_header_without_allocating(tmp_path, compress):
    header = b"\x00\x00\x08\x03" + np.array([100_000] * 3, dtype=">u4").tobytes()
    data = header + bytes(range(100))
    path = tmp_path / "liar.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    tracemalloc.start()
    try:
        with pytest.raises(IDXError) as info:
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the header claims 10**15 bytes
    message = str(info.value)
    assert "liar.idx" in message and "(100000, 100000, 100000)" in message
    assert f"got {path.stat().st_size} bytes" in message


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_rejects_trailing_bytes(tmp_path, compress):
    data = idx_bytes(np.arange(6, dtype=np.uint8)) + b"junk"
    path = tmp_path / "long.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    message = str(info.value)
    assert "long.idx" in message and "trailing bytes" in message
    assert "14 bytes" in message and "got 18" in message  # 8 header + 6 payload bytes, + 4


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_read_idx_rejects_corrupt_gzip(tmp_path, damage):
    rng = np.random.default_rng(0)
    packed = bytearray(gzip.compress(idx_bytes(rng.integers(0, 256, 5000, dtype=np.uint8))))
    if damage == "cut":
        packed = packed[: len(packed) // 2]
    else:
        packed[len(packed) // 2] ^= 0xFF
    path = tmp_path / "broken.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(IDXError, match=r"broken\.gz is a corrupt gzip file; expected .*, got "):
        read_idx(path)


# --- the shipped sample -------------------------------------------------------------------


def test_shipped_sample_files_match_published_md5():
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        digest = hashlib.md5((SHIPPED / name).read_bytes()).hexdigest()
        assert digest == mnist_module.MNIST_MD5[name]
        assert (SHIPPED / name).stat().st_size == mnist_module.MNIST_SIZES[name]


def test_load_mnist_sample_splits_the_test_set_8000_2000():
    x_train, y_train, x_test, y_test = load_mnist_sample()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert y_train.shape == (8000,) and y_test.shape == (2000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert set(np.unique(y_train)) == set(range(10)) and set(np.unique(y_test)) == set(range(10))
    np.testing.assert_array_equal(y_train[:5], [7, 2, 1, 0, 4])  # MNIST test set's first digits
    labels = read_idx(SHIPPED / "t10k-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), labels)  # in order


def test_load_mnist_sample_train_size_and_its_check():
    x_train, _, x_test, _ = load_mnist_sample(train_size=9000)
    assert len(x_train) == 9000 and len(x_test) == 1000
    with pytest.raises(ValueError, match=r"expected 0 < train_size < 10000, got 10000"):
        load_mnist_sample(train_size=10000)


def test_sample_note_and_docstring_say_it_is_the_test_set():
    assert "MNIST *test* set" in SAMPLE_NOTE and "not the 60,000-digit" in SAMPLE_NOTE
    assert "MNIST *test* set" in load_mnist_sample.__doc__


# --- lookup -----------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_finds_files_in_root(tmp_path, compress):
    expected = write_dataset(tmp_path / "root", 4, 3, compress=compress)
    assert_loaded(load_mnist(root=tmp_path / "root", download=False), expected)


@pytest.mark.parametrize("subfolder", ["mnist", ""])
def test_load_mnist_finds_files_under_env_var(tmp_path, monkeypatch, subfolder):
    monkeypatch.setenv("AUTODIFF_DATA", str(tmp_path / "data"))
    expected = write_dataset(tmp_path / "data" / subfolder, 4, 3)
    assert_loaded(load_mnist(download=False), expected)


def test_load_fashion_mnist_uses_its_own_env_subfolder(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTODIFF_DATA", str(tmp_path / "data"))
    write_dataset(tmp_path / "data" / "mnist", 4, 3)
    expected = write_dataset(tmp_path / "data" / "fashion-mnist", 5, 2, seed=1)
    assert_loaded(load_fashion_mnist(download=False), expected)
    (tmp_path / "data" / "fashion-mnist" / f"{FILES[0]}.gz").unlink()
    with pytest.raises(DatasetNotFoundError):
        load_fashion_mnist(download=False)


def test_load_mnist_finds_files_in_xdg_cache_dir(tmp_path):
    expected = write_dataset(tmp_path / "xdg-cache" / "autodiff" / "mnist", 4, 3)
    assert_loaded(load_mnist(download=False), expected)


def test_load_fashion_mnist_finds_files_in_system_dir(tmp_path):
    expected = write_dataset(tmp_path / "no-system-dir", 4, 3)  # the patched system dir
    assert_loaded(load_fashion_mnist(download=False), expected)


def test_lookup_order_is_root_then_env_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTODIFF_DATA", str(tmp_path / "data"))
    from_root = write_dataset(tmp_path / "root", 2, 1, seed=1)
    from_env = write_dataset(tmp_path / "data" / "mnist", 3, 1, seed=2)
    from_cache = write_dataset(tmp_path / "xdg-cache" / "autodiff" / "mnist", 4, 1, seed=3)
    assert_loaded(load_mnist(root=tmp_path / "root", download=False), from_root)
    assert_loaded(load_mnist(download=False), from_env)
    monkeypatch.delenv("AUTODIFF_DATA")
    assert_loaded(load_mnist(download=False), from_cache)


def test_a_directory_with_only_some_files_is_skipped(tmp_path):
    write_dataset(tmp_path / "root", 2, 1)
    (tmp_path / "root" / f"{FILES[3]}.gz").unlink()
    expected = write_dataset(tmp_path / "xdg-cache" / "autodiff" / "mnist", 4, 3)
    assert_loaded(load_mnist(root=tmp_path / "root", download=False), expected)


def test_load_mnist_rejects_mismatched_counts_and_bad_labels(tmp_path):
    write_dataset(tmp_path / "root", 4, 3)
    labels = tmp_path / "root" / f"{FILES[1]}.gz"
    write_idx(labels, np.zeros(5, dtype=np.uint8), compress=True)
    with pytest.raises(IDXError, match=r"expected equal N, got 4 images and 5 labels"):
        load_mnist(root=tmp_path / "root", download=False)
    write_idx(labels, np.array([0, 1, 10, 2], dtype=np.uint8), compress=True)
    with pytest.raises(IDXError, match=r"expected 0\.\.9, got a maximum of 10"):
        load_mnist(root=tmp_path / "root", download=False)


def test_load_mnist_rejects_images_of_the_wrong_shape(tmp_path):
    write_dataset(tmp_path / "root", 4, 3)
    write_idx(tmp_path / "root" / f"{FILES[0]}.gz", np.zeros((4, 28, 27), np.uint8), True)
    with pytest.raises(IDXError, match=r"expected uint8 of shape \(N, 28, 28\), got uint8 of"):
        load_mnist(root=tmp_path / "root", download=False)


def test_not_found_without_download_lists_every_place(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTODIFF_DATA", str(tmp_path / "data"))
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path / "root", download=False)
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    for place in (
        tmp_path / "root",
        tmp_path / "data" / "mnist",
        tmp_path / "data",
        tmp_path / "xdg-cache" / "autodiff" / "mnist",
    ):
        assert f"  {place}  (" in message
    assert "train-images-idx3-ubyte[.gz]" in message and "download=False" in message
    assert "Put the four files" in message


def test_fashion_not_found_mentions_system_dir_and_debian_package(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist(download=False)
    message = str(info.value)
    assert str(tmp_path / "no-system-dir") in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(tmp_path / "xdg-cache" / "autodiff" / "fashion-mnist") in message


def test_real_fashion_mnist_from_debian_package(monkeypatch):
    system_dir = Path("/usr/share/datasets/fashion-mnist")
    if not system_dir.is_dir():
        pytest.skip(f"{system_dir} absent: apt-get install dataset-fashion-mnist to run this")
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_SYSTEM_DIR", system_dir)
    x_train, y_train, x_test, y_test = load_fashion_mnist(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)  # balanced classes
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)


# --- download ----------------------------------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_download_writes_verified_files_and_loads_them(tmp_path, serve, monkeypatch):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    cache = tmp_path / "xdg-cache" / "autodiff" / "mnist"
    assert_loaded(load_mnist(mirrors=[serve]), expected)
    assert leftovers(cache) == sorted(f"{stem}.gz" for stem in FILES)
    assert md5_table(cache) == md5_table(tmp_path / "served")
    assert_loaded(load_mnist(download=False), expected)  # now from the cache, no network


def test_download_goes_into_root_when_given(tmp_path, serve, monkeypatch):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served", "FASHION_MNIST")
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_MIRRORS", (serve,))
    assert_loaded(load_fashion_mnist(root=tmp_path / "root"), expected)
    assert leftovers(tmp_path / "root") == sorted(f"{stem}.gz" for stem in FILES)
    assert leftovers(tmp_path / "xdg-cache") == []


def test_download_with_bad_checksum_leaves_no_file(tmp_path, serve, monkeypatch):
    write_dataset(tmp_path / "served", 4, 3)
    table = publish(monkeypatch, tmp_path / "served")
    table[f"{FILES[0]}.gz"] = "0" * 32
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path / "root", mirrors=[serve])
    message = str(info.value)
    assert f"{serve}{FILES[0]}.gz: md5 mismatch; expected {'0' * 32}, got " in message
    assert leftovers(tmp_path / "root") == []  # neither the file nor its temporary


def test_download_falls_through_a_dead_mirror(tmp_path, serve, monkeypatch):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    assert_loaded(load_mnist(mirrors=[closed_port_url(), serve]), expected)


def test_download_rejects_a_non_gzip_payload(tmp_path, serve, monkeypatch):
    write_dataset(tmp_path / "served", 4, 3, compress=False)
    for stem in FILES:  # raw IDX served under the .gz name, with a matching md5
        (tmp_path / "served" / stem).rename(tmp_path / "served" / f"{stem}.gz")
    publish(monkeypatch, tmp_path / "served")
    with pytest.raises(DatasetNotFoundError, match=r"not a gzip file; expected magic bytes 1f 8b"):
        load_mnist(root=tmp_path / "root", mirrors=[serve])
    assert leftovers(tmp_path / "root") == []


def test_download_failure_lists_every_mirror_and_reason(tmp_path, serve, monkeypatch):
    dead = closed_port_url()
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path / "root", mirrors=[dead, serve])  # serve has no files
    message = str(info.value)
    assert f"{dead}{FILES[0]}.gz: " in message and "refused" in message.lower()
    assert f"{serve}{FILES[0]}.gz: HTTP Error 404" in message
    assert f"  {tmp_path / 'root'}  (" in message  # the places searched are listed too
    assert leftovers(tmp_path / "root") == []


def test_download_progress_without_tqdm_is_a_text_line(tmp_path, serve, monkeypatch, capsys):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    assert_loaded(load_mnist(mirrors=[serve]), expected)
    size = (tmp_path / "served" / f"{FILES[0]}.gz").stat().st_size
    assert (
        f"\r{FILES[0]}.gz: {size / 1e6:.1f} MB / {size / 1e6:.1f} MB (100%)"
        in capsys.readouterr().err
    )


# --- downloads from hostile or broken servers: each bounded in time and size -----------------

BODY = gzip.compress(idx_bytes(np.arange(2000, dtype=np.uint8)))  # 2 kB of a valid .gz


class HostileHandler(http.server.BaseHTTPRequestHandler):
    """Serves BODY badly, in the way named by the `mode` class attribute."""

    mode = "trickle"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        try:
            getattr(self, f"_{self.mode.replace('-', '_')}")()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def _head(self, status: int = 200, length: int | None = len(BODY), kind: str = "") -> None:
        self.send_response(status)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Content-Type", kind or "application/gzip")
        self.end_headers()

    def _trickle(self) -> None:  # a byte every 50 ms: never idle long enough for a read timeout
        self._head()
        for byte in BODY:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.05)

    def _trickle_headers(self) -> None:  # the status line and headers, a byte every 50 ms
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nX-Pad: " + b"." * 100
        for byte in head:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.05)

    def _endless(self) -> None:  # no Content-Length, and no end
        self._head(length=None)
        self.wfile.write(BODY[:10])
        while True:
            self.wfile.write(bytes(1 << 16))

    def _long_announced(self) -> None:
        self._head(length=10**12)
        self.wfile.write(BODY)

    def _short(self) -> None:  # announces the right length, then hangs up halfway
        self._head()
        self.wfile.write(BODY[: len(BODY) // 2])
        self.close_connection = True

    def _html(self) -> None:
        page = b"<!DOCTYPE html><html><body>Please log in</body></html>"
        self._head(length=None, kind="text/html")  # a length would be refused before reading
        self.wfile.write(page)

    def _slow_then_short(self) -> None:  # the first request is slow, each later one hangs up
        handler = type(self)
        first = not getattr(handler, "served", False)
        handler.served = True
        self._head()
        self.wfile.write(BODY[: len(BODY) // 2])
        self.wfile.flush()
        if first:
            time.sleep(0.3)
            self.wfile.write(BODY[len(BODY) // 2 :])
        self.close_connection = True

    def _error_page(self) -> None:
        page = b"<html><body>503 Service Unavailable</body></html>"
        self._head(status=503, length=len(page), kind="text/html")
        self.wfile.write(page)

    def _redirect(self) -> None:  # /old/<name> moved to /<name>, or to `location` if set
        if not self.path.startswith("/old/"):
            self._head()
            self.wfile.write(BODY)
            return
        self.send_response(302)
        location = getattr(type(self), "location", "") or self.path[len("/old") :]
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[HostileHandler]]:
    """A HostileHandler server on 127.0.0.1 as the only mirror, with short limits."""
    handler = type("Handler", (HostileHandler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    names = [f"{stem}.gz" for stem in FILES]
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", (f"http://127.0.0.1:{server.server_port}/",))
    monkeypatch.setattr(mnist_module, "MNIST_SIZES", dict.fromkeys(names, len(BODY)))
    monkeypatch.setattr(
        mnist_module, "MNIST_MD5", dict.fromkeys(names, hashlib.md5(BODY).hexdigest())
    )
    monkeypatch.setattr(download_module, "DOWNLOAD_TIMEOUT_S", 0.5)
    monkeypatch.setattr(download_module, "DOWNLOAD_DEADLINE_S", 0.6)
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("trickle", "bytes after 0.6 s; expected the whole file within DOWNLOAD_DEADLINE_S"),
        ("endless", f"more than the file's {len(BODY)} bytes; cut off"),
        ("long-announced", "the server announces 1000000000000 bytes; expected the file's"),
        ("short", f"got {len(BODY) // 2} bytes; expected the file's {len(BODY)} bytes"),
        ("html", "not a gzip file; expected magic bytes 1f 8b, got b'<!DOCTYPE html><'"),
        ("error-page", "HTTP Error 503"),
    ],
)  # fmt: skip
def test_a_bad_download_is_cut_off_with_its_reason_and_leaves_nothing(
    tmp_path, hostile, mode, reason
):
    hostile.mode = mode
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path / "root")
    assert reason in str(info.value)
    assert leftovers(tmp_path / "root") == []


def test_a_server_trickling_its_headers_is_cut_off_at_the_deadline(tmp_path, hostile):
    hostile.mode = "trickle-headers"  # 8 s of headers, each read well within the read timeout
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path / "root")
    assert time.monotonic() - start < 1.5  # the 0.6 s deadline, not the server's pace
    reason = (
        f"0 of {len(BODY)} bytes after 0.6 s; expected the whole file within DOWNLOAD_DEADLINE_S"
    )
    assert reason in str(info.value)
    assert leftovers(tmp_path / "root") == []


def test_a_download_leaves_no_deadline_timer_running(tmp_path, serve, monkeypatch):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    assert_loaded(load_mnist(root=tmp_path / "root", mirrors=[serve]), expected)
    timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
    for timer in timers:
        timer.join(1.0)  # a cancelled timer ends at once; one left running waits 600 s
    assert not any(timer.is_alive() for timer in timers)


def test_a_second_download_of_a_file_waits_instead_of_writing_into_the_first(tmp_path, hostile):
    hostile.mode = "slow-then-short"
    name = f"{FILES[0]}.gz"
    url = mnist_module.MNIST_MIRRORS[0] + name
    md5 = mnist_module.MNIST_MD5[name]
    outcomes = {}

    def fetch(who: str) -> None:
        try:
            download_module.fetch(url, tmp_path / name, size=len(BODY), md5=md5)
            outcomes[who] = "ok"
        except Exception as error:  # the outcome is what the test checks
            outcomes[who] = str(error)

    first = threading.Thread(target=fetch, args=("first",))
    first.start()
    time.sleep(0.1)  # the first is halfway through its file
    fetch("second")  # its server hangs up halfway
    first.join()
    assert outcomes["first"] == "ok"
    assert (
        outcomes["second"] == f"got {len(BODY) // 2} bytes; expected the file's {len(BODY)} bytes"
    )
    assert (tmp_path / name).read_bytes() == BODY  # the verified file, not the second's half
    assert leftovers(tmp_path) == [name]


@pytest.mark.parametrize("locks", [True, False], ids=["locks", "no-locks"])
def test_a_part_file_left_by_a_killed_download_is_replaced(tmp_path, serve, monkeypatch, locks):
    if not locks:  # as on Windows
        monkeypatch.setattr(serialization, "fcntl", None)
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    root = tmp_path / "root"
    root.mkdir()
    (root / f".{FILES[0]}.gz.part").write_bytes(b"\x1f\x8b half of an old download")
    assert_loaded(load_mnist(root=root, mirrors=[serve]), expected)
    assert leftovers(root) == sorted(f"{stem}.gz" for stem in FILES)


def test_mirrors_given_as_one_string_is_one_mirror(tmp_path, serve, monkeypatch):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    assert_loaded(load_mnist(root=tmp_path / "root", mirrors=serve), expected)


@pytest.mark.parametrize("mirrors", [[b"http://127.0.0.1/"], 42, [None]])
def test_mirrors_that_are_not_urls_are_a_clear_error(tmp_path, mirrors):
    with pytest.raises(
        TypeError, match=r"load_mnist: mirrors=.*; expected a sequence of base URLs"
    ):
        load_mnist(root=tmp_path / "root", mirrors=mirrors)


def test_trailing_data_is_refused_after_reading_only_a_small_margin(tmp_path, monkeypatch):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.array([7], np.uint8)) + bytes(50_000_000)))
    read = []
    original = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = original(self, size)
        read.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(IDXError, match=r"has trailing bytes .* got more than 4105"):
        read_idx(path)
    assert sum(read) < 10_000  # of 50 MB behind the 1-byte payload


def trickling_server(seconds: float) -> tuple[socket.socket, threading.Thread]:
    """A TCP server that sends its one client a byte every 50 ms for `seconds`, no newline:
    what an FTP client waits on for its greeting, never idle long enough for a read timeout."""
    listener = socket.create_server(("127.0.0.1", 0))

    def trickle() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    connection.sendall(b"2")
                    time.sleep(0.05)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    return listener, thread


def test_a_redirect_to_ftp_is_refused_within_the_deadline(tmp_path, hostile, monkeypatch):
    listener, thread = trickling_server(4.0)
    hostile.mode = "redirect"
    hostile.location = f"ftp://127.0.0.1:{listener.getsockname()[1]}/file.gz"
    base = mnist_module.MNIST_MIRRORS[0]
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", (base + "old/",))
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path / "root")
    assert time.monotonic() - start < 1.5  # not the ftp server's pace
    assert "the server redirects to a ftp:// URL; expected http:// or https://" in str(info.value)
    assert leftovers(tmp_path / "root") == []
    listener.close()
    thread.join(5)


def test_a_redirect_to_http_is_followed(tmp_path, hostile, monkeypatch):
    hostile.mode = "redirect"
    base = mnist_module.MNIST_MIRRORS[0]
    for name in [f"{stem}.gz" for stem in FILES]:
        url = base + "old/" + name
        download_module.fetch(
            url, tmp_path / name, size=len(BODY), md5=hashlib.md5(BODY).hexdigest()
        )
        assert (tmp_path / name).read_bytes() == BODY


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x.gz", "file:///etc/passwd", "x.gz"])
def test_a_mirror_that_is_not_http_is_refused_before_connecting(tmp_path, url):
    with pytest.raises(download_module.BadDownloadError, match="expected http:// or https://"):
        download_module.fetch(url, tmp_path / "x.gz", size=10, md5="0" * 32)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("plant", ["symlink", "hardlink"])
def test_a_link_planted_at_the_part_name_is_not_written_through(
    tmp_path, serve, monkeypatch, plant
):
    expected = write_dataset(tmp_path / "served", 4, 3)
    publish(monkeypatch, tmp_path / "served")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    root = tmp_path / "root"
    root.mkdir()
    part = root / f".{FILES[0]}.gz.part"
    if plant == "symlink":
        part.symlink_to(victim)
    else:
        os.link(victim, part)
    assert_loaded(load_mnist(root=root, mirrors=[serve]), expected)
    assert victim.read_bytes() == b"precious"
    assert leftovers(root) == sorted(f"{stem}.gz" for stem in FILES)
    assert not any(path.is_symlink() for path in root.iterdir())
