"""Reader for IDX files, the MNIST format: a big-endian header, then one flat array."""

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"
IDX_MAGIC = b"\x00\x00"

# IDX type code -> big-endian dtype, as in the format's definition.
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_CHUNK_BYTES = 1 << 20
_TRAILING_MARGIN = 1 << 12  # how far past the payload the reader looks for trailing data
# Deflate never compresses better than about 1032:1, so a header claiming more than that many
# bytes per byte of gzip file is a lie that can be refused before reading anything.
_MAX_DEFLATE_RATIO = 1032


class IDXError(ValueError):
    """A file is not a valid IDX file: bad header, wrong payload size or corrupt gzip stream."""


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed, into an array of the shape in its header.

    Gzip is recognised by its magic bytes, not by the file name. The header is checked against
    the file's size before the payload is read, so a lying header fails fast. The result is a
    writable array in native byte order.

    Raises:
        IDXError: wrong magic, unknown type code, truncated payload, trailing bytes, or a
            corrupt gzip stream; the message names the file, the rule and what was found.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        file_size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_stream(raw, path, file_size, compressed=False)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, path, file_size, compressed=True)
        except (OSError, EOFError, zlib.error) as err:
            raise IDXError(
                f"read_idx: {path} is a corrupt gzip file; "
                f"expected a complete, valid gzip stream, got {type(err).__name__}: {err}"
            ) from err


def _read_stream(stream: BinaryIO, path: Path, file_size: int, compressed: bool) -> np.ndarray:
    """Parse header and payload from `stream` (the raw file, or its decompressed content)."""
    head = _read_up_to(stream, 4)
    if len(head) < 4:
        raise IDXError(
            f"read_idx: {path} ends inside the header; expected at least 4 bytes, got {len(head)}"
        )
    if head[:2] != IDX_MAGIC:
        raise IDXError(
            f"read_idx: {path} is not an IDX file; "
            f"expected magic bytes 00 00, got {head[:2].hex(' ')}"
        )
    code, ndim = head[2], head[3]
    if code not in DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in DTYPES)
        raise IDXError(
            f"read_idx: {path} has an unknown data type code; "
            f"expected one of {known}, got 0x{code:02X}"
        )
    if ndim == 0:
        raise IDXError(f"read_idx: {path} declares no dimensions; expected ndim >= 1, got 0")
    dims = _read_up_to(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise IDXError(
            f"read_idx: {path} ends inside the header; "
            f"expected {4 * ndim} bytes of dimensions for ndim={ndim}, got {len(dims)}"
        )
    shape = struct.unpack(f">{ndim}I", dims)
    dtype = DTYPES[code]
    header_size = 4 + 4 * ndim
    payload_size = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    what = f"shape {shape} of {dtype.newbyteorder('=').name} ({payload_size} bytes)"

    # Check the claimed size against what the file can hold before reading the payload.
    if compressed and payload_size > _MAX_DEFLATE_RATIO * file_size:
        raise IDXError(
            f"read_idx: {path} is too small for its header, which claims {what}; "
            f"expected a gzip file of at least {payload_size // _MAX_DEFLATE_RATIO} bytes, "
            f"got {file_size} bytes"
        )
    if not compressed and file_size != header_size + payload_size:
        problem = "is truncated" if file_size < header_size + payload_size else "has trailing bytes"
        raise IDXError(
            f"read_idx: {path} {problem}: its header claims {what}; "
            f"expected a file of {header_size} + {payload_size} = "
            f"{header_size + payload_size} bytes, got {file_size} bytes"
        )

    payload = _read_up_to(stream, payload_size)
    if len(payload) < payload_size:
        raise IDXError(
            f"read_idx: {path} is truncated: its header claims {what}; "
            f"expected {payload_size} payload bytes after decompression, got {len(payload)}"
        )
    # Read at most a small margin past the payload (this also makes gzip check its CRC at the
    # end): a gzip bomb of trailing zeros is refused without decompressing it.
    extra = len(stream.read(_TRAILING_MARGIN + 1))
    if extra:
        got = header_size + payload_size + min(extra, _TRAILING_MARGIN)
        raise IDXError(
            f"read_idx: {path} has trailing bytes after the payload of {what}; "
            f"expected {header_size + payload_size} bytes after decompression, "
            f"got {'more than ' if extra > _TRAILING_MARGIN else ''}{got}"
        )
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_up_to(stream: BinaryIO, size: int) -> bytearray:
    """Read `size` bytes, or fewer at end of file, in chunks: memory follows the real data."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = stream.read(min(_CHUNK_BYTES, size - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer
