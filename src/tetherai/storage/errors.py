"""Errors of the storage layer: objects, artifact paths, manifests, digests (DESIGN.md §6).

    TetherError
    └── StorageError                    storage.error           (500, exit 3)
        ├── BadInput                    storage.bad_input       InvalidInput (a path or value given)
        │   ├── PathEscapesRoot         storage.path_escapes_root
        │   ├── UnsupportedURI          storage.unsupported_uri
        │   └── ManifestError           storage.bad_manifest
        ├── ObjectNotFound              storage.not_found       NotFound (missing file, key, object)
        ├── BucketNotFound              storage.bucket_not_found  NotFound
        ├── Unreadable                  storage.unreadable      Unavailable (exists, cannot be read)
        ├── AccessDenied                storage.access_denied   Unavailable (the store refused *our*
        │                                                       credentials: not the caller's fault)
        ├── StorageUnavailable          storage.unavailable     Unavailable (network error, down)
        ├── StoreCorrupted              storage.corrupted       500/3 (the server's stored copy differs from its address)
        └── DigestMismatch              storage.digest_mismatch IntegrityFailure (not as registered)

``OSError`` is translated where files are opened; ``botocore`` errors once, in
:mod:`tetherai.storage.s3`; both are chained with ``from``. ``DigestMismatch`` is its own type
so that tampering never looks like a bad argument: it exits with code 1.
"""

from __future__ import annotations

from tetherai.errors import (
    IntegrityFailure,
    InvalidInput,
    NotFound,
    TetherError,
    Unavailable,
)

__all__ = [
    "AccessDenied",
    "BadInput",
    "BucketNotFound",
    "DigestMismatch",
    "ManifestError",
    "ObjectNotFound",
    "PathEscapesRoot",
    "StorageError",
    "StorageUnavailable",
    "StoreCorrupted",
    "Unreadable",
    "UnsupportedURI",
]


class StorageError(TetherError):
    """Base of the storage layer's errors."""

    code = "storage.error"
    hint = "Check the object store settings and the files involved."


class BadInput(InvalidInput, StorageError):
    """A path, URI or value given by the caller cannot be used (a symlink, a special file, ...)."""

    code = "storage.bad_input"
    hint = "Check the path or value given."


class PathEscapesRoot(BadInput):
    """A relative path is absolute, holds ``..``, or resolves outside its root directory."""

    code = "storage.path_escapes_root"
    hint = "Use a relative path with '/' separators that stays inside its directory (no '..')."


class UnsupportedURI(BadInput):
    """A URI has a scheme no configured store handles, or is malformed for its scheme."""

    code = "storage.unsupported_uri"
    hint = (
        "Use tether-obj:sha256/<hex> (the local object store), s3://bucket/key, or "
        "file:///absolute/path; a directory prefix ends with '/'."
    )


class ManifestError(BadInput):
    """An artifact manifest or one of its entries is malformed."""

    code = "storage.bad_manifest"
    hint = (
        "Each artifact is {kind, name, uri, size, sha256} (plus files for a directory); "
        "see 'Artifact manifests' in the README."
    )


class ObjectNotFound(NotFound, StorageError):
    """A file, object or key does not exist."""

    code = "storage.not_found"
    hint = "Check the path or URI; the object may have been deleted or never uploaded."


class Unreadable(Unavailable, StorageError):
    """A file or object exists but cannot be read (permissions, I/O error)."""

    code = "storage.unreadable"
    hint = "Check the file's permissions and the disk."


class BucketNotFound(NotFound, StorageError):
    """An S3 bucket does not exist."""

    code = "storage.bucket_not_found"
    hint = "Create the bucket, or fix the bucket name in the storage settings."


class AccessDenied(Unavailable, StorageError):
    """The object store refused the credentials or the operation."""

    code = "storage.access_denied"
    hint = "Check the access key id and secret key in the storage settings, and their permissions."


class StorageUnavailable(Unavailable, StorageError):
    """The object store cannot be reached or failed (connection refused, timeout, 5xx)."""

    code = "storage.unavailable"
    hint = "Check the endpoint URL and that the object store is running; then retry."


class StoreCorrupted(StorageError):
    """A stored object does not match the digest it is stored under; it is left untouched.

    The server's own problem (500, exit 3), not the caller's: an upload of the right bytes is
    refused only because the stored copy is damaged, until an operator repairs it."""

    code = "storage.corrupted"
    hint = (
        "The server's object store holds a damaged copy: an operator puts the right bytes back "
        "with 'tether objects repair FILE' on the server (the damaged copy is kept)."
    )


class DigestMismatch(IntegrityFailure, StorageError):
    """Content read back is not what was registered: tampering or corruption.

    ``details`` holds ``object``, ``expected`` and ``found`` (and ``path`` for a file inside a
    directory artifact).
    """

    code = "storage.digest_mismatch"
    hint = (
        "The content differs from what was registered: it was altered or corrupted. "
        "Do not use it; restore it from a trusted copy."
    )

    def __init__(self, what: str, *, expected: str, found: str, hint: str | None = None) -> None:
        """Say that ``what`` (an object or file) has digest ``found`` instead of ``expected``."""
        super().__init__(
            f"digest mismatch for {what}: expected sha256 {expected}, found {found}",
            hint=hint,
            details={"object": what, "expected": expected, "found": found},
        )
        self.object = what
        self.expected = expected
        self.found = found
