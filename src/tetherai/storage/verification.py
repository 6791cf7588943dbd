"""Re-hash verification: recompute every registered artifact's digest (DESIGN.md §5, §6).

An MLOps engineer verifies a model version by fetching or reading every artifact again and
comparing the recomputed SHA-256 with the registered one. :func:`verify_artifacts` does that
against a *source*:

- :class:`StoreSource` — the objects the URIs name (local store, S3, ``file://``);
- :class:`DirectorySource` — a local copy, or the output directory of a reproduction run,
  where artifact ``name`` is the file or directory ``<root>/<name>`` (or an explicit path).

The :class:`VerificationReport` lists, per artifact, the registered and recomputed digests
and whether they are equal; for a directory, which files differ, are missing or are extra.
``recomputed()`` is the ``artifacts`` argument of the review contract's verify tx.

An artifact that is missing or unreadable *in the source* is reported (recomputed ``None``,
with the reason). A failure that says nothing about the artifacts — refused credentials, a
missing bucket, a network error — is raised instead: a broken connection must never be
submitted as a mismatch that fails the review.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tetherai.crypto.jcs import JSONValue
from tetherai.storage._parallel import run_parallel
from tetherai.storage.base import ObjectReader, ProgressCallback
from tetherai.storage.errors import (
    BadInput,
    DigestMismatch,
    ManifestError,
    ObjectNotFound,
    Unreadable,
    UnsupportedURI,
)
from tetherai.storage.hashing import DirectoryDigest, hash_file, hash_object, hash_prefix, hash_tree
from tetherai.storage.manifest import ArtifactEntry, FileEntry, directory_digest, manifest_from_json
from tetherai.storage.paths import check_relative_path
from tetherai.storage.transfer import read_tree
from tetherai.storage.uri import content_uri, is_prefix

__all__ = [
    "ArtifactCheck",
    "ArtifactSource",
    "DirectorySource",
    "StoreSource",
    "VerificationReport",
    "verify_artifacts",
]

# Errors that describe the artifact's copy in the source; anything else is raised.
_ABOUT_THE_ARTIFACT = (ObjectNotFound, Unreadable, BadInput, DigestMismatch)


@dataclass(frozen=True)
class ArtifactCheck:
    """The re-hash of one artifact.

    ``recomputed_sha256`` is ``None`` when the artifact could not be read, ``reason`` says why
    (or, for a directory, summarizes what differs). ``differing``, ``missing`` and ``extra``
    name files of a directory artifact.
    """

    name: str
    registered_sha256: str
    recomputed_sha256: str | None
    reason: str | None = None
    differing: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @property
    def equal(self) -> bool:
        """Whether the recomputed digest is the registered one."""
        return self.recomputed_sha256 == self.registered_sha256

    def to_json(self) -> dict[str, JSONValue]:
        """A JSON form for reports and the CLI."""
        return {
            "name": self.name,
            "registered_sha256": self.registered_sha256,
            "recomputed_sha256": self.recomputed_sha256,
            "equal": self.equal,
            "reason": self.reason,
            "differing": list(self.differing),
            "missing": list(self.missing),
            "extra": list(self.extra),
        }


@dataclass(frozen=True)
class VerificationReport:
    """The re-hash of a manifest against one source."""

    source: str
    artifacts: tuple[ArtifactCheck, ...]

    @property
    def ok(self) -> bool:
        """Whether every artifact's recomputed digest equals the registered one."""
        return all(check.equal for check in self.artifacts)

    @property
    def mismatches(self) -> tuple[ArtifactCheck, ...]:
        """The artifacts that differ or could not be read."""
        return tuple(check for check in self.artifacts if not check.equal)

    def recomputed(self) -> list[dict[str, str | None]]:
        """``[{"name", "sha256"}, ...]``, the digests recomputed (``None``: unreadable): the
        ``artifacts`` argument of the review contract's verify (``contracts.calls.verify``)."""
        return [{"name": check.name, "sha256": check.recomputed_sha256} for check in self.artifacts]

    def to_json(self) -> dict[str, JSONValue]:
        """The whole report as JSON."""
        return {
            "source": self.source,
            "ok": self.ok,
            "artifacts": [check.to_json() for check in self.artifacts],
        }


class ArtifactSource(Protocol):
    """Where artifacts are re-read from: recomputes one file or directory artifact."""

    def describe(self) -> str:
        """Name the source in the report (``"object store"``, ``"directory /tmp/run"``)."""
        ...

    def hash_file_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> tuple[str, int]:
        """The recomputed SHA-256 and size of a single-file artifact."""
        ...

    def hash_directory_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> DirectoryDigest:
        """The files (relative path, size, recomputed SHA-256) of a directory artifact."""
        ...


