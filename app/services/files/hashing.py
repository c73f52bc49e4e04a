"""SHA-256 of files and streams, read in blocks so large evidence never sits in memory: the
hashes that intake records, case-file manifests repeat, and backups and exports verify."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO


def blocks(handle: IO[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    """A file (or archive entry) read in blocks, so that large evidence never sits in memory."""
    return iter(lambda: handle.read(size), b"")


def sha256_of(chunks: Iterable[bytes]) -> tuple[int, str]:
    """(bytes seen, SHA-256 hex digest) of a stream of chunks."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return sha256_of(blocks(handle))[1]
