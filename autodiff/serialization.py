"""save and load: arrays, Tensors and the nested dicts and lists that hold them, without pickle.

Two formats, chosen by the file name's suffix on save and by the file's first bytes on load:
`.safetensors` (what PyTorch, tinygrad and Hugging Face read with no pickle) and numpy's `.npz`
(any other suffix, `.pt` included, is written as .npz under exactly the given name). Arrays go in
the file as arrays; any structure around them (nested dicts, lists, tuples, numbers, strings,
None) goes in as JSON. Loads read every entry's name, dtype and shape before any data, so a
corrupt or hostile file is refused before memory is allocated for it; saves are atomic.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import math
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from autodiff.tensor import Tensor

try:
    import fcntl
except ImportError:  # not on Windows: saves there are atomic but not serialised by a lock
    fcntl = None

_NPZ_STRUCTURE = "__structure__.json"  # the .npz member holding the JSON structure
_SAFETENSORS_STRUCTURE = "autodiff.structure"  # the safetensors metadata key holding it
_REAL_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_CHUNK_BYTES = 1 << 20
_MAX_DEFLATE_RATIO = 1032  # deflate never packs more bytes than this into one byte
_MAX_SAFETENSORS_HEADER = 100_000_000  # the safetensors package's own limit
_MAX_STREAM_BYTES = 1 << 31  # the most read from a stream other than a file or an io.BytesIO
_MIN_MEMBER_BYTES = 160  # the least an .npz member from numpy or save takes is 174 bytes
_ZIP_END = struct.Struct("<4s4H2LH")  # a zip's end record: ..., directory length, offset, ...
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # its zip64 twin: ..., directory length, offset
_ZIP64_LOCATOR_SIZE = 20  # the zip64 end record's locator, between it and the end record
_MAX_DIMS = 64  # numpy's most dimensions for an array
_MAX_PROBLEMS_SHOWN = 20  # an error lists at most this many of a file's problems
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip member's signature, name and extra lengths
_NOT_CONTAINER_SYNTAX = bytes(sorted(set(range(256)) - set(b'"{}[]')))  # what a JSON scan drops
_SAFETENSORS_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
}
_PICKLE_REFUSED = "pickled objects are refused: unpickling can run any code"
_EXPECTED_FILE = (
    "a .safetensors or .npz file of plain numeric arrays, as autodiff.save and Module.save "
    f"write ({_PICKLE_REFUSED})"
)


class _Entry(NamedTuple):
    """One array in a file, known from its header before its data is read: read(source) reads
    it from the opened file (a ZipFile for .npz, a safe_open handle for .safetensors).
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    read: Callable[[Any], np.ndarray]


# ----- saving ---------------------------------------------------------------------------------


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write `obj` to `path`: an array, a Tensor, or dicts, lists and tuples of them, numbers,
    strings and None (e.g. {"model": model.state_dict(), "optimizer": opt.state_dict(),
    "epoch": 3}), as torch.save does, but with no pickle in the file.

    A name ending in `.safetensors`, in any case, gives a safetensors file (a flat dict of
    arrays is exactly what safetensors.torch.load_file reads back); any other name gives an
    .npz file under exactly that name. The file is written beside `path` under one temporary
    name, synced and renamed over `path`, so a save that fails or is killed midway leaves the
    old file whole.
    Saving through a symbolic link writes the file it points to. `path` may also be a binary
    file object (open(name, "wb"), io.BytesIO()), as torch.save takes: it gets the .npz form.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        if not callable(getattr(path, "write", None)):
            raise TypeError(
                f"save: path of type {type(path).__name__}; expected a file name or a binary "
                f"file object"
            )
        arrays = {}
        _write_npz(path, arrays, _structure_text(obj, arrays))
        return
    path = _fspath(path, "save")
    arrays: dict[str, np.ndarray] = {}
    structure = _structure_text(obj, arrays)
    if path.lower().endswith(".safetensors"):  # its metadata keeps a plain dict's order too
        import safetensors.numpy

        metadata = {_SAFETENSORS_STRUCTURE: structure}
        arrays = {key: np.require(array, requirements="C") for key, array in arrays.items()}
        data = safetensors.numpy.save(arrays, metadata=metadata)
        (header_size,) = struct.unpack("<Q", data[:8])
        if header_size > _MAX_SAFETENSORS_HEADER:
            raise ValueError(
                f"save: the safetensors header would take {header_size} bytes, more than the "
                f"{_MAX_SAFETENSORS_HEADER} that load reads; expected fewer arrays, or a .npz name"
            )
        write_atomically(path, lambda file: file.write(data))
    else:
        plain = (  # a state dict: its members' names and arrays alone say everything
            isinstance(obj, dict)
            and list(arrays) == list(obj)
            and all(type(value) is np.ndarray for value in obj.values())
        )
        text = None if plain else structure
        write_atomically(path, lambda file: _write_npz(file, arrays, text))


def _structure_text(obj: Any, arrays: dict[str, np.ndarray]) -> str:
    """The JSON text of `obj`'s structure, which load reads back; its arrays go into `arrays`."""
    deep = ValueError(
        "save: the object nests lists, tuples and dicts too deeply to store (past Python's "
        "recursion limit); expected a shallower tree"
    )
    try:
        encoded = _flatten(obj, arrays, "", set())
    except RecursionError:
        raise deep from None
    try:
        text = json.dumps(encoded)
    except RecursionError:
        raise deep from None
    except ValueError as error:  # an int of more digits than Python writes as text
        raise ValueError(f"save: {error}; expected ints that Python writes as text") from None
    if len(text) > _MAX_SAFETENSORS_HEADER:  # json.dumps writes ASCII: a character is a byte
        raise ValueError(
            f"save: the structure around the arrays takes {len(text)} bytes of JSON, more than "
            f"the {_MAX_SAFETENSORS_HEADER} that load reads; expected long runs of numbers as "
            f"arrays (np.asarray(values))"
        )
    return text


