"""save and load: arrays, Tensors and the nested dicts and lists that hold them, without pickle.

Two formats, chosen by the file name's suffix on save and by the file's first bytes on load:
`.safetensors` (what PyTorch, tinygrad and Hugging Face read with no pickle) and numpy's `.npz`
(any other suffix, `.pt` included, is written as .npz under exactly the given name). Arrays go in
the file as arrays; any structure around them (nested dicts, lists, tuples, numbers, strings,
None) goes in as JSON. Loads read every entry's name, dtype and shape before any data, so a
corrupt or hostile file is refused before memory is allocated for it; saves are atomic.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
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
        structure = json.dumps(_flatten(obj, arrays, "", set()))
        _write_npz(path, arrays, structure)
        return
    path = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    structure = _flatten(obj, arrays, "", set())
    if path.lower().endswith(".safetensors"):  # its metadata keeps a plain dict's order too
        import safetensors.numpy

        metadata = {_SAFETENSORS_STRUCTURE: json.dumps(structure)}
        arrays = {key: np.require(array, requirements="C") for key, array in arrays.items()}
        data = safetensors.numpy.save(arrays, metadata=metadata)
        write_atomically(path, lambda file: file.write(data))
    else:
        plain = (  # a state dict: its members' names and arrays alone say everything
            isinstance(obj, dict)
            and list(arrays) == list(obj)
            and all(type(value) is np.ndarray for value in obj.values())
        )
        text = None if plain else json.dumps(structure)
        write_atomically(path, lambda file: _write_npz(file, arrays, text))


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
    file, which the next save reuses. A lock on it makes concurrent saves of one target wait
    for each other instead of writing into the same file.
    """
    target = os.path.realpath(path)  # through a symbolic link: replace what it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {path}: no directory {directory}")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: cannot write {path}: it is a directory; expected a file")
    temporary = os.path.join(directory, f".{os.path.basename(target)}.tmp")
    with _open_locked(temporary) as file:
        try:
            file.truncate(0)  # a file left by a killed save
            write(file)
            file.flush()
            os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
    with contextlib.suppress(OSError):  # not every system can sync a directory
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _open_locked(temporary: str) -> BinaryIO:
    """`temporary`, opened for writing (created with the usual permissions) and locked."""
    while True:
        file = os.fdopen(os.open(temporary, os.O_RDWR | os.O_CREAT, 0o666), "r+b")
        if fcntl is None:
            return file
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            unchanged = os.path.samestat(os.fstat(file.fileno()), os.stat(temporary))
        except FileNotFoundError:
            unchanged = False
        if unchanged:
            return file
        file.close()  # a concurrent save renamed it while we waited: lock the new one


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
    if not isinstance(path, (str, bytes, os.PathLike)) and callable(getattr(path, "read", None)):
        return _load_file_object(path)
    path = os.fspath(path)
    entries, structure = _open_entries(path)
    problems = _kind_problems(entries)
    if problems:
        raise ValueError(_problem_message(path, problems))
    arrays = _read_entries(path, entries)
    if structure is None:
        return arrays
    used: set[str] = set()
    try:
        obj = _unflatten(json.loads(structure), arrays, used)
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as error:
        raise ValueError(
            f"load: cannot read {path!r}: its structure is damaged ({error}); expected "
            f"{_EXPECTED_FILE}"
        ) from error
    if used != set(arrays):
        raise ValueError(
            f"load: cannot read {path!r}: arrays {sorted(set(arrays) - used)} are not in its "
            f"structure; expected {_EXPECTED_FILE}"
        )
    return obj


def _load_file_object(file: BinaryIO) -> Any:
    """load() of what a binary file object holds from its position on (torch.load(buffer)):
    read through a temporary file, so that every check of a load from a path applies."""
    with tempfile.TemporaryDirectory() as directory:
        name = os.path.join(directory, "file")
        with open(name, "wb") as copy:
            shutil.copyfileobj(file, copy)
        return load(name)


