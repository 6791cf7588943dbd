"""SHA-256 digests of bytes, streams and files (DESIGN.md §3 "Canonical bytes", §6).

Artifacts (datasets, model files, logs) stay in object storage; the ledger keeps their
lowercase hex SHA-256 and size. Files are hashed in large chunks read into one reusable
buffer, so hashing a multi-gigabyte model copies nothing and keeps memory flat.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import BinaryIO

__all__ = [
    "CHUNK_SIZE",
    "FileDigest",
    "HashingReader",
    "hash_file",
    "hash_stream",
    "is_sha256_hex",
    "sha256_hex",
]

CHUNK_SIZE = 8 * 1024 * 1024
"""Bytes read per call when hashing streams and files."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileDigest:
    """The SHA-256 (lowercase hex) and size in bytes of some content."""

    sha256: str
    size: int


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def is_sha256_hex(value: str) -> bool:
    """Tell whether ``value`` is a digest as the ledger writes it: 64 lowercase hex chars."""
    return _SHA256_HEX.fullmatch(value) is not None


def hash_stream(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> FileDigest:
    """Hash a binary stream from its current position to its end.

    Args:
        stream: a readable binary stream; it is read, not closed.
        chunk_size: bytes to read per call (must be positive).

    Returns:
        The SHA-256 and the number of bytes read.

    Raises:
        ValueError: ``chunk_size`` is not positive.
        OSError: reading the stream failed.
    """
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}")
    hasher = hashlib.sha256()
    size = 0
    while chunk := stream.read(chunk_size):
        hasher.update(chunk)
        size += len(chunk)
    return FileDigest(sha256=hasher.hexdigest(), size=size)


def hash_file(path: str | os.PathLike[str]) -> FileDigest:
    """Hash a whole file, reading :data:`CHUNK_SIZE` bytes at a time into one buffer.

    Args:
        path: the file to hash.

    Returns:
        The file's SHA-256 and size in bytes.

    Raises:
        OSError: the file cannot be opened or read (``FileNotFoundError``, ...).
    """
    hasher = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    # Unbuffered: readinto() goes straight from the OS into our buffer, no copy in between.
    with open(path, "rb", buffering=0) as file:
        while count := file.readinto(buffer):
            hasher.update(view[:count])
            size += count
    return FileDigest(sha256=hasher.hexdigest(), size=size)


class HashingReader:
    """A read-only binary stream that hashes everything read through it.

    Wrap the source of an upload or a download so its SHA-256 and size are known when the
    copy ends, without reading the content twice::

        reader = HashingReader(source)
        store.put(key, reader)
        digest = FileDigest(reader.sha256, reader.size)

    Only bytes actually returned by :meth:`read`/:meth:`readinto` are counted.
    """

    def __init__(self, stream: BinaryIO) -> None:
        """Wrap ``stream`` (not closed by this reader)."""
        self._stream = stream
        self._hasher = hashlib.sha256()
        self._size = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that remain if negative) and hash them."""
        data = self._stream.read(size)
        self._hasher.update(data)
        self._size += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into ``buffer``, hash what was read, and return the number of bytes."""
        view = memoryview(buffer).cast("B")
        readinto = getattr(self._stream, "readinto", None)
        if readinto is not None:
            count = int(readinto(view) or 0)
        else:
            data = self._stream.read(len(view))
            count = len(data)
            view[:count] = data
        self._hasher.update(view[:count])
        self._size += count
        return count

    def readable(self) -> bool:
        """Return ``True``: this is a readable stream."""
        return True

    @property
    def sha256(self) -> str:
        """The lowercase hex SHA-256 of the bytes read so far."""
        return self._hasher.hexdigest()

    @property
    def size(self) -> int:
        """The number of bytes read so far."""
        return self._size