def _flatten(obj: Any, arrays: dict[str, np.ndarray], path: str, open_ids: set[int]) -> Any:
    """The JSON form of `obj`; its arrays go into `arrays` under names made from `path`."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {"float": repr(float(obj))}
    if isinstance(obj, Tensor):
        return {"tensor": _add_array(arrays, path, obj._value), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        return {"array": _add_array(arrays, path, obj)}
    if isinstance(obj, np.generic):
        return {"scalar": _add_array(arrays, path, np.asarray(obj))}
    if callable(getattr(obj, "state_dict", None)):  # a Module, an optimizer, a scheduler
        raise TypeError(
            f"save: cannot store a whole {type(obj).__name__} at {path or 'the top level'!r} "
            f"(files hold no pickles); expected its state_dict(): save(model.state_dict(), "
            f"path), then model.load_state_dict(load(path)) into a model built by your code"
        )
    if not isinstance(obj, (dict, list, tuple)):
        raise TypeError(
            f"save: cannot store a {type(obj).__name__} at {path or 'the top level'!r}; expected "
            f"arrays, Tensors, numbers, strings, None, and dicts, lists and tuples of them "
            f"(files hold no pickles)"
        )
    if id(obj) in open_ids:
        raise ValueError(f"save: {path or 'the top level'!r} contains itself; expected a tree")
    open_ids.add(id(obj))
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not (key is None or isinstance(key, (str, int, float))):
                raise TypeError(
                    f"save: a key of type {type(key).__name__} at {path or 'the top level'!r}; "
                    f"expected str, int, float, bool or None keys"
                )
            items.append(
                [_flatten(key, {}, "", set()), _flatten(value, arrays, _join(path, key), open_ids)]
            )
        encoded: Any = {"dict": items}
    else:
        values = [_flatten(v, arrays, _join(path, i), open_ids) for i, v in enumerate(obj)]
        encoded = {"tuple" if isinstance(obj, tuple) else "list": values}  # named ones too
    open_ids.discard(id(obj))
    return encoded


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _add_array(arrays: dict[str, np.ndarray], path: str, array: np.ndarray) -> str:
    """Store `array` under a name from `path` (made unique); return the name."""
    if array.dtype.kind not in _REAL_KINDS:
        raise TypeError(
            f"save: the array at {path or 'the top level'!r} has dtype {array.dtype}; expected "
            f"bool, integer or floating-point values (what both file formats hold)"
        )
    name = path or "array"
    suffix = 1
    while name in arrays:
        suffix += 1
        name = f"{path or 'array'}#{suffix}"
    arrays[name] = array
    return name


def _write_npz(file: BinaryIO, arrays: Mapping[str, np.ndarray], structure: str | None) -> None:
    """np.savez's format, written member by member (an array may be called "file"), with the
    JSON `structure`, if any, as one more member."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
        if structure is not None:
            archive.writestr(_NPZ_STRUCTURE, structure)


def write_atomically(path: str, write: Callable[[BinaryIO], Any]) -> None:
    """Run write(file) on `.<name>.tmp` beside the target, sync it, rename it over the target.

    The temporary name is fixed per target, so a save killed midway leaves at most that one
    file, which the next save reuses. It is opened by open_temporary, never through a link
    planted at that name. A lock on it makes concurrent saves of one target wait for each
    other instead of writing into the same file.
    """
    target = os.path.realpath(path)  # through a symbolic link: replace what it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {path}: no directory {directory}")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: cannot write {path}: it is a directory; expected a file")
    temporary = os.path.join(directory, f".{os.path.basename(target)}.tmp")
    with open_temporary(temporary, "save") as file:
        try:
            file.truncate(0)  # a file left by a killed save
            write(file)
            file.flush()
            os.fsync(file.fileno())
            rename_if_unchanged(file, temporary, target, "save")
        except BaseException:
            remove_if_unchanged(file, temporary)
            raise
    with contextlib.suppress(OSError):  # not every system can sync a directory
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_temporary(path: str | os.PathLike, op: str) -> BinaryIO:
    """`path`, a temporary name beside a target, opened for writing (not truncated) and locked.

    The file is created exclusively (O_CREAT | O_EXCL | O_NOFOLLOW). A regular file of one link
    already there, left by a killed save or download, is reused once its lock is free (a
    concurrent writer holds it meanwhile); anything else at that name (a symbolic or second
    hard link, a pipe) is removed, never opened: whoever can write to the directory cannot
    make a write go to another file.
    """
    path = os.fspath(path)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o666)
        except FileExistsError:
            fd = _open_existing(path, op)
            if fd is None:
                continue  # whatever was there is gone: create the file afresh
        file = os.fdopen(fd, "r+b")
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        if _still_at(fd, path):
            return file
        file.close()  # a concurrent writer renamed it while we waited: lock the new one


def _open_existing(path: str, op: str) -> int | None:
    """A descriptor of the plain file at `path`, or None once something else there is removed."""
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            fd = os.open(path, os.O_RDWR | _NO_FOLLOW | getattr(os, "O_NONBLOCK", 0))
            if _still_at(fd, path):
                return fd
            os.close(fd)
            return None
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(
                f"{op}: cannot write {path}: a directory has the temporary file's name; "
                f"expected it free or a file"
            )
        os.unlink(path)  # removes a link itself, never what it points to
    except FileNotFoundError:
        pass
    return None