def load_arrays(
    path: str | os.PathLike, expected: Mapping[str, np.ndarray], strict: bool = True
) -> dict[str, np.ndarray]:
    """The arrays of a .npz or .safetensors file that are named in `expected`, checked before
    any data is read: each must be real-valued and of its expected array's shape; with strict,
    no name may be missing or unexpected (otherwise unexpected ones are not read at all).
    This is what Module.load uses; dtypes are converted later, by load_state_dict.
    """
    path = os.fspath(path)
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
    return (
        f"load: {path!r} cannot be loaded; expected real-valued arrays of the right names and "
        f"shapes, got:\n  " + "\n  ".join(problems)
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
    return ValueError(f"load: cannot read {path!r} ({reason}); expected {_EXPECTED_FILE}")


def _open_entries(path: str) -> tuple[dict[str, _Entry], str | None]:
    """Every array's header (name, dtype, shape) and the JSON structure, if any, without
    reading array data. Raises ValueError for a file that is not one we can read safely.
    """
    with open(path, "rb") as file:
        head = file.read(16)
        size = os.fstat(file.fileno()).st_size
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
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise _unreadable(path, f"it holds members {duplicates} more than once")
            if any(name.endswith(".pkl") for name in names):
                raise _unreadable(path, "it is a pickle archive, as torch.save writes")
            entries, structure = {}, None
            for info in infos:
                if info.filename == _NPZ_STRUCTURE:
                    if info.file_size > _MAX_SAFETENSORS_HEADER:
                        raise _unreadable(path, f"its structure claims {info.file_size} bytes")
                    structure = archive.read(info).decode("utf-8")
                    continue
                if not info.filename.endswith(".npy"):
                    raise _unreadable(path, f"member {info.filename!r} is not an .npy array")
                entries[info.filename[:-4]] = _npz_entry(path, archive, info, size)
            return entries, structure
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError) as error:
        raise _unreadable(path, error) from error


def _npz_entry(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> _Entry:
    """Check one member's header against its sizes in the zip directory; read nothing else."""
    where = f"member {info.filename!r}"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _unreadable(path, f"{where} uses zip compression method {info.compress_type}")
    if (
        info.file_size > _MAX_DEFLATE_RATIO * max(info.compress_size, 1) + 1024
        or info.compress_size > size
    ):
        raise _unreadable(path, f"{where} claims {info.file_size} bytes from {info.compress_size}")
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
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, UnicodeDecodeError) as error:
        raise _unreadable(path, f"its safetensors header is damaged: {error}") from error
    if not isinstance(header, dict):
        raise _unreadable(path, "its safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    data_size = size - 8 - header_size
    entries = {}
    for key, spec in header.items():
        entries[key] = _safetensors_entry(path, key, spec, data_size)
    structure = metadata.get(_SAFETENSORS_STRUCTURE) if isinstance(metadata, dict) else None
    return entries, structure


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"it names {duplicates} more than once")
    return dict(pairs)


def _safetensors_entry(path: str, key: str, spec: Any, data_size: int) -> _Entry:
    where = f"tensor {key!r}"
    try:
        dtype_name, shape, (begin, end) = spec["dtype"], tuple(spec["shape"]), spec["data_offsets"]
        valid = all(type(n) is int and n >= 0 for n in (*shape, begin, end))
    except (TypeError, KeyError, ValueError):
        valid = False
    if not valid:
        raise _unreadable(path, f"{where} has a damaged header entry {spec!r}")
    if dtype_name not in _SAFETENSORS_DTYPES:
        advice = (
            " (convert it to float32 before saving)" if dtype_name.startswith(("BF", "F8")) else ""
        )
        raise _unreadable(path, f"{where} has dtype {dtype_name}, which numpy lacks{advice}")
    dtype = _SAFETENSORS_DTYPES[dtype_name]
    nbytes = math.prod(shape) * dtype.itemsize
    if end - begin != nbytes or end > data_size:
        raise _unreadable(
            path,
            f"{where}'s header claims shape {shape} of {dtype} ({nbytes} bytes) at bytes "
            f"{begin}..{end} of {data_size}",
        )

    def read(file: Any) -> np.ndarray:
        array = file.get_tensor(key)
        if array.shape != shape or array.dtype != dtype:
            raise ValueError(f"{where} changed while it was read")
        return array if array.flags.writeable else array.copy()

    return _Entry(shape, dtype, read)


def _unflatten(encoded: Any, arrays: Mapping[str, np.ndarray], used: set[str]) -> Any:
    """The object whose JSON form (from _flatten) is `encoded`."""
    if not isinstance(encoded, dict):
        if encoded is None or isinstance(encoded, (bool, int, float, str)):
            return encoded
        raise TypeError(f"unexpected {type(encoded).__name__}")
    (tag,) = [key for key in encoded if key != "requires_grad"]
    value = encoded[tag]
    if tag in ("tensor", "array", "scalar"):
        if value in used:
            raise ValueError(f"array {value!r} is used twice")
        used.add(value)
        array = arrays[value]
        if tag == "scalar":
            return array[()]
        return (
            Tensor(array, requires_grad=bool(encoded["requires_grad"]))
            if tag == "tensor"
            else array
        )
    if tag == "float":
        return float(value)
    if tag == "dict":
        return {_unflatten(k, arrays, used): _unflatten(v, arrays, used) for k, v in value}
    if tag in ("list", "tuple"):
        items = [_unflatten(v, arrays, used) for v in value]
        return items if tag == "list" else tuple(items)
    raise ValueError(f"unknown tag {tag!r}")
