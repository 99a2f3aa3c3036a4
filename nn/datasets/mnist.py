"""MNIST and Fashion-MNIST: find the IDX files on disk, or download and verify them once
(nn.datasets.download does the downloading)."""

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nn.datasets import download as _downloads
from nn.datasets.idx import GZIP_MAGIC, IDXError, read_idx

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

# The four files of a dataset, without the ".gz" they have when downloaded.
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# Module attributes, read at call time, so tests and users can point them elsewhere (the
# download's time limits are nn.datasets.download's DOWNLOAD_TIMEOUT_S and _DEADLINE_S).
DATA_ENV_VAR = "AUTODIFF_DATA"
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MNIST_MIRRORS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
# Published md5 of each gzipped file (yann.lecun.com; zalandoresearch/fashion-mnist README).
MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FASHION_MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# Size in bytes of each gzipped file: a download is cut off past it, so no server can fill the
# disk, and a Content-Length that differs is refused before anything is read.
MNIST_SIZES: dict[str, int] = {
    "train-images-idx3-ubyte.gz": 9912422,
    "train-labels-idx1-ubyte.gz": 28881,
    "t10k-images-idx3-ubyte.gz": 1648877,
    "t10k-labels-idx1-ubyte.gz": 4542,
}
FASHION_MNIST_SIZES: dict[str, int] = {
    "train-images-idx3-ubyte.gz": 26421880,
    "train-labels-idx1-ubyte.gz": 29515,
    "t10k-images-idx3-ubyte.gz": 4422102,
    "t10k-labels-idx1-ubyte.gz": 5148,
}
# Where Debian's dataset-fashion-mnist package installs the four .gz files.
FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

SAMPLE_DIR = Path(__file__).parent / "data"
SAMPLE_NOTE = (
    "Using the MNIST sample shipped with the package: the 10,000 digits of the MNIST *test* "
    "set, split into 8,000 for training and 2,000 for testing. It is not the 60,000-digit "
    "MNIST training set; load_mnist() reads or downloads the full dataset."
)


