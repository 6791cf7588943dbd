"""The local back ends: a content-addressed object directory, and plain files (DESIGN.md §6).

:class:`LocalObjectStore` is the embedded default. Its layout::

    <root>/objects/sha256/ab/cdef…   the object whose SHA-256 is abcdef… (2 + 62 hex)
    <root>/tmp/                      uploads in progress (same file system, for the link)

An upload streams into a temp file (mode 0600) while it is hashed, is fsynced, given its final
mode (0640 by default) and then *hard-linked* to its address: unlike a rename, a link never
replaces an object that is already there, so a corrupted object is reported, not silently
"repaired" by an upload that happens to carry the right bytes. The directory is fsynced after
the link, so an acknowledged object survives a crash; readers never see a partial object.

:class:`LocalFileReader` reads ``file://`` URIs, for artifacts registered where they are,
optionally only inside some root directories (a server should not read arbitrary files).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from tetherai.crypto.digest import CHUNK_SIZE, HashingReader, is_sha256_hex
from tetherai.storage.base import ListedObject, ProgressCallback, Repair, StoredObject
from tetherai.storage.errors import (
    BadInput,
    ObjectNotFound,
    PathEscapesRoot,
    StorageError,
    StoreCorrupted,
    UnsupportedURI,
)
from tetherai.storage.hashing import hash_file
from tetherai.storage.paths import translate_os_error, walk_files
from tetherai.storage.uri import (
    LOCAL_SCHEME,
    file_uri,
    is_prefix,
    join_prefix,
    local_object_uri,
    parse_file_uri,
    parse_local_object_uri,
)

__all__ = ["LocalFileReader", "LocalObjectStore"]


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_file(path: Path, what: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as error:
        raise translate_os_error(error, what) from error


class LocalObjectStore:
    """A content-addressed directory: ``tether-obj:sha256/<hex>`` objects under ``root``."""

    def __init__(self, root: str | os.PathLike[str], *, file_mode: int = 0o640) -> None:
        """Use ``root`` (created on the first upload) with objects of mode ``file_mode``."""
        self.root = Path(root)
        self._objects = self.root / "objects" / "sha256"
        self._tmp = self.root / "tmp"
        self._file_mode = file_mode

    def __repr__(self) -> str:
        """Name the store by its root."""
        return f"LocalObjectStore({str(self.root)!r})"

    def path_of(self, sha256: str) -> Path:
        """Where the object with digest ``sha256`` lives (or would live)."""
        if not is_sha256_hex(sha256):
            raise UnsupportedURI(f"{sha256!r} is not a SHA-256 digest (64 lowercase hex)")
        return self._objects / sha256[:2] / sha256[2:]

    def uri_for(self, sha256: str) -> str:
        """``tether-obj:sha256/<sha256>``."""
        self.path_of(sha256)
        return local_object_uri(sha256)

    def handles(self, uri: str) -> bool:
        """Whether ``uri`` is a ``tether-obj:`` URI."""
        return uri.startswith(f"{LOCAL_SCHEME}:")

    def open(self, uri: str) -> BinaryIO:
        """Open the object named by ``uri``.

        Raises:
            UnsupportedURI: not a ``tether-obj:sha256/<hex>`` URI.
            ObjectNotFound: the object is not in this store.
            Unreadable: the object file cannot be read.
        """
        path = self.path_of(parse_local_object_uri(uri))
        return _open_file(path, f"object {uri} in the local store {self.root}")

    def size(self, uri: str) -> int:
        """The object's size in bytes (raises ``ObjectNotFound`` if it is not here)."""
        path = self.path_of(parse_local_object_uri(uri))
        try:
            return path.stat().st_size
        except OSError as error:
            raise translate_os_error(
                error, f"object {uri} in the local store {self.root}"
            ) from error

    def list_prefix(self, uri: str) -> list[ListedObject]:
        """Always raises :class:`UnsupportedURI`: a content-addressed store has no prefixes."""
        raise UnsupportedURI(
            f"{uri!r}: the local object store has no directories; a directory artifact names "
            "its tree object (tether-obj:sha256/<hex>) instead"
        )

    def contains(self, sha256: str) -> bool:
        """Whether the object with digest ``sha256`` is stored here."""
        return self.path_of(sha256).is_file()

    def put(self, source: BinaryIO, *, progress: ProgressCallback | None = None) -> StoredObject:
        """Store what ``source`` yields, hashing while it is written (one read).

        Returns:
            The object's URI, digest and size. Storing content that is already there is a
            no-op that returns the same URI.

        Raises:
            StoreCorrupted: an object is already at this address with other content (it is
                left as it is; :meth:`repair` puts the right bytes back).
            Unreadable: ``source`` failed while read, or the store cannot be written.
        """
        temp, stored = self._receive(source, progress)
        try:
            self._publish(temp, stored)
            return stored
        finally:
            temp.unlink(missing_ok=True)

    def repair(self, sha256: str, source: BinaryIO) -> Repair:
        """Put back the object ``sha256`` from ``source``, whose bytes must have that digest.

        A damaged copy at the address is not deleted: it is moved aside to
        ``<root>/quarantine/sha256/<hex>.<n>`` as evidence, and the good bytes take its place in
        one rename (readers see the old file or the new one, never a gap). An intact object is
        left as it is.

        Raises:
            BadInput: ``source`` does not hash to ``sha256``; nothing was changed.
            Unreadable: ``source`` failed while read, or the store cannot be written.
        """
        final = self.path_of(sha256)
        temp, stored = self._receive(source, None)
        try:
            if stored.sha256 != sha256:
                raise BadInput(
                    f"the file given has SHA-256 {stored.sha256}, not {sha256}: it is not "
                    "the object's content; nothing was changed",
                    hint="give a good copy of the object (its SHA-256 is the object's address)",
                )
            if final.is_file() and hash_file(final).sha256 == sha256:
                return Repair(stored, replaced=False, kept=None)
            kept = None
            try:
                os.chmod(temp, self._file_mode)
                final.parent.mkdir(parents=True, exist_ok=True)
                if final.exists():
                    kept = self._quarantine(final, sha256)
                os.replace(temp, final)
            except OSError as error:
                raise translate_os_error(error, "the object store") from error
            _fsync_directory(final.parent)
            return Repair(stored, replaced=True, kept=kept)
        finally:
            temp.unlink(missing_ok=True)

    def _quarantine(self, final: Path, sha256: str) -> str:
        """Keep a second link to the damaged copy under ``quarantine/``; its path there."""
        folder = self.root / "quarantine" / "sha256"
        folder.mkdir(parents=True, exist_ok=True)
        number = 1
        while (folder / f"{sha256}.{number}").exists():
            number += 1
        evidence = folder / f"{sha256}.{number}"
        os.link(final, evidence)
        _fsync_directory(folder)
        return str(evidence.relative_to(self.root))

    def _receive(
        self, source: BinaryIO, progress: ProgressCallback | None
    ) -> tuple[Path, StoredObject]:
        """Stream ``source`` into a temp file of the store (fsynced), hashing it on the way."""
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-", suffix=".part")
        except OSError as error:
            raise StorageError(f"cannot write to the local store {self.root}: {error}") from error
        temp = Path(temp_name)
        try:
            reader = HashingReader(source)
            buffer = bytearray(CHUNK_SIZE)
            view = memoryview(buffer)
            try:
                with os.fdopen(fd, "wb") as out:
                    while count := reader.readinto(buffer):
                        out.write(view[:count])
                        if progress is not None:
                            progress(count)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as error:
                raise translate_os_error(error, "the upload") from error
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, StoredObject(local_object_uri(reader.sha256), reader.sha256, reader.size)

    def _publish(self, temp: Path, stored: StoredObject) -> None:
        final = self.path_of(stored.sha256)
        try:
            os.chmod(temp, self._file_mode)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.link(temp, final)
        except FileExistsError:
            # The same content is there already, unless someone altered the stored copy: then
            # say so (it stays as evidence) rather than report a success that serves bad bytes.
            # The message names the object, never where the server keeps it.
            existing = final.stat().st_size
            found = stored.sha256 if existing != stored.size else hash_file(final).sha256
            if existing != stored.size or found != stored.sha256:
                what = f"{existing} bytes" if existing != stored.size else f"SHA-256 {found}"
                raise StoreCorrupted(
                    f"the stored copy of object {stored.uri} has {what}, not what its address "
                    "says: it was altered; it was left untouched",
                    details={"object": stored.uri},
                ) from None
            return
        except OSError as error:
            raise StorageError(f"cannot write to the local store {self.root}: {error}") from error
        _fsync_directory(final.parent)