def _still_at(fd: int, path: str) -> bool:
    """Whether the open file `fd` is still the plain, single-link file named `path`."""
    try:
        named = os.lstat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return os.path.samestat(opened, named) and stat.S_ISREG(opened.st_mode) and opened.st_nlink == 1


def rename_if_unchanged(file: BinaryIO, temporary: str, target: str | os.PathLike, op: str) -> None:
    """Rename `temporary` over `target`, if it still names `file` (not a link put there since)."""
    if not _still_at(file.fileno(), temporary):
        raise OSError(f"{op}: {temporary} was replaced while it was written; nothing was saved")
    os.replace(temporary, target)


def remove_if_unchanged(file: BinaryIO, temporary: str) -> None:
    """Remove `temporary` if it still names `file`; anything else there is left alone."""
    with contextlib.suppress(OSError):
        if _still_at(file.fileno(), temporary):
            os.unlink(temporary)


# ----- loading --------------------------------------------------------------------------------


def load(path: str | os.PathLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Read what save() wrote: the same nested dicts, lists and tuples, with arrays as numpy
    arrays and Tensors as Tensors. A .npz or .safetensors file from elsewhere (np.savez,
    safetensors.torch.save_file) loads as a dict of name -> array.

    The format is recognised from the file's first bytes, not its name. Pickles, which
    torch.save writes, are refused: unpickling can run any code. `map_location` may be None or
    "cpu" (everything runs on the CPU); `weights_only` changes nothing, as no file is unpickled.
    """
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(
            f"load: map_location={map_location!r}; expected None or 'cpu' (arrays live in the "
            f"computer's memory)"
        )
    if not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only={weights_only!r}; expected True or False")
    if _is_file_object(path):
        return _from_stream(path, load)
    path = _fspath(path, "load")
    entries, structure = _open_entries(path)
    problems = _kind_problems(entries)
    if problems:
        raise ValueError(_problem_message(path, problems))
    if structure is None:
        return _read_entries(path, entries)
    reader = _StructureReader(entries)
    try:  # every node checked before any array is read
        parsed = reader.parse(structure)
    except (ValueError, TypeError, RecursionError) as error:
        raise _damaged(path, error) from error
    except _UnusedArrays as error:
        raise ValueError(
            f"load: cannot read {path!r}: arrays {error} are not in its structure; expected "
            f"{_EXPECTED_FILE}"
        ) from None
    arrays = _read_entries(path, entries)
    try:
        return reader.fill(parsed, arrays)
    except RecursionError as error:
        raise _damaged(path, error) from error


def _damaged(path: str, error: BaseException) -> ValueError:
    reason = _excerpt(f"{type(error).__name__}: {error}", 300)
    return ValueError(
        f"load: cannot read {path!r}: its structure is damaged ({reason}); expected "
        f"{_EXPECTED_FILE}"
    )


def _fspath(path: Any, op: str) -> str:
    """`path` as a str, or the library's error naming `op`."""
    if isinstance(path, bytes):
        return os.fsdecode(path)
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(
            f"{op}: path of type {type(path).__name__}; expected a file name (str or os.PathLike) "
            f"or a binary file object"
        ) from None


def _is_file_object(path: Any) -> bool:
    return not isinstance(path, (str, bytes, os.PathLike)) and callable(getattr(path, "read", None))


def _from_stream(file: BinaryIO, load_path: Callable[[str], Any]) -> Any:
    """load_path(name) of a private temporary copy of what the binary file object `file` holds
    from its position on (torch.load(buffer)), so that every check of a load from a path
    applies to it.

    The copy is read a chunk at a time and bounded before it is written: to the end of a
    stream whose bytes already exist (a file from open(), io.BytesIO), whose size is then
    known as a path's is; to _MAX_STREAM_BYTES for any other (a pipe, a socket, a gzip
    stream), a longer stream being refused. A failed load moves a seekable `file` back to
    where it was.
    """
    shown = _stream_name(file)
    start, remaining = _stream_span(file, shown)
    try:
        directory = tempfile.TemporaryDirectory()  # private to this user: no planted link
    except OSError as error:  # no temporary directory can be written
        raise OSError(f"load: cannot copy {shown} to a temporary file: {error}") from error
    try:
        with directory:
            name = os.path.join(directory.name, "stream")
            with open(name, "wb") as copy:
                _copy_stream(file, copy, shown, remaining)
            try:
                return load_path(name)
            except (ValueError, TypeError, OSError) as error:
                raise _renamed(error, repr(name), shown) from error.__cause__
    except BaseException:
        if start is not None:
            with contextlib.suppress(OSError, ValueError):
                file.seek(start)
        raise


def _stream_name(file: BinaryIO) -> str:
    """How errors name a file object: by its file's name if it has one (open(name, "rb"))."""
    name = getattr(file, "name", None)
    if isinstance(name, (str, bytes)) and name:
        return repr(os.fsdecode(name))
    return f"the {type(file).__name__}"


def _stream_span(file: BinaryIO, shown: str) -> tuple[int | None, int | None]:
    """(position, bytes from there to its end) of `file`, None for what it cannot tell.

    Only a stream whose bytes already exist has a known end: a regular file's from open() or
    tempfile.TemporaryFile(), an io.BytesIO's. Any other (a pipe, a socket, a custom stream, a
    gzip stream or zip member, which would inflate everything to find its end) has none, even
    if it can seek; its position, where it tells one, moves it back after a failed load.
    """
    if isinstance(file, io.TextIOBase):
        raise TypeError(
            f"load: {shown} is a text stream; expected a binary file object (open(name, 'rb'), "
            f"io.BytesIO)"
        )
    try:
        start = file.tell() if file.seekable() else None
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        start = None
    if type(start) is not int:
        return None, None
    end = None
    if isinstance(file, io.BytesIO):
        with file.getbuffer() as view:  # released at once: the BytesIO may grow again
            end = view.nbytes
    elif isinstance(getattr(file, "raw", file), io.FileIO):
        info = os.fstat(file.fileno())
        end = info.st_size if stat.S_ISREG(info.st_mode) else None  # not a pipe, not a device
    return start, None if end is None else max(end - start, 0)


def _copy_stream(file: BinaryIO, copy: BinaryIO, shown: str, remaining: int | None) -> None:
    """Copy `file` into `copy` a chunk at a time, refusing it once it holds more than
    `remaining` bytes (what it held), or than _MAX_STREAM_BYTES where it has no known end:
    at most one byte past that bound is read. A stream whose first bytes no file that load
    reads begins with is copied no further: load refuses it by those alone."""
    limit = _MAX_STREAM_BYTES if remaining is None else remaining
    done = 0
    head = b""
    while True:
        try:
            chunk = file.read(min(_CHUNK_BYTES, limit + 1 - done))
        except (OSError, ValueError) as error:  # a closed or write-only file, a broken pipe
            kind = OSError if isinstance(error, OSError) else ValueError
            raise kind(f"load: cannot read {shown}: {type(error).__name__}: {error}") from error
        if chunk is None:
            raise OSError(f"load: {shown} has no data ready; expected a blocking binary stream")
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"load: read() of {shown} gives {type(chunk).__name__}; expected bytes, from a "
                f"binary file object (open(name, 'rb'), io.BytesIO)"
            )
        if not chunk:
            return
        done += memoryview(chunk).nbytes
        if done > limit and remaining is None:
            raise ValueError(
                f"load: {shown} is longer than {limit} bytes, the most read from a stream "
                f"other than a file or an io.BytesIO; expected a shorter stream, or save it to "
                f"a file and load that file"
            )
        if done > limit:
            raise ValueError(
                f"load: {shown} grew past the {remaining} bytes it held when the load began; "
                f"expected a file that nothing writes while it is read"
            )
        try:
            copy.write(chunk)
        except OSError as error:  # a full disk
            raise OSError(f"load: cannot copy {shown} to a temporary file: {error}") from error
        if len(head) < 9:
            head += bytes(chunk[: 9 - len(head)])
            if len(head) == 9 and not _may_be_loadable(head):
                return


