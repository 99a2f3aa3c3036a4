"""Two small text corpora for character-level language models, shipped with the package:
Shakespeare's plays (tinyshakespeare) and a list of names. Sources and licences are in
nn/datasets/data/README.md."""

from __future__ import annotations

import gzip
from pathlib import Path

DATA = Path(__file__).parent / "data"


def load_tinyshakespeare() -> str:
    """The tinyshakespeare corpus as one string of 1,115,394 characters (65 distinct)."""
    return gzip.decompress((DATA / "tinyshakespeare.txt.gz").read_bytes()).decode("utf-8")


def load_names() -> list[str]:
    """The 32,033 names of the names corpus, lower case, in the file's order."""
    text = gzip.decompress((DATA / "names.txt.gz").read_bytes()).decode("utf-8")
    return text.splitlines()
