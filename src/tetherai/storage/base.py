"""The object store interface and the read-side helpers every back end shares (DESIGN.md §6).

Files never go on the ledger; their URIs and SHA-256 digests do. An :class:`ObjectReader`
reads objects by URI (the local content-addressed store, S3, plain files); an
:class:`ObjectStore` also stores new objects under their digest. Services ask for these
protocols, never a class (warehouse's ``interfaces.py``); :mod:`tetherai.services.artifacts`
picks the back end from settings.

Reads that must match a registered digest go through :class:`VerifyingReader`, which hashes
while the bytes stream and raises :class:`~tetherai.storage.errors.DigestMismatch` at the end
(or as soon as the content is longer than registered) — one read, no second pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from tetherai.storage.errors import DigestMismatch, UnsupportedURI
from tetherai.storage.uri import uri_scheme

__all__ = [
    "ListedObject",
    "ObjectReader",
    "ObjectStore",
    "ProgressCallback",
    "Repair",
    "Resolver",
    "StoredObject",
    "VerifyingReader",
]

ProgressCallback = Callable[[int], None]
"""Told how many more bytes were processed; may be called from worker threads."""


@dataclass(frozen=True)
class StoredObject:
    """An object as stored: its URI, SHA-256 (lowercase hex) and size in bytes."""

    uri: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Repair:
    """What a store's ``repair`` did: the object now stored, whether a copy was replaced, and
    where the damaged copy was kept as evidence (a path under the store's root, or a URI)."""

    stored: StoredObject
    replaced: bool
    kept: str | None


@dataclass(frozen=True)
class ListedObject:
    """An object found under a prefix: its clean '/'-path relative to the prefix, URI, size."""

    path: str
    uri: str
    size: int


@runtime_checkable
class ObjectReader(Protocol):
    """Reads objects by URI.

    Implementations translate their library's errors into :mod:`tetherai.storage.errors`:
    a missing object or file is :class:`~tetherai.storage.errors.ObjectNotFound` (never an
    empty stream), a missing bucket ``BucketNotFound``, refused credentials ``AccessDenied``,
    an unreachable server ``StorageUnavailable``, a URI they cannot parse ``UnsupportedURI``.
    """

    def handles(self, uri: str) -> bool:
        """Whether this reader can read ``uri`` (by scheme, and bucket or root if it has one)."""
        ...

    def open(self, uri: str) -> BinaryIO:
        """Open the object for reading from its first byte; the caller closes the stream.

        Errors met while reading the stream are translated too.
        """
        ...

    def size(self, uri: str) -> int:
        """The object's size in bytes."""
        ...

    def list_prefix(self, uri: str) -> list[ListedObject]:
        """The objects under the prefix ``uri`` (ending in '/'), sorted by relative path.

        An empty or missing prefix raises ``ObjectNotFound``; a relative path that is not
        clean (``..``, empty components) raises ``PathEscapesRoot``/``BadInput``.
        """
        ...


@runtime_checkable
class ObjectStore(ObjectReader, Protocol):
    """A content-addressed store: objects live under their SHA-256 and are never replaced.

    ``put`` must read the source once, hashing while it writes; make the object visible only
    once it is complete and durable (nothing half-written is ever readable at its address);
    and never overwrite an existing object with different content.
    """

    def put(self, source: BinaryIO, *, progress: ProgressCallback | None = None) -> StoredObject:
        """Store everything ``source`` yields from its current position; return where it went."""
        ...

    def uri_for(self, sha256: str) -> str:
        """The URI the object with digest ``sha256`` has (or would have) in this store."""
        ...


class Resolver:
    """Routes each URI to the first of several readers that handles it."""

    def __init__(self, readers: Sequence[ObjectReader]) -> None:
        """Use ``readers`` in this order."""
        self._readers = tuple(readers)

    def reader_for(self, uri: str) -> ObjectReader:
        """The reader for ``uri``.

        Raises:
            UnsupportedURI: an unknown scheme, or no configured reader for this store.
        """
        scheme = uri_scheme(uri)
        for reader in self._readers:
            if reader.handles(uri):
                return reader
        raise UnsupportedURI(
            f"no configured object store can read {uri!r} (scheme {scheme!r})",
            hint="Configure the store that holds it (its root directory, S3 endpoint or bucket).",
        )

    def handles(self, uri: str) -> bool:
        """Whether some reader handles ``uri``."""
        return any(reader.handles(uri) for reader in self._readers)

    def open(self, uri: str) -> BinaryIO:
        """Open ``uri`` with its reader."""
        return self.reader_for(uri).open(uri)

    def size(self, uri: str) -> int:
        """The size of ``uri``, asked of its reader."""
        return self.reader_for(uri).size(uri)

    def list_prefix(self, uri: str) -> list[ListedObject]:
        """The objects under ``uri``, listed by its reader."""
        return self.reader_for(uri).list_prefix(uri)


class VerifyingReader:
    """A read-only stream that fails loudly when its content is not the expected content.

    Bytes are hashed as they pass. At the end of the stream the digest (and size, if given) is
    compared and :class:`DigestMismatch` raised on a difference; content longer than
    ``expected_size`` is refused as soon as it is read. A consumer that writes what it reads
    must discard its output when this raises (:func:`tetherai.storage.transfer.download` does).
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        expected_sha256: str,
        what: str,
        expected_size: int | None = None,
    ) -> None:
        """Wrap ``stream`` (not closed by this reader); ``what`` names it in errors."""
        self._stream = stream
        self._expected = expected_sha256
        self._expected_size = expected_size
        self._what = what
        self._hasher = hashlib.sha256()
        self._size = 0
        self._done = False

    def _account(self, data: bytes | memoryview) -> None:
        if not data:
            self._finish()
            return
        self._hasher.update(data)
        self._size += len(data)
        if self._expected_size is not None and self._size > self._expected_size:
            raise DigestMismatch(
                self._what,
                expected=self._expected,
                found=f"(longer than the registered {self._expected_size} bytes)",
            )

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        found = self._hasher.hexdigest()
        if found != self._expected:
            raise DigestMismatch(self._what, expected=self._expected, found=found)

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes; at the end of the stream, check the digest."""
        if size == 0:
            return b""
        data = self._stream.read(size)
        self._account(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into ``buffer``; at the end of the stream, check the digest."""
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        readinto = getattr(self._stream, "readinto", None)
        if readinto is not None:
            count = int(readinto(view) or 0)
        else:
            data = self._stream.read(len(view))
            count = len(data)
            view[:count] = data
        self._account(view[:count])
        return count

    def readable(self) -> bool:
        """Return ``True``: this is a readable stream."""
        return True

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes read so far."""
        return self._hasher.hexdigest()

    @property
    def size(self) -> int:
        """The number of bytes read so far."""
        return self._size