class StoreSource:
    """Re-reads artifacts from the objects their URIs name."""

    def __init__(self, reader: ObjectReader, *, workers: int | None = None) -> None:
        """Read through ``reader`` (a store, or a :class:`~tetherai.storage.base.Resolver`)."""
        self._reader = reader
        self._workers = workers

    def describe(self) -> str:
        """``"object store"``."""
        return "object store"

    def hash_file_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> tuple[str, int]:
        """Stream the object ``entry.uri`` and hash it."""
        digest = hash_object(self._reader, entry.uri, progress=progress)
        return digest.sha256, digest.size

    def hash_directory_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> DirectoryDigest:
        """Hash the objects under a prefix, or the files that a tree object lists.

        A stored tree that was altered is not trusted for its digests: each file it lists is
        fetched by address and re-hashed, and the directory digest recomputed from those.
        """
        if is_prefix(entry.uri):
            return hash_prefix(self._reader, entry.uri, workers=self._workers, progress=progress)
        try:
            stored = read_tree(self._reader, entry.uri)
        except ManifestError as error:
            raise Unreadable(
                f"the stored file list of {entry.name!r} is damaged: {error}"
            ) from error
        digests = run_parallel(
            lambda item: hash_object(
                self._reader, content_uri(entry.uri, item.sha256), progress=progress
            ),
            stored,
            [item.size for item in stored],
            max(4, self._workers or 0),
        )
        files = tuple(
            FileEntry(item.path, digest.size, digest.sha256)
            for item, digest in zip(stored, digests, strict=True)
        )
        return DirectoryDigest(files, sum(item.size for item in files), directory_digest(files))


class DirectorySource:
    """Re-reads artifacts from a local directory: a copy, or a reproduction run's outputs."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        paths: Mapping[str, str | os.PathLike[str]] | None = None,
        follow_symlinks: bool = False,
        workers: int | None = None,
    ) -> None:
        """Find artifact ``name`` at ``paths[name]`` if given (relative to ``root``), else at
        ``<root>/<name>``; hash symlink targets only if ``follow_symlinks``."""
        self._root = Path(root)
        self._paths = {name: Path(path) for name, path in (paths or {}).items()}
        self._follow = follow_symlinks
        self._workers = workers

    def describe(self) -> str:
        """``"directory <root>"``."""
        return f"directory {self._root}"

    def _locate(self, entry: ArtifactEntry) -> Path:
        if entry.name in self._paths:
            return self._root / self._paths[entry.name]
        try:
            check_relative_path(entry.name, what=f"artifact name {entry.name!r}")
        except BadInput as error:
            raise BadInput(
                f"artifact {entry.name!r} cannot be looked up as a file name ({error.message}); "
                "give its path explicitly"
            ) from error
        path = self._root / entry.name
        if path.is_symlink() and not self._follow:
            raise BadInput(f"{path} is a symlink; symlinks are refused")
        return path

    def hash_file_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> tuple[str, int]:
        """Hash ``<root>/<name>``."""
        digest = hash_file(self._locate(entry), progress=progress)
        return digest.sha256, digest.size

    def hash_directory_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> DirectoryDigest:
        """Hash the tree ``<root>/<name>/``."""
        return hash_tree(
            self._locate(entry),
            follow_symlinks=self._follow,
            workers=self._workers,
            progress=progress,
        )


def _check_one(
    entry: ArtifactEntry, source: ArtifactSource, progress: ProgressCallback | None
) -> ArtifactCheck:
    registered = entry.sha256
    try:
        if entry.files is None:
            found, _ = source.hash_file_artifact(entry, progress)
            return ArtifactCheck(entry.name, registered, found)
        tree = source.hash_directory_artifact(entry, progress)
    except UnsupportedURI:
        raise  # no configured store for it: the reviewer's setup, not the artifact
    except _ABOUT_THE_ARTIFACT as error:
        return ArtifactCheck(entry.name, registered, None, reason=error.message)
    except ManifestError as error:  # a copy whose file names cannot be registered paths
        return ArtifactCheck(entry.name, registered, None, reason=error.message)
    expected = {item.path: item for item in entry.files}
    actual = {item.path: item for item in tree.files}
    differing = tuple(
        path
        for path in sorted(expected.keys() & actual.keys())
        if expected[path].sha256 != actual[path].sha256
    )
    missing = tuple(sorted(expected.keys() - actual.keys()))
    extra = tuple(sorted(actual.keys() - expected.keys()))
    reason = None
    if differing or missing or extra:
        parts = [
            f"{label}: {', '.join(paths[:10])}{' …' if len(paths) > 10 else ''}"
            for label, paths in (("differ", differing), ("missing", missing), ("extra", extra))
            if paths
        ]
        reason = "files " + "; ".join(parts)
    return ArtifactCheck(entry.name, registered, tree.sha256, reason, differing, missing, extra)


def verify_artifacts(
    manifest: Sequence[Mapping[str, object] | ArtifactEntry],
    source: ArtifactSource,
    *,
    names: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
) -> VerificationReport:
    """Recompute the digest of every registered artifact from ``source``.

    Args:
        manifest: the registered entries (dicts as on the ledger, or :class:`ArtifactEntry`).
        source: where to read them again (:class:`StoreSource`, :class:`DirectorySource`).
        names: only these artifacts (e.g. the outputs a reproduction run makes); all if None.
        progress: told of bytes hashed.

    Returns:
        One :class:`ArtifactCheck` per artifact, in manifest order.

    Raises:
        ManifestError: the registered manifest is malformed, or ``names`` names an artifact it
            does not have.
        AccessDenied, BucketNotFound, StorageUnavailable: the source cannot be read at all.
        UnsupportedURI: no configured store reads an artifact's URI.
    """
    entries = manifest_from_json(
        [item.to_json() if isinstance(item, ArtifactEntry) else dict(item) for item in manifest]
    )
    if names is not None:
        unknown = set(names) - {entry.name for entry in entries}
        if unknown:
            raise ManifestError(f"the manifest has no artifact named {', '.join(sorted(unknown))}")
        entries = tuple(entry for entry in entries if entry.name in names)
    checks = tuple(_check_one(entry, source, progress) for entry in entries)
    return VerificationReport(source.describe(), checks)
