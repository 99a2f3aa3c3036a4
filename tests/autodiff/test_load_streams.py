"""Loads from file objects (torch.load(buffer)): bounded as a load from a path is, by the end of
a file or BytesIO and by _MAX_STREAM_BYTES for any other stream (a pipe, a gzip stream), a
longer stream refused before more is read; a failed load changes nothing and leaves nothing."""

import gzip
import io
import os
import tempfile
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest

import autodiff
import nn
from autodiff import serialization

MB = 1 << 20


class Endless(io.RawIOBase):
    """A stream that gives `head`, then zero bytes (until `stop`, so that a load reading it all
    ends), counting what it gives; it claims an end at byte `end` if one is given (and can then
    seek), else it cannot seek."""

    def __init__(self, head: bytes, end: int | None = None, stop: int = 64 * MB):
        self.head, self.end, self.stop, self.given = head, end, stop, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.end is not None

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if self.end is None:
            raise io.UnsupportedOperation("seek")
        self.position = self.end if whence == os.SEEK_END else offset
        return self.position

    def tell(self) -> int:
        return self.given

    def readinto(self, buffer) -> int:
        buffer = memoryview(buffer)[: max(self.stop - self.given, 0)]
        start = self.given
        data = self.head[start : start + len(buffer)]
        buffer[: len(data)] = data
        buffer[len(data) :] = bytes(len(buffer) - len(data))
        self.given += len(buffer)
        return len(buffer)


def checkpoint_bytes() -> bytes:
    buffer = io.BytesIO()
    autodiff.save({"w": np.arange(6.0).reshape(2, 3), "epoch": 3, "name": "run"}, buffer)
    return buffer.getvalue()


def pipe_of(data: bytes):
    """A binary file object reading `data` from an operating-system pipe: it cannot seek."""
    read_end, write_end = os.pipe()

    def write() -> None:
        with os.fdopen(write_end, "wb") as file, _broken_pipe_ignored():
            file.write(data)

    threading.Thread(target=write, daemon=True).start()
    return os.fdopen(read_end, "rb")


class _broken_pipe_ignored:
    """The reader may stop early (a refused stream): the writer then meets a broken pipe."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        return kind is not None and issubclass(kind, BrokenPipeError)


def peak_while(call) -> tuple[BaseException, int]:
    """The error `call()` raises and tracemalloc's peak while it runs."""
    tracemalloc.start()
    try:
        with pytest.raises((ValueError, TypeError, OSError)) as info:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return info.value, peak


@pytest.fixture
def private_temporary(tmp_path, monkeypatch):
    """Where load copies a stream to: checked to be empty again after each load."""
    directory = tmp_path / "temporary"
    directory.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(directory))
    return directory


# ----- streams that load -----------------------------------------------------------------------


def test_a_pipe_loads_as_the_file_it_carries(private_temporary):
    with pipe_of(checkpoint_bytes()) as stream:
        loaded = autodiff.load(stream)
    np.testing.assert_array_equal(loaded["w"], np.arange(6.0).reshape(2, 3))
    assert loaded["epoch"] == 3 and loaded["name"] == "run"
    assert list(private_temporary.iterdir()) == []


def test_a_stream_is_read_from_its_position_to_its_end(private_temporary):
    data = checkpoint_bytes()
    stream = io.BytesIO(b"preamble" + data)
    stream.seek(len(b"preamble"))
    np.testing.assert_array_equal(autodiff.load(stream)["w"], np.arange(6.0).reshape(2, 3))
    assert stream.tell() == len(b"preamble") + len(data)


def test_a_file_or_bytesio_longer_than_the_cap_loads_as_its_file_would(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "_MAX_STREAM_BYTES", 64)  # their ends bound them instead
    data = checkpoint_bytes()
    assert len(data) > 64
    (tmp_path / "checkpoint.pt").write_bytes(data)
    with open(tmp_path / "checkpoint.pt", "rb") as file, tempfile.TemporaryFile() as temporary:
        temporary.write(data)
        temporary.seek(0)
        for stream in (io.BytesIO(data), file, temporary):
            assert autodiff.load(stream)["epoch"] == 3


