"""Downloads for every dataset: one file from the first of its mirrors that serves it whole.

Each download is bounded and checked: at most the file's published size is read, the whole
exchange (connection, redirects, headers and body) ends within DOWNLOAD_DEADLINE_S seconds
however slowly a server trickles its bytes, only http:// and https:// URLs are followed
(redirects included), and the file's checksum must match before it is renamed into place.
It is written beside its destination as `.<name>.part`, created exclusively and never
through a link planted at that name (autodiff.serialization.open_temporary), so a download
that fails or is killed leaves the destination as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from autodiff.serialization import open_temporary, remove_if_unchanged, rename_if_unchanged

# Module attributes, read at call time, so tests and users can point them elsewhere.
DOWNLOAD_TIMEOUT_S = 30.0  # for the connection and for each read
DOWNLOAD_DEADLINE_S = 600.0  # for each whole file, however slowly the server trickles it
SCHEMES = ("http", "https")  # the only URLs followed, redirects included

_CHUNK_BYTES = 1 << 16


class BadDownloadError(ValueError):
    """A download failed its checks: wrong size, wrong checksum, wrong kind of file or URL."""


def download(
    filename: str,
    directory: Path,
    mirrors: Sequence[str],
    *,
    size: int,
    md5: str,
    magic: bytes = b"",
    kind: str = "",
) -> str:
    """Fetch `filename` into `directory` from the first mirror that serves it whole; return
    '' on success, or else one line per mirror tried and why it failed.

    Each mirror is a base URL; the file's URL is the base, a '/' and `filename`. `size` is
    the file's size in bytes, `md5` its published checksum, `magic` the bytes it begins with
    and `kind` the name of its format, for messages (e.g. b"\\x1f\\x8b" and "gzip").
    """
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            fetch(url, directory / filename, size=size, md5=md5, magic=magic, kind=kind)
            return ""
        except (OSError, http.client.HTTPException, ValueError) as err:
            failures.append(f"    {url}: {err}")
    if not failures:
        failures.append("    (no mirrors configured)")
    return f"Downloading {filename} failed from every mirror:\n" + "\n".join(failures)


def fetch(
    url: str, destination: Path, *, size: int, md5: str, magic: bytes = b"", kind: str = ""
) -> None:
    """Download `url` to `.<name>.part` beside `destination`; rename it only once verified.

    The .part name is fixed, so a download killed midway leaves one file, which the next run
    replaces. It is locked while in use: a second download of the same file waits for the
    first instead of writing into it. At most `size` bytes are read, and the whole exchange
    ends within DOWNLOAD_DEADLINE_S seconds: a watchdog shuts the connection down then.
    """
    _check_scheme(url)
    temp_path = destination.parent / f".{destination.name}.part"
    watchdog = _Watchdog(DOWNLOAD_DEADLINE_S)
    received = 0
    head = b""  # the file's first bytes, up to len(magic)
    with open_temporary(temp_path, "download") as out, watchdog:
        try:
            out.truncate(0)  # what a killed download left
            digest = hashlib.md5()
            timeout = min(DOWNLOAD_TIMEOUT_S, DOWNLOAD_DEADLINE_S)
            with watchdog.opener().open(url, timeout=timeout) as response:
                length = response.headers.get("Content-Length", "")
                total = int(length) if length.isdigit() else None
                if total is not None and total != size:
                    raise BadDownloadError(
                        f"the server announces {total} bytes; expected the file's {size} bytes"
                    )
                progress = _Progress(destination.name, total)
                try:
                    while chunk := response.read1(_CHUNK_BYTES):
                        if len(head) < len(magic):
                            head += chunk[: len(magic) - len(head)]
                            if head != magic[: len(head)]:
                                raise _not_magic(magic, kind, repr(chunk[:16]))
                        received += len(chunk)
                        if received > size:
                            raise BadDownloadError(f"more than the file's {size} bytes; cut off")
                        out.write(chunk)
                        digest.update(chunk)
                        progress.update(len(chunk))
                finally:
                    progress.close()
            out.flush()
            if head != magic:
                raise _not_magic(magic, kind, f"{received} bytes")
            if received != size:
                raise BadDownloadError(f"got {received} bytes; expected the file's {size} bytes")
            if digest.hexdigest() != md5:
                raise BadDownloadError(f"md5 mismatch; expected {md5}, got {digest.hexdigest()}")
            rename_if_unchanged(out, str(temp_path), destination, "download")
        except BaseException as error:
            remove_if_unchanged(out, str(temp_path))  # ours: the lock is still held
            if watchdog.fired and isinstance(error, Exception):  # the cut connection's symptom
                raise BadDownloadError(
                    f"{received} of {size} bytes after {DOWNLOAD_DEADLINE_S} s; "
                    f"expected the whole file within DOWNLOAD_DEADLINE_S"
                ) from error
            raise


def _check_scheme(url: str) -> None:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise BadDownloadError(f"a {scheme or 'relative'} URL; expected http:// or https://")


def _not_magic(magic: bytes, kind: str, got: str) -> BadDownloadError:
    """The error for a file that does not begin with `magic` (e.g. a login page)."""
    expected = " ".join(f"{byte:02x}" for byte in magic)
    return BadDownloadError(f"not a {kind} file; expected magic bytes {expected}, got {got}")


class _Watchdog:
    """Shuts down every connection of one download once `seconds` have passed.

    A blocked read on a socket that is shut down returns or fails at once, so no server can
    hold a download past its deadline, not even by trickling the status line and headers,
    which urllib reads before handing back a response. Used as a context manager: the timer
    starts on entry and is cancelled on exit.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def opener(self) -> urllib.request.OpenerDirector:
        """An opener of http(s) URLs alone, each connection watched, redirects only to http(s):
        urllib's default would follow a redirect to ftp://, past the watchdog."""
        opener = urllib.request.OpenerDirector()
        handlers = (
            urllib.request.ProxyHandler(),
            urllib.request.UnknownHandler(),
            _WatchedHTTPHandler(self),
            _WatchedHTTPSHandler(self),
            urllib.request.HTTPDefaultErrorHandler(),
            _HTTPRedirectHandler(),
            urllib.request.HTTPErrorProcessor(),
        )
        for handler in handlers:
            opener.add_handler(handler)
        return opener

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes, or now if it has passed already."""
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shut_down(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    """End the reads and writes of `sock`, in any thread; a socket already closed is left."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _HTTPRedirectHandler(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, refused where they lead anywhere but http:// or https://."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        scheme = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl)).scheme
        if scheme.lower() not in SCHEMES:
            raise BadDownloadError(
                f"the server redirects to a {scheme}:// URL; expected http:// or https://"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _WatchedConnections:
    """For urllib's HTTP and HTTPS handlers: hand the socket of each connection to a watchdog."""

    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def do_open(
        self,
        http_class: type[http.client.HTTPConnection],
        req: urllib.request.Request,
        **kwargs: object,
    ) -> http.client.HTTPResponse:
        """urllib's do_open, on a subclass of `http_class` that hands on its socket."""
        watchdog = self._watchdog

        class Watched(http_class):
            def connect(self) -> None:
                super().connect()
                watchdog.watch(self.sock)

        return super().do_open(Watched, req, **kwargs)


class _WatchedHTTPHandler(_WatchedConnections, urllib.request.HTTPHandler):
    """urllib's handler of http:// URLs, with each connection watched."""


class _WatchedHTTPSHandler(_WatchedConnections, urllib.request.HTTPSHandler):
    """urllib's handler of https:// URLs, with each connection watched."""


class _Progress:
    """Download progress on stderr: a tqdm bar if tqdm is installed, else a plain text line."""

    def __init__(self, label: str, total: int | None) -> None:
        self._label = label
        self._total = total
        self._done = 0
        self._shown = ""
        try:
            from tqdm import tqdm
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(
                total=total, unit="B", unit_scale=True, desc=label, file=sys.stderr, leave=False
            )

    def update(self, size: int) -> None:
        self._done += size
        if self._bar is not None:
            self._bar.update(size)
            return
        text = f"{self._label}: {self._done / 1e6:.1f} MB"
        if self._total:
            text += f" / {self._total / 1e6:.1f} MB ({100 * self._done // self._total}%)"
        if text != self._shown:  # redraw only when the line changes
            print(f"\r{text}", end="", file=sys.stderr, flush=True)
            self._shown = text

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._shown:
            print(file=sys.stderr)
