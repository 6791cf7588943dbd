"""Moving artifacts in and out of an object store, verified while they stream (DESIGN.md §6).

- :func:`put_file` and :func:`put_directory` upload; the store hashes while it writes, so each
  byte is read once. A directory becomes one object per file plus its *tree object* (the
  canonical file list, whose digest is the directory digest — see
  :mod:`tetherai.storage.manifest`).
- :func:`download` writes an object to a file through a
  :class:`~tetherai.storage.base.VerifyingReader`: the file appears, complete, only if the
  digest matched; on a mismatch nothing is left behind and ``DigestMismatch`` is raised.
- :func:`read_tree` fetches and checks a tree object.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from tetherai.crypto.digest import CHUNK_SIZE, FileDigest
from tetherai.storage._files import open_file
from tetherai.storage._parallel import default_workers, run_parallel
from tetherai.storage.base import (
    ObjectReader,
    ObjectStore,
    ProgressCallback,
    StoredObject,
    VerifyingReader,
)
from tetherai.storage.errors import BadInput, ManifestError, StorageError
from tetherai.storage.manifest import FileEntry, parse_tree, tree_bytes
from tetherai.storage.paths import walk_files
from tetherai.storage.uri import digest_of_content_uri

__all__ = [
    "MAX_TREE_BYTES",
    "download",
    "put_bytes",
    "put_directory",
    "put_file",
    "read_tree",
]

MAX_TREE_BYTES = 64 * 1024 * 1024
"""Largest tree object read back (about 400,000 files)."""


def put_bytes(store: ObjectStore, data: bytes) -> StoredObject:
    """Store ``data`` (a tree object, a small report)."""
    return store.put(io.BytesIO(data))


def put_file(
    store: ObjectStore, path: str | os.PathLike[str], *, progress: ProgressCallback | None = None
) -> StoredObject:
    """Upload one local file, hashed while it streams.

    Raises:
        ObjectNotFound, Unreadable, BadInput: the file is missing, unreadable or a directory.
        StorageError: the store failed (see its own errors).
    """
    with open_file(Path(path)) as source:
        return store.put(source, progress=progress)


def put_directory(
    store: ObjectStore,
    root: str | os.PathLike[str],
    *,
    follow_symlinks: bool = False,
    ignore: Iterable[str] = (),
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[StoredObject, tuple[FileEntry, ...]]:
    """Upload every file under ``root`` (in parallel), then its tree object.

    Returns:
        The stored tree object (its ``sha256`` is the directory digest, its ``size`` the tree's
        own size) and the directory's file entries.

    Raises:
        StorageError: as :func:`~tetherai.storage.paths.walk_files` and :func:`put_file`;
            ``BadInput`` when the directory holds no file.
    """
    found = walk_files(root, follow_symlinks=follow_symlinks, ignore=ignore)
    if not found:
        raise BadInput(f"directory {root} holds no files to upload")
    stored = run_parallel(
        lambda item: put_file(store, item.location, progress=progress),
        found,
        [item.size for item in found],
        workers or default_workers(),
    )
    files = tuple(
        FileEntry(item.path, obj.size, obj.sha256) for item, obj in zip(found, stored, strict=True)
    )
    return put_bytes(store, tree_bytes(files)), files


def download(
    reader: ObjectReader,
    uri: str,
    destination: str | os.PathLike[str],
    *,
    expected_sha256: str,
    expected_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> FileDigest:
    """Copy the object ``uri`` to the file ``destination``, verifying it while it streams.

    The bytes go to a temp file (mode 0600) beside ``destination``, which is renamed into place
    only once the digest matched and the data is on disk.

    Raises:
        DigestMismatch: the content is not what was registered (nothing is written).
        StorageError: the object cannot be read, or ``destination`` cannot be written.
    """
    target = Path(destination)
    try:
        fd, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as error:
        raise StorageError(f"cannot write {target}: {error.strerror or error}") from error
    temp = Path(temp_name)
    try:
        with reader.open(uri) as stream, os.fdopen(fd, "wb") as out:
            verifying = VerifyingReader(
                stream, expected_sha256=expected_sha256, what=uri, expected_size=expected_size
            )
            buffer = bytearray(CHUNK_SIZE)
            view = memoryview(buffer)
            while count := verifying.readinto(buffer):
                out.write(view[:count])
                if progress is not None:
                    progress(count)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        return FileDigest(verifying.sha256, verifying.size)
    except OSError as error:
        raise StorageError(f"cannot write {target}: {error.strerror or error}") from error
    finally:
        temp.unlink(missing_ok=True)


def read_tree(
    reader: ObjectReader, uri: str, *, expected_sha256: str | None = None
) -> tuple[FileEntry, ...]:
    """Fetch the tree object ``uri`` and return its file entries.

    The tree is checked against ``expected_sha256`` if given, and always against the digest
    its content address names.

    Raises:
        DigestMismatch: the tree's bytes do not hash to the expected digest.
        ManifestError: the tree is too large or not a valid file list.
        StorageError: the object cannot be read.
    """
    expected = expected_sha256 or digest_of_content_uri(uri)
    chunks: list[bytes] = []
    total = 0
    with reader.open(uri) as stream:
        source: BinaryIO | VerifyingReader = stream
        if expected:
            # The digest is checked when the stream ends, by the VerifyingReader.
            source = VerifyingReader(stream, expected_sha256=expected, what=f"tree object {uri}")
        while chunk := source.read(CHUNK_SIZE):
            total += len(chunk)
            if total > MAX_TREE_BYTES:
                raise ManifestError(f"tree object {uri} is larger than {MAX_TREE_BYTES} bytes")
            chunks.append(chunk)
    return parse_tree(b"".join(chunks), what=f"tree object {uri}")