def _may_be_loadable(head: bytes) -> bool:
    """Whether a file beginning with these 9 bytes may be one that load reads, or names what
    it holds from more than them (an .npy file's shape): see _open_entries."""
    return head.startswith((b"PK", b"\x93NUMPY")) or head[8:9] == b"{"


def _renamed(error: BaseException, name: str, shown: str) -> BaseException:
    """`error` with the temporary copy's `name` in its message replaced by how the stream is
    shown: the user never gave that name."""
    text = str(error).replace(name, shown)
    try:
        renamed = type(error)(text)
    except TypeError:  # an exception type that needs more arguments
        renamed = ValueError(text) if isinstance(error, ValueError) else OSError(text)
    return renamed


def load_arrays(
    path: str | os.PathLike, expected: Mapping[str, np.ndarray], strict: bool = True
) -> dict[str, np.ndarray]:
    """The arrays of a .npz or .safetensors file that are named in `expected`, checked before
    any data is read: each must be real-valued and of its expected array's shape; with strict,
    no name may be missing or unexpected (otherwise unexpected ones are not read at all).
    This is what Module.load uses; dtypes are converted later, by load_state_dict. `path` may
    also be a binary file object, read as load() reads one.
    """
    if _is_file_object(path):
        return _from_stream(path, lambda name: load_arrays(name, expected, strict))
    path = _fspath(path, "load_arrays")
    entries, _ = _open_entries(path)
    if not strict:  # entries that will not be loaded are not read, nor judged
        entries = {key: entry for key, entry in entries.items() if key in expected}
    problems = _kind_problems(entries)
    for key, entry in entries.items():
        if key in expected and entry.shape != expected[key].shape:
            problems.append(f"key {key!r} has shape {entry.shape}; expected {expected[key].shape}")
    if strict:
        problems += [
            f"missing key {key!r} of shape {expected[key].shape}"
            for key in expected
            if key not in entries
        ]
        problems += [f"unexpected key {key!r}" for key in entries if key not in expected]
    if problems:
        raise ValueError(_problem_message(path, problems))
    return _read_entries(path, entries)


def _problem_message(path: str, problems: list[str]) -> str:
    shown = problems[:_MAX_PROBLEMS_SHOWN]
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more")
    return (
        f"load: {path!r} cannot be loaded; expected real-valued arrays of the right names and "
        f"shapes, got:\n  " + "\n  ".join(shown)
    )


def _kind_problems(entries: Mapping[str, _Entry]) -> list[str]:
    problems = []
    for key, entry in entries.items():
        if entry.dtype.hasobject:
            problems.append(f"key {key!r} holds Python objects; {_PICKLE_REFUSED}")
        elif entry.dtype.kind not in _REAL_KINDS:
            problems.append(
                f"key {key!r} has dtype {entry.dtype}; expected bool, integer or float values"
            )
    return problems


