"""Hashing at full speed: files, directory trees, shards, stored objects, prefixes (DESIGN.md §6).

- One large file is read in 1 MiB ``preadv`` calls into one reused buffer (no allocation, and
  the copy stays in the core's cache for the hash); ``hashlib`` releases the GIL on each
  update. On the reference machine this is 86 % of ``openssl speed``: the kernel's copy
  out of the page cache is the rest (see :func:`tetherai.storage._files.hash_range`).
- Many files are hashed in parallel on a thread pool, largest first so that the cores finish
  together; results come back in path order.
- A file larger than a shard size (default 1 GiB) can also be hashed as shards in parallel,
  the way OpenSSF model-signing's ``shards`` serialization does. A shard digest is not the
  file's SHA-256 (that cannot be split), so the ledger keeps plain SHA-256 and shards serve the
  model-signing export (:mod:`tetherai.storage.openssf`).
- Stored objects and S3 prefixes are hashed by streaming them, in parallel across objects.

Every function takes an optional ``progress`` callback, told of bytes as they are hashed
(from worker threads); :mod:`tetherai.storage.progress` draws it as a bar.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tetherai.crypto.digest import CHUNK_SIZE, FileDigest, HashingReader, hash_stream
from tetherai.storage._files import hash_range, open_regular
from tetherai.storage._parallel import default_workers, run_parallel
from tetherai.storage.base import ObjectReader, ProgressCallback
from tetherai.storage.errors import BadInput, StorageError
from tetherai.storage.manifest import FileEntry, directory_digest
from tetherai.storage.paths import translate_os_error, walk_files

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "DirectoryDigest",
    "ShardDigest",
    "default_workers",
    "hash_file",
    "hash_files",
    "hash_object",
    "hash_prefix",
    "hash_shards",
    "hash_tree",
]

DEFAULT_SHARD_SIZE = 1 << 30
"""Shard size for :func:`hash_shards`: 1 GiB."""

# Files under this size are read whole in one call; larger ones in 1 MiB reads.
_SMALL_FILE = 1024 * 1024


@dataclass(frozen=True)
class DirectoryDigest:
    """A hashed directory: its files sorted by path, total size and directory digest."""

    files: tuple[FileEntry, ...]
    size: int
    sha256: str


@dataclass(frozen=True)
class ShardDigest:
    """The SHA-256 of bytes ``[start, end)`` of a file."""

    start: int
    end: int
    sha256: str


def hash_file(
    path: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
) -> FileDigest:
    """Hash one file as fast as a core allows.

    Args:
        path: the file.
        progress: told of the bytes hashed.

    Returns:
        The file's SHA-256 and size.

    Raises:
        ObjectNotFound: the file does not exist.
        Unreadable: it cannot be read (permissions, I/O error), or shrank while hashed.
        BadInput: it is a directory or a special file.
    """
    location = Path(path)
    fd, size = open_regular(location)
    try:
        if size < _SMALL_FILE:
            # One read of the whole file (plus one to see its end) into one buffer.
            try:
                with open(fd, "rb", buffering=0, closefd=False) as file:
                    digest = hash_stream(file, chunk_size=size + 1)
            except OSError as error:
                raise translate_os_error(error, f"file {location}") from error
            if progress is not None:
                progress(digest.size)
            return digest
        return FileDigest(hash_range(fd, location, 0, size, progress), size)
    finally:
        os.close(fd)


def hash_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[FileDigest]:
    """Hash many files in parallel; return their digests in the order of ``paths``.

    Raises:
        StorageError: as :func:`hash_file`, for the first failing path.
    """
    sizes = []
    for path in paths:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)  # hash_file will report the problem with its own words
    return run_parallel(lambda path: hash_file(path, progress=progress), paths, sizes, workers)


def hash_tree(
    root: str | os.PathLike[str],
    *,
    follow_symlinks: bool = False,
    ignore: Iterable[str] = (),
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> DirectoryDigest:
    """Hash every regular file under ``root`` in parallel; compute the directory digest.

    Args:
        root: the directory (a model folder, a dataset).
        follow_symlinks: hash symlink targets instead of refusing symlinks.
        ignore: glob patterns to skip, as in :func:`tetherai.storage.paths.walk_files`.
        workers: threads (default: the cores available).
        progress: told of the bytes hashed.

    Returns:
        The files (sorted by relative path), their total size and the directory digest.

    Raises:
        ObjectNotFound, BadInput, Unreadable: as :func:`~tetherai.storage.paths.walk_files`
            and :func:`hash_file`; ``BadInput`` also when the directory holds no file.
    """
    found = walk_files(root, follow_symlinks=follow_symlinks, ignore=ignore)
    if not found:
        raise BadInput(f"directory {root} holds no files to hash")
    digests = hash_files([item.location for item in found], workers=workers, progress=progress)
    files = tuple(
        FileEntry(item.path, digest.size, digest.sha256)
        for item, digest in zip(found, digests, strict=True)
    )
    return DirectoryDigest(files, sum(entry.size for entry in files), directory_digest(files))


def hash_shards(
    path: str | os.PathLike[str],
    *,
    shard_size: int = DEFAULT_SHARD_SIZE,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[ShardDigest]:
    """Hash a file as consecutive shards of ``shard_size`` bytes, in parallel.

    An empty file has no shards (model-signing records none for it).

    Raises:
        ValueError: ``shard_size`` is not positive.
        StorageError: as :func:`hash_file`.
    """
    if shard_size <= 0:
        raise ValueError(f"shard_size must be positive, not {shard_size}")
    location = Path(path)
    fd, size = open_regular(location)
    try:
        bounds = [(start, min(start + shard_size, size)) for start in range(0, size, shard_size)]
        digests = run_parallel(
            lambda bound: hash_range(fd, location, bound[0], bound[1], progress),
            bounds,
            [end - start for start, end in bounds],
            workers,
        )
    finally:
        os.close(fd)
    return [
        ShardDigest(start, end, digest)
        for (start, end), digest in zip(bounds, digests, strict=True)
    ]


def hash_object(
    reader: ObjectReader, uri: str, *, progress: ProgressCallback | None = None
) -> FileDigest:
    """Stream one stored object and hash it.

    Raises:
        StorageError: as the reader's ``open`` (not found, access denied, unavailable, ...).
    """
    buffer = bytearray(CHUNK_SIZE)
    with reader.open(uri) as stream:
        hashing = HashingReader(stream)
        while count := hashing.readinto(buffer):
            if progress is not None:
                progress(count)
    return FileDigest(hashing.sha256, hashing.size)


def hash_prefix(
    reader: ObjectReader,
    uri: str,
    *,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> DirectoryDigest:
    """Hash every object under the prefix ``uri`` (an S3 prefix, a ``file://`` directory).

    Objects are streamed in parallel (their download, not the CPU, is usually the limit).

    Raises:
        StorageError: as the reader's ``list_prefix`` and ``open``.
    """
    listed = reader.list_prefix(uri)
    digests = run_parallel(
        lambda item: hash_object(reader, item.uri, progress=progress),
        listed,
        [item.size for item in listed],
        max(4, workers or default_workers()),
    )
    files = tuple(
        FileEntry(item.path, digest.size, digest.sha256)
        for item, digest in zip(listed, digests, strict=True)
    )
    if not files:
        raise StorageError(f"prefix {uri} holds no objects")
    return DirectoryDigest(files, sum(entry.size for entry in files), directory_digest(files))