class LocalFileReader:
    """Reads ``file:///absolute/path`` URIs, optionally only under some root directories."""

    def __init__(self, roots: Sequence[str | os.PathLike[str]] | None = None) -> None:
        """Allow files under ``roots`` only (symlinks resolved), or anywhere if ``None``."""
        self._roots = None if roots is None else tuple(Path(root).resolve() for root in roots)

    def handles(self, uri: str) -> bool:
        """Whether ``uri`` is a ``file://`` URI."""
        return uri.startswith("file://")

    def _path(self, uri: str) -> Path:
        path = parse_file_uri(uri)
        if self._roots is not None:
            real = path.resolve()
            if not any(real == root or root in real.parents for root in self._roots):
                raise PathEscapesRoot(
                    f"{uri!r} is outside the directories this reader may read",
                    hint="Register artifacts from the configured data directories only.",
                )
        return path

    def open(self, uri: str) -> BinaryIO:
        """Open the file (``ObjectNotFound``, ``Unreadable``, ``BadInput`` for a directory)."""
        path = self._path(uri)
        if is_prefix(uri) or path.is_dir():
            raise BadInput(f"{uri!r} is a directory, not a file")
        return _open_file(path, f"file {path}")

    def size(self, uri: str) -> int:
        """The file's size in bytes."""
        path = self._path(uri)
        try:
            return path.stat().st_size
        except OSError as error:
            raise translate_os_error(error, f"file {path}") from error

    def list_prefix(self, uri: str) -> list[ListedObject]:
        """The regular files under the directory ``uri`` (symlinks refused), sorted by path."""
        if not is_prefix(uri):
            raise UnsupportedURI(f"{uri!r} is not a directory prefix (it must end with '/')")
        path = self._path(uri)
        found = walk_files(path)
        if not found:
            raise ObjectNotFound(f"directory {path} holds no files")
        base = file_uri(path) + "/"
        return [ListedObject(item.path, join_prefix(base, item.path), item.size) for item in found]