def _read_entries(path: str, entries: Mapping[str, _Entry]) -> dict[str, np.ndarray]:
    """Read the data of `entries`, every header of which has been checked."""
    from safetensors import SafetensorError, safe_open

    with open(path, "rb") as file:
        is_npz = file.read(2) == b"PK"
    try:
        if is_npz:
            source = zipfile.ZipFile(path)
        else:
            source = safe_open(path, framework="numpy")
        with source as opened:
            return {key: entry.read(opened) for key, entry in entries.items()}
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        SafetensorError,
    ) as error:
        raise _unreadable(path, error) from error


def _unreadable(path: str, error: BaseException | str) -> ValueError:
    reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    reason = _excerpt(reason, 600)  # what a hostile file says is quoted, never in full
    return ValueError(f"load: cannot read {path!r} ({reason}); expected {_EXPECTED_FILE}")


def _open_entries(path: str) -> tuple[dict[str, _Entry], str | None]:
    """Every array's header (name, dtype, shape) and the JSON structure, if any, without
    reading array data. Raises ValueError for a file that is not one we can read safely.
    """
    try:
        with open(path, "rb") as file:
            head = file.read(16)
            size = os.fstat(file.fileno()).st_size
    except OSError as error:  # no such file, a directory, no permission: the same type, named
        raise type(error)(f"load: cannot read {path!r}: {error.strerror or error}") from error
    if head.startswith(b"PK"):
        return _npz_entries(path, size)
    if head.startswith(b"\x93NUMPY"):
        with open(path, "rb") as file:
            shape = _npy_header(file, path, "the file")[0]
        raise _unreadable(path, f"it holds a single array of shape {shape}, as np.save writes")
    # safetensors first: its header's length, in the first 8 bytes, may begin as a pickle does
    if len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] <= size - 8:
        return _safetensors_entries(path, size)
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        raise _unreadable(path, "it is a pickle, as torch.save writes")
    if len(head) >= 9 and head[8:9] == b"{":
        return _safetensors_entries(path, size)  # refused there, naming the header's length
    raise _unreadable(path, f"its first bytes {head[:8]!r} are neither .npz nor .safetensors")


def _npy_header(file: BinaryIO, path: str, where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from the .npy header at the file's position."""
    try:
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(file)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(file)
    except (ValueError, EOFError, zipfile.BadZipFile, zlib.error, OSError) as error:
        raise _unreadable(path, f"{where} is damaged: {type(error).__name__}: {error}") from error
    raise _unreadable(path, f"{where} is .npy format version {version}; expected 1.0 or 2.0")


def _npz_entries(path: str, size: int) -> tuple[dict[str, _Entry], str | None]:
    try:
        with open(path, "rb") as raw:
            _check_zip_directory(path, raw, size)
            with zipfile.ZipFile(raw) as archive:
                infos = archive.infolist()
                _check_zip_layout(path, raw, infos, size)
                if any(info.filename.endswith(".pkl") for info in infos):
                    raise _unreadable(path, "it is a pickle archive, as torch.save writes")
                entries, structure = {}, None
                for info in infos:
                    if info.filename == _NPZ_STRUCTURE:
                        structure = _npz_structure(path, archive, info, size)
                        continue
                    if not info.filename.endswith(".npy"):
                        where = _excerpt(info.filename, 80)
                        raise _unreadable(path, f"member {where} is not an .npy array")
                    entries[info.filename[:-4]] = _npz_entry(path, archive, info, size)
                return entries, structure
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError) as error:
        raise _unreadable(path, error) from error


def _check_zip_directory(path: str, raw: BinaryIO, size: int) -> None:
    """Refuse, before zipfile parses it, a central directory listing more members than the file
    can hold: at most one per _MIN_MEMBER_BYTES bytes. zipfile keeps about 450 bytes for each
    entry of the directory, which takes as few as 47: without this count, a directory
    stuffed with entries would make zipfile allocate 9 times the file's size."""
    found = _zip_directory_span(raw, size)
    if found is None:
        return  # zipfile finds no directory either, and says so
    start, length = found
    raw.seek(start)
    count, carry = 0, b""
    while length > 0:
        chunk = raw.read(min(_CHUNK_BYTES, length))
        if not chunk:
            break
        length -= len(chunk)
        block = carry + chunk
        count += block.count(b"PK\x01\x02")  # every entry begins so; zipfile checks it does
        carry = block[-3:]  # a signature cut between chunks is counted once, in the next
    if count > 1 + size // _MIN_MEMBER_BYTES:
        raise _unreadable(
            path,
            f"its directory lists up to {count} members, more than one per "
            f"{_MIN_MEMBER_BYTES} bytes of its {size}",
        )


def _zip_directory_span(raw: BinaryIO, size: int) -> tuple[int, int] | None:
    """(offset, length) of the bytes that zipfile reads as the central directory, found as
    zipfile finds them (from the end record, or the zip64 end record before it), or None."""
    tail_size = min(size, _ZIP_END.size + (1 << 16))  # the end record, then a comment
    raw.seek(size - tail_size)
    tail = raw.read(tail_size)
    at = len(tail) - _ZIP_END.size  # an end record without a comment ends the file
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
        at = tail.rfind(b"PK\x05\x06")  # else the last one before a comment
    if at < 0 or len(tail) - at < _ZIP_END.size:
        return None
    *_, length, _, _ = _ZIP_END.unpack_from(tail, at)
    location = size - tail_size + at
    before = location  # where the directory ends
    if location >= _ZIP64_LOCATOR_SIZE + _ZIP64_END.size:
        raw.seek(location - _ZIP64_LOCATOR_SIZE - _ZIP64_END.size)
        record = raw.read(_ZIP64_END.size + 4)
        if record[-4:] == b"PK\x06\x07" and record[:4] == b"PK\x06\x06":
            length = _ZIP64_END.unpack_from(record)[-2]
            before = location - _ZIP64_LOCATOR_SIZE - _ZIP64_END.size
    start = max(before - length, 0)
    return start, before - start