@pytest.mark.parametrize("source", ["BytesIO", "pipe"])
def test_module_load_takes_a_file_object(source):
    model = nn.Linear(3, 2)
    buffer = io.BytesIO()
    model.save(buffer)
    other = nn.Linear(3, 2)
    if source == "BytesIO":
        buffer.seek(0)
        other.load(buffer)
    else:
        with pipe_of(buffer.getvalue()) as stream:
            other.load(stream)
    np.testing.assert_array_equal(other.weight.numpy(), model.weight.numpy())
    np.testing.assert_array_equal(other.bias.numpy(), model.bias.numpy())


# ----- streams that are refused ----------------------------------------------------------------


def test_an_endless_stream_is_refused_once_it_passes_the_cap(monkeypatch, private_temporary):
    cap = 8 * MB
    monkeypatch.setattr(serialization, "_MAX_STREAM_BYTES", cap)
    stream = Endless(b"PK\x03\x04", stop=4 * cap)  # an .npz's start: nothing refuses it sooner
    error, peak = peak_while(lambda: autodiff.load(io.BufferedReader(stream)))
    assert str(error).startswith(f"load: the BufferedReader is longer than {cap} bytes")
    assert isinstance(error, ValueError)
    assert stream.given <= cap + 64 * 1024  # one byte past the cap, and a buffer's read-ahead
    assert peak < 4 * cap + 50 * MB, f"peak {peak / MB:.1f} MB for a {cap / MB:.0f} MB bound"
    assert list(private_temporary.iterdir()) == []


def test_a_gzip_stream_loads_and_a_gzip_bomb_is_refused_at_the_cap(monkeypatch):
    with gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(checkpoint_bytes()))) as stream:
        assert autodiff.load(stream)["epoch"] == 3  # it cannot seek to its end: read to the cap
    cap = 8 * MB
    monkeypatch.setattr(serialization, "_MAX_STREAM_BYTES", cap)
    bomb = gzip.compress(b"PK\x03\x04" + bytes(10 * cap))  # 80 MB in about 80 kB
    with gzip.GzipFile(fileobj=io.BytesIO(bomb)) as stream:
        error, peak = peak_while(lambda: autodiff.load(stream))
        assert str(error).startswith(f"load: the GzipFile is longer than {cap} bytes")
        assert stream.tell() == 0  # moved back: gzip streams can seek backwards
    assert peak < 4 * cap + 50 * MB, f"peak {peak / MB:.1f} MB for a {cap / MB:.0f} MB bound"


class Growing(io.BytesIO):
    """A BytesIO that something appends to while it is read, as to a file being written."""

    def read(self, size=-1):
        position = self.tell()
        self.seek(0, os.SEEK_END)
        self.write(bytes(MB))
        self.seek(position)
        return super().read(size)


def test_a_file_that_grows_past_its_end_while_it_is_read_is_refused(private_temporary):
    data = checkpoint_bytes()
    stream = Growing(data)
    error, peak = peak_while(lambda: autodiff.load(stream))
    assert str(error).startswith(f"load: the Growing grew past the {len(data)} bytes it held")
    assert stream.tell() == 0
    assert peak < 4 * len(data) + 50 * MB
    assert list(private_temporary.iterdir()) == []


def test_a_custom_stream_is_read_to_the_cap_whatever_end_it_claims(monkeypatch):
    cap = 4 * MB
    monkeypatch.setattr(serialization, "_MAX_STREAM_BYTES", cap)
    stream = Endless(b"PK\x03\x04", end=100, stop=4 * cap)  # it seeks, but its bytes are made
    with pytest.raises(ValueError, match=f"^load: the Endless is longer than {cap} bytes"):
        autodiff.load(stream)
    assert stream.given == cap + 1