class DatasetNotFoundError(FileNotFoundError):
    """The dataset files are in none of the places searched, and could not be downloaded."""


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    *,
    mirrors: Sequence[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Split:
    """Load MNIST as (x_train, y_train, x_test, y_test).

    x is uint8 of shape (N, 28, 28) with pixels 0..255; y is int64 of shape (N,) with
    digits 0..9; N is 60,000 for train and 10,000 for test.

    Files (`train-images-idx3-ubyte[.gz]` and the three others) are looked for in `root`,
    then `$AUTODIFF_DATA/mnist`, `$AUTODIFF_DATA`, then the cache dir (`cache_dir`, by
    default `$XDG_CACHE_HOME/autodiff/mnist` or `~/.cache/autodiff/mnist`). If none has all
    four and `download` is true, the missing ones are downloaded into `root` (or the cache
    dir) from `mirrors` (default `MNIST_MIRRORS`; a sequence of base URLs, or one URL), each
    checked against its published size and md5. A download is cut off past the file's size or
    `DOWNLOAD_DEADLINE_S` seconds; a `.part` file that a killed download left is replaced.

    Raises:
        DatasetNotFoundError: no place has the files and they could not be downloaded.
        IDXError: a file is corrupt or does not hold MNIST-shaped data.
    """
    return _load(
        "load_mnist",
        "mnist",
        root,
        download,
        mirrors=MNIST_MIRRORS if mirrors is None else mirrors,
        md5=MNIST_MD5,
        sizes=MNIST_SIZES,
        cache_dir=default_cache_dir("mnist") if cache_dir is None else Path(cache_dir),
        system_dirs=(),
        hint="",
    )


def load_fashion_mnist(
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    *,
    mirrors: Sequence[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Split:
    """Load Fashion-MNIST as (x_train, y_train, x_test, y_test), like `load_mnist`.

    x is uint8 (N, 28, 28), y is int64 (N,) with classes 0..9. The search is that of
    `load_mnist` with `fashion-mnist` for `mnist`, plus Debian's system directory
    `/usr/share/datasets/fashion-mnist` (`apt-get install dataset-fashion-mnist`).
    """
    return _load(
        "load_fashion_mnist",
        "fashion-mnist",
        root,
        download,
        mirrors=FASHION_MNIST_MIRRORS if mirrors is None else mirrors,
        md5=FASHION_MNIST_MD5,
        sizes=FASHION_MNIST_SIZES,
        cache_dir=default_cache_dir("fashion-mnist") if cache_dir is None else Path(cache_dir),
        system_dirs=(FASHION_MNIST_SYSTEM_DIR,),
        hint="or install Debian's package: apt-get install dataset-fashion-mnist",
    )


def load_mnist_sample(train_size: int = 8000) -> Split:
    """Load the MNIST sample shipped with the package: the MNIST *test* set, split in two.

    These are the 10,000 digits of the MNIST test set, not the 60,000-digit training set.
    The first `train_size` digits are returned for training, the rest for testing (8,000 /
    2,000 by default). x is uint8 (N, 28, 28), y is int64 (N,). See `SAMPLE_NOTE`.
    """
    images_path = SAMPLE_DIR / "t10k-images-idx3-ubyte.gz"
    labels_path = SAMPLE_DIR / "t10k-labels-idx1-ubyte.gz"
    for path in (images_path, labels_path):
        if not path.is_file():
            raise DatasetNotFoundError(
                f"load_mnist_sample: the shipped sample file is missing; "
                f"expected {path} (package data of nn.datasets), got no such file"
            )
    images, labels = _read_pair("load_mnist_sample", images_path, labels_path)
    count = len(labels)
    if not 0 < train_size < count:
        raise ValueError(
            f"load_mnist_sample: train_size leaves no digits for one of the splits; "
            f"expected 0 < train_size < {count}, got {train_size}"
        )
    return images[:train_size], labels[:train_size], images[train_size:], labels[train_size:]


def default_cache_dir(name: str) -> Path:
    """The user cache dir of dataset `name`: `$XDG_CACHE_HOME/autodiff/<name>`."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec says to ignore unset or relative values
        base = str(Path.home() / ".cache")
    return Path(base) / "autodiff" / name


def _load(
    op: str,
    name: str,
    root: str | os.PathLike[str] | None,
    download: bool,
    *,
    mirrors: Sequence[str],
    md5: dict[str, str],
    sizes: dict[str, int],
    cache_dir: Path,
    system_dirs: Sequence[Path],
    hint: str,
) -> Split:
    """Search the places in order, use the first with all four files, else download."""
    if isinstance(mirrors, str):
        mirrors = (mirrors,)  # one URL, not a sequence of one-letter mirrors
    if not isinstance(mirrors, Sequence) or not all(isinstance(m, str) for m in mirrors):
        raise TypeError(
            f"{op}: mirrors={mirrors!r}; expected a sequence of base URLs, e.g. "
            f"['https://example.org/mnist/']"
        )
    places = _search_places(name, root, cache_dir, system_dirs)
    for _, directory in places:
        found = _find_files(directory)
        if len(found) == len(FILES):
            return _read_split(op, found)

    if not download:
        raise DatasetNotFoundError(_not_found_message(op, places, hint, download_failure=""))
    target = Path(root) if root is not None else cache_dir
    target.mkdir(parents=True, exist_ok=True)
    present = _find_files(target)
    for stem in FILES:
        if stem not in present:
            name = f"{stem}.gz"
            failure = _downloads.download(
                name,
                target,
                mirrors,
                size=sizes[name],
                md5=md5[name],
                magic=GZIP_MAGIC,
                kind="gzip",
            )
            if failure:
                message = _not_found_message(op, places, hint, download_failure=failure)
                raise DatasetNotFoundError(message)
    return _read_split(op, _find_files(target))


def _search_places(
    name: str,
    root: str | os.PathLike[str] | None,
    cache_dir: Path,
    system_dirs: Sequence[Path],
) -> list[tuple[str, Path]]:
    """The (label, directory) pairs to search, in order, without duplicates."""
    places: list[tuple[str, Path]] = []
    if root is not None:
        places.append(("root argument", Path(root)))
    env_dir = os.environ.get(DATA_ENV_VAR)
    if env_dir:
        places.append((f"${DATA_ENV_VAR}/{name}", Path(env_dir) / name))
        places.append((f"${DATA_ENV_VAR}", Path(env_dir)))
    places.append(("cache dir", cache_dir))
    places.extend(("system dir", directory) for directory in system_dirs)
    unique: list[tuple[str, Path]] = []
    for label, directory in places:
        if all(directory != seen for _, seen in unique):
            unique.append((label, directory))
    return unique


def _find_files(directory: Path) -> dict[str, Path]:
    """Map each of FILES present in `directory`, gzipped or raw, to its path."""
    found = {}
    for stem in FILES:
        for candidate in (directory / f"{stem}.gz", directory / stem):
            if candidate.is_file():
                found[stem] = candidate
                break
    return found


def _not_found_message(
    op: str, places: Sequence[tuple[str, Path]], hint: str, download_failure: str
) -> str:
    """List every place searched, what each lacked, and how to provide the files."""
    names = ", ".join(f"{stem}[.gz]" for stem in FILES)
    lines = [f"{op}: dataset files not found; expected {names} in one of:"]
    for label, directory in places:
        missing = [stem for stem in FILES if stem not in _find_files(directory)]
        state = "no such directory" if not directory.is_dir() else f"missing {', '.join(missing)}"
        lines.append(f"  {directory}  ({label}: {state})")
    if not os.environ.get(DATA_ENV_VAR):
        lines.append(f"  ${DATA_ENV_VAR} is not set")
    if download_failure:
        lines.append(download_failure)
    else:
        lines.append("Downloading was not attempted (download=False).")
    advice = "Put the four files (gzipped or not) in one of these directories, "
    advice += f"or call {op}(download=True) with network access"
    lines.append(advice + (f", {hint}." if hint else "."))
    return "\n".join(lines)


def _read_split(op: str, found: dict[str, Path]) -> Split:
    """Read and check the train and test pairs of files."""
    x_train, y_train = _read_pair(op, found[FILES[0]], found[FILES[1]])
    x_test, y_test = _read_pair(op, found[FILES[2]], found[FILES[3]])
    return x_train, y_train, x_test, y_test


def _read_pair(op: str, images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read images and labels; check shapes (N, 28, 28) and (N,), and labels in 0..9."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXError(
            f"{op}: {images_path} does not hold 28x28 images; "
            f"expected uint8 of shape (N, 28, 28), got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXError(
            f"{op}: {labels_path} does not hold a vector of labels; "
            f"expected uint8 of shape (N,), got {labels.dtype} of shape {labels.shape}"
        )
    if len(labels) != len(images):
        raise IDXError(
            f"{op}: {images_path.name} and {labels_path.name} disagree on the number of examples; "
            f"expected equal N, got {len(images)} images and {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise IDXError(
            f"{op}: {labels_path} has labels out of range; "
            f"expected 0..9, got a maximum of {labels.max()}"
        )
    return images, labels.astype(np.int64)