def _check_zip_layout(path: str, raw: BinaryIO, infos: list[zipfile.ZipInfo], size: int) -> None:
    """Refuse, before anything is inflated, an archive whose members repeat a name, overlap,
    are out of order, lie past the file's end, or claim more in total than deflate can pack
    into the file: what all members of a valid archive inflate to is then at most
    _MAX_DEFLATE_RATIO times the file's size (one byte per byte for stored members).
    """
    names = sorted(info.filename for info in infos)  # a repeated name lies beside itself
    duplicates = sorted({a for a, b in zip(names, names[1:]) if a == b})
    if duplicates:
        raise _unreadable(path, f"it holds members {_excerpt(duplicates, 200)} more than once")
    del names
    end = 0  # where the previous member's data ends
    total = 0
    for info in infos:
        where = f"member {_excerpt(info.filename, 80)}"
        _check_member_sizes(path, info, size)
        if info.header_offset < end:
            raise _unreadable(path, f"{where} overlaps the member before it or is out of order")
        raw.seek(info.header_offset)
        local = raw.read(_LOCAL_HEADER.size)
        if len(local) < _LOCAL_HEADER.size or local[:4] != b"PK\x03\x04":
            raise _unreadable(path, f"{where} has no local header at offset {info.header_offset}")
        _, name_length, extra_length = _LOCAL_HEADER.unpack(local)
        end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        end += info.compress_size
        if end > size:
            raise _unreadable(path, f"{where} ends at byte {end} of a {size}-byte file")
        total += info.file_size
    if total > _MAX_DEFLATE_RATIO * size:
        raise _unreadable(
            path,
            f"its members claim {total} bytes in all, more than {_MAX_DEFLATE_RATIO} times its "
            f"{size} bytes",
        )


def _check_member_sizes(path: str, info: zipfile.ZipInfo, size: int) -> None:
    """Refuse a member whose method is not stored or deflated, or whose inflated size is more
    than deflate can pack into its compressed size."""
    where = f"member {_excerpt(info.filename, 80)}"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _unreadable(path, f"{where} uses zip compression method {info.compress_type}")
    if (
        info.file_size > _MAX_DEFLATE_RATIO * max(info.compress_size, 1) + 1024
        or info.compress_size > size
    ):
        raise _unreadable(path, f"{where} claims {info.file_size} bytes from {info.compress_size}")