def test_a_stream_that_is_no_file_of_ours_is_refused_by_its_first_bytes():
    stream = Endless(b"")  # zeros forever: neither format, whatever follows
    error, _ = peak_while(lambda: autodiff.load(stream))
    assert "its first bytes b'\\x00\\x00" in str(error)
    assert "are neither .npz nor .safetensors" in str(error)
    assert stream.given <= serialization._CHUNK_BYTES


def test_a_bomb_in_a_stream_is_refused_as_from_its_file(tmp_path):
    path = tmp_path / "structure.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__structure__.json", "[" + "0," * 30_000_000 + "0]")  # 60 MB of text
    data = path.read_bytes()
    assert len(data) < 200_000
    for stream in (io.BytesIO(data), pipe_of(data)):
        error, peak = peak_while(lambda: autodiff.load(stream))  # noqa: B023 - called at once
        assert "its structure claims 60000003 bytes, more than the file's" in str(error)
        assert peak < 4 * len(data) + 50 * MB, f"peak {peak / MB:.1f} MB"
        stream.close()


def test_errors_name_the_stream_not_the_temporary_copy(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"not a model at all")
    with open(path, "rb") as file, pytest.raises(ValueError) as info:
        autodiff.load(file)
    assert str(info.value).startswith(f"load: cannot read {str(path)!r} (its first bytes")
    with pytest.raises(ValueError, match=r"^load: cannot read the BytesIO \(its first bytes"):
        autodiff.load(io.BytesIO(b"not a model at all"))


class GivesText(io.RawIOBase):
    def read(self, size=-1):
        return "text"


class NotReady(io.RawIOBase):
    def read(self, size=-1):
        return None


def test_file_objects_that_give_no_bytes_are_the_librarys_error(tmp_path):
    (tmp_path / "text.txt").write_text("hello")
    closed = io.BytesIO(checkpoint_bytes())
    closed.close()
    with open(tmp_path / "text.txt") as text:
        cases = [
            (text, TypeError, "is a text stream; expected a binary file object"),
            (closed, ValueError, "cannot read the BytesIO: ValueError: I/O operation on closed"),
            (GivesText(), TypeError, "read\\(\\) of the GivesText gives str; expected bytes"),
            (NotReady(), OSError, "the NotReady has no data ready"),
        ]
        for stream, kind, message in cases:
            with pytest.raises(kind, match=f"^load: .*{message}"):
                autodiff.load(stream)


def test_a_failed_load_from_a_stream_changes_nothing(private_temporary):
    data = checkpoint_bytes()
    damaged = io.BytesIO(b"preamble" + data[:-40])
    damaged.seek(len(b"preamble"))
    with pytest.raises(ValueError, match="^load: cannot read the BytesIO"):
        autodiff.load(damaged)
    assert damaged.tell() == len(b"preamble")  # where it was: it can be read again
    assert list(private_temporary.iterdir()) == []
    model = nn.Linear(3, 2)
    before = [p.numpy().copy() for p in model.parameters()]
    wrong = io.BytesIO()
    nn.Linear(3, 4).save(wrong)
    wrong.seek(0)
    with pytest.raises(ValueError, match=r"key 'weight' has shape \(4, 3\); expected \(2, 3\)"):
        model.load(wrong)
    assert wrong.tell() == 0
    for parameter, value in zip(model.parameters(), before):
        np.testing.assert_array_equal(parameter.numpy(), value)
    assert list(private_temporary.iterdir()) == []


def test_no_writable_temporary_directory_is_the_librarys_error(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))
    stream = io.BytesIO(checkpoint_bytes())
    with pytest.raises(OSError, match="^load: cannot copy the BytesIO to a temporary file"):
        autodiff.load(stream)
    assert stream.tell() == 0