def _npz_structure(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> str:
    """The JSON structure member's text, which may be no longer than the file itself (save
    stores it uncompressed), checked before it is inflated."""
    if info.file_size > min(size, _MAX_SAFETENSORS_HEADER):
        raise _unreadable(
            path, f"its structure claims {info.file_size} bytes, more than the file's {size}"
        )
    with archive.open(info) as member:
        text = member.read(info.file_size + 1)
    if len(text) != info.file_size:
        raise _unreadable(path, f"its structure holds {len(text)} bytes, not {info.file_size}")
    return text.decode("utf-8")


def _npz_entry(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> _Entry:
    """Check one member's header against its sizes in the zip directory; read nothing else."""
    where = f"member {_excerpt(info.filename, 80)}"
    with archive.open(info) as member:
        header = _npy_header(member, path, where)
        header_size = member.tell()
    shape, fortran_order, dtype = header
    if any(n < 0 for n in shape):
        raise _unreadable(path, f"{where}'s header claims shape {shape}")
    data_size = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if dtype.kind in _REAL_KINDS and header_size + data_size != info.file_size:
        raise _unreadable(
            path,
            f"{where}'s header claims shape {shape} of {dtype} ({data_size} bytes), but the "
            f"member holds {info.file_size - header_size} bytes of data",
        )

    def read(archive: zipfile.ZipFile) -> np.ndarray:
        data = np.empty(data_size, np.uint8)
        with archive.open(info.filename) as member:
            if _npy_header(member, path, where) != header or member.tell() != header_size:
                raise ValueError(f"{where} changed while it was read")
            _read_into(member, data)
            if member.read(1):  # also makes zipfile check the member's CRC
                raise ValueError(f"{where} holds more than {data_size} bytes of data")
        array = data.view(dtype).reshape(shape, order="F" if fortran_order else "C")
        return array if dtype.isnative else array.astype(dtype.newbyteorder("="))

    return _Entry(shape, dtype, read)


def _read_into(stream: BinaryIO, data: np.ndarray) -> None:
    """Fill `data` (bytes) from `stream`, a chunk at a time; a short stream is an error."""
    view = memoryview(data)
    done = 0
    while done < len(data):
        chunk = stream.read(min(_CHUNK_BYTES, len(data) - done))
        if not chunk:
            raise EOFError(f"the data ends after {done} of {len(data)} bytes")
        view[done : done + len(chunk)] = chunk
        done += len(chunk)


def _safetensors_entries(path: str, size: int) -> tuple[dict[str, _Entry], str | None]:
    with open(path, "rb") as file:
        (header_size,) = struct.unpack("<Q", file.read(8))
        if header_size > min(size - 8, _MAX_SAFETENSORS_HEADER):
            raise _unreadable(path, f"its header claims {header_size} bytes of a {size}-byte file")
        text = file.read(header_size)
    _check_safetensors_header_text(path, text)
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise _unreadable(path, f"its safetensors header is damaged: {error}") from error
    if not isinstance(header, dict):
        raise _unreadable(path, "its safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(type(v) is str for v in metadata.values()):
        raise _unreadable(path, "its __metadata__ is not a map of strings to strings")
    data_size = size - 8 - header_size
    entries = {key: _safetensors_entry(path, key, spec, data_size) for key, spec in header.items()}
    _check_safetensors_layout(path, header, data_size)
    return entries, metadata.get(_SAFETENSORS_STRUCTURE)


def _check_safetensors_header_text(path: str, text: bytes) -> None:
    """Refuse, in linear time and before it is parsed, a header whose JSON nests more objects
    and lists than a safetensors header can: one object per tensor holding two lists (shape and
    data_offsets), one for __metadata__, one around all. Parsing is then bounded by the
    header's length, whatever a hostile file puts in it."""
    objects, lists, closed = _json_containers(text)
    if lists not in (2 * (objects - 1), 2 * (objects - 2)) or closed != lists:
        raise _unreadable(
            path,
            f"its safetensors header nests {objects} JSON objects and {lists} lists; expected "
            f"one object per tensor holding two lists (shape and data_offsets)",
        )


def _json_containers(text: bytes) -> tuple[int, int, int]:
    """How many '{', '[' and ']' of the JSON `text` lie outside its strings."""
    text = text.replace(b"\\\\", b"").replace(b'\\"', b"")  # escapes: no quote inside is left
    syntax = np.frombuffer(text.translate(None, _NOT_CONTAINER_SYNTAX), np.uint8)
    quotes = np.cumsum(syntax == ord('"'), dtype=np.uint8)  # parity survives the wrap-around
    counts = np.bincount(syntax[(quotes & 1) == 0], minlength=256)
    return int(counts[ord("{")]), int(counts[ord("[")]), int(counts[ord("]")])


def _check_safetensors_layout(path: str, header: dict[str, Any], data_size: int) -> None:
    """Refuse tensors whose data overlap or leave gaps: together they cover the data once, so
    what a load allocates is at most the file's size."""
    end = 0
    for key, spec in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, stop = spec["data_offsets"]
        if begin != end:
            raise _unreadable(
                path,
                f"tensor {_excerpt(key, 80)} begins at byte {begin} of the data, where the one "
                f"before it ends at {end}; expected tensors side by side, without overlaps",
            )
        end = stop
    if end != data_size:
        raise _unreadable(path, f"its tensors cover {end} of the {data_size} bytes of data")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        counts = collections.Counter(key for key, _ in pairs)
        duplicates = sorted(key for key, count in counts.items() if count > 1)
        raise ValueError(f"it names {_excerpt(duplicates, 200)} more than once")
    return result


def _no_constant(name: str) -> None:
    raise ValueError(f"it holds the non-JSON constant {name}")


def _safetensors_entry(path: str, key: str, spec: Any, data_size: int) -> _Entry:
    where = f"tensor {_excerpt(key, 80)}"
    valid = (
        isinstance(spec, dict)
        and set(spec) == {"dtype", "shape", "data_offsets"}
        and isinstance(spec["dtype"], str)
        and isinstance(spec["shape"], list)
        and isinstance(spec["data_offsets"], list)
        and len(spec["data_offsets"]) == 2
        and all(type(n) is int and n >= 0 for n in (*spec["shape"], *spec["data_offsets"]))
    )
    if not valid:
        raise _unreadable(path, f"{where} has a damaged header entry {_excerpt(spec, 120)}")
    dtype_name, shape, (begin, end) = spec["dtype"], tuple(spec["shape"]), spec["data_offsets"]
    if dtype_name not in _SAFETENSORS_DTYPES:
        advice = (
            " (convert it to float32 before saving)" if dtype_name.startswith(("BF", "F8")) else ""
        )
        dtype_text = dtype_name if len(dtype_name) <= 20 else _excerpt(dtype_name, 40)
        raise _unreadable(path, f"{where} has dtype {dtype_text}, which numpy lacks{advice}")
    dtype = _SAFETENSORS_DTYPES[dtype_name]
    nbytes = math.prod(shape) * dtype.itemsize
    if end - begin != nbytes or end > data_size:
        raise _unreadable(
            path,
            f"{where}'s header claims shape {shape} of {dtype} ({nbytes} bytes) at bytes "
            f"{begin}..{end} of {data_size}",
        )
    if len(shape) > _MAX_DIMS:
        raise _unreadable(
            path,
            f"{where} has {len(shape)} dimensions; expected at most {_MAX_DIMS}, numpy's limit",
        )

    def read(file: Any) -> np.ndarray:
        array = file.get_tensor(key)
        if array.shape != shape or array.dtype != dtype:
            raise ValueError(f"{where} changed while it was read")
        return array if array.flags.writeable else array.copy()

    return _Entry(shape, dtype, read)


class _ArrayNode:
    """Where an array goes in a structure: filled in once every node is checked and it is read."""

    __slots__ = ("tag", "name", "requires_grad")

    def __init__(self, tag: str, name: str, requires_grad: bool | None):
        self.tag, self.name, self.requires_grad = tag, name, requires_grad

    def build(self, arrays: Mapping[str, np.ndarray]) -> Any:
        array = arrays[self.name]
        if self.tag == "scalar":
            return array[()]
        if self.tag == "array":
            return array
        return Tensor(array, requires_grad=self.requires_grad)


class _StructureReader:
    """The object whose JSON form (from _flatten) a file holds, built node by node as json.loads
    closes each JSON object (its object_pairs_hook), and each node checked then: a stuffed or
    lying structure is refused at its first bad node, and a valid one costs what the values it
    holds cost, never the JSON objects that spell them. Array nodes name the file's entries
    (each once, a scalar's 0-d), which are read and put in place only after every check.
    """

    def __init__(self, entries: Mapping[str, _Entry]):
        self.entries = entries
        self.used: set[str] = set()
        self.made: dict[int, list] = {}  # the lists that nodes made (a bare JSON list is a part)
        self.holding: dict[int, Any] = {}  # the containers with an array node inside
        self.tuples: set[int] = set()  # lists holding arrays that become tuples once filled

    def parse(self, text: str) -> Any:
        root = json.loads(text, object_pairs_hook=self.node, parse_constant=_no_constant)
        self.check_value(root)
        unused = set(self.entries) - self.used
        if unused:
            raise _UnusedArrays(_excerpt(sorted(unused), 200))
        return root

    def node(self, pairs: list[tuple[str, Any]]) -> Any:
        keys = [key for key, _ in pairs]
        tags = [key for key in keys if key != "requires_grad"]
        if (
            len(tags) != 1
            or len(set(keys)) != len(keys)
            or ("requires_grad" in keys) != (tags[0] == "tensor")
        ):
            raise ValueError(f"a node with keys {_excerpt(sorted(keys), 80)}")
        node = dict(pairs)
        (tag,) = tags
        value = node[tag]
        if tag in ("tensor", "array", "scalar"):
            return self.array_node(tag, value, node.get("requires_grad"))
        if tag == "float":
            if value not in ("nan", "inf", "-inf"):
                raise ValueError(f"float {_excerpt(value, 40)}; expected 'nan', 'inf' or '-inf'")
            return float(value)
        if tag == "dict":
            return self.dict_node(value)
        if tag in ("list", "tuple"):
            return self.sequence_node(tag, value)
        raise ValueError(f"unknown tag {_excerpt(tag, 40)}")

    def array_node(self, tag: str, name: Any, requires_grad: Any) -> _ArrayNode:
        if not isinstance(name, str) or name not in self.entries:
            raise ValueError(f"{tag} {_excerpt(name, 80)} names no array of the file")
        if name in self.used:
            raise ValueError(f"array {_excerpt(name, 80)} is used twice")
        shape = self.entries[name].shape
        if tag == "scalar" and shape != ():
            raise ValueError(f"scalar {_excerpt(name, 80)} has shape {shape}")
        if tag == "tensor" and not isinstance(requires_grad, bool):
            raise ValueError(f"requires_grad={_excerpt(requires_grad, 40)}; expected true or false")
        self.used.add(name)
        return _ArrayNode(tag, name, requires_grad)

    def is_bare_list(self, value: Any) -> bool:
        return type(value) is list and id(value) not in self.made

    def check_value(self, value: Any) -> bool:
        """Refuse a bare JSON list where a value belongs; whether `value` holds an array."""
        if self.is_bare_list(value):
            raise TypeError("unexpected list")
        return type(value) is _ArrayNode or id(value) in self.holding

    def sequence_node(self, tag: str, items: Any) -> list | tuple:
        if not self.is_bare_list(items):
            raise ValueError(f"a {tag} that is not a JSON list")
        holds = False
        for item in items:
            holds = self.check_value(item) or holds
        if tag == "tuple" and not holds:
            return tuple(items)
        self.made[id(items)] = items  # itself, not a copy: a list costs what it holds
        if holds:
            self.holding[id(items)] = items
            if tag == "tuple":
                self.tuples.add(id(items))
        return items

    def dict_node(self, pairs: Any) -> dict:
        if not self.is_bare_list(pairs) or not all(
            self.is_bare_list(pair) and len(pair) == 2 for pair in pairs
        ):
            raise ValueError("a dict that is not a list of [key, value] pairs")
        result: dict = {}
        holds = False
        for key, item in pairs:
            if not (key is None or type(key) in (str, int, float, bool)):
                kind = key.tag if type(key) is _ArrayNode else type(key).__name__
                raise ValueError(f"a dict key of type {kind}")
            if key in result:
                raise ValueError(f"a dict with the key {_excerpt(key, 80)} twice")
            holds = self.check_value(item) or holds
            result[key] = item
        if holds:
            self.holding[id(result)] = result
        return result

    def fill(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
        """`value` with its array nodes replaced by the arrays and Tensors they name."""
        if type(value) is _ArrayNode:
            return value.build(arrays)
        if id(value) not in self.holding:
            return value
        if type(value) is dict:
            for key, item in value.items():
                value[key] = self.fill(item, arrays)
            return value
        for index, item in enumerate(value):
            value[index] = self.fill(item, arrays)
        return tuple(value) if id(value) in self.tuples else value


class _UnusedArrays(Exception):
    """A structure that leaves some of the file's arrays out (their names, in an excerpt)."""


def _excerpt(value: Any, limit: int) -> str:
    """`value`'s repr (a string as itself), cut to about `limit` characters."""
    text = value if isinstance(value, str) and limit > 100 else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}... ({len(text)} characters)"
